//! CloudHSM key stores over PKCS#11: CreateCustomKeyStore, DescribeCustomKeyStores,
//! ConnectCustomKeyStore, DisconnectCustomKeyStore, UpdateCustomKeyStore and
//! DeleteCustomKeyStore, and the cryptography of the keys in them (origin `AWS_CLOUDHSM`).
//!
//! A store's `CloudHsmClusterId` is the label of a token of the PKCS#11 module (`hsm.rs`), its
//! `KeyStorePassword` the token's user PIN (kept sealed like key material), and its connection
//! state is stored, so a restarted gureum logs back in on first use. Connecting is synchronous:
//! a store goes straight from DISCONNECTED to CONNECTED or FAILED (never CONNECTING or
//! DISCONNECTING), and ConnectCustomKeyStore succeeds either way, as AWS's does.
//!
//! Keys in a store are AES-256 keys generated inside the token; their ciphertexts are the blobs
//! of `ciphertext.rs`, sealed by AES-GCM inside the token. When one is deleted (its waiting
//! period over) its token object is destroyed on the first tick its store is connected for.
//! External key stores (XKS) are not implemented.

use gureum_core::wire::{Blob, Timestamp};
use gureum_core::{AwsError, RequestContext};
use gureum_store::{Txn, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ciphertext::{EncryptionContext, Opening, Sealing};
use crate::hsm::HsmError;
use crate::model::{self, Committed, HsmKey, KeyRecord, Reader};
use crate::{Kms, empty, errors, input, now, now_ts};

/// Custom key stores by `(account, region, id)`.
pub const STORES: &str = "kms.custom_key_stores";
/// Keys of CloudHSM key stores scheduled for deletion, by `(account, region, key id)`: once a
/// key's waiting period is over, `purge` destroys its token object (when its store is
/// connected; until then the entry waits).
pub const DELETIONS: &str = "kms.hsm_deletions";

pub const CLOUDHSM: &str = "AWS_CLOUDHSM";
const CONNECTED: &str = "CONNECTED";
const DISCONNECTED: &str = "DISCONNECTED";
const FAILED: &str = "FAILED";
/// The one material version of a key in a custom key store: such keys do not rotate.
const HSM_MATERIAL_VERSION: u32 = 1;

/// A CloudHSM key store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreRecord {
    pub id: String,
    pub account: String,
    pub region: String,
    pub name: String,
    pub cluster_id: String,
    pub trust_anchor: String,
    /// The `kmsuser` password (the token's user PIN), sealed to this store.
    pub password: Blob,
    pub created: Timestamp,
    /// `CONNECTED`, `DISCONNECTED` or `FAILED`: what the last Connect/Disconnect left.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl Versioned for StoreRecord {
    const VERSION: u16 = 1;
}

fn client(code: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, 400, message)
}

fn not_found() -> AwsError {
    client(
        "CustomKeyStoreNotFoundException",
        "The request was rejected because AWS KMS cannot find a custom key store with the specified key store name or ID.",
    )
}

fn name_in_use(name: &str) -> AwsError {
    client(
        "CustomKeyStoreNameInUseException",
        format!("A custom key store with name '{name}' already exists in this account and Region."),
    )
}

fn cluster_not_found(cluster_id: &str) -> AwsError {
    client(
        "CloudHsmClusterNotFoundException",
        format!("AWS KMS cannot find the AWS CloudHSM cluster with cluster ID {cluster_id}."),
    )
}

fn invalid_state(message: impl Into<String>) -> AwsError {
    client("CustomKeyStoreInvalidStateException", message)
}

fn internal(e: HsmError) -> AwsError {
    AwsError::new("KMSInternalException", 500, format!("HSM failure: {e}"))
}

fn store_key(account: &str, region: &str, id: &str) -> Vec<u8> {
    key::join([account, region, id])
}

