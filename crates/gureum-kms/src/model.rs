//! KMS's stored records and how a request's key identifier finds one. KMS is regional: every key
//! starts with `(account, region)`, so neither accounts nor regions see each other's keys.
//!
//! A key whose deletion date has passed on the server clock is gone: every read treats it as
//! absent (and writes remove it), so no timer is needed.

use std::sync::Arc;

use gureum_core::wire::{Blob, Timestamp};
use gureum_core::{Arn, AwsError, RequestContext};
use gureum_store::{KvStore, KvStoreExt, StoreError, Txn, Versioned, key};
use serde::{Deserialize, Serialize};

use crate::errors;

/// Keys by `(account, region, key id)`.
pub const KEYS: &str = "kms.keys";
/// Aliases by `(account, region, alias name)`.
pub const ALIASES: &str = "kms.aliases";

/// One version of a key's material, sealed under the instance's master key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Material {
    pub version: u32,
    pub sealed: Blob,
    pub created: Timestamp,
    /// `ON_DEMAND` or `AUTOMATIC` for rotations; absent for the first material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A KMS key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key_id: String,
    pub account: String,
    pub region: String,
    pub created: Timestamp,
    pub description: String,
    pub key_usage: String,
    pub key_spec: String,
    pub origin: String,
    /// `AWS` for AWS managed keys (`managed.rs`); absent for customer managed keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_manager: Option<String>,
    pub enabled: bool,
    /// When the key goes away, while it is pending deletion.
    pub deletion_date: Option<Timestamp>,
    pub pending_window_days: Option<u32>,
    pub policy: String,
    pub tags: Vec<Tag>,
    pub rotation_enabled: bool,
    pub rotation_period_days: Option<u32>,
    pub materials: Vec<Material>,
    /// The key's grants (see `grants.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantRecord>,
    /// For keys of origin `EXTERNAL`: the import parameters and the imported material's terms
    /// (see `import.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportState>,
    /// For multi-region keys (`mrk-` ids): where the primary and the replicas live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<MultiRegion>,
    /// A multi-region primary scheduled for deletion while it still has replicas: its waiting
    /// period (`pending_window_days`) starts when the last replica is deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replica_deletion_pending: bool,
    /// For keys of origin `AWS_CLOUDHSM`: the key store and the HSM object holding the material
    /// (see `custom_key_stores.rs`); such keys have no `materials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm: Option<HsmKey>,
}

/// Where the material of a key in a CloudHSM key store lives: a key object of the store's
/// token, found by its label.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HsmKey {
    pub custom_key_store_id: String,
    pub cluster_id: String,
    pub label: String,
}

/// What an `EXTERNAL` key knows about importing its material.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportState {
    /// The parameters of the newest GetParametersForImport, while they are the ones to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<ImportParameters>,
    /// HMAC-SHA-256 of the first material imported, keyed by that material, over a fixed
    /// label: later imports must carry the same material (`IncorrectKeyMaterialException`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Blob>,
    /// When the imported material expires (`KEY_MATERIAL_EXPIRES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE`, once material is imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<String>,
}

/// One GetParametersForImport answer: a wrapping key pair and the token that goes with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportParameters {
    pub token: Blob,
    /// The wrapping private key (PKCS#8), sealed like key material.
    pub wrapping_key: Blob,
    pub wrapping_algorithm: String,
    pub valid_to: Timestamp,
}

/// The regions of a multi-region key, kept the same on the primary and on every replica.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultiRegion {
    pub primary_region: String,
    pub replica_regions: Vec<String>,
}

/// The constraints of a grant: the encryption context a request must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<std::collections::BTreeMap<String, String>>,
}

/// A grant: permission for a grantee principal to perform some operations with one key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantRecord {
    pub grant_id: String,
    pub token: String,
    pub name: Option<String>,
    pub grantee: String,
    pub retiring: Option<String>,
    pub operations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
    pub issuing_account: String,
    pub created: Timestamp,
}

impl Versioned for KeyRecord {
    const VERSION: u16 = 1;
}

/// The states KMS reports (`KeyState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
    PendingReplicaDeletion,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::PendingReplicaDeletion => "PendingReplicaDeletion",
        }
    }
}

impl KeyRecord {
    pub fn arn(&self) -> String {
        key_arn(&self.region, &self.account, &self.key_id)
    }

