//! Storage classes, the cold store and RestoreObject.
//!
//! Objects of the archive classes (GLACIER, DEEP_ARCHIVE) keep their body in the cold store:
//! blobs whose id starts with `cold-`, apart from the `s3-` blobs of the other classes (no
//! compression: no workspace crate provides it). GetObject answers `InvalidObjectState` for
//! them until a RestoreObject has completed on the server clock; then it serves the body until
//! the restore's expiry date.
//!
//! Restores are stored in `s3.restores`: `join([cold blob id])` -> [`Restore`]. A cold blob id
//! names exactly one object version, so the record follows it through versioning and goes stale
//! (and is removed by [`tick`]) when that version is deleted or overwritten.

use gureum_core::{AwsError, Clock, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{self, ObjectRecord};
use crate::{S3, errors, objects, str_param, versioning};

pub const RESTORES: &str = "s3.restores";

/// Every storage class S3 accepts on a write.
pub const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

const DAY_MILLIS: i64 = 86_400_000;
/// At most this many restore records are looked at per [`tick`].
const TICK_BATCH: usize = 256;

/// A restore of one archived object version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restore {
    pub tier: String,
    pub requested_millis: i64,
    /// When the temporary copy becomes readable.
    pub ready_millis: i64,
    /// When it is gone again (midnight UTC after `ready + days`, as S3 rounds it).
    pub expiry_millis: i64,
}

impl Versioned for Restore {
    const VERSION: u16 = 1;
}

/// Whether objects of `class` live in the cold store and need a restore before a read.
pub fn is_archive(class: &str) -> bool {
    matches!(class, "GLACIER" | "DEEP_ARCHIVE")
}

/// The storage class a write asks for (`x-amz-storage-class`), checked: `InvalidStorageClass`
/// for any other value.
pub fn requested_class(p: &Value) -> Result<Option<String>, AwsError> {
    match str_param(p, "StorageClass") {
        None => Ok(None),
        Some(c) if STORAGE_CLASSES.contains(&c) => Ok(Some(c.to_string())),
        Some(_) => Err(invalid_storage_class()),
    }
}

/// A fresh blob id for a body of `class`: in the cold store for the archive classes.
pub fn new_blob_id(class: &str) -> String {
    if is_archive(class) {
        gureum_core::ids::random_id("cold-", 32).to_ascii_lowercase()
    } else {
        model::new_blob_id()
    }
}

pub fn invalid_storage_class() -> AwsError {
    AwsError::new(
        "InvalidStorageClass",
        400,
        "The storage class you specified is not valid",
    )
}

pub fn invalid_object_state() -> AwsError {
    AwsError::new(
        "InvalidObjectState",
        403,
        "The operation is not valid for the object's storage class",
    )
}

fn already_in_active_tier() -> AwsError {
    AwsError::new(
        "ObjectAlreadyInActiveTierError",
        403,
        "This operation is not allowed against this storage tier.",
    )
}

fn restore_in_progress() -> AwsError {
    AwsError::new(
        "RestoreAlreadyInProgress",
        409,
        "Object restore is already in progress",
    )
}

/// The restore state of an archived object at `now`.
pub enum State {
    Archived,
    Ongoing,
    Restored { expiry_millis: i64 },
}

fn load_restore(s3: &S3, blob_id: &str) -> Result<Option<Restore>, AwsError> {
    match s3
        .kv()
        .get(RESTORES, &key::join([blob_id]))
        .map_err(errors::store)?
    {
        Some(b) => Restore::from_record(&b).map(Some).map_err(errors::store),
        None => Ok(None),
    }
}

fn state_of(restore: Option<&Restore>, now: i64) -> State {
    match restore {
        Some(r) if now >= r.expiry_millis => State::Archived,
        Some(r) if now >= r.ready_millis => State::Restored {
            expiry_millis: r.expiry_millis,
        },
        Some(_) => State::Ongoing,
        None => State::Archived,
    }
}

pub fn state(s3: &S3, record: &ObjectRecord, now: i64) -> Result<State, AwsError> {
    Ok(state_of(load_restore(s3, &record.blob_id)?.as_ref(), now))
}

/// What a read of `record` may do at `now`: the `x-amz-restore` value to answer (`None` when
/// no restore is running or done), or `InvalidObjectState` when its body is asked for and the
/// object is archived without a completed restore.
pub fn check_read(
    s3: &S3,
    record: &ObjectRecord,
    now: i64,
    with_body: bool,
) -> Result<Option<String>, AwsError> {
    if !is_archive(&record.storage_class) {
        return Ok(None);
    }
    match state(s3, record, now)? {
        State::Restored { expiry_millis } => Ok(Some(format!(
            "ongoing-request=\"false\", expiry-date=\"{}\"",
            crate::http::http_date(expiry_millis.div_euclid(1000))
        ))),
        _ if with_body => Err(invalid_object_state()),
        State::Ongoing => Ok(Some("ongoing-request=\"true\"".to_string())),
        State::Archived => Ok(None),
    }
}

/// How long a restore of `class` at `tier` takes, in milliseconds (the upper end of AWS's
/// documented ranges), or `None` when the tier is not offered for the class.
fn delay_millis(class: &str, tier: &str) -> Option<i64> {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    match (class, tier) {
        ("GLACIER", "Expedited") => Some(5 * MINUTE),
        ("GLACIER", "Standard") => Some(5 * HOUR),
        ("GLACIER", "Bulk") => Some(12 * HOUR),
        ("DEEP_ARCHIVE", "Standard") => Some(12 * HOUR),
        ("DEEP_ARCHIVE", "Bulk") => Some(48 * HOUR),
        _ => None,
    }
}

