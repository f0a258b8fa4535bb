//! Storage classes, the cold store and RestoreObject.
//!
//! Objects of the archive classes (GLACIER, DEEP_ARCHIVE) keep their body in the cold store:
//! blobs whose id starts with `cold-`, apart from the `s3-` blobs of the other classes, and
//! compressed. A body is received into a normal blob like any other; when its object is stored
//! ([`into_cold_store`], and lifecycle transitions) it is streamed through an LZ4 frame encoder
//! into a fresh cold blob and the plain blob deleted. `s3.cold_blobs`: `join([cold blob id])`
//! -> [`ColdBlob`] records the body's size and its compressed size (cold blobs written before
//! compression have no record and hold the plain body).
//!
//! GetObject answers `InvalidObjectState` for archived objects until a RestoreObject has
//! completed on the server clock; then it serves the body until the restore's expiry date. The
//! restore decompresses the cold blob into a normal blob, the restored copy, which reads serve
//! (and [`tick`] deletes once the restore expires).
//!
//! Restores are stored in `s3.restores`: `join([cold blob id])` -> [`Restore`]. A cold blob id
//! names exactly one object version, so the record follows it through versioning and goes stale
//! (and is removed by [`tick`]) when that version is deleted or overwritten.

use std::borrow::Cow;
use std::ops::Bound;

use gureum_core::{AwsError, Clock, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{self, ObjectRecord};
use crate::{S3, errors, objects, str_param, versioning};

pub const RESTORES: &str = "s3.restores";
pub const COLD_BLOBS: &str = "s3.cold_blobs";

/// The codec of cold blobs: an LZ4 frame with a content checksum.
const CODEC: &str = "lz4-frame";

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
    /// The restored copy: the body decompressed into a normal blob, which reads serve while
    /// the restore lasts. `None` for a cold blob that holds the plain body. Added within
    /// format version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<String>,
}

impl Versioned for Restore {
    const VERSION: u16 = 1;
}

/// A body in the cold store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdBlob {
    /// The body's size.
    pub size: u64,
    /// The cold blob's size on disk.
    pub packed_size: u64,
    pub codec: String,
}

impl Versioned for ColdBlob {
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

/// A fresh blob id for a body of `class` being received: a normal blob for every class; the
/// body of an archive class moves into the cold store when its object is stored.
pub fn new_blob_id(_class: &str) -> String {
    model::new_blob_id()
}

fn new_cold_id() -> String {
    gureum_core::ids::random_id("cold-", 32).to_ascii_lowercase()
}

fn is_cold(blob_id: &str) -> bool {
    blob_id.starts_with("cold-")
}

fn internal(what: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::internal(format!("{what}: {e}"))
}

/// `record` with its body in the cold store when its class is an archive class: the body is
/// packed into a cold blob and the plain blob deleted (also when packing fails).
pub(crate) fn into_cold_store<'a>(
    s3: &S3,
    record: &'a ObjectRecord,
) -> Result<Cow<'a, ObjectRecord>, AwsError> {
    if !is_archive(&record.storage_class) || is_cold(&record.blob_id) {
        return Ok(Cow::Borrowed(record));
    }
    let packed = pack(s3, &record.blob_id);
    let _ = s3.storage.blobs.delete(&record.blob_id);
    let mut moved = record.clone();
    moved.blob_id = packed?;
    Ok(Cow::Owned(moved))
}

/// Streams blob `from` through an LZ4 frame encoder into a fresh cold blob and records its
/// sizes; the cold blob's id. `from` stays.
pub(crate) fn pack(s3: &S3, from: &str) -> Result<String, AwsError> {
    let mut reader = s3
        .storage
        .blobs
        .open(from)
        .map_err(errors::store)?
        .ok_or_else(|| AwsError::internal("object body missing"))?;
    let size = reader.len();
    let id = new_cold_id();
    let writer = s3.storage.blobs.writer(&id).map_err(errors::store)?;
    let info = lz4_flex::frame::FrameInfo::new().content_checksum(true);
    let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(info, writer);
    std::io::copy(&mut reader, &mut encoder).map_err(|e| internal("packing a body", e))?;
    let writer = encoder
        .finish()
        .map_err(|e| internal("packing a body", e))?;
    let packed_size = writer.commit().map_err(errors::store)?;
    let record = ColdBlob {
        size,
        packed_size,
        codec: CODEC.to_string(),
    };
    let stored = record
        .to_record()
        .and_then(|bytes| s3.kv().put(COLD_BLOBS, &key::join([id.as_str()]), &bytes));
    if let Err(e) = stored {
        let _ = s3.storage.blobs.delete(&id);
        return Err(errors::store(e));
    }
    Ok(id)
}

