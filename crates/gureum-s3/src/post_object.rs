//! Browser-based uploads (POST Object): the `multipart/form-data` form, its policy document
//! (expiration and conditions: exact matches, `eq`, `starts-with`, `content-length-range`, and
//! no field left uncovered), the PutObject input the form amounts to, and the answer
//! (`success_action_redirect`, `success_action_status`). The binary checks the signature and
//! runs the PutObject through the pipeline's authorization; the form's rules are here.

use std::collections::BTreeMap;

use bytes::Bytes;
use gureum_core::{AwsError, OperationInput};
use serde_json::{Map, Value, json};

use crate::errors;

/// A parsed POST form: its fields in order (names as sent), and the file.
#[derive(Debug, Default)]
pub struct PostForm {
    pub fields: Vec<(String, String)>,
    pub file: Option<Bytes>,
    pub filename: String,
    pub file_content_type: Option<String>,
}

impl PostForm {
    /// A field by name, case-insensitively (S3 treats form field names so).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The object key: the `key` field with `${filename}` replaced by the file's name.
    pub fn key(&self) -> Result<String, AwsError> {
        let key = self.field("key").ok_or_else(|| {
            errors::invalid_argument(
                "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
            )
        })?;
        Ok(key.replace("${filename}", &self.filename))
    }
}

fn malformed_post() -> AwsError {
    AwsError::new(
        "MalformedPOSTRequest",
        400,
        "The body of your POST request is not well-formed multipart/form-data.",
    )
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

/// The value of `name="..."` in a Content-Disposition header.
fn disposition_param(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Parses a `multipart/form-data` body; fields after the file are ignored, as S3 does.
pub fn parse_form(content_type: &str, body: &Bytes) -> Result<PostForm, AwsError> {
    let boundary = content_type
        .split(';')
        .find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty())
        .ok_or_else(malformed_post)?;
    let delimiter = format!("--{boundary}");
    let mut form = PostForm::default();
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or_else(malformed_post)?;
    loop {
        let start = at + delimiter.len();
        if body.get(start..start + 2) == Some(b"--") {
            break;
        }
        let headers_start = start + 2;
        let headers_end = find(body, b"\r\n\r\n", headers_start).ok_or_else(malformed_post)?;
        let headers =
            std::str::from_utf8(&body[headers_start..headers_end]).map_err(|_| malformed_post())?;
        let content_start = headers_end + 4;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), content_start)
            .ok_or_else(malformed_post)?;
        let content = body.slice(content_start..next);
        let mut disposition = None;
        let mut part_type = None;
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                disposition = Some(value.trim().to_string());
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_string());
            }
        }
        let disposition = disposition.ok_or_else(malformed_post)?;
        let name = disposition_param(&disposition, "name").ok_or_else(malformed_post)?;
        if name.eq_ignore_ascii_case("file") {
            form.filename = disposition_param(&disposition, "filename").unwrap_or_default();
            form.file = Some(content);
            form.file_content_type = part_type;
            return Ok(form);
        }
        let value = String::from_utf8(content.to_vec()).map_err(|_| malformed_post())?;
        form.fields.push((name, value));
        at = next + 2;
    }
    Ok(form)
}

fn policy_denied(reason: impl std::fmt::Display) -> AwsError {
    AwsError::access_denied(format!("Invalid according to Policy: {reason}"))
}

fn invalid_policy(reason: &str) -> AwsError {
    AwsError::new(
        "InvalidPolicyDocument",
        400,
        format!("Invalid Policy: {reason}"),
    )
}

