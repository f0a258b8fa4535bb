//! Random identifiers in the forms AWS uses: access key ids (`AKIA...`), unique ids of users,
//! roles, groups and policies (`AIDA...`, `AROA...`, ...), secret access keys and session tokens.

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) {
    // getrandom fails only when the OS has no entropy source at all; gureum cannot run safely then.
    getrandom::fill(buf).expect("the operating system provides random bytes");
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `prefix` followed by `len` characters of A-Z and 2-7, as AWS writes key and unique ids
/// (e.g. `random_id("AKIA", 16)`).
pub fn random_id(prefix: &str, len: usize) -> String {
    let mut bytes = vec![0u8; len];
    random_bytes(&mut bytes);
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    out.extend(
        bytes
            .iter()
            .map(|b| UPPER_ALNUM[(*b & 31) as usize] as char),
    );
    out
}

/// A 40-character secret access key (base64 alphabet, as AWS's).
pub fn random_secret() -> String {
    random_base64(30)
}

/// `n` random bytes in standard base64 (session tokens, opaque handles).
pub fn random_base64(n: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    random_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_like_aws() {
        let id = random_id("AKIA", 16);
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKIA") && id[4..].bytes().all(|b| UPPER_ALNUM.contains(&b)));
        assert_ne!(random_id("AIDA", 17), random_id("AIDA", 17));
        assert_eq!(random_secret().len(), 40);
    }
}
