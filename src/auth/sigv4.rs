//! AWS Signature Version 4 in the `Authorization` header, plus the pieces
//! presigned URLs share with it: request time, credential scope, payload
//! mode, and signature verification over canonical-URI candidates.
//!
//! See "Signature Calculations for the Authorization Header" in the S3 API
//! reference.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::request::Parts;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::canonical::{
    canonical_headers, canonical_query, canonical_request, signatures_match, string_to_sign, uri_candidates, CanonicalParts, SigningKey,
    ALGORITHM, EMPTY_SHA256,
};
use super::{AuthError, AuthMethod, Authenticated, Credentials, KeySource, PayloadMode};

/// The ISO 8601 basic format of `x-amz-date`: `20130524T000000Z`.
const AMZ_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year][month][day]T[hour][minute][second]Z");

/// Largest accepted distance between the request time and ours.
pub(crate) const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// `x-amz-content-sha256` value for an unsigned payload.
pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Signed aws-chunked payload.
const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// Signed aws-chunked payload with a signed trailer.
const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// Unsigned aws-chunked payload with an unsigned trailer.
const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Signs aws-chunked chunks and trailers for one request: holds the derived
/// key, the request time and scope, and the seed (request) signature.
/// `Debug` is redacted: it holds a key and a signature.
#[derive(Clone)]
pub struct ChunkSigner {
    /// Signing key of the request.
    key: SigningKey,
    /// The request time as it appeared in the string to sign.
    amz_date: String,
    /// `date/region/s3/aws4_request`.
    scope: String,
    /// The request's own signature, "previous signature" of the first chunk.
    seed: String,
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner").field("amz_date", &self.amz_date).field("scope", &self.scope).finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// Builds a signer; `seed` is the verified request signature.
    pub(crate) fn new(key: SigningKey, amz_date: String, scope: String, seed: String) -> Self {
        Self { key, amz_date, scope, seed }
    }

    /// The seed signature (the request's signature).
    pub(crate) fn seed(&self) -> &str {
        &self.seed
    }

    /// Signature of a chunk whose data hashes to `data_sha256`.
    pub(crate) fn chunk_signature(&self, previous: &str, data_sha256: &[u8; 32]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            hex::encode(data_sha256)
        );
        self.key.sign(sts.as_bytes())
    }

    /// Signature of the trailer whose canonical form (`name:value\n`, sorted) is given.
    pub(crate) fn trailer_signature(&self, previous: &str, canonical_trailer: &[u8]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            self.amz_date,
            self.scope,
            hex::encode(super::canonical::sha256(canonical_trailer))
        );
        self.key.sign(sts.as_bytes())
    }
}

/// What `x-amz-content-sha256` announces, before a signer is attached.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PayloadKind {
    /// `UNSIGNED-PAYLOAD` (or no header where that is allowed).
    Unsigned,
    /// The body's SHA-256.
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
}

impl PayloadKind {
    /// Parses an `x-amz-content-sha256` value; unknown values are `InvalidArgument` as in S3.
    pub(crate) fn parse(value: &str) -> Result<Self, AuthError> {
        match value {
            UNSIGNED_PAYLOAD => Ok(Self::Unsigned),
            STREAMING_SIGNED => Ok(Self::StreamingSigned),
            STREAMING_SIGNED_TRAILER => Ok(Self::StreamingSignedTrailer),
            STREAMING_UNSIGNED_TRAILER => Ok(Self::StreamingUnsignedTrailer),
            hash => {
                let mut out = [0u8; 32];
                if hash.len() == 64 && hex::decode_to_slice(hash, &mut out).is_ok() {
                    Ok(Self::Sha256(out))
                } else {
                    Err(AuthError::InvalidArgument(
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
                         STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER \
                         or a valid sha256 value."
                            .to_owned(),
                    ))
                }
            }
        }
    }

