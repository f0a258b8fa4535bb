//! The store's one error type, shared by the key-value and blob stores and both engines.

/// Everything that can go wrong in `gureum-store`. Engine-specific errors are flattened into
/// [`StoreError::Engine`] so that no caller names an engine.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O error from the file system under the data directory.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// An error reported by the storage engine (redb), with its message.
    #[error("storage engine error: {0}")]
    Engine(String),
    /// The database file is already open, by another gureum process on the same data directory.
    #[error("database {0} is already open by another process")]
    AlreadyOpen(String),
    /// Stored bytes that cannot be decoded: a truncated record, bad JSON, a malformed key.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A record written by a newer gureum than this one.
    #[error("record version {found} is newer than the newest this build reads ({current})")]
    UnsupportedVersion { found: u16, current: u16 },
    /// A transaction lost a race or found state it did not expect; the caller may retry.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// A transaction was abandoned on purpose by its closure; nothing was written.
    #[error("transaction aborted: {0}")]
    Aborted(String),
    /// A record could not be encoded (a type serde_json refuses, such as a map with non-string keys).
    #[error("cannot encode record: {0}")]
    Encode(String),
    /// A table name that is empty or otherwise unusable.
    #[error("invalid table name {0:?}")]
    InvalidTable(String),
    /// A blob id that is empty, too long, or has characters outside `[A-Za-z0-9._-]`.
    #[error("invalid blob id {0:?}")]
    InvalidBlobId(String),
}

/// The result type of every fallible operation in this crate.
pub type Result<T> = std::result::Result<T, StoreError>;
