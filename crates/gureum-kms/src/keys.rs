//! Key management: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, Enable/DisableKey, ScheduleKeyDeletion and
//! CancelKeyDeletion, tags, rotation (Enable/Disable/GetKeyRotationStatus, RotateKeyOnDemand,
//! ListKeyRotations).

use gureum_core::AwsError;
use gureum_core::RequestContext;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{self, Committed, KeyRecord, KeyRef, KeyState, Tag};
use crate::{Kms, asymmetric, empty, errors, input, mac, new_material, now, now_ts};

const SECONDS_PER_DAY: f64 = 86_400.0;
/// AWS's quota of tags per key.
const TAGS_PER_KEY: usize = 50;

/// The key policy AWS writes when CreateKey names none: the account's root may do everything,
/// which delegates to the account's IAM policies.
pub fn default_policy(account: &str) -> String {
    let policy = json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*",
        }],
    });
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagIn {
    tag_key: String,
    tag_value: String,
}

fn check_tags(tags: &[TagIn]) -> Result<(), AwsError> {
    for t in tags {
        if t.tag_key.starts_with("aws:") {
            return Err(errors::tag("Tags beginning with aws: are reserved"));
        }
    }
    Ok(())
}

pub fn apply_tags(existing: &mut Vec<Tag>, tags: Vec<TagIn>) -> Result<(), AwsError> {
    check_tags(&tags)?;
    for t in tags {
        match existing.iter_mut().find(|e| e.key == t.tag_key) {
            Some(e) => e.value = t.tag_value,
            None => existing.push(Tag {
                key: t.tag_key,
                value: t.tag_value,
            }),
        }
    }
    if existing.len() > TAGS_PER_KEY {
        return Err(errors::tag(format!(
            "Cannot exceed quota for TagsPerKey: {TAGS_PER_KEY}"
        )));
    }
    Ok(())
}