    /// The payload mode once the request signature is known.
    pub(crate) fn with_signer(self, signer: ChunkSigner) -> PayloadMode {
        match self {
            Self::Unsigned => PayloadMode::Unsigned,
            Self::Sha256(h) => PayloadMode::SignedSha256(h),
            Self::StreamingSigned => PayloadMode::StreamingSigned { signer },
            Self::StreamingSignedTrailer => PayloadMode::StreamingSignedTrailer { signer },
            Self::StreamingUnsignedTrailer => PayloadMode::StreamingUnsignedTrailer,
        }
    }
}

/// Parses `20130524T000000Z`.
pub(crate) fn parse_amz_date(value: &str) -> Option<SystemTime> {
    PrimitiveDateTime::parse(value, AMZ_DATE).ok().map(|t| SystemTime::from(t.assume_utc()))
}

/// Formats a time as `20130524T000000Z`.
pub(crate) fn format_amz_date(time: SystemTime) -> String {
    OffsetDateTime::from(time).format(AMZ_DATE).unwrap_or_default()
}

/// The request time from `x-amz-date`, else `Date`: its `x-amz-date` form and value.
fn request_time(head: &Parts) -> Result<(String, SystemTime), AuthError> {
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(v) = header("x-amz-date") {
        let time = parse_amz_date(v)
            .ok_or_else(|| AuthError::AccessDenied("AWS authentication requires a valid Date or x-amz-date header".into()))?;
        return Ok((v.to_owned(), time));
    }
    if let Some(time) = header("date").and_then(|v| httpdate::parse_http_date(v).ok()) {
        return Ok((format_amz_date(time), time));
    }
    Err(AuthError::AccessDenied("AWS authentication requires a valid Date or x-amz-date header".into()))
}

/// `RequestTimeTooSkewed` when `time` is more than 15 minutes from `now`.
pub(crate) fn check_skew(time: SystemTime, now: SystemTime) -> Result<(), AuthError> {
    let distance = now.duration_since(time).unwrap_or_else(|e| e.duration());
    if distance > MAX_SKEW {
        return Err(AuthError::RequestTimeTooSkewed);
    }
    Ok(())
}

/// A parsed `Credential` value: `AK/20130524/us-east-1/s3/aws4_request`.
#[derive(Debug)]
pub(crate) struct CredentialScope<'a> {
    /// Access key id.
    pub(crate) access_key: &'a str,
    /// `YYYYMMDD`.
    pub(crate) date: &'a str,
    /// Everything after the access key, the `scope` of the string to sign.
    pub(crate) scope: &'a str,
    /// The signing service (`s3`, `iam`, `sts`).
    pub(crate) service: &'a str,
    /// The signing region.
    pub(crate) region: &'a str,
}

impl<'a> CredentialScope<'a> {
    /// Parses and checks the credential against our region. `err` builds the
    /// location-specific error (header vs. query parameters).
    pub(crate) fn parse(credential: &'a str, region: &str, err: fn(String) -> AuthError) -> Result<Self, AuthError> {
        Self::parse_for(credential, &[region], &["s3"], err)
    }

    /// [`Self::parse`] for a request that may be signed for any of `regions` and
    /// `services` (the IAM and STS query APIs).
    pub(crate) fn parse_for(
        credential: &'a str,
        regions: &[&str],
        services: &[&str],
        err: fn(String) -> AuthError,
    ) -> Result<Self, AuthError> {
        // Split from the right: only the access key could ever contain '/'.
        let mut parts = credential.rsplitn(5, '/');
        let (Some(terminator), Some(service), Some(cred_region), Some(date), Some(access_key)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".".to_owned()));
        };
        if access_key.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("the Credential is mal-formed.".to_owned()));
        }
        if !regions.contains(&cred_region) {
            let region = regions.first().copied().unwrap_or_default();
            return Err(err(format!("the region '{cred_region}' is wrong; expecting '{region}'")));
        }
        if !services.contains(&service) {
            let expected = services.join("' or '");
            return Err(err(format!("incorrect service '{service}'. This endpoint belongs to '{expected}'.")));
        }
        if terminator != "aws4_request" {
            return Err(err(format!("incorrect terminal '{terminator}'. This endpoint uses 'aws4_request'.")));
        }
        let scope = &credential[access_key.len() + 1..];
        Ok(Self { access_key, date, scope, service, region: cred_region })
    }
}

