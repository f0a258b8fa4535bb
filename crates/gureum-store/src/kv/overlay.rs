//! Writes held aside from the store they will go into: a [`WriteSet`], read through over what
//! lies beneath it. A transaction's own writes form an [`Overlay`] (applied only if it succeeds,
//! so a failed transaction leaves nothing behind), and the redb engine keeps the writes of
//! transactions that succeeded but are not committed yet as [`Layer`]s under it.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::kv::{Entry, KeyRange, Txn, check_table};
use crate::{Result, StoreError};

/// Pending writes of one table: `Some(value)` stores, `None` deletes.
type Pending = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Writes by table, not yet in the store beneath them.
#[derive(Default, Debug, PartialEq)]
pub(crate) struct WriteSet {
    /// Transactions touch few tables: a list searched in order.
    tables: Vec<(String, Pending)>,
}

impl WriteSet {
    /// Whether it holds no write.
    pub(crate) fn is_empty(&self) -> bool {
        self.tables.iter().all(|(_, pending)| pending.is_empty())
    }

    /// Each table with its writes.
    pub(crate) fn tables(&self) -> impl Iterator<Item = (&str, &Pending)> {
        self.tables.iter().map(|(name, p)| (name.as_str(), p))
    }

    /// Takes `newer`'s writes over these.
    pub(crate) fn absorb(&mut self, newer: WriteSet) {
        for (table, writes) in newer.tables {
            match self.tables.iter_mut().find(|(name, _)| *name == table) {
                Some((_, mine)) => mine.extend(writes),
                None => self.tables.push((table, writes)),
            }
        }
    }

    /// Records a write: `Some(value)` stores, `None` deletes.
    #[cfg(test)]
    pub(crate) fn record(&mut self, table: &str, key: &[u8], value: Option<&[u8]>) {
        self.table_mut(table)
            .insert(key.to_vec(), value.map(<[u8]>::to_vec));
    }

    /// Appends the writes to `out` in the log's format: per table its name and its writes, each
    /// a key and a value or a delete; lengths as u32 LE.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        fn bytes(out: &mut Vec<u8>, b: &[u8]) {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        for (name, writes) in self.tables() {
            bytes(out, name.as_bytes());
            out.extend_from_slice(&(writes.len() as u32).to_le_bytes());
            for (key, value) in writes {
                bytes(out, key);
                match value {
                    Some(value) => {
                        out.push(1);
                        bytes(out, value);
                    }
                    None => out.push(0),
                }
            }
        }
    }

    /// The writes [`WriteSet::encode`] wrote, or `None` if `data` is not such an encoding.
    pub(crate) fn decode(mut data: &[u8]) -> Option<WriteSet> {
        fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = data.split_at_checked(n)?;
            *data = rest;
            Some(head)
        }
        fn len(data: &mut &[u8]) -> Option<usize> {
            Some(u32::from_le_bytes(take(data, 4)?.try_into().ok()?) as usize)
        }
        let mut set = WriteSet::default();
        while !data.is_empty() {
            let n = len(&mut data)?;
            let name = std::str::from_utf8(take(&mut data, n)?).ok()?.to_string();
            let count = len(&mut data)?;
            let mut writes = Pending::new();
            for _ in 0..count {
                let n = len(&mut data)?;
                let key = take(&mut data, n)?.to_vec();
                let value = match take(&mut data, 1)?[0] {
                    0 => None,
                    1 => {
                        let n = len(&mut data)?;
                        Some(take(&mut data, n)?.to_vec())
                    }
                    _ => return None,
                };
                writes.insert(key, value);
            }
            set.tables.push((name, writes));
        }
        Some(set)
    }

    fn table(&self, table: &str) -> Option<&Pending> {
        self.tables
            .iter()
            .find(|(name, _)| name == table)
            .map(|(_, p)| p)
    }

    fn table_mut(&mut self, table: &str) -> &mut Pending {
        let at = match self.tables.iter().position(|(name, _)| name == table) {
            Some(at) => at,
            None => {
                self.tables.push((table.to_string(), Pending::new()));
                self.tables.len() - 1
            }
        };
        &mut self.tables[at].1
    }

    /// `key` of `table` read through these writes over `base`.
    fn get_over(&self, base: &mut dyn Txn, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(value) = self.table(table).and_then(|p| p.get(key)) {
            return Ok(value.clone());
        }
        base.get(table, key)
    }

    /// A scan of `table` through these writes over `base`.
    fn scan_over(
        &self,
        base: &mut dyn Txn,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        let limit = limit.unwrap_or(usize::MAX);
        if range.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let pending: Vec<(Vec<u8>, Option<Vec<u8>>)> = match self.table(table) {
            Some(p) => {
                let in_range = p.range::<[u8], _>(range.as_bounds());
                let cloned = |(k, v): (&Vec<u8>, &Option<Vec<u8>>)| (k.clone(), v.clone());
                if reverse {
                    in_range.rev().map(cloned).collect()
                } else {
                    in_range.map(cloned).collect()
                }
            }
            None => Vec::new(),
        };
        if pending.is_empty() {
            return base.scan(table, range, Some(limit), reverse);
        }
        // Each pending write hides or replaces at most one base record: this many base records
        // are enough to fill `limit` after merging.
        let below = base.scan(
            table,
            range,
            Some(limit.saturating_add(pending.len())),
            reverse,
        )?;
        Ok(merge(below, pending, limit, reverse))
    }
}

