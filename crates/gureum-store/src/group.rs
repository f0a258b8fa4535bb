//! Group commit: the writes of concurrent requests become durable together, with one blob sync
//! and one database sync for the whole group, done by a syncer thread off the request threads.
//!
//! How a write flows when the caller defers durability (see [`defer_durability`]):
//! 1. a blob is written and renamed into place without an fsync, and handed to the syncer; a blob
//!    delete is queued instead of done;
//! 2. the record's transaction joins the store's pending batch (see the redb engine) and takes a
//!    ticket, a sequence number ([`GroupCommit::issue`]);
//! 3. the request, before it answers, awaits [`DurableWait`] for that ticket;
//! 4. the syncer syncs the blob files handed over so far, then, under the store's batch lock,
//!    takes the pending batch and syncs the blobs handed over meanwhile (so every blob a counted
//!    record points to is on disk first), commits the batch durably (one database commit and
//!    sync), wakes the waiters up to the newest ticket, and only then removes the queued blobs.
//!
//! So an answer is sent only after its data and metadata are on disk, a crash before that leaves
//! the old state whole (records never point at unsynced or deleted blobs, even records that were
//! never acknowledged), and a group of N concurrent writes costs one database commit and one sync
//! instead of N, and no request thread waits in one. A write made outside a deferring scope (a
//! background task, a test) waits for the syncer on its own thread before returning.

use std::cell::RefCell;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use crate::{Result, StoreError};

/// Makes every transaction so far durable (the database's sync). It calls `ready` once, at the
/// point where no more transactions can join the sync (holding the store's write lock) and
/// before the database's sync: the syncer reads the newest ticket and syncs the latest blobs there.
pub(crate) type SyncFn = Box<dyn Fn(&mut dyn FnMut() -> Result<()>) -> Result<()> + Send + Sync>;

/// The group-commit coordinator one durable [`crate::Storage`] shares between its stores.
pub struct GroupCommit {
    inner: Arc<Inner>,
    syncer: Mutex<Option<JoinHandle<()>>>,
}

struct Inner {
    /// The newest ticket handed to a transaction.
    issued: AtomicU64,
    /// Blob files written (and renamed into place) without a sync, with their directories.
    unsynced: Mutex<Unsynced>,
    state: Mutex<State>,
    /// Wakes the syncer (work to do) and blocking waiters (progress made).
    changed: Condvar,
    sync: SyncFn,
}

/// What the next sync must flush before the database: blob files and directory entries.
#[derive(Default)]
struct Unsynced {
    files: Vec<std::fs::File>,
    dirs: Vec<PathBuf>,
}

#[derive(Default)]
struct State {
    /// Every commit up to this number is durable.
    durable: u64,
    /// Set by a failed sync, with its message: from then on nothing becomes durable and every
    /// write is refused (after a failed fsync the kernel may have dropped the data it could not
    /// write, so a later sync that succeeds would prove nothing).
    failed: Option<String>,
    /// Blob files to remove once the given commit is durable.
    deletes: Vec<(u64, Doomed)>,
    wakers: Vec<Waker>,
    stop: bool,
}

impl GroupCommit {
    /// Starts the syncer thread; `sync` makes every commit so far durable.
    pub(crate) fn start(sync: SyncFn) -> Arc<Self> {
        let inner = Arc::new(Inner {
            issued: AtomicU64::new(0),
            unsynced: Mutex::new(Unsynced::default()),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            sync,
        });
        let worker = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("gureum-sync".into())
            .spawn(move || worker.run())
            .expect("spawning the syncer thread");
        Arc::new(GroupCommit {
            inner,
            syncer: Mutex::new(Some(handle)),
        })
    }

    /// Refuses new writes once a sync has failed.
    pub(crate) fn check_healthy(&self) -> Result<()> {
        match &lock(&self.inner.state).failed {
            Some(message) => Err(sync_failed(message)),
            None => Ok(()),
        }
    }

