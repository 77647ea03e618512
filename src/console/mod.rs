//! The web console, served on the admin listener (`http://127.0.0.1:9001/` by default;
//! `console.enabled`). Its page and scripts are built into the binary; it signs in a
//! browser to a server-side session bound to temporary credentials, and the page calls
//! the same S3, IAM, STS and KMS APIs any client does, signed with them, under `/api/`
//! (same origin: no CORS, and the CSP allows no other). No console-only path reaches
//! the store: every action is authorized like any client's.
//!
//! | method and path | does |
//! |---|---|
//! | `GET /`, `GET /console/assets/<file>` | the page and its files (`assets`) |
//! | `POST /console/session` | signs in (`session`): JSON credentials → session JSON + cookie |
//! | `GET /console/session` | the session the cookie names (credentials into the page's memory) |
//! | `DELETE /console/session` | signs out (CSRF token required), revoking the credentials |
//! | any `/api/<rest>` | `<rest>` as the S3 listener answers it (`crate::server::serve_forwarded`) |
//!
//! Every `/console/session` request must carry `X-Coffer-Console: 1`: a cross-site form
//! cannot set it, and a cross-site script cannot send it without a CORS preflight this
//! listener never allows. This module must not import `store`: it reaches data only
//! through the APIs.
//!
//! # Layout
//! - this file: routing, the session endpoints' HTTP side, forwarding.
//! - `assets`: the built-in files and the security headers.
//! - `session`: sign-in, sessions, sign-out.
//! - `throttle`: slowing down repeated failed sign-ins.

pub mod assets;
pub mod session;
mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::admin::json_response;
use crate::s3::{headers, AppState, Response};

/// Largest sign-in body.
const MAX_SIGN_IN: usize = 8 << 10;

/// Whether `path` is one of the console's (page, files, session).
pub fn owns(path: &str) -> bool {
    path == "/" || path.starts_with("/console/")
}

/// Whether `path` is under `/api/`, the APIs forwarded to the S3 front end.
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Answers a request to `/api/<rest>` as the S3 listener answers `<rest>`: the prefix
/// is removed before anything reads the path, so the request's signature covers the
/// path the page signed (without `/api`).
///
/// Only the page's own script may use it: a request without `X-Coffer-Console: 1`
/// (a navigation, an `<img>` or `<script>` tag, a form, a cross-site request) is
/// refused, so no stored object can be opened as a document or run as a script of the
/// console's origin; answers also carry `Content-Security-Policy: sandbox`. Hosts under
/// `server.domain` or `server.website_domain` are refused: the console's requests are
/// path-style.
pub async fn forward(state: &Arc<AppState>, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
    if !from_console_page(&req) {
        return missing_console_header(
            "/api/ answers the console page's own requests (X-Coffer-Console: 1) only; other clients use the S3 listener.",
        );
    }
    let host = headers::get(req.headers(), "host").unwrap_or_default().to_ascii_lowercase();
    let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host.as_str(), |(h, _)| h);
    let under = |domain: &str| {
        let domain = domain.to_ascii_lowercase();
        !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
    };
    if under(&state.config.server.domain) || under(&state.config.server.website_domain) {
        let message = "Open the console by a host name outside server.domain and server.website_domain.";
        return error(StatusCode::BAD_REQUEST, "InvalidRequest", message);
    }
    let (mut parts, body) = req.into_parts();
    let rest = parts.uri.path().strip_prefix("/api").unwrap_or_default();
    let rest = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    match path_and_query.parse::<hyper::Uri>() {
        Ok(uri) => parts.uri = uri,
        Err(_) => return error(StatusCode::BAD_REQUEST, "InvalidURI", "the request path is malformed"),
    }
    let mut response = crate::server::serve_forwarded(Arc::clone(state), hyper::Request::from_parts(parts, body), peer).await;
    // Answers reach the page's script only: never a document or script of this origin,
    // never framed. Headers of the object itself (Cache-Control…) are left as stored.
    let h = response.headers_mut();
    headers::put(h, "content-security-policy", "sandbox; default-src 'none'; frame-ancestors 'none'");
    headers::put(h, "x-frame-options", "DENY");
    headers::put(h, "x-content-type-options", "nosniff");
    // One request per admin connection, as every admin answer: the connection's time
    // limit then bounds one request, not a string of them.
    headers::put(h, "connection", "close");
    response
}

