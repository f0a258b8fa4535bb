//! The behaviour every [`BlobStore`] engine must have, checked against each engine in turn.

use std::io::{Read, Seek, SeekFrom};

use super::*;
use crate::test_dir::TestDir;

struct Engine {
    store: Box<dyn BlobStore>,
    _dir: Option<TestDir>,
}

fn memory() -> Engine {
    Engine {
        store: Box::new(MemoryBlobStore::new()),
        _dir: None,
    }
}

fn fs() -> Engine {
    let dir = TestDir::new();
    Engine {
        store: Box::new(FsBlobStore::open(dir.path()).expect("a fresh blob directory opens")),
        _dir: Some(dir),
    }
}

macro_rules! for_each_engine {
    ($($check:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $check() { super::$check(&*super::memory().store) } )*
        }
        mod fs {
            $( #[test] fn $check() { super::$check(&*super::fs().store) } )*
        }
    };
}

for_each_engine!(
    put_get_delete,
    open_reads_ranges,
    writer_commits_chunks,
    uncommitted_writer_leaves_nothing,
    clear_removes_every_blob,
    invalid_ids_are_refused_everywhere,
);

fn put_get_delete(store: &dyn BlobStore) {
    assert_eq!(store.get("obj-1").unwrap(), None);
    store.put("obj-1", b"hello").unwrap();
    assert_eq!(store.get("obj-1").unwrap().as_deref(), Some(&b"hello"[..]));
    store.put("obj-1", b"replaced").unwrap();
    assert_eq!(
        store.get("obj-1").unwrap().as_deref(),
        Some(&b"replaced"[..])
    );
    store.put("empty", b"").unwrap();
    assert_eq!(store.get("empty").unwrap(), Some(Vec::new()));
    assert!(store.delete("obj-1").unwrap());
    assert!(!store.delete("obj-1").unwrap());
    assert_eq!(store.get("obj-1").unwrap(), None);
    assert!(store.open("obj-1").unwrap().is_none());
    assert_eq!(store.get("empty").unwrap(), Some(Vec::new()));
}

fn open_reads_ranges(store: &dyn BlobStore) {
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    store.put("ranged", &data).unwrap();
    let mut blob = store.open("ranged").unwrap().unwrap();
    assert_eq!(blob.len(), 1000);
    assert!(!blob.is_empty());
    let cases: [(u64, u64, std::ops::Range<usize>); 6] = [
        (0, 10, 0..10),
        (990, 10, 990..1000),
        (990, 100, 990..1000),
        (500, 0, 500..500),
        (1000, 5, 0..0),
        (5000, 5, 0..0),
    ];
    for (offset, len, expected) in cases {
        assert_eq!(
            blob.read_range(offset, len).unwrap(),
            &data[expected],
            "{offset}+{len}"
        );
    }
    blob.seek(SeekFrom::Start(100)).unwrap();
    let mut rest = Vec::new();
    blob.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, &data[100..]);
    let empty = {
        store.put("zero", b"").unwrap();
        store.open("zero").unwrap().unwrap()
    };
    assert!(empty.is_empty());
}

fn writer_commits_chunks(store: &dyn BlobStore) {
    let mut writer = store.writer("chunked").unwrap();
    for chunk in [&b"one "[..], b"", b"two ", b"three"] {
        writer.write_chunk(chunk).unwrap();
    }
    assert_eq!(writer.written(), 13);
    // Not visible before commit.
    assert_eq!(store.get("chunked").unwrap(), None);
    assert_eq!(writer.commit().unwrap(), 13);
    assert_eq!(
        store.get("chunked").unwrap().as_deref(),
        Some(&b"one two three"[..])
    );
    // A writer is an io::Write, so a body can be copied in.
    let body = vec![42u8; 3 * 1024 * 1024 + 17];
    let mut writer = store.writer("copied").unwrap();
    std::io::copy(&mut body.as_slice(), &mut writer).unwrap();
    assert_eq!(writer.commit().unwrap(), body.len() as u64);
    assert_eq!(store.get("copied").unwrap(), Some(body));
}

