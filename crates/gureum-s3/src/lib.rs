//! S3: buckets and objects on disk. Bucket, object and multipart records live in the key-value
//! store (see [`model`] for the layout); object bodies in the blob store, written before the
//! record that points to them and deleted after it.

mod acl;
mod attributes;
mod buckets;
mod checksum;
mod cors;
mod errors;
mod glacier;
mod http;
mod lifecycle;
mod listing;
mod md5;
mod model;
mod multipart;
mod notification;
mod object_lock;
mod objects;
mod offload;
mod part_copy;
mod policy;
pub mod post_object;
mod sse;
mod subresource;
mod tagging;
mod upload;
mod validate;
mod versioning;
mod website;
pub mod website_endpoint;

use std::sync::Arc;

use gureum_core::{
    AuthzTarget, AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service,
};
use gureum_store::{KvStore, KvStoreExt, Storage, Versioned};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use model::Bucket;

/// The `s3` service.
pub struct S3 {
    storage: Storage,
    /// KMS, for SSE-KMS (`sse.rs`); set by the binary.
    kms: std::sync::OnceLock<Arc<dyn gureum_core::KmsClient>>,
}

impl S3 {
    pub fn new(storage: Storage) -> Self {
        S3 {
            storage,
            kms: std::sync::OnceLock::new(),
        }
    }

    /// The KMS that SSE-KMS objects' data keys come from.
    pub fn set_kms(&self, kms: Arc<dyn gureum_core::KmsClient>) {
        let _ = self.kms.set(kms);
    }

    fn kv(&self) -> &dyn KvStore {
        &*self.storage.kv
    }

