//! AWS's wire protocols, driven by the embedded service models: routing a raw HTTP request to
//! (service, operation), decoding it into the canonical value tree, and encoding outputs and
//! errors in the envelope the caller's protocol expects.
//!
//! Pure: no I/O, no storage, no signatures. The canonical value tree is described in
//! `gureum_core::service`; every codec produces and consumes it.

mod cbor;
mod json;
mod query;
mod rest;
mod rest_json;
mod rest_xml;
pub mod route;
pub mod validate;
pub mod value;
mod xml;
mod xml_read;

use bytes::Bytes;
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel};

pub use route::{Route, fold_virtual_host, route};

/// How deep any decoded document may nest; deeper input is refused, never recursed into.
pub const MAX_DEPTH: usize = 64;

/// The wire protocols AWS services speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// awsQuery: form-encoded input, XML output (IAM, STS, Auto Scaling, ELB, RDS, CloudWatch).
    Query,
    /// ec2Query: awsQuery's variant for EC2.
    Ec2,
    /// awsJson1_0 / awsJson1_1, selected by `X-Amz-Target`.
    Json,
    /// restJson1: HTTP bindings plus a JSON payload.
    RestJson,
    /// restXml: HTTP bindings plus an XML payload.
    RestXml,
    /// Smithy RPC v2 CBOR.
    RpcV2Cbor,
}

impl Protocol {
    /// The protocol named by a model's `protocol`/`protocols` entry.
    pub fn from_model_name(name: &str) -> Option<Protocol> {
        Some(match name {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "json" => Protocol::Json,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            "smithy-rpc-v2-cbor" => Protocol::RpcV2Cbor,
            _ => return None,
        })
    }
}

/// A request as it came off the wire; the body is already collected (and de-chunked).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: http::Method,
    /// The raw path, still percent-encoded.
    pub path: String,
    /// The raw query string without `?`, still percent-encoded.
    pub query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decoded query parameters in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A response ready for the wire.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpResponse {
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Decodes a routed request's input into the canonical value tree.
pub fn decode_input(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    req: &HttpRequest,
) -> Result<OperationInput, AwsError> {
    let input = match protocol {
        Protocol::Query | Protocol::Ec2 => query::decode(protocol, model, op, req)?,
        Protocol::Json => json::decode(model, op, req)?,
        Protocol::RestJson => rest_json::decode(model, op, req)?,
        Protocol::RestXml => rest_xml::decode(model, op, req)?,
        Protocol::RpcV2Cbor => cbor::decode(model, op, req)?,
    };
    // restXml services (S3, Route 53, CloudFront) answer their own specific errors instead.
    if protocol != Protocol::RestXml {
        if let Some(r) = &op.input {
            validate::check(protocol, model, &r.shape, &input.params)?;
        }
    }
    Ok(input)
}

/// Encodes a handler's output.
pub fn encode_output(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    output: OperationOutput,
    request_id: &str,
) -> Result<HttpResponse, AwsError> {
    let resp = match protocol {
        Protocol::Query | Protocol::Ec2 => query::encode(protocol, model, op, &output, request_id)?,
        Protocol::Json => json::encode(model, op, &output)?,
        Protocol::RestJson => rest_json::encode(model, op, output)?,
        Protocol::RestXml => rest_xml::encode(model, op, output)?,
        Protocol::RpcV2Cbor => cbor::encode(model, op, &output)?,
    };
    Ok(with_request_id(protocol, resp, request_id))
}

/// Encodes an error in the protocol's envelope. `model` is `None` when the service could not
/// be identified; the error then goes out in the query protocol's XML shape.
pub fn encode_error(
    protocol: Protocol,
    model: Option<&ServiceModel>,
    err: &AwsError,
    request_id: &str,
) -> HttpResponse {
    let resp = match protocol {
        Protocol::Query | Protocol::Ec2 => query::encode_error(protocol, model, err, request_id),
        Protocol::Json | Protocol::RestJson => json::encode_error(protocol, model, err),
        Protocol::RestXml => rest_xml::encode_error(model, err, request_id),
        Protocol::RpcV2Cbor => cbor::encode_error(model, err),
    };
    let mut resp = with_request_id(protocol, resp, request_id);
    if let Some(details) = &err.details {
        resp.headers.extend(details.headers.iter().cloned());
    }
    resp
}

/// Request ids travel in the headers AWS uses for each protocol family.
fn with_request_id(protocol: Protocol, resp: HttpResponse, request_id: &str) -> HttpResponse {
    match protocol {
        Protocol::RestXml => resp
            .header("x-amz-request-id", request_id)
            .header("x-amz-id-2", request_id),
        _ => resp.header("x-amzn-requestid", request_id),
    }
}
