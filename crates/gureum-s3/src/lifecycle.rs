//! Bucket lifecycle: Put/Get/DeleteBucketLifecycleConfiguration, validated as S3 does, and
//! their application on the server clock by [`tick`].
//!
//! - `s3.lifecycles`: `join([bucket])` -> [`LifecycleConfig`], tied to the bucket's creation
//!   time (a bucket deleted and created again does not inherit it; [`tick`] drops such records).
//! - `s3.lifecycle_cursors`: `join([bucket, "o" | "u"])` -> the last object/version key or upload
//!   key looked at, so that each tick does bounded work and resumes; `join([""])` -> the last
//!   bucket visited, so that buckets take turns.
//!
//! Times: as AWS documents, an action is due at the midnight UTC following
//! `LastModified + Days` (noncurrent versions: from the time they became noncurrent; uploads:
//! from their initiation); a `Date` action is due from that date.

use gureum_core::{AwsError, Clock, OperationInput, OperationOutput, RequestContext};
use gureum_store::{KeyRange, KvStoreExt, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::{self, Bucket, MultipartUpload, ObjectRecord, ObjectVersion, Part};
use crate::{S3, errors, glacier, int_param, num_param, str_param, versioning};

pub const LIFECYCLES: &str = "s3.lifecycles";
pub const CURSORS: &str = "s3.lifecycle_cursors";

const DAY_MILLIS: i64 = 86_400_000;
const MAX_RULES: usize = 1000;
/// Objects (or versions) and uploads looked at per tick, over all buckets.
const TICK_BUDGET: usize = 512;
/// At most this many per bucket and tick, so buckets take turns.
const BUCKET_BUDGET: usize = 256;
/// Versions of one key looked at per visit.
const MAX_KEY_VERSIONS: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleConfig {
    pub bucket_created_millis: i64,
    /// The rules as sent (validated), in the canonical value tree's form.
    pub rules: Value,
}

impl Versioned for LifecycleConfig {
    const VERSION: u16 = 1;
}

fn no_such_lifecycle() -> AwsError {
    AwsError::new(
        "NoSuchLifecycleConfiguration",
        404,
        "The lifecycle configuration does not exist",
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Days(i64),
    /// Milliseconds since the epoch (a midnight UTC).
    Date(i64),
}

impl When {
    fn due(self, since_millis: i64, now: i64) -> bool {
        match self {
            When::Days(d) => now >= after_days(since_millis, d),
            When::Date(at) => now >= at,
        }
    }
}

/// `at + days`, rounded up to the next midnight UTC, as S3 computes lifecycle ages.
fn after_days(at: i64, days: i64) -> i64 {
    let end = at.saturating_add(days.saturating_mul(DAY_MILLIS));
    end.div_euclid(DAY_MILLIS)
        .saturating_add(1)
        .saturating_mul(DAY_MILLIS)
}

#[derive(Debug, Clone, Default)]
struct Filter {
    prefix: String,
    tags: Vec<(String, String)>,
    greater: Option<u64>,
    less: Option<u64>,
}

impl Filter {
    fn matches_key(&self, key: &str) -> bool {
        key.starts_with(&self.prefix)
    }

    fn matches(&self, key: &str, o: &ObjectRecord) -> bool {
        self.matches_key(key)
            && self.tags.iter().all(|t| o.tags.contains(t))
            && self.greater.is_none_or(|g| o.size > g)
            && self.less.is_none_or(|l| o.size < l)
    }

    /// Whether only the prefix restricts it (delete markers and uploads have no tags or size).
    fn prefix_only(&self) -> bool {
        self.tags.is_empty() && self.greater.is_none() && self.less.is_none()
    }
}

#[derive(Debug, Clone, Default)]
struct Rule {
    enabled: bool,
    filter: Filter,
    transitions: Vec<(When, String)>,
    expiration: Option<When>,
    expired_marker: bool,
    noncurrent_days: Option<i64>,
    newer_noncurrent: i64,
    noncurrent_transitions: Vec<(i64, String)>,
    abort_days: Option<i64>,
}

fn invalid(message: &str) -> AwsError {
    errors::invalid_argument(message.to_string())
}

/// A `Days`-like member: `Ok(None)` when absent, MalformedXML when not an integer.
fn days_of(v: &Value, name: &str) -> Result<Option<i64>, AwsError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => int_param(v, name)
            .map(Some)
            .ok_or_else(errors::malformed_xml),
    }
}

