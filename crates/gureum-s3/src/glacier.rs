//! Storage classes, the cold store and RestoreObject.
//!
//! Objects of the archive classes (GLACIER, DEEP_ARCHIVE) keep their body in the cold store:
//! blobs whose id starts with `cold-`, apart from the `s3-` blobs of the other classes, and
//! compressed. A body is received into a normal blob like any other; when its object is stored
//! ([`into_cold_store`], and lifecycle transitions) it is streamed into a fresh cold blob, and
//! the normal blob is deleted only once the cold blob is written whole, its [`ColdBlob`] record
//! stored and the object record pointed at it.
//!
//! `s3.cold_blobs`: `join([cold blob id])` -> [`ColdBlob`] says how a cold blob is laid out (its
//! `codec`) and records the body's size and the cold blob's:
//! - no record: the body as it was stored, uncompressed (cold blobs from before compression);
//! - `lz4-frame`: the blob as it was stored, in one LZ4 frame with a content checksum. Plain
//!   bodies get this, and so do bodies encrypted with SSE-C or SSE-KMS: the server cannot
//!   decrypt those on its own (SSE-C's key is the customer's and never stored; opening an SSE-KMS
//!   data key is a KMS Decrypt made with a caller's permissions, which a lifecycle transition
//!   running in the background has none of), so their ciphertext is packed as it is and, being
//!   ciphertext, does not shrink. Cold blobs of SSE-S3 bodies packed before
//!   `lz4-frame-sealed` existed are in this layout too, and still read.
//! - `lz4-frame-sealed`: SSE-S3 bodies, whose data key the server unseals with its master key.
//!   The body is decrypted segment by segment, compressed into one LZ4 frame, and the frame
//!   encrypted again in the segmented format of `sse.rs` (a 16-byte header, then AES-256-GCM
//!   64 KiB segments) under a cold key of its own: fresh for each cold blob, sealed under the
//!   master key (bound to the cold blob's id) in the record, with the frame's length
//!   (`frame_size`). The cold blob is as encrypted at rest as the body was, and smaller.
//!
//! GetObject answers `InvalidObjectState` for archived objects until a RestoreObject has
//! completed on the server clock; then it serves the body until the restore's expiry date. The
//! restore unpacks the cold blob into a normal blob, the restored copy, which reads serve (and
//! [`tick`] deletes once the restore expires). The copy is laid out exactly as the body was
//! before it was packed: for `lz4-frame-sealed`, the body encrypted again under the object's
//! own data key (with a fresh random nonce prefix, as every write under it has), so the object
//! record reads it as it is: GetObject whole or by range, HEAD, CopyObject, UploadPartCopy.
//!
//! Packing and unpacking stream: at most a segment, an LZ4 block (64 KiB each, and the LZ4
//! window) and a copy buffer are in memory, whatever the body's size.
//!
//! Restores are stored in `s3.restores`: `join([cold blob id])` -> [`Restore`]. A cold blob id
//! names exactly one object version, so the record follows it through versioning and goes stale
//! (and is removed by [`tick`]) when that version is deleted or overwritten.

use std::borrow::Cow;
use std::ops::Bound;

