//! The durable blob engine: one file per blob under `<data-dir>/blobs/<xx>/<id>`, where `xx` is
//! the first byte of a hash of the id, written to a temp file, fsynced and renamed into place.
//!
//! Small blobs written through [`BlobStore::writer_inline`] are kept in the key-value store
//! instead (table `blobs.inline`), when one is wired ([`FsBlobStore::with_inline`]): a 4 KiB S3
//! object then costs no file, no file sync and no directory sync, and its bytes become durable
//! in the same batch commit as the record that points at them. Reads and deletes look in both
//! places.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Result;
use crate::blob::{BlobReader, BlobStore, BlobWriter, check_blob_id};
use crate::group::{self, Doomed, GroupCommit};
use crate::kv::KvStore;

/// Holds blobs being written; not a fan-out directory, since those are two hex digits.
const TEMP_DIR: &str = ".tmp";
const WRITE_BUFFER: usize = 256 * 1024;
/// The key-value table of inline blobs: blob id -> bytes.
pub(crate) const INLINE_TABLE: &str = "blobs.inline";
/// The largest blob kept inline, in bytes: a 4 KiB object with its encryption header and tag
/// fits, a full 64 KiB encrypted segment does not.
pub const INLINE_MAX: usize = 16 * 1024;

/// A [`BlobStore`] of files in a directory.
pub struct FsBlobStore {
    root: PathBuf,
    next_temp: AtomicU64,
    /// Where writes inside [`crate::defer_durability`] leave their syncs, if wired.
    group: Option<Arc<GroupCommit>>,
    /// Where small blobs are kept, if wired.
    inline: Option<Arc<dyn KvStore>>,
}

impl FsBlobStore {
    /// Opens `<data_dir>/blobs`, creating it if missing. Writes a crash interrupted are removed,
    /// so open it only while holding the data directory (after the key-value store's lock).
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_dir(data_dir.as_ref().join("blobs"))
    }

    /// Opens a blob directory at `root` itself.
    pub fn open_dir(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let temp = root.join(TEMP_DIR);
        match fs::remove_dir_all(&temp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        fs::create_dir_all(&temp)?;
        tracing::debug!(path = %root.display(), "opened blob store");
        Ok(Self {
            root,
            next_temp: AtomicU64::new(0),
            group: None,
            inline: None,
        })
    }

    /// This store with blobs of at most [`INLINE_MAX`] bytes written through
    /// [`BlobStore::writer_inline`] kept in `kv` (the key-value store of the same data
    /// directory, so they share its commits and syncs).
    pub fn with_inline(mut self, kv: Arc<dyn KvStore>) -> Self {
        self.inline = Some(kv);
        self
    }

    /// This store with its syncs shared through `group` (the key-value store's), for writes
    /// made inside [`crate::defer_durability`]; other writes still sync on their own.
    pub fn with_group_commit(mut self, group: Arc<GroupCommit>) -> Self {
        self.group = Some(group);
        self
    }

    /// The group commit, when the current thread defers durability to it.
    fn deferring_to(&self) -> Option<&Arc<GroupCommit>> {
        self.group.as_ref().filter(|_| group::deferring())
    }

    /// The blob directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where blob `id` lives; `id` must have passed [`check_blob_id`].
    pub(crate) fn path(&self, id: &str) -> PathBuf {
        self.root.join(fan_out(id)).join(id)
    }

    fn temp_path(&self) -> PathBuf {
        let n = self.next_temp.fetch_add(1, Ordering::Relaxed);
        self.root
            .join(TEMP_DIR)
            .join(format!("{}-{n}", std::process::id()))
    }
}

/// The fan-out directory of `id`: the top byte, in hex, of its 64-bit FNV-1a hash passed through
/// MurmurHash3's finalizer (FNV alone leaves the top bits of similar ids alike). Both are fixed
/// forever, unlike std's hasher, as the on-disk layout needs.
pub(super) fn fan_out(id: &str) -> String {
    let mut h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    format!("{:02x}", h >> 56)
}

/// Flushes a directory's entries (a rename, a new or removed file) to disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn absent_as_none<T>(result: io::Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl FsBlobStore {
    fn new_writer(&self, id: &str, inline: Option<Arc<dyn KvStore>>) -> Result<FsBlobWriter> {
        check_blob_id(id)?;
        let mut writer = FsBlobWriter {
            id: id.to_string(),
            file: None,
            small: Vec::new(),
            may_inline: inline.is_some(),
            kv: self.inline.clone(),
            temp: self.temp_path(),
            target: self.path(id),
            root: self.root.clone(),
            written: 0,
            group: self.deferring_to().cloned(),
        };
        if !writer.may_inline {
            writer.spill()?;
        }
        Ok(writer)
    }

    /// The inline blob `id`, if there is one.
    fn inline_blob(&self, id: &str) -> Result<Option<Vec<u8>>> {
        match &self.inline {
            Some(kv) => kv.get(INLINE_TABLE, id.as_bytes()),
            None => Ok(None),
        }
    }
}

impl BlobStore for FsBlobStore {
    fn writer(&self, id: &str) -> Result<Box<dyn BlobWriter>> {
        Ok(Box::new(self.new_writer(id, None)?))
    }

    fn writer_inline(&self, id: &str) -> Result<Box<dyn BlobWriter>> {
        Ok(Box::new(self.new_writer(id, self.inline.clone())?))
    }

    fn get(&self, id: &str) -> Result<Option<Vec<u8>>> {
        check_blob_id(id)?;
        if let Some(bytes) = self.inline_blob(id)? {
            return Ok(Some(bytes));
        }
        absent_as_none(fs::read(self.path(id)))
    }