fn date_of(v: &Value) -> Result<Option<i64>, AwsError> {
    match v.get("Date") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => {
            let secs = num_param(v, "Date").ok_or_else(errors::malformed_xml)?;
            let millis = (secs * 1000.0) as i64;
            if millis.rem_euclid(DAY_MILLIS) != 0 {
                return Err(invalid("'Date' must be at midnight GMT"));
            }
            Ok(Some(millis))
        }
    }
}

fn size_of(v: &Value, name: &str) -> Result<Option<u64>, AwsError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.as_u64().map(Some).ok_or_else(errors::malformed_xml),
    }
}

fn tag_of(v: &Value) -> Result<(String, String), AwsError> {
    let k = str_param(v, "Key").ok_or_else(errors::malformed_xml)?;
    let val = str_param(v, "Value").unwrap_or_default();
    Ok((k.to_string(), val.to_string()))
}

fn parse_filter(rule: &Value) -> Result<Filter, AwsError> {
    let legacy = str_param(rule, "Prefix");
    let Some(f) = rule.get("Filter").filter(|f| !f.is_null()) else {
        return match legacy {
            Some(p) => Ok(Filter {
                prefix: p.to_string(),
                ..Filter::default()
            }),
            None => Err(errors::malformed_xml()),
        };
    };
    if legacy.is_some() || !f.is_object() {
        return Err(errors::malformed_xml());
    }
    let members = [
        "Prefix",
        "Tag",
        "And",
        "ObjectSizeGreaterThan",
        "ObjectSizeLessThan",
    ];
    if members.iter().filter(|m| f.get(**m).is_some()).count() > 1 {
        return Err(errors::malformed_xml());
    }
    let mut out = Filter {
        prefix: str_param(f, "Prefix").unwrap_or_default().to_string(),
        greater: size_of(f, "ObjectSizeGreaterThan")?,
        less: size_of(f, "ObjectSizeLessThan")?,
        ..Filter::default()
    };
    if let Some(t) = f.get("Tag") {
        out.tags.push(tag_of(t)?);
    }
    if let Some(and) = f.get("And") {
        out.prefix = str_param(and, "Prefix").unwrap_or_default().to_string();
        out.greater = size_of(and, "ObjectSizeGreaterThan")?;
        out.less = size_of(and, "ObjectSizeLessThan")?;
        if let Some(tags) = and.get("Tags") {
            let list = tags.as_array().ok_or_else(errors::malformed_xml)?;
            for t in list {
                out.tags.push(tag_of(t)?);
            }
        }
    }
    if let (Some(g), Some(l)) = (out.greater, out.less) {
        if g >= l {
            return Err(invalid(
                "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
            ));
        }
    }
    Ok(out)
}

/// A transition target: any storage class but STANDARD.
fn check_class(v: &Value) -> Result<String, AwsError> {
    let class = str_param(v, "StorageClass").ok_or_else(errors::malformed_xml)?;
    if class == "STANDARD" || !glacier::STORAGE_CLASSES.contains(&class) {
        return Err(errors::malformed_xml());
    }
    Ok(class.to_string())
}

fn check_min_days(class: &str, days: i64, what: &str) -> Result<(), AwsError> {
    if matches!(class, "STANDARD_IA" | "ONEZONE_IA") && days < 30 {
        return Err(errors::invalid_argument(format!(
            "'{what}' in {} action must be greater than or equal to 30 for storageClass '{class}'",
            if what == "Days" {
                "Transition"
            } else {
                "NoncurrentVersionTransition"
            }
        )));
    }
    Ok(())
}

