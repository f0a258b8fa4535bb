//! Stored tables: the TableDescription record, its key schema, and the byte keys of items.

use gureum_core::AwsError;
use gureum_store::{Versioned, key};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::validation;
use crate::value::{AttributeValue, Item};

/// Tables by `(account, region, name)`.
pub const TABLES: &str = "dynamodb.tables";
/// Items by `(account, region, table, hash key, [range key])`, each key part order-encoded.
pub const ITEMS: &str = "dynamodb.items";
/// Secondary index entries (the projected item) by `(account, region, table, index, index hash
/// key, [index range key], table hash key, [table range key])`.
pub const INDEXES: &str = "dynamodb.indexes";

/// One secondary index as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexRecord {
    pub name: String,
    pub global: bool,
    pub hash: KeySchemaElement,
    pub range: Option<KeySchemaElement>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    pub non_key: Vec<String>,
    pub read_capacity: u64,
    pub write_capacity: u64,
    pub item_count: u64,
    pub size_bytes: u64,
}

impl IndexRecord {
    pub fn key_elements(&self) -> impl Iterator<Item = &KeySchemaElement> {
        std::iter::once(&self.hash).chain(self.range.as_ref())
    }

    /// The IndexDescription DynamoDB answers.
    pub fn description(&self, table: &TableRecord) -> Value {
        let mut key_schema = vec![json!({"AttributeName": self.hash.name, "KeyType": "HASH"})];
        if let Some(range) = &self.range {
            key_schema.push(json!({"AttributeName": range.name, "KeyType": "RANGE"}));
        }
        let mut projection = json!({"ProjectionType": self.projection});
        if self.projection == "INCLUDE" {
            projection["NonKeyAttributes"] = json!(self.non_key);
        }
        let mut d = json!({
            "IndexName": self.name,
            "KeySchema": key_schema,
            "Projection": projection,
            "IndexSizeBytes": self.size_bytes,
            "ItemCount": self.item_count,
            "IndexArn": format!("{}/index/{}", table.arn, self.name),
        });
        if self.global {
            d["IndexStatus"] = json!("ACTIVE");
            d["ProvisionedThroughput"] = json!({
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": self.read_capacity,
                "WriteCapacityUnits": self.write_capacity,
            });
        }
        d
    }

    /// The index's entry of `item`: its store key under the table's `table_k` (the item's own
    /// key is `item_key`) and the projected item, or `None` when the item lacks an index key
    /// (sparse indexes). Refuses index key values of the wrong type or empty.
    pub fn entry(
        &self,
        table: &TableRecord,
        table_k: &[u8],
        item_key: &[u8],
        item: &Item,
    ) -> Result<Option<(Vec<u8>, Item)>, AwsError> {
        let mut k = table_k.to_vec();
        key::push(&mut k, self.name.as_bytes());
        for e in self.key_elements() {
            let Some(v) = item.get(&e.name) else {
                return Ok(None);
            };
            if v.type_name() != e.kind {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    e.name,
                    e.kind,
                    v.type_name(),
                    self.name
                )));
            }
            let bytes = encode_key_value(v);
            if bytes.is_empty() && matches!(v, AttributeValue::S(_) | AttributeValue::B(_)) {
                return Err(validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                    if e.kind == "S" { "string" } else { "binary" },
                    self.name,
                    e.name
                )));
            }
            key::push(&mut k, &bytes);
        }
        k.extend_from_slice(item_key.get(table_k.len()..).unwrap_or_default());
        let projected: Item = match self.projection.as_str() {
            "ALL" => item.clone(),
            _ => item
                .iter()
                .filter(|(name, _)| {
                    table.is_key(name)
                        || self.key_elements().any(|e| &e.name == *name)
                        || self.non_key.contains(name)
                })
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        };
        Ok(Some((k, projected)))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySchemaElement {
    pub name: String,
    /// `S`, `N` or `B`.
    pub kind: String,
}

