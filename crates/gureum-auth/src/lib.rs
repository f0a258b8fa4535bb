//! AWS Signature Version 4 verification: the `Authorization` header, presigned query strings,
//! UNSIGNED-PAYLOAD, aws-chunked streaming payloads (signed chunks, unsigned chunks with
//! trailers, trailing checksums), S3's single URI-encoding versus other services' double, and
//! the 15-minute skew window, and browser POST policy signatures. Comparison is constant-time.
//!
//! Pure: the caller supplies the request parts, a [`CredentialProvider`], and the clocks.

mod canonical;
pub mod checksum;
mod chunked;
mod error;
mod post;
mod v2;

use bytes::Bytes;
use gureum_core::{Credential, CredentialProvider, Principal};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use canonical::{canonical_request, uri_encode};
pub use chunked::PayloadDecoder;
pub use error::{AuthError, ErrorFlavor};
pub use post::{PostSignature, sign_policy, verify_post};

type HmacSha256 = hmac::Hmac<Sha256>;

/// How much a request's signing time may differ from the wall clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// The longest a presigned URL may live (7 days).
pub const MAX_PRESIGN_SECS: i64 = 7 * 24 * 3600;

pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Whether signatures are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Signatures verified against known credentials.
    Enforce,
    /// Any well-formed credentials accepted; a 12-digit access key id selects that account.
    Permissive,
}

/// The parts of a request that signing covers.
pub struct SignedParts<'a> {
    pub method: &'a str,
    /// The raw, still percent-encoded path.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a Bytes,
    /// S3 signs the path encoded once; every other service encodes it twice.
    pub single_encode_path: bool,
    /// The body has not arrived yet (it streams): payload checks are left to the
    /// [`SignedIdentity::payload`] decoder instead of run on `body`.
    pub streamed: bool,
}

/// What verification established.
#[derive(Debug, Clone)]
pub enum Verified {
    /// No signature at all: the caller decides whether anonymous access is allowed.
    Anonymous,
    Signed(Box<SignedIdentity>),
}

#[derive(Debug, Clone)]
pub struct SignedIdentity {
    pub principal: Principal,
    pub access_key_id: String,
    pub region: String,
    pub service: String,
    /// Set when the payload was aws-chunked: the decoded content.
    pub decoded_body: Option<Bytes>,
    /// Trailing headers of a chunked payload (lowercase names).
    pub trailers: Vec<(String, String)>,
    /// For a streamed body: the decoder that checks it as it arrives.
    pub payload: Option<PayloadDecoder>,
}

/// The parsed credential scope and signature of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authorization {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
    /// `20240101T000000Z`
    amz_date: String,
    /// Presigned only: seconds of validity.
    expires: Option<i64>,
    session_token: Option<String>,
    presigned: bool,
}

