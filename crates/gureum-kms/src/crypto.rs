//! The encryption operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
//! GenerateDataKeyPair(WithoutPlaintext) and GenerateRandom. Symmetric ciphertexts are the
//! blobs of [`crate::ciphertext`], encrypted under the key's newest material and decrypted with
//! the material version their header names. RSA keys encrypt with RSAES-OAEP and their
//! ciphertext is the raw OAEP output, so decrypting one needs the key id and the algorithm.

use std::sync::Arc;

use gureum_core::wire::Blob;
use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::asymmetric::{self, Spec};
use crate::ciphertext::{self, CiphertextError, EncryptionContext};
use crate::model::{self, Committed, KeyRecord, KeyRef};
use crate::{Kms, errors, input, now, unseal_material};

/// The most plaintext Encrypt takes; larger data goes through data keys.
pub const MAX_PLAINTEXT: usize = 4096;
const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

fn check_algorithm(algorithm: Option<&str>) -> Result<(), AwsError> {
    match algorithm {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(errors::invalid_key_usage(format!(
            "The requested algorithm {other} is not compatible with a SYMMETRIC_DEFAULT key."
        ))),
    }
}

fn cipher_error(e: CiphertextError) -> AwsError {
    match e {
        CiphertextError::BadKey => AwsError::new(
            "KMSInternalException",
            500,
            "stored key material is corrupt",
        ),
        CiphertextError::Malformed | CiphertextError::Unauthenticated => {
            errors::invalid_ciphertext()
        }
    }
}

/// A key that can encrypt now, as `id` names it (key id, key ARN, alias name or alias ARN).
fn usable_key(kms: &Kms, ctx: &RequestContext, id: &str) -> Result<Arc<KeyRecord>, AwsError> {
    let key_ref = KeyRef::parse(ctx, id, true)?;
    crate::managed::ensure(kms, ctx, &key_ref)?;
    let key = model::resolve_shared(&mut Committed(kms.kv()), &key_ref, now(ctx))?;
    key.require_usable()?;
    if key.key_usage != "ENCRYPT_DECRYPT" {
        return Err(wrong_usage(&key));
    }
    Ok(key)
}

/// A symmetric encryption key, usable now: data keys and data key pairs are encrypted under one.
fn symmetric_key(kms: &Kms, ctx: &RequestContext, id: &str) -> Result<Arc<KeyRecord>, AwsError> {
    let key = usable_key(kms, ctx, id)?;
    if key.key_spec != SYMMETRIC_DEFAULT {
        return Err(errors::invalid_key_usage(format!(
            "{} key spec {} is not valid for this operation: it needs a symmetric encryption key.",
            key.arn(),
            key.key_spec
        )));
    }
    Ok(key)
}

/// `InvalidKeyUsageException` for a key (an HMAC key, say) that does not encrypt.
fn wrong_usage(key: &KeyRecord) -> AwsError {
    errors::invalid_key_usage(format!(
        "{} key usage is {} which is not valid for this operation.",
        key.arn(),
        key.key_usage
    ))
}

