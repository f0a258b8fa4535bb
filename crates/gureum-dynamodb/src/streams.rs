//! DynamoDB Streams: the change records every item write appends, in the write's own store
//! transaction, and the `dynamodbstreams` service that reads them (ListStreams, DescribeStream,
//! GetShardIterator, GetRecords). One shard per stream; records kept 24 hours on the server
//! clock, trimmed lazily; iterators are opaque and live 15 minutes.

use base64::Engine;
use gureum_core::{
    AuthzTarget, AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service,
};
use gureum_store::{KeyRange, Storage, Txn, Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::{resource_not_found, store_error, validation};
use crate::ops::{input, load_table};
use crate::table::{KeySchemaElement, TableRecord, table_key};
use crate::value::{Item, item_size, item_to_json};

/// Stream descriptions by `(account, region, table, label)`.
pub const STREAMS: &str = "dynamodb.streams";
/// Stream records by `(account, region, table, label, sequence number)`.
pub const STREAM_RECORDS: &str = "dynamodb.stream_records";
/// How long records are kept.
const RETENTION_MILLIS: i64 = 24 * 3600 * 1000;
/// How long a shard iterator stays valid.
const ITERATOR_MILLIS: i64 = 15 * 60 * 1000;
const RECORD_VERSION: u16 = 1;
const MAX_RECORDS: usize = 1000;
const MAX_PAGE_BYTES: u64 = 1024 * 1024;
const VIEW_TYPES: [&str; 4] = ["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"];
const ITERATOR_TYPES: [&str; 4] = [
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

/// Who made a change and when: a caller, or TTL's service deletion.
#[derive(Clone, Copy)]
pub(crate) struct Origin {
    pub now_millis: i64,
    pub ttl: bool,
}

impl Origin {
    pub fn user(ctx: &RequestContext) -> Self {
        Origin {
            now_millis: ctx.clock.now_millis(),
            ttl: false,
        }
    }

    pub fn ttl(ctx: &RequestContext) -> Self {
        Origin {
            ttl: true,
            ..Origin::user(ctx)
        }
    }
}

/// One stream as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StreamMeta {
    table_name: String,
    label: String,
    arn: String,
    view_type: String,
    created_millis: i64,
    first_seq: u64,
    shard_id: String,
    hash: KeySchemaElement,
    range: Option<KeySchemaElement>,
}

impl Versioned for StreamMeta {
    const VERSION: u16 = 1;
}

/// A sequence number as DynamoDB Streams shows it: zero-padded decimal, so that string order
/// is numeric order.
pub(crate) fn seq_string(n: u64) -> String {
    format!("{n:021}")
}

/// Parses a sequence number: 1 to 40 decimal digits that fit in 64 bits.
pub(crate) fn parse_seq(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(0);
    }
    trimmed.parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SS.mmm` (UTC) of epoch milliseconds: a stream's label.
pub(crate) fn label_of(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

fn stream_key(table_k: &[u8], label: &str) -> Vec<u8> {
    let mut k = table_k.to_vec();
    key::push(&mut k, label.as_bytes());
    k
}

fn record_key(stream_k: &[u8], seq: u64) -> Vec<u8> {
    let mut k = stream_k.to_vec();
    key::push(&mut k, seq_string(seq).as_bytes());
    k
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    gureum_core::ids::random_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StreamSpecInput {
    stream_enabled: bool,
    stream_view_type: Option<String>,
}

impl StreamSpecInput {
    pub fn stream_enabled(&self) -> bool {
        self.stream_enabled
    }
}

/// The view type a StreamSpecification enables, or `None` when it disables streams.
pub(crate) fn requested_view(spec: &StreamSpecInput) -> Result<Option<String>, AwsError> {
    if let Some(v) = &spec.stream_view_type {
        if !VIEW_TYPES.contains(&v.as_str()) {
            return Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                VIEW_TYPES.join(", ")
            )));
        }
    }
    match (spec.stream_enabled, &spec.stream_view_type) {
        (true, None) => Err(validation(
            "One or more parameter values were invalid: You must specify a StreamViewType when enabling a stream",
        )),
        (true, Some(v)) => Ok(Some(v.clone())),
        (false, _) => Ok(None),
    }
}

/// Applies a StreamSpecification to `table` (stored under `table_k`) inside `txn`: enabling
/// starts a new stream with a new label; disabling closes the current one.
pub(crate) fn apply_spec(
    txn: &mut dyn Txn,
    table: &mut TableRecord,
    table_k: &[u8],
    spec: &StreamSpecInput,
    now_millis: i64,
) -> Result<(), AwsError> {
    let view = requested_view(spec)?;
    match (view, table.stream_view_type.is_some()) {
        (Some(_), true) => Err(validation(format!(
            "Table already has an enabled stream: TableName: {}",
            table.name
        ))),
        (None, false) => Err(validation(format!(
            "Table has no stream to disable: TableName: {}",
            table.name
        ))),
        (None, true) => {
            table.stream_view_type = None;
            Ok(())
        }
        (Some(view), false) => {
            let mut millis = now_millis;
            let mut label = label_of(millis);
            while table.stream_label.as_deref() >= Some(label.as_str()) {
                millis += 1;
                label = label_of(millis);
            }
            let meta = StreamMeta {
                table_name: table.name.clone(),
                arn: table.stream_arn(&label),
                label: label.clone(),
                view_type: view.clone(),
                created_millis: millis,
                first_seq: table.stream_seq + 1,
                shard_id: format!("shardId-{:020}-{}", millis.max(0), random_hex(4)),
                hash: table.hash.clone(),
                range: table.range.clone(),
            };
            txn.put(
                STREAMS,
                &stream_key(table_k, &label),
                &meta.to_record().map_err(store_error)?,
            )
            .map_err(store_error)?;
            table.stream_label = Some(label);
            table.stream_view_type = Some(view);
            Ok(())
        }
    }
}

/// Appends the stream record of one item change to the table's enabled stream, if any, in
/// the write's transaction. A write that changes nothing appends nothing, as DynamoDB does.
pub(crate) fn append(
    txn: &mut dyn Txn,
    table: &mut TableRecord,
    table_k: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    origin: Origin,
) -> Result<(), AwsError> {
    let Some((label, view)) = table
        .enabled_stream()
        .map(|(l, v)| (l.to_string(), v.to_string()))
    else {
        return Ok(());
    };
    let event = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(o), Some(n)) if item_to_json(o) == item_to_json(n) => return Ok(()),
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return Ok(()),
    };
    let Some(item) = new.or(old) else {
        return Ok(());
    };
    let keys = table.key_of(item);
    table.stream_seq += 1;
    let seq = table.stream_seq;
    let mut size = item_size(&keys) as u64;
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": origin.now_millis.div_euclid(1000) as f64,
        "Keys": item_to_json(&keys),
        "SequenceNumber": seq_string(seq),
        "StreamViewType": view,
    });
    let (with_new, with_old) = match view.as_str() {
        "NEW_IMAGE" => (true, false),
        "OLD_IMAGE" => (false, true),
        "NEW_AND_OLD_IMAGES" => (true, true),
        _ => (false, false),
    };
    for (wanted, image, member) in [(with_new, new, "NewImage"), (with_old, old, "OldImage")] {
        if let (true, Some(image)) = (wanted, image) {
            size += item_size(image) as u64;
            dynamodb[member] = item_to_json(image);
        }
    }
    dynamodb["SizeBytes"] = json!(size);
    let mut record = json!({
        "eventID": random_hex(16),
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": table.arn.split(':').nth(3).unwrap_or_default(),
        "dynamodb": dynamodb,
    });
    if origin.ttl {
        record["userIdentity"] =
            json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"});
    }
    let stream_k = stream_key(table_k, &label);
    let stored = gureum_store::encode_record(
        RECORD_VERSION,
        &json!({"at": origin.now_millis, "record": record}),
    )
    .map_err(store_error)?;
    txn.put(STREAM_RECORDS, &record_key(&stream_k, seq), &stored)
        .map_err(store_error)?;
    trim(txn, &stream_k, origin.now_millis, 2)
}

/// Deletes up to `limit` of the oldest records of a stream that are past retention.
fn trim(txn: &mut dyn Txn, stream_k: &[u8], now_millis: i64, limit: usize) -> Result<(), AwsError> {
    let oldest = txn
        .scan(
            STREAM_RECORDS,
            &KeyRange::prefix(stream_k),
            Some(limit),
            false,
        )
        .map_err(store_error)?;
    for (k, bytes) in oldest {
        if stored_at(&bytes)? >= now_millis - RETENTION_MILLIS {
            break;
        }
        txn.delete(STREAM_RECORDS, &k).map_err(store_error)?;
    }
    Ok(())
}

fn decode_stored(bytes: &[u8]) -> Result<Value, AwsError> {
    gureum_store::decode_record(bytes, RECORD_VERSION, gureum_store::no_migration)
        .map_err(store_error)
}

fn stored_at(bytes: &[u8]) -> Result<i64, AwsError> {
    Ok(decode_stored(bytes)?["at"].as_i64().unwrap_or(0))
}

fn stored_seq(v: &Value) -> u64 {
    v["record"]["dynamodb"]["SequenceNumber"]
        .as_str()
        .and_then(parse_seq)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Shard iterators

/// What an iterator carries: the stream, the next sequence number to read, when it was issued.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Iterator {
    #[serde(rename = "s")]
    pub stream_arn: String,
    #[serde(rename = "p")]
    pub position: u64,
    #[serde(rename = "t")]
    pub issued_millis: i64,
}

impl Iterator {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(s: &str) -> Option<Self> {
        if s.len() > 2048 {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether the iterator is past its 15 minutes at `now_millis`.
    pub fn expired(&self, now_millis: i64) -> bool {
        now_millis.saturating_sub(self.issued_millis) > ITERATOR_MILLIS
    }
}

// ---------------------------------------------------------------------------------------------
// The service

/// The `dynamodbstreams` service, reading the streams the `dynamodb` service writes.
pub struct DynamoDbStreams {
    db: crate::DynamoDb,
}

impl DynamoDbStreams {
    pub fn new(storage: Storage) -> Self {
        DynamoDbStreams {
            db: crate::DynamoDb::new(storage),
        }
    }
}

type Handler = gureum_core::service::ValueHandler<crate::DynamoDb>;

static OPERATIONS: &[(&str, Handler)] = &[
    ("ListStreams", list_streams),
    ("DescribeStream", describe_stream),
    ("GetShardIterator", get_shard_iterator),
    ("GetRecords", get_records),
];

fn handler(operation: &str) -> Option<Handler> {
    gureum_core::service::find_handler(OPERATIONS, operation)
}

impl Service for DynamoDbStreams {
    fn name(&self) -> &'static str {
        "dynamodbstreams"
    }

    fn iam_prefix(&self) -> &'static str {
        "dynamodb"
    }

    fn implements(&self, operation: &str) -> bool {
        handler(operation).is_some()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            // ListStreams names its table by name or ARN, as DynamoDB's own operations do.
            let mut params = input.params;
            crate::table_ref::resolve_all(ctx, operation, &mut params)?;
            gureum_core::service::dispatch_values(
                "dynamodbstreams",
                OPERATIONS,
                &self.db,
                ctx,
                operation,
                params,
            )
        })
    }

    /// `dynamodb:ListStreams` on `*`; the others on the stream's ARN (GetRecords: the ARN its
    /// iterator names).
    fn authz_targets(
        &self,
        _ctx: &RequestContext,
        operation: &str,
        input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        let action = format!("dynamodb:{operation}");
        let resource = match operation {
            "ListStreams" => None,
            "GetRecords" => input
                .params
                .get("ShardIterator")
                .and_then(Value::as_str)
                .and_then(Iterator::decode)
                .map(|i| i.stream_arn),
            _ => input
                .params
                .get("StreamArn")
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        vec![AuthzTarget::new(
            action,
            resource.unwrap_or_else(|| "*".into()),
        )]
    }
}

fn expired_iterator(it: &Iterator, now_millis: i64) -> AwsError {
    AwsError::bad_request(
        "ExpiredIteratorException",
        format!(
            "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_MILLIS} milliseconds.",
            it.issued_millis, now_millis
        ),
    )
}

fn stream_not_found(arn: &str) -> AwsError {
    resource_not_found(format!(
        "Requested resource not found: Stream: {arn} not found"
    ))
}

/// The store key of the stream `arn` names, when it is this caller's.
fn stream_key_of(ctx: &RequestContext, arn: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", "aws", "dynamodb", region, account, resource] = parts.as_slice() else {
        return None;
    };
    if *region != ctx.region || *account != ctx.account_id() {
        return None;
    }
    let (table, label) = resource.strip_prefix("table/")?.split_once("/stream/")?;
    Some(stream_key(&table_key(account, region, table), label))
}

fn load_stream(
    db: &crate::DynamoDb,
    ctx: &RequestContext,
    arn: &str,
) -> Result<(Vec<u8>, StreamMeta), AwsError> {
    let k = stream_key_of(ctx, arn).ok_or_else(|| stream_not_found(arn))?;
    let bytes = db
        .storage
        .kv
        .get(STREAMS, &k)
        .map_err(store_error)?
        .ok_or_else(|| stream_not_found(arn))?;
    Ok((k, StreamMeta::from_record(&bytes).map_err(store_error)?))
}

/// The table of a stream, when the stream is still its enabled one.
fn open_table(
    db: &crate::DynamoDb,
    ctx: &RequestContext,
    meta: &StreamMeta,
) -> Result<Option<std::sync::Arc<TableRecord>>, AwsError> {
    match load_table(db, ctx, &meta.table_name) {
        Ok(t) => Ok(t
            .enabled_stream()
            .is_some_and(|(label, _)| label == meta.label)
            .then_some(t)),
        Err(e) if e.code == "ResourceNotFoundException" => Ok(None),
        Err(e) => Err(e),
    }
}

/// The first (or last) record of a stream still within retention, decoded.
fn edge_record(
    db: &crate::DynamoDb,
    stream_k: &[u8],
    last: bool,
    now_millis: i64,
) -> Result<Option<Value>, AwsError> {
    let found = db
        .storage
        .kv
        .scan(STREAM_RECORDS, &KeyRange::prefix(stream_k), Some(1), last)
        .map_err(store_error)?;
    match found.first() {
        Some((_, bytes)) => {
            let v = decode_stored(bytes)?;
            let fresh = v["at"].as_i64().unwrap_or(0) >= now_millis - RETENTION_MILLIS;
            Ok((fresh || last).then_some(v))
        }
        None => Ok(None),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListStreamsInput {
    table_name: Option<String>,
    limit: Option<i64>,
    exclusive_start_stream_arn: Option<String>,
}

fn list_streams(
    db: &crate::DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: ListStreamsInput = input(params)?;
    let limit = match i.limit {
        None => 100,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value {}",
                if n < 1 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                }
            )));
        }
    };
    if let Some(name) = &i.table_name {
        load_table(db, ctx, name).map_err(|e| {
            if e.code == "ResourceNotFoundException" {
                resource_not_found(format!(
                    "Requested resource not found: Table: {name} not found"
                ))
            } else {
                e
            }
        })?;
    }
    let prefix = match &i.table_name {
        Some(name) => table_key(ctx.account_id(), &ctx.region, name),
        None => key::join([ctx.account_id(), ctx.region.as_str()]),
    };
    let mut range = KeyRange::prefix(&prefix);
    if let Some(start) = &i.exclusive_start_stream_arn {
        let k = stream_key_of(ctx, start).ok_or_else(|| stream_not_found(start))?;
        range = range.after(&k);
    }
    let entries = db
        .storage
        .kv
        .scan(STREAMS, &range, Some(limit + 1), false)
        .map_err(store_error)?;
    let mut streams = Vec::new();
    for (_, bytes) in entries.iter().take(limit) {
        let meta = StreamMeta::from_record(bytes).map_err(store_error)?;
        streams.push(json!({
            "StreamArn": meta.arn,
            "TableName": meta.table_name,
            "StreamLabel": meta.label,
        }));
    }
    let mut out = json!({});
    if entries.len() > limit {
        out["LastEvaluatedStreamArn"] = streams
            .last()
            .map(|s| s["StreamArn"].clone())
            .unwrap_or(Value::Null);
    }
    out["Streams"] = Value::Array(streams);
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeStreamInput {
    stream_arn: String,
    exclusive_start_shard_id: Option<String>,
}

fn describe_stream(
    db: &crate::DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: DescribeStreamInput = input(params)?;
    let (stream_k, meta) = load_stream(db, ctx, &i.stream_arn)?;
    let open = open_table(db, ctx, &meta)?.is_some();
    let now = ctx.clock.now_millis();
    let first = edge_record(db, &stream_k, false, now)?;
    let start = first.as_ref().map_or(meta.first_seq, stored_seq);
    let mut range = json!({"StartingSequenceNumber": seq_string(start)});
    if !open {
        if let Some(last) = edge_record(db, &stream_k, true, now)? {
            range["EndingSequenceNumber"] = json!(seq_string(stored_seq(&last)));
        }
    }
    let shards = if i.exclusive_start_shard_id.as_deref() == Some(meta.shard_id.as_str()) {
        vec![]
    } else {
        vec![json!({"ShardId": meta.shard_id, "SequenceNumberRange": range})]
    };
    let mut key_schema = vec![json!({"AttributeName": meta.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &meta.range {
        key_schema.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Ok(json!({"StreamDescription": {
        "StreamArn": meta.arn,
        "StreamLabel": meta.label,
        "StreamStatus": if open { "ENABLED" } else { "DISABLED" },
        "StreamViewType": meta.view_type,
        "CreationRequestDateTime": meta.created_millis as f64 / 1000.0,
        "TableName": meta.table_name,
        "KeySchema": key_schema,
        "Shards": shards,
    }}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetShardIteratorInput {
    stream_arn: String,
    shard_id: String,
    shard_iterator_type: String,
    sequence_number: Option<String>,
}

fn get_shard_iterator(
    db: &crate::DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: GetShardIteratorInput = input(params)?;
    let kind = i.shard_iterator_type.as_str();
    if !ITERATOR_TYPES.contains(&kind) {
        return Err(validation(format!(
            "1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            ITERATOR_TYPES.join(", ")
        )));
    }
    let sequence = match (kind, &i.sequence_number) {
        ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", None) => {
            return Err(validation(format!(
                "Must specify a sequence number for iterator type {kind}"
            )));
        }
        ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", Some(s)) => {
            Some(parse_seq(s).ok_or_else(|| validation(format!("Invalid SequenceNumber: {s}")))?)
        }
        _ => None,
    };
    let (stream_k, meta) = load_stream(db, ctx, &i.stream_arn)?;
    if i.shard_id != meta.shard_id {
        return Err(resource_not_found(format!(
            "Requested resource not found: Shard does not exist: {}",
            i.shard_id
        )));
    }
    let now = ctx.clock.now_millis();
    let position = match (kind, sequence) {
        ("AT_SEQUENCE_NUMBER", Some(n)) => n,
        ("AFTER_SEQUENCE_NUMBER", Some(n)) => n.saturating_add(1),
        ("LATEST", _) => match open_table(db, ctx, &meta)? {
            Some(table) => table.stream_seq.saturating_add(1),
            None => edge_record(db, &stream_k, true, now)?
                .map_or(meta.first_seq, |v| stored_seq(&v).saturating_add(1)),
        },
        _ => 0,
    };
    let it = Iterator {
        stream_arn: meta.arn,
        position,
        issued_millis: now,
    };
    Ok(json!({"ShardIterator": it.encode()}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsInput {
    shard_iterator: String,
    limit: Option<i64>,
}

fn get_records(
    db: &crate::DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let i: GetRecordsInput = input(params)?;
    let limit = match i.limit {
        None => MAX_RECORDS,
        Some(n) if (1..=MAX_RECORDS as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value {}",
                if n < 1 {
                    "greater than or equal to 1".to_string()
                } else {
                    format!("less than or equal to {MAX_RECORDS}")
                }
            )));
        }
    };
    let it =
        Iterator::decode(&i.shard_iterator).ok_or_else(|| validation("Invalid ShardIterator"))?;
    let now = ctx.clock.now_millis();
    if it.expired(now) {
        return Err(expired_iterator(&it, now));
    }
    let (stream_k, meta) = load_stream(db, ctx, &it.stream_arn)?;
    let open = open_table(db, ctx, &meta)?.is_some();
    let range = KeyRange::prefix(&stream_k);
    let range = KeyRange {
        start: std::ops::Bound::Included(record_key(&stream_k, it.position)),
        ..range
    };
    let entries = db
        .storage
        .kv
        .scan(STREAM_RECORDS, &range, Some(limit), false)
        .map_err(store_error)?;
    let mut records = Vec::new();
    let mut next = it.position;
    let mut bytes_out = 0u64;
    let mut more = entries.len() == limit;
    for (n, (_, bytes)) in entries.iter().enumerate() {
        let v = decode_stored(bytes)?;
        next = stored_seq(&v).saturating_add(1);
        if v["at"].as_i64().unwrap_or(0) < now - RETENTION_MILLIS {
            continue;
        }
        let record = v["record"].clone();
        bytes_out += record["dynamodb"]["SizeBytes"].as_u64().unwrap_or(0);
        records.push(record);
        if bytes_out >= MAX_PAGE_BYTES {
            more = more || n + 1 < entries.len();
            break;
        }
    }
    let mut out = json!({"Records": records});
    if open || more || !records.is_empty() {
        out["NextShardIterator"] = json!(
            Iterator {
                stream_arn: meta.arn,
                position: next,
                issued_millis: now,
            }
            .encode()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_sort_as_strings_and_round_trip() {
        let seqs = [0u64, 1, 9, 10, 99, 100, 12345, u64::MAX];
        for pair in seqs.windows(2) {
            assert!(seq_string(pair[0]) < seq_string(pair[1]));
            assert_eq!(seq_string(pair[0]).len(), 21);
        }
        for s in seqs {
            assert_eq!(parse_seq(&seq_string(s)), Some(s));
        }
        assert_eq!(parse_seq("000"), Some(0));
        for bad in ["", "-1", "1e3", "abc", "18446744073709551616", " 1"] {
            assert_eq!(parse_seq(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn record_keys_follow_sequence_order() {
        let stream = stream_key(&key::join(["a", "r", "t"]), "2026-01-01T00:00:00.000");
        let keys: Vec<Vec<u8>> = [1u64, 2, 10, 100, 1000]
            .iter()
            .map(|s| record_key(&stream, *s))
            .collect();
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[1].starts_with(&stream));
        }
    }

    #[test]
    fn labels_are_utc_timestamps_with_millis() {
        assert_eq!(label_of(0), "1970-01-01T00:00:00.000");
        assert_eq!(label_of(1_431_379_293_291), "2015-05-11T21:21:33.291");
        assert_eq!(label_of(951_782_400_001), "2000-02-29T00:00:00.001");
        assert!(label_of(1_000) < label_of(1_001));
    }

    #[test]
    fn iterators_are_opaque_round_trips_that_expire() {
        let it = Iterator {
            stream_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x".into(),
            position: 42,
            issued_millis: 1_000,
        };
        let s = it.encode();
        assert!(!s.contains("arn"));
        assert_eq!(Iterator::decode(&s), Some(it));
        let Some(it) = Iterator::decode(&s) else {
            panic!("decodes");
        };
        assert!(!it.expired(1_000 + ITERATOR_MILLIS));
        assert!(it.expired(1_001 + ITERATOR_MILLIS));
        let forged = Iterator {
            issued_millis: i64::MIN,
            ..it
        };
        assert!(forged.expired(0));
        for bad in ["", "!!!", "e30", &"A".repeat(3000)] {
            assert_eq!(Iterator::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn stream_specifications_are_checked() {
        let spec = |enabled, view: Option<&str>| StreamSpecInput {
            stream_enabled: enabled,
            stream_view_type: view.map(str::to_string),
        };
        assert_eq!(
            requested_view(&spec(true, Some("KEYS_ONLY"))).ok(),
            Some(Some("KEYS_ONLY".into()))
        );
        assert_eq!(requested_view(&spec(false, None)).ok(), Some(None));
        assert!(requested_view(&spec(true, None)).is_err());
        assert!(requested_view(&spec(true, Some("ALL"))).is_err());
    }
}