/// Verifies a request's signature and answers who sent it.
///
/// `wall_secs` is the real wall clock (skew check); `server_secs` is the server clock (expiry of
/// presigned URLs and session credentials).
pub fn verify(
    parts: &SignedParts<'_>,
    credentials: &dyn CredentialProvider,
    mode: AuthMode,
    wall_secs: i64,
    server_secs: i64,
) -> Result<Verified, AuthError> {
    // S3's legacy presigned URLs (SigV2 in the query string).
    if parts.single_encode_path
        && parts.headers.get(http::header::AUTHORIZATION).is_none()
        && v2::is_v2_query(parts.query)
    {
        return v2::verify(parts, credentials, mode, wall_secs, server_secs);
    }
    let Some(auth) = parse_authorization(parts)? else {
        return Ok(Verified::Anonymous);
    };
    let payload_hash = payload_hash(parts, &auth)?;
    let credential = crate::resolve_credential(credentials, &auth.access_key_id, mode)?;
    if mode == AuthMode::Enforce {
        check_times(&auth, wall_secs, server_secs)?;
        check_session_token(&auth, &credential, server_secs)?;
        let key = cached_signing_key(
            &credential.secret_access_key,
            &auth.date,
            &auth.region,
            &auth.service,
        );
        let creq = canonical_request(parts, &auth.signed_headers, &payload_hash, auth.presigned);
        let creq_hash = hex_lower(&Sha256::digest(creq.as_bytes()));
        let mut string_to_sign = String::with_capacity(160);
        for piece in [
            "AWS4-HMAC-SHA256\n",
            &auth.amz_date,
            "\n",
            &auth.date,
            "/",
            &auth.region,
            "/",
            &auth.service,
            "/aws4_request\n",
            &creq_hash,
        ] {
            string_to_sign.push_str(piece);
        }
        let expected = hex_lower(&hmac(&key, string_to_sign.as_bytes()));
        if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            return Err(AuthError::SignatureMismatch {
                string_to_sign,
                canonical_request: creq,
            });
        }
        check_payload_digest(parts, &payload_hash)?;
    }
    let (decoded_body, trailers, payload) = if is_streaming(&payload_hash) {
        let declared_len = header(parts.headers, "x-amz-decoded-content-length")
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| AuthError::IncompleteBody)
            })
            .transpose()?;
        let announced: Vec<String> = match header(parts.headers, "x-amz-trailer") {
            Some(list) => list
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
            // No announcement: a body in memory checks whichever checksum trailer it carries.
            None => checksum::ALGORITHMS
                .iter()
                .map(|a| format!("x-amz-checksum-{a}"))
                .collect(),
        };
        let seed = chunked::Seed {
            key: cached_signing_key(
                &credential.secret_access_key,
                &auth.date,
                &auth.region,
                &auth.service,
            ),
            amz_date: auth.amz_date.clone(),
            scope: format!(
                "{}/{}/{}/aws4_request",
                auth.date, auth.region, auth.service
            ),
            previous_signature: auth.signature.clone(),
        };
        let verify_chunks = mode == AuthMode::Enforce && payload_hash.starts_with(STREAMING_SIGNED);
        let seed = verify_chunks.then_some(seed);
        if parts.streamed {
            let decoder = PayloadDecoder::chunked(&payload_hash, seed, declared_len, &announced);
            (None, Vec::new(), Some(decoder))
        } else {
            let decoded =
                chunked::decode(parts.body, &payload_hash, seed, declared_len, &announced)?;
            (Some(decoded.body), decoded.trailers, None)
        }
    } else if parts.streamed {
        let declared =
            (mode == AuthMode::Enforce && payload_hash.len() == 64).then(|| payload_hash.clone());
        (None, Vec::new(), Some(PayloadDecoder::plain(declared)))
    } else {
        (None, Vec::new(), None)
    };
    Ok(Verified::Signed(Box::new(SignedIdentity {
        principal: credential.principal,
        access_key_id: auth.access_key_id,
        region: auth.region,
        service: auth.service,
        decoded_body,
        trailers,
        payload,
    })))
}

/// The credential an access key id names: from `credentials`, or made up in permissive mode;
/// `UnknownAccessKey` when enforcing and the key is unknown or inactive.
pub(crate) fn resolve_credential(
    credentials: &dyn CredentialProvider,
    access_key_id: &str,
    mode: AuthMode,
) -> Result<Credential, AuthError> {
    match (credentials.lookup(access_key_id), mode) {
        (Some(c), AuthMode::Enforce) if !c.active => Err(AuthError::UnknownAccessKey),
        (Some(c), _) => Ok(c),
        (None, AuthMode::Permissive) => Ok(permissive_credential(access_key_id)),
        (None, AuthMode::Enforce) => Err(AuthError::UnknownAccessKey),
    }
}

pub(crate) fn permissive_credential(access_key_id: &str) -> Credential {
    let account = if gureum_core::is_account_id(access_key_id) {
        access_key_id
    } else {
        gureum_core::DEFAULT_ACCOUNT_ID
    };
    Credential {
        access_key_id: access_key_id.to_string(),
        secret_access_key: String::new(),
        session_token: None,
        expires_at: None,
        active: true,
        principal: Principal::root(account),
    }
}

