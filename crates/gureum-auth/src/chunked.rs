//! Request payloads checked as they arrive: aws-chunked bodies (`size;chunk-signature=sig\r\n
//! data\r\n` chunks, signed with each signature chaining the previous one, or `size\r\ndata\r\n`
//! unsigned), their final zero chunk and trailing headers (checksums, the trailer signature),
//! and plain bodies whose SHA-256 the signature declared. [`PayloadDecoder`] takes the raw bytes
//! in any split and yields the decoded content; [`PayloadDecoder::finish`] runs the checks that
//! need the whole body (declared length, trailer signature and checksums, payload hash).

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::checksum::Checksummer;
use crate::{AuthError, EMPTY_SHA256, hmac, sha256_hex};

/// The longest chunk header line and the most trailer bytes accepted.
const MAX_HEADER_LINE: usize = 4096;
const MAX_TRAILERS: usize = 16 * 1024;

/// What a signed stream's chunk signatures chain from.
#[derive(Clone, Debug)]
pub(crate) struct Seed {
    pub key: Vec<u8>,
    pub amz_date: String,
    pub scope: String,
    pub previous_signature: String,
}

pub(crate) struct Decoded {
    pub body: Bytes,
    pub trailers: Vec<(String, String)>,
}

fn bad(msg: &str) -> AuthError {
    AuthError::BadChunk(msg.to_string())
}

/// Where an aws-chunked stream is.
#[derive(Clone)]
enum State {
    /// Reading a chunk header line.
    Header(Vec<u8>),
    /// Inside a chunk's data: bytes left, its signature, the hash of its data so far.
    Data {
        left: usize,
        signature: Option<String>,
        hash: Option<Sha256>,
    },
    /// After a chunk's data: the CRLF, `seen` bytes of it read.
    DataEnd { seen: usize },
    /// After the final chunk: the trailer lines, up to the end of the body.
    Trailers(Vec<u8>),
}

#[derive(Clone)]
enum Kind {
    /// A body sent as it is, with the SHA-256 the signature declared (or none to check).
    Plain {
        declared: Option<String>,
        hash: Sha256,
    },
    /// An aws-chunked body.
    Chunked {
        signed: bool,
        with_signed_trailer: bool,
        seed: Option<Seed>,
        state: State,
    },
}

/// Decodes and checks one request payload as it arrives.
#[derive(Clone)]
pub struct PayloadDecoder {
    kind: Kind,
    /// `x-amz-decoded-content-length`, checked at the end.
    declared_len: Option<u64>,
    decoded: u64,
    /// Running checksums for the trailers the request announced (`x-amz-trailer`).
    running: Vec<(String, Checksummer)>,
}

impl std::fmt::Debug for PayloadDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadDecoder")
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

impl PayloadDecoder {
    /// A plain body; `declared` is the hex SHA-256 the signature covers, if it must be checked.
    pub fn plain(declared: Option<String>) -> Self {
        PayloadDecoder {
            kind: Kind::Plain {
                declared,
                hash: Sha256::new(),
            },
            declared_len: None,
            decoded: 0,
            running: Vec::new(),
        }
    }

    /// An aws-chunked body in `mode` (an `x-amz-content-sha256` streaming value); chunk and
    /// trailer signatures are verified when `seed` is given. `announced` lists the trailer
    /// names of `x-amz-trailer`.
    pub(crate) fn chunked(
        mode: &str,
        seed: Option<Seed>,
        declared_len: Option<u64>,
        announced: &[String],
    ) -> Self {
        let running = announced
            .iter()
            .filter_map(|name| {
                let algorithm = name.strip_prefix("x-amz-checksum-")?;
                Some((name.clone(), Checksummer::new(algorithm)?))
            })
            .collect();
        PayloadDecoder {
            kind: Kind::Chunked {
                signed: mode.starts_with(crate::STREAMING_SIGNED),
                with_signed_trailer: mode == crate::STREAMING_SIGNED_TRAILER,
                seed,
                state: State::Header(Vec::new()),
            },
            declared_len,
            decoded: 0,
            running,
        }
    }

