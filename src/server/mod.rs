//! The HTTP front end: accept loop, per-connection hyper service, request ids and the
//! one-line-per-request log, connection admission and timeouts, graceful shutdown.
//!
//! # Layout
//! - `conn`: admission (global and per-IP limits, reaping idle connections) and the
//!   per-connection watchdog (idle, request-head and response-write timeouts).
//! - `io`: the socket wrapper that reports reads and stalled writes to the watchdog.

mod conn;
mod io;
pub mod kms_api;
pub mod query_api;
pub mod reload;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub use conn::client_key;
use conn::{Activity, Close, ConnGuard, Limits, Refusal, Registry};

use crate::auth::Credentials;
use crate::config::Config;
use crate::config::Destination;
use crate::events::nats::Nats;
use crate::events::redis::{Redis, RedisMode};
use crate::events::webhook::{Webhook, WebhookClient};
use crate::events::Target;
use crate::s3::body::BufferBudget;
use crate::s3::dispatch::Principal;
use crate::s3::error::{S3Error, S3ErrorCode};
use crate::s3::{dispatch, headers, AppState, Clock, Response, ResponseBody};
use crate::store::Store;

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Refused connections answered (503 SlowDown) at the same time; more are dropped.
const MAX_REFUSALS: usize = 64;

/// Most headers a request may carry. S3 bounds the header section by size (8 KiB of
/// user metadata among it), not by count; hyper's default of 100 would refuse, with a
/// bare 431, requests S3 answers with MetadataTooLarge.
const MAX_HEADERS: usize = 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store would not open.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The server key is missing or malformed.
    #[error(transparent)]
    Key(#[from] crate::iam::secrets::KeyError),
    /// The identity records would not load.
    #[error("identities: {0}")]
    Iam(#[from] crate::iam::IamError),
    /// The TLS certificate or key would not load.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// Opens the store and the identity service and builds the shared state from a
/// configuration.
pub async fn build_state(config: Config, clock: Clock) -> Result<AppState, StartError> {
    let cache = config.storage.meta_cache_mib << 20;
    // Validated with the rest of the configuration, so this cannot fail here.
    let tiers = config.storage.tiers().unwrap_or_default();
    let store = Arc::new(Store::open_with_tiers(&config.storage.path, cache, &tiers, config.storage.reserve_mib << 20)?);
    let root = Credentials::new(config.auth.access_key.clone(), config.auth.secret_key.clone());
    let key_file = Some(config.auth.master_key_file.as_str()).filter(|p| !p.is_empty()).map(std::path::Path::new);
    let env_key = std::env::var("COFFER_MASTER_KEY").ok();
    let master = crate::iam::secrets::SealingKey::load(&config.storage.path, key_file, env_key.as_deref())?;
    let iam = Arc::new(crate::iam::Iam::open(Arc::clone(&store), &master, &root, clock()).await?);
    // Account quotas apply to the account owning a bucket, which its record names.
    let default_account = iam.default_account();
    store.set_account_resolver(Box::new(move |owner| crate::iam::principal::owner_account(owner, &default_account).to_owned()));
    let kms = Arc::new(crate::kms::LocalKms::open(Arc::clone(&store), &master, &config.server.region, Arc::clone(&clock))?);
    let web_identity = crate::iam::api::WebIdentityConfig::from_config(&config.sts)?;
    let buffers = BufferBudget::new(config.limits.buffer_budget_mib << 20);
    crate::bucket_access::adopt_existing_buckets(&store).await?;
    let tls = if config.server.tls_cert.is_empty() {
        None
    } else {
        Some(Arc::new(tls::Tls::load(config.server.tls_cert.as_ref(), config.server.tls_key.as_ref())?))
    };
    let sse_s3 = Arc::new(crate::crypto::ChunkKey::from_secret(&master.derive_secret("sse-s3 object chunks")));
    let sse_c = Arc::new(crate::crypto::customer::CustomerKeys::from_secret(&master.derive_secret("sse-c data keys")));
    let audit = Arc::new(audit_log(&config));
    let access_log = Arc::new(crate::access_log::AccessLog::start(Arc::clone(&store)));
    Ok(AppState {
        config,
        store,
        iam,
        web_identity,
        clock,
        delivery: Arc::default(),
        buffers,
        access: Arc::default(),
        tls,
        kms,
        sse_s3,
        sse_c,
        metrics: Arc::default(),
        lifecycle: Arc::default(),
        audit,
        reload: reload::Reloadable::default(),
        access_log,
        console: Arc::default(),
        history: Arc::default(),
    })
}

/// Binds the admin listener (`admin.listen`), if it is on. A failure is logged, not
/// fatal: S3 keeps serving, and `coffer admin` reports that it cannot connect.
pub async fn bind_admin(config: &Config) -> Option<TcpListener> {
    if config.admin.listen.is_empty() {
        return None;
    }
    match TcpListener::bind(&config.admin.listen).await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::error!(address = %config.admin.listen, error = %e, "the admin listener could not bind: `coffer admin` will not reach this server");
            None
        }
    }
}

