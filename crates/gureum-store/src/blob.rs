//! The blob store for large payloads (S3 object bodies, Lambda code): whole values written once,
//! read whole or by range, addressed by an opaque id that the key-value store records.

use std::io::{self, Read, Seek, SeekFrom};

use crate::{Result, StoreError};

mod fs;
mod memory;
#[cfg(test)]
mod tests;

pub use fs::FsBlobStore;
pub use memory::MemoryBlobStore;

/// The longest blob id, in bytes.
const MAX_ID_LEN: usize = 200;

/// Large immutable payloads by id. A blob is either wholly present or absent: a write becomes
/// visible only when it completes, and replaces any blob of the same id at once.
pub trait BlobStore: Send + Sync {
    /// Stores `data` as blob `id`, durably, replacing any blob of that id.
    fn put(&self, id: &str, data: &[u8]) -> Result<()> {
        let mut writer = self.writer(id)?;
        writer.write_chunk(data)?;
        writer.commit().map(drop)
    }

    /// Starts writing blob `id` chunk by chunk. Nothing is visible until
    /// [`BlobWriter::commit`]; dropping the writer uncommitted discards what it wrote.
    fn writer(&self, id: &str) -> Result<Box<dyn BlobWriter>>;

    /// Like [`BlobStore::writer`], for a blob the engine may keep beside the records when it
    /// turns out small: the durable engine then saves a file, its sync and its directory entry.
    fn writer_inline(&self, id: &str) -> Result<Box<dyn BlobWriter>> {
        self.writer(id)
    }

    /// The whole of blob `id`.
    fn get(&self, id: &str) -> Result<Option<Vec<u8>>>;

    /// A reader over blob `id`, for streaming and ranged reads.
    fn open(&self, id: &str) -> Result<Option<BlobReader>>;

    /// Removes blob `id`; whether it was there.
    fn delete(&self, id: &str) -> Result<bool>;

    /// Removes every blob (the admin reset).
    fn clear(&self) -> Result<()>;
}

/// A blob being written. `Box<dyn BlobWriter>` is also an [`io::Write`], so `io::copy` fills it.
pub trait BlobWriter: Send {
    /// Appends `chunk` to the blob.
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<()>;

    /// Bytes written so far.
    fn written(&self) -> u64;

    /// Makes the blob durable and visible under its id; returns its length.
    fn commit(self: Box<Self>) -> Result<u64>;
}

impl io::Write for dyn BlobWriter + '_ {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_chunk(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

/// An open blob: its length and a seekable reader over its bytes.
pub struct BlobReader {
    len: u64,
    source: Box<dyn Source>,
}

impl BlobReader {
    /// A reader over `len` bytes of `source`, for engines outside this crate.
    pub fn new(len: u64, source: impl Read + Seek + Send + 'static) -> Self {
        Self {
            len,
            source: Box::new(source),
        }
    }

    /// The blob's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Up to `len` bytes from `offset`; fewer at the end of the blob, none past it.
    pub fn read_range(&mut self, offset: u64, len: u64) -> Result<Vec<u8>> {
        let len = len.min(self.len.saturating_sub(offset));
        if len == 0 {
            return Ok(Vec::new());
        }
        self.source.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        (&mut self.source).take(len).read_to_end(&mut out)?;
        Ok(out)
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read(buf)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.source.seek(pos)
    }
}

/// Accepts ids of 1 to 200 bytes from `[A-Za-z0-9._-]` that do not start with `.`, so an id is
/// always a plain file name: never a path, never `.` or `..`, never hidden.
pub fn check_blob_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::InvalidBlobId(id.to_string()))
    }
}
