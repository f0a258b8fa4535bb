//! Tests of the group commit: deferred waits, blob syncs and removals, crash survival.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::*;
use crate::Storage;
use crate::test_dir::TestDir;

const T: &str = "group.test";

/// Polls `f` to completion on this thread (the waits here resolve from the syncer thread).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        assert!(Instant::now() < deadline, "the durable wait never resolved");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_deferred_commit_hands_back_a_wait_and_survives_reopening() {
    let dir = TestDir::new();
    {
        let storage = Storage::open(dir.path()).unwrap();
        let (result, wait) = defer_durability(|| storage.kv.put(T, b"k", b"v"));
        result.unwrap();
        let wait = wait.expect("a deferred commit must be waited for");
        block_on(wait).unwrap();
        assert_eq!(storage.kv.get(T, b"k").unwrap().as_deref(), Some(&b"v"[..]));
    }
    let storage = Storage::open(dir.path()).unwrap();
    assert_eq!(storage.kv.get(T, b"k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn reads_and_ephemeral_stores_need_no_wait() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    storage.kv.put(T, b"k", b"v").unwrap();
    let (value, wait) = defer_durability(|| storage.kv.get(T, b"k"));
    assert_eq!(value.unwrap().as_deref(), Some(&b"v"[..]));
    assert!(wait.is_none(), "a read made nothing to sync");

    let memory = Storage::ephemeral();
    let (result, wait) = defer_durability(|| memory.kv.put(T, b"k", b"v"));
    result.unwrap();
    assert!(wait.is_none(), "the in-memory store has nothing to sync");
}

#[test]
fn waits_cover_the_newest_commit_of_the_scope() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    let (_, wait) = defer_durability(|| {
        for i in 0..20u8 {
            storage.kv.put(T, &[i], b"v").unwrap();
        }
    });
    let wait = wait.unwrap();
    let seq = wait.seq;
    block_on(wait).unwrap();
    assert!(
        seq >= 20,
        "the wait is for the last of the 20 commits, got {seq}"
    );
}

#[test]
fn many_threads_share_syncs() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    std::thread::scope(|s| {
        for t in 0..8u8 {
            let storage = &storage;
            s.spawn(move || {
                for i in 0..25u8 {
                    let (result, wait) = defer_durability(|| storage.kv.put(T, &[t, i], b"v"));
                    result.unwrap();
                    block_on(wait.unwrap()).unwrap();
                }
            });
        }
    });
    assert_eq!(
        storage
            .kv
            .scan(T, &crate::KeyRange::all(), None, false)
            .unwrap()
            .len(),
        200
    );
}

#[test]
fn a_request_reads_its_own_deferred_writes() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    let (read, first) = defer_durability(|| {
        storage.kv.put(T, b"mine", b"v")?;
        storage.kv.get(T, b"mine")
    });
    assert_eq!(read.unwrap().as_deref(), Some(&b"v"[..]));
    // A later step of the same request (a handler polled again) reads what an earlier one wrote.
    let (_, second) = defer_durability(|| storage.kv.put(T, b"later", b"w").unwrap());
    let (read, third) = defer_durability_after(second.as_ref(), || {
        storage.kv.scan(T, &crate::KeyRange::all(), None, false)
    });
    assert_eq!(read.unwrap().len(), 2);
    assert!(third.is_some(), "the wait of the earlier step carries over");
    block_on(first.unwrap()).unwrap();
    block_on(third.unwrap()).unwrap();
}

#[test]
fn increments_read_through_batches_not_yet_committed() {
    // Deferred writers do not wait between increments, so most of them read the counter from
    // the pending batch or from the batch the syncer is committing, not from redb.
    let dir = TestDir::new();
    {
        let storage = Storage::open(dir.path()).unwrap();
        std::thread::scope(|s| {
            for _ in 0..4 {
                let storage = &storage;
                s.spawn(move || {
                    let mut last = None;
                    for _ in 0..250 {
                        let (result, wait) = defer_durability(|| {
                            storage.kv.transact(&mut |txn| {
                                let n = txn
                                    .get(T, b"counter")?
                                    .map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()));
                                txn.put(T, b"counter", &(n + 1).to_be_bytes())
                            })
                        });
                        result.unwrap();
                        last = wait.or(last);
                    }
                    block_on(last.unwrap()).unwrap();
                });
            }
        });
        let n = storage.kv.get(T, b"counter").unwrap().unwrap();
        assert_eq!(n, 1000u32.to_be_bytes(), "an increment was lost");
    }
    let storage = Storage::open(dir.path()).unwrap();
    let n = storage.kv.get(T, b"counter").unwrap().unwrap();
    assert_eq!(
        n,
        1000u32.to_be_bytes(),
        "an acknowledged increment did not survive"
    );
}

