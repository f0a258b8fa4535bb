//! IAM's stored records and a small typed layer over the key-value store: users, groups, roles,
//! customer managed policies with their versions, instance profiles, access keys, login profiles,
//! and the indexes that tie them together. Every key starts with the account id, so accounts
//! never see each other's entities; IAM is global, so no key names a region.
//!
//! Names are unique per account regardless of case (AWS refuses `Bob` beside `bob`), so records
//! are keyed by the lowercased name and keep the name as it was given.
//!
//! The STS engineer and the authorizer read through the functions at the end of this file:
//! [`get_role`] (a role and its trust policy), [`user_policy_set`] / [`role_policy_set`] (the
//! identity policy documents that apply to a principal, and its permissions boundary) and
//! [`groups_for_user`].

use std::collections::BTreeMap;

use gureum_core::AwsError;
use gureum_store::{Entry, KvStore, KvStoreExt, StoreError, Txn, Versioned, key};
use serde::{Deserialize, Serialize};

use crate::managed;

/// Users by `(account, lowercased name)`.
pub const USERS: &str = "iam.users";
/// Groups by `(account, lowercased name)`.
pub const GROUPS: &str = "iam.groups";
/// Roles by `(account, lowercased name)`.
pub const ROLES: &str = "iam.roles";
/// Customer managed policies by `(account, lowercased name)`.
pub const POLICIES: &str = "iam.policies";
/// Instance profiles by `(account, lowercased name)`.
pub const INSTANCE_PROFILES: &str = "iam.instance_profiles";
/// Access keys by access key id (global: a key id names its account).
pub const ACCESS_KEYS: &str = "iam.access_keys";
/// When each access key was last used, by access key id.
pub const KEY_LAST_USED: &str = "iam.key_last_used";
/// Managed policy attachments: `(account, policy arn, entity kind, lowercased name)`.
pub const ATTACHMENTS: &str = "iam.attachments";
/// Managed policies in use as permissions boundaries, keyed like [`ATTACHMENTS`].
pub const BOUNDARIES: &str = "iam.boundaries";
/// Account-wide settings: `(account, setting)`.
pub const ACCOUNT: &str = "iam.account";
/// Account aliases, globally unique: alias -> account.
pub const ALIASES: &str = "iam.aliases";
/// Service-linked role deletion tasks: `(account, task id)`.
pub const SLR_TASKS: &str = "iam.slr_tasks";

/// IAM's 500: the store failed underneath an operation.
pub fn store_error(e: StoreError) -> AwsError {
    AwsError::new("ServiceFailure", 500, format!("IAM storage failed: {e}"))
}

trait OrFail<T> {
    fn or_fail(self) -> Result<T, AwsError>;
}

impl<T> OrFail<T> for gureum_store::Result<T> {
    fn or_fail(self) -> Result<T, AwsError> {
        self.map_err(store_error)
    }
}

/// Read access to the store: a transaction, or committed state through [`Committed`].
pub trait Reader {
    fn get(&mut self, table: &str, key: &[u8]) -> gureum_store::Result<Option<Vec<u8>>>;
    fn scan_prefix(&mut self, table: &str, prefix: &[u8]) -> gureum_store::Result<Vec<Entry>>;
}

impl Reader for dyn Txn + '_ {
    fn get(&mut self, table: &str, key: &[u8]) -> gureum_store::Result<Option<Vec<u8>>> {
        Txn::get(self, table, key)
    }
    fn scan_prefix(&mut self, table: &str, prefix: &[u8]) -> gureum_store::Result<Vec<Entry>> {
        Txn::scan_prefix(self, table, prefix, None, false)
    }
}

/// Committed state of a store, read outside any transaction.
pub struct Committed<'a>(pub &'a dyn KvStore);

impl Reader for Committed<'_> {
    fn get(&mut self, table: &str, key: &[u8]) -> gureum_store::Result<Option<Vec<u8>>> {
        self.0.get(table, key)
    }
    fn scan_prefix(&mut self, table: &str, prefix: &[u8]) -> gureum_store::Result<Vec<Entry>> {
        self.0.scan_prefix(table, prefix, None, false)
    }
}