/// One table as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRecord {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub created: f64,
    pub hash: KeySchemaElement,
    pub range: Option<KeySchemaElement>,
    /// AttributeDefinitions as given: (name, type).
    pub attributes: Vec<(String, String)>,
    pub billing_mode: String,
    pub read_capacity: u64,
    pub write_capacity: u64,
    pub item_count: u64,
    pub size_bytes: u64,
    #[serde(default)]
    pub pay_per_request_since: Option<f64>,
    #[serde(default)]
    pub indexes: Vec<IndexRecord>,
    /// The TTL attribute, when TTL is enabled.
    #[serde(default)]
    pub ttl_attribute: Option<String>,
    /// The stream's view type, while a stream is enabled.
    #[serde(default)]
    pub stream_view_type: Option<String>,
    /// The label of the latest stream (enabled or not), once one was enabled.
    #[serde(default)]
    pub stream_label: Option<String>,
    /// The sequence number of the last stream record written (monotonic across streams).
    #[serde(default)]
    pub stream_seq: u64,
    /// DeletionProtectionEnabled: DeleteTable refuses while set.
    #[serde(default)]
    pub deletion_protection: bool,
    /// Point-in-time recovery, while enabled.
    #[serde(default)]
    pub pitr: Option<crate::backups::Pitr>,
    /// Where the table was restored from, for tables made by a restore.
    #[serde(default)]
    pub restore: Option<crate::backups::RestoreSummary>,
    /// Encryption at rest under a KMS key (SSESpecification Enabled); `None` is the AWS owned
    /// key, which DescribeTable does not show.
    #[serde(default)]
    pub sse: Option<Sse>,
}

/// A table's KMS encryption at rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sse {
    pub kms_key_arn: String,
}

impl Versioned for TableRecord {
    const VERSION: u16 = 1;
}

pub fn table_key(account: &str, region: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + region.len() + name.len() + 6);
    for part in [account, region, name] {
        key::push(&mut k, part.as_bytes());
    }
    k
}

impl TableRecord {
    /// The TableDescription DynamoDB answers.
    pub fn description(&self, status: &str) -> Value {
        let mut key_schema = vec![json!({"AttributeName": self.hash.name, "KeyType": "HASH"})];
        if let Some(range) = &self.range {
            key_schema.push(json!({"AttributeName": range.name, "KeyType": "RANGE"}));
        }
        let mut d = json!({
            "TableName": self.name,
            "TableId": self.id,
            "TableArn": self.arn,
            "TableStatus": status,
            "CreationDateTime": self.created,
            "KeySchema": key_schema,
            "AttributeDefinitions": self.attributes.iter()
                .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t}))
                .collect::<Vec<_>>(),
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": self.read_capacity,
                "WriteCapacityUnits": self.write_capacity,
            },
            "ItemCount": self.item_count,
            "TableSizeBytes": self.size_bytes,
            "DeletionProtectionEnabled": self.deletion_protection,
        });
        for (global, member) in [
            (true, "GlobalSecondaryIndexes"),
            (false, "LocalSecondaryIndexes"),
        ] {
            let list: Vec<Value> = self
                .indexes
                .iter()
                .filter(|i| i.global == global)
                .map(|i| i.description(self))
                .collect();
            if !list.is_empty() {
                d[member] = Value::Array(list);
            }
        }
        if let Some(view) = &self.stream_view_type {
            d["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view});
        }
        if let Some(label) = &self.stream_label {
            d["LatestStreamLabel"] = json!(label);
            d["LatestStreamArn"] = json!(self.stream_arn(label));
        }
        if let Some(r) = &self.restore {
            d["RestoreSummary"] = r.description();
        }
        if let Some(sse) = &self.sse {
            d["SSEDescription"] = json!({
                "Status": "ENABLED",
                "SSEType": "KMS",
                "KMSMasterKeyArn": sse.kms_key_arn,
            });
        }
        if self.billing_mode == "PAY_PER_REQUEST" {
            d["BillingModeSummary"] = json!({
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": self.pay_per_request_since.unwrap_or(self.created),
            });
        }
        d
    }

    /// `TABLE_ARN/stream/LABEL`.
    pub fn stream_arn(&self, label: &str) -> String {
        format!("{}/stream/{label}", self.arn)
    }

    /// The stream currently enabled: (label, view type).
    pub fn enabled_stream(&self) -> Option<(&str, &str)> {
        Some((
            self.stream_label.as_deref()?,
            self.stream_view_type.as_deref()?,
        ))
    }

    pub fn key_elements(&self) -> impl Iterator<Item = &KeySchemaElement> {
        std::iter::once(&self.hash).chain(self.range.as_ref())
    }

    /// Whether `item` has expired: its TTL attribute is a number of epoch seconds at or before
    /// `now_secs`. Such items are invisible to reads and removed lazily.
    pub fn expired(&self, item: &Item, now_secs: i64) -> bool {
        let Some(attribute) = &self.ttl_attribute else {
            return false;
        };
        let Some(AttributeValue::N(at)) = item.get(attribute) else {
            return false;
        };
        let Ok(now) = crate::number::Number::parse(&now_secs.to_string()) else {
            return false;
        };
        crate::eval::compare(&AttributeValue::N(at.clone()), &AttributeValue::N(now))
            .is_some_and(|o| o != std::cmp::Ordering::Greater)
    }

    pub fn index(&self, name: &str) -> Option<&IndexRecord> {
        self.indexes.iter().find(|i| i.name == name)
    }

    pub fn is_key(&self, attribute: &str) -> bool {
        self.key_elements().any(|k| k.name == attribute)
    }

    /// Checks the key attributes of an item about to be written.
    pub fn check_item_keys(&self, item: &Item) -> Result<(), AwsError> {
        for k in self.key_elements() {
            let Some(v) = item.get(&k.name) else {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    k.name
                )));
            };
            check_key_value(k, v)?;
        }
        Ok(())
    }

    /// Checks a `Key` parameter: exactly the key attributes, of the declared types.
    pub fn check_key(&self, key: &Item) -> Result<(), AwsError> {
        let expected = 1 + usize::from(self.range.is_some());
        if key.len() != expected || self.key_elements().any(|k| !key.contains_key(&k.name)) {
            return Err(validation(
                "The provided key element does not match the schema",
            ));
        }
        for k in self.key_elements() {
            if let Some(v) = key.get(&k.name) {
                if v.type_name() != k.kind {
                    return Err(validation(
                        "The provided key element does not match the schema",
                    ));
                }
                check_key_value(k, v)?;
            }
        }
        Ok(())
    }

    /// The key attributes of `item`.
    pub fn key_of(&self, item: &Item) -> Item {
        self.key_elements()
            .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
            .collect()
    }

    /// The prefix of every item key of this table.
    pub fn items_prefix(&self, account: &str, region: &str) -> Vec<u8> {
        table_key(account, region, &self.name)
    }

    /// The prefix of one partition.
    pub fn partition_prefix(&self, account: &str, region: &str, hash: &AttributeValue) -> Vec<u8> {
        let mut k = self.items_prefix(account, region);
        key::push(&mut k, &encode_key_value(hash));
        k
    }

    /// The store key of the item whose key attributes `item` holds (already checked).
    pub fn item_key(&self, account: &str, region: &str, item: &Item) -> Result<Vec<u8>, AwsError> {
        let hash = item
            .get(&self.hash.name)
            .ok_or_else(|| validation("The provided key element does not match the schema"))?;
        let mut k = self.partition_prefix(account, region, hash);
        if let Some(range) = &self.range {
            let v = item
                .get(&range.name)
                .ok_or_else(|| validation("The provided key element does not match the schema"))?;
            key::push(&mut k, &encode_key_value(v));
        }
        Ok(k)
    }
}