fn uncommitted_writer_leaves_nothing(store: &dyn BlobStore) {
    store.put("kept", b"old").unwrap();
    let mut writer = store.writer("kept").unwrap();
    writer.write_chunk(b"new but abandoned").unwrap();
    drop(writer);
    assert_eq!(store.get("kept").unwrap().as_deref(), Some(&b"old"[..]));
    let mut writer = store.writer("never").unwrap();
    writer.write_chunk(b"abandoned").unwrap();
    drop(writer);
    assert_eq!(store.get("never").unwrap(), None);
}

fn clear_removes_every_blob(store: &dyn BlobStore) {
    for i in 0..20 {
        store.put(&format!("blob-{i}"), b"x").unwrap();
    }
    store.clear().unwrap();
    for i in 0..20 {
        assert_eq!(store.get(&format!("blob-{i}")).unwrap(), None);
    }
    store.put("after", b"y").unwrap();
    assert_eq!(store.get("after").unwrap().as_deref(), Some(&b"y"[..]));
}

const INVALID_IDS: [&str; 12] = [
    "",
    ".",
    "..",
    "../etc/passwd",
    "a/b",
    "/abs",
    "a\\b",
    ".hidden",
    "a\0b",
    "sp ace",
    "é",
    "a\nb",
];

fn invalid_ids_are_refused_everywhere(store: &dyn BlobStore) {
    let too_long = "x".repeat(201);
    for id in INVALID_IDS.iter().copied().chain([too_long.as_str()]) {
        let refused = |r: Result<()>| matches!(r, Err(StoreError::InvalidBlobId(_)));
        assert!(refused(store.put(id, b"x")), "put {id:?}");
        assert!(refused(store.writer(id).map(drop)), "writer {id:?}");
        assert!(refused(store.get(id).map(drop)), "get {id:?}");
        assert!(refused(store.open(id).map(drop)), "open {id:?}");
        assert!(refused(store.delete(id).map(drop)), "delete {id:?}");
    }
}

#[test]
fn id_validation_table() {
    let valid = [
        "a",
        "0",
        "obj-1",
        "a.b",
        "a..b",
        "A_Z-09.part",
        &"x".repeat(200),
    ];
    for id in valid {
        assert!(check_blob_id(id).is_ok(), "{id:?}");
    }
    for id in INVALID_IDS {
        assert!(check_blob_id(id).is_err(), "{id:?}");
    }
}

// File-system engine specifics.

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn fs_layout_fans_out_by_hash_and_leaves_no_temp_files() {
    let dir = TestDir::new();
    let store = FsBlobStore::open(dir.path()).unwrap();
    assert_eq!(store.root(), dir.path().join("blobs"));
    store.put("obj-1", b"hello").unwrap();
    let path = store.path("obj-1");
    assert_eq!(path.parent().unwrap().parent().unwrap(), store.root());
    let fan = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(fan.len(), 2);
    assert!(fan.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(std::fs::read(&path).unwrap(), b"hello");
    assert_eq!(files_under(store.root()), [path.display().to_string()]);
    // The layout is part of the on-disk format: the hash must never change.
    assert_eq!(fan, "a5");
    assert_eq!(super::fs::fan_out("a"), "82");
}

#[test]
fn fs_spreads_blobs_over_directories() {
    let dir = TestDir::new();
    let store = FsBlobStore::open(dir.path()).unwrap();
    let fans: std::collections::BTreeSet<_> = (0..200)
        .map(|i| {
            store
                .path(&format!("obj-{i}"))
                .parent()
                .unwrap()
                .to_path_buf()
        })
        .collect();
    assert!(fans.len() > 100, "only {} directories", fans.len());
}

#[test]
fn fs_reopen_keeps_blobs_and_drops_interrupted_writes() {
    let dir = TestDir::new();
    {
        let store = FsBlobStore::open(dir.path()).unwrap();
        store.put("kept", b"durable").unwrap();
        let mut writer = store.writer("interrupted").unwrap();
        writer.write_chunk(b"half").unwrap();
        // A crash: the writer never commits and never drops.
        std::mem::forget(writer);
        assert_eq!(files_under(&store.root().join(".tmp")).len(), 1);
    }
    let store = FsBlobStore::open(dir.path()).unwrap();
    assert_eq!(store.get("kept").unwrap().as_deref(), Some(&b"durable"[..]));
    assert_eq!(store.get("interrupted").unwrap(), None);
    assert_eq!(
        files_under(&store.root().join(".tmp")),
        Vec::<String>::new()
    );
}

#[test]
fn fs_clear_fails_writes_in_flight() {
    let dir = TestDir::new();
    let store = FsBlobStore::open(dir.path()).unwrap();
    let mut writer = store.writer("in-flight").unwrap();
    writer.write_chunk(b"data").unwrap();
    store.clear().unwrap();
    assert!(writer.commit().is_err());
    assert_eq!(store.get("in-flight").unwrap(), None);
    assert_eq!(files_under(store.root()), Vec::<String>::new());
}

#[test]
fn fs_concurrent_puts_of_one_id_leave_one_whole_blob() {
    let dir = TestDir::new();
    let store = FsBlobStore::open(dir.path()).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4u8 {
            let store = &store;
            scope.spawn(move || {
                for _ in 0..10 {
                    store.put("contended", &vec![t; 64 * 1024]).unwrap();
                }
            });
        }
    });
    let blob = store.get("contended").unwrap().unwrap();
    assert_eq!(blob.len(), 64 * 1024);
    assert!(blob.iter().all(|b| *b == blob[0]));
}

