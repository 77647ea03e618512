//! The HTTP side of the IAM and STS query APIs on the S3 listener: `POST /` (S3 has no
//! operation there) with a form body. The body is read whole (bounded, paced, from the
//! shared buffer budget), its SHA-256 checked by the SigV4 signature (these SDKs send
//! no `x-amz-content-sha256`), the service taken from the credential scope (`iam` or
//! `sts`), and the action run by `iam::api`. Errors are IAM's XML.

use std::net::SocketAddr;

use futures_util::TryStreamExt;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use sha2::Digest;

use crate::auth::{self, AuthError};
use crate::iam::api::{self, ApiRequest};
use crate::iam::policy::Context;
use crate::iam::{IamError, IamErrorCode, IamResult};
use crate::s3::body::RequestBody;
use crate::s3::dispatch::Principal;
use crate::s3::{headers, AppState, Response};

/// The largest form accepted: a 10,240-character policy, URL-encoded, with room.
const MAX_FORM: u64 = 128 << 10;

/// Whether a request is for the query APIs: `POST /` that is not virtual-hosted (a
/// bucket's POST, e.g. a browser form upload, goes to S3).
pub fn is_query_api(parts: &Parts, domain: &str) -> bool {
    parts.method == hyper::Method::POST && parts.uri.path() == "/" && {
        let host = headers::get(&parts.headers, "host").unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { host });
        domain.is_empty() || !host.ends_with(&format!(".{domain}"))
    }
}

/// Answers one query-API request. The response carries the [`Principal`] extension,
/// as S3 responses do, for the request log.
pub async fn handle(state: &AppState, parts: Parts, body: Incoming, request_id: &str, peer: SocketAddr) -> Response {
    let mut principal = Principal(None);
    let mut form = Vec::new();
    let (status, xml, error) = match run(state, &parts, body, request_id, peer, (&mut principal, &mut form)).await {
        Ok(xml) => (hyper::StatusCode::OK, xml, None),
        Err(e) => (e.code.status(), e.to_xml(request_id), Some(e.code.as_str())),
    };
    audit(state, &parts, peer, request_id, &form, principal.0.as_deref(), (status.as_u16(), error));
    super::api_response(status, "text/xml", xml, principal, ("IAM/STS", error))
}

/// Records an IAM or STS request in the audit trail if it changes something, issues
/// credentials, or failed to authenticate.
fn audit(
    state: &AppState,
    parts: &Parts,
    peer: SocketAddr,
    request_id: &str,
    form: &[(String, String)],
    arn: Option<&str>,
    (status, error): (u16, Option<&'static str>),
) {
    let action = form.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str());
    let auth_failed = error.is_some_and(crate::audit::is_authentication_failure);
    if !(auth_failed || action.is_some_and(crate::audit::query_action_audited)) {
        return;
    }
    let name = action.unwrap_or("IAM/STS");
    let sts =
        matches!(name, "GetCallerIdentity" | "GetSessionToken" | "GetFederationToken" | "DecodeAuthorizationMessage" | "GetAccessKeyInfo")
            || name.starts_with("AssumeRole");
    let source = if sts { "sts.amazonaws.com" } else { "iam.amazonaws.com" };
    let context = crate::audit::RequestContext::of(parts, peer, request_id);
    let parameters = crate::audit::redacted_parameters(form);
    state.audit.record(context.record(source, name, &state.config.server.region, arn, parameters, status, error));
}