fn check_key_value(k: &KeySchemaElement, v: &AttributeValue) -> Result<(), AwsError> {
    if v.type_name() != k.kind {
        return Err(validation(format!(
            "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
            k.name,
            k.kind,
            v.type_name()
        )));
    }
    match v {
        AttributeValue::S(s) if s.is_empty() => Err(validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {}",
            k.name
        ))),
        AttributeValue::B(b) if b.is_empty() => Err(validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: {}",
            k.name
        ))),
        _ => Ok(()),
    }
}

/// A key attribute's bytes, ordered as DynamoDB orders the type: numbers numerically, strings
/// by UTF-8 bytes, binaries by bytes.
pub fn encode_key_value(v: &AttributeValue) -> Vec<u8> {
    match v {
        AttributeValue::S(s) => s.as_bytes().to_vec(),
        AttributeValue::N(n) => n.encode(),
        AttributeValue::B(b) => b.clone(),
        _ => Vec::new(),
    }
}

/// The bytes a composite key continues with when one more part starts with `bytes`: the part
/// escaped as `key::push` escapes it, without its terminator (for `begins_with` ranges).
pub fn escaped_prefix(bytes: &[u8]) -> Vec<u8> {
    let mut part = Vec::new();
    key::push(&mut part, bytes);
    part.truncate(part.len().saturating_sub(2));
    part
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::Number;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap_or_else(|_| Number::zero()))
    }

    #[test]
    fn range_keys_sort_in_dynamodb_order() {
        let sorted: Vec<Vec<AttributeValue>> = vec![
            vec![
                n("-1e10"),
                n("-3.5"),
                n("-3"),
                n("-0.001"),
                n("0"),
                n("0.001"),
                n("2"),
                n("10"),
                n("10.01"),
                n("1e37"),
            ],
            ["", "A", "Z", "a", "a\u{0}", "aa", "b", "é", "中"]
                .iter()
                .map(|s| AttributeValue::S(s.to_string()))
                .collect(),
            vec![
                AttributeValue::B(vec![0]),
                AttributeValue::B(vec![0, 0]),
                AttributeValue::B(vec![0, 1]),
                AttributeValue::B(vec![1]),
                AttributeValue::B(vec![255]),
            ],
        ];
        for values in sorted {
            for pair in values.windows(2) {
                let a = key::join([
                    b"acct".to_vec(),
                    b"t".to_vec(),
                    b"pk".to_vec(),
                    encode_key_value(&pair[0]),
                ]);
                let b = key::join([
                    b"acct".to_vec(),
                    b"t".to_vec(),
                    b"pk".to_vec(),
                    encode_key_value(&pair[1]),
                ]);
                assert!(a < b, "{:?} < {:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn index_entries_are_sparse_projected_and_typed() {
        let el = |name: &str, kind: &str| KeySchemaElement {
            name: name.into(),
            kind: kind.into(),
        };
        let table = TableRecord {
            name: "t".into(),
            id: String::new(),
            arn: String::new(),
            created: 0.0,
            hash: el("pk", "S"),
            range: None,
            attributes: Vec::new(),
            billing_mode: "PAY_PER_REQUEST".into(),
            read_capacity: 0,
            write_capacity: 0,
            item_count: 0,
            size_bytes: 0,
            pay_per_request_since: None,
            indexes: Vec::new(),
            ttl_attribute: None,
            stream_view_type: None,
            stream_label: None,
            stream_seq: 0,
            deletion_protection: false,
            pitr: None,
            restore: None,
            sse: None,
        };
        let index = IndexRecord {
            name: "byG".into(),
            global: true,
            hash: el("g", "S"),
            range: None,
            projection: "INCLUDE".into(),
            non_key: vec!["x".into()],
            read_capacity: 0,
            write_capacity: 0,
            item_count: 0,
            size_bytes: 0,
        };
        let s = |v: &str| AttributeValue::S(v.into());
        let table_k = table.items_prefix("a", "r");
        let mut item: Item = [("pk", s("p")), ("x", s("1")), ("y", s("2"))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let item_key = table.item_key("a", "r", &item).unwrap_or_default();
        assert!(matches!(
            index.entry(&table, &table_k, &item_key, &item),
            Ok(None)
        ));
        item.insert("g".into(), s("G"));
        let Ok(Some((k, projected))) = index.entry(&table, &table_k, &item_key, &item) else {
            panic!("indexed");
        };
        assert!(k.starts_with(&table_k) && k.ends_with(&item_key[table_k.len()..]));
        assert_eq!(
            projected.keys().cloned().collect::<Vec<_>>(),
            ["g", "pk", "x"]
        );
        item.insert("g".into(), n("1"));
        assert!(index.entry(&table, &table_k, &item_key, &item).is_err());
        item.insert("g".into(), s(""));
        assert!(index.entry(&table, &table_k, &item_key, &item).is_err());
    }

    #[test]
    fn ttl_expires_at_or_before_now() {
        let mut table: TableRecord = serde_json::from_value(json!({
            "name": "t", "id": "", "arn": "", "created": 0.0,
            "hash": {"name": "pk", "kind": "S"}, "range": null, "attributes": [],
            "billing_mode": "PAY_PER_REQUEST", "read_capacity": 0, "write_capacity": 0,
            "item_count": 0, "size_bytes": 0,
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let item = |v: AttributeValue| -> Item { [("exp".to_string(), v)].into_iter().collect() };
        assert!(!table.expired(&item(n("5")), 10));
        table.ttl_attribute = Some("exp".into());
        assert!(table.expired(&item(n("10")), 10));
        assert!(table.expired(&item(n("9.5")), 10));
        assert!(!table.expired(&item(n("10.5")), 10));
        assert!(!table.expired(&item(AttributeValue::S("1".into())), 10));
        assert!(!table.expired(&Item::new(), 10));
    }

    #[test]
    fn begins_with_prefix_selects_extensions_only() {
        let base = key::join(["p"]);
        let key_of = |s: &[u8]| {
            let mut k = base.clone();
            key::push(&mut k, s);
            k
        };
        let mut prefix = base.clone();
        prefix.extend(escaped_prefix(b"a\0"));
        for (sk, inside) in [
            (&b"a\0"[..], true),
            (b"a\0b", true),
            (b"a", false),
            (b"a\x01", false),
            (b"b", false),
        ] {
            assert_eq!(key_of(sk).starts_with(&prefix), inside, "{sk:?}");
        }
    }
}
