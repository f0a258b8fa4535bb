//! The durable engine: one redb database file, `<data-dir>/gureum.redb`, one redb table per
//! store table.
//!
//! Transactions are batched: the store keeps one redb write transaction open, the batch, and each
//! [`KvStore::transact`] runs its closure against it through an [`Overlay`], so a closure that
//! fails leaves the batch untouched, and applies the overlay when the closure succeeds. It then
//! takes a ticket from the group commit ([`crate::GroupCommit`]). The syncer commits the batch
//! (one redb commit for every transaction in it, the costly part of a small write) and makes it
//! durable; `transact` returns once its ticket is durable, or, inside
//! [`crate::defer_durability`], hands the caller the wait.
//!
//! Reads outside a transaction see committed batches only. A request that wrote and then reads
//! outside a transaction (its ticket newer than the last committed batch) commits the batch
//! first, so it reads its own writes. Readers share the latest read snapshot and the tables
//! opened in it until a commit changes the data (the batch's generation): opening a snapshot and
//! a table by name cost more than the read itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{
    Database, DatabaseError, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase,
    ReadableTable, ReadableTableMetadata, Table, TableDefinition, TableError, TableHandle,
};

use crate::group::{self, GroupCommit};
use crate::kv::overlay::Overlay;
use crate::kv::{Entry, KeyRange, KvStore, Txn, check_table};
use crate::{Result, StoreError};

/// redb's page cache. Its default (1 GiB) is more than a development tool should hold.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

fn definition(table: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(table)
}

/// Flattens any redb error into a [`StoreError`], keeping I/O errors and corruption apart.
fn engine_error(error: impl Into<redb::Error>) -> StoreError {
    match error.into() {
        redb::Error::Io(e) => StoreError::Io(e),
        redb::Error::Corrupted(message) => StoreError::Corrupt(message),
        other => StoreError::Engine(other.to_string()),
    }
}

/// A [`KvStore`] in one redb database file.
pub struct RedbStore {
    db: Arc<Database>,
    path: PathBuf,
    group: Arc<GroupCommit>,
    batch: Arc<Batch>,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
}

/// The open batch: transactions applied but not yet committed to redb.
struct Batch {
    open: Mutex<Open>,
    /// The newest ticket committed to redb (readable without the lock).
    committed: AtomicU64,
    /// Counts the commits that changed what readers see; read snapshots older than the current
    /// generation are not reused.
    generation: AtomicU64,
}

