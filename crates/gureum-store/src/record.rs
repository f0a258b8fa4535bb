//! Versioned records: a 2-byte big-endian format version, then the record as JSON, and the
//! migration chain that upgrades an old record to the version this build writes.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Result, StoreError};

/// Encodes `record` as format `version`: the version in two big-endian bytes, then JSON.
pub fn encode_record<T: Serialize + ?Sized>(version: u16, record: &T) -> Result<Vec<u8>> {
    let mut out = version.to_be_bytes().to_vec();
    serde_json::to_writer(&mut out, record).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

/// The format version a stored record was written with.
pub fn record_version(bytes: &[u8]) -> Result<u16> {
    match bytes {
        [high, low, ..] => Ok(u16::from_be_bytes([*high, *low])),
        _ => Err(StoreError::Corrupt(format!(
            "record of {} bytes has no version prefix",
            bytes.len()
        ))),
    }
}

/// Decodes a record written by [`encode_record`], upgrading it to `current_version` first.
///
/// `migrate(v, value)` turns a record of version `v` into one of version `v + 1`; it is called
/// once per step, so a record two versions old passes through it twice. A record newer than
/// `current_version` is refused with [`StoreError::UnsupportedVersion`].
pub fn decode_record<T, M>(bytes: &[u8], current_version: u16, migrate: M) -> Result<T>
where
    T: DeserializeOwned,
    M: Fn(u16, Value) -> Result<Value>,
{
    let found = record_version(bytes)?;
    let body = &bytes[2..];
    if found > current_version {
        return Err(StoreError::UnsupportedVersion {
            found,
            current: current_version,
        });
    }
    if found == current_version {
        return serde_json::from_slice(body).map_err(|e| corrupt(found, e));
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| corrupt(found, e))?;
    for version in found..current_version {
        value = migrate(version, value)?;
    }
    serde_json::from_value(value).map_err(|e| corrupt(current_version, e))
}

/// A migration for record types that have only ever had one version: every old record is corrupt.
pub fn no_migration(version: u16, _: Value) -> Result<Value> {
    Err(StoreError::Corrupt(format!(
        "no migration from record version {version}"
    )))
}

fn corrupt(version: u16, error: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("record version {version}: {error}"))
}

/// A stored record type with a current format version and a migration from older ones.
///
/// ```
/// use gureum_store::Versioned;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Bucket { name: String, region: String }
/// impl Versioned for Bucket {
///     const VERSION: u16 = 2;
///     fn migrate(from: u16, mut value: serde_json::Value) -> gureum_store::Result<serde_json::Value> {
///         // Version 1 had no region.
///         if let (1, Some(fields)) = (from, value.as_object_mut()) {
///             fields.insert("region".into(), "us-east-1".into());
///         }
///         Ok(value)
///     }
/// }
/// let old = gureum_store::encode_record(1, &serde_json::json!({"name": "b"})).unwrap();
/// assert_eq!(Bucket::from_record(&old).unwrap().region, "us-east-1");
/// ```
pub trait Versioned: Serialize + DeserializeOwned {
    /// The version this build writes.
    const VERSION: u16;

    /// Upgrades a record of version `from` to version `from + 1`.
    fn migrate(from: u16, value: Value) -> Result<Value> {
        no_migration(from, value)
    }

    /// Encodes `self` at [`Self::VERSION`].
    fn to_record(&self) -> Result<Vec<u8>> {
        encode_record(Self::VERSION, self)
    }

    /// Decodes a stored record of this type, migrating it if it is older.
    fn from_record(bytes: &[u8]) -> Result<Self> {
        decode_record(bytes, Self::VERSION, Self::migrate)
    }
}

