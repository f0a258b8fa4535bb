//! The one path every API call takes: route, authenticate, decode, (authorize), handle, encode,
//! meter, log. Handlers never see HTTP; a panic in one becomes `InternalError` for that request.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use gureum_auth::{AuthMode, ErrorFlavor, SignedParts, Verified};
use gureum_core::{
    Authorizer, AuthzTarget, AwsError, BodyStream, Clock, Credential, CredentialProvider,
    OperationOutput, OutputStream, Principal, RequestContext, Service, UsageEvent, UsageSink,
};
use gureum_protocol::{HttpRequest, HttpResponse, Protocol, Route};

use crate::usage::Meter;

/// The root user's credentials from configuration.
pub struct RootCredentials {
    pub credential: Credential,
}

impl RootCredentials {
    pub fn new(access_key_id: &str, secret: &str, account_id: &str) -> Self {
        RootCredentials {
            credential: Credential {
                access_key_id: access_key_id.to_string(),
                secret_access_key: secret.to_string(),
                session_token: None,
                expires_at: None,
                active: true,
                principal: Principal::root(account_id),
            },
        }
    }
}

impl CredentialProvider for RootCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        (access_key_id == self.credential.access_key_id).then(|| self.credential.clone())
    }
}

/// Asks each provider in turn.
pub struct CredentialChain(pub Vec<Arc<dyn CredentialProvider>>);

impl CredentialProvider for CredentialChain {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        self.0.iter().find_map(|p| p.lookup(access_key_id))
    }
}

pub struct Pipeline {
    pub services: HashMap<&'static str, Arc<dyn Service>>,
    pub credentials: Arc<CredentialChain>,
    pub auth_mode: AuthMode,
    pub clock: Clock,
    pub default_region: String,
    pub meter: Arc<Meter>,
    /// IAM's evaluator; `None` allows everything (no IAM wired).
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// The most a body may hold when it is collected into memory.
    pub max_body_bytes: u64,
    /// S3, for the requests it serves outside its API model (see `s3_web`).
    pub s3: Option<Arc<gureum_s3::S3>>,
}

/// The IAM action prefix of a service gureum does not implement yet: its SigV4 signing name,
/// except where IAM names the service differently.
fn iam_prefix(service: &str, model: &gureum_model::ServiceModel) -> String {
    match service {
        "cloudwatch" => "cloudwatch".into(),
        _ => model.metadata.signing_name().to_string(),
    }
}

/// Each protocol family's form of a denial: awsJson services answer `AccessDeniedException`
/// (400), restJson ones `AccessDeniedException` (403), query and S3 `AccessDenied` (403).
fn access_denied_for(protocol: Protocol, e: AwsError) -> AwsError {
    if e.code != "AccessDenied" {
        return e;
    }
    match protocol {
        Protocol::Json | Protocol::RpcV2Cbor => {
            AwsError::new("AccessDeniedException", 400, e.message)
        }
        Protocol::RestJson => AwsError::new("AccessDeniedException", 403, e.message),
        _ => e,
    }
}

/// The error family of a routed request, for authentication failures.
fn flavor(route_service: Option<&str>, protocol: Protocol) -> ErrorFlavor {
    match (route_service, protocol) {
        (Some("s3" | "s3control"), _) => ErrorFlavor::S3,
        (_, Protocol::Json | Protocol::RestJson | Protocol::RpcV2Cbor) => ErrorFlavor::Json,
        _ => ErrorFlavor::Query,
    }
}

/// What one request did, for its log line.
pub(crate) struct Outcome {
    pub(crate) service: &'static str,
    pub(crate) operation: String,
    pub(crate) principal: String,
    pub(crate) status: u16,
    pub(crate) error: Option<String>,
}

