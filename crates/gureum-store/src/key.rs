//! Composite keys: tuples of byte strings encoded so that byte order equals tuple order.
//!
//! Each part is written with `0x00` escaped as `0x00 0xFF` and is followed by the terminator
//! `0x00 0x01`. The terminator sorts below every byte a part can continue with (`0x01..` or the
//! escaped zero `0x00 0xFF`), so a part sorts before its own extensions, and `join(p)` is a byte
//! prefix of `join(p ++ q)`: `scan_prefix(join([bucket]))` finds every key of a bucket.

use crate::{Result, StoreError};

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;

/// Encodes `parts` into one key whose byte order is the tuple order of the parts.
pub fn join<I, P>(parts: I) -> Vec<u8>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    let mut out = Vec::new();
    for part in parts {
        push(&mut out, part.as_ref());
    }
    out
}

/// Appends one part to a key built by [`join`]; `push(&mut join(a), b) == join(a ++ [b])`.
pub fn push(key: &mut Vec<u8>, part: &[u8]) {
    key.reserve(part.len() + 2);
    // Most parts (ids, names, regions) hold no zero byte and are copied whole; keys are built on
    // every request.
    let mut rest = part;
    while let Some(at) = rest.iter().position(|&b| b == ESCAPE) {
        key.extend_from_slice(&rest[..=at]);
        key.push(ESCAPED_ZERO);
        rest = &rest[at + 1..];
    }
    key.extend_from_slice(rest);
    key.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Decodes a key built by [`join`] back into its parts.
pub fn split(key: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut bytes = key.iter().copied();
    while let Some(byte) = bytes.next() {
        if byte != ESCAPE {
            part.push(byte);
            continue;
        }
        match bytes.next() {
            Some(ESCAPED_ZERO) => part.push(0),
            Some(TERMINATOR) => parts.push(std::mem::take(&mut part)),
            Some(other) => {
                return Err(StoreError::Corrupt(format!(
                    "composite key has byte {other:#04x} after an escape"
                )));
            }
            None => {
                return Err(StoreError::Corrupt(
                    "composite key ends in an escape".into(),
                ));
            }
        }
    }
    if !part.is_empty() {
        return Err(StoreError::Corrupt(
            "composite key has an unterminated part".into(),
        ));
    }
    Ok(parts)
}

/// Decodes a key built by [`join`] from UTF-8 parts, such as `(bucket, object key)`.
pub fn split_str(key: &[u8]) -> Result<Vec<String>> {
    split(key)?
        .into_iter()
        .map(|part| {
            String::from_utf8(part)
                .map_err(|_| StoreError::Corrupt("composite key part is not UTF-8".into()))
        })
        .collect()
}

/// The smallest key greater than every key starting with `prefix`, or `None` when no such key
/// exists (the prefix is empty or all `0xFF`). Used as the exclusive end of a prefix scan.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(parts: &[&[u8]]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.to_vec()).collect()
    }

    #[test]
    fn byte_order_is_tuple_order() {
        // Sorted in tuple order: compare part by part, a shorter tuple before its extensions.
        let sorted: Vec<Vec<&[u8]>> = vec![
            vec![],
            vec![b""],
            vec![b"", b""],
            vec![b"", b"a"],
            vec![b"\0"],
            vec![b"\0", b"a"],
            vec![b"\0\0"],
            vec![b"\x01"],
            vec![b"a"],
            vec![b"a", b""],
            vec![b"a", b"\0"],
            vec![b"a", b"b"],
            vec![b"a", b"b", b"c"],
            vec![b"a", b"\xff"],
            vec![b"a\0"],
            vec![b"a\0", b"a"],
            vec![b"a\0\0"],
            vec![b"a\0\x01"],
            vec![b"a\0\xff"],
            vec![b"a\x01"],
            vec![b"ab"],
            vec![b"ab", b"a"],
            vec![b"b"],
            vec![b"\xff"],
            vec![b"\xff\xff", b"\xff"],
        ];
        for pair in sorted.windows(2) {
            assert!(pair[0] < pair[1], "test table out of order: {pair:?}");
            let (a, b) = (join(&pair[0]), join(&pair[1]));
            assert!(
                a < b,
                "{:?} encodes to {a:?}, not below {:?} -> {b:?}",
                pair[0],
                pair[1]
            );
        }
        for parts in &sorted {
            assert_eq!(split(&join(parts)).unwrap(), tuple(parts));
        }
    }

    #[test]
    fn all_short_tuples_round_trip_and_sort() {
        let alphabet: [&[u8]; 5] = [b"", b"\0", b"\x01", b"a", b"\xff"];
        let mut tuples: Vec<Vec<Vec<u8>>> = Vec::new();
        for a in alphabet {
            tuples.push(tuple(&[a]));
            for b in alphabet {
                tuples.push(tuple(&[a, b]));
                tuples.push(tuple(&[[a, b].concat().as_slice()]));
            }
        }
        for x in &tuples {
            assert_eq!(&split(&join(x)).unwrap(), x);
            for y in &tuples {
                assert_eq!(join(x).cmp(&join(y)), x.cmp(y), "{x:?} vs {y:?}");
            }
        }
    }

    #[test]
    fn joined_prefix_is_byte_prefix() {
        let bucket = join(["photos"]);
        let mut object = bucket.clone();
        push(&mut object, b"2024/cat.jpg");
        assert!(object.starts_with(&bucket));
        assert_eq!(object, join(["photos", "2024/cat.jpg"]));
        assert!(!join(["photos2", "x"]).starts_with(&bucket));
        assert_eq!(split_str(&object).unwrap(), ["photos", "2024/cat.jpg"]);
    }

    #[test]
    fn malformed_keys_are_corrupt_not_panics() {
        for bad in [&b"a"[..], b"a\0", b"a\0\x02", b"\0", b"a\0\x01b"] {
            assert!(matches!(split(bad), Err(StoreError::Corrupt(_))), "{bad:?}");
        }
        assert!(matches!(
            split_str(&join([&b"\xff"[..]])),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(split(b"").unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        let cases: [(&[u8], Option<&[u8]>); 5] = [
            (b"", None),
            (b"a", Some(b"b")),
            (b"a\xff", Some(b"b")),
            (b"\xff\xff", None),
            (b"ab\0", Some(b"ab\x01")),
        ];
        for (prefix, end) in cases {
            assert_eq!(prefix_end(prefix).as_deref(), end, "{prefix:?}");
        }
    }
}