/// Everything needed to check a SigV4 request signature.
pub(crate) struct V4Check<'a> {
    /// The request head.
    pub(crate) head: &'a Parts,
    /// Signed header names, lower case, as listed by the client.
    pub(crate) signed_headers: &'a str,
    /// Payload hash line of the canonical request.
    pub(crate) payload_hash: &'a str,
    /// Query parameter to leave out of the canonical query (`X-Amz-Signature`).
    pub(crate) exclude_query: Option<&'a str>,
    /// Request time in `x-amz-date` form.
    pub(crate) amz_date: &'a str,
    /// Credential scope.
    pub(crate) scope: &'a str,
}

/// Verifies `provided` against the signature computed with `key`, trying each
/// canonical-URI candidate; returns the matching signature (the chunk seed).
pub(crate) fn verify_signature(check: &V4Check<'_>, key: &SigningKey, provided: &str) -> Result<String, AuthError> {
    let signed: Vec<&str> = check.signed_headers.split(';').collect();
    let headers = canonical_headers(check.head, &signed);
    let query = canonical_query(check.head.uri.query().unwrap_or(""), check.exclude_query);
    let parts = CanonicalParts {
        method: check.head.method.as_str(),
        query: &query,
        headers: &headers,
        signed_headers: check.signed_headers,
        payload_hash: check.payload_hash,
    };
    for uri in uri_candidates(check.head.uri.path()) {
        let creq = canonical_request(&parts, &uri);
        let computed = key.sign(string_to_sign(check.amz_date, check.scope, &creq).as_bytes());
        if signatures_match(&computed, provided) {
            return Ok(computed);
        }
    }
    tracing::debug!(
        method = %check.head.method,
        path = check.head.uri.path(),
        "sigv4 signature mismatch"
    );
    Err(AuthError::SignatureDoesNotMatch)
}

/// Checks the `SignedHeaders` list against the request, as S3 does for header
/// and query authentication alike: well formed (non-empty, lower case),
/// naming `host`, naming only headers the request carries, and covering every
/// header the request carries that must be signed ([`must_be_signed`]). A
/// header outside the signature could change what the request does (an
/// `x-amz-copy-source` turns a presigned PUT into a copy from anywhere), so
/// its presence is `AccessDenied` before the signature is even computed.
pub(crate) fn check_signed_headers(head: &Parts, list: &str, err: fn(String) -> AuthError) -> Result<(), AuthError> {
    let valid = !list.is_empty() && list.split(';').all(|h| !h.is_empty() && !h.bytes().any(|b| b.is_ascii_uppercase()));
    if !valid {
        return Err(err("SignedHeaders is mal-formed.".to_owned()));
    }
    let listed: Vec<&str> = list.split(';').collect();
    if !listed.contains(&"host") {
        return Err(err("SignedHeaders must include 'host'.".to_owned()));
    }
    // `host` may come from the request line's authority (HTTP/2, absolute URIs).
    if let Some(absent) = listed.iter().find(|h| **h != "host" && !head.headers.contains_key(**h)) {
        return Err(err(format!("SignedHeaders names '{absent}', which the request does not carry.")));
    }
    let unsigned: Vec<&str> =
        head.headers.keys().map(http::HeaderName::as_str).filter(|h| must_be_signed(h) && !listed.contains(h)).collect();
    if unsigned.is_empty() {
        Ok(())
    } else {
        Err(AuthError::HeadersNotSigned(unsigned.join(", ")))
    }
}