impl Pipeline {
    /// Answers one request; `stream` is its body when it streams (then `req.body` is empty).
    /// A response body to stream from a file comes back beside the response.
    pub async fn handle(
        &self,
        mut req: HttpRequest,
        remote: SocketAddr,
        stream: Option<BodyStream>,
    ) -> (HttpResponse, Option<OutputStream>) {
        let started = Instant::now();
        let request_id = gureum_core::new_request_id();
        let original_path = req.path.clone();
        // S3's requests outside its API model are answered before routing (see s3_web).
        let routed = match self.s3_web(&mut req, remote, &request_id).await {
            Some(done) => Err(done),
            None => Ok(gureum_protocol::route(&mut req)),
        };
        let (resp, out, outcome) = match routed {
            Err(done) => done,
            Ok(Ok(route)) => {
                self.dispatch(route, req, stream, &original_path, remote, &request_id)
                    .await
            }
            Ok(Err(e)) => {
                let model = e.service.and_then(gureum_model::service);
                let resp = gureum_protocol::encode_error(e.protocol, model, &e.error, &request_id);
                let outcome = Outcome {
                    service: e.service.unwrap_or("-"),
                    operation: "-".into(),
                    principal: "-".into(),
                    status: resp.status,
                    error: Some(e.error.code.to_string()),
                };
                (resp, None, outcome)
            }
        };
        tracing::info!(
            request_id = %request_id,
            service = outcome.service,
            operation = %outcome.operation,
            principal = %outcome.principal,
            status = outcome.status,
            error = outcome.error.as_deref().unwrap_or(""),
            latency_us = started.elapsed().as_micros() as u64,
            "request"
        );
        (resp, out)
    }

    async fn dispatch(
        &self,
        route: Route,
        mut req: HttpRequest,
        stream: Option<BodyStream>,
        original_path: &str,
        remote: SocketAddr,
        request_id: &str,
    ) -> (HttpResponse, Option<OutputStream>, Outcome) {
        let model = gureum_model::service(route.service);
        let mut outcome = Outcome {
            service: route.service,
            operation: route.operation.clone(),
            principal: "-".into(),
            status: 0,
            error: None,
        };
        let result = self
            .run(
                &route,
                &mut req,
                stream,
                original_path,
                remote,
                request_id,
                &mut outcome,
            )
            .await;
        let (mut resp, out) = match result {
            Ok(answer) => answer,
            Err(err) => {
                outcome.error = Some(err.code.to_string());
                let resp = gureum_protocol::encode_error(route.protocol, model, &err, request_id);
                (resp, None)
            }
        };
        if route.service == "s3" {
            self.s3_cors_headers(&req, &mut resp);
        }
        outcome.status = resp.status;
        (resp, out, outcome)
    }

    /// Meters what a handler reported, with the request's account, region, service and
    /// operation.
    fn meter_usage(&self, ctx: &RequestContext, route: &Route, usage: Vec<gureum_core::Usage>) {
        for usage in usage {
            self.meter.record(UsageEvent {
                account_id: ctx.principal.account_id.clone(),
                region: ctx.region.clone(),
                service: route.service,
                operation: route.operation.clone(),
                resource: usage.resource,
                quantity: usage.quantity,
                unit: usage.unit,
            });
        }
    }

