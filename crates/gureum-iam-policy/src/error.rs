//! Why a policy document is refused. Each variant's message is the reason IAM prints after
//! `MalformedPolicyDocument`, word for word.

/// A policy document that IAM would refuse, with IAM's reason as the message.
///
/// The messages and the order in which they win follow what IAM answers (the same facts moto's
/// validator encodes): syntax first, then the version, legacy parsing, statement ids, actions,
/// resource ARNs, action vendors, and finally the checks that depend on the policy's kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON, or JSON that breaks the policy grammar: unknown or misplaced elements, a missing
    /// or unknown `Effect`, both `Action` and `NotAction`, an unknown condition operator, ...
    #[error("Syntax errors in policy.")]
    Syntax,
    /// An identity policy without `"Version": "2012-10-17"`.
    #[error("Policy document must be version 2012-10-17 or greater.")]
    VersionTooOld,
    /// IAM's older parser refused it: an `Effect` not spelled `Allow`/`Deny` exactly, a date that
    /// is neither ISO 8601 nor epoch seconds, an ARN with too few parts.
    #[error("The policy failed legacy parsing")]
    LegacyParsing,
    #[error("Statement IDs (SID) in a single policy must be unique.")]
    DuplicateSid,
    #[error(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )]
    SidNotAlphanumeric,
    #[error("Policy statement must contain actions.")]
    MissingActions,
    #[error("Policy statement must contain resources.")]
    MissingResources,
    #[error("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    ActionWithoutVendor,
    #[error("Actions/Condition can contain only one colon.")]
    ActionWithColons,
    #[error("Vendor {0} is not valid")]
    InvalidVendor(String),
    #[error("Resource {0} must be in ARN format or \"*\".")]
    ResourceNotArn(String),
    #[error("Partition \"{partition}\" is not valid for resource \"{resource}\".")]
    InvalidPartition { partition: String, resource: String },
    #[error("Resource vendor must be fully qualified and cannot contain regexes.")]
    ResourceVendorNotQualified,
    #[error("IAM resource {0} cannot contain region information.")]
    IamResourceWithRegion(String),
    #[error("Resource {0} can not contain region information.")]
    S3ResourceWithRegion(String),
    #[error(
        "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."
    )]
    IamResourcePath,
    /// `Principal` or `NotPrincipal` in an identity policy.
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// A resource policy statement without `Principal` or `NotPrincipal`.
    #[error("Missing required field Principal")]
    MissingPrincipal,
    /// A trust policy statement without `Principal` or `NotPrincipal`.
    #[error(
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
    )]
    TrustPolicyWithoutPrincipal,
    /// A principal that is not `*`, an account id, an IAM/STS ARN or a unique id.
    #[error("Invalid principal in policy: \"{kind}\":\"{value}\"")]
    InvalidPrincipal { kind: String, value: String },
    #[error(
        "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
    )]
    TrustPolicyAction,
    /// `Resource` or `NotResource` in a trust policy.
    #[error("Has prohibited field Resource.")]
    TrustPolicyResource,
}

impl PolicyError {
    /// The AWS error code IAM answers with.
    pub fn code(&self) -> &'static str {
        "MalformedPolicyDocument"
    }
}