/// `KeyMetadata` as DescribeKey and CreateKey answer it.
pub fn metadata(key: &KeyRecord) -> Value {
    let mut m = json!({
        "AWSAccountId": key.account,
        "KeyId": key.key_id,
        "Arn": key.arn(),
        "CreationDate": key.created,
        "Enabled": key.state() == KeyState::Enabled,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state().as_str(),
        "Origin": key.origin,
        "KeyManager": key.key_manager.as_deref().unwrap_or("CUSTOMER"),
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "MultiRegion": false,
    });
    if let Some(fields) = m.as_object_mut() {
        if let Some(algorithm) = mac::algorithm_of(&key.key_spec) {
            fields.insert("MacAlgorithms".into(), json!([algorithm]));
        } else if let Some(spec) = asymmetric::Spec::parse(&key.key_spec) {
            match key.key_usage.as_str() {
                "SIGN_VERIFY" => {
                    fields.insert("SigningAlgorithms".into(), json!(spec.signing_algorithms()));
                }
                "KEY_AGREEMENT" => {
                    fields.insert("KeyAgreementAlgorithms".into(), json!(["ECDH"]));
                }
                _ => {
                    fields.insert(
                        "EncryptionAlgorithms".into(),
                        json!(spec.encryption_algorithms()),
                    );
                }
            }
        } else {
            fields.insert("EncryptionAlgorithms".into(), json!(["SYMMETRIC_DEFAULT"]));
        }
        if let Some(import) = &key.import {
            if let Some(model) = &import.expiration_model {
                fields.insert("ExpirationModel".into(), json!(model));
            }
            if let Some(valid_to) = import.valid_to {
                fields.insert("ValidTo".into(), json!(valid_to));
            }
        }
        if let Some(h) = &key.hsm {
            fields.insert("CustomKeyStoreId".into(), json!(h.custom_key_store_id));
            fields.insert("CloudHsmClusterId".into(), json!(h.cluster_id));
        }
        if let Some(mr) = &key.multi_region {
            fields.insert("MultiRegion".into(), json!(true));
            fields.insert(
                "MultiRegionConfiguration".into(),
                crate::multi_region::configuration(key, mr),
            );
        }
    }
    if let (Some(date), Some(fields)) = (key.deletion_date, m.as_object_mut()) {
        fields.insert("DeletionDate".into(), json!(date));
    }
    let pending = key.deletion_date.is_some() || key.replica_deletion_pending;
    if let (Some(days), Some(fields), true) = (key.pending_window_days, m.as_object_mut(), pending)
    {
        fields.insert("PendingDeletionWindowInDays".into(), json!(days));
    }
    m
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateKeyInput {
    policy: Option<String>,
    description: Option<String>,
    key_usage: Option<String>,
    key_spec: Option<String>,
    customer_master_key_spec: Option<String>,
    origin: Option<String>,
    custom_key_store_id: Option<String>,
    multi_region: Option<bool>,
    #[serde(default)]
    bypass_policy_lockout_safety_check: bool,
    #[serde(default)]
    tags: Vec<TagIn>,
}

pub fn create_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: CreateKeyInput = input(params)?;
    let spec = i
        .key_spec
        .or(i.customer_master_key_spec)
        .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into());
    let usage = i.key_usage.unwrap_or_else(|| "ENCRYPT_DECRYPT".into());
    let compatible = match spec.as_str() {
        "SYMMETRIC_DEFAULT" => usage == "ENCRYPT_DECRYPT",
        s if mac::spec_len(s).is_some() => usage == mac::GENERATE_VERIFY_MAC,
        s => match asymmetric::Spec::parse(s) {
            Some(asym) => asym.usages().contains(&usage.as_str()),
            None => {
                return Err(AwsError::not_implemented(
                    "kms",
                    &format!("CreateKey with KeySpec {spec}"),
                ));
            }
        },
    };
    if !compatible {
        return Err(errors::validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    let origin = i.origin.unwrap_or_else(|| "AWS_KMS".into());
    let external = match origin.as_str() {
        "AWS_KMS" | "AWS_CLOUDHSM" => false,
        "EXTERNAL" => {
            crate::import::check_importable(&spec)?;
            true
        }
        _ => {
            return Err(AwsError::not_implemented(
                "kms",
                &format!("CreateKey with Origin {origin}"),
            ));
        }
    };
    // Keys in a CloudHSM key store: symmetric encryption keys of one Region, origin AWS_CLOUDHSM.
    let store_id = match (origin.as_str(), i.custom_key_store_id) {
        ("AWS_CLOUDHSM", Some(id)) => {
            if spec != "SYMMETRIC_DEFAULT" || i.multi_region == Some(true) {
                return Err(errors::unsupported(
                    "A custom key store holds only single-Region symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT).",
                ));
            }
            Some(id)
        }
        ("AWS_CLOUDHSM", None) => {
            return Err(errors::validation(
                "CustomKeyStoreId is required when Origin is AWS_CLOUDHSM.",
            ));
        }
        (_, Some(_)) => {
            return Err(errors::validation(format!(
                "Origin {origin} is not valid with a CustomKeyStoreId: keys in an AWS CloudHSM key store have Origin AWS_CLOUDHSM."
            )));
        }
        (_, None) => None,
    };
    let multi_region = i.multi_region == Some(true);
    let account = ctx.account_id().to_string();
    let key_id = if multi_region {
        model::new_multi_region_key_id()
    } else {
        model::new_key_id()
    };
    let policy = match i.policy {
        Some(p) => {
            crate::policy::check(
                ctx,
                &p,
                &model::key_arn(&ctx.region, &account, &key_id),
                i.bypass_policy_lockout_safety_check,
            )?;
            p
        }
        None => default_policy(&account),
    };
    let mut tags = Vec::new();
    apply_tags(&mut tags, i.tags)?;
    let hsm = store_id
        .map(|id| crate::custom_key_stores::create_key_in_store(kms, ctx, &id, &key_id))
        .transpose()?;
    let materials = if external || hsm.is_some() {
        Vec::new()
    } else {
        vec![new_material(
            kms,
            ctx,
            &account,
            &ctx.region,
            &key_id,
            &spec,
            1,
            None,
        )?]
    };
    let key = KeyRecord {
        key_id: key_id.clone(),
        account: account.clone(),
        region: ctx.region.clone(),
        created: now_ts(ctx),
        description: i.description.unwrap_or_default(),
        key_usage: usage,
        key_spec: spec,
        origin,
        key_manager: None,
        enabled: true,
        deletion_date: None,
        pending_window_days: None,
        policy,
        tags,
        rotation_enabled: false,
        rotation_period_days: None,
        materials,
        grants: Vec::new(),
        import: external.then(Default::default),
        replica_deletion_pending: false,
        hsm,
        multi_region: multi_region.then(|| model::MultiRegion {
            primary_region: ctx.region.clone(),
            replica_regions: Vec::new(),
        }),
    };
    let k = model::key_key(&account, &ctx.region, &key_id);
    model::transact(kms.kv(), |txn| model::write(txn, model::KEYS, &k, &key))?;
    Ok(json!({"KeyMetadata": metadata(&key)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdInput {
    key_id: String,
}

/// The key an operation names, read from committed state.
pub fn read_key(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
    allow_alias: bool,
) -> Result<KeyRecord, AwsError> {
    let r = KeyRef::parse(ctx, id, allow_alias)?;
    model::resolve(&mut Committed(kms.kv()), &r, now(ctx))
}

/// Changes the key `id` names in one transaction; `f` may refuse.
pub fn update_key<T>(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
    mut f: impl FnMut(&mut KeyRecord) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let key_ref = KeyRef::parse(ctx, id, false)?;
    let now = now(ctx);
    model::transact(kms.kv(), |txn| {
        let mut key = model::resolve(txn, &key_ref, now)?;
        let out = f(&mut key)?;
        let k = model::key_key(&key.account, &key.region, &key.key_id);
        model::write(txn, model::KEYS, &k, &key)?;
        Ok(out)
    })
}

pub fn describe_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    crate::managed::ensure(kms, ctx, &KeyRef::parse(ctx, &i.key_id, true)?)?;
    let key = read_key(kms, ctx, &i.key_id, true)?;
    let mut m = metadata(&key);
    // A key whose custom key store is not connected is Unavailable (and still Enabled).
    if key.state() == KeyState::Enabled && !crate::custom_key_stores::is_available(kms, &key) {
        m["KeyState"] = json!("Unavailable");
    }
    Ok(json!({"KeyMetadata": m}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PageInput {
    limit: Option<usize>,
    marker: Option<String>,
}

/// One page of `items` (sorted by `key`) after `marker`: the page and the next marker.
pub fn paginate<T>(
    items: Vec<T>,
    limit: Option<usize>,
    marker: Option<&str>,
    key: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    let limit = limit.unwrap_or(100).clamp(1, 1000);
    let mut rest: Vec<T> = match marker {
        Some(m) => items.into_iter().filter(|t| key(t) > m).collect(),
        None => items,
    };
    if rest.len() > limit {
        rest.truncate(limit);
        let next = rest.last().map(|t| key(t).to_string());
        (rest, next)
    } else {
        (rest, None)
    }
}

/// The `NextMarker`/`Truncated` members of a page.
pub fn page_output(mut out: Value, next: Option<String>) -> Value {
    if let Some(fields) = out.as_object_mut() {
        fields.insert("Truncated".into(), json!(next.is_some()));
        if let Some(m) = next {
            fields.insert("NextMarker".into(), json!(m));
        }
    }
    out
}

pub fn list_keys(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: PageInput = input(params)?;
    let keys = model::list_keys(kms.kv(), ctx.account_id(), &ctx.region, now(ctx))?;
    let (page, next) = paginate(keys, i.limit, i.marker.as_deref(), |k| &k.key_id);
    let entries: Vec<Value> = page
        .iter()
        .map(|k| json!({"KeyId": k.key_id, "KeyArn": k.arn()}))
        .collect();
    Ok(page_output(json!({"Keys": entries}), next))
}

fn refuse_pending(key: &KeyRecord) -> Result<(), AwsError> {
    if matches!(
        key.state(),
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
    ) {
        return Err(model::pending_deletion(&key.arn()));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescriptionInput {
    key_id: String,
    description: String,
}

pub fn update_key_description(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: DescriptionInput = input(params)?;
    update_key(kms, ctx, &i.key_id, |key| {
        refuse_pending(key)?;
        key.description = i.description.clone();
        Ok(())
    })?;
    Ok(empty())
}

pub fn enable_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    update_key(kms, ctx, &i.key_id, |key| {
        refuse_pending(key)?;
        key.enabled = true;
        Ok(())
    })?;
    Ok(empty())
}

pub fn disable_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    update_key(kms, ctx, &i.key_id, |key| {
        refuse_pending(key)?;
        key.enabled = false;
        Ok(())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScheduleInput {
    key_id: String,
    pending_window_in_days: Option<u32>,
}

pub fn schedule_key_deletion(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ScheduleInput = input(params)?;
    let days = i.pending_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        let bound = if days < 7 {
            "greater than or equal to 7"
        } else {
            "less than or equal to 30"
        };
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value {bound}"
        )));
    }
    let date = gureum_core::wire::Timestamp(now(ctx) + f64::from(days) * SECONDS_PER_DAY);
    // A multi-region primary with replicas waits for them (PendingReplicaDeletion).
    let waits =
        crate::multi_region::has_live_replicas(kms, ctx, &read_key(kms, ctx, &i.key_id, false)?)?;
    let key = update_key(kms, ctx, &i.key_id, |key| {
        refuse_pending(key)?;
        if waits {
            key.replica_deletion_pending = true;
        } else {
            key.deletion_date = Some(date);
        }
        key.pending_window_days = Some(days);
        Ok(key.clone())
    })?;
    crate::custom_key_stores::note_deletion(kms, &key)?;
    let mut out = json!({
        "KeyId": key.arn(),
        "KeyState": key.state().as_str(),
        "PendingWindowInDays": days,
    });
    if let (Some(date), Some(fields)) = (key.deletion_date, out.as_object_mut()) {
        fields.insert("DeletionDate".into(), json!(date));
    }
    Ok(out)
}

pub fn cancel_key_deletion(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    let key = update_key(kms, ctx, &i.key_id, |key| {
        if key.deletion_date.is_none() && !key.replica_deletion_pending {
            return Err(errors::invalid_state(format!(
                "{} is not pending deletion.",
                key.arn()
            )));
        }
        // AWS leaves a key whose deletion was cancelled disabled.
        key.deletion_date = None;
        key.replica_deletion_pending = false;
        key.pending_window_days = None;
        key.enabled = false;
        Ok(key.clone())
    })?;
    Ok(json!({"KeyId": key.arn()}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    key_id: String,
    tags: Vec<TagIn>,
}

pub fn tag_resource(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let TagResourceInput { key_id, tags } = input(params)?;
    let mut tags = Some(tags);
    update_key(kms, ctx, &key_id, |key| {
        refuse_pending(key)?;
        apply_tags(&mut key.tags, tags.take().unwrap_or_default())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceInput {
    key_id: String,
    tag_keys: Vec<String>,
}

pub fn untag_resource(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: UntagResourceInput = input(params)?;
    update_key(kms, ctx, &i.key_id, |key| {
        refuse_pending(key)?;
        key.tags.retain(|t| !i.tag_keys.contains(&t.key));
        Ok(())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsInput {
    key_id: String,
    limit: Option<usize>,
    marker: Option<String>,
}

pub fn list_resource_tags(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ListTagsInput = input(params)?;
    let mut tags = read_key(kms, ctx, &i.key_id, false)?.tags;
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    let (page, next) = paginate(tags, i.limit, i.marker.as_deref(), |t| &t.key);
    let tags: Vec<Value> = page
        .iter()
        .map(|t| json!({"TagKey": t.key, "TagValue": t.value}))
        .collect();
    Ok(page_output(json!({"Tags": tags}), next))
}

/// Only symmetric encryption keys rotate: AWS refuses rotation of HMAC (and asymmetric) keys
/// with `UnsupportedOperationException`.
fn refuse_rotation(key: &KeyRecord) -> Result<(), AwsError> {
    if key.origin != "AWS_KMS" {
        return Err(errors::unsupported(format!(
            "{} origin is {} which is not valid for this operation.",
            key.arn(),
            key.origin
        )));
    }
    if key
        .multi_region
        .as_ref()
        .is_some_and(|mr| mr.primary_region != key.region)
    {
        return Err(errors::unsupported(format!(
            "{} is a multi-Region replica key: rotate its primary key.",
            key.arn()
        )));
    }
    if key.key_spec != "SYMMETRIC_DEFAULT" {
        return Err(errors::unsupported(format!(
            "{} key spec {} does not support key rotation.",
            key.arn(),
            key.key_spec
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EnableRotationInput {
    key_id: String,
    rotation_period_in_days: Option<u32>,
}

pub fn enable_key_rotation(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: EnableRotationInput = input(params)?;
    let period = i.rotation_period_in_days.unwrap_or(365);
    if !(90..=2560).contains(&period) {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560"
        )));
    }
    update_key(kms, ctx, &i.key_id, |key| {
        key.require_usable()?;
        refuse_rotation(key)?;
        key.rotation_enabled = true;
        key.rotation_period_days = Some(period);
        Ok(())
    })?;
    Ok(empty())
}

pub fn disable_key_rotation(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    update_key(kms, ctx, &i.key_id, |key| {
        key.require_usable()?;
        refuse_rotation(key)?;
        key.rotation_enabled = false;
        key.rotation_period_days = None;
        Ok(())
    })?;
    Ok(empty())
}

pub fn get_key_rotation_status(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    let key = read_key(kms, ctx, &i.key_id, false)?;
    refuse_pending(&key)?;
    let mut out = json!({"KeyRotationEnabled": key.rotation_enabled, "KeyId": key.arn()});
    if let (Some(period), Some(fields)) = (key.rotation_period_days, out.as_object_mut()) {
        fields.insert("RotationPeriodInDays".into(), json!(period));
        let last = key
            .current_material()
            .map_or(key.created.0, |m| m.created.0);
        fields.insert(
            "NextRotationDate".into(),
            json!(last + f64::from(period) * SECONDS_PER_DAY),
        );
    }
    Ok(out)
}

/// AWS's quota of on-demand rotations per key.
const ON_DEMAND_ROTATIONS: usize = 25;

pub fn rotate_key_on_demand(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: KeyIdInput = input(params)?;
    let key = update_key(kms, ctx, &i.key_id, |key| {
        key.require_usable()?;
        refuse_rotation(key)?;
        let on_demand = key
            .materials
            .iter()
            .filter(|m| m.rotation_type.as_deref() == Some("ON_DEMAND"))
            .count();
        if on_demand >= ON_DEMAND_ROTATIONS {
            return Err(AwsError::new(
                "LimitExceededException",
                400,
                format!(
                    "The on-demand rotations limit has been reached for key {}",
                    key.arn()
                ),
            ));
        }
        let version = key
            .current_material()
            .map_or(1, |m| m.version.saturating_add(1));
        let material = new_material(
            kms,
            ctx,
            &key.account,
            &key.region,
            &key.key_id,
            &key.key_spec,
            version,
            Some("ON_DEMAND"),
        )?;
        key.materials.push(material);
        Ok(key.clone())
    })?;
    if let Some(material) = key.current_material() {
        crate::multi_region::propagate_material(kms, ctx, &key, material.version)?;
    }
    Ok(json!({"KeyId": key.key_id}))
}

pub fn list_key_rotations(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ListTagsInput = input(params)?;
    let key = read_key(kms, ctx, &i.key_id, false)?;
    refuse_pending(&key)?;
    let rotations: Vec<(String, Value)> = key
        .materials
        .iter()
        .filter_map(|m| {
            let kind = m.rotation_type.as_ref()?;
            Some((
                format!("{:010}", m.version),
                json!({"KeyId": key.key_id, "RotationDate": m.created, "RotationType": kind}),
            ))
        })
        .collect();
    let (page, next) = paginate(rotations, i.limit, i.marker.as_deref(), |(k, _)| k);
    let rotations: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    Ok(page_output(json!({"Rotations": rotations}), next))
}