/// Runs `f` in one transaction; an `AwsError` from `f` aborts it and is returned as is.
pub fn transact<T>(
    kv: &dyn KvStore,
    mut f: impl FnMut(&mut dyn Txn) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let mut failure = None;
    let outcome = kv.transaction(|txn| match f(txn) {
        Ok(v) => Ok(v),
        Err(e) => {
            failure = Some(e);
            Err(StoreError::Aborted("IAM operation refused".into()))
        }
    });
    match outcome {
        Ok(v) => Ok(v),
        Err(e) => Err(failure.take().unwrap_or_else(|| store_error(e))),
    }
}

/// The key of an account's entity: `(account, lowercased name)`.
pub fn entity_key(account: &str, name: &str) -> Vec<u8> {
    key::join([account, &name.to_ascii_lowercase()])
}

fn account_prefix(account: &str) -> Vec<u8> {
    key::join([account])
}

/// Reads and decodes one record.
pub fn read<T: Versioned, R: Reader + ?Sized>(
    r: &mut R,
    table: &str,
    key: &[u8],
) -> Result<Option<T>, AwsError> {
    match r.get(table, key).or_fail()? {
        Some(bytes) => T::from_record(&bytes).map(Some).or_fail(),
        None => Ok(None),
    }
}

/// Encodes and writes one record.
pub fn write<T: Versioned>(
    txn: &mut dyn Txn,
    table: &str,
    key: &[u8],
    record: &T,
) -> Result<(), AwsError> {
    let bytes = record.to_record().or_fail()?;
    txn.put(table, key, &bytes).or_fail()
}

/// Every record of `table` under `prefix`, in key order.
pub fn read_all<T: Versioned, R: Reader + ?Sized>(
    r: &mut R,
    table: &str,
    prefix: &[u8],
) -> Result<Vec<T>, AwsError> {
    r.scan_prefix(table, prefix)
        .or_fail()?
        .iter()
        .map(|(_, v)| T::from_record(v).or_fail())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/// A tag as IAM writes it (`Key`, `Value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// Merges `new` into `tags`: keys compare without case, a new value replaces the old one.
pub fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) {
    for t in new {
        match tags
            .iter_mut()
            .find(|old| old.key.eq_ignore_ascii_case(&t.key))
        {
            Some(old) => *old = t.clone(),
            None => tags.push(t.clone()),
        }
    }
}

/// Removes the tags whose keys are in `keys` (without case).
pub fn remove_tags(tags: &mut Vec<Tag>, keys: &[String]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// An IAM user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// `AIDA...`
    pub id: String,
    pub path: String,
    pub create_date: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The ARN of the managed policy that bounds this user's permissions.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Inline policies: name -> document as given.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// ARNs of attached managed policies, in attach order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the groups the user is in, in the order they were joined.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Ids of the user's access keys, oldest first.
    #[serde(default)]
    pub access_keys: Vec<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    #[serde(default)]
    pub password_last_used: Option<i64>,
}

impl Versioned for User {
    const VERSION: u16 = 1;
}

impl User {
    pub fn arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:user{}{}", self.path, self.name)
    }
}

/// A user's console password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginProfile {
    /// An Argon2id PHC string; the password itself is never stored.
    pub password_hash: String,
    pub create_date: i64,
    pub password_reset_required: bool,
}

/// An IAM group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    /// `AGPA...`
    pub id: String,
    pub path: String,
    pub create_date: i64,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the member users, in the order they joined.
    #[serde(default)]
    pub members: Vec<String>,
}

impl Versioned for Group {
    const VERSION: u16 = 1;
}

impl Group {
    pub fn arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:group{}{}", self.path, self.name)
    }
}

/// When and where a role was last assumed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleLastUsed {
    pub date: i64,
    pub region: String,
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    /// `AROA...`
    pub id: String,
    pub path: String,
    pub create_date: i64,
    /// The trust policy, as given.
    pub assume_role_policy: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Seconds, 3600 to 43200.
    pub max_session_duration: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the instance profiles holding this role.
    #[serde(default)]
    pub instance_profiles: Vec<String>,
    /// For service-linked roles, the service (`autoscaling.amazonaws.com`).
    #[serde(default)]
    pub linked_service: Option<String>,
    #[serde(default)]
    pub last_used: Option<RoleLastUsed>,
}

impl Versioned for Role {
    const VERSION: u16 = 1;
}

