//! Cross-origin resource sharing: Put/Get/DeleteBucketCors (validated as S3 does), the answer
//! to a browser's preflight `OPTIONS` request, and the `Access-Control-*` headers of an actual
//! request that carries `Origin`. The binary routes `OPTIONS` and adds the headers; the rules
//! and their evaluation are here.
//!
//! `s3.cors`: `join([bucket])` -> the `CORSRules` (see [`crate::subresource`]).

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use serde_json::{Value, json};

use crate::{S3, errors, str_param, subresource};

pub const CORS: &str = "s3.cors";

const METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];
const MAX_RULES: usize = 100;

fn no_such_cors() -> AwsError {
    AwsError::new(
        "NoSuchCORSConfiguration",
        404,
        "The CORS configuration does not exist",
    )
}

fn strings(rule: &Value, member: &str) -> Vec<String> {
    rule.get(member)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a `CORSConfiguration` as S3 does and answers the rules to store.
fn validate(config: &Value) -> Result<Vec<Value>, AwsError> {
    let rules = config
        .get("CORSRules")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(errors::malformed_xml)?;
    if rules.len() > MAX_RULES {
        return Err(errors::invalid_request(
            "The number of CORS rules should not exceed allowed limit of 100 rules.",
        ));
    }
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        let methods = strings(rule, "AllowedMethods");
        let origins = strings(rule, "AllowedOrigins");
        if methods.is_empty() || origins.is_empty() {
            return Err(errors::malformed_xml());
        }
        if let Some(m) = methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(errors::invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
        if let Some(o) = origins.iter().find(|o| o.matches('*').count() > 1) {
            return Err(errors::invalid_request(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
        let headers = strings(rule, "AllowedHeaders");
        if let Some(h) = headers.iter().find(|h| h.matches('*').count() > 1) {
            return Err(errors::invalid_request(format!(
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            )));
        }
        if str_param(rule, "ID").is_some_and(|id| id.len() > 255) {
            return Err(errors::invalid_argument(
                "The ID must be no more than 255 characters.",
            ));
        }
        let mut kept = json!({"AllowedMethods": methods, "AllowedOrigins": origins});
        if !headers.is_empty() {
            kept["AllowedHeaders"] = json!(headers);
        }
        let expose = strings(rule, "ExposeHeaders");
        if !expose.is_empty() {
            kept["ExposeHeaders"] = json!(expose);
        }
        if let Some(id) = str_param(rule, "ID") {
            kept["ID"] = id.into();
        }
        if let Some(age) = rule.get("MaxAgeSeconds").and_then(Value::as_i64) {
            kept["MaxAgeSeconds"] = age.into();
        }
        out.push(kept);
    }
    Ok(out)
}

pub fn put_bucket_cors(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let bucket = s3.bucket(ctx, str_param(p, "Bucket").unwrap_or_default())?;
    let config = p
        .get("CORSConfiguration")
        .ok_or_else(errors::malformed_xml)?;
    let rules = validate(config)?;
    subresource::store(s3, CORS, &bucket, Value::Array(rules))?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_cors(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let bucket = s3.bucket(ctx, str_param(&input.params, "Bucket").unwrap_or_default())?;
    let rules = subresource::load(s3, CORS, &bucket)?.ok_or_else(no_such_cors)?;
    Ok(OperationOutput::new(json!({ "CORSRules": rules })))
}

pub fn delete_bucket_cors(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    subresource::delete(s3, CORS, name)?;
    Ok(OperationOutput::new(json!({})))
}

/// Whether `value` matches `pattern`, which holds at most one `*`.
fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (pattern, value) = if ignore_case {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_string(), value.to_string())
    };
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.len() >= head.len() + tail.len()
                && value.starts_with(head)
                && value.ends_with(tail)
        }
    }
}

/// The first rule that allows `origin` to use `method` with `headers` (lower case).
fn matching_rule<'a>(
    rules: &'a [Value],
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<&'a Value> {
    rules.iter().find(|rule| {
        let origins = strings(rule, "AllowedOrigins");
        let methods = strings(rule, "AllowedMethods");
        let allowed_headers = strings(rule, "AllowedHeaders");
        origins.iter().any(|o| wildcard_match(o, origin, false))
            && methods.iter().any(|m| m == method)
            && headers
                .iter()
                .all(|h| allowed_headers.iter().any(|a| wildcard_match(a, h, true)))
    })
}

