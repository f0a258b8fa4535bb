//! Key policies: PutKeyPolicy, GetKeyPolicy and ListKeyPolicies. A key has one policy, named
//! `default`; every policy (CreateKey's `Policy` too) is validated as an IAM resource policy and,
//! unless `BypassPolicyLockoutSafetyCheck`, must still let its caller call PutKeyPolicy: IAM's
//! evaluator decides that for the caller's principal with the new policy as the resource policy.

use std::sync::Arc;

use gureum_core::{AwsError, PrincipalKind as CoreKind, RequestContext};
use gureum_iam_policy::{
    AuthzRequest, Decision, Policy, PolicyKind, PolicySet, PrincipalInfo, PrincipalKind,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::keys::{read_key, update_key};
use crate::{Kms, empty, errors, input};

/// AWS's refusal when a policy would lock its caller out.
pub const LOCKOUT: &str =
    "The new key policy will not allow you to update the key policy in the future.";

/// The caller as IAM's evaluator sees it.
fn principal_info(ctx: &RequestContext) -> PrincipalInfo {
    let p = &ctx.principal;
    let kind = match &p.kind {
        CoreKind::Root => return PrincipalInfo::root(&p.account_id),
        CoreKind::Anonymous => return PrincipalInfo::anonymous(),
        CoreKind::User { .. } => PrincipalKind::User,
        CoreKind::AssumedRole { role_name, .. } => PrincipalKind::AssumedRole {
            role_arn: format!("arn:aws:iam::{}:role/{role_name}", p.account_id),
        },
        CoreKind::FederatedUser { .. } => PrincipalKind::FederatedUser,
    };
    let username = match &p.kind {
        CoreKind::User { name } => name.clone(),
        _ => String::new(),
    };
    PrincipalInfo {
        arn: p.arn.clone(),
        account_id: p.account_id.clone(),
        kind,
        user_id: p.user_id.clone(),
        username,
        tags: Vec::new(),
    }
}

/// Validates a key policy document as IAM validates resource policies, with IAM's reason.
pub fn parse(document: &str) -> Result<Policy, AwsError> {
    Policy::parse(document, PolicyKind::Resource)
        .map_err(|e| errors::malformed_policy(e.to_string()))
}

/// Whether `policy` on the key `key_arn` still lets the caller of `ctx` call PutKeyPolicy.
///
/// The policy must allow the caller by name, through its role, or by naming the caller's account
/// (which delegates to the caller's IAM policies, assumed to allow it, as they just did), and
/// must not deny it. The evaluator is asked the cross-account form of the question, which needs
/// the resource policy to allow by any of those means, with an identity policy that allows.
pub fn lockout_safe(ctx: &RequestContext, policy: &Policy, key_arn: &str) -> bool {
    let Ok(identity) = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:PutKeyPolicy","Resource":"*"}]}"#,
        PolicyKind::Identity,
    ) else {
        return false;
    };
    let identity = [Arc::new(identity)];
    let principal = principal_info(ctx);
    // An account that is never the caller's, so the resource policy must allow on its own.
    let elsewhere = if principal.account_id == "000000000001" {
        "000000000002"
    } else {
        "000000000001"
    };
    let set = PolicySet {
        identity: &identity,
        resource: Some(policy),
        permissions_boundary: None,
        session: &[],
    };
    let request =
        AuthzRequest::new(principal, "kms:PutKeyPolicy", key_arn).with_resource_account(elsewhere);
    gureum_iam_policy::evaluate(&set, &request).decision == Decision::Allow
}

/// Validates `document` for the key `key_arn` and runs the lockout check unless bypassed.
pub fn check(
    ctx: &RequestContext,
    document: &str,
    key_arn: &str,
    bypass: bool,
) -> Result<(), AwsError> {
    let policy = parse(document)?;
    if !bypass && !lockout_safe(ctx, &policy, key_arn) {
        return Err(errors::malformed_policy(LOCKOUT));
    }
    Ok(())
}

fn check_name(name: Option<&str>, missing: fn() -> AwsError) -> Result<(), AwsError> {
    match name {
        None | Some("default") => Ok(()),
        Some(_) => Err(missing()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutInput {
    key_id: String,
    policy_name: Option<String>,
    policy: String,
    #[serde(default)]
    bypass_policy_lockout_safety_check: bool,
}

pub fn put_key_policy(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: PutInput = input(params)?;
    check_name(i.policy_name.as_deref(), || {
        errors::unsupported("Only default policy is supported")
    })?;
    update_key(kms, ctx, &i.key_id, |key| {
        check(
            ctx,
            &i.policy,
            &key.arn(),
            i.bypass_policy_lockout_safety_check,
        )?;
        key.policy = i.policy.clone();
        Ok(())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetInput {
    key_id: String,
    policy_name: Option<String>,
}

pub fn get_key_policy(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: GetInput = input(params)?;
    let key = read_key(kms, ctx, &i.key_id, false)?;
    check_name(i.policy_name.as_deref(), || {
        AwsError::new("NotFoundException", 400, "No such policy exists")
    })?;
    Ok(json!({"Policy": key.policy, "PolicyName": "default"}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    key_id: String,
}

pub fn list_key_policies(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ListInput = input(params)?;
    read_key(kms, ctx, &i.key_id, false)?;
    Ok(json!({"PolicyNames": ["default"], "Truncated": false}))
}