async fn run(
    state: &AppState,
    parts: &Parts,
    body: Incoming,
    request_id: &str,
    peer: SocketAddr,
    (principal, form_seen): (&mut Principal, &mut Vec<(String, String)>),
) -> IamResult<String> {
    let limits = &state.config.limits;
    let raw = crate::s3::body::paced(body, limits);
    let declared = headers::get(&parts.headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let form = RequestBody::new(Box::pin(raw.map_err(AuthError::Transport)), None)
        .with_budget(state.buffers.clone(), declared)
        .collect(MAX_FORM)
        .await
        .map_err(|e| IamError::new(IamErrorCode::InvalidInput, e.message))?;
    let params: Vec<(String, String)> = url_form(&form);
    form_seen.clone_from(&params);
    let now = (state.clock)();
    let signed = parts.headers.contains_key(hyper::header::AUTHORIZATION);
    let (authenticated, service) = if !signed && api::is_unsigned_sts_action(&params) {
        (None, "sts")
    } else {
        let hash = hex::encode(sha2::Sha256::digest(&form[..]));
        let region = state.config.server.region.as_str();
        // IAM is a global service that SDKs sign for us-east-1 whatever their region.
        let regions = [region, "us-east-1"];
        let a = auth::authenticate_query_api(parts, state.iam.as_ref(), &regions, &["iam", "sts"], now, &hash).map_err(|e| {
            let e = auth_error(&e);
            state.metrics.auth_failure(e.code.as_str());
            e
        })?;
        let service = if a.service == "iam" { "iam" } else { "sts" };
        (Some(a), service)
    };
    let caller = authenticated.as_ref().and_then(|a| crate::iam::principal_of(a.identity.as_ref()));
    if let Some(p) = &caller {
        principal.0 = Some(p.arn.clone());
        crate::iam::Iam::record_use(p, service, now);
    }
    let context = global_context(parts, peer, now);
    let req = ApiRequest {
        iam: &state.iam,
        params: &params,
        principal: caller,
        context,
        now,
        request_id,
        web_identity: &state.web_identity,
        region: &state.config.server.region,
    };
    if service == "iam" {
        api::handle_iam(&req).await
    } else {
        api::handle_sts(&req).await
    }
}

/// The global condition keys of a request to the IAM, STS or KMS API: `aws:SourceIp`,
/// `aws:SecureTransport` (from the connection, never from a header), `aws:EpochTime`,
/// `aws:CurrentTime`, `aws:UserAgent`.
pub fn global_context(parts: &Parts, peer: SocketAddr, now: std::time::SystemTime) -> Context {
    let mut context = Context::new();
    context.insert("aws:SourceIp", peer.ip().to_string());
    let secure = parts.extensions.get::<crate::s3::dispatch::SecureTransport>().is_some();
    context.insert("aws:SecureTransport", if secure { "true" } else { "false" });
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    context.insert("aws:EpochTime", secs.to_string());
    context.insert("aws:CurrentTime", crate::iam::xml::date(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)));
    if let Some(ua) = headers::get(&parts.headers, "user-agent") {
        context.insert("aws:UserAgent", ua);
    }
    context
}

/// An authentication failure in IAM's terms.
fn auth_error(e: &AuthError) -> IamError {
    let code = match e {
        AuthError::InvalidAccessKeyId | AuthError::InvalidToken => IamErrorCode::InvalidClientTokenId,
        AuthError::ExpiredToken => IamErrorCode::ExpiredToken,
        AuthError::SignatureDoesNotMatch | AuthError::RequestTimeTooSkewed => IamErrorCode::SignatureDoesNotMatch,
        AuthError::MissingSecurityHeader(_) => IamErrorCode::MissingAuthenticationToken,
        AuthError::AuthorizationHeaderMalformed(_) => IamErrorCode::IncompleteSignature,
        _ => IamErrorCode::InvalidInput,
    };
    let message = match e {
        AuthError::InvalidAccessKeyId | AuthError::InvalidToken => "The security token included in the request is invalid.".to_owned(),
        AuthError::ExpiredToken => "The security token included in the request is expired".to_owned(),
        other => other.message(),
    };
    IamError::new(code, message)
}

/// Decodes an `application/x-www-form-urlencoded` body (`+` is a space).
pub fn url_form(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &[u8]| {
        let spaced: Vec<u8> = s.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        percent_encoding::percent_decode(&spaced).decode_utf8_lossy().into_owned()
    };
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        let p = url_form(b"Action=CreateUser&UserName=a+b%2Fc&Empty=&Flag");
        assert_eq!(p[1], ("UserName".to_owned(), "a b/c".to_owned()));
        assert_eq!(p[2], ("Empty".to_owned(), String::new()));
        assert_eq!(p[3], ("Flag".to_owned(), String::new()));
    }

    #[test]
    fn query_api_requests_are_post_slash() {
        let parts = |m: &str, p: &str, host: &str| {
            hyper::Request::builder().method(m).uri(p).header("host", host).body(()).expect("request").into_parts().0
        };
        assert!(is_query_api(&parts("POST", "/", "127.0.0.1:9000"), ""));
        assert!(!is_query_api(&parts("POST", "/bucket", "127.0.0.1:9000"), ""));
        assert!(!is_query_api(&parts("GET", "/", "127.0.0.1:9000"), ""));
        assert!(!is_query_api(&parts("POST", "/", "b.s3.local:9000"), "s3.local"));
        assert!(is_query_api(&parts("POST", "/", "s3.local:9000"), "s3.local"));
    }
}
