//! The vocabulary every gureum crate shares: accounts and ARNs, the clock, the request context,
//! the [`Service`] trait handlers implement, the AWS error type, credentials and usage events.
//!
//! Nothing here does I/O or knows a wire format.

pub mod arn;
pub mod authz;
pub mod body;
pub mod clock;
pub mod context;
pub mod credentials;
pub mod error;
pub mod ids;
pub mod kms;
pub mod service;
pub mod usage;
pub mod wire;

pub use arn::Arn;
pub use authz::{Authorizer, AuthzTarget};
pub use body::{BodyStream, ChunkSource, OutputStream};
pub use clock::Clock;
pub use context::{Principal, PrincipalKind, RequestContext};
pub use credentials::{Credential, CredentialProvider};
pub use error::{AwsError, ErrorDetails};
pub use kms::{DataKey, KmsClient};
pub use service::{BoxFuture, OperationInput, OperationOutput, Service};
pub use usage::{Usage, UsageEvent, UsageSink};

/// The account that owns gureum's default root credentials.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// Whether `id` is a 12-digit AWS account id.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A fresh request id in the form AWS uses (a UUID, version 4 layout).
///
/// Unique per process and unpredictable across processes without a system call per request:
/// a per-process random seed mixed with a counter through SplitMix64.
pub fn new_request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish()
    });
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hi = mix(seed ^ n);
    let lo = mix(hi ^ seed.rotate_left(29) ^ n);
    // The UUID v4 layout, written digit by digit (format! costs more than the rest together).
    let fields: [(u64, usize); 5] = [
        (hi >> 32, 8),
        ((hi >> 16) & 0xffff, 4),
        (0x4000 | (hi & 0xfff), 4),
        ((lo >> 48) & 0x3fff | 0x8000, 4),
        (lo & 0xffff_ffff_ffff, 12),
    ];
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(36);
    for (i, (value, width)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b'-');
        }
        for shift in (0..width).rev() {
            out.push(DIGITS[((value >> (shift * 4)) & 15) as usize]);
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_distinct_uuids() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| super::new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        let id = ids.iter().next().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(id.split('-').map(str::len).eq([8, 4, 4, 4, 12]));
    }
}
