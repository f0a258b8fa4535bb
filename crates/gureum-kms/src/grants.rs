//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant, and grant
//! tokens.
//!
//! A grant authorizes its grantee for the listed operations on one key. The pipeline's authorizer
//! only knows policies, so [`policy_with_grants`] writes each grant into the key policy the
//! authorizer sees as one more `Allow` statement naming the grantee (its constraints become
//! `kms:EncryptionContext:` conditions), plus a `kms:RetireGrant` statement for the retiring
//! principal. The stored key policy (GetKeyPolicy) stays as written; IAM's evaluator, deny rules
//! included, decides with grants and policy together, and handlers check nothing themselves.
//!
//! Grants take effect at once here, so a grant token only has to be well formed: tokens are
//! checked wherever a request carries `GrantTokens`, and RetireGrant finds its grant by token.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::keys::{page_output, paginate, read_key, update_key};
use crate::model::{self, GrantConstraints, GrantRecord, KeyRecord, KeyRef};
use crate::{Kms, empty, errors, input, now, now_ts};

/// The operations a grant may allow (`GrantOperation`).
const OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
];

/// AWS's quota of grants per key.
const GRANTS_PER_KEY: usize = 50_000;

pub fn invalid_token() -> AwsError {
    AwsError::new(
        "InvalidGrantTokenException",
        400,
        "The request was rejected because the specified grant token is not valid.",
    )
}

fn invalid_grant_id() -> AwsError {
    AwsError::new(
        "InvalidGrantIdException",
        400,
        "The request was rejected because the specified GrantId is not valid.",
    )
}

fn grant_not_found(id: &str) -> AwsError {
    AwsError::new("NotFoundException", 400, format!("Grant ID {id} not found"))
}

/// What a grant token names.
pub struct Token {
    pub account: String,
    pub region: String,
    pub key_id: String,
    pub grant_id: String,
}

fn new_token(account: &str, region: &str, key_id: &str, grant_id: &str) -> String {
    let mut nonce = [0u8; 16];
    gureum_core::ids::random_bytes(&mut nonce);
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    URL_SAFE_NO_PAD.encode(format!(
        "gureum-grant/1/{account}/{region}/{key_id}/{grant_id}/{nonce}"
    ))
}

pub fn parse_token(token: &str) -> Result<Token, AwsError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| invalid_token())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_token())?;
    let parts: Vec<&str> = text.split('/').collect();
    match parts.as_slice() {
        [
            "gureum-grant",
            "1",
            account,
            region,
            key_id,
            grant_id,
            _nonce,
        ] => Ok(Token {
            account: account.to_string(),
            region: region.to_string(),
            key_id: key_id.to_string(),
            grant_id: grant_id.to_string(),
        }),
        _ => Err(invalid_token()),
    }
}

/// Refuses a request whose `GrantTokens` holds a token gureum never issued.
pub fn check_tokens(params: &Value) -> Result<(), AwsError> {
    if let Some(tokens) = params.get("GrantTokens").and_then(Value::as_array) {
        for t in tokens {
            parse_token(t.as_str().unwrap_or(""))?;
        }
    }
    Ok(())
}

/// The `Principal` element naming `who`: a service name or an AWS principal.
fn principal(who: &str) -> Value {
    if !who.starts_with("arn:") && who.ends_with(".amazonaws.com") {
        json!({"Service": who})
    } else {
        json!({"AWS": who})
    }
}