/// The `Access-Control-*` headers a matching rule answers for `origin`.
fn allow_headers(rule: &Value, origin: &str) -> Vec<(String, String)> {
    let wildcard = strings(rule, "AllowedOrigins").iter().any(|o| o == "*");
    let mut out = vec![(
        "Access-Control-Allow-Origin".to_string(),
        if wildcard { "*" } else { origin }.to_string(),
    )];
    out.push((
        "Access-Control-Allow-Methods".into(),
        strings(rule, "AllowedMethods").join(", "),
    ));
    let expose = strings(rule, "ExposeHeaders");
    if !expose.is_empty() {
        out.push(("Access-Control-Expose-Headers".into(), expose.join(", ")));
    }
    if let Some(age) = rule.get("MaxAgeSeconds").and_then(Value::as_i64) {
        out.push(("Access-Control-Max-Age".into(), age.to_string()));
    }
    if !wildcard {
        out.push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    out.push((
        "Vary".into(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".into(),
    ));
    out
}

fn forbidden(message: &str) -> AwsError {
    AwsError::new("AccessForbidden", 403, message.to_string())
}

impl S3 {
    /// The answer to a preflight `OPTIONS` request on `bucket` (or, with `object`, one of its
    /// objects): the headers to send with 200,
    /// or S3's error (400 without `Origin` or a method, 403 when no rule allows it).
    pub fn cors_preflight(
        &self,
        bucket: &str,
        object: bool,
        origin: Option<&str>,
        method: Option<&str>,
        request_headers: Option<&str>,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let Some(origin) = origin else {
            return Err(AwsError::new(
                "BadRequest",
                400,
                "Insufficient information. Origin request header needed.",
            ));
        };
        let Some(method) = method.filter(|m| METHODS.contains(m)) else {
            return Err(AwsError::new(
                "BadRequest",
                400,
                format!(
                    "Invalid Access-Control-Request-Method: {}",
                    method.unwrap_or("null")
                ),
            ));
        };
        let record = self
            .find_bucket(bucket)?
            .ok_or_else(|| errors::no_such_bucket(bucket))?;
        let Some(Value::Array(rules)) = subresource::load(self, CORS, &record)? else {
            return Err(forbidden(
                "CORSResponse: CORS is not enabled for this bucket.",
            ));
        };
        let headers: Vec<String> = request_headers
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let rule = matching_rule(&rules, origin, method, &headers).ok_or_else(|| {
            forbidden(
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            )
            .with_field("Method", method.into())
            .with_field("ResourceType", if object { "OBJECT" } else { "BUCKET" }.into())
        })?;
        let mut out = allow_headers(rule, origin);
        if !headers.is_empty() {
            out.push(("Access-Control-Allow-Headers".into(), headers.join(", ")));
        }
        Ok(out)
    }

    /// The `Access-Control-*` headers for an actual request by `method` from `origin` on
    /// `bucket`: none when no rule allows it (the browser then refuses the answer).
    pub fn cors_headers(&self, bucket: &str, origin: &str, method: &str) -> Vec<(String, String)> {
        let Some(record) = self.find_bucket(bucket).ok().flatten() else {
            return Vec::new();
        };
        let Ok(Some(Value::Array(rules))) = subresource::load(self, CORS, &record) else {
            return Vec::new();
        };
        matching_rule(&rules, origin, method, &[])
            .map(|rule| allow_headers(rule, origin))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_origins_methods_and_headers() {
        let rules = validate(&json!({"CORSRules": [
            {"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET"],
             "AllowedHeaders": ["x-amz-*"]},
            {"AllowedOrigins": ["*"], "AllowedMethods": ["PUT"]},
        ]}))
        .unwrap();
        let hit = |origin, method, headers: &[&str]| {
            let headers: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
            matching_rule(&rules, origin, method, &headers)
                .map(|r| strings(r, "AllowedMethods")[0].clone())
        };
        assert_eq!(
            hit("https://a.example.com", "GET", &["x-amz-date"]),
            Some("GET".into())
        );
        assert_eq!(
            hit("https://a.example.com", "GET", &["authorization"]),
            None
        );
        assert_eq!(hit("http://a.example.com", "GET", &[]), None);
        assert_eq!(hit("http://anything", "PUT", &[]), Some("PUT".into()));
        assert_eq!(hit("http://anything", "DELETE", &[]), None);
        for (bad, code) in [
            (
                json!({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]}),
                "InvalidRequest",
            ),
            (
                json!({"CORSRules": [{"AllowedOrigins": ["*.*"], "AllowedMethods": ["GET"]}]}),
                "InvalidRequest",
            ),
            (
                json!({"CORSRules": [{"AllowedMethods": ["GET"]}]}),
                "MalformedXML",
            ),
            (json!({"CORSRules": []}), "MalformedXML"),
        ] {
            assert_eq!(validate(&bad).unwrap_err().code, code, "{bad}");
        }
    }
}
