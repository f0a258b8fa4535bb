//! Multipart upload: CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload,
//! AbortMultipartUpload, ListMultipartUploads.

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Versioned, key};
use serde_json::{Map, Value, json};

use crate::http::ByteRange;
use crate::model::{self, MultipartUpload, ObjectRecord, Part};
use crate::objects::{self, check_key};
use crate::{S3, errors, int_param, md5, owner_value, put_opt, str_param};

/// The smallest part S3 accepts, but for the last one.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_PART_NUMBER: i64 = 10_000;

/// The ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-N`.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut h = md5::Md5::new();
    for digest in part_md5s {
        h.update(digest);
    }
    format!("\"{}-{}\"", hex::encode(h.finish()), part_md5s.len())
}

fn load_upload(
    s3: &S3,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<MultipartUpload, AwsError> {
    let bytes = s3
        .kv()
        .get(model::UPLOADS, &model::upload_key(bucket, key, upload_id))
        .map_err(errors::store)?
        .ok_or_else(errors::no_such_upload)?;
    MultipartUpload::from_record(&bytes).map_err(errors::store)
}

pub fn create_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, bucket_name)?;
    check_key(key)?;
    let upload_id = gureum_core::ids::random_base64(48)
        .replace('+', "-")
        .replace('/', "_")
        .replace('=', "");
    // The upload's encryption, decided now; its parts and the object share its data key.
    let (encryption, data_key) = crate::sse::for_new_object(s3, ctx, p, &bucket, key)?;
    let upload = MultipartUpload {
        bucket: bucket_name.to_string(),
        key: key.to_string(),
        upload_id: upload_id.clone(),
        initiated_millis: ctx.clock.now_millis(),
        owner: bucket.owner.clone(),
        initiator_arn: ctx.principal.arn.clone(),
        headers: objects::content_headers(p),
        metadata: objects::metadata(p),
        tags: objects::tagging_header(p)?,
        storage_class: crate::glacier::requested_class(p)?
            .unwrap_or_else(|| "STANDARD".to_string()),
        checksum_algorithm: str_param(p, "ChecksumAlgorithm").map(str::to_ascii_uppercase),
        upload_key: crate::sse::upload_key(s3, &encryption, &data_key)?,
        encryption: Some(encryption),
        object_lock: crate::object_lock::requested_lock(s3, ctx, bucket_name, p)?,
    };
    let bytes = upload.to_record().map_err(errors::store)?;
    s3.kv()
        .put(
            model::UPLOADS,
            &model::upload_key(bucket_name, key, &upload_id),
            &bytes,
        )
        .map_err(errors::store)?;
    let mut out = Map::new();
    out.insert("Bucket".into(), bucket_name.into());
    out.insert("Key".into(), key.into());
    out.insert("UploadId".into(), upload_id.into());
    put_opt(&mut out, "ChecksumAlgorithm", upload.checksum_algorithm);
    crate::sse::response_fields(&mut out, upload.encryption.as_ref(), true);
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Checks an UploadPart before its body: the bucket, the part number, the upload.
fn plan_part(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
) -> Result<(u32, MultipartUpload, Option<crate::sse::DataKey>), AwsError> {
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let upload_id = str_param(p, "UploadId").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let part_number = int_param(p, "PartNumber").unwrap_or(0);
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(errors::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        ));
    }
    let upload = load_upload(s3, bucket, key, upload_id)?;
    let data_key = upload_data_key(s3, ctx, p, &upload, true)?;
    Ok((part_number as u32, upload, data_key))
}

/// The data key of `upload`'s parts (`sse.rs`); a part must carry the SSE-C key its upload was
/// created with (`require_customer`), completing need not.
pub(crate) fn upload_data_key(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    upload: &MultipartUpload,
    require_customer: bool,
) -> Result<Option<crate::sse::DataKey>, AwsError> {
    crate::sse::open_upload_key(
        s3,
        ctx,
        p,
        upload.encryption.as_ref(),
        upload.upload_key.as_ref(),
        require_customer,
    )
}

pub fn upload_part(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let (part_number, upload, data_key) = plan_part(s3, ctx, p)?;
    let data = input.payload.clone().unwrap_or_default();
    let blob_id = model::new_blob_id();
    let received = crate::upload::receive_memory(s3, p, &data, &blob_id, data_key.as_ref())?;
    finish_part(
        s3,
        ctx,
        p,
        (part_number, blob_id),
        received,
        (&upload, data_key.as_ref()),
    )
}

