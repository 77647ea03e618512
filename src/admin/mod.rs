//! The admin listener (`admin.listen`, default `127.0.0.1:9001`): a second HTTP
//! listener, apart from S3's so that no admin path can collide with a bucket name.
//! It serves the signed admin API that `coffer admin` calls (SigV4, service
//! [`SERVICE`], the configured root key only: the server administrator), JSON in and out:
//!
//! | method and path | does |
//! |---|---|
//! | `POST /v1/accounts` `{"name": ..., "email": ...}` | creates an account; answers its id, canonical id and root key + secret |
//! | `GET /v1/accounts` | lists accounts |
//! | `DELETE /v1/accounts/NAME` | deletes an account that owns no bucket |
//! | `GET /v1/info` | version, uptime, data root, tiers and free space, totals, durability and readiness |
//! | `GET /v1/usage`, `GET /v1/usage/BUCKET` | usage per bucket (see `quota`) |
//! | `GET`/`PUT /v1/quota/bucket/NAME`, `/v1/quota/account/NAME` | quotas (see `quota`) |
//! | `GET /v1/metrics` | `{"format": "prometheus", "text": ...}`: the metrics document |
//! | `GET /v1/metrics/history` | the last hour of the main figures (`metrics::history`) |
//! | `GET /v1/audit?limit=&contains=&event=&errors=1` | the newest audit records (`audit_view`) |
//!
//! The web console (`crate::console`) is served here too: `/`, `/console/...`, and the
//! S3/IAM/STS/KMS APIs under `/api/`. The admin API also accepts the temporary
//! credentials of the administrator's console session.
//!
//! Without a signature: `GET /health/live`, `GET /health/ready` (`health`), and
//! `GET /metrics` (`metrics`: a bearer token, or open by configuration).
//!
//! # Layout
//! - this file: the listener, authentication, routing, the account handlers.
//! - `health`: liveness, readiness, server info.
//! - `metrics`: the Prometheus document.
//! - `quota`: usage and quotas.
//! - `cli`: the `coffer admin` command, which signs and sends these requests.

mod audit_view;
pub mod cli;
mod health;
mod metrics;
mod quota;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use sha2::Digest;
use tokio::net::TcpListener;

use crate::iam::{IamError, IamErrorCode};
use crate::s3::{AppState, Response};

/// The SigV4 service name admin requests are signed for.
pub const SERVICE: &str = "coffer-admin";

/// Largest admin request body.
const MAX_BODY: usize = 64 << 10;

/// Admin connections served at once.
const MAX_CONNECTIONS: usize = 64;

/// Serves the admin API on `listener` until `stop` turns true.
pub async fn serve(listener: TcpListener, state: Arc<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = stop.changed() => break,
        };
        // At most this many admin connections at once: the rest are closed at once
        // (health checkers and the CLI retry), so no client can pile them up.
        if connections.len() >= MAX_CONNECTIONS {
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(state, req, peer).await) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            // An admin connection lives at most five minutes (one request: every answer
            // closes it), long enough for a console upload part on a slow link.
            let _ = tokio::time::timeout(Duration::from_secs(300), conn).await;
        });
    }
    // Connections still open hold the shared state (and with it the store): they end
    // with the server.
    connections.shutdown().await;
}

/// One admin request: the open endpoints (health, metrics), or authenticate, route,
/// answer JSON; logged like S3 requests.
async fn handle(state: Arc<AppState>, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
    let started = std::time::Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    if state.config.console.enabled && crate::console::is_api(&path) {
        // Logged, counted and answered by the S3 front end like any API request.
        return crate::console::forward(&state, req, peer).await;
    }
    let mut response = match (&method, path.as_str()) {
        _ if state.config.console.enabled && crate::console::owns(&path) => crate::console::handle(&state, req, peer).await,
        (&Method::GET, "/health/live") => json_response(health::live()),
        (&Method::GET, "/health/ready") => json_response(blocking(&state, health::ready).await),
        (&Method::GET, "/metrics") => {
            let authorization = req.headers().get(hyper::header::AUTHORIZATION).map(|v| v.as_bytes().to_vec());
            if metrics::allowed(&state, authorization.as_deref()) {
                let text = blocking(&state, metrics::render).await;
                let mut r = body_response(StatusCode::OK, text);
                crate::s3::headers::put(r.headers_mut(), "content-type", "text/plain; version=0.0.4; charset=utf-8");
                r
            } else {
                let mut r = json_response((
                    StatusCode::UNAUTHORIZED,
                    json!({"code": "Unauthorized", "message": "GET /metrics needs Authorization: Bearer <admin.metrics_token> (or admin.metrics_public = true)."}),
                ));
                crate::s3::headers::put(r.headers_mut(), "www-authenticate", "Bearer");
                r
            }
        }
        _ => {
            let context = crate::audit::RequestContext::from_head(req.headers(), req.uri(), peer, "");
            let uri = req.uri().clone();
            let mut who = None;
            let (status, body, error) = match route(&state, req, &mut who).await {
                Ok((status, body)) => (status, body, None),
                Err(e) => (e.code.status(), json!({"code": e.code.as_str(), "message": e.message}), Some(e.code.as_str())),
            };
            audit(&state, (&method, &uri), &context, who.as_deref(), (status.as_u16(), error));
            json_response((status, body))
        }
    };
    // One request per connection: health checkers and the CLI reconnect, and nothing
    // idles on the admin listener holding the server's state.
    crate::s3::headers::put(response.headers_mut(), "connection", "close");
    let status = response.status().as_u16();
    tracing::info!(target: "coffer::admin", %method, path, status, %peer, ms = started.elapsed().as_millis(), "admin request");
    response
}

