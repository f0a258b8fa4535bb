//! HTTP bindings shared by restJson1 and restXml: routing by method and `requestUri` template,
//! and the members that travel outside the body (URI labels, query parameters, headers, header
//! maps, the status code), in both directions.

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;
use gureum_core::AwsError;
use gureum_model::{Location, ServiceModel, Shape, ShapeKind, ShapeRef};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::HttpRequest;
use crate::value::{TimestampFormat, scalar_from_text, scalar_to_text, shape};

/// One path segment of a URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Label(String),
    /// `{Key+}`: one or more path segments, slashes kept.
    Greedy(String),
}

/// A parsed `requestUri`: path segments plus the literal query parts (`?uploads`,
/// `?list-type=2`) that select the operation.
#[derive(Debug, Clone)]
struct Template {
    segments: Vec<Segment>,
    query: Vec<(String, Option<String>)>,
}

impl Template {
    fn parse(uri: &str) -> Template {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let path = path.strip_prefix('/').unwrap_or(path);
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/')
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(label) => match label.strip_suffix('+') {
                            Some(greedy) => Segment::Greedy(greedy.to_string()),
                            None => Segment::Label(label.to_string()),
                        },
                        None => Segment::Literal(s.to_string()),
                    },
                )
                .collect()
        };
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (p.to_string(), None),
            })
            .collect();
        Template { segments, query }
    }

    fn literal_segments(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    fn has_greedy(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Greedy(_)))
    }

    /// Matches a raw (still percent-encoded) path; answers each label's raw text. A trailing
    /// slash is tolerated unless a greedy label would take it.
    fn match_path(&self, path: &str) -> Option<Vec<(&str, String)>> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let mut parts: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/').collect()
        };
        let greedy = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Greedy(_)));
        if greedy.is_none() && parts.last() == Some(&"") {
            parts.pop();
        }
        // The segments before and after the greedy label match one part each.
        let n = self.segments.len();
        let (head, tail) = match greedy {
            Some(at) if parts.len() >= n => (at, n - at - 1),
            None if parts.len() == n => (n, 0),
            _ => return None,
        };
        let mut labels = Vec::new();
        let fixed = self.segments[..head].iter().zip(&parts[..head]).chain(
            self.segments[n - tail..]
                .iter()
                .zip(&parts[parts.len() - tail..]),
        );
        for (seg, part) in fixed {
            if !match_segment(seg, part, &mut labels) {
                return None;
            }
        }
        if let Some(Segment::Greedy(name)) = greedy.map(|at| &self.segments[at]) {
            let middle = parts[head..parts.len() - tail].join("/");
            if middle.is_empty() {
                return None;
            }
            labels.push((name.as_str(), middle));
        }
        Some(labels)
    }

    fn query_matches(&self, pairs: &[(String, String)]) -> bool {
        self.query.iter().all(|(k, v)| {
            pairs
                .iter()
                .any(|(pk, pv)| pk == k && v.as_ref().is_none_or(|v| v == pv))
        })
    }
}

/// The parts of a request path, for [`Template::matches_parts`].
fn path_parts(path: &str) -> Vec<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

impl Template {
    /// Whether the path `all` (from [`path_parts`]) matches: [`Template::match_path`] without
    /// collecting labels, since routing tries every operation of the method.
    fn matches_parts(&self, all: &[&str]) -> bool {
        let greedy = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Greedy(_)));
        let parts = match all.split_last() {
            Some((&"", rest)) if greedy.is_none() => rest,
            _ => all,
        };
        let n = self.segments.len();
        let (head, tail) = match greedy {
            Some(at) if parts.len() >= n => (at, n - at - 1),
            None if parts.len() == n => (n, 0),
            _ => return false,
        };
        let matches = |seg: &Segment, part: &str| match seg {
            Segment::Literal(lit) => {
                part == lit || percent_decode_str(part).decode_utf8_lossy() == lit.as_str()
            }
            Segment::Label(_) => !part.is_empty(),
            Segment::Greedy(_) => false,
        };
        let fixed = self.segments[..head].iter().zip(&parts[..head]).chain(
            self.segments[n - tail..]
                .iter()
                .zip(&parts[parts.len() - tail..]),
        );
        for (seg, part) in fixed {
            if !matches(seg, part) {
                return false;
            }
        }
        // The greedy label's parts joined with '/' must not be empty.
        let middle = &parts[head..parts.len() - tail];
        greedy.is_none() || !(middle.len() == 1 && middle[0].is_empty())
    }
}

/// Matches one non-greedy template segment against one raw path segment.
fn match_segment<'t>(seg: &'t Segment, part: &str, labels: &mut Vec<(&'t str, String)>) -> bool {
    match seg {
        Segment::Literal(lit) => {
            part == lit || percent_decode_str(part).decode_utf8_lossy() == lit.as_str()
        }
        Segment::Label(name) if !part.is_empty() => {
            labels.push((name.as_str(), part.to_string()));
            true
        }
        _ => false,
    }
}

/// Operations that lose exact ties: deprecated twins of a newer operation with the same HTTP
/// binding, and S3 Express's `ListDirectoryBuckets` (served on a different endpoint by AWS).
const SHADOWED: &[&str] = &[
    "ListDirectoryBuckets",
    "GetBucketLifecycle",
    "PutBucketLifecycle",
    "GetBucketNotification",
    "PutBucketNotification",
];

