//! Provisioned throughput and metering: the read and write units each request consumed are
//! reported as usage for billing (request units of on-demand tables, consumed capacity of
//! provisioned ones), and, when enforcement is on, provisioned tables and their global secondary
//! indexes throttle on token buckets refilled on the server clock with DynamoDB's burst capacity.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use gureum_core::{AwsError, RequestContext, Usage, UsageEvent};

use crate::capacity::Consumed;
use crate::table::TableRecord;

/// DynamoDB keeps up to five minutes of unused capacity for bursts.
const BURST_SECONDS: f64 = 300.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

/// One token bucket: capacity units available at `at_millis`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: f64,
    at_millis: i64,
}

/// (table id, global secondary index or the table itself, read or write).
type BucketKey = (String, Option<String>, Access);

/// The token buckets of every provisioned table and index, kept in memory (a restart starts
/// them afresh, as a new partition would), and when each table's storage was last metered.
#[derive(Default)]
pub struct Throughput {
    enforce: bool,
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
    /// Table id -> server millis up to which its storage is metered.
    storage_metered: Mutex<HashMap<String, i64>>,
}

/// The bytes DynamoDB bills a table for: its items and its indexes' entries, each with 100
/// bytes of overhead.
pub fn billable_bytes(table: &TableRecord) -> u64 {
    let entries = |count: u64, bytes: u64| bytes + 100 * count;
    entries(table.item_count, table.size_bytes)
        + table
            .indexes
            .iter()
            .map(|i| entries(i.item_count, i.size_bytes))
            .sum::<u64>()
}

thread_local! {
    /// The usage of the request running on this thread (handlers are synchronous: one request
    /// at a time per thread, drained by `DynamoDb::call`).
    static USAGE: RefCell<Vec<Usage>> = const { RefCell::new(Vec::new()) };
}

/// Forgets what an earlier request on this thread left (a handler that failed halfway).
pub fn start_request() {
    USAGE.with(|u| u.borrow_mut().clear());
}

/// The usage the current request reported.
pub fn take_usage() -> Vec<Usage> {
    USAGE.with(|u| std::mem::take(&mut *u.borrow_mut()))
}

fn report(resource: &str, unit: &'static str, quantity: f64) {
    if quantity <= 0.0 {
        return;
    }
    USAGE.with(|u| {
        let mut u = u.borrow_mut();
        match u
            .iter_mut()
            .find(|e| e.unit == unit && e.resource.as_deref() == Some(resource))
        {
            Some(e) => e.quantity += quantity,
            None => u.push(Usage {
                resource: Some(resource.to_string()),
                quantity,
                unit,
            }),
        }
    });
}

pub fn throttled_table() -> AwsError {
    AwsError::bad_request(
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    )
}

pub fn throttled_index() -> AwsError {
    AwsError::bad_request(
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API",
    )
}

impl Throughput {
    pub fn new(enforce: bool) -> Self {
        Throughput {
            enforce,
            ..Default::default()
        }
    }

