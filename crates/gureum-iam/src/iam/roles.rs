//! Roles: CreateRole (trust policy validated as one), GetRole, ListRoles, UpdateRole,
//! UpdateRoleDescription, UpdateAssumeRolePolicy, DeleteRole, and role permissions boundaries.
//! Service-linked roles answer `UnmodifiableEntity` to everything but their own delete.

use gureum_core::{AwsError, RequestContext};
use gureum_store::Txn;
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::PolicyHolder;
use super::render::{self, paginate};
use super::validate::PolicyKind;
use super::{Iam, empty, errors, input, new_id, policies, validate};
use crate::model::{self, EntityKind, Role, Tag};

/// A role's session length when CreateRole names none.
pub const DEFAULT_MAX_SESSION: i64 = 3600;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRole {
    role_name: String,
    path: Option<String>,
    assume_role_policy_document: String,
    description: Option<String>,
    max_session_duration: Option<i64>,
    permissions_boundary: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

/// Checks a trust policy: its size quota, then its grammar.
pub fn check_trust_policy(doc: &str) -> Result<(), AwsError> {
    validate::size(doc, PolicyKind::Trust, "")?;
    validate::policy(doc, PolicyKind::Trust)
}

pub fn create_role(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: CreateRole = input(params)?;
    validate::name(&req.role_name, "roleName")?;
    let path = req.path.unwrap_or_else(|| "/".into());
    validate::path(&path, "path")?;
    validate::tags(&req.tags)?;
    check_trust_policy(&req.assume_role_policy_document)?;
    let account = ctx.account_id();
    let role = Role {
        name: req.role_name,
        id: new_id("AROA"),
        path,
        create_date: ctx.clock.now_secs(),
        assume_role_policy: req.assume_role_policy_document,
        description: req.description,
        max_session_duration: req.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION),
        tags: req.tags,
        permissions_boundary: req.permissions_boundary,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        instance_profiles: Vec::new(),
        linked_service: None,
        last_used: None,
    };
    insert_role(iam, account, &role)?;
    let mut out = render::role(&role, account, true);
    if let Some(m) = out.as_object_mut() {
        m.remove("RoleLastUsed");
    }
    Ok(json!({"Role": out}))
}

/// Stores a new role, refusing a taken name and an unattachable boundary.
pub fn insert_role(iam: &Iam, account: &str, role: &Role) -> Result<(), AwsError> {
    model::transact(iam.kv(), |txn| {
        if let Some(b) = &role.permissions_boundary {
            policies::require_attachable(txn, account, b)?;
        }
        if model::get_role(txn, account, &role.name)?.is_some() {
            return Err(errors::already_exists(format!(
                "Role with name {} already exists.",
                role.name
            )));
        }
        if let Some(b) = &role.permissions_boundary {
            model::index_attachment(
                txn,
                account,
                b,
                EntityKind::Role,
                &role.name,
                &role.id,
                true,
            )?;
        }
        model::put_role(txn, account, role)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleName {
    role_name: String,
}

pub fn get_role(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: RoleName = input(params)?;
    let account = ctx.account_id();
    let role = Role::require(&mut model::Committed(iam.kv()), account, &req.role_name)?;
    Ok(json!({"Role": render::role(&role, account, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRoles {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_roles(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: ListRoles = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::path_prefix(&prefix)?;
    let account = ctx.account_id();
    let roles = model::list_roles(&mut model::Committed(iam.kv()), account)?;
    let items = roles
        .iter()
        .filter(|r| r.path.starts_with(&prefix))
        .map(|r| (r.name.to_ascii_lowercase(), render::role(r, account, false)))
        .collect();
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Roles"))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateRole {
    role_name: String,
    description: Option<String>,
    max_session_duration: Option<i64>,
}

pub fn update_role(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: UpdateRole = input(params)?;
    let account = ctx.account_id();
    modify_role(iam, account, &req.role_name, false, |role| {
        if let Some(d) = &req.description {
            role.description = Some(d.clone());
        }
        if let Some(m) = req.max_session_duration {
            role.max_session_duration = m;
        }
        Ok(())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateRoleDescription {
    role_name: String,
    description: String,
}

pub fn update_role_description(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: UpdateRoleDescription = input(params)?;
    let account = ctx.account_id();
    let role = modify_role(iam, account, &req.role_name, false, |role| {
        role.description = Some(req.description.clone());
        Ok(())
    })?;
    Ok(json!({"Role": render::role(&role, account, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateAssumeRolePolicy {
    role_name: String,
    policy_document: String,
}

pub fn update_assume_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: UpdateAssumeRolePolicy = input(params)?;
    let account = ctx.account_id();
    check_trust_policy(&req.policy_document)?;
    modify_role(iam, account, &req.role_name, true, |role| {
        role.assume_role_policy = req.policy_document.clone();
        Ok(())
    })?;
    Ok(empty())
}

/// Loads a role, applies `change` and stores it, in one transaction. `protected` refuses
/// service-linked roles.
fn modify_role(
    iam: &Iam,
    account: &str,
    name: &str,
    protected: bool,
    mut change: impl FnMut(&mut Role) -> Result<(), AwsError>,
) -> Result<Role, AwsError> {
    model::transact(iam.kv(), |txn| {
        let mut role = Role::require(txn, account, name)?;
        if protected {
            role.check_modifiable()?;
        }
        change(&mut role)?;
        model::put_role(txn, account, &role)?;
        Ok(role)
    })
}

pub fn delete_role(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: RoleName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let role = Role::require(txn, account, &req.role_name)?;
        role.check_modifiable()?;
        remove_role(txn, account, &role)
    })?;
    Ok(empty())
}

/// Deletes a role that nothing hangs off, or answers AWS's `DeleteConflict`.
pub fn remove_role(txn: &mut dyn Txn, account: &str, role: &Role) -> Result<(), AwsError> {
    if !role.instance_profiles.is_empty() {
        return Err(errors::delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    if !role.inline_policies.is_empty() {
        return Err(errors::delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !role.attached_policies.is_empty() {
        return Err(errors::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if let Some(b) = &role.permissions_boundary {
        model::unindex_attachment(txn, account, b, EntityKind::Role, &role.name, true)?;
    }
    model::delete_role(txn, account, &role.name)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutBoundary {
    role_name: String,
    permissions_boundary: String,
}

pub fn put_boundary(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: PutBoundary = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut role = Role::require(txn, account, &req.role_name)?;
        role.check_modifiable()?;
        policies::require_attachable(txn, account, &req.permissions_boundary)?;
        if let Some(old) = &role.permissions_boundary {
            model::unindex_attachment(txn, account, old, EntityKind::Role, &role.name, true)?;
        }
        model::index_attachment(
            txn,
            account,
            &req.permissions_boundary,
            EntityKind::Role,
            &role.name,
            &role.id,
            true,
        )?;
        role.permissions_boundary = Some(req.permissions_boundary.clone());
        model::put_role(txn, account, &role)
    })?;
    Ok(empty())
}

pub fn delete_boundary(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: RoleName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut role = Role::require(txn, account, &req.role_name)?;
        role.check_modifiable()?;
        if let Some(old) = role.permissions_boundary.take() {
            model::unindex_attachment(txn, account, &old, EntityKind::Role, &role.name, true)?;
            model::put_role(txn, account, &role)?;
        }
        Ok(())
    })?;
    Ok(empty())
}