    async fn run(
        &self,
        route: &Route,
        req: &mut HttpRequest,
        mut stream: Option<BodyStream>,
        original_path: &str,
        remote: SocketAddr,
        request_id: &str,
        outcome: &mut Outcome,
    ) -> Result<(HttpResponse, Option<OutputStream>), AwsError> {
        let flavor = flavor(Some(route.service), route.protocol);
        // A streamed body goes on streaming only into an operation that takes a stream; any
        // other gets it collected, as if it had not streamed.
        let takes_stream = self
            .services
            .get(route.service)
            .is_some_and(|s| s.implements(&route.operation) && s.streams_input(&route.operation));
        if let Some(s) = stream.take_if(|_| !takes_stream) {
            let too_large = AwsError::new(
                "RequestEntityTooLarge",
                413,
                format!("request body exceeds {} bytes", self.max_body_bytes),
            );
            req.body = s.collect(self.max_body_bytes, too_large).await?;
        }
        let parts = SignedParts {
            method: req.method.as_str(),
            path: original_path,
            query: &req.query,
            headers: &req.headers,
            body: &req.body,
            single_encode_path: matches!(route.service, "s3" | "s3control"),
            streamed: stream.is_some(),
        };
        let wall = gureum_core::clock::wall_millis().div_euclid(1000);
        let verified = gureum_auth::verify(
            &parts,
            self.credentials.as_ref(),
            self.auth_mode,
            wall,
            self.clock.now_secs(),
        )
        .map_err(|e| e.to_aws(flavor))?;
        let identity = match verified {
            Verified::Signed(id) => id,
            // Operations AWS serves unsigned (web identity and SAML federation) are not built
            // yet: they answer that, rather than asking for a signature they never carry.
            Verified::Anonymous if is_unsigned_operation(route.service, &route.operation) => {
                return Err(AwsError::not_implemented(route.service, &route.operation));
            }
            // S3 serves unsigned requests as the anonymous principal: bucket policies decide.
            Verified::Anonymous if flavor == ErrorFlavor::S3 => {
                Box::new(gureum_auth::SignedIdentity {
                    principal: Principal::anonymous(),
                    access_key_id: String::new(),
                    region: String::new(),
                    service: route.service.to_string(),
                    decoded_body: None,
                    trailers: Vec::new(),
                    payload: None,
                })
            }
            Verified::Anonymous => return Err(missing_authentication(flavor)),
        };
        if let Some(body) = identity.decoded_body.clone() {
            req.body = body;
        }
        // The stream, decoded and checked as it arrives (an anonymous upload declares nothing
        // to check it against).
        let stream = stream.map(|s| {
            let decoder = identity
                .payload
                .clone()
                .unwrap_or_else(|| gureum_auth::PayloadDecoder::plain(None));
            let declared = req
                .header("x-amz-decoded-content-length")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .or(s.declared_len);
            BodyStream::new(
                Box::new(crate::body::Decoding::new(s.into_source(), decoder)),
                declared,
            )
        });
        outcome.principal = identity.principal.arn.clone();
        let region = if identity.region.is_empty() {
            self.default_region.clone()
        } else {
            identity.region.clone()
        };
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            region,
            principal: identity.principal.clone(),
            access_key_id: identity.access_key_id.clone(),
            clock: self.clock.clone(),
            service: route.service,
            operation: route.operation.clone(),
            source_ip: Some(remote.ip()),
            secure_transport: false,
        };
        // Input is decoded (and so validated) before the implementation check, as AWS would.
        let model = gureum_model::service(route.service)
            .ok_or_else(|| AwsError::internal("model missing"))?;
        let op = model
            .operation(&route.operation)
            .ok_or_else(|| AwsError::internal("operation missing"))?;
        let mut input = gureum_protocol::decode_input(route.protocol, model, op, req)?;
        if stream.is_some() {
            input.payload = None;
            input.stream = stream;
        }
        // Authorization comes before the implementation check: a denied caller learns nothing
        // about what gureum has built.
        let service = self
            .services
            .get(route.service)
            .filter(|s| s.implements(&route.operation));
        if let Some(authorizer) = &self.authorizer {
            let targets = match service {
                Some(s) => s.authz_targets(&ctx, &route.operation, &input),
                None => vec![AuthzTarget::new(
                    format!("{}:{}", iam_prefix(route.service, model), route.operation),
                    "*",
                )],
            };
            if !targets.is_empty() {
                authorizer
                    .authorize(&ctx, &targets)
                    .map_err(|e| access_denied_for(route.protocol, e))?;
            }
        }
        let Some(service) = service else {
            return Err(AwsError::not_implemented(route.service, &route.operation));
        };
        let mut output = match call_durably(service.call(&ctx, &route.operation, input)).await {
            Ok(output) => output,
            Err(mut e) => {
                if let Some(details) = e.details.as_mut() {
                    self.meter_usage(&ctx, route, std::mem::take(&mut details.usage));
                }
                return Err(e);
            }
        };
        self.meter.record(UsageEvent {
            account_id: ctx.principal.account_id.clone(),
            region: ctx.region.clone(),
            service: route.service,
            operation: route.operation.clone(),
            resource: None,
            quantity: 1.0,
            unit: "Requests",
        });
        self.meter_usage(&ctx, route, std::mem::take(&mut output.usage));
        let out = output.stream.take();
        let resp = encode(route.protocol, model, op, output, request_id)?;
        Ok((resp, out))
    }
}

