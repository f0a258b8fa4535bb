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
}

impl Versioned for TableRecord {
    const VERSION: u16 = 1;
}

pub fn table_key(account: &str, region: &str, name: &str) -> Vec<u8> {
    key::join([account, region, name])
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
            "DeletionProtectionEnabled": false,
        });
        if self.billing_mode == "PAY_PER_REQUEST" {
            d["BillingModeSummary"] = json!({
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": self.pay_per_request_since.unwrap_or(self.created),
            });
        }
        d
    }

    fn key_elements(&self) -> impl Iterator<Item = &KeySchemaElement> {
        std::iter::once(&self.hash).chain(self.range.as_ref())
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
        key::join([account, region, self.name.as_str()])
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
