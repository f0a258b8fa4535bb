//! Access control lists and the settings that govern them: Put/GetBucketAcl, Put/GetObjectAcl
//! (canned ACLs, `x-amz-grant-*` headers, an `AccessControlPolicy` body; `x-amz-acl` on
//! CreateBucket, PutObject, CopyObject and CompleteMultipartUpload's upload),
//! Put/Get/DeleteBucketOwnershipControls, Put/Get/DeletePublicAccessBlock and
//! GetBucketPolicyStatus.
//!
//! ACLs grant by taking part in authorization: [`effective_policy`] turns the grants of the
//! bucket (and of the object addressed) into statements added to the bucket policy that the
//! pipeline's authorizer evaluates, so a public-read object is readable anonymously exactly as
//! a bucket policy allowing `s3:GetObject` to `*` would make it.
//!
//! The bucket ACL, ownership controls and public access block live in the bucket record.
//! Object ACLs live apart, so the object record does not change:
//! - `s3.object_acls`: `join([bucket, key, version id or ""])` -> [`ObjectAcl`]; the bucket
//!   record's `object_acls` flag says whether any was ever written (so buckets without object
//!   ACLs pay no lookup per request).

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use gureum_store::{Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::{self, Bucket, ObjectRecord};
use crate::{S3, bucket_arn, canonical_id, errors, object_lock, str_param};

pub const OBJECT_ACLS: &str = "s3.object_acls";
pub const UPLOAD_ACLS: &str = "s3.upload_acls";

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

pub const ENFORCED: &str = "BucketOwnerEnforced";
const OWNERSHIPS: [&str; 3] = ["BucketOwnerPreferred", "ObjectWriter", ENFORCED];
const PERMISSIONS: [&str; 5] = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"];

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Grantee {
    /// An account, by canonical id; `account` when gureum knows which.
    CanonicalUser {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
    },
    Group {
        uri: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: String,
}

/// An access control list: the owner (an account id) and its grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub owner: String,
    pub grants: Vec<Grant>,
}

impl Acl {
    /// The ACL every new bucket and object has: the owner has full control.
    pub fn private(owner: &str) -> Acl {
        Acl {
            owner: owner.to_string(),
            grants: vec![user_grant(owner, "FULL_CONTROL")],
        }
    }

    /// Whether a grant goes to everyone or to every signed-in AWS user.
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(Grant::is_public)
    }

    /// Whether it grants nothing beyond the owner's full control.
    fn is_owner_only(&self) -> bool {
        self.grants.iter().all(|g| {
            matches!(&g.grantee, Grantee::CanonicalUser { id, .. } if *id == canonical_id(&self.owner))
        })
    }

    pub fn to_value(&self) -> Value {
        let grants: Vec<Value> = self
            .grants
            .iter()
            .map(|g| {
                let grantee = match &g.grantee {
                    Grantee::CanonicalUser { id, account } => {
                        let mut m = json!({"Type": "CanonicalUser", "ID": id});
                        if let Some(a) = account {
                            m["DisplayName"] = a.clone().into();
                        }
                        m
                    }
                    Grantee::Group { uri } => json!({"Type": "Group", "URI": uri}),
                };
                json!({"Grantee": grantee, "Permission": g.permission})
            })
            .collect();
        json!({"Owner": crate::owner_value(&self.owner), "Grants": grants})
    }
}

impl Grant {
    fn is_public(&self) -> bool {
        matches!(&self.grantee, Grantee::Group { uri } if uri == ALL_USERS || uri == AUTHENTICATED_USERS)
    }
}

/// An object version's ACL (or an upload's, for the object it will complete).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectAcl {
    pub acl: Acl,
    /// The creation time of the bucket this belongs to: an entry left behind (an object
    /// expired by lifecycle) never speaks for a bucket created again under the same name.
    #[serde(default)]
    pub bucket_created_millis: i64,
}

impl Versioned for ObjectAcl {
    const VERSION: u16 = 1;
}

/// A bucket's public access block (all four settings false when absent from the request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// What S3 gives every new bucket since April 2023.
    pub fn all() -> Self {
        PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        }
    }
}

fn user_grant(account: &str, permission: &str) -> Grant {
    Grant {
        grantee: Grantee::CanonicalUser {
            id: canonical_id(account),
            account: Some(account.to_string()),
        },
        permission: permission.to_string(),
    }
}

fn group_grant(uri: &str, permission: &str) -> Grant {
    Grant {
        grantee: Grantee::Group {
            uri: uri.to_string(),
        },
        permission: permission.to_string(),
    }
}

fn acl_not_supported() -> AwsError {
    AwsError::new(
        "AccessControlListNotSupported",
        400,
        "The bucket does not allow ACLs",
    )
}

