//! Stored S3 records (versioned with `gureum_store::Versioned`) and the tables and keys that hold
//! them.
//!
//! - `s3.buckets`: `join([bucket])` -> [`Bucket`]; bucket names are global to the partition.
//! - `s3.buckets_by_owner`: `join([account, bucket])` -> empty, for ListBuckets.
//! - `s3.objects`: `join([bucket, key])` -> [`ObjectRecord`]; the body is blob `blob_id`.
//! - `s3.uploads`: `join([bucket, key, upload_id])` -> [`MultipartUpload`].
//! - `s3.parts`: `join([upload_id, part number as 5 digits])` -> [`Part`]; the body is blob `blob_id`.
//! - `s3.versions`: `join([bucket, key, sequence as 16 hex digits])` -> [`ObjectVersion`], only
//!   for buckets whose versioning was ever set. Sequences count down, so a key's newest version
//!   comes first. In such buckets every version (delete markers too) is here and owns its blob;
//!   `s3.objects` then holds a copy of the newest version of each key unless it is a delete
//!   marker, which keeps ListObjects unchanged.

use std::collections::BTreeMap;

use gureum_store::{Versioned, key};
use serde::{Deserialize, Serialize};

pub const BUCKETS: &str = "s3.buckets";
pub const BUCKETS_BY_OWNER: &str = "s3.buckets_by_owner";
pub const OBJECTS: &str = "s3.objects";
pub const UPLOADS: &str = "s3.uploads";
pub const PARTS: &str = "s3.parts";
pub const VERSIONS: &str = "s3.versions";

/// The sequence of a key's first version; later versions count down from it.
pub const FIRST_SEQUENCE: u64 = 1 << 62;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub owner: String,
    pub region: String,
    pub created_millis: i64,
    /// The bucket policy document, as the owner sent it (validated as a resource policy).
    /// Added within format version 1: records without it read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Bucket tags (PutBucketTagging), in the order given. Added within format version 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// `Enabled` or `Suspended` once PutBucketVersioning ran; `None` for a bucket never
    /// versioned. Added in format version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// The bucket ACL when it grants more than the owner's full control. Added within format
    /// version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<crate::acl::Acl>,
    /// The object ownership control (`BucketOwnerEnforced`, ...); `None` when deleted or for
    /// buckets older than the field. Added within format version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<String>,
    /// The bucket's public access block. Added within format version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<crate::acl::PublicAccessBlock>,
    /// Whether `policy` is public (see `acl::policy_is_public`), judged when it was put, so
    /// that RestrictPublicBuckets costs no parse per request. Added within format version 2.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub policy_public: bool,
    /// Whether an object ACL was ever stored in `s3.object_acls` for this bucket. Added
    /// within format version 2.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub object_acls: bool,
    /// Default encryption (PutBucketEncryption); `None` is S3's default, SSE-S3. Added within
    /// format version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::sse::BucketEncryption>,
}

impl Versioned for Bucket {
    const VERSION: u16 = 2;

    /// Version 1 had no versioning status: such buckets were never versioned.
    fn migrate(from: u16, value: serde_json::Value) -> gureum_store::Result<serde_json::Value> {
        match from {
            1 => Ok(value),
            other => gureum_store::no_migration(other, value),
        }
    }
}

/// The content headers S3 stores with an object and answers on GET/HEAD.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ContentHeaders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub blob_id: String,
    pub size: u64,
    /// Quoted, as S3 answers it.
    pub etag: String,
    pub last_modified_millis: i64,
    pub owner: String,
    #[serde(default)]
    pub headers: ContentHeaders,
    /// User metadata (`x-amz-meta-*`), keys lower case.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Algorithm (upper case) -> base64 checksum of the whole object.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default = "standard")]
    pub storage_class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts_count: Option<u32>,
    /// The sizes of a multipart object's parts, in order, for reads by part number. Added
    /// within format version 2: objects completed before it read as one part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part_sizes: Vec<u64>,
    /// The version id (`null` for the null version) in a bucket whose versioning was ever set;
    /// `None` in a bucket never versioned. Added in format version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// How the body is encrypted at rest (`sse.rs`); `None` for a body stored in the clear
    /// (objects written before encryption existed). Added within format version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::sse::Encryption>,
}

fn standard() -> String {
    "STANDARD".to_string()
}

impl Versioned for ObjectRecord {
    const VERSION: u16 = 2;

    /// Version 1 had no version id: its objects were written in unversioned buckets.
    fn migrate(from: u16, value: serde_json::Value) -> gureum_store::Result<serde_json::Value> {
        match from {
            1 => Ok(value),
            other => gureum_store::no_migration(other, value),
        }
    }
}