fn list_of<'a>(rule: &'a Value, name: &str) -> Result<&'a [Value], AwsError> {
    match rule.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(errors::malformed_xml()),
    }
}

fn parse_rule(rule: &Value) -> Result<Rule, AwsError> {
    let mut out = Rule {
        enabled: match str_param(rule, "Status") {
            Some("Enabled") => true,
            Some("Disabled") => false,
            _ => return Err(errors::malformed_xml()),
        },
        filter: parse_filter(rule)?,
        ..Rule::default()
    };
    for t in list_of(rule, "Transitions")? {
        let class = check_class(t)?;
        let when = match (days_of(t, "Days")?, date_of(t)?) {
            (Some(d), None) => {
                if d < 0 {
                    return Err(invalid("'Days' in Transition action must be nonnegative"));
                }
                check_min_days(&class, d, "Days")?;
                When::Days(d)
            }
            (None, Some(at)) => When::Date(at),
            _ => return Err(errors::malformed_xml()),
        };
        out.transitions.push((when, class));
    }
    if let Some(e) = rule.get("Expiration").filter(|e| !e.is_null()) {
        let marker = e.get("ExpiredObjectDeleteMarker").and_then(Value::as_bool);
        let when = match (days_of(e, "Days")?, date_of(e)?) {
            (Some(d), None) => {
                if d <= 0 {
                    return Err(invalid(
                        "'Days' for Expiration action must be a positive integer",
                    ));
                }
                Some(When::Days(d))
            }
            (None, Some(at)) => Some(When::Date(at)),
            (None, None) => None,
            _ => return Err(errors::malformed_xml()),
        };
        match (when, marker) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy.",
                ));
            }
            (None, None) => return Err(errors::malformed_xml()),
            _ => {}
        }
        if marker == Some(true) && !out.filter.prefix_only() {
            return Err(invalid(
                "ExpiredObjectDeleteMarker cannot be specified with a tag or object size filter",
            ));
        }
        out.expiration = when;
        out.expired_marker = marker == Some(true);
    }
    if let Some(n) = rule
        .get("NoncurrentVersionExpiration")
        .filter(|n| !n.is_null())
    {
        let days = days_of(n, "NoncurrentDays")?;
        if days.is_some_and(|d| d <= 0) {
            return Err(invalid(
                "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
            ));
        }
        let newer = days_of(n, "NewerNoncurrentVersions")?;
        if newer.is_some_and(|v| !(1..=100).contains(&v)) {
            return Err(invalid(
                "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to 100",
            ));
        }
        out.noncurrent_days = Some(days.ok_or_else(errors::malformed_xml)?);
        out.newer_noncurrent = newer.unwrap_or(0);
    }
    for t in list_of(rule, "NoncurrentVersionTransitions")? {
        let class = check_class(t)?;
        let days = days_of(t, "NoncurrentDays")?.ok_or_else(errors::malformed_xml)?;
        if days < 0 {
            return Err(invalid(
                "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative",
            ));
        }
        check_min_days(&class, days, "NoncurrentDays")?;
        out.noncurrent_transitions.push((days, class));
    }
    if let Some(a) = rule
        .get("AbortIncompleteMultipartUpload")
        .filter(|a| !a.is_null())
    {
        let days = days_of(a, "DaysAfterInitiation")?.ok_or_else(errors::malformed_xml)?;
        if days <= 0 {
            return Err(invalid(
                "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
            ));
        }
        if !out.filter.prefix_only() {
            return Err(invalid(
                "AbortIncompleteMultipartUpload cannot be specified with Tags.",
            ));
        }
        out.abort_days = Some(days);
    }
    if out.transitions.is_empty()
        && out.expiration.is_none()
        && !out.expired_marker
        && out.noncurrent_days.is_none()
        && out.noncurrent_transitions.is_empty()
        && out.abort_days.is_none()
    {
        return Err(invalid(
            "At least one action needs to be specified in a rule",
        ));
    }
    Ok(out)
}

