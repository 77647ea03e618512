//! The static website endpoint: a bucket with a website configuration served to
//! browsers, as S3's `<bucket>.s3-website` endpoints do. Requests reach it by Host
//! (`<bucket>.<server.website_domain>` on the S3 listener, or any Host on the
//! `website.listen` listener) and are anonymous GET and HEAD only, authorized by the
//! bucket policy like any anonymous GetObject (`crate::s3::access`); objects are served
//! by the S3 layer's GetObject. What differs from the REST endpoint is decided here:
//! index documents, redirects (redirect-all, routing rules), HTML error pages and the
//! error document, and never a listing. The configuration's rules are
//! `crate::model::website`.

use std::fmt::Write as _;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};

use crate::auth::Authenticated;
use crate::config::Config;
use crate::model::website::{Origin, RedirectTo, WebsiteConfiguration};
use crate::s3::dispatch::{Ctx, Principal, SecureTransport};
use crate::s3::error::{S3Error, S3ErrorCode};
use crate::s3::router::{Endpoint, Route};
use crate::s3::{headers, AppState, Response};

/// The bucket a request is for, if it is a website request: its Host is
/// `<bucket>.<website_domain>`, or — on the website-only listener — any other Host,
/// which names the bucket whole (a bucket named after its domain).
pub fn bucket_for(parts: &Parts, config: &Config, website_listener: bool) -> Option<String> {
    let host = crate::s3::router::without_port(headers::get(&parts.headers, "host")?).to_ascii_lowercase();
    // A fully qualified name (`www.example.com.`) is the same host.
    let host = host.strip_suffix('.').map_or(host.clone(), str::to_owned);
    let domain = config.server.website_domain.to_ascii_lowercase();
    if !domain.is_empty() {
        if let Some(bucket) = host.strip_suffix(domain.as_str()).and_then(|b| b.strip_suffix('.')).filter(|b| !b.is_empty()) {
            return Some(bucket.to_owned());
        }
    }
    website_listener.then_some(host)
}

/// Serves one website request; never fails (errors are HTML pages).
pub fn handle(state: &AppState, parts: &Parts, bucket: &str, request_id: &str, peer: SocketAddr) -> Response {
    let head = parts.method == Method::HEAD;
    let mut response = match serve(state, parts, bucket, request_id, peer) {
        Ok(r) => r,
        Err(e) => error_page(&e, head, request_id),
    };
    response.extensions_mut().insert(Principal(None));
    response
}

fn serve(state: &AppState, parts: &Parts, bucket: &str, request_id: &str, peer: SocketAddr) -> Result<Response, S3Error> {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return Err(S3Error::new(S3ErrorCode::MethodNotAllowed));
    }
    // A Host that cannot name a bucket names none (no lookup).
    let access = match crate::model::bucket::validate_name(bucket) {
        Ok(()) => state.access.get(&state.store, &state.iam.directory(), bucket)?,
        Err(_) => None,
    };
    let config = access.as_ref().ok_or_else(|| named(S3ErrorCode::NoSuchBucket, "BucketName", bucket))?.website.clone();
    let config = config.ok_or_else(|| named(S3ErrorCode::NoSuchWebsiteConfiguration, "BucketName", bucket))?;
    let path = percent_encoding::percent_decode_str(parts.uri.path())
        .decode_utf8()
        .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "The request path is not valid UTF-8"))?;
    let path = path.strip_prefix('/').unwrap_or(&path).to_owned();
    let host = headers::get(&parts.headers, "host").unwrap_or_default();
    let origin = Origin { protocol: if parts.extensions.get::<SecureTransport>().is_some() { "https" } else { "http" }, host };
    if let Some(to) = config.redirect_before(&path, origin) {
        return Ok(redirect(&to));
    }
    let fetch = Fetch { state, parts, bucket, request_id, peer };
    let key = config.key_for(&path);
    // An object with `x-amz-website-redirect-location` is a redirect, not a page: seen
    // on its metadata (a HEAD, whatever the request's range or preconditions), before
    // any byte is read.
    if let Some(to) = fetch.head(&key).ok().and_then(|r| headers::get(r.headers(), "x-amz-website-redirect-location").map(str::to_owned)) {
        return Ok(redirect(&RedirectTo { status: 301, location: to }));
    }
    let failure = match fetch.object(&key, true) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    // `dir` names the folder `dir/` when `dir/<index>` exists: S3 sends the browser there.
    if failure.code == S3ErrorCode::NoSuchKey && key == path && !path.is_empty() && fetch.head(&config.key_for(&format!("{path}/"))).is_ok()
    {
        // A path that begins with `/` (a key that does) must not make `//host/`.
        let encoded = crate::model::website::encode_path(&path);
        let encoded = encoded.strip_prefix('/').map_or(encoded.clone(), |rest| format!("%2F{rest}"));
        return Ok(redirect(&RedirectTo { status: 302, location: format!("/{encoded}/") }));
    }
    let status = failure.code.status();
    if let Some(to) = config.redirect_on_error(&path, status.as_u16(), origin) {
        return Ok(redirect(&to));
    }
    error_document(&fetch, &config, failure)
}

