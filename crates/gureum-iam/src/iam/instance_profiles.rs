//! Instance profiles: Create/Get/List/DeleteInstanceProfile, Add/RemoveRoleFromInstanceProfile
//! and ListInstanceProfilesForRole. The link lives in both records (the profile's `roles`, the
//! role's `instance_profiles`), written in one transaction.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::PolicyHolder;
use super::render::{self, paginate};
use super::{Iam, empty, errors, input, new_id, validate};
use crate::model::{self, InstanceProfile, Reader, Role, Tag};

/// AWS's quota of roles per instance profile.
const ROLES_PER_PROFILE: usize = 1;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInstanceProfile {
    instance_profile_name: String,
    path: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

pub fn create_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: CreateInstanceProfile = input(params)?;
    validate::name(&req.instance_profile_name, "instanceProfileName")?;
    let path = req.path.unwrap_or_else(|| "/".into());
    validate::path(&path, "path")?;
    validate::tags(&req.tags)?;
    let account = ctx.account_id();
    let profile = InstanceProfile {
        name: req.instance_profile_name,
        id: new_id("AIPA"),
        path,
        create_date: ctx.clock.now_secs(),
        roles: Vec::new(),
        tags: req.tags,
    };
    model::transact(iam.kv(), |txn| {
        if model::get_instance_profile(txn, account, &profile.name)?.is_some() {
            return Err(errors::already_exists(format!(
                "Instance Profile {} already exists.",
                profile.name
            )));
        }
        model::put_instance_profile(txn, account, &profile)
    })?;
    Ok(json!({"InstanceProfile": render::instance_profile(&profile, account, &[], true)}))
}

/// The roles of a profile, loaded.
fn roles_of<R: Reader + ?Sized>(
    r: &mut R,
    account: &str,
    p: &InstanceProfile,
) -> Result<Vec<Role>, AwsError> {
    let mut roles = Vec::new();
    for name in &p.roles {
        if let Some(role) = model::get_role(r, account, name)? {
            roles.push(role);
        }
    }
    Ok(roles)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProfileName {
    instance_profile_name: String,
}

pub fn get_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ProfileName = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let p = model::get_instance_profile(r, account, &req.instance_profile_name)?
        .ok_or_else(|| errors::no_such_instance_profile(&req.instance_profile_name))?;
    let roles = roles_of(r, account, &p)?;
    Ok(json!({"InstanceProfile": render::instance_profile(&p, account, &roles, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListProfiles {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_instance_profiles(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ListProfiles = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::path_prefix(&prefix)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let mut items = Vec::new();
    for p in model::list_instance_profiles(r, account)? {
        if p.path.starts_with(&prefix) {
            let roles = roles_of(r, account, &p)?;
            items.push((
                p.name.to_ascii_lowercase(),
                render::instance_profile(&p, account, &roles, false),
            ));
        }
    }
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("InstanceProfiles"))
}

pub fn delete_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ProfileName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let p = model::get_instance_profile(txn, account, &req.instance_profile_name)?
            .ok_or_else(|| errors::no_such_instance_profile(&req.instance_profile_name))?;
        if !p.roles.is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            ));
        }
        model::delete_instance_profile(txn, account, &p.name)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProfileRole {
    instance_profile_name: String,
    role_name: String,
}

pub fn add_role_to_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ProfileRole = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut p = model::get_instance_profile(txn, account, &req.instance_profile_name)?
            .ok_or_else(|| errors::no_such_instance_profile(&req.instance_profile_name))?;
        let mut role = Role::require(txn, account, &req.role_name)?;
        if p.roles.len() >= ROLES_PER_PROFILE {
            return Err(errors::quota(
                "InstanceSessionsPerInstanceProfile",
                ROLES_PER_PROFILE,
            ));
        }
        p.roles.push(role.name.clone());
        role.instance_profiles.push(p.name.clone());
        model::put_instance_profile(txn, account, &p)?;
        model::put_role(txn, account, &role)
    })?;
    Ok(empty())
}

pub fn remove_role_from_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ProfileRole = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut p = model::get_instance_profile(txn, account, &req.instance_profile_name)?
            .ok_or_else(|| errors::no_such_instance_profile(&req.instance_profile_name))?;
        let mut role = Role::require(txn, account, &req.role_name)?;
        if !p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name)) {
            return Err(errors::no_such_role(&req.role_name));
        }
        p.roles.retain(|r| !r.eq_ignore_ascii_case(&role.name));
        role.instance_profiles
            .retain(|n| !n.eq_ignore_ascii_case(&p.name));
        model::put_instance_profile(txn, account, &p)?;
        model::put_role(txn, account, &role)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListForRole {
    role_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_instance_profiles_for_role(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ListForRole = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let role = Role::require(r, account, &req.role_name)?;
    let mut items = Vec::new();
    for name in &role.instance_profiles {
        if let Some(p) = model::get_instance_profile(r, account, name)? {
            let roles = roles_of(r, account, &p)?;
            items.push((
                p.name.to_ascii_lowercase(),
                render::instance_profile(&p, account, &roles, false),
            ));
        }
    }
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("InstanceProfiles"))
}
