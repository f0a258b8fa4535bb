//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. An alias names one key of its
//! account and region; `alias/aws/` is reserved for AWS managed keys.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::keys::{page_output, paginate};
use crate::model::{self, AliasRecord, KeyRef};
use crate::{Kms, empty, errors, input, now, now_ts};

/// Checks an alias name as AWS does before anything else (moto: `_set_alias`).
fn check_name(name: &str) -> Result<(), AwsError> {
    if !name.starts_with("alias/") {
        return Err(errors::validation("Invalid identifier"));
    }
    if name.starts_with("alias/aws/") {
        return Err(errors::not_authorized(format!(
            "{name} is reserved for AWS managed keys"
        )));
    }
    if name.contains(':') {
        return Err(errors::validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    if name.len() <= "alias/".len() {
        return Err(errors::validation("Invalid identifier"));
    }
    Ok(())
}

/// The target of CreateAlias/UpdateAlias: a key id or key ARN of the caller's account and
/// region, never another alias.
fn target_ref(ctx: &RequestContext, target: &str) -> Result<KeyRef, AwsError> {
    if target.starts_with("alias/") || target.contains(":alias/") {
        return Err(errors::validation(
            "Aliases must refer to keys. Not aliases",
        ));
    }
    KeyRef::parse(ctx, target, false)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliasInput {
    alias_name: String,
    target_key_id: String,
}

pub fn create_alias(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: AliasInput = input(params)?;
    check_name(&i.alias_name)?;
    let target = target_ref(ctx, &i.target_key_id)?;
    let (account, region, now) = (ctx.account_id(), ctx.region.as_str(), now(ctx));
    let stamp = now_ts(ctx);
    model::transact(kms.kv(), |txn| {
        let key = model::resolve(txn, &target, now)?;
        if model::get_alias(txn, account, region, &i.alias_name, now)?.is_some() {
            return Err(errors::already_exists(format!(
                "An alias with the name {} already exists",
                model::alias_arn(region, account, &i.alias_name)
            )));
        }
        let alias = AliasRecord {
            name: i.alias_name.clone(),
            target_key_id: key.key_id,
            created: stamp,
            updated: stamp,
        };
        let k = model::alias_key(account, region, &alias.name);
        model::write(txn, model::ALIASES, &k, &alias)
    })?;
    Ok(empty())
}

pub fn update_alias(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: AliasInput = input(params)?;
    check_name(&i.alias_name)?;
    let target = target_ref(ctx, &i.target_key_id)?;
    let (account, region, now) = (ctx.account_id(), ctx.region.as_str(), now(ctx));
    let stamp = now_ts(ctx);
    model::transact(kms.kv(), |txn| {
        let mut alias =
            model::get_alias(txn, account, region, &i.alias_name, now)?.ok_or_else(|| {
                errors::alias_not_found(&model::alias_arn(region, account, &i.alias_name))
            })?;
        let key = model::resolve(txn, &target, now)?;
        alias.target_key_id = key.key_id;
        alias.updated = stamp;
        let k = model::alias_key(account, region, &alias.name);
        model::write(txn, model::ALIASES, &k, &alias)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAliasInput {
    alias_name: String,
}

pub fn delete_alias(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: DeleteAliasInput = input(params)?;
    if !i.alias_name.starts_with("alias/") {
        return Err(errors::validation("Invalid identifier"));
    }
    if i.alias_name.starts_with("alias/aws/") {
        return Err(errors::not_authorized(format!(
            "{} is reserved for AWS managed keys",
            i.alias_name
        )));
    }
    let (account, region, now) = (ctx.account_id(), ctx.region.as_str(), now(ctx));
    model::transact(kms.kv(), |txn| {
        if model::get_alias(txn, account, region, &i.alias_name, now)?.is_none() {
            return Err(errors::alias_not_found(&model::alias_arn(
                region,
                account,
                &i.alias_name,
            )));
        }
        txn.delete(
            model::ALIASES,
            &model::alias_key(account, region, &i.alias_name),
        )
        .map_err(errors::store)?;
        Ok(())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAliasesInput {
    key_id: Option<String>,
    limit: Option<usize>,
    marker: Option<String>,
}

pub fn list_aliases(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: ListAliasesInput = input(params)?;
    let (account, region, now) = (ctx.account_id(), ctx.region.as_str(), now(ctx));
    let mut aliases = model::list_aliases(kms.kv(), account, region, now)?;
    if let Some(id) = &i.key_id {
        let key_ref = KeyRef::parse(ctx, id, false)?;
        let key = model::resolve(&mut model::Committed(kms.kv()), &key_ref, now)?;
        aliases.retain(|a| a.target_key_id == key.key_id);
    }
    let (page, next) = paginate(aliases, i.limit, i.marker.as_deref(), |a| &a.name);
    let entries: Vec<Value> = page
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.name,
                "AliasArn": model::alias_arn(region, account, &a.name),
                "TargetKeyId": a.target_key_id,
                "CreationDate": a.created,
                "LastUpdatedDate": a.updated,
            })
        })
        .collect();
    Ok(page_output(json!({"Aliases": entries}), next))
}
