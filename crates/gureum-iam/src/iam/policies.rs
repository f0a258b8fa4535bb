//! Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, policy versions (up to
//! five, one default), attach/detach to users, groups and roles, ListAttached*Policies and
//! ListEntitiesForPolicy. AWS managed policies (`arn:aws:iam::aws:policy/...`) attach like any
//! other but cannot be changed or deleted.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::entities::PolicyHolder;
use super::render::{self, paginate};
use super::validate::{self, PolicyKind};
use super::{Iam, empty, errors, input, new_id};
use crate::managed::{self, AwsManagedPolicy};
use crate::model::{
    self, EntityKind, Group, ManagedPolicy, PolicyVersion, Reader, Role, Tag, User,
};

/// AWS's quota of attached managed policies per user, group or role.
pub const ATTACHED_PER_ENTITY: usize = 10;
/// AWS's quota of versions per managed policy.
pub const VERSIONS_PER_POLICY: usize = 5;

/// A managed policy an ARN names.
pub enum Found {
    Aws(&'static AwsManagedPolicy),
    Local(ManagedPolicy),
}

/// The managed policy `arn` names, seen from `account`. An ARN that is not a policy ARN is
/// `InvalidInput`; a policy that does not exist is `None`.
pub fn find<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    arn: &str,
) -> Result<Option<Found>, AwsError> {
    let parsed = validate::policy_arn(arn)?;
    if parsed.account == "aws" {
        return Ok(managed::by_arn(arn).map(Found::Aws));
    }
    if parsed.account != account {
        return Ok(None);
    }
    Ok(model::get_policy(r, account, &parsed.name)?
        .filter(|p| p.path == parsed.path)
        .map(Found::Local))
}

/// Refuses an ARN that names no policy this account can attach.
pub fn require_attachable<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    arn: &str,
) -> Result<(), AwsError> {
    match find(r, account, arn)? {
        Some(_) => Ok(()),
        None => Err(errors::not_attachable(arn)),
    }
}

/// A customer managed policy of this account, or `NoSuchEntity`; AWS managed policies are
/// refused as callers may not change them.
fn require_local<R: Reader + ?Sized>(
    r: &mut R,
    ctx: &RequestContext,
    arn: &str,
    action: &str,
) -> Result<ManagedPolicy, AwsError> {
    match find(r, ctx.account_id(), arn)? {
        Some(Found::Local(p)) => Ok(p),
        Some(Found::Aws(_)) => Err(aws_policy_denied(ctx, action, arn)),
        None => Err(errors::no_such_policy(arn)),
    }
}

