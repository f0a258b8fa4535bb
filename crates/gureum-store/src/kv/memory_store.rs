//! The in-memory engine (`--ephemeral` and tests): ordered maps, with each transaction's writes
//! buffered and applied under one lock so that readers see all of them or none.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Result;
use crate::kv::{Entry, KeyRange, KvStore, Txn, check_table};

type Table = BTreeMap<Vec<u8>, Vec<u8>>;
/// Buffered writes of one table: `None` is a delete.
type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A [`KvStore`] that keeps everything in memory and loses it on exit.
#[derive(Default)]
pub struct MemoryStore {
    tables: RwLock<BTreeMap<String, Table>>,
    /// Held for the whole of a transaction, so transactions run one at a time and the tables
    /// cannot change under a transaction's reads.
    writer: Mutex<()>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    // A poisoned lock means a panic while it was held. The tables change only in `commit` and
    // `clear`, which do not panic part way, so the data behind a poisoned lock is still whole.
    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Table>> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Table>> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn commit(&self, writes: BTreeMap<String, Writes>) {
        let mut tables = self.write();
        for (name, writes) in writes {
            let table = tables.entry(name.clone()).or_default();
            for (key, value) in writes {
                match value {
                    Some(value) => table.insert(key, value),
                    None => table.remove(&key),
                };
            }
            if table.is_empty() {
                tables.remove(&name);
            }
        }
    }
}

impl KvStore for MemoryStore {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_table(table)?;
        Ok(self.read().get(table).and_then(|t| t.get(key)).cloned())
    }

    fn scan(
        &self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        check_table(table)?;
        let tables = self.read();
        Ok(merge_scan(tables.get(table), None, range, limit, reverse))
    }

    fn transact(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        let _writer = self.lock_writer();
        let mut txn = MemoryTxn {
            store: self,
            writes: BTreeMap::new(),
        };
        f(&mut txn)?;
        let writes = txn.writes;
        self.commit(writes);
        Ok(())
    }

    fn clear(&self) -> Result<()> {
        let _writer = self.lock_writer();
        self.write().clear();
        Ok(())
    }

    fn tables(&self) -> Result<Vec<String>> {
        Ok(self.read().keys().cloned().collect())
    }
}

struct MemoryTxn<'s> {
    store: &'s MemoryStore,
    writes: BTreeMap<String, Writes>,
}

impl Txn for MemoryTxn<'_> {
    fn get(&mut self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_table(table)?;
        if let Some(written) = self.writes.get(table).and_then(|w| w.get(key)) {
            return Ok(written.clone());
        }
        self.store.get(table, key)
    }

    fn scan(
        &mut self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        check_table(table)?;
        let tables = self.store.read();
        let writes = self.writes.get(table);
        Ok(merge_scan(tables.get(table), writes, range, limit, reverse))
    }

    fn put(&mut self, table: &str, key: &[u8], value: &[u8]) -> Result<()> {
        check_table(table)?;
        self.writes
            .entry(table.to_string())
            .or_default()
            .insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, table: &str, key: &[u8]) -> Result<bool> {
        let existed = self.get(table, key)?.is_some();
        self.writes
            .entry(table.to_string())
            .or_default()
            .insert(key.to_vec(), None);
        Ok(existed)
    }
}

/// Scans `range` of a committed table overlaid with a transaction's buffered writes.
fn merge_scan(
    table: Option<&Table>,
    writes: Option<&Writes>,
    range: &KeyRange,
    limit: Option<usize>,
    reverse: bool,
) -> Vec<Entry> {
    let limit = limit.unwrap_or(usize::MAX);
    if range.is_empty() || limit == 0 {
        return Vec::new();
    }
    // `BTreeMap::range` panics on an empty range; `is_empty` above rules those out.
    let bounds = range.as_bounds();
    let committed = table
        .into_iter()
        .flat_map(|t| t.range::<[u8], _>(bounds))
        .map(|(k, v)| (k.as_slice(), Some(v.as_slice())));
    let buffered = writes
        .into_iter()
        .flat_map(|w| w.range::<[u8], _>(bounds))
        .map(|(k, v)| (k.as_slice(), v.as_deref()));
    if reverse {
        collect_merged(committed.rev(), buffered.rev(), Ordering::Greater, limit)
    } else {
        collect_merged(committed, buffered, Ordering::Less, limit)
    }
}

/// Merges two key-ordered streams, `first` meaning the ordering of the key that comes first;
/// on equal keys the buffered write wins, and a buffered `None` hides the key.
fn collect_merged<'a>(
    committed: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    buffered: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    first: Ordering,
    limit: usize,
) -> Vec<Entry> {
    let mut committed: Peekable<_> = committed.peekable();
    let mut buffered: Peekable<_> = buffered.peekable();
    let mut out = Vec::new();
    while out.len() < limit {
        let next = match (committed.peek(), buffered.peek()) {
            (None, None) => break,
            (Some(_), None) => committed.next(),
            (None, Some(_)) => buffered.next(),
            (Some((c, _)), Some((b, _))) => {
                let order = c.cmp(b);
                if order == Ordering::Equal {
                    committed.next();
                    buffered.next()
                } else if order == first {
                    committed.next()
                } else {
                    buffered.next()
                }
            }
        };
        if let Some((key, Some(value))) = next {
            out.push((key.to_vec(), value.to_vec()));
        }
    }
    out
}
