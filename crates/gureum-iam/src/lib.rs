//! IAM and STS. For now STS's `GetCallerIdentity`, answering for every principal kind the
//! platform knows; users, roles, policies and temporary credentials arrive with the IAM issue
//! and plug into the same pipeline.

mod ops;

use gureum_core::{AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service};

/// The STS service (`sts` in botocore's naming).
#[derive(Debug, Default)]
pub struct Sts;

impl Service for Sts {
    fn name(&self) -> &'static str {
        "sts"
    }

    fn implements(&self, operation: &str) -> bool {
        matches!(operation, "GetCallerIdentity")
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        _input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            match operation {
                "GetCallerIdentity" => ops::sts::get_caller_identity(ctx),
                other => Err(AwsError::not_implemented("sts", other)),
            }
        })
    }
}
