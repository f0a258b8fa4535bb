//! Imported key material (origin `EXTERNAL`): GetParametersForImport hands out a fresh RSA
//! wrapping key and an import token valid for 24 hours on the server clock; ImportKeyMaterial
//! unwraps the material (RSAES-OAEP, or RSA-OAEP of an ephemeral AES-256 key followed by AES key
//! wrap with padding, RFC 5649, for the `RSA_AES_KEY_WRAP_*` algorithms), checks it against the key spec and against any material
//! imported before, and enables the key; DeleteImportedKeyMaterial and expiry (`ValidTo`, acted
//! on by the service's tick) take it away again, leaving the key `PendingImport`.

use gureum_core::wire::{Blob, Timestamp};
use gureum_core::{AwsError, Clock, RequestContext};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::asymmetric::{self, Spec};
use crate::keys::update_key;
use crate::model::{self, ImportParameters, ImportState, KeyRecord, KeyRef, KeyState};
use crate::{Kms, errors, input, mac, now, seal_material};

/// How long import parameters stay valid.
const PARAMETERS_SECONDS: f64 = 24.0 * 3600.0;
/// The furthest ahead `ValidTo` may be (AWS: 365 days).
const MAX_VALID_SECONDS: f64 = 365.0 * 86_400.0;

/// Refuses CreateKey with Origin EXTERNAL for specs whose material cannot be imported here.
pub fn check_importable(spec: &str) -> Result<(), AwsError> {
    if spec == "SYMMETRIC_DEFAULT" || mac::spec_len(spec).is_some() || Spec::parse(spec).is_some() {
        return Ok(());
    }
    Err(errors::unsupported(format!(
        "KeySpec {spec} does not support imported key material."
    )))
}

/// Whether `material` is acceptable material for a key of `spec`.
fn material_fits(spec: &str, material: &[u8]) -> bool {
    let n = material.len();
    match spec {
        "SYMMETRIC_DEFAULT" => n == 32,
        "HMAC_224" => (28..=64).contains(&n),
        "HMAC_256" => (32..=64).contains(&n),
        "HMAC_384" => (48..=128).contains(&n),
        "HMAC_512" => (64..=128).contains(&n),
        other => Spec::parse(other).is_some_and(|s| asymmetric::matches_spec(s, material)),
    }
}

