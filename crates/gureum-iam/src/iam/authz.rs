//! What an IAM request asks permission for: the action `iam:<Operation>` on the ARN of the
//! entity it names (with its path, as AWS builds it), so policies such as
//! `"Resource": "arn:aws:iam::*:user/${aws:username}"` decide as they do on AWS.

use gureum_core::{AuthzTarget, PrincipalKind, RequestContext};
use serde_json::Value;

use super::Iam;
use crate::model::{self, Committed};

/// Operations that act on the calling user when they name none.
const CALLER_DEFAULT: &[&str] = &[
    "GetUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "CreateLoginProfile",
    "GetLoginProfile",
    "DeleteLoginProfile",
    "ChangePassword",
];

/// The ARN of `kind` `name` in `account`: the stored entity's path, else `path` (for creates),
/// else `/`.
fn entity_arn(iam: &Iam, account: &str, kind: &str, name: &str, path: Option<&str>) -> String {
    let r = &mut Committed(iam.kv());
    let stored = match kind {
        "user" => model::get_user(r, account, name)
            .ok()
            .flatten()
            .map(|u| (u.path, u.name)),
        "group" => model::get_group(r, account, name)
            .ok()
            .flatten()
            .map(|g| (g.path, g.name)),
        "role" => model::get_role(r, account, name)
            .ok()
            .flatten()
            .map(|x| (x.path, x.name)),
        _ => model::get_instance_profile(r, account, name)
            .ok()
            .flatten()
            .map(|p| (p.path, p.name)),
    };
    let (path, name) =
        stored.unwrap_or_else(|| (path.unwrap_or("/").to_string(), name.to_string()));
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// The action and resource of one IAM request.
pub fn targets(
    iam: &Iam,
    ctx: &RequestContext,
    operation: &str,
    params: &Value,
) -> Vec<AuthzTarget> {
    let account = ctx.account_id();
    let s = |k: &str| params.get(k).and_then(Value::as_str);
    let creating = operation.starts_with("Create");
    let path = if creating { s("Path") } else { None };
    let resource = if let Some(name) = s("InstanceProfileName") {
        entity_arn(iam, account, "instance-profile", name, path)
    } else if let Some(name) = s("GroupName") {
        entity_arn(iam, account, "group", name, path)
    } else if let Some(name) = s("RoleName") {
        entity_arn(iam, account, "role", name, path)
    } else if let Some(name) = s("UserName") {
        entity_arn(iam, account, "user", name, path)
    } else if let Some(arn) = s("PolicyArn") {
        arn.to_string()
    } else if operation == "CreatePolicy" {
        format!(
            "arn:aws:iam::{account}:policy{}{}",
            s("Path").unwrap_or("/"),
            s("PolicyName").unwrap_or("")
        )
    } else if operation == "CreateServiceLinkedRole" {
        let service = s("AWSServiceName").unwrap_or("");
        let name = super::service_linked::role_name_for(service).unwrap_or_default();
        format!("arn:aws:iam::{account}:role/aws-service-role/{service}/{name}")
    } else if operation == "SimulatePrincipalPolicy" {
        // The policy source, as named; SimulateCustomPolicy acts on `*`.
        s("PolicySourceArn").unwrap_or("*").to_string()
    } else if CALLER_DEFAULT.contains(&operation)
        && matches!(ctx.principal.kind, PrincipalKind::User { .. })
    {
        ctx.principal.arn.clone()
    } else {
        "*".to_string()
    };
    vec![AuthzTarget::new(format!("iam:{operation}"), resource)]
}