/// Serves S3 on `listener` (and the admin API on `admin`, if given) until `shutdown`
/// resolves, then drains in-flight requests.
pub async fn run(listener: TcpListener, admin: Option<TcpListener>, state: Arc<AppState>, shutdown: impl Future<Output = ()>) {
    // Start-up reconciliation of blobs orphaned by a crash runs beside serving.
    let reconcile = Arc::clone(&state);
    tokio::task::spawn_blocking(move || reconcile.store.reconcile_blobs());

    let (stop_workers, workers_stopped) = tokio::sync::watch::channel(false);
    let schedule = crate::worker::lifecycle::Schedule {
        interval: Duration::from_secs(state.config.lifecycle.interval_secs),
        day_ms: i64::try_from(state.config.lifecycle.day_seconds.saturating_mul(1000)).unwrap_or(i64::MAX),
    };
    let lifecycle = tokio::spawn(crate::worker::lifecycle::run(
        Arc::clone(&state.store),
        schedule,
        Arc::clone(&state.clock),
        Arc::clone(&state.lifecycle),
        workers_stopped.clone(),
    ));

    let delivery = tokio::spawn(delivery_worker(&state).run(workers_stopped.clone()));
    let scrub = (state.config.scrub.interval > 0).then(|| {
        let schedule = crate::worker::scrub::Schedule {
            interval: Duration::from_secs(state.config.scrub.interval),
            bytes_per_sec: state.config.scrub.bytes_per_sec,
        };
        tokio::spawn(crate::worker::scrub::run(Arc::clone(&state.store), schedule, workers_stopped.clone()))
    });

    let admin = admin.map(|l| tokio::spawn(crate::admin::serve(l, Arc::clone(&state), workers_stopped.clone())));
    let key_use = tokio::spawn(save_key_use(Arc::clone(&state), workers_stopped.clone()));
    let history = tokio::spawn(crate::admin::sample_history(Arc::clone(&state), workers_stopped.clone()));
    let access_log_interval = Duration::from_secs(state.config.logging.interval_secs);
    let access_log = tokio::spawn(crate::access_log::deliver(Arc::clone(&state), access_log_interval, workers_stopped.clone()));

    let registry = Registry::new(Limits::from_config(&state.config));
    tokio::spawn(reload::on_sighup(Arc::clone(&state), Arc::clone(&registry), workers_stopped.clone()));
    let refusals = Arc::new(tokio::sync::Semaphore::new(MAX_REFUSALS));
    let (stop_conns, conns_stopping) = watch::channel(false);
    let website = bind_website(&state.config).await.map(|l| {
        let mut stopping = conns_stopping.clone();
        let stopped = async move {
            while !*stopping.borrow() {
                if stopping.changed().await.is_err() {
                    return;
                }
            }
        };
        let accepting = Accepting { state: Arc::clone(&state), registry: Arc::clone(&registry), refusals: Arc::clone(&refusals) };
        tokio::spawn(accepting.run(l, conns_stopping.clone(), true, stopped))
    });
    let accepting = Accepting { state: Arc::clone(&state), registry: Arc::clone(&registry), refusals };
    accepting.run(listener, conns_stopping.clone(), false, shutdown).await;
    tracing::info!("shutting down: draining connections");
    let _ = stop_conns.send(true);
    if let Some(website) = website {
        let _ = website.await;
    }
    let _ = stop_workers.send(true);
    let _ = lifecycle.await;
    let _ = delivery.await;
    if let Some(admin) = admin {
        let _ = admin.await;
    }
    let _ = key_use.await;
    let _ = history.await;
    let _ = access_log.await;
    if let Some(scrub) = scrub {
        let _ = scrub.await;
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, registry.closed()).await.is_err() {
        tracing::warn!(open = registry.open(), "some connections did not finish within the drain timeout");
    }
}

