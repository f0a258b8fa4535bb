//! Multi-region keys: CreateKey with `MultiRegion` makes a primary key (`mrk-` id), ReplicateKey
//! copies it into another region of the same account (same key id, same material, resealed to
//! the replica's region), and UpdatePrimaryRegion swaps which copy is the primary. Every copy
//! stores the set of regions, so DescribeKey in any region shows the whole
//! `MultiRegionConfiguration`; a symmetric ciphertext names the key id only, so one region's
//! ciphertext decrypts in every other.

use gureum_core::{AwsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::keys::{self, TagIn};
use crate::model::{self, KeyRecord, KeyRef, KeyState, MultiRegion, Tag};
use crate::{Kms, empty, errors, input, now, now_ts, seal_material, unseal_material};

/// `MultiRegionConfiguration` as DescribeKey shows it on the copy `key`.
pub fn configuration(key: &KeyRecord, mr: &MultiRegion) -> Value {
    let entry = |region: &str| json!({"Arn": model::key_arn(region, &key.account, &key.key_id), "Region": region});
    json!({
        "MultiRegionKeyType": if key.region == mr.primary_region { "PRIMARY" } else { "REPLICA" },
        "PrimaryKey": entry(&mr.primary_region),
        "ReplicaKeys": mr.replica_regions.iter().map(|r| entry(r)).collect::<Vec<_>>(),
    })
}

/// The multi-region key `id` names in the caller's region, and its regions.
fn multi_region_key(
    txn: &mut dyn gureum_store::Txn,
    ctx: &RequestContext,
    id: &str,
) -> Result<(KeyRecord, MultiRegion), AwsError> {
    let key_ref = KeyRef::parse(ctx, id, true)?;
    let key = model::resolve(txn, &key_ref, now(ctx))?;
    let Some(mut mr) = key.multi_region.clone() else {
        return Err(errors::unsupported(format!(
            "{} is not a multi-Region key.",
            key.arn()
        )));
    };
    // Replicas whose deletion date has passed are gone from the set.
    let now = now(ctx);
    let mut live = Vec::with_capacity(mr.replica_regions.len());
    for region in mr.replica_regions {
        if region == key.region
            || model::get_key(txn, &key.account, &region, &key.key_id, now)?.is_some()
        {
            live.push(region);
        }
    }
    mr.replica_regions = live;
    Ok((key, mr))
}

/// Writes `mr` onto every live copy of the key in `regions`.
fn write_regions(
    txn: &mut dyn gureum_store::Txn,
    account: &str,
    key_id: &str,
    regions: &[String],
    mr: &MultiRegion,
    now: f64,
) -> Result<(), AwsError> {
    for region in regions {
        if let Some(mut copy) = model::get_key(txn, account, region, key_id, now)? {
            copy.multi_region = Some(mr.clone());
            model::write(
                txn,
                model::KEYS,
                &model::key_key(account, region, key_id),
                &copy,
            )?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicateInput {
    key_id: String,
    replica_region: String,
    policy: Option<String>,
    #[serde(default)]
    bypass_policy_lockout_safety_check: bool,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<TagIn>,
}

pub fn replicate_key(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: ReplicateInput = input(params)?;
    let region = i.replica_region.clone();
    let mut tags: Vec<Tag> = Vec::new();
    keys::apply_tags(&mut tags, i.tags)?;
    let now = now(ctx);
    let replica = model::transact(kms.kv(), |txn| {
        let (primary, mut mr) = multi_region_key(txn, ctx, &i.key_id)?;
        if primary.region != mr.primary_region {
            return Err(errors::unsupported(format!(
                "{} is a replica key: ReplicateKey takes the primary key.",
                primary.arn()
            )));
        }
        match primary.state() {
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                return Err(model::pending_deletion(&primary.arn()));
            }
            KeyState::Enabled | KeyState::Disabled | KeyState::PendingImport => {}
        }
        if region == mr.primary_region || mr.replica_regions.contains(&region) {
            return Err(errors::already_exists(format!(
                "{} already has a replica key in {region}.",
                primary.arn()
            )));
        }
        let account = primary.account.clone();
        let replica_arn = model::key_arn(&region, &account, &primary.key_id);
        let policy = match &i.policy {
            Some(p) => {
                crate::policy::check(ctx, p, &replica_arn, i.bypass_policy_lockout_safety_check)?;
                p.clone()
            }
            None => keys::default_policy(&account),
        };
        // Imported material is imported into each replica on its own (the same material, which
        // the copied check value enforces); material KMS made travels with the replica.
        let external = primary.origin == "EXTERNAL";
        let mut materials = Vec::with_capacity(primary.materials.len());
        for m in primary.materials.iter().filter(|_| !external) {
            let clear = unseal_material(kms, &primary, m.version)?;
            let mut copy = seal_material(
                kms,
                ctx,
                &account,
                &region,
                &primary.key_id,
                m.version,
                &clear,
                m.rotation_type.as_deref(),
            )?;
            copy.created = m.created;
            materials.push(copy);
        }
        let regions_before: Vec<String> = std::iter::once(mr.primary_region.clone())
            .chain(mr.replica_regions.iter().cloned())
            .collect();
        mr.replica_regions.push(region.clone());
        let replica = KeyRecord {
            key_id: primary.key_id.clone(),
            account: account.clone(),
            region: region.clone(),
            created: now_ts(ctx),
            description: i.description.clone().unwrap_or_default(),
            key_usage: primary.key_usage.clone(),
            key_spec: primary.key_spec.clone(),
            origin: primary.origin.clone(),
            key_manager: None,
            enabled: primary.enabled,
            deletion_date: None,
            pending_window_days: None,
            policy,
            tags: tags.clone(),
            rotation_enabled: primary.rotation_enabled,
            rotation_period_days: primary.rotation_period_days,
            materials,
            grants: Vec::new(),
            import: primary.import.as_ref().map(|import| model::ImportState {
                check: import.check.clone(),
                ..Default::default()
            }),
            replica_deletion_pending: false,
            hsm: None,
            multi_region: Some(mr.clone()),
        };
        // A deleted replica of the same id may linger in the table; it is replaced.
        model::write(
            txn,
            model::KEYS,
            &model::key_key(&account, &region, &replica.key_id),
            &replica,
        )?;
        write_regions(txn, &account, &primary.key_id, &regions_before, &mr, now)?;
        Ok(replica)
    })?;
    let tags: Vec<Value> = replica
        .tags
        .iter()
        .map(|t| json!({"TagKey": t.key, "TagValue": t.value}))
        .collect();
    Ok(json!({
        "ReplicaKeyMetadata": keys::metadata(&replica),
        "ReplicaPolicy": replica.policy,
        "ReplicaTags": tags,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdatePrimaryInput {
    key_id: String,
    primary_region: String,
}

pub fn update_primary_region(
    kms: &Kms,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: UpdatePrimaryInput = input(params)?;
    let now = now(ctx);
    model::transact(kms.kv(), |txn| {
        let (key, mr) = multi_region_key(txn, ctx, &i.key_id)?;
        if key.region != mr.primary_region {
            return Err(errors::unsupported(format!(
                "{} is a replica key: UpdatePrimaryRegion takes the primary key.",
                key.arn()
            )));
        }
        key.require_usable()?;
        if i.primary_region == mr.primary_region {
            return Err(errors::unsupported(format!(
                "{} is already the primary key in {}.",
                key.arn(),
                i.primary_region
            )));
        }
        let new_primary = model::get_key(txn, &key.account, &i.primary_region, &key.key_id, now)?
            .filter(|_| mr.replica_regions.contains(&i.primary_region))
            .ok_or_else(|| {
                errors::key_not_found(&model::key_arn(
                    &i.primary_region,
                    &key.account,
                    &key.key_id,
                ))
            })?;
        if new_primary.state() == KeyState::PendingDeletion {
            return Err(model::pending_deletion(&new_primary.arn()));
        }
        let regions: Vec<String> = std::iter::once(mr.primary_region.clone())
            .chain(mr.replica_regions.iter().cloned())
            .collect();
        let updated = MultiRegion {
            primary_region: i.primary_region.clone(),
            replica_regions: regions
                .iter()
                .filter(|r| **r != i.primary_region)
                .cloned()
                .collect(),
        };
        write_regions(txn, &key.account, &key.key_id, &regions, &updated, now)
    })?;
    Ok(empty())
}

/// Whether `key` is a multi-region primary with replicas that still exist.
pub fn has_live_replicas(
    kms: &Kms,
    ctx: &RequestContext,
    key: &KeyRecord,
) -> Result<bool, AwsError> {
    let Some(mr) = key
        .multi_region
        .as_ref()
        .filter(|mr| mr.primary_region == key.region)
    else {
        return Ok(false);
    };
    let r = &mut model::Committed(kms.kv());
    for region in mr.replica_regions.iter().filter(|r| **r != key.region) {
        if model::get_key(r, &key.account, region, &key.key_id, now(ctx))?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// After the primary gains material version `version` (a rotation), every replica gets the same
/// material, so ciphertexts stay portable between regions.
pub fn propagate_material(
    kms: &Kms,
    ctx: &RequestContext,
    primary: &KeyRecord,
    version: u32,
) -> Result<(), AwsError> {
    let Some(mr) = &primary.multi_region else {
        return Ok(());
    };
    let Some(material) = primary.material(version) else {
        return Ok(());
    };
    let clear = unseal_material(kms, primary, version)?;
    let now = now(ctx);
    model::transact(kms.kv(), |txn| {
        for region in &mr.replica_regions {
            let Some(mut replica) =
                model::get_key(txn, &primary.account, region, &primary.key_id, now)?
            else {
                continue;
            };
            if replica.material(version).is_some() {
                continue;
            }
            let mut copy = seal_material(
                kms,
                ctx,
                &primary.account,
                region,
                &primary.key_id,
                version,
                &clear,
                material.rotation_type.as_deref(),
            )?;
            copy.created = material.created;
            replica.materials.push(copy);
            model::write(
                txn,
                model::KEYS,
                &model::key_key(&primary.account, region, &primary.key_id),
                &replica,
            )?;
        }
        Ok(())
    })
}
