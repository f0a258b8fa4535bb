//! Stored items in binary (record format 2): what every GetItem, Query and Scan decodes and
//! every write encodes. Format 1 was the item's JSON wire form (`{"a":{"S":"x"}}`); parsing it
//! took most of a read's own work, so items are now written as lengths and bytes, with numbers
//! kept as their digits. Format 1 items, as older builds wrote them, are still read.
//!
//! After the 2-byte version: a map (`count`, then `count` times a name and a value). Counts and
//! lengths are LEB128 varints; a name or string is its length and UTF-8 bytes. A value is a tag
//! byte, then: S and B a length and bytes; N a number; BOOL nothing (the tag says which); NULL
//! nothing; M a map; L a count and values; SS, NS and BS a count and strings, numbers or byte
//! strings. A number is a sign byte (1 negative), its exponent (i16, big-endian), then a length
//! and its digits, one byte each.

use std::collections::BTreeMap;

use base64::Engine;
use gureum_store::StoreError;
use serde_json::{Map, Value};

use crate::number::Number;
use crate::value::{AttributeValue, Item, MAX_NESTING};

/// The record format of binary items.
pub const VERSION: u16 = 2;

const S: u8 = 1;
const N: u8 = 2;
const B: u8 = 3;
const FALSE: u8 = 4;
const TRUE: u8 = 5;
const NULL: u8 = 6;
const M: u8 = 7;
const L: u8 = 8;
const SS: u8 = 9;
const NS: u8 = 10;
const BS: u8 = 11;

/// `item` as a format-2 record.
pub fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + crate::value::item_size(item) + 4 * item.len());
    out.extend_from_slice(&VERSION.to_be_bytes());
    put_map(&mut out, item);
    out
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_map(out: &mut Vec<u8>, map: &BTreeMap<String, AttributeValue>) {
    put_len(out, map.len());
    for (name, value) in map {
        put_bytes(out, name.as_bytes());
        put_value(out, value);
    }
}

fn put_number(out: &mut Vec<u8>, n: &Number) {
    let (negative, digits, exponent) = n.parts();
    out.push(u8::from(negative));
    // Numbers in range have exponents within -129..=126.
    let exponent =
        i16::try_from(exponent).unwrap_or(if exponent < 0 { i16::MIN } else { i16::MAX });
    out.extend_from_slice(&exponent.to_be_bytes());
    put_bytes(out, digits);
}

fn put_value(out: &mut Vec<u8>, value: &AttributeValue) {
    match value {
        AttributeValue::S(s) => {
            out.push(S);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(N);
            put_number(out, n);
        }
        AttributeValue::B(b) => {
            out.push(B);
            put_bytes(out, b);
        }
        AttributeValue::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
        AttributeValue::Null => out.push(NULL),
        AttributeValue::M(m) => {
            out.push(M);
            put_map(out, m);
        }
        AttributeValue::L(l) => {
            out.push(L);
            put_len(out, l.len());
            for v in l {
                put_value(out, v);
            }
        }
        AttributeValue::SS(set) => {
            out.push(SS);
            put_len(out, set.len());
            for s in set {
                put_bytes(out, s.as_bytes());
            }
        }
        AttributeValue::NS(set) => {
            out.push(NS);
            put_len(out, set.len());
            for n in set {
                put_number(out, n);
            }
        }
        AttributeValue::BS(set) => {
            out.push(BS);
            put_len(out, set.len());
            for b in set {
                put_bytes(out, b);
            }
        }
    }
}

/// The item of a format-2 record (version included).
pub fn decode(bytes: &[u8]) -> Result<Item, StoreError> {
    let mut r = Reader {
        bytes: bytes.get(2..).unwrap_or_default(),
    };
    let item = r.map(0)?;
    if !r.bytes.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(item)
}

/// What a read answers of a stored item, decoded without building the item whole: the wire-form
/// tree `item_into_json` would make of it, its size as DynamoDB counts it (`item_size`), and
/// the attributes named in `keep` (the keys a Query checks its key condition on and pages by).
pub struct Shown {
    pub json: Value,
    pub size: usize,
    pub kept: Item,
}

