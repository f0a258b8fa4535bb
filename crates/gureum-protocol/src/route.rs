//! Routing a raw request to (service, protocol, operation): by the Smithy RPC v2 path, by
//! `X-Amz-Target`, by the SigV4 scope's service and the `Action` parameter, and by matching
//! REST URI templates (with S3's virtual-hosted buckets folded into the path).

use gureum_model::NameMap;
use std::sync::OnceLock;

use gureum_core::AwsError;
use gureum_model::Metadata;

use crate::{HttpRequest, Protocol};

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// botocore's service name.
    pub service: &'static str,
    pub protocol: Protocol,
    pub operation: String,
}

/// Why a request could not be routed, with what is known so the error can be shaped.
#[derive(Debug, Clone)]
pub struct RouteError {
    pub service: Option<&'static str>,
    pub protocol: Protocol,
    pub error: AwsError,
}

struct Table {
    by_target: NameMap<&'static str, &'static str>,
    by_signing_name: NameMap<&'static str, Vec<&'static str>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let index = gureum_model::index();
        let mut by_target = NameMap::default();
        let mut by_signing_name: NameMap<&'static str, Vec<&'static str>> = NameMap::default();
        for name in gureum_model::service_names() {
            let meta: &'static Metadata = &index[name];
            if let Some(prefix) = meta.target_prefix.as_deref() {
                by_target.insert(prefix, name);
            }
            by_signing_name
                .entry(meta.signing_name())
                .or_default()
                .push(name);
        }
        Table {
            by_target,
            by_signing_name,
        }
    })
}

fn meta(service: &str) -> &'static Metadata {
    &gureum_model::index()[service]
}

/// The service named by a SigV4 credential scope, from the `Authorization` header or the
/// presigned `X-Amz-Credential` parameter: `AKID/date/region/service/aws4_request`.
pub fn scope_service(req: &HttpRequest) -> Option<String> {
    let credential = match req.header("authorization") {
        Some(auth) => auth
            .split("Credential=")
            .nth(1)?
            .split(',')
            .next()?
            .trim()
            .to_string(),
        None => req
            .query_pairs()
            .into_iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v)?,
    };
    let mut parts = credential.rsplit('/');
    let _terminator = parts.next()?;
    parts.next().map(str::to_string)
}

/// The form parameters of a query-protocol request: the query string, plus a form body.
pub fn query_params(req: &HttpRequest) -> Vec<(String, String)> {
    let mut params = req.query_pairs();
    let is_form = req
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form || (req.method == http::Method::POST && req.header("content-type").is_none()) {
        params.extend(form_urlencoded::parse(&req.body).into_owned());
    }
    params
}

