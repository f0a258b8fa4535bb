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

    /// `to_json`, moving strings and containers instead of copying them.
    pub fn into_json(self) -> Value {
        let (kind, inner) = match self {
            AttributeValue::S(s) => ("S", Value::String(s)),
            AttributeValue::M(m) => ("M", item_into_json(m)),
            AttributeValue::L(l) => (
                "L",
                Value::Array(l.into_iter().map(Self::into_json).collect()),
            ),
            AttributeValue::SS(s) => (
                "SS",
                Value::Array(s.into_iter().map(Value::String).collect()),
            ),
            other => return other.to_json(),
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

/// `item_to_json`, consuming the item.
pub fn item_into_json(item: Item) -> Value {
    Value::Object(item.into_iter().map(|(k, v)| (k, v.into_json())).collect())
}

/// The size of an item as DynamoDB counts it: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

// Stored items are read and written in the wire form (`{"S": "x"}`...) straight from and to
// bytes, without a `serde_json::Value` between: the hot path of GetItem, Query and Scan.

impl serde::Serialize for AttributeValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        struct Texts<'a, T>(&'a [T], fn(&T) -> String);
        impl<T> serde::Serialize for Texts<'_, T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(self.1))
            }
        }
        let mut map = s.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(v) => map.serialize_entry("S", v)?,
            AttributeValue::N(n) => map.serialize_entry("N", &n.to_text())?,
            AttributeValue::B(b) => map.serialize_entry("B", &b64(b))?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::M(m) => map.serialize_entry("M", m)?,
            AttributeValue::L(l) => map.serialize_entry("L", l)?,
            AttributeValue::SS(v) => map.serialize_entry("SS", v)?,
            AttributeValue::NS(v) => map.serialize_entry("NS", &Texts(v, Number::to_text))?,
            AttributeValue::BS(v) => map.serialize_entry("BS", &Texts(v, |b| b64(b)))?,
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for AttributeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};

        // Type tags, number texts and base64 texts are read in place (serde's `Cow<str>`
        // always allocates an owned string): stored items are decoded on every read.
        enum Tag {
            S,
            N,
            B,
            Bool,
            Null,
            M,
            L,
            SS,
            NS,
            BS,
        }
        struct TagVisitor;
        impl Visitor<'_> for TagVisitor {
            type Value = Tag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an AttributeValue type")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Tag, E> {
                Ok(match v {
                    "S" => Tag::S,
                    "N" => Tag::N,
                    "B" => Tag::B,
                    "BOOL" => Tag::Bool,
                    "NULL" => Tag::Null,
                    "M" => Tag::M,
                    "L" => Tag::L,
                    "SS" => Tag::SS,
                    "NS" => Tag::NS,
                    "BS" => Tag::BS,
                    other => return Err(E::custom(format!("unknown type {other}"))),
                })
            }
        }
        impl<'de> serde::Deserialize<'de> for Tag {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(TagVisitor)
            }
        }

        /// One text turned into a value where it lies.
        struct Text<T>(fn(&str) -> Result<T, String>);
        impl<T> Clone for Text<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T> Copy for Text<T> {}
        impl<T> Visitor<'_> for Text<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
                (self.0)(v).map_err(E::custom)
            }
        }
        impl<'de, T> DeserializeSeed<'de> for Text<T> {
            type Value = T;
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
                d.deserialize_str(self)
            }
        }
        /// A list of texts, each turned into a value.
        struct Texts<T>(Text<T>);
        impl<'de, T> Visitor<'de> for Texts<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(v) = seq.next_element_seed(self.0)? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        impl<'de, T> DeserializeSeed<'de> for Texts<T> {
            type Value = Vec<T>;
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
                d.deserialize_seq(self)
            }
        }
        let number = Text(|t| Number::parse(t).map_err(|e| e.0.to_string()));
        let bytes = Text(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t.as_bytes())
                .map_err(|e| e.to_string())
        });

        struct Seen<N, B>(N, B);
        impl<'de> Visitor<'de> for Seen<Text<Number>, Text<Vec<u8>>> {
            type Value = AttributeValue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a DynamoDB AttributeValue")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let Seen(number, bytes) = self;
                let kind: Tag = map
                    .next_key()?
                    .ok_or_else(|| A::Error::custom("empty AttributeValue"))?;
                let v = match kind {
                    Tag::S => AttributeValue::S(map.next_value()?),
                    Tag::N => AttributeValue::N(map.next_value_seed(number)?),
                    Tag::B => AttributeValue::B(map.next_value_seed(bytes)?),
                    Tag::Bool => AttributeValue::Bool(map.next_value()?),
                    Tag::Null => {
                        map.next_value::<bool>()?;
                        AttributeValue::Null
                    }
                    Tag::M => AttributeValue::M(map.next_value()?),
                    Tag::L => AttributeValue::L(map.next_value()?),
                    Tag::SS => AttributeValue::SS(map.next_value()?),
                    Tag::NS => AttributeValue::NS(map.next_value_seed(Texts(number))?),
                    Tag::BS => AttributeValue::BS(map.next_value_seed(Texts(bytes))?),
                };
                if map.next_key::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::custom("AttributeValue with two types"));
                }
                Ok(v)
            }
        }
        d.deserialize_map(Seen(number, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_form_is_the_wire_form_of_every_type() {
        let wire = json!({
            "s": {"S": "x"}, "n": {"N": "-1.50"}, "b": {"B": "AAE="}, "t": {"BOOL": true},
            "z": {"NULL": true}, "m": {"M": {"in": {"L": [{"N": "1"}, {"S": ""}]}}},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2E3"]}, "bs": {"BS": ["AQ=="]},
        });
        let item = item_from_json(&wire).unwrap_or_default();
        let bytes = serde_json::to_vec(&item).unwrap_or_default();
        let back: Item = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(back, item);
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).ok(),
            Some(item_to_json(&item))
        );
        assert_eq!(item_into_json(item.clone()), item_to_json(&item));
        for bad in [
            r#"{"a": {}}"#,
            r#"{"a": {"S": "x", "N": "1"}}"#,
            r#"{"a": {"X": 1}}"#,
            r#"{"a": {"N": "x"}}"#,
        ] {
            assert!(serde_json::from_str::<Item>(bad).is_err(), "{bad}");
        }
    }
}
