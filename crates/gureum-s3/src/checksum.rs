//! The checksums S3 stores and returns (`x-amz-checksum-*`): CRC32, CRC32C, CRC64NVME, SHA1,
//! SHA256, each base64 of the big-endian digest; and Content-MD5.

use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::errors;
use gureum_core::AwsError;

/// The algorithms gureum computes, as S3 names them in `x-amz-checksum-algorithm`.
pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

/// The base64 checksum of `data` under `algorithm` (upper case), if gureum knows it.
pub fn compute(algorithm: &str, data: &[u8]) -> Option<String> {
    let digest = match algorithm {
        "CRC32" => crc32fast::hash(data).to_be_bytes().to_vec(),
        "CRC32C" => crc32c::crc32c(data).to_be_bytes().to_vec(),
        "CRC64NVME" => crc64nvme(data).to_be_bytes().to_vec(),
        "SHA1" => Sha1::digest(data).to_vec(),
        "SHA256" => Sha256::digest(data).to_vec(),
        _ => return None,
    };
    Some(base64::engine::general_purpose::STANDARD.encode(digest))
}

/// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5).
pub fn crc64nvme(data: &[u8]) -> u64 {
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut crc = i as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x9a6c_9329_ac4b_c9b5
                } else {
                    crc >> 1
                };
            }
            *slot = crc;
        }
        t
    });
    let mut crc = !0u64;
    for &b in data {
        crc = table[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Checks a `Content-MD5` header against the MD5 of the body: `InvalidDigest` when it is not
/// base64 of 16 bytes, `BadDigest` when it differs.
pub fn verify_content_md5(header: &str, md5: &[u8; 16]) -> Result<(), AwsError> {
    let given = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| errors::invalid_digest())?;
    if given.len() != 16 {
        return Err(errors::invalid_digest());
    }
    if given != md5 {
        return Err(errors::bad_digest());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(crc64nvme(b"123456789"), 0xae8b_1486_0a79_9888);
        assert_eq!(
            compute("CRC32", b"hello world").as_deref(),
            Some("DUoRhQ==")
        );
        assert_eq!(
            compute("SHA256", b"").as_deref(),
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        );
        assert_eq!(compute("MD5", b""), None);
    }

    #[test]
    fn content_md5_errors() {
        let md5 = crate::md5::md5(b"hello");
        let good = base64::engine::general_purpose::STANDARD.encode(md5);
        assert!(verify_content_md5(&good, &md5).is_ok());
        let wrong = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
        assert_eq!(
            verify_content_md5(&wrong, &md5).unwrap_err().code,
            "BadDigest"
        );
        assert_eq!(
            verify_content_md5("xx!", &md5).unwrap_err().code,
            "InvalidDigest"
        );
        assert_eq!(
            verify_content_md5("AAAA", &md5).unwrap_err().code,
            "InvalidDigest"
        );
    }
}