impl Role {
    pub fn arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:role{}{}", self.path, self.name)
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    pub document: String,
    pub create_date: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    /// `ANPA...`
    pub id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub create_date: i64,
    pub update_date: i64,
    pub default_version: String,
    /// At most five, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets (`v{next_version}`); never reused.
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl Versioned for ManagedPolicy {
    const VERSION: u16 = 1;
}

impl ManagedPolicy {
    pub fn arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:policy{}{}", self.path, self.name)
    }

    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| v.document.as_str())
    }
}

/// An instance profile: a container for (at most) one role that EC2 instances run as.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub name: String,
    /// `AIPA...`
    pub id: String,
    pub path: String,
    pub create_date: i64,
    /// Names of the roles in the profile.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl Versioned for InstanceProfile {
    const VERSION: u16 = 1;
}

impl InstanceProfile {
    pub fn arn(&self, account: &str) -> String {
        format!(
            "arn:aws:iam::{account}:instance-profile{}{}",
            self.path, self.name
        )
    }
}

/// An IAM user's access key. The secret is sealed with the instance's master key, bound to the
/// access key id, so a copied record does not open under another id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub account: String,
    /// The owning user's name (kept in step when the user is renamed).
    pub user_name: String,
    pub active: bool,
    /// Base64 of the sealed secret access key.
    pub secret_sealed: String,
    pub create_date: i64,
}

impl Versioned for AccessKey {
    const VERSION: u16 = 1;
}

/// When, where and for which service an access key was last used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyLastUsed {
    pub date: i64,
    pub service: String,
    pub region: String,
}

impl Versioned for KeyLastUsed {
    const VERSION: u16 = 1;
}

/// Who a managed policy is attached to (the value of an [`ATTACHMENTS`] entry).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub name: String,
    pub id: String,
}

impl Versioned for AttachmentRef {
    const VERSION: u16 = 1;
}

/// The kinds of entity a managed policy attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Group,
    Role,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(EntityKind::User),
            "group" => Some(EntityKind::Group),
            "role" => Some(EntityKind::Role),
            _ => None,
        }
    }
}

/// One attachment found in an index.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub policy_arn: String,
    pub kind: EntityKind,
    pub name: String,
    pub id: String,
}

/// The account password policy (UpdateAccountPasswordPolicy).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_password_length: i64,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: Option<i64>,
    pub password_reuse_prevention: Option<i64>,
    pub hard_expiry: Option<bool>,
}

impl Versioned for PasswordPolicy {
    const VERSION: u16 = 1;
}

/// A service-linked role deletion task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletionTask {
    pub status: String,
}

impl Versioned for DeletionTask {
    const VERSION: u16 = 1;
}

/// A plain string stored as a versioned record (account alias, root user creation date).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Setting(pub serde_json::Value);

impl Versioned for Setting {
    const VERSION: u16 = 1;
}

// ---------------------------------------------------------------------------------------------
// Typed access
// ---------------------------------------------------------------------------------------------

macro_rules! entity_access {
    ($get:ident, $put:ident, $delete:ident, $list:ident, $ty:ty, $table:expr) => {
        /// The entity named `name` (without regard to case) in `account`.
        pub fn $get<R: Reader + ?Sized>(
            r: &mut R,
            account: &str,
            name: &str,
        ) -> Result<Option<$ty>, AwsError> {
            read(r, $table, &entity_key(account, name))
        }

        /// Stores the entity under its (lowercased) name.
        pub fn $put(txn: &mut dyn Txn, account: &str, record: &$ty) -> Result<(), AwsError> {
            write(txn, $table, &entity_key(account, &record.name), record)
        }

        /// Removes the entity named `name`.
        pub fn $delete(txn: &mut dyn Txn, account: &str, name: &str) -> Result<(), AwsError> {
            txn.delete($table, &entity_key(account, name))
                .map(|_| ())
                .or_fail()
        }

        /// Every entity of the account, by lowercased name.
        pub fn $list<R: Reader + ?Sized>(r: &mut R, account: &str) -> Result<Vec<$ty>, AwsError> {
            read_all(r, $table, &account_prefix(account))
        }
    };
}