use gureum_core::wire::Blob;
use gureum_core::{AwsError, Clock, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{self, ObjectRecord};
use crate::{S3, errors, objects, str_param, versioning};

pub const RESTORES: &str = "s3.restores";
pub const COLD_BLOBS: &str = "s3.cold_blobs";

/// Cold blob layouts ([`ColdBlob::codec`]; see the module doc): the blob as stored, in an
/// LZ4 frame.
const LZ4_FRAME: &str = "lz4-frame";
/// The plaintext body in an LZ4 frame, encrypted in segments under a cold key of its own.
const LZ4_FRAME_SEALED: &str = "lz4-frame-sealed";

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
    /// The restored copy: the body unpacked into a normal blob laid out as it was before
    /// packing, which reads serve while the restore lasts. `None` for a cold blob that holds
    /// the body uncompressed. Added within format version 1.
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
    /// How the cold blob is laid out: `lz4-frame` or `lz4-frame-sealed`.
    pub codec: String,
    /// `lz4-frame-sealed`: the LZ4 frame's length (the plaintext of the encrypted segments).
    /// Added within format version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_size: Option<u64>,
    /// `lz4-frame-sealed`: the cold key, sealed under the master key and bound to the cold
    /// blob's id. Added within format version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<Blob>,
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

pub(crate) fn is_cold(blob_id: &str) -> bool {
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
    let packed = pack(s3, record);
    let _ = s3.storage.blobs.delete(&record.blob_id);
    let mut moved = record.clone();
    moved.blob_id = packed?;
    Ok(Cow::Owned(moved))
}

/// The LZ4 frames the cold store writes: 64 KiB blocks (bounded memory on both ends), linked
/// (a block may refer to the one before, which compresses better), with a content checksum.
fn frame_info() -> lz4_flex::frame::FrameInfo {
    lz4_flex::frame::FrameInfo::new()
        .block_size(lz4_flex::frame::BlockSize::Max64KB)
        .block_mode(lz4_flex::frame::BlockMode::Linked)
        .content_checksum(true)
}

/// Packs the body of `record` (its blob `record.blob_id`, which stays) into a fresh cold blob
/// and records its layout; the cold blob's id. SSE-S3 bodies are compressed as plaintext and
/// encrypted again (`lz4-frame-sealed`), others packed as they are stored (`lz4-frame`).
pub(crate) fn pack(s3: &S3, record: &ObjectRecord) -> Result<String, AwsError> {
    let id = new_cold_id();
    let written = match crate::sse::server_key(s3, record.encryption.as_ref())? {
        Some(body_key) => pack_sealed(s3, record, &body_key, &id),
        None => pack_frame(s3, &record.blob_id, &id),
    };
    let stored = written.and_then(|info| {
        info.to_record()
            .and_then(|bytes| s3.kv().put(COLD_BLOBS, &key::join([id.as_str()]), &bytes))
            .map_err(errors::store)
    });
    if let Err(e) = stored {
        let _ = s3.storage.blobs.delete(&id);
        return Err(e);
    }
    Ok(id)
}

/// Streams blob `from`, as it is stored, through an LZ4 frame encoder into cold blob `id`.
fn pack_frame(s3: &S3, from: &str, id: &str) -> Result<ColdBlob, AwsError> {
    let mut reader = s3
        .storage
        .blobs
        .open(from)
        .map_err(errors::store)?
        .ok_or_else(|| AwsError::internal("object body missing"))?;
    let size = reader.len();
    let writer = s3.storage.blobs.writer(id).map_err(errors::store)?;
    let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(frame_info(), writer);
    std::io::copy(&mut reader, &mut encoder).map_err(|e| internal("packing a body", e))?;
    let writer = encoder
        .finish()
        .map_err(|e| internal("packing a body", e))?;
    let packed_size = writer.commit().map_err(errors::store)?;
    Ok(ColdBlob {
        size,
        packed_size,
        codec: LZ4_FRAME.to_string(),
        frame_size: None,
        sealed_key: None,
    })
}

/// Decrypts the SSE-S3 body of `record` (under `body_key`) segment by segment, compresses the
/// plaintext into an LZ4 frame and encrypts the frame into cold blob `id`.
///
/// The frame is encrypted under a fresh key made for this one cold blob, not under the object's
/// data key with fresh nonces:
/// - nonces: the segmented format's nonce is a random 8-byte prefix and the segment index. Under
///   the object's key every blob ever written with it (the body, its multipart parts, each
///   restored copy) draws a prefix from one space, so a cold blob under that key would be safe
///   only as long as random prefixes never collide; a key that encrypts exactly one stream
///   cannot repeat a nonce at all;
/// - separation: the frame is another plaintext in another layout. Under a key of its own no
///   segment of a cold blob can be passed off as a segment of a body or the other way round, and
///   as the sealed key is bound to the cold blob's id, swapping cold blobs or records fails to
///   authenticate instead of decompressing something else;
/// - cost: 60-odd bytes in the record the cold blob needs anyway for its layout, and one unseal
///   under the master key per pack and unpack. The master key protects the object's data key
///   too, so the cold blob is exactly as protected as the body.
fn pack_sealed(
    s3: &S3,
    record: &ObjectRecord,
    body_key: &crate::sse::DataKey,
    id: &str,
) -> Result<ColdBlob, AwsError> {
    let (cold_key, sealed_key) = crate::sse::new_cold_key(s3, id)?;
    let mut reader = crate::sse::reader(
        s3,
        &record.blob_id,
        record.size,
        Some(body_key),
        0,
        record.size,
    )?;
    let writer = crate::sse::writer(s3, id, Some(&cold_key))?;
    let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(frame_info(), writer);
    let size =
        std::io::copy(&mut reader, &mut encoder).map_err(|e| internal("packing a body", e))?;
    if size != record.size {
        return Err(AwsError::internal(
            "an object body is shorter than its record",
        ));
    }
    let writer = encoder
        .finish()
        .map_err(|e| internal("packing a body", e))?;
    // The encrypting writer counts the plaintext it took: the frame's length.
    let frame_size = writer.commit().map_err(errors::store)?;
    Ok(ColdBlob {
        size,
        packed_size: crate::sse::encrypted_len(frame_size),
        codec: LZ4_FRAME_SEALED.to_string(),
        frame_size: Some(frame_size),
        sealed_key: Some(sealed_key),
    })
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

/// Unpacks cold blob `record.blob_id` (laid out as `info` says) into a fresh normal blob laid
/// out as the body was before packing; its id.
fn unpack(s3: &S3, record: &ObjectRecord, info: &ColdBlob) -> Result<String, AwsError> {
    let from = record.blob_id.as_str();
    let id = model::new_blob_id();
    match info.codec.as_str() {
        LZ4_FRAME => {
            let reader = s3
                .storage
                .blobs
                .open(from)
                .map_err(errors::store)?
                .ok_or_else(|| AwsError::internal("archived body missing"))?;
            let mut writer = s3.storage.blobs.writer(&id).map_err(errors::store)?;
            let mut decoder = lz4_flex::frame::FrameDecoder::new(reader);
            std::io::copy(&mut decoder, &mut *writer)
                .map_err(|e| internal("unpacking a body", e))?;
            writer.commit().map_err(errors::store)?;
        }
        LZ4_FRAME_SEALED => {
            let corrupt = || AwsError::internal("a cold blob record is corrupt");
            let frame_size = info.frame_size.ok_or_else(corrupt)?;
            let cold_key =
                crate::sse::open_cold_key(s3, from, info.sealed_key.as_ref().ok_or_else(corrupt)?)?;
            let body_key = crate::sse::server_key(s3, record.encryption.as_ref())?
                .ok_or_else(|| AwsError::internal("a sealed cold blob of a non SSE-S3 object"))?;
            let reader = crate::sse::reader(s3, from, frame_size, Some(&cold_key), 0, frame_size)?;
            let mut decoder = lz4_flex::frame::FrameDecoder::new(reader);
            // Encrypted again under the object's key, with a fresh random nonce prefix.
            let mut writer = crate::sse::writer(s3, &id, Some(&body_key))?;
            let size = std::io::copy(&mut decoder, &mut *writer)
                .map_err(|e| internal("unpacking a body", e))?;
            if size != record.size || size != info.size {
                return Err(AwsError::internal(
                    "an unpacked body's size differs from its record",
                ));
            }
            writer.commit().map_err(errors::store)?;
        }
        other => {
            return Err(AwsError::internal(format!(
                "unknown cold blob codec {other:?}"
            )));
        }
    }
    Ok(id)
}

/// A blob holding the body of `record` as the read path expects it, and whether it is a new one
/// (else `record.blob_id` itself): cold blobs with a [`ColdBlob`] record are unpacked, others
/// are laid out so already.
pub(crate) fn plain_copy(s3: &S3, record: &ObjectRecord) -> Result<(String, bool), AwsError> {
    let from = &record.blob_id;
    if is_cold(from) {
        if let Some(info) = cold_blob(s3, from)? {
            return Ok((unpack(s3, record, &info)?, true));
        }
    }
    Ok((from.to_string(), false))
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
                None => match plain_copy(s3, &record)? {
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

    fn record(
        blob_id: &str,
        size: u64,
        encryption: Option<crate::sse::Encryption>,
    ) -> ObjectRecord {
        ObjectRecord {
            blob_id: blob_id.to_string(),
            size,
            etag: "\"0\"".into(),
            last_modified_millis: 0,
            owner: "owner".into(),
            headers: Default::default(),
            metadata: Default::default(),
            checksums: Default::default(),
            tags: Vec::new(),
            storage_class: "GLACIER".into(),
            parts_count: None,
            part_sizes: Vec::new(),
            version_id: None,
            encryption,
        }
    }

    /// Log lines: compressible, with a phrase to look for in what is stored.
    fn text(len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 100);
        let mut i = 0;
        while out.len() < len {
            out.extend_from_slice(
                format!("line {i:08}: the plaintext marker phrase, again and again\n").as_bytes(),
            );
            i += 1;
        }
        out.truncate(len);
        out
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Stores `body` as an SSE-S3 object's blob `blob_id`; its record and data key.
    fn sse_s3_object(s3: &S3, blob_id: &str, body: &[u8]) -> (ObjectRecord, crate::sse::DataKey) {
        let (encryption, key) = crate::sse::new_s3_key(s3).unwrap();
        crate::sse::put(s3, blob_id, body, Some(&key)).unwrap();
        (record(blob_id, body.len() as u64, Some(encryption)), key)
    }

    /// The plaintext of `len` bytes from `first` of the body `record` reads from blob `blob`.
    fn read(s3: &S3, record: &ObjectRecord, blob: &str, first: u64, len: u64) -> Vec<u8> {
        let key = crate::sse::server_key(s3, record.encryption.as_ref()).unwrap();
        let reader = crate::sse::reader(s3, blob, record.size, key.as_ref(), first, len).unwrap();
        crate::sse::read_all(reader, len).unwrap()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn sse_s3_bodies_are_compressed_encrypted_and_restore_readable() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let seg = crate::sse::SEGMENT as usize;
        // Empty, one byte, whole segments, a partial last segment, incompressible.
        let bodies = [
            Vec::new(),
            b"x".to_vec(),
            text(2 * seg),
            text(3 * seg + 1234),
            noise(2 * seg + 7),
        ];
        for body in bodies {
            let size = body.len() as u64;
            let (object, _) = sse_s3_object(&s3, "s3-body", &body);
            let original = s3.storage.blobs.get("s3-body").unwrap().unwrap();
            let cold = pack(&s3, &object).unwrap();
            assert!(is_cold(&cold));
            // Packing leaves the body's blob to its caller.
            assert!(s3.storage.blobs.get("s3-body").unwrap().is_some());
            let info = cold_blob(&s3, &cold).unwrap().expect("a cold blob record");
            assert_eq!(info.codec, LZ4_FRAME_SEALED);
            assert_eq!(info.size, size);
            let on_disk = s3.storage.blobs.get(&cold).unwrap().unwrap();
            assert_eq!(info.packed_size, on_disk.len() as u64);
            assert_eq!(
                crate::sse::encrypted_len(info.frame_size.unwrap()),
                info.packed_size
            );
            if body.len() > seg {
                assert!(!contains(&on_disk, b"plaintext marker"));
            }
            let archived = ObjectRecord {
                blob_id: cold.clone(),
                ..object.clone()
            };
            let (copy, fresh) = plain_copy(&s3, &archived).unwrap();
            assert!(fresh && !is_cold(&copy));
            // The restored copy is laid out as the body was: same length, read with the record
            // as it is, whole and by range...
            let restored = s3.storage.blobs.get(&copy).unwrap().unwrap();
            assert_eq!(restored.len(), original.len());
            assert_eq!(read(&s3, &archived, &copy, 0, size), body);
            for (first, len) in [(0u64, 1u64), (65_535, 2), (65_536, 65_536), (1, 150_000)] {
                if first + len <= size {
                    assert_eq!(
                        read(&s3, &archived, &copy, first, len),
                        &body[first as usize..(first + len) as usize]
                    );
                }
            }
            // ...but encrypted afresh: another nonce prefix in its header, other ciphertext.
            assert_ne!(restored[..16], original[..16]);
            assert_ne!(restored, original);
            s3.storage.blobs.delete(&copy).unwrap();
        }
    }

    #[test]
    fn a_compressible_mib_packs_to_a_fraction_and_hides_its_plaintext() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let body = text(1024 * 1024);
        let (object, _) = sse_s3_object(&s3, "s3-body", &body);
        let cold = pack(&s3, &object).unwrap();
        let info = cold_blob(&s3, &cold).unwrap().unwrap();
        let on_disk = s3.storage.blobs.get(&cold).unwrap().unwrap();
        assert!(
            (on_disk.len() as u64) < object.size / 4,
            "{} bytes packed from {}",
            on_disk.len(),
            object.size
        );
        assert!(!contains(&on_disk, b"plaintext marker"));
        assert!(!contains(&on_disk, b"again and again"));
        // The LZ4 frame itself would show the phrase: it is encrypted.
        assert!(info.frame_size.unwrap() < object.size / 4);
        // What the cold store did before: the ciphertext through LZ4, no smaller at all.
        let old = pack_frame(&s3, "s3-body", "cold-old-layout").unwrap();
        assert!(old.packed_size > object.size, "{old:?}");
        eprintln!(
            "1 MiB of text: {} bytes packed sealed, {} bytes as lz4-frame of its ciphertext",
            info.packed_size, old.packed_size
        );
        // Each pack draws a new cold key: packing the same body again gives other bytes.
        let again = pack(&s3, &object).unwrap();
        let again_bytes = s3.storage.blobs.get(&again).unwrap().unwrap();
        assert_ne!(again_bytes[..16], on_disk[..16]);
        assert_ne!(
            cold_blob(&s3, &again).unwrap().unwrap().sealed_key,
            info.sealed_key
        );
    }

    #[test]
    fn tampered_or_swapped_cold_blobs_fail_to_unpack() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let body = text(200_000);
        let (object, _) = sse_s3_object(&s3, "s3-body", &body);
        let cold = pack(&s3, &object).unwrap();
        let archived = ObjectRecord {
            blob_id: cold.clone(),
            ..object.clone()
        };
        let stored = s3.storage.blobs.get(&cold).unwrap().unwrap();
        let mut flipped = stored.clone();
        flipped[40] ^= 1;
        s3.storage.blobs.put(&cold, &flipped).unwrap();
        assert!(plain_copy(&s3, &archived).is_err());
        s3.storage.blobs.put(&cold, &stored).unwrap();
        assert!(plain_copy(&s3, &archived).is_ok());
        // Another cold blob's record (and so its sealed key) does not open this one.
        let other = pack(&s3, &object).unwrap();
        let other_record = s3
            .kv()
            .get(COLD_BLOBS, &key::join([other.as_str()]))
            .unwrap();
        s3.kv()
            .put(
                COLD_BLOBS,
                &key::join([cold.as_str()]),
                &other_record.unwrap(),
            )
            .unwrap();
        assert!(plain_copy(&s3, &archived).is_err());
    }

    #[test]
    fn plain_sse_c_and_sse_kms_bodies_are_packed_as_stored() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let body = text(300_000);
        let customer = crate::sse::Encryption::Customer {
            key_md5: "md5".into(),
            salt: Blob(vec![1; 16]),
            key_hmac: Blob(vec![2; 32]),
            wrapped_key: Blob(vec![3; 60]),
        };
        let kms = crate::sse::Encryption::Kms {
            key_arn: "arn:aws:kms:us-east-1:000000000000:key/k".into(),
            ciphertext: Blob(vec![4; 100]),
            context: Default::default(),
            bucket_key: false,
            caller_context: false,
            dsse: false,
        };
        // Stands for the ciphertext of the encrypted ones: the server cannot decrypt it.
        let ciphertext = noise(300_000);
        for (stored, encryption) in [
            (body.clone(), None),
            (ciphertext.clone(), Some(customer)),
            (ciphertext, Some(kms)),
        ] {
            s3.storage.blobs.put("s3-body", &stored).unwrap();
            let plain = encryption.is_none();
            let object = record("s3-body", body.len() as u64, encryption);
            let cold = pack(&s3, &object).unwrap();
            let info = cold_blob(&s3, &cold).unwrap().unwrap();
            assert_eq!(info.codec, LZ4_FRAME);
            assert!(info.sealed_key.is_none() && info.frame_size.is_none());
            assert_eq!(info.size, stored.len() as u64);
            if plain {
                assert!(info.packed_size < body.len() as u64 / 4, "{info:?}");
            } else {
                assert!(info.packed_size < stored.len() as u64 + 1024, "{info:?}");
            }
            let archived = ObjectRecord {
                blob_id: cold,
                ..object
            };
            let (copy, fresh) = plain_copy(&s3, &archived).unwrap();
            assert!(fresh);
            assert!(s3.storage.blobs.get(&copy).unwrap().unwrap() == stored);
        }
    }

    #[test]
    fn legacy_cold_blobs_still_read() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        // A cold blob written before packing holds the plain body and is read as it is.
        s3.storage.blobs.put("cold-legacy", b"plain").unwrap();
        let plain = record("cold-legacy", 5, None);
        assert_eq!(
            plain_copy(&s3, &plain).unwrap(),
            ("cold-legacy".to_string(), false)
        );
        // An SSE-S3 body packed before bodies were compressed as plaintext: its ciphertext in
        // an LZ4 frame (as that version wrote it), and a record without the new fields.
        let body = text(3 * 65_536 + 99);
        let (object, _) = sse_s3_object(&s3, "s3-body", &body);
        let ciphertext = s3.storage.blobs.get("s3-body").unwrap().unwrap();
        let writer = s3.storage.blobs.writer("cold-lz4").unwrap();
        let info = lz4_flex::frame::FrameInfo::new().content_checksum(true);
        let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(info, writer);
        std::io::copy(&mut ciphertext.as_slice(), &mut encoder).unwrap();
        let packed_size = encoder.finish().unwrap().commit().unwrap();
        let old_record = gureum_store::encode_record(
            1,
            &serde_json::json!({
                "size": ciphertext.len(),
                "packed_size": packed_size,
                "codec": "lz4-frame",
            }),
        )
        .unwrap();
        s3.kv()
            .put(COLD_BLOBS, &key::join(["cold-lz4"]), &old_record)
            .unwrap();
        let info = cold_blob(&s3, "cold-lz4").unwrap().unwrap();
        assert!(info.codec == LZ4_FRAME && info.sealed_key.is_none());
        let archived = ObjectRecord {
            blob_id: "cold-lz4".into(),
            ..object
        };
        let (copy, fresh) = plain_copy(&s3, &archived).unwrap();
        assert!(fresh);
        assert!(s3.storage.blobs.get(&copy).unwrap().unwrap() == ciphertext);
        assert_eq!(read(&s3, &archived, &copy, 0, archived.size), body);
        // Records of the old layout are written as they were.
        let rewritten = String::from_utf8(info.to_record().unwrap()[2..].to_vec()).unwrap();
        assert!(!rewritten.contains("frame_size") && !rewritten.contains("sealed_key"));
        // A codec this build does not know is an error, not a body read as plain.
        let unknown = ColdBlob {
            codec: "zstd".into(),
            ..info
        };
        s3.kv()
            .put(
                COLD_BLOBS,
                &key::join(["cold-lz4"]),
                &unknown.to_record().unwrap(),
            )
            .unwrap();
        assert!(plain_copy(&s3, &archived).is_err());
    }
}
