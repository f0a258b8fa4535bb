//! Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy. The document is kept
//! as sent in the bucket record; the pipeline's authorizer evaluates it as a resource policy
//! (see `S3::authz_targets`), compiling each distinct document once.

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_iam_policy::{Policy, PolicyKind, document_size};
use serde_json::{Value, json};

use crate::{S3, bucket_arn, errors, str_param};

/// S3's limit on a bucket policy: 20 KB, whitespace not counted.
const MAX_POLICY_SIZE: usize = 20 * 1024;

/// Checks `document` as S3 does before storing it as the policy of `bucket`: size, the policy
/// grammar of a resource policy (IAM's reasons), and resources that all lie in the bucket.
pub fn validate(bucket: &str, document: &str) -> Result<(), AwsError> {
    if document_size(document) > MAX_POLICY_SIZE {
        return Err(errors::malformed_policy("Policies must be less than 20 KB"));
    }
    let value: Value = serde_json::from_str(document)
        .map_err(|_| errors::malformed_policy("This policy contains invalid Json"))?;
    Policy::parse(document, PolicyKind::Resource)
        .map_err(|e| errors::malformed_policy(e.to_string()))?;
    let arn = bucket_arn(bucket);
    let in_bucket = |resource: &str| match resource.strip_prefix(arn.as_str()) {
        Some(rest) => rest.is_empty() || rest.starts_with(['/', '*', '?']),
        None => false,
    };
    let statements = match value.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for statement in statements {
        for member in ["Resource", "NotResource"] {
            let resources: Vec<&str> = match statement.get(member) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if resources.iter().any(|r| !in_bucket(r)) {
                return Err(errors::malformed_policy("Policy has invalid resource"));
            }
        }
    }
    Ok(())
}

/// Rewrites the bucket record of `name` with `policy`; `NoSuchBucket` when it is gone.
fn set_policy(s3: &S3, name: &str, policy: Option<String>) -> Result<(), AwsError> {
    let public = policy.as_deref().is_some_and(crate::acl::policy_is_public);
    s3.update_bucket(name, |bucket| {
        bucket.policy = policy.clone();
        bucket.policy_public = public;
    })
}

pub fn put_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    let document = str_param(p, "Policy").unwrap_or_default();
    if document.trim().is_empty() {
        return Err(errors::malformed_policy(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    }
    validate(name, document)?;
    set_policy(s3, name, Some(document.to_string()))?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let policy = bucket.policy.ok_or_else(errors::no_such_bucket_policy)?;
    Ok(OperationOutput::new(json!({ "Policy": policy })))
}

pub fn delete_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    set_policy(s3, name, None)?;
    Ok(OperationOutput::new(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_and_message(r: Result<(), AwsError>) -> (String, String) {
        let e = r.unwrap_err();
        (e.code.to_string(), e.message.to_string())
    }

    #[test]
    fn policies_are_validated_as_s3_does() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}]}"#;
        assert!(validate("b1", ok).is_ok());
        let (code, message) = code_and_message(validate("b1", "not json"));
        assert_eq!(code, "MalformedPolicy");
        assert_eq!(message, "This policy contains invalid Json");
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}]}"#;
        assert_eq!(
            code_and_message(validate("b1", no_principal)).1,
            "Missing required field Principal"
        );
        let elsewhere = ok.replace("b1/*", "other/*");
        assert_eq!(
            code_and_message(validate("b1", &elsewhere)).1,
            "Policy has invalid resource"
        );
        let prefix_only = ok.replace("b1/*", "b1x/*");
        assert!(validate("b1", &prefix_only).is_err());
        let big = ok.replace("b1/*", &format!("b1/{}", "k".repeat(21_000)));
        assert_eq!(
            code_and_message(validate("b1", &big)).1,
            "Policies must be less than 20 KB"
        );
    }
}
