//! The website endpoint: a bucket with a website configuration served over plain HTTP at
//! `BUCKET.s3-website.REGION.<domain>` (or `s3-website-REGION`): index documents (for `/` and
//! `dir/`), the error document, redirects (of all requests, by routing rule, by an object's
//! `x-amz-website-redirect-location`), and S3's HTML error pages. Only what anonymous callers
//! may read is served: the caller passes the authorizer's answer in as `allowed`.

use bytes::Bytes;
use gureum_core::{AwsError, OperationInput, RequestContext};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::{S3, objects, str_param, website};

/// What the website endpoint answers.
#[derive(Debug)]
pub struct WebsiteResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// A large object's body, read from its blob as it is sent (instead of `body`).
    pub stream: Option<gureum_core::OutputStream>,
}

/// The bucket a website endpoint host names: `b.s3-website.us-east-1.localhost` or
/// `b.s3-website-us-east-1.amazonaws.com` (a port is ignored).
pub fn website_bucket(host: &str) -> Option<String> {
    // Every request passes here: answer the common case without allocating.
    const MARK: &[u8] = b".s3-website";
    if !host
        .as_bytes()
        .windows(MARK.len())
        .any(|w| w.eq_ignore_ascii_case(MARK))
    {
        return None;
    }
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let pos = host
        .find(".s3-website.")
        .or_else(|| host.find(".s3-website-"))?;
    let bucket = &host[..pos];
    (!bucket.is_empty()).then(|| bucket.to_string())
}

fn reason(status: u16) -> &'static str {
    match status {
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One error as the website endpoint describes it.
struct PageError {
    status: u16,
    code: &'static str,
    message: &'static str,
    /// Extra `<li>` lines (`Key: x`, `BucketName: b`).
    details: Vec<(&'static str, String)>,
}

impl PageError {
    fn access_denied() -> Self {
        PageError {
            status: 403,
            code: "AccessDenied",
            message: "Access Denied",
            details: Vec::new(),
        }
    }
}

/// S3's HTML error page, with the custom error document's own failure when it had one.
fn error_page(e: &PageError, document_error: Option<&PageError>, request_id: &str) -> String {
    let title = format!("{} {}", e.status, reason(e.status));
    let mut out = format!(
        "<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n<li>Code: {}</li>\n<li>Message: {}</li>\n",
        e.code, e.message
    );
    for (name, value) in &e.details {
        out.push_str(&format!("<li>{name}: {}</li>\n", escape(value)));
    }
    out.push_str(&format!(
        "<li>RequestId: {request_id}</li>\n<li>HostId: {request_id}</li>\n</ul>\n"
    ));
    if let Some(d) = document_error {
        out.push_str(&format!(
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: {}</li>\n<li>Message: {}</li>\n</ul>\n",
            d.code, d.message
        ));
    }
    out.push_str("<hr/>\n</body>\n</html>\n");
    out
}

fn html(status: u16, body: String) -> WebsiteResponse {
    WebsiteResponse {
        status,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: body.into(),
        stream: None,
    }
}

fn redirect(status: u16, location: String) -> WebsiteResponse {
    WebsiteResponse {
        status,
        headers: vec![("Location".into(), location)],
        body: Bytes::new(),
        stream: None,
    }
}

/// The redirect a routing rule's `Redirect` makes of `key`.
fn rule_redirect(rule: &Value, key: &str, host: &str) -> WebsiteResponse {
    let r = rule.get("Redirect").cloned().unwrap_or(Value::Null);
    let protocol = str_param(&r, "Protocol").unwrap_or("http");
    let host = str_param(&r, "HostName").unwrap_or(host);
    let prefix = rule
        .pointer("/Condition/KeyPrefixEquals")
        .and_then(Value::as_str)
        .unwrap_or("");
    let new_key = match (
        str_param(&r, "ReplaceKeyWith"),
        str_param(&r, "ReplaceKeyPrefixWith"),
    ) {
        (Some(with), _) => with.to_string(),
        (None, Some(with)) => format!("{with}{}", key.strip_prefix(prefix).unwrap_or(key)),
        (None, None) => key.to_string(),
    };
    let status = str_param(&r, "HttpRedirectCode")
        .and_then(|c| c.parse().ok())
        .unwrap_or(301);
    redirect(status, format!("{protocol}://{host}/{new_key}"))
}

/// The first routing rule whose condition holds for `key` (and the error `status`, when the
/// rule names one; rules naming one never match without an error).
fn matching_rule<'a>(config: &'a Value, key: &str, status: Option<u16>) -> Option<&'a Value> {
    config
        .get("RoutingRules")
        .and_then(Value::as_array)?
        .iter()
        .find(|rule| {
            let condition = rule.get("Condition");
            let prefix_ok = condition
                .and_then(|c| str_param(c, "KeyPrefixEquals"))
                .is_none_or(|p| key.starts_with(p));
            let code = condition.and_then(|c| str_param(c, "HttpErrorCodeReturnedEquals"));
            let code_ok = match (code, status) {
                (None, _) => true,
                (Some(c), Some(s)) => c == s.to_string(),
                (Some(_), None) => false,
            };
            prefix_ok && code_ok && (status.is_none() || code.is_some())
        })
}

