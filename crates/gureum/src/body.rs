//! Bodies that stream: large uploads read from the connection as they arrive (and checked by
//! the payload decoder on the way), and large downloads read from a file as they are sent.

use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use gureum_auth::{ErrorFlavor, PayloadDecoder};
use gureum_core::{AwsError, ChunkSource, OutputStream};
use http_body_util::Full;
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// Uploads larger than this stream instead of being collected (only for operations that take
/// a stream; others collect up to `--max-body-bytes`).
pub const STREAM_ABOVE: u64 = 1024 * 1024;

/// The most raw bytes a streamed upload may send: S3's 5 GiB object limit plus room for
/// aws-chunked framing. The service checks the decoded size against its own limit.
const MAX_STREAMED: u64 = 5 * 1024 * 1024 * 1024 + 64 * 1024 * 1024;

/// Response chunks read from a file at a time.
const READ_CHUNK: usize = 256 * 1024;

/// Whether a request's body should stream: a PUT (object uploads and parts) that is large or of
/// unknown length, to a path of the API (not the admin endpoints).
pub fn should_stream(parts: &http::request::Parts) -> bool {
    if parts.method != http::Method::PUT || parts.uri.path().starts_with("/_") {
        return false;
    }
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    declared.is_none_or(|n| n > STREAM_ABOVE)
}

/// The raw body as it comes off the connection.
pub struct IncomingSource {
    body: Incoming,
    read: u64,
}

impl IncomingSource {
    pub fn new(body: Incoming) -> Self {
        IncomingSource { body, read: 0 }
    }
}

impl ChunkSource for IncomingSource {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>> {
        loop {
            let frame = match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => {
                    tracing::debug!(error = %e, "reading a streamed body failed");
                    return Poll::Ready(Some(Err(AwsError::new(
                        "IncompleteBody",
                        400,
                        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                    ))));
                }
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            // HTTP trailers (not aws-chunked ones, which are body bytes) carry nothing we read.
            let Ok(data) = frame.into_data() else {
                continue;
            };
            self.read += data.len() as u64;
            if self.read > MAX_STREAMED {
                return Poll::Ready(Some(Err(AwsError::new(
                    "EntityTooLarge",
                    400,
                    "Your proposed upload exceeds the maximum allowed size",
                ))));
            }
            return Poll::Ready(Some(Ok(data)));
        }
    }
}

/// A raw body passed through the signature's payload checks (aws-chunked decoding, chunk
/// signatures, trailer checksums, the declared SHA-256), which end the stream with an error
/// rather than its last chunk when they fail.
pub struct Decoding {
    inner: Box<dyn ChunkSource>,
    decoder: Option<PayloadDecoder>,
}

impl Decoding {
    pub fn new(inner: Box<dyn ChunkSource>, decoder: PayloadDecoder) -> Self {
        Decoding {
            inner,
            decoder: Some(decoder),
        }
    }
}

impl ChunkSource for Decoding {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Poll::Ready(None);
            };
            match self.inner.poll_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    self.decoder = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(raw))) => match decoder.push_bytes(raw) {
                    Ok(decoded) if decoded.is_empty() => continue,
                    Ok(decoded) => return Poll::Ready(Some(Ok(decoded))),
                    Err(e) => {
                        self.decoder = None;
                        return Poll::Ready(Some(Err(e.to_aws(ErrorFlavor::S3))));
                    }
                },
                Poll::Ready(None) => {
                    let decoder = self.decoder.take().expect("checked above");
                    return match decoder.finish() {
                        Ok(_) => Poll::Ready(None),
                        Err(e) => Poll::Ready(Some(Err(e.to_aws(ErrorFlavor::S3)))),
                    };
                }
            }
        }
    }
}

/// A response body: bytes in memory, or a file read as it is sent.
pub enum ResponseBody {
    Full(Full<Bytes>),
    File {
        reader: Box<dyn Read + Send>,
        left: u64,
    },
}

impl ResponseBody {
    pub fn new(body: Bytes, stream: Option<OutputStream>) -> Self {
        match stream {
            Some(s) => ResponseBody::File {
                reader: s.reader,
                left: s.len,
            },
            None => ResponseBody::Full(Full::new(body)),
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(full) => Pin::new(full)
                .poll_frame(cx)
                .map_err(|never| match never {}),
            ResponseBody::File { reader, left } => {
                if *left == 0 {
                    return Poll::Ready(None);
                }
                // Reads from the page cache or the disk on this thread: a chunk at a time, so a
                // download holds one chunk, never the object.
                let want = usize::try_from(*left).unwrap_or(READ_CHUNK).min(READ_CHUNK);
                let mut buf = vec![0u8; want];
                let mut filled = 0;
                while filled < want {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Poll::Ready(Some(Err(e))),
                    }
                }
                if filled == 0 {
                    // The file is shorter than its record said: end the response short rather
                    // than hang; the client sees fewer bytes than Content-Length.
                    return Poll::Ready(Some(Err(std::io::Error::other("object body truncated"))));
                }
                buf.truncate(filled);
                *left -= filled as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(full) => full.is_end_stream(),
            ResponseBody::File { left, .. } => *left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(full) => full.size_hint(),
            ResponseBody::File { left, .. } => SizeHint::with_exact(*left),
        }
    }
}