    /// Hands a ticket to a transaction that is not durable yet: it is durable once the syncer
    /// has made every ticket up to this one durable.
    pub(crate) fn issue(&self) -> u64 {
        let seq = self.inner.issued.fetch_add(1, Ordering::AcqRel) + 1;
        self.inner.changed.notify_all();
        seq
    }

    /// Hands over a blob file written and renamed into place without a sync: the next sync
    /// flushes its data and the entries of `dirs` (its directory, and the parent of a new one).
    pub(crate) fn blob_written(&self, file: std::fs::File, dirs: &[&std::path::Path]) {
        let mut unsynced = lock(&self.inner.unsynced);
        unsynced.files.push(file);
        for dir in dirs {
            if !unsynced.dirs.iter().any(|d| d == dir) {
                unsynced.dirs.push(dir.to_path_buf());
            }
        }
    }

    /// Queues the removal of a blob file until every commit made so far is durable: the record
    /// that pointed at it may still come back after a crash until then.
    pub(crate) fn delete_later(&self, doomed: Doomed) {
        let seq = self.inner.issued.load(Ordering::Acquire);
        let mut state = lock(&self.inner.state);
        if seq <= state.durable {
            drop(state);
            doomed.remove();
            return;
        }
        state.deletes.push((seq, doomed));
    }

