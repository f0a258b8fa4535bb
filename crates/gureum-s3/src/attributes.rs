//! GetObjectAttributes: an object's ETag, checksums, parts, storage class and size without its
//! body (archived objects answer too: no restore is needed).

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use serde_json::{Map, Value, json};

use crate::{S3, errors, int_param, objects, put_opt, str_param, versioning};

/// The attributes a request may ask for (`x-amz-object-attributes`).
const ATTRIBUTES: &[&str] = &[
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];
const DEFAULT_MAX_PARTS: i64 = 1000;

pub fn get_object_attributes(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket_name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let asked: Vec<&str> = p
        .get("ObjectAttributes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::trim).collect())
        .unwrap_or_default();
    if asked.is_empty() || asked.iter().any(|a| !ATTRIBUTES.contains(a)) {
        return Err(errors::invalid_argument(
            "Invalid attribute name specified.",
        ));
    }
    let max_parts = int_param(p, "MaxParts").unwrap_or(DEFAULT_MAX_PARTS);
    let marker = int_param(p, "PartNumberMarker").unwrap_or(0);
    if !(0..=DEFAULT_MAX_PARTS).contains(&max_parts) || marker < 0 {
        return Err(errors::invalid_argument(
            "Argument max-parts must be an integer between 0 and 1000",
        ));
    }
    let bucket = s3.bucket(ctx, bucket_name)?;
    let record = match str_param(p, "VersionId") {
        Some(v) => versioning::load_version_object(s3, &bucket, key, v)?,
        None => objects::load_object(s3, bucket_name, key)?
            .ok_or_else(|| versioning::no_current_object(s3, bucket_name, key))?,
    };
    let mut out = Map::new();
    out.insert(
        "LastModified".into(),
        record.last_modified_millis.div_euclid(1000).into(),
    );
    put_opt(&mut out, "VersionId", record.version_id.clone());
    if asked.contains(&"ETag") {
        out.insert("ETag".into(), record.etag.trim_matches('"').into());
    }
    if asked.contains(&"Checksum") && !record.checksums.is_empty() {
        let mut sums = Map::new();
        objects::checksum_fields(&mut sums, &record.checksums);
        out.insert("Checksum".into(), Value::Object(sums));
    }
    if asked.contains(&"StorageClass") {
        out.insert("StorageClass".into(), record.storage_class.clone().into());
    }
    if asked.contains(&"ObjectSize") {
        out.insert("ObjectSize".into(), record.size.into());
    }
    if asked.contains(&"ObjectParts")
        && let Some(total) = record.parts_count
    {
        let parts: Vec<Value> = record
            .part_sizes
            .iter()
            .enumerate()
            .map(|(i, size)| (i as i64 + 1, size))
            .filter(|(n, _)| *n > marker)
            .take(max_parts as usize)
            .map(|(n, size)| json!({"PartNumber": n, "Size": size}))
            .collect();
        let last = parts.last().and_then(|p| p["PartNumber"].as_i64());
        let truncated = last.is_some_and(|n| (n as usize) < record.part_sizes.len());
        let mut listing = json!({
            "TotalPartsCount": total,
            "PartNumberMarker": marker,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Parts": parts,
        });
        if let Some(n) = last {
            listing["NextPartNumberMarker"] = n.into();
        }
        out.insert("ObjectParts".into(), listing);
    }
    Ok(OperationOutput::new(Value::Object(out)))
}