#[test]
fn fs_inline_keeps_small_blobs_beside_the_records() {
    let dir = TestDir::new();
    let storage = crate::Storage::open(dir.path()).unwrap();
    let blobs = &storage.blobs;
    let root = dir.path().join("blobs");
    let inline_put = |id: &str, data: &[u8]| {
        let mut w = blobs.writer_inline(id).unwrap();
        for chunk in data.chunks(1000) {
            w.write_chunk(chunk).unwrap();
        }
        assert_eq!(w.commit().unwrap(), data.len() as u64);
    };
    let small: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
    inline_put("small", &small);
    inline_put("empty", b"");
    assert_eq!(
        files_under(&root),
        Vec::<String>::new(),
        "no file for small blobs"
    );
    assert_eq!(blobs.get("small").unwrap().as_deref(), Some(&small[..]));
    assert_eq!(blobs.get("empty").unwrap(), Some(Vec::new()));
    let mut reader = blobs.open("small").unwrap().unwrap();
    assert_eq!(reader.len(), 4096);
    assert_eq!(reader.read_range(100, 3).unwrap(), [100, 101, 102]);

    // Past the limit the blob goes to a file, whole.
    let large = vec![7u8; super::fs::INLINE_MAX + 1];
    inline_put("large", &large);
    assert_eq!(files_under(&root).len(), 1);
    assert_eq!(blobs.get("large").unwrap().unwrap(), large);

    // Each kind replaces the other under one id.
    blobs.put("small", b"now a file").unwrap();
    assert_eq!(
        blobs.get("small").unwrap().as_deref(),
        Some(&b"now a file"[..])
    );
    inline_put("large", b"now inline");
    assert_eq!(
        blobs.get("large").unwrap().as_deref(),
        Some(&b"now inline"[..])
    );
    assert_eq!(files_under(&root).len(), 1, "the file of `large` is gone");

    // Deletes find either; an uncommitted inline writer leaves nothing.
    assert!(blobs.delete("large").unwrap());
    assert!(!blobs.delete("large").unwrap());
    assert!(blobs.delete("small").unwrap());
    drop(blobs.writer_inline("dropped").unwrap());
    assert_eq!(blobs.get("dropped").unwrap(), None);
    assert_eq!(files_under(&root), Vec::<String>::new());
    drop(storage);

    // Inline blobs are durable like records.
    let storage = crate::Storage::open(dir.path()).unwrap();
    assert_eq!(storage.blobs.get("empty").unwrap(), Some(Vec::new()));
    storage.clear().unwrap();
    assert_eq!(storage.blobs.get("empty").unwrap(), None);
}
