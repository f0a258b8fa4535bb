//! The operations: tables (Create/Describe/List/Delete/UpdateTable) and items (Put/Get/Delete/
//! UpdateItem, Query, Scan). Each writes in one store transaction, so a conditional write reads
//! and writes the item atomically.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use gureum_core::{AwsError, RequestContext};
use gureum_store::{KeyRange, KvStore, StoreError, Txn, Versioned, key};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::capacity::{self, Consumed, Report};
use crate::errors::{
    conditional_check_failed, resource_in_use, resource_not_found, store_error, validation,
};
use crate::eval;
use crate::expr::{self, Comparator, Condition, Operand, Path, PathElement, Substitutions};
use crate::legacy;
use crate::streams::{self, Origin, StreamSpecInput};
use crate::table::{
    INDEXES, ITEMS, IndexRecord, KeySchemaElement, TABLES, TableRecord, encode_key_value,
    escaped_prefix, table_key,
};
use crate::throughput::Access;
use crate::value::{AttributeValue, Item, item_from_json, item_into_json, item_size, item_to_json};
use crate::{DynamoDb, table_arn};

/// DynamoDB's item size limit.
const MAX_ITEM_SIZE: usize = 400 * 1024;
/// DynamoDB's page size limit for Query and Scan.
const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Items as JSON, the format older builds wrote (still read); items are written in binary.
const JSON_ITEM_VERSION: u16 = 1;

pub(crate) fn input<T: for<'de> Deserialize<'de>>(params: Value) -> Result<T, AwsError> {
    let params = if params.is_null() {
        Value::Object(Map::new())
    } else {
        params
    };
    serde_json::from_value(params).map_err(|e| validation(format!("invalid input: {e}")))
}

pub(crate) fn not_found_table() -> AwsError {
    resource_not_found("Requested resource not found")
}

/// The table `name` of the caller's account and region, shared from the per-thread cache of
/// decoded records (`shared.rs`): every item operation reads it.
pub(crate) fn load_table(
    db: &DynamoDb,
    ctx: &RequestContext,
    name: &str,
) -> Result<Arc<TableRecord>, AwsError> {
    let bytes = db
        .storage
        .kv
        .get(TABLES, &table_key(ctx.account_id(), &ctx.region, name))
        .map_err(store_error)?
        .ok_or_else(not_found_table)?;
    crate::shared::table(&bytes).map_err(store_error)
}

/// A stored item: binary (`codec.rs`) as written now, or JSON (format 1) as older builds wrote.
pub(crate) fn decode_item(bytes: &[u8]) -> Result<Item, AwsError> {
    match gureum_store::record_version(bytes).map_err(store_error)? {
        crate::codec::VERSION => crate::codec::decode(bytes).map_err(store_error),
        JSON_ITEM_VERSION => {
            gureum_store::decode_record(bytes, JSON_ITEM_VERSION, gureum_store::no_migration)
                .map_err(store_error)
        }
        found => Err(store_error(StoreError::UnsupportedVersion {
            found,
            current: crate::codec::VERSION,
        })),
    }
}

/// What a read answers of a stored item (`codec::Shown`), for reads that show items whole (no
/// projection, filter or TTL): format-2 items are not built whole on the way.
fn decode_shown(bytes: &[u8], keep: &[&str]) -> Result<crate::codec::Shown, AwsError> {
    if gureum_store::record_version(bytes).map_err(store_error)? == crate::codec::VERSION {
        return crate::codec::decode_shown(bytes, keep).map_err(store_error);
    }
    let item = decode_item(bytes)?;
    let kept = item
        .iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(crate::codec::Shown {
        size: item_size(&item),
        json: item_into_json(item),
        kept,
    })
}

pub(crate) fn encode_item(item: &Item) -> Result<Vec<u8>, AwsError> {
    Ok(crate::codec::encode(item))
}

/// Runs `f` in one store transaction, carrying its AWS error out.
pub(crate) fn transact<T>(
    kv: &dyn KvStore,
    mut f: impl FnMut(&mut dyn Txn) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let mut output = None;
    let mut refusal = None;
    let result = kv.transact(&mut |txn| match f(txn) {
        Ok(v) => {
            output = Some(v);
            Ok(())
        }
        Err(e) => {
            refusal = Some(e);
            Err(StoreError::Aborted("DynamoDB operation refused".into()))
        }
    });
    if let Some(e) = refusal {
        return Err(e);
    }
    result.map_err(store_error)?;
    output.ok_or_else(|| AwsError::internal("transaction produced no result"))
}

