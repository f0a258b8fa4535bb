//! Backups and point-in-time recovery. A backup is a consistent copy of a table's items taken
//! in one store transaction; restoring writes them into a new table, which rebuilds its
//! indexes. Point-in-time recovery keeps a base copy of the items plus an append-only log of
//! every change (from the item write path, stamped by the server clock); changes older than
//! the recovery window are folded into the base, so a restore replays the log onto the base up
//! to the second asked for.

use std::collections::BTreeMap;

use gureum_core::{AwsError, RequestContext};
use gureum_store::{Entry, KeyRange, Txn, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::DynamoDb;
use crate::errors::{store_error, validation};
use crate::ops::{decode_item, encode_item, input, transact, write_item};
use crate::streams::Origin;
use crate::table::{ITEMS, TABLES, TableRecord, table_key};
use crate::table_arn;
use crate::value::{Item, item_from_json, item_to_json};

/// Backups by `(account, region, backup ARN)`.
pub const BACKUPS: &str = "dynamodb.backups";
/// A backup's items by `(account, region, backup ARN)` then the item's key parts.
pub const BACKUP_ITEMS: &str = "dynamodb.backup_items";
/// The base copy of a table's items for point-in-time recovery, by the table's key and id,
/// then the item's key parts.
pub const PITR_BASE: &str = "dynamodb.pitr_base";
/// The change log since the base, by the table's key and id, then time and sequence.
pub const PITR_LOG: &str = "dynamodb.pitr_log";
const DAY_MILLIS: i64 = 24 * 3600 * 1000;
const MAX_RECOVERY_DAYS: i64 = 35;
/// Log entries folded into the base per write, so the work of one write stays bounded.
const FOLD_PER_WRITE: usize = 64;

fn table_not_found(name: &str) -> AwsError {
    AwsError::bad_request("TableNotFoundException", format!("Table not found: {name}"))
}

fn backup_not_found(arn: &str) -> AwsError {
    AwsError::bad_request(
        "BackupNotFoundException",
        format!("Backup not found: {arn}"),
    )
}

fn table_exists(name: &str) -> AwsError {
    AwsError::bad_request(
        "TableAlreadyExistsException",
        format!("Table already exists: {name}"),
    )
}

fn millis_to_secs(m: i64) -> f64 {
    m as f64 / 1000.0
}

/// Point-in-time recovery as a table stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pitr {
    pub enabled_millis: i64,
    pub days: i64,
    pub seq: u64,
}

impl Pitr {
    fn earliest(&self, now: i64) -> i64 {
        self.enabled_millis.max(now - self.days * DAY_MILLIS)
    }
}

/// RestoreSummary of a restored table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreSummary {
    pub source_backup_arn: Option<String>,
    pub source_table_arn: String,
    pub restore_millis: i64,
}

impl RestoreSummary {
    pub fn description(&self) -> Value {
        let mut d = json!({
            "SourceTableArn": self.source_table_arn,
            "RestoreDateTime": millis_to_secs(self.restore_millis),
            "RestoreInProgress": false,
        });
        if let Some(arn) = &self.source_backup_arn {
            d["SourceBackupArn"] = json!(arn);
        }
        d
    }
}

/// One backup as stored: the table as it was, and what the copy holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BackupRecord {
    arn: String,
    name: String,
    created_millis: i64,
    size_bytes: u64,
    item_count: u64,
    table: TableRecord,
}

impl Versioned for BackupRecord {
    const VERSION: u16 = 1;
}

impl BackupRecord {
    fn details(&self, status: &str) -> Value {
        json!({
            "BackupArn": self.arn,
            "BackupName": self.name,
            "BackupSizeBytes": self.size_bytes,
            "BackupStatus": status,
            "BackupType": "USER",
            "BackupCreationDateTime": millis_to_secs(self.created_millis),
        })
    }

    fn summary(&self) -> Value {
        let mut s = self.details("AVAILABLE");
        s["TableName"] = json!(self.table.name);
        s["TableId"] = json!(self.table.id);
        s["TableArn"] = json!(self.table.arn);
        s
    }