    pub fn state(&self) -> KeyState {
        if self.deletion_date.is_some() {
            KeyState::PendingDeletion
        } else if self.replica_deletion_pending {
            KeyState::PendingReplicaDeletion
        } else if self.materials.is_empty() && self.hsm.is_none() {
            KeyState::PendingImport
        } else if self.enabled {
            KeyState::Enabled
        } else {
            KeyState::Disabled
        }
    }

    /// Whether the key's deletion date has passed at `now` (seconds).
    pub fn is_deleted_at(&self, now: f64) -> bool {
        self.deletion_date.is_some_and(|d| d.0 <= now)
    }

    /// The newest material.
    pub fn current_material(&self) -> Option<&Material> {
        self.materials.iter().max_by_key(|m| m.version)
    }

    pub fn material(&self, version: u32) -> Option<&Material> {
        self.materials.iter().find(|m| m.version == version)
    }

    /// Refuses a key that cannot do cryptography now: disabled or pending deletion.
    pub fn require_usable(&self) -> Result<(), AwsError> {
        match self.state() {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(errors::disabled(&self.arn())),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                Err(pending_deletion(&self.arn()))
            }
            KeyState::PendingImport => Err(errors::invalid_state(format!(
                "{} is pending import.",
                self.arn()
            ))),
        }
    }
}

pub fn pending_deletion(arn: &str) -> AwsError {
    errors::invalid_state(format!("{arn} is pending deletion."))
}

/// An alias: a friendly name for one key of the same account and region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasRecord {
    pub name: String,
    pub target_key_id: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

impl Versioned for AliasRecord {
    const VERSION: u16 = 1;
}

pub fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    // Built by hand: this runs several times per request, and Arn's Display goes through format.
    let mut arn = String::with_capacity(24 + region.len() + account.len() + key_id.len());
    for piece in ["arn:aws:kms:", region, ":", account, ":key/", key_id] {
        arn.push_str(piece);
    }
    arn
}

pub fn alias_arn(region: &str, account: &str, alias: &str) -> String {
    Arn::new("kms", region, account, alias).to_string()
}

pub fn key_key(account: &str, region: &str, key_id: &str) -> Vec<u8> {
    key::join([account, region, key_id])
}

pub fn alias_key(account: &str, region: &str, alias: &str) -> Vec<u8> {
    key::join([account, region, alias])
}

pub fn scope_prefix(account: &str, region: &str) -> Vec<u8> {
    key::join([account, region])
}

/// A fresh key id: a UUID in version-4 layout, as AWS writes them.
pub fn new_key_id() -> String {
    let mut b = [0u8; 16];
    gureum_core::ids::random_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A fresh multi-region key id: `mrk-` and 32 hex digits, as AWS writes them.
pub fn new_multi_region_key_id() -> String {
    format!("mrk-{}", new_key_id().replace('-', ""))
}

fn is_key_id(s: &str) -> bool {
    if let Some(hex) = s.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// What a `KeyId` member names, before looking it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A key by id (given as an id or as a key ARN).
    Key {
        account: String,
        region: String,
        key_id: String,
    },
    /// An alias (given as a name or as an alias ARN).
    Alias {
        account: String,
        region: String,
        name: String,
    },
}

impl KeyRef {
    /// Parses an identifier: key id, key ARN, alias name or alias ARN. `allow_alias` is false
    /// for operations that take only key ids and key ARNs.
    pub fn parse(ctx: &RequestContext, id: &str, allow_alias: bool) -> Result<KeyRef, AwsError> {
        let account = ctx.account_id().to_string();
        let region = ctx.region.clone();
        if let Some(arn) = Arn::parse(id).filter(|a| a.service == "kms") {
            if let Some(key_id) = arn.resource.strip_prefix("key/") {
                if is_key_id(key_id) {
                    return Ok(KeyRef::Key {
                        account: arn.account_id,
                        region: arn.region,
                        key_id: key_id.to_string(),
                    });
                }
            } else if allow_alias && arn.resource.starts_with("alias/") {
                return Ok(KeyRef::Alias {
                    account: arn.account_id,
                    region: arn.region,
                    name: arn.resource,
                });
            }
            return Err(errors::invalid_key_id(id));
        }
        if allow_alias && id.starts_with("alias/") {
            return Ok(KeyRef::Alias {
                account,
                region,
                name: id.to_string(),
            });
        }
        if is_key_id(id) {
            return Ok(KeyRef::Key {
                account,
                region,
                key_id: id.to_string(),
            });
        }
        Err(errors::invalid_key_id(id))
    }
}

/// Read access: a transaction or the committed state.
pub trait Reader {
    fn get(&mut self, table: &str, key: &[u8]) -> gureum_store::Result<Option<Vec<u8>>>;
}

impl Reader for dyn Txn + '_ {
    fn get(&mut self, table: &str, key: &[u8]) -> gureum_store::Result<Option<Vec<u8>>> {
        Txn::get(self, table, key)
    }
}

