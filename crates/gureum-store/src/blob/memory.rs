//! The in-memory blob engine for `--ephemeral` and tests.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Result;
use crate::blob::{BlobReader, BlobStore, BlobWriter, check_blob_id};

type Blobs = HashMap<String, Arc<[u8]>>;

/// A [`BlobStore`] that keeps blobs in memory and loses them on exit.
#[derive(Default)]
pub struct MemoryBlobStore {
    blobs: Arc<RwLock<Blobs>>,
}

impl MemoryBlobStore {
    pub fn new() -> Self {
        Self::default()
    }
}

// The map is changed only by single insert/remove/clear calls, so a poisoned lock still guards
// a whole map.
fn read(blobs: &RwLock<Blobs>) -> RwLockReadGuard<'_, Blobs> {
    blobs.read().unwrap_or_else(|e| e.into_inner())
}

fn write(blobs: &RwLock<Blobs>) -> RwLockWriteGuard<'_, Blobs> {
    blobs.write().unwrap_or_else(|e| e.into_inner())
}

impl BlobStore for MemoryBlobStore {
    fn put(&self, id: &str, data: &[u8]) -> Result<()> {
        check_blob_id(id)?;
        write(&self.blobs).insert(id.to_string(), data.into());
        Ok(())
    }

    fn writer(&self, id: &str) -> Result<Box<dyn BlobWriter>> {
        check_blob_id(id)?;
        Ok(Box::new(MemoryBlobWriter {
            blobs: Arc::clone(&self.blobs),
            id: id.to_string(),
            data: Vec::new(),
        }))
    }

    fn get(&self, id: &str) -> Result<Option<Vec<u8>>> {
        check_blob_id(id)?;
        Ok(read(&self.blobs).get(id).map(|b| b.to_vec()))
    }

    fn open(&self, id: &str) -> Result<Option<BlobReader>> {
        check_blob_id(id)?;
        let blob = read(&self.blobs).get(id).cloned();
        Ok(blob.map(|b| BlobReader::new(b.len() as u64, Cursor::new(b))))
    }

    fn delete(&self, id: &str) -> Result<bool> {
        check_blob_id(id)?;
        Ok(write(&self.blobs).remove(id).is_some())
    }

    fn clear(&self) -> Result<()> {
        write(&self.blobs).clear();
        Ok(())
    }
}

struct MemoryBlobWriter {
    blobs: Arc<RwLock<Blobs>>,
    id: String,
    data: Vec<u8>,
}

impl BlobWriter for MemoryBlobWriter {
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<()> {
        self.data.extend_from_slice(chunk);
        Ok(())
    }

    fn written(&self) -> u64 {
        self.data.len() as u64
    }

    fn commit(self: Box<Self>) -> Result<u64> {
        let len = self.data.len() as u64;
        write(&self.blobs).insert(self.id, self.data.into());
        Ok(len)
    }
}
