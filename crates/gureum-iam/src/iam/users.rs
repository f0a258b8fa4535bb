//! Users: CreateUser, GetUser (the caller when no name is given), ListUsers, UpdateUser (rename
//! and move, keeping groups, attachments and keys in step), DeleteUser (refused while anything
//! hangs off the user), and user permissions boundaries.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use super::render::{self, paginate};
use super::{Iam, caller_user, empty, errors, input, new_id, policies, validate};
use crate::model::{self, EntityKind, Tag, User};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateUser {
    user_name: String,
    path: Option<String>,
    permissions_boundary: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

pub fn create_user(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: CreateUser = input(params)?;
    validate::name(&req.user_name, "userName")?;
    let path = req.path.unwrap_or_else(|| "/".into());
    validate::path(&path, "path")?;
    validate::tags(&req.tags)?;
    let account = ctx.account_id();
    let user = User {
        name: req.user_name.clone(),
        id: new_id("AIDA"),
        path,
        create_date: ctx.clock.now_secs(),
        tags: req.tags,
        permissions_boundary: req.permissions_boundary,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        groups: Vec::new(),
        access_keys: Vec::new(),
        login_profile: None,
        password_last_used: None,
    };
    model::transact(iam.kv(), |txn| {
        if let Some(b) = &user.permissions_boundary {
            policies::require_attachable(txn, account, b)?;
        }
        if model::get_user(txn, account, &user.name)?.is_some() {
            return Err(errors::already_exists(format!(
                "User with name {} already exists.",
                user.name
            )));
        }
        if let Some(b) = &user.permissions_boundary {
            model::index_attachment(
                txn,
                account,
                b,
                EntityKind::User,
                &user.name,
                &user.id,
                true,
            )?;
        }
        model::put_user(txn, account, &user)
    })?;
    Ok(json!({"User": render::user(&user, account, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetUser {
    user_name: Option<String>,
}

pub fn get_user(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: GetUser = input(params)?;
    let account = ctx.account_id();
    let name = match req.user_name {
        Some(n) => n,
        None => match caller_user(ctx)? {
            Some(n) => n,
            None => return root_user(iam, ctx),
        },
    };
    let user = model::get_user(&mut model::Committed(iam.kv()), account, &name)?
        .ok_or_else(|| errors::no_such_user(&name))?;
    Ok(json!({"User": render::user(&user, account, true)}))
}

/// GetUser called by the root user without a name: the root user, as AWS shows it.
fn root_user(iam: &Iam, ctx: &RequestContext) -> Result<Value, AwsError> {
    let account = ctx.account_id();
    let created = model::get_setting(&mut model::Committed(iam.kv()), account, "root-created")?;
    let created = match created.and_then(|v| v.as_i64()) {
        Some(t) => t,
        None => {
            let now = ctx.clock.now_secs();
            model::transact(iam.kv(), |txn| {
                match model::get_setting(txn, account, "root-created")?.and_then(|v| v.as_i64()) {
                    Some(t) => Ok(t),
                    None => {
                        model::put_setting(txn, account, "root-created", json!(now))?;
                        Ok(now)
                    }
                }
            })?
        }
    };
    Ok(json!({"User": {
        "UserId": account,
        "Arn": format!("arn:aws:iam::{account}:root"),
        "CreateDate": render::ts(created),
    }}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsers {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_users(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: ListUsers = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::path_prefix(&prefix)?;
    let account = ctx.account_id();
    let users = model::list_users(&mut model::Committed(iam.kv()), account)?;
    let items = users
        .iter()
        .filter(|u| u.path.starts_with(&prefix))
        .map(|u| (u.name.to_ascii_lowercase(), render::user(u, account, false)))
        .collect();
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Users"))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateUser {
    user_name: String,
    new_path: Option<String>,
    new_user_name: Option<String>,
}

pub fn update_user(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: UpdateUser = input(params)?;
    if let Some(p) = &req.new_path {
        validate::path(p, "newPath")?;
    }
    if let Some(n) = &req.new_user_name {
        validate::name(n, "newUserName")?;
    }
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        if let Some(p) = &req.new_path {
            user.path = p.clone();
        }
        let old_name = user.name.clone();
        if let Some(new_name) = req.new_user_name.as_ref().filter(|n| **n != old_name) {
            let renamed = !new_name.eq_ignore_ascii_case(&old_name);
            if renamed && model::get_user(txn, account, new_name)?.is_some() {
                return Err(errors::already_exists(format!(
                    "User with name {new_name} already exists."
                )));
            }
            model::delete_user(txn, account, &old_name)?;
            user.name = new_name.clone();
            rename_references(txn, account, &user, &old_name)?;
        }
        model::put_user(txn, account, &user)
    })?;
    Ok(empty())
}

/// Keeps groups, the attachment indexes and access keys pointing at a renamed user.
fn rename_references(
    txn: &mut dyn gureum_store::Txn,
    account: &str,
    user: &User,
    old_name: &str,
) -> Result<(), AwsError> {
    for g in &user.groups {
        if let Some(mut group) = model::get_group(txn, account, g)? {
            for m in group.members.iter_mut() {
                if m.eq_ignore_ascii_case(old_name) {
                    *m = user.name.clone();
                }
            }
            model::put_group(txn, account, &group)?;
        }
    }
    for arn in &user.attached_policies {
        model::unindex_attachment(txn, account, arn, EntityKind::User, old_name, false)?;
        model::index_attachment(
            txn,
            account,
            arn,
            EntityKind::User,
            &user.name,
            &user.id,
            false,
        )?;
    }
    if let Some(b) = &user.permissions_boundary {
        model::unindex_attachment(txn, account, b, EntityKind::User, old_name, true)?;
        model::index_attachment(
            txn,
            account,
            b,
            EntityKind::User,
            &user.name,
            &user.id,
            true,
        )?;
    }
    for key_id in &user.access_keys {
        if let Some(mut key) = model::get_access_key(txn, key_id)? {
            key.user_name = user.name.clone();
            model::put_access_key(txn, &key)?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserName {
    user_name: String,
}

pub fn delete_user(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: UserName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        let conflict = if user.login_profile.is_some() {
            Some("Cannot delete entity, must delete login profile first.")
        } else if !user.access_keys.is_empty() {
            Some("Cannot delete entity, must delete access keys first.")
        } else if !user.inline_policies.is_empty() {
            Some("Cannot delete entity, must delete policies first.")
        } else if !user.attached_policies.is_empty() {
            Some("Cannot delete entity, must detach all policies first.")
        } else if !user.groups.is_empty() {
            Some("Cannot delete entity, must remove user from all groups first.")
        } else {
            None
        };
        if let Some(message) = conflict {
            return Err(errors::delete_conflict(message));
        }
        if let Some(b) = &user.permissions_boundary {
            model::unindex_attachment(txn, account, b, EntityKind::User, &user.name, true)?;
        }
        model::delete_user(txn, account, &user.name)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutBoundary {
    user_name: String,
    permissions_boundary: String,
}

pub fn put_boundary(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: PutBoundary = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        policies::require_attachable(txn, account, &req.permissions_boundary)?;
        if let Some(old) = &user.permissions_boundary {
            model::unindex_attachment(txn, account, old, EntityKind::User, &user.name, true)?;
        }
        model::index_attachment(
            txn,
            account,
            &req.permissions_boundary,
            EntityKind::User,
            &user.name,
            &user.id,
            true,
        )?;
        user.permissions_boundary = Some(req.permissions_boundary.clone());
        model::put_user(txn, account, &user)
    })?;
    Ok(empty())
}

pub fn delete_boundary(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: UserName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        if let Some(old) = user.permissions_boundary.take() {
            model::unindex_attachment(txn, account, &old, EntityKind::User, &user.name, true)?;
            model::put_user(txn, account, &user)?;
        }
        Ok(())
    })?;
    Ok(empty())
}