fn grant_statements(grant: &GrantRecord) -> Vec<Value> {
    let actions: Vec<String> = grant
        .operations
        .iter()
        .map(|o| format!("kms:{o}"))
        .collect();
    let mut allow = json!({
        "Sid": format!("GureumGrant{}", grant.grant_id),
        "Effect": "Allow",
        "Principal": principal(&grant.grantee),
        "Action": actions,
        "Resource": "*",
    });
    if let Some(c) = &grant.constraints {
        let mut condition = serde_json::Map::new();
        let pairs = c.equals.as_ref().or(c.subset.as_ref());
        if let Some(pairs) = pairs.filter(|p| !p.is_empty()) {
            let equals: serde_json::Map<String, Value> = pairs
                .iter()
                .map(|(k, v)| (format!("kms:EncryptionContext:{k}"), json!(v)))
                .collect();
            condition.insert("StringEquals".into(), Value::Object(equals));
        }
        if let Some(pairs) = &c.equals {
            if pairs.is_empty() {
                condition.insert("Null".into(), json!({"kms:EncryptionContextKeys": "true"}));
            } else {
                let keys: Vec<&String> = pairs.keys().collect();
                condition.insert(
                    "ForAllValues:StringEquals".into(),
                    json!({"kms:EncryptionContextKeys": keys}),
                );
            }
        }
        if !condition.is_empty()
            && let Some(fields) = allow.as_object_mut()
        {
            fields.insert("Condition".into(), Value::Object(condition));
        }
    }
    let mut out = vec![allow];
    if let Some(retiring) = &grant.retiring {
        out.push(json!({
            "Sid": format!("GureumRetire{}", grant.grant_id),
            "Effect": "Allow",
            "Principal": principal(retiring),
            "Action": "kms:RetireGrant",
            "Resource": "*",
        }));
    }
    out
}

/// The key policy with the key's grants as extra statements: what the authorizer evaluates.
pub fn policy_with_grants(key: &KeyRecord) -> String {
    if key.grants.is_empty() {
        return key.policy.clone();
    }
    let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(&key.policy) else {
        return key.policy.clone();
    };
    let mut statements = match doc.remove("Statement") {
        Some(Value::Array(list)) => list,
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for grant in &key.grants {
        statements.extend(grant_statements(grant));
    }
    doc.insert("Statement".into(), Value::Array(statements));
    serde_json::to_string(&Value::Object(doc)).unwrap_or_else(|_| key.policy.clone())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ConstraintsIn {
    encryption_context_subset: Option<BTreeMap<String, String>>,
    encryption_context_equals: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGrantInput {
    key_id: String,
    grantee_principal: String,
    retiring_principal: Option<String>,
    operations: Vec<String>,
    constraints: Option<ConstraintsIn>,
    name: Option<String>,
    dry_run: Option<bool>,
}

/// Checks a principal the way a key policy would carry it.
fn check_principal(who: &str, member: &str) -> Result<(), AwsError> {
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal(who), "Action": "kms:Decrypt", "Resource": "*"}],
    });
    gureum_iam_policy::Policy::parse(&doc.to_string(), gureum_iam_policy::PolicyKind::Resource)
        .map(|_| ())
        .map_err(|_| {
            errors::validation(format!(
                "1 validation error detected: Value '{who}' at '{member}' failed to satisfy constraint: Member must be a valid principal"
            ))
        })
}

