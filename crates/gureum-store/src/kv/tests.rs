//! The behaviour every [`KvStore`] engine must have, checked against each engine in turn.

use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::*;
use crate::test_dir::TestDir;

/// One engine under test, with the directory it lives in kept until the test ends.
struct Engine {
    store: Box<dyn KvStore>,
    _dir: Option<TestDir>,
}

fn memory() -> Engine {
    Engine {
        store: Box::new(MemoryStore::new()),
        _dir: None,
    }
}

fn redb() -> Engine {
    let dir = TestDir::new();
    Engine {
        store: Box::new(RedbStore::open(dir.path()).expect("a fresh redb file opens")),
        _dir: Some(dir),
    }
}

/// Runs each named check against every engine, as `memory::<check>` and `redb::<check>`.
macro_rules! for_each_engine {
    ($($check:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $check() { super::$check(&*super::memory().store) } )*
        }
        mod redb {
            $( #[test] fn $check() { super::$check(&*super::redb().store) } )*
        }
    };
}

for_each_engine!(
    get_put_delete,
    tables_are_separate_namespaces,
    scan_orders_bounds_and_limits,
    scan_prefix_selects_by_prefix,
    empty_and_inverted_ranges_select_nothing,
    missing_tables_read_as_empty,
    transaction_commits_every_table_at_once,
    transaction_reads_its_own_writes,
    failed_transaction_writes_nothing,
    transaction_aborted_half_way_leaves_nothing,
    panicking_transaction_writes_nothing,
    transaction_returns_a_value,
    clear_wipes_every_table,
    tables_lists_non_empty_tables,
    invalid_table_names_are_refused,
    concurrent_transactions_serialize,
    readers_see_whole_transactions,
);

const T: &str = "s3.objects";

/// The keys a scan is expected to return, in order.
type Keys = Vec<&'static [u8]>;

fn keys(entries: &[Entry]) -> Vec<&[u8]> {
    entries.iter().map(|(k, _)| k.as_slice()).collect()
}

fn fill(store: &dyn KvStore, table: &str, keys: &[&[u8]]) {
    store
        .transact(&mut |txn| {
            for key in keys {
                txn.put(table, key, &[b"v:", *key].concat())?;
            }
            Ok(())
        })
        .unwrap();
}

fn snapshot(store: &dyn KvStore) -> Vec<(String, Vec<Entry>)> {
    let tables = store.tables().unwrap();
    tables
        .into_iter()
        .map(|t| {
            let all = store.scan(&t, &KeyRange::all(), None, false).unwrap();
            (t, all)
        })
        .collect()
}

fn get_put_delete(store: &dyn KvStore) {
    assert_eq!(store.get(T, b"k").unwrap(), None);
    store.put(T, b"k", b"one").unwrap();
    assert_eq!(store.get(T, b"k").unwrap().as_deref(), Some(&b"one"[..]));
    store.put(T, b"k", b"two").unwrap();
    assert_eq!(store.get(T, b"k").unwrap().as_deref(), Some(&b"two"[..]));
    assert!(store.delete(T, b"k").unwrap());
    assert!(!store.delete(T, b"k").unwrap());
    assert_eq!(store.get(T, b"k").unwrap(), None);
    // Empty keys and values, and keys with every byte value, are ordinary.
    store.put(T, b"", b"").unwrap();
    assert_eq!(store.get(T, b"").unwrap(), Some(Vec::new()));
    let binary: Vec<u8> = (0..=255).collect();
    store.put(T, &binary, &binary).unwrap();
    assert_eq!(store.get(T, &binary).unwrap(), Some(binary.clone()));
    let large = vec![7u8; 1 << 20];
    store.put(T, b"large", &large).unwrap();
    assert_eq!(store.get(T, b"large").unwrap(), Some(large));
}

