//! Request authentication for S3: who sent a request, and how its body is to
//! be checked.
//!
//! # Layout
//! - `credentials`: [`SecretKey`], [`Credentials`], [`Keyring`].
//! - `error`: [`AuthError`], one variant per S3 error condition.
//! - `canonical`: SigV4 canonical request pieces and the signing key.
//! - `sigv4`: `Authorization: AWS4-HMAC-SHA256 ...`, request time, scope.
//! - `presigned`: SigV4 query-string (presigned URL) authentication.
//! - `sigv2`: legacy SigV2 header and query authentication.
//! - `post_form`: browser form uploads (POST Object): the signed policy document.
//! - `chunked`: the streaming aws-chunked decoder (chunk/trailer signatures).
//! - `body`: the body wrapper returned by [`decode_body`].
//!
//! Flow: the S3 layer calls [`authenticate`] on the request head, decides
//! authorization from [`Authenticated::access_key`], then wraps the body with
//! [`decode_body`] and commits only once that stream ends without error.
//!
//! This module is self-contained: it imports nothing else from the crate,
//! and knows nothing of buckets, objects or storage.

mod body;
mod canonical;
mod chunked;
mod credentials;
mod error;
mod post_form;
mod presigned;
mod sigv2;
mod sigv4;
#[cfg(test)]
mod tests;

use std::error::Error as StdError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use http::request::Parts;

pub use credentials::{Credentials, Identity, KeySource, Keyring, SecretKey};
pub use error::AuthError;
pub use post_form::authenticate_post;
pub use sigv4::{authenticate_query_api, ChunkSigner};

use body::{ProcessedBody, Processor};
use canonical::query_params;
use chunked::{ChunkDecoder, TrailerKind};
use sigv4::PayloadKind;

/// Who made the request and how its body is to be checked.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// The verified access key id; `None` for an anonymous request (the
    /// caller decides whether anonymous access is allowed).
    pub access_key: Option<String>,
    /// How the body must be decoded and verified (see [`decode_body`]).
    pub payload: PayloadMode,
    /// Which mechanism authenticated the request.
    pub method: AuthMethod,
    /// Whom the key belongs to, as the [`KeySource`] resolved it (`None` when anonymous).
    pub identity: Option<Identity>,
    /// The service the request was signed for (`s3`; `iam` or `sts` for the query APIs).
    pub service: String,
}

impl Authenticated {
    /// An anonymous request: no credentials, its body passed through as sent.
    pub fn anonymous() -> Self {
        Self { access_key: None, payload: PayloadMode::Unsigned, method: AuthMethod::Anonymous, identity: None, service: "s3".to_owned() }
    }
}

/// The authentication mechanism a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// No credentials at all.
    Anonymous,
    /// SigV4 `Authorization` header.
    HeaderV4,
    /// SigV4 presigned URL.
    PresignedV4,
    /// SigV2 `Authorization: AWS ...` header.
    HeaderV2,
    /// SigV2 presigned URL.
    PresignedV2,
    /// A browser form (POST Object) whose policy is signed with SigV4.
    PostPolicyV4,
    /// A browser form whose policy is signed with SigV2.
    PostPolicyV2,
}

/// How the request body is protected, from `x-amz-content-sha256`.
#[derive(Clone, Debug)]
pub enum PayloadMode {
    /// `UNSIGNED-PAYLOAD`, SigV2, or anonymous without the header: passed through.
    Unsigned,
    /// The body must hash to this SHA-256 (checked at the end of the stream).
    SignedSha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked with signed chunks.
    StreamingSigned {
        /// Verifies the chunk signature chain.
        signer: ChunkSigner,
    },
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then a signed trailer.
    StreamingSignedTrailer {
        /// Verifies the chunk and trailer signatures.
        signer: ChunkSigner,
    },
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned chunks and trailer.
    StreamingUnsignedTrailer,
}

impl PayloadMode {
    /// Whether the body is aws-chunked encoded.
    pub fn is_chunked(&self) -> bool {
        matches!(self, Self::StreamingSigned { .. } | Self::StreamingSignedTrailer { .. } | Self::StreamingUnsignedTrailer)
    }

    /// Whether the body carries trailing headers (see [`TrailerSlot`]).
    pub fn has_trailer(&self) -> bool {
        matches!(self, Self::StreamingSignedTrailer { .. } | Self::StreamingUnsignedTrailer)
    }
}