fn password_context(account: &str, region: &str, id: &str) -> Vec<u8> {
    format!("kms-custom-key-store/{account}/{region}/{id}").into_bytes()
}

/// A fresh store id: `cks-` and 17 hex digits, as AWS writes them.
fn new_store_id() -> String {
    let mut b = [0u8; 9];
    gureum_core::ids::random_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("cks-{}", &hex[..17])
}

fn read_store<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    region: &str,
    id: &str,
) -> Result<Option<StoreRecord>, AwsError> {
    match r
        .get(STORES, &store_key(account, region, id))
        .map_err(errors::store)?
    {
        Some(bytes) => StoreRecord::from_record(&bytes)
            .map(Some)
            .map_err(errors::store),
        None => Ok(None),
    }
}

/// The caller's store `id`, or `CustomKeyStoreNotFoundException`.
pub fn get_store(kms: &Kms, ctx: &RequestContext, id: &str) -> Result<StoreRecord, AwsError> {
    read_store(&mut Committed(kms.kv()), ctx.account_id(), &ctx.region, id)?.ok_or_else(not_found)
}

/// The stores of `(account, region)`; every store when both are empty.
fn list_stores(kms: &Kms, account: &str, region: &str) -> Result<Vec<StoreRecord>, AwsError> {
    let prefix = if account.is_empty() && region.is_empty() {
        Vec::new()
    } else {
        model::scope_prefix(account, region)
    };
    let entries = kms
        .kv()
        .scan_prefix(STORES, &prefix, None, false)
        .map_err(errors::store)?;
    entries
        .into_iter()
        .map(|(_, bytes)| StoreRecord::from_record(&bytes).map_err(errors::store))
        .collect()
}

fn write_store(txn: &mut dyn Txn, store: &StoreRecord) -> Result<(), AwsError> {
    model::write(
        txn,
        STORES,
        &store_key(&store.account, &store.region, &store.id),
        store,
    )
}

/// Changes the caller's store `id` in one transaction; `f` may refuse.
fn update_store<T>(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
    mut f: impl FnMut(&mut dyn Txn, &mut StoreRecord) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    model::transact(kms.kv(), |txn| {
        let mut store =
            read_store(txn, ctx.account_id(), &ctx.region, id)?.ok_or_else(not_found)?;
        let out = f(txn, &mut store)?;
        write_store(txn, &store)?;
        Ok(out)
    })
}

fn check_password(password: &str) -> Result<(), AwsError> {
    let len = password.chars().count();
    if !(7..=32).contains(&len) {
        return Err(errors::validation(
            "1 validation error detected: Value at 'keyStorePassword' failed to satisfy constraint: Member must have length between 7 and 32",
        ));
    }
    Ok(())
}

fn check_cluster_id(cluster_id: &str) -> Result<(), AwsError> {
    let ok = cluster_id.strip_prefix("cluster-").is_some_and(|rest| {
        (11..=16).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || (b'2'..=b'7').contains(&b))
    });
    if !ok {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{cluster_id}' at 'cloudHsmClusterId' failed to satisfy constraint: Member must satisfy regular expression pattern: cluster-[2-7a-zA-Z]{{11,16}}"
        )));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() || name.chars().count() > 256 {
        return Err(errors::validation(
            "1 validation error detected: Value at 'customKeyStoreName' failed to satisfy constraint: Member must have length between 1 and 256",
        ));
    }
    Ok(())
}