/// A required member bound to the request line or headers: it disambiguates operations sharing
/// a URI (S3 `CopyObject` needs `x-amz-copy-source`, `UploadPart` needs `uploadId`).
#[derive(Debug)]
enum Needed {
    Header(String),
    Query(String),
}

#[derive(Debug)]
struct Candidate {
    name: &'static str,
    method: &'static str,
    template: Template,
    needed: Vec<Needed>,
    shadowed: bool,
}

fn candidates(model: &'static ServiceModel) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = model
        .operations
        .iter()
        // The map key is the operation's name as clients call it; `op.name` may carry a
        // version suffix (CloudFront's `ListDistributions2020_05_31`).
        .map(|(key, op)| {
            let mut needed = Vec::new();
            if let Some(s) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) {
                for m in &s.members {
                    if !s.is_required(&m.name) {
                        continue;
                    }
                    let wire = m
                        .target
                        .location_name
                        .clone()
                        .unwrap_or_else(|| m.name.clone());
                    match m.target.location {
                        Some(Location::Header) => {
                            needed.push(Needed::Header(wire.to_ascii_lowercase()))
                        }
                        Some(Location::Querystring)
                            if model
                                .shape(&m.target.shape)
                                .is_some_and(|t| t.kind != ShapeKind::Map) =>
                        {
                            needed.push(Needed::Query(wire))
                        }
                        _ => {}
                    }
                }
            }
            Candidate {
                name: key.as_str(),
                method: op.http.method.as_str(),
                template: Template::parse(&op.http.request_uri),
                needed,
                shadowed: SHADOWED.contains(&key.as_str()),
            }
        })
        .collect();
    // By method, then name: routing looks at one method's operations, in name order.
    out.sort_by_key(|c| (c.method, c.name));
    out
}

fn matcher(service: &str) -> Option<&'static [Candidate]> {
    static CELLS: OnceLock<HashMap<&'static str, OnceLock<Vec<Candidate>>>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| {
        gureum_model::service_names()
            .map(|n| (n, OnceLock::new()))
            .collect()
    });
    let cell = cells.get(service)?;
    let model = gureum_model::service(service)?;
    Some(cell.get_or_init(|| candidates(model)).as_slice())
}

/// The operation of `service` whose method and URI template match the request, the most
/// specific when several do. Specificity, in order: more literal path segments; more literal
/// query parts; every required header/query member present; more of them present; an `x-id`
/// query parameter naming the operation (sent by Smithy SDKs); not a deprecated twin; no
/// greedy label.
pub fn find_operation(service: &str, req: &HttpRequest) -> Option<&'static str> {
    let ops = matcher(service)?;
    let pairs = req.query_pairs();
    let x_id = pairs
        .iter()
        .find(|(k, _)| k == "x-id")
        .map(|(_, v)| v.as_str());
    let parts = path_parts(&req.path);
    let method = req.method.as_str();
    let start = ops.partition_point(|c| c.method < method);
    let end = start + ops[start..].partition_point(|c| c.method == method);
    ops[start..end]
        .iter()
        .filter(|c| c.template.query_matches(&pairs) && c.template.matches_parts(&parts))
        .max_by_key(|c| {
            let present = c
                .needed
                .iter()
                .filter(|n| match n {
                    Needed::Header(h) => req.headers.contains_key(h.as_str()),
                    Needed::Query(q) => pairs.iter().any(|(k, _)| k == q),
                })
                .count();
            (
                c.template.literal_segments(),
                c.template.query.len(),
                present == c.needed.len(),
                present,
                x_id == Some(c.name),
                !c.shadowed,
                !c.template.has_greedy(),
            )
        })
        .map(|c| c.name)
}

/// Text from the request line or headers into a scalar, answering the service's own code
/// (`bad_code`) for a value of the wrong type.
fn scalar(
    name: &str,
    r: &ShapeRef,
    s: &Shape,
    text: &str,
    default: TimestampFormat,
    bad_code: &'static str,
) -> Result<Value, AwsError> {
    scalar_from_text(name, Some(r), s, text, default)
        .map_err(|e| AwsError::bad_request(bad_code, e.message))
}

/// Query parameters that belong to the transport, never to an operation's members.
fn is_transport_param(key: &str) -> bool {
    key == "x-id" || key.starts_with("X-Amz-") || key.starts_with("x-amz-")
}