fn tables_are_separate_namespaces(store: &dyn KvStore) {
    store.put("a", b"k", b"in a").unwrap();
    store.put("b", b"k", b"in b").unwrap();
    assert_eq!(store.get("a", b"k").unwrap().as_deref(), Some(&b"in a"[..]));
    assert_eq!(store.get("b", b"k").unwrap().as_deref(), Some(&b"in b"[..]));
    store.delete("a", b"k").unwrap();
    assert_eq!(store.get("b", b"k").unwrap().as_deref(), Some(&b"in b"[..]));
    assert_eq!(store.scan("a", &KeyRange::all(), None, false).unwrap(), []);
}

const KEYS: [&[u8]; 9] = [b"", b"a", b"ab", b"abc", b"b", b"b\0", b"ba", b"c", b"\xff"];

fn scan_orders_bounds_and_limits(store: &dyn KvStore) {
    // Inserted out of order, in two transactions.
    fill(store, T, &[b"c", b"\xff", b"ab", b"b\0"]);
    fill(store, T, &[b"ba", b"", b"abc", b"b", b"a"]);
    fill(store, "other", &[b"aa", b"bb"]);
    let at = |k: &'static [u8]| k;
    let range = |s: Bound<&[u8]>, e: Bound<&[u8]>| KeyRange::new(s, e);
    let cases: Vec<(KeyRange, Option<usize>, bool, Keys)> = vec![
        (KeyRange::all(), None, false, KEYS.to_vec()),
        (
            KeyRange::all(),
            None,
            true,
            KEYS.iter().rev().copied().collect(),
        ),
        (KeyRange::all(), Some(3), false, vec![b"", b"a", b"ab"]),
        (KeyRange::all(), Some(2), true, vec![b"\xff", b"c"]),
        (KeyRange::all(), Some(0), false, vec![]),
        (KeyRange::all(), Some(100), false, KEYS.to_vec()),
        (
            KeyRange::between(b"ab", b"b\0"),
            None,
            false,
            vec![b"ab", b"abc", b"b"],
        ),
        (
            KeyRange::between(b"ab", b"b\0"),
            None,
            true,
            vec![b"b", b"abc", b"ab"],
        ),
        (KeyRange::between(b"ab", b"b\0"), Some(1), true, vec![b"b"]),
        (
            range(Excluded(at(b"ab")), Included(at(b"b\0"))),
            None,
            false,
            vec![b"abc", b"b", b"b\0"],
        ),
        (
            range(Included(at(b"aa")), Excluded(at(b"abc"))),
            None,
            false,
            vec![b"ab"],
        ),
        (range(Unbounded, Excluded(at(b"a"))), None, false, vec![b""]),
        (
            range(Unbounded, Included(at(b"a"))),
            None,
            true,
            vec![b"a", b""],
        ),
        (
            range(Excluded(at(b"ba")), Unbounded),
            None,
            false,
            vec![b"c", b"\xff"],
        ),
        (
            range(Included(at(b"\xff")), Unbounded),
            None,
            false,
            vec![b"\xff"],
        ),
        (range(Excluded(at(b"\xff")), Unbounded), None, false, vec![]),
        // Pagination: the next page after the last key seen, both directions.
        (
            KeyRange::all().after(b"b"),
            Some(2),
            false,
            vec![b"b\0", b"ba"],
        ),
        (
            KeyRange::all().before(b"b"),
            Some(2),
            true,
            vec![b"abc", b"ab"],
        ),
        (
            KeyRange::prefix(b"a").after(b"ab"),
            None,
            false,
            vec![b"abc"],
        ),
    ];
    for (range, limit, reverse, expected) in cases {
        let found = store.scan(T, &range, limit, reverse).unwrap();
        assert_eq!(
            keys(&found),
            expected,
            "{range:?} limit {limit:?} reverse {reverse}"
        );
        for (key, value) in &found {
            assert_eq!(value, &[b"v:", key.as_slice()].concat());
        }
        // A transaction with nothing written scans the same.
        let in_txn = store
            .transaction(|txn| txn.scan(T, &range, limit, reverse))
            .unwrap();
        assert_eq!(in_txn, found, "in a transaction: {range:?}");
    }
}

