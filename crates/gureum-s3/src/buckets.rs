//! Buckets: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation.

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Versioned, key};
use serde_json::{Map, Value, json};

use crate::model::{self, Bucket, MultipartUpload};
use crate::{S3, errors, int_param, owner_value, put_opt, str_param, validate};

const US_EAST_1: &str = "us-east-1";

pub fn create_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    if !validate::is_valid_bucket_name(name) {
        return Err(errors::invalid_bucket_name(name));
    }
    let constraint = p
        .pointer("/CreateBucketConfiguration/LocationConstraint")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty());
    let region = bucket_region(&ctx.region, constraint)?;
    let account = ctx.account_id().to_string();
    let record = Bucket {
        name: name.to_string(),
        owner: account.clone(),
        region: region.clone(),
        created_millis: ctx.clock.now_millis(),
        policy: None,
        tags: Vec::new(),
        versioning: None,
        acl: None,
        ownership: None,
        public_access_block: None,
        object_acls: false,
        policy_public: false,
        encryption: None,
    };
    let bytes = record.to_record().map_err(errors::store)?;
    let outcome = s3
        .kv()
        .transaction(|txn| {
            if let Some(existing) = txn.get(model::BUCKETS, &model::bucket_key(name))? {
                return Ok(Some(Bucket::from_record(&existing)?));
            }
            txn.put(model::BUCKETS, &model::bucket_key(name), &bytes)?;
            txn.put(
                model::BUCKETS_BY_OWNER,
                &model::owner_key(&account, name),
                b"",
            )?;
            Ok(None)
        })
        .map_err(errors::store)?;
    if let Some(existing) = outcome {
        if existing.owner != account {
            return Err(errors::bucket_already_exists());
        }
        // For legacy compatibility, S3 answers 200 to re-creating a bucket you own in us-east-1.
        if !(existing.region == US_EAST_1 && region == US_EAST_1) {
            return Err(errors::bucket_already_owned_by_you());
        }
    }
    OperationOutput::from_serde(&json!({"Location": format!("/{name}")}))
}

/// The region a new bucket lands in, by AWS's rules: in us-east-1 a constraint names any
/// other region (and naming us-east-1 itself is invalid); elsewhere the constraint must name
/// the region of the endpoint.
fn bucket_region(endpoint_region: &str, constraint: Option<&str>) -> Result<String, AwsError> {
    if let Some(c) = constraint {
        if !validate::is_region_name(c) && c != "EU" {
            return Err(errors::invalid_location_constraint());
        }
    }
    let constraint = constraint.map(|c| if c == "EU" { "eu-west-1" } else { c });
    match (endpoint_region == US_EAST_1, constraint) {
        (true, None) => Ok(US_EAST_1.to_string()),
        (true, Some(US_EAST_1)) => Err(errors::invalid_location_constraint()),
        (true, Some(c)) => Ok(c.to_string()),
        (false, None) => Err(errors::illegal_location_constraint(None)),
        (false, Some(c)) if c == endpoint_region => Ok(c.to_string()),
        (false, Some(c)) => Err(errors::illegal_location_constraint(Some(c))),
    }
}

pub fn head_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    OperationOutput::from_serde(&json!({"BucketRegion": bucket.region}))
}

pub fn get_bucket_location(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let location = (bucket.region != US_EAST_1).then_some(bucket.region);
    let mut out = Map::new();
    put_opt(&mut out, "LocationConstraint", location);
    Ok(OperationOutput::new(Value::Object(out)))
}

