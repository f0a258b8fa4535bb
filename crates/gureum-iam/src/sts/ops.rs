//! STS operations: who is calling, and temporary credentials.

use gureum_core::wire::Timestamp;
use gureum_core::{
    AwsError, CredentialProvider, OperationInput, OperationOutput, PrincipalKind, RequestContext,
};
use gureum_store::Storage;
use serde::{Deserialize, Serialize};

use super::sessions::{self, SessionRequest, StoredKind};

fn store_error(e: gureum_store::StoreError) -> AwsError {
    AwsError::internal(format!("storage failed: {e}"))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CredentialsOut {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: Timestamp,
}

impl CredentialsOut {
    pub(crate) fn of(issued: &sessions::Issued) -> Self {
        CredentialsOut {
            access_key_id: issued.session.access_key_id.clone(),
            secret_access_key: issued.secret_access_key.clone(),
            session_token: issued.session.session_token.clone(),
            expiration: Timestamp::from_secs(issued.session.expires_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSessionTokenInput {
    duration_seconds: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetSessionTokenOutput {
    credentials: CredentialsOut,
}

/// `GetSessionToken`: temporary credentials acting as the calling user (or root).
pub fn get_session_token(
    storage: &Storage,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let input: GetSessionTokenInput = gureum_core::service::parse_input(input.params)?;
    let p = &ctx.principal;
    let kind = match &p.kind {
        PrincipalKind::Root => StoredKind::Root,
        PrincipalKind::User { name } => StoredKind::User { name: name.clone() },
        _ => {
            return Err(AwsError::access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
    };
    if ctx.access_key_id.starts_with("ASIA") {
        return Err(AwsError::access_denied(
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    let mut duration = input.duration_seconds.unwrap_or(43_200);
    if kind == StoredKind::Root {
        // The root user's sessions last at most an hour; longer requests get an hour.
        duration = duration.min(3600);
    }
    let issued = sessions::issue(
        storage,
        ctx.clock.now_secs(),
        SessionRequest {
            account_id: p.account_id.clone(),
            arn: p.arn.clone(),
            user_id: p.user_id.clone(),
            kind,
            duration_secs: duration,
            session_policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            source_access_key_id: ctx.access_key_id.clone(),
        },
    )
    .map_err(store_error)?;
    OperationOutput::from_serde(&GetSessionTokenOutput {
        credentials: CredentialsOut::of(&issued),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetAccessKeyInfoInput {
    access_key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetAccessKeyInfoOutput {
    account: String,
}

/// `GetAccessKeyInfo`: the account an access key belongs to.
pub fn get_access_key_info(
    credentials: Option<&dyn CredentialProvider>,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let input: GetAccessKeyInfoInput = gureum_core::service::parse_input(input.params)?;
    let found = credentials.and_then(|c| c.lookup(&input.access_key_id));
    match found {
        Some(c) => OperationOutput::from_serde(&GetAccessKeyInfoOutput {
            account: c.principal.account_id,
        }),
        None => Err(AwsError::bad_request(
            "InvalidParameterValue",
            format!(
                "The access key ID {} was not issued by this gureum instance",
                input.access_key_id
            ),
        )),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetCallerIdentityOutput<'a> {
    user_id: &'a str,
    account: &'a str,
    arn: &'a str,
}

/// `GetCallerIdentity`: the principal the request was signed by.
pub fn get_caller_identity(ctx: &RequestContext) -> Result<OperationOutput, AwsError> {
    let p = &ctx.principal;
    OperationOutput::from_serde(&GetCallerIdentityOutput {
        user_id: &p.user_id,
        account: &p.account_id,
        arn: &p.arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::{Clock, Principal, PrincipalKind};
    use serde_json::json;

    fn ctx(principal: Principal) -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            region: "us-east-1".into(),
            principal,
            access_key_id: "AKID".into(),
            clock: Clock::new(),
            service: "sts",
            operation: "GetCallerIdentity".into(),
            source_ip: None,
            secure_transport: false,
        }
    }

    #[test]
    fn answers_for_each_principal_kind() {
        let role = Principal {
            account_id: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/dev/sess".into(),
            user_id: "AROAEXAMPLE:sess".into(),
            kind: PrincipalKind::AssumedRole {
                role_name: "dev".into(),
                session_name: "sess".into(),
            },
        };
        let cases = [
            (
                Principal::root("000000000000"),
                json!({"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}),
            ),
            (
                role,
                json!({"UserId": "AROAEXAMPLE:sess", "Account": "123456789012", "Arn": "arn:aws:sts::123456789012:assumed-role/dev/sess"}),
            ),
        ];
        for (principal, want) in cases {
            assert_eq!(get_caller_identity(&ctx(principal)).unwrap().params, want);
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyArnInput {
    arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagInput {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleInput {
    role_arn: String,
    role_session_name: String,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    #[serde(default)]
    policy_arns: Vec<PolicyArnInput>,
    external_id: Option<String>,
    #[serde(default)]
    tags: Vec<TagInput>,
    source_identity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUser {
    assumed_role_id: String,
    arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleOutput {
    credentials: CredentialsOut,
    assumed_role_user: AssumedRoleUser,
    packed_policy_size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<String>,
}

/// The most a session policy (plus session tags) may pack to, in characters.
const PACKED_POLICY_LIMIT: usize = 2048;

/// `AssumeRole`: credentials for a session of a role whose trust policy lets the caller in.
pub fn assume_role(
    storage: &Storage,
    authorizer: &crate::authorizer::IamAuthorizer,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    use gureum_iam_policy::{AuthzRequest, Decision, Environment, Policy, PolicyKind, PolicySet};

    let input: AssumeRoleInput = gureum_core::service::parse_input(input.params)?;
    let caller = &ctx.principal;
    let target = gureum_core::AuthzTarget::new("sts:AssumeRole", input.role_arn.clone());
    let not_authorized = || gureum_core::authz::denied(ctx, &target, false);
    let role = crate::model::role_by_arn(storage.kv.as_ref(), &input.role_arn)?
        .ok_or_else(not_authorized)?;
    let role_account = gureum_core::Arn::parse(&input.role_arn)
        .map(|a| a.account_id)
        .unwrap_or_default();
    let trust =
        Policy::parse(&role.assume_role_policy, PolicyKind::Trust).map_err(|_| not_authorized())?;

    let policies = authorizer.caller_policies(ctx)?;
    let Some(principal) = policies.principal.clone() else {
        return Err(not_authorized());
    };
    let environment = Environment {
        now: ctx.clock.now(),
        source_ip: ctx.source_ip,
        region: ctx.region.clone(),
        secure_transport: ctx.secure_transport,
    };
    let mut request = AuthzRequest::new(principal, "sts:AssumeRole", input.role_arn.clone())
        .with_global_keys(&environment)
        .with_resource_account(role_account.clone())
        .with_key("sts:RoleSessionName", input.role_session_name.clone());
    if let Some(external_id) = &input.external_id {
        request = request.with_key("sts:ExternalId", external_id.clone());
    }
    for tag in &input.tags {
        request = request.with_key(&format!("aws:RequestTag/{}", tag.key), tag.value.clone());
    }
    if !input.tags.is_empty() {
        let keys: Vec<&str> = input.tags.iter().map(|t| t.key.as_str()).collect();
        request = request.with_values("aws:TagKeys", &keys);
    }
    let decision = if caller.is_root() {
        // Even the root user needs the role's trust policy to let its account in.
        gureum_iam_policy::evaluate_trust(&trust, &request).decision
    } else if !policies.exists {
        Decision::ImplicitDeny
    } else {
        let set = PolicySet {
            identity: &policies.identity,
            resource: Some(&trust),
            permissions_boundary: policies.boundary.as_deref(),
            session: &policies.session,
        };
        gureum_iam_policy::evaluate(&set, &request).decision
    };
    match decision {
        Decision::Allow => {}
        Decision::ExplicitDeny => return Err(gureum_core::authz::denied(ctx, &target, true)),
        Decision::ImplicitDeny => return Err(not_authorized()),
    }

    let chained = matches!(caller.kind, PrincipalKind::AssumedRole { .. });
    let duration = input.duration_seconds.unwrap_or(3600);
    if chained && duration > 3600 {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session_duration {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    if let Some(doc) = &input.policy {
        Policy::parse(doc, PolicyKind::Identity)
            .map_err(|e| AwsError::bad_request("MalformedPolicyDocument", e.to_string()))?;
    }
    let mut seen = std::collections::HashSet::new();
    for tag in &input.tags {
        if !seen.insert(tag.key.to_ascii_lowercase()) {
            return Err(AwsError::bad_request(
                "InvalidParameterValue",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    let policy_arns: Vec<String> = input
        .policy_arns
        .into_iter()
        .filter_map(|p| p.arn)
        .collect();
    for arn in &policy_arns {
        if gureum_core::Arn::parse(arn)
            .is_none_or(|a| a.service != "iam" || !a.resource.starts_with("policy/"))
        {
            return Err(AwsError::bad_request(
                "InvalidParameterValue",
                format!("Invalid policy ARN: {arn}"),
            ));
        }
    }
    let packed = gureum_iam_policy::document_size(input.policy.as_deref().unwrap_or(""))
        + input
            .tags
            .iter()
            .map(|t| t.key.len() + t.value.len())
            .sum::<usize>()
        + policy_arns.iter().map(String::len).sum::<usize>();
    let packed_percent = (packed * 100).div_ceil(PACKED_POLICY_LIMIT);
    if packed > PACKED_POLICY_LIMIT {
        return Err(AwsError::bad_request(
            "PackedPolicyTooLarge",
            format!(
                "Packed policy consumes {packed_percent}% of allotted space, please use smaller policy for your request."
            ),
        ));
    }

    let session_arn = format!(
        "arn:aws:sts::{role_account}:assumed-role/{}/{}",
        role.name, input.role_session_name
    );
    let user_id = format!("{}:{}", role.id, input.role_session_name);
    let issued = sessions::issue(
        storage,
        ctx.clock.now_secs(),
        SessionRequest {
            account_id: role_account.clone(),
            arn: session_arn.clone(),
            user_id: user_id.clone(),
            kind: StoredKind::AssumedRole {
                role_name: role.name.clone(),
                role_arn: input.role_arn.clone(),
                session_name: input.role_session_name.clone(),
            },
            duration_secs: duration,
            session_policy: input.policy,
            policy_arns,
            tags: input.tags.into_iter().map(|t| (t.key, t.value)).collect(),
            source_access_key_id: ctx.access_key_id.clone(),
        },
    )
    .map_err(store_error)?;
    crate::model::note_role_used(
        storage.kv.as_ref(),
        &role_account,
        &role.name,
        ctx.clock.now_secs(),
        &ctx.region,
    )?;
    OperationOutput::from_serde(&AssumeRoleOutput {
        credentials: CredentialsOut::of(&issued),
        assumed_role_user: AssumedRoleUser {
            assumed_role_id: user_id,
            arn: session_arn,
        },
        packed_policy_size: packed_percent as i64,
        source_identity: input.source_identity,
    })
}
