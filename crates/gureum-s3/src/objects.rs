//! Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject,
//! ListObjects (v1 and v2) and object tagging.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;
use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Versioned, key};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::http::{Condition, Conditions, parse_range};
use crate::listing::{self, Cursor, Item};
use crate::model::{self, ContentHeaders, ObjectRecord};
use crate::{
    S3, bool_param, errors, int_param, num_param, owner_value, put_opt, str_param, validate,
    versioning,
};

/// The default content type S3 answers for an object stored without one.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

pub(crate) fn check_key(key: &str) -> Result<(), AwsError> {
    if key.is_empty() {
        return Err(errors::invalid_argument("Object key must not be empty"));
    }
    if key.len() > validate::MAX_KEY_BYTES {
        return Err(errors::key_too_long());
    }
    Ok(())
}

pub(crate) fn content_headers(p: &Value) -> ContentHeaders {
    let s = |name: &str| str_param(p, name).map(str::to_string);
    ContentHeaders {
        content_type: s("ContentType"),
        cache_control: s("CacheControl"),
        content_disposition: s("ContentDisposition"),
        content_encoding: s("ContentEncoding"),
        content_language: s("ContentLanguage"),
        expires: s("Expires"),
        website_redirect_location: s("WebsiteRedirectLocation"),
    }
}

pub(crate) fn metadata(p: &Value) -> BTreeMap<String, String> {
    p.get("Metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The tags of an `x-amz-tagging` header (`a=b&c=d`, form-encoded).
pub(crate) fn tagging_header(p: &Value) -> Result<Vec<(String, String)>, AwsError> {
    let Some(text) = str_param(p, "Tagging").filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| errors::invalid_argument("The header 'x-amz-tagging' is not valid"))
    };
    let tags = text
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    check_tags(&tags)?;
    Ok(tags)
}

