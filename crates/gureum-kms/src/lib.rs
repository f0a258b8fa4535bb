//! KMS: keys that really encrypt. Symmetric keys (AES-256-GCM) with rotation, HMAC keys,
//! asymmetric keys (RSA, NIST curves, secp256k1, Ed25519), imported key material, multi-region
//! keys, keys in CloudHSM key stores (PKCS#11 tokens), aliases, tags, scheduled deletion on the
//! server clock, and key policies evaluated by IAM's authorizer.
//!
//! Each operation is a function `(kms, ctx, params) -> output tree`, listed in [`OPERATIONS`];
//! `keys.rs` holds key management, `aliases.rs` aliases, `crypto.rs` the encryption operations
//! (over the blob format of `ciphertext.rs` for symmetric keys, RSAES-OAEP for RSA keys),
//! `signing.rs` GetPublicKey/Sign/Verify/DeriveSharedSecret over `asymmetric.rs`, `import.rs`
//! imported key material, `multi_region.rs` replicas, `mac.rs` GenerateMac/VerifyMac,
//! `policy.rs` key policies (validated as IAM resource policies, with the lockout safety check),
//! `grants.rs` grants and grant tokens, `client.rs` the [`gureum_core::KmsClient`] other services
//! call, `managed.rs` AWS managed keys (`alias/aws/<service>`, created on first use),
//! `custom_key_stores.rs` CloudHSM key stores whose keys live in a PKCS#11 token (`hsm.rs`), and
//! `authz.rs` what each request needs permission for.

mod aliases;
pub mod asymmetric;
mod authz;
pub mod ciphertext;
mod client;
mod crypto;
mod custom_key_stores;
pub mod errors;
mod grants;
pub mod hsm;
mod import;
mod keys;
mod mac;
mod managed;
pub mod model;
mod multi_region;
mod policy;
mod signing;

use gureum_core::wire::Timestamp;
use gureum_core::{
    AuthzTarget, AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service,
};
use gureum_store::{KvStore, Storage};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The `kms` service.
pub struct Kms {
    storage: Storage,
    /// The PKCS#11 module behind CloudHSM key stores.
    hsm: hsm::Hsm,
    /// IAM's evaluator, for the calls other services make through [`gureum_core::KmsClient`]
    /// (`client.rs`); the pipeline authorizes direct calls.
    authorizer: std::sync::OnceLock<std::sync::Arc<dyn gureum_core::Authorizer>>,
}

impl Kms {
    /// KMS without a PKCS#11 module: CloudHSM key stores find no cluster.
    pub fn new(storage: Storage) -> Self {
        Kms::with_pkcs11_module(storage, None)
    }

    /// KMS whose CloudHSM key stores are tokens of the PKCS#11 module at `module`.
    pub fn with_pkcs11_module(storage: Storage, module: Option<std::path::PathBuf>) -> Self {
        Kms {
            storage,
            hsm: hsm::Hsm::new(module),
            authorizer: std::sync::OnceLock::new(),
        }
    }

    fn kv(&self) -> &dyn KvStore {
        &*self.storage.kv
    }
}

type Handler = gureum_core::service::ValueHandler<Kms>;