fn header<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The headers every signed request is asked for, named once (a `&str` lookup parses and
/// validates the name each time).
mod names {
    use http::HeaderName;
    pub const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
    pub const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
    pub const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
}

fn header_named<'h>(headers: &'h http::HeaderMap, name: &http::HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_streaming(payload_hash: &str) -> bool {
    payload_hash.starts_with("STREAMING-")
}

/// Reads the signature from the `Authorization` header or the presigned query parameters.
fn parse_authorization(parts: &SignedParts<'_>) -> Result<Option<Authorization>, AuthError> {
    if let Some(value) = parts.headers.get(http::header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| AuthError::Malformed("Authorization header is not ASCII".into()))?;
        let rest = value.strip_prefix("AWS4-HMAC-SHA256").ok_or_else(|| {
            AuthError::UnsupportedAlgorithm(value.split(' ').next().unwrap_or("").to_string())
        })?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for field in rest.split(',') {
            let field = field.trim();
            if let Some(v) = field.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = field.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = field.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature)
        else {
            return Err(AuthError::Malformed(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters".into(),
            ));
        };
        let amz_date = header_named(parts.headers, &names::X_AMZ_DATE)
            .or_else(|| header(parts.headers, "date"))
            .ok_or_else(|| {
                AuthError::Malformed("Authorization requires an X-Amz-Date or Date header".into())
            })?;
        let amz_date = normalize_amz_date(amz_date)?;
        let mut auth = scope(credential, signed, signature, amz_date)?;
        auth.session_token =
            header_named(parts.headers, &names::X_AMZ_SECURITY_TOKEN).map(str::to_string);
        return Ok(Some(auth));
    }
    if !parts.query.contains("X-Amz-Signature=") && !parts.query.contains("X-Amz-Credential=") {
        return Ok(None);
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(parts.query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let algorithm = get("X-Amz-Algorithm").unwrap_or_default();
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(AuthError::UnsupportedAlgorithm(algorithm.to_string()));
    }
    let (Some(credential), Some(signed), Some(signature), Some(date)) = (
        get("X-Amz-Credential"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Signature"),
        get("X-Amz-Date"),
    ) else {
        return Err(AuthError::Malformed(
            "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".into(),
        ));
    };
    let expires = get("X-Amz-Expires")
        .ok_or_else(|| AuthError::Malformed("X-Amz-Expires must be given".into()))?
        .parse::<i64>()
        .map_err(|_| AuthError::Malformed("X-Amz-Expires should be a number".into()))?;
    if !(0..=MAX_PRESIGN_SECS).contains(&expires) {
        return Err(AuthError::Malformed(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800".into(),
        ));
    }
    let mut auth = scope(credential, signed, signature, normalize_amz_date(date)?)?;
    auth.expires = Some(expires);
    auth.presigned = true;
    auth.session_token = get("X-Amz-Security-Token").map(str::to_string);
    Ok(Some(auth))
}

fn scope(
    credential: &str,
    signed: &str,
    signature: &str,
    amz_date: String,
) -> Result<Authorization, AuthError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [akid, date, region, service, terminator] = parts[..] else {
        return Err(AuthError::Malformed(format!(
            "Credential should be scoped to a valid region, not '{credential}'"
        )));
    };
    if terminator != "aws4_request" || date.len() != 8 || akid.is_empty() {
        return Err(AuthError::Malformed(format!(
            "Credential should be scoped correctly: '{credential}'"
        )));
    }
    if !amz_date.starts_with(date) {
        return Err(AuthError::Malformed(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}'",
            &amz_date[..8]
        )));
    }
    Ok(Authorization {
        access_key_id: akid.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: signed
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        signature: signature.trim().to_string(),
        amz_date,
        expires: None,
        session_token: None,
        presigned: false,
    })
}

/// Accepts `20240101T000000Z`; an HTTP `Date` header is turned into that form.
fn normalize_amz_date(value: &str) -> Result<String, AuthError> {
    let v = value.trim();
    if v.len() == 16 && v.as_bytes()[8] == b'T' && v.ends_with('Z') {
        if parse_amz_date(v).is_some() {
            return Ok(v.to_string());
        }
    }
    Err(AuthError::Malformed(format!("invalid X-Amz-Date '{v}'")))
}

/// `20240101T000000Z` as epoch seconds.
/// `YYYYMMDDTHHMMSSZ` as Unix seconds; read by hand, since a format description parser cost
/// thousands of instructions on every request.
fn parse_amz_date(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(num(0..4)? as i32, month, u8::try_from(num(6..8)?).ok()?)
            .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(9..11)?).ok()?,
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(13..15)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

fn check_times(auth: &Authorization, wall_secs: i64, server_secs: i64) -> Result<(), AuthError> {
    let signed_at =
        parse_amz_date(&auth.amz_date).ok_or_else(|| AuthError::Malformed("bad date".into()))?;
    match auth.expires {
        Some(expires) => {
            // A presigned URL is valid from its signing time for `expires` seconds of server time.
            if signed_at - MAX_SKEW_SECS > wall_secs {
                return Err(AuthError::NotYetValid);
            }
            let now = server_secs.max(wall_secs);
            if now > signed_at + expires {
                return Err(AuthError::PresignExpired {
                    expires_at: signed_at + expires,
                    now,
                });
            }
        }
        None => {
            if (signed_at - wall_secs).abs() > MAX_SKEW_SECS {
                return Err(AuthError::Skewed {
                    signed: auth.amz_date.clone(),
                    now: wall_secs,
                });
            }
        }
    }
    Ok(())
}