fn check_tags(tags: &[(String, String)]) -> Result<(), AwsError> {
    if tags.len() > 10 {
        return Err(errors::invalid_tag("Object tags cannot be greater than 10"));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(errors::invalid_tag(
                "The TagKey you have provided is invalid",
            ));
        }
        if v.chars().count() > 256 {
            return Err(errors::invalid_tag(
                "The TagValue you have provided is invalid",
            ));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(errors::invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

pub(crate) fn checksum_fields(out: &mut Map<String, Value>, checksums: &BTreeMap<String, String>) {
    for (algorithm, value) in checksums {
        out.insert(format!("Checksum{algorithm}"), value.clone().into());
    }
    if !checksums.is_empty() {
        out.insert("ChecksumType".into(), "FULL_OBJECT".into());
    }
}

/// What a committed write did: its version id and the blobs to delete after the commit.
enum WriteOutcome {
    Written(versioning::Stored),
    Failed(AwsError),
}

/// Stores `record` as `bucket/key` in a transaction, checking the write's own conditions
/// (`If-Match`, `If-None-Match: *`) against the current object there, and deletes the body it
/// replaced. The new body's blob must already be written; it is deleted if the write fails.
/// Answers the version id the object got (`None` in a bucket never versioned).
pub(crate) fn commit_object(
    s3: &S3,
    bucket: &str,
    key: &str,
    record: &ObjectRecord,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Option<String>, AwsError> {
    let record = &*crate::glacier::into_cold_store(s3, record)?;
    let okey = model::object_key(bucket, key);
    let outcome = s3.kv().transaction(|txn| {
        // The old record is read here only for the conditions (`store_object` reads it again).
        let old = match (if_match.is_some() || if_none_match.is_some())
            .then(|| txn.get(model::OBJECTS, &okey))
            .transpose()?
            .flatten()
        {
            Some(b) => Some(ObjectRecord::from_record(&b)?),
            None => None,
        };
        if let Some(list) = if_none_match {
            if old.is_some() && list.trim() == "*" {
                return Ok(WriteOutcome::Failed(errors::precondition_failed(
                    "If-None-Match",
                )));
            }
        }
        if let Some(list) = if_match {
            match &old {
                None => return Ok(WriteOutcome::Failed(errors::no_such_key())),
                Some(o) if !crate::http::etag_matches(list, &o.etag) => {
                    return Ok(WriteOutcome::Failed(errors::precondition_failed(
                        "If-Match",
                    )));
                }
                Some(_) => {}
            }
        }
        match versioning::store_object(txn, bucket, key, record)? {
            Some(stored) => Ok(WriteOutcome::Written(stored)),
            None => Ok(WriteOutcome::Failed(errors::no_such_bucket(bucket))),
        }
    });
    match outcome {
        Ok(WriteOutcome::Written(stored)) => {
            for blob in stored.garbage {
                let _ = s3.storage.blobs.delete(&blob);
            }
            Ok(stored.version_id)
        }
        Ok(WriteOutcome::Failed(e)) => {
            let _ = s3.storage.blobs.delete(&record.blob_id);
            Err(e)
        }
        Err(e) => {
            let _ = s3.storage.blobs.delete(&record.blob_id);
            Err(errors::store(e))
        }
    }
}

/// What a PutObject settles before its body: the bucket, tags, storage class and blob id.
struct PutPlan {
    owner: String,
    tags: Vec<(String, String)>,
    storage_class: String,
    blob_id: String,
    encryption: crate::sse::Encryption,
    key: crate::sse::DataKey,
}

fn plan_put(s3: &S3, ctx: &RequestContext, p: &Value) -> Result<PutPlan, AwsError> {
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, bucket_name)?;
    check_key(key)?;
    let tags = tagging_header(p)?;
    let storage_class =
        crate::glacier::requested_class(p)?.unwrap_or_else(|| "STANDARD".to_string());
    let blob_id = crate::glacier::new_blob_id(&storage_class);
    let (encryption, key) = crate::sse::for_new_object(s3, ctx, p, &bucket, key)?;
    Ok(PutPlan {
        owner: bucket.owner.clone(),
        tags,
        storage_class,
        blob_id,
        encryption,
        key,
    })
}

pub fn put_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let plan = plan_put(s3, ctx, p)?;
    let data = input.payload.clone().unwrap_or_default();
    let received = crate::upload::receive_memory(s3, p, &data, &plan.blob_id, Some(&plan.key))?;
    finish_put(s3, ctx, p, plan, received)
}

/// PutObject with a body that streams in: stored chunk by chunk, never held in memory.
pub async fn put_object_streamed(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
    stream: gureum_core::BodyStream,
    lock: Option<crate::object_lock::LockState>,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let plan = plan_put(s3, ctx, p)?;
    let received = crate::upload::receive_stream(
        s3,
        p,
        stream,
        &plan.blob_id,
        crate::upload::MAX_PUT_SIZE,
        Some(&plan.key),
    )
    .await?;
    // The lock is handed to the version's transaction on this thread, without an await between.
    crate::object_lock::with_requested(lock, || finish_put(s3, ctx, p, plan, received))
}

/// Points `Bucket/Key` at the stored body: the record, its conditions, the answer.
fn finish_put(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    plan: PutPlan,
    received: crate::upload::Received,
) -> Result<OperationOutput, AwsError> {
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let record = ObjectRecord {
        blob_id: plan.blob_id,
        size: received.size,
        etag: crate::sse::etag(Some(&plan.encryption), Some(&plan.key), &received.md5),
        last_modified_millis: ctx.clock.now_millis(),
        owner: plan.owner,
        headers: content_headers(p),
        metadata: metadata(p),
        checksums: received.checksums,
        tags: plan.tags,
        storage_class: plan.storage_class,
        parts_count: None,
        part_sizes: Vec::new(),
        version_id: None,
        encryption: Some(plan.encryption),
    };
    let version_id = commit_object(
        s3,
        bucket_name,
        key,
        &record,
        str_param(p, "IfMatch"),
        str_param(p, "IfNoneMatch"),
    )?;
    let mut out = Map::new();
    out.insert("ETag".into(), record.etag.clone().into());
    put_opt(&mut out, "VersionId", version_id);
    checksum_fields(&mut out, &record.checksums);
    crate::sse::response_fields(&mut out, record.encryption.as_ref(), true);
    Ok(OperationOutput::new(Value::Object(out)))
}

pub(crate) fn load_object(
    s3: &S3,
    bucket: &str,
    key: &str,
) -> Result<Option<ObjectRecord>, AwsError> {
    match s3
        .kv()
        .get(model::OBJECTS, &model::object_key(bucket, key))
        .map_err(errors::store)?
    {
        Some(b) => ObjectRecord::from_record(&b)
            .map(Some)
            .map_err(errors::store),
        None => Ok(None),
    }
}

/// Bodies larger than this are streamed from the blob store rather than read into memory.
const STREAM_BODY_ABOVE: u64 = 1024 * 1024;

fn read_object(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    with_body: bool,
) -> Result<OperationOutput, AwsError> {
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, bucket_name)?;
    let record = match str_param(p, "VersionId") {
        Some(v) => versioning::load_version_object(s3, &bucket, key, v)?,
        None => load_object(s3, bucket_name, key)?
            .ok_or_else(|| versioning::no_current_object(s3, bucket_name, key))?,
    };
    let restore = crate::glacier::check_read(s3, &record, ctx.clock.now_millis(), with_body)?;
    // An SSE-C object needs its customer key even for a HEAD.
    crate::sse::check_customer(p, record.encryption.as_ref(), "SSECustomer")?;
    let blob_id = crate::glacier::readable_blob(s3, &record)?;
    let conditions = Conditions {
        if_match: str_param(p, "IfMatch"),
        if_none_match: str_param(p, "IfNoneMatch"),
        if_modified_since: num_param(p, "IfModifiedSince"),
        if_unmodified_since: num_param(p, "IfUnmodifiedSince"),
    };
    let last_modified = record.last_modified_millis.div_euclid(1000);
    match conditions.evaluate(&record.etag, last_modified) {
        Condition::Proceed => {}
        Condition::NotModified => return Err(errors::not_modified()),
        Condition::PreconditionFailed(what) => return Err(errors::precondition_failed(what)),
    }
    let part_number = crate::int_param(p, "PartNumber");
    let range = match (str_param(p, "Range"), part_number) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_request(
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        (Some(header), None) => {
            parse_range(header, record.size).map_err(|()| errors::invalid_range())?
        }
        (None, Some(n)) => crate::multipart::part_range(&record, n)?,
        (None, None) => None,
    };
    let mut out = Map::new();
    if part_number.is_some() {
        put_opt(&mut out, "PartsCount", record.parts_count);
    }
    out.insert("AcceptRanges".into(), "bytes".into());
    out.insert("LastModified".into(), last_modified.into());
    out.insert("ETag".into(), record.etag.clone().into());
    put_opt(&mut out, "VersionId", record.version_id.clone());
    let h = &record.headers;
    out.insert(
        "ContentType".into(),
        h.content_type
            .as_deref()
            .unwrap_or(DEFAULT_CONTENT_TYPE)
            .into(),
    );
    put_opt(&mut out, "CacheControl", h.cache_control.clone());
    put_opt(
        &mut out,
        "ContentDisposition",
        h.content_disposition.clone(),
    );
    put_opt(&mut out, "ContentEncoding", h.content_encoding.clone());
    put_opt(&mut out, "ContentLanguage", h.content_language.clone());
    put_opt(&mut out, "Expires", h.expires.clone());
    put_opt(
        &mut out,
        "WebsiteRedirectLocation",
        h.website_redirect_location.clone(),
    );
    if !record.metadata.is_empty() {
        out.insert("Metadata".into(), json!(record.metadata));
    }
    if record.storage_class != "STANDARD" {
        out.insert("StorageClass".into(), record.storage_class.clone().into());
    }
    put_opt(&mut out, "Restore", restore);
    crate::sse::response_fields(&mut out, record.encryption.as_ref(), false);
    if !record.tags.is_empty() {
        out.insert("TagCount".into(), record.tags.len().into());
    }
    let checksum_mode =
        str_param(p, "ChecksumMode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    if checksum_mode && range.is_none() {
        checksum_fields(&mut out, &record.checksums);
    }
    // Response header overrides (response-content-type & co).
    for (from, to) in [
        ("ResponseContentType", "ContentType"),
        ("ResponseCacheControl", "CacheControl"),
        ("ResponseContentDisposition", "ContentDisposition"),
        ("ResponseContentEncoding", "ContentEncoding"),
        ("ResponseContentLanguage", "ContentLanguage"),
    ] {
        if let Some(v) = str_param(p, from) {
            out.insert(to.into(), v.into());
        }
    }
    if let Some(t) = num_param(p, "ResponseExpires") {
        out.insert("Expires".into(), crate::http::http_date(t as i64).into());
    }
    let length = match range {
        Some(r) => {
            out.insert("ContentRange".into(), r.content_range(record.size).into());
            r.len()
        }
        None => record.size,
    };
    out.insert("ContentLength".into(), length.into());
    let mut output = OperationOutput::new(Value::Object(out));
    if with_body {
        // Only a GET opens the body's data key (and so needs kms:Decrypt). It is decrypted
        // segment by segment from the blob.
        let data_key = crate::sse::open_key(s3, ctx, p, record.encryption.as_ref(), "SSECustomer")?;
        let first = range.as_ref().map_or(0, |r| r.first);
        if length > STREAM_BODY_ABOVE {
            // Large bodies are read from the blob as they are sent, never held whole.
            let reader =
                crate::sse::reader(s3, &blob_id, record.size, data_key.as_ref(), first, length)?;
            output.stream = Some(gureum_core::OutputStream {
                reader,
                len: length,
            });
        } else {
            output.payload = Some(Bytes::from(crate::sse::read_small(
                s3,
                &blob_id,
                record.size,
                data_key.as_ref(),
                first,
                length,
            )?));
        }
    }
    Ok(output)
}

pub fn get_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    read_object(s3, ctx, &input.params, true)
}

