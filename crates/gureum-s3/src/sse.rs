//! Server-side encryption: SSE-S3, SSE-KMS and SSE-C, with object bodies encrypted at rest.
//!
//! Every encrypted body is a blob in the segmented format below, under a random 256-bit data
//! key of its own (a multipart upload's parts and the object they make share the upload's key).
//! The data key is kept only wrapped, in the object's [`Encryption`]:
//! - SSE-S3 (`AES256`): sealed under the instance's master key (`gureum_store::Sealer`);
//! - SSE-KMS (`aws:kms`): as a KMS data key ciphertext, obtained and opened through
//!   [`gureum_core::KmsClient`] with the caller's own permissions (`kms:GenerateDataKey`,
//!   `kms:Decrypt`, `kms:ViaService` = `s3.<region>.amazonaws.com`), under the encryption context
//!   `aws:s3:arn` = the object's ARN (the bucket's with an S3 Bucket Key) plus the caller's;
//! - SSE-C: wrapped under the customer's key, which is never stored: only a salted HMAC of it
//!   (to tell a wrong key, 403) and its MD5 (which S3 answers back). While an SSE-C multipart
//!   upload is in progress its data key is also sealed under the master key in the upload record
//!   (CompleteMultipartUpload need not carry the customer key); completing drops it.
//!
//! Blob format: a 16-byte header (`GRMSSE01` and an 8-byte random nonce prefix), then the
//! plaintext in 64 KiB segments, each AES-256-GCM encrypted (ciphertext || 16-byte tag) with the
//! nonce `prefix || segment index` and the header, the index and a final-segment flag as
//! associated data: a segment moved, dropped, swapped from another object or cut off at the
//! end fails authentication. An empty body is one empty final segment. Segments let uploads
//! and downloads stream and ranged GETs decrypt only the segments they touch.
//!
//! ETags follow S3: the MD5 of the plaintext for SSE-S3; for SSE-C and SSE-KMS an opaque value
//! that is not the MD5 (an HMAC of it under the data key). SSE-C over plain HTTP: S3 refuses
//! it, gureum accepts it because it serves HTTP on loopback only by default.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadInOut, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine;
use gureum_core::wire::Blob;
use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{BlobWriter, StoreError};
use hmac::Mac;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::model::Bucket;
use crate::{S3, bool_param, errors, str_param};

/// Plaintext bytes per segment.
pub const SEGMENT: u64 = 64 * 1024;
const TAG: u64 = 16;
const HEADER: u64 = 16;
const MAGIC: &[u8; 8] = b"GRMSSE01";
/// What the data key is sealed to under the master key.
const SEAL_CONTEXT: &[u8] = b"gureum-s3-sse-data-key";
/// What a cold store key is sealed to under the master key, followed by its cold blob's id.
const COLD_SEAL_CONTEXT: &[u8] = b"gureum-s3-cold-data-key:";
const CUSTOMER_WRAP_AAD: &[u8] = b"gureum-s3-sse-c-data-key";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How an object (or a multipart upload) is encrypted, with its wrapped data key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "mode")]
pub enum Encryption {
    /// SSE-S3: the data key sealed under the instance's master key.
    #[serde(rename = "s3")]
    S3 { sealed_key: Blob },
    /// SSE-KMS: the data key as KMS encrypted it under `key_arn` with `context`.
    #[serde(rename = "kms")]
    Kms {
        key_arn: String,
        ciphertext: Blob,
        context: BTreeMap<String, String>,
        bucket_key: bool,
        /// The caller gave an encryption context of its own (answered back on writes).
        #[serde(default)]
        caller_context: bool,
        /// Asked for as `aws:kms:dsse` (answered back as such; encrypted the same way).
        #[serde(default)]
        dsse: bool,
    },
    /// SSE-C: the data key wrapped under the customer's key, which is not stored.
    #[serde(rename = "customer")]
    Customer {
        /// Base64 MD5 of the customer key, as S3 answers it.
        key_md5: String,
        salt: Blob,
        /// HMAC-SHA256 of the customer key under `salt`.
        key_hmac: Blob,
        wrapped_key: Blob,
    },
}

impl Encryption {
    /// Whether the ETag is the MD5 of the plaintext (SSE-S3), as S3 answers it.
    pub fn etag_is_md5(this: Option<&Encryption>) -> bool {
        matches!(this, None | Some(Encryption::S3 { .. }))
    }
}

/// A bucket's default encryption (PutBucketEncryption); `None` on the bucket means SSE-S3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BucketEncryption {
    pub algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub bucket_key: bool,
}

/// An object's data key, in the clear for the length of one request.
pub struct DataKey {
    key: [u8; 32],
}

impl DataKey {
    fn random() -> Self {
        let mut key = [0u8; 32];
        gureum_core::ids::random_bytes(&mut key);
        DataKey { key }
    }