    fn description(&self, status: &str) -> Value {
        let t = self.table.description("ACTIVE");
        let mut features = json!({});
        for member in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            if let Some(list) = t.get(member) {
                features[member] = list.clone();
            }
        }
        if let Some(spec) = t.get("StreamSpecification") {
            features["StreamDescription"] = spec.clone();
        }
        features["TimeToLiveDescription"] = match &self.table.ttl_attribute {
            Some(a) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": a}),
            None => json!({"TimeToLiveStatus": "DISABLED"}),
        };
        json!({
            "BackupDetails": self.details(status),
            "SourceTableDetails": {
                "TableName": self.table.name,
                "TableId": self.table.id,
                "TableArn": self.table.arn,
                "TableSizeBytes": self.table.size_bytes,
                "KeySchema": t["KeySchema"],
                "TableCreationDateTime": self.table.created,
                "ProvisionedThroughput": {
                    "ReadCapacityUnits": self.table.read_capacity,
                    "WriteCapacityUnits": self.table.write_capacity,
                },
                "ItemCount": self.table.item_count,
                "BillingMode": self.table.billing_mode,
            },
            "SourceTableFeatureDetails": features,
        })
    }
}

fn backup_key(ctx: &RequestContext, arn: &str) -> Vec<u8> {
    key::join([ctx.account_id(), ctx.region.as_str(), arn])
}

/// The prefix of everything point-in-time recovery keeps for one table.
fn pitr_prefix(table_k: &[u8], table: &TableRecord) -> Vec<u8> {
    let mut p = table_k.to_vec();
    key::push(&mut p, table.id.as_bytes());
    p
}

/// Every record under `prefix` in `store_table`, in key order.
fn scan_all(txn: &mut dyn Txn, store_table: &str, prefix: &[u8]) -> Result<Vec<Entry>, AwsError> {
    let mut out = Vec::new();
    let mut range = KeyRange::prefix(prefix);
    loop {
        let batch = txn
            .scan(store_table, &range, Some(512), false)
            .map_err(store_error)?;
        let Some((last, _)) = batch.last() else {
            return Ok(out);
        };
        range = range.after(&last.clone());
        out.extend(batch);
    }
}

fn delete_prefix(txn: &mut dyn Txn, store_table: &str, prefix: &[u8]) -> Result<(), AwsError> {
    for (k, _) in scan_all(txn, store_table, prefix)? {
        txn.delete(store_table, &k).map_err(store_error)?;
    }
    Ok(())
}

/// Records one item change for point-in-time recovery (called by every item write), and
/// folds a bounded number of entries older than the window into the base copy.
pub(crate) fn log_change(
    txn: &mut dyn Txn,
    table: &mut TableRecord,
    table_k: &[u8],
    item_key: &[u8],
    new: Option<&Item>,
    now_millis: i64,
) -> Result<(), AwsError> {
    let Some(pitr) = table.pitr.as_mut() else {
        return Ok(());
    };
    pitr.seq += 1;
    let seq = pitr.seq;
    let cutoff = now_millis - pitr.days * DAY_MILLIS;
    let prefix = pitr_prefix(table_k, table);
    let suffix = item_key.get(table_k.len()..).unwrap_or_default();
    let mut k = prefix.clone();
    key::push(&mut k, &now_millis.max(0).to_be_bytes());
    key::push(&mut k, &seq.to_be_bytes());
    let entry = json!({
        "key": suffix.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "item": new.map(item_to_json),
    });
    txn.put(PITR_LOG, &k, entry.to_string().as_bytes())
        .map_err(store_error)?;
    let mut end = prefix.clone();
    key::push(&mut end, &cutoff.max(0).to_be_bytes());
    let old = txn
        .scan(
            PITR_LOG,
            &KeyRange::new(
                std::ops::Bound::Included(prefix.as_slice()),
                std::ops::Bound::Excluded(end.as_slice()),
            ),
            Some(FOLD_PER_WRITE),
            false,
        )
        .map_err(store_error)?;
    for (log_key, bytes) in old {
        let (suffix, item) = parse_entry(&bytes)?;
        let mut base_key = prefix.clone();
        base_key.extend_from_slice(&suffix);
        match item {
            Some(item) => txn
                .put(PITR_BASE, &base_key, &encode_item(&item)?)
                .map_err(store_error)?,
            None => {
                txn.delete(PITR_BASE, &base_key).map_err(store_error)?;
            }
        }
        txn.delete(PITR_LOG, &log_key).map_err(store_error)?;
    }
    Ok(())
}

fn parse_entry(bytes: &[u8]) -> Result<(Vec<u8>, Option<Item>), AwsError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| AwsError::internal(format!("bad recovery log entry: {e}")))?;
    let hex = v["key"].as_str().unwrap_or_default();
    let suffix = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let item = match &v["item"] {
        Value::Null => None,
        other => Some(item_from_json(other)?),
    };
    Ok((suffix, item))
}