#[test]
fn a_store_call_inside_a_transaction_is_an_error_not_a_deadlock() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    let err = storage
        .kv
        .transact(&mut |txn| {
            txn.put(T, b"k", b"v")?;
            storage.kv.get(T, b"other").map(drop)
        })
        .unwrap_err();
    assert!(err.to_string().contains("inside a transaction"), "{err}");
    assert_eq!(
        storage.kv.get(T, b"k").unwrap(),
        None,
        "the failed transaction wrote nothing"
    );
}

#[test]
fn a_failed_transaction_leaves_the_batch_it_ran_in_whole() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let storage = &storage;
            s.spawn(move || {
                for i in 0..150u8 {
                    let (result, wait) = defer_durability(|| {
                        storage.kv.transact(&mut |txn| {
                            txn.put(T, &[t, i], b"v")?;
                            txn.delete(T, &[t, i.wrapping_sub(1)])?;
                            if i % 2 == 1 {
                                return Err(StoreError::Aborted("refused".into()));
                            }
                            Ok(())
                        })
                    });
                    assert_eq!(result.is_ok(), i % 2 == 0);
                    if let Some(wait) = wait {
                        block_on(wait).unwrap();
                    }
                }
            });
        }
    });
    let all = storage
        .kv
        .scan(T, &crate::KeyRange::all(), None, false)
        .unwrap();
    let expected: Vec<Vec<u8>> = (0..4u8)
        .flat_map(|t| (0..150u8).filter(|i| i % 2 == 0).map(move |i| vec![t, i]))
        .collect();
    let found: Vec<Vec<u8>> = all.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        found, expected,
        "a failed transaction undid or leaked writes"
    );
}

#[test]
fn a_deferred_blob_delete_happens_once_the_record_is_durable() {
    let dir = TestDir::new();
    let storage = Storage::open(dir.path()).unwrap();
    storage.blobs.put("old", b"old bytes").unwrap();
    let (result, wait) = defer_durability(|| {
        storage.kv.delete(T, b"points-at-old")?;
        storage.kv.put(T, b"other", b"x")?;
        storage.blobs.delete("old")
    });
    assert!(result.unwrap(), "the blob existed");
    block_on(wait.unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while storage.blobs.get("old").unwrap().is_some() {
        assert!(Instant::now() < deadline, "the queued removal never ran");
        std::thread::sleep(Duration::from_millis(2));
    }
    let (gone, _) = defer_durability(|| storage.blobs.delete("old"));
    assert!(!gone.unwrap(), "a missing blob reports it was not there");
}

#[test]
fn a_queued_removal_spares_a_file_written_to_the_same_path_since() {
    let dir = TestDir::new();
    let path = dir.path().join("blob");
    std::fs::write(&path, b"first").unwrap();
    let doomed = Doomed::at(path.clone()).unwrap().unwrap();
    // A new file renamed over the old one, as a blob writer does.
    let temp = dir.path().join("temp");
    std::fs::write(&temp, b"second").unwrap();
    std::fs::rename(&temp, &path).unwrap();
    doomed.remove();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    let doomed = Doomed::at(path.clone()).unwrap().unwrap();
    doomed.remove();
    assert!(!path.exists());
    assert!(Doomed::at(path).unwrap().is_none());
}

#[test]
fn a_failed_sync_fails_its_waiters_and_refuses_later_writes() {
    let group = GroupCommit::start(Box::new(|_| {
        Err(StoreError::Io(std::io::Error::other("disk on fire")))
    }));
    let seq = group.issue();
    let err = group.wait_blocking(seq).unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(block_on(group.wait(seq)).is_err());
    assert!(group.check_healthy().is_err());
    // A later commit is not told it is durable either.
    let later = group.issue();
    assert!(group.wait_blocking(later).is_err());
}

/// Set in the child process of [`acknowledged_deferred_writes_survive_a_crash`].
const CRASH_DIR_VAR: &str = "GUREUM_GROUP_CRASH_DIR";

/// In the child process only: writes a blob and its record with durability deferred, waits,
/// reports, and dies like `kill -9`. Run normally it does nothing.
#[test]
fn group_crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR_VAR) else {
        return;
    };
    let storage = Storage::open(dir).unwrap();
    for i in 0..50u32 {
        let id = format!("blob-{i}");
        let (result, wait) = defer_durability(|| {
            let mut writer = storage.blobs.writer(&id)?;
            writer.write_chunk(&i.to_be_bytes().repeat(1000))?;
            writer.commit()?;
            storage.kv.put(T, id.as_bytes(), b"points at the blob")
        });
        result.unwrap();
        block_on(wait.unwrap()).unwrap();
        println!("acknowledged {id}");
    }
    std::process::abort();
}