/// [`Shown`] of a format-2 record.
pub fn decode_shown(bytes: &[u8], keep: &[&str]) -> Result<Shown, StoreError> {
    let mut r = Reader {
        bytes: bytes.get(2..).unwrap_or_default(),
    };
    let count = r.len()?;
    let mut json = Map::new();
    let mut size = 0;
    let mut kept = Item::new();
    for _ in 0..count {
        let name = r.string()?;
        let start = r.bytes;
        let (value, value_size) = r.value_json()?;
        if keep.contains(&name.as_str()) {
            let mut again = Reader { bytes: start };
            kept.insert(name.clone(), again.value(0)?);
        }
        size += name.len() + value_size;
        if json.insert(name, value).is_some() {
            return Err(corrupt("name twice in a map"));
        }
    }
    if !r.bytes.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(Shown {
        json: Value::Object(json),
        size,
        kept,
    })
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("binary item: {what}"))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, StoreError> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| corrupt("truncated"))?;
        self.bytes = rest;
        Ok(b)
    }

    fn len(&mut self) -> Result<usize, StoreError> {
        let mut n = 0usize;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                // Every length counts bytes (or entries of at least a byte) still to read.
                if n > self.bytes.len() {
                    return Err(corrupt("length past the end"));
                }
                return Ok(n);
            }
        }
        Err(corrupt("length too long"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if n > self.bytes.len() {
            return Err(corrupt("truncated"));
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, StoreError> {
        let n = self.len()?;
        Ok(self.take(n)?.to_vec())
    }

    fn string(&mut self) -> Result<String, StoreError> {
        let n = self.len()?;
        let raw = self.take(n)?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| corrupt("string is not UTF-8"))
    }

    fn number(&mut self) -> Result<Number, StoreError> {
        let negative = match self.byte()? {
            0 => false,
            1 => true,
            _ => return Err(corrupt("bad number sign")),
        };
        let exponent = i16::from_be_bytes([self.byte()?, self.byte()?]);
        let digits = self.bytes()?;
        Number::from_parts(negative, digits, i32::from(exponent))
            .ok_or_else(|| corrupt("bad number"))
    }

    /// One attribute value as its wire-form tree, and its size: scalars straight from the
    /// bytes, documents and sets through [`AttributeValue`].
    fn value_json(&mut self) -> Result<(Value, usize), StoreError> {
        let tag = *self.bytes.first().ok_or_else(|| corrupt("truncated"))?;
        let (kind, inner, size) = match tag {
            S => {
                self.byte()?;
                let s = self.string()?;
                let size = s.len();
                ("S", Value::String(s), size)
            }
            N => {
                self.byte()?;
                let (negative, digits, exponent) = self.number_parts()?;
                let text = Number::text_of(negative, digits, exponent);
                ("N", Value::String(text), digits.len().div_ceil(2) + 1)
            }
            B => {
                self.byte()?;
                let n = self.len()?;
                let raw = self.take(n)?;
                let text = base64::engine::general_purpose::STANDARD.encode(raw);
                ("B", Value::String(text), n)
            }
            FALSE | TRUE => {
                self.byte()?;
                ("BOOL", Value::Bool(tag == TRUE), 1)
            }
            NULL => {
                self.byte()?;
                ("NULL", Value::Bool(true), 1)
            }
            _ => {
                let value = self.value(0)?;
                let size = value.size();
                return Ok((value.into_json(), size));
            }
        };
        let mut object = Map::new();
        object.insert(kind.to_string(), inner);
        Ok((Value::Object(object), size))
    }

    /// A number's sign, digits (borrowed) and exponent, checked as [`Number::from_parts`] does.
    fn number_parts(&mut self) -> Result<(bool, &'a [u8], i32), StoreError> {
        let negative = match self.byte()? {
            0 => false,
            1 => true,
            _ => return Err(corrupt("bad number sign")),
        };
        let exponent = i32::from(i16::from_be_bytes([self.byte()?, self.byte()?]));
        let n = self.len()?;
        let digits = self.take(n)?;
        if !Number::valid_parts(negative, digits, exponent) {
            return Err(corrupt("bad number"));
        }
        Ok((negative, digits, exponent))
    }

    fn map(&mut self, depth: usize) -> Result<BTreeMap<String, AttributeValue>, StoreError> {
        let count = self.len()?;
        let mut map = BTreeMap::new();
        for _ in 0..count {
            let name = self.string()?;
            let value = self.value(depth)?;
            if map.insert(name, value).is_some() {
                return Err(corrupt("name twice in a map"));
            }
        }
        Ok(map)
    }

    fn list<T>(
        &mut self,
        mut one: impl FnMut(&mut Self) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let count = self.len()?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(one(self)?);
        }
        Ok(out)
    }

    fn value(&mut self, depth: usize) -> Result<AttributeValue, StoreError> {
        if depth > MAX_NESTING {
            return Err(corrupt("nested too deep"));
        }
        Ok(match self.byte()? {
            S => AttributeValue::S(self.string()?),
            N => AttributeValue::N(self.number()?),
            B => AttributeValue::B(self.bytes()?),
            FALSE => AttributeValue::Bool(false),
            TRUE => AttributeValue::Bool(true),
            NULL => AttributeValue::Null,
            M => AttributeValue::M(self.map(depth + 1)?),
            L => AttributeValue::L(self.list(|r| r.value(depth + 1))?),
            SS => AttributeValue::SS(self.list(Self::string)?),
            NS => AttributeValue::NS(self.list(Self::number)?),
            BS => AttributeValue::BS(self.list(Self::bytes)?),
            _ => return Err(corrupt("unknown type tag")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::item_from_json;
    use serde_json::json;

    fn every_type() -> Item {
        let wire = json!({
            "s": {"S": "x\u{e9}"}, "e": {"S": ""}, "n": {"N": "-1.50"}, "big": {"N": "9.9E125"},
            "small": {"N": "1E-129"}, "zero": {"N": "0"}, "b": {"B": "AAE="},
            "t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true},
            "m": {"M": {"in": {"L": [{"N": "1"}, {"S": ""}, {"M": {}}]}}},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2E3", "-7"]}, "bs": {"BS": ["AQ=="]},
            "long": {"S": "y".repeat(300)},
        });
        item_from_json(&wire).unwrap_or_default()
    }

    #[test]
    fn items_round_trip() {
        let item = every_type();
        assert_eq!(item.len(), 15);
        let bytes = encode(&item);
        assert_eq!(&bytes[..2], &VERSION.to_be_bytes());
        assert_eq!(decode(&bytes).ok(), Some(item));
        assert_eq!(decode(&encode(&Item::new())).ok(), Some(Item::new()));
    }

    #[test]
    fn shown_is_the_item_answered() {
        let item = every_type();
        let bytes = encode(&item);
        let shown = decode_shown(&bytes, &["n", "m", "absent"]).ok();
        let shown = shown.as_ref();
        assert_eq!(
            shown.map(|s| &s.json),
            Some(&crate::value::item_into_json(item.clone()))
        );
        assert_eq!(shown.map(|s| s.size), Some(crate::value::item_size(&item)));
        let kept: Item = item
            .iter()
            .filter(|(k, _)| *k == "n" || *k == "m")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(shown.map(|s| &s.kept), Some(&kept));
        for cut in 2..bytes.len() {
            assert!(decode_shown(&bytes[..cut], &[]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn json_items_of_older_builds_still_read() {
        let item = every_type();
        let json = gureum_store::encode_record(1, &item).unwrap_or_default();
        assert_eq!(crate::ops::decode_item(&json).ok(), Some(item.clone()));
        let binary = crate::ops::encode_item(&item).unwrap_or_default();
        assert_eq!(crate::ops::decode_item(&binary).ok(), Some(item));
        assert!(crate::ops::decode_item(&[0, 3, 0]).is_err());
    }

    #[test]
    fn corrupt_records_are_refused() {
        let bytes = encode(&every_type());
        for cut in 2..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        // A number with a leading zero digit, an unknown tag, a huge length.
        for body in [
            &[1, 1, b'a', N, 0, 0, 1, 2, 0, 5][..],
            &[1, 1, b'a', 99][..],
            &[1, 1, b'a', S, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F][..],
        ] {
            let mut record = VERSION.to_be_bytes().to_vec();
            record.extend_from_slice(body);
            assert!(decode(&record).is_err(), "{body:?}");
        }
        // Nesting deeper than any item can hold.
        let mut deep = VERSION.to_be_bytes().to_vec();
        deep.extend_from_slice(&[1, 1, b'a']);
        deep.extend(std::iter::repeat_n([L, 1], 40).flatten());
        deep.push(NULL);
        assert!(decode(&deep).is_err());
    }
}