/// What an accept loop shares with the others.
struct Accepting {
    state: Arc<AppState>,
    registry: Arc<Registry>,
    refusals: Arc<tokio::sync::Semaphore>,
}

impl Accepting {
    /// Accepts connections on `listener` until `shutdown`, each admitted by the shared
    /// registry (one connection limit for every listener). `website`: a website-only
    /// listener, whose every request is a website request.
    async fn run(self, listener: TcpListener, conns_stopping: watch::Receiver<bool>, website: bool, shutdown: impl Future<Output = ()>) {
        let Self { state, registry, refusals } = self;
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and similar: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Without TCP_NODELAY small responses stall ~40 ms on Nagle + delayed ACK.
            let _ = stream.set_nodelay(true);
            let admitted = registry.admit(peer.ip());
            if admitted.is_err() {
                state.metrics.rejected_connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            match admitted {
                Ok(guard) => {
                    tokio::spawn(serve_connection(Arc::clone(&state), stream, peer, guard, conns_stopping.clone(), website));
                }
                // A TLS client cannot read a plain-HTTP answer: it is simply closed.
                Err(_) if state.tls.is_some() && !website => drop(stream),
                Err(refusal) => match Arc::clone(&refusals).try_acquire_owned() {
                    Ok(permit) => {
                        tokio::spawn(async move {
                            refuse(stream, peer, refusal).await;
                            drop(permit);
                        });
                    }
                    // Refusing costs a descriptor and a task for up to two seconds: past
                    // this many at once, connections are simply dropped.
                    Err(_) => drop(stream),
                },
            }
        }
    }
}

/// Binds `website.listen`, if set (plain HTTP, as S3's website endpoints); a failure is
/// logged and the S3 listener serves on without it.
pub async fn bind_website(config: &Config) -> Option<TcpListener> {
    if config.website.listen.is_empty() {
        return None;
    }
    match TcpListener::bind(&config.website.listen).await {
        Ok(l) => {
            tracing::info!(address = %l.local_addr().map_or_else(|_| config.website.listen.clone(), |a| a.to_string()), "website listener on http://");
            Some(l)
        }
        Err(e) => {
            tracing::error!(address = %config.website.listen, error = %e, "the website listener could not bind: no website-only endpoint");
            None
        }
    }
}

/// Saves the last use of each access key every minute, and once more at shutdown
/// (GetAccessKeyLastUsed then survives restarts).
async fn save_key_use(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = stop.changed() => true,
        };
        if let Err(e) = state.iam.save_key_use() {
            tracing::warn!(error = %e, "could not save the last use of access keys");
        }
        if stopping {
            return;
        }
    }
}

