//! SigV4 verification tested against requests signed by AWS's own signer (`aws-sigv4`), and
//! tampered variants of them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use gureum_core::{Credential, CredentialProvider, Principal};

use super::*;

struct Keys(Vec<Credential>);

impl CredentialProvider for Keys {
    fn lookup(&self, id: &str) -> Option<Credential> {
        self.0.iter().find(|c| c.access_key_id == id).cloned()
    }
}

fn keys() -> Keys {
    let root = |id: &str, secret: &str, token: Option<&str>, active: bool| Credential {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        session_token: token.map(str::to_string),
        expires_at: token.map(|_| 2_000_000_000),
        active,
        principal: Principal::root("000000000000"),
    };
    Keys(vec![
        root("test", "test", None, true),
        root("ASIATEMP", "tempsecret", Some("tok"), true),
        root("OFF", "off", None, false),
    ])
}

const T0: u64 = 1_700_000_000;

/// A request signed by aws-sigv4 at time `T0`.
struct Case {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static [u8],
    service: &'static str,
    presign: Option<u64>,
    s3: bool,
    key: (&'static str, &'static str, Option<&'static str>),
}

impl Default for Case {
    fn default() -> Self {
        Case {
            method: "POST",
            path: "/",
            query: "",
            headers: vec![("content-type", "application/x-www-form-urlencoded")],
            body: b"Action=GetCallerIdentity&Version=2011-06-15",
            service: "sts",
            presign: None,
            s3: false,
            key: ("test", "test", None),
        }
    }
}

struct Signed {
    method: String,
    path: String,
    query: String,
    headers: http::HeaderMap,
    body: Bytes,
    s3: bool,
}

impl Case {
    fn sign(&self) -> Signed {
        let identity = Credentials::new(
            self.key.0,
            self.key.1,
            self.key.2.map(str::to_string),
            None,
            "t",
        )
        .into();
        let mut settings = SigningSettings::default();
        if self.s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.payload_checksum_kind =
                aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        if let Some(secs) = self.presign {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(secs));
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(self.service)
            .time(UNIX_EPOCH + Duration::from_secs(T0))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let uri = if self.query.is_empty() {
            format!("http://localhost:4566{}", self.path)
        } else {
            format!("http://localhost:4566{}?{}", self.path, self.query)
        };
        let mut req = http::Request::builder()
            .method(self.method)
            .uri(&uri)
            .header("host", "localhost:4566");
        for (k, v) in &self.headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(()).unwrap();
        let body = if self.presign.is_some() && self.s3 {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(self.body)
        };
        let signable = SignableRequest::new(
            self.method,
            &uri,
            req.headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            body,
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(&mut req);
        Signed {
            method: self.method.into(),
            path: req.uri().path().into(),
            query: req.uri().query().unwrap_or("").into(),
            headers: req.headers().clone(),
            body: Bytes::from_static(self.body),
            s3: self.s3,
        }
    }
}

impl Signed {
    fn verify_at(&self, wall: u64, server: u64) -> Result<Verified, AuthError> {
        let parts = SignedParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
            single_encode_path: self.s3,
            streamed: false,
        };
        verify(
            &parts,
            &keys(),
            AuthMode::Enforce,
            wall as i64,
            server as i64,
        )
    }

