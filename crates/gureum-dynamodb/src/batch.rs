//! Batches and transactions: BatchWriteItem, BatchGetItem, TransactWriteItems and
//! TransactGetItems. A write batch and a transaction each run in one store transaction, so they
//! land all or nothing; a transaction's conditions are read in the same transaction as its writes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use gureum_core::{AwsError, RequestContext};
use gureum_store::{KvStore, Txn};
use serde_json::{Map, Value, json};

use crate::DynamoDb;
use crate::capacity::{self, Consumed, Report};
use crate::errors::{store_error, validation};
use crate::eval;
use crate::expr::{self, Condition, Path, PathElement, UpdateAction};
use crate::ops::{
    Expressions, check_item, collection_metrics, extract_expressions, load_table, projection,
    read_item, transact, wants_metrics, write_item,
};
use crate::streams::Origin;
use crate::table::{TableRecord, table_key};
use crate::throughput::Access;
use crate::value::{Item, item_from_json, item_size, item_to_json};

/// Idempotency tokens of TransactWriteItems by `(account, region, token)`.
pub const TOKENS: &str = "dynamodb.tokens";
/// How long a ClientRequestToken is remembered.
const TOKEN_TTL_MILLIS: i64 = 10 * 60 * 1000;
const MAX_BATCH_WRITE: usize = 25;
const MAX_BATCH_GET: usize = 100;
const MAX_TRANSACT: usize = 100;

/// One write of a batch or transaction, parsed and checked before the store transaction.
struct Write {
    table: String,
    table_k: Vec<u8>,
    item_key: Vec<u8>,
    key: Item,
    action: Action,
    condition: Option<Condition>,
}

enum Action {
    Put(Item),
    Delete,
    Update(Vec<UpdateAction>),
    Check,
}

/// Tables loaded once per request.
struct Tables<'a> {
    db: &'a DynamoDb,
    ctx: &'a RequestContext,
    loaded: HashMap<String, Arc<TableRecord>>,
}

impl<'a> Tables<'a> {
    fn new(db: &'a DynamoDb, ctx: &'a RequestContext) -> Self {
        Tables {
            db,
            ctx,
            loaded: HashMap::new(),
        }
    }

    /// A table `get` loaded before.
    fn loaded(&self, name: &str) -> Result<&TableRecord, AwsError> {
        self.loaded
            .get(name)
            .map(|t| &**t)
            .ok_or_else(crate::ops::not_found_table)
    }

    /// Admits a transaction's items: when any item's table (or a global index) has no
    /// capacity left, the transaction is cancelled whole, those items giving
    /// `ProvisionedThroughputExceeded` as their reason.
    fn admit_all<'n>(
        &self,
        items: impl IntoIterator<Item = (&'n str, Access)>,
    ) -> Result<(), AwsError> {
        let mut refused: HashMap<(&str, Access), bool> = HashMap::new();
        let mut reasons: Vec<Reason> = Vec::new();
        for (name, access) in items {
            let no_capacity = match refused.get(&(name, access)) {
                Some(r) => *r,
                None => {
                    let table = self.loaded(name)?;
                    let r = self
                        .db
                        .throughput
                        .admit(self.ctx, table, access, None)
                        .is_err();
                    refused.insert((name, access), r);
                    r
                }
            };
            reasons.push(no_capacity.then_some("ProvisionedThroughputExceeded"));
        }
        if reasons.iter().any(Option::is_some) {
            return Err(cancelled(&reasons));
        }
        Ok(())
    }

    /// Charges what each table consumed and reports it as usage.
    fn consume_all(&self, consumed: &BTreeMap<String, Consumed>) -> Result<(), AwsError> {
        for (name, c) in consumed {
            self.db.throughput.consume(self.ctx, self.loaded(name)?, c);
        }
        Ok(())
    }

    fn get(&mut self, name: &str) -> Result<Arc<TableRecord>, AwsError> {
        if let Some(t) = self.loaded.get(name) {
            return Ok(t.clone());
        }
        let t = load_table(self.db, self.ctx, name)?;
        self.loaded.insert(name.to_string(), t.clone());
        Ok(t)
    }
}

fn object<'v>(v: Option<&'v Value>, what: &str) -> Result<&'v Map<String, Value>, AwsError> {
    v.and_then(Value::as_object)
        .ok_or_else(|| validation(format!("{what} must be a structure")))
}