    pub fn reset(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.storage_metered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// `TimedStorage-ByteHrs` of every table since the last call (a table seen for the first
    /// time starts being metered now), charged to the table's account and region.
    pub fn storage_usage(&self, tables: &[TableRecord], now: i64) -> Vec<UsageEvent> {
        let mut metered = self
            .storage_metered
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut events = Vec::new();
        let mut live = std::collections::HashSet::new();
        for table in tables {
            live.insert(table.id.as_str());
            let since = *metered.entry(table.id.clone()).or_insert(now);
            metered.insert(table.id.clone(), now.max(since));
            let hours = (now - since).max(0) as f64 / 3_600_000.0;
            let quantity = billable_bytes(table) as f64 * hours;
            // arn:aws:dynamodb:REGION:ACCOUNT:table/NAME
            let mut parts = table.arn.split(':').skip(3);
            let (Some(region), Some(account)) = (parts.next(), parts.next()) else {
                continue;
            };
            if quantity > 0.0 {
                events.push(UsageEvent {
                    account_id: account.to_string(),
                    region: region.to_string(),
                    service: "dynamodb",
                    operation: "Storage".into(),
                    resource: Some(table.arn.clone()),
                    quantity,
                    unit: "TimedStorage-ByteHrs",
                });
            }
        }
        // Deleted tables are forgotten.
        metered.retain(|id, _| live.contains(id.as_str()));
        events
    }

    /// Whether `table` can throttle at all.
    pub fn enforced(&self, table: &TableRecord) -> bool {
        self.enforce && table.billing_mode == "PROVISIONED"
    }

    /// Whether a request may go ahead: the table's bucket (a global secondary index's own for
    /// reads of that index; every global index's too for writes, which they receive) must hold
    /// some capacity. A request admitted may take the bucket below zero, as a large item does
    /// on DynamoDB; the debt is repaid by the refill before the next one is admitted.
    pub fn admit(
        &self,
        ctx: &RequestContext,
        table: &TableRecord,
        access: Access,
        index: Option<&str>,
    ) -> Result<(), AwsError> {
        if !self.enforced(table) {
            return Ok(());
        }
        let now = ctx.clock.now_millis();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let global = |name: &str| table.indexes.iter().find(|i| i.global && i.name == name);
        match access {
            Access::Read => match index.and_then(global) {
                Some(ix) => {
                    let key = (table.id.clone(), Some(ix.name.clone()), Access::Read);
                    if refill(&mut buckets, key, ix.read_capacity, now) <= 0.0 {
                        return Err(throttled_index());
                    }
                }
                None => {
                    let key = (table.id.clone(), None, Access::Read);
                    if refill(&mut buckets, key, table.read_capacity, now) <= 0.0 {
                        return Err(throttled_table());
                    }
                }
            },
            Access::Write => {
                let key = (table.id.clone(), None, Access::Write);
                if refill(&mut buckets, key, table.write_capacity, now) <= 0.0 {
                    return Err(throttled_table());
                }
                for ix in table.indexes.iter().filter(|i| i.global) {
                    let key = (table.id.clone(), Some(ix.name.clone()), Access::Write);
                    if refill(&mut buckets, key, ix.write_capacity, now) <= 0.0 {
                        return Err(throttled_index());
                    }
                }
            }
        }
        Ok(())
    }

    /// Takes what a request consumed from the buckets (when enforced) and reports it as usage
    /// of the table: `ReadRequestUnits`/`WriteRequestUnits` for on-demand tables,
    /// `ConsumedReadCapacityUnits`/`ConsumedWriteCapacityUnits` for provisioned ones, indexes
    /// included (DynamoDB bills index writes to their table).
    pub fn consume(&self, ctx: &RequestContext, table: &TableRecord, consumed: &Consumed) {
        let total = consumed.total();
        let (read_unit, write_unit) = if table.billing_mode == "PAY_PER_REQUEST" {
            ("ReadRequestUnits", "WriteRequestUnits")
        } else {
            ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")
        };
        report(&table.arn, read_unit, total.read);
        report(&table.arn, write_unit, total.write);
        if !self.enforced(table) {
            return;
        }
        let now = ctx.clock.now_millis();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut take = |index: Option<&str>, access: Access, rate: u64, units: f64| {
            if units > 0.0 {
                let key = (table.id.clone(), index.map(str::to_string), access);
                refill(&mut buckets, key.clone(), rate, now);
                if let Some(b) = buckets.get_mut(&key) {
                    b.units -= units;
                }
            }
        };
        // Local secondary indexes share their table's capacity.
        let mut table_units = consumed.table;
        for ((global, name), u) in &consumed.indexes {
            match table
                .indexes
                .iter()
                .find(|i| i.global && *global && &i.name == name)
            {
                Some(ix) => {
                    take(Some(name), Access::Read, ix.read_capacity, u.read);
                    take(Some(name), Access::Write, ix.write_capacity, u.write);
                }
                None => {
                    table_units.read += u.read;
                    table_units.write += u.write;
                }
            }
        }
        take(None, Access::Read, table.read_capacity, table_units.read);
        take(None, Access::Write, table.write_capacity, table_units.write);
    }
}

/// Brings a bucket up to `now` at `rate` units a second (a new one starts with one second's
/// worth), up to the burst capacity; answers the units it holds.
fn refill(buckets: &mut HashMap<BucketKey, Bucket>, key: BucketKey, rate: u64, now: i64) -> f64 {
    let rate = rate as f64;
    let cap = rate * BURST_SECONDS;
    let b = buckets.entry(key).or_insert(Bucket {
        units: rate,
        at_millis: now,
    });
    let elapsed = (now - b.at_millis).max(0) as f64 / 1000.0;
    if elapsed > 0.0 {
        // A bucket already above the cap (the capacity was lowered) keeps no more than it.
        b.units = (b.units + rate * elapsed).min(cap.max(rate));
        b.at_millis = now;
    }
    b.units.min(cap.max(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_on_the_clock_up_to_five_minutes() {
        let mut b = HashMap::new();
        let key = || ("t".to_string(), None, Access::Write);
        assert_eq!(refill(&mut b, key(), 5, 0), 5.0);
        b.get_mut(&key()).map(|x| x.units -= 12.0);
        assert_eq!(refill(&mut b, key(), 5, 1000), -2.0);
        assert_eq!(refill(&mut b, key(), 5, 2000), 3.0);
        assert_eq!(refill(&mut b, key(), 5, 10_000_000), 1500.0);
        // The clock moving back (a reset) adds nothing.
        assert_eq!(refill(&mut b, key(), 5, 0), 1500.0);
    }
}