/// Answers the page, its files and the session endpoints.
pub async fn handle(state: &Arc<AppState>, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
    let path = req.uri().path().to_owned();
    let mut response = if path == "/console/session" {
        session_endpoint(state, req, peer).await
    } else if req.method() == Method::GET || req.method() == Method::HEAD {
        assets::serve(&state.config.console.assets_dir, &path)
            .unwrap_or_else(|| error(StatusCode::NOT_FOUND, "NotFound", "no such console file"))
    } else {
        error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "the console's files are read with GET")
    };
    assets::secure(&mut response);
    response
}

/// `GET`, `POST` and `DELETE /console/session`.
async fn session_endpoint(state: &Arc<AppState>, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
    if !from_console_page(&req) {
        return missing_console_header("Console session requests carry X-Coffer-Console: 1.");
    }
    let cookie = session::cookie_value(req.headers()).map(str::to_owned);
    let context = crate::audit::RequestContext::from_head(req.headers(), req.uri(), peer, "");
    let host = headers::get(req.headers(), "host").map(str::to_owned);
    match req.method().clone() {
        Method::GET => match cookie.and_then(|c| state.console.describe(&c, (state.clock)())) {
            Some(info) => json_response((StatusCode::OK, with_server(state, info, host.as_deref()))),
            None => error(StatusCode::UNAUTHORIZED, "NotSignedIn", "Sign in to use the console."),
        },
        Method::POST => sign_in(state, req, peer, (cookie, &context, host.as_deref())).await,
        Method::DELETE => {
            let csrf = headers::get(req.headers(), "x-csrf-token").unwrap_or_default().to_owned();
            match cookie {
                Some(cookie) => sign_out(state, &cookie, &csrf, &context).await,
                None => error(StatusCode::UNAUTHORIZED, "NotSignedIn", "There is no session to end."),
            }
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "GET, POST or DELETE"),
    }
}

/// `POST /console/session`: reads the JSON credentials, ends the session the browser
/// already had (its credentials must not outlive it unrevoked), signs in, audits.
async fn sign_in(
    state: &Arc<AppState>,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    (cookie, context, host): (Option<String>, &crate::audit::RequestContext, Option<&str>),
) -> Response {
    if !headers::get(req.headers(), "content-type").is_some_and(|t| t.starts_with("application/json")) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "InvalidInput", "Sign in with a JSON body.");
    }
    let read = tokio::time::timeout(Duration::from_secs(10), Limited::new(req.into_body(), MAX_SIGN_IN).collect()).await;
    let Ok(Ok(body)) = read else {
        return error(StatusCode::BAD_REQUEST, "InvalidInput", "The sign-in request is too large or too slow.");
    };
    let Ok(input) = serde_json::from_slice::<session::SignIn>(&body.to_bytes()) else {
        return error(StatusCode::BAD_REQUEST, "InvalidInput", "The sign-in request is not valid JSON of the expected shape.");
    };
    if let Some(old) = &cookie {
        let _ = state.console.sign_out(state, old, None).await;
    }
    let (outcome, shown) = state.console.sign_in(state, input, peer.ip()).await;
    match outcome {
        Ok((cookie, info)) => {
            let arn = info["identity"]["arn"].as_str().map(str::to_owned);
            audit_sign_in(state, context, &shown, arn.as_deref(), (200, None));
            let mut response = json_response((StatusCode::OK, with_server(state, info, host)));
            let max_age = state.config.console.session_secs;
            let cookie = format!("{}={cookie}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}", session::COOKIE);
            headers::put(response.headers_mut(), "set-cookie", &cookie);
            response
        }
        Err(refusal) => {
            audit_sign_in(state, context, &shown, None, (refusal.status.as_u16(), Some(refusal.code)));
            refuse(&refusal)
        }
    }
}