fn string<'v>(v: &'v Map<String, Value>, member: &str) -> Result<&'v str, AwsError> {
    v.get(member).and_then(Value::as_str).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(member)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn item_member(v: &Map<String, Value>, member: &str) -> Result<Item, AwsError> {
    item_from_json(v.get(member).unwrap_or(&Value::Null))
}

/// Refuses an update of a key attribute, as UpdateItem does.
fn check_update_paths(table: &TableRecord, actions: &[UpdateAction]) -> Result<(), AwsError> {
    for action in actions {
        if let Some(PathElement::Attribute(first)) = action.path().first() {
            if table.is_key(first) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Cannot update attribute {first}. This attribute is part of the key"
                )));
            }
        }
    }
    Ok(())
}

/// Applies one write whose condition already held; `old` is the item before it.
/// Answers the capacity it consumed (a condition check reads the item).
fn apply(
    txn: &mut dyn Txn,
    w: &Write,
    old: Option<&Item>,
    origin: Origin,
) -> Result<Consumed, AwsError> {
    match &w.action {
        Action::Put(item) => write_item(txn, &w.table_k, &w.item_key, old, Some(item), origin),
        Action::Delete if old.is_some() => {
            write_item(txn, &w.table_k, &w.item_key, old, None, origin)
        }
        Action::Delete => {
            let mut c = Consumed::default();
            c.table.write = 1.0;
            Ok(c)
        }
        Action::Check => Ok(Consumed::read(capacity::read_units(
            old.map_or(0, item_size),
            true,
        ))),
        Action::Update(actions) => {
            let new = updated(old, &w.key, actions)?;
            write_item(txn, &w.table_k, &w.item_key, old, Some(&new), origin)
        }
    }
}

fn updated(old: Option<&Item>, key: &Item, actions: &[UpdateAction]) -> Result<Item, AwsError> {
    let mut new = old.cloned().unwrap_or_else(|| key.clone());
    eval::apply_update(&mut new, actions)?;
    check_item(&new)?;
    Ok(new)
}

// ---------------------------------------------------------------------------------------------
// BatchWriteItem and BatchGetItem