fn encode(
    protocol: Protocol,
    model: &gureum_model::ServiceModel,
    op: &gureum_model::Operation,
    output: OperationOutput,
    request_id: &str,
) -> Result<HttpResponse, AwsError> {
    gureum_protocol::encode_output(protocol, model, op, output, request_id)
}

/// The operations AWS accepts without a signature.
fn is_unsigned_operation(service: &str, operation: &str) -> bool {
    matches!(
        (service, operation),
        ("sts", "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML")
    )
}

/// What each service family answers a request with no signature.
fn missing_authentication(flavor: ErrorFlavor) -> AwsError {
    match flavor {
        ErrorFlavor::S3 => AwsError::access_denied("Access Denied"),
        ErrorFlavor::Json => AwsError::new(
            "MissingAuthenticationTokenException",
            400,
            "Request is missing Authentication Token",
        ),
        ErrorFlavor::Query => AwsError::new(
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token",
        ),
    }
}

/// Runs a handler's future to its answer, which waits until what the handler wrote is on disk;
/// concurrent requests share that sync (the store's group commit). A panic in the handler
/// becomes `InternalError` for this request alone.
pub(crate) async fn call_durably<F, T>(handler: F) -> Result<T, AwsError>
where
    F: Future<Output = Result<T, AwsError>> + Unpin,
{
    let mut handler = CatchUnwind {
        inner: handler,
        durable: None,
    };
    let output = (&mut handler).await;
    if let Some(durable) = handler.durable.take() {
        durable.await.map_err(|e| {
            tracing::error!(error = %e, "a write could not be made durable");
            AwsError::internal("We encountered an internal error. Please try again.")
        })?;
    }
    output
}

/// Runs a handler future, turning a panic into `InternalError` for this request alone, with
/// durability deferred: `durable` collects the wait for what the handler committed.
struct CatchUnwind<F> {
    inner: F,
    durable: Option<gureum_store::DurableWait>,
}