    fn verify(&self) -> Result<Verified, AuthError> {
        self.verify_at(T0 + 5, T0 + 5)
    }
}

fn ok(r: Result<Verified, AuthError>) -> SignedIdentity {
    match r {
        Ok(Verified::Signed(id)) => *id,
        other => panic!("expected a verified request, got {other:?}"),
    }
}

#[test]
fn accepts_what_aws_sigv4_signs() {
    let cases = vec![
        Case::default(),
        Case {
            method: "GET",
            path: "/",
            query: "Action=GetCallerIdentity&Version=2011-06-15",
            body: b"",
            ..Case::default()
        },
        Case {
            path: "/2015-03-31/functions/my%20fn/invocations",
            service: "lambda",
            body: b"{}",
            ..Case::default()
        },
        Case {
            method: "PUT",
            path: "/bucket/a%20key/%ED%95%9C",
            s3: true,
            service: "s3",
            body: b"data",
            headers: vec![],
            ..Case::default()
        },
        Case {
            method: "GET",
            path: "/bucket",
            query: "list-type=2&prefix=a%2Fb&delimiter=%2F",
            s3: true,
            service: "s3",
            body: b"",
            headers: vec![],
            ..Case::default()
        },
        Case {
            method: "GET",
            path: "/bucket/k",
            s3: true,
            service: "s3",
            body: b"",
            presign: Some(3600),
            headers: vec![],
            ..Case::default()
        },
        Case {
            key: ("ASIATEMP", "tempsecret", Some("tok")),
            ..Case::default()
        },
        Case {
            key: ("ASIATEMP", "tempsecret", Some("tok")),
            method: "GET",
            path: "/b/k",
            s3: true,
            service: "s3",
            body: b"",
            presign: Some(60),
            headers: vec![],
            ..Case::default()
        },
    ];
    for case in cases {
        let id = ok(case.sign().verify());
        assert_eq!(id.service, case.service);
        assert_eq!(id.region, "us-east-1");
    }
}

#[test]
fn refuses_tampered_requests() {
    let good = Case::default().sign();
    let mut body = good.body.to_vec();
    body[7] ^= 1;
    let tampered_body = Signed {
        body: body.into(),
        ..good.sign_clone()
    };
    assert!(matches!(
        tampered_body.verify(),
        Err(AuthError::SignatureMismatch { .. })
    ));

    let mut other_header = good.sign_clone();
    other_header
        .headers
        .insert("content-type", "text/plain".parse().unwrap());
    assert!(matches!(
        other_header.verify(),
        Err(AuthError::SignatureMismatch { .. })
    ));

    let mut other_path = good.sign_clone();
    other_path.path = "/x".into();
    assert!(matches!(
        other_path.verify(),
        Err(AuthError::SignatureMismatch { .. })
    ));

    let wrong_secret = Case {
        key: ("test", "wrong", None),
        ..Case::default()
    }
    .sign();
    assert!(matches!(
        wrong_secret.verify(),
        Err(AuthError::SignatureMismatch { .. })
    ));

    let unknown = Case {
        key: ("NOPE", "x", None),
        ..Case::default()
    }
    .sign();
    assert_eq!(unknown.verify().unwrap_err(), AuthError::UnknownAccessKey);
    let inactive = Case {
        key: ("OFF", "off", None),
        ..Case::default()
    }
    .sign();
    assert_eq!(inactive.verify().unwrap_err(), AuthError::UnknownAccessKey);

    // A session key used without its token, or a plain key with one.
    let no_token = Case {
        key: ("ASIATEMP", "tempsecret", None),
        ..Case::default()
    }
    .sign();
    assert_eq!(no_token.verify().unwrap_err(), AuthError::InvalidToken);
    let wrong_token = Case {
        key: ("ASIATEMP", "tempsecret", Some("other")),
        ..Case::default()
    }
    .sign();
    assert_eq!(wrong_token.verify().unwrap_err(), AuthError::InvalidToken);
    let expired = Case {
        key: ("ASIATEMP", "tempsecret", Some("tok")),
        ..Case::default()
    }
    .sign();
    assert_eq!(
        expired.verify_at(T0, 2_000_000_000).unwrap_err(),
        AuthError::ExpiredToken
    );
}

#[test]
fn enforces_skew_and_presign_expiry() {
    let signed = Case::default().sign();
    assert!(matches!(
        signed.verify_at(T0 + 16 * 60, T0),
        Err(AuthError::Skewed { .. })
    ));
    assert!(matches!(
        signed.verify_at(T0 - 16 * 60, T0),
        Err(AuthError::Skewed { .. })
    ));
    ok(signed.verify_at(T0 + 14 * 60, T0 + 100_000)); // server clock moves do not skew headers
    let presigned = Case {
        method: "GET",
        path: "/b/k",
        s3: true,
        service: "s3",
        body: b"",
        presign: Some(60),
        headers: vec![],
        ..Case::default()
    }
    .sign();
    ok(presigned.verify_at(T0 + 30, T0 + 30));
    assert!(matches!(
        presigned.verify_at(T0 + 61, T0 + 61),
        Err(AuthError::PresignExpired { .. })
    ));
    // Advancing the server clock expires presigned URLs without waiting.
    assert!(matches!(
        presigned.verify_at(T0 + 1, T0 + 3600),
        Err(AuthError::PresignExpired { .. })
    ));
}

#[test]
fn unsigned_requests_are_anonymous_and_declared_hashes_checked() {
    let parts_headers = http::HeaderMap::new();
    let body = Bytes::new();
    let parts = SignedParts {
        method: "GET",
        path: "/",
        query: "",
        headers: &parts_headers,
        body: &body,
        single_encode_path: true,
        streamed: false,
    };
    assert!(matches!(
        verify(&parts, &keys(), AuthMode::Enforce, 0, 0),
        Ok(Verified::Anonymous)
    ));

    let mut s3 = Case {
        method: "PUT",
        path: "/b/k",
        s3: true,
        service: "s3",
        body: b"data",
        headers: vec![],
        ..Case::default()
    }
    .sign();
    ok(s3.verify());
    s3.body = Bytes::from_static(b"DATA");
    assert!(matches!(
        s3.verify(),
        Err(AuthError::SignatureMismatch { .. }) | Err(AuthError::ContentSha256Mismatch { .. })
    ));
}

#[test]
fn signed_chunked_payloads_verify_chunk_by_chunk() {
    // Build a STREAMING-AWS4-HMAC-SHA256-PAYLOAD request by hand on top of a signed header.
    let amz_date = "20231114T221320Z";
    let scope = "20231114/us-east-1/s3/aws4_request";
    let key = signing_key("test", "20231114", "us-east-1", "s3");
    let mut headers = http::HeaderMap::new();
    headers.insert("host", "localhost:4566".parse().unwrap());
    headers.insert("x-amz-date", amz_date.parse().unwrap());
    headers.insert("x-amz-content-sha256", STREAMING_SIGNED.parse().unwrap());
    headers.insert("x-amz-decoded-content-length", "11".parse().unwrap());
    let signed_headers: Vec<String> = [
        "host",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-decoded-content-length",
    ]
    .map(String::from)
    .to_vec();
    let empty = Bytes::new();
    let unsigned = headers.clone();
    let creq = canonical_request(
        &SignedParts {
            method: "PUT",
            path: "/b/k",
            query: "",
            headers: &unsigned,
            body: &empty,
            single_encode_path: true,
            streamed: false,
        },
        &signed_headers,
        STREAMING_SIGNED,
        false,
    );
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(creq.as_bytes())
    );
    let seed_sig = hex::encode(hmac(&key, sts.as_bytes()));
    headers.insert(
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential=test/{scope}, SignedHeaders={}, Signature={seed_sig}",
            signed_headers.join(";")
        )
        .parse()
        .unwrap(),
    );
    let mut prev = seed_sig;
    let mut body = Vec::new();
    for chunk in [&b"hello"[..], b" world", b""] {
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{EMPTY_SHA256}\n{}",
            sha256_hex(chunk)
        );
        let sig = hex::encode(hmac(&key, to_sign.as_bytes()));
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
        prev = sig;
    }
    let wall = 1_699_999_999 + 2;
    let good = Bytes::from(body.clone());
    let parts = SignedParts {
        method: "PUT",
        path: "/b/k",
        query: "",
        headers: &headers,
        body: &good,
        single_encode_path: true,
        streamed: false,
    };
    let id = ok(verify(&parts, &keys(), AuthMode::Enforce, wall, wall));
    assert_eq!(id.decoded_body.as_deref(), Some(&b"hello world"[..]));

    let mut evil = body;
    let at = evil.iter().position(|b| *b == b'h').unwrap();
    evil[at] = b'j';
    let evil = Bytes::from(evil);
    let parts = SignedParts {
        body: &evil,
        ..parts
    };
    assert!(matches!(
        verify(&parts, &keys(), AuthMode::Enforce, wall, wall),
        Err(AuthError::BadChunk(_))
    ));
}

