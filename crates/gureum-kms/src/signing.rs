//! The operations of asymmetric keys that are not encryption: GetPublicKey, Sign and Verify
//! (SIGN_VERIFY keys) and DeriveSharedSecret (KEY_AGREEMENT keys). The private key is the key's
//! sealed PKCS#8 material; the cryptography is `asymmetric.rs`.

use gureum_core::wire::Blob;
use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::asymmetric::{self, AsymError, Spec};
use crate::model::{self, Committed, KeyRecord, KeyRef};
use crate::{Kms, errors, input, now, unseal_material};

/// The asymmetric key `id` names, usable now: its record, spec and private key (PKCS#8).
pub fn private_key(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
) -> Result<(KeyRecord, Spec, Vec<u8>), AwsError> {
    let key = usable(kms, ctx, id)?;
    let (spec, pkcs8) = material_of(kms, &key)?;
    Ok((key, spec, pkcs8))
}

/// The key `id` names (key id, key ARN, alias name or alias ARN), usable now.
pub fn usable(kms: &Kms, ctx: &RequestContext, id: &str) -> Result<KeyRecord, AwsError> {
    let key_ref = KeyRef::parse(ctx, id, true)?;
    let key = model::resolve(&mut Committed(kms.kv()), &key_ref, now(ctx))?;
    key.require_usable()?;
    Ok(key)
}

/// The spec and private key (PKCS#8) of an asymmetric key; `UnsupportedOperationException` for
/// symmetric and HMAC keys.
pub fn material_of(kms: &Kms, key: &KeyRecord) -> Result<(Spec, Vec<u8>), AwsError> {
    let Some(spec) = Spec::parse(&key.key_spec) else {
        return Err(errors::unsupported(format!(
            "{} key spec {} is not supported for this operation.",
            key.arn(),
            key.key_spec
        )));
    };
    let material = key.current_material().ok_or_else(errors::corrupt_key)?;
    let pkcs8 = unseal_material(kms, key, material.version)?;
    Ok((spec, pkcs8))
}

/// `InvalidKeyUsageException` unless the key's usage is `usage`.
pub fn require_usage(key: &KeyRecord, usage: &str) -> Result<(), AwsError> {
    if key.key_usage != usage {
        return Err(errors::invalid_key_usage(format!(
            "{} key usage is {} which is not valid for this operation.",
            key.arn(),
            key.key_usage
        )));
    }
    Ok(())
}

/// `InvalidKeyUsageException` for an algorithm the key's spec does not compute.
pub fn incompatible(algorithm: &str, key: &KeyRecord) -> AwsError {
    errors::invalid_key_usage(format!(
        "Algorithm {algorithm} is incompatible with key spec {}.",
        key.key_spec
    ))
}