impl<F, T> Future for CatchUnwind<F>
where
    F: Future<Output = Result<T, AwsError>> + Unpin,
{
    type Output = Result<T, AwsError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = &mut this.inner;
        let (polled, durable) = gureum_store::defer_durability_after(this.durable.as_ref(), || {
            std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx)))
        });
        if durable.is_some() {
            this.durable = durable;
        }
        match polled {
            Ok(poll) => poll,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "handler panicked");
                Poll::Ready(Err(AwsError::internal(
                    "We encountered an internal error. Please try again.",
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::{BoxFuture, OperationInput};

    /// A service whose handler panics.
    struct Panicking;

    impl Service for Panicking {
        fn name(&self) -> &'static str {
            "sts"
        }
        fn implements(&self, _: &str) -> bool {
            true
        }
        fn call<'a>(
            &'a self,
            _: &'a RequestContext,
            _: &'a str,
            _: OperationInput,
        ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
            Box::pin(async { panic!("handler bug") })
        }
    }

    /// A service whose handler reports usage of its own (failing, with `true`).
    struct Reporting(bool);

    impl Service for Reporting {
        fn name(&self) -> &'static str {
            "sts"
        }
        fn implements(&self, _: &str) -> bool {
            true
        }
        fn call<'a>(
            &'a self,
            _: &'a RequestContext,
            _: &'a str,
            _: OperationInput,
        ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
            Box::pin(async {
                let usage = vec![gureum_core::Usage {
                    resource: Some("r".into()),
                    quantity: 2.5,
                    unit: "Widgets",
                }];
                let mut out = OperationOutput::new(serde_json::json!({}));
                if self.0 {
                    return Err(AwsError::bad_request("Refused", "no").with_usage(usage));
                }
                out.usage = usage;
                Ok(out)
            })
        }
    }

    fn pipeline(service: Arc<dyn Service>) -> Pipeline {
        let store: Arc<dyn gureum_store::KvStore> = Arc::new(gureum_store::MemoryStore::new());
        Pipeline {
            services: [(service.name(), service)].into_iter().collect(),
            credentials: Arc::new(CredentialChain(vec![])),
            auth_mode: AuthMode::Permissive,
            clock: Clock::new(),
            default_region: "us-east-1".into(),
            meter: Arc::new(Meter::new(store, Clock::new())),
            authorizer: None,
            max_body_bytes: 1 << 20,
            s3: None,
        }
    }

    fn request() -> HttpRequest {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        headers.insert("x-amz-date", "20240101T000000Z".parse().unwrap());
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00"
                .parse()
                .unwrap(),
        );
        HttpRequest {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: "Action=GetCallerIdentity&Version=2011-06-15".into(),
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_error() {
        let p = pipeline(Arc::new(Panicking));
        let resp = p
            .handle(request(), "127.0.0.1:1".parse().unwrap(), None)
            .await
            .0;
        assert_eq!(resp.status, 500);
        assert!(
            std::str::from_utf8(&resp.body)
                .unwrap()
                .contains("<Code>InternalError</Code>")
        );
        // The pipeline keeps serving.
        let again = p
            .handle(request(), "127.0.0.1:1".parse().unwrap(), None)
            .await
            .0;
        assert_eq!(again.status, 500);
    }

    #[tokio::test]
    async fn a_working_handler_answers_and_is_metered() {
        let p = pipeline(Arc::new(gureum_iam::Sts::new(
            gureum_store::Storage::ephemeral(),
        )));
        let resp = p
            .handle(request(), "127.0.0.1:1".parse().unwrap(), None)
            .await
            .0;
        assert_eq!(resp.status, 200, "{:?}", resp.body);
        let totals = p.meter.totals().unwrap();
        assert_eq!(totals.len(), 1);
        assert_eq!(
            (totals[0].key.operation.as_str(), totals[0].quantity),
            ("GetCallerIdentity", 1.0)
        );
    }

    #[tokio::test]
    async fn usage_a_handler_reports_is_metered_beside_the_request() {
        let p = pipeline(Arc::new(Reporting(false)));
        let resp = p
            .handle(request(), "127.0.0.1:1".parse().unwrap(), None)
            .await
            .0;
        assert_eq!(resp.status, 200, "{:?}", resp.body);
        let mut totals: Vec<_> = p
            .meter
            .totals()
            .unwrap()
            .into_iter()
            .map(|t| (t.key.unit, t.key.resource, t.key.operation, t.quantity))
            .collect();
        totals.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            totals,
            vec![
                ("Requests".into(), None, "GetCallerIdentity".into(), 1.0),
                (
                    "Widgets".into(),
                    Some("r".into()),
                    "GetCallerIdentity".into(),
                    2.5
                ),
            ]
        );
    }

    #[tokio::test]
    async fn usage_of_a_failed_request_is_metered_without_the_request() {
        let p = pipeline(Arc::new(Reporting(true)));
        let resp = p
            .handle(request(), "127.0.0.1:1".parse().unwrap(), None)
            .await
            .0;
        assert_eq!(resp.status, 400);
        assert!(!String::from_utf8_lossy(&resp.body).contains("Widgets"));
        let totals: Vec<_> = p
            .meter
            .totals()
            .unwrap()
            .into_iter()
            .map(|t| (t.key.unit, t.quantity))
            .collect();
        assert_eq!(totals, vec![("Widgets".to_string(), 2.5)]);
    }
}
