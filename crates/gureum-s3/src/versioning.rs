//! Versioning: PutBucketVersioning, GetBucketVersioning, ListObjectVersions, and the writes,
//! reads and deletes of versions the object handlers use (see [`crate::model`] for the layout).

use std::ops::Bound;

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Txn, Versioned, key};
use serde_json::{Map, Value, json};

use crate::model::{self, Bucket, ObjectRecord, ObjectVersion};
use crate::objects::{Encoder, max_keys};
use crate::{S3, errors, owner_value, put_opt, str_param};

/// The sequence of a stored version key.
fn sequence_of(k: &[u8]) -> gureum_store::Result<u64> {
    let parts = key::split_str(k)?;
    parts
        .get(2)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| gureum_store::StoreError::Corrupt("bad S3 version key".into()))
}

/// The record of `bucket` read inside a transaction: `None` when the bucket is gone.
fn bucket_in(txn: &mut dyn Txn, bucket: &str) -> gureum_store::Result<Option<Bucket>> {
    match txn.get(model::BUCKETS, &model::bucket_key(bucket))? {
        // Read by every object write: decoded through the same per-thread cache as outside.
        Some(b) => Ok(Some(gureum_store::decode_cached(&b)?)),
        None => Ok(None),
    }
}

/// The versioning status of `bucket` read inside a transaction: `None` when the bucket is gone.
fn status_in(txn: &mut dyn Txn, bucket: &str) -> gureum_store::Result<Option<Option<String>>> {
    Ok(bucket_in(txn, bucket)?.map(|b| b.versioning))
}

/// The version id a write gets under a versioning status.
fn version_id_for(status: Option<&str>) -> Option<String> {
    match status {
        None => None,
        Some("Enabled") => Some(model::new_version_id()),
        Some(_) => Some("null".to_string()),
    }
}

/// Adds `version` as the newest version of `bucket/key` (a suspended bucket's `null` version
/// replaces the previous one) and updates the current object. Answers the blobs to delete
/// after the commit.
fn push_version(
    txn: &mut dyn Txn,
    bucket: &str,
    key: &str,
    version: &ObjectVersion,
) -> gureum_store::Result<Vec<String>> {
    let is_null = version.version_id == "null";
    let entries = txn.scan_prefix(
        model::VERSIONS,
        &model::versions_prefix(bucket, key),
        if is_null { None } else { Some(1) },
        false,
    )?;
    let mut next = model::FIRST_SEQUENCE;
    let mut garbage = Vec::new();
    for (i, (k, v)) in entries.iter().enumerate() {
        if i == 0 {
            next = sequence_of(k)?.saturating_sub(1);
        }
        if is_null {
            let old = ObjectVersion::from_record(v)?;
            if old.version_id == "null" {
                txn.delete(model::VERSIONS, k)?;
                garbage.extend(old.object.map(|o| o.blob_id));
            }
        }
    }
    txn.put(
        model::VERSIONS,
        &model::version_key(bucket, key, next),
        &version.to_record()?,
    )?;
    let okey = model::object_key(bucket, key);
    match &version.object {
        Some(o) => txn.put(model::OBJECTS, &okey, &o.to_record()?)?,
        None => {
            txn.delete(model::OBJECTS, &okey)?;
        }
    }
    Ok(garbage)
}

/// What storing an object did: its version id (`None` in a bucket never versioned) and the
/// blobs to delete after the commit.
pub(crate) struct Stored {
    pub version_id: Option<String>,
    pub garbage: Vec<String>,
}