/// Committed state, read outside any transaction.
pub struct Committed<'a>(pub &'a dyn KvStore);

impl Reader for Committed<'_> {
    fn get(&mut self, table: &str, key: &[u8]) -> gureum_store::Result<Option<Vec<u8>>> {
        self.0.get(table, key)
    }
}

fn read<T: Versioned, R: Reader + ?Sized>(
    r: &mut R,
    table: &str,
    key: &[u8],
) -> Result<Option<T>, AwsError> {
    match r.get(table, key).map_err(errors::store)? {
        Some(bytes) => T::from_record(&bytes).map(Some).map_err(errors::store),
        None => Ok(None),
    }
}

/// Writes one record.
pub fn write<T: Versioned>(
    txn: &mut dyn Txn,
    table: &str,
    key: &[u8],
    record: &T,
) -> Result<(), AwsError> {
    let bytes = record.to_record().map_err(errors::store)?;
    txn.put(table, key, &bytes).map_err(errors::store)
}

/// A key by id, or `None` when absent or deleted by `now`.
pub fn get_key<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    region: &str,
    key_id: &str,
    now: f64,
) -> Result<Option<KeyRecord>, AwsError> {
    Ok(get_key_shared(r, account, region, key_id, now)?.map(Arc::unwrap_or_clone))
}

/// [`get_key`], shared: for the reads that do not change the key (authorization and the
/// cryptographic operations), which then neither copy nor free it.
pub fn get_key_shared<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    region: &str,
    key_id: &str,
    now: f64,
) -> Result<Option<Arc<KeyRecord>>, AwsError> {
    // Read on nearly every request (authorization, then the handler): decoded through a
    // per-thread cache of recent records.
    let key = match r
        .get(KEYS, &key_key(account, region, key_id))
        .map_err(errors::store)?
    {
        Some(bytes) => Some(decode_shared(&bytes).map_err(errors::store)?),
        None => None,
    };
    let key = match key {
        Some(k) if k.replica_deletion_pending => {
            Some(Arc::new(after_replicas(r, Arc::unwrap_or_clone(k), now)?))
        }
        other => other,
    };
    Ok(key.filter(|k| !k.is_deleted_at(now)))
}

/// Keys decoded recently on this thread, by their stored bytes (which always decode to the
/// same record, so no entry can be stale), shared rather than copied out.
fn decode_shared(bytes: &[u8]) -> gureum_store::Result<Arc<KeyRecord>> {
    use std::cell::RefCell;
    const ENTRIES: usize = 32;
    type Entries = Vec<(Box<[u8]>, Arc<KeyRecord>)>;
    thread_local! {
        static DECODED: RefCell<Entries> = const { RefCell::new(Vec::new()) };
    }
    let hit = DECODED.with(|cache| {
        cache
            .borrow()
            .iter()
            .rev()
            .find(|(raw, _)| **raw == *bytes)
            .map(|(_, key)| key.clone())
    });
    if let Some(key) = hit {
        return Ok(key);
    }
    let key = Arc::new(KeyRecord::from_record(bytes)?);
    DECODED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= ENTRIES {
            cache.remove(0);
        }
        cache.push((bytes.into(), key.clone()));
    });
    Ok(key)
}

/// A primary waiting for its replicas' deletion, as of `now`: once every replica is deleted, its
/// own waiting period runs from the last replica's deletion date.
fn after_replicas<R: Reader + ?Sized>(
    r: &mut R,
    mut key: KeyRecord,
    now: f64,
) -> Result<KeyRecord, AwsError> {
    let replicas = key
        .multi_region
        .as_ref()
        .map(|mr| mr.replica_regions.clone())
        .unwrap_or_default();
    let mut last = 0.0_f64;
    for region in replicas.iter().filter(|region| **region != key.region) {
        let replica: Option<KeyRecord> =
            read(r, KEYS, &key_key(&key.account, region, &key.key_id))?;
        if let Some(replica) = replica {
            match replica.deletion_date {
                Some(d) if d.0 <= now => last = last.max(d.0),
                // A replica still lives (or is only scheduled): the primary keeps waiting.
                _ => return Ok(key),
            }
        }
    }
    let days = f64::from(key.pending_window_days.unwrap_or(30));
    key.replica_deletion_pending = false;
    key.deletion_date = Some(Timestamp(last.max(key.created.0) + days * 86_400.0));
    Ok(key)
}