entity_access!(get_user, put_user, delete_user, list_users, User, USERS);
entity_access!(
    get_group,
    put_group,
    delete_group,
    list_groups,
    Group,
    GROUPS
);
entity_access!(get_role, put_role, delete_role, list_roles, Role, ROLES);
entity_access!(
    get_policy,
    put_policy,
    delete_policy,
    list_policies,
    ManagedPolicy,
    POLICIES
);
entity_access!(
    get_instance_profile,
    put_instance_profile,
    delete_instance_profile,
    list_instance_profiles,
    InstanceProfile,
    INSTANCE_PROFILES
);

pub fn get_access_key<R: Reader + ?Sized>(
    r: &mut R,
    key_id: &str,
) -> Result<Option<AccessKey>, AwsError> {
    read(r, ACCESS_KEYS, key_id.as_bytes())
}

pub fn put_access_key(txn: &mut dyn Txn, key: &AccessKey) -> Result<(), AwsError> {
    write(txn, ACCESS_KEYS, key.id.as_bytes(), key)
}

pub fn delete_access_key(txn: &mut dyn Txn, key_id: &str) -> Result<(), AwsError> {
    txn.delete(ACCESS_KEYS, key_id.as_bytes()).or_fail()?;
    txn.delete(KEY_LAST_USED, key_id.as_bytes()).or_fail()?;
    Ok(())
}

pub fn get_key_last_used<R: Reader + ?Sized>(
    r: &mut R,
    key_id: &str,
) -> Result<Option<KeyLastUsed>, AwsError> {
    read(r, KEY_LAST_USED, key_id.as_bytes())
}

fn index_key(account: &str, policy_arn: &str, kind: EntityKind, name: &str) -> Vec<u8> {
    key::join([
        account,
        policy_arn,
        kind.as_str(),
        &name.to_ascii_lowercase(),
    ])
}

/// Records that `policy_arn` is attached to (or, with `boundary`, bounds) an entity.
pub fn index_attachment(
    txn: &mut dyn Txn,
    account: &str,
    policy_arn: &str,
    kind: EntityKind,
    name: &str,
    id: &str,
    boundary: bool,
) -> Result<(), AwsError> {
    let table = if boundary { BOUNDARIES } else { ATTACHMENTS };
    write(
        txn,
        table,
        &index_key(account, policy_arn, kind, name),
        &AttachmentRef {
            name: name.to_string(),
            id: id.to_string(),
        },
    )
}

/// Forgets an attachment recorded by [`index_attachment`].
pub fn unindex_attachment(
    txn: &mut dyn Txn,
    account: &str,
    policy_arn: &str,
    kind: EntityKind,
    name: &str,
    boundary: bool,
) -> Result<(), AwsError> {
    let table = if boundary { BOUNDARIES } else { ATTACHMENTS };
    txn.delete(table, &index_key(account, policy_arn, kind, name))
        .map(|_| ())
        .or_fail()
}

fn decode_attachment(entry: &Entry) -> Result<Option<Attachment>, AwsError> {
    let parts = key::split_str(&entry.0).or_fail()?;
    let [_, arn, kind, _] = parts.as_slice() else {
        return Ok(None);
    };
    let Some(kind) = EntityKind::parse(kind) else {
        return Ok(None);
    };
    let r = AttachmentRef::from_record(&entry.1).or_fail()?;
    Ok(Some(Attachment {
        policy_arn: arn.clone(),
        kind,
        name: r.name,
        id: r.id,
    }))
}