/// Whether a header, when present, must be covered by a SigV4 signature:
/// every `x-amz-*` header (they select operations, sources, metadata, tags,
/// checksums and the payload mode). `Content-MD5` and `Content-Type` are
/// signed by every SDK but not required by S3, so they are not required here
/// either; an unsigned `Content-MD5` can only make an upload fail.
pub(crate) fn must_be_signed(name: &str) -> bool {
    name.starts_with("x-amz-")
}

/// The three components of an `AWS4-HMAC-SHA256` `Authorization` header.
struct AuthorizationV4<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
fn parse_authorization(value: &str) -> Result<AuthorizationV4<'_>, AuthError> {
    let malformed = |m: &str| AuthError::AuthorizationHeaderMalformed(m.to_owned());
    let rest = value.strip_prefix(ALGORITHM).filter(|r| r.starts_with(' ')).ok_or_else(|| malformed("unsupported algorithm"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let (key, val) = component.trim().split_once('=').ok_or_else(|| malformed("the header components must be Key=Value pairs"))?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(malformed("unknown authorization header component")),
        };
        *slot = Some(val.trim());
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(AuthorizationV4 { credential, signed_headers, signature }),
        _ => Err(malformed("it must contain Credential, SignedHeaders and Signature")),
    }
}

/// Authenticates an S3 request signed with SigV4 in the `Authorization` header.
/// `token` is the session token sent with it, if any.
pub(crate) fn authenticate_header(
    head: &Parts,
    value: &str,
    keys: &dyn KeySource,
    region: &str,
    now: SystemTime,
    token: Option<&str>,
) -> Result<Authenticated, AuthError> {
    let auth = parse_authorization(value)?;
    let scope = CredentialScope::parse(auth.credential, region, AuthError::AuthorizationHeaderMalformed)?;
    let payload_hash = head
        .headers
        .get("x-amz-content-sha256")
        .ok_or_else(|| AuthError::MissingSecurityHeader("x-amz-content-sha256".into()))?
        .to_str()
        .map_err(|_| AuthError::InvalidArgument("x-amz-content-sha256 is not valid".into()))?;
    let kind = PayloadKind::parse(payload_hash)?;
    let (creds, key, amz_date, seed) = verify_header(head, &auth, &scope, payload_hash, keys, now, token)?;
    let signer = ChunkSigner::new(key, amz_date, scope.scope.to_owned(), seed);
    Ok(Authenticated {
        access_key: Some(creds.access_key),
        payload: kind.with_signer(signer),
        method: AuthMethod::HeaderV4,
        identity: creds.identity,
        service: scope.service.to_owned(),
    })
}

/// Authenticates a query-API request (IAM, STS: a form body the caller has already read,
/// whose SHA-256 is `body_sha256`, hex) signed with SigV4 in the `Authorization` header
/// for one of `services` in one of `regions`. These SDKs send no
/// `x-amz-content-sha256`; if one is sent it must match the body.
pub fn authenticate_query_api(
    head: &Parts,
    keys: &dyn KeySource,
    regions: &[&str],
    services: &[&str],
    now: SystemTime,
    body_sha256: &str,
) -> Result<Authenticated, AuthError> {
    let value = head
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| AuthError::MissingSecurityHeader("Authorization".into()))?
        .to_str()
        .map_err(|_| AuthError::AuthorizationHeaderMalformed("the header is not valid ASCII".into()))?;
    let auth = parse_authorization(value)?;
    let scope = CredentialScope::parse_for(auth.credential, regions, services, AuthError::AuthorizationHeaderMalformed)?;
    if let Some(sent) = head.headers.get("x-amz-content-sha256") {
        if sent.as_bytes() != body_sha256.as_bytes() {
            return Err(AuthError::XAmzContentSHA256Mismatch);
        }
    }
    let token = head.headers.get("x-amz-security-token").and_then(|v| v.to_str().ok());
    let (creds, _, _, _) = verify_header(head, &auth, &scope, body_sha256, keys, now, token)?;
    Ok(Authenticated {
        access_key: Some(creds.access_key),
        payload: PayloadMode::Unsigned,
        method: AuthMethod::HeaderV4,
        identity: creds.identity,
        service: scope.service.to_owned(),
    })
}