/// Whether the token `cluster_id` is there; `CloudHsmClusterNotFoundException` when no module
/// is configured or no token carries that label.
fn check_cluster(kms: &Kms, cluster_id: &str) -> Result<(), AwsError> {
    match kms.hsm.check_cluster(cluster_id) {
        Ok(()) => Ok(()),
        Err(HsmError::NoModule(why)) => {
            tracing::warn!(%why, "CloudHSM key store: no PKCS#11 module");
            Err(cluster_not_found(cluster_id))
        }
        Err(HsmError::ClusterNotFound) => Err(cluster_not_found(cluster_id)),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    custom_key_store_name: String,
    cloud_hsm_cluster_id: Option<String>,
    trust_anchor_certificate: Option<String>,
    key_store_password: Option<String>,
    custom_key_store_type: Option<String>,
}

pub fn create_custom_key_store(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: CreateInput = input(params)?;
    match i.custom_key_store_type.as_deref().unwrap_or(CLOUDHSM) {
        CLOUDHSM => {}
        "EXTERNAL_KEY_STORE" => {
            return Err(AwsError::not_implemented(
                "kms",
                "CreateCustomKeyStore with CustomKeyStoreType EXTERNAL_KEY_STORE",
            ));
        }
        other => {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{other}' at 'customKeyStoreType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_CLOUDHSM, EXTERNAL_KEY_STORE]"
            )));
        }
    }
    check_name(&i.custom_key_store_name)?;
    let required = |v: Option<String>, member: &str| {
        v.ok_or_else(|| {
            errors::validation(format!(
                "{member} is required to create a custom key store of type AWS_CLOUDHSM."
            ))
        })
    };
    let cluster_id = required(i.cloud_hsm_cluster_id, "CloudHsmClusterId")?;
    let trust_anchor = required(i.trust_anchor_certificate, "TrustAnchorCertificate")?;
    let password = required(i.key_store_password, "KeyStorePassword")?;
    check_cluster_id(&cluster_id)?;
    check_password(&password)?;
    // The trust anchor is the certificate that signed the cluster's CSR: a PEM certificate.
    if !trust_anchor.contains("-----BEGIN CERTIFICATE-----")
        || !trust_anchor.contains("-----END CERTIFICATE-----")
    {
        return Err(client(
            "IncorrectTrustAnchorException",
            "The trust anchor certificate in the request is not the trust anchor certificate for the specified AWS CloudHSM cluster.",
        ));
    }
    let account = ctx.account_id().to_string();
    let region = ctx.region.clone();
    for other in list_stores(kms, &account, &region)? {
        if other.name == i.custom_key_store_name {
            return Err(name_in_use(&other.name));
        }
    }
    // A token is one machine's: one store of any account or Region uses it.
    for other in list_stores(kms, "", "")? {
        if other.cluster_id == cluster_id {
            return Err(client(
                "CloudHsmClusterInUseException",
                format!(
                    "The AWS CloudHSM cluster {cluster_id} is already associated with the custom key store {}.",
                    other.id
                ),
            ));
        }
    }
    check_cluster(kms, &cluster_id)?;
    let id = new_store_id();
    let sealed = kms
        .storage
        .sealer
        .seal(
            password.as_bytes(),
            &password_context(&account, &region, &id),
        )
        .map_err(errors::store)?;
    let store = StoreRecord {
        id: id.clone(),
        account,
        region,
        name: i.custom_key_store_name,
        cluster_id,
        trust_anchor,
        password: Blob(sealed),
        created: now_ts(ctx),
        state: DISCONNECTED.into(),
        error_code: None,
    };
    model::transact(kms.kv(), |txn| write_store(txn, &store))?;
    Ok(json!({"CustomKeyStoreId": id}))
}

