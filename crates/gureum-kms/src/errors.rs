//! KMS's error codes as the awsJson protocol answers them: every KMS exception in botocore's
//! model is a client fault with status 400, except `KMSInternalException` (500). Messages follow
//! AWS's (as moto records them in `moto/kms/responses.py` and `moto/kms/models.py`).

use gureum_core::AwsError;
use gureum_store::StoreError;

fn client(code: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, 400, message)
}

/// `NotFoundException` for a key id or key ARN: `Key 'arn:...' does not exist`.
pub fn key_not_found(arn: &str) -> AwsError {
    client("NotFoundException", format!("Key '{arn}' does not exist"))
}

/// `NotFoundException` for an alias: `Alias arn:... is not found.`
pub fn alias_not_found(alias_arn: &str) -> AwsError {
    client(
        "NotFoundException",
        format!("Alias {alias_arn} is not found."),
    )
}

/// `NotFoundException` for an identifier that is neither a key id nor an ARN nor an alias.
pub fn invalid_key_id(key_id: &str) -> AwsError {
    client("NotFoundException", format!("Invalid keyId {key_id}"))
}

/// `ValidationException` (the awsJson form; `AwsError::validation` is the query form).
pub fn validation(message: impl Into<String>) -> AwsError {
    client("ValidationException", message)
}

/// `DisabledException`: `arn:... is disabled.`
pub fn disabled(arn: &str) -> AwsError {
    client("DisabledException", format!("{arn} is disabled."))
}

/// `KMSInvalidStateException`: `arn:... is pending deletion.` and the like.
pub fn invalid_state(message: impl Into<String>) -> AwsError {
    client("KMSInvalidStateException", message)
}

/// `InvalidCiphertextException`, which AWS sends without a message.
pub fn invalid_ciphertext() -> AwsError {
    client("InvalidCiphertextException", "")
}

/// `IncorrectKeyException`: Decrypt named a key other than the one that encrypted the blob.
pub fn incorrect_key() -> AwsError {
    client(
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
}

/// `InvalidKeyUsageException`: the key cannot do what the request asks.
pub fn invalid_key_usage(message: impl Into<String>) -> AwsError {
    client("InvalidKeyUsageException", message)
}

/// `KMSInvalidMacException`: VerifyMac was given a MAC the key and message do not produce
/// (the message is the exception's description in botocore's model).
pub fn invalid_mac() -> AwsError {
    client(
        "KMSInvalidMacException",
        "The request was rejected because the HMAC verification failed.",
    )
}

/// `AlreadyExistsException`.
pub fn already_exists(message: impl Into<String>) -> AwsError {
    client("AlreadyExistsException", message)
}

/// `NotAuthorizedException`: aliases under `alias/aws/` belong to AWS managed keys.
pub fn not_authorized(message: impl Into<String>) -> AwsError {
    client("NotAuthorizedException", message)
}

/// `TagException`: a tag AWS refuses (the `aws:` prefix is reserved).
pub fn tag(message: impl Into<String>) -> AwsError {
    client("TagException", message)
}

/// `MalformedPolicyDocumentException`.
pub fn malformed_policy(message: impl Into<String>) -> AwsError {
    client("MalformedPolicyDocumentException", message)
}

/// `UnsupportedOperationException`.
pub fn unsupported(message: impl Into<String>) -> AwsError {
    client("UnsupportedOperationException", message)
}

/// `KMSInternalException` (500): the store failed underneath an operation.
pub fn store(e: StoreError) -> AwsError {
    AwsError::new(
        "KMSInternalException",
        500,
        format!("KMS storage failed: {e}"),
    )
}

/// `KMSInvalidSignatureException`: Verify was given a signature the key and message do not
/// produce (the message is the exception's description in botocore's model).
pub fn invalid_signature() -> AwsError {
    client(
        "KMSInvalidSignatureException",
        "The request was rejected because the signature verification failed. Signature verification fails when it cannot confirm that signature was produced by signing the provided message with the provided KMS key and signing algorithm.",
    )
}

/// `InvalidImportTokenException`: the import token is not the key's current one.
pub fn invalid_import_token() -> AwsError {
    client(
        "InvalidImportTokenException",
        "The import token is invalid or is associated with a different KMS key.",
    )
}

/// `ExpiredImportTokenException`: the import token's 24 hours have passed.
pub fn expired_import_token() -> AwsError {
    client(
        "ExpiredImportTokenException",
        "The import token has expired. Use GetParametersForImport to get a new import token and public key.",
    )
}

/// `IncorrectKeyMaterialException`: the material is not the one the key had before.
pub fn incorrect_key_material() -> AwsError {
    client(
        "IncorrectKeyMaterialException",
        "The key material in the request is, expired, invalid, or is not the same key material that was previously imported into this KMS key.",
    )
}

/// `KMSInternalException` for a stored private key that does not parse.
pub fn corrupt_key() -> AwsError {
    AwsError::new(
        "KMSInternalException",
        500,
        "stored key material is corrupt",
    )
}

/// `DryRunOperationException` (412): the request would have succeeded, but `DryRun` was set.
pub fn dry_run() -> AwsError {
    AwsError::new(
        "DryRunOperationException",
        412,
        "The request would have succeeded, but the DryRun option is set.",
    )
}