/// Stores `record` as the current object `bucket/key` inside `txn`, as a new version when the
/// bucket is versioned (with its object lock, see [`crate::object_lock::lock_new_version`]).
/// `Ok(None)` when the bucket is gone.
pub(crate) fn store_object(
    txn: &mut dyn Txn,
    bucket: &str,
    key: &str,
    record: &ObjectRecord,
) -> gureum_store::Result<Option<Stored>> {
    let Some(record_of_bucket) = bucket_in(txn, bucket)? else {
        return Ok(None);
    };
    let okey = model::object_key(bucket, key);
    match version_id_for(record_of_bucket.versioning.as_deref()) {
        None => {
            let mut garbage = Vec::new();
            if let Some(old) = txn.get(model::OBJECTS, &okey)? {
                let old = ObjectRecord::from_record(&old)?;
                if old.blob_id != record.blob_id {
                    garbage.push(old.blob_id);
                }
            }
            let mut record = record.clone();
            record.version_id = None;
            txn.put(model::OBJECTS, &okey, &record.to_record()?)?;
            Ok(Some(Stored {
                version_id: None,
                garbage,
            }))
        }
        Some(id) => {
            let mut record = record.clone();
            record.version_id = Some(id.clone());
            let version = ObjectVersion {
                version_id: id.clone(),
                last_modified_millis: record.last_modified_millis,
                owner: record.owner.clone(),
                object: Some(record),
            };
            let garbage = push_version(txn, bucket, key, &version)?;
            crate::object_lock::lock_new_version(
                txn,
                &record_of_bucket,
                key,
                &id,
                version.last_modified_millis,
            )?;
            Ok(Some(Stored {
                version_id: Some(id),
                garbage,
            }))
        }
    }
}

/// The outcome of a DeleteObject.
#[derive(Debug, Default)]
pub(crate) struct Deleted {
    /// The version removed or the delete marker created.
    pub version_id: Option<String>,
    /// Whether a delete marker was created or removed.
    pub delete_marker: bool,
}

fn delete_blobs(s3: &S3, garbage: Vec<String>) {
    for blob in garbage {
        let _ = s3.storage.blobs.delete(&blob);
    }
}

/// DeleteObject without a version id: removes the object of an unversioned bucket, or adds a
/// delete marker in a versioned one.
pub(crate) fn delete_current(
    s3: &S3,
    bucket: &str,
    key: &str,
    owner: &str,
    now_millis: i64,
) -> Result<Deleted, AwsError> {
    let okey = model::object_key(bucket, key);
    let (deleted, garbage) = s3
        .kv()
        .transaction(|txn| {
            let status = status_in(txn, bucket)?.flatten();
            match version_id_for(status.as_deref()) {
                None => {
                    let mut garbage = Vec::new();
                    if let Some(old) = txn.get(model::OBJECTS, &okey)? {
                        garbage.push(ObjectRecord::from_record(&old)?.blob_id);
                        txn.delete(model::OBJECTS, &okey)?;
                    }
                    Ok((Deleted::default(), garbage))
                }
                Some(id) => {
                    let marker = ObjectVersion {
                        version_id: id.clone(),
                        last_modified_millis: now_millis,
                        owner: owner.to_string(),
                        object: None,
                    };
                    let garbage = push_version(txn, bucket, key, &marker)?;
                    Ok((
                        Deleted {
                            version_id: Some(id),
                            delete_marker: true,
                        },
                        garbage,
                    ))
                }
            }
        })
        .map_err(errors::store)?;
    delete_blobs(s3, garbage);
    Ok(deleted)
}

/// DeleteObject with a version id: removes that version for good (the record, then its blob);
/// the next newest version, if any, becomes current. Deleting a missing version succeeds.
pub(crate) fn delete_version(
    s3: &S3,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Deleted, AwsError> {
    let okey = model::object_key(bucket, key);
    let (deleted, garbage) = s3
        .kv()
        .transaction(|txn| {
            let mut deleted = Deleted {
                version_id: Some(version_id.to_string()),
                delete_marker: false,
            };
            let mut garbage = Vec::new();
            let status = status_in(txn, bucket)?.flatten();
            if status.is_none() {
                if version_id == "null" {
                    if let Some(old) = txn.get(model::OBJECTS, &okey)? {
                        garbage.push(ObjectRecord::from_record(&old)?.blob_id);
                        txn.delete(model::OBJECTS, &okey)?;
                    }
                }
                return Ok((deleted, garbage));
            }
            let entries = txn.scan_prefix(
                model::VERSIONS,
                &model::versions_prefix(bucket, key),
                None,
                false,
            )?;
            let mut versions = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                versions.push((k, ObjectVersion::from_record(&v)?));
            }
            let Some(pos) = versions
                .iter()
                .position(|(_, v)| v.version_id == version_id)
            else {
                return Ok((deleted, garbage));
            };
            let (k, removed) = &versions[pos];
            txn.delete(model::VERSIONS, k)?;
            deleted.delete_marker = removed.object.is_none();
            garbage.extend(removed.object.as_ref().map(|o| o.blob_id.clone()));
            if pos == 0 {
                match versions.get(1).and_then(|(_, v)| v.object.as_ref()) {
                    Some(o) => txn.put(model::OBJECTS, &okey, &o.to_record()?)?,
                    None => {
                        txn.delete(model::OBJECTS, &okey)?;
                    }
                }
            }
            Ok((deleted, garbage))
        })
        .map_err(errors::store)?;
    delete_blobs(s3, garbage);
    Ok(deleted)
}