pub fn head_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    read_object(s3, ctx, &input.params, false)
}

pub fn delete_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let record = s3.bucket(ctx, bucket)?;
    let deleted = delete_one(s3, ctx, &record, key, str_param(p, "VersionId"))?;
    let mut out = Map::new();
    if deleted.delete_marker {
        out.insert("DeleteMarker".into(), true.into());
    }
    put_opt(&mut out, "VersionId", deleted.version_id);
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Deletes one key (a version of it when `version_id` is given).
fn delete_one(
    s3: &S3,
    ctx: &RequestContext,
    bucket: &model::Bucket,
    key: &str,
    version_id: Option<&str>,
) -> Result<versioning::Deleted, AwsError> {
    match version_id {
        Some(v) => versioning::delete_version(s3, &bucket.name, key, v),
        None => {
            versioning::delete_current(s3, &bucket.name, key, &bucket.owner, ctx.clock.now_millis())
        }
    }
}

pub fn delete_objects(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let record = s3.bucket(ctx, bucket)?;
    let objects = p
        .pointer("/Delete/Objects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if objects.is_empty() || objects.len() > 1000 {
        return Err(errors::malformed_xml());
    }
    let quiet = p
        .pointer("/Delete/Quiet")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut deleted = Vec::new();
    let mut failed = Vec::new();
    for object in &objects {
        let key = str_param(object, "Key").unwrap_or_default();
        let version_id = str_param(object, "VersionId");
        let result = check_key(key).and_then(|()| delete_one(s3, ctx, &record, key, version_id));
        match result {
            Ok(outcome) => {
                if !quiet {
                    let mut d = Map::new();
                    d.insert("Key".into(), key.into());
                    put_opt(&mut d, "VersionId", version_id);
                    if outcome.delete_marker {
                        d.insert("DeleteMarker".into(), true.into());
                        if version_id.is_none() {
                            put_opt(&mut d, "DeleteMarkerVersionId", outcome.version_id);
                        }
                    }
                    deleted.push(Value::Object(d));
                }
            }
            Err(e) => failed.push(json!({"Key": key, "Code": e.code, "Message": e.message})),
        }
    }
    let mut out = Map::new();
    if !deleted.is_empty() {
        out.insert("Deleted".into(), Value::Array(deleted));
    }
    if !failed.is_empty() {
        out.insert("Errors".into(), Value::Array(failed));
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Splits `x-amz-copy-source` (`bucket/key`, `/bucket/key`, URL-encoded, with an optional
/// `?versionId=`) into bucket, key and version.
pub(crate) fn parse_copy_source(source: &str) -> Option<(String, String, Option<String>)> {
    let (path, version) = match source.split_once("?versionId=") {
        Some((path, v)) => (path, Some(v.to_string())),
        None => (source, None),
    };
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    let (bucket, key) = decoded.split_once('/')?;
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    Some((bucket.to_string(), key.to_string(), version))
}

pub fn copy_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, bucket_name)?;
    check_key(key)?;
    let (src_bucket, src_key, src_version) = str_param(p, "CopySource")
        .and_then(parse_copy_source)
        .ok_or_else(|| errors::invalid_argument("Invalid copy source object key"))?;
    let src_record = s3.bucket(ctx, &src_bucket)?;
    let source = match src_version.as_deref() {
        Some(v) => versioning::load_version_object(s3, &src_record, &src_key, v).map_err(|e| {
            // A delete marker cannot be copied: S3 answers InvalidRequest.
            if e.status == 405 {
                errors::invalid_request(
                    "The source of a copy request may not specifically refer to a delete marker by version id.",
                )
            } else {
                e
            }
        })?,
        None => load_object(s3, &src_bucket, &src_key)?.ok_or_else(errors::no_such_key)?,
    };
    let conditions = Conditions {
        if_match: str_param(p, "CopySourceIfMatch"),
        if_none_match: str_param(p, "CopySourceIfNoneMatch"),
        if_modified_since: num_param(p, "CopySourceIfModifiedSince"),
        if_unmodified_since: num_param(p, "CopySourceIfUnmodifiedSince"),
    };
    match conditions.evaluate(&source.etag, source.last_modified_millis.div_euclid(1000)) {
        Condition::Proceed => {}
        Condition::NotModified => {
            return Err(errors::precondition_failed(
                "x-amz-copy-source-If-None-Match",
            ));
        }
        Condition::PreconditionFailed(what) => {
            return Err(errors::precondition_failed(what));
        }
    }
    let replace = match str_param(p, "MetadataDirective").unwrap_or("COPY") {
        "COPY" => false,
        "REPLACE" => true,
        _ => {
            return Err(errors::invalid_argument("Unknown metadata directive."));
        }
    };
    let storage_class = crate::glacier::requested_class(p)?;
    if crate::glacier::is_archive(&source.storage_class)
        && !matches!(
            crate::glacier::state(s3, &source, ctx.clock.now_millis())?,
            crate::glacier::State::Restored { .. }
        )
    {
        return Err(crate::glacier::invalid_object_state());
    }
    if !replace
        && src_bucket == bucket_name
        && src_key == key
        && src_version.is_none()
        && storage_class.is_none()
        && str_param(p, "WebsiteRedirectLocation").is_none()
        && str_param(p, "ServerSideEncryption").is_none()
        && str_param(p, "SSECustomerAlgorithm").is_none()
    {
        return Err(errors::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let tags = match str_param(p, "TaggingDirective").unwrap_or("COPY") {
        "REPLACE" => tagging_header(p)?,
        _ => source.tags.clone(),
    };
    // The body: decrypted from the source and encrypted as the destination asks (or as its
    // bucket's default says), streamed from one blob to the other.
    let source_key = crate::sse::open_key(
        s3,
        ctx,
        p,
        source.encryption.as_ref(),
        "CopySourceSSECustomer",
    )?;
    let (encryption, data_key) = crate::sse::for_new_object(s3, ctx, p, &bucket, key)?;
    let storage_class = storage_class.unwrap_or_else(|| source.storage_class.clone());
    let blob_id = crate::glacier::new_blob_id(&storage_class);
    let digest = crate::sse::copy_blob(
        s3,
        &crate::glacier::readable_blob(s3, &source)?,
        source.size,
        source_key.as_ref(),
        0,
        source.size,
        &blob_id,
        Some(&data_key),
    )
    .inspect_err(|_| {
        let _ = s3.storage.blobs.delete(&blob_id);
    })?;
    let etag = if !crate::sse::Encryption::etag_is_md5(Some(&encryption)) {
        crate::sse::etag(Some(&encryption), Some(&data_key), &digest)
    } else if crate::sse::Encryption::etag_is_md5(source.encryption.as_ref()) {
        source.etag.clone()
    } else {
        format!("\"{}\"", hex::encode(digest))
    };
    let record = ObjectRecord {
        blob_id,
        size: source.size,
        etag,
        last_modified_millis: ctx.clock.now_millis(),
        owner: bucket.owner.clone(),
        headers: if replace {
            content_headers(p)
        } else {
            source.headers.clone()
        },
        metadata: if replace {
            metadata(p)
        } else {
            source.metadata.clone()
        },
        checksums: source.checksums.clone(),
        tags,
        storage_class,
        parts_count: source.parts_count,
        part_sizes: source.part_sizes.clone(),
        version_id: None,
        encryption: Some(encryption),
    };
    let version_id = commit_object(
        s3,
        bucket_name,
        key,
        &record,
        str_param(p, "IfMatch"),
        str_param(p, "IfNoneMatch"),
    )?;
    let mut result = Map::new();
    result.insert("ETag".into(), record.etag.clone().into());
    result.insert(
        "LastModified".into(),
        record.last_modified_millis.div_euclid(1000).into(),
    );
    checksum_fields(&mut result, &record.checksums);
    result.remove("ChecksumType");
    let mut out = Map::new();
    out.insert("CopyObjectResult".into(), Value::Object(result));
    put_opt(&mut out, "VersionId", version_id);
    put_opt(&mut out, "CopySourceVersionId", source.version_id.clone());
    crate::sse::response_fields(&mut out, record.encryption.as_ref(), true);
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Characters `encoding-type=url` leaves as they are.
const URL_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub(crate) struct Encoder(pub(crate) bool);

impl Encoder {
    pub(crate) fn of(p: &Value) -> Result<Self, AwsError> {
        match str_param(p, "EncodingType") {
            None => Ok(Encoder(false)),
            Some("url") => Ok(Encoder(true)),
            Some(_) => Err(errors::invalid_argument(
                "Invalid Encoding Method specified in Request",
            )),
        }
    }

    pub(crate) fn apply(&self, s: &str) -> String {
        if self.0 {
            utf8_percent_encode(s, URL_SAFE).to_string()
        } else {
            s.to_string()
        }
    }
}

pub(crate) fn max_keys(p: &Value) -> Result<usize, AwsError> {
    match int_param(p, "MaxKeys") {
        Some(n) if n < 0 => Err(errors::invalid_argument(
            "Provided max-keys not an integer or within integer range",
        )),
        Some(n) => Ok((n as usize).min(1000)),
        None => Ok(1000),
    }
}

/// One page of the objects of `bucket` under `prefix` from `cursor`.
pub(crate) fn list_page(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    cursor: Cursor,
    max: usize,
) -> Result<listing::Page<ObjectRecord>, AwsError> {
    let base = KeyRange::prefix(&model::object_prefix(bucket, prefix));
    let base_start = model::object_prefix(bucket, prefix);
    listing::list(prefix, delimiter, cursor, max, |cursor, n| {
        let start = match cursor {
            Cursor::From(k) => Bound::Included(model::object_key(bucket, k)),
            Cursor::After(k) => Bound::Excluded(model::object_key(bucket, k)),
            Cursor::PastPrefix(cp) => match key::prefix_end(&model::object_prefix(bucket, cp)) {
                Some(end) => Bound::Included(end),
                None => return Ok(Vec::new()),
            },
        };
        let below_base = match &start {
            Bound::Included(k) | Bound::Excluded(k) => *k < base_start,
            Bound::Unbounded => true,
        };
        let range = if below_base {
            base.clone()
        } else {
            KeyRange {
                start,
                end: base.end.clone(),
            }
        };
        let entries = s3
            .kv()
            .scan(model::OBJECTS, &range, Some(n), false)
            .map_err(errors::store)?;
        entries
            .into_iter()
            .map(|(k, v)| {
                let parts = key::split_str(&k).map_err(errors::store)?;
                let name = parts.into_iter().nth(1).unwrap_or_default();
                let record = ObjectRecord::from_record(&v).map_err(errors::store)?;
                Ok((name, record))
            })
            .collect::<Result<Vec<_>, AwsError>>()
    })
}

fn contents_entry(key: &str, o: &ObjectRecord, enc: &Encoder, owner: bool) -> Value {
    let mut entry = json!({
        "Key": enc.apply(key),
        "LastModified": o.last_modified_millis.div_euclid(1000),
        "ETag": o.etag,
        "Size": o.size,
        "StorageClass": o.storage_class,
    });
    if owner {
        entry["Owner"] = owner_value(&o.owner);
    }
    if let Some(algorithm) = o.checksums.keys().next() {
        entry["ChecksumAlgorithm"] = json!([algorithm]);
        entry["ChecksumType"] = json!("FULL_OBJECT");
    }
    entry
}

fn split_items(
    page: &listing::Page<ObjectRecord>,
    enc: &Encoder,
    owner: bool,
) -> (Vec<Value>, Vec<Value>) {
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    for item in &page.items {
        match item {
            Item::Object(k, o) => contents.push(contents_entry(k, o, enc, owner)),
            Item::CommonPrefix(cp) => prefixes.push(json!({"Prefix": enc.apply(cp)})),
        }
    }
    (contents, prefixes)
}

pub fn list_objects(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let enc = Encoder::of(p)?;
    let prefix = str_param(p, "Prefix").unwrap_or_default();
    let delimiter = str_param(p, "Delimiter").filter(|d| !d.is_empty());
    let marker = str_param(p, "Marker").unwrap_or_default();
    let max = max_keys(p)?;
    let cursor = if marker.is_empty() {
        Cursor::From(prefix.to_string())
    } else {
        listing::cursor_after(marker, prefix, delimiter)
    };
    let page = list_page(s3, bucket, prefix, delimiter, cursor, max)?;
    let truncated = page.next.is_some() && max > 0;
    let (contents, prefixes) = split_items(&page, &enc, true);
    let mut out = Map::new();
    out.insert("Name".into(), bucket.into());
    out.insert("Prefix".into(), enc.apply(prefix).into());
    out.insert("Marker".into(), enc.apply(marker).into());
    out.insert("MaxKeys".into(), max.into());
    out.insert("IsTruncated".into(), truncated.into());
    put_opt(&mut out, "Delimiter", delimiter.map(|d| enc.apply(d)));
    if truncated && delimiter.is_some() {
        put_opt(
            &mut out,
            "NextMarker",
            page.last_marker().map(|m| enc.apply(m)),
        );
    }
    if !contents.is_empty() {
        out.insert("Contents".into(), Value::Array(contents));
    }
    if !prefixes.is_empty() {
        out.insert("CommonPrefixes".into(), Value::Array(prefixes));
    }
    if enc.0 {
        out.insert("EncodingType".into(), "url".into());
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

pub fn list_objects_v2(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let enc = Encoder::of(p)?;
    let prefix = str_param(p, "Prefix").unwrap_or_default();
    let delimiter = str_param(p, "Delimiter").filter(|d| !d.is_empty());
    let start_after = str_param(p, "StartAfter").filter(|s| !s.is_empty());
    let token = str_param(p, "ContinuationToken");
    let max = max_keys(p)?;
    let cursor = match token {
        Some(t) => Cursor::from_token(t).ok_or_else(|| {
            errors::invalid_argument("The continuation token provided is incorrect")
        })?,
        None => match start_after {
            Some(s) => listing::cursor_after(s, prefix, delimiter),
            None => Cursor::From(prefix.to_string()),
        },
    };
    let page = list_page(s3, bucket, prefix, delimiter, cursor, max)?;
    let truncated = page.next.is_some() && max > 0;
    let (contents, prefixes) = split_items(&page, &enc, bool_param(p, "FetchOwner"));
    let mut out = Map::new();
    out.insert("Name".into(), bucket.into());
    out.insert("Prefix".into(), enc.apply(prefix).into());
    out.insert("MaxKeys".into(), max.into());
    out.insert("KeyCount".into(), page.items.len().into());
    out.insert("IsTruncated".into(), truncated.into());
    put_opt(&mut out, "Delimiter", delimiter.map(|d| enc.apply(d)));
    put_opt(&mut out, "ContinuationToken", token);
    put_opt(&mut out, "StartAfter", start_after.map(|s| enc.apply(s)));
    if truncated {
        put_opt(
            &mut out,
            "NextContinuationToken",
            page.next.as_ref().map(Cursor::to_token),
        );
    }
    if !contents.is_empty() {
        out.insert("Contents".into(), Value::Array(contents));
    }
    if !prefixes.is_empty() {
        out.insert("CommonPrefixes".into(), Value::Array(prefixes));
    }
    if enc.0 {
        out.insert("EncodingType".into(), "url".into());
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Rewrites the tags of `bucket/key` in a transaction; `NoSuchKey` when it is gone.
fn update_tags(
    s3: &S3,
    bucket: &str,
    key: &str,
    tags: Vec<(String, String)>,
) -> Result<(), AwsError> {
    let okey = model::object_key(bucket, key);
    let found = s3
        .kv()
        .transaction(|txn| {
            let Some(bytes) = txn.get(model::OBJECTS, &okey)? else {
                return Ok(false);
            };
            let mut record = ObjectRecord::from_record(&bytes)?;
            record.tags = tags.clone();
            txn.put(model::OBJECTS, &okey, &record.to_record()?)?;
            Ok(true)
        })
        .map_err(errors::store)?;
    if found {
        Ok(())
    } else {
        Err(errors::no_such_key())
    }
}

pub fn get_object_tagging(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let record = load_object(s3, bucket, key)?.ok_or_else(errors::no_such_key)?;
    let tags: Vec<Value> = record
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(OperationOutput::new(json!({"TagSet": tags})))
}

pub fn put_object_tagging(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let tags: Vec<(String, String)> = p
        .pointer("/Tagging/TagSet")
        .and_then(Value::as_array)
        .map(|set| {
            set.iter()
                .map(|t| {
                    (
                        str_param(t, "Key").unwrap_or_default().to_string(),
                        str_param(t, "Value").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    check_tags(&tags)?;
    update_tags(s3, bucket, key, tags)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn delete_object_tagging(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    update_tags(s3, bucket, key, Vec::new())?;
    Ok(OperationOutput::new(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources() {
        assert_eq!(
            parse_copy_source("src/a%20b/c"),
            Some(("src".into(), "a b/c".into(), None))
        );
        assert_eq!(
            parse_copy_source("/src/k?versionId=v1"),
            Some(("src".into(), "k".into(), Some("v1".into())))
        );
        assert_eq!(parse_copy_source("src"), None);
        assert_eq!(parse_copy_source("src/"), None);
    }

    #[test]
    fn tagging_headers_and_limits() {
        let tags = tagging_header(&json!({"Tagging": "a=b&c%20d=e+f&empty="})).unwrap();
        assert_eq!(
            tags,
            [
                ("a".into(), "b".into()),
                ("c d".into(), "e f".into()),
                ("empty".into(), String::new())
            ]
        );
        let many = (0..11)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            tagging_header(&json!({"Tagging": many})).unwrap_err().code,
            "InvalidTag"
        );
        assert_eq!(
            tagging_header(&json!({"Tagging": "a=1&a=2"}))
                .unwrap_err()
                .code,
            "InvalidTag"
        );
    }

    #[test]
    fn body_checksums_are_verified() {
        let data = b"hello world";
        let (digest, ok) = crate::upload::digest_memory(
            &json!({"ChecksumCRC32": "DUoRhQ==", "ChecksumAlgorithm": "sha256"}),
            data,
        )
        .unwrap();
        assert_eq!(digest, crate::md5::md5(data));
        assert_eq!(ok.get("CRC32").map(String::as_str), Some("DUoRhQ=="));
        assert!(ok.contains_key("SHA256"));
        let bad =
            crate::upload::digest_memory(&json!({"ChecksumCRC32": "AAAAAA=="}), data).unwrap_err();
        assert_eq!((bad.code.as_ref(), bad.status), ("BadDigest", 400));
    }
}