    fn emit(&mut self, data: &[u8], out: &mut BytesMut) {
        for (_, r) in &mut self.running {
            r.update(data);
        }
        self.decoded += data.len() as u64;
        out.extend_from_slice(data);
    }

    /// Feeds raw body bytes; answers the decoded content they complete (a plain body's bytes
    /// pass through uncopied).
    pub fn push_bytes(&mut self, raw: Bytes) -> Result<Bytes, AuthError> {
        if let Kind::Plain { hash, declared } = &mut self.kind {
            // Hashed only when there is a declared hash to check.
            if declared.is_some() {
                hash.update(&raw);
            }
            for (_, r) in &mut self.running {
                r.update(&raw);
            }
            self.decoded += raw.len() as u64;
            return Ok(raw);
        }
        let mut out = BytesMut::with_capacity(raw.len());
        self.push(&raw, &mut out)?;
        Ok(out.freeze())
    }

    /// Feeds raw body bytes; appends the decoded content they complete to `out`.
    pub fn push(&mut self, mut raw: &[u8], out: &mut BytesMut) -> Result<(), AuthError> {
        if let Kind::Plain { hash, declared } = &mut self.kind {
            if declared.is_some() {
                hash.update(raw);
            }
            self.emit(raw, out);
            return Ok(());
        }
        while !raw.is_empty() {
            let Kind::Chunked {
                signed,
                seed,
                state,
                ..
            } = &mut self.kind
            else {
                unreachable!("plain bodies returned above");
            };
            match state {
                State::Header(line) => {
                    let (taken, done) = match raw.iter().position(|&b| b == b'\n') {
                        Some(i) => (i + 1, true),
                        None => (raw.len(), false),
                    };
                    line.extend_from_slice(&raw[..taken]);
                    raw = &raw[taken..];
                    if line.len() > MAX_HEADER_LINE {
                        return Err(bad("chunk header too long"));
                    }
                    if !done {
                        continue;
                    }
                    let text = line
                        .strip_suffix(b"\r\n")
                        .ok_or_else(|| bad("missing CRLF"))?;
                    let text =
                        std::str::from_utf8(text).map_err(|_| bad("chunk header is not text"))?;
                    let (size_hex, ext) = text.split_once(';').unwrap_or((text, ""));
                    let size = usize::from_str_radix(size_hex.trim(), 16)
                        .map_err(|_| bad("chunk size is not hex"))?;
                    let signature = ext
                        .trim()
                        .strip_prefix("chunk-signature=")
                        .map(str::to_string);
                    if *signed && signature.is_none() {
                        return Err(bad("chunk has no signature"));
                    }
                    let hash = (seed.is_some() && signature.is_some()).then(Sha256::new);
                    *state = State::Data {
                        left: size,
                        signature,
                        hash,
                    };
                    if size == 0 {
                        self.end_chunk(true)?;
                    }
                }
                State::Data { left, hash, .. } => {
                    let n = (*left).min(raw.len());
                    let (data, rest) = raw.split_at(n);
                    if let Some(h) = hash {
                        h.update(data);
                    }
                    *left -= n;
                    let finished = *left == 0;
                    raw = rest;
                    self.emit(data, out);
                    if finished {
                        self.end_chunk(false)?;
                    }
                }
                State::DataEnd { seen } => {
                    while *seen < 2 && !raw.is_empty() {
                        if raw[0] != b"\r\n"[*seen] {
                            return Err(bad("chunk data not followed by CRLF"));
                        }
                        *seen += 1;
                        raw = &raw[1..];
                    }
                    if *seen == 2 {
                        *state = State::Header(Vec::new());
                    }
                }
                State::Trailers(buf) => {
                    buf.extend_from_slice(raw);
                    if buf.len() > MAX_TRAILERS {
                        return Err(bad("trailers too long"));
                    }
                    raw = &[];
                }
            }
        }
        Ok(())
    }