fn scan_prefix_selects_by_prefix(store: &dyn KvStore) {
    fill(store, T, &KEYS);
    fill(store, T, &[b"\xff\xff", b"\xff\xff\x01"]);
    let cases: [(&[u8], Option<usize>, bool, Keys); 7] = [
        (b"a", None, false, vec![b"a", b"ab", b"abc"]),
        (b"a", Some(2), true, vec![b"abc", b"ab"]),
        (b"ab", None, false, vec![b"ab", b"abc"]),
        (b"b", None, false, vec![b"b", b"b\0", b"ba"]),
        (
            b"\xff",
            None,
            false,
            vec![b"\xff", b"\xff\xff", b"\xff\xff\x01"],
        ),
        (b"\xff\xff", None, true, vec![b"\xff\xff\x01", b"\xff\xff"]),
        (b"d", None, false, vec![]),
    ];
    for (prefix, limit, reverse, expected) in cases {
        let found = store.scan_prefix(T, prefix, limit, reverse).unwrap();
        assert_eq!(keys(&found), expected, "prefix {prefix:?}");
    }
    assert_eq!(
        store.scan_prefix(T, b"", None, false).unwrap().len(),
        KEYS.len() + 2
    );
    // Composite keys: a bucket's prefix finds its objects and no other bucket's.
    fill(
        store,
        "s3.keys",
        &[
            &key::join(["b", "x"]),
            &key::join(["b\0", "y"]),
            &key::join(["bb", "z"]),
        ],
    );
    let bucket = store
        .scan_prefix("s3.keys", &key::join(["b"]), None, false)
        .unwrap();
    assert_eq!(keys(&bucket), [key::join(["b", "x"])]);
}

fn empty_and_inverted_ranges_select_nothing(store: &dyn KvStore) {
    fill(store, T, &KEYS);
    let ranges = [
        KeyRange::between(b"b", b"a"),
        KeyRange::between(b"b", b"b"),
        KeyRange::new(Included(b"c"), Included(b"b")),
        KeyRange::new(Excluded(b"b"), Excluded(b"b")),
        KeyRange::new(Excluded(b"b"), Included(b"b")),
        KeyRange::new(Excluded(b"b"), Excluded(b"b\0")),
    ];
    for range in ranges {
        assert!(range.is_empty(), "{range:?}");
        for reverse in [false, true] {
            assert_eq!(
                store.scan(T, &range, None, reverse).unwrap(),
                [],
                "{range:?}"
            );
            let in_txn = store
                .transaction(|txn| {
                    txn.put(T, b"b", b"new")?;
                    txn.scan(T, &range, None, reverse)
                })
                .unwrap();
            assert_eq!(in_txn, [], "in a transaction: {range:?}");
        }
    }
    assert!(!KeyRange::new(Included(b"b"), Included(b"b")).is_empty());
    assert!(!KeyRange::new(Excluded(b"b"), Excluded(b"b\0\0")).is_empty());
}

fn missing_tables_read_as_empty(store: &dyn KvStore) {
    assert_eq!(store.get("nope", b"k").unwrap(), None);
    assert_eq!(
        store.scan("nope", &KeyRange::all(), None, false).unwrap(),
        []
    );
    assert_eq!(store.scan_prefix("nope", b"", None, true).unwrap(), []);
    assert!(!store.delete("nope", b"k").unwrap());
    assert_eq!(store.tables().unwrap(), Vec::<String>::new());
}

fn transaction_commits_every_table_at_once(store: &dyn KvStore) {
    store.put("s3.buckets", b"old", b"1").unwrap();
    store
        .transact(&mut |txn| {
            txn.put("s3.buckets", b"photos", b"bucket")?;
            txn.put("s3.objects", b"photos/cat", b"object")?;
            txn.delete("s3.buckets", b"old")?;
            Ok(())
        })
        .unwrap();
    assert_eq!(
        store.get("s3.buckets", b"photos").unwrap().as_deref(),
        Some(&b"bucket"[..])
    );
    assert_eq!(
        store.get("s3.objects", b"photos/cat").unwrap().as_deref(),
        Some(&b"object"[..])
    );
    assert_eq!(store.get("s3.buckets", b"old").unwrap(), None);
}

