//! Table records decoded once and shared: a per-thread cache of recently read table records by
//! their stored bytes, handing out `Arc`s. Every item operation reads its table's record, and
//! decoding it (JSON) cost more than the rest of a GetItem; the same bytes always decode to the
//! same record, so the cache can never answer a stale one. Writes that rewrite a table record
//! (item counters on every PutItem) seed the cache with what they wrote, so the next read hits.

use std::cell::RefCell;
use std::sync::Arc;

use gureum_store::Versioned;

use crate::table::TableRecord;

/// Records kept per thread: a few tables in use at once, and the stale versions the item
/// counters leave behind as writes rewrite a table's record.
const ENTRIES: usize = 16;

/// Stored bytes and the record they decode to, oldest first.
type Entries = Vec<(Box<[u8]>, Arc<TableRecord>)>;

thread_local! {
    static TABLES: RefCell<Entries> = const { RefCell::new(Vec::new()) };
}

/// The table record stored as `bytes`, decoded at most once per thread while it stays cached.
pub fn table(bytes: &[u8]) -> gureum_store::Result<Arc<TableRecord>> {
    let hit = TABLES.with(|cache| {
        cache
            .borrow()
            .iter()
            .rev()
            .find(|(raw, _)| **raw == *bytes)
            .map(|(_, record)| record.clone())
    });
    if let Some(record) = hit {
        return Ok(record);
    }
    let record = Arc::new(TableRecord::from_record(bytes)?);
    remember(bytes.into(), record.clone());
    Ok(record)
}

/// Caches `record` as the decoding of `bytes` (what a write just stored).
pub fn remember(bytes: Box<[u8]>, record: Arc<TableRecord>) {
    TABLES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= ENTRIES {
            cache.remove(0);
        }
        cache.push((bytes, record));
    });
}
