//! The usage meter: aggregates usage events by (account, region, service, operation, resource,
//! unit, hour) in memory and flushes the totals into the store, where billing will read them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gureum_core::{Clock, UsageEvent, UsageSink};
use gureum_store::{KeyRange, KvStore, KvStoreExt};
use serde::{Deserialize, Serialize};

const TABLE: &str = "gureum.usage";
const RECORD_VERSION: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UsageKey {
    pub account_id: String,
    pub region: String,
    pub service: String,
    pub operation: String,
    pub resource: Option<String>,
    pub unit: String,
    /// The start of the hour the usage fell in, epoch seconds of the server clock.
    pub hour: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsageRecord {
    #[serde(flatten)]
    pub key: UsageKey,
    pub quantity: f64,
}

pub struct Meter {
    pending: Mutex<HashMap<UsageKey, f64>>,
    kv: Arc<dyn KvStore>,
    clock: Clock,
}

impl Meter {
    pub fn new(kv: Arc<dyn KvStore>, clock: Clock) -> Self {
        Meter {
            pending: Mutex::new(HashMap::new()),
            kv,
            clock,
        }
    }

    fn store_key(k: &UsageKey) -> Vec<u8> {
        gureum_store::key::join(&[
            k.hour.to_be_bytes().as_slice(),
            k.account_id.as_bytes(),
            k.region.as_bytes(),
            k.service.as_bytes(),
            k.operation.as_bytes(),
            k.resource.as_deref().unwrap_or("").as_bytes(),
            k.unit.as_bytes(),
        ])
    }

    /// Adds the pending quantities to the stored totals in one transaction.
    pub fn flush(&self) -> gureum_store::Result<()> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if pending.is_empty() {
            return Ok(());
        }
        self.kv.transaction(|txn| {
            for (key, quantity) in &pending {
                let store_key = Self::store_key(key);
                let total = match txn.get(TABLE, &store_key)? {
                    Some(bytes) => {
                        gureum_store::decode_record::<UsageRecord, _>(
                            &bytes,
                            RECORD_VERSION,
                            gureum_store::no_migration,
                        )?
                        .quantity
                    }
                    None => 0.0,
                };
                let record = UsageRecord {
                    key: key.clone(),
                    quantity: total + quantity,
                };
                txn.put(
                    TABLE,
                    &store_key,
                    &gureum_store::encode_record(RECORD_VERSION, &record)?,
                )?;
            }
            Ok(())
        })
    }

    /// Every stored total, oldest hour first.
    pub fn totals(&self) -> gureum_store::Result<Vec<UsageRecord>> {
        self.flush()?;
        self.kv
            .scan(TABLE, &KeyRange::all(), None, false)?
            .into_iter()
            .map(|(_, v)| {
                gureum_store::decode_record(&v, RECORD_VERSION, gureum_store::no_migration)
            })
            .collect()
    }

    /// Forgets pending usage (the admin reset; the store is wiped separately).
    pub fn discard(&self) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl UsageSink for Meter {
    fn record(&self, e: UsageEvent) {
        let hour = self.clock.now_secs().div_euclid(3600) * 3600;
        let key = UsageKey {
            account_id: e.account_id,
            region: e.region,
            service: e.service.to_string(),
            operation: e.operation,
            resource: e.resource,
            unit: e.unit.to_string(),
            hour,
        };
        *self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_insert(0.0) += e.quantity;
    }
}