/// Every operation gureum's KMS implements, with its handler.
static OPERATIONS: &[(&str, Handler)] = &[
    // keys.rs
    ("CreateKey", keys::create_key),
    ("DescribeKey", keys::describe_key),
    ("ListKeys", keys::list_keys),
    ("UpdateKeyDescription", keys::update_key_description),
    ("EnableKey", keys::enable_key),
    ("DisableKey", keys::disable_key),
    ("ScheduleKeyDeletion", keys::schedule_key_deletion),
    ("CancelKeyDeletion", keys::cancel_key_deletion),
    ("TagResource", keys::tag_resource),
    ("UntagResource", keys::untag_resource),
    ("ListResourceTags", keys::list_resource_tags),
    ("EnableKeyRotation", keys::enable_key_rotation),
    ("DisableKeyRotation", keys::disable_key_rotation),
    ("GetKeyRotationStatus", keys::get_key_rotation_status),
    ("RotateKeyOnDemand", keys::rotate_key_on_demand),
    ("ListKeyRotations", keys::list_key_rotations),
    // policy.rs
    ("GetKeyPolicy", policy::get_key_policy),
    ("PutKeyPolicy", policy::put_key_policy),
    ("ListKeyPolicies", policy::list_key_policies),
    // grants.rs
    ("CreateGrant", grants::create_grant),
    ("ListGrants", grants::list_grants),
    ("ListRetirableGrants", grants::list_retirable_grants),
    ("RetireGrant", grants::retire_grant),
    ("RevokeGrant", grants::revoke_grant),
    // aliases.rs
    ("CreateAlias", aliases::create_alias),
    ("UpdateAlias", aliases::update_alias),
    ("DeleteAlias", aliases::delete_alias),
    ("ListAliases", aliases::list_aliases),
    // crypto.rs
    ("Encrypt", crypto::encrypt),
    ("Decrypt", crypto::decrypt),
    ("ReEncrypt", crypto::re_encrypt),
    ("GenerateDataKey", crypto::generate_data_key),
    (
        "GenerateDataKeyWithoutPlaintext",
        crypto::generate_data_key_without_plaintext,
    ),
    ("GenerateRandom", crypto::generate_random),
    ("GenerateDataKeyPair", crypto::generate_data_key_pair),
    (
        "GenerateDataKeyPairWithoutPlaintext",
        crypto::generate_data_key_pair_without_plaintext,
    ),
    // import.rs
    ("GetParametersForImport", import::get_parameters_for_import),
    ("ImportKeyMaterial", import::import_key_material),
    (
        "DeleteImportedKeyMaterial",
        import::delete_imported_key_material,
    ),
    // multi_region.rs
    ("ReplicateKey", multi_region::replicate_key),
    ("UpdatePrimaryRegion", multi_region::update_primary_region),
    // signing.rs
    ("GetPublicKey", signing::get_public_key),
    ("Sign", signing::sign),
    ("Verify", signing::verify),
    ("DeriveSharedSecret", signing::derive_shared_secret),
    // mac.rs
    ("GenerateMac", mac::generate_mac),
    ("VerifyMac", mac::verify_mac),
    // custom_key_stores.rs
    (
        "CreateCustomKeyStore",
        custom_key_stores::create_custom_key_store,
    ),
    (
        "DescribeCustomKeyStores",
        custom_key_stores::describe_custom_key_stores,
    ),
    (
        "ConnectCustomKeyStore",
        custom_key_stores::connect_custom_key_store,
    ),
    (
        "DisconnectCustomKeyStore",
        custom_key_stores::disconnect_custom_key_store,
    ),
    (
        "UpdateCustomKeyStore",
        custom_key_stores::update_custom_key_store,
    ),
    (
        "DeleteCustomKeyStore",
        custom_key_stores::delete_custom_key_store,
    ),
];

fn handler(operation: &str) -> Option<Handler> {
    gureum_core::service::find_handler(OPERATIONS, operation)
}

impl Service for Kms {
    fn name(&self) -> &'static str {
        "kms"
    }

    fn implements(&self, operation: &str) -> bool {
        handler(operation).is_some()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            match handler(operation) {
                Some(h) => {
                    grants::check_tokens(&input.params)?;
                    // A dry run does all the work and answers DryRunOperationException instead
                    // of the result; the grant operations, which write, stop before writing.
                    let dry_run = input.params.get("DryRun").and_then(Value::as_bool) == Some(true);
                    let out = h(self, ctx, input.params)?;
                    if dry_run {
                        return Err(errors::dry_run());
                    }
                    Ok(OperationOutput::new(out))
                }
                None => Err(AwsError::not_implemented("kms", operation)),
            }
        })
    }

    fn tick(&self, clock: &gureum_core::Clock) {
        if let Err(e) = import::expire(self, clock) {
            tracing::warn!(error = %e.message,"expiring imported KMS key material failed");
        }
        if let Err(e) = custom_key_stores::purge(self, clock) {
            tracing::warn!(error = %e.message, "destroying deleted keys' HSM objects failed");
        }
    }

    fn reset(&self) -> Result<(), AwsError> {
        // The stores are gone: log their tokens out.
        self.hsm.disconnect_all();
        Ok(())
    }

    fn authz_targets(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        authz::targets(self, ctx, operation, &input.params)
    }
}

