//! SigV4 presigned URLs: authentication carried in the query string
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature`).
//!
//! See "Authenticating Requests: Using Query Parameters" in the S3 API
//! reference. The payload is `UNSIGNED-PAYLOAD` unless the client sent an
//! `x-amz-content-sha256` header saying otherwise.

use std::time::{Duration, SystemTime};

use http::request::Parts;

use super::canonical::{query_param, SigningKey, ALGORITHM};
use super::sigv4::{
    check_signed_headers, parse_amz_date, verify_signature, ChunkSigner, CredentialScope, PayloadKind, V4Check, MAX_SKEW, UNSIGNED_PAYLOAD,
};
use super::{AuthError, AuthMethod, Authenticated, KeySource};

/// Longest validity S3 accepts for a presigned URL: seven days.
pub(crate) const MAX_EXPIRES_SECS: u64 = 604_800;

/// Shorthand for the error S3 uses for bad presigned parameters.
fn query_error(message: impl Into<String>) -> AuthError {
    AuthError::AuthorizationQueryParametersError(message.into())
}

/// Builds the error `CredentialScope::parse` reports from the query.
fn credential_error(mut message: String) -> AuthError {
    message.insert_str(0, "Error parsing the X-Amz-Credential parameter; ");
    query_error(message)
}

/// The presigned parameters, all required.
struct PresignedParams<'a> {
    credential: &'a str,
    amz_date: &'a str,
    expires: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// Extracts the presigned parameters, checking the algorithm.
fn presigned_params(params: &[(String, String)]) -> Result<PresignedParams<'_>, AuthError> {
    let get = |name: &str| query_param(params, name);
    match get("X-Amz-Algorithm") {
        Some(ALGORITHM) => {}
        Some(_) => return Err(query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")),
        None => {
            return Err(query_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
                 X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            ))
        }
    }
    match (get("X-Amz-Credential"), get("X-Amz-Date"), get("X-Amz-Expires"), get("X-Amz-SignedHeaders"), get("X-Amz-Signature")) {
        (Some(credential), Some(amz_date), Some(expires), Some(signed_headers), Some(signature)) => {
            Ok(PresignedParams { credential, amz_date, expires, signed_headers, signature })
        }
        _ => Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )),
    }
}

/// Checks `X-Amz-Date`/`X-Amz-Expires` against `now`: expired URLs are
/// `AccessDenied`, URLs dated more than 15 minutes ahead `RequestTimeTooSkewed`.
fn check_validity(date: SystemTime, expires: &str, now: SystemTime) -> Result<(), AuthError> {
    let expires: i64 = expires.parse().map_err(|_| query_error("X-Amz-Expires should be a number"))?;
    let expires = u64::try_from(expires).map_err(|_| query_error("X-Amz-Expires must be non-negative"))?;
    if expires > MAX_EXPIRES_SECS {
        return Err(query_error("X-Amz-Expires must be less than a week (in seconds) that is 604800"));
    }
    if date.duration_since(now).is_ok_and(|ahead| ahead > MAX_SKEW) {
        return Err(AuthError::RequestTimeTooSkewed);
    }
    if now > date + Duration::from_secs(expires) {
        return Err(AuthError::AccessDenied("Request has expired".to_owned()));
    }
    Ok(())
}

/// Authenticates a SigV4 presigned request.
pub(crate) fn authenticate(
    head: &Parts,
    params: &[(String, String)],
    keys: &dyn KeySource,
    region: &str,
    now: SystemTime,
    token: Option<&str>,
) -> Result<Authenticated, AuthError> {
    let p = presigned_params(params)?;
    let scope = CredentialScope::parse(p.credential, region, credential_error)?;
    check_signed_headers(head, p.signed_headers, query_error)?;
    let time =
        parse_amz_date(p.amz_date).ok_or_else(|| query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""))?;
    if !p.amz_date.starts_with(scope.date) {
        return Err(credential_error("Invalid credential date. Date is not the same as X-Amz-Date.".to_owned()));
    }
    check_validity(time, p.expires, now)?;
    let payload_hash = match head.headers.get("x-amz-content-sha256") {
        Some(v) => v.to_str().map_err(|_| AuthError::InvalidArgument("x-amz-content-sha256 is not valid".into()))?,
        None => UNSIGNED_PAYLOAD,
    };
    let kind = PayloadKind::parse(payload_hash)?;
    let creds = keys.lookup(scope.access_key, token, now)?;
    let key = SigningKey::derive(creds.secret_key.expose(), time, region);
    let check = V4Check {
        head,
        signed_headers: p.signed_headers,
        payload_hash,
        exclude_query: Some("X-Amz-Signature"),
        amz_date: p.amz_date,
        scope: scope.scope,
    };
    let seed = verify_signature(&check, &key, p.signature)?;
    let signer = ChunkSigner::new(key, p.amz_date.to_owned(), scope.scope.to_owned(), seed);
    Ok(Authenticated {
        access_key: Some(creds.access_key),
        payload: kind.with_signer(signer),
        method: AuthMethod::PresignedV4,
        identity: creds.identity,
        service: "s3".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_window() {
        let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |s: u64| date + Duration::from_secs(s);
        assert!(check_validity(date, "86400", at(10)).is_ok());
        assert!(check_validity(date, "86400", at(86_400)).is_ok());
        let e = check_validity(date, "86400", at(86_401)).expect_err("expired");
        assert_eq!((e.s3_code(), e.message().as_str()), ("AccessDenied", "Request has expired"));
        let e = check_validity(date, "604801", at(1)).expect_err("too long");
        assert_eq!(e.s3_code(), "AuthorizationQueryParametersError");
        assert!(check_validity(date, "604800", at(1)).is_ok());
        assert!(check_validity(date, "-1", at(1)).is_err());
        assert!(check_validity(date, "abc", at(1)).is_err());
        let early = date - Duration::from_secs(16 * 60);
        assert!(matches!(check_validity(date, "60", early), Err(AuthError::RequestTimeTooSkewed)));
    }
}