/// The bucket's error document, answered with the status of `failure` (4xx only, as
/// S3), or `failure` itself when there is none or it cannot be served.
fn error_document(fetch: &Fetch<'_>, config: &WebsiteConfiguration, failure: S3Error) -> Result<Response, S3Error> {
    let status = failure.code.status();
    match &config.error {
        Some(doc) if status.is_client_error() => match fetch.object(&doc.key, false) {
            Ok(mut r) => {
                *r.status_mut() = status;
                Ok(r)
            }
            Err(e) => {
                tracing::debug!(bucket = fetch.bucket, key = %doc.key, error = %e.code.as_str(), "the error document could not be served");
                Err(failure)
            }
        },
        _ => Err(failure),
    }
}

/// Fetches objects of one bucket as an anonymous GetObject (or HeadObject) would.
struct Fetch<'a> {
    state: &'a AppState,
    parts: &'a Parts,
    bucket: &'a str,
    request_id: &'a str,
    peer: SocketAddr,
}

impl Fetch<'_> {
    /// The object at `key`, authorized for an anonymous caller. `as_requested`: with the
    /// request's own range and preconditions (not for the error document).
    fn object(&self, key: &str, as_requested: bool) -> Result<Response, S3Error> {
        let head = self.parts.method == Method::HEAD;
        let parts = self.anonymous_head(as_requested)?;
        let route = Route {
            endpoint: if head { Endpoint::HeadObject } else { Endpoint::GetObject },
            bucket: Some(self.bucket.to_owned()),
            key: Some(key.to_owned()),
            virtual_host: false,
        };
        let auth = Authenticated::anonymous();
        let ctx = Ctx {
            state: self.state,
            parts: &parts,
            query: &[],
            route: &route,
            auth: &auth,
            principal: None,
            request_id: self.request_id,
            peer: self.peer,
            secure: parts.extensions.get::<SecureTransport>().is_some(),
            authorized_bucket: std::sync::OnceLock::new(),
        };
        crate::s3::access::authorize(&ctx)?;
        crate::s3::object_get::get_object(&ctx, head)
    }

    /// The HEAD answer an anonymous caller would get for `key` (its metadata; no
    /// range, no preconditions).
    fn head(&self, key: &str) -> Result<Response, S3Error> {
        let mut probe = self.anonymous_head(false)?;
        probe.method = Method::HEAD;
        Fetch { parts: &probe, ..*self }.object(key, false)
    }

    /// The request head without anything that would make it more than an anonymous
    /// read: no credentials, no `x-amz-*` header, no query; with `as_requested` false,
    /// also without range and preconditions.
    fn anonymous_head(&self, as_requested: bool) -> Result<Parts, S3Error> {
        // What policy conditions read of the caller, then what shapes the answer.
        const KEPT: [&str; 8] =
            ["host", "referer", "user-agent", "range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"];
        let (mut parts, ()) = hyper::Request::builder()
            .method(self.parts.method.clone())
            .uri(self.parts.uri.path())
            .body(())
            .map_err(S3Error::internal)?
            .into_parts();
        parts.extensions = self.parts.extensions.clone();
        for name in KEPT.iter().take(if as_requested { KEPT.len() } else { 3 }) {
            if let Some(v) = self.parts.headers.get(*name) {
                parts.headers.insert(*name, v.clone());
            }
        }
        Ok(parts)
    }
}

fn named(code: S3ErrorCode, element: &'static str, value: &str) -> S3Error {
    let mut e = S3Error::new(code);
    e.elements.push((element, value.to_owned()));
    e
}

fn redirect(to: &RedirectTo) -> Response {
    let status = StatusCode::from_u16(to.status).unwrap_or(StatusCode::MOVED_PERMANENTLY);
    let mut r = hyper::Response::new(Full::new(bytes::Bytes::new()).map_err(|never| match never {}).boxed());
    *r.status_mut() = status;
    headers::put(r.headers_mut(), "location", &to.location);
    r
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// S3's HTML error page of the website endpoint.
fn error_page(e: &S3Error, head: bool, request_id: &str) -> Response {
    let status = e.code.status();
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    let mut items = format!("<li>Code: {}</li>\n<li>Message: {}</li>\n", escape(e.code.as_str()), escape(&e.message));
    for (name, value) in &e.elements {
        let _ = writeln!(items, "<li>{name}: {}</li>", escape(value));
    }
    let _ = writeln!(items, "<li>RequestId: {}</li>", escape(request_id));
    let body =
        format!("<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{items}</ul>\n<hr/>\n</body>\n</html>\n");
    let len = body.len();
    let mut r = hyper::Response::new(
        Full::new(if head { bytes::Bytes::new() } else { bytes::Bytes::from(body) }).map_err(|never| match never {}).boxed(),
    );
    *r.status_mut() = status;
    headers::put(r.headers_mut(), "content-type", "text/html; charset=utf-8");
    if head {
        headers::put(r.headers_mut(), "content-length", &len.to_string());
    }
    r
}

/// The answer of the website-only listener to a request without a Host header (which
/// names the bucket there): 400, as an HTML page.
pub fn no_host(parts: &Parts, request_id: &str) -> Response {
    let e = S3Error::with_message(S3ErrorCode::InvalidArgument, "A website request needs a Host header naming the bucket.");
    let mut r = error_page(&e, parts.method == Method::HEAD, request_id);
    r.extensions_mut().insert(Principal(None));
    r
}