/// What a request may do, as the authorizer decides for an anonymous caller: `GetObject` on a
/// key, `ListBucket` on the bucket.
pub type Allowed<'a> = &'a dyn Fn(&str, &str) -> bool;

impl S3 {
    /// Serves one request to the website endpoint of `bucket`. `host` is the request's Host
    /// (for redirects that keep it), `raw_path` still percent-encoded.
    pub fn serve_website(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        method: &str,
        host: &str,
        raw_path: &str,
        allowed: Allowed<'_>,
    ) -> WebsiteResponse {
        let request_id = ctx.request_id.as_str();
        if method != "GET" && method != "HEAD" {
            let e = PageError {
                status: 405,
                code: "MethodNotAllowed",
                message: "The specified method is not allowed against this resource.",
                details: vec![
                    ("Method", method.to_string()),
                    ("ResourceType", "OBJECT".into()),
                ],
            };
            return html(405, error_page(&e, None, request_id));
        }
        let with_bucket = |code, message| PageError {
            status: 404,
            code,
            message,
            details: vec![("BucketName", bucket.to_string())],
        };
        let Some(record) = self.find_bucket(bucket).ok().flatten() else {
            let e = with_bucket("NoSuchBucket", "The specified bucket does not exist");
            return html(404, error_page(&e, None, request_id));
        };
        let Some(config) = website::load(self, &record).ok().flatten() else {
            let e = with_bucket(
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
            );
            return html(404, error_page(&e, None, request_id));
        };
        let path = percent_decode_str(raw_path.trim_start_matches('/'))
            .decode_utf8_lossy()
            .to_string();
        if let Some(all) = config.get("RedirectAllRequestsTo") {
            let protocol = str_param(all, "Protocol").unwrap_or("http");
            let to = str_param(all, "HostName").unwrap_or(host);
            return redirect(301, format!("{protocol}://{to}/{path}"));
        }
        if let Some(rule) = matching_rule(&config, &path, None) {
            return rule_redirect(rule, &path, host);
        }
        let suffix = config
            .pointer("/IndexDocument/Suffix")
            .and_then(Value::as_str)
            .unwrap_or("index.html");
        let key = if path.is_empty() || path.ends_with('/') {
            format!("{path}{suffix}")
        } else {
            path.clone()
        };
        let head = method == "HEAD";
        let e = match self.website_object(ctx, bucket, &key, head, allowed) {
            Ok(resp) => return resp,
            Err(e) if e.code == "NoSuchKey" && !path.is_empty() && !path.ends_with('/') => {
                // `dir` answers a redirect to `dir/` when `dir/index.html` is there.
                let index = format!("{path}/{suffix}");
                if self
                    .website_object(ctx, bucket, &index, true, allowed)
                    .is_ok()
                {
                    return redirect(302, format!("/{path}/"));
                }
                e
            }
            Err(e) => e,
        };
        let mut e = e;
        // Without s3:ListBucket a missing key is not told apart from a forbidden one.
        if e.code == "NoSuchKey" && !allowed("ListBucket", "") {
            e = PageError::access_denied();
        }
        if let Some(rule) = matching_rule(&config, &path, Some(e.status)) {
            return rule_redirect(rule, &path, host);
        }
        let Some(document) = config.pointer("/ErrorDocument/Key").and_then(Value::as_str) else {
            return html(e.status, error_page(&e, None, request_id));
        };
        match self.website_object(ctx, bucket, document, head, allowed) {
            Ok(mut resp) => {
                resp.status = e.status;
                resp
            }
            Err(doc_error) => html(e.status, error_page(&e, Some(&doc_error), request_id)),
        }
    }

