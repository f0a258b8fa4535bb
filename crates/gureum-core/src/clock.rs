//! The server clock: wall time plus an offset that tests move forward through `/_gureum/clock`.
//!
//! Every time-driven behaviour reads this clock, so a test can skip hours without sleeping. Only
//! the SigV4 request-skew check compares against the real wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Milliseconds since the Unix epoch, as the server sees them.
    pub fn now_millis(&self) -> i64 {
        wall_millis() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Seconds since the Unix epoch, as the server sees them.
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.now_millis() as i128 * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Moves the clock forward (never backward: expiry decisions already made stay made).
    pub fn advance_secs(&self, secs: u64) {
        let ms = i64::try_from(secs)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(1000);
        self.offset_ms
            .fetch_add(ms.min(i64::MAX / 4), Ordering::Relaxed);
    }

    /// How far the server clock is ahead of the wall clock.
    pub fn offset_millis(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn set_offset_millis(&self, ms: i64) {
        self.offset_ms.store(ms.max(0), Ordering::Relaxed);
    }
}

/// The real wall clock, in milliseconds since the Unix epoch.
pub fn wall_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339 with second precision and a `Z`, as AWS writes timestamps in XML.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_forward_only() {
        let c = Clock::new();
        let before = c.now_secs();
        c.advance_secs(3600);
        assert!(c.now_secs() >= before + 3600);
        let shared = c.clone();
        shared.advance_secs(60);
        assert!(c.offset_millis() >= 3_660_000);
    }

    #[test]
    fn formats_rfc3339() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
    }
}