/// AWS managed policies belong to AWS: changing one is denied to every caller.
pub fn aws_policy_denied(ctx: &RequestContext, action: &str, arn: &str) -> AwsError {
    AwsError::access_denied(format!(
        "User: {} is not authorized to perform: iam:{action} on resource: policy {arn}",
        ctx.principal.arn
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePolicy {
    policy_name: String,
    path: Option<String>,
    policy_document: String,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

pub fn create_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: CreatePolicy = input(params)?;
    validate::name(&req.policy_name, "policyName")?;
    let path = req.path.unwrap_or_else(|| "/".into());
    validate::policy_path(&path, "path")?;
    validate::tags(&req.tags)?;
    validate::size(&req.policy_document, PolicyKind::Managed, &req.policy_name)?;
    validate::policy(&req.policy_document, PolicyKind::Managed)?;
    let account = ctx.account_id();
    let now = ctx.clock.now_secs();
    let policy = ManagedPolicy {
        name: req.policy_name,
        id: new_id("ANPA"),
        path,
        description: req.description,
        create_date: now,
        update_date: now,
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: req.policy_document,
            create_date: now,
        }],
        next_version: 2,
        tags: req.tags,
    };
    model::transact(iam.kv(), |txn| {
        if model::get_policy(txn, account, &policy.name)?.is_some() {
            return Err(errors::already_exists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                policy.name
            )));
        }
        model::put_policy(txn, account, &policy)
    })?;
    Ok(json!({"Policy": render::local_policy(&policy, account, 0, 0, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyArn {
    policy_arn: String,
}

pub fn get_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: PolicyArn = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let found = find(r, account, &req.policy_arn)?
        .ok_or_else(|| errors::no_such_policy(&req.policy_arn))?;
    let attached = model::attachments_of(r, account, &req.policy_arn, false)?.len() as i64;
    let bounds = model::attachments_of(r, account, &req.policy_arn, true)?.len() as i64;
    let policy = match found {
        Found::Aws(p) => render::aws_policy(p, attached, bounds, true),
        Found::Local(p) => render::local_policy(&p, account, attached, bounds, true),
    };
    Ok(json!({"Policy": policy}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPolicies {
    scope: Option<String>,
    #[serde(default)]
    only_attached: bool,
    path_prefix: Option<String>,
    policy_usage_filter: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_policies(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: ListPolicies = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::policy_path(&prefix, "pathPrefix")?;
    let scope = req.scope.as_deref().unwrap_or("All");
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let attached = model::attachment_counts(r, account, false)?;
    let bounds = model::attachment_counts(r, account, true)?;
    let wanted = |arn: &str| {
        if !req.only_attached {
            return true;
        }
        let a = attached.get(arn).copied().unwrap_or(0);
        let b = bounds.get(arn).copied().unwrap_or(0);
        match req.policy_usage_filter.as_deref() {
            Some("PermissionsPolicy") => a > 0,
            Some("PermissionsBoundary") => b > 0,
            _ => a > 0 || b > 0,
        }
    };
    let count =
        |m: &std::collections::BTreeMap<String, i64>, arn: &str| m.get(arn).copied().unwrap_or(0);
    let mut items = Vec::new();
    if scope != "Local" {
        for p in managed::all() {
            let arn = p.arn();
            if p.path.starts_with(&prefix) && wanted(&arn) {
                let v = render::aws_policy(p, count(&attached, &arn), count(&bounds, &arn), false);
                items.push((format!("{}\0{arn}", p.name.to_ascii_lowercase()), v));
            }
        }
    }
    if scope != "AWS" {
        for p in model::list_policies(r, account)? {
            let arn = p.arn(account);
            if p.path.starts_with(&prefix) && wanted(&arn) {
                let v = render::local_policy(
                    &p,
                    account,
                    count(&attached, &arn),
                    count(&bounds, &arn),
                    false,
                );
                items.push((format!("{}\0{arn}", p.name.to_ascii_lowercase()), v));
            }
        }
    }
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Policies"))
}

pub fn delete_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: PolicyArn = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let policy = require_local(txn, ctx, &req.policy_arn, "DeletePolicy")?;
        if !model::attachments_of(txn, account, &req.policy_arn, false)?.is_empty()
            || !model::attachments_of(txn, account, &req.policy_arn, true)?.is_empty()
        {
            return Err(errors::delete_conflict(
                "Cannot delete a policy attached to entities.",
            ));
        }
        if policy.versions.len() > 1 {
            return Err(errors::delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        model::delete_policy(txn, account, &policy.name)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePolicyVersion {
    policy_arn: String,
    policy_document: String,
    #[serde(default)]
    set_as_default: bool,
}

fn version_view(v: &PolicyVersion, default: &str, with_document: bool) -> Value {
    let mut m = Map::new();
    if with_document {
        m.insert("Document".into(), json!(render::document(&v.document)));
    }
    m.insert("VersionId".into(), json!(v.id));
    m.insert("IsDefaultVersion".into(), json!(v.id == default));
    m.insert("CreateDate".into(), render::ts(v.create_date));
    Value::Object(m)
}

pub fn create_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: CreatePolicyVersion = input(params)?;
    let account = ctx.account_id();
    let now = ctx.clock.now_secs();
    validate::policy_arn(&req.policy_arn)?;
    let out = model::transact(iam.kv(), |txn| {
        let mut policy = require_local(txn, ctx, &req.policy_arn, "CreatePolicyVersion")?;
        validate::size(&req.policy_document, PolicyKind::Managed, &policy.name)?;
        validate::policy(&req.policy_document, PolicyKind::Managed)?;
        if policy.versions.len() >= VERSIONS_PER_POLICY {
            return Err(errors::limit_exceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
            ));
        }
        let version = PolicyVersion {
            id: format!("v{}", policy.next_version),
            document: req.policy_document.clone(),
            create_date: now,
        };
        policy.next_version += 1;
        if req.set_as_default {
            policy.default_version = version.id.clone();
            policy.update_date = now;
        }
        let view = version_view(&version, &policy.default_version, false);
        policy.versions.push(version);
        model::put_policy(txn, account, &policy)?;
        Ok(view)
    })?;
    Ok(json!({"PolicyVersion": out}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersionId {
    policy_arn: String,
    version_id: String,
}

fn check_version_id(id: &str) -> Result<(), AwsError> {
    let ok = id.strip_prefix('v').is_some_and(|rest| {
        let (num, suffix) = rest.split_once('.').unwrap_or((rest, ""));
        num.starts_with(|c: char| ('1'..='9').contains(&c))
            && num.bytes().all(|b| b.is_ascii_digit())
            && suffix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !ok {
        return Err(validate::pattern_error(
            id,
            "versionId",
            r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        ));
    }
    Ok(())
}

fn no_such_version(arn: &str, id: &str) -> AwsError {
    errors::no_such_entity(format!(
        "Policy {arn} version {id} does not exist or is not attachable."
    ))
}

pub fn get_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: PolicyVersionId = input(params)?;
    check_version_id(&req.version_id)?;
    let account = ctx.account_id();
    let found = find(&mut model::Committed(iam.kv()), account, &req.policy_arn)?
        .ok_or_else(|| errors::no_such_policy(&req.policy_arn))?;
    let view = match found {
        Found::Aws(p) if p.version == req.version_id => json!({
            "Document": render::document(p.document),
            "VersionId": p.version,
            "IsDefaultVersion": true,
            "CreateDate": render::ts(p.update_date),
        }),
        Found::Aws(_) => return Err(no_such_version(&req.policy_arn, &req.version_id)),
        Found::Local(p) => {
            let v = p
                .versions
                .iter()
                .find(|v| v.id == req.version_id)
                .ok_or_else(|| no_such_version(&req.policy_arn, &req.version_id))?;
            version_view(v, &p.default_version, true)
        }
    };
    Ok(json!({"PolicyVersion": view}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPolicyVersions {
    policy_arn: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_policy_versions(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ListPolicyVersions = input(params)?;
    let account = ctx.account_id();
    let found = find(&mut model::Committed(iam.kv()), account, &req.policy_arn)?
        .ok_or_else(|| errors::no_such_policy(&req.policy_arn))?;
    // Newest first, as AWS lists them.
    let order = |id: &str| {
        let n: u64 = id
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        format!("{:020}", u64::MAX - n)
    };
    let items = match found {
        Found::Aws(p) => vec![(
            order(p.version),
            json!({"VersionId": p.version, "IsDefaultVersion": true, "CreateDate": render::ts(p.update_date)}),
        )],
        Found::Local(p) => p
            .versions
            .iter()
            .map(|v| (order(&v.id), version_view(v, &p.default_version, false)))
            .collect(),
    };
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Versions"))
}

pub fn delete_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: PolicyVersionId = input(params)?;
    check_version_id(&req.version_id)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut policy = require_local(txn, ctx, &req.policy_arn, "DeletePolicyVersion")?;
        if !policy.versions.iter().any(|v| v.id == req.version_id) {
            return Err(no_such_version(&req.policy_arn, &req.version_id));
        }
        if policy.default_version == req.version_id {
            return Err(errors::delete_conflict(
                "Cannot delete the default version of a policy.",
            ));
        }
        policy.versions.retain(|v| v.id != req.version_id);
        model::put_policy(txn, account, &policy)
    })?;
    Ok(empty())
}

pub fn set_default_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: PolicyVersionId = input(params)?;
    check_version_id(&req.version_id)?;
    let account = ctx.account_id();
    let now = ctx.clock.now_secs();
    model::transact(iam.kv(), |txn| {
        let mut policy = require_local(txn, ctx, &req.policy_arn, "SetDefaultPolicyVersion")?;
        if !policy.versions.iter().any(|v| v.id == req.version_id) {
            return Err(no_such_version(&req.policy_arn, &req.version_id));
        }
        policy.default_version = req.version_id.clone();
        policy.update_date = now;
        model::put_policy(txn, account, &policy)
    })?;
    Ok(empty())
}

/// The entity name member of an Attach/Detach/ListAttached request.
fn entity_name<H: PolicyHolder>(params: &Value) -> Result<String, AwsError> {
    params
        .get(H::NAME_MEMBER)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AwsError::validation(format!("{} is required", H::NAME_MEMBER)))
}

fn attach<H: PolicyHolder>(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: PolicyArn = input(params)?;
    let account = ctx.account_id();
    validate::policy_arn(&req.policy_arn)?;
    model::transact(iam.kv(), |txn| {
        let mut entity = H::require(txn, account, &name)?;
        entity.check_modifiable()?;
        require_attachable(txn, account, &req.policy_arn)?;
        if entity.attached().iter().any(|a| *a == req.policy_arn) {
            return Ok(());
        }
        if entity.attached().len() >= ATTACHED_PER_ENTITY {
            return Err(errors::quota(H::ATTACH_QUOTA, ATTACHED_PER_ENTITY));
        }
        entity.attached().push(req.policy_arn.clone());
        model::index_attachment(
            txn,
            account,
            &req.policy_arn,
            H::KIND,
            entity.name(),
            entity.id(),
            false,
        )?;
        entity.store(txn, account)
    })?;
    Ok(empty())
}

fn detach<H: PolicyHolder>(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: PolicyArn = input(params)?;
    let account = ctx.account_id();
    validate::policy_arn(&req.policy_arn)?;
    model::transact(iam.kv(), |txn| {
        let mut entity = H::require(txn, account, &name)?;
        entity.check_modifiable()?;
        if !entity.attached().iter().any(|a| *a == req.policy_arn) {
            return Err(errors::no_such_policy(&req.policy_arn));
        }
        entity.attached().retain(|a| *a != req.policy_arn);
        model::unindex_attachment(txn, account, &req.policy_arn, H::KIND, entity.name(), false)?;
        entity.store(txn, account)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAttached {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

fn list_attached<H: PolicyHolder>(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: ListAttached = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::policy_path(&prefix, "pathPrefix")?;
    let account = ctx.account_id();
    let mut entity = H::require(&mut model::Committed(iam.kv()), account, &name)?;
    let items = entity
        .attached()
        .iter()
        .enumerate()
        .filter_map(|(i, arn)| {
            let p = validate::policy_arn(arn).ok()?;
            p.path.starts_with(&prefix).then(|| {
                (
                    format!("{i:05}"),
                    json!({"PolicyName": p.name, "PolicyArn": arn}),
                )
            })
        })
        .collect();
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("AttachedPolicies"))
}

pub fn attach_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    attach::<User>(iam, ctx, params)
}
pub fn attach_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    attach::<Group>(iam, ctx, params)
}
pub fn attach_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    attach::<Role>(iam, ctx, params)
}
pub fn detach_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    detach::<User>(iam, ctx, params)
}
pub fn detach_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    detach::<Group>(iam, ctx, params)
}
pub fn detach_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    detach::<Role>(iam, ctx, params)
}
pub fn list_attached_user_policies(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list_attached::<User>(iam, ctx, params)
}
pub fn list_attached_group_policies(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list_attached::<Group>(iam, ctx, params)
}
pub fn list_attached_role_policies(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list_attached::<Role>(iam, ctx, params)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListEntitiesForPolicy {
    policy_arn: String,
    entity_filter: Option<String>,
    path_prefix: Option<String>,
    policy_usage_filter: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_entities_for_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ListEntitiesForPolicy = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::path_prefix(&prefix)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    if find(r, account, &req.policy_arn)?.is_none() {
        return Err(errors::no_such_policy(&req.policy_arn));
    }
    let mut found = Vec::new();
    let usage = req.policy_usage_filter.as_deref();
    if usage != Some("PermissionsBoundary") {
        found.extend(model::attachments_of(r, account, &req.policy_arn, false)?);
    }
    if usage != Some("PermissionsPolicy") {
        found.extend(model::attachments_of(r, account, &req.policy_arn, true)?);
    }
    let mut items = Vec::new();
    for a in found {
        let wanted = match req.entity_filter.as_deref() {
            None => true,
            Some("User") => a.kind == EntityKind::User,
            Some("Group") => a.kind == EntityKind::Group,
            Some("Role") => a.kind == EntityKind::Role,
            Some(_) => false,
        };
        if !wanted {
            continue;
        }
        let (path, view) = match a.kind {
            EntityKind::User => match model::get_user(r, account, &a.name)? {
                Some(u) => (u.path, json!({"UserName": u.name, "UserId": u.id})),
                None => continue,
            },
            EntityKind::Group => match model::get_group(r, account, &a.name)? {
                Some(g) => (g.path, json!({"GroupName": g.name, "GroupId": g.id})),
                None => continue,
            },
            EntityKind::Role => match model::get_role(r, account, &a.name)? {
                Some(role) => (role.path, json!({"RoleName": role.name, "RoleId": role.id})),
                None => continue,
            },
        };
        if path.starts_with(&prefix) {
            let key = format!("{}\0{}", a.kind.as_str(), a.name.to_ascii_lowercase());
            items.push((key, json!({"kind": a.kind.as_str(), "view": view})));
        }
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.dedup_by(|a, b| a.0 == b.0);
    let mut page = paginate(items, req.marker.as_deref(), req.max_items)?;
    let (mut users, mut groups, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for item in std::mem::take(&mut page.items) {
        let view = item["view"].clone();
        match item["kind"].as_str() {
            Some("user") => users.push(view),
            Some("group") => groups.push(view),
            _ => roles.push(view),
        }
    }
    let mut out = Map::new();
    out.insert("PolicyGroups".into(), Value::Array(groups));
    out.insert("PolicyUsers".into(), Value::Array(users));
    out.insert("PolicyRoles".into(), Value::Array(roles));
    Ok(page.finish(out))
}