fn malformed_acl() -> AwsError {
    AwsError::new(
        "MalformedACLError",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn public_blocked() -> AwsError {
    AwsError::access_denied("Access Denied")
}

/// The ACL a canned name stands for, for a resource owned by `owner` in a bucket owned by
/// `bucket_owner`; `InvalidArgument` for an unknown name.
fn canned(name: &str, owner: &str, bucket_owner: &str) -> Result<Acl, AwsError> {
    let mut acl = Acl::private(owner);
    match name {
        "private" => {}
        "public-read" => acl.grants.push(group_grant(ALL_USERS, "READ")),
        "public-read-write" => {
            acl.grants.push(group_grant(ALL_USERS, "READ"));
            acl.grants.push(group_grant(ALL_USERS, "WRITE"));
        }
        "authenticated-read" => acl.grants.push(group_grant(AUTHENTICATED_USERS, "READ")),
        "aws-exec-read" => {}
        "log-delivery-write" => {
            acl.grants.push(group_grant(LOG_DELIVERY, "WRITE"));
            acl.grants.push(group_grant(LOG_DELIVERY, "READ_ACP"));
        }
        "bucket-owner-read" if bucket_owner != owner => {
            acl.grants.push(user_grant(bucket_owner, "READ"))
        }
        "bucket-owner-full-control" if bucket_owner != owner => {
            acl.grants.push(user_grant(bucket_owner, "FULL_CONTROL"))
        }
        "bucket-owner-read" | "bucket-owner-full-control" => {}
        _ => return Err(errors::invalid_argument("")),
    }
    Ok(acl)
}

/// The grantee named by one `key="value"` item of an `x-amz-grant-*` header.
fn header_grantee(item: &str, known: &[&str]) -> Result<Grantee, AwsError> {
    let (kind, value) = item
        .split_once('=')
        .ok_or_else(|| errors::invalid_argument("Invalid argument"))?;
    let value = value.trim().trim_matches('"').to_string();
    match kind.trim().to_ascii_lowercase().as_str() {
        "id" => Ok(canonical_grantee(value, known)),
        "uri" => group(value),
        "emailaddress" => Err(unresolvable_email()),
        _ => Err(errors::invalid_argument("Argument format not recognized")),
    }
}

fn unresolvable_email() -> AwsError {
    AwsError::new(
        "UnresolvableGrantByEmailAddress",
        400,
        "The e-mail address you provided does not match any account on record.",
    )
}

fn group(uri: String) -> Result<Grantee, AwsError> {
    if [ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].contains(&uri.as_str()) {
        Ok(Grantee::Group { uri })
    } else {
        Err(errors::invalid_argument("Invalid group uri"))
    }
}

/// A canonical-user grantee, naming its account when it is one of `known`.
fn canonical_grantee(id: String, known: &[&str]) -> Grantee {
    let account = known
        .iter()
        .find(|a| canonical_id(a) == id)
        .map(|a| a.to_string());
    Grantee::CanonicalUser { id, account }
}

/// Whether a write names an ACL (which IAM checks as `s3:PutObjectAcl` too).
pub fn asks_for_acl(p: &Value) -> bool {
    [
        "ACL",
        "GrantFullControl",
        "GrantRead",
        "GrantReadACP",
        "GrantWriteACP",
    ]
    .iter()
    .any(|m| p.get(*m).is_some())
}

/// The ACL a write asks for: a canned `ACL`, `Grant*` headers, or (for Put*Acl) an
/// `AccessControlPolicy` body; `None` when it asks for none. `owner` will own the resource,
/// in a bucket owned by `bucket_owner`.
pub fn requested(
    p: &Value,
    owner: &str,
    bucket_owner: &str,
    caller: &str,
) -> Result<Option<Acl>, AwsError> {
    const HEADERS: [(&str, &str); 5] = [
        ("GrantFullControl", "FULL_CONTROL"),
        ("GrantRead", "READ"),
        ("GrantReadACP", "READ_ACP"),
        ("GrantWrite", "WRITE"),
        ("GrantWriteACP", "WRITE_ACP"),
    ];
    let known = [owner, bucket_owner, caller];
    let canned_name = str_param(p, "ACL");
    let has_headers = HEADERS.iter().any(|(m, _)| p.get(*m).is_some());
    let body = p.get("AccessControlPolicy").filter(|v| !v.is_null());
    if canned_name.is_some() && has_headers {
        return Err(errors::invalid_request(
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    if body.is_some() && (canned_name.is_some() || has_headers) {
        return Err(AwsError::new(
            "UnexpectedContent",
            400,
            "This request does not support content",
        ));
    }
    if let Some(name) = canned_name {
        return canned(name, owner, bucket_owner).map(Some);
    }
    if has_headers {
        let mut grants = Vec::new();
        for (member, permission) in HEADERS {
            let Some(text) = str_param(p, member) else {
                continue;
            };
            for item in text.split(',').filter(|s| !s.trim().is_empty()) {
                grants.push(Grant {
                    grantee: header_grantee(item, &known)?,
                    permission: permission.to_string(),
                });
            }
        }
        return Ok(Some(Acl {
            owner: owner.to_string(),
            grants,
        }));
    }
    let Some(body) = body else {
        return Ok(None);
    };
    let owner_id = body
        .pointer("/Owner/ID")
        .and_then(Value::as_str)
        .ok_or_else(malformed_acl)?;
    if owner_id != canonical_id(owner) {
        return Err(AwsError::access_denied("Access Denied"));
    }
    let mut grants = Vec::new();
    for g in body
        .get("Grants")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let permission = str_param(g, "Permission").ok_or_else(malformed_acl)?;
        if !PERMISSIONS.contains(&permission) {
            return Err(malformed_acl());
        }
        let grantee = g.get("Grantee").ok_or_else(malformed_acl)?;
        let grantee = match str_param(grantee, "Type") {
            Some("CanonicalUser") => {
                let id = str_param(grantee, "ID")
                    .ok_or_else(|| errors::invalid_argument("Invalid id"))?;
                canonical_grantee(id.to_string(), &known)
            }
            Some("Group") => group(str_param(grantee, "URI").unwrap_or_default().to_string())?,
            Some("AmazonCustomerByEmail") => return Err(unresolvable_email()),
            _ => return Err(malformed_acl()),
        };
        grants.push(Grant {
            grantee,
            permission: permission.to_string(),
        });
    }
    Ok(Some(Acl {
        owner: owner.to_string(),
        grants,
    }))
}

/// Whether `bucket`'s settings let `acl` be set on it or its objects: ACLs disabled by
/// BucketOwnerEnforced refuse all but the owner-only ones; BlockPublicAcls refuses public ones.
fn check_settable(bucket: &Bucket, p: &Value, acl: &Acl) -> Result<(), AwsError> {
    if bucket.ownership.as_deref() == Some(ENFORCED) {
        // Of the canned ACLs only these two are accepted, whatever the others amount to.
        if str_param(p, "ACL").is_some_and(|c| c != "private" && c != "bucket-owner-full-control") {
            return Err(acl_not_supported());
        }
        let bucket_owner_full = acl.grants.iter().all(|g| match &g.grantee {
            Grantee::CanonicalUser { id, .. } => {
                *id == canonical_id(&bucket.owner) || *id == canonical_id(&acl.owner)
            }
            Grantee::Group { .. } => false,
        });
        if !bucket_owner_full {
            return Err(acl_not_supported());
        }
    }
    if acl.is_public()
        && bucket
            .public_access_block
            .is_some_and(|b| b.block_public_acls)
    {
        return Err(public_blocked());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Authorization: ACL grants as resource-policy statements.

/// The IAM actions a bucket ACL permission allows, on the bucket (`false`) or its objects.
fn bucket_actions(permission: &str) -> Vec<(&'static str, bool)> {
    let read = [
        ("s3:ListBucket", false),
        ("s3:ListBucketVersions", false),
        ("s3:ListBucketMultipartUploads", false),
    ];
    let write = [
        ("s3:PutObject", true),
        ("s3:DeleteObject", true),
        ("s3:DeleteObjectVersion", true),
        ("s3:AbortMultipartUpload", true),
    ];
    match permission {
        "READ" => read.to_vec(),
        "WRITE" => write.to_vec(),
        "READ_ACP" => vec![("s3:GetBucketAcl", false)],
        "WRITE_ACP" => vec![("s3:PutBucketAcl", false)],
        _ => {
            let mut all = read.to_vec();
            all.extend(write);
            all.push(("s3:GetBucketAcl", false));
            all.push(("s3:PutBucketAcl", false));
            all
        }
    }
}

/// The IAM actions an object ACL permission allows on the object.
fn object_actions(permission: &str) -> Vec<&'static str> {
    let read = ["s3:GetObject", "s3:GetObjectVersion"];
    let read_acp = ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"];
    let write_acp = ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"];
    match permission {
        "READ" => read.to_vec(),
        "READ_ACP" => read_acp.to_vec(),
        "WRITE_ACP" => write_acp.to_vec(),
        "FULL_CONTROL" => [read, read_acp, write_acp].concat(),
        _ => Vec::new(),
    }
}

/// The policy statement for `grant` allowing `actions` on `resource`, as the caller `caller`
/// sees it; `None` when the grant is not for anyone the caller could be.
fn grant_statement(
    grant: &Grant,
    caller: &str,
    actions: Vec<&str>,
    resource: &str,
) -> Option<Value> {
    if actions.is_empty() {
        return None;
    }
    let mut statement = json!({"Effect": "Allow", "Action": actions, "Resource": resource});
    match &grant.grantee {
        Grantee::Group { uri } if uri == ALL_USERS => statement["Principal"] = "*".into(),
        Grantee::Group { uri } if uri == AUTHENTICATED_USERS => {
            statement["Principal"] = "*".into();
            statement["Condition"] = json!({"StringNotEquals": {"aws:PrincipalType": "Anonymous"}});
        }
        Grantee::Group { .. } => {
            statement["Principal"] = json!({"Service": "logging.s3.amazonaws.com"})
        }
        Grantee::CanonicalUser { id, .. } if *id == canonical_id(caller) && !caller.is_empty() => {
            statement["Principal"] = json!({"AWS": format!("arn:aws:iam::{caller}:root")})
        }
        Grantee::CanonicalUser { .. } => return None,
    }
    Some(statement)
}

/// Whether a bucket policy statement opens the bucket to everyone: an Allow to `*` without a
/// condition that pins the caller (source address, VPC, account, organization, ARN).
fn statement_is_public(statement: &Value) -> bool {
    if str_param(statement, "Effect") != Some("Allow") {
        return false;
    }
    let wildcard = match statement.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|v| match v {
            Value::String(s) => s == "*",
            Value::Array(list) => list.iter().any(|x| x == "*"),
            _ => false,
        }),
        _ => false,
    };
    if !wildcard {
        return false;
    }
    const PINNING: [&str; 9] = [
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalarn",
    ];
    let pinned = statement
        .get("Condition")
        .and_then(Value::as_object)
        .is_some_and(|ops| {
            ops.values().any(|keys| {
                keys.as_object().is_some_and(|k| {
                    k.keys()
                        .any(|name| PINNING.contains(&name.to_ascii_lowercase().as_str()))
                })
            })
        });
    !pinned
}

fn statements(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// Whether a bucket policy document is public, as GetBucketPolicyStatus and BlockPublicPolicy
/// judge it.
pub fn policy_is_public(document: &str) -> bool {
    serde_json::from_str::<Value>(document)
        .map(|v| statements(&v).iter().any(statement_is_public))
        .unwrap_or(false)
}

/// The resource policy the authorizer evaluates for a request by `caller` (an account id,
/// empty when anonymous) on `bucket`, and on one object whose ACL is `object_acl`: the bucket
/// policy (its public statements dropped under RestrictPublicBuckets) plus the statements
/// the ACLs amount to (public grants dropped under IgnorePublicAcls; none at all when
/// BucketOwnerEnforced disables ACLs). The bucket policy as stored when nothing changes.
pub fn effective_policy(bucket: &Bucket, caller: &str, object_acl: Option<&Acl>) -> Option<String> {
    let block = bucket.public_access_block.unwrap_or_default();
    // Whether the policy is public was judged when it was put (`Bucket::policy_public`).
    let restrict = block.restrict_public_buckets && bucket.policy.is_some() && bucket.policy_public;
    let acls_apply = bucket.ownership.as_deref() != Some(ENFORCED);
    let bucket_acl = bucket
        .acl
        .as_ref()
        .filter(|a| acls_apply && !a.is_owner_only());
    let object_acl = object_acl.filter(|a| acls_apply && !a.is_owner_only());
    if !restrict && bucket_acl.is_none() && object_acl.is_none() {
        return bucket.policy.clone();
    }
    let mut out: Vec<Value> = Vec::new();
    if let Some(policy) = bucket.policy.as_deref() {
        let parsed: Value = serde_json::from_str(policy).unwrap_or(Value::Null);
        out.extend(
            statements(&parsed)
                .into_iter()
                .filter(|s| !(restrict && statement_is_public(s))),
        );
    }
    let usable = |g: &&Grant| !(block.ignore_public_acls && g.is_public());
    let arn = bucket_arn(&bucket.name);
    let objects = format!("{arn}/*");
    for grant in bucket_acl
        .iter()
        .flat_map(|a| a.grants.iter())
        .filter(usable)
    {
        let actions = bucket_actions(&grant.permission);
        let on_bucket: Vec<&str> = actions.iter().filter(|a| !a.1).map(|a| a.0).collect();
        let on_objects: Vec<&str> = actions.iter().filter(|a| a.1).map(|a| a.0).collect();
        out.extend(grant_statement(grant, caller, on_bucket, &arn));
        out.extend(grant_statement(grant, caller, on_objects, &objects));
    }
    for grant in object_acl
        .iter()
        .flat_map(|a| a.grants.iter())
        .filter(usable)
    {
        out.extend(grant_statement(
            grant,
            caller,
            object_actions(&grant.permission),
            &objects,
        ));
    }
    if out.is_empty() {
        return None;
    }
    Some(json!({"Version": "2012-10-17", "Statement": out}).to_string())
}

/// The ACL of the object a request addresses (its current version, or `version`), when the
/// bucket ever had object ACLs written.
pub fn object_acl_for(s3: &S3, bucket: &Bucket, key: &str, version: Option<&str>) -> Option<Acl> {
    if !bucket.object_acls {
        return None;
    }
    let version = match version {
        Some(v) => v.to_string(),
        None => current_version(s3, &bucket.name, key).ok().flatten()?,
    };
    load_object_acl(s3, bucket, key, &version).ok().flatten()
}

/// The version id (`""` in a bucket never versioned) of the current object at `key`.
fn current_version(s3: &S3, bucket: &str, key: &str) -> Result<Option<String>, AwsError> {
    Ok(current_object(s3, bucket, key)?.map(|o| o.version_id.unwrap_or_default()))
}

fn current_object(s3: &S3, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, AwsError> {
    match s3
        .kv()
        .get(model::OBJECTS, &model::object_key(bucket, key))
        .map_err(errors::store)?
    {
        Some(bytes) => ObjectRecord::from_record(&bytes)
            .map(Some)
            .map_err(errors::store),
        None => Ok(None),
    }
}

fn acl_key(bucket: &str, object: &str, version: &str) -> Vec<u8> {
    key::join([bucket, object, version])
}

fn load_object_acl(
    s3: &S3,
    bucket: &Bucket,
    object: &str,
    version: &str,
) -> Result<Option<Acl>, AwsError> {
    match s3
        .kv()
        .get(OBJECT_ACLS, &acl_key(&bucket.name, object, version))
        .map_err(errors::store)?
    {
        Some(bytes) => ObjectAcl::from_record(&bytes)
            .map(|o| (o.bucket_created_millis == bucket.created_millis).then_some(o.acl))
            .map_err(errors::store),
        None => Ok(None),
    }
}

/// Stores (or, for `None`, forgets) the ACL of one object version.
fn store_object_acl(
    s3: &S3,
    bucket: &Bucket,
    object: &str,
    version: &str,
    acl: Option<Acl>,
) -> Result<(), AwsError> {
    let k = acl_key(&bucket.name, object, version);
    match acl {
        Some(acl) => {
            if !bucket.object_acls {
                s3.update_bucket(&bucket.name, |b| b.object_acls = true)?;
            }
            let bytes = ObjectAcl {
                acl,
                bucket_created_millis: bucket.created_millis,
            }
            .to_record()
            .map_err(errors::store)?;
            s3.kv().put(OBJECT_ACLS, &k, &bytes).map_err(errors::store)
        }
        None if bucket.object_acls => s3
            .kv()
            .delete(OBJECT_ACLS, &k)
            .map(|_| ())
            .map_err(errors::store),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Handlers.

type Handler = fn(&S3, &RequestContext, OperationInput) -> Result<OperationOutput, AwsError>;

/// CreateBucket with `x-amz-object-ownership` (BucketOwnerEnforced by default) and an ACL.
pub fn create_bucket(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default().to_string();
    let ownership = str_param(p, "ObjectOwnership")
        .unwrap_or(ENFORCED)
        .to_string();
    if !OWNERSHIPS.contains(&ownership.as_str()) {
        return Err(errors::invalid_argument(
            "Invalid x-amz-object-ownership header",
        ));
    }
    let account = ctx.account_id().to_string();
    let acl = requested(p, &account, &account, &account)?;
    if let Some(acl) = &acl {
        if ownership == ENFORCED && !acl.is_owner_only() {
            return Err(AwsError::new(
                "InvalidBucketAclWithObjectOwnership",
                400,
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            ));
        }
        if acl.is_public() {
            return Err(AwsError::new(
                "InvalidBucketAclWithBlockPublicAccessError",
                400,
                "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
            ));
        }
    }
    let existed = s3.find_bucket(&name)?.is_some();
    let out = object_lock::create_bucket(s3, ctx, input)?;
    if !existed {
        s3.update_bucket(&name, |b| {
            b.ownership = Some(ownership.clone());
            b.public_access_block = Some(PublicAccessBlock::all());
            b.acl = acl.clone().filter(|a| !a.is_owner_only());
        })?;
    }
    Ok(out)
}

pub fn put_bucket_acl(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let acl = requested(p, &bucket.owner, &bucket.owner, ctx.account_id())?.ok_or_else(|| {
        AwsError::new(
            "MissingSecurityHeader",
            400,
            "Your request was missing a required header",
        )
    })?;
    check_settable(&bucket, p, &acl)?;
    let stored = Some(acl).filter(|a| !a.is_owner_only());
    s3.update_bucket(name, |b| b.acl = stored.clone())?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_acl(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let acl = match &bucket.acl {
        Some(acl) if bucket.ownership.as_deref() != Some(ENFORCED) => acl.clone(),
        _ => Acl::private(&bucket.owner),
    };
    Ok(OperationOutput::new(acl.to_value()))
}

/// The object (and its version id) a Get/PutObjectAcl addresses: `NoSuchKey`/`NoSuchVersion`
/// when absent, and for a delete marker as S3 answers.
fn addressed_object(
    s3: &S3,
    bucket: &Bucket,
    key: &str,
    version: Option<&str>,
) -> Result<(String, String), AwsError> {
    match version {
        None => {
            let object = current_object(s3, &bucket.name, key)?.ok_or_else(errors::no_such_key)?;
            Ok((object.owner, object.version_id.unwrap_or_default()))
        }
        Some(v) => {
            let o = crate::versioning::load_version_object(s3, bucket, key, v)?;
            Ok((o.owner, o.version_id.unwrap_or_default()))
        }
    }
}

pub fn put_object_acl(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let (owner, version) = addressed_object(s3, &bucket, key, str_param(p, "VersionId"))?;
    // An object another account wrote keeps its owner in its ACL.
    let owner = match bucket.object_acls {
        true => load_object_acl(s3, &bucket, key, &version)?.map_or(owner, |a| a.owner),
        false => owner,
    };
    let acl = requested(p, &owner, &bucket.owner, ctx.account_id())?.ok_or_else(|| {
        AwsError::new(
            "MissingSecurityHeader",
            400,
            "Your request was missing a required header",
        )
    })?;
    check_settable(&bucket, p, &acl)?;
    let stored = Some(acl).filter(|a| !a.is_owner_only() || a.owner != bucket.owner);
    store_object_acl(s3, &bucket, key, &version, stored)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_object_acl(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let key = str_param(p, "Key").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let (owner, version) = addressed_object(s3, &bucket, key, str_param(p, "VersionId"))?;
    let acl = if bucket.ownership.as_deref() == Some(ENFORCED) {
        Acl::private(&bucket.owner)
    } else if bucket.object_acls {
        load_object_acl(s3, &bucket, key, &version)?.unwrap_or_else(|| Acl::private(&owner))
    } else {
        Acl::private(&owner)
    };
    Ok(OperationOutput::new(acl.to_value()))
}

/// The ACL a write that creates an object asks for, checked against the bucket's settings:
/// `None` when the new object gets the default (the bucket owner's full control). The put
/// path records the bucket owner as every object's owner; an object written by another
/// account under ObjectWriter keeps its writer as owner through its ACL.
fn write_acl(bucket: &Bucket, ctx: &RequestContext, p: &Value) -> Result<Option<Acl>, AwsError> {
    let caller = ctx.account_id().to_string();
    let preferred = bucket.ownership.as_deref() == Some("BucketOwnerPreferred")
        && str_param(p, "ACL") == Some("bucket-owner-full-control");
    // Objects written anonymously (through a public-read-write bucket) are the bucket owner's.
    let writer = if bucket.ownership.as_deref() == Some(ENFORCED)
        || preferred
        || ctx.principal.is_anonymous()
    {
        bucket.owner.clone()
    } else {
        caller.clone()
    };
    let acl = requested(p, &writer, &bucket.owner, &caller)?;
    if let Some(acl) = &acl {
        check_settable(bucket, p, acl)?;
    }
    let acl = acl.or_else(|| (writer != bucket.owner).then(|| Acl::private(&writer)));
    Ok(acl.filter(|a| !a.is_owner_only() || a.owner != bucket.owner))
}

/// Gives the version just written at `key` its ACL (or forgets a former one).
fn apply_write_acl(
    s3: &S3,
    ctx: &RequestContext,
    name: &str,
    key: &str,
    acl: Option<Acl>,
) -> Result<(), AwsError> {
    let bucket = s3.bucket(ctx, name)?;
    if acl.is_none() && !bucket.object_acls {
        return Ok(());
    }
    if let Some(version) = current_version(s3, name, key)? {
        store_object_acl(s3, &bucket, key, &version, acl)?;
    }
    Ok(())
}

/// A write that creates an object (PutObject, CopyObject): the ACL it asks for is checked
/// against the bucket's settings first, and given to the version written after.
fn write_with_acl(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
    inner: Handler,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default().to_string();
    let key = str_param(p, "Key").unwrap_or_default().to_string();
    let Some(bucket) = s3.find_bucket(&name)? else {
        return inner(s3, ctx, input);
    };
    let acl = write_acl(&bucket, ctx, p)?;
    if acl.is_none() && !bucket.object_acls {
        return inner(s3, ctx, input);
    }
    let out = inner(s3, ctx, input)?;
    apply_write_acl(s3, ctx, &name, &key, acl)?;
    Ok(out)
}

pub fn put_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    write_with_acl(s3, ctx, input, object_lock::put_object)
}

/// PutObject with a body streamed from the connection: the ACL and the object lock it asks for
/// are checked before the body is read and applied as for a body held in memory.
pub async fn put_object_streamed(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
    stream: gureum_core::BodyStream,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default().to_string();
    let key = str_param(p, "Key").unwrap_or_default().to_string();
    let bucket = s3.find_bucket(&name)?;
    let acl = match &bucket {
        Some(bucket) => write_acl(bucket, ctx, p)?,
        None => None,
    };
    let lock = object_lock::requested_lock(s3, ctx, &name, p)?;
    let out = crate::objects::put_object_streamed(s3, ctx, input, stream, lock).await?;
    if bucket.is_some_and(|b| acl.is_some() || b.object_acls) {
        apply_write_acl(s3, ctx, &name, &key, acl)?;
    }
    Ok(out)
}

pub fn copy_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    write_with_acl(s3, ctx, input, object_lock::copy_object)
}

fn upload_acl_key(upload_id: &str) -> Vec<u8> {
    key::join([upload_id])
}

/// CreateMultipartUpload: the ACL it asks for is checked as PutObject would check it, and
/// kept (`s3.upload_acls`: `join([upload id])` -> [`ObjectAcl`]) for the object the upload
/// completes.
pub fn create_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let bucket = s3.find_bucket(str_param(&input.params, "Bucket").unwrap_or_default())?;
    let acl = match &bucket {
        Some(bucket) => write_acl(bucket, ctx, &input.params)?,
        None => None,
    };
    let out = crate::multipart::create_multipart_upload(s3, ctx, input)?;
    if let (Some(acl), Some(upload_id), Some(bucket)) =
        (acl, str_param(&out.params, "UploadId"), bucket)
    {
        let bytes = ObjectAcl {
            acl,
            bucket_created_millis: bucket.created_millis,
        }
        .to_record()
        .map_err(errors::store)?;
        s3.kv()
            .put(UPLOAD_ACLS, &upload_acl_key(upload_id), &bytes)
            .map_err(errors::store)?;
    }
    Ok(out)
}

/// The ACL kept for upload `upload_id` (forgotten once the upload completes).
fn take_upload_acl(s3: &S3, upload_id: &str) -> Result<Option<Acl>, AwsError> {
    let k = upload_acl_key(upload_id);
    let Some(bytes) = s3.kv().get(UPLOAD_ACLS, &k).map_err(errors::store)? else {
        return Ok(None);
    };
    let acl = ObjectAcl::from_record(&bytes).map_err(errors::store)?.acl;
    Ok(Some(acl))
}

/// CompleteMultipartUpload: the object gets the ACL its upload asked for.
pub fn complete_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default().to_string();
    let key = str_param(p, "Key").unwrap_or_default().to_string();
    let upload_id = str_param(p, "UploadId").unwrap_or_default().to_string();
    let acl = take_upload_acl(s3, &upload_id)?;
    let out = object_lock::complete_multipart_upload(s3, ctx, input)?;
    apply_write_acl(s3, ctx, &name, &key, acl)?;
    s3.kv()
        .delete(UPLOAD_ACLS, &upload_acl_key(&upload_id))
        .map_err(errors::store)?;
    Ok(out)
}

/// AbortMultipartUpload: the upload's ACL goes with it.
pub fn abort_multipart_upload(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let upload_id = str_param(&input.params, "UploadId")
        .unwrap_or_default()
        .to_string();
    let out = crate::multipart::abort_multipart_upload(s3, ctx, input)?;
    s3.kv()
        .delete(UPLOAD_ACLS, &upload_acl_key(&upload_id))
        .map_err(errors::store)?;
    Ok(out)
}

/// DeleteObject: a deleted version's ACL goes with it.
pub fn delete_object(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default().to_string();
    let key = str_param(p, "Key").unwrap_or_default().to_string();
    let bucket = s3.find_bucket(&name)?;
    let target = match (&bucket, str_param(p, "VersionId")) {
        (Some(b), _) if !b.object_acls => None,
        (Some(_), Some(v)) => Some(v.to_string()),
        (Some(_), None) => current_version(s3, &name, &key)?.filter(|v| v.is_empty()),
        (None, _) => None,
    };
    let out = object_lock::delete_object(s3, ctx, input)?;
    if let (Some(bucket), Some(version)) = (bucket, target) {
        store_object_acl(s3, &bucket, &key, &version, None)?;
    }
    Ok(out)
}

/// DeleteObjects: each deleted version's ACL goes with it (in a bucket never versioned, the
/// deleted objects' ACLs).
pub fn delete_objects(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket")
        .unwrap_or_default()
        .to_string();
    let bucket = s3.find_bucket(&name)?;
    let out = object_lock::delete_objects(s3, ctx, input)?;
    let Some(bucket) = bucket.filter(|b| b.object_acls) else {
        return Ok(out);
    };
    let deleted = out
        .params
        .get("Deleted")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entry in deleted {
        let key = str_param(&entry, "Key").unwrap_or_default();
        let marker = entry
            .get("DeleteMarker")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let version = match (str_param(&entry, "VersionId"), bucket.versioning.is_some()) {
            (Some(v), true) if !marker => v.to_string(),
            (_, false) => String::new(),
            _ => continue,
        };
        store_object_acl(s3, &bucket, key, &version, None)?;
    }
    Ok(out)
}

// Ownership controls.

pub fn put_bucket_ownership_controls(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let rules = p
        .pointer("/OwnershipControls/Rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if rules.len() != 1 {
        return Err(errors::malformed_xml());
    }
    let ownership = str_param(&rules[0], "ObjectOwnership")
        .filter(|o| OWNERSHIPS.contains(o))
        .ok_or_else(errors::malformed_xml)?
        .to_string();
    if ownership == ENFORCED && bucket.acl.as_ref().is_some_and(|a| !a.is_owner_only()) {
        return Err(AwsError::new(
            "InvalidBucketAclWithObjectOwnership",
            400,
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    s3.update_bucket(name, |b| b.ownership = Some(ownership.clone()))?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_ownership_controls(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let ownership = bucket.ownership.ok_or_else(|| {
        AwsError::new(
            "OwnershipControlsNotFoundError",
            404,
            "The bucket ownership controls were not found",
        )
    })?;
    Ok(OperationOutput::new(json!({
        "OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}
    })))
}

pub fn delete_bucket_ownership_controls(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    s3.update_bucket(name, |b| b.ownership = None)?;
    Ok(OperationOutput::new(json!({})))
}

// Public access block.

pub fn put_public_access_block(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    let config = p
        .get("PublicAccessBlockConfiguration")
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
        .ok_or_else(|| errors::invalid_request("Must specify at least one configuration."))?;
    let flag = |m: &str| config.get(m).and_then(Value::as_bool).unwrap_or(false);
    let block = PublicAccessBlock {
        block_public_acls: flag("BlockPublicAcls"),
        ignore_public_acls: flag("IgnorePublicAcls"),
        block_public_policy: flag("BlockPublicPolicy"),
        restrict_public_buckets: flag("RestrictPublicBuckets"),
    };
    s3.update_bucket(name, |b| b.public_access_block = Some(block))?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_public_access_block(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let b = bucket.public_access_block.ok_or_else(|| {
        AwsError::new(
            "NoSuchPublicAccessBlockConfiguration",
            404,
            "The public access block configuration was not found",
        )
    })?;
    Ok(OperationOutput::new(
        json!({"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": b.block_public_acls,
            "IgnorePublicAcls": b.ignore_public_acls,
            "BlockPublicPolicy": b.block_public_policy,
            "RestrictPublicBuckets": b.restrict_public_buckets,
        }}),
    ))
}

pub fn delete_public_access_block(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    s3.update_bucket(name, |b| b.public_access_block = None)?;
    Ok(OperationOutput::new(json!({})))
}

/// PutBucketPolicy, refusing a public policy under BlockPublicPolicy.
pub fn put_bucket_policy(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let document = str_param(p, "Policy").unwrap_or_default();
    if bucket
        .public_access_block
        .is_some_and(|b| b.block_public_policy)
        && policy_is_public(document)
        && crate::policy::validate(name, document).is_ok()
    {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: s3:PutBucketPolicy on resource: \"{}\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
            ctx.principal.arn,
            bucket_arn(name)
        )));
    }
    crate::policy::put_bucket_policy(s3, ctx, input)
}

pub fn get_bucket_policy_status(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let policy = bucket.policy.ok_or_else(errors::no_such_bucket_policy)?;
    Ok(OperationOutput::new(
        json!({"PolicyStatus": {"IsPublic": policy_is_public(&policy)}}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_policies_are_told_apart() {
        let doc = |principal: &str, condition: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},
                "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"{condition}}}]}}"#
            )
        };
        for (principal, condition, public) in [
            (r#""*""#, "", true),
            (r#"{"AWS":"*"}"#, "", true),
            (r#"{"AWS":["111122223333","*"]}"#, "", true),
            (r#"{"AWS":"111122223333"}"#, "", false),
            (
                r#""*""#,
                r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
                false,
            ),
            (
                r#""*""#,
                r#","Condition":{"StringEquals":{"s3:prefix":"x"}}"#,
                true,
            ),
        ] {
            assert_eq!(
                policy_is_public(&doc(principal, condition)),
                public,
                "{principal} {condition}"
            );
        }
        assert!(!policy_is_public(
            &doc(r#""*""#, "").replace("\"Allow\"", "\"Deny\"")
        ));
    }

    fn bucket(policy: Option<&str>, acl: Option<Acl>, ownership: &str) -> Bucket {
        Bucket {
            name: "b".into(),
            owner: "1".into(),
            region: "us-east-1".into(),
            created_millis: 0,
            policy: policy.map(str::to_string),
            tags: Vec::new(),
            versioning: None,
            acl,
            ownership: Some(ownership.into()),
            public_access_block: None,
            object_acls: false,
            policy_public: policy.is_some_and(policy_is_public),
            encryption: None,
        }
    }

    /// The (principal, actions) of each statement of the effective policy.
    fn effective(b: &Bucket, caller: &str, object: Option<&Acl>) -> Vec<(Value, Value)> {
        effective_policy(b, caller, object)
            .map(|doc| {
                let v: Value = serde_json::from_str(&doc).unwrap();
                if let Err(e) =
                    gureum_iam_policy::Policy::parse(&doc, gureum_iam_policy::PolicyKind::Resource)
                {
                    panic!("{e}: {doc}");
                }
                statements(&v)
                    .iter()
                    .map(|s| (s["Principal"].clone(), s["Action"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn acl_grants_become_policy_statements() {
        let public_read = canned("public-read", "1", "1").unwrap();
        let b = bucket(None, Some(public_read.clone()), "ObjectWriter");
        assert_eq!(
            effective(&b, "", None),
            vec![(
                json!("*"),
                json!([
                    "s3:ListBucket",
                    "s3:ListBucketVersions",
                    "s3:ListBucketMultipartUploads"
                ])
            )]
        );
        assert_eq!(
            effective(&bucket(None, None, "ObjectWriter"), "", Some(&public_read)),
            vec![(json!("*"), json!(["s3:GetObject", "s3:GetObjectVersion"]))]
        );
        // Disabled ACLs and IgnorePublicAcls count for nothing; the bucket policy stays as is.
        assert!(effective(&bucket(None, Some(public_read.clone()), ENFORCED), "", None).is_empty());
        let mut ignoring = b.clone();
        ignoring.public_access_block = Some(PublicAccessBlock {
            ignore_public_acls: true,
            ..Default::default()
        });
        assert!(effective(&ignoring, "", None).is_empty());
        // A grant to an account speaks for that account's callers only.
        let to_two = Acl {
            owner: "1".into(),
            grants: vec![user_grant("222222222222", "READ")],
        };
        let plain = bucket(None, None, "ObjectWriter");
        assert_eq!(
            effective(&plain, "222222222222", Some(&to_two)),
            vec![(
                json!({"AWS": "arn:aws:iam::222222222222:root"}),
                json!(["s3:GetObject", "s3:GetObjectVersion"])
            )]
        );
        assert!(effective(&plain, "333333333333", Some(&to_two)).is_empty());
        // RestrictPublicBuckets drops the public statements of the bucket policy.
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        let mut restricted = bucket(Some(doc), None, ENFORCED);
        assert_eq!(
            effective_policy(&restricted, "", None).as_deref(),
            Some(doc)
        );
        restricted.public_access_block = Some(PublicAccessBlock::all());
        assert_eq!(
            effective(&restricted, "", None),
            vec![(json!("*"), json!("s3:DeleteObject"))]
        );
    }

    #[test]
    fn object_acls_do_not_outlive_their_bucket() {
        let s3 = S3::new(gureum_store::Storage::ephemeral());
        let mut old = bucket(None, None, "ObjectWriter");
        old.object_acls = true;
        let public = canned("public-read", "1", "1").unwrap();
        store_object_acl(&s3, &old, "k", "", Some(public.clone())).unwrap();
        assert_eq!(load_object_acl(&s3, &old, "k", "").unwrap(), Some(public));
        let mut again = old.clone();
        again.created_millis += 1;
        assert_eq!(load_object_acl(&s3, &again, "k", "").unwrap(), None);
    }

    #[test]
    fn grant_headers_and_canned_acls_parse() {
        let p = json!({"GrantRead": format!("uri=\"{ALL_USERS}\", id=\"{}\"", canonical_id("2"))});
        let acl = requested(&p, "1", "1", "2").unwrap().unwrap();
        assert!(acl.is_public());
        assert_eq!(
            acl.grants[1].grantee,
            Grantee::CanonicalUser {
                id: canonical_id("2"),
                account: Some("2".into())
            }
        );
        let e = requested(&json!({"GrantRead": "uri=\"http://x\""}), "1", "1", "1").unwrap_err();
        assert_eq!(e.code, "InvalidArgument");
        let both = json!({"ACL": "private", "GrantRead": "id=\"x\""});
        assert_eq!(
            requested(&both, "1", "1", "1").unwrap_err().code,
            "InvalidRequest"
        );
        let acl = requested(&json!({"ACL": "bucket-owner-full-control"}), "2", "1", "2")
            .unwrap()
            .unwrap();
        assert_eq!(acl.grants.len(), 2);
        assert!(!acl.is_public());
    }
}