/// Deserializes an operation's input into its struct.
fn input<T: DeserializeOwned>(params: Value) -> Result<T, AwsError> {
    let params = if params.is_null() {
        Value::Object(Default::default())
    } else {
        params
    };
    serde_json::from_value(params).map_err(|e| errors::validation(format!("invalid input: {e}")))
}

/// The empty output of operations that answer nothing.
fn empty() -> Value {
    Value::Object(Default::default())
}

/// The server clock in seconds (fractional), the form timestamps and deletion dates take.
fn now(ctx: &RequestContext) -> f64 {
    ctx.clock.now_millis() as f64 / 1000.0
}

fn now_ts(ctx: &RequestContext) -> Timestamp {
    Timestamp::from_millis(ctx.clock.now_millis())
}

/// What a stored key's material is sealed to: its account, region, key id and version, so
/// sealed material copied onto another key's record never opens.
fn material_context(account: &str, region: &str, key_id: &str, version: u32) -> Vec<u8> {
    // `kms-material/{account}/{region}/{key_id}/{version}`, built by hand: every cryptographic
    // request unseals material, and `format!` cost more than the unsealing.
    let mut out = Vec::with_capacity(30 + account.len() + region.len() + key_id.len());
    for piece in ["kms-material/", account, "/", region, "/", key_id, "/"] {
        out.extend_from_slice(piece.as_bytes());
    }
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut v = version;
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
    out
}

/// The clear material of version `version` of `key`.
fn unseal_material(kms: &Kms, key: &model::KeyRecord, version: u32) -> Result<Vec<u8>, AwsError> {
    let material = key
        .material(version)
        .ok_or_else(errors::invalid_ciphertext)?;
    kms.storage
        .sealer
        .unseal(
            &material.sealed.0,
            &material_context(&key.account, &key.region, &key.key_id, version),
        )
        .map_err(errors::store)
}

/// Fresh clear material for a key of `spec`: a PKCS#8 private key for asymmetric specs, as
/// many random bytes as an HMAC key's digest output (AWS: HMAC_224 28 bytes ... HMAC_512 64
/// bytes), or an AES-256 key for symmetric keys.
fn fresh_material(spec: &str) -> Result<Vec<u8>, AwsError> {
    if let Some(spec) = asymmetric::Spec::parse(spec) {
        return asymmetric::generate(spec)
            .map_err(|_| AwsError::new("KMSInternalException", 500, "key generation failed"));
    }
    let mut material = vec![0u8; mac::spec_len(spec).unwrap_or(ciphertext::KEY_LEN)];
    gureum_core::ids::random_bytes(&mut material);
    Ok(material)
}

/// Seals `clear` as version `version` of the key `(account, region, key_id)`.
#[allow(clippy::too_many_arguments)]
fn seal_material(
    kms: &Kms,
    ctx: &RequestContext,
    account: &str,
    region: &str,
    key_id: &str,
    version: u32,
    clear: &[u8],
    rotation_type: Option<&str>,
) -> Result<model::Material, AwsError> {
    let sealed = kms
        .storage
        .sealer
        .seal(clear, &material_context(account, region, key_id, version))
        .map_err(errors::store)?;
    Ok(model::Material {
        version,
        sealed: gureum_core::wire::Blob(sealed),
        created: now_ts(ctx),
        rotation_type: rotation_type.map(str::to_string),
    })
}

/// Fresh material for version `version` of a key of `spec`, sealed.
#[allow(clippy::too_many_arguments)]
fn new_material(
    kms: &Kms,
    ctx: &RequestContext,
    account: &str,
    region: &str,
    key_id: &str,
    spec: &str,
    version: u32,
    rotation_type: Option<&str>,
) -> Result<model::Material, AwsError> {
    let clear = fresh_material(spec)?;
    seal_material(
        kms,
        ctx,
        account,
        region,
        key_id,
        version,
        &clear,
        rotation_type,
    )
}

#[cfg(test)]
mod tests;
