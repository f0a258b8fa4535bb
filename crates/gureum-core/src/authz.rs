//! Authorization as the pipeline sees it: each operation names the IAM actions and resources
//! it needs, and an [`Authorizer`] (IAM's evaluator, wired by the binary) decides before the
//! handler runs.

use crate::context::RequestContext;
use crate::error::AwsError;

/// One thing a request asks to do: an IAM action (`s3:GetObject`) on a resource ARN (or `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzTarget {
    pub action: String,
    pub resource: String,
}

impl AuthzTarget {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        AuthzTarget {
            action: action.into(),
            resource: resource.into(),
        }
    }
}

/// Decides whether the caller of `ctx` may do every one of `targets`. A refusal is an
/// `AccessDenied` error whose message names the principal, action and resource as AWS does.
pub trait Authorizer: Send + Sync {
    fn authorize(&self, ctx: &RequestContext, targets: &[AuthzTarget]) -> Result<(), AwsError>;
}

/// AWS's message for an implicit or explicit denial. AWS writes "User:" for every kind of
/// principal, assumed roles included.
pub fn denied(ctx: &RequestContext, target: &AuthzTarget, explicit: bool) -> AwsError {
    let why = if explicit {
        "with an explicit deny in an identity-based policy".to_string()
    } else {
        format!(
            "because no identity-based policy allows the {} action",
            target.action
        )
    };
    AwsError::access_denied(format!(
        "User: {} is not authorized to perform: {} on resource: {} {why}",
        ctx.principal.arn, target.action, target.resource
    ))
}
