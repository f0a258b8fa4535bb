//! Object lock: CreateBucket with `x-amz-bucket-object-lock-enabled` (which turns versioning
//! on), Put/GetObjectLockConfiguration (the bucket's default retention),
//! Put/GetObjectRetention (GOVERNANCE or COMPLIANCE until a date on the server clock),
//! Put/GetObjectLegalHold, and the check that keeps a locked version from being deleted.
//!
//! Stored apart from the bucket and object records, so that neither record changes format:
//! - `s3.object_lock`: `join([bucket])` -> [`LockConfig`], tied to the bucket's creation time
//!   (a bucket deleted and created again under the same name does not inherit it);
//! - `s3.object_locks`: `join([bucket, key, version id])` -> [`LockState`] of one version.

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{Txn, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::Bucket;
use crate::{S3, bool_param, buckets, errors, num_param, objects, str_param, versioning};

pub const LOCK_CONFIGS: &str = "s3.object_lock";
pub const LOCK_STATES: &str = "s3.object_locks";

const DAY_MILLIS: i64 = 86_400_000;

/// A bucket's object lock configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockConfig {
    /// The creation time of the bucket this belongs to.
    pub bucket_created_millis: i64,
    /// The default retention: mode and period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_years: Option<i64>,
}

impl Versioned for LockConfig {
    const VERSION: u16 = 1;
}

/// The retention and legal hold of one object version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LockState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until_millis: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<bool>,
}

impl Versioned for LockState {
    const VERSION: u16 = 1;
}

fn config_key(bucket: &str) -> Vec<u8> {
    key::join([bucket])
}

fn state_key(bucket: &str, object: &str, version_id: &str) -> Vec<u8> {
    key::join([bucket, object, version_id])
}

fn invalid_bucket_state(message: &str) -> AwsError {
    AwsError::new("InvalidBucketState", 409, message)
}

fn locked() -> AwsError {
    AwsError::new(
        "AccessDenied",
        403,
        "Access Denied because object protected by object lock.",
    )
}

fn no_lock_configuration() -> AwsError {
    AwsError::new(
        "ObjectLockConfigurationNotFoundError",
        404,
        "Object Lock configuration does not exist for this bucket",
    )
}

fn no_object_lock() -> AwsError {
    AwsError::new(
        "NoSuchObjectLockConfiguration",
        404,
        "The specified object does not have a ObjectLock configuration",
    )
}

fn missing_bucket_lock() -> AwsError {
    errors::invalid_request("Bucket is missing Object Lock Configuration")
}

/// The lock configuration of `bucket`, if object lock is enabled on it.
pub(crate) fn load_config(s3: &S3, bucket: &Bucket) -> Result<Option<LockConfig>, AwsError> {
    let Some(bytes) = s3
        .kv()
        .get(LOCK_CONFIGS, &config_key(&bucket.name))
        .map_err(errors::store)?
    else {
        return Ok(None);
    };
    let config = LockConfig::from_record(&bytes).map_err(errors::store)?;
    Ok((config.bucket_created_millis == bucket.created_millis).then_some(config))
}

fn store_config(s3: &S3, bucket: &str, config: &LockConfig) -> Result<(), AwsError> {
    let bytes = config.to_record().map_err(errors::store)?;
    s3.kv()
        .put(LOCK_CONFIGS, &config_key(bucket), &bytes)
        .map_err(errors::store)
}

fn load_state(s3: &S3, bucket: &str, key: &str, version: &str) -> Result<LockState, AwsError> {
    match s3
        .kv()
        .get(LOCK_STATES, &state_key(bucket, key, version))
        .map_err(errors::store)?
    {
        Some(bytes) => LockState::from_record(&bytes).map_err(errors::store),
        None => Ok(LockState::default()),
    }
}

fn store_state(
    s3: &S3,
    bucket: &str,
    key: &str,
    version: &str,
    state: &LockState,
) -> Result<(), AwsError> {
    let bytes = state.to_record().map_err(errors::store)?;
    s3.kv()
        .put(LOCK_STATES, &state_key(bucket, key, version), &bytes)
        .map_err(errors::store)
}

