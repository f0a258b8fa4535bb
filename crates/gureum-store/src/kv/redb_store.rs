//! The durable engine: one redb database file, `<data-dir>/gureum.redb`, one redb table per
//! store table.
//!
//! Transactions are batched and never wait for redb. Each [`KvStore::transact`] runs its closure
//! under the batch lock through an [`Overlay`] (so a closure that fails leaves nothing behind),
//! reading through the writes not yet committed — the pending batch, then the batch being
//! committed ([`Layer`]s) — over the latest read snapshot. When the closure succeeds its writes
//! join the pending batch and it takes a ticket from the group commit ([`crate::GroupCommit`]).
//! The syncer takes the pending batch, appends it to the write-ahead log ([`super::wal`]) and
//! syncs that, then writes it into one redb write transaction committed without a sync, while
//! request threads go on filling the next batch; a durable redb commit (a checkpoint) every
//! second or so lets the log start over. Opening the store replays what the log holds beyond
//! redb's last durable commit. `transact` returns once its ticket is durable, or, inside
//! [`crate::defer_durability`], hands the caller the wait.
//!
//! Reads outside a transaction see committed batches only, except that a request whose own writes
//! are not committed yet reads through the batches too, so it reads its own writes. Readers share
//! the latest read snapshot and the tables opened in it until a commit changes the data (the
//! batch's generation): opening a snapshot and a table by name cost more than the read itself.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{
    Database, DatabaseError, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase,
    ReadableTable, ReadableTableMetadata, TableDefinition, TableError, TableHandle,
};

use crate::group::{self, GroupCommit};
use crate::kv::overlay::{Layer, Overlay, WriteSet};
use crate::kv::wal::{self, Wal};
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

/// How long the log may go without a checkpoint while batches keep coming.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A [`KvStore`] in one redb database file.
pub struct RedbStore {
    db: Arc<Database>,
    path: PathBuf,
    group: Arc<GroupCommit>,
    batch: Arc<Batch>,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    log: Arc<Mutex<Log>>,
}

/// The write-ahead log and where it stands.
struct Log {
    wal: Wal,
    /// The newest batch appended.
    seq: u64,
    last_checkpoint: std::time::Instant,
}

impl Log {
    /// Appends and syncs batch `writes`, then commits it to redb without a sync, with its
    /// sequence number; checkpoints when due.
    fn commit(&mut self, db: &Database, writes: &WriteSet) -> Result<()> {
        self.seq += 1;
        self.wal.append(self.seq, writes)?;
        let mut write = db.begin_write().map_err(engine_error)?;
        write
            .set_durability(Durability::None)
            .map_err(|e| StoreError::Engine(e.to_string()))?;
        write_out(&write, writes)?;
        set_applied(&write, self.seq)?;
        write.commit().map_err(engine_error)?;
        if self.wal.written() >= wal::CHECKPOINT_BYTES
            || self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY
        {
            self.checkpoint(db)?;
        }
        Ok(())
    }

    /// Makes every commit so far durable in redb, so the log may start over.
    fn checkpoint(&mut self, db: &Database) -> Result<()> {
        // An empty transaction committed with Durability::Immediate syncs the file and so makes
        // every earlier non-durable commit durable.
        db.begin_write()
            .map_err(engine_error)?
            .commit()
            .map_err(engine_error)?;
        self.wal.restart();
        self.last_checkpoint = std::time::Instant::now();
        Ok(())
    }
}

/// Records in redb that it holds every batch up to `seq`.
fn set_applied(write: &redb::WriteTransaction, seq: u64) -> Result<()> {
    write
        .open_table(definition(wal::META_TABLE))
        .map_err(engine_error)?
        .insert(wal::APPLIED_KEY, &seq.to_be_bytes()[..])
        .map_err(engine_error)?;
    Ok(())
}

