//! Bucket configuration documents kept apart from the bucket record (CORS, notifications,
//! websites):
//! one table per kind, `join([bucket])` -> [`BucketDocument`], tied to the bucket's creation
//! time so that a bucket deleted and created again under the same name does not inherit them.

use gureum_store::{Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Bucket;
use crate::{S3, errors};
use gureum_core::AwsError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketDocument {
    pub bucket_created_millis: i64,
    /// The validated configuration, in the canonical value tree's form.
    pub config: Value,
}

impl Versioned for BucketDocument {
    const VERSION: u16 = 1;
}

/// The document of `bucket` in `table`, if it has one.
pub fn load(s3: &S3, table: &str, bucket: &Bucket) -> Result<Option<Value>, AwsError> {
    let Some(bytes) = s3
        .kv()
        .get(table, &key::join([bucket.name.as_str()]))
        .map_err(errors::store)?
    else {
        return Ok(None);
    };
    let stored = BucketDocument::from_record(&bytes).map_err(errors::store)?;
    Ok((stored.bucket_created_millis == bucket.created_millis).then_some(stored.config))
}

pub fn store(s3: &S3, table: &str, bucket: &Bucket, config: Value) -> Result<(), AwsError> {
    let bytes = BucketDocument {
        bucket_created_millis: bucket.created_millis,
        config,
    }
    .to_record()
    .map_err(errors::store)?;
    s3.kv()
        .put(table, &key::join([bucket.name.as_str()]), &bytes)
        .map_err(errors::store)
}

pub fn delete(s3: &S3, table: &str, bucket: &str) -> Result<(), AwsError> {
    s3.kv()
        .delete(table, &key::join([bucket]))
        .map(|_| ())
        .map_err(errors::store)
}
