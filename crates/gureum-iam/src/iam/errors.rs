//! IAM's error codes with their HTTP statuses, as botocore's IAM model declares them.

use gureum_core::AwsError;

/// `NoSuchEntity` (404): the named user, group, role, policy... does not exist.
pub fn no_such_entity(message: impl Into<String>) -> AwsError {
    AwsError::new("NoSuchEntity", 404, message)
}

/// `EntityAlreadyExists` (409).
pub fn already_exists(message: impl Into<String>) -> AwsError {
    AwsError::new("EntityAlreadyExists", 409, message)
}

/// `DeleteConflict` (409): something still hangs off the entity.
pub fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::new("DeleteConflict", 409, message)
}

/// `LimitExceeded` (409): an IAM quota.
pub fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::new("LimitExceeded", 409, message)
}

/// `MalformedPolicyDocument` (400), with AWS's reason.
pub fn malformed(message: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicyDocument", 400, message)
}

/// `InvalidInput` (400).
pub fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidInput", 400, message)
}

/// `UnmodifiableEntity` (400): service-linked roles and AWS managed policies.
pub fn unmodifiable(message: impl Into<String>) -> AwsError {
    AwsError::new("UnmodifiableEntity", 400, message)
}

/// `PasswordPolicyViolation` (400).
pub fn password_policy_violation(message: impl Into<String>) -> AwsError {
    AwsError::new("PasswordPolicyViolation", 400, message)
}

/// The quota message AWS writes: `Cannot exceed quota for PoliciesPerUser: 10`.
pub fn quota(name: &str, limit: usize) -> AwsError {
    limit_exceeded(format!("Cannot exceed quota for {name}: {limit}"))
}

pub fn no_such_user(name: &str) -> AwsError {
    no_such_entity(format!("The user with name {name} cannot be found."))
}

pub fn no_such_group(name: &str) -> AwsError {
    no_such_entity(format!("The group with name {name} cannot be found."))
}

pub fn no_such_role(name: &str) -> AwsError {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

pub fn no_such_instance_profile(name: &str) -> AwsError {
    no_such_entity(format!("Instance Profile {name} cannot be found."))
}

pub fn no_such_policy(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} was not found."))
}

pub fn not_attachable(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

pub fn protected_role(name: &str) -> AwsError {
    unmodifiable(format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    ))
}