/// The checks shared by S3 and query-API header signatures: signed headers, request
/// time and skew, the key's credentials, the signature. Returns the credentials, the
/// signing key, the request time (`x-amz-date` form) and the seed signature.
fn verify_header(
    head: &Parts,
    auth: &AuthorizationV4<'_>,
    scope: &CredentialScope<'_>,
    payload_hash: &str,
    keys: &dyn KeySource,
    now: SystemTime,
    token: Option<&str>,
) -> Result<(Credentials, SigningKey, String, String), AuthError> {
    check_signed_headers(head, auth.signed_headers, AuthError::AuthorizationHeaderMalformed)?;
    let (amz_date, time) = request_time(head)?;
    if !amz_date.starts_with(scope.date) {
        return Err(AuthError::AuthorizationHeaderMalformed("Invalid credential date. Date is not the same as X-Amz-Date.".to_owned()));
    }
    check_skew(time, now)?;
    let creds = keys.lookup(scope.access_key, token, now)?;
    let key = SigningKey::derive_for(creds.secret_key.expose(), time, scope.region, scope.service);
    let check =
        V4Check { head, signed_headers: auth.signed_headers, payload_hash, exclude_query: None, amz_date: &amz_date, scope: scope.scope };
    let seed = verify_signature(&check, &key, auth.signature)?;
    Ok((creds, key, amz_date, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed(m: String) -> AuthError {
        AuthError::AuthorizationHeaderMalformed(m)
    }

    #[test]
    fn scope_parsing() {
        let s = CredentialScope::parse("AK/20130524/us-east-1/s3/aws4_request", "us-east-1", malformed).expect("valid scope");
        assert_eq!((s.access_key, s.date, s.scope), ("AK", "20130524", "20130524/us-east-1/s3/aws4_request"));
        let e = CredentialScope::parse("AK/20130524/eu-west-1/s3/aws4_request", "us-east-1", malformed).expect_err("wrong region");
        assert!(e.message().contains("'eu-west-1' is wrong"));
        assert!(CredentialScope::parse("AK/2013/us-east-1/s3/aws4_request", "us-east-1", malformed).is_err());
        assert!(CredentialScope::parse("AK/20130524/us-east-1/sqs/aws4_request", "us-east-1", malformed).is_err());
        assert!(CredentialScope::parse("20130524/us-east-1/s3/aws4_request", "us-east-1", malformed).is_err());
    }

    #[test]
    fn amz_date_round_trip() {
        let t = parse_amz_date("20130524T000000Z").expect("valid date");
        assert_eq!(format_amz_date(t), "20130524T000000Z");
        assert!(parse_amz_date("2013-05-24").is_none());
    }

    #[test]
    fn payload_kinds() {
        assert!(matches!(PayloadKind::parse("UNSIGNED-PAYLOAD"), Ok(PayloadKind::Unsigned)));
        assert!(matches!(PayloadKind::parse(EMPTY_SHA256), Ok(PayloadKind::Sha256(_))));
        assert!(matches!(PayloadKind::parse("nope"), Err(AuthError::InvalidArgument(_))));
        assert!(PayloadKind::parse(&EMPTY_SHA256[1..]).is_err());
    }

    #[test]
    fn authorization_parsing() {
        let a = parse_authorization("AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host;x, Signature=ff").expect("valid");
        assert_eq!((a.credential, a.signed_headers, a.signature), ("a/b", "host;x", "ff"));
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=a/b, Signature=ff").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256Credential=a").is_err());
        let head = http::Request::builder().header("host", "h").header("x-amz-date", "d").body(()).expect("request").into_parts().0;
        assert!(check_signed_headers(&head, "x-amz-date", malformed).is_err());
        assert!(check_signed_headers(&head, "Host", malformed).is_err());
        assert!(check_signed_headers(&head, "host;x-amz-date", malformed).is_ok());
    }
}