pub fn delete_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    // Incomplete multipart uploads do not keep a bucket alive; they go with it.
    let part_blobs = s3
        .kv()
        .transaction(|txn| {
            let objects = txn.scan_prefix(
                model::OBJECTS,
                &model::object_prefix(name, ""),
                Some(1),
                false,
            )?;
            if !objects.is_empty() {
                return Ok(None);
            }
            // Noncurrent versions and delete markers keep a versioned bucket alive too.
            let versions = txn.scan_prefix(
                model::VERSIONS,
                &model::object_prefix(name, ""),
                Some(1),
                false,
            )?;
            if !versions.is_empty() {
                return Ok(None);
            }
            let mut blobs = Vec::new();
            let uploads = txn.scan_prefix(model::UPLOADS, &key::join([name]), None, false)?;
            for (k, v) in uploads {
                let upload = MultipartUpload::from_record(&v)?;
                for (pk, pv) in txn.scan_prefix(
                    model::PARTS,
                    &model::parts_prefix(&upload.upload_id),
                    None,
                    false,
                )? {
                    blobs.push(model::Part::from_record(&pv)?.blob_id);
                    txn.delete(model::PARTS, &pk)?;
                }
                txn.delete(model::UPLOADS, &k)?;
            }
            txn.delete(model::BUCKETS, &model::bucket_key(name))?;
            txn.delete(
                model::BUCKETS_BY_OWNER,
                &model::owner_key(&bucket.owner, name),
            )?;
            Ok(Some(blobs))
        })
        .map_err(errors::store)?;
    let Some(part_blobs) = part_blobs else {
        return Err(errors::bucket_not_empty());
    };
    for blob in part_blobs {
        let _ = s3.storage.blobs.delete(&blob);
    }
    Ok(OperationOutput::new(json!({})))
}

pub fn list_buckets(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let account = ctx.account_id();
    let prefix = str_param(p, "Prefix").unwrap_or_default();
    let region_filter = str_param(p, "BucketRegion");
    let max = match int_param(p, "MaxBuckets") {
        Some(n) if !(1..=10_000).contains(&n) => {
            return Err(errors::invalid_argument(
                "Argument max-buckets must be an integer between 1 and 10000",
            ));
        }
        Some(n) => n as usize,
        None => usize::MAX,
    };
    let mut start = key::join([account]);
    key::push(&mut start, prefix.as_bytes());
    start.truncate(start.len() - 2);
    let mut range = KeyRange::prefix(&start);
    if let Some(token) = str_param(p, "ContinuationToken") {
        range = range.after(&model::owner_key(account, token));
    }
    let entries = s3
        .kv()
        .scan(model::BUCKETS_BY_OWNER, &range, None, false)
        .map_err(errors::store)?;
    let mut buckets = Vec::new();
    let mut next = None;
    for (k, _) in entries {
        let parts = key::split_str(&k).map_err(errors::store)?;
        let Some(name) = parts.get(1) else { continue };
        let Some(bucket) = s3.find_bucket(name)? else {
            continue;
        };
        if region_filter.is_some_and(|r| r != bucket.region) {
            continue;
        }
        if buckets.len() == max {
            next = buckets
                .last()
                .and_then(|b: &Value| b["Name"].as_str().map(str::to_string));
            break;
        }
        buckets.push(json!({
            "Name": bucket.name,
            "CreationDate": bucket.created_millis.div_euclid(1000),
            "BucketRegion": bucket.region,
        }));
    }
    let mut out = Map::new();
    out.insert("Buckets".into(), Value::Array(buckets));
    out.insert("Owner".into(), owner_value(account));
    put_opt(&mut out, "ContinuationToken", next);
    if !prefix.is_empty() {
        out.insert("Prefix".into(), prefix.into());
    }
    Ok(OperationOutput::new(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_as_aws() {
        assert_eq!(bucket_region("us-east-1", None).unwrap(), "us-east-1");
        assert_eq!(
            bucket_region("us-east-1", Some("eu-west-1")).unwrap(),
            "eu-west-1"
        );
        assert_eq!(
            bucket_region("eu-west-1", Some("eu-west-1")).unwrap(),
            "eu-west-1"
        );
        assert_eq!(bucket_region("us-east-1", Some("EU")).unwrap(), "eu-west-1");
        let code = |r: Result<String, AwsError>| r.unwrap_err().code;
        assert_eq!(
            code(bucket_region("us-east-1", Some("us-east-1"))),
            "InvalidLocationConstraint"
        );
        assert_eq!(
            code(bucket_region("us-east-1", Some("moon-1"))),
            "InvalidLocationConstraint"
        );
        assert_eq!(
            code(bucket_region("eu-west-1", None)),
            "IllegalLocationConstraintException"
        );
        assert_eq!(
            code(bucket_region("eu-west-1", Some("us-west-2"))),
            "IllegalLocationConstraintException"
        );
    }
}
