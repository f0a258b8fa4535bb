//! Account-wide views: GetAccountAuthorizationDetails (every user, group, role and the policies
//! in use, in one paged answer), GetAccountSummary (counts and quotas), and the account alias.

use std::collections::BTreeMap;

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::render::{self, paginate};
use super::{Iam, empty, errors, input};
use crate::managed;
use crate::model::{self, ALIASES};

fn inline_list(policies: &BTreeMap<String, String>) -> Value {
    policies
        .iter()
        .map(|(name, doc)| json!({"PolicyName": name, "PolicyDocument": render::document(doc)}))
        .collect()
}

fn attached_list(arns: &[String]) -> Value {
    arns.iter()
        .map(|arn| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            json!({"PolicyName": name, "PolicyArn": arn})
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Details {
    #[serde(default)]
    filter: Vec<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub fn get_account_authorization_details(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: Details = input(params)?;
    let wants = |kind: &str| req.filter.is_empty() || req.filter.iter().any(|f| f == kind);
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let mut items = Vec::new();
    if wants("User") {
        for u in model::list_users(r, account)? {
            let mut v = render::user(&u, account, true);
            if let Some(m) = v.as_object_mut() {
                m.insert("UserPolicyList".into(), inline_list(&u.inline_policies));
                m.insert("GroupList".into(), json!(u.groups));
                m.insert(
                    "AttachedManagedPolicies".into(),
                    attached_list(&u.attached_policies),
                );
                m.remove("PasswordLastUsed");
            }
            items.push((
                format!("1\0{}", u.name.to_ascii_lowercase()),
                json!({"k": "u", "v": v}),
            ));
        }
    }
    if wants("Group") {
        for g in model::list_groups(r, account)? {
            let mut v = render::group(&g, account);
            v["GroupPolicyList"] = inline_list(&g.inline_policies);
            v["AttachedManagedPolicies"] = attached_list(&g.attached_policies);
            items.push((
                format!("2\0{}", g.name.to_ascii_lowercase()),
                json!({"k": "g", "v": v}),
            ));
        }
    }
    if wants("Role") {
        for role in model::list_roles(r, account)? {
            let mut v = render::role(&role, account, true);
            let mut profiles = Vec::new();
            for name in &role.instance_profiles {
                if let Some(p) = model::get_instance_profile(r, account, name)? {
                    let mut roles = Vec::new();
                    for rn in &p.roles {
                        if let Some(pr) = model::get_role(r, account, rn)? {
                            roles.push(pr);
                        }
                    }
                    profiles.push(render::instance_profile(&p, account, &roles, false));
                }
            }
            if let Some(m) = v.as_object_mut() {
                m.insert("InstanceProfileList".into(), Value::Array(profiles));
                m.insert("RolePolicyList".into(), inline_list(&role.inline_policies));
                m.insert(
                    "AttachedManagedPolicies".into(),
                    attached_list(&role.attached_policies),
                );
                m.remove("Description");
                m.remove("MaxSessionDuration");
            }
            items.push((
                format!("3\0{}", role.name.to_ascii_lowercase()),
                json!({"k": "r", "v": v}),
            ));
        }
    }
    let attached = model::attachment_counts(r, account, false)?;
    let bounds = model::attachment_counts(r, account, true)?;
    let count = |m: &BTreeMap<String, i64>, arn: &str| m.get(arn).copied().unwrap_or(0);
    if wants("LocalManagedPolicy") {
        for p in model::list_policies(r, account)? {
            let arn = p.arn(account);
            let mut v = render::local_policy(
                &p,
                account,
                count(&attached, &arn),
                count(&bounds, &arn),
                false,
            );
            if let Some(d) = &p.description {
                v["Description"] = json!(d);
            }
            v["PolicyVersionList"] = p
                .versions
                .iter()
                .map(|ver| {
                    json!({
                        "Document": render::document(&ver.document),
                        "VersionId": ver.id,
                        "IsDefaultVersion": ver.id == p.default_version,
                        "CreateDate": render::ts(ver.create_date),
                    })
                })
                .collect();
            items.push((
                format!("4\0{}\0{arn}", p.name.to_ascii_lowercase()),
                json!({"k": "p", "v": v}),
            ));
        }
    }
    if wants("AWSManagedPolicy") {
        for p in managed::all() {
            let arn = p.arn();
            let (a, b) = (count(&attached, &arn), count(&bounds, &arn));
            if a == 0 && b == 0 {
                continue;
            }
            let mut v = render::aws_policy(p, a, b, false);
            v["PolicyVersionList"] = json!([{
                "Document": render::document(p.document),
                "VersionId": p.version,
                "IsDefaultVersion": true,
                "CreateDate": render::ts(p.update_date),
            }]);
            items.push((
                format!("4\0{}\0{arn}", p.name.to_ascii_lowercase()),
                json!({"k": "p", "v": v}),
            ));
        }
    }
    let mut page = paginate(items, req.marker.as_deref(), req.max_items)?;
    let (mut users, mut groups, mut roles, mut policies) = (vec![], vec![], vec![], vec![]);
    for item in std::mem::take(&mut page.items) {
        let v = item["v"].clone();
        match item["k"].as_str() {
            Some("u") => users.push(v),
            Some("g") => groups.push(v),
            Some("r") => roles.push(v),
            _ => policies.push(v),
        }
    }
    let mut out = Map::new();
    out.insert("UserDetailList".into(), Value::Array(users));
    out.insert("GroupDetailList".into(), Value::Array(groups));
    out.insert("RoleDetailList".into(), Value::Array(roles));
    out.insert("Policies".into(), Value::Array(policies));
    Ok(page.finish(out))
}

pub fn get_account_summary(
    iam: &Iam,
    ctx: &RequestContext,
    _params: Value,
) -> Result<Value, AwsError> {
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let users = model::list_users(r, account)?;
    let policies = model::list_policies(r, account)?;
    let attached = model::attachment_counts(r, account, false)?;
    let versions_in_use: usize = policies
        .iter()
        .filter(|p| attached.contains_key(&p.arn(account)))
        .map(|p| p.versions.len())
        .sum();
    let summary = json!({
        "Users": users.len(),
        "UsersQuota": 5000,
        "Groups": model::list_groups(r, account)?.len(),
        "GroupsQuota": 300,
        "Roles": model::list_roles(r, account)?.len(),
        "RolesQuota": 1000,
        "Policies": policies.len(),
        "PoliciesQuota": 1500,
        "InstanceProfiles": model::list_instance_profiles(r, account)?.len(),
        "InstanceProfilesQuota": 1000,
        "ServerCertificates": 0,
        "ServerCertificatesQuota": 20,
        "MFADevices": 0,
        "MFADevicesInUse": 0,
        "AccountMFAEnabled": 0,
        "AccountAccessKeysPresent": 1,
        "AccountPasswordPresent": 0,
        "AccountSigningCertificatesPresent": 0,
        "Providers": 0,
        "UserPolicySizeQuota": 2048,
        "GroupPolicySizeQuota": 5120,
        "RolePolicySizeQuota": 10240,
        "AssumeRolePolicySizeQuota": 2048,
        "PolicySizeQuota": 6144,
        "GroupsPerUserQuota": 10,
        "SigningCertificatesPerUserQuota": 2,
        "AccessKeysPerUserQuota": 2,
        "AttachedPoliciesPerUserQuota": 10,
        "AttachedPoliciesPerGroupQuota": 10,
        "AttachedPoliciesPerRoleQuota": 10,
        "PolicyVersionsInUse": versions_in_use,
        "PolicyVersionsInUseQuota": 10000,
        "VersionsPerPolicyQuota": 5,
        "GlobalEndpointTokenVersion": 1,
    });
    Ok(json!({"SummaryMap": summary}))
}

fn check_alias(alias: &str) -> Result<(), AwsError> {
    let b = alias.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first() != Some(&b'-')
        && b.last() != Some(&b'-')
        && !alias.contains("--");
    if !ok {
        return Err(super::validate::pattern_error(
            alias,
            "accountAlias",
            "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountAlias {
    account_alias: String,
}

pub fn create_account_alias(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: AccountAlias = input(params)?;
    check_alias(&req.account_alias)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let owner: Option<model::Setting> =
            model::read(txn, ALIASES, req.account_alias.as_bytes())?;
        if let Some(owner) = owner {
            if owner.0.as_str() == Some(account) {
                return Ok(());
            }
            return Err(errors::already_exists(format!(
                "The account alias {} already exists.",
                req.account_alias
            )));
        }
        // An account has one alias: a new one replaces the old.
        if let Some(old) = model::get_setting(txn, account, "alias")? {
            if let Some(old) = old.as_str() {
                txn.delete(ALIASES, old.as_bytes())
                    .map_err(model::store_error)?;
            }
        }
        model::write(
            txn,
            ALIASES,
            req.account_alias.as_bytes(),
            &model::Setting(json!(account)),
        )?;
        model::put_setting(txn, account, "alias", json!(req.account_alias))
    })?;
    Ok(empty())
}

pub fn delete_account_alias(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: AccountAlias = input(params)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let current = model::get_setting(txn, account, "alias")?;
        if current.as_ref().and_then(Value::as_str) != Some(req.account_alias.as_str()) {
            return Err(errors::no_such_entity(format!(
                "The account alias {} cannot be found.",
                req.account_alias
            )));
        }
        txn.delete(ALIASES, req.account_alias.as_bytes())
            .map_err(model::store_error)?;
        model::delete_setting(txn, account, "alias")?;
        Ok(())
    })?;
    Ok(empty())
}

pub fn list_account_aliases(
    iam: &Iam,
    ctx: &RequestContext,
    _params: Value,
) -> Result<Value, AwsError> {
    let alias = model::get_setting(&mut model::Committed(iam.kv()), ctx.account_id(), "alias")?;
    let aliases: Vec<Value> = alias.into_iter().filter(Value::is_string).collect();
    Ok(json!({"AccountAliases": aliases, "IsTruncated": false}))
}