fn new_grant_id() -> String {
    let mut b = [0u8; 32];
    gureum_core::ids::random_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn create_grant(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: CreateGrantInput = input(params)?;
    if i.operations.is_empty() {
        return Err(errors::validation(
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    for op in &i.operations {
        if !OPERATIONS.contains(&op.as_str()) {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '[{op}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                OPERATIONS.join(", ")
            )));
        }
    }
    check_principal(&i.grantee_principal, "granteePrincipal")?;
    if let Some(r) = &i.retiring_principal {
        check_principal(r, "retiringPrincipal")?;
    }
    let constraints = i.constraints.map(|c| GrantConstraints {
        subset: c.encryption_context_subset,
        equals: c.encryption_context_equals,
    });
    if constraints
        .as_ref()
        .is_some_and(|c| c.subset.is_some() && c.equals.is_some())
    {
        return Err(errors::validation(
            "EncryptionContextSubset and EncryptionContextEquals cannot both be specified.",
        ));
    }
    let mut operations = i.operations.clone();
    operations.dedup();
    let account = ctx.account_id().to_string();
    let created = now_ts(ctx);
    let (grant_id, token) = update_key(kms, ctx, &i.key_id, |key| {
        key.require_usable()?;
        // The same Name with the same grant answers the existing grant, as AWS does.
        if let Some(name) = &i.name
            && let Some(same) = key.grants.iter().find(|g| {
                g.name.as_deref() == Some(name)
                    && g.grantee == i.grantee_principal
                    && g.retiring == i.retiring_principal
                    && g.operations == operations
                    && g.constraints == constraints
            })
        {
            return Ok((same.grant_id.clone(), same.token.clone()));
        }
        if key.grants.len() >= GRANTS_PER_KEY {
            return Err(AwsError::new(
                "LimitExceededException",
                400,
                format!("Cannot exceed quota for GrantsPerKey: {GRANTS_PER_KEY}"),
            ));
        }
        let grant_id = new_grant_id();
        let token = new_token(&key.account, &key.region, &key.key_id, &grant_id);
        let grant = GrantRecord {
            grant_id: grant_id.clone(),
            token: token.clone(),
            name: i.name.clone(),
            grantee: i.grantee_principal.clone(),
            retiring: i.retiring_principal.clone(),
            operations: operations.clone(),
            constraints: constraints.clone(),
            issuing_account: format!("arn:aws:iam::{account}:root"),
            created,
        };
        // The grant must keep the authorizer's view of the key a valid policy.
        let mut probe = key.clone();
        probe.grants = vec![grant.clone()];
        crate::policy::parse(&policy_with_grants(&probe))?;
        // A dry run stops here: the error aborts the transaction.
        if i.dry_run == Some(true) {
            return Err(errors::dry_run());
        }
        key.grants.push(grant);
        Ok((grant_id, token))
    })?;
    Ok(json!({"GrantId": grant_id, "GrantToken": token}))
}

fn entry(key: &KeyRecord, g: &GrantRecord) -> Value {
    let mut e = json!({
        "KeyId": key.arn(),
        "GrantId": g.grant_id,
        "CreationDate": g.created,
        "GranteePrincipal": g.grantee,
        "IssuingAccount": g.issuing_account,
        "Operations": g.operations,
    });
    if let Some(fields) = e.as_object_mut() {
        if let Some(name) = &g.name {
            fields.insert("Name".into(), json!(name));
        }
        if let Some(r) = &g.retiring {
            fields.insert("RetiringPrincipal".into(), json!(r));
        }
        if let Some(c) = &g.constraints {
            let mut cj = serde_json::Map::new();
            if let Some(s) = &c.subset {
                cj.insert("EncryptionContextSubset".into(), json!(s));
            }
            if let Some(s) = &c.equals {
                cj.insert("EncryptionContextEquals".into(), json!(s));
            }
            fields.insert("Constraints".into(), Value::Object(cj));
        }
    }
    e
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGrantsInput {
    key_id: String,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
    limit: Option<usize>,
    marker: Option<String>,
}

pub fn list_grants(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: ListGrantsInput = input(params)?;
    let key = read_key(kms, ctx, &i.key_id, false)?;
    let mut grants: Vec<&GrantRecord> = key
        .grants
        .iter()
        .filter(|g| i.grant_id.as_ref().is_none_or(|id| &g.grant_id == id))
        .filter(|g| i.grantee_principal.as_ref().is_none_or(|p| &g.grantee == p))
        .collect();
    grants.sort_by(|a, b| a.grant_id.cmp(&b.grant_id));
    let (page, next) = paginate(grants, i.limit, i.marker.as_deref(), |g| &g.grant_id);
    let grants: Vec<Value> = page.iter().map(|g| entry(&key, g)).collect();
    Ok(page_output(json!({"Grants": grants}), next))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRetirableInput {
    retiring_principal: String,
    limit: Option<usize>,
    marker: Option<String>,
}

pub fn list_retirable_grants(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ListRetirableInput = input(params)?;
    let keys = model::list_keys(kms.kv(), ctx.account_id(), &ctx.region, now(ctx))?;
    let mut found: Vec<(String, Value)> = Vec::new();
    for key in &keys {
        for g in &key.grants {
            if g.retiring.as_deref() == Some(i.retiring_principal.as_str()) {
                found.push((format!("{}/{}", key.key_id, g.grant_id), entry(key, g)));
            }
        }
    }
    let (page, next) = paginate(found, i.limit, i.marker.as_deref(), |(k, _)| k);
    let grants: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    Ok(page_output(json!({"Grants": grants}), next))
}

fn remove_grant(
    kms: &Kms,
    ctx: &RequestContext,
    key_id: &str,
    grant_id: &str,
    token: Option<&str>,
    dry_run: bool,
) -> Result<(), AwsError> {
    if grant_id.len() != 64 || !grant_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid_grant_id());
    }
    update_key(kms, ctx, key_id, |key| {
        let before = key.grants.len();
        key.grants
            .retain(|g| !(g.grant_id == grant_id && token.is_none_or(|t| t == g.token)));
        if key.grants.len() == before {
            return Err(match token {
                Some(_) => invalid_token(),
                None => grant_not_found(grant_id),
            });
        }
        // A dry run stops here: the error aborts the transaction.
        if dry_run {
            return Err(errors::dry_run());
        }
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RetireInput {
    grant_token: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

/// The key and grant RetireGrant names: by token, or by key and grant id.
pub fn retire_target(ctx: &RequestContext, params: &Value) -> Option<(String, String)> {
    let s = |k: &str| params.get(k).and_then(Value::as_str);
    if let Some(t) = s("GrantToken") {
        let t = parse_token(t).ok()?;
        return Some((model::key_arn(&t.region, &t.account, &t.key_id), t.grant_id));
    }
    let _ = ctx;
    Some((s("KeyId")?.to_string(), s("GrantId")?.to_string()))
}

pub fn retire_grant(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: RetireInput = input(params)?;
    let dry_run = i.dry_run == Some(true);
    match (&i.grant_token, &i.key_id, &i.grant_id) {
        (Some(token), _, _) => {
            let t = parse_token(token)?;
            if i.grant_id.as_ref().is_some_and(|g| g != &t.grant_id) {
                return Err(invalid_grant_id());
            }
            let arn = model::key_arn(&t.region, &t.account, &t.key_id);
            if let Some(named) = &i.key_id {
                let named = KeyRef::parse(ctx, named, false)?;
                let from_token = KeyRef::parse(ctx, &arn, false)?;
                if named != from_token {
                    return Err(invalid_token());
                }
            }
            remove_grant(kms, ctx, &arn, &t.grant_id, Some(token), dry_run)?;
        }
        (None, Some(key_id), Some(grant_id)) => {
            remove_grant(kms, ctx, key_id, grant_id, None, dry_run)?;
        }
        _ => {
            return Err(errors::validation(
                "Either GrantToken or both KeyId and GrantId must be specified.",
            ));
        }
    }
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RevokeInput {
    key_id: String,
    grant_id: String,
    dry_run: Option<bool>,
}

pub fn revoke_grant(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: RevokeInput = input(params)?;
    remove_grant(
        kms,
        ctx,
        &i.key_id,
        &i.grant_id,
        None,
        i.dry_run == Some(true),
    )?;
    Ok(empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        let t = new_token("111122223333", "us-east-1", "k", "g");
        let parsed = parse_token(&t).expect("token");
        assert_eq!(
            (parsed.account.as_str(), parsed.key_id.as_str()),
            ("111122223333", "k")
        );
        assert_eq!(parsed.grant_id, "g");
        assert!(parse_token("not-a-token").is_err());
        assert!(parse_token("").is_err());
        assert!(check_tokens(&json!({"GrantTokens": [t, 5]})).is_err());
    }

    #[test]
    fn grants_become_statements_of_a_valid_resource_policy() {
        let policy = crate::keys::default_policy("111122223333");
        let grant = GrantRecord {
            grant_id: "ab".repeat(32),
            token: String::new(),
            name: None,
            grantee: "arn:aws:iam::111122223333:user/bob".into(),
            retiring: Some("arn:aws:iam::111122223333:root".into()),
            operations: vec!["Encrypt".into()],
            constraints: Some(GrantConstraints {
                subset: None,
                equals: Some(BTreeMap::from([("app".into(), "web".into())])),
            }),
            issuing_account: String::new(),
            created: gureum_core::wire::Timestamp(0.0),
        };
        let key: KeyRecord = serde_json::from_value(json!({
            "key_id": "k", "account": "111122223333", "region": "us-east-1",
            "created": 0.0, "description": "", "key_usage": "ENCRYPT_DECRYPT",
            "key_spec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS", "enabled": true,
            "deletion_date": null, "pending_window_days": null, "policy": policy,
            "tags": [], "rotation_enabled": false, "rotation_period_days": null,
            "materials": [],
        }))
        .expect("record");
        assert_eq!(policy_with_grants(&key), policy);
        let key = KeyRecord {
            grants: vec![grant],
            ..key
        };
        let text = policy_with_grants(&key);
        let parsed = crate::policy::parse(&text).expect("valid policy");
        assert_eq!(parsed.statements().len(), 3);
    }
}