/// [`Versioned::from_record`], remembering the last few records of each type decoded on this
/// thread. For records read on nearly every request (an S3 bucket, a KMS key) whose JSON costs
/// more to parse than the rest of the request. The cache is keyed by the stored bytes, so a
/// record that changed is decoded afresh, never answered stale.
pub fn decode_cached<T: Versioned + Clone + 'static>(bytes: &[u8]) -> Result<T> {
    use std::any::{Any, TypeId};
    use std::cell::RefCell;
    use std::collections::HashMap;
    const PER_TYPE: usize = 32;
    type Entries = Vec<(Vec<u8>, Box<dyn Any>)>;
    thread_local! {
        static DECODED: RefCell<HashMap<TypeId, Entries>> = RefCell::new(HashMap::new());
    }
    let hit = DECODED.with(|cache| {
        let cache = cache.borrow();
        cache
            .get(&TypeId::of::<T>())?
            .iter()
            .find(|(raw, _)| raw.as_slice() == bytes)
            .and_then(|(_, value)| value.downcast_ref::<T>().cloned())
    });
    if let Some(value) = hit {
        return Ok(value);
    }
    let value = T::from_record(bytes)?;
    DECODED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let entries = cache.entry(TypeId::of::<T>()).or_default();
        if entries.len() == PER_TYPE {
            entries.remove(0);
        }
        entries.push((bytes.to_vec(), Box::new(value.clone())));
    });
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Bucket {
        name: String,
        region: String,
        versioning: bool,
    }

    impl Versioned for Bucket {
        const VERSION: u16 = 3;
        fn migrate(from: u16, mut value: Value) -> Result<Value> {
            let fields = value
                .as_object_mut()
                .ok_or_else(|| StoreError::Corrupt("bucket record is not an object".into()))?;
            match from {
                // v1 -> v2: "bucket" was renamed "name".
                1 => {
                    let name = fields.remove("bucket").unwrap_or_default();
                    fields.insert("name".into(), name);
                }
                // v2 -> v3: versioning added, off.
                2 => {
                    fields.insert("versioning".into(), json!(false));
                }
                _ => return no_migration(from, value),
            }
            Ok(value)
        }
    }

    fn bucket() -> Bucket {
        Bucket {
            name: "photos".into(),
            region: "us-east-1".into(),
            versioning: false,
        }
    }

    #[test]
    fn layout_is_big_endian_version_then_json() {
        let bytes = bucket().to_record().unwrap();
        assert_eq!(&bytes[..2], &[0, 3]);
        assert_eq!(record_version(&bytes).unwrap(), 3);
        let json: Value = serde_json::from_slice(&bytes[2..]).unwrap();
        assert_eq!(json["name"], "photos");
        assert_eq!(encode_record(0x0102, &1).unwrap(), b"\x01\x021");
    }

    #[test]
    fn current_records_round_trip() {
        assert_eq!(
            Bucket::from_record(&bucket().to_record().unwrap()).unwrap(),
            bucket()
        );
    }

    #[test]
    fn old_records_migrate_step_by_step() {
        let v1 = encode_record(1, &json!({"bucket": "photos", "region": "us-east-1"})).unwrap();
        let v2 = encode_record(2, &json!({"name": "photos", "region": "us-east-1"})).unwrap();
        assert_eq!(Bucket::from_record(&v1).unwrap(), bucket());
        assert_eq!(Bucket::from_record(&v2).unwrap(), bucket());
    }

    #[test]
    fn migration_steps_are_called_in_order() {
        let seen = std::cell::RefCell::new(Vec::new());
        let bytes = encode_record(5, &json!(0)).unwrap();
        let n: u64 = decode_record(&bytes, 8, |v, value| {
            seen.borrow_mut().push(v);
            Ok(json!(value.as_u64().unwrap_or(0) * 10 + u64::from(v)))
        })
        .unwrap();
        assert_eq!(seen.into_inner(), [5, 6, 7]);
        assert_eq!(n, 567);
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        let newer = encode_record(4, &bucket()).unwrap();
        assert!(matches!(
            Bucket::from_record(&newer),
            Err(StoreError::UnsupportedVersion {
                found: 4,
                current: 3
            })
        ));
        for bad in [
            &b""[..],
            b"\x00",
            b"\x00\x03",
            b"\x00\x03{",
            b"\x00\x03[]",
            b"\x00\x01{}",
            b"\x00\x01[]",
        ] {
            assert!(
                matches!(Bucket::from_record(bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
        let v0 = encode_record(0, &json!({})).unwrap();
        assert!(matches!(
            Bucket::from_record(&v0),
            Err(StoreError::Corrupt(_))
        ));
        let unencodable: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert!(matches!(
            encode_record(1, &unencodable),
            Err(StoreError::Encode(_))
        ));
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Cached {
        n: u32,
    }

    impl Versioned for Cached {
        const VERSION: u16 = 1;
    }

    #[test]
    fn cached_decoding_follows_the_bytes() {
        let one = Cached { n: 1 }.to_record().unwrap();
        let two = Cached { n: 2 }.to_record().unwrap();
        for _ in 0..3 {
            assert_eq!(decode_cached::<Cached>(&one).unwrap(), Cached { n: 1 });
            assert_eq!(decode_cached::<Cached>(&two).unwrap(), Cached { n: 2 });
        }
        assert!(decode_cached::<Cached>(b"not a record").is_err());
    }
}