/// A value that tells whether two materials are the same without revealing either: HMAC-SHA-256
/// keyed by the material over a fixed label.
fn check_value(material: &[u8]) -> Vec<u8> {
    match <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(material) {
        Ok(mut m) => {
            m.update(b"gureum-kms imported key material check");
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// What the import parameters' wrapping key is sealed to.
fn wrapping_context(key: &KeyRecord) -> Vec<u8> {
    format!(
        "kms-import-wrapping/{}/{}/{}",
        key.account, key.region, key.key_id
    )
    .into_bytes()
}

fn require_external(key: &KeyRecord) -> Result<(), AwsError> {
    if key.origin != "EXTERNAL" {
        return Err(errors::unsupported(format!(
            "{} origin is {} which is not valid for this operation.",
            key.arn(),
            key.origin
        )));
    }
    if matches!(
        key.state(),
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
    ) {
        return Err(model::pending_deletion(&key.arn()));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ParametersInput {
    key_id: String,
    wrapping_algorithm: String,
    wrapping_key_spec: String,
}

pub fn get_parameters_for_import(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ParametersInput = input(params)?;
    let bits = match i.wrapping_key_spec.as_str() {
        "RSA_2048" => 2048,
        "RSA_3072" => 3072,
        "RSA_4096" => 4096,
        other => {
            return Err(errors::unsupported(format!(
                "WrappingKeySpec {other} is not supported by gureum."
            )));
        }
    };
    if !matches!(
        i.wrapping_algorithm.as_str(),
        "RSAES_OAEP_SHA_1"
            | "RSAES_OAEP_SHA_256"
            | "RSA_AES_KEY_WRAP_SHA_1"
            | "RSA_AES_KEY_WRAP_SHA_256"
    ) {
        return Err(errors::unsupported(format!(
            "WrappingAlgorithm {} is not supported by gureum.",
            i.wrapping_algorithm
        )));
    }
    let key = crate::keys::read_key(kms, ctx, &i.key_id, false)?;
    require_external(&key)?;
    let wrapping = asymmetric::generate(Spec::Rsa(bits)).map_err(|_| errors::corrupt_key())?;
    let public =
        asymmetric::public_key(Spec::Rsa(bits), &wrapping).map_err(|_| errors::corrupt_key())?;
    let sealed = kms
        .storage
        .sealer
        .seal(&wrapping, &wrapping_context(&key))
        .map_err(errors::store)?;
    let mut token = vec![0u8; 64];
    gureum_core::ids::random_bytes(&mut token);
    let valid_to = Timestamp(now(ctx) + PARAMETERS_SECONDS);
    let parameters = ImportParameters {
        token: Blob(token.clone()),
        wrapping_key: Blob(sealed),
        wrapping_algorithm: i.wrapping_algorithm.clone(),
        valid_to,
    };
    let key = update_key(kms, ctx, &i.key_id, |key| {
        require_external(key)?;
        key.import
            .get_or_insert_with(ImportState::default)
            .parameters = Some(parameters.clone());
        Ok(key.clone())
    })?;
    Ok(json!({
        "KeyId": key.arn(),
        "ImportToken": Blob(token),
        "PublicKey": Blob(public),
        "ParametersValidTo": valid_to,
    }))
}

/// Unwraps imported material with the wrapping private key; `None` when it does not unwrap.
fn unwrap(wrapping: &[u8], algorithm: &str, encrypted: &[u8]) -> Option<Vec<u8>> {
    let oaep = if algorithm.ends_with("SHA_1") {
        "RSAES_OAEP_SHA_1"
    } else {
        "RSAES_OAEP_SHA_256"
    };
    if algorithm.starts_with("RSAES_OAEP_") {
        return asymmetric::decrypt(wrapping, oaep, encrypted).ok();
    }
    // RSA_AES_KEY_WRAP_*: the OAEP-encrypted AES-256 key, as long as the modulus, then the
    // material wrapped under it with AES-KWP.
    let k = asymmetric::rsa_modulus_len(wrapping).ok()?;
    if encrypted.len() <= k {
        return None;
    }
    let (head, wrapped) = encrypted.split_at(k);
    let aes_key = asymmetric::decrypt(wrapping, oaep, head).ok()?;
    use aes_kw::KeyInit;
    let kwp = aes_kw::KwpAes256::new_from_slice(&aes_key).ok()?;
    let mut buf = vec![0u8; wrapped.len()];
    kwp.unwrap_key(wrapped, &mut buf).ok().map(<[u8]>::to_vec)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportInput {
    key_id: String,
    import_token: Blob,
    encrypted_key_material: Blob,
    valid_to: Option<Timestamp>,
    expiration_model: Option<String>,
    import_type: Option<String>,
}

pub fn import_key_material(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ImportInput = input(params)?;
    let now = now(ctx);
    let model_name = i
        .expiration_model
        .clone()
        .unwrap_or_else(|| "KEY_MATERIAL_EXPIRES".into());
    let valid_to = match (model_name.as_str(), i.valid_to) {
        ("KEY_MATERIAL_EXPIRES", Some(t)) => {
            if t.0 <= now || t.0 > now + MAX_VALID_SECONDS {
                return Err(errors::validation(
                    "ValidTo must be in the future and no more than 365 days from now.",
                ));
            }
            Some(t)
        }
        ("KEY_MATERIAL_EXPIRES", None) => {
            return Err(errors::validation(
                "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            ));
        }
        (_, Some(_)) => {
            return Err(errors::validation(
                "A validTo date can only be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            ));
        }
        (_, None) => None,
    };
    if i.import_type.as_deref() == Some("NEW_KEY_MATERIAL") {
        return Err(errors::unsupported(
            "gureum imports one key material per key: ImportType NEW_KEY_MATERIAL is not supported.",
        ));
    }
    let key = crate::keys::read_key(kms, ctx, &i.key_id, false)?;
    require_external(&key)?;
    let parameters = key
        .import
        .as_ref()
        .and_then(|s| s.parameters.clone())
        .ok_or_else(errors::invalid_import_token)?;
    if parameters.token.0 != i.import_token.0 {
        return Err(errors::invalid_import_token());
    }
    if parameters.valid_to.0 <= now {
        return Err(errors::expired_import_token());
    }
    let wrapping = kms
        .storage
        .sealer
        .unseal(&parameters.wrapping_key.0, &wrapping_context(&key))
        .map_err(errors::store)?;
    let material = unwrap(
        &wrapping,
        &parameters.wrapping_algorithm,
        &i.encrypted_key_material.0,
    )
    .ok_or_else(errors::invalid_ciphertext)?;
    if !material_fits(&key.key_spec, &material) {
        return Err(errors::incorrect_key_material());
    }
    let check = check_value(&material);
    let sealed = seal_material(
        kms,
        ctx,
        &key.account,
        &key.region,
        &key.key_id,
        1,
        &material,
        None,
    )?;
    let key = update_indexed(kms, ctx, &i.key_id, |key| {
        require_external(key)?;
        let import = key.import.get_or_insert_with(ImportState::default);
        match &import.check {
            Some(previous) if previous.0 != check => return Err(errors::incorrect_key_material()),
            _ => import.check = Some(Blob(check.clone())),
        }
        import.valid_to = valid_to;
        import.expiration_model = Some(model_name.clone());
        key.materials = vec![sealed.clone()];
        Ok(key.clone())
    })?;
    Ok(json!({"KeyId": key.arn()}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteInput {
    key_id: String,
}

pub fn delete_imported_key_material(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: DeleteInput = input(params)?;
    let key = update_indexed(kms, ctx, &i.key_id, |key| {
        require_external(key)?;
        remove_material(key);
        Ok(key.clone())
    })?;
    Ok(json!({"KeyId": key.arn()}))
}

/// Imported material that expires, by expiry: `(millis zero-padded, account, region, key id)`,
/// so the tick reads only what is due.
pub const EXPIRIES: &str = "kms.import_expiries";

/// The expiry index entry of a key holding material that expires.
fn expiry_entry(key: &KeyRecord) -> Option<Vec<u8>> {
    let valid_to = key.import.as_ref()?.valid_to?;
    if key.materials.is_empty() {
        return None;
    }
    let millis = (valid_to.0 * 1000.0).max(0.0) as u64;
    Some(gureum_store::key::join([
        format!("{millis:020}").as_str(),
        &key.account,
        &key.region,
        &key.key_id,
    ]))
}

/// Changes the key `id` names in one transaction, keeping its expiry index entry in step.
fn update_indexed<T>(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
    mut f: impl FnMut(&mut KeyRecord) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let key_ref = KeyRef::parse(ctx, id, false)?;
    let now = now(ctx);
    model::transact(kms.kv(), |txn| {
        let mut key = model::resolve(txn, &key_ref, now)?;
        let before = expiry_entry(&key);
        let out = f(&mut key)?;
        reindex(txn, before, expiry_entry(&key))?;
        let k = model::key_key(&key.account, &key.region, &key.key_id);
        model::write(txn, model::KEYS, &k, &key)?;
        Ok(out)
    })
}

fn reindex(
    txn: &mut dyn gureum_store::Txn,
    before: Option<Vec<u8>>,
    after: Option<Vec<u8>>,
) -> Result<(), AwsError> {
    if before == after {
        return Ok(());
    }
    if let Some(k) = before {
        txn.delete(EXPIRIES, &k).map_err(errors::store)?;
    }
    if let Some(k) = after {
        txn.put(EXPIRIES, &k, &[]).map_err(errors::store)?;
    }
    Ok(())
}

fn remove_material(key: &mut KeyRecord) {
    key.materials.clear();
    if let Some(import) = &mut key.import {
        import.valid_to = None;
        import.expiration_model = None;
    }
}

/// How many due expiries one tick handles; the rest wait for the next tick.
const TICK_BATCH: usize = 256;

/// Takes expired imported material away (the key becomes `PendingImport`), on the server clock.
pub fn expire(kms: &Kms, clock: &Clock) -> Result<(), AwsError> {
    let now_ms = u64::try_from(clock.now_millis()).unwrap_or(0);
    let entries = kms
        .kv()
        .scan(
            EXPIRIES,
            &gureum_store::KeyRange::all(),
            Some(TICK_BATCH),
            false,
        )
        .map_err(errors::store)?;
    for (entry, _) in entries {
        let parts = gureum_store::key::split(&entry).map_err(errors::store)?;
        let [at, account, region, key_id] = parts.as_slice() else {
            kms.kv().delete(EXPIRIES, &entry).map_err(errors::store)?;
            continue;
        };
        let due = std::str::from_utf8(at)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
            .is_none_or(|t| t <= now_ms);
        if !due {
            break;
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let (account, region, key_id) = (text(account), text(region), text(key_id));
        model::transact(kms.kv(), |txn| {
            txn.delete(EXPIRIES, &entry).map_err(errors::store)?;
            let k = model::key_key(&account, &region, &key_id);
            let Some(bytes) = txn.get(model::KEYS, &k).map_err(errors::store)? else {
                return Ok(());
            };
            use gureum_store::Versioned;
            let mut key = KeyRecord::from_record(&bytes).map_err(errors::store)?;
            if expiry_entry(&key).as_deref() == Some(entry.as_slice()) {
                remove_material(&mut key);
                model::write(txn, model::KEYS, &k, &key)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_oaep_and_rsa_aes_key_wrap() {
        let wrapping = asymmetric::generate(Spec::Rsa(2048)).unwrap();
        let material = [7u8; 32];
        for algorithm in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
            let wrapped = asymmetric::encrypt(&wrapping, algorithm, &material).unwrap();
            assert_eq!(unwrap(&wrapping, algorithm, &wrapped).unwrap(), material);
        }
        // RSA_AES_KEY_WRAP: OAEP of an AES-256 key, then AES-KWP of material of any length.
        let long = vec![9u8; 1217];
        let aes_key = [3u8; 32];
        let kwp = <aes_kw::KwpAes256 as aes_kw::KeyInit>::new_from_slice(&aes_key).unwrap();
        let mut buf = vec![0u8; long.len() + 16];
        let sealed = kwp.wrap_key(&long, &mut buf).unwrap().to_vec();
        for (algorithm, oaep) in [
            ("RSA_AES_KEY_WRAP_SHA_1", "RSAES_OAEP_SHA_1"),
            ("RSA_AES_KEY_WRAP_SHA_256", "RSAES_OAEP_SHA_256"),
        ] {
            let mut wrapped = asymmetric::encrypt(&wrapping, oaep, &aes_key).unwrap();
            assert_eq!(wrapped.len(), 256);
            wrapped.extend_from_slice(&sealed);
            assert_eq!(unwrap(&wrapping, algorithm, &wrapped).unwrap(), long);
            let last = wrapped.len() - 1;
            wrapped[last] ^= 1;
            assert!(unwrap(&wrapping, algorithm, &wrapped).is_none());
            assert!(unwrap(&wrapping, algorithm, &wrapped[..256]).is_none());
        }
    }

    #[test]
    fn material_must_fit_the_spec() {
        assert!(material_fits("SYMMETRIC_DEFAULT", &[0; 32]));
        assert!(!material_fits("SYMMETRIC_DEFAULT", &[0; 16]));
        assert!(material_fits("HMAC_384", &[0; 48]));
        assert!(!material_fits("HMAC_384", &[0; 47]));
        assert!(!material_fits("ECC_NIST_P256", &[0; 32]));
        let p256 = asymmetric::generate(Spec::Ec(asymmetric::Curve::P256)).unwrap();
        assert!(material_fits("ECC_NIST_P256", &p256));
        assert!(!material_fits("ECC_NIST_P384", &p256));
        assert_eq!(check_value(&[1; 32]), check_value(&[1; 32]));
        assert_ne!(check_value(&[1; 32]), check_value(&[2; 32]));
    }
}
