//! The client trait other services use to reach KMS (S3's SSE-KMS): data keys generated and
//! decrypted on behalf of the caller of the outer request, authorized like a direct KMS call.

use std::collections::BTreeMap;

use crate::context::RequestContext;
use crate::error::AwsError;

/// A fresh data key: its plaintext (to use and forget), its ciphertext under the KMS key (to
/// store), and the ARN of the key that encrypted it.
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub ciphertext_blob: Vec<u8>,
    pub key_arn: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("key_arn", &self.key_arn)
            .finish_non_exhaustive()
    }
}

/// KMS as another service calls it. `via` is the calling service's endpoint name
/// (`s3.us-east-1.amazonaws.com`), given to the key policy as `kms:ViaService`; the caller's
/// permissions (key policy, grants, IAM) are checked for `kms:GenerateDataKey`/`kms:Decrypt`
/// exactly as for a direct call, and a refusal or a key that cannot be used answers KMS's own
/// error (`AccessDenied`, `DisabledException`, `NotFoundException`, ...).
pub trait KmsClient: Send + Sync {
    /// A new 256-bit data key under the key `key_id` names (key id, key ARN, alias name or alias
    /// ARN; an AWS managed alias such as `alias/aws/s3` is created on first use).
    fn generate_data_key(
        &self,
        ctx: &RequestContext,
        via: &str,
        key_id: &str,
        encryption_context: &BTreeMap<String, String>,
    ) -> Result<DataKey, AwsError>;

    /// The plaintext of a data key from [`KmsClient::generate_data_key`], with the key ARN.
    fn decrypt(
        &self,
        ctx: &RequestContext,
        via: &str,
        ciphertext_blob: &[u8],
        encryption_context: &BTreeMap<String, String>,
    ) -> Result<(Vec<u8>, String), AwsError>;
}
