//! AttributeValue: DynamoDB's typed values, read from and written to the canonical value tree
//! (`{"S": "x"}`, `{"N": "1"}`, `{"B": base64}`...), with deep equality, ordering of scalars and
//! the item size DynamoDB charges.

use std::collections::BTreeMap;

use base64::Engine;
use gureum_core::AwsError;
use serde_json::{Map, Value};

use crate::errors::validation;
use crate::number::Number;

/// How deep documents may nest (DynamoDB's limit).
pub const MAX_NESTING: usize = 32;

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    SS(Vec<String>),
    NS(Vec<Number>),
    BS(Vec<Vec<u8>>),
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(v: &Value) -> Result<Vec<u8>, AwsError> {
    let text = v
        .as_str()
        .ok_or_else(|| validation("Invalid binary value: expected a base64 string"))?;
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|_| validation("Invalid binary value: not base64"))
}

fn number(text: &Value) -> Result<Number, AwsError> {
    let text = text
        .as_str()
        .ok_or_else(|| validation(crate::number::NOT_NUMERIC.0))?;
    Number::parse(text).map_err(|e| validation(e.0))
}

fn strings(v: &Value) -> Result<Vec<&Value>, AwsError> {
    v.as_array()
        .map(|a| a.iter().collect())
        .ok_or_else(|| validation("Invalid set value: expected a list"))
}

impl AttributeValue {
    /// Reads one value from the canonical tree, refusing documents nested deeper than DynamoDB
    /// allows.
    pub fn from_json(v: &Value) -> Result<Self, AwsError> {
        Self::from_json_at(v, 0)
    }

    fn from_json_at(v: &Value, depth: usize) -> Result<Self, AwsError> {
        if depth > MAX_NESTING {
            return Err(validation("Nesting Levels have exceeded supported limits"));
        }
        let object = v.as_object().ok_or_else(|| {
            validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        })?;
        let mut set = object.iter().filter(|(_, v)| !v.is_null());
        let (kind, inner) = match (set.next(), set.next()) {
            (Some(one), None) => one,
            (None, _) => {
                return Err(validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                ));
            }
        };
        Ok(match kind.as_str() {
            "S" => AttributeValue::S(inner.as_str().unwrap_or_default().to_string()),
            "N" => AttributeValue::N(number(inner)?),
            "B" => AttributeValue::B(unb64(inner)?),
            "BOOL" => AttributeValue::Bool(inner.as_bool().unwrap_or(false)),
            "NULL" => {
                if inner.as_bool() != Some(true) {
                    return Err(validation(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
                AttributeValue::Null
            }
            "M" => {
                let mut map = BTreeMap::new();
                for (k, v) in inner.as_object().into_iter().flatten() {
                    map.insert(k.clone(), Self::from_json_at(v, depth + 1)?);
                }
                AttributeValue::M(map)
            }
            "L" => {
                let mut list = Vec::new();
                for v in inner.as_array().into_iter().flatten() {
                    list.push(Self::from_json_at(v, depth + 1)?);
                }
                AttributeValue::L(list)
            }
            "SS" => {
                let set: Vec<String> = strings(inner)?
                    .into_iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect();
                check_set("string", &set, |s| s.clone())?;
                AttributeValue::SS(set)
            }
            "NS" => {
                let set = strings(inner)?
                    .into_iter()
                    .map(number)
                    .collect::<Result<Vec<_>, _>>()?;
                check_set("number", &set, |n| n.to_text())?;
                AttributeValue::NS(set)
            }
            "BS" => {
                let set = strings(inner)?
                    .into_iter()
                    .map(unb64)
                    .collect::<Result<Vec<_>, _>>()?;
                check_set("binary", &set, |b| b64(b))?;
                AttributeValue::BS(set)
            }
            other => {
                return Err(validation(format!(
                    "Supplied AttributeValue has an unknown datatype: {other}"
                )));
            }
        })
    }

    pub fn to_json(&self) -> Value {
        let (kind, inner) = match self {
            AttributeValue::S(s) => ("S", Value::String(s.clone())),
            AttributeValue::N(n) => ("N", Value::String(n.to_text())),
            AttributeValue::B(b) => ("B", Value::String(b64(b))),
            AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
            AttributeValue::Null => ("NULL", Value::Bool(true)),
            AttributeValue::M(m) => ("M", item_to_json(m)),
            AttributeValue::L(l) => ("L", Value::Array(l.iter().map(Self::to_json).collect())),
            AttributeValue::SS(s) => (
                "SS",
                Value::Array(s.iter().cloned().map(Value::String).collect()),
            ),
            AttributeValue::NS(s) => (
                "NS",
                Value::Array(s.iter().map(|n| Value::String(n.to_text())).collect()),
            ),
            AttributeValue::BS(s) => (
                "BS",
                Value::Array(s.iter().map(|b| Value::String(b64(b))).collect()),
            ),
        };
        let mut object = Map::new();
        object.insert(kind.to_string(), inner);
        Value::Object(object)
    }

    /// DynamoDB's name of the type (`S`, `N`, `BOOL`...).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::SS(_) => "SS",
            AttributeValue::NS(_) => "NS",
            AttributeValue::BS(_) => "BS",
        }
    }

    /// The bytes this value counts for toward the 400 KB item limit.
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.stored_size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::M(m) => {
                3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>()
            }
            AttributeValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::SS(s) => s.iter().map(String::len).sum(),
            AttributeValue::NS(s) => s.iter().map(Number::stored_size).sum(),
            AttributeValue::BS(s) => s.iter().map(Vec::len).sum(),
        }
    }

    /// How deep the value nests (a scalar is 0).
    pub fn depth(&self) -> usize {
        // Iterative, so no stored value can make this recurse without bound.
        let mut deepest = 0;
        let mut stack = vec![(self, 0usize)];
        while let Some((v, d)) = stack.pop() {
            deepest = deepest.max(d);
            match v {
                AttributeValue::M(m) => stack.extend(m.values().map(|c| (c, d + 1))),
                AttributeValue::L(l) => stack.extend(l.iter().map(|c| (c, d + 1))),
                _ => {}
            }
        }
        deepest
    }
}

impl PartialEq for AttributeValue {
    fn eq(&self, other: &Self) -> bool {
        use AttributeValue::*;
        fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        match (self, other) {
            (S(a), S(b)) => a == b,
            (N(a), N(b)) => a == b,
            (B(a), B(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Null, Null) => true,
            (M(a), M(b)) => a == b,
            (L(a), L(b)) => a == b,
            (SS(a), SS(b)) => same_set(a, b),
            (NS(a), NS(b)) => same_set(a, b),
            (BS(a), BS(b)) => same_set(a, b),
            _ => false,
        }
    }
}

fn check_set<T, F: Fn(&T) -> String>(kind: &str, set: &[T], show: F) -> Result<(), AwsError> {
    if set.is_empty() {
        return Err(validation(format!(
            "One or more parameter values were invalid: An {kind} set  may not be empty"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if !set.iter().all(|v| seen.insert(show(v))) {
        let shown: Vec<String> = set.iter().map(show).collect();
        return Err(validation(format!(
            "Input collection [{}] contains duplicates.",
            shown.join(", ")
        )));
    }
    Ok(())
}

/// Reads an item (a map of attribute names to values).
pub fn item_from_json(v: &Value) -> Result<Item, AwsError> {
    let mut item = Item::new();
    for (k, v) in v.as_object().into_iter().flatten() {
        item.insert(k.clone(), AttributeValue::from_json(v)?);
    }
    Ok(item)
}

pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// The size of an item as DynamoDB counts it: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}