/// Decodes every member of `input` bound to the URI, query string or headers. `bad_code` is
/// the error code the service answers for a value of the wrong type.
pub(crate) fn decode_bindings(
    model: &ServiceModel,
    template: &str,
    input: &Shape,
    req: &HttpRequest,
    bad_code: &'static str,
) -> Result<Map<String, Value>, AwsError> {
    let template = Template::parse(template);
    let labels = template.match_path(&req.path).unwrap_or_default();
    let pairs = req.query_pairs();
    // Parameters a query map must not swallow: other members' and the template's literals.
    let claimed: Vec<&str> = input
        .members
        .iter()
        .filter(|m| m.target.location == Some(Location::Querystring))
        .filter_map(|m| m.target.location_name.as_deref())
        .chain(template.query.iter().map(|(k, _)| k.as_str()))
        .collect();
    let mut out = Map::new();
    for m in &input.members {
        let r = &m.target;
        let s = shape(model, &r.shape)?;
        let wire = r.location_name.as_deref().unwrap_or(&m.name);
        let value = match r.location {
            Some(Location::Uri) => match labels.iter().find(|(k, _)| *k == wire) {
                Some((_, raw)) => {
                    let text = percent_decode_str(raw).decode_utf8().map_err(|_| {
                        AwsError::bad_request(
                            bad_code,
                            format!("the URI label '{wire}' is not UTF-8"),
                        )
                    })?;
                    Some(scalar(
                        wire,
                        r,
                        s,
                        &text,
                        TimestampFormat::Iso8601,
                        bad_code,
                    )?)
                }
                None => None,
            },
            Some(Location::Querystring) if s.kind == ShapeKind::Map => {
                let unclaimed = pairs
                    .iter()
                    .filter(|(k, _)| !claimed.contains(&k.as_str()) && !is_transport_param(k));
                query_map(model, s, unclaimed, bad_code)?
            }
            Some(Location::Querystring) => {
                let mut texts = pairs.iter().filter(|(k, _)| k == wire).map(|(_, v)| v);
                match (s.kind, s.member.as_ref()) {
                    (ShapeKind::List, Some(item)) => {
                        let item_shape = shape(model, &item.shape)?;
                        let items = texts
                            .map(|t| {
                                scalar(
                                    wire,
                                    item,
                                    item_shape,
                                    t,
                                    TimestampFormat::Iso8601,
                                    bad_code,
                                )
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        (!items.is_empty()).then_some(Value::Array(items))
                    }
                    _ => match texts.next() {
                        Some(t) => Some(scalar(wire, r, s, t, TimestampFormat::Iso8601, bad_code)?),
                        None => None,
                    },
                }
            }
            Some(Location::Header) => {
                let values: Vec<String> = req
                    .headers
                    .get_all(wire)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect();
                if values.is_empty() {
                    None
                } else {
                    Some(header_value(
                        model,
                        wire,
                        r,
                        s,
                        &values.join(","),
                        bad_code,
                    )?)
                }
            }
            Some(Location::Headers) => {
                header_map(model, &wire.to_ascii_lowercase(), s, req, bad_code)?
            }
            Some(Location::StatusCode) | None => None,
        };
        if let Some(value) = value {
            out.insert(m.name.clone(), value);
        }
    }
    Ok(out)
}

/// A query-string map: every unclaimed parameter, the first value of each (or all of them
/// when the map's values are lists).
fn query_map<'a>(
    model: &ServiceModel,
    s: &Shape,
    pairs: impl Iterator<Item = &'a (String, String)>,
    bad_code: &'static str,
) -> Result<Option<Value>, AwsError> {
    let Some(v) = s.value.as_ref() else {
        return Ok(None);
    };
    let vs = shape(model, &v.shape)?;
    let mut map = Map::new();
    for (k, text) in pairs {
        if vs.kind == ShapeKind::List {
            if let Value::Array(items) = map
                .entry(k.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                items.push(Value::String(text.clone()));
            }
        } else if !map.contains_key(k) {
            map.insert(
                k.clone(),
                scalar(k, v, vs, text, TimestampFormat::Iso8601, bad_code)?,
            );
        }
    }
    Ok((!map.is_empty()).then_some(Value::Object(map)))
}

/// A `headers` map: every header starting with `prefix` (lower case), keyed by the rest of
/// its (lower-cased) name, as S3's `x-amz-meta-*` user metadata.
fn header_map(
    model: &ServiceModel,
    prefix: &str,
    s: &Shape,
    req: &HttpRequest,
    bad_code: &'static str,
) -> Result<Option<Value>, AwsError> {
    let Some(v) = s.value.as_ref() else {
        return Ok(None);
    };
    let vs = shape(model, &v.shape)?;
    let mut map = Map::new();
    for (name, value) in &req.headers {
        if let Some(key) = name.as_str().strip_prefix(prefix) {
            let text = String::from_utf8_lossy(value.as_bytes());
            map.insert(
                key.to_string(),
                scalar(
                    name.as_str(),
                    v,
                    vs,
                    &text,
                    TimestampFormat::Rfc822,
                    bad_code,
                )?,
            );
        }
    }
    Ok((!map.is_empty()).then_some(Value::Object(map)))
}

/// One header's text into a value: lists are comma-separated (quoted items may hold commas),
/// `jsonvalue` strings are base64-encoded JSON, timestamps default to RFC 822.
fn header_value(
    model: &ServiceModel,
    name: &str,
    r: &ShapeRef,
    s: &Shape,
    text: &str,
    bad_code: &'static str,
) -> Result<Value, AwsError> {
    if s.kind == ShapeKind::List {
        let Some(item) = s.member.as_ref() else {
            return Ok(Value::Array(Vec::new()));
        };
        let item_shape = shape(model, &item.shape)?;
        let http_dates = item_shape.kind == ShapeKind::Timestamp
            && TimestampFormat::of(Some(item), item_shape, TimestampFormat::Rfc822)
                == TimestampFormat::Rfc822;
        return split_header_list(text, http_dates)
            .iter()
            .map(|t| scalar(name, item, item_shape, t, TimestampFormat::Rfc822, bad_code))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if r.jsonvalue && s.kind == ShapeKind::String {
        let bad = || {
            AwsError::bad_request(
                bad_code,
                format!("header '{name}' is not base64-encoded JSON"),
            )
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| bad())?;
        return serde_json::from_slice(&bytes).map_err(|_| bad());
    }
    let text = if s.kind == ShapeKind::String {
        text
    } else {
        text.trim()
    };
    scalar(name, r, s, text, TimestampFormat::Rfc822, bad_code)
}

/// Splits a comma-separated header list; double-quoted items may hold commas and `\"`.
/// HTTP dates hold a comma themselves, so they pair up (`Mon, 01 Jan ...`).
fn split_header_list(text: &str, http_dates: bool) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => cur.extend(chars.next()),
            ',' if !quoted => items.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    items.push(cur);
    let items: Vec<String> = items.into_iter().map(|s| s.trim().to_string()).collect();
    if http_dates {
        items.chunks(2).map(|pair| pair.join(", ")).collect()
    } else {
        items.into_iter().filter(|s| !s.is_empty()).collect()
    }
}

/// Whether a header value can go on the wire as is (no control characters but tab).
fn header_safe(v: &str) -> bool {
    !v.chars().any(|c| c.is_control() && c != '\t')
}

/// Writes the output members bound to headers and the status code. Answers the status a
/// `statusCode` member carries, if any.
pub(crate) fn encode_bindings(
    model: &ServiceModel,
    output: &Shape,
    params: &Value,
    headers: &mut Vec<(String, String)>,
) -> Result<Option<u16>, AwsError> {
    let Value::Object(fields) = params else {
        return Ok(None);
    };
    let mut status = None;
    // The answer's fields, not the shape's members: an output shape (GetObject's) has dozens of
    // members bound to headers, of which an answer sets a few.
    for (name, v) in fields {
        if v.is_null() {
            continue;
        }
        let Some(m) = output.member(name) else {
            continue;
        };
        let Some(location) = m.target.location else {
            continue;
        };
        let r = &m.target;
        let s = shape(model, &r.shape)?;
        let wire = r.location_name.as_deref().unwrap_or(&m.name);
        match location {
            Location::StatusCode => {
                status = v
                    .as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|c| (100..600).contains(c))
            }
            Location::Header => {
                if let Some(text) = header_text(model, r, s, v)? {
                    if header_safe(&text) {
                        headers.push((wire.to_string(), text));
                    }
                }
            }
            Location::Headers => {
                let Value::Object(map) = v else { continue };
                let vs = s
                    .value
                    .as_ref()
                    .map(|vr| shape(model, &vr.shape).map(|s| (vr, s)))
                    .transpose()?;
                for (k, item) in map {
                    let text = match vs {
                        Some((vr, vs)) => {
                            scalar_to_text(Some(vr), vs, item, TimestampFormat::Rfc822)
                        }
                        None => item.as_str().map(str::to_string),
                    };
                    if let Some(text) = text.filter(|t| header_safe(t) && header_safe(k)) {
                        headers.push((format!("{wire}{k}"), text));
                    }
                }
            }
            Location::Uri | Location::Querystring => {}
        }
    }
    // HTTP's rule: a successful answer carrying a Content-Range is a partial one (S3's ranged
    // GetObject), whatever the operation's usual status.
    if status.is_none()
        && headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-range"))
    {
        status = Some(206);
    }
    Ok(status)
}