#[test]
fn permissive_mode_accepts_any_key_and_picks_the_account() {
    let signed = Case {
        key: ("123456789012", "whatever", None),
        ..Case::default()
    }
    .sign();
    let parts = SignedParts {
        method: &signed.method,
        path: &signed.path,
        query: &signed.query,
        headers: &signed.headers,
        body: &signed.body,
        single_encode_path: false,
        streamed: false,
    };
    let id = ok(verify(&parts, &keys(), AuthMode::Permissive, 0, 0));
    assert_eq!(id.principal.account_id, "123456789012");
}

impl Signed {
    fn sign_clone(&self) -> Signed {
        Signed {
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            s3: self.s3,
        }
    }
}

#[allow(dead_code)]
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn amz_dates_parse_exactly() {
    assert_eq!(super::parse_amz_date("19700101T000000Z"), Some(0));
    assert_eq!(
        super::parse_amz_date("20231114T221320Z"),
        Some(1_700_000_000)
    );
    assert_eq!(
        super::parse_amz_date("20240229T235959Z"),
        Some(1_709_251_199)
    );
    for bad in [
        "",
        "20231114T221320",
        "20231114 221320Z",
        "2023111XT221320Z",
        "20230230T000000Z",
        "20231301T000000Z",
        "20231114T240000Z",
        "20231114T226000Z",
        "+0231114T221320Z",
        "20231114T221320Z ",
        "２0231114T221320Z",
    ] {
        assert_eq!(super::parse_amz_date(bad), None, "{bad:?}");
    }
}