fn transaction_reads_its_own_writes(store: &dyn KvStore) {
    fill(store, T, &[b"a", b"b", b"c", b"d"]);
    store
        .transact(&mut |txn| {
            txn.put(T, b"b", b"changed")?;
            txn.put(T, b"bb", b"new")?;
            assert!(txn.delete(T, b"c")?);
            assert!(!txn.delete(T, b"c")?);
            txn.put(T, b"e", b"new")?;
            txn.delete(T, b"e")?;
            assert_eq!(txn.get(T, b"b")?.as_deref(), Some(&b"changed"[..]));
            assert_eq!(txn.get(T, b"c")?, None);
            assert_eq!(txn.get(T, b"e")?, None);
            let all = txn.scan(T, &KeyRange::all(), None, false)?;
            assert_eq!(keys(&all), [&b"a"[..], b"b", b"bb", b"d"]);
            assert_eq!(all[1].1, b"changed");
            let back = txn.scan(T, &KeyRange::all(), Some(3), true)?;
            assert_eq!(keys(&back), [&b"d"[..], b"bb", b"b"]);
            let page = txn.scan(T, &KeyRange::all().after(b"a"), Some(2), false)?;
            assert_eq!(keys(&page), [&b"b"[..], b"bb"]);
            assert_eq!(
                keys(&txn.scan_prefix(T, b"b", None, false)?),
                [&b"b"[..], b"bb"]
            );
            Ok(())
        })
        .unwrap();
    let all = store.scan(T, &KeyRange::all(), None, false).unwrap();
    assert_eq!(keys(&all), [&b"a"[..], b"b", b"bb", b"d"]);
}

fn failed_transaction_writes_nothing(store: &dyn KvStore) {
    fill(store, T, &[b"a", b"b"]);
    let before = snapshot(store);
    let result = store.transact(&mut |txn| {
        txn.put(T, b"a", b"overwritten")?;
        txn.delete(T, b"b")?;
        txn.put("s3.other", b"x", b"new table")?;
        Err(StoreError::Aborted("precondition failed".into()))
    });
    assert!(matches!(result, Err(StoreError::Aborted(m)) if m == "precondition failed"));
    assert_eq!(snapshot(store), before);
    assert_eq!(store.tables().unwrap(), [T]);
}

fn transaction_aborted_half_way_leaves_nothing(store: &dyn KvStore) {
    let before = snapshot(store);
    let mut steps = 0;
    let result = store.transact(&mut |txn| {
        for i in 0..100u32 {
            txn.put(T, &i.to_be_bytes(), b"v")?;
            txn.put("s3.index", &i.to_be_bytes(), b"v")?;
            steps += 1;
            if i == 50 {
                // An operation that fails half-way through, propagated with `?`.
                txn.put("", b"k", b"v")?;
            }
        }
        Ok(())
    });
    assert!(matches!(result, Err(StoreError::InvalidTable(_))));
    assert_eq!(steps, 51);
    assert_eq!(snapshot(store), before);
    assert_eq!(store.get(T, &0u32.to_be_bytes()).unwrap(), None);
}

fn panicking_transaction_writes_nothing(store: &dyn KvStore) {
    fill(store, T, &[b"a"]);
    let before = snapshot(store);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        store.transact(&mut |txn| {
            txn.put(T, b"a", b"changed")?;
            txn.put(T, b"b", b"new")?;
            panic!("a handler bug");
        })
    }));
    assert!(outcome.is_err());
    assert_eq!(snapshot(store), before);
    // The store is still usable: the next transaction is not blocked or poisoned.
    store.put(T, b"c", b"after").unwrap();
    assert_eq!(store.get(T, b"c").unwrap().as_deref(), Some(&b"after"[..]));
}

fn transaction_returns_a_value(store: &dyn KvStore) {
    store.put(T, b"n", b"41").unwrap();
    let next = store
        .transaction(|txn| {
            let n: u32 = String::from_utf8(txn.get(T, b"n")?.unwrap_or_default())
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::Corrupt("counter".into()))?;
            txn.put(T, b"n", (n + 1).to_string().as_bytes())?;
            Ok(n + 1)
        })
        .unwrap();
    assert_eq!(next, 42);
    assert_eq!(store.get(T, b"n").unwrap().as_deref(), Some(&b"42"[..]));
}

