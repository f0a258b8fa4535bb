//! The listener: accepts connections, collects bodies within the size limit (or streams large
//! uploads, see [`crate::body`]), hands requests to the admin endpoints or the pipeline, and shuts down cleanly on SIGINT/SIGTERM.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use gureum_auth::AuthMode;
use gureum_core::{Authorizer, Clock, Service};
use gureum_protocol::{HttpRequest, HttpResponse};
use gureum_store::Storage;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::admin::Admin;
use crate::body::{IncomingSource, ResponseBody};
use crate::config::{AuthSetting, Config};
use crate::pipeline::{CredentialChain, Pipeline, RootCredentials};
use crate::usage::Meter;

/// Everything a connection needs.
pub struct App {
    pub pipeline: Pipeline,
    pub admin: Admin,
    pub max_body_bytes: u64,
}

/// The services, the credential sources and the authorizer, wired together.
pub struct Wired {
    /// Every service gureum implements, by botocore name.
    pub services: HashMap<&'static str, Arc<dyn Service>>,
    /// Root keys, then IAM users' keys, then STS sessions.
    pub credentials: Arc<CredentialChain>,
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// S3 as itself, for the requests it serves outside its API model.
    pub s3: Arc<gureum_s3::S3>,
}

pub fn wire(
    storage: &Storage,
    clock: &Clock,
    root: Arc<RootCredentials>,
    config: &Config,
) -> Wired {
    use gureum_iam::authorizer::{IamAuthorizer, Invalidating, PolicyGeneration};

    let generation = Arc::new(PolicyGeneration::default());
    let authorizer = Arc::new(IamAuthorizer::new(storage.kv.clone(), generation.clone()));
    let credentials = Arc::new(CredentialChain(vec![
        root,
        Arc::new(
            gureum_iam::credentials::IamCredentials::new(storage, clock.clone())
                .cached(generation.clone()),
        ),
        Arc::new(gureum_iam::sts::StsCredentials::new(storage).cached(generation.clone())),
    ]));
    let sts = Arc::new(gureum_iam::Sts::new(storage.clone()));
    sts.set_credentials(credentials.clone());
    sts.set_authorizer(authorizer.clone());
    let iam = Invalidating::new(gureum_iam::Iam::new(storage.clone()), generation);
    // S3 reaches KMS (SSE-KMS data keys) through the core client trait; KMS authorizes those
    // calls for the S3 caller with IAM's evaluator.
    let kms = Arc::new(gureum_kms::Kms::with_pkcs11_module(
        storage.clone(),
        config.pkcs11_module.clone(),
    ));
    kms.set_authorizer(authorizer.clone());
    let s3 = Arc::new(gureum_s3::S3::new(storage.clone()));
    s3.set_kms(kms.clone());
    let list: Vec<Arc<dyn Service>> = vec![
        sts,
        Arc::new(iam),
        s3.clone(),
        kms,
        Arc::new(
            gureum_dynamodb::DynamoDb::new(storage.clone())
                .enforcing_capacity(config.dynamodb_enforce_capacity),
        ),
        Arc::new(gureum_dynamodb::DynamoDbStreams::new(storage.clone())),
    ];
    Wired {
        services: list.into_iter().map(|s| (s.name(), s)).collect(),
        credentials,
        authorizer: Some(authorizer),
        s3,
    }
}

pub fn build(config: &Config) -> anyhow::Result<Arc<App>> {
    let storage = if config.ephemeral {
        Storage::ephemeral()
    } else {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
        Storage::open(&config.data_dir)
            .with_context(|| format!("opening the store in {}", config.data_dir.display()))?
    };
    let clock = Clock::new();
    crate::admin::restore_clock(&storage, &clock);
    let meter = Arc::new(Meter::new(storage.kv.clone(), clock.clone()));
    let root = Arc::new(RootCredentials::new(
        &config.root_access_key_id,
        &config.root_secret_access_key,
        &config.account_id,
    ));
    let wired = wire(&storage, &clock, root.clone(), config);
    let services = wired.services.clone();
    let pipeline = Pipeline {
        services: wired.services,
        credentials: wired.credentials,
        auth_mode: match config.auth {
            AuthSetting::Enforce => AuthMode::Enforce,
            AuthSetting::Permissive => AuthMode::Permissive,
        },
        clock: clock.clone(),
        default_region: config.region.clone(),
        meter: meter.clone(),
        authorizer: wired.authorizer,
        max_body_bytes: config.max_body_bytes,
        s3: Some(wired.s3),
    };
    let admin = Admin {
        storage,
        clock,
        meter,
        services,
        root,
        loopback: config.loopback(),
        started: Instant::now(),
    };
    Ok(Arc::new(App {
        pipeline,
        admin,
        max_body_bytes: config.max_body_bytes,
    }))
}

