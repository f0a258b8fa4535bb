//! STS operations: who is calling.

use gureum_core::{AwsError, OperationOutput, RequestContext};
use serde::Serialize;

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