    /// Blocks until commit `seq` is durable.
    pub(crate) fn wait_blocking(&self, seq: u64) -> Result<()> {
        let mut state = lock(&self.inner.state);
        loop {
            if let Some(done) = outcome(&state, seq) {
                return done;
            }
            state = self
                .inner
                .changed
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Resolves when commit `seq` is durable.
    pub fn wait(self: &Arc<Self>, seq: u64) -> DurableWait {
        DurableWait {
            group: Arc::clone(self),
            seq,
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        lock(&self.inner.state).stop = true;
        self.inner.changed.notify_all();
        if let Some(handle) = lock(&self.syncer).take() {
            let _ = handle.join();
        }
    }
}

/// What a waiter for `seq` learns from the state, if it is settled.
fn outcome(state: &State, seq: u64) -> Option<Result<()>> {
    if seq <= state.durable {
        return Some(Ok(()));
    }
    state
        .failed
        .as_ref()
        .map(|message| Err(sync_failed(message)))
}

fn sync_failed(message: &str) -> StoreError {
    StoreError::Engine(format!("making writes durable failed: {message}"))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn run(&self) {
        loop {
            {
                let mut state = lock(&self.state);
                loop {
                    let pending = self.issued.load(Ordering::Acquire) > state.durable;
                    if pending {
                        break;
                    }
                    if state.stop {
                        return;
                    }
                    state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
                }
            }
            // Most blobs are synced first, while writers go on; the store then stops writers,
            // and the ticket read there counts only transactions whose blobs were handed over
            // before it, which the second blob sync covers.
            let mut target = 0;
            let result = self.sync_blobs().and_then(|()| {
                (self.sync)(&mut || {
                    target = self.issued.load(Ordering::Acquire);
                    self.sync_blobs()
                })
            });
            let deletes = {
                let mut state = lock(&self.state);
                let mut due = Vec::new();
                match result {
                    Ok(()) => {
                        state.durable = state.durable.max(target);
                        let durable = state.durable;
                        let (ready, waiting) = std::mem::take(&mut state.deletes)
                            .into_iter()
                            .partition(|(seq, _)| *seq <= durable);
                        state.deletes = waiting;
                        due = ready;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "group commit sync failed: refusing writes");
                        state.failed.get_or_insert_with(|| e.to_string());
                        // Queued blob removals are dropped: their records may survive.
                        state.deletes.clear();
                    }
                }
                for waker in state.wakers.drain(..) {
                    waker.wake();
                }
                due
            };
            self.changed.notify_all();
            for (_, doomed) in deletes {
                doomed.remove();
            }
            if lock(&self.state).failed.is_some() {
                return;
            }
        }
    }

    /// Flushes the blobs handed over since the last sync: each file's data, then the directory
    /// entries that name them. Only these files are synced, whatever else the file system holds.
    fn sync_blobs(&self) -> Result<()> {
        let Unsynced { files, dirs } = std::mem::take(&mut *lock(&self.unsynced));
        let result = (|| {
            for file in &files {
                file.sync_data()?;
            }
            for dir in &dirs {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok::<_, std::io::Error>(())
        })();
        result.map_err(|e| {
            // Handed back, so the next sync tries them again.
            let mut unsynced = lock(&self.unsynced);
            unsynced.files.extend(files);
            unsynced.dirs.extend(dirs);
            StoreError::Io(e)
        })
    }
}

/// A blob file queued for removal: its path and the file it named when queued, so that a file
/// written to the same path since is left alone.
pub(crate) struct Doomed {
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
}

impl Doomed {
    /// The file at `path` now, if there is one.
    pub fn at(path: PathBuf) -> std::io::Result<Option<Doomed>> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(&path) {
            Ok(meta) => Ok(Some(Doomed {
                path,
                dev: meta.dev(),
                ino: meta.ino(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remove(self) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata(&self.path)
            && meta.dev() == self.dev
            && meta.ino() == self.ino
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A future that resolves once a commit is durable (or its sync failed).
pub struct DurableWait {
    group: Arc<GroupCommit>,
    seq: u64,
}

impl Future for DurableWait {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = lock(&self.group.inner.state);
        match outcome(&state, self.seq) {
            Some(done) => Poll::Ready(done),
            None => {
                state.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The newest ticket a deferring scope holds, with its coordinator.
type Ticket = (Arc<GroupCommit>, u64);

thread_local! {
    /// Inside [`defer_durability`]: `Some`, holding the newest ticket taken there, if any.
    static DEFERRED: RefCell<Option<Option<Ticket>>> = const { RefCell::new(None) };
}

/// Runs `f` with durability deferred: commits `f` makes on this thread do not wait for their
/// sync. Answers `f`'s result and, if it committed anything durable-to-be, the wait the caller
/// must complete before acknowledging the work.
pub fn defer_durability<R>(f: impl FnOnce() -> R) -> (R, Option<DurableWait>) {
    defer_durability_after(None, f)
}

/// [`defer_durability`] for one more step of work that already holds `prior`, the wait of what
/// its earlier steps wrote (a request's handler polled again): reads in `f` see those writes, and
/// the wait answered covers them too.
pub fn defer_durability_after<R>(
    prior: Option<&DurableWait>,
    f: impl FnOnce() -> R,
) -> (R, Option<DurableWait>) {
    let seed = prior.map(|w| (Arc::clone(&w.group), w.seq));
    let outer = DEFERRED.with(|d| d.borrow_mut().replace(seed));
    // Restores the outer scope even if `f` panics.
    struct Restore(Option<Option<Ticket>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            DEFERRED.with(|d| *d.borrow_mut() = outer);
        }
    }
    let restore = Restore(outer);
    let result = f();
    let mine = DEFERRED.with(|d| d.borrow_mut().take()).flatten();
    drop(restore);
    (result, mine.map(|(group, seq)| group.wait(seq)))
}

/// Whether the current thread is inside [`defer_durability`].
pub(crate) fn deferring() -> bool {
    DEFERRED.with(|d| d.borrow().is_some())
}

/// The newest ticket of `group` the current deferring scope holds, if any.
pub(crate) fn deferred_ticket(group: &Arc<GroupCommit>) -> Option<u64> {
    DEFERRED.with(|d| match &*d.borrow() {
        Some(Some((g, seq))) if Arc::ptr_eq(g, group) => Some(*seq),
        _ => None,
    })
}

/// Hands the current deferring scope a commit to wait for.
pub(crate) fn defer(group: &Arc<GroupCommit>, seq: u64) {
    DEFERRED.with(|d| {
        if let Some(slot) = d.borrow_mut().as_mut() {
            let newest = match slot.take() {
                Some((_, old)) if old > seq => old,
                _ => seq,
            };
            *slot = Some((Arc::clone(group), newest));
        }
    });
}

#[cfg(test)]
mod tests;
