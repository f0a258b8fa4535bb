//! STS operations: who is calling, and temporary credentials.

use gureum_core::wire::Timestamp;
use gureum_core::{AwsError, CredentialProvider, OperationInput, OperationOutput, PrincipalKind, RequestContext};
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
        _ => return Err(AwsError::access_denied("Cannot call GetSessionToken with session credentials")),
    };
    if ctx.access_key_id.starts_with("ASIA") {
        return Err(AwsError::access_denied("Cannot call GetSessionToken with session credentials"));
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
    OperationOutput::from_serde(&GetSessionTokenOutput { credentials: CredentialsOut::of(&issued) })
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
        Some(c) => OperationOutput::from_serde(&GetAccessKeyInfoOutput { account: c.principal.account_id }),
        None => Err(AwsError::bad_request(
            "InvalidParameterValue",
            format!("The access key ID {} was not issued by this gureum instance", input.access_key_id),
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
