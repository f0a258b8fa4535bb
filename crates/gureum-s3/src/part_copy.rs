//! UploadPartCopy: a part of a multipart upload copied from an existing object (a byte range of
//! it with `x-amz-copy-source-range`), streamed from one blob to the other. The part is stored
//! exactly like an uploaded one, so CompleteMultipartUpload counts it the same way.

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::Versioned;
use serde_json::{Map, Value};

use crate::http::{ByteRange, Condition, Conditions};
use crate::model::{self, MultipartUpload, Part};
use crate::multipart::MAX_PART_NUMBER;
use crate::{S3, errors, int_param, num_param, objects, put_opt, str_param, versioning};

/// The largest source (or range of one) a single copy request may read: 5 GiB.
pub const MAX_COPY_SIZE: u64 = 5 * 1024 * 1024 * 1024;

fn range_syntax_error() -> AwsError {
    errors::invalid_argument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
    )
}

/// The byte range an `x-amz-copy-source-range` header asks of a source of `size` bytes, as S3
/// reads it: only `bytes=first-last` is accepted (`InvalidArgument` otherwise, and for
/// `last < first`); a range reaching past the source is `InvalidRange` (416), never clamped.
pub fn parse_copy_range(header: &str, size: u64) -> Result<ByteRange, AwsError> {
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or_else(range_syntax_error)?;
    let (first, last) = spec.split_once('-').ok_or_else(range_syntax_error)?;
    let parse = |s: &str| {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(range_syntax_error());
        }
        s.parse::<u64>().map_err(|_| range_syntax_error())
    };
    let (first, last) = (parse(first)?, parse(last)?);
    if last < first {
        return Err(range_syntax_error());
    }
    if last >= size {
        return Err(errors::invalid_range());
    }
    Ok(ByteRange { first, last })
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

pub fn upload_part_copy(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
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
    let part_number = part_number as u32;
    let upload = load_upload(s3, bucket, key, upload_id)?;
    let data_key = crate::multipart::upload_data_key(s3, ctx, p, &upload, true)?;
    let (src_bucket, src_key, src_version) = str_param(p, "CopySource")
        .and_then(objects::parse_copy_source)
        .ok_or_else(|| errors::invalid_argument("Invalid copy source object key"))?;
    let src_record = s3.bucket(ctx, &src_bucket)?;
    let source = match src_version.as_deref() {
        Some(v) => {
            versioning::load_version_object(s3, &src_record, &src_key, v).map_err(|e| {
                if e.status == 405 {
                    errors::invalid_request(
                        "The source of a copy request may not specifically refer to a delete marker by version id.",
                    )
                } else {
                    e
                }
            })?
        }
        None => objects::load_object(s3, &src_bucket, &src_key)?.ok_or_else(errors::no_such_key)?,
    };
    if crate::glacier::is_archive(&source.storage_class)
        && !matches!(
            crate::glacier::state(s3, &source, ctx.clock.now_millis())?,
            crate::glacier::State::Restored { .. }
        )
    {
        return Err(crate::glacier::invalid_object_state());
    }
    let source_blob = crate::glacier::readable_blob(s3, &source)?;
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
        Condition::PreconditionFailed(what) => return Err(errors::precondition_failed(what)),
    }
    let range = match str_param(p, "CopySourceRange") {
        Some(header) => parse_copy_range(header, source.size)?,
        None if source.size == 0 => ByteRange { first: 0, last: 0 },
        None => ByteRange {
            first: 0,
            last: source.size - 1,
        },
    };
    let size = if source.size == 0 { 0 } else { range.len() };
    if size > MAX_COPY_SIZE {
        return Err(errors::invalid_request(format!(
            "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_COPY_SIZE}"
        )));
    }
    // The source is decrypted and the part encrypted under the upload's data key.
    let source_key = crate::sse::open_key(
        s3,
        ctx,
        p,
        source.encryption.as_ref(),
        "CopySourceSSECustomer",
    )?;
    let blob_id = model::new_blob_id();
    let digest = crate::sse::copy_blob(
        s3,
        &source_blob,
        source.size,
        source_key.as_ref(),
        range.first,
        size,
        &blob_id,
        data_key.as_ref(),
    )
    .inspect_err(|_| {
        let _ = s3.storage.blobs.delete(&blob_id);
    })?;
    let part = Part {
        part_number,
        blob_id: blob_id.clone(),
        size,
        etag: crate::sse::etag(upload.encryption.as_ref(), data_key.as_ref(), &digest),
        last_modified_millis: ctx.clock.now_millis(),
        checksums: Default::default(),
    };
    crate::multipart::commit_part(s3, bucket, key, upload_id, &part)?;
    let mut result = Map::new();
    result.insert("ETag".into(), part.etag.into());
    result.insert(
        "LastModified".into(),
        part.last_modified_millis.div_euclid(1000).into(),
    );
    let mut out = Map::new();
    out.insert("CopyPartResult".into(), Value::Object(result));
    put_opt(&mut out, "CopySourceVersionId", source.version_id);
    crate::sse::response_fields(&mut out, upload.encryption.as_ref(), false);
    Ok(OperationOutput::new(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_ranges_as_s3_reads_them() {
        assert_eq!(
            parse_copy_range("bytes=0-9", 10).unwrap(),
            ByteRange { first: 0, last: 9 }
        );
        assert_eq!(
            parse_copy_range("bytes=5-5", 10).unwrap(),
            ByteRange { first: 5, last: 5 }
        );
        for bad in [
            "0-9",
            "bytes=-5",
            "bytes=5-",
            "bytes=9-1",
            "bytes=a-b",
            "bytes=0-1,3-4",
        ] {
            assert_eq!(
                parse_copy_range(bad, 10).unwrap_err().code,
                "InvalidArgument",
                "{bad}"
            );
        }
        let e = parse_copy_range("bytes=0-10", 10).unwrap_err();
        assert_eq!((e.code.as_ref(), e.status), ("InvalidRange", 416));
    }
}
