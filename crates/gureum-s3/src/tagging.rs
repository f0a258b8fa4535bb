//! Bucket tagging: PutBucketTagging, GetBucketTagging, DeleteBucketTagging. The tags live in
//! the bucket record.

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use serde_json::{Value, json};

use crate::{S3, errors, str_param};

/// S3's limit on the tags of one bucket.
const MAX_BUCKET_TAGS: usize = 50;

/// Checks a bucket's tag set as S3 does: at most 50, keys of 1 to 128 characters, values of at
/// most 256, no key twice.
fn check_bucket_tags(tags: &[(String, String)]) -> Result<(), AwsError> {
    if tags.len() > MAX_BUCKET_TAGS {
        return Err(errors::invalid_tag(
            "Bucket tag count cannot be greater than 50",
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(errors::invalid_tag(
                "The TagKey you have provided is invalid",
            ));
        }
        if v.chars().count() > 256 {
            return Err(errors::invalid_tag(
                "The TagValue you have provided is invalid",
            ));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(errors::invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

fn tag_set(p: &Value) -> Vec<(String, String)> {
    p.pointer("/Tagging/TagSet")
        .and_then(Value::as_array)
        .map(|set| {
            set.iter()
                .map(|t| {
                    (
                        str_param(t, "Key").unwrap_or_default().to_string(),
                        str_param(t, "Value").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn put_bucket_tagging(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    if p.pointer("/Tagging/TagSet").is_none() {
        return Err(errors::malformed_xml());
    }
    let tags = tag_set(p);
    check_bucket_tags(&tags)?;
    s3.update_bucket(name, |bucket| bucket.tags = tags.clone())?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_tagging(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    if bucket.tags.is_empty() {
        return Err(errors::no_such_tag_set());
    }
    let tags: Vec<Value> = bucket
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(OperationOutput::new(json!({ "TagSet": tags })))
}

pub fn delete_bucket_tagging(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    s3.update_bucket(name, |bucket| bucket.tags.clear())?;
    Ok(OperationOutput::new(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_tag_limits() {
        let tag = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert!(check_bucket_tags(&[tag("a", ""), tag("b", "v")]).is_ok());
        let fifty: Vec<_> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert!(check_bucket_tags(&fifty).is_ok());
        let many: Vec<_> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
        let code = |r: Result<(), AwsError>| r.unwrap_err().code.to_string();
        assert_eq!(code(check_bucket_tags(&many)), "InvalidTag");
        assert_eq!(code(check_bucket_tags(&[tag("", "v")])), "InvalidTag");
        assert_eq!(
            code(check_bucket_tags(&[tag("a", &"v".repeat(257))])),
            "InvalidTag"
        );
        assert_eq!(
            code(check_bucket_tags(&[tag("a", "1"), tag("a", "2")])),
            "InvalidTag"
        );
    }
}