    /// One object, if anonymous callers may read it: its body (or just its headers), or the
    /// redirect its `x-amz-website-redirect-location` names.
    fn website_object(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        head: bool,
        allowed: Allowed<'_>,
    ) -> Result<WebsiteResponse, PageError> {
        if !allowed("GetObject", key) {
            return Err(PageError::access_denied());
        }
        let input = OperationInput {
            params: json!({"Bucket": bucket, "Key": key}),
            payload: None,
            stream: None,
        };
        let read = if head {
            objects::head_object(self, ctx, input)
        } else {
            objects::get_object(self, ctx, input)
        };
        let out = read.map_err(|e: AwsError| match e.code.as_ref() {
            "NoSuchKey" | "NoSuchVersion" => PageError {
                status: 404,
                code: "NoSuchKey",
                message: "The specified key does not exist.",
                details: vec![("Key", key.to_string())],
            },
            "InvalidObjectState" => PageError {
                status: 403,
                code: "InvalidObjectState",
                message: "The operation is not valid for the object's storage class",
                details: Vec::new(),
            },
            _ => PageError::access_denied(),
        })?;
        let p = &out.params;
        if let Some(to) = str_param(p, "WebsiteRedirectLocation") {
            return Ok(redirect(301, to.to_string()));
        }
        let mut headers = Vec::new();
        for (member, header) in [
            ("ContentType", "Content-Type"),
            ("ETag", "ETag"),
            ("CacheControl", "Cache-Control"),
            ("ContentEncoding", "Content-Encoding"),
            ("ContentDisposition", "Content-Disposition"),
            ("ContentLanguage", "Content-Language"),
        ] {
            if let Some(v) = str_param(p, member) {
                headers.push((header.to_string(), v.to_string()));
            }
        }
        if let Some(n) = p.get("ContentLength").and_then(Value::as_u64) {
            headers.push(("Content-Length".into(), n.to_string()));
        }
        if let Some(t) = p.get("LastModified").and_then(Value::as_f64) {
            headers.push(("Last-Modified".into(), crate::http::http_date(t as i64)));
        }
        Ok(WebsiteResponse {
            status: 200,
            headers,
            body: out.payload.unwrap_or_default(),
            stream: out.stream,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn website_hosts_name_their_bucket() {
        for (host, bucket) in [
            ("site.s3-website.us-east-1.localhost:4566", Some("site")),
            (
                "my.site.s3-website-eu-west-1.amazonaws.com",
                Some("my.site"),
            ),
            ("site.s3.localhost", None),
            ("localhost:4566", None),
        ] {
            assert_eq!(website_bucket(host).as_deref(), bucket, "{host}");
        }
    }

    #[test]
    fn routing_rules_match_prefixes_and_error_codes() {
        let config = json!({"RoutingRules": [
            {"Condition": {"KeyPrefixEquals": "docs/"},
             "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
            {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
             "Redirect": {"HostName": "fallback.test", "HttpRedirectCode": "302"}},
        ]});
        let r = rule_redirect(
            matching_rule(&config, "docs/a.html", None).unwrap(),
            "docs/a.html",
            "h",
        );
        assert_eq!(
            (r.status, r.headers[0].1.as_str()),
            (301, "http://h/documents/a.html")
        );
        assert!(matching_rule(&config, "other", None).is_none());
        let r = rule_redirect(matching_rule(&config, "x", Some(404)).unwrap(), "x", "h");
        assert_eq!(
            (r.status, r.headers[0].1.as_str()),
            (302, "http://fallback.test/x")
        );
        assert!(matching_rule(&config, "x", Some(403)).is_none());
    }
}