    /// A chunk's data is complete: checks its signature and moves on, to the next chunk's CRLF
    /// or, after the `last` (empty) chunk, to the trailers.
    fn end_chunk(&mut self, last: bool) -> Result<(), AuthError> {
        let Kind::Chunked { seed, state, .. } = &mut self.kind else {
            return Ok(());
        };
        let next = if last {
            State::Trailers(Vec::new())
        } else {
            State::DataEnd { seen: 0 }
        };
        let State::Data {
            signature, hash, ..
        } = std::mem::replace(state, next)
        else {
            return Ok(());
        };
        if let (Some(seed), Some(given), Some(hash)) = (seed.as_mut(), signature, hash) {
            let to_sign = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
                seed.amz_date,
                seed.scope,
                seed.previous_signature,
                hex::encode(hash.finalize())
            );
            let expected = hex::encode(hmac(&seed.key, to_sign.as_bytes()));
            if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                return Err(bad("chunk signature mismatch"));
            }
            seed.previous_signature = expected;
        }
        Ok(())
    }

    /// The end of the raw body: runs the checks that need all of it and answers the trailers
    /// (lowercase names, without the trailer signature).
    pub fn finish(self) -> Result<Vec<(String, String)>, AuthError> {
        let trailers = match self.kind {
            Kind::Plain { declared, hash } => {
                if let Some(declared) = declared {
                    let actual = hex::encode(hash.finalize());
                    if actual != declared {
                        return Err(AuthError::ContentSha256Mismatch { declared, actual });
                    }
                }
                Vec::new()
            }
            Kind::Chunked {
                with_signed_trailer,
                seed,
                state,
                ..
            } => {
                let State::Trailers(buf) = state else {
                    return Err(AuthError::IncompleteBody);
                };
                let (trailers, signature, canonical) = parse_trailers(&buf)?;
                if let Some(seed) = seed.as_ref().filter(|_| with_signed_trailer) {
                    let given = signature.ok_or_else(|| bad("trailer signature missing"))?;
                    let to_sign = format!(
                        "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
                        seed.amz_date,
                        seed.scope,
                        seed.previous_signature,
                        sha256_hex(canonical.as_bytes())
                    );
                    let expected = hex::encode(hmac(&seed.key, to_sign.as_bytes()));
                    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                        return Err(bad("trailer signature mismatch"));
                    }
                }
                trailers
            }
        };
        if let Some(len) = self.declared_len
            && len != self.decoded
        {
            return Err(AuthError::IncompleteBody);
        }
        let mut running = self.running;
        for (name, value) in &trailers {
            let Some(algorithm) = name.strip_prefix("x-amz-checksum-") else {
                continue;
            };
            let Some(i) = running.iter().position(|(n, _)| n == name) else {
                return Err(AuthError::BadChunk(format!(
                    "unknown or unannounced checksum trailer {name}"
                )));
            };
            let (_, r) = running.swap_remove(i);
            if r.finish() != *value {
                return Err(AuthError::ChecksumMismatch {
                    algorithm: algorithm.to_string(),
                });
            }
        }
        Ok(trailers)
    }
}

/// The trailer lines up to an empty line (or the end): the trailers, the trailer signature,
/// and the canonical form the signature covers.
#[allow(clippy::type_complexity)]
fn parse_trailers(
    buf: &[u8],
) -> Result<(Vec<(String, String)>, Option<String>, String), AuthError> {
    let text = std::str::from_utf8(buf).map_err(|_| bad("trailers are not text"))?;
    let mut trailers = Vec::new();
    let mut signature = None;
    let mut canonical = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (line, after) = rest.split_once("\r\n").ok_or_else(|| bad("missing CRLF"))?;
        rest = after;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("malformed trailer"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name == "x-amz-trailer-signature" {
            signature = Some(value);
        } else {
            canonical.push_str(&format!("{name}:{value}\n"));
            trailers.push((name, value));
        }
    }
    Ok((trailers, signature, canonical))
}