fn entry(store: &StoreRecord) -> Value {
    let mut out = json!({
        "CustomKeyStoreId": store.id,
        "CustomKeyStoreName": store.name,
        "CloudHsmClusterId": store.cluster_id,
        "TrustAnchorCertificate": store.trust_anchor,
        "ConnectionState": store.state,
        "CreationDate": store.created,
        "CustomKeyStoreType": CLOUDHSM,
    });
    if let (Some(code), Some(fields)) = (&store.error_code, out.as_object_mut()) {
        fields.insert("ConnectionErrorCode".into(), json!(code));
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeInput {
    custom_key_store_id: Option<String>,
    custom_key_store_name: Option<String>,
    limit: Option<usize>,
    marker: Option<String>,
}

pub fn describe_custom_key_stores(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: DescribeInput = input(params)?;
    if i.custom_key_store_id.is_some() && i.custom_key_store_name.is_some() {
        return Err(errors::validation(
            "Specify either CustomKeyStoreId or CustomKeyStoreName, not both.",
        ));
    }
    let stores: Vec<StoreRecord> = list_stores(kms, ctx.account_id(), &ctx.region)?
        .into_iter()
        .filter(|s| i.custom_key_store_id.as_ref().is_none_or(|id| *id == s.id))
        .filter(|s| {
            i.custom_key_store_name
                .as_ref()
                .is_none_or(|name| *name == s.name)
        })
        .collect();
    if stores.is_empty() && (i.custom_key_store_id.is_some() || i.custom_key_store_name.is_some()) {
        return Err(not_found());
    }
    let (page, next) =
        crate::keys::paginate(stores, i.limit, i.marker.as_deref(), |s| s.id.as_str());
    let entries: Vec<Value> = page.iter().map(entry).collect();
    Ok(crate::keys::page_output(
        json!({"CustomKeyStores": entries}),
        next,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoreIdInput {
    custom_key_store_id: String,
}

/// Logs the store in; the connection state and error code it ends in.
fn try_connect(kms: &Kms, store: &StoreRecord) -> Result<(), AwsError> {
    let pin = kms
        .storage
        .sealer
        .unseal(
            &store.password.0,
            &password_context(&store.account, &store.region, &store.id),
        )
        .map_err(errors::store)?;
    let pin = String::from_utf8(pin).map_err(|_| errors::corrupt_key())?;
    kms.hsm
        .connect(&store.id, &store.cluster_id, &pin)
        .map_err(|e| {
            let code = match &e {
                HsmError::InvalidCredentials => "INVALID_CREDENTIALS",
                HsmError::UserLockedOut => "USER_LOCKED_OUT",
                HsmError::UserLoggedIn => "USER_LOGGED_IN",
                HsmError::NoModule(_) | HsmError::ClusterNotFound => "CLUSTER_NOT_FOUND",
                _ => "INTERNAL_ERROR",
            };
            tracing::info!(store = %store.id, error = %e, "connecting a CloudHSM key store failed");
            AwsError::new(code, 400, e.to_string())
        })
}

pub fn connect_custom_key_store(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: StoreIdInput = input(params)?;
    let store = get_store(kms, ctx, &i.custom_key_store_id)?;
    if store.state == FAILED {
        return Err(invalid_state(format!(
            "Custom key store {} is in the FAILED state: disconnect it (DisconnectCustomKeyStore), then connect it again.",
            store.id
        )));
    }
    // Like AWS, the request succeeds and a failure shows as the FAILED connection state.
    let outcome = try_connect(kms, &store);
    update_store(kms, ctx, &store.id, |_, s| {
        match &outcome {
            Ok(()) => {
                s.state = CONNECTED.into();
                s.error_code = None;
            }
            Err(e) => {
                s.state = FAILED.into();
                s.error_code = Some(e.code.to_string());
            }
        }
        Ok(())
    })?;
    Ok(empty())
}

pub fn disconnect_custom_key_store(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: StoreIdInput = input(params)?;
    update_store(kms, ctx, &i.custom_key_store_id, |_, s| {
        if s.state == DISCONNECTED {
            return Err(invalid_state(format!(
                "Custom key store {} is already DISCONNECTED.",
                s.id
            )));
        }
        s.state = DISCONNECTED.into();
        s.error_code = None;
        Ok(())
    })?;
    kms.hsm.disconnect(&i.custom_key_store_id);
    Ok(empty())
}

fn require_disconnected(store: &StoreRecord, operation: &str) -> Result<(), AwsError> {
    if store.state != DISCONNECTED {
        return Err(invalid_state(format!(
            "{operation} needs custom key store {} to be DISCONNECTED; it is {}.",
            store.id, store.state
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    custom_key_store_id: String,
    new_custom_key_store_name: Option<String>,
    key_store_password: Option<String>,
    cloud_hsm_cluster_id: Option<String>,
}

pub fn update_custom_key_store(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: UpdateInput = input(params)?;
    if let Some(name) = &i.new_custom_key_store_name {
        check_name(name)?;
    }
    if let Some(password) = &i.key_store_password {
        check_password(password)?;
    }
    let store = get_store(kms, ctx, &i.custom_key_store_id)?;
    require_disconnected(&store, "UpdateCustomKeyStore")?;
    if let Some(cluster_id) = i.cloud_hsm_cluster_id.as_ref() {
        check_cluster_id(cluster_id)?;
        if *cluster_id != store.cluster_id {
            check_cluster(kms, cluster_id)?;
            // Another token shares no backup history with the store's: its keys are not there.
            return Err(client(
                "CloudHsmClusterNotRelatedException",
                format!(
                    "The AWS CloudHSM cluster {cluster_id} is not related to cluster {}: it does not share its backup history.",
                    store.cluster_id
                ),
            ));
        }
    }
    if let Some(name) = &i.new_custom_key_store_name {
        let taken = list_stores(kms, ctx.account_id(), &ctx.region)?
            .iter()
            .any(|s| s.name == *name && s.id != store.id);
        if taken {
            return Err(name_in_use(name));
        }
    }
    let sealed = i
        .key_store_password
        .as_ref()
        .map(|password| {
            kms.storage.sealer.seal(
                password.as_bytes(),
                &password_context(&store.account, &store.region, &store.id),
            )
        })
        .transpose()
        .map_err(errors::store)?;
    update_store(kms, ctx, &store.id, |_, s| {
        require_disconnected(s, "UpdateCustomKeyStore")?;
        if let Some(name) = &i.new_custom_key_store_name {
            s.name = name.clone();
        }
        if let Some(sealed) = &sealed {
            s.password = Blob(sealed.clone());
        }
        Ok(())
    })?;
    Ok(empty())
}

pub fn delete_custom_key_store(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: StoreIdInput = input(params)?;
    let store = get_store(kms, ctx, &i.custom_key_store_id)?;
    require_disconnected(&store, "DeleteCustomKeyStore")?;
    // Keys pending deletion still count, until their waiting period is over.
    let has_keys = model::list_keys(kms.kv(), ctx.account_id(), &ctx.region, now(ctx))?
        .iter()
        .any(|k| {
            k.hsm
                .as_ref()
                .is_some_and(|h| h.custom_key_store_id == store.id)
        });
    if has_keys {
        return Err(client(
            "CustomKeyStoreHasCMKsException",
            "The request was rejected because the custom key store contains AWS KMS keys. After verifying that you do not need to use the KMS keys, use the ScheduleKeyDeletion operation to delete the KMS keys. After they are deleted, you can delete the custom key store.",
        ));
    }
    model::transact(kms.kv(), |txn| {
        let k = store_key(&store.account, &store.region, &store.id);
        let current: Option<StoreRecord> =
            read_store(txn, &store.account, &store.region, &store.id)?;
        match current {
            Some(s) => require_disconnected(&s, "DeleteCustomKeyStore")?,
            None => return Err(not_found()),
        }
        txn.delete(STORES, &k).map(|_| ()).map_err(errors::store)
    })?;
    Ok(empty())
}

/// CreateKey in a custom key store: checks the request and the store, and generates the key
/// inside the store's token. What the key record keeps of it.
pub fn create_key_in_store(
    kms: &Kms,
    ctx: &RequestContext,
    store_id: &str,
    key_id: &str,
) -> Result<HsmKey, AwsError> {
    let store = get_store(kms, ctx, store_id)?;
    if store.state != CONNECTED {
        return Err(invalid_state(format!(
            "Custom key store {} is not connected: CreateKey needs its ConnectionState to be CONNECTED.",
            store.id
        )));
    }
    let hsm_key = HsmKey {
        custom_key_store_id: store.id.clone(),
        cluster_id: store.cluster_id.clone(),
        label: key_id.to_string(),
    };
    ensure_session(kms, &store)?;
    kms.hsm
        .generate_key(&store.id, &hsm_key.label)
        .map_err(internal)?;
    Ok(hsm_key)
}

/// Opens the session of a store that should be connected but has none in this process (after
/// a restart).
fn ensure_session(kms: &Kms, store: &StoreRecord) -> Result<(), AwsError> {
    if kms.hsm.is_connected(&store.id) {
        return Ok(());
    }
    let Err(e) = try_connect(kms, store) else {
        return Ok(());
    };
    // The store is no longer connected: it shows FAILED with the reason, as after Connect.
    model::transact(kms.kv(), |txn| {
        let current = read_store(txn, &store.account, &store.region, &store.id)?;
        if let Some(mut s) = current.filter(|s| s.state == CONNECTED) {
            s.state = FAILED.into();
            s.error_code = Some(e.code.to_string());
            write_store(txn, &s)?;
        }
        Ok(())
    })?;
    Err(invalid_state(format!(
        "Custom key store {} cannot reach its cluster: {}",
        store.id, e.message
    )))
}

/// Whether the store of an HSM key is connected: AWS shows such keys as `Unavailable` while it
/// is not.
pub fn is_available(kms: &Kms, key: &KeyRecord) -> bool {
    let Some(h) = &key.hsm else { return true };
    read_store(
        &mut Committed(kms.kv()),
        &key.account,
        &key.region,
        &h.custom_key_store_id,
    )
    .ok()
    .flatten()
    .is_some_and(|s| s.state == CONNECTED)
}

/// The store of an HSM key, connected, or `KMSInvalidStateException`.
fn connected_store(kms: &Kms, key: &KeyRecord, h: &HsmKey) -> Result<StoreRecord, AwsError> {
    let store = read_store(
        &mut Committed(kms.kv()),
        &key.account,
        &key.region,
        &h.custom_key_store_id,
    )?
    .filter(|s| s.state == CONNECTED)
    .ok_or_else(|| {
        errors::invalid_state(format!(
            "{} is unavailable because its custom key store {} is not connected.",
            key.arn(),
            h.custom_key_store_id
        ))
    })?;
    ensure_session(kms, &store).map_err(|e| errors::invalid_state(e.message))?;
    Ok(store)
}

fn crypto_error(key: &KeyRecord, e: HsmError) -> AwsError {
    match e {
        HsmError::Unauthenticated => errors::invalid_ciphertext(),
        HsmError::NotConnected => errors::invalid_state(format!(
            "{} is unavailable because its custom key store is not connected.",
            key.arn()
        )),
        HsmError::KeyNotFound => errors::invalid_state(format!(
            "The key material of {} is not in its AWS CloudHSM cluster.",
            key.arn()
        )),
        e => internal(e),
    }
}

/// Encrypts `plaintext` under the HSM key `h` of `key`, inside the HSM, into a blob.
pub fn encrypt(
    kms: &Kms,
    key: &KeyRecord,
    h: &HsmKey,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, AwsError> {
    let store = connected_store(kms, key, h)?;
    let sealing = Sealing::new(&key.key_id, HSM_MATERIAL_VERSION, context)
        .map_err(|_| errors::invalid_ciphertext())?;
    let sealed = kms
        .hsm
        .encrypt(&store.id, &h.label, &sealing.nonce, &sealing.aad, plaintext)
        .map_err(|e| crypto_error(key, e))?;
    Ok(sealing.finish(&sealed))
}

/// Decrypts a blob of the HSM key `h` of `key`, inside the HSM.
pub fn decrypt(
    kms: &Kms,
    key: &KeyRecord,
    h: &HsmKey,
    material_version: u32,
    blob: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, AwsError> {
    if material_version != HSM_MATERIAL_VERSION {
        return Err(errors::invalid_ciphertext());
    }
    let opening = Opening::new(blob, context).map_err(|_| errors::invalid_ciphertext())?;
    let store = connected_store(kms, key, h)?;
    kms.hsm
        .decrypt(
            &store.id,
            &h.label,
            &opening.nonce,
            &opening.aad,
            opening.sealed,
        )
        .map_err(|e| crypto_error(key, e))
}

/// GenerateRandom with a CustomKeyStoreId: random bytes from the store's HSM.
pub fn random(
    kms: &Kms,
    ctx: &RequestContext,
    store_id: &str,
    len: usize,
) -> Result<Vec<u8>, AwsError> {
    let store = get_store(kms, ctx, store_id)?;
    if store.state != CONNECTED {
        return Err(invalid_state(format!(
            "Custom key store {} is not connected: GenerateRandom needs its ConnectionState to be CONNECTED.",
            store.id
        )));
    }
    ensure_session(kms, &store)?;
    kms.hsm.random(&store.id, len).map_err(internal)
}

/// Notes that the HSM key `key` is scheduled for deletion, for `purge`.
pub fn note_deletion(kms: &Kms, key: &KeyRecord) -> Result<(), AwsError> {
    if key.hsm.is_none() {
        return Ok(());
    }
    kms.kv()
        .put(
            DELETIONS,
            &model::key_key(&key.account, &key.region, &key.key_id),
            &[],
        )
        .map_err(errors::store)
}

/// How many noted deletions one tick looks at.
const PURGE_BATCH: usize = 256;

/// Destroys the token objects of HSM keys whose waiting period is over, on the server clock.
/// A cancelled deletion drops its note; a store that is not connected keeps its notes waiting.
pub fn purge(kms: &Kms, clock: &gureum_core::Clock) -> Result<(), AwsError> {
    let now = clock.now_millis() as f64 / 1000.0;
    let entries = kms
        .kv()
        .scan(
            DELETIONS,
            &gureum_store::KeyRange::all(),
            Some(PURGE_BATCH),
            false,
        )
        .map_err(errors::store)?;
    for (entry, _) in entries {
        let bytes = kms.kv().get(model::KEYS, &entry).map_err(errors::store)?;
        let key = match bytes.map(|b| KeyRecord::from_record(&b)).transpose() {
            Ok(Some(key)) => key,
            // No record (or one that does not read): nothing to destroy.
            _ => {
                kms.kv().delete(DELETIONS, &entry).map_err(errors::store)?;
                continue;
            }
        };
        let Some(h) = key.hsm.as_ref().filter(|_| key.deletion_date.is_some()) else {
            kms.kv().delete(DELETIONS, &entry).map_err(errors::store)?;
            continue;
        };
        if !key.is_deleted_at(now) {
            continue;
        }
        let store = read_store(
            &mut Committed(kms.kv()),
            &key.account,
            &key.region,
            &h.custom_key_store_id,
        )?;
        let Some(store) = store else {
            // The store is gone: its token objects stay in the token, as AWS leaves them.
            kms.kv().delete(DELETIONS, &entry).map_err(errors::store)?;
            continue;
        };
        if store.state != CONNECTED || ensure_session(kms, &store).is_err() {
            continue;
        }
        match kms.hsm.destroy_key(&store.id, &h.label) {
            Ok(()) => {
                tracing::info!(key = %key.key_id, store = %store.id, "destroyed a deleted key's HSM object");
                kms.kv().delete(DELETIONS, &entry).map_err(errors::store)?;
            }
            Err(e) => {
                tracing::warn!(key = %key.key_id, error = %e, "destroying a deleted key's HSM object failed");
            }
        }
    }
    Ok(())
}
