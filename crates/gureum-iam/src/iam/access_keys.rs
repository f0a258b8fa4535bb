//! Access keys: CreateAccessKey (the secret is answered once and stored sealed), ListAccessKeys,
//! UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed. Without `UserName` these act on the
//! calling IAM user, as AWS does.

use base64::Engine;
use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use super::render::{self, paginate};
use super::{Iam, caller_user, empty, errors, input};
use crate::model::{self, AccessKey};

/// AWS's quota of access keys per user.
pub const KEYS_PER_USER: usize = 2;

fn no_such_key(id: &str) -> AwsError {
    errors::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// The user an access key operation acts on: the named one, else the calling IAM user.
fn target_user(ctx: &RequestContext, named: Option<String>) -> Result<Option<String>, AwsError> {
    match named {
        Some(n) => Ok(Some(n)),
        None => caller_user(ctx),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateAccessKey {
    user_name: Option<String>,
}

pub fn create_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: CreateAccessKey = input(params)?;
    let Some(user_name) = target_user(ctx, req.user_name)? else {
        return Err(AwsError::new(
            "NotImplemented",
            501,
            "gureum does not create access keys for the root user; its keys come from configuration",
        ));
    };
    let account = ctx.account_id();
    let secret = gureum_core::ids::random_secret();
    let now = ctx.clock.now_secs();
    let key = model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &user_name)?
            .ok_or_else(|| errors::no_such_user(&user_name))?;
        if user.access_keys.len() >= KEYS_PER_USER {
            return Err(errors::quota("AccessKeysPerUser", KEYS_PER_USER));
        }
        let mut id = gureum_core::ids::random_id("AKIA", 16);
        while model::get_access_key(txn, &id)?.is_some() {
            id = gureum_core::ids::random_id("AKIA", 16);
        }
        let sealed = iam
            .storage
            .sealer
            .seal(secret.as_bytes(), id.as_bytes())
            .map_err(model::store_error)?;
        let key = AccessKey {
            id: id.clone(),
            account: account.to_string(),
            user_name: user.name.clone(),
            active: true,
            secret_sealed: base64::engine::general_purpose::STANDARD.encode(sealed),
            create_date: now,
        };
        user.access_keys.push(id);
        model::put_access_key(txn, &key)?;
        model::put_user(txn, account, &user)?;
        Ok(key)
    })?;
    Ok(json!({"AccessKey": {
        "UserName": key.user_name,
        "AccessKeyId": key.id,
        "Status": "Active",
        "SecretAccessKey": secret,
        "CreateDate": render::ts(key.create_date),
    }}))
}

fn metadata(key: &AccessKey) -> Value {
    json!({
        "UserName": key.user_name,
        "AccessKeyId": key.id,
        "Status": if key.active { "Active" } else { "Inactive" },
        "CreateDate": render::ts(key.create_date),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAccessKeys {
    user_name: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn list_access_keys(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: ListAccessKeys = input(params)?;
    let account = ctx.account_id();
    let mut items = Vec::new();
    // The root user's keys come from configuration and are not listed.
    if let Some(user_name) = target_user(ctx, req.user_name)? {
        let r = &mut model::Committed(iam.kv());
        let user = model::get_user(r, account, &user_name)?
            .ok_or_else(|| errors::no_such_user(&user_name))?;
        for (i, id) in user.access_keys.iter().enumerate() {
            if let Some(key) = model::get_access_key(r, id)? {
                items.push((format!("{i:03}"), metadata(&key)));
            }
        }
    }
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("AccessKeyMetadata"))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateAccessKey {
    user_name: Option<String>,
    access_key_id: String,
    status: String,
}

/// Loads a key of `account` that belongs to `user` (or to any user when the caller is root and
/// names none).
fn owned_key(
    txn: &mut dyn gureum_store::Txn,
    account: &str,
    user: Option<&str>,
    key_id: &str,
) -> Result<AccessKey, AwsError> {
    if let Some(u) = user {
        if model::get_user(txn, account, u)?.is_none() {
            return Err(errors::no_such_user(u));
        }
    }
    model::get_access_key(txn, key_id)?
        .filter(|k| k.account == account)
        .filter(|k| user.is_none_or(|u| k.user_name.eq_ignore_ascii_case(u)))
        .ok_or_else(|| no_such_key(key_id))
}

pub fn update_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: UpdateAccessKey = input(params)?;
    let user = target_user(ctx, req.user_name)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut key = owned_key(txn, account, user.as_deref(), &req.access_key_id)?;
        key.active = req.status == "Active";
        model::put_access_key(txn, &key)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAccessKey {
    user_name: Option<String>,
    access_key_id: String,
}

pub fn delete_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: DeleteAccessKey = input(params)?;
    let user = target_user(ctx, req.user_name)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let key = owned_key(txn, account, user.as_deref(), &req.access_key_id)?;
        if let Some(mut owner) = model::get_user(txn, account, &key.user_name)? {
            owner.access_keys.retain(|k| *k != key.id);
            model::put_user(txn, account, &owner)?;
        }
        model::delete_access_key(txn, &key.id)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetAccessKeyLastUsed {
    access_key_id: String,
}

pub fn get_access_key_last_used(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: GetAccessKeyLastUsed = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let key = model::get_access_key(r, &req.access_key_id)?
        .filter(|k| k.account == account)
        .ok_or_else(|| no_such_key(&req.access_key_id))?;
    let used = match model::get_key_last_used(r, &key.id)? {
        Some(u) => json!({
            "LastUsedDate": render::ts(u.date),
            "ServiceName": u.service,
            "Region": u.region,
        }),
        None => json!({"ServiceName": "N/A", "Region": "N/A"}),
    };
    Ok(json!({"UserName": key.user_name, "AccessKeyLastUsed": used}))
}
