//! KMS as other services reach it ([`gureum_core::KmsClient`]): GenerateDataKey and Decrypt on
//! behalf of the caller of the outer request (S3's SSE-KMS), authorized by the same targets as
//! a direct call plus `kms:ViaService`, then run by the same handlers.

use std::collections::BTreeMap;
use std::sync::Arc;

use gureum_core::wire::Blob;
use gureum_core::{AwsError, DataKey, KmsClient, RequestContext};
use serde_json::{Value, json};

use crate::Kms;

impl Kms {
    /// IAM's evaluator, which decides the calls other services make (set by the binary).
    pub fn set_authorizer(&self, authorizer: Arc<dyn gureum_core::Authorizer>) {
        let _ = self.authorizer.set(authorizer);
    }

    /// Authorizes `operation` with `params` for the caller of `ctx`, coming through `via`.
    fn authorize_via(
        &self,
        ctx: &RequestContext,
        via: &str,
        operation: &str,
        params: &Value,
    ) -> Result<(), AwsError> {
        let Some(authorizer) = self.authorizer.get() else {
            return Err(AwsError::internal("KMS has no authorizer wired"));
        };
        let targets: Vec<_> = crate::authz::targets(self, ctx, operation, params)
            .into_iter()
            .map(|t| t.with_context("kms:ViaService", via))
            .collect();
        authorizer.authorize(ctx, &targets)
    }
}

fn blob(out: &Value, member: &str) -> Result<Vec<u8>, AwsError> {
    out.get(member)
        .cloned()
        .and_then(|v| serde_json::from_value::<Blob>(v).ok())
        .map(|b| b.0)
        .ok_or_else(|| AwsError::internal(format!("KMS answered no {member}")))
}

fn key_arn(out: &Value) -> String {
    out.get("KeyId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl KmsClient for Kms {
    fn generate_data_key(
        &self,
        ctx: &RequestContext,
        via: &str,
        key_id: &str,
        encryption_context: &BTreeMap<String, String>,
    ) -> Result<DataKey, AwsError> {
        let params = json!({
            "KeyId": key_id,
            "KeySpec": "AES_256",
            "EncryptionContext": encryption_context,
        });
        self.authorize_via(ctx, via, "GenerateDataKey", &params)?;
        let out = crate::crypto::generate_data_key(self, ctx, params)?;
        Ok(DataKey {
            plaintext: blob(&out, "Plaintext")?,
            ciphertext_blob: blob(&out, "CiphertextBlob")?,
            key_arn: key_arn(&out),
        })
    }

    fn decrypt(
        &self,
        ctx: &RequestContext,
        via: &str,
        ciphertext_blob: &[u8],
        encryption_context: &BTreeMap<String, String>,
    ) -> Result<(Vec<u8>, String), AwsError> {
        let params = json!({
            "CiphertextBlob": Blob(ciphertext_blob.to_vec()),
            "EncryptionContext": encryption_context,
        });
        self.authorize_via(ctx, via, "Decrypt", &params)?;
        let out = crate::crypto::decrypt(self, ctx, params)?;
        Ok((blob(&out, "Plaintext")?, key_arn(&out)))
    }
}