    /// The bucket record, if the bucket exists.
    fn find_bucket(&self, name: &str) -> Result<Option<Bucket>, AwsError> {
        match self
            .kv()
            .get(model::BUCKETS, &model::bucket_key(name))
            .map_err(errors::store)?
        {
            Some(bytes) => decode_bucket(bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The bucket the caller addresses: `NoSuchBucket` when absent. Whether the caller may use
    /// it (its own account, or another through the bucket policy) was decided by the authorizer
    /// before the handler ran.
    fn bucket(&self, _ctx: &RequestContext, name: &str) -> Result<Bucket, AwsError> {
        self.find_bucket(name)?
            .ok_or_else(|| errors::no_such_bucket(name))
    }

    /// Rewrites the record of bucket `name` with `change` in one transaction; `NoSuchBucket`
    /// when it is gone.
    fn update_bucket(&self, name: &str, change: impl Fn(&mut Bucket)) -> Result<(), AwsError> {
        let found = self
            .kv()
            .transaction(|txn| {
                let Some(bytes) = txn.get(model::BUCKETS, &model::bucket_key(name))? else {
                    return Ok(false);
                };
                let mut bucket = Bucket::from_record(&bytes)?;
                change(&mut bucket);
                txn.put(
                    model::BUCKETS,
                    &model::bucket_key(name),
                    &bucket.to_record()?,
                )?;
                Ok(true)
            })
            .map_err(errors::store)?;
        if found {
            Ok(())
        } else {
            Err(errors::no_such_bucket(name))
        }
    }

    /// The owning account and the policies to evaluate for a request on bucket `name`: on the
    /// bucket, and on its object `key` (at `version`) when there is one. Each is the bucket
    /// policy with the ACL grants that apply (see [`acl::effective_policy`]). The caller's
    /// account and no policy when the bucket does not exist: the handler answers NoSuchBucket.
    fn resource_authz(
        &self,
        ctx: &RequestContext,
        name: &str,
        object: Option<(&str, Option<&str>)>,
    ) -> ResourceAuthz {
        let caller = if ctx.principal.is_anonymous() {
            ""
        } else {
            ctx.account_id()
        };
        match self.find_bucket(name).ok().flatten() {
            Some(b) => {
                let on_bucket: Option<Arc<str>> =
                    acl::effective_policy(&b, caller, None).map(Arc::from);
                let object_acl =
                    object.and_then(|(key, version)| acl::object_acl_for(self, &b, key, version));
                let on_object = match &object_acl {
                    Some(a) => acl::effective_policy(&b, caller, Some(a)).map(Arc::from),
                    None => on_bucket.clone(),
                };
                ResourceAuthz {
                    owner: b.owner,
                    on_bucket,
                    on_object,
                }
            }
            None => ResourceAuthz {
                owner: ctx.account_id().to_string(),
                on_bucket: None,
                on_object: None,
            },
        }
    }
}

/// What [`S3::resource_authz`] answers.
struct ResourceAuthz {
    owner: String,
    on_bucket: Option<Arc<str>>,
    on_object: Option<Arc<str>>,
}

type Handler = fn(&S3, &RequestContext, OperationInput) -> Result<OperationOutput, AwsError>;

/// Every operation gureum's S3 implements, with its handler.
static OPERATIONS: &[(&str, Handler)] = &[
    ("CreateBucket", acl::create_bucket),
    ("HeadBucket", buckets::head_bucket),
    ("DeleteBucket", buckets::delete_bucket),
    ("ListBuckets", buckets::list_buckets),
    ("GetBucketLocation", buckets::get_bucket_location),
    ("PutObject", acl::put_object),
    ("GetObject", objects::get_object),
    ("HeadObject", objects::head_object),
    ("DeleteObject", acl::delete_object),
    ("DeleteObjects", acl::delete_objects),
    ("CopyObject", acl::copy_object),
    ("ListObjects", objects::list_objects),
    ("ListObjectsV2", objects::list_objects_v2),
    ("GetObjectTagging", objects::get_object_tagging),
    ("GetObjectAttributes", attributes::get_object_attributes),
    ("PutObjectTagging", objects::put_object_tagging),
    ("DeleteObjectTagging", objects::delete_object_tagging),
    ("CreateMultipartUpload", acl::create_multipart_upload),
    ("UploadPart", multipart::upload_part),
    ("UploadPartCopy", part_copy::upload_part_copy),
    ("ListParts", multipart::list_parts),
    ("CompleteMultipartUpload", acl::complete_multipart_upload),
    ("AbortMultipartUpload", acl::abort_multipart_upload),
    ("ListMultipartUploads", multipart::list_multipart_uploads),
    ("PutBucketPolicy", acl::put_bucket_policy),
    ("GetBucketPolicy", policy::get_bucket_policy),
    ("DeleteBucketPolicy", policy::delete_bucket_policy),
    ("PutBucketTagging", tagging::put_bucket_tagging),
    ("GetBucketTagging", tagging::get_bucket_tagging),
    ("DeleteBucketTagging", tagging::delete_bucket_tagging),
    ("PutBucketVersioning", object_lock::put_bucket_versioning),
    ("GetBucketVersioning", versioning::get_bucket_versioning),
    ("ListObjectVersions", versioning::list_object_versions),
    (
        "PutObjectLockConfiguration",
        object_lock::put_object_lock_configuration,
    ),
    (
        "GetObjectLockConfiguration",
        object_lock::get_object_lock_configuration,
    ),
    ("PutObjectRetention", object_lock::put_object_retention),
    ("GetObjectRetention", object_lock::get_object_retention),
    ("PutObjectLegalHold", object_lock::put_object_legal_hold),
    ("GetObjectLegalHold", object_lock::get_object_legal_hold),
    ("PutBucketWebsite", website::put_bucket_website),
    ("GetBucketWebsite", website::get_bucket_website),
    ("DeleteBucketWebsite", website::delete_bucket_website),
    ("RestoreObject", glacier::restore_object),
    (
        "PutBucketLifecycleConfiguration",
        lifecycle::put_bucket_lifecycle_configuration,
    ),
    (
        "GetBucketLifecycleConfiguration",
        lifecycle::get_bucket_lifecycle_configuration,
    ),
    ("DeleteBucketLifecycle", lifecycle::delete_bucket_lifecycle),
    ("PutBucketAcl", acl::put_bucket_acl),
    ("GetBucketAcl", acl::get_bucket_acl),
    ("PutObjectAcl", acl::put_object_acl),
    ("GetObjectAcl", acl::get_object_acl),
    (
        "PutBucketOwnershipControls",
        acl::put_bucket_ownership_controls,
    ),
    (
        "GetBucketOwnershipControls",
        acl::get_bucket_ownership_controls,
    ),
    (
        "DeleteBucketOwnershipControls",
        acl::delete_bucket_ownership_controls,
    ),
    ("PutPublicAccessBlock", acl::put_public_access_block),
    ("GetPublicAccessBlock", acl::get_public_access_block),
    ("DeletePublicAccessBlock", acl::delete_public_access_block),
    ("GetBucketPolicyStatus", acl::get_bucket_policy_status),
    ("PutBucketCors", cors::put_bucket_cors),
    ("GetBucketCors", cors::get_bucket_cors),
    ("DeleteBucketCors", cors::delete_bucket_cors),
    (
        "PutBucketNotificationConfiguration",
        notification::put_bucket_notification_configuration,
    ),
    (
        "GetBucketNotificationConfiguration",
        notification::get_bucket_notification_configuration,
    ),
    ("PutBucketEncryption", sse::put_bucket_encryption),
    ("GetBucketEncryption", sse::get_bucket_encryption),
    ("DeleteBucketEncryption", sse::delete_bucket_encryption),
];

/// Decodes a stored bucket record: every object request reads its bucket (authorization and
/// handler both), and the record's JSON costs more to parse than the rest of a small GET, so the
/// last few decoded are remembered (keyed by their bytes, never stale).
fn decode_bucket(bytes: Vec<u8>) -> Result<Bucket, AwsError> {
    gureum_store::decode_cached(&bytes).map_err(errors::store)
}

fn handler(operation: &str) -> Option<Handler> {
    gureum_core::service::find_handler(OPERATIONS, operation)
}

impl Service for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn implements(&self, operation: &str) -> bool {
        handler(operation).is_some()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            let mut input = input;
            if let Some(stream) = input.stream.take() {
                return match operation {
                    "PutObject" => acl::put_object_streamed(self, ctx, input, stream).await,
                    "UploadPart" => multipart::upload_part_streamed(self, ctx, input, stream).await,
                    _ => Err(AwsError::internal(
                        "a streamed body for an operation without one",
                    )),
                };
            }
            match handler(operation) {
                Some(h) => h(self, ctx, input),
                None => Err(AwsError::not_implemented("s3", operation)),
            }
        })
    }