/// One version of a key in a versioned bucket: an object, or a delete marker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectVersion {
    pub version_id: String,
    pub last_modified_millis: i64,
    pub owner: String,
    /// The object; `None` for a delete marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRecord>,
}

impl Versioned for ObjectVersion {
    const VERSION: u16 = 1;
}

pub fn version_key(bucket: &str, object: &str, sequence: u64) -> Vec<u8> {
    key::join([bucket, object, &format!("{sequence:016x}")])
}

/// The byte prefix of every version of exactly `object`.
pub fn versions_prefix(bucket: &str, object: &str) -> Vec<u8> {
    key::join([bucket, object])
}

/// A fresh version id: 32 URL-safe characters, random, as long as AWS's.
pub fn new_version_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    gureum_core::ids::random_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultipartUpload {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub initiated_millis: i64,
    pub owner: String,
    pub initiator_arn: String,
    #[serde(default)]
    pub headers: ContentHeaders,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default = "standard")]
    pub storage_class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<String>,
    /// The encryption of the parts and of the object they make (`sse.rs`). Added within
    /// format version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::sse::Encryption>,
    /// SSE-C only: the data key sealed under the master key while the upload lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_key: Option<gureum_core::wire::Blob>,
    /// The object lock asked for in the `x-amz-object-lock-*` headers, checked, for the
    /// version the upload completes. Added within format version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock: Option<crate::object_lock::LockState>,
}

impl Versioned for MultipartUpload {
    const VERSION: u16 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub part_number: u32,
    pub blob_id: String,
    pub size: u64,
    /// Quoted hex MD5.
    pub etag: String,
    pub last_modified_millis: i64,
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

impl Versioned for Part {
    const VERSION: u16 = 1;
}

pub fn bucket_key(bucket: &str) -> Vec<u8> {
    key::join([bucket])
}

pub fn owner_key(account: &str, bucket: &str) -> Vec<u8> {
    key::join([account, bucket])
}

pub fn object_key(bucket: &str, object: &str) -> Vec<u8> {
    key::join([bucket, object])
}

/// The byte prefix of every object key of `bucket` that starts with `prefix`: the joined bucket
/// followed by the escaped prefix without its terminator.
pub fn object_prefix(bucket: &str, prefix: &str) -> Vec<u8> {
    let mut out = key::join([bucket]);
    key::push(&mut out, prefix.as_bytes());
    out.truncate(out.len() - 2);
    out
}

pub fn upload_key(bucket: &str, object: &str, upload_id: &str) -> Vec<u8> {
    key::join([bucket, object, upload_id])
}

pub fn part_key(upload_id: &str, part_number: u32) -> Vec<u8> {
    key::join([upload_id, &format!("{part_number:05}")])
}

pub fn parts_prefix(upload_id: &str) -> Vec<u8> {
    key::join([upload_id])
}

/// A fresh blob id for an object or part body: random, never derived from the key.
pub fn new_blob_id() -> String {
    gureum_core::ids::random_id("s3-", 32).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_prefix_is_a_byte_prefix_of_matching_keys() {
        for (prefix, key, matches) in [
            ("a/", "a/b", true),
            ("a/", "a/", true),
            ("a/", "a", false),
            ("", "x", true),
            ("a\0", "a\0b", true),
            ("a\0", "a", false),
        ] {
            assert_eq!(
                object_key("b", key).starts_with(&object_prefix("b", prefix)),
                matches,
                "{prefix:?} {key:?}"
            );
        }
        assert!(!object_key("bb", "x").starts_with(&object_prefix("b", "")));
        assert!(gureum_store::check_blob_id(&new_blob_id()).is_ok());
        let id = new_version_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(version_key("b", "k", 5) < version_key("b", "k", 6));
        assert!(version_key("b", "k", 5).starts_with(&versions_prefix("b", "k")));
        assert!(!version_key("b", "kk", 5).starts_with(&versions_prefix("b", "k")));
    }

    #[test]
    fn version_one_records_read_as_unversioned() {
        let old = gureum_store::encode_record(
            1,
            &serde_json::json!({"name": "b", "owner": "1", "region": "r", "created_millis": 0}),
        )
        .unwrap();
        assert_eq!(Bucket::from_record(&old).unwrap().versioning, None);
        let old = gureum_store::encode_record(
            1,
            &serde_json::json!({"blob_id": "x", "size": 1, "etag": "\"e\"",
                "last_modified_millis": 0, "owner": "1"}),
        )
        .unwrap();
        assert_eq!(ObjectRecord::from_record(&old).unwrap().version_id, None);
    }
}
