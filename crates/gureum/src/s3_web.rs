//! S3's requests outside its API model, answered before routing: a browser's CORS preflight
//! (`OPTIONS`), and the `Access-Control-*` headers added to S3's answers to requests that
//! carry `Origin`. The rules live in gureum-s3; this is only the HTTP side.

use std::net::SocketAddr;

use gureum_core::AwsError;
use gureum_protocol::{HttpRequest, HttpResponse, Protocol};

use crate::pipeline::{Outcome, Pipeline};

/// The bucket a path-style S3 path names (empty for `/`).
fn bucket_of(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

fn s3_error(err: &AwsError, request_id: &str) -> HttpResponse {
    gureum_protocol::encode_error(
        Protocol::RestXml,
        gureum_model::service("s3"),
        err,
        request_id,
    )
}

fn outcome(operation: &str, resp: &HttpResponse, error: Option<&AwsError>) -> Outcome {
    Outcome {
        service: "s3",
        operation: operation.to_string(),
        principal: "anonymous".into(),
        status: resp.status,
        error: error.map(|e| e.code.to_string()),
    }
}

impl Pipeline {
    /// Answers a request S3 serves outside its API model; `None` for every other request.
    pub(crate) async fn s3_web(
        &self,
        req: &mut HttpRequest,
        _remote: SocketAddr,
        request_id: &str,
    ) -> Option<(HttpResponse, Outcome)> {
        let s3 = self.s3.as_ref()?;
        if req.method == http::Method::OPTIONS {
            gureum_protocol::fold_virtual_host(req);
            let bucket = bucket_of(&req.path);
            let result = if bucket.is_empty() {
                Err(AwsError::new(
                    "BadRequest",
                    400,
                    "Insufficient information. Origin request header needed.",
                ))
            } else {
                s3.cors_preflight(
                    bucket,
                    req.header("origin"),
                    req.header("access-control-request-method"),
                    req.header("access-control-request-headers"),
                )
            };
            let resp = match &result {
                Ok(headers) => HttpResponse {
                    status: 200,
                    headers: headers.clone(),
                    body: Default::default(),
                },
                Err(e) => s3_error(e, request_id),
            };
            let done = outcome("OPTIONS", &resp, result.as_ref().err());
            return Some((resp, done));
        }
        None
    }

    /// Adds the CORS headers the bucket's rules give an S3 request carrying `Origin`.
    pub(crate) fn s3_cors_headers(&self, req: &HttpRequest, resp: &mut HttpResponse) {
        let (Some(s3), Some(origin)) = (&self.s3, req.header("origin")) else {
            return;
        };
        let bucket = bucket_of(&req.path);
        if !bucket.is_empty() {
            resp.headers
                .extend(s3.cors_headers(bucket, origin, req.method.as_str()));
        }
    }
}
