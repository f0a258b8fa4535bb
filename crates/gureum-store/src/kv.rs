//! The ordered, transactional key-value store: the traits every engine implements, and key ranges.
//!
//! Records live in named tables (`"s3.objects"`), keys and values are bytes, and keys are ordered
//! by their bytes. Nothing here names an engine; [`RedbStore`] and [`MemoryStore`] implement it.

use std::ops::Bound;

use crate::{Result, StoreError, key};

mod memory_store;
mod overlay;
mod redb_store;
#[cfg(test)]
mod tests;
mod wal;

pub use memory_store::MemoryStore;
pub use redb_store::RedbStore;

/// One record: its key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A range of byte keys: a start bound and an end bound. A range whose start lies after its end
/// selects nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> Self {
        Self::new(Bound::Unbounded, Bound::Unbounded)
    }

    /// The keys between `start` and `end`.
    pub fn new(start: Bound<&[u8]>, end: Bound<&[u8]>) -> Self {
        Self {
            start: start.map(<[u8]>::to_vec),
            end: end.map(<[u8]>::to_vec),
        }
    }

    /// The keys from `start` (included) to `end` (excluded).
    pub fn between(start: &[u8], end: &[u8]) -> Self {
        Self::new(Bound::Included(start), Bound::Excluded(end))
    }

    /// The keys that start with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        Self {
            start: Bound::Included(prefix.to_vec()),
            end: key::prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
        }
    }

    /// This range with its start moved to just after `key`: the next page of a forward listing.
    pub fn after(self, key: &[u8]) -> Self {
        Self {
            start: Bound::Excluded(key.to_vec()),
            ..self
        }
    }

    /// This range with its end moved to just before `key`: the next page of a reverse listing.
    pub fn before(self, key: &[u8]) -> Self {
        Self {
            end: Bound::Excluded(key.to_vec()),
            ..self
        }
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let above_start = match &self.start {
            Bound::Included(start) => key >= start.as_slice(),
            Bound::Excluded(start) => key > start.as_slice(),
            Bound::Unbounded => true,
        };
        let below_end = match &self.end {
            Bound::Included(end) => key <= end.as_slice(),
            Bound::Excluded(end) => key < end.as_slice(),
            Bound::Unbounded => true,
        };
        above_start && below_end
    }

    /// Whether the range selects no key at all (its start lies at or after its end).
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Included(start), Bound::Included(end)) => start > end,
            (Bound::Included(start), Bound::Excluded(end))
            | (Bound::Excluded(start), Bound::Included(end)) => start >= end,
            // No byte string lies strictly between `a` and `a ++ [0]`.
            (Bound::Excluded(start), Bound::Excluded(end)) => {
                start >= end
                    || (end.len() == start.len() + 1
                        && end.starts_with(start)
                        && end[start.len()] == 0)
            }
        }
    }

    /// The bounds as borrowed slices, the form `BTreeMap::range` and redb take.
    pub fn as_bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (
            self.start.as_ref().map(Vec::as_slice),
            self.end.as_ref().map(Vec::as_slice),
        )
    }
}

/// Reads and writes inside one transaction. Writes become visible to others, all at once, when
/// the transaction commits; a transaction sees its own writes.
pub trait Txn {
    /// The value stored under `key` in `table`.
    fn get(&mut self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Up to `limit` records of `table` in `range`, by ascending key, or descending if `reverse`.
    fn scan(
        &mut self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>>;

    /// Up to `limit` records of `table` whose keys start with `prefix`.
    fn scan_prefix(
        &mut self,
        table: &str,
        prefix: &[u8],
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        self.scan(table, &KeyRange::prefix(prefix), limit, reverse)
    }

    /// Stores `value` under `key` in `table`, replacing any value there.
    fn put(&mut self, table: &str, key: &[u8], value: &[u8]) -> Result<()>;

    /// Removes `key` from `table`; whether it was there.
    fn delete(&mut self, table: &str, key: &[u8]) -> Result<bool>;
}

/// An ordered, transactional key-value store. Reads may run concurrently with each other and
/// with a transaction; transactions that write run one at a time.
pub trait KvStore: Send + Sync {
    /// The value stored under `key` in `table`.
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Up to `limit` records of `table` in `range`, by ascending key, or descending if `reverse`.
    fn scan(
        &self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>>;

    /// Up to `limit` records of `table` whose keys start with `prefix`.
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &[u8],
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        self.scan(table, &KeyRange::prefix(prefix), limit, reverse)
    }

    /// Runs `f` in a transaction and commits what it wrote, atomically and durably. If `f`
    /// returns an error (or panics) nothing it wrote is kept and the error is returned.
    /// `f` is `FnMut` so that a store may run it again after a conflict.
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()>;

    /// Stores `value` under `key` in `table` in a transaction of its own.
    fn put(&self, table: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.transact(&mut |txn| txn.put(table, key, value))
    }

    /// Removes `key` from `table` in a transaction of its own; whether it was there.
    fn delete(&self, table: &str, key: &[u8]) -> Result<bool> {
        let mut existed = false;
        self.transact(&mut |txn| {
            existed = txn.delete(table, key)?;
            Ok(())
        })?;
        Ok(existed)
    }

    /// Removes every record of every table (the admin reset).
    fn clear(&self) -> Result<()>;

    /// The names of the tables that hold at least one record, sorted.
    fn tables(&self) -> Result<Vec<String>>;
}

/// Generic conveniences over any [`KvStore`], kept out of the trait so it stays object-safe.
pub trait KvStoreExt: KvStore {
    /// Runs `f` in a transaction like [`KvStore::transact`] and returns what it returned.
    fn transaction<T>(&self, mut f: impl FnMut(&mut dyn Txn) -> Result<T>) -> Result<T> {
        let mut output = None;
        self.transact(&mut |txn| {
            output = Some(f(txn)?);
            Ok(())
        })?;
        output.ok_or_else(|| StoreError::Aborted("transaction produced no result".into()))
    }
}

impl<S: KvStore + ?Sized> KvStoreExt for S {}

/// Refuses table names no engine should see: empty ones.
pub(crate) fn check_table(table: &str) -> Result<()> {
    if table.is_empty() {
        return Err(StoreError::InvalidTable(table.to_string()));
    }
    Ok(())
}