/// Runs the server until SIGINT or SIGTERM.
///
/// One worker thread per core, each with its own single-threaded runtime and its own listening
/// socket on the same address (`SO_REUSEPORT`): the kernel spreads connections over them and a
/// request never hops threads. Blocking work goes to the runtime's blocking pool.
pub fn run(config: Config) -> anyhow::Result<()> {
    let app = build(&config)?;
    let workers = config.workers;
    let mut listeners = vec![bind(config.listen)?];
    let addr = listeners[0].local_addr()?;
    for _ in 1..workers {
        listeners.push(bind(addr)?);
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut threads = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let app = app.clone();
        let mut stop = stop_rx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("gureum-worker-{i}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener)?;
                    accept_loop(app, listener, &mut stop).await;
                    anyhow::Ok(())
                })
            })?;
        threads.push(thread);
    }
    tracing::info!(
        listen = %addr,
        workers,
        data_dir = %if config.ephemeral { "(ephemeral)".into() } else { config.data_dir.display().to_string() },
        auth = ?config.auth,
        "gureum ready"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = app.admin.meter.flush() {
                        tracing::warn!(error = %e, "usage flush failed");
                    }
                    app.admin.tick_services();
                }
                _ = &mut shutdown => break,
            }
        }
    });
    let _ = stop_tx.send(true);
    for thread in threads {
        match thread.join() {
            Ok(result) => result?,
            Err(_) => anyhow::bail!("a worker thread panicked"),
        }
    }
    app.admin
        .meter
        .flush()
        .context("flushing usage at shutdown")?;
    tracing::info!("gureum stopped");
    Ok(())
}

/// A listening socket that other workers may bind too.
fn bind(addr: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket
        .bind(&addr.into())
        .with_context(|| format!("binding {addr}"))?;
    socket.listen(1024)?;
    Ok(socket.into())
}

async fn accept_loop(
    app: Arc<App>,
    listener: TcpListener,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let app = app.clone();
                        async move { Ok::<_, Infallible>(handle(&app, req, remote).await) }
                    });
                    let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc).await;
                });
            }
            _ = stop.changed() => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn handle(
    app: &App,
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> hyper::Response<ResponseBody> {
    let (parts, body) = req.into_parts();
    if crate::body::should_stream(&parts) {
        let request = HttpRequest {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or("").to_string(),
            headers: parts.headers,
            body: Bytes::new(),
        };
        let declared = request
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let stream = gureum_core::BodyStream::new(Box::new(IncomingSource::new(body)), declared);
        let (resp, out) = app.pipeline.handle(request, remote, Some(stream)).await;
        return into_hyper(resp, out);
    }
    let limit = usize::try_from(app.max_body_bytes).unwrap_or(usize::MAX);
    let body = match Limited::new(body, limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let (status, code, msg) = if too_large {
                (
                    413,
                    "RequestEntityTooLarge",
                    format!("request body exceeds {limit} bytes"),
                )
            } else {
                (
                    400,
                    "IncompleteBody",
                    "the request body could not be read".to_string(),
                )
            };
            let err = gureum_core::AwsError::new(code, status, msg);
            let resp = gureum_protocol::encode_error(
                gureum_protocol::Protocol::Query,
                None,
                &err,
                &gureum_core::new_request_id(),
            );
            return into_hyper(resp, None);
        }
    };
    let request = HttpRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
    };
    let (resp, out) = if let Some(resp) = app.admin.handle(&request, &app.pipeline).await {
        (resp, None)
    } else {
        app.pipeline.handle(request, remote, None).await
    };
    into_hyper(resp, out)
}

fn into_hyper(
    resp: HttpResponse,
    stream: Option<gureum_core::OutputStream>,
) -> hyper::Response<ResponseBody> {
    let mut out = hyper::Response::new(ResponseBody::new(resp.body, stream));
    *out.status_mut() =
        http::StatusCode::from_u16(resp.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (name, value) in resp.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            headers.append(n, v);
        }
    }
    out
}