/// Writes read over a base transaction: [`Overlay`] (a transaction's own writes, kept until taken
/// with [`Overlay::into_writes`]) and [`Layer`] (a batch not committed yet, read only).
pub(crate) struct Over<'b, W> {
    base: &'b mut dyn Txn,
    writes: W,
}

/// A transaction's own writes over what it reads.
pub(crate) type Overlay<'b> = Over<'b, WriteSet>;

/// A batch's writes read over a base, not written through: the layers beneath a transaction.
pub(crate) type Layer<'b> = Over<'b, &'b WriteSet>;

impl<'b> Overlay<'b> {
    pub(crate) fn new(base: &'b mut dyn Txn) -> Self {
        Over {
            base,
            writes: WriteSet::default(),
        }
    }

    /// What the transaction wrote.
    pub(crate) fn into_writes(self) -> WriteSet {
        self.writes
    }
}

impl<'b> Layer<'b> {
    pub(crate) fn new(base: &'b mut dyn Txn, writes: &'b WriteSet) -> Self {
        Over { base, writes }
    }
}

/// The write set an [`Over`] reads, and writes to if it may.
pub(crate) trait Writes {
    fn set(&self) -> &WriteSet;
    /// `None` for a read-only layer.
    fn set_mut(&mut self) -> Option<&mut WriteSet>;
}

impl Writes for WriteSet {
    fn set(&self) -> &WriteSet {
        self
    }
    fn set_mut(&mut self) -> Option<&mut WriteSet> {
        Some(self)
    }
}

impl Writes for &WriteSet {
    fn set(&self) -> &WriteSet {
        self
    }
    fn set_mut(&mut self) -> Option<&mut WriteSet> {
        None
    }
}

fn read_only() -> StoreError {
    StoreError::Engine("a read-only view was written to".into())
}

impl<W: Writes> Txn for Over<'_, W> {
    fn get(&mut self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.writes.set().get_over(&mut *self.base, table, key)
    }

    fn scan(
        &mut self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        self.writes
            .set()
            .scan_over(&mut *self.base, table, range, limit, reverse)
    }

    fn put(&mut self, table: &str, key: &[u8], value: &[u8]) -> Result<()> {
        check_table(table)?;
        let writes = self.writes.set_mut().ok_or_else(read_only)?;
        writes
            .table_mut(table)
            .insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, table: &str, key: &[u8]) -> Result<bool> {
        if self.writes.set_mut().is_none() {
            return Err(read_only());
        }
        let existed = self.get(table, key)?.is_some();
        // Deleting nothing writes nothing (and so costs no commit).
        if existed && let Some(writes) = self.writes.set_mut() {
            writes.table_mut(table).insert(key.to_vec(), None);
        }
        Ok(existed)
    }
}

