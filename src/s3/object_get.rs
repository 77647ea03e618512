//! GetObject and HeadObject: conditionals, Range, stored headers, `response-*`
//! overrides, checksums on request, and the body streamed from the manifest's blobs.

use futures_util::{stream, StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::StatusCode;

use super::conditional::{check_read, Verdict};
use super::dispatch::{empty, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, http_date};
use super::Response;
use crate::model::object::NULL_VERSION;
use crate::model::range::{resolve, slice_manifest, ByteRange, RangeOutcome};
use crate::model::ObjectVersion;
use crate::store::{ReadLease, StoreError};

/// `response-*` query parameters and the header each overrides.
const OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

/// GET or HEAD /bucket/key.
pub fn get_object(ctx: &Ctx<'_>, head_only: bool) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    if ctx.principal.is_none() && OVERRIDES.iter().any(|(param, _)| ctx.param(param).is_some()) {
        // S3: "These parameters cannot be used with an unsigned (anonymous) request":
        // anyone could otherwise serve a public object as HTML from this origin.
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Request specific response headers cannot be used for anonymous GET requests.",
        ));
    }
    let (version, lease) = leased_version(ctx, bucket, key, !head_only)?;
    super::encryption::check_read(ctx, &version)?;
    match check_read(ctx.headers(), &version) {
        Verdict::Proceed => {}
        Verdict::Failed => return Err(S3Error::new(S3ErrorCode::PreconditionFailed)),
        Verdict::NotModified => {
            let mut r = empty(StatusCode::NOT_MODIFIED);
            headers::put(r.headers_mut(), "etag", &version.quoted_etag());
            headers::put(r.headers_mut(), "last-modified", &http_date(version.last_modified_ms));
            return Ok(r);
        }
    }
    let part = part_number(ctx)?;
    let parts = if version.part_sizes.is_empty() { 1 } else { version.part_sizes.len() };
    if part.is_some_and(|n| n as usize > parts) {
        return Err(S3Error::new(S3ErrorCode::InvalidPartNumber));
    }
    let range = match ctx.header("range").map(|h| resolve(h, version.size)) {
        _ if part.is_some() && ctx.header("range").is_some() => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter.",
            ));
        }
        None if part.is_some() => part.and_then(|n| part_range(&version, n)),
        None | Some(RangeOutcome::Whole) => None,
        Some(RangeOutcome::Partial(r)) => Some(r),
        Some(RangeOutcome::Unsatisfiable) => {
            let mut e = S3Error::new(S3ErrorCode::InvalidRange);
            e.headers.push(("content-range", format!("bytes */{}", version.size)));
            return Err(e);
        }
    };
    let whole = ByteRange { start: 0, end: version.size.saturating_sub(1) };
    let served = range.unwrap_or(whole);
    let length = if version.size == 0 { 0 } else { served.len() };

    // What derives from an SSE-KMS object's plaintext (its bytes, even none, and its
    // checksums) needs kms:Decrypt, as on S3; its size and headers do not.
    // A GET that streams bytes is authorized by opening them (`stream_body`); the rest
    // (a HEAD showing checksums, an empty GET) is checked here.
    let streams = !head_only && length > 0;
    if !streams && (!head_only || whole_checksums(ctx, range.is_none(), &version)) {
        super::encryption::check_kms_decrypt(ctx, version.encryption.as_ref())?;
    }
    let mut r = if head_only || length == 0 { empty(StatusCode::OK) } else { stream_body(ctx, bucket, key, &version, served, lease)? };
    if range.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    let h = r.headers_mut();
    headers::put(h, "content-length", &length.to_string());
    if let Some(range) = range {
        headers::put(h, "content-range", &format!("bytes {}-{}/{}", range.start, range.end, version.size));
    }
    if part.is_some() && !version.part_sizes.is_empty() {
        headers::put(h, "x-amz-mp-parts-count", &version.part_sizes.len().to_string());
    }
    write_object_headers(ctx, &version, range.is_none(), h);
    super::object_lock::put_headers(ctx, bucket, key, &version, h)?;
    super::lifecycle::expiration_header(ctx, bucket, key, &version, h);
    Ok(r)
}