/// CreateBucket, then, with `ObjectLockEnabledForBucket`, versioning on and object lock
/// enabled (without a default retention).
pub fn create_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let enable = bool_param(&input.params, "ObjectLockEnabledForBucket");
    let name = str_param(&input.params, "Bucket")
        .unwrap_or_default()
        .to_string();
    let out = buckets::create_bucket(s3, ctx, input)?;
    if enable {
        s3.update_bucket(&name, |b| b.versioning = Some("Enabled".to_string()))?;
        let bucket = s3.bucket(ctx, &name)?;
        if load_config(s3, &bucket)?.is_none() {
            store_config(
                s3,
                &name,
                &LockConfig {
                    bucket_created_millis: bucket.created_millis,
                    default_mode: None,
                    default_days: None,
                    default_years: None,
                },
            )?;
        }
    }
    Ok(out)
}

/// PutBucketVersioning, refusing to suspend versioning on a bucket with object lock.
pub fn put_bucket_versioning(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let suspend = p
        .pointer("/VersioningConfiguration/Status")
        .and_then(Value::as_str)
        == Some("Suspended");
    if suspend && load_config(s3, &bucket)?.is_some() {
        return Err(invalid_bucket_state(
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        ));
    }
    versioning::put_bucket_versioning(s3, ctx, input)
}

fn valid_mode(mode: Option<&str>) -> Option<String> {
    match mode {
        Some(m @ ("GOVERNANCE" | "COMPLIANCE")) => Some(m.to_string()),
        _ => None,
    }
}

