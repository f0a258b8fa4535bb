//! S3's legacy query-string authentication (Signature Version 2): the `AWSAccessKeyId`,
//! `Expires` and `Signature` parameters that presigned URLs still carry when a client signs
//! them the old way (boto3's default for `generate_presigned_url` on S3). Only S3 accepts it,
//! and only in the query string.

use base64::Engine;
use hmac::{KeyInit, Mac};
use percent_encoding::percent_decode_str;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::PayloadDecoder;
use crate::{AuthError, AuthMode, SignedIdentity, SignedParts, Verified, check_session_token_v2};
use gureum_core::CredentialProvider;

/// Query parameters that are part of the resource S3 signs (its "sub-resources").
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Whether the request carries SigV2 query authentication.
pub(crate) fn is_v2_query(query: &str) -> bool {
    query.contains("AWSAccessKeyId=") && query.contains("Signature=")
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The string a SigV2 query signature covers.
pub(crate) fn string_to_sign(parts: &SignedParts<'_>, expires: &str) -> String {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
    };
    let mut amz: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-amz-"))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    amz.sort();
    let mut out = format!(
        "{}\n{}\n{}\n{expires}\n",
        parts.method,
        header("content-md5"),
        header("content-type")
    );
    for (k, v) in amz {
        out.push_str(&format!("{k}:{v}\n"));
    }
    out.push_str(if parts.path.is_empty() {
        "/"
    } else {
        parts.path
    });
    let mut subresources: Vec<(String, Option<String>)> = parts
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = match p.split_once('=') {
                Some((k, v)) => (decode(k), Some(decode(v))),
                None => (decode(p), None),
            };
            SUBRESOURCES.contains(&k.as_str()).then_some((k, v))
        })
        .collect();
    subresources.sort();
    for (i, (k, v)) in subresources.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The base64 HMAC-SHA1 signature of `string_to_sign` under `secret`.
pub(crate) fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = <hmac::Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Verifies a SigV2 presigned request (S3 only).
pub(crate) fn verify(
    parts: &SignedParts<'_>,
    credentials: &dyn CredentialProvider,
    mode: AuthMode,
    wall_secs: i64,
    server_secs: i64,
) -> Result<Verified, AuthError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(parts.query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(access_key_id), Some(signature), Some(expires)) =
        (get("AWSAccessKeyId"), get("Signature"), get("Expires"))
    else {
        return Err(AuthError::Malformed(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters".into(),
        ));
    };
    let expires_at: i64 = expires.parse().map_err(|_| {
        AuthError::Malformed(format!(
            "Invalid date (should be seconds since epoch): {expires}"
        ))
    })?;
    let credential = crate::resolve_credential(credentials, access_key_id, mode)?;
    if mode == AuthMode::Enforce {
        let now = server_secs.max(wall_secs);
        if now > expires_at {
            return Err(AuthError::PresignExpired { expires_at, now });
        }
        check_session_token_v2(get("x-amz-security-token"), &credential, server_secs)?;
        let to_sign = string_to_sign(parts, expires);
        let expected = sign(&credential.secret_access_key, &to_sign);
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(AuthError::SignatureMismatch {
                string_to_sign: to_sign,
                canonical_request: String::new(),
            });
        }
    }
    Ok(Verified::Signed(Box::new(SignedIdentity {
        principal: credential.principal,
        access_key_id: access_key_id.to_string(),
        region: String::new(),
        service: "s3".into(),
        decoded_body: None,
        trailers: Vec::new(),
        // Presigned URLs sign no payload: a streamed body passes through unchecked.
        payload: parts.streamed.then(|| PayloadDecoder::plain(None)),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's "Query string request authentication alternative" documentation.
    #[test]
    fn matches_aws_documented_example() {
        let headers = http::HeaderMap::new();
        let body = bytes::Bytes::new();
        let parts = SignedParts {
            method: "GET",
            path: "/johnsmith/photos/puppy.jpg",
            query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            headers: &headers,
            body: &body,
            single_encode_path: true,
            streamed: false,
        };
        let to_sign = string_to_sign(&parts, "1175139620");
        assert_eq!(to_sign, "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
        assert_eq!(
            sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &to_sign),
            "NpgCjnDzrM+WFzoENXmpNDUsSn8="
        );
    }

    #[test]
    fn subresources_are_signed_sorted_and_others_not() {
        let headers: http::HeaderMap = [
            ("x-amz-meta-b", "2"),
            ("x-amz-acl", "private"),
            ("content-type", "text/plain"),
        ]
        .into_iter()
        .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
        .collect();
        let body = bytes::Bytes::new();
        let parts = SignedParts {
            method: "PUT",
            path: "/b/k",
            query: "versionId=3&AWSAccessKeyId=A&uploads&Expires=9&Signature=x&foo=bar",
            headers: &headers,
            body: &body,
            single_encode_path: true,
            streamed: false,
        };
        assert_eq!(
            string_to_sign(&parts, "9"),
            "PUT\n\ntext/plain\n9\nx-amz-acl:private\nx-amz-meta-b:2\n/b/k?uploads&versionId=3"
        );
    }
}
