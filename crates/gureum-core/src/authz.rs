//! Authorization as the pipeline sees it: each operation names the IAM actions and resources
//! it needs, and an [`Authorizer`] (IAM's evaluator, wired by the binary) decides before the
//! handler runs.

use crate::context::RequestContext;
use crate::error::AwsError;

/// One thing a request asks to do: an IAM action (`s3:GetObject`) on a resource ARN (or `*`),
/// with the resource's own policy (a bucket policy, a key policy) when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzTarget {
    pub action: String,
    pub resource: String,
    /// The account owning the resource, when it may differ from the caller's (cross-account
    /// access needs both the caller's identity policies and the resource policy to allow).
    pub resource_account: Option<String>,
    /// The resource policy document, evaluated with the caller's identity policies.
    pub resource_policy: Option<std::sync::Arc<str>>,
    /// Service-specific condition keys (`s3:prefix`, `kms:EncryptionContext:...`).
    pub context: Vec<(String, String)>,
    /// The resource policy must admit the caller itself (KMS key policies): identity policies
    /// count only where the resource policy delegates to the caller's account.
    pub resource_policy_required: bool,
}

impl AuthzTarget {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        AuthzTarget {
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            resource_policy: None,
            context: Vec::new(),
            resource_policy_required: false,
        }
    }

    /// Makes the resource policy authoritative, as a KMS key policy is.
    pub fn requiring_resource_policy(mut self) -> Self {
        self.resource_policy_required = true;
        self
    }

    /// The resource's policy and owning account.
    pub fn with_resource_policy(
        mut self,
        account: impl Into<String>,
        policy: Option<std::sync::Arc<str>>,
    ) -> Self {
        self.resource_account = Some(account.into());
        self.resource_policy = policy;
        self
    }

    /// A condition key the service knows for this request.
    pub fn with_context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.push((key.into(), value.into()));
        self
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
    // AWS tells an anonymous caller nothing more.
    if ctx.principal.is_anonymous() {
        return AwsError::access_denied("Access Denied");
    }
    let why = if explicit && target.resource_policy.is_some() {
        "with an explicit deny in a resource-based policy".to_string()
    } else if explicit {
        "with an explicit deny in an identity-based policy".to_string()
    } else if target.resource_policy_required {
        format!(
            "because no resource-based policy allows the {} action",
            target.action
        )
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