pub fn put_object_lock_configuration(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let config = p.get("ObjectLockConfiguration");
    if config.and_then(|c| str_param(c, "ObjectLockEnabled")) != Some("Enabled") {
        return Err(errors::malformed_xml());
    }
    let mut stored = LockConfig {
        bucket_created_millis: bucket.created_millis,
        default_mode: None,
        default_days: None,
        default_years: None,
    };
    if let Some(retention) = config.and_then(|c| c.pointer("/Rule/DefaultRetention")) {
        let mode = valid_mode(str_param(retention, "Mode")).ok_or_else(errors::malformed_xml)?;
        let days = retention.get("Days").and_then(Value::as_i64);
        let years = retention.get("Years").and_then(Value::as_i64);
        match (days, years) {
            (Some(_), Some(_)) | (None, None) => return Err(errors::malformed_xml()),
            (Some(d), None) if d <= 0 || d > 36_500 => {
                return Err(errors::invalid_argument(
                    "Default retention period must be a positive integer value",
                ));
            }
            (None, Some(y)) if y <= 0 || y > 100 => {
                return Err(errors::invalid_argument(
                    "Default retention period must be a positive integer value",
                ));
            }
            _ => {}
        }
        stored.default_mode = Some(mode);
        stored.default_days = days;
        stored.default_years = years;
    } else if config.and_then(|c| c.get("Rule")).is_some() {
        return Err(errors::malformed_xml());
    }
    if load_config(s3, &bucket)?.is_none() && bucket.versioning.as_deref() != Some("Enabled") {
        return Err(invalid_bucket_state(
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ));
    }
    store_config(s3, name, &stored)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_object_lock_configuration(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let config = load_config(s3, &bucket)?.ok_or_else(no_lock_configuration)?;
    let mut out = json!({"ObjectLockEnabled": "Enabled"});
    if let Some(mode) = config.default_mode {
        let mut retention = json!({"Mode": mode});
        if let Some(d) = config.default_days {
            retention["Days"] = d.into();
        }
        if let Some(y) = config.default_years {
            retention["Years"] = y.into();
        }
        out["Rule"] = json!({"DefaultRetention": retention});
    }
    Ok(OperationOutput::new(
        json!({"ObjectLockConfiguration": out}),
    ))
}

/// The bucket (with object lock enabled), and the version addressed: `VersionId`, or the
/// current version of the key.
fn target(s3: &S3, ctx: &RequestContext, p: &Value) -> Result<(Bucket, String, String), AwsError> {
    let name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    if load_config(s3, &bucket)?.is_none() {
        return Err(missing_bucket_lock());
    }
    let version = match str_param(p, "VersionId") {
        Some(v) => {
            versioning::load_version_object(s3, &bucket, key, v)?;
            v.to_string()
        }
        None => objects::load_object(s3, name, key)?
            .ok_or_else(errors::no_such_key)?
            .version_id
            .unwrap_or_else(|| "null".to_string()),
    };
    Ok((bucket, key.to_string(), version))
}

/// Whether `state` keeps its version from being deleted or its retention from being
/// shortened at `now`, given a GOVERNANCE bypass or not.
fn protected(state: &LockState, now: i64, bypass: bool) -> bool {
    if state.legal_hold == Some(true) {
        return true;
    }
    match (&state.mode, state.retain_until_millis) {
        (Some(mode), Some(until)) if until > now => mode == "COMPLIANCE" || !bypass,
        _ => false,
    }
}

pub fn put_object_retention(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let (bucket, key, version) = target(s3, ctx, p)?;
    let retention = p.get("Retention");
    let mode = retention.and_then(|r| str_param(r, "Mode"));
    let until = retention.and_then(|r| num_param(r, "RetainUntilDate"));
    let now = ctx.clock.now_millis();
    let (mode, until) = match (mode, until) {
        (None, None) => (None, None),
        (Some(m), Some(u)) => {
            let mode = valid_mode(Some(m)).ok_or_else(errors::malformed_xml)?;
            let until = (u * 1000.0) as i64;
            if until <= now {
                return Err(errors::invalid_argument(
                    "The retain until date must be in the future!",
                ));
            }
            (Some(mode), Some(until))
        }
        _ => return Err(errors::malformed_xml()),
    };
    let mut state = load_state(s3, &bucket.name, &key, &version)?;
    if let (Some(old_mode), Some(old_until)) = (&state.mode, state.retain_until_millis) {
        if old_until > now {
            let weaker = until.is_none_or(|u| u < old_until) || mode.as_ref() != Some(old_mode);
            let extending_governance_to_compliance = old_mode == "GOVERNANCE"
                && mode.as_deref() == Some("COMPLIANCE")
                && until.is_some_and(|u| u >= old_until);
            let bypass = bool_param(p, "BypassGovernanceRetention");
            if weaker
                && !extending_governance_to_compliance
                && (old_mode == "COMPLIANCE" || !bypass)
            {
                return Err(locked());
            }
        }
    }
    state.mode = mode;
    state.retain_until_millis = until;
    store_state(s3, &bucket.name, &key, &version, &state)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_object_retention(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let (bucket, key, version) = target(s3, ctx, &input.params)?;
    let state = load_state(s3, &bucket.name, &key, &version)?;
    match (state.mode, state.retain_until_millis) {
        (Some(mode), Some(until)) => Ok(OperationOutput::new(json!({
            "Retention": {"Mode": mode, "RetainUntilDate": until as f64 / 1000.0}
        }))),
        _ => Err(no_object_lock()),
    }
}

pub fn put_object_legal_hold(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let (bucket, key, version) = target(s3, ctx, p)?;
    let on = match p.pointer("/LegalHold/Status").and_then(Value::as_str) {
        Some("ON") => true,
        Some("OFF") => false,
        _ => return Err(errors::malformed_xml()),
    };
    let mut state = load_state(s3, &bucket.name, &key, &version)?;
    state.legal_hold = Some(on);
    store_state(s3, &bucket.name, &key, &version, &state)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_object_legal_hold(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let (bucket, key, version) = target(s3, ctx, &input.params)?;
    let state = load_state(s3, &bucket.name, &key, &version)?;
    match state.legal_hold {
        Some(on) => Ok(OperationOutput::new(
            json!({"LegalHold": {"Status": if on { "ON" } else { "OFF" }}}),
        )),
        None => Err(no_object_lock()),
    }
}

/// Whether deleting version `version_id` of `bucket/key` is allowed: `AccessDenied` while a
/// legal hold or an unexpired retention protects it (GOVERNANCE yields to `bypass`).
pub(crate) fn check_delete(
    s3: &S3,
    ctx: &RequestContext,
    bucket: &Bucket,
    key: &str,
    version_id: &str,
    bypass: bool,
) -> Result<(), AwsError> {
    if load_config(s3, bucket)?.is_none() {
        return Ok(());
    }
    let state = load_state(s3, &bucket.name, key, version_id)?;
    if protected(&state, ctx.clock.now_millis(), bypass) {
        return Err(locked());
    }
    Ok(())
}

/// Whether version `version_id` of `bucket/key` is under a legal hold or an unexpired
/// retention at `now` (lifecycle expiration passes such versions by).
pub(crate) fn version_locked(s3: &S3, bucket: &str, key: &str, version_id: &str, now: i64) -> bool {
    load_state(s3, bucket, key, version_id)
        .map(|state| protected(&state, now, false))
        .unwrap_or(true)
}

thread_local! {
    /// The lock the write running on this thread asked for in its headers, already checked;
    /// taken by [`lock_new_version`] inside the transaction that stores the version.
    static REQUESTED: std::cell::RefCell<Option<LockState>> = const { std::cell::RefCell::new(None) };
}

/// Clears [`REQUESTED`] when the write ends, however it ends.
struct RequestedGuard;

impl Drop for RequestedGuard {
    fn drop(&mut self) {
        REQUESTED.with(|r| r.borrow_mut().take());
    }
}

/// Writes the lock of a version being stored, inside the transaction that stores it: the
/// lock the write asked for (see [`write_locked`]), and the bucket's default retention when
/// that names no mode. So a crash can never leave a version written without the lock it was
/// written with. Nothing on a bucket without object lock.
pub(crate) fn lock_new_version(
    txn: &mut dyn Txn,
    bucket: &Bucket,
    key: &str,
    version_id: &str,
    written_millis: i64,
) -> gureum_store::Result<()> {
    let Some(bytes) = txn.get(LOCK_CONFIGS, &config_key(&bucket.name))? else {
        return Ok(());
    };
    let config = LockConfig::from_record(&bytes)?;
    if config.bucket_created_millis != bucket.created_millis {
        return Ok(());
    }
    let mut state = REQUESTED.with(|r| r.borrow().clone()).unwrap_or_default();
    if state.mode.is_none() {
        if let Some(mode) = config.default_mode {
            let days = config
                .default_days
                .unwrap_or(0)
                .saturating_add(config.default_years.unwrap_or(0).saturating_mul(365));
            state.mode = Some(mode);
            state.retain_until_millis = Some(written_millis.saturating_add(days * DAY_MILLIS));
        }
    }
    if state.mode.is_some() || state.legal_hold.is_some() {
        txn.put(
            LOCK_STATES,
            &state_key(&bucket.name, key, version_id),
            &state.to_record()?,
        )?;
    }
    Ok(())
}

type Handler = fn(&S3, &RequestContext, OperationInput) -> Result<OperationOutput, AwsError>;

/// Runs a write (`inner`) with the lock its headers ask for checked first; the version it
/// stores gets that lock (or the bucket's default retention) in the same transaction.
fn write_locked(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
    inner: Handler,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let requested = requested_lock(s3, ctx, name, &input.params)?;
    with_requested(requested, || inner(s3, ctx, input))
}

/// Runs `f` with `requested` as the lock the version it stores gets. `f` must not await: the
/// lock is handed over on this thread.
pub(crate) fn with_requested<T>(requested: Option<LockState>, f: impl FnOnce() -> T) -> T {
    let _guard = RequestedGuard;
    REQUESTED.with(|r| *r.borrow_mut() = requested);
    f()
}

/// The lock a write asks for in its `x-amz-object-lock-*` headers: `None` without them;
/// `InvalidRequest` on a bucket without object lock, `InvalidArgument` for a mode without a
/// date (or the reverse) or a date in the past.
pub(crate) fn requested_lock(
    s3: &S3,
    ctx: &RequestContext,
    bucket: &str,
    p: &Value,
) -> Result<Option<LockState>, AwsError> {
    let mode = str_param(p, "ObjectLockMode");
    let until = num_param(p, "ObjectLockRetainUntilDate");
    let hold = str_param(p, "ObjectLockLegalHoldStatus");
    if mode.is_none() && until.is_none() && hold.is_none() {
        return Ok(None);
    }
    let Some(record) = s3.find_bucket(bucket)? else {
        return Ok(None);
    };
    if load_config(s3, &record)?.is_none() {
        return Err(missing_bucket_lock());
    }
    let mut state = LockState::default();
    match (mode, until) {
        (None, None) => {}
        (Some(m), Some(u)) => {
            state.mode = Some(
                valid_mode(Some(m))
                    .ok_or_else(|| errors::invalid_argument("Unknown wormMode directive."))?,
            );
            let until = (u * 1000.0) as i64;
            if until <= ctx.clock.now_millis() {
                return Err(errors::invalid_argument(
                    "The retain until date must be in the future!",
                ));
            }
            state.retain_until_millis = Some(until);
        }
        _ => {
            return Err(errors::invalid_argument(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            ));
        }
    }
    match hold {
        None => {}
        Some("ON") => state.legal_hold = Some(true),
        Some("OFF") => state.legal_hold = Some(false),
        Some(_) => {
            return Err(errors::invalid_argument(
                "Legal Hold must be either of 'ON' or 'OFF'",
            ));
        }
    }
    Ok(Some(state))
}

pub fn put_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    write_locked(s3, ctx, input, objects::put_object)
}

pub fn copy_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    write_locked(s3, ctx, input, objects::copy_object)
}

/// CompleteMultipartUpload: the version gets the lock its CreateMultipartUpload asked for.
pub fn complete_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let upload_key = crate::model::upload_key(
        str_param(p, "Bucket").unwrap_or_default(),
        str_param(p, "Key").unwrap_or_default(),
        str_param(p, "UploadId").unwrap_or_default(),
    );
    let requested = match s3
        .kv()
        .get(crate::model::UPLOADS, &upload_key)
        .map_err(errors::store)?
    {
        Some(bytes) => {
            crate::model::MultipartUpload::from_record(&bytes)
                .map_err(errors::store)?
                .object_lock
        }
        None => None,
    };
    with_requested(requested, || {
        crate::multipart::complete_multipart_upload(s3, ctx, input)
    })
}

