//! The HTTP side of the KMS JSON API on the S3 listener: `POST /` with
//! `X-Amz-Target: TrentService.<Operation>` and a JSON body (`application/x-amz-json-1.1`),
//! signed with SigV4 for service `kms`. The body is read whole (bounded, paced, from the
//! shared buffer budget), its SHA-256 checked by the signature, and the operation run by
//! `kms::api`. Errors are KMS's JSON (`__type`, `message`).

use std::net::SocketAddr;

use futures_util::TryStreamExt;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use sha2::Digest;

use crate::auth::{self, AuthError};
use crate::kms::{KmsError, KmsErrorCode, KmsResult};
use crate::s3::body::RequestBody;
use crate::s3::dispatch::Principal;
use crate::s3::{headers, AppState, Response};

/// The largest request body: a 4 KiB plaintext or a ciphertext blob, base64, with room.
const MAX_BODY: u64 = 64 << 10;

/// Whether a request is for KMS: `POST /` naming a `TrentService` operation.
pub fn is_kms_api(parts: &Parts) -> bool {
    parts.method == hyper::Method::POST
        && parts.uri.path() == "/"
        && headers::get(&parts.headers, "x-amz-target").is_some_and(|t| t.starts_with("TrentService."))
}

/// Answers one KMS request; the response carries the [`Principal`] extension for the
/// request log.
pub async fn handle(state: &AppState, parts: Parts, body: Incoming, request_id: &str, peer: SocketAddr) -> Response {
    let mut principal = Principal(None);
    let (status, json, error) = match run(state, &parts, body, peer, &mut principal).await {
        Ok(v) => (200, v.to_string(), None),
        Err(e) => (e.code.status(), e.to_json(), Some(e.code.as_str())),
    };
    let operation = headers::get(&parts.headers, "x-amz-target").and_then(|t| t.strip_prefix("TrentService.")).unwrap_or("KMS");
    if error.is_some_and(crate::audit::is_authentication_failure) || crate::audit::kms_operation_audited(operation) {
        // Parameters are not recorded: KMS bodies carry plaintext and ciphertext.
        let context = crate::audit::RequestContext::of(&parts, peer, request_id);
        let record = context.record(
            "kms.amazonaws.com",
            operation,
            &state.config.server.region,
            principal.0.as_deref(),
            serde_json::json!({}),
            status,
            error,
        );
        state.audit.record(record);
    }
    let status = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    super::api_response(status, "application/x-amz-json-1.1", json, principal, ("KMS", error))
}

async fn run(state: &AppState, parts: &Parts, body: Incoming, peer: SocketAddr, principal: &mut Principal) -> KmsResult<serde_json::Value> {
    let operation =
        headers::get(&parts.headers, "x-amz-target").and_then(|t| t.strip_prefix("TrentService.")).unwrap_or_default().to_owned();
    let raw = crate::s3::body::paced(body, &state.config.limits);
    let declared = headers::get(&parts.headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let bytes = RequestBody::new(Box::pin(raw.map_err(AuthError::Transport)), None)
        .with_budget(state.buffers.clone(), declared)
        .collect(MAX_BODY)
        .await
        .map_err(|e| KmsError::new(KmsErrorCode::ValidationException, e.message))?;
    let now = (state.clock)();
    let hash = hex::encode(sha2::Sha256::digest(&bytes[..]));
    let regions = [state.config.server.region.as_str()];
    let authenticated = auth::authenticate_query_api(parts, state.iam.as_ref(), &regions, &["kms"], now, &hash).map_err(|e| {
        let e = auth_error(&e);
        state.metrics.auth_failure(e.code.as_str());
        e
    })?;
    let caller = crate::iam::principal_of(authenticated.identity.as_ref())
        .ok_or_else(|| KmsError::new(KmsErrorCode::UnrecognizedClientException, "The request must be signed."))?;
    principal.0 = Some(caller.arn.clone());
    crate::iam::Iam::record_use(&caller, "kms", now);
    let json: serde_json::Value = if bytes.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(&bytes).map_err(|e| KmsError::new(KmsErrorCode::SerializationException, e.to_string()))?
    };
    if !json.is_object() {
        return Err(KmsError::new(KmsErrorCode::SerializationException, "The request body must be a JSON object."));
    }
    crate::kms::api::run(&state.kms, &caller, super::query_api::global_context(parts, peer, now), &operation, &json).await
}

/// An authentication failure in KMS's terms.
fn auth_error(e: &AuthError) -> KmsError {
    match e {
        AuthError::InvalidAccessKeyId | AuthError::InvalidToken => {
            KmsError::new(KmsErrorCode::UnrecognizedClientException, "The security token included in the request is invalid.")
        }
        AuthError::ExpiredToken => {
            KmsError::new(KmsErrorCode::UnrecognizedClientException, "The security token included in the request is expired")
        }
        AuthError::SignatureDoesNotMatch | AuthError::RequestTimeTooSkewed => {
            KmsError::new(KmsErrorCode::InvalidSignatureException, e.message())
        }
        AuthError::MissingSecurityHeader(_) | AuthError::AuthorizationHeaderMalformed(_) => {
            KmsError::new(KmsErrorCode::IncompleteSignature, e.message())
        }
        other => KmsError::new(KmsErrorCode::AccessDeniedException, other.message()),
    }
}