/// Serves one admitted connection until it ends, its watchdog closes it, or the
/// server shuts down; over TLS when the listener has a certificate (a handshake that
/// does not finish within the head timeout closes the connection).
async fn serve_connection(
    state: Arc<AppState>,
    stream: TcpStream,
    peer: SocketAddr,
    guard: ConnGuard,
    stopping: watch::Receiver<bool>,
    website: bool,
) {
    let activity = Arc::clone(&guard.activity);
    let _open = crate::metrics::Metrics::hold(&state.metrics, |m| &m.open_connections);
    let watched = io::WatchedIo::new(stream, Arc::clone(&activity), Arc::clone(&state.metrics));
    match state.tls.clone().filter(|_| !website) {
        None => serve_http(state, watched, peer, guard, stopping, Transport { secure: false, website }).await,
        Some(tls) => {
            // The handshake is watched like a request head: a client too slow for the
            // head timeout, or a connection evicted at the connection limit, is closed.
            let limits = guard.limits().clone();
            let handshake = tokio::time::timeout(limits.header, tls.acceptor().accept(watched));
            let outcome = tokio::select! {
                done = handshake => done,
                _ = conn::watch(&activity, &limits) => {
                    tracing::debug!(%peer, "connection closed during the TLS handshake (too slow, or evicted)");
                    return;
                }
            };
            match outcome {
                Ok(Ok(stream)) => serve_http(state, stream, peer, guard, stopping, Transport { secure: true, website }).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// What a connection came through.
#[derive(Clone, Copy)]
struct Transport {
    /// TLS.
    secure: bool,
    /// The website-only listener.
    website: bool,
}

/// HTTP/1.1 on an established connection (plain or TLS).
async fn serve_http<S>(
    state: Arc<AppState>,
    stream: S,
    peer: SocketAddr,
    guard: ConnGuard,
    mut stopping: watch::Receiver<bool>,
    transport: Transport,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::clone(&guard.activity);
    let limits = guard.limits().clone();
    let service = {
        let activity = Arc::clone(&activity);
        service_fn(move |mut req: hyper::Request<Incoming>| {
            let (state, activity) = (Arc::clone(&state), Arc::clone(&activity));
            if transport.secure {
                req.extensions_mut().insert(dispatch::SecureTransport);
            }
            async move { Ok::<_, Infallible>(serve(state, req, peer, activity, transport.website).await) }
        })
    };
    let io = TokioIo::new(stream);
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // The watchdog enforces the head timeout (and the idle ones hyper has not).
        .header_read_timeout(None::<Duration>)
        .max_headers(MAX_HEADERS)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    let result = loop {
        tokio::select! {
            result = conn.as_mut() => break result,
            close = conn::watch(&activity, &limits), if !closing => match close {
                Close::Graceful => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                Close::Abort => {
                    tracing::debug!(%peer, "connection closed: the client did not keep up (head or write timeout)");
                    return;
                }
            },
            () = tokio::time::sleep(limits.write), if closing => {
                // A graceful close still waits for the client to take the last bytes.
                tracing::debug!(%peer, "connection closed: the client did not read its last response");
                return;
            },
            changed = stopping.changed(), if !closing => {
                if changed.is_err() || *stopping.borrow() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            },
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, %peer, "connection ended with an error");
    }
    drop(guard);
}

/// Serves one API request that arrived on another listener (the console's `/api/` on
/// the admin listener, prefix already removed) exactly as the S3 listener would: the
/// same routing, authentication, authorization, request log and metrics.
pub async fn serve_forwarded(state: Arc<AppState>, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
    let activity = Arc::new(Activity::new(peer.ip()));
    serve(state, req, peer, activity, false).await.map(http_body_util::BodyExt::boxed)
}

/// A whole response of an API answered outside the S3 dispatcher (IAM/STS, KMS): its
/// status, content type and body, with the principal for the request log.
/// A query-API (IAM, STS) or KMS answer, with the extensions the request log and the
/// metrics read: who asked, the API (`operation`, a fixed label: the action named in
/// the request is not trusted as a metric label), and the error code if it failed.
pub(crate) fn api_response(
    status: hyper::StatusCode,
    content_type: &str,
    body: String,
    principal: Principal,
    (operation, error): (&str, Option<&'static str>),
) -> Response {
    let mut response = hyper::Response::new(http_body_util::BodyExt::boxed(http_body_util::BodyExt::map_err(
        http_body_util::Full::new(Bytes::from(body)),
        |never| match never {},
    )));
    *response.status_mut() = status;
    headers::put(response.headers_mut(), "content-type", content_type);
    response.extensions_mut().insert(principal);
    response.extensions_mut().insert(dispatch::Operation(operation.to_owned()));
    if let Some(code) = error {
        response.extensions_mut().insert(dispatch::ErrorCode(code));
    }
    response
}

/// A fresh request id (16 hex digits), as `x-amz-request-id` carries it.
fn new_request_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}

/// A whole HTTP/1.1 error response, written by hand for the places that answer
/// without hyper (refused connections, hyper's own refusals): S3's XML body, the
/// headers every coffer response carries, `extra` header lines, connection closed.
fn raw_error_response(error: &S3Error, request_id: &str, extra: &str) -> Vec<u8> {
    let body = error.to_xml("/", request_id);
    let status = error.code.status();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\
         {extra}x-amz-request-id: {request_id}\r\nserver: coffer\r\n\r\n{body}",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}

/// Answers a connection that was not admitted with 503 SlowDown (which SDKs retry
/// with back-off) and closes it. The start of the client's request is read (up to
/// 4 KiB, for a second) so that closing does not reset the connection before it reads
/// the answer.
async fn refuse(mut stream: TcpStream, peer: SocketAddr, refusal: Refusal) {
    let request_id = new_request_id();
    let why = match refusal {
        Refusal::Full => "the server is at its connection limit",
        Refusal::PerIp => "your address is at its connection limit",
    };
    tracing::warn!(%peer, why, request_id = %request_id, "connection refused");
    let error = S3Error::with_message(S3ErrorCode::SlowDown, format!("Please reduce your request rate: {why}."));
    let response = raw_error_response(&error, &request_id, "retry-after: 1\r\n");
    let exchange = async {
        let mut buf = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await;
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), exchange).await;
}

/// The event delivery worker for the configured destinations.
fn delivery_worker(state: &AppState) -> crate::worker::delivery::Delivery {
    let targets = Arc::new(std::sync::RwLock::new(Arc::new(delivery_targets(&state.config.notify))));
    state.reload.set_delivery_targets(Arc::clone(&targets));
    crate::worker::delivery::Delivery {
        store: Arc::clone(&state.store),
        targets,
        region: state.config.server.region.clone(),
        stats: Arc::clone(&state.delivery),
    }
}

/// The destinations and retry window `[notify]` configures.
pub(crate) fn delivery_targets(notify: &crate::config::NotifyConfig) -> crate::worker::delivery::Targets {
    crate::worker::delivery::Targets { by_arn: notification_targets(notify), max_age: Duration::from_secs(notify.max_age_secs) }
}

/// The configured notification destinations, by ARN.
fn notification_targets(notify: &crate::config::NotifyConfig) -> std::collections::HashMap<String, Target> {
    let authorization = Some(notify.webhook_authorization.clone()).filter(|a| !a.is_empty());
    let client = WebhookClient::new(Duration::from_secs(notify.timeout_secs));
    let mode = if notify.redis_mode == "list" { RedisMode::List } else { RedisMode::Stream };
    let mut targets = std::collections::HashMap::new();
    // Validated at start-up, so this cannot fail here.
    for (arn, destination) in notify.destinations().unwrap_or_default() {
        let target = match destination {
            Destination::Webhook(url) => {
                Target::Webhook(Webhook { arn: arn.clone(), url, authorization: authorization.clone() }, client.clone())
            }
            Destination::Nats { url, subject } => Target::Nats(Nats::new(url, subject, notify.nats_jetstream)),
            Destination::Redis { url, key } => match Redis::new(&url, key, mode) {
                Ok(r) => Target::Redis(r),
                Err(e) => {
                    tracing::error!(%arn, error = %e, "invalid Redis destination; its events will be dropped");
                    continue;
                }
            },
        };
        targets.insert(arn, target);
    }
    targets
}

/// The audit log of `config` (off when `audit.path` is empty), forwarding to the
/// destinations `audit.destinations` names.
fn audit_log(config: &Config) -> crate::audit::AuditLog {
    let Some(path) = config.audit_path() else { return crate::audit::AuditLog::off() };
    let mut targets = notification_targets(&config.notify);
    let mut forwards: Vec<(String, crate::audit::Forward)> = Vec::new();
    for name in &config.audit.destinations {
        let Some(target) = targets.remove(&format!("arn:coffer:sqs::1:{name}")) else { continue };
        let target = Arc::new(target);
        let forward: crate::audit::Forward = Arc::new(move |line| {
            let target = Arc::clone(&target);
            Box::pin(async move { target.send(line).await })
        });
        forwards.push((name.clone(), forward));
    }
    let file = crate::audit::AuditFile { path, max_bytes: config.audit.max_mib << 20, keep: config.audit.keep };
    crate::audit::AuditLog::start(file, forwards)
}

/// One request: id, dispatch, common headers, log line. `website_listener`: it came
/// through `website.listen`, where every request is a website request.
async fn serve(
    state: Arc<AppState>,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    activity: Arc<Activity>,
    website_listener: bool,
) -> hyper::Response<TrackedBody> {
    activity.request_started();
    let started = Instant::now();
    let metrics = Arc::clone(&state.metrics);
    let logging_state = Arc::clone(&state);
    // Counted down when dropped: when the response ends, or when hyper drops this
    // future because the client went away before it.
    let in_flight = crate::metrics::Metrics::hold(&metrics, |m| &m.in_flight);
    let request_id = new_request_id();
    let method = req.method().clone();
    let expects_continue = req.headers().get("expect").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let empty_body = req.headers().get("content-length").is_some_and(|v| v.as_bytes() == b"0");
    // Log the path only: query strings may hold presigned signatures.
    let path = req.uri().path().to_owned();
    // Handled in a task of its own: hyper drops a connection's future when the client
    // goes away, and a change whose body has fully arrived must still run to its end
    // (commit, flush, collection of what it freed) rather than stop at an await.
    let handling = {
        let request_id = request_id.clone();
        tokio::spawn(async move {
            let (parts, body) = req.into_parts();
            if let Some(bucket) = crate::website::bucket_for(&parts, &state.config, website_listener) {
                crate::website::handle(&state, &parts, &bucket, &request_id, peer)
            } else if website_listener {
                crate::website::no_host(&parts, &request_id)
            } else if kms_api::is_kms_api(&parts) {
                kms_api::handle(&state, parts, body, &request_id, peer).await
            } else if query_api::is_query_api(&parts, &state.config.server.domain) {
                query_api::handle(&state, parts, body, &request_id, peer).await
            } else {
                dispatch::handle(&state, hyper::Request::from_parts(parts, body), &request_id, peer).await
            }
        })
    };
    let mut response: Response = match handling.await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(request_id = %request_id, error = %e, "request handler panicked");
            dispatch::empty(hyper::StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    let principal = response.extensions_mut().remove::<Principal>().and_then(|p| p.0);
    let status = response.status();
    let operation = response.extensions_mut().remove::<dispatch::Operation>().map_or_else(|| "Website".to_owned(), |o| o.0);
    let error = response.extensions().get::<dispatch::ErrorCode>().map(|c| c.0);
    let first_byte = started.elapsed();
    metrics.response_head(&operation, status.as_u16(), error, first_byte);
    let access_log = response.extensions_mut().remove::<crate::access_log::Draft>().map(|draft| PendingAccessRecord {
        draft,
        state: logging_state,
        first_byte,
    });
    let h = response.headers_mut();
    headers::put(h, "x-amz-request-id", &request_id);
    headers::put(h, "server", "coffer");
    // A client that sent `Expect: 100-continue` and got its answer without a 100 (an
    // early error, or an empty body hyper never had to ask for) may still send its body
    // or misread the connection (botocore before 1.44 does): close it rather than reuse.
    if expects_continue && (empty_body || !status.is_success()) {
        headers::put(h, "connection", "close");
    }
    if principal.is_some() {
        activity.authenticated();
    } else {
        // A connection is kept open only for requests that authenticate: an anonymous
        // or refused client reconnects for each try, and cannot sit on a connection.
        headers::put(h, "connection", "close");
    }
    let bytes = match h.get("content-length").and_then(|v| v.to_str().ok()) {
        Some(v) => v.to_owned(),
        None => hyper::body::Body::size_hint(response.body()).exact().map_or_else(|| "-".to_owned(), |n| n.to_string()),
    };
    tracing::info!(
        %method,
        path = %path,
        status = response.status().as_u16(),
        bytes = %bytes,
        ms = started.elapsed().as_millis(),
        request_id = %request_id,
        principal = principal.as_deref().unwrap_or("-"),
        %peer,
        "request"
    );
    let finished = RequestEnd { metrics, operation, started, sent: 0, access_log, _in_flight: in_flight };
    response.map(|inner| TrackedBody { inner, activity, finished })
}

/// A response body that tells the connection's [`Activity`] when hyper is done with
/// it (sent whole, or dropped because the client went away), and the metrics how long
/// the whole request took.
pub struct TrackedBody {
    inner: ResponseBody,
    activity: Arc<Activity>,
    /// The request's end, counted in the metrics when this body is dropped.
    finished: RequestEnd,
}

/// Counts a request's end in the metrics, and completes its access log record, when its
/// response body is dropped.
struct RequestEnd {
    metrics: Arc<crate::metrics::Metrics>,
    operation: String,
    started: Instant,
    /// Response body bytes sent.
    sent: u64,
    /// The request's server access log record, if its bucket is logged.
    access_log: Option<PendingAccessRecord>,
    /// Counts the request in flight until the response ends.
    _in_flight: crate::metrics::Held,
}

/// An access log record waiting for its response's end.
struct PendingAccessRecord {
    draft: crate::access_log::Draft,
    state: Arc<AppState>,
    first_byte: Duration,
}

impl Drop for RequestEnd {
    fn drop(&mut self) {
        let total = self.started.elapsed();
        self.metrics.response_end(&self.operation, total);
        if let Some(p) = self.access_log.take() {
            p.draft.finish(&p.state.access_log, &p.state.config.server.region, self.sent, p.first_byte, total);
        }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &poll {
            if let Some(data) = frame.data_ref() {
                self.finished.sent += data.len() as u64;
            }
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.activity.response_finished();
    }
}

/// A server started in the background (tests, embedding).
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The admin listener's address, if it is on and bound.
    pub admin_addr: Option<SocketAddr>,
    /// Dropping or sending stops the server.
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// The accept loop.
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, drains, and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Binds `config.server.listen` and serves in a background task.
pub async fn start(mut config: Config, clock: Clock) -> std::io::Result<RunningServer> {
    let addr = config.listen_addr().map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    // The address actually bound (port 0 picks one): the console links to it.
    config.server.listen = addr.to_string();
    let state = build_state(config, clock).await.map_err(std::io::Error::other)?;
    let admin = bind_admin(&state.config).await;
    let admin_addr = admin.as_ref().and_then(|l| l.local_addr().ok());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, admin, Arc::new(state), async move {
        let _ = rx.await;
    }));
    Ok(RunningServer { addr, admin_addr, shutdown: Some(tx), task: Some(task) })
}