/// Trailing headers of an aws-chunked body (e.g. `x-amz-checksum-crc32`),
/// available once the decoded stream has ended cleanly. Names are lower
/// case, sorted; `x-amz-trailer-signature` is not included. The checksum
/// values are not verified here: the caller compares them with its own.
#[derive(Clone, Debug, Default)]
pub struct TrailerSlot(Arc<Mutex<Vec<(String, String)>>>);

impl TrailerSlot {
    /// Removes and returns the trailers (empty before the stream has ended).
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Stores verified trailers.
    fn set(&self, entries: Vec<(String, String)>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = entries;
    }
}

/// The decoded, verified request body: data items, then either a clean end
/// (everything verified) or one `Err` item.
pub type DecodedBody = BoxStream<'static, Result<Bytes, AuthError>>;

/// Query parameters that mark a SigV4 presigned URL.
const V4_QUERY_MARKERS: &[&str] = &["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];
/// Query parameters that mark a SigV2 presigned URL.
const V2_QUERY_MARKERS: &[&str] = &["AWSAccessKeyId", "Signature"];

/// Authenticates a request head. `now` is injectable for tests; `region` is
/// the server's region, and a signature scoped to another region is
/// `AuthorizationHeaderMalformed` (or `AuthorizationQueryParametersError`),
/// as in S3. Without an `Authorization` header or presign parameters the
/// request is anonymous.
pub fn authenticate(head: &Parts, keys: &dyn KeySource, region: &str, now: SystemTime) -> Result<Authenticated, AuthError> {
    authenticate_with(head, keys, region, now, None)
}

/// Headers a handler reads as one value. Sent twice, the signature (which joins
/// repeated headers with commas) would cover a value the handler never sees:
/// `x-amz-copy-source: /b/k,x` signed, `/b/k` copied. So they must appear once.
/// List-valued headers (`x-amz-object-attributes`, which SDKs send once per value, and
/// whose handler reads every occurrence) are exempt.
fn single_valued(name: &str) -> bool {
    (name.starts_with("x-amz-") && !name.starts_with("x-amz-meta-") && name != "x-amz-object-attributes")
        || matches!(
            name,
            "content-md5" | "content-type" | "range" | "if-match" | "if-none-match" | "if-modified-since" | "if-unmodified-since"
        )
}

/// [`authenticate`] for a request that may be virtual-hosted-style: `virtual_bucket`
/// is the bucket its Host header names (SigV2 signs it as part of the resource; SigV4
/// signs the Host header itself).
pub fn authenticate_with(
    head: &Parts,
    keys: &dyn KeySource,
    region: &str,
    now: SystemTime,
    virtual_bucket: Option<&str>,
) -> Result<Authenticated, AuthError> {
    if let Some(name) =
        head.headers.keys().map(http::HeaderName::as_str).find(|n| single_valued(n) && head.headers.get_all(*n).iter().nth(1).is_some())
    {
        return Err(AuthError::InvalidArgument(format!("The header {name} may appear only once")));
    }
    let params = query_params(head.uri.query().unwrap_or(""));
    let has = |markers: &[&str]| params.iter().any(|(k, _)| markers.contains(&k.as_str()));
    let v4_query = has(V4_QUERY_MARKERS);
    let v2_query = !v4_query && has(V2_QUERY_MARKERS);
    let token = session_token(head, &params);
    if head.headers.get_all(http::header::AUTHORIZATION).iter().nth(1).is_some() {
        // Which one would we verify, and which one would a proxy log? Neither.
        return Err(AuthError::InvalidArgument("Only one Authorization header may be sent".into()));
    }
    match head.headers.get(http::header::AUTHORIZATION) {
        Some(_) if v4_query || v2_query => Err(AuthError::InvalidArgument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified"
                .into(),
        )),
        Some(value) => {
            let value = value.to_str().map_err(|_| AuthError::AuthorizationHeaderMalformed("the header is not valid ASCII".into()))?;
            if value.starts_with("AWS4-HMAC-SHA256 ") {
                sigv4::authenticate_header(head, value, keys, region, now, token)
            } else if value.starts_with("AWS ") {
                sigv2::authenticate_header(head, value, keys, now, virtual_bucket, token)
            } else {
                Err(AuthError::InvalidArgument("Unsupported Authorization Type".into()))
            }
        }
        None if v4_query => presigned::authenticate(head, &params, keys, region, now, token),
        None if v2_query => sigv2::authenticate_query(head, &params, keys, now, virtual_bucket, token),
        None => Ok(Authenticated {
            access_key: None,
            payload: keyless_payload(head)?,
            method: AuthMethod::Anonymous,
            identity: None,
            service: "s3".to_owned(),
        }),
    }
}