/// Validates a `LifecycleConfiguration`'s rules as S3 does.
fn validate(config: &Value) -> Result<Vec<Rule>, AwsError> {
    let rules = config
        .get("Rules")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or_else(errors::malformed_xml)?;
    if rules.len() > MAX_RULES {
        return Err(invalid(
            "The number of lifecycle rules must not exceed the allowed limit of 1000 rules",
        ));
    }
    let mut ids: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        if let Some(id) = str_param(rule, "ID") {
            if id.chars().count() > 255 {
                return Err(invalid("ID length should not exceed allowed limit of 255"));
            }
            if ids.contains(&id) {
                return Err(invalid(
                    "Rule ID must be unique. Found same ID for more than one rule",
                ));
            }
            ids.push(id);
        }
        out.push(parse_rule(rule)?);
    }
    Ok(out)
}

fn load(s3: &S3, bucket: &Bucket) -> Result<Option<Value>, AwsError> {
    let Some(bytes) = s3
        .kv()
        .get(LIFECYCLES, &key::join([bucket.name.as_str()]))
        .map_err(errors::store)?
    else {
        return Ok(None);
    };
    let stored = LifecycleConfig::from_record(&bytes).map_err(errors::store)?;
    Ok((stored.bucket_created_millis == bucket.created_millis).then_some(stored.rules))
}