fn header_text(
    model: &ServiceModel,
    r: &ShapeRef,
    s: &Shape,
    v: &Value,
) -> Result<Option<String>, AwsError> {
    if s.kind == ShapeKind::List {
        let (Some(item), Value::Array(items)) = (s.member.as_ref(), v) else {
            return Ok(None);
        };
        let item_shape = shape(model, &item.shape)?;
        let texts: Vec<String> = items
            .iter()
            .filter_map(|i| {
                let t = scalar_to_text(Some(item), item_shape, i, TimestampFormat::Rfc822)?;
                Some(
                    if item_shape.kind == ShapeKind::String && t.contains([',', '"']) {
                        format!("\"{}\"", t.replace('"', "\\\""))
                    } else {
                        t
                    },
                )
            })
            .collect();
        return Ok((!texts.is_empty()).then(|| texts.join(",")));
    }
    if r.jsonvalue && s.kind == ShapeKind::String {
        let json = serde_json::to_string(v).map_err(|e| AwsError::internal(e.to_string()))?;
        return Ok(Some(base64::engine::general_purpose::STANDARD.encode(json)));
    }
    Ok(scalar_to_text(Some(r), s, v, TimestampFormat::Rfc822))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::HttpResponse;
    use gureum_core::{OperationInput, OperationOutput};
    use gureum_model::Operation;
    use serde_json::json;

    #[test]
    fn matches_parts_agrees_with_match_path() {
        let paths = [
            "/",
            "",
            "/b",
            "/b/",
            "/b/k",
            "/b/k/",
            "/b/a/b/c",
            "/b//",
            "//",
            "/b/%2F",
            "/2015-03-31/functions",
            "/2015-03-31/functions/f/invocations",
        ];
        for service in ["s3", "lambda", "apigateway"] {
            let Some(ops) = matcher(service) else {
                continue;
            };
            for c in ops {
                for path in paths {
                    assert_eq!(
                        c.template.matches_parts(&path_parts(path)),
                        c.template.match_path(path).is_some(),
                        "{service} {} {path:?}",
                        c.name
                    );
                }
            }
        }
    }

    pub(crate) fn request(
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpRequest {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        HttpRequest {
            method: method.parse().unwrap(),
            path: path.to_string(),
            query: query.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                        v.parse().unwrap(),
                    )
                })
                .collect(),
            body: body.to_vec().into(),
        }
    }

    type Decode = fn(&ServiceModel, &Operation, &HttpRequest) -> Result<OperationInput, AwsError>;
    type Encode = fn(&ServiceModel, &Operation, OperationOutput) -> Result<HttpResponse, AwsError>;

    /// Routes a request to `service` and decodes it with `decode`: the operation and the input.
    pub(crate) fn decode_with(
        decode: Decode,
        service: &str,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (String, Result<OperationInput, AwsError>) {
        let model = gureum_model::service(service).unwrap();
        let req = request(method, target, headers, body);
        let op = find_operation(service, &req).expect("routes");
        (
            op.to_string(),
            decode(model, model.operation(op).unwrap(), &req),
        )
    }

    /// Encodes an output of `service`'s `op` with `encode`.
    pub(crate) fn encode_with(
        encode: Encode,
        service: &str,
        op: &str,
        params: serde_json::Value,
        payload: Option<&[u8]>,
    ) -> HttpResponse {
        let model = gureum_model::service(service).unwrap();
        let out = OperationOutput {
            status: None,
            params,
            payload: payload.map(|p| bytes::Bytes::from(p.to_vec())),
            stream: None,
            usage: Vec::new(),
        };
        encode(model, model.operation(op).unwrap(), out).unwrap()
    }

    /// A response header's value, by case-insensitive name.
    pub(crate) fn header<'a>(resp: &'a HttpResponse, name: &str) -> Option<&'a str> {
        resp.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Matches a `requestUri` template against a raw path and query; answers the decoded labels
    /// when it matches (`None` also for labels that are not UTF-8 once decoded).
    fn match_uri(template: &str, path: &str, query: &str) -> Option<Vec<(String, String)>> {
        let t = Template::parse(template);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if !t.query_matches(&pairs) {
            return None;
        }
        t.match_path(path)?
            .into_iter()
            .map(|(k, raw)| {
                Some((
                    k.to_string(),
                    percent_decode_str(&raw).decode_utf8().ok()?.into_owned(),
                ))
            })
            .collect()
    }

    #[test]
    fn routes_s3_requests() {
        let copy = [("x-amz-copy-source", "src/k")];
        let cases: &[(&str, &str, &[(&str, &str)], &str)] = &[
            ("GET", "/", &[], "ListBuckets"),
            ("PUT", "/b", &[], "CreateBucket"),
            ("PUT", "/b/", &[], "CreateBucket"),
            ("HEAD", "/b", &[], "HeadBucket"),
            ("DELETE", "/b/", &[], "DeleteBucket"),
            ("GET", "/b", &[], "ListObjects"),
            ("GET", "/b/", &[], "ListObjects"),
            ("GET", "/b?list-type=2&prefix=a", &[], "ListObjectsV2"),
            ("GET", "/b/?list-type=2", &[], "ListObjectsV2"),
            ("GET", "/b?versions", &[], "ListObjectVersions"),
            ("GET", "/b?uploads", &[], "ListMultipartUploads"),
            (
                "GET",
                "/b?lifecycle",
                &[],
                "GetBucketLifecycleConfiguration",
            ),
            (
                "PUT",
                "/b?notification",
                &[],
                "PutBucketNotificationConfiguration",
            ),
            (
                "GET",
                "/b?analytics",
                &[],
                "ListBucketAnalyticsConfigurations",
            ),
            (
                "GET",
                "/b?analytics&id=x",
                &[],
                "GetBucketAnalyticsConfiguration",
            ),
            ("PUT", "/b?tagging", &[], "PutBucketTagging"),
            ("POST", "/b?delete", &[], "DeleteObjects"),
            ("PUT", "/b/k", &[], "PutObject"),
            ("PUT", "/b/k?x-id=PutObject", &[], "PutObject"),
            ("PUT", "/b/k", &copy, "CopyObject"),
            ("PUT", "/b/k?partNumber=1&uploadId=u", &[], "UploadPart"),
            (
                "PUT",
                "/b/k?partNumber=1&uploadId=u",
                &copy,
                "UploadPartCopy",
            ),
            ("PUT", "/b/k?tagging", &[], "PutObjectTagging"),
            ("GET", "/b/k", &[], "GetObject"),
            ("GET", "/b/k?x-id=GetObject", &[], "GetObject"),
            ("GET", "/b/k?uploadId=u", &[], "ListParts"),
            ("GET", "/b/k?acl", &[], "GetObjectAcl"),
            ("HEAD", "/b/dir/k", &[], "HeadObject"),
            ("DELETE", "/b/k", &[], "DeleteObject"),
            ("DELETE", "/b/k?uploadId=u", &[], "AbortMultipartUpload"),
            ("POST", "/b/k?uploads", &[], "CreateMultipartUpload"),
            ("POST", "/b/k?uploadId=u", &[], "CompleteMultipartUpload"),
            (
                "POST",
                "/b/k?select&select-type=2",
                &[],
                "SelectObjectContent",
            ),
            ("GET", "/b/a/b%20c/%E2%82%AC.txt", &[], "GetObject"),
            ("GET", "/b/dir/", &[], "GetObject"),
        ];
        for (method, target, headers, want) in cases {
            let req = request(method, target, headers, b"");
            assert_eq!(find_operation("s3", &req), Some(*want), "{method} {target}");
        }
        assert_eq!(
            find_operation("s3", &request("PATCH", "/b", &[], b"")),
            None
        );
    }

    #[test]
    fn routes_rest_json_and_other_rest_xml_services() {
        let cases = [
            (
                "lambda",
                "POST",
                "/2015-03-31/functions/f/invocations",
                "Invoke",
            ),
            ("lambda", "GET", "/2015-03-31/functions/", "ListFunctions"),
            ("lambda", "GET", "/2015-03-31/functions", "ListFunctions"),
            ("lambda", "POST", "/2015-03-31/functions", "CreateFunction"),
            (
                "lambda",
                "GET",
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af",
                "GetFunction",
            ),
            (
                "lambda",
                "GET",
                "/2018-10-31/layers?find=LayerVersion&Arn=a",
                "GetLayerVersionByArn",
            ),
            ("lambda", "GET", "/2018-10-31/layers", "ListLayers"),
            (
                "lambda",
                "GET",
                "/2019-09-30/functions/f/provisioned-concurrency?List=ALL",
                "ListProvisionedConcurrencyConfigs",
            ),
            (
                "lambda",
                "GET",
                "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1",
                "GetProvisionedConcurrencyConfig",
            ),
            (
                "route53",
                "POST",
                "/2013-04-01/hostedzone",
                "CreateHostedZone",
            ),
            (
                "route53",
                "GET",
                "/2013-04-01/hostedzone/Z1",
                "GetHostedZone",
            ),
            (
                "route53",
                "POST",
                "/2013-04-01/hostedzone/Z1/rrset/",
                "ChangeResourceRecordSets",
            ),
            (
                "route53",
                "POST",
                "/2013-04-01/hostedzone/Z1/rrset",
                "ChangeResourceRecordSets",
            ),
            (
                "glacier",
                "POST",
                "/-/vaults/v/tags?operation=add",
                "AddTagsToVault",
            ),
            (
                "glacier",
                "POST",
                "/-/vaults/v/tags?operation=remove",
                "RemoveTagsFromVault",
            ),
            (
                "efs",
                "GET",
                "/2015-02-01/file-systems/replication-configurations",
                "DescribeReplicationConfigurations",
            ),
            (
                "s3control",
                "GET",
                "/v20180820/mrap/instances/a/b/policy",
                "GetMultiRegionAccessPointPolicy",
            ),
            (
                "s3control",
                "GET",
                "/v20180820/mrap/instances/a/b",
                "GetMultiRegionAccessPoint",
            ),
        ];
        for (service, method, target, want) in cases {
            let req = request(method, target, &[], b"");
            assert_eq!(
                find_operation(service, &req),
                Some(want),
                "{service} {method} {target}"
            );
        }
    }

    /// Every pair of operations sharing a binding is told apart by something.
    #[test]
    fn no_unresolved_ties_in_rest_models() {
        for service in [
            "s3",
            "s3control",
            "cloudfront",
            "route53",
            "lambda",
            "efs",
            "glacier",
        ] {
            let ops = matcher(service).unwrap();
            for a in ops {
                assert!(
                    a.template.segments.iter().all(|s| match s {
                        Segment::Literal(l) => !l.contains(['{', '}']),
                        _ => true,
                    }),
                    "{service} {}: partial label",
                    a.name
                );
                for b in ops.iter().filter(|b| b.name < a.name) {
                    let same = a.method == b.method
                        && a.template.segments == b.template.segments
                        && a.template.query == b.template.query
                        && format!("{:?}", a.needed) == format!("{:?}", b.needed);
                    assert!(
                        !same || a.shadowed != b.shadowed,
                        "{service}: {} ties {}",
                        a.name,
                        b.name
                    );
                }
            }
        }
    }

    #[test]
    fn match_uri_decodes_labels() {
        let cases: &[(&str, &str, &str, Option<Vec<(&str, &str)>>)] = &[
            (
                "/{Bucket}/{Key+}",
                "/b/a/b%20c/%E2%82%AC",
                "",
                Some(vec![("Bucket", "b"), ("Key", "a/b c/€")]),
            ),
            (
                "/{Bucket}/{Key+}",
                "/b/a%2Fb",
                "",
                Some(vec![("Bucket", "b"), ("Key", "a/b")]),
            ),
            (
                "/{Bucket}/{Key+}",
                "/b//lead",
                "",
                Some(vec![("Bucket", "b"), ("Key", "/lead")]),
            ),
            ("/{Bucket}/{Key+}", "/b/", "", None),
            (
                "/{Bucket}?uploads",
                "/b",
                "uploads",
                Some(vec![("Bucket", "b")]),
            ),
            ("/{Bucket}?uploads", "/b", "", None),
            ("/{Bucket}?list-type=2", "/b", "list-type=1", None),
            (
                "/v/{name+}/policy",
                "/v/x/y/policy",
                "",
                Some(vec![("name", "x/y")]),
            ),
            ("/f/{Name}", "/f/%FF", "", None),
        ];
        for (template, path, query, want) in cases {
            let want = want.as_ref().map(|v| {
                v.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(
                match_uri(template, path, query),
                want,
                "{template} {path}?{query}"
            );
        }
    }

    fn bindings(
        service: &str,
        op: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Result<Value, AwsError> {
        let model = gureum_model::service(service).unwrap();
        let op = model.operation(op).unwrap();
        let input = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
        let req = request(op.http.method.as_str(), target, headers, b"");
        decode_bindings(model, &op.http.request_uri, input, &req, "InvalidArgument")
            .map(Value::Object)
    }

    #[test]
    fn decodes_labels_query_and_headers() {
        let cases: Vec<(&str, &str, &str, Vec<(&str, &str)>, Value)> = vec![
            (
                "s3",
                "ListObjectsV2",
                "/b?list-type=2&prefix=a%2Fb+c&max-keys=10&fetch-owner=true",
                vec![("x-amz-optional-object-attributes", "RestoreStatus")],
                json!({"Bucket": "b", "Prefix": "a/b c", "MaxKeys": 10, "FetchOwner": true,
                       "OptionalObjectAttributes": ["RestoreStatus"]}),
            ),
            (
                "s3",
                "PutObject",
                "/b/dir/n%C3%A4me%20x.txt",
                vec![
                    ("content-type", "text/plain"),
                    ("content-length", "5"),
                    ("x-amz-meta-Color", "blue"),
                    ("x-amz-meta-shape", "round"),
                    (
                        "x-amz-object-lock-retain-until-date",
                        "2023-11-14T22:13:20Z",
                    ),
                ],
                json!({"Bucket": "b", "Key": "dir/näme x.txt", "ContentType": "text/plain", "ContentLength": 5,
                       "Metadata": {"color": "blue", "shape": "round"}, "ObjectLockRetainUntilDate": 1700000000.0}),
            ),
            (
                "s3",
                "GetObject",
                "/b/k?x-id=GetObject&response-expires=Tue%2C%2014%20Nov%202023%2022%3A13%3A20%20GMT",
                vec![
                    ("if-modified-since", "Tue, 14 Nov 2023 22:13:20 GMT"),
                    ("range", "bytes=0-9"),
                ],
                json!({"Bucket": "b", "Key": "k", "IfModifiedSince": 1700000000.0, "Range": "bytes=0-9",
                       "ResponseExpires": 1700000000.0}),
            ),
            (
                "s3",
                "GetObjectAttributes",
                "/b/k?attributes",
                vec![(
                    "x-amz-object-attributes",
                    "ETag, \"Object,Size\",StorageClass",
                )],
                json!({"Bucket": "b", "Key": "k", "ObjectAttributes": ["ETag", "Object,Size", "StorageClass"]}),
            ),
            (
                "lambda",
                "ListTags",
                "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af",
                vec![],
                json!({"Resource": "arn:aws:lambda:us-east-1:1:function:f"}),
            ),
            (
                "lambda",
                "UntagResource",
                "/2017-03-31/tags/r?tagKeys=a&tagKeys=b",
                vec![],
                json!({"Resource": "r", "TagKeys": ["a", "b"]}),
            ),
        ];
        for (service, op, target, headers, want) in cases {
            assert_eq!(
                bindings(service, op, target, &headers).unwrap(),
                want,
                "{service} {op}"
            );
        }
    }

    #[test]
    fn refuses_bad_bound_values() {
        let cases: [(&str, &str, &[(&str, &str)]); 4] = [
            ("ListObjectsV2", "/b?list-type=2&max-keys=ten", &[]),
            ("ListObjectsV2", "/b?list-type=2&fetch-owner=yes", &[]),
            ("GetObject", "/b/k", &[("if-modified-since", "yesterday")]),
            ("GetObject", "/b/k", &[("part-number", "1")]),
        ];
        for (op, target, headers) in &cases[..3] {
            let err = bindings("s3", op, target, headers).unwrap_err();
            assert_eq!(
                (err.code.as_ref(), err.status),
                ("InvalidArgument", 400),
                "{op} {target}"
            );
        }
        // Unknown headers are ignored.
        let (op, target, headers) = cases[3];
        assert!(bindings("s3", op, target, headers).is_ok());
    }

    #[test]
    fn encodes_headers_status_and_header_maps() {
        let model = gureum_model::service("s3").unwrap();
        let out = model.shape("GetObjectOutput").unwrap();
        let mut headers = Vec::new();
        let params = json!({"ContentLength": 5, "LastModified": 1700000000, "ETag": "\"e\"",
                            "Metadata": {"color": "blue"}, "DeleteMarker": false, "ContentType": "text/plain",
                            "Expiration": "bad\r\nheader"});
        assert_eq!(
            encode_bindings(model, out, &params, &mut headers).unwrap(),
            None
        );
        let want = [
            ("ETag", "\"e\""),
            ("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT"),
            ("Content-Length", "5"),
            ("x-amz-delete-marker", "false"),
            ("Content-Type", "text/plain"),
            ("x-amz-meta-color", "blue"),
        ];
        for (k, v) in want {
            assert!(
                headers.iter().any(|(hk, hv)| hk == k && hv == v),
                "{k}: {headers:?}"
            );
        }
        assert!(
            !headers.iter().any(|(k, _)| k == "x-amz-expiration"),
            "control characters never reach the wire"
        );
        let lambda = gureum_model::service("lambda").unwrap();
        let out = lambda.shape("InvocationResponse").unwrap();
        let mut headers = Vec::new();
        let status = encode_bindings(
            lambda,
            out,
            &json!({"StatusCode": 202, "FunctionError": "Unhandled"}),
            &mut headers,
        );
        assert_eq!(status.unwrap(), Some(202));
        assert_eq!(
            headers,
            [("X-Amz-Function-Error".to_string(), "Unhandled".to_string())]
        );
    }

    /// No embedded REST model has query maps or `jsonvalue` headers; a synthetic one does.
    #[test]
    fn decodes_and_encodes_query_maps_and_json_headers() {
        let model: ServiceModel = serde_json::from_value(json!({
            "metadata": {"apiVersion": "1", "endpointPrefix": "t", "protocol": "rest-json", "serviceId": "T"},
            "operations": {},
            "shapes": {
                "In": {"type": "structure", "members": {
                    "Id": {"shape": "Str", "location": "uri", "locationName": "id"},
                    "Mode": {"shape": "Str", "location": "querystring", "locationName": "mode"},
                    "Rest": {"shape": "StrMap", "location": "querystring"},
                    "Doc": {"shape": "Str", "location": "header", "locationName": "x-doc", "jsonvalue": true},
                    "Days": {"shape": "Stamps", "location": "header", "locationName": "x-days"}}},
                "In2": {"type": "structure", "members": {
                    "Multi": {"shape": "ListMap", "location": "querystring"}}},
                "StrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
                "ListMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "StrList"}},
                "StrList": {"type": "list", "member": {"shape": "Str"}},
                "Stamps": {"type": "list", "member": {"shape": "Stamp"}},
                "Stamp": {"type": "timestamp"},
                "Str": {"type": "string"}
            }
        }))
        .unwrap();
        let req = request(
            "GET",
            "/things/a%2Fb?mode=m&x=1&y=2&x=3&X-Amz-Signature=s",
            &[
                ("x-doc", "eyJhIjpbMSwyXX0="),
                (
                    "x-days",
                    "Mon, 01 Jan 2024 00:00:00 GMT, Tue, 02 Jan 2024 00:00:00 GMT",
                ),
            ],
            b"",
        );
        let got = decode_bindings(
            &model,
            "/things/{id}",
            model.shape("In").unwrap(),
            &req,
            "Bad",
        )
        .unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"Id": "a/b", "Mode": "m", "Rest": {"x": "1", "y": "2"}, "Doc": {"a": [1, 2]},
                   "Days": [1704067200.0, 1704153600.0]})
        );
        let got =
            decode_bindings(&model, "/things", model.shape("In2").unwrap(), &req, "Bad").unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"Multi": {"mode": ["m"], "x": ["1", "3"], "y": ["2"]}})
        );
        let bad = request("GET", "/things/a", &[("x-doc", "not json")], b"");
        assert_eq!(
            decode_bindings(
                &model,
                "/things/{id}",
                model.shape("In").unwrap(),
                &bad,
                "Bad"
            )
            .unwrap_err()
            .code,
            "Bad"
        );
        let mut headers = Vec::new();
        encode_bindings(
            &model,
            model.shape("In").unwrap(),
            &json!({"Doc": {"a": [1, 2]}, "Days": [1704067200]}),
            &mut headers,
        )
        .unwrap();
        assert_eq!(
            headers,
            [
                (
                    "x-days".to_string(),
                    "Mon, 01 Jan 2024 00:00:00 GMT".to_string()
                ),
                ("x-doc".to_string(), "eyJhIjpbMSwyXX0=".to_string())
            ]
        );
    }

    #[test]
    fn header_lists_split_on_unquoted_commas() {
        assert_eq!(
            split_header_list("a, \"b,c\", \"d\\\"e\"", false),
            ["a", "b,c", "d\"e"]
        );
        assert_eq!(
            split_header_list(
                "Mon, 01 Jan 2024 00:00:00 GMT, Tue, 02 Jan 2024 00:00:00 GMT",
                true
            ),
            [
                "Mon, 01 Jan 2024 00:00:00 GMT",
                "Tue, 02 Jan 2024 00:00:00 GMT"
            ]
        );
        assert!(split_header_list("", false).is_empty());
    }
}