/// UploadPart with a body that streams in: stored chunk by chunk, never held in memory.
pub async fn upload_part_streamed(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
    stream: gureum_core::BodyStream,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let (part_number, upload, data_key) = plan_part(s3, ctx, p)?;
    let blob_id = model::new_blob_id();
    let received = crate::upload::receive_stream(
        s3,
        p,
        stream,
        &blob_id,
        crate::upload::MAX_PUT_SIZE,
        data_key.as_ref(),
    )
    .await?;
    finish_part(
        s3,
        ctx,
        p,
        (part_number, blob_id),
        received,
        (&upload, data_key.as_ref()),
    )
}

fn finish_part(
    s3: &S3,
    ctx: &RequestContext,
    p: &Value,
    (part_number, blob_id): (u32, String),
    received: crate::upload::Received,
    (upload, data_key): (&MultipartUpload, Option<&crate::sse::DataKey>),
) -> Result<OperationOutput, AwsError> {
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let upload_id = str_param(p, "UploadId").unwrap_or_default();
    let part = Part {
        part_number,
        blob_id,
        size: received.size,
        etag: crate::sse::etag(upload.encryption.as_ref(), data_key, &received.md5),
        last_modified_millis: ctx.clock.now_millis(),
        checksums: received.checksums,
    };
    commit_part(s3, bucket, key, upload_id, &part)?;
    let mut out = Map::new();
    out.insert("ETag".into(), part.etag.into());
    crate::sse::response_fields(&mut out, upload.encryption.as_ref(), false);
    for (algorithm, value) in &part.checksums {
        out.insert(format!("Checksum{algorithm}"), value.clone().into());
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

fn load_parts(s3: &S3, upload_id: &str) -> Result<Vec<Part>, AwsError> {
    s3.kv()
        .scan_prefix(model::PARTS, &model::parts_prefix(upload_id), None, false)
        .map_err(errors::store)?
        .into_iter()
        .map(|(_, v)| Part::from_record(&v).map_err(errors::store))
        .collect()
}

pub fn list_parts(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let upload_id = str_param(p, "UploadId").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let upload = load_upload(s3, bucket, key, upload_id)?;
    let marker = int_param(p, "PartNumberMarker").unwrap_or(0).max(0);
    let max = int_param(p, "MaxParts").unwrap_or(1000).clamp(0, 1000) as usize;
    let parts: Vec<Part> = load_parts(s3, upload_id)?
        .into_iter()
        .filter(|part| i64::from(part.part_number) > marker)
        .collect();
    let truncated = parts.len() > max;
    let page = &parts[..parts.len().min(max)];
    let mut out = Map::new();
    out.insert("Bucket".into(), bucket.into());
    out.insert("Key".into(), key.into());
    out.insert("UploadId".into(), upload_id.into());
    out.insert("PartNumberMarker".into(), marker.into());
    out.insert("MaxParts".into(), max.into());
    out.insert("IsTruncated".into(), truncated.into());
    if let Some(last) = page.last() {
        out.insert("NextPartNumberMarker".into(), last.part_number.into());
    }
    out.insert(
        "Parts".into(),
        Value::Array(
            page.iter()
                .map(|part| {
                    let mut entry = json!({
                        "PartNumber": part.part_number,
                        "LastModified": part.last_modified_millis.div_euclid(1000),
                        "ETag": part.etag,
                        "Size": part.size,
                    });
                    for (algorithm, value) in &part.checksums {
                        entry[format!("Checksum{algorithm}")] = json!(value);
                    }
                    entry
                })
                .collect(),
        ),
    );
    out.insert(
        "Initiator".into(),
        json!({"ID": upload.initiator_arn, "DisplayName": upload.owner}),
    );
    out.insert("Owner".into(), owner_value(&upload.owner));
    out.insert("StorageClass".into(), upload.storage_class.into());
    put_opt(&mut out, "ChecksumAlgorithm", upload.checksum_algorithm);
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Checks the part list of a CompleteMultipartUpload against the uploaded parts, as S3 does:
/// ascending part numbers (`InvalidPartOrder`), every part uploaded with the given ETag
/// (`InvalidPart`), every part but the last at least 5 MiB (`EntityTooSmall`).
pub fn choose_parts<'a>(
    requested: &[(i64, String)],
    uploaded: &'a [Part],
) -> Result<Vec<&'a Part>, AwsError> {
    if requested.is_empty() {
        return Err(errors::malformed_xml());
    }
    let mut chosen = Vec::with_capacity(requested.len());
    let mut previous = 0;
    for (number, etag) in requested {
        if *number <= previous {
            return Err(errors::invalid_part_order());
        }
        previous = *number;
        let part = uploaded
            .iter()
            .find(|p| i64::from(p.part_number) == *number)
            .filter(|p| p.etag.trim_matches('"') == etag.trim().trim_matches('"'))
            .ok_or_else(errors::invalid_part)?;
        chosen.push(part);
    }
    if chosen[..chosen.len() - 1]
        .iter()
        .any(|p| p.size < MIN_PART_SIZE)
    {
        return Err(errors::entity_too_small());
    }
    Ok(chosen)
}

pub fn complete_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let upload_id = str_param(p, "UploadId").unwrap_or_default();
    let bucket = s3.bucket(ctx, bucket_name)?;
    let upload = load_upload(s3, bucket_name, key, upload_id)?;
    let requested: Vec<(i64, String)> = p
        .pointer("/MultipartUpload/Parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .map(|part| {
                    (
                        int_param(part, "PartNumber").unwrap_or(0),
                        str_param(part, "ETag").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let uploaded = load_parts(s3, upload_id)?;
    let chosen = choose_parts(&requested, &uploaded)?;
    let data_key = upload_data_key(s3, ctx, p, &upload, false)?;
    // The object's body: the chosen parts, streamed one after another into a new blob.
    let blob_id = crate::glacier::new_blob_id(&upload.storage_class);
    let mut digests = Vec::with_capacity(chosen.len());
    let mut size = 0u64;
    {
        // Parts are decrypted and the object encrypted again under the same data key, as one
        // run of segments.
        let mut writer = crate::sse::writer(s3, &blob_id, data_key.as_ref())?;
        for part in &chosen {
            let mut reader = crate::sse::reader(
                s3,
                &part.blob_id,
                part.size,
                data_key.as_ref(),
                0,
                part.size,
            )?;
            std::io::copy(&mut reader, &mut *writer)
                .map_err(|e| AwsError::internal(format!("assembling the object failed: {e}")))?;
            size += part.size;
            let mut digest = [0u8; 16];
            hex::decode_to_slice(part.etag.trim_matches('"'), &mut digest)
                .map_err(|_| AwsError::internal("stored part ETag is not hex MD5"))?;
            digests.push(digest);
        }
        writer.commit().map_err(errors::store)?;
    }
    let record = ObjectRecord {
        blob_id: blob_id.clone(),
        size,
        etag: multipart_etag(&digests),
        last_modified_millis: ctx.clock.now_millis(),
        owner: bucket.owner.clone(),
        headers: upload.headers.clone(),
        metadata: upload.metadata.clone(),
        checksums: Default::default(),
        tags: upload.tags.clone(),
        storage_class: upload.storage_class.clone(),
        parts_count: Some(chosen.len() as u32),
        part_sizes: chosen.iter().map(|part| part.size).collect(),
        version_id: None,
        encryption: upload.encryption.clone(),
    };
    let record = crate::glacier::into_cold_store(s3, &record)?;
    let blob_id = record.blob_id.clone();
    let ukey = model::upload_key(bucket_name, key, upload_id);
    let parts_prefix = model::parts_prefix(upload_id);
    let outcome = s3.kv().transaction(|txn| {
        if txn.get(model::UPLOADS, &ukey)?.is_none() {
            return Ok(None);
        }
        let Some(stored) = crate::versioning::store_object(txn, bucket_name, key, &record)? else {
            return Ok(None);
        };
        let mut garbage = stored.garbage;
        for (k, v) in txn.scan_prefix(model::PARTS, &parts_prefix, None, false)? {
            garbage.push(Part::from_record(&v)?.blob_id);
            txn.delete(model::PARTS, &k)?;
        }
        txn.delete(model::UPLOADS, &ukey)?;
        Ok(Some((garbage, stored.version_id)))
    });
    let (garbage, version_id) = match outcome {
        Ok(Some(done)) => done,
        Ok(None) => {
            let _ = s3.storage.blobs.delete(&blob_id);
            return Err(errors::no_such_upload());
        }
        Err(e) => {
            let _ = s3.storage.blobs.delete(&blob_id);
            return Err(errors::store(e));
        }
    };
    for blob in garbage {
        let _ = s3.storage.blobs.delete(&blob);
    }
    let mut out = json!({
        "Location": format!("/{bucket_name}/{key}"),
        "Bucket": bucket_name,
        "Key": key,
        "ETag": record.etag,
    });
    if let Some(v) = version_id {
        out["VersionId"] = v.into();
    }
    if let Value::Object(map) = &mut out {
        crate::sse::response_fields(map, record.encryption.as_ref(), false);
    }
    Ok(OperationOutput::new(out))
}

/// The bytes of part `n` of `record` (GetObject and HeadObject with `partNumber`): an object
/// not uploaded in parts is one part. `None` for an empty object.
pub(crate) fn part_range(record: &ObjectRecord, n: i64) -> Result<Option<ByteRange>, AwsError> {
    if !(1..=MAX_PART_NUMBER).contains(&n) {
        return Err(errors::invalid_argument(format!(
            "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        )));
    }
    let whole = [record.size];
    let sizes = if record.part_sizes.is_empty() {
        &whole[..]
    } else {
        &record.part_sizes[..]
    };
    let Some(&size) = usize::try_from(n - 1).ok().and_then(|i| sizes.get(i)) else {
        return Err(AwsError::new(
            "InvalidPartNumber",
            416,
            "The requested partnumber is not satisfiable",
        ));
    };
    let first: u64 = sizes[..(n - 1) as usize].iter().sum();
    Ok((size > 0).then(|| ByteRange {
        first,
        last: first + size - 1,
    }))
}

pub fn abort_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let upload_id = str_param(p, "UploadId").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let ukey = model::upload_key(bucket, key, upload_id);
    let parts_prefix = model::parts_prefix(upload_id);
    let garbage = s3
        .kv()
        .transaction(|txn| {
            if !txn.delete(model::UPLOADS, &ukey)? {
                return Ok(None);
            }
            let mut garbage = Vec::new();
            for (k, v) in txn.scan_prefix(model::PARTS, &parts_prefix, None, false)? {
                garbage.push(Part::from_record(&v)?.blob_id);
                txn.delete(model::PARTS, &k)?;
            }
            Ok(Some(garbage))
        })
        .map_err(errors::store)?
        .ok_or_else(errors::no_such_upload)?;
    for blob in garbage {
        let _ = s3.storage.blobs.delete(&blob);
    }
    Ok(OperationOutput::new(json!({})))
}

pub fn list_multipart_uploads(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, bucket)?;
    let prefix = str_param(p, "Prefix").unwrap_or_default();
    let delimiter = str_param(p, "Delimiter").filter(|d| !d.is_empty());
    let key_marker = str_param(p, "KeyMarker").filter(|m| !m.is_empty());
    let upload_id_marker = str_param(p, "UploadIdMarker").filter(|m| !m.is_empty());
    let max = int_param(p, "MaxUploads").unwrap_or(1000).clamp(0, 1000) as usize;
    let mut range = KeyRange::prefix(&model::object_prefix(bucket, prefix));
    if let Some(k) = key_marker {
        range = match upload_id_marker {
            Some(u) => range.after(&model::upload_key(bucket, k, u)),
            // Past every upload of the marker key.
            None => match key::prefix_end(&model::object_key(bucket, k)) {
                Some(end) => KeyRange {
                    start: std::ops::Bound::Included(end),
                    ..range
                },
                None => return Ok(OperationOutput::new(json!({"Bucket": bucket}))),
            },
        };
    }
    let entries = s3
        .kv()
        .scan(model::UPLOADS, &range, None, false)
        .map_err(errors::store)?;
    let mut uploads = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut last: Option<(String, String)> = None;
    for (_, v) in entries {
        let upload = MultipartUpload::from_record(&v).map_err(errors::store)?;
        let common = delimiter.and_then(|d| {
            let rest = upload.key.get(prefix.len()..)?;
            rest.find(d)
                .map(|pos| upload.key[..prefix.len() + pos + d.len()].to_string())
        });
        if let Some(cp) = &common {
            if prefixes.last() == Some(cp) {
                continue;
            }
        }
        if uploads.len() + prefixes.len() >= max {
            truncated = true;
            break;
        }
        match common {
            Some(cp) => {
                last = Some((cp.clone(), String::new()));
                prefixes.push(cp);
            }
            None => {
                last = Some((upload.key.clone(), upload.upload_id.clone()));
                uploads.push(json!({
                    "UploadId": upload.upload_id,
                    "Key": upload.key,
                    "Initiated": upload.initiated_millis.div_euclid(1000),
                    "StorageClass": upload.storage_class,
                    "Owner": owner_value(&upload.owner),
                    "Initiator": {"ID": upload.initiator_arn, "DisplayName": upload.owner},
                }));
            }
        }
    }
    let mut out = Map::new();
    out.insert("Bucket".into(), bucket.into());
    out.insert("KeyMarker".into(), key_marker.unwrap_or_default().into());
    out.insert(
        "UploadIdMarker".into(),
        upload_id_marker.unwrap_or_default().into(),
    );
    out.insert("MaxUploads".into(), max.into());
    out.insert("IsTruncated".into(), truncated.into());
    out.insert("Prefix".into(), prefix.into());
    put_opt(&mut out, "Delimiter", delimiter);
    if truncated {
        if let Some((k, u)) = last {
            out.insert("NextKeyMarker".into(), k.into());
            out.insert("NextUploadIdMarker".into(), u.into());
        }
    }
    if !uploads.is_empty() {
        out.insert("Uploads".into(), Value::Array(uploads));
    }
    if !prefixes.is_empty() {
        out.insert(
            "CommonPrefixes".into(),
            Value::Array(
                prefixes
                    .into_iter()
                    .map(|cp| json!({"Prefix": cp}))
                    .collect(),
            ),
        );
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

/// Records `part` (its blob already written) for the upload, replacing a previous part of the
/// same number, whose blob is deleted after the commit. If the upload is gone (completed or
/// aborted meanwhile) the new blob is deleted and the answer is NoSuchUpload.
pub(crate) fn commit_part(
    s3: &S3,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part: &Part,
) -> Result<(), AwsError> {
    let blob_id = &part.blob_id;
    let bytes = part.to_record().map_err(errors::store)?;
    let ukey = model::upload_key(bucket, key, upload_id);
    let pkey = model::part_key(upload_id, part.part_number);
    let outcome = s3.kv().transaction(|txn| {
        // The upload may have been completed or aborted meanwhile.
        if txn.get(model::UPLOADS, &ukey)?.is_none() {
            return Ok(Err(()));
        }
        let old = match txn.get(model::PARTS, &pkey)? {
            Some(b) => Some(Part::from_record(&b)?.blob_id),
            None => None,
        };
        txn.put(model::PARTS, &pkey, &bytes)?;
        Ok(Ok(old))
    });
    match outcome {
        Ok(Ok(old)) => {
            if let Some(old) = old {
                let _ = s3.storage.blobs.delete(&old);
            }
            Ok(())
        }
        Ok(Err(())) => {
            let _ = s3.storage.blobs.delete(blob_id);
            Err(errors::no_such_upload())
        }
        Err(e) => {
            let _ = s3.storage.blobs.delete(blob_id);
            Err(errors::store(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(n: u32, size: u64, data: &[u8]) -> Part {
        Part {
            part_number: n,
            blob_id: format!("b{n}"),
            size,
            etag: format!("\"{}\"", hex::encode(md5::md5(data))),
            last_modified_millis: 0,
            checksums: Default::default(),
        }
    }

    #[test]
    fn etag_of_multipart_objects() {
        // As AWS computes it: md5 of the concatenated binary part digests, then "-N".
        let a = md5::md5(b"part one");
        let b = md5::md5(b"part two");
        let mut joined = a.to_vec();
        joined.extend_from_slice(&b);
        assert_eq!(
            multipart_etag(&[a, b]),
            format!("\"{}-2\"", hex::encode(md5::md5(&joined)))
        );
        assert!(multipart_etag(&[a]).ends_with("-1\""));
    }

    #[test]
    fn part_lists_are_checked_as_s3_does() {
        let parts = vec![
            part(1, MIN_PART_SIZE, b"1"),
            part(2, 10, b"2"),
            part(3, 1, b"3"),
        ];
        let etag = |n: usize| parts[n].etag.clone();
        let code = |r: Result<Vec<&Part>, AwsError>| r.map(|_| ()).unwrap_err().code;
        assert_eq!(
            choose_parts(&[(1, etag(0)), (2, etag(1))], &parts)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(choose_parts(&[(2, etag(1))], &parts).unwrap().len(), 1);
        assert_eq!(
            code(choose_parts(&[(2, etag(1)), (1, etag(0))], &parts)),
            "InvalidPartOrder"
        );
        assert_eq!(
            code(choose_parts(&[(1, etag(0)), (1, etag(0))], &parts)),
            "InvalidPartOrder"
        );
        assert_eq!(code(choose_parts(&[(1, etag(1))], &parts)), "InvalidPart");
        assert_eq!(code(choose_parts(&[(4, etag(0))], &parts)), "InvalidPart");
        assert_eq!(
            code(choose_parts(&[(2, etag(1)), (3, etag(2))], &parts)),
            "EntityTooSmall"
        );
        assert_eq!(code(choose_parts(&[], &parts)), "MalformedXML");
    }
}