fn internal(e: AsymError) -> AwsError {
    match e {
        AsymError::BadDigest => {
            errors::validation("Digest is invalid length for algorithm.".to_string())
        }
        _ => errors::corrupt_key(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetPublicKeyInput {
    key_id: String,
}

pub fn get_public_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: GetPublicKeyInput = input(params)?;
    let (key, spec, pkcs8) = private_key(kms, ctx, &i.key_id)?;
    let public = asymmetric::public_key(spec, &pkcs8).map_err(internal)?;
    let mut out = json!({
        "KeyId": key.arn(),
        "PublicKey": Blob(public),
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
    });
    if let Some(fields) = out.as_object_mut() {
        match key.key_usage.as_str() {
            "SIGN_VERIFY" => {
                fields.insert("SigningAlgorithms".into(), json!(spec.signing_algorithms()))
            }
            "KEY_AGREEMENT" => fields.insert("KeyAgreementAlgorithms".into(), json!(["ECDH"])),
            _ => fields.insert(
                "EncryptionAlgorithms".into(),
                json!(spec.encryption_algorithms()),
            ),
        };
    }
    Ok(out)
}

/// The digest a Sign or Verify request signs: the message hashed with the algorithm's digest
/// (`RAW`), or the message itself (`DIGEST`), whose length must be the digest's. Ed25519 takes
/// the message itself: whole for ED25519_SHA_512 (RAW only), a SHA-512 digest for
/// ED25519_PH_SHA_512 (DIGEST only).
fn digest_of(
    algorithm: &str,
    message: &[u8],
    message_type: Option<&str>,
) -> Result<Vec<u8>, AwsError> {
    let message_type = message_type.unwrap_or("RAW");
    let ed25519 = match algorithm {
        asymmetric::ED25519 => Some("RAW"),
        asymmetric::ED25519_PH => Some("DIGEST"),
        _ => None,
    };
    if let Some(required) = ed25519 {
        if message_type != required {
            return Err(errors::validation(format!(
                "The signing algorithm {algorithm} requires MessageType {required}."
            )));
        }
        if required == "DIGEST" && message.len() != 64 {
            return Err(errors::validation(format!(
                "Digest is invalid length for algorithm {algorithm}."
            )));
        }
        return Ok(message.to_vec());
    }
    match message_type {
        "RAW" => asymmetric::digest(algorithm, message)
            .ok_or_else(|| errors::validation(format!("Unknown algorithm {algorithm}"))),
        "DIGEST" => {
            if asymmetric::digest_len(algorithm) != Some(message.len()) {
                return Err(errors::validation(format!(
                    "Digest is invalid length for algorithm {algorithm}."
                )));
            }
            Ok(message.to_vec())
        }
        other => Err(errors::validation(format!(
            "MessageType {other} is not supported for algorithm {algorithm}."
        ))),
    }
}

/// The SIGN_VERIFY key `id` names, checked to compute `algorithm`.
fn signing_key(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
    algorithm: &str,
) -> Result<(KeyRecord, Spec, Vec<u8>), AwsError> {
    let key = usable(kms, ctx, id)?;
    require_usage(&key, "SIGN_VERIFY")?;
    let (spec, pkcs8) = material_of(kms, &key)?;
    if !spec.signing_algorithms().contains(&algorithm) {
        return Err(incompatible(algorithm, &key));
    }
    Ok((key, spec, pkcs8))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignInput {
    key_id: String,
    message: Blob,
    message_type: Option<String>,
    signing_algorithm: String,
}

pub fn sign(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: SignInput = input(params)?;
    let (key, spec, pkcs8) = signing_key(kms, ctx, &i.key_id, &i.signing_algorithm)?;
    let digest = digest_of(
        &i.signing_algorithm,
        &i.message.0,
        i.message_type.as_deref(),
    )?;
    let signature =
        asymmetric::sign(spec, &pkcs8, &i.signing_algorithm, &digest).map_err(internal)?;
    Ok(json!({
        "KeyId": key.arn(),
        "Signature": Blob(signature),
        "SigningAlgorithm": i.signing_algorithm,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerifyInput {
    key_id: String,
    message: Blob,
    message_type: Option<String>,
    signature: Blob,
    signing_algorithm: String,
}

pub fn verify(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: VerifyInput = input(params)?;
    let (key, spec, pkcs8) = signing_key(kms, ctx, &i.key_id, &i.signing_algorithm)?;
    let digest = digest_of(
        &i.signing_algorithm,
        &i.message.0,
        i.message_type.as_deref(),
    )?;
    match asymmetric::verify(spec, &pkcs8, &i.signing_algorithm, &digest, &i.signature.0) {
        Ok(()) => Ok(json!({
            "KeyId": key.arn(),
            "SignatureValid": true,
            "SigningAlgorithm": i.signing_algorithm,
        })),
        Err(AsymError::InvalidSignature) => Err(errors::invalid_signature()),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeriveInput {
    key_id: String,
    key_agreement_algorithm: String,
    public_key: Blob,
    recipient: Option<Value>,
}

pub fn derive_shared_secret(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: DeriveInput = input(params)?;
    if i.recipient.is_some() {
        return Err(errors::unsupported(
            "gureum has no Nitro Enclaves: Recipient is not supported.",
        ));
    }
    let key = usable(kms, ctx, &i.key_id)?;
    require_usage(&key, "KEY_AGREEMENT")?;
    let (spec, pkcs8) = material_of(kms, &key)?;
    let Spec::Ec(curve) = spec else {
        return Err(incompatible(&i.key_agreement_algorithm, &key));
    };
    let secret = match asymmetric::derive_shared_secret(curve, &pkcs8, &i.public_key.0) {
        Ok(s) => s,
        Err(AsymError::BadPublicKey) => {
            return Err(errors::validation(format!(
                "The public key is not a valid DER-encoded X.509 SubjectPublicKeyInfo of a {} key.",
                key.key_spec
            )));
        }
        Err(e) => return Err(internal(e)),
    };
    Ok(json!({
        "KeyId": key.arn(),
        "SharedSecret": Blob(secret),
        "KeyAgreementAlgorithm": i.key_agreement_algorithm,
        "KeyOrigin": key.origin,
    }))
}
