//! S3's requests outside its API model, answered before routing: website endpoints (Host
//! `BUCKET.s3-website.REGION.*`), a browser's CORS preflight (`OPTIONS`), browser-based POST
//! uploads (a signed form, run as a PutObject through the
//! same authorization), and the `Access-Control-*` headers added to S3's answers to requests
//! that carry `Origin`. The rules live in gureum-s3; this is only the HTTP side.

use std::net::SocketAddr;
use std::sync::Arc;

use gureum_auth::{ErrorFlavor, PostSignature};
use gureum_core::{
    AwsError, OperationInput, Principal, RequestContext, Service, UsageEvent, UsageSink,
};
use gureum_protocol::{HttpRequest, HttpResponse, Protocol};
use gureum_s3::S3;
use gureum_s3::post_object::{self, PostForm};
use serde_json::Value;

use crate::pipeline::{Outcome, Pipeline};
use gureum_core::OutputStream;

/// The signature fields of a POST form with a policy: SigV4's, or a SigV2 form's
/// `AWSAccessKeyId` and `signature`.
fn signature_fields<'a>(
    form: &'a PostForm,
    policy: &'a str,
) -> Result<PostSignature<'a>, AwsError> {
    if let Some(access_key_id) = form.field("awsaccesskeyid") {
        let signature = form.field("signature").ok_or_else(|| {
            AwsError::new(
                "InvalidArgument",
                400,
                "Bucket POST must contain a field named 'signature'.  If it is specified, please check the order of the fields.",
            )
        })?;
        return Ok(PostSignature {
            algorithm: "AWS",
            credential: access_key_id,
            signature,
            policy,
            security_token: form.field("x-amz-security-token"),
        });
    }
    let field = |name: &str| {
        form.field(name).ok_or_else(|| {
            AwsError::new(
                "InvalidArgument",
                400,
                format!("Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."),
            )
        })
    };
    Ok(PostSignature {
        algorithm: field("x-amz-algorithm")?,
        credential: field("x-amz-credential")?,
        signature: field("x-amz-signature")?,
        policy,
        security_token: form.field("x-amz-security-token"),
    })
}

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
        remote: SocketAddr,
        request_id: &str,
    ) -> Option<(HttpResponse, Option<OutputStream>, Outcome)> {
        let s3 = self.s3.as_ref()?;
        let host = req.header("host").unwrap_or_default();
        if let Some(bucket) = gureum_s3::website_endpoint::website_bucket(host) {
            let (resp, out) = self.s3_website(s3, req, remote, request_id, &bucket);
            let done = outcome("Website", &resp, None);
            return Some((resp, out, done));
        }
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
                let object = req
                    .path
                    .trim_start_matches('/')
                    .split_once('/')
                    .is_some_and(|(_, key)| !key.is_empty());
                s3.cors_preflight(
                    bucket,
                    object,
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
            return Some((resp, None, done));
        }
        let form_post = req.method == http::Method::POST
            && req.header("authorization").is_none()
            && req
                .header("content-type")
                .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
        if form_post {
            let raw_path = req.path.clone();
            gureum_protocol::fold_virtual_host(req);
            let path = req.path.trim_start_matches('/').trim_end_matches('/');
            if path.is_empty() || path.contains('/') || !req.query.is_empty() {
                req.path = raw_path;
                return None;
            }
            let bucket = path.to_string();
            let (mut resp, principal, error) = match self
                .s3_post_upload(s3, req, remote, request_id, &bucket)
                .await
            {
                Ok((resp, principal)) => (resp, principal, None),
                Err(e) => (s3_error(&e, request_id), "-".to_string(), Some(e)),
            };
            self.s3_cors_headers(req, &mut resp);
            let mut done = outcome("PostObject", &resp, error.as_ref());
            done.principal = principal;
            return Some((resp, None, done));
        }
        None
    }

    /// The website endpoint of `bucket`, serving what anonymous callers may read.
    fn s3_website(
        &self,
        s3: &Arc<S3>,
        req: &HttpRequest,
        remote: SocketAddr,
        request_id: &str,
        bucket: &str,
    ) -> (HttpResponse, Option<OutputStream>) {
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            region: self.default_region.clone(),
            principal: Principal::anonymous(),
            access_key_id: String::new(),
            clock: self.clock.clone(),
            service: "s3",
            operation: "GetObject".into(),
            source_ip: Some(remote.ip()),
            secure_transport: false,
        };
        let allowed = |action: &str, key: &str| -> bool {
            let Some(authorizer) = &self.authorizer else {
                return true;
            };
            let operation = if action == "ListBucket" {
                "ListObjects"
            } else {
                "GetObject"
            };
            let input = OperationInput {
                params: serde_json::json!({"Bucket": bucket, "Key": key}),
                payload: None,
                stream: None,
            };
            let targets = s3.authz_targets(&ctx, operation, &input);
            authorizer.authorize(&ctx, &targets).is_ok()
        };
        let host = req.header("host").unwrap_or_default();
        let answer = s3.serve_website(&ctx, bucket, req.method.as_str(), host, &req.path, &allowed);
        let (body, out) = if req.method == http::Method::HEAD {
            (Default::default(), None)
        } else {
            (answer.body, answer.stream)
        };
        let resp = HttpResponse {
            status: answer.status,
            headers: answer.headers,
            body,
        };
        (resp, out)
    }

    /// A browser-based POST upload to `bucket`: the form's signature and policy, then a
    /// PutObject authorized and run as any other.
    async fn s3_post_upload(
        &self,
        s3: &Arc<S3>,
        req: &HttpRequest,
        remote: SocketAddr,
        request_id: &str,
        bucket: &str,
    ) -> Result<(HttpResponse, String), AwsError> {
        let form = post_object::parse_form(req.header("content-type").unwrap_or(""), &req.body)?;
        let key = form.key()?;
        let now = self.clock.now_secs();
        let (principal, access_key_id, region) = match form.field("policy") {
            Some(policy) => {
                let signature = signature_fields(&form, policy)?;
                let credential = gureum_auth::verify_post(
                    &signature,
                    self.credentials.as_ref(),
                    self.auth_mode,
                    now,
                )
                .map_err(|e| e.to_aws(ErrorFlavor::S3))?;
                post_object::check_policy(&form, bucket, policy, now)?;
                let region = signature
                    .credential
                    .split('/')
                    .nth(2)
                    .unwrap_or("")
                    .to_string();
                (credential.principal, credential.access_key_id, region)
            }
            None => (Principal::anonymous(), String::new(), String::new()),
        };
        let input = post_object::put_object_input(&form, bucket)?;
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            region: if region.is_empty() {
                self.default_region.clone()
            } else {
                region
            },
            principal,
            access_key_id,
            clock: self.clock.clone(),
            service: "s3",
            operation: "PutObject".into(),
            source_ip: Some(remote.ip()),
            secure_transport: false,
        };
        if let Some(authorizer) = &self.authorizer {
            let targets = s3.authz_targets(&ctx, "PutObject", &input);
            authorizer.authorize(&ctx, &targets)?;
        }
        let output = crate::pipeline::call_durably(s3.call(&ctx, "PutObject", input)).await?;
        self.meter.record(UsageEvent {
            account_id: ctx.principal.account_id.clone(),
            region: ctx.region.clone(),
            service: "s3",
            operation: "PutObject".into(),
            resource: None,
            quantity: 1.0,
            unit: "Requests",
        });
        let etag = output
            .params
            .get("ETag")
            .and_then(Value::as_str)
            .unwrap_or("");
        let host = req.header("host").unwrap_or("localhost");
        let location = if req.path.starts_with(&format!("/{bucket}")) && !host.starts_with(bucket) {
            format!(
                "http://{host}/{bucket}/{}",
                gureum_auth::uri_encode(&key, true)
            )
        } else {
            format!("http://{host}/{}", gureum_auth::uri_encode(&key, true))
        };
        let (status, mut headers, body) =
            post_object::success_response(&form, bucket, &key, etag, &location);
        if let Some(v) = output.params.get("VersionId").and_then(Value::as_str) {
            headers.push(("x-amz-version-id".into(), v.to_string()));
        }
        Ok((
            HttpResponse {
                status,
                headers,
                body: body.into(),
            },
            ctx.principal.arn,
        ))
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
