//! aws-chunked payloads: `size;chunk-signature=sig\r\ndata\r\n` chunks (signed, each signature
//! chaining the previous one) or `size\r\ndata\r\n` (unsigned), a final zero chunk, and optional
//! trailing headers (checksums, and the trailer signature when signed).

use bytes::{Bytes, BytesMut};
use subtle::ConstantTimeEq;

use crate::{AuthError, EMPTY_SHA256, hmac, sha256_hex};

/// What a signed stream's chunk signatures chain from.
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

/// Splits off one `\r\n`-terminated line.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a str, AuthError> {
    let rest = &buf[*pos..];
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or_else(|| bad("missing CRLF"))?;
    *pos += end + 2;
    std::str::from_utf8(&rest[..end]).map_err(|_| bad("chunk header is not text"))
}

/// Decodes an aws-chunked body; verifies chunk and trailer signatures when `seed` is given.
pub(crate) fn decode(
    body: &[u8],
    mode: &str,
    mut seed: Option<Seed>,
) -> Result<Decoded, AuthError> {
    let signed = mode.starts_with(crate::STREAMING_SIGNED);
    let mut pos = 0;
    let mut out = BytesMut::with_capacity(body.len());
    loop {
        let header = line(body, &mut pos)?;
        let (size_hex, ext) = header.split_once(';').unwrap_or((header, ""));
        let size =
            usize::from_str_radix(size_hex.trim(), 16).map_err(|_| bad("chunk size is not hex"))?;
        let signature = ext.trim().strip_prefix("chunk-signature=");
        if signed && signature.is_none() {
            return Err(bad("chunk has no signature"));
        }
        let end = pos
            .checked_add(size)
            .filter(|e| *e <= body.len())
            .ok_or_else(|| bad("chunk runs past the body"))?;
        let data = &body[pos..end];
        if let (Some(seed), Some(given)) = (seed.as_mut(), signature) {
            let to_sign = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
                seed.amz_date,
                seed.scope,
                seed.previous_signature,
                sha256_hex(data)
            );
            let expected = hex::encode(hmac(&seed.key, to_sign.as_bytes()));
            if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                return Err(bad("chunk signature mismatch"));
            }
            seed.previous_signature = expected;
        }
        out.extend_from_slice(data);
        pos = end;
        if size == 0 {
            break;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(bad("chunk data not followed by CRLF"));
        }
        pos += 2;
    }
    // Trailers, up to an empty line (or the end of the body).
    let mut trailers = Vec::new();
    let mut trailer_signature = None;
    let mut canonical_trailer = String::new();
    while pos < body.len() {
        let l = line(body, &mut pos)?;
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':').ok_or_else(|| bad("malformed trailer"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name == "x-amz-trailer-signature" {
            trailer_signature = Some(value);
        } else {
            canonical_trailer.push_str(&format!("{name}:{value}\n"));
            trailers.push((name, value));
        }
    }
    if let Some(seed) = seed
        .as_ref()
        .filter(|_| mode == crate::STREAMING_SIGNED_TRAILER)
    {
        let given = trailer_signature.ok_or_else(|| bad("trailer signature missing"))?;
        let to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            seed.amz_date,
            seed.scope,
            seed.previous_signature,
            sha256_hex(canonical_trailer.as_bytes())
        );
        let expected = hex::encode(hmac(&seed.key, to_sign.as_bytes()));
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(bad("trailer signature mismatch"));
        }
    }
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
        let d = decode(body, crate::STREAMING_UNSIGNED_TRAILER, None).unwrap();
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
            assert!(decode(body, crate::STREAMING_UNSIGNED_TRAILER, None).is_err());
        }
    }
}