/// The record of cold blob `id`; `None` for a cold blob holding a plain body.
pub fn cold_blob(s3: &S3, id: &str) -> Result<Option<ColdBlob>, AwsError> {
    match s3
        .kv()
        .get(COLD_BLOBS, &key::join([id]))
        .map_err(errors::store)?
    {
        Some(b) => ColdBlob::from_record(&b).map(Some).map_err(errors::store),
        None => Ok(None),
    }
}

/// Decompresses cold blob `from` into a fresh normal blob; its id.
pub(crate) fn unpack(s3: &S3, from: &str) -> Result<String, AwsError> {
    let reader = s3
        .storage
        .blobs
        .open(from)
        .map_err(errors::store)?
        .ok_or_else(|| AwsError::internal("archived body missing"))?;
    let id = model::new_blob_id();
    let mut writer = s3.storage.blobs.writer(&id).map_err(errors::store)?;
    let mut decoder = lz4_flex::frame::FrameDecoder::new(reader);
    std::io::copy(&mut decoder, &mut *writer).map_err(|e| internal("unpacking a body", e))?;
    writer.commit().map_err(errors::store)?;
    Ok(id)
}

/// A blob holding the plain body of `from` and whether it is a new one (else `from` itself):
/// cold blobs with a [`ColdBlob`] record are unpacked, others are plain already.
pub(crate) fn plain_copy(s3: &S3, from: &str) -> Result<(String, bool), AwsError> {
    if is_cold(from) && cold_blob(s3, from)?.is_some() {
        Ok((unpack(s3, from)?, true))
    } else {
        Ok((from.to_string(), false))
    }
}

/// The blob a read of `record`'s body uses: the restored copy of an archived object (the
/// caller has checked the restore is done), else its own blob.
pub(crate) fn readable_blob(s3: &S3, record: &ObjectRecord) -> Result<String, AwsError> {
    if !is_archive(&record.storage_class) {
        return Ok(record.blob_id.clone());
    }
    Ok(load_restore(s3, &record.blob_id)?
        .and_then(|r| r.copy)
        .unwrap_or_else(|| record.blob_id.clone()))
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
    let prior_bytes = s3.kv().get(RESTORES, &rkey).map_err(errors::store)?;
    let prior = match &prior_bytes {
        Some(b) => Some(Restore::from_record(b).map_err(errors::store)?),
        None => None,
    };
    let current = state_of(prior.as_ref(), now);
    // An expired restore whose copy [`tick`] has not deleted yet lends it to the new one.
    let old_copy = prior
        .and_then(|r| r.copy)
        .filter(|c| matches!(s3.storage.blobs.open(c), Ok(Some(_))));
    // S3 answers 202 Accepted for a new restore and 200 when it extends a restored copy.
    let status = if matches!(current, State::Restored { .. }) {
        200
    } else {
        202
    };
    let mut unpacked = None;
    let restore = match current {
        State::Ongoing => return Err(restore_in_progress()),
        // A restored copy's life is extended from now (S3 answers 200 for this).
        State::Restored { .. } => Restore {
            tier,
            requested_millis: now,
            ready_millis: now,
            expiry_millis: expiry(now, days),
            copy: old_copy,
        },
        State::Archived => {
            let Some(delay) = delay_millis(&record.storage_class, &tier) else {
                return Err(errors::invalid_argument(format!(
                    "{tier} retrieval is not supported for the {} storage class",
                    record.storage_class
                )));
            };
            let ready = now.saturating_add(delay);
            let copy = match old_copy {
                Some(c) => Some(c),
                None => match plain_copy(s3, &record.blob_id)? {
                    (c, true) => {
                        unpacked = Some(c.clone());
                        Some(c)
                    }
                    (_, false) => None,
                },
            };
            Restore {
                tier,
                requested_millis: now,
                ready_millis: ready,
                expiry_millis: expiry(ready, days),
                copy,
            }
        }
    };
    let bytes = restore.to_record().map_err(errors::store)?;
    // Only over the record read above: a restore that raced this one keeps its own copy.
    let written = s3.kv().transaction(|txn| {
        if txn.get(RESTORES, &rkey)? != prior_bytes {
            return Ok(false);
        }
        txn.put(RESTORES, &rkey, &bytes)?;
        Ok(true)
    });
    if !matches!(written, Ok(true)) {
        if let Some(c) = &unpacked {
            let _ = s3.storage.blobs.delete(c);
        }
        return Err(written
            .err()
            .map_or_else(restore_in_progress, errors::store));
    }
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
        let restore = Restore::from_record(&v).ok();
        let stale = restore.as_ref().is_none_or(|r| now >= r.expiry_millis);
        if !(stale || orphan(s3, &k)) {
            continue;
        }
        // Only the record read: a RestoreObject may have renewed it (and its copy) meanwhile.
        let removed = s3.kv().transaction(|txn| {
            if txn.get(RESTORES, &k)?.as_deref() != Some(v.as_slice()) {
                return Ok(false);
            }
            txn.delete(RESTORES, &k)?;
            Ok(true)
        });
        if let (Ok(true), Some(copy)) = (removed, restore.and_then(|r| r.copy)) {
            let _ = s3.storage.blobs.delete(&copy);
        }
    }
    drop_orphan_cold_records(s3);
}