/// The session-token rule for a SigV2 request, whose token travels as `x-amz-security-token`.
pub(crate) fn check_session_token_v2(
    given: Option<&str>,
    credential: &Credential,
    server_secs: i64,
) -> Result<(), AuthError> {
    match (&credential.session_token, given) {
        (Some(expected), Some(given))
            if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) => {}
        (None, None) => {}
        _ => return Err(AuthError::InvalidToken),
    }
    match credential.expires_at {
        Some(expires_at) if server_secs >= expires_at => Err(AuthError::ExpiredToken),
        _ => Ok(()),
    }
}

fn check_session_token(
    auth: &Authorization,
    credential: &Credential,
    server_secs: i64,
) -> Result<(), AuthError> {
    match (&credential.session_token, &auth.session_token) {
        (Some(expected), Some(given)) => {
            if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                return Err(AuthError::InvalidToken);
            }
        }
        (Some(_), None) => return Err(AuthError::InvalidToken),
        (None, Some(_)) => return Err(AuthError::InvalidToken),
        (None, None) => {}
    }
    if let Some(expires_at) = credential.expires_at {
        if server_secs >= expires_at {
            return Err(AuthError::ExpiredToken);
        }
    }
    Ok(())
}

/// The payload hash the signature covers: the `x-amz-content-sha256` header, else the body's
/// hash (presigned S3 URLs: UNSIGNED-PAYLOAD).
fn payload_hash(parts: &SignedParts<'_>, auth: &Authorization) -> Result<String, AuthError> {
    if let Some(h) = header_named(parts.headers, &names::X_AMZ_CONTENT_SHA256) {
        let h = h.trim();
        let known = [
            UNSIGNED_PAYLOAD,
            STREAMING_SIGNED,
            STREAMING_SIGNED_TRAILER,
            STREAMING_UNSIGNED_TRAILER,
        ];
        if known.contains(&h) || (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Ok(h.to_ascii_lowercase_if_hex());
        }
        return Err(AuthError::BadContentSha256);
    }
    // Presigned S3 URLs sign UNSIGNED-PAYLOAD; other services' presigned URLs sign the body.
    if auth.presigned && parts.single_encode_path {
        return Ok(UNSIGNED_PAYLOAD.to_string());
    }
    // A body still on its way has no hash yet: such requests must declare it.
    if parts.streamed {
        return Err(AuthError::BadContentSha256);
    }
    Ok(if parts.body.is_empty() {
        EMPTY_SHA256.to_string()
    } else {
        hex_lower(&Sha256::digest(parts.body))
    })
}

trait LowerHex {
    fn to_ascii_lowercase_if_hex(&self) -> String;
}

impl LowerHex for str {
    fn to_ascii_lowercase_if_hex(&self) -> String {
        if self.len() == 64 {
            self.to_ascii_lowercase()
        } else {
            self.to_string()
        }
    }
}

/// A declared body hash must match the body that arrived.
fn check_payload_digest(parts: &SignedParts<'_>, payload_hash: &str) -> Result<(), AuthError> {
    if payload_hash.len() == 64 && !is_streaming(payload_hash) && !parts.streamed {
        let actual = hex_lower(&Sha256::digest(parts.body));
        if actual != payload_hash {
            return Err(AuthError::ContentSha256Mismatch {
                declared: payload_hash.to_string(),
                actual,
            });
        }
    }
    Ok(())
}

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The SigV4 signing key for a secret, date, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// [`signing_key`], remembered per thread: a key stays the same for a whole day, and deriving it
/// costs four HMACs per request otherwise.
fn cached_signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    type Entry = (String, String, String, String, Vec<u8>);
    const ENTRIES: usize = 16;
    thread_local! {
        static CACHE: std::cell::RefCell<Vec<Entry>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(e) = cache
            .iter()
            .find(|e| e.0 == secret && e.1 == date && e.2 == region && e.3 == service)
        {
            return e.4.clone();
        }
        let key = signing_key(secret, date, region, service);
        if cache.len() == ENTRIES {
            cache.remove(0);
        }
        cache.push((
            secret.into(),
            date.into(),
            region.into(),
            service.into(),
            key.clone(),
        ));
        key
    })
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// Lower-case hex of `bytes` (`hex::encode` builds its string a char at a time: this runs on
/// every request, for the canonical request's hash and the signature).
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    // Only ASCII hex digits were written.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests;