/// Version `version_id` of `bucket/key`: `NoSuchVersion` when there is none.
pub(crate) fn load_version(
    s3: &S3,
    bucket: &Bucket,
    key: &str,
    version_id: &str,
) -> Result<ObjectVersion, AwsError> {
    if bucket.versioning.is_none() {
        if version_id == "null" {
            if let Some(o) = crate::objects::load_object(s3, &bucket.name, key)? {
                return Ok(ObjectVersion {
                    version_id: "null".into(),
                    last_modified_millis: o.last_modified_millis,
                    owner: o.owner.clone(),
                    object: Some(o),
                });
            }
        }
        return Err(errors::no_such_version());
    }
    let entries = s3
        .kv()
        .scan_prefix(
            model::VERSIONS,
            &model::versions_prefix(&bucket.name, key),
            None,
            false,
        )
        .map_err(errors::store)?;
    for (_, v) in entries {
        let version = ObjectVersion::from_record(&v).map_err(errors::store)?;
        if version.version_id == version_id {
            return Ok(version);
        }
    }
    Err(errors::no_such_version())
}

/// The object record of version `version_id` of `bucket/key`: `NoSuchVersion` when missing,
/// `MethodNotAllowed` (405) for a delete marker.
pub(crate) fn load_version_object(
    s3: &S3,
    bucket: &Bucket,
    key: &str,
    version_id: &str,
) -> Result<ObjectRecord, AwsError> {
    load_version(s3, bucket, key, version_id)?
        .object
        .ok_or_else(|| {
            errors::method_not_allowed()
                .with_header("x-amz-delete-marker", "true")
                .with_header("x-amz-version-id", version_id)
        })
}

/// `NoSuchKey` for a key with no current object, with S3's `x-amz-delete-marker` and
/// `x-amz-version-id` headers when its newest version is a delete marker.
pub(crate) fn no_current_object(s3: &S3, bucket: &str, key: &str) -> AwsError {
    let newest = s3
        .kv()
        .scan_prefix(
            model::VERSIONS,
            &model::versions_prefix(bucket, key),
            Some(1),
            false,
        )
        .ok()
        .and_then(|entries| entries.into_iter().next())
        .and_then(|(_, v)| ObjectVersion::from_record(&v).ok());
    match newest {
        Some(v) if v.object.is_none() => errors::no_such_key()
            .with_header("x-amz-delete-marker", "true")
            .with_header("x-amz-version-id", v.version_id),
        _ => errors::no_such_key(),
    }
}