    fn from_slice(bytes: &[u8]) -> Result<Self, AwsError> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| AwsError::internal("a data key is not 256 bits"))?;
        Ok(DataKey { key })
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.key.into())
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.key = [0u8; 32];
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The ETag of a body whose plaintext MD5 is `md5`, under `encryption`.
pub fn etag(encryption: Option<&Encryption>, key: Option<&DataKey>, md5: &[u8; 16]) -> String {
    match key {
        Some(key) if !Encryption::etag_is_md5(encryption) => {
            let mac = hmac(&key.key, md5);
            format!("\"{}\"", hex::encode(&mac[..16]))
        }
        _ => format!("\"{}\"", hex::encode(md5)),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors, as S3 answers them.

fn unsupported_method() -> AwsError {
    errors::invalid_argument("The encryption method specified is not supported")
}

fn invalid_algorithm() -> AwsError {
    AwsError::new(
        "InvalidEncryptionAlgorithmError",
        400,
        "The Encryption request you specified is not valid. Supported value: AES256.",
    )
}

fn customer_key_required() -> AwsError {
    errors::invalid_request(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    )
}

fn not_applicable() -> AwsError {
    errors::invalid_request("The encryption parameters are not applicable to this object.")
}

fn wrong_customer_key() -> AwsError {
    AwsError::access_denied("Access Denied")
}

/// A KMS error as S3 surfaces it: `AccessDenied` stays; the others become `KMS.<code>`.
fn kms_error(e: AwsError) -> AwsError {
    if e.code == "AccessDenied" || e.code == "AccessDeniedException" {
        return AwsError::access_denied(e.message);
    }
    if e.status >= 500 {
        return e;
    }
    AwsError::new(format!("KMS.{}", e.code), e.status, e.message)
}

fn storage_error(e: StoreError) -> AwsError {
    errors::store(e)
}

// ---------------------------------------------------------------------------------------------
// Request headers.

/// The SSE-C key a request carries under `prefix` (`SSECustomer` or `CopySourceSSECustomer`):
/// the 32-byte key and its base64 MD5, checked as S3 checks them.
fn customer_key(p: &Value, prefix: &str) -> Result<Option<([u8; 32], String)>, AwsError> {
    // The member names as constants: this runs on every object read and write.
    let [algorithm, key, md5] = match prefix {
        "SSECustomer" => [
            "SSECustomerAlgorithm",
            "SSECustomerKey",
            "SSECustomerKeyMD5",
        ],
        "CopySourceSSECustomer" => [
            "CopySourceSSECustomerAlgorithm",
            "CopySourceSSECustomerKey",
            "CopySourceSSECustomerKeyMD5",
        ],
        _ => return Err(AwsError::internal("unknown SSE-C member prefix")),
    };
    let algorithm = str_param(p, algorithm);
    let key = str_param(p, key);
    let md5 = str_param(p, md5);
    if algorithm.is_none() && key.is_none() && md5.is_none() {
        return Ok(None);
    }
    let Some(algorithm) = algorithm else {
        return Err(errors::invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
        ));
    };
    if algorithm != "AES256" {
        return Err(invalid_algorithm());
    }
    let Some(key) = key else {
        return Err(errors::invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        ));
    };
    let bytes = B64
        .decode(key.trim())
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .ok_or_else(|| {
            errors::invalid_argument("The secret key was invalid for the specified algorithm.")
        })?;
    let actual = B64.encode(crate::md5::md5(&bytes));
    let Some(md5) = md5 else {
        return Err(errors::invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
        ));
    };
    if md5.trim() != actual {
        return Err(errors::invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided.",
        ));
    }
    Ok(Some((bytes, actual)))
}

/// The caller's `x-amz-server-side-encryption-context`: base64 JSON of string pairs.
fn caller_context(p: &Value) -> Result<BTreeMap<String, String>, AwsError> {
    let Some(text) = str_param(p, "SSEKMSEncryptionContext") else {
        return Ok(BTreeMap::new());
    };
    let bad = || {
        errors::invalid_argument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
        )
    };
    let json = B64.decode(text.trim()).map_err(|_| bad())?;
    let map: BTreeMap<String, Value> = serde_json::from_slice(&json).map_err(|_| bad())?;
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            _ => Err(bad()),
        })
        .collect()
}

fn via(ctx: &RequestContext) -> String {
    format!("s3.{}.amazonaws.com", ctx.region)
}

fn kms(s3: &S3) -> Result<&Arc<dyn gureum_core::KmsClient>, AwsError> {
    s3.kms.get().ok_or_else(|| {
        AwsError::new(
            "NotImplemented",
            501,
            "SSE-KMS needs KMS, which is not wired",
        )
    })
}

fn seal_key(s3: &S3, key: &DataKey) -> Result<Blob, AwsError> {
    s3.storage
        .sealer
        .seal(&key.key, SEAL_CONTEXT)
        .map(Blob)
        .map_err(storage_error)
}

