//! Request and response bodies too large to hold in memory: a request body read chunk by chunk
//! as it arrives ([`BodyStream`]), and a response body read from a file as it is sent
//! ([`OutputStream`]).

use std::fmt;
use std::future::poll_fn;
use std::io::Read;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::AwsError;

/// Where a request body's chunks come from: the connection, through any decoding and
/// verification the pipeline puts in between. A source answers `None` at the end of the body,
/// and an error (never a panic) when the body is cut short, malformed or fails a check; once it
/// has answered either, it is not polled again.
pub trait ChunkSource: Send {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>>;
}

/// A request body that arrives chunk by chunk (S3 object uploads). A consumer reads it to its
/// end: only then have the signature, length and checksum checks on the whole body run.
pub struct BodyStream {
    source: Box<dyn ChunkSource>,
    /// The length the request declared for the (decoded) body, if it did.
    pub declared_len: Option<u64>,
}

impl BodyStream {
    pub fn new(source: Box<dyn ChunkSource>, declared_len: Option<u64>) -> Self {
        BodyStream {
            source,
            declared_len,
        }
    }

    /// The next chunk; `None` once the whole body was read and passed its checks.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, AwsError>> {
        poll_fn(|cx| self.source.poll_chunk(cx)).await
    }

    /// The source, to wrap it in another (a decoder).
    pub fn into_source(self) -> Box<dyn ChunkSource> {
        self.source
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes with `too_large`.
    pub async fn collect(mut self, limit: u64, too_large: AwsError) -> Result<Bytes, AwsError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            let chunk = chunk?;
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(too_large);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream")
            .field("declared_len", &self.declared_len)
            .finish_non_exhaustive()
    }
}

/// A response body of `len` bytes read from `reader` as it is sent.
pub struct OutputStream {
    pub reader: Box<dyn Read + Send>,
    pub len: u64,
}

impl fmt::Debug for OutputStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputStream")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}