/// `DELETE /console/session`: ends the session (CSRF token checked), revokes its
/// credentials, clears the cookie, audits.
async fn sign_out(state: &AppState, cookie: &str, csrf: &str, context: &crate::audit::RequestContext) -> Response {
    match state.console.sign_out(state, cookie, Some(csrf)).await {
        Ok(ended) => {
            if let Some(identity) = ended {
                let region = &state.config.server.region;
                let record = context.record("signin.amazonaws.com", "ConsoleSignOut", region, Some(&identity.arn), json!({}), 200, None);
                state.audit.record(record);
            }
            let mut response = json_response((StatusCode::OK, json!({"signedOut": true})));
            let clear = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", session::COOKIE);
            headers::put(response.headers_mut(), "set-cookie", &clear);
            response
        }
        Err(refusal) => refuse(&refusal),
    }
}

/// Whether a request says it comes from the console page's own script
/// (`X-Coffer-Console: 1`, which navigations, tags, forms and cross-site requests
/// cannot send).
fn from_console_page<B>(req: &hyper::Request<B>) -> bool {
    req.headers().get("x-coffer-console").is_some_and(|v| v.as_bytes() == b"1")
}

/// 403 MissingConsoleHeader, with the console's security headers.
fn missing_console_header(message: &str) -> Response {
    let mut r = error(StatusCode::FORBIDDEN, "MissingConsoleHeader", message);
    assets::secure(&mut r);
    r
}

/// A JSON error answer `{"code", "message"}`.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response((status, json!({"code": code, "message": message})))
}

/// A refusal as JSON, with `Retry-After` when it has a wait.
fn refuse(refusal: &session::Refusal) -> Response {
    let mut response = json_response((refusal.status, refusal.body()));
    if let Some(secs) = refusal.retry_after {
        headers::put(response.headers_mut(), "retry-after", &secs.to_string());
    }
    response
}

/// Records a sign-in, successful or not, in the audit trail (CloudTrail's ConsoleLogin).
fn audit_sign_in(
    state: &AppState,
    context: &crate::audit::RequestContext,
    shown: &str,
    arn: Option<&str>,
    (status, error): (u16, Option<&'static str>),
) {
    let parameters = json!({ "userName": shown });
    let record = context.record("signin.amazonaws.com", "ConsoleLogin", &state.config.server.region, arn, parameters, status, error);
    state.audit.record(record);
}

/// Adds what the page needs of the server to a session's JSON: the region, where
/// shared links point, the version.
fn with_server(state: &AppState, mut info: Value, host: Option<&str>) -> Value {
    info["region"] = json!(state.config.server.region);
    info["s3Url"] = json!(s3_url(state, host));
    info["version"] = json!(env!("CARGO_PKG_VERSION"));
    info
}

/// The S3 listener's URL as the browser can reach it: `console.s3_url`, else
/// `server.listen` with a wildcard address replaced by the host the browser used.
fn s3_url(state: &AppState, host: Option<&str>) -> String {
    let configured = state.config.console.s3_url.trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let scheme = if state.tls.is_some() { "https" } else { "http" };
    let Ok(addr) = state.config.server.listen.parse::<SocketAddr>() else {
        return format!("{scheme}://{}", state.config.server.listen);
    };
    let ip_host = |ip: std::net::IpAddr| if ip.is_ipv6() { format!("[{ip}]") } else { ip.to_string() };
    let name = if addr.ip().is_unspecified() {
        // The host name of the Host header (its port is the admin listener's).
        let h = host.unwrap_or_default();
        let name = if h.starts_with('[') {
            h.split_once(']').map_or(h, |(v6, _)| v6).to_owned() + "]"
        } else {
            h.split(':').next().unwrap_or_default().to_owned()
        };
        let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if plain {
            name
        } else {
            ip_host(std::net::Ipv4Addr::LOCALHOST.into())
        }
    } else {
        ip_host(addr.ip())
    };
    format!("{scheme}://{name}:{}", addr.port())
}