/// Encrypts `plaintext` under `key`'s newest material.
fn encrypt_with(
    kms: &Kms,
    key: &KeyRecord,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, AwsError> {
    if let Some(h) = &key.hsm {
        return crate::custom_key_stores::encrypt(kms, key, h, plaintext, context);
    }
    let material = key
        .current_material()
        .ok_or_else(|| AwsError::new("KMSInternalException", 500, "key has no material"))?;
    let clear = unseal_material(kms, key, material.version)?;
    ciphertext::seal(&clear, &key.key_id, material.version, plaintext, context)
        .map_err(cipher_error)
}

/// Opens `blob`, checking it against `key_id` when the caller named one; the key and the
/// plaintext.
fn decrypt_blob(
    kms: &Kms,
    ctx: &RequestContext,
    blob: &[u8],
    key_id: Option<&str>,
    context: &EncryptionContext,
) -> Result<(Arc<KeyRecord>, Vec<u8>), AwsError> {
    let now = now(ctx);
    let r = &mut Committed(kms.kv());
    let named = match key_id.map(|id| KeyRef::parse(ctx, id, true)).transpose()? {
        Some(named) => {
            let named = model::resolve_shared(r, &named, now)?;
            if named.key_usage != "ENCRYPT_DECRYPT" {
                return Err(wrong_usage(&named));
            }
            if named.key_spec != SYMMETRIC_DEFAULT {
                return Err(crate::signing::incompatible(SYMMETRIC_DEFAULT, &named));
            }
            Some(named)
        }
        None => None,
    };
    let (header, _) = ciphertext::parse_header(blob).map_err(cipher_error)?;
    let (account, region) = match named {
        Some(named) => {
            if named.key_id != header.key_id {
                return Err(errors::incorrect_key());
            }
            (named.account.clone(), named.region.clone())
        }
        None => (ctx.account_id().to_string(), ctx.region.clone()),
    };
    let key = model::get_key_shared(r, &account, &region, &header.key_id, now)?
        .ok_or_else(|| errors::key_not_found(&model::key_arn(&region, &account, &header.key_id)))?;
    key.require_usable()?;
    if let Some(h) = &key.hsm {
        let plaintext = crate::custom_key_stores::decrypt(
            kms,
            &key,
            h,
            header.material_version,
            blob,
            context,
        )?;
        return Ok((key, plaintext));
    }
    if key.material(header.material_version).is_none() {
        return Err(errors::invalid_ciphertext());
    }
    let clear = unseal_material(kms, &key, header.material_version)?;
    let plaintext = ciphertext::open(&clear, blob, context).map_err(cipher_error)?;
    Ok((key, plaintext))
}

/// Encrypts `plaintext` under `key` with `algorithm` (`None` is SYMMETRIC_DEFAULT): the
/// ciphertext and the algorithm used.
fn encrypt_any(
    kms: &Kms,
    key: &KeyRecord,
    algorithm: Option<&str>,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<(Vec<u8>, String), AwsError> {
    let Some(spec) = Spec::parse(&key.key_spec) else {
        check_algorithm(algorithm)?;
        let blob = encrypt_with(kms, key, plaintext, context)?;
        return Ok((blob, SYMMETRIC_DEFAULT.to_string()));
    };
    let algorithm = asymmetric_algorithm(key, spec, algorithm, context)?;
    let max = spec.max_plaintext(algorithm).unwrap_or(0);
    if plaintext.len() > max {
        return Err(errors::validation(format!(
            "Plaintext of {} bytes is too long for {} with {algorithm}: at most {max} bytes.",
            plaintext.len(),
            key.key_spec
        )));
    }
    let (_, pkcs8) = crate::signing::material_of(kms, key)?;
    let blob =
        asymmetric::encrypt(&pkcs8, algorithm, plaintext).map_err(|_| errors::corrupt_key())?;
    Ok((blob, algorithm.to_string()))
}

/// The RSAES algorithm a request names for an asymmetric key, checked against the key.
fn asymmetric_algorithm<'a>(
    key: &KeyRecord,
    spec: Spec,
    algorithm: Option<&'a str>,
    context: &EncryptionContext,
) -> Result<&'a str, AwsError> {
    let algorithm = algorithm.unwrap_or(SYMMETRIC_DEFAULT);
    if !spec.encryption_algorithms().contains(&algorithm) {
        return Err(crate::signing::incompatible(algorithm, key));
    }
    if !context.is_empty() {
        return Err(errors::validation(
            "EncryptionContext is not supported with asymmetric KMS keys.",
        ));
    }
    Ok(algorithm)
}

