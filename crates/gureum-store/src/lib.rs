//! gureum's storage: an ordered, transactional key-value store for records and a blob store for
//! large payloads, each with a durable engine and an in-memory one for `--ephemeral`.
//!
//! Service crates see only the traits [`KvStore`] / [`Txn`] and [`BlobStore`]; no signature here
//! names redb. Stored records carry a format version ([`Versioned`]) so they can migrate, and
//! [`key`] builds composite keys whose byte order is tuple order.
//!
//! Writing a blob and the record that points to it are two steps: write the blob first and delete
//! it last, so a crash in between leaves an unreferenced blob rather than a dangling record.
//! Durable writes share their syncs through the group commit ([`GroupCommit`]): a request
//! runs its handler inside [`defer_durability`] and awaits the returned [`DurableWait`] before
//! it answers.

mod blob;
mod error;
mod group;
pub mod key;
mod kv;
mod record;
mod seal;
#[cfg(test)]
mod test_dir;

use std::path::Path;
use std::sync::Arc;

pub use blob::{BlobReader, BlobStore, BlobWriter, FsBlobStore, MemoryBlobStore, check_blob_id};
pub use error::{Result, StoreError};
pub use group::{DurableWait, GroupCommit, defer_durability, defer_durability_after};
pub use kv::{Entry, KeyRange, KvStore, KvStoreExt, MemoryStore, RedbStore, Txn};
pub use record::{
    Versioned, decode_cached, decode_record, encode_record, no_migration, record_version,
};
pub use seal::Sealer;

/// Both stores of one gureum instance, as the binary wires them into the services.
#[derive(Clone)]
pub struct Storage {
    pub kv: Arc<dyn KvStore>,
    pub blobs: Arc<dyn BlobStore>,
    /// Encrypts secrets at rest under the instance's master key.
    pub sealer: Arc<Sealer>,
}

impl Storage {
    /// The durable stores under `data_dir`: `gureum.redb` and `blobs/`.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        let data_dir = data_dir.as_ref();
        let kv = RedbStore::open(data_dir)?;
        let group = kv.group_commit();
        let kv: Arc<dyn KvStore> = Arc::new(kv);
        let blobs = FsBlobStore::open(data_dir)?
            .with_group_commit(group)
            .with_inline(Arc::clone(&kv));
        Ok(Self {
            kv,
            blobs: Arc::new(blobs),
            sealer: Arc::new(Sealer::open(data_dir)?),
        })
    }

    /// Stores that keep nothing (`--ephemeral`).
    pub fn ephemeral() -> Self {
        Self {
            kv: Arc::new(MemoryStore::new()),
            blobs: Arc::new(MemoryBlobStore::new()),
            sealer: Arc::new(Sealer::ephemeral()),
        }
    }

    /// Wipes every record and every blob (the admin reset). Records go first, so no record is
    /// ever left pointing at a deleted blob.
    pub fn clear(&self) -> Result<()> {
        self.kv.clear()?;
        self.blobs.clear()
    }
}