fn unseal_key(s3: &S3, sealed: &Blob) -> Result<DataKey, AwsError> {
    let clear = s3
        .storage
        .sealer
        .unseal(&sealed.0, SEAL_CONTEXT)
        .map_err(storage_error)?;
    DataKey::from_slice(&clear)
}

/// A fresh SSE-S3 data key and the [`Encryption`] that keeps it sealed under the master key.
pub(crate) fn new_s3_key(s3: &S3) -> Result<(Encryption, DataKey), AwsError> {
    let data_key = DataKey::random();
    let sealed_key = seal_key(s3, &data_key)?;
    Ok((Encryption::S3 { sealed_key }, data_key))
}

/// The data key of a body encrypted as `encryption` that the server may open on its own, with
/// no caller behind it (lifecycle transitions, the cold store): SSE-S3's, sealed under the
/// master key. `None` for a plain body, and for SSE-KMS (opening its key is a KMS call made
/// with a caller's permissions) and SSE-C (the server never holds the customer's key).
pub(crate) fn server_key(
    s3: &S3,
    encryption: Option<&Encryption>,
) -> Result<Option<DataKey>, AwsError> {
    match encryption {
        Some(Encryption::S3 { sealed_key }) => unseal_key(s3, sealed_key).map(Some),
        _ => Ok(None),
    }
}

fn cold_seal_context(cold_blob_id: &str) -> Vec<u8> {
    [COLD_SEAL_CONTEXT, cold_blob_id.as_bytes()].concat()
}

/// A fresh key for cold blob `cold_blob_id` and that key sealed under the master key, bound to
/// the blob's id (a sealed key moved to another cold blob's record does not open).
pub(crate) fn new_cold_key(s3: &S3, cold_blob_id: &str) -> Result<(DataKey, Blob), AwsError> {
    let key = DataKey::random();
    let sealed = s3
        .storage
        .sealer
        .seal(&key.key, &cold_seal_context(cold_blob_id))
        .map_err(storage_error)?;
    Ok((key, Blob(sealed)))
}

/// The key of cold blob `cold_blob_id`, from its sealed form ([`new_cold_key`]).
pub(crate) fn open_cold_key(
    s3: &S3,
    cold_blob_id: &str,
    sealed: &Blob,
) -> Result<DataKey, AwsError> {
    let clear = s3
        .storage
        .sealer
        .unseal(&sealed.0, &cold_seal_context(cold_blob_id))
        .map_err(storage_error)?;
    DataKey::from_slice(&clear)
}