/// Decrypts `blob`: a symmetric blob (its header names the key) or, for an RSAES algorithm, the
/// raw OAEP ciphertext of the RSA key `key_id` names. The key, the plaintext and the algorithm.
fn decrypt_any(
    kms: &Kms,
    ctx: &RequestContext,
    blob: &[u8],
    key_id: Option<&str>,
    algorithm: Option<&str>,
    context: &EncryptionContext,
) -> Result<(Arc<KeyRecord>, Vec<u8>, String), AwsError> {
    let Some(algorithm) = algorithm.filter(|a| *a != SYMMETRIC_DEFAULT) else {
        let (key, plaintext) = decrypt_blob(kms, ctx, blob, key_id, context)?;
        return Ok((key, plaintext, SYMMETRIC_DEFAULT.to_string()));
    };
    let id = key_id.ok_or_else(|| {
        errors::validation(format!(
            "KeyId is required to decrypt with {algorithm}: asymmetric ciphertexts do not name their key."
        ))
    })?;
    let key = Arc::new(crate::signing::usable(kms, ctx, id)?);
    if key.key_usage != "ENCRYPT_DECRYPT" {
        return Err(wrong_usage(&key));
    }
    let Some(spec) = Spec::parse(&key.key_spec) else {
        return Err(errors::invalid_key_usage(format!(
            "The requested algorithm {algorithm} is not compatible with a {} key.",
            key.key_spec
        )));
    };
    let algorithm = asymmetric_algorithm(&key, spec, Some(algorithm), context)?;
    let (_, pkcs8) = crate::signing::material_of(kms, &key)?;
    let plaintext =
        asymmetric::decrypt(&pkcs8, algorithm, blob).map_err(|_| errors::invalid_ciphertext())?;
    Ok((key, plaintext, algorithm.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EncryptInput {
    key_id: String,
    plaintext: Blob,
    #[serde(default)]
    encryption_context: EncryptionContext,
    encryption_algorithm: Option<String>,
}

pub fn encrypt(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: EncryptInput = input(params)?;
    if i.plaintext.0.len() > MAX_PLAINTEXT {
        return Err(errors::validation(format!(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to {MAX_PLAINTEXT}"
        )));
    }
    let key = usable_key(kms, ctx, &i.key_id)?;
    let (blob, algorithm) = encrypt_any(
        kms,
        &key,
        i.encryption_algorithm.as_deref(),
        &i.plaintext.0,
        &i.encryption_context,
    )?;
    Ok(json!({
        "CiphertextBlob": Blob(blob),
        "KeyId": key.arn(),
        "EncryptionAlgorithm": algorithm,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DecryptInput {
    ciphertext_blob: Blob,
    #[serde(default)]
    encryption_context: EncryptionContext,
    key_id: Option<String>,
    encryption_algorithm: Option<String>,
}

pub fn decrypt(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: DecryptInput = input(params)?;
    let (key, plaintext, algorithm) = decrypt_any(
        kms,
        ctx,
        &i.ciphertext_blob.0,
        i.key_id.as_deref(),
        i.encryption_algorithm.as_deref(),
        &i.encryption_context,
    )?;
    Ok(json!({
        "KeyId": key.arn(),
        "Plaintext": Blob(plaintext),
        "EncryptionAlgorithm": algorithm,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReEncryptInput {
    ciphertext_blob: Blob,
    #[serde(default)]
    source_encryption_context: EncryptionContext,
    source_key_id: Option<String>,
    destination_key_id: String,
    #[serde(default)]
    destination_encryption_context: EncryptionContext,
    source_encryption_algorithm: Option<String>,
    destination_encryption_algorithm: Option<String>,
}

pub fn re_encrypt(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: ReEncryptInput = input(params)?;
    let (source, plaintext, source_algorithm) = decrypt_any(
        kms,
        ctx,
        &i.ciphertext_blob.0,
        i.source_key_id.as_deref(),
        i.source_encryption_algorithm.as_deref(),
        &i.source_encryption_context,
    )?;
    let destination = usable_key(kms, ctx, &i.destination_key_id)?;
    let (blob, destination_algorithm) = encrypt_any(
        kms,
        &destination,
        i.destination_encryption_algorithm.as_deref(),
        &plaintext,
        &i.destination_encryption_context,
    )?;
    Ok(json!({
        "CiphertextBlob": Blob(blob),
        "SourceKeyId": source.arn(),
        "KeyId": destination.arn(),
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DataKeyInput {
    key_id: String,
    #[serde(default)]
    encryption_context: EncryptionContext,
    number_of_bytes: Option<usize>,
    key_spec: Option<String>,
}

/// The key that encrypted a data key, the data key and its ciphertext.
type DataKey = (Arc<KeyRecord>, Vec<u8>, Vec<u8>);

/// A fresh data key and its ciphertext under the named key.
fn data_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<DataKey, AwsError> {
    let i: DataKeyInput = input(params)?;
    let len = match (i.number_of_bytes, i.key_spec.as_deref()) {
        (Some(n), None) => n,
        (None, Some("AES_256")) => 32,
        (None, Some("AES_128")) => 16,
        (None, Some(other)) => {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{other}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
            )));
        }
        _ => {
            return Err(errors::validation(
                "Please specify either number of bytes or key spec.",
            ));
        }
    };
    if !(1..=1024).contains(&len) {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{len}' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
        )));
    }
    let key = symmetric_key(kms, ctx, &i.key_id)?;
    let mut plaintext = vec![0u8; len];
    gureum_core::ids::random_bytes(&mut plaintext);
    let blob = encrypt_with(kms, &key, &plaintext, &i.encryption_context)?;
    Ok((key, plaintext, blob))
}

pub fn generate_data_key(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let (key, plaintext, blob) = data_key(kms, ctx, params)?;
    Ok(json!({
        "CiphertextBlob": Blob(blob),
        "Plaintext": Blob(plaintext),
        "KeyId": key.arn(),
    }))
}

pub fn generate_data_key_without_plaintext(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let (key, _, blob) = data_key(kms, ctx, params)?;
    Ok(json!({"CiphertextBlob": Blob(blob), "KeyId": key.arn()}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DataKeyPairInput {
    key_id: String,
    key_pair_spec: String,
    #[serde(default)]
    encryption_context: EncryptionContext,
    recipient: Option<Value>,
}

/// A fresh data key pair.
struct DataKeyPair {
    /// The symmetric key that encrypted the private key.
    key: Arc<KeyRecord>,
    spec: String,
    /// The private key, PKCS#8 DER.
    private: Vec<u8>,
    /// The private key's ciphertext under `key`.
    blob: Vec<u8>,
    /// The public key, DER SubjectPublicKeyInfo.
    public: Vec<u8>,
}

fn data_key_pair(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<DataKeyPair, AwsError> {
    let i: DataKeyPairInput = input(params)?;
    if i.recipient.is_some() {
        return Err(errors::unsupported(
            "gureum has no Nitro Enclaves: Recipient is not supported.",
        ));
    }
    let spec = Spec::parse(&i.key_pair_spec).ok_or_else(|| {
        errors::unsupported(format!(
            "KeyPairSpec {} is not supported by gureum.",
            i.key_pair_spec
        ))
    })?;
    let key = symmetric_key(kms, ctx, &i.key_id)?;
    let private = asymmetric::generate(spec).map_err(|_| errors::corrupt_key())?;
    let public = asymmetric::public_key(spec, &private).map_err(|_| errors::corrupt_key())?;
    let blob = encrypt_with(kms, &key, &private, &i.encryption_context)?;
    Ok(DataKeyPair {
        key,
        spec: i.key_pair_spec,
        private,
        blob,
        public,
    })
}

pub fn generate_data_key_pair(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let pair = data_key_pair(kms, ctx, params)?;
    Ok(json!({
        "PrivateKeyCiphertextBlob": Blob(pair.blob),
        "PrivateKeyPlaintext": Blob(pair.private),
        "PublicKey": Blob(pair.public),
        "KeyId": pair.key.arn(),
        "KeyPairSpec": pair.spec,
    }))
}

pub fn generate_data_key_pair_without_plaintext(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let pair = data_key_pair(kms, ctx, params)?;
    Ok(json!({
        "PrivateKeyCiphertextBlob": Blob(pair.blob),
        "PublicKey": Blob(pair.public),
        "KeyId": pair.key.arn(),
        "KeyPairSpec": pair.spec,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RandomInput {
    number_of_bytes: Option<usize>,
    custom_key_store_id: Option<String>,
}

pub fn generate_random(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: RandomInput = input(params)?;
    let len = i
        .number_of_bytes
        .ok_or_else(|| errors::validation("NumberOfBytes is required."))?;
    if !(1..=1024).contains(&len) {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{len}' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
        )));
    }
    let bytes = match &i.custom_key_store_id {
        Some(id) => crate::custom_key_stores::random(kms, ctx, id, len)?,
        None => {
            let mut bytes = vec![0u8; len];
            gureum_core::ids::random_bytes(&mut bytes);
            bytes
        }
    };
    Ok(json!({"Plaintext": Blob(bytes)}))
}
