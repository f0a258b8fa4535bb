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

/// Whether `s` is made of characters SigV4 leaves as they are (and `/`): then encoding it, once
/// or twice, answers it unchanged.
fn plain(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/'))
}

fn canonical_uri(path: &str, single_encode: bool) -> String {
    if path.is_empty() {
        return "/".into();
    }
    if plain(path) {
        return path.to_string();
    }
    let once = uri_encode(&decode(path), true);
    if single_encode {
        once
    } else {
        uri_encode(&once, true)
    }
}

fn canonical_query(query: &str, presigned: bool) -> String {
    if query.is_empty() {
        return String::new();
    }
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

/// Appends a header's canonical value to `out`: its values joined by `,`, each trimmed with runs
/// of spaces collapsed, as the signer does.
fn canonical_header_value(out: &mut String, values: http::header::GetAll<'_, http::HeaderValue>) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let bytes = v.as_bytes();
        // The common case: plain ASCII with nothing to trim or collapse.
        if let Ok(text) = std::str::from_utf8(bytes)
            && text.trim() == text
            && !text.contains("  ")
        {
            out.push_str(text);
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
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
        canonical_header_value(&mut out, parts.headers.get_all(name.as_str()));
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
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