/// The entities `policy_arn` is attached to (or bounds, with `boundary`).
pub fn attachments_of<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    policy_arn: &str,
    boundary: bool,
) -> Result<Vec<Attachment>, AwsError> {
    let table = if boundary { BOUNDARIES } else { ATTACHMENTS };
    let entries = r
        .scan_prefix(table, &key::join([account, policy_arn]))
        .or_fail()?;
    Ok(entries
        .iter()
        .map(decode_attachment)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// How many entities each managed policy of the account is attached to (or bounds).
pub fn attachment_counts<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    boundary: bool,
) -> Result<BTreeMap<String, i64>, AwsError> {
    let table = if boundary { BOUNDARIES } else { ATTACHMENTS };
    let mut counts = BTreeMap::new();
    for entry in r.scan_prefix(table, &account_prefix(account)).or_fail()? {
        if let Some(a) = decode_attachment(&entry)? {
            *counts.entry(a.policy_arn).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

pub fn get_setting<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    name: &str,
) -> Result<Option<serde_json::Value>, AwsError> {
    Ok(read::<Setting, R>(r, ACCOUNT, &key::join([account, name]))?.map(|s| s.0))
}

pub fn put_setting(
    txn: &mut dyn Txn,
    account: &str,
    name: &str,
    value: serde_json::Value,
) -> Result<(), AwsError> {
    write(txn, ACCOUNT, &key::join([account, name]), &Setting(value))
}

pub fn delete_setting(txn: &mut dyn Txn, account: &str, name: &str) -> Result<bool, AwsError> {
    txn.delete(ACCOUNT, &key::join([account, name])).or_fail()
}

pub fn get_password_policy<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
) -> Result<Option<PasswordPolicy>, AwsError> {
    read(r, ACCOUNT, &key::join([account, "password-policy"]))
}

pub fn put_password_policy(
    txn: &mut dyn Txn,
    account: &str,
    policy: &PasswordPolicy,
) -> Result<(), AwsError> {
    write(
        txn,
        ACCOUNT,
        &key::join([account, "password-policy"]),
        policy,
    )
}

pub fn delete_password_policy(txn: &mut dyn Txn, account: &str) -> Result<bool, AwsError> {
    txn.delete(ACCOUNT, &key::join([account, "password-policy"]))
        .or_fail()
}

// ---------------------------------------------------------------------------------------------
// What the authorizer and STS read
// ---------------------------------------------------------------------------------------------

/// One policy document and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDocument {
    /// A managed policy's ARN, or `user/NAME/inline/POLICY` (`group/...`, `role/...`) for an
    /// inline policy.
    pub source: String,
    /// The document as stored (not URL-encoded).
    pub document: String,
}

/// The policies that decide what a user or role may do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySet {
    /// Identity-based policies: the entity's inline policies and the default versions of its
    /// attached managed policies, then (for users) the same for each group it is in.
    pub identity: Vec<NamedDocument>,
    /// The permissions boundary's default version, if one is set.
    pub boundary: Option<NamedDocument>,
}

/// Where a managed policy ARN points: an AWS managed policy or one of `account`'s own.
pub fn managed_policy_document<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    arn: &str,
) -> Result<Option<String>, AwsError> {
    if let Some(p) = managed::by_arn(arn) {
        return Ok(Some(p.document.to_string()));
    }
    let Some(rest) = arn.strip_prefix(&format!("arn:aws:iam::{account}:policy")) else {
        return Ok(None);
    };
    let name = rest.rsplit('/').next().unwrap_or(rest);
    Ok(get_policy(r, account, name)?
        .filter(|p| p.arn(account) == arn)
        .and_then(|p| p.default_document().map(str::to_string)))
}

fn push_entity_policies<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    label: &str,
    inline: &BTreeMap<String, String>,
    attached: &[String],
    out: &mut Vec<NamedDocument>,
) -> Result<(), AwsError> {
    for (name, doc) in inline {
        out.push(NamedDocument {
            source: format!("{label}/inline/{name}"),
            document: doc.clone(),
        });
    }
    for arn in attached {
        if let Some(document) = managed_policy_document(r, account, arn)? {
            out.push(NamedDocument {
                source: arn.clone(),
                document,
            });
        }
    }
    Ok(())
}

fn boundary_document<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    arn: Option<&String>,
) -> Result<Option<NamedDocument>, AwsError> {
    let Some(arn) = arn else { return Ok(None) };
    Ok(
        managed_policy_document(r, account, arn)?.map(|document| NamedDocument {
            source: arn.clone(),
            document,
        }),
    )
}

/// The policies of user `name`, its groups' included; `None` when there is no such user.
pub fn user_policy_set(
    kv: &dyn KvStore,
    account: &str,
    name: &str,
) -> Result<Option<PolicySet>, AwsError> {
    let r = &mut Committed(kv);
    let Some(user) = get_user(r, account, name)? else {
        return Ok(None);
    };
    let mut set = PolicySet::default();
    push_entity_policies(
        r,
        account,
        &format!("user/{}", user.name),
        &user.inline_policies,
        &user.attached_policies,
        &mut set.identity,
    )?;
    for group_name in &user.groups {
        if let Some(g) = get_group(r, account, group_name)? {
            push_entity_policies(
                r,
                account,
                &format!("group/{}", g.name),
                &g.inline_policies,
                &g.attached_policies,
                &mut set.identity,
            )?;
        }
    }
    set.boundary = boundary_document(r, account, user.permissions_boundary.as_ref())?;
    Ok(Some(set))
}

