//! Why a request's authentication failed, and the AWS error each service family answers for it.

use gureum_core::AwsError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The signature or its parameters are malformed.
    #[error("malformed authorization: {0}")]
    Malformed(String),
    /// Not AWS4-HMAC-SHA256.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The access key id is unknown or inactive.
    #[error("unknown access key")]
    UnknownAccessKey,
    /// The signature does not match.
    #[error("signature mismatch")]
    SignatureMismatch {
        string_to_sign: String,
        canonical_request: String,
    },
    /// The signing time is more than 15 minutes from now.
    #[error("request time too skewed")]
    Skewed { signed: String, now: i64 },
    /// A presigned URL used before its signing time.
    #[error("request not yet valid")]
    NotYetValid,
    /// A presigned URL used after it expired.
    #[error("request has expired")]
    PresignExpired { expires_at: i64, now: i64 },
    /// Session credentials past their expiry.
    #[error("expired token")]
    ExpiredToken,
    /// A missing, extra or wrong session token.
    #[error("invalid token")]
    InvalidToken,
    /// `x-amz-content-sha256` holds something that is neither a hash nor a known marker.
    #[error("bad x-amz-content-sha256")]
    BadContentSha256,
    /// The body's hash differs from the declared one.
    #[error("content sha256 mismatch")]
    ContentSha256Mismatch { declared: String, actual: String },
    /// An aws-chunked body is malformed or a chunk signature is wrong.
    #[error("bad chunk: {0}")]
    BadChunk(String),
    /// Fewer bytes than `x-amz-decoded-content-length` said.
    #[error("incomplete body")]
    IncompleteBody,
    /// A trailing checksum differs from the payload's.
    #[error("{algorithm} checksum mismatch")]
    ChecksumMismatch { algorithm: String },
}

/// The service families whose error codes for the same failure differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFlavor {
    /// awsQuery / ec2Query services (STS, IAM, EC2...) and restXml outside S3.
    Query,
    /// JSON-speaking services (DynamoDB, KMS, Lambda...).
    Json,
    /// S3.
    S3,
}

const MISMATCH_QUERY: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const MISMATCH_S3: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

impl AuthError {
    /// The AWS error this failure answers in a service family.
    pub fn to_aws(&self, flavor: ErrorFlavor) -> AwsError {
        use ErrorFlavor::*;
        let json = flavor == Json;
        match self {
            AuthError::Malformed(msg) => match flavor {
                S3 => AwsError::new("AuthorizationHeaderMalformed", 400, msg.clone()),
                Json => AwsError::new("IncompleteSignatureException", 400, msg.clone()),
                Query => AwsError::new("IncompleteSignature", 400, msg.clone()),
            },
            AuthError::UnsupportedAlgorithm(alg) => match flavor {
                S3 => AwsError::new(
                    "InvalidArgument",
                    400,
                    format!("Unsupported Authorization Type: {alg}"),
                ),
                _ => AwsError::new(
                    if json {
                        "IncompleteSignatureException"
                    } else {
                        "IncompleteSignature"
                    },
                    400,
                    format!("Unsupported AWS 'algorithm': '{alg}'"),
                ),
            },
            AuthError::UnknownAccessKey => match flavor {
                S3 => AwsError::new(
                    "InvalidAccessKeyId",
                    403,
                    "The AWS Access Key Id you provided does not exist in our records.",
                ),
                Json => AwsError::new(
                    "UnrecognizedClientException",
                    400,
                    "The security token included in the request is invalid.",
                ),
                Query => AwsError::new(
                    "InvalidClientTokenId",
                    403,
                    "The security token included in the request is invalid.",
                ),
            },
            AuthError::SignatureMismatch { .. } => match flavor {
                S3 => AwsError::new("SignatureDoesNotMatch", 403, MISMATCH_S3),
                Json => AwsError::new("InvalidSignatureException", 400, MISMATCH_QUERY),
                Query => AwsError::new("SignatureDoesNotMatch", 403, MISMATCH_QUERY),
            },
            AuthError::Skewed { signed, now } => {
                let now = amz_date(*now);
                match flavor {
                    S3 => AwsError::new(
                        "RequestTimeTooSkewed",
                        403,
                        "The difference between the request time and the current time is too large.",
                    ),
                    _ => AwsError::new(
                        if json {
                            "InvalidSignatureException"
                        } else {
                            "SignatureDoesNotMatch"
                        },
                        if json { 400 } else { 403 },
                        format!(
                            "Signature expired: {signed} is now earlier than {now} (15 min. skew allowed)"
                        ),
                    ),
                }
            }
            AuthError::NotYetValid => {
                AwsError::new("AccessDenied", 403, "Request is not valid yet")
            }
            AuthError::PresignExpired { .. } => {
                AwsError::new("AccessDenied", 403, "Request has expired")
            }
            AuthError::ExpiredToken => match flavor {
                S3 => AwsError::new("ExpiredToken", 400, "The provided token has expired."),
                Json => AwsError::new(
                    "ExpiredTokenException",
                    400,
                    "The security token included in the request is expired",
                ),
                Query => AwsError::new(
                    "ExpiredToken",
                    403,
                    "The security token included in the request is expired",
                ),
            },
            AuthError::InvalidToken => match flavor {
                S3 => AwsError::new(
                    "InvalidToken",
                    400,
                    "The provided token is malformed or otherwise invalid.",
                ),
                Json => AwsError::new(
                    "UnrecognizedClientException",
                    400,
                    "The security token included in the request is invalid.",
                ),
                Query => AwsError::new(
                    "InvalidClientTokenId",
                    403,
                    "The security token included in the request is invalid.",
                ),
            },
            AuthError::BadContentSha256 => AwsError::new(
                "InvalidArgument",
                400,
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            ),
            AuthError::ContentSha256Mismatch { .. } => AwsError::new(
                "XAmzContentSHA256Mismatch",
                400,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ),
            AuthError::BadChunk(msg) => match flavor {
                S3 => AwsError::new(
                    "SignatureDoesNotMatch",
                    403,
                    format!("{MISMATCH_S3} ({msg})"),
                ),
                _ => AwsError::new("InvalidRequest", 400, msg.clone()),
            },
            AuthError::IncompleteBody => AwsError::new(
                "IncompleteBody",
                400,
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
            ),
            AuthError::ChecksumMismatch { algorithm } => AwsError::new(
                "BadDigest",
                400,
                format!(
                    "The {} you specified did not match the calculated checksum.",
                    algorithm.to_ascii_uppercase()
                ),
            ),
        }
    }
}

fn amz_date(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