/// Base records and pending writes, each in scan order, merged: a pending write wins over the
/// base record of its key, and a pending delete drops it. At most `limit` records.
fn merge(
    base: Vec<Entry>,
    pending: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    limit: usize,
    reverse: bool,
) -> Vec<Entry> {
    let order = |a: &[u8], b: &[u8]| if reverse { b.cmp(a) } else { a.cmp(b) };
    let mut out = Vec::with_capacity(limit.min(base.len() + pending.len()));
    let mut base = base.into_iter().peekable();
    let mut pending = pending.into_iter().peekable();
    while out.len() < limit {
        let from_pending = match (base.peek(), pending.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some((b, _)), Some((p, _))) => match order(b, p) {
                Ordering::Less => false,
                Ordering::Greater => true,
                Ordering::Equal => {
                    base.next();
                    true
                }
            },
        };
        if from_pending {
            if let Some((key, Some(value))) = pending.next() {
                out.push((key, value));
            }
        } else if let Some(entry) = base.next() {
            out.push(entry);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(k: &[u8], v: &[u8]) -> Entry {
        (k.to_vec(), v.to_vec())
    }

    #[test]
    fn merge_prefers_pending_and_drops_deletes() {
        let base = vec![e(b"a", b"1"), e(b"b", b"1"), e(b"c", b"1"), e(b"e", b"1")];
        let pending = vec![
            (b"b".to_vec(), None),
            (b"c".to_vec(), Some(b"2".to_vec())),
            (b"d".to_vec(), Some(b"2".to_vec())),
        ];
        let all = merge(base.clone(), pending.clone(), usize::MAX, false);
        assert_eq!(
            all,
            vec![e(b"a", b"1"), e(b"c", b"2"), e(b"d", b"2"), e(b"e", b"1")]
        );
        assert_eq!(
            merge(base, pending, 2, false),
            vec![e(b"a", b"1"), e(b"c", b"2")]
        );
    }

    #[test]
    fn merge_in_reverse() {
        let base = vec![e(b"e", b"1"), e(b"c", b"1"), e(b"a", b"1")];
        let pending = vec![(b"d".to_vec(), Some(b"2".to_vec())), (b"a".to_vec(), None)];
        assert_eq!(
            merge(base, pending, usize::MAX, true),
            vec![e(b"e", b"1"), e(b"d", b"2"), e(b"c", b"1")]
        );
    }

    #[test]
    fn write_sets_encode_and_decode() {
        let mut set = WriteSet::default();
        set.record("t", b"a", Some(b"1"));
        set.record("t", b"", Some(b""));
        set.record("u", b"gone", None);
        let mut bytes = Vec::new();
        set.encode(&mut bytes);
        assert_eq!(WriteSet::decode(&bytes).as_ref(), Some(&set));
        assert_eq!(WriteSet::decode(&[]), Some(WriteSet::default()));
        // A cut never reads back as the whole set (the log's checksum is what refuses it).
        for cut in 1..bytes.len() {
            assert_ne!(
                WriteSet::decode(&bytes[..cut]).as_ref(),
                Some(&set),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_layer_reads_through_and_refuses_writes() {
        use crate::kv::KvStore;
        let store = crate::MemoryStore::new();
        store.put("t", b"a", b"base").unwrap();
        let mut set = WriteSet::default();
        set.record("t", b"b", Some(b"layer"));
        set.record("t", b"a", None);
        store
            .transact(&mut |txn| {
                let mut layer = Layer::new(txn, &set);
                assert_eq!(layer.get("t", b"a")?, None);
                assert_eq!(layer.get("t", b"b")?.as_deref(), Some(&b"layer"[..]));
                let all = layer.scan("t", &KeyRange::all(), None, false)?;
                assert_eq!(all, vec![e(b"b", b"layer")]);
                assert!(layer.put("t", b"c", b"x").is_err());
                assert!(layer.delete("t", b"b").is_err());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn absorb_keeps_the_newer_write() {
        let mut older = WriteSet::default();
        older
            .table_mut("t")
            .insert(b"a".to_vec(), Some(b"1".to_vec()));
        older
            .table_mut("t")
            .insert(b"b".to_vec(), Some(b"1".to_vec()));
        let mut newer = WriteSet::default();
        newer.table_mut("t").insert(b"a".to_vec(), None);
        newer
            .table_mut("u")
            .insert(b"c".to_vec(), Some(b"2".to_vec()));
        older.absorb(newer);
        assert_eq!(older.table("t").unwrap().get(&b"a"[..]), Some(&None));
        assert_eq!(
            older.table("t").unwrap().get(&b"b"[..]),
            Some(&Some(b"1".to_vec()))
        );
        assert_eq!(older.tables().count(), 2);
    }
}