/// The policies of role `name`; `None` when there is no such role.
pub fn role_policy_set(
    kv: &dyn KvStore,
    account: &str,
    name: &str,
) -> Result<Option<PolicySet>, AwsError> {
    let r = &mut Committed(kv);
    let Some(role) = get_role(r, account, name)? else {
        return Ok(None);
    };
    let mut set = PolicySet::default();
    push_entity_policies(
        r,
        account,
        &format!("role/{}", role.name),
        &role.inline_policies,
        &role.attached_policies,
        &mut set.identity,
    )?;
    set.boundary = boundary_document(r, account, role.permissions_boundary.as_ref())?;
    Ok(Some(set))
}

/// The groups user `name` is in (empty when there is no such user).
pub fn groups_for_user(
    kv: &dyn KvStore,
    account: &str,
    name: &str,
) -> Result<Vec<Group>, AwsError> {
    let r = &mut Committed(kv);
    let Some(user) = get_user(r, account, name)? else {
        return Ok(Vec::new());
    };
    let mut groups = Vec::new();
    for g in &user.groups {
        if let Some(group) = get_group(r, account, g)? {
            groups.push(group);
        }
    }
    Ok(groups)
}

/// The role an ARN such as `arn:aws:iam::123456789012:role/path/name` names, if it exists in
/// that account with that path.
pub fn role_by_arn(kv: &dyn KvStore, arn: &str) -> Result<Option<Role>, AwsError> {
    let Some(arn_parts) = gureum_core::Arn::parse(arn) else {
        return Ok(None);
    };
    if arn_parts.service != "iam" || !arn_parts.resource.starts_with("role/") {
        return Ok(None);
    }
    let name = arn_parts
        .resource
        .rsplit('/')
        .next()
        .unwrap_or(&arn_parts.resource);
    let account = arn_parts.account_id;
    Ok(get_role(&mut Committed(kv), &account, name)?.filter(|r| r.arn(&account) == arn))
}