/// An alias, or `None` when absent or its key is gone.
pub fn get_alias<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    region: &str,
    name: &str,
    now: f64,
) -> Result<Option<AliasRecord>, AwsError> {
    let Some(alias) = read::<AliasRecord, R>(r, ALIASES, &alias_key(account, region, name))? else {
        return Ok(None);
    };
    Ok(get_key_shared(r, account, region, &alias.target_key_id, now)?.map(|_| alias))
}

/// The key `key_ref` names, or KMS's `NotFoundException`.
pub fn resolve<R: Reader + ?Sized>(
    r: &mut R,
    key_ref: &KeyRef,
    now: f64,
) -> Result<KeyRecord, AwsError> {
    resolve_shared(r, key_ref, now).map(Arc::unwrap_or_clone)
}

/// [`resolve`], shared (see [`get_key_shared`]).
pub fn resolve_shared<R: Reader + ?Sized>(
    r: &mut R,
    key_ref: &KeyRef,
    now: f64,
) -> Result<Arc<KeyRecord>, AwsError> {
    match key_ref {
        KeyRef::Key {
            account,
            region,
            key_id,
        } => get_key_shared(r, account, region, key_id, now)?
            .ok_or_else(|| errors::key_not_found(&key_arn(region, account, key_id))),
        KeyRef::Alias {
            account,
            region,
            name,
        } => {
            let not_found = || errors::alias_not_found(&alias_arn(region, account, name));
            let alias = get_alias(r, account, region, name, now)?.ok_or_else(not_found)?;
            get_key_shared(r, account, region, &alias.target_key_id, now)?.ok_or_else(not_found)
        }
    }
}

/// Runs `f` in one transaction; an `AwsError` from `f` aborts it and is returned as is.
pub fn transact<T>(
    kv: &dyn KvStore,
    mut f: impl FnMut(&mut dyn Txn) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let mut failure = None;
    let outcome = kv.transaction(|txn| match f(txn) {
        Ok(v) => Ok(v),
        Err(e) => {
            failure = Some(e);
            Err(StoreError::Aborted("KMS operation refused".into()))
        }
    });
    match outcome {
        Ok(v) => Ok(v),
        Err(e) => Err(failure.take().unwrap_or_else(|| errors::store(e))),
    }
}

/// Every live key of `(account, region)`, by key id.
pub fn list_keys(
    kv: &dyn KvStore,
    account: &str,
    region: &str,
    now: f64,
) -> Result<Vec<KeyRecord>, AwsError> {
    let entries = kv
        .scan_prefix(KEYS, &scope_prefix(account, region), None, false)
        .map_err(errors::store)?;
    let mut out = Vec::with_capacity(entries.len());
    for (_, bytes) in entries {
        let key = KeyRecord::from_record(&bytes).map_err(errors::store)?;
        if !key.is_deleted_at(now) {
            out.push(key);
        }
    }
    Ok(out)
}

/// Every alias of `(account, region)` whose key is live, by name.
pub fn list_aliases(
    kv: &dyn KvStore,
    account: &str,
    region: &str,
    now: f64,
) -> Result<Vec<AliasRecord>, AwsError> {
    let entries = kv
        .scan_prefix(ALIASES, &scope_prefix(account, region), None, false)
        .map_err(errors::store)?;
    let mut out = Vec::with_capacity(entries.len());
    let r = &mut Committed(kv);
    for (_, bytes) in entries {
        let alias = AliasRecord::from_record(&bytes).map_err(errors::store)?;
        if get_key(r, account, region, &alias.target_key_id, now)?.is_some() {
            out.push(alias);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_key_is_key_join() {
        for (a, r, k) in [
            ("123456789012", "us-east-1", "abc"),
            ("a\0b", "", "\0"),
            ("", "", ""),
        ] {
            assert_eq!(key_key(a, r, k), key::join([a, r, k]));
        }
    }

    #[test]
    fn key_ids_look_like_aws() {
        let id = new_key_id();
        assert!(is_key_id(&id), "{id}");
        assert_eq!(&id[14..15], "4");
        assert!(!is_key_id("alias/x"));
        assert!(!is_key_id("not-a-key"));
        let mrk = new_multi_region_key_id();
        assert!(is_key_id(&mrk), "{mrk}");
        assert_eq!(mrk.len(), 36);
    }
}
