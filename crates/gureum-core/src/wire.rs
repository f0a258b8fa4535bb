//! Serde helpers for handler structs: blobs travel base64-encoded and timestamps as epoch
//! seconds in the canonical value tree; these types make that invisible to handlers.

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A blob member: raw bytes in Rust, base64 in the value tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Blob)
            .map_err(serde::de::Error::custom)
    }
}

/// A timestamp member: epoch seconds (fractional allowed) in the value tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub f64);

impl Timestamp {
    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs as f64)
    }

    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_and_timestamp_round_trip_through_values() {
        let v = serde_json::to_value(Blob(b"hi".to_vec())).unwrap();
        assert_eq!(v, serde_json::json!("aGk="));
        assert_eq!(serde_json::from_value::<Blob>(v).unwrap().0, b"hi");
        assert!(serde_json::from_value::<Blob>(serde_json::json!("***")).is_err());
        let t = serde_json::to_value(Timestamp::from_millis(1500)).unwrap();
        assert_eq!(t, serde_json::json!(1.5));
    }
}