pub fn batch_write_item(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let report = Report::of(&params)?;
    let metrics = wants_metrics(&params)?;
    let request_items = object(params.get("RequestItems"), "RequestItems")?;
    if request_items.is_empty() {
        return Err(validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let total: usize = request_items
        .values()
        .map(|v| v.as_array().map_or(0, Vec::len))
        .sum();
    if total > MAX_BATCH_WRITE {
        return Err(validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    let mut tables = Tables::new(db, ctx);
    let mut writes = Vec::with_capacity(total);
    let mut originals: Vec<&Value> = Vec::with_capacity(total);
    let mut seen = HashSet::new();
    for (name, requests) in request_items {
        let table = tables.get(name)?;
        let requests = requests
            .as_array()
            .ok_or_else(|| validation("RequestItems values must be lists of WriteRequests"))?;
        for request in requests {
            let (key, action) = match (request.get("PutRequest"), request.get("DeleteRequest")) {
                (Some(put), None) => {
                    let item = item_member(object(Some(put), "PutRequest")?, "Item")?;
                    table.check_item_keys(&item)?;
                    check_item(&item)?;
                    (table.key_of(&item), Action::Put(item))
                }
                (None, Some(delete)) => {
                    let key = item_member(object(Some(delete), "DeleteRequest")?, "Key")?;
                    table.check_key(&key)?;
                    (key, Action::Delete)
                }
                _ => {
                    return Err(validation(
                        "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                    ));
                }
            };
            let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
            if !seen.insert(item_key.clone()) {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            originals.push(request);
            writes.push(Write {
                table: name.clone(),
                table_k: table_key(ctx.account_id(), &ctx.region, name),
                item_key,
                key,
                action,
                condition: None,
            });
        }
    }
    // Each write is admitted in turn: those its table (or a global index) has no capacity
    // left for come back unprocessed, and the request fails only when none was written.
    let (consumed, unprocessed) = transact(&*db.storage.kv, |txn| {
        let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
        let mut unprocessed: Vec<usize> = Vec::new();
        let mut refusal = None;
        for (n, w) in writes.iter().enumerate() {
            let table = tables.loaded(&w.table)?;
            if let Err(e) = db.throughput.admit(ctx, table, Access::Write, None) {
                unprocessed.push(n);
                refusal.get_or_insert(e);
                continue;
            }
            let old = read_item(txn, &w.item_key)?;
            let c = apply(txn, w, old.as_ref(), Origin::user(ctx))?;
            db.throughput.consume(ctx, table, &c);
            consumed.entry(w.table.clone()).or_default().add(&c);
        }
        match refusal {
            Some(e) if unprocessed.len() == writes.len() => Err(e),
            _ => Ok((consumed, unprocessed)),
        }
    })?;
    let mut unprocessed_items = Map::new();
    for n in &unprocessed {
        if let Some(list) = unprocessed_items
            .entry(writes[*n].table.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.push(originals[*n].clone());
        }
    }
    let mut out = json!({"UnprocessedItems": unprocessed_items});
    capacity::answer_list(&mut out, &consumed, report);
    if metrics {
        let mut by_table = Map::new();
        for (_, w) in writes
            .iter()
            .enumerate()
            .filter(|(n, _)| !unprocessed.contains(n))
        {
            let table = tables.get(&w.table)?;
            if let Some(m) = collection_metrics(db, ctx, &table, &w.key)? {
                if let Some(list) = by_table
                    .entry(w.table.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                    .as_array_mut()
                {
                    list.push(m);
                }
            }
        }
        out["ItemCollectionMetrics"] = Value::Object(by_table);
    }
    Ok(out)
}

pub fn batch_get_item(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let report = Report::of(&params)?;
    let request_items = object(params.get("RequestItems"), "RequestItems")?;
    if request_items.is_empty() {
        return Err(validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let total: usize = request_items
        .values()
        .map(|v| v.get("Keys").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    if total > MAX_BATCH_GET {
        return Err(validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut tables = Tables::new(db, ctx);
    let mut responses = Map::new();
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    let mut unprocessed_keys = Map::new();
    let mut refusal = None;
    let mut read = 0usize;
    for (name, request) in request_items {
        let request = object(Some(request), "KeysAndAttributes")?;
        let table = tables.get(name)?;
        let expression = request.get("ProjectionExpression").and_then(Value::as_str);
        let exprs = Expressions::new(
            extract_expressions(&Value::Object(request.clone())),
            expression.is_some(),
        )?;
        let mut subs = exprs.subs();
        let attributes_to_get = request
            .get("AttributesToGet")
            .map(|v| serde_json::from_value::<Vec<String>>(v.clone()))
            .transpose()
            .map_err(|e| validation(format!("invalid AttributesToGet: {e}")))?;
        let paths = projection(expression, attributes_to_get, &mut subs)?;
        subs.check_all_used()?;
        let keys = request
            .get("Keys")
            .and_then(Value::as_array)
            .ok_or_else(|| validation("KeysAndAttributes must name Keys"))?;
        let mut seen = HashSet::new();
        let mut item_keys = Vec::with_capacity(keys.len());
        for k in keys {
            let key = item_from_json(k)?;
            table.check_key(&key)?;
            let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
            if !seen.insert(item_key.clone()) {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            item_keys.push(item_key);
        }
        let consistent = request
            .get("ConsistentRead")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // Each key is admitted in turn; those without capacity come back as UnprocessedKeys.
        // Tables that cannot throttle are read in one go.
        let mut admitted = Vec::with_capacity(item_keys.len());
        let mut left = Vec::new();
        let mut charge = |found: &Option<Item>| {
            let c = Consumed::read(capacity::read_units(
                found.as_ref().map_or(0, item_size),
                consistent,
            ));
            db.throughput.consume(ctx, &table, &c);
            consumed.entry(name.clone()).or_default().add(&c);
        };
        if !db.throughput.enforced(&table) {
            admitted = read_items(&*db.storage.kv, &item_keys)?;
            admitted.iter().for_each(&mut charge);
        } else {
            for (item_key, k) in item_keys.into_iter().zip(keys) {
                match db.throughput.admit(ctx, &table, Access::Read, None) {
                    Ok(()) => {
                        let found = read_items(&*db.storage.kv, std::slice::from_ref(&item_key))?
                            .pop()
                            .flatten();
                        charge(&found);
                        admitted.push(found);
                    }
                    Err(e) => {
                        refusal.get_or_insert(e);
                        left.push(k.clone());
                    }
                }
            }
        }
        read += admitted.len();
        if !left.is_empty() {
            let mut rest = request.clone();
            rest.insert("Keys".into(), Value::Array(left));
            unprocessed_keys.insert(name.clone(), Value::Object(rest));
        }
        let found = admitted;
        let items: Vec<Value> = found
            .into_iter()
            .flatten()
            .filter(|item| !table.expired(item, ctx.clock.now_secs()))
            .map(|item| item_to_json(&shown(item, paths.as_deref())))
            .collect();
        responses.insert(name.clone(), Value::Array(items));
    }
    if let Some(e) = refusal.filter(|_| read == 0) {
        return Err(e);
    }
    let mut out = json!({"Responses": responses, "UnprocessedKeys": unprocessed_keys});
    capacity::answer_list(&mut out, &consumed, report);
    Ok(out)
}

fn shown(item: Item, paths: Option<&[Path]>) -> Item {
    match paths {
        Some(p) => eval::project(&item, p),
        None => item,
    }
}

/// Reads `keys` in one store transaction (one consistent view).
fn read_items(kv: &dyn KvStore, keys: &[Vec<u8>]) -> Result<Vec<Option<Item>>, AwsError> {
    transact(kv, |txn| {
        keys.iter()
            .map(|k| read_item(txn, k))
            .collect::<Result<Vec<_>, _>>()
    })
}

// ---------------------------------------------------------------------------------------------
// TransactWriteItems and TransactGetItems

/// The reason one transaction item cancelled it, or `None`.
type Reason = Option<&'static str>;

/// TransactionCanceledException with DynamoDB's message listing every item's reason.
pub fn cancelled(reasons: &[Reason]) -> AwsError {
    let list: Vec<&str> = reasons.iter().map(|r| r.unwrap_or("None")).collect();
    // The CancellationReasons member, one entry per item, as the SDKs read it.
    let detail: Vec<Value> = reasons
        .iter()
        .map(|r| match r {
            Some("ConditionalCheckFailed") => {
                json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"})
            }
            Some(code) => json!({"Code": code}),
            None => json!({"Code": "None"}),
        })
        .collect();
    AwsError::bad_request(
        "TransactionCanceledException",
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            list.join(", ")
        ),
    )
    .with_field("CancellationReasons", Value::Array(detail))
}

fn check_transact_len(items: &[Value], member: &str) -> Result<(), AwsError> {
    if items.is_empty() || items.len() > MAX_TRANSACT {
        let bound = if items.is_empty() {
            "Member must have length greater than or equal to 1"
        } else {
            "Member must have length less than or equal to 100"
        };
        return Err(validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: {bound}"
        )));
    }
    Ok(())
}

/// Parses one element of TransactItems.
fn transact_write(
    tables: &mut Tables<'_>,
    ctx: &RequestContext,
    element: &Value,
) -> Result<Write, AwsError> {
    let element = object(Some(element), "TransactWriteItem")?;
    let kinds = ["ConditionCheck", "Put", "Delete", "Update"];
    let present: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| element.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    let [kind] = present.as_slice() else {
        return Err(validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        ));
    };
    let op = object(element.get(*kind), kind)?;
    let table_name = string(op, "TableName")?;
    let table = tables.get(table_name)?;
    let condition_src = op.get("ConditionExpression").and_then(Value::as_str);
    let update_src = op.get("UpdateExpression").and_then(Value::as_str);
    let exprs = Expressions::new(
        extract_expressions(&Value::Object(op.clone())),
        condition_src.is_some() || update_src.is_some(),
    )?;
    let mut subs = exprs.subs();
    let actions = match (*kind, update_src) {
        ("Update", Some(u)) => Some(expr::parse_update(u, &mut subs)?),
        ("Update", None) => {
            return Err(string(op, "UpdateExpression")
                .err()
                .unwrap_or_else(|| validation("UpdateExpression is required")));
        }
        _ => None,
    };
    let condition = match (*kind, condition_src) {
        (_, Some(c)) => Some(expr::parse_condition(c, "ConditionExpression", &mut subs)?),
        ("ConditionCheck", None) => {
            return Err(string(op, "ConditionExpression")
                .err()
                .unwrap_or_else(|| validation("ConditionExpression is required")));
        }
        _ => None,
    };
    subs.check_all_used()?;
    if let Some(rv) = op
        .get("ReturnValuesOnConditionCheckFailure")
        .and_then(Value::as_str)
    {
        if rv != "NONE" && rv != "ALL_OLD" {
            return Err(validation("Return values set to invalid value"));
        }
    }
    let (key, action) = match *kind {
        "Put" => {
            let item = item_member(op, "Item")?;
            table.check_item_keys(&item)?;
            check_item(&item)?;
            (table.key_of(&item), Action::Put(item))
        }
        other => {
            let key = item_member(op, "Key")?;
            table.check_key(&key)?;
            let action = match (other, actions) {
                ("Update", Some(actions)) => {
                    check_update_paths(&table, &actions)?;
                    Action::Update(actions)
                }
                ("Delete", _) => Action::Delete,
                _ => Action::Check,
            };
            (key, action)
        }
    };
    Ok(Write {
        table: table_name.to_string(),
        table_k: table_key(ctx.account_id(), &ctx.region, table_name),
        item_key: table.item_key(ctx.account_id(), &ctx.region, &key)?,
        key,
        action,
        condition,
    })
}

/// A 128-bit fingerprint of a request's items, to tell a retry from a different request.
fn fingerprint(v: &Value) -> String {
    let text = v.to_string();
    let fnv = |seed: u64| {
        text.bytes()
            .fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf29ce484222325),
        fnv(0x84222325cbf29ce4)
    )
}

/// A transaction's ClientRequestToken: a retry within ten minutes is answered without running
/// again, and the same token with other parameters is refused.
pub(crate) struct RequestToken {
    key: Vec<u8>,
    print: String,
}

impl RequestToken {
    pub(crate) fn of(
        ctx: &RequestContext,
        params: &Value,
        elements: &[Value],
    ) -> Result<Option<Self>, AwsError> {
        match params.get("ClientRequestToken").and_then(Value::as_str) {
            Some(t) if t.is_empty() || t.len() > 36 => Err(validation(
                "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36",
            )),
            Some(t) => Ok(Some(RequestToken {
                key: gureum_store::key::join([ctx.account_id(), ctx.region.as_str(), t]),
                print: fingerprint(&Value::Array(elements.to_vec())),
            })),
            None => Ok(None),
        }
    }

    /// Whether a request with this token was already applied (and is still remembered).
    pub(crate) fn applied(&self, txn: &mut dyn Txn, now: i64) -> Result<bool, AwsError> {
        let Some(bytes) = txn.get(TOKENS, &self.key).map_err(store_error)? else {
            return Ok(false);
        };
        let seen: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let at = seen.get("at").and_then(Value::as_i64).unwrap_or(i64::MIN);
        if now.saturating_sub(at) >= TOKEN_TTL_MILLIS {
            return Ok(false);
        }
        if seen.get("request").and_then(Value::as_str) == Some(self.print.as_str()) {
            return Ok(true);
        }
        Err(AwsError::bad_request(
            "IdempotentParameterMismatchException",
            "Request parameters do not match with the parameters of the previous request with the same ClientRequestToken",
        ))
    }

    pub(crate) fn remember(&self, txn: &mut dyn Txn, now: i64) -> Result<(), AwsError> {
        let record = json!({"request": self.print, "at": now});
        txn.put(TOKENS, &self.key, record.to_string().as_bytes())
            .map_err(store_error)
    }
}

pub fn transact_write_items(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let elements = params
        .get("TransactItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_transact_len(&elements, "transactItems")?;
    let report = Report::of(&params)?;
    let metrics = wants_metrics(&params)?;
    let mut tables = Tables::new(db, ctx);
    let mut writes = Vec::with_capacity(elements.len());
    let mut seen = HashSet::new();
    for element in &elements {
        let w = transact_write(&mut tables, ctx, element)?;
        if !seen.insert(w.item_key.clone()) {
            return Err(validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        writes.push(w);
    }
    tables.admit_all(writes.iter().map(|w| {
        let access = match w.action {
            Action::Check => Access::Read,
            _ => Access::Write,
        };
        (w.table.as_str(), access)
    }))?;
    let token = RequestToken::of(ctx, &params, &elements)?;
    let now = ctx.clock.now_millis();
    let consumed = transact(&*db.storage.kv, |txn| {
        let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
        if let Some(t) = &token {
            if t.applied(txn, now)? {
                // A retry of a transaction already applied: nothing more to do.
                return Ok(consumed);
            }
        }
        let mut olds = Vec::with_capacity(writes.len());
        let mut reasons: Vec<Reason> = Vec::with_capacity(writes.len());
        for w in &writes {
            let old = read_item(txn, &w.item_key)?;
            let holds = w
                .condition
                .as_ref()
                .is_none_or(|c| eval::matches(old.as_ref().unwrap_or(&Item::new()), c));
            let reason = if !holds {
                Some("ConditionalCheckFailed")
            } else if let Action::Update(actions) = &w.action {
                updated(old.as_ref(), &w.key, actions)
                    .err()
                    .map(|_| "ValidationError")
            } else {
                None
            };
            reasons.push(reason);
            olds.push(old);
        }
        if reasons.iter().any(Option::is_some) {
            return Err(cancelled(&reasons));
        }
        for (w, old) in writes.iter().zip(&olds) {
            let c = apply(txn, w, old.as_ref(), Origin::user(ctx))?;
            // Transactions consume twice the units of the same plain reads and writes.
            consumed
                .entry(w.table.clone())
                .or_default()
                .add(&c.scaled(2.0));
        }
        if let Some(t) = &token {
            t.remember(txn, now)?;
        }
        Ok(consumed)
    })?;
    tables.consume_all(&consumed)?;
    let mut out = json!({});
    capacity::answer_list(&mut out, &consumed, report);
    if metrics {
        let mut by_table = Map::new();
        for w in writes.iter().filter(|w| !matches!(w.action, Action::Check)) {
            let table = tables.get(&w.table)?;
            if let Some(m) = collection_metrics(db, ctx, &table, &w.key)? {
                if let Some(list) = by_table
                    .entry(w.table.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                    .as_array_mut()
                {
                    list.push(m);
                }
            }
        }
        out["ItemCollectionMetrics"] = Value::Object(by_table);
    }
    Ok(out)
}

pub fn transact_get_items(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let elements = params
        .get("TransactItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_transact_len(&elements, "transactItems")?;
    let report = Report::of(&params)?;
    let mut tables = Tables::new(db, ctx);
    let mut keys = Vec::with_capacity(elements.len());
    let mut projections = Vec::with_capacity(elements.len());
    let mut read_tables = Vec::with_capacity(elements.len());
    for element in &elements {
        let get = object(object(Some(element), "TransactGetItem")?.get("Get"), "Get")?;
        let table = tables.get(string(get, "TableName")?)?;
        let expression = get.get("ProjectionExpression").and_then(Value::as_str);
        let exprs = Expressions::new(
            extract_expressions(&Value::Object(get.clone())),
            expression.is_some(),
        )?;
        let mut subs = exprs.subs();
        projections.push(projection(expression, None, &mut subs)?);
        subs.check_all_used()?;
        let key = item_member(get, "Key")?;
        table.check_key(&key)?;
        keys.push(table.item_key(ctx.account_id(), &ctx.region, &key)?);
        read_tables.push(table);
    }
    tables.admit_all(read_tables.iter().map(|t| (t.name.as_str(), Access::Read)))?;
    let now = ctx.clock.now_secs();
    let found = read_items(&*db.storage.kv, &keys)?;
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    for (item, table) in found.iter().zip(&read_tables) {
        let units = 2.0 * capacity::read_units(item.as_ref().map_or(0, item_size), true);
        consumed
            .entry(table.name.clone())
            .or_default()
            .add(&Consumed::read(units));
    }
    let responses: Vec<Value> = found
        .into_iter()
        .zip(projections)
        .zip(&read_tables)
        .map(|((item, paths), table)| match item {
            Some(item) if !table.expired(&item, now) => {
                json!({"Item": item_to_json(&shown(item, paths.as_deref()))})
            }
            _ => json!({}),
        })
        .collect();
    tables.consume_all(&consumed)?;
    let mut out = json!({"Responses": responses});
    capacity::answer_list(&mut out, &consumed, report);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_message_lists_every_reason() {
        let e = cancelled(&[Some("ConditionalCheckFailed"), None]);
        assert_eq!(e.code, "TransactionCanceledException");
        assert_eq!(
            e.message,
            "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"
        );
    }

    #[test]
    fn fingerprint_tells_requests_apart() {
        let a = fingerprint(&json!([{"Put": {"TableName": "t"}}]));
        assert_eq!(a, fingerprint(&json!([{"Put": {"TableName": "t"}}])));
        assert_ne!(a, fingerprint(&json!([{"Put": {"TableName": "u"}}])));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn member_names_in_messages_start_lower_case() {
        assert_eq!(lower_first("TableName"), "tableName");
        assert_eq!(lower_first(""), "");
    }
}