    fn open(&self, id: &str) -> Result<Option<BlobReader>> {
        check_blob_id(id)?;
        if let Some(bytes) = self.inline_blob(id)? {
            return Ok(Some(BlobReader::new(
                bytes.len() as u64,
                io::Cursor::new(bytes),
            )));
        }
        let Some(file) = absent_as_none(File::open(self.path(id)))? else {
            return Ok(None);
        };
        let len = file.metadata()?.len();
        Ok(Some(BlobReader::new(len, file)))
    }

    fn delete(&self, id: &str) -> Result<bool> {
        check_blob_id(id)?;
        let inline = match &self.inline {
            Some(kv) => kv.delete(INLINE_TABLE, id.as_bytes())?,
            None => false,
        };
        Ok(self.delete_file(id)? || inline)
    }

    fn clear(&self) -> Result<()> {
        if let Some(kv) = &self.inline {
            let ids = kv.scan(INLINE_TABLE, &crate::KeyRange::all(), None, false)?;
            kv.transact(&mut |txn| {
                for (id, _) in &ids {
                    txn.delete(INLINE_TABLE, id)?;
                }
                Ok(())
            })?;
        }
        self.clear_files()
    }
}

impl FsBlobStore {
    /// Removes the file of blob `id`; whether there was one.
    fn delete_file(&self, id: &str) -> Result<bool> {
        let path = self.path(id);
        if let Some(group) = self.deferring_to() {
            // The record that pointed here may come back after a crash until its removal is
            // durable: the file goes only then.
            return match Doomed::at(path)? {
                Some(doomed) => {
                    group.delete_later(doomed);
                    Ok(true)
                }
                None => Ok(false),
            };
        }
        if absent_as_none(fs::remove_file(&path))?.is_none() {
            return Ok(false);
        }
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(true)
    }

    fn clear_files(&self) -> Result<()> {
        // Writes in flight lose their temp files too: their commits fail rather than
        // resurrecting a blob after the reset.
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
        }
        fs::create_dir_all(self.root.join(TEMP_DIR))?;
        sync_dir(&self.root)?;
        tracing::info!(path = %self.root.display(), "cleared every blob");
        Ok(())
    }
}

struct FsBlobWriter {
    id: String,
    /// The temp file, once the blob is written to a file; `None` once committed.
    file: Option<BufWriter<File>>,
    /// The bytes so far while the blob may still be kept inline.
    small: Vec<u8>,
    /// Whether the blob still goes inline if it stays small.
    may_inline: bool,
    /// The store's inline blobs, if it keeps any.
    kv: Option<Arc<dyn KvStore>>,
    temp: PathBuf,
    target: PathBuf,
    root: PathBuf,
    written: u64,
    /// Set when the sync is left to the group commit.
    group: Option<Arc<GroupCommit>>,
}

impl FsBlobWriter {
    /// Moves the blob to its temp file (it is, or may become, too large to keep inline).
    fn spill(&mut self) -> Result<()> {
        let mut file = BufWriter::with_capacity(WRITE_BUFFER, File::create(&self.temp)?);
        file.write_all(&self.small)?;
        self.small = Vec::new();
        self.may_inline = false;
        self.file = Some(file);
        Ok(())
    }

    /// Commits the blob inline, replacing any file of the same id.
    fn commit_inline(&mut self) -> Result<u64> {
        let kv = self
            .kv
            .as_ref()
            .ok_or_else(|| io::Error::other("no store for inline blobs"))?;
        kv.put(INLINE_TABLE, self.id.as_bytes(), &self.small)?;
        if let Some(doomed) = Doomed::at(self.target.clone())? {
            match &self.group {
                Some(group) => group.delete_later(doomed),
                None => {
                    let _ = fs::remove_file(&doomed.path);
                }
            }
        }
        Ok(self.written)
    }
}

impl BlobWriter for FsBlobWriter {
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<()> {
        if self.may_inline {
            if self.small.len() + chunk.len() <= INLINE_MAX {
                self.small.extend_from_slice(chunk);
                self.written += chunk.len() as u64;
                return Ok(());
            }
            self.spill()?;
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("blob writer already committed"))?;
        file.write_all(chunk)?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn commit(mut self: Box<Self>) -> Result<u64> {
        if self.may_inline {
            self.may_inline = false;
            return self.commit_inline();
        }
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("blob writer already committed"))?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        if self.group.is_none() {
            file.sync_all()?;
        }
        let dir = self
            .target
            .parent()
            .ok_or_else(|| io::Error::other("blob path has no directory"))?;
        let new_dir = !dir.exists();
        if new_dir {
            fs::create_dir_all(dir)?;
        }
        fs::rename(&self.temp, &self.target)?;
        // A blob of the same id kept inline is replaced too.
        if let Some(kv) = &self.kv {
            kv.delete(INLINE_TABLE, self.id.as_bytes())?;
        }
        if let Some(group) = &self.group {
            // The group's sync flushes the data, the rename and any new directory before the
            // record that points here becomes durable.
            let dirs: &[&Path] = if new_dir { &[dir, &self.root] } else { &[dir] };
            group.blob_written(file, dirs);
            return Ok(self.written);
        }
        drop(file);
        sync_dir(dir)?;
        if new_dir {
            sync_dir(&self.root)?;
        }
        Ok(self.written)
    }
}

impl Drop for FsBlobWriter {
    fn drop(&mut self) {
        // Uncommitted, or a commit that failed before its rename: the temp file is garbage.
        // After a rename the temp path no longer exists and this is a no-op.
        let _ = fs::remove_file(&self.temp);
    }
}
