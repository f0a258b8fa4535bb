//! Groups and memberships: CreateGroup, GetGroup (with its users), ListGroups, UpdateGroup,
//! DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser. A membership lives in
//! both records (the user's `groups`, the group's `members`), written in one transaction.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::render::{self, paginate};
use super::{Iam, empty, errors, input, new_id, validate};
use crate::model::{self, EntityKind, Group};

/// AWS's quota of groups per user.
const GROUPS_PER_USER: usize = 10;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGroup {
    group_name: String,
    path: Option<String>,
}

pub fn create_group(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: CreateGroup = input(params)?;
    validate::name(&req.group_name, "groupName")?;
    let path = req.path.unwrap_or_else(|| "/".into());
    validate::path(&path, "path")?;
    let account = ctx.account_id();
    let group = Group {
        name: req.group_name,
        id: new_id("AGPA"),
        path,
        create_date: ctx.clock.now_secs(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        members: Vec::new(),
    };
    model::transact(iam.kv(), |txn| {
        if model::get_group(txn, account, &group.name)?.is_some() {
            return Err(errors::already_exists(format!(
                "Group with name {} already exists.",
                group.name
            )));
        }
        model::put_group(txn, account, &group)
    })?;
    Ok(json!({"Group": render::group(&group, account)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetGroup {
    group_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn get_group(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: GetGroup = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let group = model::get_group(r, account, &req.group_name)?
        .ok_or_else(|| errors::no_such_group(&req.group_name))?;
    let mut users = Vec::new();
    for name in &group.members {
        if let Some(u) = model::get_user(r, account, name)? {
            users.push((
                u.name.to_ascii_lowercase(),
                render::user(&u, account, false),
            ));
        }
    }
    let mut page = paginate(users, req.marker.as_deref(), req.max_items)?;
    let mut out = Map::new();
    out.insert("Group".into(), render::group(&group, account));
    out.insert(
        "Users".into(),
        Value::Array(std::mem::take(&mut page.items)),
    );
    Ok(page.finish(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGroups {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_groups(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: ListGroups = input(params)?;
    let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
    validate::path_prefix(&prefix)?;
    let account = ctx.account_id();
    let groups = model::list_groups(&mut model::Committed(iam.kv()), account)?;
    let items = groups
        .iter()
        .filter(|g| g.path.starts_with(&prefix))
        .map(|g| (g.name.to_ascii_lowercase(), render::group(g, account)))
        .collect();
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Groups"))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateGroup {
    group_name: String,
    new_path: Option<String>,
    new_group_name: Option<String>,
}

pub fn update_group(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: UpdateGroup = input(params)?;
    if let Some(p) = &req.new_path {
        validate::path(p, "newPath")?;
    }
    if let Some(n) = &req.new_group_name {
        validate::name(n, "newGroupName")?;
    }
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut group = model::get_group(txn, account, &req.group_name)?
            .ok_or_else(|| errors::no_such_group(&req.group_name))?;
        if let Some(p) = &req.new_path {
            group.path = p.clone();
        }
        let old_name = group.name.clone();
        if let Some(new_name) = req.new_group_name.as_ref().filter(|n| **n != old_name) {
            if !new_name.eq_ignore_ascii_case(&old_name)
                && model::get_group(txn, account, new_name)?.is_some()
            {
                return Err(errors::already_exists(format!(
                    "Group with name {new_name} already exists."
                )));
            }
            model::delete_group(txn, account, &old_name)?;
            group.name = new_name.clone();
            for member in &group.members {
                if let Some(mut user) = model::get_user(txn, account, member)? {
                    for g in user.groups.iter_mut() {
                        if g.eq_ignore_ascii_case(&old_name) {
                            *g = group.name.clone();
                        }
                    }
                    model::put_user(txn, account, &user)?;
                }
            }
            for arn in &group.attached_policies {
                model::unindex_attachment(txn, account, arn, EntityKind::Group, &old_name, false)?;
                model::index_attachment(
                    txn,
                    account,
                    arn,
                    EntityKind::Group,
                    &group.name,
                    &group.id,
                    false,
                )?;
            }
        }
        model::put_group(txn, account, &group)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupName {
    group_name: String,
}

pub fn delete_group(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: GroupName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let group = model::get_group(txn, account, &req.group_name)?
            .ok_or_else(|| errors::no_such_group(&req.group_name))?;
        if !group.members.is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        if !group.inline_policies.is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !group.attached_policies.is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        model::delete_group(txn, account, &group.name)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Membership {
    group_name: String,
    user_name: String,
}

pub fn add_user_to_group(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: Membership = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut group = model::get_group(txn, account, &req.group_name)?
            .ok_or_else(|| errors::no_such_group(&req.group_name))?;
        let mut user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        if user
            .groups
            .iter()
            .any(|g| g.eq_ignore_ascii_case(&group.name))
        {
            return Ok(());
        }
        if user.groups.len() >= GROUPS_PER_USER {
            return Err(errors::quota("GroupsPerUser", GROUPS_PER_USER));
        }
        user.groups.push(group.name.clone());
        group.members.push(user.name.clone());
        model::put_user(txn, account, &user)?;
        model::put_group(txn, account, &group)
    })?;
    Ok(empty())
}

pub fn remove_user_from_group(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: Membership = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut group = model::get_group(txn, account, &req.group_name)?
            .ok_or_else(|| errors::no_such_group(&req.group_name))?;
        let mut user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        if !user
            .groups
            .iter()
            .any(|g| g.eq_ignore_ascii_case(&group.name))
        {
            return Err(errors::no_such_entity(format!(
                "User {} is not in group {}.",
                user.name, group.name
            )));
        }
        user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.name));
        group
            .members
            .retain(|m| !m.eq_ignore_ascii_case(&user.name));
        model::put_user(txn, account, &user)?;
        model::put_group(txn, account, &group)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGroupsForUser {
    user_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_groups_for_user(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: ListGroupsForUser = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let user = model::get_user(r, account, &req.user_name)?
        .ok_or_else(|| errors::no_such_user(&req.user_name))?;
    let mut items = Vec::new();
    for name in &user.groups {
        if let Some(g) = model::get_group(r, account, name)? {
            items.push((g.name.to_ascii_lowercase(), render::group(&g, account)));
        }
    }
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Groups"))
}
