//! The checksums S3 stores and returns (`x-amz-checksum-*`): CRC32, CRC32C, CRC64NVME, SHA1,
//! SHA256, each base64 of the big-endian digest; and Content-MD5.

use base64::Engine;

use crate::errors;
use gureum_core::AwsError;

/// The algorithms gureum computes, as S3 names them in `x-amz-checksum-algorithm`.
pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

/// The base64 checksum of `data` under `algorithm`, if gureum knows it.
pub fn compute(algorithm: &str, data: &[u8]) -> Option<String> {
    gureum_auth::checksum::compute(algorithm, data)
}

pub use gureum_auth::checksum::Checksummer;

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
