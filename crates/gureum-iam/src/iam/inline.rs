//! Inline policies of users, groups and roles: Put/Get/List/Delete{User,Group,Role}Policy.
//! Documents are kept as given and returned URL-encoded; the size quota is the entity's
//! aggregate, as AWS counts it.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::PolicyHolder;
use super::render::{self, paginate};
use super::{Iam, empty, input, validate};
use crate::model::{self, Group, Role, User};

fn entity_name<H: PolicyHolder>(params: &Value) -> Result<String, AwsError> {
    params
        .get(H::NAME_MEMBER)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AwsError::validation(format!("{} is required", H::NAME_MEMBER)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutPolicy {
    policy_name: String,
    policy_document: String,
}

fn put<H: PolicyHolder>(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: PutPolicy = input(params)?;
    validate::name(&req.policy_name, "policyName")?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut entity = H::require(txn, account, &name)?;
        entity.check_modifiable()?;
        // The quota is on all inline policies of the entity together.
        let mut all: String = entity
            .inline()
            .iter()
            .filter(|(n, _)| **n != req.policy_name)
            .map(|(_, d)| d.as_str())
            .collect();
        all.push_str(&req.policy_document);
        validate::size(&all, H::INLINE_KIND, entity.name())?;
        validate::policy(&req.policy_document, H::INLINE_KIND)?;
        entity
            .inline()
            .insert(req.policy_name.clone(), req.policy_document.clone());
        entity.store(txn, account)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyName {
    policy_name: String,
}

fn get<H: PolicyHolder>(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: PolicyName = input(params)?;
    let account = ctx.account_id();
    let mut entity = H::require(&mut model::Committed(iam.kv()), account, &name)?;
    let doc = entity
        .inline()
        .get(&req.policy_name)
        .cloned()
        .ok_or_else(|| entity.missing_inline(&req.policy_name))?;
    Ok(json!({
        (H::NAME_MEMBER): entity.name(),
        "PolicyName": req.policy_name,
        "PolicyDocument": render::document(&doc),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPolicies {
    marker: Option<String>,
    max_items: Option<i64>,
}

fn list<H: PolicyHolder>(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: ListPolicies = input(params)?;
    let account = ctx.account_id();
    let mut entity = H::require(&mut model::Committed(iam.kv()), account, &name)?;
    let items = entity
        .inline()
        .keys()
        .map(|k| (k.clone(), json!(k)))
        .collect();
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("PolicyNames"))
}

fn delete<H: PolicyHolder>(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let name = entity_name::<H>(&params)?;
    let req: PolicyName = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut entity = H::require(txn, account, &name)?;
        entity.check_modifiable()?;
        if entity.inline().remove(&req.policy_name).is_none() {
            return Err(entity.missing_inline(&req.policy_name));
        }
        entity.store(txn, account)
    })?;
    Ok(empty())
}

pub fn put_user_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    put::<User>(iam, ctx, params)
}
pub fn get_user_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    get::<User>(iam, ctx, params)
}
pub fn list_user_policies(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list::<User>(iam, ctx, params)
}
pub fn delete_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    delete::<User>(iam, ctx, params)
}
pub fn put_group_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    put::<Group>(iam, ctx, params)
}
pub fn get_group_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    get::<Group>(iam, ctx, params)
}
pub fn list_group_policies(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list::<Group>(iam, ctx, params)
}
pub fn delete_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    delete::<Group>(iam, ctx, params)
}
pub fn put_role_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    put::<Role>(iam, ctx, params)
}
pub fn get_role_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    get::<Role>(iam, ctx, params)
}
pub fn list_role_policies(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list::<Role>(iam, ctx, params)
}
pub fn delete_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    delete::<Role>(iam, ctx, params)
}