/// Whether the blob a `join([blob id])` key names is gone.
fn orphan(s3: &S3, k: &[u8]) -> bool {
    key::split(k)
        .ok()
        .and_then(|parts| parts.into_iter().next())
        .and_then(|id| String::from_utf8(id).ok())
        .is_none_or(|id| matches!(s3.storage.blobs.open(&id), Ok(None)))
}

/// Drops [`ColdBlob`] records whose blob was deleted with its object version: a bounded batch
/// per call, resuming where the last one stopped.
fn drop_orphan_cold_records(s3: &S3) {
    let cursor_key = key::join(["cold-blobs"]);
    let cursor = s3
        .kv()
        .get(crate::lifecycle::CURSORS, &cursor_key)
        .ok()
        .flatten();
    let range = match &cursor {
        Some(after) => KeyRange::new(Bound::Excluded(after.as_slice()), Bound::Unbounded),
        None => KeyRange::all(),
    };
    let Ok(entries) = s3.kv().scan(COLD_BLOBS, &range, Some(TICK_BATCH), false) else {
        return;
    };
    for (k, _) in &entries {
        if orphan(s3, k) {
            let _ = s3.kv().delete(COLD_BLOBS, k);
        }
    }
    let _ = match entries.last() {
        Some((last, _)) if entries.len() == TICK_BATCH => {
            s3.kv().put(crate::lifecycle::CURSORS, &cursor_key, last)
        }
        _ => s3
            .kv()
            .delete(crate::lifecycle::CURSORS, &cursor_key)
            .map(drop),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_delays() {
        assert!(is_archive("GLACIER") && is_archive("DEEP_ARCHIVE") && !is_archive("GLACIER_IR"));
        assert!(new_blob_id("GLACIER").starts_with("s3-"));
        assert!(is_cold(&new_cold_id()));
        assert!(gureum_store::check_blob_id(&new_cold_id()).is_ok());
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
            copy: None,
        };
        assert!(matches!(state_of(Some(&r), 5), State::Ongoing));
        assert!(matches!(state_of(Some(&r), 10), State::Restored { .. }));
        assert!(matches!(state_of(Some(&r), 20), State::Archived));
        assert!(matches!(state_of(None, 5), State::Archived));
    }

    #[test]
    fn packed_bodies_unpack_to_the_same_bytes() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let repetitive: Vec<u8> = b"abcdefgh".repeat(100_000);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for body in [Vec::new(), b"x".to_vec(), repetitive.clone(), noise.clone()] {
            s3.storage.blobs.put("s3-plain", &body).unwrap();
            let cold = pack(&s3, "s3-plain").unwrap();
            assert!(is_cold(&cold));
            let info = cold_blob(&s3, &cold).unwrap().expect("a cold blob record");
            assert_eq!(info.size, body.len() as u64);
            let on_disk = s3.storage.blobs.get(&cold).unwrap().unwrap();
            assert_eq!(info.packed_size, on_disk.len() as u64);
            if body == repetitive {
                assert!(info.packed_size < body.len() as u64 / 50, "{info:?}");
            }
            if body == noise {
                assert!(info.packed_size < body.len() as u64 + 1024, "{info:?}");
            }
            let (plain, fresh) = plain_copy(&s3, &cold).unwrap();
            assert!(fresh && !is_cold(&plain));
            assert!(s3.storage.blobs.get(&plain).unwrap().unwrap() == body);
        }
        // A cold blob written before packing holds the plain body and is read as it is.
        s3.storage.blobs.put("cold-legacy", b"plain").unwrap();
        assert_eq!(
            plain_copy(&s3, "cold-legacy").unwrap(),
            ("cold-legacy".to_string(), false)
        );
    }
}
