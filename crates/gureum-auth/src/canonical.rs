//! The SigV4 canonical request: method, canonical URI, canonical query string, canonical
//! headers, signed headers and payload hash, built from the request as it arrived.

use percent_encoding::percent_decode_str;

use crate::SignedParts;

/// Percent-encodes everything but the unreserved characters `A-Z a-z 0-9 - . _ ~` (and `/` when
/// `keep_slash`), as SigV4 requires.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => {
                out.push('%');
                out.push(char::from(b"0123456789ABCDEF"[(b >> 4) as usize]));
                out.push(char::from(b"0123456789ABCDEF"[(b & 15) as usize]));
            }
        }
    }
    out
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn canonical_uri(path: &str, single_encode: bool) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let once = uri_encode(&decode(path), true);
    if single_encode {
        once
    } else {
        uri_encode(&once, true)
    }
}

fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&decode(k), false), uri_encode(&decode(v), false))
        })
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(query.len() + 16);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

fn canonical_header_value(values: http::header::GetAll<'_, http::HeaderValue>) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let text = String::from_utf8_lossy(v.as_bytes());
        // Trim and collapse runs of spaces, as the signer does.
        let mut last_space = false;
        for c in text.trim().chars() {
            if c == ' ' {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
    }
    out
}

/// Builds the canonical request the signature must cover.
pub fn canonical_request(
    parts: &SignedParts<'_>,
    signed_headers: &[String],
    payload_hash: &str,
    presigned: bool,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(parts.method);
    out.push('\n');
    out.push_str(&canonical_uri(parts.path, parts.single_encode_path));
    out.push('\n');
    out.push_str(&canonical_query(parts.query, presigned));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        out.push_str(&canonical_header_value(
            parts.headers.get_all(name.as_str()),
        ));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_sigv4() {
        let cases = [
            ("/", true, "/"),
            ("", false, "/"),
            ("/bucket/a%20b/c", true, "/bucket/a%20b/c"),
            ("/bucket/a%20b/c", false, "/bucket/a%2520b/c"),
            ("/b/%ED%95%9C", true, "/b/%ED%95%9C"),
            ("/b/k+1", true, "/b/k%2B1"),
        ];
        for (path, single, want) in cases {
            assert_eq!(canonical_uri(path, single), want, "{path}");
        }
        assert_eq!(
            canonical_query("b=2&a=1&uploads", false),
            "a=1&b=2&uploads="
        );
        assert_eq!(
            canonical_query("X-Amz-Signature=x&k=a%2Fb", true),
            "k=a%2Fb"
        );
        assert_eq!(canonical_query("k=a b", false), "k=a%20b");
    }
}