/// Form fields a policy need not mention.
fn exempt(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "policy" | "x-amz-signature" | "signature" | "awsaccesskeyid" | "file"
    ) || n.starts_with("x-ignore-")
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks the base64 `policy` of `form` (for an upload of `bucket`) at `now_secs`: expiry,
/// every condition, and that it covers every field.
pub fn check_policy(
    form: &PostForm,
    bucket: &str,
    policy: &str,
    now_secs: i64,
) -> Result<(), AwsError> {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(policy.trim())
        .map_err(|_| invalid_policy("Invalid Simple-Policy: Policy could not be decoded."))?;
    let document: Value =
        serde_json::from_slice(&decoded).map_err(|_| invalid_policy("Invalid JSON."))?;
    let expiration = document
        .get("expiration")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_policy("Policy missing expiration."))?;
    let expires =
        time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
            .map_err(|_| invalid_policy(&format!("Invalid 'expiration' value: '{expiration}'")))?;
    if now_secs >= expires.unix_timestamp() {
        return Err(policy_denied("Policy expired."));
    }
    let conditions = document
        .get("conditions")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid_policy("Policy missing conditions."))?;
    let value_of = |name: &str| -> Option<String> {
        if name.eq_ignore_ascii_case("bucket") {
            Some(bucket.to_string())
        } else {
            form.field(name).map(str::to_string)
        }
    };
    let size = form.file.as_ref().map_or(0, |f| f.len() as u64);
    let mut covered: Vec<String> = Vec::new();
    for condition in conditions {
        match condition {
            Value::Object(m) => {
                for (name, want) in m {
                    let want = text(want).unwrap_or_default();
                    if value_of(name).as_deref() != Some(want.as_str()) {
                        return Err(policy_denied(format!(
                            "Policy Condition failed: [\"eq\", \"${name}\", \"{want}\"]"
                        )));
                    }
                    covered.push(name.to_ascii_lowercase());
                }
            }
            Value::Array(items) => {
                let op = items.first().and_then(Value::as_str).unwrap_or_default();
                if op.eq_ignore_ascii_case("content-length-range") {
                    let bound = |i: usize| {
                        items
                            .get(i)
                            .and_then(text)
                            .and_then(|t| t.parse::<u64>().ok())
                    };
                    let (Some(min), Some(max)) = (bound(1), bound(2)) else {
                        return Err(invalid_policy("Invalid 'content-length-range' condition."));
                    };
                    if size > max {
                        return Err(AwsError::new(
                            "EntityTooLarge",
                            400,
                            "Your proposed upload exceeds the maximum allowed size",
                        ));
                    }
                    if size < min {
                        return Err(AwsError::new(
                            "EntityTooSmall",
                            400,
                            "Your proposed upload is smaller than the minimum allowed size",
                        ));
                    }
                    continue;
                }
                let (Some(field), Some(want)) = (
                    items.get(1).and_then(Value::as_str),
                    items.get(2).and_then(text),
                ) else {
                    return Err(invalid_policy("condition is malformed."));
                };
                let name = field.strip_prefix('$').unwrap_or(field);
                let got = value_of(name).unwrap_or_default();
                let holds = match op.to_ascii_lowercase().as_str() {
                    "eq" => got == want,
                    "starts-with" if name.eq_ignore_ascii_case("content-type") => got
                        .split(',')
                        .all(|part| part.trim().starts_with(want.as_str())),
                    "starts-with" => got.starts_with(want.as_str()),
                    _ => {
                        return Err(invalid_policy(&format!(
                            "Invalid Condition: unknown operation '{op}'"
                        )));
                    }
                };
                if !holds {
                    return Err(policy_denied(format!(
                        "Policy Condition failed: [\"{op}\", \"{field}\", \"{want}\"]"
                    )));
                }
                covered.push(name.to_ascii_lowercase());
            }
            _ => return Err(invalid_policy("condition is malformed.")),
        }
    }
    if let Some((name, _)) = form
        .fields
        .iter()
        .find(|(n, _)| !exempt(n) && !covered.contains(&n.to_ascii_lowercase()))
    {
        return Err(policy_denied(format!("Extra input fields: {name}")));
    }
    Ok(())
}

/// The PutObject the form amounts to.
pub fn put_object_input(form: &PostForm, bucket: &str) -> Result<OperationInput, AwsError> {
    let file = form.file.clone().ok_or_else(|| {
        errors::invalid_argument("POST requires exactly one file upload per request.")
    })?;
    let mut params = Map::new();
    params.insert("Bucket".into(), bucket.into());
    params.insert("Key".into(), form.key()?.into());
    let content_type = form
        .field("content-type")
        .map(str::to_string)
        .unwrap_or_else(|| "binary/octet-stream".to_string());
    params.insert("ContentType".into(), content_type.into());
    for (field, member) in [
        ("cache-control", "CacheControl"),
        ("content-disposition", "ContentDisposition"),
        ("content-encoding", "ContentEncoding"),
        ("content-language", "ContentLanguage"),
        ("expires", "Expires"),
        ("acl", "ACL"),
        ("x-amz-storage-class", "StorageClass"),
        ("x-amz-website-redirect-location", "WebsiteRedirectLocation"),
    ] {
        if let Some(v) = form.field(field) {
            params.insert(member.into(), v.into());
        }
    }
    let metadata: BTreeMap<String, String> = form
        .fields
        .iter()
        .filter_map(|(n, v)| {
            let lower = n.to_ascii_lowercase();
            lower
                .strip_prefix("x-amz-meta-")
                .map(|m| (m.to_string(), v.clone()))
        })
        .collect();
    if !metadata.is_empty() {
        params.insert("Metadata".into(), json!(metadata));
    }
    Ok(OperationInput {
        params: Value::Object(params),
        payload: Some(file),
        stream: None,
    })
}