/// The encryption of a new object (PutObject, CopyObject's destination, a multipart upload)
/// of `bucket_name/key`: as the request asks, else the bucket's default; and its fresh data key.
pub fn for_new_object(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    bucket: &Bucket,
    key: &str,
) -> Result<(Encryption, DataKey), AwsError> {
    let customer = customer_key(p, "SSECustomer")?;
    let requested = str_param(p, "ServerSideEncryption");
    if let Some((customer_key, key_md5)) = customer {
        if requested.is_some() || str_param(p, "SSEKMSKeyId").is_some() {
            return Err(errors::invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            ));
        }
        let data_key = DataKey::random();
        let mut salt = [0u8; 16];
        gureum_core::ids::random_bytes(&mut salt);
        let mut nonce = [0u8; 12];
        gureum_core::ids::random_bytes(&mut nonce);
        let wrapped = Aes256Gcm::new(&customer_key.into())
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &data_key.key,
                    aad: CUSTOMER_WRAP_AAD,
                },
            )
            .map_err(|_| AwsError::internal("wrapping the data key failed"))?;
        let mut wrapped_key = nonce.to_vec();
        wrapped_key.extend_from_slice(&wrapped);
        let encryption = Encryption::Customer {
            key_md5,
            key_hmac: Blob(hmac(&salt, &customer_key).to_vec()),
            salt: Blob(salt.to_vec()),
            wrapped_key: Blob(wrapped_key),
        };
        return Ok((encryption, data_key));
    }
    let default = bucket.encryption.clone().unwrap_or(BucketEncryption {
        algorithm: "AES256".into(),
        kms_key_id: None,
        bucket_key: false,
    });
    let algorithm = requested.unwrap_or(default.algorithm.as_str());
    match algorithm {
        "AES256" => {
            if str_param(p, "SSEKMSKeyId").is_some() {
                return Err(errors::invalid_argument(
                    "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                ));
            }
            new_s3_key(s3)
        }
        "aws:kms" | "aws:kms:dsse" => {
            let key_id = match str_param(p, "SSEKMSKeyId").filter(|k| !k.is_empty()) {
                Some(k) => k.to_string(),
                None if default.algorithm.starts_with("aws:kms") => default
                    .kms_key_id
                    .clone()
                    .unwrap_or_else(|| "alias/aws/s3".into()),
                None => "alias/aws/s3".into(),
            };
            let bucket_key = if p.get("BucketKeyEnabled").is_some() {
                bool_param(p, "BucketKeyEnabled")
            } else {
                default.bucket_key
            };
            let mut context = caller_context(p)?;
            let caller_context = !context.is_empty();
            let arn = if bucket_key {
                crate::bucket_arn(&bucket.name)
            } else {
                crate::object_arn(&bucket.name, key)
            };
            context.insert("aws:s3:arn".into(), arn);
            let generated = kms(s3)?
                .generate_data_key(ctx, &via(ctx), &key_id, &context)
                .map_err(kms_error)?;
            let data_key = DataKey::from_slice(&generated.plaintext)?;
            Ok((
                Encryption::Kms {
                    key_arn: generated.key_arn,
                    ciphertext: Blob(generated.ciphertext_blob),
                    context,
                    bucket_key,
                    caller_context,
                    dsse: algorithm == "aws:kms:dsse",
                },
                data_key,
            ))
        }
        _ => Err(unsupported_method()),
    }
}

/// Checks the SSE-C key a request gives (under `prefix`) against `encryption`, as S3 does on
/// HEAD and before any read: the key is required for an SSE-C object, refused for others.
pub fn check_customer(
    p: &Value,
    encryption: Option<&Encryption>,
    prefix: &str,
) -> Result<Option<[u8; 32]>, AwsError> {
    let given = customer_key(p, prefix)?;
    match (encryption, given) {
        (Some(Encryption::Customer { salt, key_hmac, .. }), Some((key, _))) => {
            let mac = hmac(&salt.0, &key);
            // Compared in constant time.
            let differs = mac.len() != key_hmac.0.len()
                || mac
                    .iter()
                    .zip(&key_hmac.0)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    != 0;
            if differs {
                return Err(wrong_customer_key());
            }
            Ok(Some(key))
        }
        (Some(Encryption::Customer { .. }), None) => Err(customer_key_required()),
        (_, Some(_)) => Err(not_applicable()),
        (_, None) => Ok(None),
    }
}

/// The data key of an existing object (or upload) encrypted as `encryption`, for the caller of
/// `ctx` whose request carries SSE-C headers under `prefix`. `None` for a plain object.
pub fn open_key(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    encryption: Option<&Encryption>,
    prefix: &str,
) -> Result<Option<DataKey>, AwsError> {
    let customer = check_customer(p, encryption, prefix)?;
    let Some(encryption) = encryption else {
        return Ok(None);
    };
    let key = match encryption {
        Encryption::S3 { sealed_key } => unseal_key(s3, sealed_key)?,
        Encryption::Kms {
            ciphertext,
            context,
            ..
        } => {
            let (plaintext, _) = kms(s3)?
                .decrypt(ctx, &via(ctx), &ciphertext.0, context)
                .map_err(kms_error)?;
            DataKey::from_slice(&plaintext)?
        }
        Encryption::Customer { wrapped_key, .. } => {
            let customer = customer.ok_or_else(customer_key_required)?;
            if wrapped_key.0.len() < 12 {
                return Err(AwsError::internal("a wrapped data key is corrupt"));
            }
            let (nonce, sealed) = wrapped_key.0.split_at(12);
            let nonce: [u8; 12] = nonce.try_into().expect("split at 12");
            let clear = Aes256Gcm::new(&customer.into())
                .decrypt(
                    &nonce.into(),
                    Payload {
                        msg: sealed,
                        aad: CUSTOMER_WRAP_AAD,
                    },
                )
                .map_err(|_| wrong_customer_key())?;
            DataKey::from_slice(&clear)?
        }
    };
    Ok(Some(key))
}

/// What a multipart upload keeps besides its [`Encryption`]: for SSE-C, the data key sealed
/// under the master key until the upload completes or is aborted.
pub fn upload_key(
    s3: &S3,
    encryption: &Encryption,
    key: &DataKey,
) -> Result<Option<Blob>, AwsError> {
    match encryption {
        Encryption::Customer { .. } => seal_key(s3, key).map(Some),
        _ => Ok(None),
    }
}

/// The data key of a multipart upload, for a part (with the request's SSE-C key checked) or for
/// completing it (`require_customer = false`: the sealed copy serves).
pub fn open_upload_key(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    encryption: Option<&Encryption>,
    sealed: Option<&Blob>,
    require_customer: bool,
) -> Result<Option<DataKey>, AwsError> {
    match (encryption, sealed) {
        (Some(Encryption::Customer { .. }), Some(sealed)) => {
            // A part must carry the upload's customer key; completing need not, but a key it
            // gives must be the right one.
            if require_customer || customer_key(p, "SSECustomer")?.is_some() {
                check_customer(p, encryption, "SSECustomer")?;
            }
            unseal_key(s3, sealed).map(Some)
        }
        _ => open_key(s3, ctx, p, encryption, "SSECustomer"),
    }
}

/// The encryption headers of a write as bucket policy condition keys
/// (`s3:x-amz-server-side-encryption`, `s3:x-amz-server-side-encryption-aws-kms-key-id`,
/// `s3:x-amz-server-side-encryption-customer-algorithm`): only those the request sent, so
/// `Null` conditions see the others absent, as in S3.
pub fn with_condition_keys(
    mut target: gureum_core::AuthzTarget,
    p: &Value,
) -> gureum_core::AuthzTarget {
    for (member, key) in [
        ("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
        (
            "SSEKMSKeyId",
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
        ),
        (
            "SSECustomerAlgorithm",
            "s3:x-amz-server-side-encryption-customer-algorithm",
        ),
    ] {
        if let Some(v) = str_param(p, member) {
            target = target.with_context(key, v);
        }
    }
    target
}

/// The response members that describe `encryption` (GET, HEAD, PUT, copy, multipart).
/// `with_context` adds the KMS encryption context the caller gave (write responses).
pub fn response_fields(
    out: &mut Map<String, Value>,
    encryption: Option<&Encryption>,
    with_context: bool,
) {
    match encryption {
        None => {}
        Some(Encryption::S3 { .. }) => {
            out.insert("ServerSideEncryption".into(), "AES256".into());
        }
        Some(Encryption::Kms {
            key_arn,
            context,
            bucket_key,
            caller_context,
            dsse,
            ..
        }) => {
            let algorithm = if *dsse { "aws:kms:dsse" } else { "aws:kms" };
            out.insert("ServerSideEncryption".into(), algorithm.into());
            out.insert("SSEKMSKeyId".into(), key_arn.clone().into());
            if *bucket_key {
                out.insert("BucketKeyEnabled".into(), true.into());
            }
            if with_context && *caller_context {
                let text = serde_json::to_string(context).unwrap_or_default();
                out.insert("SSEKMSEncryptionContext".into(), B64.encode(text).into());
            }
        }
        Some(Encryption::Customer { key_md5, .. }) => {
            out.insert("SSECustomerAlgorithm".into(), "AES256".into());
            out.insert("SSECustomerKeyMD5".into(), key_md5.clone().into());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The segmented blob format.

fn nonce(prefix: &[u8; 8], index: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(prefix);
    n[8..].copy_from_slice(&(index as u32).to_be_bytes());
    n
}

fn aad(header: &[u8; 16], index: u64, last: bool) -> [u8; 25] {
    let mut a = [0u8; 25];
    a[..16].copy_from_slice(header);
    a[16..24].copy_from_slice(&index.to_be_bytes());
    a[24] = u8::from(last);
    a
}

/// The number of segments of a `size`-byte plaintext (at least one).
fn segments(size: u64) -> u64 {
    size.div_ceil(SEGMENT).max(1)
}

/// The stored length of a `size`-byte plaintext.
pub fn encrypted_len(size: u64) -> u64 {
    HEADER + segments(size) * TAG + size
}

/// Encrypts segment by segment into the blob it wraps.
struct Encrypting {
    inner: Box<dyn BlobWriter>,
    cipher: Aes256Gcm,
    header: [u8; 16],
    prefix: [u8; 8],
    index: u64,
    buf: Vec<u8>,
    written: u64,
}

impl Encrypting {
    /// Seals the buffered segment in place (its tag appended) and writes it.
    fn seal(&mut self, last: bool) -> gureum_store::Result<()> {
        let tag = self
            .cipher
            .encrypt_inout_detached(
                &nonce(&self.prefix, self.index).into(),
                &aad(&self.header, self.index, last),
                self.buf.as_mut_slice().into(),
            )
            .map_err(|_| StoreError::Engine("encrypting a segment failed".into()))?;
        self.buf.extend_from_slice(&tag);
        self.inner.write_chunk(&self.buf)?;
        self.index += 1;
        self.buf.clear();
        Ok(())
    }
}

impl BlobWriter for Encrypting {
    fn write_chunk(&mut self, mut data: &[u8]) -> gureum_store::Result<()> {
        self.written += data.len() as u64;
        while !data.is_empty() {
            // A full segment is sealed only once more data shows it is not the last.
            if self.buf.len() as u64 == SEGMENT {
                self.seal(false)?;
            }
            let take = ((SEGMENT as usize) - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn commit(mut self: Box<Self>) -> gureum_store::Result<u64> {
        self.seal(true)?;
        let written = self.written;
        self.inner.commit()?;
        Ok(written)
    }
}

/// A writer for blob `blob_id`: encrypting under `key` when there is one.
pub fn writer(
    s3: &S3,
    blob_id: &str,
    key: Option<&DataKey>,
) -> Result<Box<dyn BlobWriter>, AwsError> {
    // Small bodies may be kept beside the records; the cold store stays a place of its own.
    let inner = if crate::glacier::is_cold(blob_id) {
        s3.storage.blobs.writer(blob_id)
    } else {
        s3.storage.blobs.writer_inline(blob_id)
    };
    let mut inner = inner.map_err(storage_error)?;
    let Some(key) = key else {
        return Ok(inner);
    };
    let mut prefix = [0u8; 8];
    gureum_core::ids::random_bytes(&mut prefix);
    let mut header = [0u8; 16];
    header[..8].copy_from_slice(MAGIC);
    header[8..].copy_from_slice(&prefix);
    inner.write_chunk(&header).map_err(storage_error)?;
    Ok(Box::new(Encrypting {
        inner,
        cipher: key.cipher(),
        header,
        prefix,
        index: 0,
        buf: Vec::with_capacity((SEGMENT + TAG) as usize),
        written: 0,
    }))
}

/// Stores `data` as blob `blob_id`, encrypted under `key` when there is one.
pub fn put(s3: &S3, blob_id: &str, data: &[u8], key: Option<&DataKey>) -> Result<(), AwsError> {
    let mut w = writer(s3, blob_id, key)?;
    w.write_chunk(data).map_err(storage_error)?;
    w.commit().map(drop).map_err(storage_error)
}

/// Decrypts the segments a range touches, one at a time.
struct Decrypting {
    source: gureum_store::BlobReader,
    cipher: Aes256Gcm,
    header: [u8; 16],
    prefix: [u8; 8],
    size: u64,
    next: u64,
    buf: Vec<u8>,
    pos: usize,
    skip: usize,
    remaining: u64,
}

impl Read for Decrypting {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || out.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.buf.len() {
            let total = segments(self.size);
            if self.next >= total {
                return Ok(0);
            }
            let last = self.next == total - 1;
            let plain = if last {
                self.size - self.next * SEGMENT
            } else {
                SEGMENT
            };
            // The sealed segment is read into the buffer the last one used and opened in place.
            self.pos = 0;
            self.buf.resize((plain + TAG) as usize, 0);
            if let Err(e) = self.source.read_exact(&mut self.buf) {
                self.buf.clear();
                return Err(e);
            }
            let (body, tag) = self.buf.split_at_mut(plain as usize);
            let tag: [u8; 16] = (&*tag).try_into().expect("16 bytes");
            let opened = self.cipher.decrypt_inout_detached(
                &nonce(&self.prefix, self.next).into(),
                &aad(&self.header, self.next, last),
                body.into(),
                &tag.into(),
            );
            if opened.is_err() {
                // Nothing of a segment that failed its check is ever handed out.
                self.buf.clear();
                return Err(io::Error::other(
                    "an encrypted object body failed authentication",
                ));
            }
            self.buf.truncate(plain as usize);
            self.pos = self.skip;
            self.skip = 0;
            self.next += 1;
        }
        let n = (self.buf.len() - self.pos)
            .min(out.len())
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A reader over `len` plaintext bytes from `first` of blob `blob_id`, which holds a `size`-byte
/// body, encrypted under `key` when there is one.
pub fn reader(
    s3: &S3,
    blob_id: &str,
    size: u64,
    key: Option<&DataKey>,
    first: u64,
    len: u64,
) -> Result<Box<dyn Read + Send>, AwsError> {
    let mut source = s3
        .storage
        .blobs
        .open(blob_id)
        .map_err(storage_error)?
        .ok_or_else(|| AwsError::internal("object body missing"))?;
    let Some(key) = key else {
        source
            .seek(SeekFrom::Start(first))
            .map_err(|e| storage_error(e.into()))?;
        return Ok(Box::new(source.take(len)));
    };
    let corrupt = || AwsError::internal("an encrypted object body is corrupt");
    if source.len() != encrypted_len(size) {
        return Err(corrupt());
    }
    let mut header = [0u8; 16];
    source
        .read_exact(&mut header)
        .map_err(|e| storage_error(e.into()))?;
    if &header[..8] != MAGIC {
        return Err(corrupt());
    }
    let prefix: [u8; 8] = header[8..].try_into().expect("8 bytes");
    let segment = first / SEGMENT;
    source
        .seek(SeekFrom::Start(HEADER + segment * (SEGMENT + TAG)))
        .map_err(|e| storage_error(e.into()))?;
    Ok(Box::new(Decrypting {
        source,
        cipher: key.cipher(),
        header,
        prefix,
        size,
        next: segment,
        buf: Vec::new(),
        pos: 0,
        skip: (first - segment * SEGMENT) as usize,
        remaining: len,
    }))
}

/// Reads `len` plaintext bytes from `first` of blob `blob_id` (a `size`-byte body) into memory.
/// A body sealed in a single segment is decrypted in place in the buffer the store answers,
/// with no reader and no copies but the final shift; any other goes through [`reader`].
pub fn read_small(
    s3: &S3,
    blob_id: &str,
    size: u64,
    key: Option<&DataKey>,
    first: u64,
    len: u64,
) -> Result<Vec<u8>, AwsError> {
    let Some(key) = key.filter(|_| size <= SEGMENT && first + len <= size) else {
        return read_all(reader(s3, blob_id, size, key, first, len)?, len);
    };
    let mut stored = s3
        .storage
        .blobs
        .get(blob_id)
        .map_err(storage_error)?
        .ok_or_else(|| AwsError::internal("object body missing"))?;
    let corrupt = || AwsError::internal("an encrypted object body is corrupt");
    if stored.len() as u64 != encrypted_len(size) || &stored[..8] != MAGIC {
        return Err(corrupt());
    }
    let header: [u8; 16] = stored[..HEADER as usize].try_into().expect("16 bytes");
    let prefix: [u8; 8] = header[8..].try_into().expect("8 bytes");
    let (body, tag) = stored[HEADER as usize..].split_at_mut(size as usize);
    let tag: [u8; 16] = (&*tag).try_into().map_err(|_| corrupt())?;
    key.cipher()
        .decrypt_inout_detached(
            &nonce(&prefix, 0).into(),
            &aad(&header, 0, true),
            body.into(),
            &tag.into(),
        )
        .map_err(|_| {
            AwsError::internal(
                "reading the object failed: an encrypted object body failed authentication",
            )
        })?;
    let start = (HEADER + first) as usize;
    stored.truncate(start + len as usize);
    stored.drain(..start);
    Ok(stored)
}

/// Reads a whole range into memory.
pub fn read_all(mut reader: Box<dyn Read + Send>, len: u64) -> Result<Vec<u8>, AwsError> {
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    reader
        .read_to_end(&mut out)
        .map_err(|e| AwsError::internal(format!("reading the object failed: {e}")))?;
    Ok(out)
}

/// Copies `size` plaintext bytes from one blob to a new one, decrypting with `from` and
/// encrypting with `to`; answers the plaintext's MD5.
#[allow(clippy::too_many_arguments)]
pub fn copy_blob(
    s3: &S3,
    source_blob: &str,
    size: u64,
    from: Option<&DataKey>,
    first: u64,
    len: u64,
    dest_blob: &str,
    to: Option<&DataKey>,
) -> Result<[u8; 16], AwsError> {
    let mut reader = reader(s3, source_blob, size, from, first, len)?;
    let mut w = writer(s3, dest_blob, to)?;
    let mut md5 = crate::md5::Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| AwsError::internal(format!("copy failed: {e}")))?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        w.write_chunk(&buf[..n]).map_err(storage_error)?;
    }
    w.commit().map_err(storage_error)?;
    Ok(md5.finish())
}

// ---------------------------------------------------------------------------------------------
// PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption.

pub fn put_bucket_encryption(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    let rules = p
        .pointer("/ServerSideEncryptionConfiguration/Rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let [rule] = rules.as_slice() else {
        return Err(errors::malformed_xml());
    };
    let default = rule
        .get("ApplyServerSideEncryptionByDefault")
        .ok_or_else(errors::malformed_xml)?;
    let algorithm = str_param(default, "SSEAlgorithm").unwrap_or_default();
    let kms_key_id = str_param(default, "KMSMasterKeyID")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    match algorithm {
        "AES256" if kms_key_id.is_some() => {
            return Err(errors::invalid_argument(
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            ));
        }
        "AES256" | "aws:kms" | "aws:kms:dsse" => {}
        _ => return Err(errors::malformed_xml()),
    }
    let config = BucketEncryption {
        algorithm: algorithm.to_string(),
        kms_key_id,
        bucket_key: bool_param(rule, "BucketKeyEnabled"),
    };
    s3.update_bucket(name, |b| b.encryption = Some(config.clone()))?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_encryption(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    // Every bucket encrypts new objects with SSE-S3 unless told otherwise, as S3 does since 2023.
    let config = bucket.encryption.unwrap_or(BucketEncryption {
        algorithm: "AES256".into(),
        kms_key_id: None,
        bucket_key: false,
    });
    let mut default = json!({"SSEAlgorithm": config.algorithm});
    if let Some(k) = config.kms_key_id {
        default["KMSMasterKeyID"] = k.into();
    }
    Ok(OperationOutput::new(json!({
        "ServerSideEncryptionConfiguration": {
            "Rules": [{
                "ApplyServerSideEncryptionByDefault": default,
                "BucketKeyEnabled": config.bucket_key,
            }]
        }
    })))
}

pub fn delete_bucket_encryption(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    s3.update_bucket(name, |b| b.encryption = None)?;
    Ok(OperationOutput::new(json!({})).with_status(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3() -> S3 {
        S3::new(gureum_store::Storage::ephemeral())
    }

    fn roundtrip(size: usize) {
        let s3 = s3();
        let key = DataKey::random();
        let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = writer(&s3, "b", Some(&key)).unwrap();
        for chunk in data.chunks(10_000) {
            w.write_chunk(chunk).unwrap();
        }
        w.commit().unwrap();
        let stored = s3.storage.blobs.get("b").unwrap().unwrap();
        assert_eq!(stored.len() as u64, encrypted_len(size as u64));
        let whole = read_all(
            reader(&s3, "b", size as u64, Some(&key), 0, size as u64).unwrap(),
            0,
        )
        .unwrap();
        assert_eq!(whole, data, "size {size}");
        for (first, len) in [(0u64, 1u64), (65_535, 2), (65_536, 65_536), (1, 200_000)] {
            if first + len <= size as u64 {
                let part = read_all(
                    reader(&s3, "b", size as u64, Some(&key), first, len).unwrap(),
                    0,
                )
                .unwrap();
                assert_eq!(part, &data[first as usize..(first + len) as usize]);
                let small = read_small(&s3, "b", size as u64, Some(&key), first, len).unwrap();
                assert_eq!(small, &data[first as usize..(first + len) as usize]);
            }
        }
        let whole = read_small(&s3, "b", size as u64, Some(&key), 0, size as u64).unwrap();
        assert_eq!(whole, data, "size {size}");
    }

    #[test]
    fn segments_round_trip_at_every_boundary() {
        for size in [0, 1, 65_535, 65_536, 65_537, 131_072, 300_000] {
            roundtrip(size);
        }
    }

    #[test]
    fn tampering_truncation_and_other_keys_fail() {
        let s3 = s3();
        let key = DataKey::random();
        let data = vec![7u8; 200_000];
        put(&s3, "b", &data, Some(&key)).unwrap();
        let read = |s3: &S3, key: &DataKey, size: u64| {
            reader(s3, "b", size, Some(key), 0, size).and_then(|r| read_all(r, size))
        };
        assert!(read(&s3, &DataKey::random(), 200_000).is_err());
        let mut stored = s3.storage.blobs.get("b").unwrap().unwrap();
        stored[100] ^= 1;
        s3.storage.blobs.put("b", &stored).unwrap();
        assert!(read(&s3, &key, 200_000).is_err());
        // Dropping the last segment and claiming a shorter body: the final flag fails.
        put(&s3, "b", &data, Some(&key)).unwrap();
        let stored = s3.storage.blobs.get("b").unwrap().unwrap();
        let cut = &stored[..(HEADER + 3 * (SEGMENT + TAG)) as usize];
        s3.storage.blobs.put("b", cut).unwrap();
        assert!(read(&s3, &key, 3 * SEGMENT).is_err());
        // One segment, read whole in place: a flipped bit, another key, a wrong size all fail.
        put(&s3, "b", &data[..4096], Some(&key)).unwrap();
        // Sealed in place, as `Aead::encrypt` seals: ciphertext, then its tag.
        let stored = s3.storage.blobs.get("b").unwrap().unwrap();
        let header: [u8; 16] = stored[..16].try_into().unwrap();
        let prefix: [u8; 8] = stored[8..16].try_into().unwrap();
        let opened = key
            .cipher()
            .decrypt(
                &nonce(&prefix, 0).into(),
                Payload {
                    msg: &stored[16..],
                    aad: &aad(&header, 0, true),
                },
            )
            .unwrap();
        assert_eq!(opened, &data[..4096]);
        assert_eq!(
            read_small(&s3, "b", 4096, Some(&key), 0, 4096).unwrap(),
            &data[..4096]
        );
        assert!(read_small(&s3, "b", 4096, Some(&DataKey::random()), 0, 4096).is_err());
        assert!(read_small(&s3, "b", 4095, Some(&key), 0, 4095).is_err());
        let mut stored = s3.storage.blobs.get("b").unwrap().unwrap();
        stored[HEADER as usize + 10] ^= 1;
        s3.storage.blobs.put("b", &stored).unwrap();
        assert!(read_small(&s3, "b", 4096, Some(&key), 0, 4096).is_err());
        // The plaintext is nowhere in the blob.
        put(&s3, "b", b"a marker string that must not show", Some(&key)).unwrap();
        let stored = s3.storage.blobs.get("b").unwrap().unwrap();
        assert!(!stored.windows(6).any(|w| w == b"marker"));
    }

    #[test]
    fn customer_keys_are_checked_as_s3_checks_them() {
        let key = [3u8; 32];
        let md5 = B64.encode(crate::md5::md5(&key));
        let p = json!({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": B64.encode(key), "SSECustomerKeyMD5": md5});
        assert!(customer_key(&p, "SSECustomer").unwrap().is_some());
        let mut bad = p.clone();
        bad["SSECustomerKeyMD5"] = json!(B64.encode([0u8; 16]));
        assert_eq!(
            customer_key(&bad, "SSECustomer").unwrap_err().code,
            "InvalidArgument"
        );
        let mut bad = p.clone();
        bad["SSECustomerAlgorithm"] = json!("AES128");
        assert_eq!(
            customer_key(&bad, "SSECustomer").unwrap_err().code,
            "InvalidEncryptionAlgorithmError"
        );
        let mut bad = p.clone();
        bad["SSECustomerKey"] = json!(B64.encode([1u8; 16]));
        assert_eq!(
            customer_key(&bad, "SSECustomer").unwrap_err().code,
            "InvalidArgument"
        );
    }
}