pub fn put_bucket_lifecycle_configuration(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let config = p
        .get("LifecycleConfiguration")
        .ok_or_else(errors::malformed_xml)?;
    validate(config)?;
    let stored = LifecycleConfig {
        bucket_created_millis: bucket.created_millis,
        rules: config.get("Rules").cloned().unwrap_or(Value::Null),
    };
    let bytes = stored.to_record().map_err(errors::store)?;
    s3.kv()
        .put(LIFECYCLES, &key::join([name]), &bytes)
        .map_err(errors::store)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_lifecycle_configuration(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let rules = load(s3, &bucket)?.ok_or_else(no_such_lifecycle)?;
    Ok(OperationOutput::new(json!({ "Rules": rules })))
}

pub fn delete_bucket_lifecycle(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    s3.kv()
        .delete(LIFECYCLES, &key::join([name]))
        .map_err(errors::store)?;
    Ok(OperationOutput::new(json!({})).with_status(204))
}

// ---------------------------------------------------------------------------------------------
// Application on the server clock.

/// How far down the storage classes go: transitions only move objects further down.
fn rank(class: &str) -> u8 {
    match class {
        "STANDARD" => 0,
        "STANDARD_IA" | "INTELLIGENT_TIERING" => 1,
        "ONEZONE_IA" => 2,
        "GLACIER_IR" => 3,
        "GLACIER" => 4,
        "DEEP_ARCHIVE" => 5,
        _ => 0,
    }
}

/// What the enabled rules matching `o` ask for it as a current object at `now`.
enum Action {
    None,
    Expire,
    Transition(String),
}

fn current_action(rules: &[Rule], key: &str, o: &ObjectRecord, now: i64) -> Action {
    let mut target: Option<&str> = None;
    for r in rules
        .iter()
        .filter(|r| r.enabled && r.filter.matches(key, o))
    {
        if r.expiration
            .is_some_and(|w| w.due(o.last_modified_millis, now))
        {
            return Action::Expire;
        }
        for (w, class) in &r.transitions {
            if w.due(o.last_modified_millis, now) && target.is_none_or(|t| rank(class) > rank(t)) {
                target = Some(class);
            }
        }
    }
    match target {
        Some(t) if rank(t) > rank(&o.storage_class) => Action::Transition(t.to_string()),
        _ => Action::None,
    }
}

/// For a noncurrent version (noncurrent since `since`, with `newer` noncurrent versions newer
/// than it).
fn noncurrent_action(
    rules: &[Rule],
    key: &str,
    o: &ObjectRecord,
    since: i64,
    newer: i64,
    now: i64,
) -> Action {
    let mut target: Option<&str> = None;
    for r in rules
        .iter()
        .filter(|r| r.enabled && r.filter.matches(key, o))
    {
        if let Some(d) = r.noncurrent_days {
            if now >= after_days(since, d) && newer >= r.newer_noncurrent {
                return Action::Expire;
            }
        }
        for (d, class) in &r.noncurrent_transitions {
            if now >= after_days(since, *d) && target.is_none_or(|t| rank(class) > rank(t)) {
                target = Some(class);
            }
        }
    }
    match target {
        Some(t) if rank(t) > rank(&o.storage_class) => Action::Transition(t.to_string()),
        _ => Action::None,
    }
}

/// Copies the body of `o` into a fresh blob for `class`: packed into the cold store for an
/// archive class, unpacked out of it for another.
fn copy_blob(s3: &S3, o: &ObjectRecord, class: &str) -> Option<String> {
    if glacier::is_archive(class) {
        return glacier::pack(s3, o).ok();
    }
    if let (id, true) = glacier::plain_copy(s3, o).ok()? {
        return Some(id);
    }
    let from = o.blob_id.as_str();
    let mut reader = s3.storage.blobs.open(from).ok()??;
    let id = glacier::new_blob_id(class);
    let mut writer = s3.storage.blobs.writer(&id).ok()?;
    if std::io::copy(&mut reader, &mut writer).is_err() {
        return None;
    }
    writer.commit().ok()?;
    Some(id)
}

/// Moves `o` (the current object when `vkey` is `None`, else the version stored at `vkey`) to
/// `class`; archive classes move the body into the cold store and back. Nothing changes when
/// the object was rewritten meanwhile.
fn transition(
    s3: &S3,
    bucket: &str,
    obj: &str,
    o: &ObjectRecord,
    vkey: Option<&[u8]>,
    class: &str,
) {
    let moved = if glacier::is_archive(class) != glacier::is_archive(&o.storage_class) {
        match copy_blob(s3, o, class) {
            Some(id) => Some(id),
            None => return,
        }
    } else {
        None
    };
    let mut new = o.clone();
    new.storage_class = class.to_string();
    if let Some(id) = &moved {
        new.blob_id = id.clone();
    }
    let okey = model::object_key(bucket, obj);
    let done = s3.kv().transaction(|txn| {
        let mut changed = false;
        if let Some(vk) = vkey {
            let Some(bytes) = txn.get(model::VERSIONS, vk)? else {
                return Ok(false);
            };
            let mut v = ObjectVersion::from_record(&bytes)?;
            if v.object.as_ref().map(|x| &x.blob_id) != Some(&o.blob_id) {
                return Ok(false);
            }
            v.object = Some(new.clone());
            txn.put(model::VERSIONS, vk, &v.to_record()?)?;
            changed = true;
        }
        if let Some(bytes) = txn.get(model::OBJECTS, &okey)? {
            if ObjectRecord::from_record(&bytes)?.blob_id == o.blob_id {
                txn.put(model::OBJECTS, &okey, &new.to_record()?)?;
                changed = true;
            }
        }
        Ok(changed)
    });
    match (done, moved) {
        (Ok(true), Some(_)) => {
            let _ = s3.storage.blobs.delete(&o.blob_id);
        }
        (Ok(false) | Err(_), Some(id)) => {
            let _ = s3.storage.blobs.delete(&id);
        }
        _ => {}
    }
}

/// Removes the object of an unversioned bucket, unless it was rewritten meanwhile.
fn expire_unversioned(s3: &S3, bucket: &str, obj: &str, o: &ObjectRecord) {
    let okey = model::object_key(bucket, obj);
    let done = s3
        .kv()
        .transaction(|txn| match txn.get(model::OBJECTS, &okey)? {
            Some(b) if ObjectRecord::from_record(&b)?.blob_id == o.blob_id => {
                txn.delete(model::OBJECTS, &okey)?;
                Ok(true)
            }
            _ => Ok(false),
        });
    if matches!(done, Ok(true)) {
        let _ = s3.storage.blobs.delete(&o.blob_id);
    }
}

fn object_name(k: &[u8]) -> Option<String> {
    key::split_str(k).ok()?.into_iter().nth(1)
}

fn cursor_key(bucket: &str, phase: &str) -> Vec<u8> {
    key::join([bucket, phase])
}

fn load_cursor(s3: &S3, k: &[u8]) -> Option<Vec<u8>> {
    s3.kv()
        .get(CURSORS, k)
        .ok()
        .flatten()
        .filter(|c| !c.is_empty())
}

fn save_cursor(s3: &S3, k: &[u8], at: Option<&[u8]>) {
    let _ = match at {
        Some(at) => s3.kv().put(CURSORS, k, at),
        None => s3.kv().delete(CURSORS, k).map(|_| ()),
    };
}

/// Scans up to `limit` entries of `table` under `bucket` from its cursor; a pass that reaches
/// the end starts over next time.
fn scan_from_cursor(
    s3: &S3,
    table: &str,
    bucket: &str,
    phase: &str,
    limit: usize,
) -> (Vec<(Vec<u8>, Vec<u8>)>, bool) {
    let range = KeyRange::prefix(&model::object_prefix(bucket, ""));
    let range = match load_cursor(s3, &cursor_key(bucket, phase)) {
        Some(c) => range.after(&c),
        None => range,
    };
    let entries = s3
        .kv()
        .scan(table, &range, Some(limit), false)
        .unwrap_or_default();
    let full = entries.len() >= limit;
    (entries, full)
}

/// One visit of an unversioned bucket's objects; answers the work done.
fn visit_objects(s3: &S3, bucket: &str, rules: &[Rule], now: i64, limit: usize) -> usize {
    let (entries, full) = scan_from_cursor(s3, model::OBJECTS, bucket, "o", limit);
    for (k, v) in &entries {
        let (Some(name), Ok(o)) = (object_name(k), ObjectRecord::from_record(v)) else {
            continue;
        };
        match current_action(rules, &name, &o, now) {
            Action::Expire => expire_unversioned(s3, bucket, &name, &o),
            Action::Transition(class) => transition(s3, bucket, &name, &o, None, &class),
            Action::None => {}
        }
    }
    let last = entries.last().map(|(k, _)| k.as_slice()).filter(|_| full);
    save_cursor(s3, &cursor_key(bucket, "o"), last);
    entries.len()
}

/// Applies the rules to every version of one key (newest first). In a bucket with object lock
/// (`locking`), a version under retention or legal hold is never deleted: expiring the current
/// version only adds a delete marker, and noncurrent expiration passes locked versions by.
fn visit_key(
    s3: &S3,
    bucket: &str,
    name: &str,
    rules: &[Rule],
    now: i64,
    locking: bool,
) -> Option<Vec<u8>> {
    let entries = s3
        .kv()
        .scan_prefix(
            model::VERSIONS,
            &model::versions_prefix(bucket, name),
            Some(MAX_KEY_VERSIONS),
            false,
        )
        .ok()?;
    let last = entries.last().map(|(k, _)| k.clone());
    let versions: Vec<(Vec<u8>, ObjectVersion)> = entries
        .into_iter()
        .filter_map(|(k, v)| Some((k, ObjectVersion::from_record(&v).ok()?)))
        .collect();
    let (_, current) = versions.first()?;
    match &current.object {
        Some(o) => match current_action(rules, name, o, now) {
            Action::Expire => {
                let _ = versioning::delete_current(s3, bucket, name, &current.owner, now);
                return last;
            }
            Action::Transition(class) => {
                transition(s3, bucket, name, o, Some(&versions[0].0), &class)
            }
            Action::None => {}
        },
        None if versions.len() == 1 => {
            let expire = rules.iter().any(|r| {
                r.enabled
                    && r.expired_marker
                    && r.filter.prefix_only()
                    && r.filter.matches_key(name)
            });
            if expire {
                let _ = versioning::delete_version(s3, bucket, name, &current.version_id);
            }
            return last;
        }
        None => {}
    }
    for i in 1..versions.len() {
        let (vk, v) = &versions[i];
        let Some(o) = &v.object else { continue };
        let since = versions[i - 1].1.last_modified_millis;
        match noncurrent_action(rules, name, o, since, (i - 1) as i64, now) {
            Action::Expire
                if locking
                    && crate::object_lock::version_locked(s3, bucket, name, &v.version_id, now) => {
            }
            Action::Expire => {
                let _ = versioning::delete_version(s3, bucket, name, &v.version_id);
            }
            Action::Transition(class) => transition(s3, bucket, name, o, Some(vk), &class),
            Action::None => {}
        }
    }
    last
}

/// One visit of a versioned bucket's keys; answers the work done.
fn visit_versions(
    s3: &S3,
    bucket: &str,
    rules: &[Rule],
    now: i64,
    limit: usize,
    locking: bool,
) -> usize {
    let (entries, full) = scan_from_cursor(s3, model::VERSIONS, bucket, "o", limit);
    let mut names: Vec<String> = Vec::new();
    for (k, _) in &entries {
        if let Some(n) = object_name(k) {
            if names.last() != Some(&n) {
                names.push(n);
            }
        }
    }
    // The last key of a full batch may have more versions: it is visited whole anyway.
    let mut last = None;
    for name in &names {
        last = visit_key(s3, bucket, name, rules, now, locking).or(last);
    }
    save_cursor(
        s3,
        &cursor_key(bucket, "o"),
        last.as_deref().filter(|_| full),
    );
    entries.len()
}

/// Aborts the incomplete uploads past their rule's DaysAfterInitiation.
fn visit_uploads(s3: &S3, bucket: &str, rules: &[Rule], now: i64, limit: usize) -> usize {
    if rules.iter().all(|r| !r.enabled || r.abort_days.is_none()) {
        return 0;
    }
    let (entries, full) = scan_from_cursor(s3, model::UPLOADS, bucket, "u", limit);
    for (k, v) in &entries {
        let Ok(u) = MultipartUpload::from_record(v) else {
            continue;
        };
        let due = rules.iter().any(|r| {
            r.enabled
                && r.filter.matches_key(&u.key)
                && r.abort_days
                    .is_some_and(|d| now >= after_days(u.initiated_millis, d))
        });
        if !due {
            continue;
        }
        let parts_prefix = model::parts_prefix(&u.upload_id);
        let garbage = s3.kv().transaction(|txn| {
            if !txn.delete(model::UPLOADS, k)? {
                return Ok(Vec::new());
            }
            let mut garbage = Vec::new();
            for (pk, pv) in txn.scan_prefix(model::PARTS, &parts_prefix, None, false)? {
                garbage.push(Part::from_record(&pv)?.blob_id);
                txn.delete(model::PARTS, &pk)?;
            }
            Ok(garbage)
        });
        for blob in garbage.unwrap_or_default() {
            let _ = s3.storage.blobs.delete(&blob);
        }
    }
    let last = entries.last().map(|(k, _)| k.as_slice()).filter(|_| full);
    save_cursor(s3, &cursor_key(bucket, "u"), last);
    entries.len()
}

/// Applies the lifecycle rules of the buckets that have some, a bounded amount per call:
/// buckets take turns from a stored cursor, each visited for at most [`BUCKET_BUDGET`] items.
pub fn tick(s3: &S3, clock: &Clock) {
    let now = clock.now_millis();
    let turn = key::join([""]);
    let start = load_cursor(s3, &turn);
    let mut range = KeyRange::all();
    if let Some(s) = &start {
        range = range.after(s);
    }
    let mut configs = s3
        .kv()
        .scan(LIFECYCLES, &range, Some(TICK_BUDGET / 8), false)
        .unwrap_or_default();
    if configs.is_empty() && start.is_some() {
        configs = s3
            .kv()
            .scan(LIFECYCLES, &KeyRange::all(), Some(TICK_BUDGET / 8), false)
            .unwrap_or_default();
    }
    let mut budget = TICK_BUDGET;
    let mut visited = None;
    for (k, v) in configs {
        if budget == 0 {
            break;
        }
        visited = Some(k.clone());
        let Some(name) = key::split_str(&k).ok().and_then(|p| p.into_iter().next()) else {
            continue;
        };
        let config = LifecycleConfig::from_record(&v).ok();
        let bucket = s3.find_bucket(&name).ok().flatten();
        let (Some(config), Some(bucket)) = (config, bucket) else {
            let _ = s3.kv().delete(LIFECYCLES, &k);
            continue;
        };
        if config.bucket_created_millis != bucket.created_millis {
            let _ = s3.kv().delete(LIFECYCLES, &k);
            continue;
        }
        let Ok(rules) = validate(&json!({ "Rules": config.rules })) else {
            continue;
        };
        let limit = budget.min(BUCKET_BUDGET);
        let mut used = if bucket.versioning.is_some() {
            let locking = crate::object_lock::load_config(s3, &bucket)
                .ok()
                .flatten()
                .is_some();
            visit_versions(s3, &name, &rules, now, limit, locking)
        } else {
            visit_objects(s3, &name, &rules, now, limit)
        };
        used += visit_uploads(s3, &name, &rules, now, (limit / 4).max(1));
        budget = budget.saturating_sub(used.max(1));
    }
    save_cursor(s3, &turn, visited.as_deref());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(v: Value) -> (String, String) {
        let e = validate(&v).unwrap_err();
        (e.code.to_string(), e.message.to_string())
    }

    #[test]
    fn rules_are_validated_as_s3_does() {
        let ok = json!({"Rules": [{"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
            "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}],
            "Expiration": {"Days": 3}}]});
        let rules = validate(&ok).unwrap();
        assert_eq!(rules[0].filter.prefix, "logs/");
        assert_eq!(code(json!({"Rules": []})).0, "MalformedXML");
        let ia = code(json!({"Rules": [{"Status": "Enabled", "Filter": {},
            "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]}]}));
        assert_eq!(ia.0, "InvalidArgument");
        assert_eq!(
            ia.1,
            "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"
        );
        assert_eq!(
            code(json!({"Rules": [{"Status": "On", "Prefix": "", "Expiration": {"Days": 1}}]})).0,
            "MalformedXML"
        );
        assert_eq!(
            code(
                json!({"Rules": [{"Status": "Enabled", "Prefix": "", "Expiration": {"Days": 0}}]})
            )
            .0,
            "InvalidArgument"
        );
        assert_eq!(
            code(
                json!({"Rules": [{"ID": "x".repeat(256), "Status": "Enabled", "Prefix": "",
                "Expiration": {"Days": 1}}]})
            )
            .0,
            "InvalidArgument"
        );
        assert_eq!(
            code(json!({"Rules": [{"Status": "Enabled", "Filter": {"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}},
                "Expiration": {"Days": 1}}]}))
            .0,
            "MalformedXML"
        );
        assert_eq!(
            code(json!({"Rules": [{"Status": "Enabled", "Prefix": ""}]})).0,
            "InvalidArgument"
        );
    }

    #[test]
    fn ages_round_to_the_next_midnight() {
        assert_eq!(after_days(DAY_MILLIS / 2, 1), 2 * DAY_MILLIS);
        assert!(!When::Days(1).due(DAY_MILLIS / 2, 2 * DAY_MILLIS - 1));
        assert!(When::Days(1).due(DAY_MILLIS / 2, 2 * DAY_MILLIS));
        assert!(When::Date(5).due(0, 5));
    }
}