/// The version a GET/HEAD addresses: `?versionId=` or the current one. Delete markers
/// answer as S3 does: 404 NoSuchKey when current, 405 MethodNotAllowed when addressed,
/// both with `x-amz-delete-marker: true`.
pub(super) fn find_version(ctx: &Ctx<'_>, bucket: &str, key: &str) -> S3Result<ObjectVersion> {
    let store = &ctx.state.store;
    let (version, addressed) = match ctx.param("versionId") {
        Some(id) => (store.version(bucket, key, id)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchVersion))?, true),
        None => (store.current(bucket, key)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchKey))?, false),
    };
    if !version.delete_marker {
        return Ok(version);
    }
    let mut e = S3Error::new(if addressed { S3ErrorCode::MethodNotAllowed } else { S3ErrorCode::NoSuchKey });
    e.headers.push(("x-amz-delete-marker", "true".to_owned()));
    e.headers.push(("x-amz-version-id", version.version_id.clone()));
    if addressed {
        e.headers.push(("last-modified", http_date(version.last_modified_ms)));
        e.headers.push(("allow", "DELETE".to_owned()));
    }
    Err(e)
}

/// Times a GET looks its version up again when it changed between lookup and lease.
const LEASE_ATTEMPTS: usize = 3;

/// [`find_version`], with its blobs leased for reading when `lease` (a GET body).
fn leased_version(ctx: &Ctx<'_>, bucket: &str, key: &str, lease: bool) -> S3Result<(ObjectVersion, Option<ReadLease>)> {
    for _ in 0..LEASE_ATTEMPTS {
        let version = find_version(ctx, bucket, key)?;
        if !lease || (version.manifest.is_empty() && !version.is_inline()) {
            return Ok((version, None));
        }
        match ctx.state.store.lease(bucket, key, &version) {
            Ok(l) => return Ok((version, Some(l))),
            // Deleted, overwritten or moved between lookup and lease: look again.
            Err(StoreError::SourceGone) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(S3Error::with_message(S3ErrorCode::SlowDown, "The object kept changing while being read; retry the request"))
}

/// `partNumber` of a GET/HEAD: 1..=10000; for an object not uploaded in parts only 1.
fn part_number(ctx: &Ctx<'_>) -> S3Result<Option<u32>> {
    let Some(raw) = ctx.param("partNumber") else { return Ok(None) };
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .map(Some)
        .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive"))
}

/// The bytes of part `n` (`None`: an empty object, served whole).
fn part_range(version: &ObjectVersion, n: u32) -> Option<ByteRange> {
    let sizes: &[u64] = if version.part_sizes.is_empty() { std::slice::from_ref(&version.size) } else { &version.part_sizes };
    let index = usize::try_from(n - 1).ok()?;
    let start: u64 = sizes.get(..index)?.iter().sum();
    let len = *sizes.get(index)?;
    (len > 0).then(|| ByteRange { start, end: start + len - 1 })
}

/// The response body: the manifest pieces covering `range`, read in bounded chunks,
/// holding `lease` until the body is done with; or the range of an inline object's
/// bytes, already in memory.
///
/// A blob missing or shorter than the manifest says is found here, before the status
/// line goes out (500, logged with bucket and key), not half-way through a 200. Damage
/// found while streaming (each block is verified before it is sent) ends the body with
/// an error, so the client sees a broken transfer, never a clean end with wrong bytes.
fn stream_body(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: &ObjectVersion,
    range: ByteRange,
    lease: Option<ReadLease>,
) -> S3Result<Response> {
    let seal = super::encryption::key_of(ctx, version)?;
    if let Some(data) = lease.as_ref().and_then(ReadLease::inline) {
        let plain = super::encryption::open_inline(seal.as_ref(), data)?;
        let body = http_body_util::Full::new(range.slice(&plain)).map_err(|never| match never {});
        return Ok(hyper::Response::new(BodyExt::boxed(body)));
    }
    let blobs = ctx.state.store.blobs_for(&version.storage_class).clone();
    let pieces = slice_manifest(&version.manifest, range);
    for p in &pieces {
        // A sealed blob holds more than its plaintext: compare the plaintext it holds.
        let found = blobs.len(&p.hash).map(|stored| seal.as_ref().map_or(stored, |k| k.geometry().plain_len(stored).unwrap_or(0)));
        if !found.as_ref().is_ok_and(|&len| len >= p.offset + p.len) {
            blobs.health().missing.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(bucket, key, version = %version.version_id, blob = %p.hash, found = ?found.map_err(|e| e.to_string()), "blob of an object is missing or truncated");
            return Err(S3Error::internal("blob missing or truncated"));
        }
    }
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    let bytes = stream::iter(pieces)
        .flat_map(move |p| {
            let _held = &lease;
            blobs.read_plain(&p.hash, seal.as_ref(), p.offset, p.len)
        })
        .inspect_err(move |e| tracing::error!(%bucket, %key, error = %e, "GET body aborted: the object's bytes could not be read intact"));
    let body = BodyExt::boxed(StreamBody::new(bytes.map_ok(Frame::data)));
    Ok(hyper::Response::new(body))
}

/// Whether the response shows the object's checksums: asked for, and a whole read.
fn whole_checksums(ctx: &Ctx<'_>, whole: bool, version: &ObjectVersion) -> bool {
    whole && ctx.header("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED")) && !version.checksums.is_empty()
}

fn write_object_headers(ctx: &Ctx<'_>, version: &ObjectVersion, whole: bool, h: &mut hyper::HeaderMap) {
    headers::put(h, "etag", &version.quoted_etag());
    headers::put(h, "last-modified", &http_date(version.last_modified_ms));
    headers::put(h, "accept-ranges", "bytes");
    let stored = &version.headers;
    let content_type = stored.content_type.as_deref().unwrap_or("binary/octet-stream");
    let pairs = [
        ("content-type", Some(content_type)),
        ("cache-control", stored.cache_control.as_deref()),
        ("content-disposition", stored.content_disposition.as_deref()),
        ("content-encoding", stored.content_encoding.as_deref()),
        ("content-language", stored.content_language.as_deref()),
        ("expires", stored.expires.as_deref()),
    ];
    for (name, value) in pairs {
        let overridden = OVERRIDES.iter().find(|(_, n)| *n == name).and_then(|(param, _)| ctx.param(param));
        if let Some(v) = overridden.or(value) {
            headers::put(h, name, v);
        }
    }
    for (name, value) in &version.user_metadata {
        headers::put(h, &format!("x-amz-meta-{name}"), &super::encoded_words::encode(value));
    }
    if !version.tags.is_empty() {
        headers::put(h, "x-amz-tagging-count", &version.tags.len().to_string());
    }
    if version.storage_class != "STANDARD" {
        headers::put(h, "x-amz-storage-class", &version.storage_class);
    }
    if let Some(to) = &version.website_redirect {
        headers::put(h, "x-amz-website-redirect-location", to);
    }
    if version.version_id != NULL_VERSION {
        headers::put(h, "x-amz-version-id", &version.version_id);
    }
    super::encryption::put_headers(ctx, h, version.encryption.as_ref());
    // Checksums describe the whole object, so S3 returns them only for whole reads.
    if whole_checksums(ctx, whole, version) {
        for (alg, value) in &version.checksums {
            headers::put(h, alg.header_name(), &version.checksum_value(value));
        }
        headers::put(h, "x-amz-checksum-type", version.checksum_type());
    }
}
