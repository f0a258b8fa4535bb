//! A transaction's writes held aside from the transaction they will go into: reads see them over
//! the base, and they reach the base only when [`Overlay::apply`] is called, so a failed
//! transaction leaves the base exactly as it was. The redb engine runs many requests' transactions
//! in one redb transaction this way, where undoing one of them alone is not possible.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::Result;
use crate::kv::{Entry, KeyRange, Txn, check_table};

/// Pending writes of one table: `Some(value)` stores, `None` deletes.
type Pending = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Writes over a base transaction, kept until applied.
pub(crate) struct Overlay<'b> {
    base: &'b mut dyn Txn,
    /// By table; transactions touch few tables, so a list searched in order.
    tables: Vec<(String, Pending)>,
}

impl<'b> Overlay<'b> {
    pub(crate) fn new(base: &'b mut dyn Txn) -> Self {
        Self {
            base,
            tables: Vec::new(),
        }
    }

    /// Whether anything was written.
    pub(crate) fn is_empty(&self) -> bool {
        self.tables.iter().all(|(_, pending)| pending.is_empty())
    }

    /// Writes the pending writes into the base, table by table.
    pub(crate) fn apply(self) -> Result<()> {
        for (table, pending) in self.tables {
            for (key, value) in pending {
                match value {
                    Some(value) => self.base.put(&table, &key, &value)?,
                    None => {
                        self.base.delete(&table, &key)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn pending(&self, table: &str) -> Option<&Pending> {
        self.tables
            .iter()
            .find(|(name, _)| name == table)
            .map(|(_, pending)| pending)
    }

    fn pending_mut(&mut self, table: &str) -> &mut Pending {
        let at = match self.tables.iter().position(|(name, _)| name == table) {
            Some(at) => at,
            None => {
                self.tables.push((table.to_string(), Pending::new()));
                self.tables.len() - 1
            }
        };
        &mut self.tables[at].1
    }
}

impl Txn for Overlay<'_> {
    fn get(&mut self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(value) = self.pending(table).and_then(|p| p.get(key)) {
            return Ok(value.clone());
        }
        self.base.get(table, key)
    }

    fn scan(
        &mut self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        let limit = limit.unwrap_or(usize::MAX);
        if range.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let pending: Vec<(&Vec<u8>, &Option<Vec<u8>>)> = match self.pending(table) {
            Some(p) if reverse => p.range::<[u8], _>(range.as_bounds()).rev().collect(),
            Some(p) => p.range::<[u8], _>(range.as_bounds()).collect(),
            None => Vec::new(),
        };
        if pending.is_empty() {
            return self.base.scan(table, range, Some(limit), reverse);
        }
        // Each pending write hides or replaces at most one base record: this many base records
        // are enough to fill `limit` after merging.
        let pending: Vec<(Vec<u8>, Option<Vec<u8>>)> = pending
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let base = self.base.scan(
            table,
            range,
            Some(limit.saturating_add(pending.len())),
            reverse,
        )?;
        Ok(merge(base, pending, limit, reverse))
    }

    fn put(&mut self, table: &str, key: &[u8], value: &[u8]) -> Result<()> {
        check_table(table)?;
        self.pending_mut(table)
            .insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, table: &str, key: &[u8]) -> Result<bool> {
        let existed = self.get(table, key)?.is_some();
        // Deleting nothing writes nothing (and so costs no commit).
        if existed {
            self.pending_mut(table).insert(key.to_vec(), None);
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
}