/// Routes a request. May rewrite `req.path` (S3 virtual-hosted style becomes path style).
pub fn route(req: &mut HttpRequest) -> Result<Route, RouteError> {
    let table = table();
    // Smithy RPC v2 CBOR: /service/{ServiceName}/operation/{Operation}
    if req.header("smithy-protocol") == Some("rpc-v2-cbor") {
        let fail = |msg: &str| RouteError {
            service: None,
            protocol: Protocol::RpcV2Cbor,
            error: AwsError::new("UnknownOperationException", 404, msg.to_string()),
        };
        let rest = req
            .path
            .strip_prefix("/service/")
            .ok_or_else(|| fail("not an RPC v2 path"))?;
        let (svc, op) = rest
            .split_once("/operation/")
            .ok_or_else(|| fail("not an RPC v2 path"))?;
        let service = *table
            .by_target
            .get(svc)
            .ok_or_else(|| fail("unknown service"))?;
        return resolve_named(service, Protocol::RpcV2Cbor, op);
    }
    // awsJson: X-Amz-Target: Prefix.Operation
    if let Some(target) = req.header("x-amz-target") {
        let (prefix, op) = target.rsplit_once('.').unwrap_or((target, ""));
        if let Some(service) = table.by_target.get(prefix) {
            return resolve_named(service, Protocol::Json, op);
        }
        return Err(RouteError {
            service: None,
            protocol: Protocol::Json,
            error: AwsError::bad_request(
                "UnknownOperationException",
                format!("unknown target {target}"),
            ),
        });
    }
    let signed_for = scope_service(req);
    let candidates: Vec<&'static str> = match signed_for.as_deref() {
        Some(name) => table.by_signing_name.get(name).cloned().unwrap_or_default(),
        None => Vec::new(),
    };
    let (action, version) = action_and_version(req);
    let (action, version) = (action.as_deref(), version.as_deref());
    let pick = |service: &'static str| -> bool {
        let m = meta(service);
        match m.protocol.as_str() {
            "query" | "ec2" => true,
            _ => m.protocols.iter().any(|p| p == "query"),
        }
    };
    // Query protocols: an Action parameter, disambiguated by Version among same-scope services.
    if let Some(action) = action {
        let query_services: Vec<&'static str> = if candidates.is_empty() {
            gureum_model::service_names().filter(|s| pick(s)).collect()
        } else {
            candidates.iter().copied().filter(|s| pick(s)).collect()
        };
        let chosen = match version {
            Some(v) => query_services
                .iter()
                .copied()
                .find(|s| meta(s).api_version == v),
            None => None,
        }
        .or_else(|| (query_services.len() == 1).then(|| query_services[0]));
        if let Some(service) = chosen {
            let protocol = if meta(service).protocol == "ec2" {
                Protocol::Ec2
            } else {
                Protocol::Query
            };
            return resolve_named(service, protocol, action);
        }
        if !query_services.is_empty() {
            return Err(RouteError {
                service: query_services.first().copied(),
                protocol: Protocol::Query,
                error: AwsError::bad_request(
                    "InvalidAction",
                    format!(
                        "Could not find operation {action} for version {}",
                        version.unwrap_or("NO_VERSION_SPECIFIED")
                    ),
                ),
            });
        }
    }
    // REST protocols: pick the service by scope (or S3 when unsigned), then match the URI.
    let rest_candidates: Vec<&'static str> = candidates
        .iter()
        .copied()
        .filter(|s| matches!(meta(s).protocol.as_str(), "rest-json" | "rest-xml"))
        .collect();
    let service = match rest_candidates.as_slice() {
        [] if signed_for.is_none() || signed_for.as_deref() == Some("s3") => "s3",
        [] => {
            return Err(RouteError {
                service: None,
                protocol: Protocol::Query,
                error: AwsError::bad_request(
                    "UnknownService",
                    format!(
                        "gureum has no service for scope '{}'",
                        signed_for.unwrap_or_default()
                    ),
                ),
            });
        }
        [one] => one,
        many => {
            // s3 and s3control share the `s3` scope; s3control paths start with its version.
            if many.contains(&"s3control") && req.path.starts_with("/v20180820/") {
                "s3control"
            } else {
                many.iter()
                    .copied()
                    .find(|s| *s != "s3control")
                    .unwrap_or(many[0])
            }
        }
    };
    let protocol = if meta(service).protocol == "rest-json" {
        Protocol::RestJson
    } else {
        Protocol::RestXml
    };
    if service == "s3" {
        fold_virtual_host(req);
    }
    match crate::rest::find_operation(service, req) {
        Some(op) => Ok(Route {
            service,
            protocol,
            operation: op.to_string(),
        }),
        None => Err(RouteError {
            service: Some(service),
            protocol,
            error: if service == "s3" {
                AwsError::new(
                    "MethodNotAllowed",
                    405,
                    "The specified method is not allowed against this resource.",
                )
            } else {
                AwsError::new(
                    "UnknownOperationException",
                    404,
                    format!("no {service} operation matches {} {}", req.method, req.path),
                )
            },
        }),
    }
}