/// Drops what point-in-time recovery keeps for a table (disabling it, or deleting the table).
pub(crate) fn forget_pitr(
    txn: &mut dyn Txn,
    table_k: &[u8],
    table: &TableRecord,
) -> Result<(), AwsError> {
    let prefix = pitr_prefix(table_k, table);
    delete_prefix(txn, PITR_BASE, &prefix)?;
    delete_prefix(txn, PITR_LOG, &prefix)
}

fn load_for_update(txn: &mut dyn Txn, table_k: &[u8], name: &str) -> Result<TableRecord, AwsError> {
    let bytes = txn
        .get(TABLES, table_k)
        .map_err(store_error)?
        .ok_or_else(|| table_not_found(name))?;
    TableRecord::from_record(&bytes).map_err(store_error)
}

// ---------------------------------------------------------------------------------------------
// Backups

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateBackupInput {
    table_name: String,
    backup_name: String,
}

pub fn create_backup(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: CreateBackupInput = input(params)?;
    let table_k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let now = ctx.clock.now_millis();
    let mut suffix = [0u8; 4];
    gureum_core::ids::random_bytes(&mut suffix);
    let record = transact(&*db.storage.kv, |txn| {
        let table = load_for_update(txn, &table_k, &i.table_name)?;
        let arn = format!(
            "{}/backup/{:014}-{}",
            table.arn,
            now.max(0),
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let bk = backup_key(ctx, &arn);
        let mut count = 0;
        for (item_key, bytes) in scan_all(txn, ITEMS, &table_k)? {
            let mut k = bk.clone();
            k.extend_from_slice(&item_key[table_k.len()..]);
            txn.put(BACKUP_ITEMS, &k, &bytes).map_err(store_error)?;
            count += 1;
        }
        let record = BackupRecord {
            arn,
            name: i.backup_name.clone(),
            created_millis: now,
            size_bytes: table.size_bytes,
            item_count: count,
            table,
        };
        txn.put(BACKUPS, &bk, &record.to_record().map_err(store_error)?)
            .map_err(store_error)?;
        Ok(record)
    })?;
    Ok(json!({"BackupDetails": record.details("AVAILABLE")}))
}

fn load_backup(db: &DynamoDb, ctx: &RequestContext, arn: &str) -> Result<BackupRecord, AwsError> {
    let bytes = db
        .storage
        .kv
        .get(BACKUPS, &backup_key(ctx, arn))
        .map_err(store_error)?
        .ok_or_else(|| backup_not_found(arn))?;
    BackupRecord::from_record(&bytes).map_err(store_error)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BackupArnInput {
    backup_arn: String,
}

pub fn describe_backup(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: BackupArnInput = input(params)?;
    let record = load_backup(db, ctx, &i.backup_arn)?;
    Ok(json!({"BackupDescription": record.description("AVAILABLE")}))
}

pub fn delete_backup(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: BackupArnInput = input(params)?;
    let bk = backup_key(ctx, &i.backup_arn);
    let record = transact(&*db.storage.kv, |txn| {
        let bytes = txn
            .get(BACKUPS, &bk)
            .map_err(store_error)?
            .ok_or_else(|| backup_not_found(&i.backup_arn))?;
        let record = BackupRecord::from_record(&bytes).map_err(store_error)?;
        txn.delete(BACKUPS, &bk).map_err(store_error)?;
        delete_prefix(txn, BACKUP_ITEMS, &bk)?;
        Ok(record)
    })?;
    Ok(json!({"BackupDescription": record.description("DELETED")}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBackupsInput {
    table_name: Option<String>,
    limit: Option<usize>,
    time_range_lower_bound: Option<f64>,
    time_range_upper_bound: Option<f64>,
    exclusive_start_backup_arn: Option<String>,
    backup_type: Option<String>,
}

pub fn list_backups(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: ListBackupsInput = input(params)?;
    let limit = i.limit.unwrap_or(100).clamp(1, 100);
    let wanted_type = i.backup_type.as_deref().unwrap_or("USER");
    if !["USER", "SYSTEM", "AWS_BACKUP", "ALL"].contains(&wanted_type) {
        return Err(validation(format!(
            "1 validation error detected: Value '{wanted_type}' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]"
        )));
    }
    let prefix = key::join([ctx.account_id(), ctx.region.as_str()]);
    let mut range = KeyRange::prefix(&prefix);
    if let Some(start) = &i.exclusive_start_backup_arn {
        range = range.after(&backup_key(ctx, start));
    }
    let mut summaries = Vec::new();
    let mut last = None;
    'pages: loop {
        let batch = db
            .storage
            .kv
            .scan(BACKUPS, &range, Some(256), false)
            .map_err(store_error)?;
        let Some((end, _)) = batch.last() else {
            break;
        };
        range = range.after(&end.clone());
        for (_, bytes) in &batch {
            let r = BackupRecord::from_record(bytes).map_err(store_error)?;
            let at = millis_to_secs(r.created_millis);
            if i.table_name.as_ref().is_some_and(|t| *t != r.table.name)
                || i.time_range_lower_bound.is_some_and(|lo| at < lo)
                || i.time_range_upper_bound.is_some_and(|hi| at >= hi)
                || !matches!(wanted_type, "USER" | "ALL")
            {
                continue;
            }
            if summaries.len() == limit {
                last = Some(summaries.len());
                break 'pages;
            }
            summaries.push(r);
        }
    }
    let mut out =
        json!({"BackupSummaries": summaries.iter().map(BackupRecord::summary).collect::<Vec<_>>()});
    if last.is_some() {
        if let Some(r) = summaries.last() {
            out["LastEvaluatedBackupArn"] = json!(r.arn);
        }
    }
    Ok(out)
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
struct ThroughputOverride {
    read_capacity_units: Option<u64>,
    write_capacity_units: Option<u64>,
}

/// The new table a restore makes from `source` (a snapshot of the source's record).
fn restored_table(
    ctx: &RequestContext,
    source: &TableRecord,
    target: &str,
    params: &Value,
    summary: RestoreSummary,
) -> Result<TableRecord, AwsError> {
    let now = ctx.clock.now_millis();
    let mut t = source.clone();
    t.name = target.to_string();
    t.arn = table_arn(ctx, target);
    let mut id = [0u8; 16];
    gureum_core::ids::random_bytes(&mut id);
    let h: String = id.iter().map(|b| format!("{b:02x}")).collect();
    t.id = format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    );
    t.created = millis_to_secs(now);
    t.item_count = 0;
    t.size_bytes = 0;
    for index in &mut t.indexes {
        index.item_count = 0;
        index.size_bytes = 0;
    }
    // A restore does not carry streams, TTL, point-in-time recovery or deletion protection.
    t.ttl_attribute = None;
    t.stream_view_type = None;
    t.stream_label = None;
    t.stream_seq = 0;
    t.pitr = None;
    t.deletion_protection = false;
    if let Some(mode) = params.get("BillingModeOverride").and_then(Value::as_str) {
        if !matches!(mode, "PROVISIONED" | "PAY_PER_REQUEST") {
            return Err(validation(format!(
                "1 validation error detected: Value '{mode}' at 'billingModeOverride' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            )));
        }
        if mode == "PAY_PER_REQUEST" && t.billing_mode != mode {
            t.pay_per_request_since = Some(millis_to_secs(now));
        }
        t.billing_mode = mode.to_string();
    }
    let throughput: Option<ThroughputOverride> = params
        .get("ProvisionedThroughputOverride")
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| validation(format!("invalid ProvisionedThroughputOverride: {e}")))?;
    match (t.billing_mode.as_str(), throughput) {
        ("PAY_PER_REQUEST", Some(_)) => {
            return Err(validation(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        ("PAY_PER_REQUEST", None) => {
            t.read_capacity = 0;
            t.write_capacity = 0;
        }
        (_, Some(o)) => {
            t.read_capacity = o.read_capacity_units.unwrap_or(t.read_capacity).max(1);
            t.write_capacity = o.write_capacity_units.unwrap_or(t.write_capacity).max(1);
        }
        (_, None) if t.read_capacity == 0 => {
            return Err(validation(
                "One or more parameter values were invalid: ProvisionedThroughputOverride must be specified when BillingModeOverride is PROVISIONED",
            ));
        }
        _ => {}
    }
    // Index overrides come after the billing mode: a provisioned target needs each global
    // index's throughput.
    if params.get("GlobalSecondaryIndexOverride").is_some()
        || params.get("LocalSecondaryIndexOverride").is_some()
    {
        t.indexes = crate::ops::override_indexes(
            &t,
            params.get("GlobalSecondaryIndexOverride"),
            params.get("LocalSecondaryIndexOverride"),
        )?;
    } else if t.billing_mode == "PAY_PER_REQUEST" {
        for index in &mut t.indexes {
            index.read_capacity = 0;
            index.write_capacity = 0;
        }
    }
    if let Some(spec) = params.get("SSESpecificationOverride") {
        t.sse = crate::ops::sse(ctx, spec, "sSESpecificationOverride")?;
    }
    t.restore = Some(summary);
    Ok(t)
}

/// Creates `table` with `items` (item key suffix -> item) in one transaction; write_item keeps
/// the counters and builds every index entry.
fn create_with_items(
    txn: &mut dyn Txn,
    ctx: &RequestContext,
    table: &TableRecord,
    items: &BTreeMap<Vec<u8>, Item>,
) -> Result<(), AwsError> {
    let table_k = table_key(ctx.account_id(), &ctx.region, &table.name);
    if txn.get(TABLES, &table_k).map_err(store_error)?.is_some() {
        return Err(table_exists(&table.name));
    }
    txn.put(TABLES, &table_k, &table.to_record().map_err(store_error)?)
        .map_err(store_error)?;
    for (suffix, item) in items {
        let mut item_key = table_k.clone();
        item_key.extend_from_slice(suffix);
        write_item(
            txn,
            &table_k,
            &item_key,
            None,
            Some(item),
            Origin::user(ctx),
        )?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreFromBackupInput {
    target_table_name: String,
    backup_arn: String,
}

pub fn restore_table_from_backup(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: RestoreFromBackupInput = input(params.clone())?;
    let backup = load_backup(db, ctx, &i.backup_arn)?;
    let table = restored_table(
        ctx,
        &backup.table,
        &i.target_table_name,
        &params,
        RestoreSummary {
            source_backup_arn: Some(backup.arn.clone()),
            source_table_arn: backup.table.arn.clone(),
            restore_millis: ctx.clock.now_millis(),
        },
    )?;
    let bk = backup_key(ctx, &backup.arn);
    let table = transact(&*db.storage.kv, |txn| {
        let mut items = BTreeMap::new();
        for (k, bytes) in scan_all(txn, BACKUP_ITEMS, &bk)? {
            items.insert(k[bk.len()..].to_vec(), decode_item(&bytes)?);
        }
        create_with_items(txn, ctx, &table, &items)?;
        load_for_update(
            txn,
            &table_key(ctx.account_id(), &ctx.region, &table.name),
            &table.name,
        )
    })?;
    Ok(json!({"TableDescription": table.description("ACTIVE")}))
}

// ---------------------------------------------------------------------------------------------
// Point-in-time recovery

fn continuous_description(table: &TableRecord, now: i64) -> Value {
    let pitr = match &table.pitr {
        Some(p) => json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": p.days,
            "EarliestRestorableDateTime": millis_to_secs(p.earliest(now)),
            "LatestRestorableDateTime": millis_to_secs(now),
        }),
        None => json!({"PointInTimeRecoveryStatus": "DISABLED"}),
    };
    json!({"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PitrSpec {
    point_in_time_recovery_enabled: bool,
    recovery_period_in_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateContinuousBackupsInput {
    table_name: String,
    point_in_time_recovery_specification: PitrSpec,
}

pub fn update_continuous_backups(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: UpdateContinuousBackupsInput = input(params)?;
    let spec = &i.point_in_time_recovery_specification;
    let days = spec.recovery_period_in_days.unwrap_or(MAX_RECOVERY_DAYS);
    if !(1..=MAX_RECOVERY_DAYS).contains(&days) {
        return Err(validation(format!(
            "1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35"
        )));
    }
    if !spec.point_in_time_recovery_enabled && spec.recovery_period_in_days.is_some() {
        return Err(validation(
            "One or more parameter values were invalid: RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true",
        ));
    }
    let table_k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let now = ctx.clock.now_millis();
    let table = transact(&*db.storage.kv, |txn| {
        let mut table = load_for_update(txn, &table_k, &i.table_name)?;
        match (&mut table.pitr, spec.point_in_time_recovery_enabled) {
            (Some(p), true) => p.days = days,
            (None, true) => {
                // The base copy starts as the items now; changes from here on are logged.
                let prefix = pitr_prefix(&table_k, &table);
                for (item_key, bytes) in scan_all(txn, ITEMS, &table_k)? {
                    let mut k = prefix.clone();
                    k.extend_from_slice(&item_key[table_k.len()..]);
                    txn.put(PITR_BASE, &k, &bytes).map_err(store_error)?;
                }
                table.pitr = Some(Pitr {
                    enabled_millis: now,
                    days,
                    seq: 0,
                });
            }
            (Some(_), false) => {
                forget_pitr(txn, &table_k, &table)?;
                table.pitr = None;
            }
            (None, false) => {}
        }
        txn.put(TABLES, &table_k, &table.to_record().map_err(store_error)?)
            .map_err(store_error)?;
        Ok(table)
    })?;
    Ok(json!({"ContinuousBackupsDescription": continuous_description(&table, now)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableNameInput {
    table_name: String,
}

pub fn describe_continuous_backups(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: TableNameInput = input(params)?;
    let table_k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let table = transact(&*db.storage.kv, |txn| {
        load_for_update(txn, &table_k, &i.table_name)
    })?;
    Ok(
        json!({"ContinuousBackupsDescription": continuous_description(&table, ctx.clock.now_millis())}),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreToPointInTimeInput {
    source_table_arn: Option<String>,
    source_table_name: Option<String>,
    target_table_name: String,
    use_latest_restorable_time: Option<bool>,
    restore_date_time: Option<f64>,
}

pub fn restore_table_to_point_in_time(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: RestoreToPointInTimeInput = input(params.clone())?;
    let source_name = match (&i.source_table_name, &i.source_table_arn) {
        (Some(n), None) => n.clone(),
        (None, Some(arn)) => arn.rsplit('/').next().unwrap_or_default().to_string(),
        _ => {
            return Err(validation(
                "One or more parameter values were invalid: Exactly one of SourceTableName or SourceTableArn must be specified",
            ));
        }
    };
    let now = ctx.clock.now_millis();
    let at = match (
        i.use_latest_restorable_time.unwrap_or(false),
        i.restore_date_time,
    ) {
        (true, Some(_)) => {
            return Err(validation(
                "One or more parameter values were invalid: Only one of RestoreDateTime or UseLatestRestorableTime can be specified",
            ));
        }
        (true, None) => now,
        // Times come in whole seconds from the SDKs: a second includes every change in it.
        (false, Some(t)) if t.fract() == 0.0 => (t * 1000.0) as i64 + 999,
        (false, Some(t)) => (t * 1000.0).floor() as i64,
        (false, None) => {
            return Err(validation(
                "One or more parameter values were invalid: RestoreDateTime must be specified when UseLatestRestorableTime is false",
            ));
        }
    };
    let source_k = table_key(ctx.account_id(), &ctx.region, &source_name);
    let table = transact(&*db.storage.kv, |txn| {
        let source = load_for_update(txn, &source_k, &source_name)?;
        let Some(pitr) = &source.pitr else {
            return Err(AwsError::bad_request(
                "PointInTimeRecoveryUnavailableException",
                format!("Point in time recovery is not enabled for table '{source_name}'"),
            ));
        };
        let earliest = pitr.earliest(now);
        if at < earliest - 999 || at - 999 > now {
            return Err(AwsError::bad_request(
                "InvalidRestoreTimeException",
                format!(
                    "Invalid restore time: the restore time must be between the earliest restorable time {} and the latest {}",
                    millis_to_secs(earliest),
                    millis_to_secs(now)
                ),
            ));
        }
        let at = at.min(now);
        let table = restored_table(
            ctx,
            &source,
            &i.target_table_name,
            &params,
            RestoreSummary {
                source_backup_arn: None,
                source_table_arn: source.arn.clone(),
                restore_millis: at,
            },
        )?;
        // The base copy, then every logged change up to the time asked for.
        let prefix = pitr_prefix(&source_k, &source);
        let mut items: BTreeMap<Vec<u8>, Item> = BTreeMap::new();
        for (k, bytes) in scan_all(txn, PITR_BASE, &prefix)? {
            items.insert(k[prefix.len()..].to_vec(), decode_item(&bytes)?);
        }
        let mut end = prefix.clone();
        key::push(&mut end, &(at.max(0) + 1).to_be_bytes());
        let log = txn
            .scan(
                PITR_LOG,
                &KeyRange::new(
                    std::ops::Bound::Included(prefix.as_slice()),
                    std::ops::Bound::Excluded(end.as_slice()),
                ),
                None,
                false,
            )
            .map_err(store_error)?;
        for (_, bytes) in log {
            let (suffix, item) = parse_entry(&bytes)?;
            match item {
                Some(item) => items.insert(suffix, item),
                None => items.remove(&suffix),
            };
        }
        create_with_items(txn, ctx, &table, &items)?;
        load_for_update(
            txn,
            &table_key(ctx.account_id(), &ctx.region, &table.name),
            &table.name,
        )
    })?;
    Ok(json!({"TableDescription": table.description("ACTIVE")}))
}