fn clear_wipes_every_table(store: &dyn KvStore) {
    fill(store, "a", &KEYS);
    fill(store, "b", &KEYS);
    store.clear().unwrap();
    assert_eq!(store.tables().unwrap(), Vec::<String>::new());
    assert_eq!(store.get("a", b"a").unwrap(), None);
    assert_eq!(store.scan("b", &KeyRange::all(), None, false).unwrap(), []);
    store.put("a", b"k", b"v").unwrap();
    assert_eq!(store.tables().unwrap(), ["a"]);
}

fn tables_lists_non_empty_tables(store: &dyn KvStore) {
    fill(store, "s3.objects", &[b"k"]);
    fill(store, "iam.users", &[b"k"]);
    fill(store, "kms.keys", &[b"k"]);
    assert_eq!(
        store.tables().unwrap(),
        ["iam.users", "kms.keys", "s3.objects"]
    );
    store.delete("kms.keys", b"k").unwrap();
    assert_eq!(store.tables().unwrap(), ["iam.users", "s3.objects"]);
    // A transaction that only reads a table does not make it appear.
    store
        .transaction(|txn| txn.get("dynamodb.tables", b"k"))
        .unwrap();
    assert_eq!(store.tables().unwrap(), ["iam.users", "s3.objects"]);
}

fn invalid_table_names_are_refused(store: &dyn KvStore) {
    assert!(matches!(
        store.put("", b"k", b"v"),
        Err(StoreError::InvalidTable(_))
    ));
    assert!(matches!(
        store.get("", b"k"),
        Err(StoreError::InvalidTable(_))
    ));
    let scan = store.scan("", &KeyRange::all(), None, false);
    assert!(matches!(scan, Err(StoreError::InvalidTable(_))));
}

fn concurrent_transactions_serialize(store: &dyn KvStore) {
    const THREADS: u32 = 4;
    const INCREMENTS: u32 = 20;
    store.put(T, b"counter", &0u32.to_be_bytes()).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..INCREMENTS {
                    store
                        .transact(&mut |txn| {
                            let bytes = txn.get(T, b"counter")?.unwrap_or_default();
                            let n = u32::from_be_bytes(bytes.try_into().unwrap_or_default());
                            txn.put(T, b"counter", &(n + 1).to_be_bytes())
                        })
                        .unwrap();
                }
            });
        }
    });
    let n = store.get(T, b"counter").unwrap().unwrap();
    assert_eq!(n, (THREADS * INCREMENTS).to_be_bytes());
}

fn readers_see_whole_transactions(store: &dyn KvStore) {
    const WRITES: u32 = 30;
    let write_pair = |i: u32| {
        store.transact(&mut |txn| {
            txn.put(T, b"left", &i.to_be_bytes())?;
            txn.put(T, b"right", &i.to_be_bytes())
        })
    };
    write_pair(0).unwrap();
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0;
            loop {
                let pair = store.scan(T, &KeyRange::all(), None, false).unwrap();
                assert_eq!(keys(&pair), [&b"left"[..], b"right"]);
                assert_eq!(pair[0].1, pair[1].1, "a reader saw half a transaction");
                reads += 1;
                if pair[0].1 == WRITES.to_be_bytes() {
                    return reads;
                }
            }
        });
        for i in 1..=WRITES {
            write_pair(i).unwrap();
        }
        assert!(reader.join().unwrap() >= 1);
    });
}

// Engine-specific behaviour.

#[test]
fn redb_reopen_keeps_data() {
    let dir = TestDir::new();
    {
        let store = RedbStore::open(dir.path()).unwrap();
        fill(&store, T, &KEYS);
        store.delete(T, b"ab").unwrap();
        assert_eq!(store.path(), dir.path().join("gureum.redb"));
    }
    let store = RedbStore::open(dir.path()).unwrap();
    let all = store.scan(T, &KeyRange::all(), None, false).unwrap();
    let mut expected = KEYS.to_vec();
    expected.retain(|k| *k != b"ab");
    assert_eq!(keys(&all), expected);
    assert_eq!(store.tables().unwrap(), [T]);
}