#[derive(Default)]
struct Open {
    /// The redb transaction the batch's transactions were applied to, if any.
    write: Option<redb::WriteTransaction>,
    /// The newest ticket applied to `write`.
    last: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A closure that panicked left the batch as it was (its overlay was never applied).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Batch {
    /// Commits the open batch to redb early, without a sync. A failure poisons the store: the
    /// batch's transactions were told they would become durable.
    fn commit(&self, open: &mut Open, group: &GroupCommit) -> Result<()> {
        let Some(write) = open.write.take() else {
            return Ok(());
        };
        write.commit().map_err(engine_error).inspect_err(|e| {
            group.fail(&format!("committing a batch of transactions failed: {e}"));
        })?;
        self.committed.store(open.last, Ordering::Release);
        self.changed();
        Ok(())
    }

    /// Marks a commit that changed the data, before anyone is told of it.
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// The latest read snapshot, with the tables opened in it, shared by the readers until a commit
/// changes the data.
struct Snapshot {
    generation: u64,
    txn: ReadTransaction,
    /// Opened tables, `None` for tables that did not exist.
    tables: Mutex<Vec<(String, Option<Arc<RoTable>>)>>,
}

type RoTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

impl RedbStore {
    /// The database file's name inside the data directory.
    pub const FILE_NAME: &'static str = "gureum.redb";

    /// Opens `<data_dir>/gureum.redb`, creating the directory and the file if they are missing
    /// and keeping the data of an existing file.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        let data_dir = data_dir.as_ref();
        std::fs::create_dir_all(data_dir)?;
        Self::open_file(data_dir.join(Self::FILE_NAME))
    }

    /// Opens (or creates) the database file at `path`.
    pub fn open_file(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => {
                    StoreError::AlreadyOpen(path.display().to_string())
                }
                other => engine_error(other),
            })?;
        tracing::debug!(path = %path.display(), "opened key-value store");
        let db = Arc::new(db);
        let batch = Arc::new(Batch {
            open: Mutex::new(Open::default()),
            committed: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        });
        let syncing = (Arc::clone(&db), Arc::clone(&batch));
        // A failure here poisons the store through the syncer.
        let group = GroupCommit::start(Box::new(move |ready| {
            let (db, batch) = &syncing;
            let mut open = lock(&batch.open);
            // Every ticket counted in `ready` is in the open batch or already committed.
            ready()?;
            match open.write.take() {
                // The batch itself commits durably: one redb commit and one sync for it all.
                Some(mut write) => {
                    write
                        .set_durability(Durability::Immediate)
                        .map_err(|e| StoreError::Engine(e.to_string()))?;
                    write.commit().map_err(engine_error)?;
                    batch.committed.store(open.last, Ordering::Release);
                    batch.changed();
                    Ok(())
                }
                // Batches committed early (by a request reading its own writes) are made durable
                // by an empty transaction committed with Durability::Immediate, which syncs the
                // file and so every earlier non-durable commit.
                None => {
                    let write = db.begin_write().map_err(engine_error)?;
                    write.commit().map_err(engine_error)
                }
            }
        }));
        Ok(Self {
            db,
            path,
            group,
            batch,
            snapshot: Mutex::new(None),
        })
    }

    /// Runs `f` on `table` (`None` if it does not exist) in the latest read snapshot, taking a
    /// new one if a commit changed the data since it was taken.
    fn with_table<R>(
        &self,
        table: &str,
        f: impl FnOnce(Option<&RoTable>) -> Result<R>,
    ) -> Result<R> {
        // Read before the snapshot is taken: a commit in between makes the snapshot newer than
        // its label, never older, and the next read takes another.
        let generation = self.batch.generation.load(Ordering::Acquire);
        let snapshot = {
            let mut current = lock(&self.snapshot);
            match &*current {
                Some(s) if s.generation == generation => Arc::clone(s),
                _ => {
                    // The old snapshot goes first, so that it pins no pages once its readers end.
                    *current = None;
                    let fresh = Arc::new(Snapshot {
                        generation,
                        txn: self.db.begin_read().map_err(engine_error)?,
                        tables: Mutex::new(Vec::new()),
                    });
                    *current = Some(Arc::clone(&fresh));
                    fresh
                }
            }
        };
        let opened = {
            let mut tables = lock(&snapshot.tables);
            match tables.iter().find(|(name, _)| name == table) {
                Some((_, opened)) => opened.clone(),
                None => {
                    let opened = match snapshot.txn.open_table(definition(table)) {
                        Ok(opened) => Some(Arc::new(opened)),
                        Err(TableError::TableDoesNotExist(_)) => None,
                        Err(e) => return Err(engine_error(e)),
                    };
                    tables.push((table.to_string(), opened.clone()));
                    opened
                }
            }
        };
        f(opened.as_deref())
    }

    /// Commits the open batch if the current request's own writes are in it, so that it reads
    /// them.
    fn see_own_writes(&self) -> Result<()> {
        let Some(ticket) = group::deferred_ticket(&self.group) else {
            return Ok(());
        };
        if ticket <= self.batch.committed.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut open = lock(&self.batch.open);
        self.batch.commit(&mut open, &self.group)
    }

    /// The group commit this store's transactions go through, to share with the blob store.
    pub fn group_commit(&self) -> Arc<GroupCommit> {
        Arc::clone(&self.group)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KvStore for RedbStore {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_table(table)?;
        self.see_own_writes()?;
        self.with_table(table, |table| match table {
            Some(table) => {
                let value = table.get(key).map_err(engine_error)?;
                Ok(value.map(|v| v.value().to_vec()))
            }
            None => Ok(None),
        })
    }

    fn scan(
        &self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        check_table(table)?;
        self.see_own_writes()?;
        self.with_table(table, |table| match table {
            Some(table) => scan_table(table, range, limit, reverse),
            None => Ok(Vec::new()),
        })
    }

    fn transact(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        self.group.check_healthy()?;
        let mut open = lock(&self.batch.open);
        if open.write.is_none() {
            let mut write = self.db.begin_write().map_err(engine_error)?;
            write
                .set_durability(Durability::None)
                .map_err(|e| StoreError::Engine(e.to_string()))?;
            open.write = Some(write);
        }
        let unflushed = open.last > self.batch.committed.load(Ordering::Acquire);
        let outcome = {
            let write = open.write.as_ref().expect("the batch was just opened");
            let mut base = RedbTxn {
                write,
                open: HashMap::new(),
            };
            let mut overlay = Overlay::new(&mut base);
            match f(&mut overlay) {
                Ok(()) if overlay.is_empty() => Ok(false),
                Ok(()) => overlay.apply().map(|()| true).map_err(|e| (e, true)),
                Err(e) => Err((e, false)),
            }
            // The open tables borrow the batch's transaction; they close here.
        };
        if let Err((e, true)) = outcome {
            // Half applied: the batch can neither be committed with it nor undo it alone.
            if let Some(write) = open.write.take()
                && let Err(abort) = write.abort()
            {
                tracing::warn!(error = %abort, "aborting a redb transaction failed");
            }
            self.group
                .fail(&format!("applying a transaction to the batch failed: {e}"));
            return Err(e);
        }
        // The ticket to wait for: this transaction's, or, when it wrote nothing, the newest of
        // the batch, whose writes it may have read.
        let ticket = if let Ok(true) = outcome {
            open.last = self.group.issue();
            Some(open.last)
        } else {
            unflushed.then_some(open.last)
        };
        drop(open);
        if let Some(ticket) = ticket {
            if group::deferring() {
                group::defer(&self.group, ticket);
            } else {
                self.group.wait_blocking(ticket)?;
            }
        }
        outcome.map(drop).map_err(|(e, _)| e)
    }

    fn clear(&self) -> Result<()> {
        let mut open = lock(&self.batch.open);
        self.batch.commit(&mut open, &self.group)?;
        let write = self.db.begin_write().map_err(engine_error)?;
        let handles: Vec<_> = write.list_tables().map_err(engine_error)?.collect();
        for handle in handles {
            write.delete_table(handle).map_err(engine_error)?;
        }
        write.commit().map_err(engine_error)?;
        self.batch.changed();
        tracing::info!(path = %self.path.display(), "cleared every table");
        Ok(())
    }

    fn tables(&self) -> Result<Vec<String>> {
        let read = self.db.begin_read().map_err(engine_error)?;
        let mut names = Vec::new();
        for handle in read.list_tables().map_err(engine_error)? {
            let table = read
                .open_table(definition(handle.name()))
                .map_err(engine_error)?;
            if !table.is_empty().map_err(engine_error)? {
                names.push(handle.name().to_string());
            }
        }
        names.sort();
        Ok(names)
    }
}