// ---------------------------------------------------------------------------------------------
// Tables

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct KeySchemaInput {
    attribute_name: String,
    key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinitionInput {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
struct ThroughputInput {
    read_capacity_units: Option<i64>,
    write_capacity_units: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateTableInput {
    table_name: String,
    key_schema: Vec<KeySchemaInput>,
    attribute_definitions: Vec<AttributeDefinitionInput>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ThroughputInput>,
    global_secondary_indexes: Option<Vec<Value>>,
    local_secondary_indexes: Option<Vec<Value>>,
    stream_specification: Option<StreamSpecInput>,
    deletion_protection_enabled: Option<bool>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<Value>,
}

/// The encryption an SSESpecification asks for: `None` for the AWS owned key (Enabled false or
/// absent), else KMS under the given key (an id, alias or ARN) or the AWS managed
/// `alias/aws/dynamodb`.
pub(crate) fn sse(
    ctx: &RequestContext,
    spec: &Value,
    member: &str,
) -> Result<Option<crate::table::Sse>, AwsError> {
    let enabled = spec
        .get("Enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(t) = spec.get("SSEType").and_then(Value::as_str) {
        if !matches!(t, "AES256" | "KMS") {
            return Err(validation(format!(
                "1 validation error detected: Value '{t}' at '{member}.sSEType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS]"
            )));
        }
        if t == "AES256" {
            return Err(validation(
                "One or more parameter values were invalid: SSEType AES256 is not supported",
            ));
        }
    }
    let key = spec.get("KMSMasterKeyId").and_then(Value::as_str);
    if !enabled {
        if key.is_some() || spec.get("SSEType").is_some() {
            return Err(validation(
                "One or more parameter values were invalid: SSEType and KMSMasterKeyId can only be specified when SSE is enabled",
            ));
        }
        return Ok(None);
    }
    let prefix = format!("arn:aws:kms:{}:{}", ctx.region, ctx.account_id());
    let kms_key_arn = match key {
        None => format!("{prefix}:alias/aws/dynamodb"),
        Some(k) if k.starts_with("arn:") => k.to_string(),
        Some(k) if k.starts_with("alias/") => format!("{prefix}:{k}"),
        Some(k) => format!("{prefix}:key/{k}"),
    };
    Ok(Some(crate::table::Sse { kms_key_arn }))
}

/// Validates billing mode and throughput as DynamoDB does; answers (mode, read, write).
fn billing(
    mode: Option<&str>,
    throughput: Option<ThroughputInput>,
) -> Result<(String, u64, u64), AwsError> {
    let mode = mode.unwrap_or("PROVISIONED");
    match (mode, throughput) {
        ("PAY_PER_REQUEST", Some(_)) => Err(validation(
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        ("PAY_PER_REQUEST", None) => Ok((mode.to_string(), 0, 0)),
        (_, None) => Err(validation(
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        (_, Some(t)) => {
            let (Some(read), Some(write)) = (t.read_capacity_units, t.write_capacity_units) else {
                return Err(validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                ));
            };
            for (name, v) in [("ReadCapacityUnits", read), ("WriteCapacityUnits", write)] {
                if v < 1 {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: {name} must be greater than 0 for table"
                    )));
                }
            }
            Ok((mode.to_string(), read as u64, write as u64))
        }
    }
}

pub fn create_table(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: CreateTableInput = input(params)?;
    let (hash, range) = match i.key_schema.as_slice() {
        [h] if h.key_type == "HASH" => (h, None),
        [h, r] if h.key_type == "HASH" && r.key_type == "RANGE" => (h, Some(r)),
        [h, ..] if h.key_type != "HASH" => {
            return Err(validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ));
        }
        [_, r] if r.key_type != "RANGE" => {
            return Err(validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        _ => {
            return Err(validation(
                "Invalid KeySchema: Some index key attribute have no definition",
            ));
        }
    };
    if range.is_some_and(|r| r.attribute_name == hash.attribute_name) {
        return Err(validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    let defined: Vec<&str> = i
        .attribute_definitions
        .iter()
        .map(|a| a.attribute_name.as_str())
        .collect();
    let mut keys: Vec<&str> = std::iter::once(hash)
        .chain(range)
        .map(|k| k.attribute_name.as_str())
        .collect();
    let index_inputs: Vec<(bool, IndexInput)> = [
        (true, &i.global_secondary_indexes),
        (false, &i.local_secondary_indexes),
    ]
    .into_iter()
    .flat_map(|(global, list)| {
        list.iter()
            .flatten()
            .map(move |v| (global, serde_json::from_value::<IndexInput>(v.clone())))
    })
    .map(|(g, r)| {
        r.map(|x| (g, x))
            .map_err(|e| validation(format!("invalid index: {e}")))
    })
    .collect::<Result<_, _>>()?;
    for (_, index) in &index_inputs {
        for k in &index.key_schema {
            if !keys.contains(&k.attribute_name.as_str()) {
                keys.push(&k.attribute_name);
            }
        }
    }
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !defined.contains(k))
        .collect();
    if !missing.is_empty() {
        return Err(validation(format!(
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            keys.join(", "),
            defined.join(", ")
        )));
    }
    if defined.len() != keys.len() {
        return Err(validation(
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let (billing_mode, read, write) = billing(i.billing_mode.as_deref(), i.provisioned_throughput)?;
    let kind = |name: &str| {
        i.attribute_definitions
            .iter()
            .find(|a| a.attribute_name == name)
            .map(|a| a.attribute_type.clone())
            .unwrap_or_default()
    };
    let mut indexes: Vec<IndexRecord> = Vec::new();
    for (global, x) in index_inputs {
        indexes.push(index_record(
            global,
            x,
            &hash.attribute_name,
            range.map(|r| r.attribute_name.as_str()),
            &billing_mode,
            &kind,
        )?);
        let name = &indexes[indexes.len() - 1].name;
        if indexes[..indexes.len() - 1].iter().any(|o| &o.name == name) {
            return Err(validation(format!(
                "One or more parameter values were invalid: Duplicate index name: {name}"
            )));
        }
    }
    let now = ctx.clock.now_millis() as f64 / 1000.0;
    let record = TableRecord {
        name: i.table_name.clone(),
        id: table_id(),
        arn: table_arn(ctx, &i.table_name),
        created: now,
        hash: KeySchemaElement {
            name: hash.attribute_name.clone(),
            kind: kind(&hash.attribute_name),
        },
        range: range.map(|r| KeySchemaElement {
            name: r.attribute_name.clone(),
            kind: kind(&r.attribute_name),
        }),
        attributes: i
            .attribute_definitions
            .iter()
            .map(|a| (a.attribute_name.clone(), a.attribute_type.clone()))
            .collect(),
        pay_per_request_since: (billing_mode == "PAY_PER_REQUEST").then_some(now),
        billing_mode,
        read_capacity: read,
        write_capacity: write,
        item_count: 0,
        size_bytes: 0,
        indexes,
        ttl_attribute: None,
        stream_view_type: None,
        stream_label: None,
        stream_seq: 0,
        deletion_protection: i.deletion_protection_enabled.unwrap_or(false),
        pitr: None,
        restore: None,
        sse: i
            .sse_specification
            .as_ref()
            .map(|s| sse(ctx, s, "sSESpecification"))
            .transpose()?
            .flatten(),
    };
    let k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    if let Some(spec) = &i.stream_specification {
        streams::requested_view(spec)?;
    }
    let record = transact(&*db.storage.kv, |txn| {
        if txn.get(TABLES, &k).map_err(store_error)?.is_some() {
            return Err(resource_in_use(format!(
                "Table already exists: {}",
                i.table_name
            )));
        }
        let mut record = record.clone();
        if let Some(spec) = i
            .stream_specification
            .as_ref()
            .filter(|s| s.stream_enabled())
        {
            streams::apply_spec(txn, &mut record, &k, spec, ctx.clock.now_millis())?;
        }
        txn.put(TABLES, &k, &record.to_record().map_err(store_error)?)
            .map_err(store_error)?;
        Ok(record)
    })?;
    // AWS answers CREATING and turns ACTIVE shortly; gureum's tables are ready at once.
    Ok(json!({"TableDescription": record.description("ACTIVE")}))
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct ProjectionInput {
    projection_type: Option<String>,
    non_key_attributes: Option<Vec<String>>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct IndexInput {
    index_name: String,
    key_schema: Vec<KeySchemaInput>,
    projection: ProjectionInput,
    provisioned_throughput: Option<ThroughputInput>,
}

/// The indexes a restore's GlobalSecondaryIndexOverride and LocalSecondaryIndexOverride ask
/// for, in place of the source table's, on the source's attribute definitions and billing.
pub(crate) fn override_indexes(
    table: &TableRecord,
    global: Option<&Value>,
    local: Option<&Value>,
) -> Result<Vec<IndexRecord>, AwsError> {
    let defined = |name: &str| {
        table
            .attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    };
    let mut out: Vec<IndexRecord> = Vec::new();
    for (is_global, list) in [(true, global), (false, local)] {
        let Some(list) = list else {
            // Not overridden: the source's indexes of that kind.
            out.extend(
                table
                    .indexes
                    .iter()
                    .filter(|i| i.global == is_global)
                    .cloned(),
            );
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| validation("index overrides must be lists"))?;
        for v in list {
            let x: IndexInput = serde_json::from_value(v.clone())
                .map_err(|e| validation(format!("invalid index: {e}")))?;
            for k in &x.key_schema {
                if defined(&k.attribute_name).is_none() {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                        k.attribute_name,
                        table
                            .attributes
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            let record = index_record(
                is_global,
                x,
                &table.hash.name,
                table.range.as_ref().map(|r| r.name.as_str()),
                &table.billing_mode,
                &|n: &str| defined(n).unwrap_or_default(),
            )?;
            if out.iter().any(|o| o.name == record.name) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {}",
                    record.name
                )));
            }
            out.push(record);
        }
    }
    Ok(out)
}

/// Validates one GlobalSecondaryIndex or LocalSecondaryIndex of CreateTable.
fn index_record(
    global: bool,
    x: IndexInput,
    table_hash: &str,
    table_range: Option<&str>,
    billing_mode: &str,
    kind: &dyn Fn(&str) -> String,
) -> Result<IndexRecord, AwsError> {
    let name = x.index_name.clone();
    let invalid =
        |what: &str| validation(format!("One or more parameter values were invalid: {what}"));
    let (hash, range) = match x.key_schema.as_slice() {
        [h] if h.key_type == "HASH" => (h, None),
        [h, r] if h.key_type == "HASH" && r.key_type == "RANGE" => (h, Some(r)),
        _ => {
            return Err(invalid(&format!(
                "Invalid KeySchema for index: {name}: it must be one HASH key, optionally followed by one RANGE key"
            )));
        }
    };
    if !global {
        let Some(_) = table_range else {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        };
        if hash.attribute_name != table_hash {
            return Err(invalid(&format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {table_hash}",
                hash.attribute_name
            )));
        }
        if range.is_none() {
            return Err(invalid(&format!(
                "Index KeySchema does not have a range key for index: {name}"
            )));
        }
    }
    let projection = x.projection.projection_type.unwrap_or_else(|| "ALL".into());
    let non_key = x.projection.non_key_attributes.unwrap_or_default();
    match projection.as_str() {
        "ALL" | "KEYS_ONLY" if !non_key.is_empty() => {
            return Err(invalid(&format!(
                "ProjectionType is {projection}, but NonKeyAttributes is specified"
            )));
        }
        "ALL" | "KEYS_ONLY" => {}
        "INCLUDE" if non_key.is_empty() => {
            return Err(invalid(
                "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            ));
        }
        "INCLUDE" => {}
        other => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
            )));
        }
    }
    let (read, write) = match (global, billing_mode, x.provisioned_throughput) {
        (true, "PROVISIONED", None) => {
            return Err(invalid(&format!(
                "ProvisionedThroughput must be specified for index: {name}"
            )));
        }
        (true, "PROVISIONED", Some(t)) => (
            t.read_capacity_units.unwrap_or(0).max(0) as u64,
            t.write_capacity_units.unwrap_or(0).max(0) as u64,
        ),
        _ => (0, 0),
    };
    let element = |k: &KeySchemaInput| KeySchemaElement {
        name: k.attribute_name.clone(),
        kind: kind(&k.attribute_name),
    };
    Ok(IndexRecord {
        name,
        global,
        hash: element(hash),
        range: range.map(element),
        projection,
        non_key,
        read_capacity: read,
        write_capacity: write,
        item_count: 0,
        size_bytes: 0,
    })
}

fn table_id() -> String {
    let mut b = [0u8; 16];
    gureum_core::ids::random_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableNameInput {
    table_name: String,
}

pub fn describe_table(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: TableNameInput = input(params)?;
    let table = load_table(db, ctx, &i.table_name).map_err(|e| {
        if e.code == "ResourceNotFoundException" {
            resource_not_found(format!(
                "Requested resource not found: Table: {} not found",
                i.table_name
            ))
        } else {
            e
        }
    })?;
    Ok(json!({"Table": table.description("ACTIVE")}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTablesInput {
    exclusive_start_table_name: Option<String>,
    limit: Option<usize>,
}

pub fn list_tables(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: ListTablesInput = input(params)?;
    let limit = i.limit.unwrap_or(100).clamp(1, 100);
    let prefix = key::join([ctx.account_id(), ctx.region.as_str()]);
    let mut range = KeyRange::prefix(&prefix);
    if let Some(start) = &i.exclusive_start_table_name {
        range = range.after(&table_key(ctx.account_id(), &ctx.region, start));
    }
    let entries = db
        .storage
        .kv
        .scan(TABLES, &range, Some(limit + 1), false)
        .map_err(store_error)?;
    let mut names = Vec::new();
    for (k, _) in &entries {
        let parts = key::split_str(k).map_err(store_error)?;
        if let Some(name) = parts.get(2) {
            names.push(name.clone());
        }
    }
    let mut out = json!({});
    if names.len() > limit {
        names.truncate(limit);
        out["LastEvaluatedTableName"] = json!(names.last());
    }
    out["TableNames"] = json!(names);
    Ok(out)
}

pub fn delete_table(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: TableNameInput = input(params)?;
    let k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let table = transact(&*db.storage.kv, |txn| {
        let Some(bytes) = txn.get(TABLES, &k).map_err(store_error)? else {
            return Err(resource_not_found(format!(
                "Requested resource not found: Table: {} not found",
                i.table_name
            )));
        };
        let table = TableRecord::from_record(&bytes).map_err(store_error)?;
        if table.deletion_protection {
            return Err(validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
            ));
        }
        txn.delete(TABLES, &k).map_err(store_error)?;
        if table.pitr.is_some() {
            crate::backups::forget_pitr(txn, &k, &table)?;
        }
        let prefix = table.items_prefix(ctx.account_id(), &ctx.region);
        for store_table in [ITEMS, INDEXES] {
            loop {
                let batch = txn
                    .scan_prefix(store_table, &prefix, Some(1000), false)
                    .map_err(store_error)?;
                if batch.is_empty() {
                    break;
                }
                for (item_key, _) in batch {
                    txn.delete(store_table, &item_key).map_err(store_error)?;
                }
            }
        }
        Ok(table)
    })?;
    Ok(json!({"TableDescription": table.description("DELETING")}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTableInput {
    table_name: String,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ThroughputInput>,
    stream_specification: Option<StreamSpecInput>,
    attribute_definitions: Option<Vec<AttributeDefinitionInput>>,
    global_secondary_index_updates: Option<Vec<GsiUpdateInput>>,
    deletion_protection_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GsiUpdateInput {
    create: Option<IndexInput>,
    update: Option<GsiThroughputInput>,
    delete: Option<GsiDeleteInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GsiThroughputInput {
    index_name: String,
    provisioned_throughput: Option<ThroughputInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GsiDeleteInput {
    index_name: String,
}

/// DynamoDB's bound on global secondary indexes per table.
const MAX_GSIS: usize = 20;

fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("LimitExceededException", message)
}

/// What an UpdateTable did to the indexes, for the statuses its answer shows.
enum IndexChange {
    Created(String),
    Deleted(IndexRecord),
}

pub fn update_table(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: UpdateTableInput = input(params)?;
    let k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let now = ctx.clock.now_millis() as f64 / 1000.0;
    let gsi_updates = i.global_secondary_index_updates.as_deref().unwrap_or(&[]);
    if i.billing_mode.is_none()
        && i.provisioned_throughput.is_none()
        && i.stream_specification.is_none()
        && gsi_updates.is_empty()
        && i.deletion_protection_enabled.is_none()
    {
        return Err(validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    for u in gsi_updates {
        let n = usize::from(u.create.is_some())
            + usize::from(u.update.is_some())
            + usize::from(u.delete.is_some());
        if n != 1 {
            return Err(validation(
                "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update, or GlobalSecondaryIndexUpdate.Delete must be specified",
            ));
        }
    }
    if gsi_updates
        .iter()
        .filter(|u| u.create.is_some() || u.delete.is_some())
        .count()
        > 1
    {
        return Err(limit_exceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    let (table, change) = transact(&*db.storage.kv, |txn| {
        let Some(bytes) = txn.get(TABLES, &k).map_err(store_error)? else {
            return Err(resource_not_found(format!(
                "Requested resource not found: Table: {} not found",
                i.table_name
            )));
        };
        let mut table = TableRecord::from_record(&bytes).map_err(store_error)?;
        if i.billing_mode.is_some() || i.provisioned_throughput.is_some() {
            let mode = i
                .billing_mode
                .clone()
                .unwrap_or_else(|| table.billing_mode.clone());
            let throughput = match (mode.as_str(), i.provisioned_throughput) {
                ("PROVISIONED", None) if table.billing_mode == "PROVISIONED" => {
                    Some(ThroughputInput {
                        read_capacity_units: Some(table.read_capacity as i64),
                        write_capacity_units: Some(table.write_capacity as i64),
                    })
                }
                (_, t) => t,
            };
            let (mode, read, write) = billing(Some(&mode), throughput)?;
            if mode == "PAY_PER_REQUEST" && table.billing_mode != "PAY_PER_REQUEST" {
                table.pay_per_request_since = Some(now);
            }
            if mode == "PROVISIONED" && table.billing_mode == "PAY_PER_REQUEST" {
                // Each GSI needs its own throughput once the table is provisioned; it takes
                // the table's unless the same request sets it.
                for index in table.indexes.iter_mut().filter(|x| x.global) {
                    let given = gsi_updates.iter().find_map(|u| {
                        u.update
                            .as_ref()
                            .filter(|x| x.index_name == index.name)
                            .and_then(|x| x.provisioned_throughput)
                    });
                    let t = given.unwrap_or(ThroughputInput {
                        read_capacity_units: Some(read as i64),
                        write_capacity_units: Some(write as i64),
                    });
                    index.read_capacity = t.read_capacity_units.unwrap_or(0).max(0) as u64;
                    index.write_capacity = t.write_capacity_units.unwrap_or(0).max(0) as u64;
                }
            }
            if mode == "PAY_PER_REQUEST" {
                for index in table.indexes.iter_mut() {
                    index.read_capacity = 0;
                    index.write_capacity = 0;
                }
            }
            table.billing_mode = mode;
            table.read_capacity = read;
            table.write_capacity = write;
        }
        if let Some(protect) = i.deletion_protection_enabled {
            table.deletion_protection = protect;
        }
        if let Some(defs) = &i.attribute_definitions {
            for d in defs {
                if !matches!(d.attribute_type.as_str(), "S" | "N" | "B") {
                    return Err(validation(format!(
                        "1 validation error detected: Value '{}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                        d.attribute_type
                    )));
                }
                match table
                    .attributes
                    .iter()
                    .find(|(n, _)| *n == d.attribute_name)
                {
                    Some((_, t)) if *t != d.attribute_type => {
                        return Err(validation(format!(
                            "One or more parameter values were invalid: Attribute {} is already defined with a different type",
                            d.attribute_name
                        )));
                    }
                    Some(_) => {}
                    None => table
                        .attributes
                        .push((d.attribute_name.clone(), d.attribute_type.clone())),
                }
            }
        }
        let mut change = None;
        for u in gsi_updates {
            if let Some(x) = &u.update {
                if table.billing_mode == "PAY_PER_REQUEST" {
                    return Err(validation(
                        "One or more parameter values were invalid: ProvisionedThroughput cannot be specified for index when BillingMode is PAY_PER_REQUEST",
                    ));
                }
                let Some(index) = table
                    .indexes
                    .iter_mut()
                    .find(|ix| ix.global && ix.name == x.index_name)
                else {
                    return Err(resource_not_found(format!(
                        "Requested resource not found: Index: {} not found",
                        x.index_name
                    )));
                };
                let (_, read, write) = billing(Some("PROVISIONED"), x.provisioned_throughput)?;
                index.read_capacity = read;
                index.write_capacity = write;
            }
            if let Some(x) = &u.delete {
                let Some(at) = table
                    .indexes
                    .iter()
                    .position(|ix| ix.global && ix.name == x.index_name)
                else {
                    return Err(resource_not_found(format!(
                        "Requested resource not found: Index: {} not found",
                        x.index_name
                    )));
                };
                let removed = table.indexes.remove(at);
                let mut prefix = table.items_prefix(ctx.account_id(), &ctx.region);
                key::push(&mut prefix, removed.name.as_bytes());
                loop {
                    let batch = txn
                        .scan_prefix(INDEXES, &prefix, Some(1000), false)
                        .map_err(store_error)?;
                    if batch.is_empty() {
                        break;
                    }
                    for (entry_key, _) in batch {
                        txn.delete(INDEXES, &entry_key).map_err(store_error)?;
                    }
                }
                change = Some(IndexChange::Deleted(removed));
            }
            if let Some(x) = &u.create {
                let name = x.index_name.clone();
                if table.indexes.iter().any(|ix| ix.name == name) {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Index with name: {name} already exists"
                    )));
                }
                if table.indexes.iter().filter(|ix| ix.global).count() >= MAX_GSIS {
                    return Err(limit_exceeded(format!(
                        "Subscriber limit exceeded: The number of global secondary indexes for this table exceeds the limit of {MAX_GSIS}"
                    )));
                }
                let defined: Vec<&str> = table.attributes.iter().map(|(n, _)| n.as_str()).collect();
                let missing: Vec<&str> = x
                    .key_schema
                    .iter()
                    .map(|e| e.attribute_name.as_str())
                    .filter(|n| !defined.contains(n))
                    .collect();
                if !missing.is_empty() {
                    let keys: Vec<&str> = x
                        .key_schema
                        .iter()
                        .map(|e| e.attribute_name.as_str())
                        .collect();
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                        keys.join(", "),
                        defined.join(", ")
                    )));
                }
                let attributes = table.attributes.clone();
                let kind = move |n: &str| {
                    attributes
                        .iter()
                        .find(|(a, _)| a == n)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default()
                };
                let index_input = x.clone();
                if table.billing_mode == "PAY_PER_REQUEST" && x.provisioned_throughput.is_some() {
                    return Err(validation(
                        "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: ".to_string()
                            + &name
                            + " when BillingMode is PAY_PER_REQUEST",
                    ));
                }
                let table_range = table.range.as_ref().map(|r| r.name.clone());
                let index = index_record(
                    true,
                    index_input,
                    &table.hash.name,
                    table_range.as_deref(),
                    &table.billing_mode,
                    &kind,
                )?;
                backfill(txn, &mut table, index, ctx)?;
                change = Some(IndexChange::Created(name));
            }
        }
        if let Some(spec) = &i.stream_specification {
            streams::apply_spec(txn, &mut table, &k, spec, ctx.clock.now_millis())?;
        }
        txn.put(TABLES, &k, &table.to_record().map_err(store_error)?)
            .map_err(store_error)?;
        Ok((table, change))
    })?;
    // The store finished the change inside this call; the answer shows the statuses DynamoDB
    // answers while it starts one (DescribeTable shows the finished state).
    let mut d = table.description(if change.is_some() {
        "UPDATING"
    } else {
        "ACTIVE"
    });
    match change {
        Some(IndexChange::Created(name)) => {
            if let Some(list) = d["GlobalSecondaryIndexes"].as_array_mut() {
                for ix in list.iter_mut().filter(|ix| ix["IndexName"] == json!(name)) {
                    ix["IndexStatus"] = json!("CREATING");
                    ix["Backfilling"] = json!(true);
                }
            }
        }
        Some(IndexChange::Deleted(removed)) => {
            let mut gone = removed.description(&table);
            gone["IndexStatus"] = json!("DELETING");
            match d["GlobalSecondaryIndexes"].as_array_mut() {
                Some(list) => list.push(gone),
                None => d["GlobalSecondaryIndexes"] = json!([gone]),
            }
        }
        None => {}
    }
    Ok(json!({"TableDescription": d}))
}

/// Adds `index` to `table`, writing the entry of every item already stored. Items whose index
/// key has the wrong type are left out of it, as DynamoDB's backfill leaves them.
fn backfill(
    txn: &mut dyn Txn,
    table: &mut TableRecord,
    mut index: IndexRecord,
    ctx: &RequestContext,
) -> Result<(), AwsError> {
    let table_k = table.items_prefix(ctx.account_id(), &ctx.region);
    let mut range = KeyRange::prefix(&table_k);
    loop {
        let batch = txn
            .scan(ITEMS, &range, Some(256), false)
            .map_err(store_error)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        let last = last.clone();
        for (item_key, v) in &batch {
            let item = decode_item(v)?;
            if let Ok(Some((entry_key, projected))) = index.entry(table, &table_k, item_key, &item)
            {
                txn.put(INDEXES, &entry_key, &encode_item(&projected)?)
                    .map_err(store_error)?;
                index.item_count += 1;
                index.size_bytes += item_size(&projected) as u64;
            }
        }
        range = range.after(&last);
    }
    table.indexes.push(index);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Expressions of one request

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ExpressionInput {
    expression_attribute_names: Option<BTreeMap<String, String>>,
    expression_attribute_values: Option<Map<String, Value>>,
}

pub(crate) struct Expressions {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
}

impl Expressions {
    pub(crate) fn new(i: ExpressionInput, any_expression: bool) -> Result<Self, AwsError> {
        if let Some(names) = &i.expression_attribute_names {
            if !any_expression {
                return Err(validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if names.is_empty() {
                return Err(validation("ExpressionAttributeNames must not be empty"));
            }
        }
        let mut values = BTreeMap::new();
        if let Some(v) = &i.expression_attribute_values {
            if !any_expression {
                return Err(validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
            if v.is_empty() {
                return Err(validation("ExpressionAttributeValues must not be empty"));
            }
            for (name, value) in v {
                values.insert(name.clone(), AttributeValue::from_json(value)?);
            }
        }
        Ok(Expressions {
            names: i.expression_attribute_names.unwrap_or_default(),
            values,
        })
    }

    pub(crate) fn subs(&self) -> Substitutions<'_> {
        Substitutions::new(&self.names, &self.values)
    }
}

pub(crate) fn extract_expressions(params: &Value) -> ExpressionInput {
    // Read in place (`json!` would copy both members into a new tree first); either member
    // malformed gives neither, as before.
    let member = |name: &str| params.get(name).unwrap_or(&Value::Null);
    let names = Option::<BTreeMap<String, String>>::deserialize(member("ExpressionAttributeNames"));
    let values = Option::<Map<String, Value>>::deserialize(member("ExpressionAttributeValues"));
    match (names, values) {
        (Ok(expression_attribute_names), Ok(expression_attribute_values)) => ExpressionInput {
            expression_attribute_names,
            expression_attribute_values,
        },
        _ => ExpressionInput::default(),
    }
}

pub(crate) fn check_item(item: &Item) -> Result<(), AwsError> {
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    if item
        .values()
        .any(|v| v.depth() >= crate::value::MAX_NESTING)
    {
        return Err(validation("Nesting Levels have exceeded supported limits"));
    }
    Ok(())
}

pub(crate) fn returned(
    values: &str,
    old: Option<&Item>,
    new: Option<&Item>,
    updated: &[String],
) -> Value {
    let pick = |item: Option<&Item>, only_updated: bool| -> Option<Value> {
        let item = item?;
        let item: Item = if only_updated {
            item.iter()
                .filter(|(k, _)| updated.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        } else {
            item.clone()
        };
        (!item.is_empty()).then(|| item_to_json(&item))
    };
    let attributes = match values {
        "ALL_OLD" => pick(old, false),
        "UPDATED_OLD" => pick(old, true),
        "ALL_NEW" => pick(new, false),
        "UPDATED_NEW" => pick(new, true),
        _ => None,
    };
    let mut out = Map::new();
    if let Some(a) = attributes {
        out.insert("Attributes".to_string(), a);
    }
    Value::Object(out)
}

pub(crate) fn check_return_values(values: &str, allowed: &[&str]) -> Result<(), AwsError> {
    if allowed.contains(&values) {
        Ok(())
    } else {
        Err(validation("Return values set to invalid value"))
    }
}

/// Whether ReturnItemCollectionMetrics asked for SIZE.
pub(crate) fn wants_metrics(params: &Value) -> Result<bool, AwsError> {
    match params
        .get("ReturnItemCollectionMetrics")
        .and_then(Value::as_str)
    {
        None | Some("NONE") => Ok(false),
        Some("SIZE") => Ok(true),
        Some(other) => Err(validation(format!(
            "1 validation error detected: Value '{other}' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]"
        ))),
    }
}

/// ItemCollectionMetrics of the collection holding `key`'s partition, for tables with local
/// secondary indexes (others have no item collections to report): the size of its items and
/// their local index entries, as DynamoDB's range of gigabytes.
pub(crate) fn collection_metrics(
    db: &DynamoDb,
    ctx: &RequestContext,
    table: &TableRecord,
    key: &Item,
) -> Result<Option<Value>, AwsError> {
    if table.indexes.iter().all(|i| i.global) {
        return Ok(None);
    }
    let Some(hash) = key.get(&table.hash.name) else {
        return Ok(None);
    };
    let table_k = table.items_prefix(ctx.account_id(), &ctx.region);
    let mut prefixes = vec![(
        ITEMS,
        table.partition_prefix(ctx.account_id(), &ctx.region, hash),
    )];
    for index in table.indexes.iter().filter(|i| !i.global) {
        let mut p = table_k.clone();
        key::push(&mut p, index.name.as_bytes());
        key::push(&mut p, &encode_key_value(hash));
        prefixes.push((INDEXES, p));
    }
    let mut bytes = 0usize;
    for (store_table, prefix) in prefixes {
        let mut range = KeyRange::prefix(&prefix);
        loop {
            let batch = db
                .storage
                .kv
                .scan(store_table, &range, Some(256), false)
                .map_err(store_error)?;
            let Some((last, _)) = batch.last() else {
                break;
            };
            let last = last.clone();
            for (_, v) in &batch {
                bytes += item_size(&decode_item(v)?);
            }
            range = range.after(&last);
        }
    }
    let gb = bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    let low = gb.floor();
    Ok(Some(json!({
        "ItemCollectionKey": item_to_json(&[(table.hash.name.clone(), hash.clone())].into_iter().collect()),
        "SizeEstimateRangeGB": [low, low + 1.0],
    })))
}

// ---------------------------------------------------------------------------------------------
// Items

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutItemInput {
    table_name: String,
    item: Value,
    condition_expression: Option<String>,
    return_values: Option<String>,
}

/// Writes `new` (or deletes, when `None`) under `item_key`, keeping the table's counters;
/// answers the write capacity it consumed on the table and each index it changed.
pub(crate) fn write_item(
    txn: &mut dyn Txn,
    table_k: &[u8],
    item_key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    origin: Origin,
) -> Result<Consumed, AwsError> {
    match new {
        Some(item) => txn
            .put(ITEMS, item_key, &encode_item(item)?)
            .map_err(store_error)?,
        None => {
            txn.delete(ITEMS, item_key).map_err(store_error)?;
        }
    }
    let Some(bytes) = txn.get(TABLES, table_k).map_err(store_error)? else {
        return Err(not_found_table());
    };
    // Usually the record the request just loaded: cloned from the cache, not decoded again.
    let mut table = TableRecord::clone(&*crate::shared::table(&bytes).map_err(store_error)?);
    let size = |i: Option<&Item>| i.map_or(0, |i| item_size(i) as u64);
    // Each secondary index in the same transaction: drop the old entry, write the new one.
    let mut indexes = std::mem::take(&mut table.indexes);
    let mut consumed = Consumed::default();
    let (old_size, new_size) = (size(old), size(new));
    consumed.table.write = capacity::write_units(old_size.max(new_size) as usize);
    for index in &mut indexes {
        let old_entry = old
            .map(|o| index.entry(&table, table_k, item_key, o))
            .transpose()?
            .flatten();
        let new_entry = new
            .map(|n| index.entry(&table, table_k, item_key, n))
            .transpose()?
            .flatten();
        if let Some((k, projected)) = &old_entry {
            if new_entry.as_ref().is_none_or(|(nk, _)| nk != k) {
                txn.delete(INDEXES, k).map_err(store_error)?;
            }
            index.item_count = index.item_count.saturating_sub(1);
            index.size_bytes = index.size_bytes.saturating_sub(size(Some(projected)));
        }
        if let Some((k, projected)) = &new_entry {
            txn.put(INDEXES, k, &encode_item(projected)?)
                .map_err(store_error)?;
            index.item_count += 1;
            index.size_bytes += size(Some(projected));
        }
        // An index is written only when its entry changes: one write per entry put or
        // deleted, one for an entry rewritten under the same key.
        let units = match (&old_entry, &new_entry) {
            (Some((ok, op)), Some((nk, np))) if ok == nk => {
                if op == np {
                    0.0
                } else {
                    capacity::write_units(size(Some(op)).max(size(Some(np))) as usize)
                }
            }
            (o, n) => {
                o.as_ref()
                    .map_or(0.0, |(_, p)| capacity::write_units(size(Some(p)) as usize))
                    + n.as_ref()
                        .map_or(0.0, |(_, p)| capacity::write_units(size(Some(p)) as usize))
            }
        };
        if units > 0.0 {
            consumed
                .indexes
                .entry((index.global, index.name.clone()))
                .or_default()
                .write += units;
        }
    }
    table.indexes = indexes;
    table.item_count = table.item_count + u64::from(new.is_some()) - u64::from(old.is_some());
    table.size_bytes = (table.size_bytes + new_size).saturating_sub(old_size);
    streams::append(txn, &mut table, table_k, old, new, origin)?;
    crate::backups::log_change(txn, &mut table, table_k, item_key, new, origin.now_millis)?;
    let record = table.to_record().map_err(store_error)?;
    txn.put(TABLES, table_k, &record).map_err(store_error)?;
    // The next request reads this record: cache it as written (harmless if the transaction
    // rolls back, as the cache is keyed by the bytes).
    crate::shared::remember(record.into_boxed_slice(), Arc::new(table));
    Ok(consumed)
}

/// Deletes the items under `item_keys` that are still expired (TTL's lazy removal).
pub(crate) fn remove_expired(
    db: &DynamoDb,
    ctx: &RequestContext,
    table: &TableRecord,
    item_keys: &[Vec<u8>],
) -> Result<(), AwsError> {
    if item_keys.is_empty() || table.ttl_attribute.is_none() {
        return Ok(());
    }
    let table_k = table_key(ctx.account_id(), &ctx.region, &table.name);
    let now = ctx.clock.now_secs();
    transact(&*db.storage.kv, |txn| {
        for k in item_keys {
            if let Some(old) = read_item(txn, k)? {
                if table.expired(&old, now) {
                    write_item(txn, &table_k, k, Some(&old), None, Origin::ttl(ctx))?;
                }
            }
        }
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveSpecification {
    enabled: bool,
    attribute_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTimeToLiveInput {
    table_name: String,
    time_to_live_specification: TimeToLiveSpecification,
}

pub fn update_time_to_live(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: UpdateTimeToLiveInput = input(params)?;
    let spec = &i.time_to_live_specification;
    let k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    transact(&*db.storage.kv, |txn| {
        let Some(bytes) = txn.get(TABLES, &k).map_err(store_error)? else {
            return Err(resource_not_found(format!(
                "Requested resource not found: Table: {} not found",
                i.table_name
            )));
        };
        let mut table = TableRecord::from_record(&bytes).map_err(store_error)?;
        match (&table.ttl_attribute, spec.enabled) {
            (Some(_), true) => return Err(validation("TimeToLive is already enabled")),
            (None, false) => return Err(validation("TimeToLive is already disabled")),
            (Some(a), false) if *a != spec.attribute_name => {
                return Err(validation(
                    "The attribute name provided does not match the current TimeToLive attribute name",
                ));
            }
            _ => {}
        }
        table.ttl_attribute = spec.enabled.then(|| spec.attribute_name.clone());
        txn.put(TABLES, &k, &table.to_record().map_err(store_error)?)
            .map_err(store_error)
    })?;
    Ok(json!({"TimeToLiveSpecification": {
        "Enabled": spec.enabled,
        "AttributeName": spec.attribute_name,
    }}))
}

pub fn describe_time_to_live(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: TableNameInput = input(params)?;
    let table = load_table(db, ctx, &i.table_name)?;
    Ok(match &table.ttl_attribute {
        Some(a) => json!({"TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": a,
        }}),
        None => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
    })
}

pub(crate) fn read_item(txn: &mut dyn Txn, item_key: &[u8]) -> Result<Option<Item>, AwsError> {
    txn.get(ITEMS, item_key)
        .map_err(store_error)?
        .map(|b| decode_item(&b))
        .transpose()
}

/// What PutItem and DeleteItem read from their request before deserializing it: the legacy
/// `Expected` (refused beside ConditionExpression), the reporting options, and the expression
/// members.
fn conditional_write(
    params: &Value,
) -> Result<(Option<Condition>, Report, bool, ExpressionInput), AwsError> {
    legacy::reject_mixing(
        params,
        &["Expected", "ConditionalOperator"],
        &["ConditionExpression"],
    )?;
    let expected = legacy::expected(params)?;
    let report = Report::of(params)?;
    let metrics = wants_metrics(params)?;
    Ok((expected, report, metrics, extract_expressions(params)))
}

/// A write's condition: its ConditionExpression (with every name and value used), else the
/// legacy `Expected`.
fn write_condition(
    exprs_in: ExpressionInput,
    condition_expression: Option<&str>,
    expected: Option<Condition>,
) -> Result<Option<Condition>, AwsError> {
    let exprs = Expressions::new(exprs_in, condition_expression.is_some())?;
    let mut subs = exprs.subs();
    let condition = condition_expression
        .map(|c| expr::parse_condition(c, "ConditionExpression", &mut subs))
        .transpose()?
        .or(expected);
    subs.check_all_used()?;
    Ok(condition)
}

pub fn put_item(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let (expected, report, metrics, exprs_in) = conditional_write(&params)?;
    let i: PutItemInput = input(params)?;
    let return_values = i.return_values.as_deref().unwrap_or("NONE");
    check_return_values(return_values, &["NONE", "ALL_OLD"])?;
    let condition = write_condition(exprs_in, i.condition_expression.as_deref(), expected)?;
    let item = item_from_json(&i.item)?;
    let table = load_table(db, ctx, &i.table_name)?;
    table.check_item_keys(&item)?;
    check_item(&item)?;
    db.throughput.admit(ctx, &table, Access::Write, None)?;
    let item_key = table.item_key(ctx.account_id(), &ctx.region, &item)?;
    let table_k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let mut refused_size = None;
    let (old, consumed) = transact(&*db.storage.kv, |txn| {
        let old = read_item(txn, &item_key)?;
        if let Some(c) = &condition {
            if !eval::matches(old.as_ref().unwrap_or(&Item::new()), c) {
                refused_size = Some(old.as_ref().map_or(0, item_size));
                return Err(conditional_check_failed());
            }
        }
        let consumed = write_item(
            txn,
            &table_k,
            &item_key,
            old.as_ref(),
            Some(&item),
            Origin::user(ctx),
        )?;
        Ok((old, consumed))
    })
    .inspect_err(|_| {
        // DynamoDB bills a failed conditional write by the item it found (one unit at least).
        if let Some(size) = refused_size {
            let mut c = Consumed::default();
            c.table.write = capacity::write_units(size);
            db.throughput.consume(ctx, &table, &c);
        }
    })?;
    db.throughput.consume(ctx, &table, &consumed);
    let mut out = returned(return_values, old.as_ref(), None, &[]);
    capacity::answer(&mut out, &consumed, &table.name, report);
    if metrics {
        if let Some(m) = collection_metrics(db, ctx, &table, &item)? {
            out["ItemCollectionMetrics"] = m;
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetItemInput {
    table_name: String,
    key: Value,
    projection_expression: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
}

pub fn get_item(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let report = Report::of(&params)?;
    let exprs_in = extract_expressions(&params);
    let i: GetItemInput = input(params)?;
    let exprs = Expressions::new(exprs_in, i.projection_expression.is_some())?;
    let mut subs = exprs.subs();
    let projection = projection(
        i.projection_expression.as_deref(),
        i.attributes_to_get,
        &mut subs,
    )?;
    subs.check_all_used()?;
    let key = item_from_json(&i.key)?;
    let table = load_table(db, ctx, &i.table_name)?;
    table.check_key(&key)?;
    db.throughput.admit(ctx, &table, Access::Read, None)?;
    let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
    // Every read is strongly consistent here, so ConsistentRead changes nothing.
    let stored = db.storage.kv.get(ITEMS, &item_key).map_err(store_error)?;
    if projection.is_none() && table.ttl_attribute.is_none() {
        // The item is answered whole and cannot expire: straight from its bytes to the answer.
        let shown = stored.map(|b| decode_shown(&b, &[])).transpose()?;
        let consumed = Consumed::read(capacity::read_units(
            shown.as_ref().map_or(0, |s| s.size),
            i.consistent_read.unwrap_or(false),
        ));
        db.throughput.consume(ctx, &table, &consumed);
        let mut out = Map::new();
        if let Some(shown) = shown {
            out.insert("Item".to_string(), shown.json);
        }
        let mut out = Value::Object(out);
        capacity::answer(&mut out, &consumed, &table.name, report);
        return Ok(out);
    }
    let item = stored.map(|b| decode_item(&b)).transpose()?;
    let now = ctx.clock.now_secs();
    let item = match item {
        Some(found) if table.expired(&found, now) => {
            remove_expired(db, ctx, &table, std::slice::from_ref(&item_key))?;
            None
        }
        other => other,
    };
    // Capacity counts the whole item read, whatever the projection shows.
    let consumed = Consumed::read(capacity::read_units(
        item.as_ref().map_or(0, item_size),
        i.consistent_read.unwrap_or(false),
    ));
    db.throughput.consume(ctx, &table, &consumed);
    let mut out = match item {
        Some(item) => {
            let item = match &projection {
                Some(paths) => eval::project(&item, paths),
                None => item,
            };
            // Built in place: `json!` would copy the item's tree.
            let mut out = Map::new();
            out.insert("Item".to_string(), item_into_json(item));
            Value::Object(out)
        }
        None => json!({}),
    };
    capacity::answer(&mut out, &consumed, &table.name, report);
    Ok(out)
}

pub(crate) fn projection(
    expression: Option<&str>,
    attributes_to_get: Option<Vec<String>>,
    subs: &mut Substitutions<'_>,
) -> Result<Option<Vec<Path>>, AwsError> {
    match (expression, attributes_to_get) {
        (Some(_), Some(_)) => Err(validation(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        )),
        (Some(e), None) => expr::parse_projection(e, subs).map(Some),
        (None, Some(names)) => Ok(Some(
            names
                .into_iter()
                .map(|n| vec![PathElement::Attribute(n)])
                .collect(),
        )),
        (None, None) => Ok(None),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteItemInput {
    table_name: String,
    key: Value,
    condition_expression: Option<String>,
    return_values: Option<String>,
}

pub fn delete_item(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let (expected, report, metrics, exprs_in) = conditional_write(&params)?;
    let i: DeleteItemInput = input(params)?;
    let return_values = i.return_values.as_deref().unwrap_or("NONE");
    check_return_values(return_values, &["NONE", "ALL_OLD"])?;
    let condition = write_condition(exprs_in, i.condition_expression.as_deref(), expected)?;
    let key = item_from_json(&i.key)?;
    let table = load_table(db, ctx, &i.table_name)?;
    table.check_key(&key)?;
    db.throughput.admit(ctx, &table, Access::Write, None)?;
    let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
    let table_k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let mut refused_size = None;
    let (old, consumed) = transact(&*db.storage.kv, |txn| {
        let old = read_item(txn, &item_key)?;
        if let Some(c) = &condition {
            if !eval::matches(old.as_ref().unwrap_or(&Item::new()), c) {
                refused_size = Some(old.as_ref().map_or(0, item_size));
                return Err(conditional_check_failed());
            }
        }
        // Deleting an item that is not there still consumes one write.
        let consumed = match old {
            Some(_) => write_item(
                txn,
                &table_k,
                &item_key,
                old.as_ref(),
                None,
                Origin::user(ctx),
            )?,
            None => Consumed {
                table: capacity::Units {
                    read: 0.0,
                    write: 1.0,
                },
                ..Default::default()
            },
        };
        Ok((old, consumed))
    })
    .inspect_err(|_| {
        // DynamoDB bills a failed conditional write by the item it found (one unit at least).
        if let Some(size) = refused_size {
            let mut c = Consumed::default();
            c.table.write = capacity::write_units(size);
            db.throughput.consume(ctx, &table, &c);
        }
    })?;
    db.throughput.consume(ctx, &table, &consumed);
    let mut out = returned(return_values, old.as_ref(), None, &[]);
    capacity::answer(&mut out, &consumed, &table.name, report);
    if metrics {
        if let Some(m) = collection_metrics(db, ctx, &table, &key)? {
            out["ItemCollectionMetrics"] = m;
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateItemInput {
    table_name: String,
    key: Value,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    return_values: Option<String>,
}

pub fn update_item(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    legacy::reject_mixing(
        &params,
        &["AttributeUpdates", "Expected", "ConditionalOperator"],
        &["UpdateExpression", "ConditionExpression"],
    )?;
    let expected = legacy::expected(&params)?;
    let attribute_updates = legacy::attribute_updates(&params)?;
    let report = Report::of(&params)?;
    let metrics = wants_metrics(&params)?;
    let exprs_in = extract_expressions(&params);
    let i: UpdateItemInput = input(params)?;
    let return_values = i.return_values.as_deref().unwrap_or("NONE");
    check_return_values(
        return_values,
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )?;
    let exprs = Expressions::new(
        exprs_in,
        i.condition_expression.is_some() || i.update_expression.is_some(),
    )?;
    let mut subs = exprs.subs();
    let actions = i
        .update_expression
        .as_deref()
        .map(|u| expr::parse_update(u, &mut subs))
        .transpose()?
        .or(attribute_updates)
        .unwrap_or_default();
    let condition = i
        .condition_expression
        .as_deref()
        .map(|c| expr::parse_condition(c, "ConditionExpression", &mut subs))
        .transpose()?
        .or(expected);
    subs.check_all_used()?;
    let key = item_from_json(&i.key)?;
    let table = load_table(db, ctx, &i.table_name)?;
    table.check_key(&key)?;
    let mut updated: Vec<String> = Vec::new();
    for action in &actions {
        if let Some(PathElement::Attribute(first)) = action.path().first() {
            if table.is_key(first) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Cannot update attribute {first}. This attribute is part of the key"
                )));
            }
            updated.push(first.clone());
        }
    }
    db.throughput.admit(ctx, &table, Access::Write, None)?;
    let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
    let table_k = table_key(ctx.account_id(), &ctx.region, &i.table_name);
    let mut refused_size = None;
    let (old, new, consumed) = transact(&*db.storage.kv, |txn| {
        let old = read_item(txn, &item_key)?;
        if let Some(c) = &condition {
            if !eval::matches(old.as_ref().unwrap_or(&Item::new()), c) {
                refused_size = Some(old.as_ref().map_or(0, item_size));
                return Err(conditional_check_failed());
            }
        }
        let mut new = old.clone().unwrap_or_else(|| key.clone());
        eval::apply_update(&mut new, &actions)?;
        check_item(&new)?;
        let consumed = write_item(
            txn,
            &table_k,
            &item_key,
            old.as_ref(),
            Some(&new),
            Origin::user(ctx),
        )?;
        Ok((old, new, consumed))
    })
    .inspect_err(|_| {
        // DynamoDB bills a failed conditional write by the item it found (one unit at least).
        if let Some(size) = refused_size {
            let mut c = Consumed::default();
            c.table.write = capacity::write_units(size);
            db.throughput.consume(ctx, &table, &c);
        }
    })?;
    db.throughput.consume(ctx, &table, &consumed);
    let mut out = returned(return_values, old.as_ref(), Some(&new), &updated);
    capacity::answer(&mut out, &consumed, &table.name, report);
    if metrics {
        if let Some(m) = collection_metrics(db, ctx, &table, &key)? {
            out["ItemCollectionMetrics"] = m;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Query and Scan

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReadInput {
    table_name: String,
    index_name: Option<String>,
    key_condition_expression: Option<String>,
    filter_expression: Option<String>,
    projection_expression: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    scan_index_forward: Option<bool>,
    limit: Option<usize>,
    exclusive_start_key: Option<Value>,
    select: Option<String>,
    segment: Option<usize>,
    total_segments: Option<usize>,
    consistent_read: Option<bool>,
}

/// The range of store keys a key condition selects, and whether the condition names the keys.
fn key_range(
    base: &[u8],
    hash_key: &KeySchemaElement,
    range_key: Option<&KeySchemaElement>,
    condition: &Condition,
) -> Result<KeyRange, AwsError> {
    let mut parts = Vec::new();
    let mut stack = vec![condition];
    while let Some(c) = stack.pop() {
        match c {
            Condition::And(a, b) => {
                if parts.len() + stack.len() > 4 {
                    return Err(validation("Query key condition not supported"));
                }
                stack.push(b);
                stack.push(a);
            }
            other => parts.push(other),
        }
    }
    let name_of = |o: &Operand| match o {
        Operand::Path(p) if p.len() == 1 => match &p[0] {
            PathElement::Attribute(a) => Some(a.clone()),
            PathElement::Index(_) => None,
        },
        _ => None,
    };
    let value_of = |o: &Operand| match o {
        Operand::Value(v) => Some(v.clone()),
        _ => None,
    };
    let mut hash = None;
    let mut range = None;
    for part in parts {
        let attribute = match part {
            Condition::Compare(a, _, _)
            | Condition::Between(a, _, _)
            | Condition::BeginsWith(a, _) => name_of(a),
            _ => None,
        }
        .ok_or_else(|| validation("Query key condition not supported"))?;
        if attribute == hash_key.name {
            match part {
                Condition::Compare(_, Comparator::Eq, v) if hash.is_none() => {
                    hash = Some(
                        value_of(v)
                            .ok_or_else(|| validation("Query key condition not supported"))?,
                    )
                }
                _ => return Err(validation("Query key condition not supported")),
            }
        } else if range_key.is_some_and(|r| r.name == attribute) && range.is_none() {
            range = Some(part);
        } else {
            return Err(validation(format!(
                "Query condition missed key schema element: {}",
                hash_key.name
            )));
        }
    }
    let Some(hash) = hash else {
        return Err(validation(format!(
            "Query condition missed key schema element: {}",
            hash_key.name
        )));
    };
    if hash.type_name() != hash_key.kind {
        return Err(validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    let mut prefix = base.to_vec();
    key::push(&mut prefix, &encode_key_value(&hash));
    let Some(range_condition) = range else {
        return Ok(KeyRange::prefix(&prefix));
    };
    let range_kind = range_key.map(|r| r.kind.as_str()).unwrap_or("");
    let at = |v: &AttributeValue| -> Result<Vec<u8>, AwsError> {
        if v.type_name() != range_kind {
            return Err(validation(
                "One or more parameter values were invalid: Condition parameter type does not match schema type",
            ));
        }
        let mut k = prefix.clone();
        key::push(&mut k, &encode_key_value(v));
        Ok(k)
    };
    let all = KeyRange::prefix(&prefix);
    let value =
        |o: &Operand| value_of(o).ok_or_else(|| validation("Query key condition not supported"));
    // A sort key value selects every store key it prefixes: an index entry's key goes on with
    // the table key of its item.
    let through = |k: &[u8]| KeyRange::prefix(k).end;
    let after = |k: &[u8]| match KeyRange::prefix(k).end {
        Bound::Excluded(next) => Bound::Included(next),
        _ => Bound::Excluded(k.to_vec()),
    };
    Ok(match range_condition {
        Condition::Compare(_, op, v) => {
            let k = at(&value(v)?)?;
            match op {
                Comparator::Eq => KeyRange::prefix(&k),
                Comparator::Lt => KeyRange {
                    end: Bound::Excluded(k),
                    ..all
                },
                Comparator::Le => KeyRange {
                    end: through(&k),
                    ..all
                },
                Comparator::Gt => KeyRange {
                    start: after(&k),
                    ..all
                },
                Comparator::Ge => KeyRange {
                    start: Bound::Included(k),
                    ..all
                },
                Comparator::Ne => {
                    return Err(validation("Unsupported operator on KeyCondition: <>"));
                }
            }
        }
        Condition::Between(_, low, high) => {
            let (low, high) = (at(&value(low)?)?, at(&value(high)?)?);
            if low > high {
                return Err(validation(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
                ));
            }
            KeyRange {
                start: Bound::Included(low),
                end: through(&high),
            }
        }
        Condition::BeginsWith(_, v) => {
            let v = value(v)?;
            if !matches!(v, AttributeValue::S(_) | AttributeValue::B(_))
                || v.type_name() != range_kind
            {
                return Err(validation(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                ));
            }
            let mut p = prefix.clone();
            p.extend(escaped_prefix(&encode_key_value(&v)));
            KeyRange::prefix(&p)
        }
        _ => return Err(validation("Query key condition not supported")),
    })
}

/// Checks Select against the projection and index as DynamoDB does; answers whether only the
/// count is wanted.
fn check_select(
    select: Option<&str>,
    index: Option<&IndexRecord>,
    projected: bool,
    member: &str,
) -> Result<bool, AwsError> {
    let with_projection = |what: &str| {
        validation(format!(
            "Cannot specify the {member} when choosing to get {what}"
        ))
    };
    match select {
        None => Ok(false),
        Some("COUNT") if projected => Err(with_projection("only the Count")),
        Some("COUNT") => Ok(true),
        Some("ALL_ATTRIBUTES") if projected => Err(with_projection("ALL_ATTRIBUTES")),
        Some("ALL_ATTRIBUTES") => match index {
            Some(ix) if ix.global && ix.projection != "ALL" => Err(validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                ix.name
            ))),
            _ => Ok(false),
        },
        Some("ALL_PROJECTED_ATTRIBUTES") if projected => {
            Err(with_projection("ALL_PROJECTED_ATTRIBUTES"))
        }
        Some("ALL_PROJECTED_ATTRIBUTES") if index.is_none() => Err(validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        )),
        Some("ALL_PROJECTED_ATTRIBUTES") => Ok(false),
        Some("SPECIFIC_ATTRIBUTES") if projected => Ok(false),
        Some("SPECIFIC_ATTRIBUTES") => Err(validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        )),
        Some(other) => Err(validation(format!(
            "1 validation error detected: Value '{other}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
        ))),
    }
}

pub fn query(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    read(db, ctx, params, true)
}

pub fn scan(db: &DynamoDb, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    read(db, ctx, params, false)
}

fn read(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
    is_query: bool,
) -> Result<Value, AwsError> {
    let legacy_filter_name = if is_query {
        "QueryFilter"
    } else {
        "ScanFilter"
    };
    legacy::reject_mixing(
        &params,
        &[
            "AttributesToGet",
            legacy_filter_name,
            "ConditionalOperator",
            "KeyConditions",
        ],
        &[
            "ProjectionExpression",
            "FilterExpression",
            "KeyConditionExpression",
        ],
    )?;
    let legacy_keys = if is_query {
        legacy::key_conditions(&params)?
    } else {
        None
    };
    let legacy_filter = legacy::filter(&params, legacy_filter_name)?;
    let report = Report::of(&params)?;
    let exprs_in = extract_expressions(&params);
    let i: ReadInput = input(params)?;
    let exprs = Expressions::new(
        exprs_in,
        i.key_condition_expression.is_some()
            || i.filter_expression.is_some()
            || i.projection_expression.is_some(),
    )?;
    let mut subs = exprs.subs();
    let key_condition = match (&i.key_condition_expression, is_query) {
        (Some(k), true) => Some(expr::parse_condition(
            k,
            "KeyConditionExpression",
            &mut subs,
        )?),
        (None, true) => Some(legacy_keys.ok_or_else(|| {
            validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            )
        })?),
        _ => None,
    };
    let filter = i
        .filter_expression
        .as_deref()
        .map(|f| expr::parse_condition(f, "FilterExpression", &mut subs))
        .transpose()?
        .or(legacy_filter);
    let projection = projection(
        i.projection_expression.as_deref(),
        i.attributes_to_get.clone(),
        &mut subs,
    )?;
    subs.check_all_used()?;
    if i.limit == Some(0) {
        return Err(validation(
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ));
    }
    let table = load_table(db, ctx, &i.table_name)?;
    let table_k = table.items_prefix(ctx.account_id(), &ctx.region);
    let index = match &i.index_name {
        Some(n) => Some(table.index(n).cloned().ok_or_else(|| {
            validation(format!("The table does not have the specified index: {n}"))
        })?),
        None => None,
    };
    let count_only = check_select(
        i.select.as_deref(),
        index.as_ref(),
        projection.is_some(),
        if i.projection_expression.is_some() {
            "ProjectionExpression"
        } else {
            "AttributesToGet"
        },
    )?;
    let (store_table, base, hash_key, range_key) = match &index {
        Some(ix) => {
            let mut base = table_k.clone();
            key::push(&mut base, ix.name.as_bytes());
            (INDEXES, base, ix.hash.clone(), ix.range.clone())
        }
        None => (
            ITEMS,
            table_k.clone(),
            table.hash.clone(),
            table.range.clone(),
        ),
    };
    if index.as_ref().is_some_and(|ix| ix.global) && i.consistent_read == Some(true) {
        return Err(validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    db.throughput
        .admit(ctx, &table, Access::Read, i.index_name.as_deref())?;
    let mut range = match &key_condition {
        Some(c) => key_range(&base, &hash_key, range_key.as_ref(), c)?,
        None => KeyRange::prefix(&base),
    };
    let forward = i.scan_index_forward.unwrap_or(true) || !is_query;
    if let Some(start) = &i.exclusive_start_key {
        let start = item_from_json(start)?;
        let invalid_start = || {
            validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            )
        };
        let k = match &index {
            None => {
                table.check_key(&start).map_err(|_| invalid_start())?;
                table.item_key(ctx.account_id(), &ctx.region, &start)?
            }
            Some(ix) => {
                let table_key_of_start = table.key_of(&start);
                table
                    .check_key(&table_key_of_start)
                    .map_err(|_| invalid_start())?;
                let item_key =
                    table.item_key(ctx.account_id(), &ctx.region, &table_key_of_start)?;
                ix.entry(&table, &table_k, &item_key, &start)
                    .map_err(|_| invalid_start())?
                    .ok_or_else(invalid_start)?
                    .0
            }
        };
        range = if forward {
            range.after(&k)
        } else {
            range.before(&k)
        };
    }
    let segment = match (i.segment, i.total_segments) {
        (Some(s), Some(t)) if t > 0 && s < t => Some((s, t)),
        (None, None) => None,
        _ => {
            return Err(validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
    };
    let limit = i.limit.unwrap_or(usize::MAX);
    // Items shown whole, with no TTL to check and no segment to pick: decoded straight into
    // the answer, only their key attributes (all a key condition reads, and what the page's
    // LastEvaluatedKey holds) as values.
    let whole = projection.is_none()
        && filter.is_none()
        && table.ttl_attribute.is_none()
        && segment.is_none();
    let key_names: Vec<&str> = table
        .key_elements()
        .chain(index.iter().flat_map(|ix| ix.key_elements()))
        .map(|e| e.name.as_str())
        .collect();
    // A key condition that is only `hash = value` selects exactly the store keys of the range
    // (key_range checked the value's type; key parts are escaped, so a prefix is a whole
    // value): its items need no check, nor their keys decoding but at the end of the page.
    let exact = match &key_condition {
        Some(Condition::Compare(Operand::Path(path), Comparator::Eq, Operand::Value(v))) => {
            matches!(path.as_slice(), [PathElement::Attribute(a)] if *a == hash_key.name)
                && v.type_name() == hash_key.kind
        }
        _ => false,
    };
    let mut items: Vec<Value> = Vec::new();
    let (mut scanned, mut bytes) = (0usize, 0usize);
    let mut last_key: Option<Item> = None;
    let mut more = false;
    let now = ctx.clock.now_secs();
    let mut expired: Vec<Vec<u8>> = Vec::new();
    'pages: loop {
        if range.is_empty() {
            break;
        }
        // No more entries than the page can still take (expired items and other segments
        // make the loop come back for more).
        let want = limit.saturating_sub(scanned).clamp(1, 256);
        let batch = db
            .storage
            .kv
            .scan(store_table, &range, Some(want), !forward)
            .map_err(store_error)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        range = if forward {
            range.after(last)
        } else {
            range.before(last)
        };
        for (k, v) in &batch {
            if whole {
                let shown = decode_shown(v, if exact { &[] } else { &key_names })?;
                if let (Some(c), false) = (&key_condition, exact)
                    && !eval::matches(&shown.kept, c)
                {
                    continue;
                }
                scanned += 1;
                bytes += shown.size;
                let stop = scanned >= limit || bytes >= MAX_PAGE_BYTES;
                if stop {
                    let kept = if exact { decode_item(v)? } else { shown.kept };
                    let mut k = table.key_of(&kept);
                    if let Some(ix) = &index {
                        for e in ix.key_elements() {
                            if let Some(v) = kept.get(&e.name) {
                                k.insert(e.name.clone(), v.clone());
                            }
                        }
                    }
                    last_key = Some(k);
                    more = true;
                }
                items.push(shown.json);
                if stop {
                    break 'pages;
                }
                continue;
            }
            let item = decode_item(v)?;
            if table.expired(&item, now) {
                if index.is_none() {
                    expired.push(k.clone());
                }
                continue;
            }
            if let Some((s, t)) = segment {
                // A stable hash of the partition key picks the segment.
                let hash_value = item
                    .get(&table.hash.name)
                    .map(encode_key_value)
                    .unwrap_or_default();
                let h = hash_value.iter().fold(0xcbf29ce484222325u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
                });
                if (h % t as u64) as usize != s {
                    continue;
                }
            }
            if let Some(c) = &key_condition {
                if !eval::matches(&item, c) {
                    continue;
                }
            }
            scanned += 1;
            bytes += item_size(&item);
            let keep = filter.as_ref().is_none_or(|f| eval::matches(&item, f));
            let stop = scanned >= limit || bytes >= MAX_PAGE_BYTES;
            if stop {
                let mut k = table.key_of(&item);
                if let Some(ix) = &index {
                    for e in ix.key_elements() {
                        if let Some(v) = item.get(&e.name) {
                            k.insert(e.name.clone(), v.clone());
                        }
                    }
                }
                last_key = Some(k);
                more = true;
            }
            if keep {
                items.push(item_into_json(match &projection {
                    Some(paths) => eval::project(&item, paths),
                    None => item,
                }));
            }
            if stop {
                break 'pages;
            }
        }
    }
    remove_expired(db, ctx, &table, &expired)?;
    // Query and Scan consume by the total size read, not per item.
    let units = capacity::read_units(bytes, i.consistent_read.unwrap_or(false));
    let consumed = match &index {
        Some(ix) => Consumed::index_read(ix.global, &ix.name, units),
        None => Consumed::read(units),
    };
    db.throughput.consume(ctx, &table, &consumed);
    // DynamoDB answers LastEvaluatedKey when it stopped at the limit, even if nothing is left.
    let mut out = json!({"Count": items.len(), "ScannedCount": scanned});
    capacity::answer(&mut out, &consumed, &table.name, report);
    if !count_only {
        out["Items"] = Value::Array(items);
    }
    if more {
        if let Some(k) = last_key {
            out["LastEvaluatedKey"] = item_to_json(&k);
        }
    }
    Ok(out)
}
