//! The ciphertext blob gureum's KMS hands out for symmetric keys, and the AES-256-GCM that
//! fills it. Pure: no storage, no clock.
//!
//! Format version 1, all integers big-endian:
//!
//! ```text
//! offset  size  field
//! 0       1     format version (0x01)
//! 1       1     key id length L (1..=255)
//! 2       L     key id (the key's UUID, ASCII)
//! 2+L     4     key material version (the rotation generation that encrypted this)
//! 6+L     12    AES-GCM nonce (random)
//! 18+L    n+16  AES-256-GCM ciphertext of the n plaintext bytes, then the 16-byte tag
//! ```
//!
//! The additional authenticated data is the header (bytes `0..6+L`) followed by the canonical
//! encoding of the encryption context, so a changed key id, material version or context, or any
//! flipped bit, fails authentication. The canonical context is the pair count (u32) and then each
//! pair sorted by key as `u32 len, key, u32 len, value` (UTF-8).

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};

/// The format version this build writes and reads.
pub const FORMAT_V1: u8 = 1;
/// Length of the AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Length of the AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Length of a key's material (AES-256).
pub const KEY_LEN: usize = 32;

/// An encryption context: string pairs, kept sorted so their encoding is canonical.
pub type EncryptionContext = BTreeMap<String, String>;

/// Why a blob does not open. Callers answer `InvalidCiphertextException` for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CiphertextError {
    /// Too short, an unknown format version, or a header that does not parse.
    Malformed,
    /// The tag does not verify: tampered bytes, another key, or another encryption context.
    Unauthenticated,
    /// The key material has the wrong length (a corrupt record, not the caller's fault).
    BadKey,
}

/// What the header of a blob names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key_id: String,
    pub material_version: u32,
}

/// Parses the header of `blob`; the second value is where the nonce starts.
pub fn parse_header(blob: &[u8]) -> Result<(Header, usize), CiphertextError> {
    let (&version, rest) = blob.split_first().ok_or(CiphertextError::Malformed)?;
    if version != FORMAT_V1 {
        return Err(CiphertextError::Malformed);
    }
    let (&len, rest) = rest.split_first().ok_or(CiphertextError::Malformed)?;
    let len = usize::from(len);
    if len == 0 || rest.len() < len + 4 + NONCE_LEN + TAG_LEN {
        return Err(CiphertextError::Malformed);
    }
    let key_id = std::str::from_utf8(&rest[..len])
        .map_err(|_| CiphertextError::Malformed)?
        .to_string();
    let mut v = [0u8; 4];
    v.copy_from_slice(&rest[len..len + 4]);
    Ok((
        Header {
            key_id,
            material_version: u32::from_be_bytes(v),
        },
        2 + len + 4,
    ))
}