#[test]
fn acknowledged_deferred_writes_survive_a_crash() {
    let dir = TestDir::new();
    let stdout = crate::test_dir::run_crash_child(
        "group::tests::group_crash_child",
        CRASH_DIR_VAR,
        dir.path(),
    );
    let acknowledged: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split("acknowledged ").nth(1))
        .collect();
    assert_eq!(acknowledged.len(), 50, "child output: {stdout}");
    let storage = Storage::open(dir.path()).unwrap();
    for (i, id) in acknowledged.iter().enumerate() {
        assert!(storage.kv.get(T, id.as_bytes()).unwrap().is_some(), "{id}");
        let blob = storage
            .blobs
            .get(id)
            .unwrap()
            .expect("the blob of an acknowledged record");
        assert_eq!(blob, (i as u32).to_be_bytes().repeat(1000));
    }
}

/// Set in the child process of [`concurrent_acknowledged_writes_survive_a_crash`].
const CONCURRENT_CRASH_VAR: &str = "GUREUM_GROUP_CONCURRENT_CRASH_DIR";

/// In the child process only: eight threads write blobs and records with durability deferred,
/// each reporting a write once its wait resolved; the process dies mid-stream, like `kill -9`.
#[test]
fn group_concurrent_crash_child() {
    let Some(dir) = std::env::var_os(CONCURRENT_CRASH_VAR) else {
        return;
    };
    let storage = Storage::open(dir).unwrap();
    let out = std::sync::Mutex::new(std::io::stdout());
    let acks = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|s| {
        for t in 0..8u32 {
            let (storage, out, acks) = (&storage, &out, &acks);
            s.spawn(move || {
                for i in 0u32.. {
                    let id = format!("blob-{t}-{i}");
                    let (result, wait) = defer_durability(|| {
                        // Files and inline blobs alike.
                        let mut writer = if i % 2 == 0 {
                            storage.blobs.writer(&id)?
                        } else {
                            storage.blobs.writer_inline(&id)?
                        };
                        writer.write_chunk(&i.to_be_bytes().repeat(100))?;
                        writer.commit()?;
                        // Overwrite a shared key too, deleting the blob it pointed at.
                        storage.kv.put(T, id.as_bytes(), b"x")
                    });
                    result.unwrap();
                    block_on(wait.unwrap()).unwrap();
                    use std::io::Write;
                    writeln!(out.lock().unwrap(), "acknowledged {id}").unwrap();
                    acks.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Readers alongside, as requests read records while others commit.
        for r in 0..4u32 {
            let storage = &storage;
            s.spawn(move || {
                for i in 0u32.. {
                    let id = format!("blob-{}-{}", (r + i) % 8, i / 3);
                    let _ = storage.kv.get(T, id.as_bytes());
                    let _ = storage.kv.scan(T, &crate::KeyRange::all(), Some(5), false);
                }
            });
        }
        // Dies mid-stream: a while after the first acknowledgement, however slow this machine.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acks.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(100));
        std::process::abort();
    });
}

#[test]
fn concurrent_acknowledged_writes_survive_a_crash() {
    for _ in 0..5 {
        let dir = TestDir::new();
        let stdout = crate::test_dir::run_crash_child(
            "group::tests::group_concurrent_crash_child",
            CONCURRENT_CRASH_VAR,
            dir.path(),
        );
        let acknowledged: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.split("acknowledged ").nth(1))
            .collect();
        assert!(!acknowledged.is_empty(), "child output: {stdout}");
        let storage = Storage::open(dir.path()).unwrap();
        for id in &acknowledged {
            assert!(
                storage.kv.get(T, id.as_bytes()).unwrap().is_some(),
                "record {id} lost"
            );
            assert!(storage.blobs.get(id).unwrap().is_some(), "blob {id} lost");
        }
    }
}