/// Records that a role was assumed (STS calls this; RoleLastUsed in GetRole shows it). Writes
/// at most once a minute per role.
pub fn note_role_used(
    kv: &dyn KvStore,
    account: &str,
    name: &str,
    now: i64,
    region: &str,
) -> Result<(), AwsError> {
    if let Some(role) = get_role(&mut Committed(kv), account, name)? {
        if role.last_used.as_ref().is_some_and(|u| now - u.date < 60) {
            return Ok(());
        }
    }
    transact(kv, |txn| {
        if let Some(mut role) = get_role(txn, account, name)? {
            role.last_used = Some(RoleLastUsed {
                date: now,
                region: region.to_string(),
            });
            put_role(txn, account, &role)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_store::MemoryStore;

    fn user(name: &str) -> User {
        User {
            name: name.into(),
            id: "AIDAEXAMPLE".into(),
            path: "/".into(),
            create_date: 1,
            tags: vec![],
            permissions_boundary: None,
            inline_policies: BTreeMap::new(),
            attached_policies: vec![],
            groups: vec![],
            access_keys: vec![],
            login_profile: None,
            password_last_used: None,
        }
    }

    #[test]
    fn entities_are_per_account_and_case_insensitive() {
        let kv = MemoryStore::new();
        transact(&kv, |txn| {
            put_user(txn, "111111111111", &user("Alice"))?;
            put_user(txn, "222222222222", &user("bob"))
        })
        .unwrap();
        let r = &mut Committed(&kv);
        assert_eq!(
            get_user(r, "111111111111", "alice").unwrap().unwrap().name,
            "Alice"
        );
        assert!(get_user(r, "222222222222", "alice").unwrap().is_none());
        assert_eq!(list_users(r, "111111111111").unwrap().len(), 1);
        assert_eq!(list_users(r, "222222222222").unwrap()[0].name, "bob");
        // An account id that is a prefix of another does not leak into it.
        assert!(list_users(r, "11111111111").unwrap().is_empty());
    }

    #[test]
    fn failed_transactions_keep_nothing_and_return_the_aws_error() {
        let kv = MemoryStore::new();
        let err = transact(&kv, |txn| -> Result<(), AwsError> {
            put_user(txn, "111111111111", &user("carol"))?;
            Err(AwsError::new("LimitExceeded", 409, "no"))
        })
        .unwrap_err();
        assert_eq!(err.code, "LimitExceeded");
        assert!(
            get_user(&mut Committed(&kv), "111111111111", "carol")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn attachments_index_counts_and_lists() {
        let kv = MemoryStore::new();
        let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        transact(&kv, |txn| {
            index_attachment(
                txn,
                "111111111111",
                arn,
                EntityKind::User,
                "Al",
                "AIDA1",
                false,
            )?;
            index_attachment(
                txn,
                "111111111111",
                arn,
                EntityKind::Role,
                "r",
                "AROA1",
                false,
            )?;
            index_attachment(
                txn,
                "111111111111",
                arn,
                EntityKind::Role,
                "b",
                "AROA2",
                true,
            )?;
            index_attachment(
                txn,
                "222222222222",
                arn,
                EntityKind::User,
                "x",
                "AIDA2",
                false,
            )
        })
        .unwrap();
        let r = &mut Committed(&kv);
        let found = attachments_of(r, "111111111111", arn, false).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].kind, EntityKind::User);
        assert_eq!(found[1].name, "Al");
        assert_eq!(attachment_counts(r, "111111111111", false).unwrap()[arn], 2);
        assert_eq!(attachment_counts(r, "111111111111", true).unwrap()[arn], 1);
        transact(&kv, |txn| {
            unindex_attachment(txn, "111111111111", arn, EntityKind::User, "AL", false)
        })
        .unwrap();
        assert_eq!(
            attachments_of(&mut Committed(&kv), "111111111111", arn, false)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn policy_sets_gather_inline_attached_group_and_boundary() {
        let kv = MemoryStore::new();
        let acct = "111111111111";
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let mut u = user("dev");
        u.inline_policies.insert("mine".into(), doc.into());
        u.attached_policies
            .push("arn:aws:iam::aws:policy/AmazonEC2FullAccess".into());
        u.attached_policies
            .push(format!("arn:aws:iam::{acct}:policy/team/custom"));
        u.groups.push("readers".into());
        u.permissions_boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".into());
        let g = Group {
            name: "readers".into(),
            id: "AGPA1".into(),
            path: "/".into(),
            create_date: 1,
            inline_policies: BTreeMap::new(),
            attached_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            members: vec!["dev".into()],
        };
        let p = ManagedPolicy {
            name: "custom".into(),
            id: "ANPA1".into(),
            path: "/team/".into(),
            description: None,
            create_date: 1,
            update_date: 1,
            default_version: "v2".into(),
            versions: vec![
                PolicyVersion {
                    id: "v1".into(),
                    document: "old".into(),
                    create_date: 1,
                },
                PolicyVersion {
                    id: "v2".into(),
                    document: "new".into(),
                    create_date: 2,
                },
            ],
            next_version: 3,
            tags: vec![],
        };
        transact(&kv, |txn| {
            put_user(txn, acct, &u)?;
            put_group(txn, acct, &g)?;
            put_policy(txn, acct, &p)
        })
        .unwrap();
        let set = user_policy_set(&kv, acct, "DEV").unwrap().unwrap();
        let sources: Vec<_> = set.identity.iter().map(|d| d.source.as_str()).collect();
        assert_eq!(
            sources,
            [
                "user/dev/inline/mine",
                "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
                "arn:aws:iam::111111111111:policy/team/custom",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ]
        );
        assert_eq!(set.identity[2].document, "new");
        assert!(set.boundary.unwrap().document.contains("\"NotAction\""));
        assert!(user_policy_set(&kv, acct, "nobody").unwrap().is_none());
        assert_eq!(
            groups_for_user(&kv, acct, "dev").unwrap()[0].name,
            "readers"
        );
    }

    #[test]
    fn tags_merge_and_remove_without_case() {
        let mut tags = vec![Tag {
            key: "Env".into(),
            value: "dev".into(),
        }];
        merge_tags(
            &mut tags,
            &[
                Tag {
                    key: "env".into(),
                    value: "prod".into(),
                },
                Tag {
                    key: "team".into(),
                    value: "a".into(),
                },
            ],
        );
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].value, "prod");
        remove_tags(&mut tags, &["TEAM".into()]);
        assert_eq!(tags.len(), 1);
    }
}
