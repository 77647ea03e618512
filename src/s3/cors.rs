//! CORS: Put/Get/DeleteBucketCors, the preflight (`OPTIONS`, answered from the rules
//! without authentication, as S3), and the `Access-Control-*` headers added to every
//! answer to a request carrying `Origin` — errors included. The rules and their matching
//! are `crate::model::cors`.

use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};

use super::body::RequestBody;
use super::bucket_access::existing;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::{access, document, headers, AppState, Response};
use crate::model::cors::{self, CorsConfiguration, CorsError, CorsGrant};

fn to_s3(e: CorsError) -> S3Error {
    match e {
        CorsError::Malformed(m) => S3Error::with_message(S3ErrorCode::MalformedXML, m),
        CorsError::InvalidRequest(m) => S3Error::with_message(S3ErrorCode::InvalidRequest, m),
    }
}

/// PUT /bucket?cors — validated as S3 does, then stored as sent.
pub async fn put_cors(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    let raw = document::read(ctx, body, false).await?;
    cors::parse_submitted(&raw).map_err(to_s3)?;
    ctx.state.access.set(&ctx.state.store, bucket, &access, cors::DOCUMENT, Some(raw.to_vec())).await?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?cors — the rules; NoSuchCORSConfiguration when there are none.
pub fn get_cors(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    let config = access.cors.as_ref().ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchCORSConfiguration))?;
    Ok(xml(super::xml::to_xml("CORSConfiguration", config)?))
}

/// DELETE /bucket?cors.
pub async fn delete_cors(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    ctx.state.access.set(&ctx.state.store, bucket, &access, cors::DOCUMENT, None).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

fn forbidden(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessForbidden, message)
}

/// The rules in force for a bucket: its own, else the server default, if any.
fn rules_of(state: &AppState, access: Option<&crate::bucket_access::BucketAccess>) -> Option<CorsConfiguration> {
    match access.and_then(|a| a.cors.as_ref()) {
        Some(own) => Some(own.clone()),
        None => CorsConfiguration::server_default(&state.config.cors.default_allowed_origins),
    }
}

/// OPTIONS /bucket[/key] — the preflight: 200 with the grant of the first rule allowing
/// the origin, the method and every requested header; 403 otherwise.
pub fn preflight(ctx: &Ctx<'_>) -> S3Result<Response> {
    let origin = ctx
        .header("origin")
        .ok_or_else(|| S3Error::with_message(S3ErrorCode::BadRequest, "Insufficient information. Origin request header needed."))?;
    let method = ctx
        .header("access-control-request-method")
        .ok_or_else(|| S3Error::with_message(S3ErrorCode::BadRequest, "Invalid Access-Control-Request-Method: null"))?;
    let bucket = ctx.bucket()?;
    let access = access::bucket_access(ctx, bucket)?;
    let rules = rules_of(ctx.state, access.as_deref()).ok_or_else(|| forbidden("CORSResponse: CORS is not enabled for this bucket."))?;
    let requested = cors::request_headers(ctx.header("access-control-request-headers").unwrap_or_default());
    let grant = rules.preflight(origin, method.trim(), &requested).ok_or_else(|| {
        forbidden(
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / \
             Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        )
    })?;
    let mut r = empty(StatusCode::OK);
    put_grant(r.headers_mut(), &grant, true);
    Ok(r)
}

fn put_grant(h: &mut HeaderMap, grant: &CorsGrant, preflight: bool) {
    headers::put(h, "access-control-allow-origin", &grant.allow_origin);
    if grant.allow_credentials {
        headers::put(h, "access-control-allow-credentials", "true");
    }
    headers::put(h, "access-control-allow-methods", &grant.allow_methods.join(", "));
    if preflight && !grant.allow_headers.is_empty() {
        headers::put(h, "access-control-allow-headers", &grant.allow_headers.join(", "));
    }
    if !grant.expose_headers.is_empty() {
        headers::put(h, "access-control-expose-headers", &grant.expose_headers.join(", "));
    }
    if let Some(age) = grant.max_age {
        headers::put(h, "access-control-max-age", &age.to_string());
    }
    vary(h);
}

fn vary(h: &mut HeaderMap) {
    headers::put(h, "vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

/// Adds the `Access-Control-*` headers of the rule allowing `origin` and `method` on
/// `bucket` to a response (any response: errors too, so that a script can read why it
/// failed). A bucket with rules always answers `Vary: Origin`, so that caches keep
/// answers to different origins apart.
pub fn decorate(state: &AppState, bucket: &str, origin: &str, method: &Method, response: &mut Response) {
    let access = match state.access.get(&state.store, &state.iam.directory(), bucket) {
        Ok(access) => access,
        Err(e) => {
            tracing::warn!(bucket, error = %e, "CORS rules not readable; answered without CORS headers");
            return;
        }
    };
    let Some(rules) = rules_of(state, access.as_deref()) else { return };
    match rules.actual(origin, method.as_str()) {
        Some(grant) => put_grant(response.headers_mut(), &grant, false),
        None => vary(response.headers_mut()),
    }
}