/// The newest batch redb holds, by its sequence number.
fn applied(db: &Database) -> Result<u64> {
    let read = db.begin_read().map_err(engine_error)?;
    let table = match read.open_table(definition(wal::META_TABLE)) {
        Ok(table) => table,
        Err(TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(engine_error(e)),
    };
    let value = table.get(wal::APPLIED_KEY).map_err(engine_error)?;
    Ok(value
        .and_then(|v| v.value().try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// Transactions that succeeded but are not committed to redb yet.
struct Batch {
    state: Mutex<State>,
    /// The newest ticket committed to redb (readable without the lock).
    committed: AtomicU64,
    /// Counts the commits that changed what readers see; read snapshots older than the current
    /// generation are not reused.
    generation: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Writes of the transactions since the syncer last took the batch.
    pending: WriteSet,
    /// The batch the syncer is writing to redb, readable until its commit is visible.
    committing: Option<Arc<WriteSet>>,
    /// The newest ticket whose writes are in `pending` (or committed).
    last: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A closure that panicked under the batch lock left the batch as it was: its writes were
    // still in its own overlay.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

thread_local! {
    /// Set while this thread runs a transaction's closure: a store call from inside it would
    /// wait for the batch lock it holds.
    static IN_TRANSACTION: Cell<bool> = const { Cell::new(false) };
}

fn nested() -> StoreError {
    StoreError::Engine("the store was called from inside a transaction".into())
}

impl Batch {
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

impl Snapshot {
    /// `table` opened in this snapshot, `None` if it does not exist.
    fn table(&self, table: &str) -> Result<Option<Arc<RoTable>>> {
        let mut tables = lock(&self.tables);
        if let Some((_, opened)) = tables.iter().find(|(name, _)| name == table) {
            return Ok(opened.clone());
        }
        let opened = match self.txn.open_table(definition(table)) {
            Ok(opened) => Some(Arc::new(opened)),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(engine_error(e)),
        };
        tables.push((table.to_string(), opened.clone()));
        Ok(opened)
    }
}

/// A snapshot read as a (read-only) transaction: the bottom of the batch's layers.
struct SnapshotTxn<'s>(&'s Snapshot);

impl Txn for SnapshotTxn<'_> {
    fn get(&mut self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_table(table)?;
        match self.0.table(table)? {
            Some(table) => {
                let value = table.get(key).map_err(engine_error)?;
                Ok(value.map(|v| v.value().to_vec()))
            }
            None => Ok(None),
        }
    }

    fn scan(
        &mut self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        check_table(table)?;
        match self.0.table(table)? {
            Some(table) => scan_table(&*table, range, limit, reverse),
            None => Ok(Vec::new()),
        }
    }

    fn put(&mut self, _: &str, _: &[u8], _: &[u8]) -> Result<()> {
        Err(StoreError::Engine("a read snapshot was written to".into()))
    }

    fn delete(&mut self, _: &str, _: &[u8]) -> Result<bool> {
        Err(StoreError::Engine("a read snapshot was written to".into()))
    }
}

/// Writes a batch into a redb write transaction, each table opened once.
fn write_out(write: &redb::WriteTransaction, batch: &WriteSet) -> Result<()> {
    for (name, writes) in batch.tables() {
        let mut table = write.open_table(definition(name)).map_err(engine_error)?;
        for (key, value) in writes {
            match value {
                Some(value) => {
                    table
                        .insert(key.as_slice(), value.as_slice())
                        .map_err(engine_error)?;
                }
                None => {
                    table.remove(key.as_slice()).map_err(engine_error)?;
                }
            }
        }
    }
    Ok(())
}

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
        let applied = applied(&db)?;
        let (wal, replay) = Wal::open(&path.with_extension("wal"), applied)?;
        let mut seq = applied;
        if let Some((last, _)) = replay.last() {
            // The batches acknowledged after redb's last durable commit, made durable in it.
            let write = db.begin_write().map_err(engine_error)?;
            for (_, writes) in &replay {
                write_out(&write, writes)?;
            }
            set_applied(&write, *last)?;
            write.commit().map_err(engine_error)?;
            tracing::info!(batches = replay.len(), "replayed the write-ahead log");
            seq = *last;
        }
        let log = Arc::new(Mutex::new(Log {
            wal,
            seq,
            last_checkpoint: std::time::Instant::now(),
        }));
        let db = Arc::new(db);
        let batch = Arc::new(Batch {
            state: Mutex::new(State::default()),
            committed: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        });
        let syncing = (Arc::clone(&db), Arc::clone(&batch), Arc::clone(&log));
        // A failure here poisons the store through the syncer.
        let group = GroupCommit::start(Box::new(move |ready| {
            let (db, batch, log) = &syncing;
            let (writes, last) = {
                let mut state = lock(&batch.state);
                // Every ticket counted in `ready` is in the pending batch or committed.
                ready()?;
                if state.pending.is_empty() {
                    return Ok(());
                }
                let writes = Arc::new(std::mem::take(&mut state.pending));
                state.committing = Some(Arc::clone(&writes));
                (writes, state.last)
            };
            // Request threads fill the next batch meanwhile, reading through this one.
            lock(log).commit(db, &writes)?;
            // The generation moves first: whoever sees the ticket committed reads a snapshot
            // that holds it.
            batch.changed();
            batch.committed.store(last, Ordering::Release);
            lock(&batch.state).committing = None;
            Ok(())
        }));
        Ok(Self {
            db,
            path,
            group,
            batch,
            snapshot: Mutex::new(None),
            log,
        })
    }

    /// The latest read snapshot, taken anew if a commit changed the data since the last one.
    fn snapshot(&self) -> Result<Arc<Snapshot>> {
        // Read before the snapshot is taken: a commit in between makes the snapshot newer than
        // its label, never older, and the next read takes another.
        let generation = self.batch.generation.load(Ordering::Acquire);
        let mut current = lock(&self.snapshot);
        if let Some(s) = &*current
            && s.generation == generation
        {
            return Ok(Arc::clone(s));
        }
        // The old snapshot goes first, so that it pins no pages once its readers end.
        *current = None;
        let fresh = Arc::new(Snapshot {
            generation,
            txn: self.db.begin_read().map_err(engine_error)?,
            tables: Mutex::new(Vec::new()),
        });
        *current = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// Runs `f` on a read view of the store: the latest snapshot, and, for a request whose own
    /// writes are not committed yet, the batches over it.
    fn read<R>(&self, f: impl FnOnce(&mut dyn Txn) -> Result<R>) -> Result<R> {
        if IN_TRANSACTION.with(Cell::get) {
            return Err(nested());
        }
        let own = group::deferred_ticket(&self.group)
            .is_some_and(|ticket| ticket > self.batch.committed.load(Ordering::Acquire));
        if !own {
            let snapshot = self.snapshot()?;
            return f(&mut SnapshotTxn(&snapshot));
        }
        let state = lock(&self.batch.state);
        let snapshot = self.snapshot()?;
        let none = WriteSet::default();
        let mut bottom = SnapshotTxn(&snapshot);
        let mut middle = Layer::new(&mut bottom, state.committing.as_deref().unwrap_or(&none));
        let mut top = Layer::new(&mut middle, &state.pending);
        f(&mut top)
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
        self.read(|txn| txn.get(table, key))
    }

    fn scan(
        &self,
        table: &str,
        range: &KeyRange,
        limit: Option<usize>,
        reverse: bool,
    ) -> Result<Vec<Entry>> {
        check_table(table)?;
        self.read(|txn| txn.scan(table, range, limit, reverse))
    }

    fn transact(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        if IN_TRANSACTION.with(Cell::get) {
            return Err(nested());
        }
        self.group.check_healthy()?;
        let mut state = lock(&self.batch.state);
        let snapshot = self.snapshot()?;
        let unflushed = state.last > self.batch.committed.load(Ordering::Acquire);
        let outcome = {
            let none = WriteSet::default();
            let mut bottom = SnapshotTxn(&snapshot);
            let mut middle = Layer::new(&mut bottom, state.committing.as_deref().unwrap_or(&none));
            let mut top = Layer::new(&mut middle, &state.pending);
            let mut overlay = Overlay::new(&mut top);
            // Restores the flag even if `f` panics.
            struct Inside;
            impl Drop for Inside {
                fn drop(&mut self) {
                    IN_TRANSACTION.with(|t| t.set(false));
                }
            }
            IN_TRANSACTION.with(|t| t.set(true));
            let inside = Inside;
            let result = f(&mut overlay);
            drop(inside);
            result.map(|()| overlay.into_writes())
        };
        // The ticket to wait for: this transaction's, or, when it wrote nothing, the newest of
        // the batch, whose writes it may have read.
        let (ticket, result) = match outcome {
            Ok(writes) if !writes.is_empty() => {
                state.pending.absorb(writes);
                state.last = self.group.issue();
                (Some(state.last), Ok(()))
            }
            Ok(_) => (unflushed.then_some(state.last), Ok(())),
            Err(e) => (unflushed.then_some(state.last), Err(e)),
        };
        drop(state);
        if let Some(ticket) = ticket {
            if group::deferring() {
                group::defer(&self.group, ticket);
            } else {
                self.group.wait_blocking(ticket)?;
            }
        }
        result
    }

    fn clear(&self) -> Result<()> {
        if IN_TRANSACTION.with(Cell::get) {
            return Err(nested());
        }
        // Writes not committed yet are dropped with everything else; a batch the syncer is
        // committing finishes first (it holds the log).
        let mut state = lock(&self.batch.state);
        state.pending = WriteSet::default();
        let mut log = lock(&self.log);
        let write = self.db.begin_write().map_err(engine_error)?;
        let handles: Vec<_> = write.list_tables().map_err(engine_error)?.collect();
        for handle in handles {
            write.delete_table(handle).map_err(engine_error)?;
        }
        // The log's records are all in what was just wiped: they must not come back.
        set_applied(&write, log.seq)?;
        write.commit().map_err(engine_error)?;
        log.wal.restart();
        state.committing = None;
        self.batch.changed();
        tracing::info!(path = %self.path.display(), "cleared every table");
        Ok(())
    }

    fn tables(&self) -> Result<Vec<String>> {
        let read = self.db.begin_read().map_err(engine_error)?;
        let mut names = Vec::new();
        for handle in read.list_tables().map_err(engine_error)? {
            // The engine's own bookkeeping is not a store table.
            if handle.name() == wal::META_TABLE {
                continue;
            }
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
