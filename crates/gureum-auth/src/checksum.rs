//! The checksums current SDKs send with payloads (CRC32, CRC32C, CRC64NVME, SHA1, SHA256),
//! computed in the base64 form of the `x-amz-checksum-*` headers, and trailer verification.

use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::AuthError;

/// The algorithms, by their lowercase names as in `x-amz-checksum-<name>`.
pub const ALGORITHMS: [&str; 5] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

/// A checksum computed over data that arrives in pieces.
#[derive(Clone)]
pub enum Checksummer {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(u64),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Checksummer {
    /// A checksum for `algorithm` (any case), or `None` for an unknown one.
    pub fn new(algorithm: &str) -> Option<Self> {
        Some(match algorithm.to_ascii_lowercase().as_str() {
            "crc32" => Checksummer::Crc32(crc32fast::Hasher::new()),
            "crc32c" => Checksummer::Crc32c(0),
            "crc64nvme" => Checksummer::Crc64Nvme(!0),
            "sha1" => Checksummer::Sha1(Sha1::new()),
            "sha256" => Checksummer::Sha256(Sha256::new()),
            _ => return None,
        })
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Checksummer::Crc32(h) => h.update(data),
            Checksummer::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            Checksummer::Crc64Nvme(c) => *c = crc64nvme_update(*c, data),
            Checksummer::Sha1(h) => h.update(data),
            Checksummer::Sha256(h) => h.update(data),
        }
    }

    /// The base64 form of the `x-amz-checksum-*` header.
    pub fn finish(self) -> String {
        let raw: Vec<u8> = match self {
            Checksummer::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Checksummer::Crc32c(c) => c.to_be_bytes().to_vec(),
            Checksummer::Crc64Nvme(c) => (!c).to_be_bytes().to_vec(),
            Checksummer::Sha1(h) => h.finalize().to_vec(),
            Checksummer::Sha256(h) => h.finalize().to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(raw)
    }
}

/// The base64 checksum of `data`, or `None` for an unknown algorithm.
pub fn compute(algorithm: &str, data: &[u8]) -> Option<String> {
    let mut c = Checksummer::new(algorithm)?;
    c.update(data);
    Some(c.finish())
}

/// CRC-64/NVME: reflected, polynomial 0x9a6c9329ac4bc9b5 (reversed form of 0xad93d23594c93659),
/// initial value and final xor all ones.
pub fn crc64nvme(data: &[u8]) -> u64 {
    !crc64nvme_update(!0, data)
}

/// Continues a CRC-64/NVME over `data` from the register value `crc` (start with all ones; the
/// checksum is the final register inverted).
pub fn crc64nvme_update(mut crc: u64, data: &[u8]) -> u64 {
    const fn table() -> [u64; 256] {
        let mut t = [0u64; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = i as u64;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x9a6c_9329_ac4b_c9b5
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            t[i] = crc;
            i += 1;
        }
        t
    }
    static TABLE: [u64; 256] = table();
    for &b in data {
        crc = TABLE[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// Every `x-amz-checksum-*` trailer must match the payload.
pub fn verify_trailers(body: &[u8], trailers: &[(String, String)]) -> Result<(), AuthError> {
    for (name, value) in trailers {
        if let Some(algorithm) = name.strip_prefix("x-amz-checksum-") {
            match compute(algorithm, body) {
                Some(actual) if actual == *value => {}
                Some(_) => {
                    return Err(AuthError::ChecksumMismatch {
                        algorithm: algorithm.to_string(),
                    });
                }
                None => {
                    return Err(AuthError::BadChunk(format!(
                        "unknown checksum trailer {name}"
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // "123456789" check values: CRC32 cbf43926, CRC32C e3069283, CRC64/NVME ae8b14860a799888.
        assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc64nvme(b"123456789"), 0xae8b_1486_0a79_9888);
        assert_eq!(compute("crc32", b"hello world").unwrap(), "DUoRhQ==");
        assert_eq!(
            compute("sha256", b"").unwrap(),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(compute("md4", b"").is_none());
    }

    #[test]
    fn trailer_mismatch_is_bad_digest() {
        let t = vec![("x-amz-checksum-crc32".to_string(), "AAAAAA==".to_string())];
        assert!(matches!(
            verify_trailers(b"hello world", &t),
            Err(AuthError::ChecksumMismatch { .. })
        ));
    }
}
