//! S3's error codes, statuses and messages, as AWS documents them in "Error responses"
//! (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).

use gureum_core::AwsError;
use gureum_store::StoreError;

pub fn store(e: StoreError) -> AwsError {
    AwsError::internal(format!("storage error: {e}"))
}

pub fn no_such_bucket(bucket: &str) -> AwsError {
    AwsError::new(
        "NoSuchBucket",
        404,
        format!("The specified bucket does not exist: {bucket}"),
    )
}

pub fn no_such_key() -> AwsError {
    AwsError::new("NoSuchKey", 404, "The specified key does not exist.")
}

pub fn no_such_upload() -> AwsError {
    AwsError::new(
        "NoSuchUpload",
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

pub fn invalid_bucket_name(bucket: &str) -> AwsError {
    AwsError::new(
        "InvalidBucketName",
        400,
        format!("The specified bucket is not valid: {bucket}"),
    )
}

pub fn bucket_already_exists() -> AwsError {
    AwsError::new(
        "BucketAlreadyExists",
        409,
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
    )
}

pub fn bucket_already_owned_by_you() -> AwsError {
    AwsError::new(
        "BucketAlreadyOwnedByYou",
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
}

pub fn bucket_not_empty() -> AwsError {
    AwsError::new(
        "BucketNotEmpty",
        409,
        "The bucket you tried to delete is not empty",
    )
}

pub fn invalid_location_constraint() -> AwsError {
    AwsError::new(
        "InvalidLocationConstraint",
        400,
        "The specified location-constraint is not valid",
    )
}

pub fn illegal_location_constraint(constraint: Option<&str>) -> AwsError {
    let what = constraint.unwrap_or("unspecified");
    AwsError::new(
        "IllegalLocationConstraintException",
        400,
        format!(
            "The {what} location constraint is incompatible for the region specific endpoint this request was sent to."
        ),
    )
}

pub fn bad_digest() -> AwsError {
    AwsError::new(
        "BadDigest",
        400,
        "The Content-MD5 you specified did not match what we received.",
    )
}

pub fn bad_checksum(algorithm: &str) -> AwsError {
    AwsError::new(
        "BadDigest",
        400,
        format!("The {algorithm} you specified did not match the calculated checksum."),
    )
}

pub fn invalid_digest() -> AwsError {
    AwsError::new(
        "InvalidDigest",
        400,
        "The Content-MD5 you specified was invalid.",
    )
}

pub fn invalid_range() -> AwsError {
    AwsError::new(
        "InvalidRange",
        416,
        "The requested range is not satisfiable",
    )
}

pub fn precondition_failed(condition: &str) -> AwsError {
    AwsError::new(
        "PreconditionFailed",
        412,
        format!("At least one of the pre-conditions you specified did not hold: {condition}"),
    )
}

pub fn not_modified() -> AwsError {
    AwsError::new("NotModified", 304, "Not Modified")
}

pub fn invalid_argument(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidArgument", 400, message)
}

pub fn invalid_request(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidRequest", 400, message)
}

pub fn malformed_xml() -> AwsError {
    AwsError::new(
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub fn key_too_long() -> AwsError {
    AwsError::new("KeyTooLongError", 400, "Your key is too long")
}

pub fn entity_too_large() -> AwsError {
    AwsError::new(
        "EntityTooLarge",
        400,
        "Your proposed upload exceeds the maximum allowed size",
    )
}

pub fn entity_too_small() -> AwsError {
    AwsError::new(
        "EntityTooSmall",
        400,
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
}

pub fn invalid_part() -> AwsError {
    AwsError::new(
        "InvalidPart",
        400,
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
    )
}

pub fn invalid_part_order() -> AwsError {
    AwsError::new(
        "InvalidPartOrder",
        400,
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )
}

pub fn invalid_tag(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidTag", 400, message)
}

pub fn malformed_policy(reason: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicy", 400, reason)
}

pub fn no_such_bucket_policy() -> AwsError {
    AwsError::new(
        "NoSuchBucketPolicy",
        404,
        "The bucket policy does not exist",
    )
}

pub fn no_such_tag_set() -> AwsError {
    AwsError::new("NoSuchTagSet", 404, "The TagSet does not exist")
}

pub fn no_such_version() -> AwsError {
    AwsError::new(
        "NoSuchVersion",
        404,
        "The specified version does not exist.",
    )
}

pub fn method_not_allowed() -> AwsError {
    AwsError::new(
        "MethodNotAllowed",
        405,
        "The specified method is not allowed against this resource.",
    )
}