/// How S3 answers a successful POST upload: status, extra headers, body. `location` is the
/// URL of the new object, `etag` quoted.
pub fn success_response(
    form: &PostForm,
    bucket: &str,
    key: &str,
    etag: &str,
    location: &str,
) -> (u16, Vec<(String, String)>, String) {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut headers = vec![
        ("ETag".to_string(), etag.to_string()),
        ("Location".to_string(), location.to_string()),
    ];
    let redirect = form
        .field("success_action_redirect")
        .or_else(|| form.field("redirect"))
        .filter(|r| r.starts_with("http://") || r.starts_with("https://"));
    if let Some(url) = redirect {
        let enc = |s: &str| utf8_percent_encode(s, UNRESERVED).to_string();
        let sep = if url.contains('?') { '&' } else { '?' };
        let target = format!(
            "{url}{sep}bucket={}&key={}&etag={}",
            enc(bucket),
            enc(key),
            enc(etag)
        );
        headers.retain(|(n, _)| n != "Location");
        headers.push(("Location".into(), target));
        return (303, headers, String::new());
    }
    match form.field("success_action_status") {
        Some("200") => (200, headers, String::new()),
        Some("201") => {
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
            };
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
                esc(location),
                esc(bucket),
                esc(key),
                esc(etag)
            );
            headers.push(("Content-Type".into(), "application/xml".into()));
            (201, headers, body)
        }
        _ => (204, headers, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn form(fields: &[(&str, &str)], file: &[u8]) -> (String, Bytes) {
        let mut body = Vec::new();
        for (n, v) in fields {
            body.extend_from_slice(
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n",
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        ("multipart/form-data; boundary=XyZ".into(), body.into())
    }

    fn policy(conditions: Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(
            json!({"expiration": "2030-01-01T00:00:00.000Z", "conditions": conditions}).to_string(),
        )
    }

    #[test]
    fn forms_parse_and_policies_check() {
        let (ct, body) = form(
            &[("key", "up/${filename}"), ("x-amz-meta-a", "1")],
            b"hi\r\nthere",
        );
        let f = parse_form(&ct, &body).unwrap();
        assert_eq!(f.key().unwrap(), "up/a.txt");
        assert_eq!(f.file.as_deref(), Some(&b"hi\r\nthere"[..]));
        let ok = policy(json!([{"bucket": "b"}, ["starts-with", "$key", "up/"],
            ["starts-with", "$x-amz-meta-a", ""], ["content-length-range", 1, 100]]));
        assert!(check_policy(&f, "b", &ok, 0).is_ok());
        let e = check_policy(&f, "other", &ok, 0).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"b\"]"
        );
        let extra = policy(json!([{"bucket": "b"}, ["starts-with", "$key", "up/"]]));
        assert_eq!(
            check_policy(&f, "b", &extra, 0).unwrap_err().message,
            "Invalid according to Policy: Extra input fields: x-amz-meta-a"
        );
        let small = policy(json!([{"bucket": "b"}, ["starts-with", "$key", ""],
            ["starts-with", "$x-amz-meta-a", ""], ["content-length-range", 0, 3]]));
        assert_eq!(
            check_policy(&f, "b", &small, 0).unwrap_err().code,
            "EntityTooLarge"
        );
        let expired = check_policy(&f, "b", &ok, 2_000_000_000).unwrap_err();
        assert_eq!(
            expired.message,
            "Invalid according to Policy: Policy expired."
        );
        assert_eq!(
            check_policy(&f, "b", "!!", 0).unwrap_err().code,
            "InvalidPolicyDocument"
        );
        let (status, headers, _) = success_response(
            &PostForm {
                fields: vec![("success_action_redirect".into(), "http://x/done".into())],
                ..Default::default()
            },
            "b",
            "k y",
            "\"e\"",
            "http://h/b/k",
        );
        assert_eq!(status, 303);
        assert!(headers.contains(&(
            "Location".into(),
            "http://x/done?bucket=b&key=k%20y&etag=%22e%22".into()
        )));
    }
}