#[test]
fn redb_open_creates_the_data_dir() {
    let dir = TestDir::new();
    let nested = dir.path().join("a/b");
    let store = RedbStore::open(&nested).unwrap();
    store.put(T, b"k", b"v").unwrap();
    assert!(nested.join(RedbStore::FILE_NAME).is_file());
}

#[test]
fn redb_second_open_is_refused() {
    let dir = TestDir::new();
    let _first = RedbStore::open(dir.path()).unwrap();
    let second = RedbStore::open(dir.path());
    assert!(
        matches!(second, Err(StoreError::AlreadyOpen(_))),
        "{:?}",
        second.err()
    );
}

#[test]
fn redb_garbage_file_is_an_error_not_a_panic() {
    let dir = TestDir::new();
    std::fs::write(dir.path().join(RedbStore::FILE_NAME), vec![0xAB; 8192]).unwrap();
    assert!(RedbStore::open(dir.path()).is_err());
}

#[test]
fn key_range_contains_matches_scans() {
    let ranges = [
        KeyRange::all(),
        KeyRange::prefix(b"a"),
        KeyRange::prefix(b"\xff"),
        KeyRange::between(b"ab", b"b\0"),
        KeyRange::new(Excluded(b"ab"), Included(b"ba")),
        KeyRange::all().after(b"b").before(b"c"),
    ];
    let store = MemoryStore::new();
    fill(&store, T, &KEYS);
    for range in ranges {
        let expected: Vec<&[u8]> = KEYS.iter().copied().filter(|k| range.contains(k)).collect();
        assert_eq!(keys(&store.scan(T, &range, None, false).unwrap()), expected);
    }
}

/// Set in the child process of [`redb_acknowledged_write_survives_a_crash`].
const CRASH_DIR_VAR: &str = "GUREUM_STORE_CRASH_DIR";

/// In the child process only: commits a write, reports it, and dies without unwinding or
/// closing anything, like `kill -9`. Run normally it does nothing.
#[test]
fn redb_crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR_VAR) else {
        return;
    };
    let store = RedbStore::open(dir).unwrap();
    store.put(T, b"acknowledged", b"yes").unwrap();
    println!("committed");
    std::process::abort();
}

#[test]
fn redb_acknowledged_write_survives_a_crash() {
    let dir = TestDir::new();
    let stdout =
        crate::test_dir::run_crash_child("kv::tests::redb_crash_child", CRASH_DIR_VAR, dir.path());
    assert!(stdout.contains("committed"), "child output: {stdout}");
    let store = RedbStore::open(dir.path()).unwrap();
    assert_eq!(
        store.get(T, b"acknowledged").unwrap().as_deref(),
        Some(&b"yes"[..])
    );
}

#[test]
fn redb_a_cleared_store_stays_cleared_after_reopening() {
    let dir = TestDir::new();
    {
        let store = RedbStore::open(dir.path()).unwrap();
        store.put(T, b"before", b"x").unwrap();
        store.clear().unwrap();
        store.put(T, b"after", b"y").unwrap();
        assert_eq!(store.tables().unwrap(), [T]);
    }
    // The write-ahead log still holds both writes; only the one after the reset comes back.
    let store = RedbStore::open(dir.path()).unwrap();
    assert_eq!(store.get(T, b"before").unwrap(), None);
    assert_eq!(store.get(T, b"after").unwrap().as_deref(), Some(&b"y"[..]));
}

#[test]
fn redb_reopening_twice_replays_nothing_twice() {
    let dir = TestDir::new();
    {
        let store = RedbStore::open(dir.path()).unwrap();
        for i in 0..20u8 {
            store.put(T, &[i], &[i]).unwrap();
        }
        store.delete(T, &[3]).unwrap();
    }
    for _ in 0..2 {
        let store = RedbStore::open(dir.path()).unwrap();
        let all = store.scan(T, &KeyRange::all(), None, false).unwrap();
        assert_eq!(all.len(), 19);
        assert!(all.iter().all(|(k, v)| k == v && k[0] != 3));
    }
}