fn encode_context(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = header.to_vec();
    let count = u32::try_from(context.len()).unwrap_or(u32::MAX);
    aad.extend_from_slice(&count.to_be_bytes());
    for (k, v) in context {
        for part in [k, v] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            aad.extend_from_slice(&len.to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
    }
    aad
}

fn cipher(key: &[u8]) -> Result<Aes256Gcm, CiphertextError> {
    if key.len() != KEY_LEN {
        return Err(CiphertextError::BadKey);
    }
    Aes256Gcm::new_from_slice(key).map_err(|_| CiphertextError::BadKey)
}

/// Encrypts `plaintext` under `key` (material `version` of key `key_id`) with a fresh random
/// nonce, bound to `context`.
pub fn seal(
    key: &[u8],
    key_id: &str,
    version: u32,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, CiphertextError> {
    let mut nonce = [0u8; NONCE_LEN];
    gureum_core::ids::random_bytes(&mut nonce);
    seal_with_nonce(key, key_id, version, plaintext, context, nonce)
}

fn seal_with_nonce(
    key: &[u8],
    key_id: &str,
    version: u32,
    plaintext: &[u8],
    context: &EncryptionContext,
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, CiphertextError> {
    let sealing = Sealing::with_nonce(key_id, version, context, nonce)?;
    let sealed = cipher(key)?
        .encrypt(
            &nonce.into(),
            Payload {
                msg: plaintext,
                aad: &sealing.aad,
            },
        )
        .map_err(|_| CiphertextError::BadKey)?;
    Ok(sealing.finish(&sealed))
}

/// A blob whose AES-GCM runs elsewhere (inside an HSM): the header, the fresh nonce and the
/// additional authenticated data to encrypt with; [`Sealing::finish`] lays out the blob.
pub struct Sealing {
    header: Vec<u8>,
    pub nonce: [u8; NONCE_LEN],
    pub aad: Vec<u8>,
}

impl Sealing {
    /// Starts a blob for material `version` of key `key_id`, bound to `context`.
    pub fn new(
        key_id: &str,
        version: u32,
        context: &EncryptionContext,
    ) -> Result<Sealing, CiphertextError> {
        let mut nonce = [0u8; NONCE_LEN];
        gureum_core::ids::random_bytes(&mut nonce);
        Sealing::with_nonce(key_id, version, context, nonce)
    }

    fn with_nonce(
        key_id: &str,
        version: u32,
        context: &EncryptionContext,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealing, CiphertextError> {
        let id_len = u8::try_from(key_id.len()).map_err(|_| CiphertextError::Malformed)?;
        if id_len == 0 {
            return Err(CiphertextError::Malformed);
        }
        let mut header = Vec::with_capacity(2 + key_id.len() + 4);
        header.push(FORMAT_V1);
        header.push(id_len);
        header.extend_from_slice(key_id.as_bytes());
        header.extend_from_slice(&version.to_be_bytes());
        let aad = encode_context(&header, context);
        Ok(Sealing { header, nonce, aad })
    }

    /// The blob, given the AES-GCM output (ciphertext then tag).
    pub fn finish(self, sealed: &[u8]) -> Vec<u8> {
        let mut out = self.header;
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(sealed);
        out
    }
}

/// The parts of a blob AES-GCM needs to open it: nonce, additional authenticated data (for
/// `context`) and the ciphertext with its tag.
pub struct Opening<'a> {
    pub nonce: [u8; NONCE_LEN],
    pub aad: Vec<u8>,
    pub sealed: &'a [u8],
}

impl<'a> Opening<'a> {
    pub fn new(blob: &'a [u8], context: &EncryptionContext) -> Result<Self, CiphertextError> {
        let (_, header_len) = parse_header(blob)?;
        let (header, rest) = blob.split_at(header_len);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(nonce);
        Ok(Opening {
            nonce: n,
            aad: encode_context(header, context),
            sealed,
        })
    }
}

/// Decrypts a blob made by [`seal`] with the key material its header names and the same
/// encryption context.
pub fn open(
    key: &[u8],
    blob: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, CiphertextError> {
    let opening = Opening::new(blob, context)?;
    cipher(key)?
        .decrypt(
            &opening.nonce.into(),
            Payload {
                msg: opening.sealed,
                aad: &opening.aad,
            },
        )
        .map_err(|_| CiphertextError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layout_is_as_documented() {
        let key = [7u8; KEY_LEN];
        let blob = seal_with_nonce(&key, KEY_ID, 3, b"hello", &ctx(&[]), [9; NONCE_LEN]).unwrap();
        assert_eq!(blob[0], FORMAT_V1);
        assert_eq!(usize::from(blob[1]), KEY_ID.len());
        assert_eq!(&blob[2..38], KEY_ID.as_bytes());
        assert_eq!(&blob[38..42], &[0, 0, 0, 3]);
        assert_eq!(&blob[42..54], &[9; NONCE_LEN]);
        assert_eq!(blob.len(), 54 + 5 + TAG_LEN);
        let (header, at) = parse_header(&blob).unwrap();
        assert_eq!(header.key_id, KEY_ID);
        assert_eq!(header.material_version, 3);
        assert_eq!(at, 42);
    }

    #[test]
    fn round_trips_with_the_same_context() {
        let key = [1u8; KEY_LEN];
        let c = ctx(&[("purpose", "test"), ("a", "b")]);
        let blob = seal(&key, KEY_ID, 1, b"secret data", &c).unwrap();
        assert_eq!(open(&key, &blob, &c).unwrap(), b"secret data");
        // Same context given in another order is the same context.
        let reordered = ctx(&[("a", "b"), ("purpose", "test")]);
        assert_eq!(open(&key, &blob, &reordered).unwrap(), b"secret data");
        // Nonces are fresh: the same plaintext never gives the same blob.
        assert_ne!(seal(&key, KEY_ID, 1, b"secret data", &c).unwrap(), blob);
    }

    #[test]
    fn refuses_other_contexts_keys_and_tampering() {
        let key = [1u8; KEY_LEN];
        let c = ctx(&[("k", "v")]);
        let blob = seal(&key, KEY_ID, 1, b"secret", &c).unwrap();
        assert_eq!(
            open(&key, &blob, &ctx(&[])),
            Err(CiphertextError::Unauthenticated)
        );
        assert_eq!(
            open(&key, &blob, &ctx(&[("k", "w")])),
            Err(CiphertextError::Unauthenticated)
        );
        // Ambiguous concatenations are distinct contexts.
        let ab = seal(&key, KEY_ID, 1, b"x", &ctx(&[("ab", "c")])).unwrap();
        assert!(open(&key, &ab, &ctx(&[("a", "bc")])).is_err());
        assert_eq!(
            open(&[2u8; KEY_LEN], &blob, &c),
            Err(CiphertextError::Unauthenticated)
        );
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            assert!(
                open(&key, &bad, &c).is_err(),
                "flipped byte {i} still opened"
            );
        }
        for len in 0..blob.len() {
            assert!(
                open(&key, &blob[..len], &c).is_err(),
                "truncated to {len} still opened"
            );
        }
        assert_eq!(open(&key[..16], &blob, &c), Err(CiphertextError::BadKey));
    }

    #[test]
    fn sealing_elsewhere_lays_out_the_same_blob() {
        // What an HSM does with the parts of `Sealing` and `Opening` is plain AES-256-GCM.
        let key = [5u8; KEY_LEN];
        let c = ctx(&[("k", "v")]);
        let sealing = Sealing::with_nonce(KEY_ID, 1, &c, [3; NONCE_LEN]).unwrap();
        let gcm = cipher(&key).unwrap();
        let sealed = gcm
            .encrypt(
                &sealing.nonce.into(),
                Payload {
                    msg: b"elsewhere",
                    aad: &sealing.aad,
                },
            )
            .unwrap();
        let blob = sealing.finish(&sealed);
        let direct = seal_with_nonce(&key, KEY_ID, 1, b"elsewhere", &c, [3; NONCE_LEN]).unwrap();
        assert_eq!(blob, direct);
        let opening = Opening::new(&blob, &c).unwrap();
        assert_eq!(opening.nonce, [3; NONCE_LEN]);
        assert_eq!(opening.sealed, sealed.as_slice());
        assert_eq!(open(&key, &blob, &c).unwrap(), b"elsewhere");
        assert!(Opening::new(&blob[..20], &c).is_err());
    }

    #[test]
    fn unknown_versions_and_garbage_are_malformed() {
        assert_eq!(parse_header(b""), Err(CiphertextError::Malformed));
        assert_eq!(parse_header(&[2; 80]), Err(CiphertextError::Malformed));
        assert_eq!(parse_header(&[1, 0, 0, 0]), Err(CiphertextError::Malformed));
        let mut bad_utf8 = vec![1, 2, 0xff, 0xfe];
        bad_utf8.extend_from_slice(&[0; 40]);
        assert_eq!(parse_header(&bad_utf8), Err(CiphertextError::Malformed));
    }
}