/// The `Action` and `Version` parameters of a query-protocol request, read in one pass over the
/// query string and form body without collecting the other parameters (the codec reads those).
fn action_and_version(req: &HttpRequest) -> (Option<String>, Option<String>) {
    let form = req
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form && !req.query.contains("Action=") {
        return (None, None);
    }
    let body: &[u8] =
        if form || (req.method == http::Method::POST && req.header("content-type").is_none()) {
            &req.body
        } else {
            &[]
        };
    let (mut action, mut version) = (None, None);
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()).chain(form_urlencoded::parse(body)) {
        match k.as_ref() {
            "Action" if action.is_none() => action = Some(v.into_owned()),
            "Version" if version.is_none() => version = Some(v.into_owned()),
            _ => {}
        }
        if action.is_some() && version.is_some() {
            break;
        }
    }
    (action, version)
}

fn resolve_named(service: &'static str, protocol: Protocol, op: &str) -> Result<Route, RouteError> {
    let model = gureum_model::service(service).ok_or_else(|| RouteError {
        service: None,
        protocol,
        error: AwsError::internal("model missing"),
    })?;
    if model.operation(op).is_none() {
        let error = match protocol {
            Protocol::Query | Protocol::Ec2 => AwsError::bad_request(
                "InvalidAction",
                format!(
                    "Could not find operation {op} for version {}",
                    model.metadata.api_version
                ),
            ),
            _ => AwsError::bad_request(
                "UnknownOperationException",
                format!("unknown operation {op}"),
            ),
        };
        return Err(RouteError {
            service: Some(service),
            protocol,
            error,
        });
    }
    Ok(Route {
        service,
        protocol,
        operation: op.to_string(),
    })
}