/// Records a change made through the admin API, or a request that failed to
/// authenticate, in the audit trail (event source `coffer-admin`).
fn audit(
    state: &AppState,
    (method, uri): (&Method, &hyper::Uri),
    context: &crate::audit::RequestContext,
    who: Option<&str>,
    (status, error): (u16, Option<&'static str>),
) {
    let denied = error == Some(IamErrorCode::AccessDenied.as_str());
    if *method == Method::GET && !denied {
        return;
    }
    let path = uri.path();
    let name = match (method, path) {
        (&Method::POST, "/v1/accounts") => "CreateAccount",
        (&Method::DELETE, p) if p.starts_with("/v1/accounts/") => "DeleteAccount",
        (&Method::PUT, p) if p.starts_with("/v1/quota/") => "PutQuota",
        _ => "AdminRequest",
    };
    let parameters = json!({ "method": method.as_str(), "path": path });
    state.audit.record(context.record("coffer-admin", name, &state.config.server.region, who, parameters, status, error));
}

/// Samples the figures the console charts (`metrics::history`) every interval until
/// `stop` turns true.
pub async fn sample_history(state: Arc<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(crate::metrics::history::INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let figures = blocking(&state, |s| {
            let l = &s.lifecycle;
            let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
            crate::metrics::history::StoreFigures {
                outbox_backlog: s.store.outbox_len().map_or(0, |n| n as u64),
                lifecycle_actions: [&l.expired, &l.versions_removed, &l.uploads_aborted, &l.transitioned].into_iter().map(load).sum(),
                stored_bytes: s.store.all_usage().map_or(0, |u| metrics::logical_bytes(&u)),
            }
        })
        .await;
        state.history.sample(&state.metrics, figures, crate::s3::headers::to_ms((state.clock)()));
    }
}

/// Runs `f` on the blocking pool (it reads files or the metadata store at length).
async fn blocking<T: Send + 'static>(state: &Arc<AppState>, f: fn(&AppState) -> T) -> T {
    let state = Arc::clone(state);
    match tokio::task::spawn_blocking(move || f(&state)).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn body_response(status: StatusCode, body: String) -> Response {
    let mut response = hyper::Response::new(Full::new(bytes::Bytes::from(body)).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response
}

pub(crate) fn json_response((status, body): (StatusCode, Value)) -> Response {
    let mut response = body_response(status, body.to_string());
    crate::s3::headers::put(response.headers_mut(), "content-type", "application/json");
    response
}

async fn route(state: &Arc<AppState>, req: hyper::Request<Incoming>, who: &mut Option<String>) -> Result<(StatusCode, Value), IamError> {
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(Duration::from_secs(20), Limited::new(body, MAX_BODY).collect()).await;
    let body = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        _ => return Err(IamError::new(IamErrorCode::InvalidInput, "the request body is too large or too slow")),
    };
    let hash = hex::encode(sha2::Sha256::digest(&body));
    let now = (state.clock)();
    let region = state.config.server.region.as_str();
    let auth = crate::auth::authenticate_query_api(&parts, state.iam.as_ref(), &[region], &[SERVICE], now, &hash)
        .map_err(|e| IamError::new(IamErrorCode::AccessDenied, e.message()))?;
    let principal = crate::iam::principal_of(auth.identity.as_ref()).filter(|p| p.admin).ok_or_else(|| {
        IamError::new(IamErrorCode::AccessDenied, "Only the server administrator (the configured root key) may use the admin API.")
    })?;
    tracing::debug!(principal = %principal.arn, "admin request authenticated");
    *who = Some(principal.arn.clone());
    let path = parts.uri.path();
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    match (&parts.method, path) {
        (&Method::GET, "/v1/info") => {
            let info = blocking(state, |s| health::info(s).map_err(IamError::from)).await?;
            return Ok((StatusCode::OK, info));
        }
        (&Method::GET, "/v1/usage") => return Ok((StatusCode::OK, quota::usage(state, None)?)),
        (&Method::GET, "/v1/metrics") => {
            let text = blocking(state, metrics::render).await;
            return Ok((StatusCode::OK, json!({"format": "prometheus", "text": text})));
        }
        (&Method::GET, "/v1/metrics/history") => return Ok((StatusCode::OK, state.history.json())),
        (&Method::GET, "/v1/audit") => {
            let filter = audit_view::Filter::parse(parts.uri.query())?;
            let state = Arc::clone(state);
            let records = tokio::task::spawn_blocking(move || audit_view::records(&state, &filter))
                .await
                .map_err(|e| IamError::internal(format!("reading the audit trail: {e}")))??;
            return Ok((StatusCode::OK, records));
        }
        (&Method::GET, p) if p.starts_with("/v1/usage/") => {
            return Ok((StatusCode::OK, quota::usage(state, Some(&decode(&p["/v1/usage/".len()..])))?));
        }
        (&Method::GET, p) if p.starts_with("/v1/quota/") => return Ok((StatusCode::OK, quota::get(state, &p["/v1/quota/".len()..])?)),
        (&Method::PUT, p) if p.starts_with("/v1/quota/") => {
            return Ok((StatusCode::OK, quota::set(state, &p["/v1/quota/".len()..], &body).await?));
        }
        _ => {}
    }
    match (&parts.method, path.strip_prefix("/v1/accounts")) {
        (&Method::POST, Some("")) => create_account(state, &body).await,
        (&Method::GET, Some("")) => Ok((StatusCode::OK, json!({ "accounts": list_accounts(state) }))),
        (&Method::DELETE, Some(rest)) if rest.starts_with('/') => {
            let name = percent_encoding::percent_decode_str(&rest[1..]).decode_utf8_lossy().into_owned();
            delete_account(state, &name).await
        }
        _ => Err(IamError::new(IamErrorCode::NoSuchEntity, format!("no admin resource {} {path}", parts.method))),
    }
}

fn account_json(a: &crate::iam::model::AccountData) -> Value {
    json!({
        "name": a.account.name,
        "id": a.account.id,
        "canonical_id": a.account.canonical_id,
        "email": a.account.email,
        "created": crate::iam::xml::date(a.account.created_ms),
        "users": a.users.len(),
        "roles": a.roles.len(),
    })
}

fn list_accounts(state: &AppState) -> Vec<Value> {
    state.iam.directory().accounts.values().map(|a| account_json(a)).collect()
}

async fn create_account(state: &AppState, body: &[u8]) -> Result<(StatusCode, Value), IamError> {
    let input: Value = serde_json::from_slice(body).map_err(|e| IamError::new(IamErrorCode::InvalidInput, format!("body: {e}")))?;
    let name = input.get("name").and_then(Value::as_str).unwrap_or_default();
    let email = input.get("email").and_then(Value::as_str).filter(|e| !e.is_empty());
    let (account, secret) = state.iam.create_account(name, email, (state.clock)()).await?;
    let mut out = account_json(&account);
    out["access_key"] = json!(account.account.root_keys.first().map(|k| k.id.clone()));
    out["secret_key"] = json!(secret);
    tracing::info!(account = %account.account.name, id = %account.account.id, "account created");
    Ok((StatusCode::OK, out))
}

async fn delete_account(state: &AppState, name: &str) -> Result<(StatusCode, Value), IamError> {
    let default = state.iam.default_account();
    // Buckets, and KMS keys not yet deleted (their material would go with the account,
    // and with it everything they encrypted), must go first.
    let owns = |id: &str| -> Result<bool, IamError> {
        let buckets = state.store.list_buckets()?;
        let keys = state.kms.account(id);
        Ok(buckets.iter().any(|(_, b)| crate::iam::principal::owner_account(&b.owner, &default) == id)
            || keys.keys.values().any(|k| !state.kms.is_deleted(k)))
    };
    state.iam.delete_account(name, owns).await?;
    tracing::info!(account = name, "account deleted");
    Ok((StatusCode::OK, json!({ "deleted": name })))
}