    fn streams_input(&self, operation: &str) -> bool {
        matches!(operation, "PutObject" | "UploadPart")
    }

    fn authz_targets(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        let p = &input.params;
        let bucket = str_param(p, "Bucket").unwrap_or_default();
        let key = str_param(p, "Key").unwrap_or_default();
        // The object's own ACL takes part for the object the request addresses.
        let object = (!key.is_empty()).then(|| (key, str_param(p, "VersionId")));
        let ResourceAuthz {
            owner,
            on_bucket: policy,
            on_object: object_policy,
        } = self.resource_authz(ctx, bucket, object);
        // The owning account's root user may always manage the bucket policy, as in S3, so
        // that a policy denying everyone cannot lock the owner out.
        let owner_root = ctx.principal.is_root() && owner == ctx.account_id();
        let on_bucket = |action: &str| {
            let policy = match action {
                "PutBucketPolicy" | "GetBucketPolicy" | "DeleteBucketPolicy" if owner_root => None,
                _ => policy.clone(),
            };
            AuthzTarget::new(format!("s3:{action}"), bucket_arn(bucket))
                .with_resource_policy(owner.clone(), policy)
        };
        let on_object = |action: &str, k: &str| {
            let policy = if k == key {
                object_policy.clone()
            } else {
                policy.clone()
            };
            AuthzTarget::new(format!("s3:{action}"), object_arn(bucket, k))
                .with_resource_policy(owner.clone(), policy)
        };
        match operation {
            // Object lock (object_lock.rs): IAM's names, and the GOVERNANCE bypass.
            "PutObjectLockConfiguration" => vec![on_bucket("PutBucketObjectLockConfiguration")],
            "GetObjectLockConfiguration" => vec![on_bucket("GetBucketObjectLockConfiguration")],
            "PutObjectRetention" | "DeleteObject" | "DeleteObjects"
                if bool_param(p, "BypassGovernanceRetention") =>
            {
                let mut plain = OperationInput {
                    params: p.clone(),
                    payload: None,
                    stream: None,
                };
                if let Some(m) = plain.params.as_object_mut() {
                    m.remove("BypassGovernanceRetention");
                }
                let mut targets = self.authz_targets(ctx, operation, &plain);
                targets.push(on_object("BypassGovernanceRetention", key));
                targets
            }
            "PutObjectRetention" | "GetObjectRetention" | "PutObjectLegalHold"
            | "GetObjectLegalHold" => vec![on_object(operation, key)],
            "ListBuckets" => vec![AuthzTarget::new("s3:ListAllMyBuckets", "*")],
            "CreateBucket" => vec![AuthzTarget::new("s3:CreateBucket", bucket_arn(bucket))],
            "DeleteBucket" => vec![on_bucket("DeleteBucket")],
            "HeadBucket" => vec![on_bucket("ListBucket")],
            "GetBucketLocation" => vec![on_bucket("GetBucketLocation")],
            "ListObjects" | "ListObjectsV2" => {
                let mut t = on_bucket("ListBucket");
                for (member, ctx_key) in [
                    ("Prefix", "s3:prefix"),
                    ("Delimiter", "s3:delimiter"),
                    ("MaxKeys", "s3:max-keys"),
                ] {
                    if let Some(v) = p.get(member) {
                        let text = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        t = t.with_context(ctx_key, text);
                    }
                }
                vec![t]
            }
            "ListMultipartUploads" => vec![on_bucket("ListBucketMultipartUploads")],
            "GetObject" | "HeadObject" if p.get("VersionId").is_some() => {
                vec![on_object("GetObjectVersion", key)]
            }
            "GetObject" | "HeadObject" => vec![on_object("GetObject", key)],
            // S3 asks for both the read and the attributes permission.
            "GetObjectAttributes" if p.get("VersionId").is_some() => vec![
                on_object("GetObjectVersion", key),
                on_object("GetObjectVersionAttributes", key),
            ],
            "GetObjectAttributes" => vec![
                on_object("GetObject", key),
                on_object("GetObjectAttributes", key),
            ],
            "ListObjectVersions" => vec![on_bucket("ListBucketVersions")],
            "PutBucketVersioning" => vec![on_bucket("PutBucketVersioning")],
            "GetBucketVersioning" => vec![on_bucket("GetBucketVersioning")],
            "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => {
                let mut target = on_object("PutObject", key);
                if matches!(operation, "PutObject" | "CreateMultipartUpload") {
                    target = sse::with_condition_keys(target, p);
                }
                let mut targets = vec![target];
                if acl::asks_for_acl(p) {
                    targets.push(on_object("PutObjectAcl", key));
                }
                targets
            }
            "GetObjectAcl" | "PutObjectAcl" if p.get("VersionId").is_some() => {
                vec![on_object(
                    &operation.replace("Object", "ObjectVersion"),
                    key,
                )]
            }
            "GetObjectAcl" | "PutObjectAcl" => vec![on_object(operation, key)],
            "PutPublicAccessBlock" | "DeletePublicAccessBlock" => {
                vec![on_bucket("PutBucketPublicAccessBlock")]
            }
            "GetPublicAccessBlock" => vec![on_bucket("GetBucketPublicAccessBlock")],
            "PutBucketCors" | "DeleteBucketCors" => vec![on_bucket("PutBucketCORS")],
            "GetBucketCors" => vec![on_bucket("GetBucketCORS")],
            "PutBucketNotificationConfiguration" => vec![on_bucket("PutBucketNotification")],
            "GetBucketNotificationConfiguration" => vec![on_bucket("GetBucketNotification")],
            "DeleteBucketOwnershipControls" => vec![on_bucket("PutBucketOwnershipControls")],
            "CopyObject" | "UploadPartCopy" => {
                let mut target = on_object("PutObject", key);
                if operation == "CopyObject" {
                    target = sse::with_condition_keys(target, p);
                }
                let mut targets = vec![target];
                if acl::asks_for_acl(p) {
                    targets.push(on_object("PutObjectAcl", key));
                }
                if let Some((src_bucket, src_key, version)) =
                    str_param(p, "CopySource").and_then(objects::parse_copy_source)
                {
                    let source =
                        self.resource_authz(ctx, &src_bucket, Some((&src_key, version.as_deref())));
                    let action = if version.is_some() {
                        "s3:GetObjectVersion"
                    } else {
                        "s3:GetObject"
                    };
                    targets.push(
                        AuthzTarget::new(action, object_arn(&src_bucket, &src_key))
                            .with_resource_policy(source.owner, source.on_object),
                    );
                }
                targets
            }
            "DeleteObject" if p.get("VersionId").is_some() => {
                vec![on_object("DeleteObjectVersion", key)]
            }
            "DeleteObject" => vec![on_object("DeleteObject", key)],
            "DeleteObjects" => {
                let keys: Vec<(String, bool)> = p
                    .pointer("/Delete/Objects")
                    .and_then(Value::as_array)
                    .map(|objects| {
                        objects
                            .iter()
                            .filter_map(|o| {
                                let key = str_param(o, "Key")?.to_string();
                                Some((key, o.get("VersionId").is_some()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let mut targets: Vec<AuthzTarget> = keys
                    .iter()
                    .map(|(k, versioned)| {
                        let action = if *versioned {
                            "DeleteObjectVersion"
                        } else {
                            "DeleteObject"
                        };
                        on_object(action, k)
                    })
                    .collect();
                targets.dedup();
                if targets.is_empty() {
                    targets.push(on_object("DeleteObject", ""));
                }
                targets
            }
            "AbortMultipartUpload" => vec![on_object("AbortMultipartUpload", key)],
            "ListParts" => vec![on_object("ListMultipartUploadParts", key)],
            "GetObjectTagging" => vec![on_object("GetObjectTagging", key)],
            "PutObjectTagging" => vec![on_object("PutObjectTagging", key)],
            "DeleteObjectTagging" => vec![on_object("DeleteObjectTagging", key)],
            "RestoreObject" => vec![on_object("RestoreObject", key)],
            "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
                vec![on_bucket("PutLifecycleConfiguration")]
            }
            "GetBucketLifecycleConfiguration" => vec![on_bucket("GetLifecycleConfiguration")],
            "PutBucketEncryption" | "DeleteBucketEncryption" => {
                vec![on_bucket("PutEncryptionConfiguration")]
            }
            "GetBucketEncryption" => vec![on_bucket("GetEncryptionConfiguration")],
            // IAM has no s3:DeleteBucketTagging: removing tags is s3:PutBucketTagging.
            "DeleteBucketTagging" => vec![on_bucket("PutBucketTagging")],
            other => vec![on_bucket(other)],
        }
    }

    fn tick(&self, clock: &gureum_core::Clock) {
        glacier::tick(self, clock);
        lifecycle::tick(self, clock);
    }

    fn reset(&self) -> Result<(), AwsError> {
        // The binary's reset clears the shared storage; nothing is cached here.
        Ok(())
    }
}

pub(crate) fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

pub(crate) fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The canonical user id S3 shows for an account: 64 hex characters, stable per account.
pub(crate) fn canonical_id(account: &str) -> String {
    hex::encode(Sha256::digest(format!("gureum canonical user {account}")))
}

pub(crate) fn owner_value(account: &str) -> Value {
    serde_json::json!({"ID": canonical_id(account), "DisplayName": account})
}

pub(crate) fn str_param<'a>(p: &'a Value, name: &str) -> Option<&'a str> {
    p.get(name).and_then(Value::as_str)
}

pub(crate) fn num_param(p: &Value, name: &str) -> Option<f64> {
    p.get(name).and_then(Value::as_f64)
}

pub(crate) fn int_param(p: &Value, name: &str) -> Option<i64> {
    p.get(name).and_then(Value::as_i64)
}

pub(crate) fn bool_param(p: &Value, name: &str) -> bool {
    p.get(name).and_then(Value::as_bool).unwrap_or(false)
}

/// Inserts `value` under `name` when it is present.
pub(crate) fn put_opt(map: &mut Map<String, Value>, name: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(name.to_string(), v.into());
    }
}