pub fn put_bucket_versioning(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    let config = p.get("VersioningConfiguration");
    let mfa_delete = config.and_then(|c| str_param(c, "MFADelete"));
    if str_param(p, "MFA").is_some() || mfa_delete == Some("Enabled") {
        return Err(AwsError::new(
            "NotImplemented",
            501,
            "MFA Delete is not implemented by gureum.",
        ));
    }
    if mfa_delete.is_some_and(|m| m != "Disabled") {
        return Err(errors::malformed_xml());
    }
    let status = match config.and_then(|c| str_param(c, "Status")) {
        Some(s @ ("Enabled" | "Suspended")) => s.to_string(),
        _ => return Err(errors::malformed_xml()),
    };
    let found = s3
        .kv()
        .transaction(|txn| {
            let Some(bytes) = txn.get(model::BUCKETS, &model::bucket_key(name))? else {
                return Ok(false);
            };
            let mut bucket = Bucket::from_record(&bytes)?;
            if bucket.versioning.is_none() {
                // The objects of a bucket never versioned become its null versions.
                let objects =
                    txn.scan_prefix(model::OBJECTS, &model::object_prefix(name, ""), None, false)?;
                for (k, v) in objects {
                    let parts = key::split_str(&k)?;
                    let object_key = parts.get(1).cloned().unwrap_or_default();
                    let mut record = ObjectRecord::from_record(&v)?;
                    record.version_id = Some("null".into());
                    txn.put(model::OBJECTS, &k, &record.to_record()?)?;
                    let version = ObjectVersion {
                        version_id: "null".into(),
                        last_modified_millis: record.last_modified_millis,
                        owner: record.owner.clone(),
                        object: Some(record),
                    };
                    txn.put(
                        model::VERSIONS,
                        &model::version_key(name, &object_key, model::FIRST_SEQUENCE),
                        &version.to_record()?,
                    )?;
                }
            }
            bucket.versioning = Some(status.clone());
            txn.put(
                model::BUCKETS,
                &model::bucket_key(name),
                &bucket.to_record()?,
            )?;
            Ok(true)
        })
        .map_err(errors::store)?;
    if !found {
        return Err(errors::no_such_bucket(name));
    }
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_versioning(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let mut out = Map::new();
    put_opt(&mut out, "Status", bucket.versioning);
    Ok(OperationOutput::new(Value::Object(out)))
}

/// The common prefix `key` rolls up into under `prefix` and `delimiter`, if any.
fn common_prefix(key: &str, prefix: &str, delimiter: Option<&str>) -> Option<String> {
    let d = delimiter?;
    let rest = key.strip_prefix(prefix)?;
    let pos = rest.find(d)?;
    Some(format!("{prefix}{}", &rest[..pos + d.len()]))
}

pub fn list_object_versions(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let enc = Encoder::of(p)?;
    let prefix = str_param(p, "Prefix").unwrap_or_default();
    let delimiter = str_param(p, "Delimiter").filter(|d| !d.is_empty());
    let key_marker = str_param(p, "KeyMarker").unwrap_or_default();
    let version_marker = str_param(p, "VersionIdMarker").unwrap_or_default();
    let max = max_keys(p)?;
    let base_start = model::object_prefix(name, prefix);
    let base = KeyRange::prefix(&base_start);
    // Where the listing starts, and the key whose newer versions precede it.
    let mut previous_key: Option<String> = None;
    let mut start = Bound::Included(base_start.clone());
    if !key_marker.is_empty() {
        let mut after_version = None;
        if !version_marker.is_empty() && bucket.versioning.is_some() {
            let entries = s3
                .kv()
                .scan_prefix(
                    model::VERSIONS,
                    &model::versions_prefix(name, key_marker),
                    None,
                    false,
                )
                .map_err(errors::store)?;
            for (k, v) in entries {
                let version = ObjectVersion::from_record(&v).map_err(errors::store)?;
                if version.version_id == version_marker {
                    after_version = Some(k);
                    break;
                }
            }
            if after_version.is_none() {
                return Err(errors::invalid_argument("Invalid version id specified"));
            }
        }
        start = match after_version {
            Some(k) => {
                previous_key = Some(key_marker.to_string());
                Bound::Excluded(k)
            }
            None => {
                let skip = if common_prefix(key_marker, prefix, delimiter).as_deref()
                    == Some(key_marker)
                {
                    model::object_prefix(name, key_marker)
                } else {
                    model::versions_prefix(name, key_marker)
                };
                match key::prefix_end(&skip) {
                    Some(end) => Bound::Included(end),
                    None => Bound::Excluded(skip),
                }
            }
        };
        let below = match &start {
            Bound::Included(k) | Bound::Excluded(k) => *k < base_start,
            Bound::Unbounded => true,
        };
        if below {
            start = Bound::Included(base_start.clone());
        }
    }
    let mut versions = Vec::new();
    let mut markers = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut count = 0usize;
    let mut truncated = false;
    let mut next_markers: Option<(String, Option<String>)> = None;
    let unversioned = bucket.versioning.is_none();
    const BATCH: usize = 1000;
    'outer: loop {
        let range = KeyRange {
            start: start.clone(),
            end: base.end.clone(),
        };
        let table = if unversioned {
            model::OBJECTS
        } else {
            model::VERSIONS
        };
        let entries = s3
            .kv()
            .scan(table, &range, Some(BATCH), false)
            .map_err(errors::store)?;
        let exhausted = entries.len() < BATCH;
        if entries.is_empty() {
            break;
        }
        for (k, v) in entries {
            let parts = key::split_str(&k).map_err(errors::store)?;
            let object_key = parts.get(1).cloned().unwrap_or_default();
            if let Some(cp) = common_prefix(&object_key, prefix, delimiter) {
                if count == max {
                    truncated = true;
                    break 'outer;
                }
                count += 1;
                next_markers = Some((cp.clone(), None));
                prefixes.push(cp.clone());
                start = match key::prefix_end(&model::object_prefix(name, &cp)) {
                    Some(end) => Bound::Included(end),
                    None => break 'outer,
                };
                previous_key = None;
                continue 'outer;
            }
            if count == max {
                truncated = true;
                break 'outer;
            }
            let version = if unversioned {
                let o = ObjectRecord::from_record(&v).map_err(errors::store)?;
                ObjectVersion {
                    version_id: "null".into(),
                    last_modified_millis: o.last_modified_millis,
                    owner: o.owner.clone(),
                    object: Some(o),
                }
            } else {
                ObjectVersion::from_record(&v).map_err(errors::store)?
            };
            let is_latest = previous_key.as_deref() != Some(object_key.as_str());
            previous_key = Some(object_key.clone());
            count += 1;
            next_markers = Some((object_key.clone(), Some(version.version_id.clone())));
            let lm = version.last_modified_millis.div_euclid(1000);
            match &version.object {
                Some(o) => {
                    let mut entry = json!({
                        "Key": enc.apply(&object_key),
                        "VersionId": version.version_id,
                        "IsLatest": is_latest,
                        "LastModified": lm,
                        "ETag": o.etag,
                        "Size": o.size,
                        "StorageClass": o.storage_class,
                        "Owner": owner_value(&version.owner),
                    });
                    if let Some(algorithm) = o.checksums.keys().next() {
                        entry["ChecksumAlgorithm"] = json!([algorithm]);
                        entry["ChecksumType"] = json!("FULL_OBJECT");
                    }
                    versions.push(entry);
                }
                None => markers.push(json!({
                    "Key": enc.apply(&object_key),
                    "VersionId": version.version_id,
                    "IsLatest": is_latest,
                    "LastModified": lm,
                    "Owner": owner_value(&version.owner),
                })),
            }
            start = Bound::Excluded(k);
        }
        if exhausted {
            break;
        }
    }
    let mut out = Map::new();
    out.insert("Name".into(), name.into());
    out.insert("Prefix".into(), enc.apply(prefix).into());
    out.insert("KeyMarker".into(), enc.apply(key_marker).into());
    out.insert("VersionIdMarker".into(), version_marker.into());
    out.insert("MaxKeys".into(), max.into());
    out.insert("IsTruncated".into(), truncated.into());
    put_opt(&mut out, "Delimiter", delimiter.map(|d| enc.apply(d)));
    if truncated {
        if let Some((k, v)) = next_markers {
            out.insert("NextKeyMarker".into(), enc.apply(&k).into());
            put_opt(&mut out, "NextVersionIdMarker", v);
        }
    }
    if !versions.is_empty() {
        out.insert("Versions".into(), Value::Array(versions));
    }
    if !markers.is_empty() {
        out.insert("DeleteMarkers".into(), Value::Array(markers));
    }
    if !prefixes.is_empty() {
        let cps: Vec<Value> = prefixes
            .iter()
            .map(|cp| json!({"Prefix": enc.apply(cp)}))
            .collect();
        out.insert("CommonPrefixes".into(), Value::Array(cps));
    }
    if enc.0 {
        out.insert("EncodingType".into(), "url".into());
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix("a/b/c", "a/", Some("/")), Some("a/b/".into()));
        assert_eq!(common_prefix("a/b", "a/", Some("/")), None);
        assert_eq!(common_prefix("a/b", "a/", None), None);
        assert_eq!(common_prefix("x/b", "a/", Some("/")), None);
    }
}