fn scan_table(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    range: &KeyRange,
    limit: Option<usize>,
    reverse: bool,
) -> Result<Vec<Entry>> {
    let limit = limit.unwrap_or(usize::MAX);
    if range.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let records = table
        .range::<&[u8]>(range.as_bounds())
        .map_err(engine_error)?;
    let records: Box<dyn Iterator<Item = _>> = if reverse {
        Box::new(records.rev())
    } else {
        Box::new(records)
    };
    records
        .take(limit)
        .map(|record| {
            let (key, value) = record.map_err(engine_error)?;
            Ok((key.value().to_vec(), value.value().to_vec()))
        })
        .collect()
}

/// A redb write transaction, with each table opened once and kept open until it ends.
struct RedbTxn<'w> {
    write: &'w redb::WriteTransaction,
    open: HashMap<String, Table<'w, &'static [u8], &'static [u8]>>,
}

impl<'w> RedbTxn<'w> {
    fn table(&mut self, name: &str) -> Result<&mut Table<'w, &'static [u8], &'static [u8]>> {
        check_table(name)?;
        if !self.open.contains_key(name) {
            let table = self
                .write
                .open_table(definition(name))
                .map_err(engine_error)?;
            self.open.insert(name.to_string(), table);
        }
        self.open
            .get_mut(name)
            .ok_or_else(|| StoreError::Engine(format!("table {name} did not stay open")))
    }
}

impl Txn for RedbTxn<'_> {
    fn get(&mut self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let table = self.table(table)?;
        let value = table.get(key).map_err(engine_error)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan(
        &mut self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        scan_table(self.table(table)?, range, limit, reverse)
    }

    fn put(&mut self, table: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.table(table)?
            .insert(key, value)
            .map_err(engine_error)?;
        Ok(())
    }

    fn delete(&mut self, table: &str, key: &[u8]) -> Result<bool> {
        let removed = self.table(table)?.remove(key).map_err(engine_error)?;
        Ok(removed.is_some())
    }
}