/// `at + days`, rounded up to the next midnight UTC.
fn expiry(at: i64, days: i64) -> i64 {
    let end = at.saturating_add(days.saturating_mul(DAY_MILLIS));
    end.div_euclid(DAY_MILLIS)
        .saturating_add(1)
        .saturating_mul(DAY_MILLIS)
}

pub fn restore_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key_name = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, bucket_name)?;
    let record = match str_param(p, "VersionId") {
        Some(v) => versioning::load_version_object(s3, &bucket, key_name, v)?,
        None => objects::load_object(s3, bucket_name, key_name)?.ok_or_else(errors::no_such_key)?,
    };
    let request = p.get("RestoreRequest").cloned().unwrap_or(Value::Null);
    if request.get("Type").is_some() || request.get("SelectParameters").is_some() {
        return Err(AwsError::not_implemented("s3", "RestoreObject (SELECT)"));
    }
    let days = request.get("Days").and_then(Value::as_i64);
    let tier = request
        .pointer("/GlacierJobParameters/Tier")
        .or_else(|| request.get("Tier"))
        .and_then(Value::as_str)
        .unwrap_or("Standard")
        .to_string();
    if !is_archive(&record.storage_class) {
        return Err(already_in_active_tier());
    }
    let Some(days) = days else {
        return Err(errors::invalid_argument(
            "Days is required for restoring archived objects",
        ));
    };
    if days < 1 {
        return Err(errors::invalid_argument("Days must be at least 1"));
    }
    if !matches!(tier.as_str(), "Expedited" | "Standard" | "Bulk") {
        return Err(errors::malformed_xml());
    }
    let now = ctx.clock.now_millis();
    let rkey = key::join([record.blob_id.as_str()]);
    let current = state(s3, &record, now)?;
    // S3 answers 202 Accepted for a new restore and 200 when it extends a restored copy.
    let status = if matches!(current, State::Restored { .. }) {
        200
    } else {
        202
    };
    let restore = match current {
        State::Ongoing => return Err(restore_in_progress()),
        // A restored copy's life is extended from now (S3 answers 200 for this).
        State::Restored { .. } => Restore {
            tier,
            requested_millis: now,
            ready_millis: now,
            expiry_millis: expiry(now, days),
        },
        State::Archived => {
            let Some(delay) = delay_millis(&record.storage_class, &tier) else {
                return Err(errors::invalid_argument(format!(
                    "{tier} retrieval is not supported for the {} storage class",
                    record.storage_class
                )));
            };
            let ready = now.saturating_add(delay);
            Restore {
                tier,
                requested_millis: now,
                ready_millis: ready,
                expiry_millis: expiry(ready, days),
            }
        }
    };
    let bytes = restore.to_record().map_err(errors::store)?;
    s3.kv()
        .put(RESTORES, &rkey, &bytes)
        .map_err(errors::store)?;
    Ok(OperationOutput::new(Value::Object(Map::new())).with_status(status))
}

/// Drops restore records whose copy expired or whose object version is gone; bounded per call
/// and resumed from the start each time (expired records are deleted, so progress is made).
pub fn tick(s3: &S3, clock: &Clock) {
    let now = clock.now_millis();
    let Ok(entries) = s3
        .kv()
        .scan(RESTORES, &KeyRange::all(), Some(TICK_BATCH), false)
    else {
        return;
    };
    for (k, v) in entries {
        let stale = match Restore::from_record(&v) {
            Ok(r) => now >= r.expiry_millis,
            Err(_) => true,
        };
        let orphan = key::split(&k)
            .ok()
            .and_then(|parts| parts.into_iter().next())
            .and_then(|id| String::from_utf8(id).ok())
            .is_none_or(|id| matches!(s3.storage.blobs.open(&id), Ok(None)));
        if stale || orphan {
            let _ = s3.kv().delete(RESTORES, &k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_delays() {
        assert!(is_archive("GLACIER") && is_archive("DEEP_ARCHIVE") && !is_archive("GLACIER_IR"));
        assert!(new_blob_id("GLACIER").starts_with("cold-"));
        assert!(gureum_store::check_blob_id(&new_blob_id("DEEP_ARCHIVE")).is_ok());
        assert!(new_blob_id("STANDARD").starts_with("s3-"));
        assert!(requested_class(&serde_json::json!({"StorageClass": "FOO"})).is_err());
        assert_eq!(
            requested_class(&serde_json::json!({"StorageClass": "GLACIER_IR"})).unwrap(),
            Some("GLACIER_IR".to_string())
        );
        assert_eq!(delay_millis("DEEP_ARCHIVE", "Expedited"), None);
        assert_eq!(delay_millis("GLACIER", "Expedited"), Some(300_000));
        // One day after noon rounds to the midnight after.
        assert_eq!(expiry(DAY_MILLIS / 2, 1), 2 * DAY_MILLIS);
        let r = Restore {
            tier: "Standard".into(),
            requested_millis: 0,
            ready_millis: 10,
            expiry_millis: 20,
        };
        assert!(matches!(state_of(Some(&r), 5), State::Ongoing));
        assert!(matches!(state_of(Some(&r), 10), State::Restored { .. }));
        assert!(matches!(state_of(Some(&r), 20), State::Archived));
        assert!(matches!(state_of(None, 5), State::Archived));
    }
}