/// Decodes a whole aws-chunked body held in memory (see [`PayloadDecoder`]), checking the
/// `announced` trailer checksums (`x-amz-trailer`) and the declared decoded length.
pub(crate) fn decode(
    body: &[u8],
    mode: &str,
    seed: Option<Seed>,
    declared_len: Option<u64>,
    announced: &[String],
) -> Result<Decoded, AuthError> {
    let mut decoder = PayloadDecoder::chunked(mode, seed, declared_len, announced);
    let mut out = BytesMut::with_capacity(body.len());
    decoder.push(body, &mut out)?;
    let trailers = decoder.finish()?;
    Ok(Decoded {
        body: out.freeze(),
        trailers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_chunks_with_trailer() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let d = decode(
            body,
            crate::STREAMING_UNSIGNED_TRAILER,
            None,
            Some(11),
            &["x-amz-checksum-crc32".to_string()],
        )
        .unwrap();
        assert_eq!(&d.body[..], b"hello world");
        assert_eq!(
            d.trailers,
            vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
        );
    }

    #[test]
    fn malformed_chunks_refused() {
        for body in [
            &b"zz\r\nhello\r\n0\r\n\r\n"[..],
            b"10\r\nshort\r\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5",
        ] {
            assert!(decode(body, crate::STREAMING_UNSIGNED_TRAILER, None, None, &[]).is_err());
        }
    }

    fn crc32_announced() -> Vec<String> {
        vec!["x-amz-checksum-crc32".to_string()]
    }

    #[test]
    fn any_split_of_the_raw_body_decodes_the_same() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        for piece in 1..body.len() {
            let mut d = PayloadDecoder::chunked(
                crate::STREAMING_UNSIGNED_TRAILER,
                None,
                Some(11),
                &crc32_announced(),
            );
            let mut out = Vec::new();
            for part in body.chunks(piece) {
                out.extend_from_slice(&d.push_bytes(Bytes::copy_from_slice(part)).unwrap());
            }
            assert_eq!(out, b"hello world", "pieces of {piece}");
            assert_eq!(d.finish().unwrap().len(), 1);
        }
    }

    #[test]
    fn whole_body_checks_fail_at_the_end() {
        let run = |body: &[u8], len: Option<u64>| {
            let mut d = PayloadDecoder::chunked(
                crate::STREAMING_UNSIGNED_TRAILER,
                None,
                len,
                &crc32_announced(),
            );
            d.push_bytes(Bytes::copy_from_slice(body))?;
            d.finish()
        };
        let good = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        assert!(run(good, Some(5)).is_ok());
        assert!(matches!(run(good, Some(6)), Err(AuthError::IncompleteBody)));
        let wrong = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        assert!(matches!(
            run(wrong, None),
            Err(AuthError::ChecksumMismatch { .. })
        ));
        // Cut off before the final chunk.
        assert!(matches!(
            run(b"5\r\nhello\r\n", None),
            Err(AuthError::IncompleteBody)
        ));
        let unannounced = b"5\r\nhello\r\n0\r\nx-amz-checksum-sha1:AAAA\r\n\r\n";
        assert!(matches!(
            run(unannounced, None),
            Err(AuthError::BadChunk(_))
        ));
    }

    #[test]
    fn plain_bodies_check_the_declared_hash() {
        let mut d = PayloadDecoder::plain(Some(sha256_hex(b"hello world")));
        assert_eq!(
            &d.push_bytes(Bytes::from_static(b"hello ")).unwrap()[..],
            b"hello "
        );
        d.push_bytes(Bytes::from_static(b"world")).unwrap();
        assert!(d.finish().is_ok());
        let mut d = PayloadDecoder::plain(Some(sha256_hex(b"hello world")));
        d.push_bytes(Bytes::from_static(b"hello there")).unwrap();
        assert!(matches!(
            d.finish(),
            Err(AuthError::ContentSha256Mismatch { .. })
        ));
        let mut unchecked = PayloadDecoder::plain(None);
        unchecked
            .push_bytes(Bytes::from_static(b"anything"))
            .unwrap();
        assert!(unchecked.finish().is_ok());
    }
}