/// Virtual-hosted style: `bucket.s3.<anything>` or `bucket.localhost` becomes `/bucket/...`.
pub fn fold_virtual_host(req: &mut HttpRequest) {
    let Some(host) = req.header("host") else {
        return;
    };
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return;
    }
    let bucket = if let Some(pos) = host.find(".s3.") {
        &host[..pos]
    } else if let Some(b) = host.strip_suffix(".localhost") {
        // "s3.localhost" is the service itself, not a bucket.
        if b == "s3" || b.ends_with(".s3") {
            return;
        } else {
            b
        }
    } else {
        return;
    };
    if bucket.is_empty() || bucket.starts_with("s3-website") {
        return;
    }
    let bucket = bucket.to_string();
    req.path = if req.path == "/" || req.path.is_empty() {
        format!("/{bucket}")
    } else {
        format!("/{bucket}{}", req.path)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpRequest {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        HttpRequest {
            method: method.parse().unwrap(),
            path: path.into(),
            query: query.into(),
            headers: map,
            body: body.to_string().into(),
        }
    }

    fn auth(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
        )
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn routes_by_target_scope_action_and_path() {
        let sts = auth("sts");
        let monitoring = auth("monitoring");
        let elb = auth("elasticloadbalancing");
        let ec2 = auth("ec2");
        let s3 = auth("s3");
        let lambda = auth("lambda");
        let cases: Vec<(HttpRequest, (&str, Protocol, &str))> = vec![
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[FORM, ("authorization", &sts)],
                    "Action=GetCallerIdentity&Version=2011-06-15",
                ),
                ("sts", Protocol::Query, "GetCallerIdentity"),
            ),
            (
                req(
                    "GET",
                    "/",
                    "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fsts%2Faws4_request",
                    &[],
                    "",
                ),
                ("sts", Protocol::Query, "GetCallerIdentity"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[
                        ("x-amz-target", "DynamoDB_20120810.ListTables"),
                        ("authorization", &auth("dynamodb")),
                    ],
                    "{}",
                ),
                ("dynamodb", Protocol::Json, "ListTables"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[
                        ("x-amz-target", "DynamoDBStreams_20120810.ListStreams"),
                        ("authorization", &auth("dynamodb")),
                    ],
                    "{}",
                ),
                ("dynamodbstreams", Protocol::Json, "ListStreams"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[("x-amz-target", "TrentService.Encrypt")],
                    "{}",
                ),
                ("kms", Protocol::Json, "Encrypt"),
            ),
            (
                req(
                    "POST",
                    "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                    "",
                    &[
                        ("smithy-protocol", "rpc-v2-cbor"),
                        ("authorization", &monitoring),
                    ],
                    "",
                ),
                ("cloudwatch", Protocol::RpcV2Cbor, "ListMetrics"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[
                        ("x-amz-target", "GraniteServiceVersion20100801.ListMetrics"),
                        ("authorization", &monitoring),
                    ],
                    "{}",
                ),
                ("cloudwatch", Protocol::Json, "ListMetrics"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[FORM, ("authorization", &monitoring)],
                    "Action=ListMetrics&Version=2010-08-01",
                ),
                ("cloudwatch", Protocol::Query, "ListMetrics"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[FORM, ("authorization", &elb)],
                    "Action=DescribeLoadBalancers&Version=2015-12-01",
                ),
                ("elbv2", Protocol::Query, "DescribeLoadBalancers"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[FORM, ("authorization", &elb)],
                    "Action=DescribeLoadBalancers&Version=2012-06-01",
                ),
                ("elb", Protocol::Query, "DescribeLoadBalancers"),
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[FORM, ("authorization", &ec2)],
                    "Action=DescribeInstances&Version=2016-11-15",
                ),
                ("ec2", Protocol::Ec2, "DescribeInstances"),
            ),
            (
                req("GET", "/", "", &[("authorization", &s3)], ""),
                ("s3", Protocol::RestXml, "ListBuckets"),
            ),
            (
                req("GET", "/", "", &[], ""),
                ("s3", Protocol::RestXml, "ListBuckets"),
            ),
            (
                req(
                    "GET",
                    "/2015-03-31/functions/",
                    "",
                    &[("authorization", &lambda)],
                    "",
                ),
                ("lambda", Protocol::RestJson, "ListFunctions"),
            ),
        ];
        for (mut r, (service, protocol, op)) in cases {
            let got = route(&mut r).unwrap_or_else(|e| panic!("{service}.{op}: {:?}", e.error));
            assert_eq!(
                (got.service, got.protocol, got.operation.as_str()),
                (service, protocol, op)
            );
        }
    }

    #[test]
    fn unknown_operations_answer_in_their_protocol() {
        let cases = [
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[FORM, ("authorization", &auth("sts"))],
                    "Action=Nope&Version=2011-06-15",
                ),
                "InvalidAction",
                Protocol::Query,
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[("x-amz-target", "DynamoDB_20120810.Nope")],
                    "{}",
                ),
                "UnknownOperationException",
                Protocol::Json,
            ),
            (
                req("POST", "/", "", &[("x-amz-target", "Nobody.Nope")], "{}"),
                "UnknownOperationException",
                Protocol::Json,
            ),
            (
                req(
                    "POST",
                    "/",
                    "",
                    &[("authorization", &auth("nosuchservice"))],
                    "",
                ),
                "UnknownService",
                Protocol::Query,
            ),
        ];
        for (mut r, code, protocol) in cases {
            let e = route(&mut r).unwrap_err();
            assert_eq!((e.error.code.as_ref(), e.protocol), (code, protocol));
        }
    }

    #[test]
    fn folds_virtual_hosted_buckets() {
        let cases = [
            (
                "mybucket.s3.localhost.localstack.cloud:4566",
                "/key",
                "/mybucket/key",
            ),
            ("mybucket.localhost:4566", "/", "/mybucket"),
            (
                "mybucket.s3.us-east-1.amazonaws.com",
                "/a/b",
                "/mybucket/a/b",
            ),
            ("localhost:4566", "/bucket/key", "/bucket/key"),
            ("127.0.0.1:4566", "/bucket", "/bucket"),
            ("s3.localhost", "/bucket", "/bucket"),
        ];
        for (host, path, want) in cases {
            let mut r = req("GET", path, "", &[("host", host)], "");
            fold_virtual_host(&mut r);
            assert_eq!(r.path, want, "{host}{path}");
        }
    }
}
