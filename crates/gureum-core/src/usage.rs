//! Usage events: what each request consumed, recorded so billing can be built later without
//! touching every service again.

/// One metered quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEvent {
    pub account_id: String,
    pub region: String,
    pub service: &'static str,
    pub operation: String,
    /// The resource the quantity is charged to, when there is one (a bucket, a table, ...).
    pub resource: Option<String>,
    pub quantity: f64,
    /// `Requests`, `Bytes`, `ByteHours`, `Seconds`, ...
    pub unit: &'static str,
}

/// A quantity a handler reports for its request (read and write units of a table, ...); the
/// pipeline records it with the request's account, region, service and operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// The resource the quantity is charged to (a table's ARN, ...).
    pub resource: Option<String>,
    pub quantity: f64,
    /// `ReadRequestUnits`, `WriteRequestUnits`, ...
    pub unit: &'static str,
}

// Quantities are finite (counts, units, bytes), so equality is total; errors, which carry usage,
// compare with `Eq`.
impl Eq for Usage {}

/// Where usage events go.
pub trait UsageSink: Send + Sync {
    fn record(&self, event: UsageEvent);
}