/// DeleteObject, refusing to delete a locked version.
pub fn delete_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    if let Some(version) = str_param(p, "VersionId") {
        let name = str_param(p, "Bucket").unwrap_or_default();
        let key = str_param(p, "Key").unwrap_or_default();
        let bucket = s3.bucket(ctx, name)?;
        check_delete(
            s3,
            ctx,
            &bucket,
            key,
            version,
            bool_param(p, "BypassGovernanceRetention"),
        )?;
    }
    objects::delete_object(s3, ctx, input)
}

/// DeleteObjects: locked versions are answered as errors, the rest deleted.
pub fn delete_objects(
    s3: &S3,
    ctx: &RequestContext,
    mut input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    if load_config(s3, &bucket)?.is_none() {
        return objects::delete_objects(s3, ctx, input);
    }
    let bypass = bool_param(p, "BypassGovernanceRetention");
    let objects_list = p
        .pointer("/Delete/Objects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if objects_list.is_empty() || objects_list.len() > 1000 {
        return Err(errors::malformed_xml());
    }
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    for object in objects_list {
        let key = str_param(&object, "Key").unwrap_or_default();
        let check = match str_param(&object, "VersionId") {
            Some(v) => check_delete(s3, ctx, &bucket, key, v, bypass),
            None => Ok(()),
        };
        match check {
            Ok(()) => kept.push(object),
            Err(e) => {
                let mut entry = json!({"Key": key, "Code": e.code, "Message": e.message});
                if let Some(v) = str_param(&object, "VersionId") {
                    entry["VersionId"] = v.into();
                }
                refused.push(entry);
            }
        }
    }
    if refused.is_empty() {
        return objects::delete_objects(s3, ctx, input);
    }
    let mut out = if kept.is_empty() {
        OperationOutput::new(json!({}))
    } else {
        if let Some(list) = input.params.pointer_mut("/Delete/Objects") {
            *list = Value::Array(kept);
        }
        objects::delete_objects(s3, ctx, input)?
    };
    if let Some(map) = out.params.as_object_mut() {
        let errors = map.entry("Errors").or_insert_with(|| json!([]));
        if let Some(list) = errors.as_array_mut() {
            list.extend(refused);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_rules() {
        let gov = LockState {
            mode: Some("GOVERNANCE".into()),
            retain_until_millis: Some(100),
            legal_hold: None,
        };
        assert!(protected(&gov, 50, false));
        assert!(!protected(&gov, 50, true));
        assert!(!protected(&gov, 100, false));
        let comp = LockState {
            mode: Some("COMPLIANCE".into()),
            ..gov.clone()
        };
        assert!(protected(&comp, 50, true));
        let hold = LockState {
            legal_hold: Some(true),
            ..LockState::default()
        };
        assert!(protected(&hold, 0, true));
        assert!(!protected(&LockState::default(), 0, false));
    }

    /// The lock of a new version is written by the transaction that writes the version: an
    /// aborted write leaves neither, a committed one both, with the requested lock winning
    /// over the bucket's default retention.
    #[test]
    fn a_version_and_its_lock_commit_together() {
        use gureum_store::KvStoreExt;
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let bucket: Bucket = serde_json::from_value(json!({"name": "b", "owner": "1",
            "region": "r", "created_millis": 7, "versioning": "Enabled"}))
        .unwrap();
        s3.kv()
            .put(
                crate::model::BUCKETS,
                &crate::model::bucket_key("b"),
                &bucket.to_record().unwrap(),
            )
            .unwrap();
        let config = LockConfig {
            bucket_created_millis: 7,
            default_mode: Some("GOVERNANCE".into()),
            default_days: Some(1),
            default_years: None,
        };
        store_config(&s3, "b", &config).unwrap();
        let record: crate::model::ObjectRecord = serde_json::from_value(json!({"blob_id": "x",
            "size": 1, "etag": "\"e\"", "last_modified_millis": 1000, "owner": "1"}))
        .unwrap();
        let write = |abort: bool| {
            s3.kv().transaction(|txn| {
                let stored = versioning::store_object(txn, "b", "k", &record)?.unwrap();
                let id = stored.version_id.unwrap();
                assert!(txn.get(LOCK_STATES, &state_key("b", "k", &id))?.is_some());
                if abort {
                    return Err(gureum_store::StoreError::Aborted("test".into()));
                }
                Ok(id)
            })
        };
        assert!(write(true).is_err());
        assert!(
            s3.kv()
                .scan_prefix(LOCK_STATES, b"", None, false)
                .unwrap()
                .is_empty()
        );
        let id = write(false).unwrap();
        let state = load_state(&s3, "b", "k", &id).unwrap();
        assert_eq!(state.mode.as_deref(), Some("GOVERNANCE"));
        assert_eq!(state.retain_until_millis, Some(1000 + DAY_MILLIS));
        // Asked for in the write's headers: that lock, not the default.
        let asked = LockState {
            mode: Some("COMPLIANCE".into()),
            retain_until_millis: Some(5000),
            legal_hold: Some(true),
        };
        let id = with_requested(Some(asked), || write(false).unwrap());
        let state = load_state(&s3, "b", "k", &id).unwrap();
        assert_eq!(state.mode.as_deref(), Some("COMPLIANCE"));
        assert_eq!(state.retain_until_millis, Some(5000));
        assert_eq!(state.legal_hold, Some(true));
        assert!(REQUESTED.with(|r| r.borrow().is_none()));
    }
}