/// The session token of temporary credentials: the `x-amz-security-token` header, or
/// for presigned URLs the `X-Amz-Security-Token` query parameter (SigV2 URLs send it in
/// lower case). Sent both ways, the header wins; either way it must be signed like
/// every `x-amz-*` value (the header is an `x-amz-*` header; the query is signed whole).
fn session_token<'a>(head: &'a Parts, params: &'a [(String, String)]) -> Option<&'a str> {
    head.headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| params.iter().find(|(k, _)| k == "X-Amz-Security-Token" || k == "x-amz-security-token").map(|(_, v)| v.as_str()))
}

/// The payload mode of a request without a SigV4 signature (anonymous or
/// SigV2): `Unsigned` unless `x-amz-content-sha256` asks for a check that
/// needs no key (a SHA-256, or unsigned aws-chunked). Signed streaming needs
/// a SigV4 seed signature, so it is refused.
fn keyless_payload(head: &Parts) -> Result<PayloadMode, AuthError> {
    let Some(value) = head.headers.get("x-amz-content-sha256") else {
        return Ok(PayloadMode::Unsigned);
    };
    let value = value.to_str().map_err(|_| AuthError::InvalidArgument("x-amz-content-sha256 is not valid".into()))?;
    match PayloadKind::parse(value)? {
        PayloadKind::Unsigned => Ok(PayloadMode::Unsigned),
        PayloadKind::Sha256(h) => Ok(PayloadMode::SignedSha256(h)),
        PayloadKind::StreamingUnsignedTrailer => Ok(PayloadMode::StreamingUnsignedTrailer),
        PayloadKind::StreamingSigned | PayloadKind::StreamingSignedTrailer => {
            Err(AuthError::AccessDenied("a signed streaming payload requires AWS Signature Version 4".into()))
        }
    }
}

/// `x-amz-decoded-content-length`, if present.
fn decoded_content_length(head: &Parts) -> Result<Option<u64>, AuthError> {
    head.headers
        .get("x-amz-decoded-content-length")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| AuthError::InvalidArgument("x-amz-decoded-content-length is not a valid number".into()))
        })
        .transpose()
}

/// Wraps the raw request body per the payload mode: decodes aws-chunked
/// framing, verifies every chunk signature and the trailer signature as
/// bytes stream, verifies the SHA-256 of a signed payload at the end, and
/// checks the decoded length against `x-amz-decoded-content-length` (when
/// sent). Any failure is yielded as an `Err` item (never a truncated clean
/// end), so a consumer that commits only after the stream ends cleanly stores
/// nothing. Memory is bounded: chunk data streams through zero-copy, only a
/// chunk-header line (≤ 4 KiB) and the trailer block (≤ 16 KiB) are buffered.
///
/// Transport errors of type `E` (anything convertible to a boxed std error,
/// e.g. `hyper::Error` or `io::Error`) become [`AuthError::Transport`]. The
/// returned [`TrailerSlot`] is `Some` for the trailer modes.
pub fn decode_body<S, E>(auth: &Authenticated, head: &Parts, body: S) -> Result<(DecodedBody, Option<TrailerSlot>), AuthError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    let chunked = |signer: Option<&ChunkSigner>, trailer: TrailerKind| {
        let slot = TrailerSlot::default();
        let decoder = ChunkDecoder::new(signer.cloned(), trailer, decoded_content_length(head)?, slot.clone());
        let has_trailer = trailer != TrailerKind::None;
        Ok::<_, AuthError>((Processor::Chunked(Box::new(decoder)), has_trailer.then_some(slot)))
    };
    let (processor, slot) = match &auth.payload {
        PayloadMode::Unsigned => (Processor::Passthrough, None),
        PayloadMode::SignedSha256(expected) => (Processor::Sha256 { hasher: sha2::Sha256::default(), expected: *expected }, None),
        PayloadMode::StreamingSigned { signer } => chunked(Some(signer), TrailerKind::None)?,
        PayloadMode::StreamingSignedTrailer { signer } => chunked(Some(signer), TrailerKind::Signed)?,
        PayloadMode::StreamingUnsignedTrailer => chunked(None, TrailerKind::Unsigned)?,
    };
    Ok((ProcessedBody::new(body, processor).boxed(), slot))
}
