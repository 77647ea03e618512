//! PutObject: stream the body into a staged blob while hashing, verify every digest the
//! client declared, then commit the version atomically against the write precondition.

use std::sync::Arc;

use base64::Engine as _;
use hyper::StatusCode;

use super::body::RequestBody;
use super::conditional::{conflict_at_commit, WriteCondition};
use super::dispatch::{empty, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, to_ms};
use super::Response;
use crate::blob::{checksum_from_base64, checksum_to_base64, BlobWriter, ChecksumAlgorithm, HashRequest, StagedBlob, Written};
use crate::crypto::ChunkKey;
use crate::model::event::CauseKind;
use crate::model::object::NULL_VERSION;
use crate::model::{ManifestEntry, ObjectVersion};

/// Digests the client declared for the body, to verify once it has streamed through.
#[derive(Default)]
pub struct DeclaredDigests {
    /// Content-MD5, decoded.
    pub md5: Option<[u8; 16]>,
    /// `x-amz-checksum-*` header values, decoded.
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// Algorithm whose value arrives in the aws-chunked trailer (`x-amz-trailer`).
    pub trailer: Option<ChecksumAlgorithm>,
    /// `x-amz-sdk-checksum-algorithm`: compute and store even if no value was sent.
    pub requested: Option<ChecksumAlgorithm>,
}

impl DeclaredDigests {
    /// Reads Content-MD5, `x-amz-checksum-*`, `x-amz-trailer` and
    /// `x-amz-sdk-checksum-algorithm`.
    pub fn from_request(ctx: &Ctx<'_>) -> S3Result<Self> {
        let mut d = DeclaredDigests::default();
        if let Some(md5) = ctx.header("content-md5") {
            let raw = base64::engine::general_purpose::STANDARD.decode(md5.trim()).ok();
            d.md5 = Some(raw.and_then(|r| <[u8; 16]>::try_from(r).ok()).ok_or_else(|| S3Error::new(S3ErrorCode::InvalidDigest))?);
        }
        for alg in ChecksumAlgorithm::ALL {
            if let Some(value) = ctx.header(alg.header_name()) {
                let raw = checksum_from_base64(alg, value.trim()).ok_or_else(|| {
                    S3Error::with_message(S3ErrorCode::InvalidRequest, format!("Value for {} header is invalid.", alg.header_name()))
                })?;
                d.checksums.push((alg, raw));
            }
        }
        if d.checksums.len() > 1 {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        if let Some(trailer) = ctx.header("x-amz-trailer") {
            let alg = trailer.trim().strip_prefix("x-amz-checksum-").and_then(ChecksumAlgorithm::from_s3_name);
            d.trailer = Some(alg.ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("The value specified in the x-amz-trailer header is not supported: {trailer}"),
                )
            })?);
        }
        if let Some(name) = ctx.header("x-amz-sdk-checksum-algorithm") {
            d.requested = Some(ChecksumAlgorithm::from_s3_name(name.trim()).ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::InvalidRequest, format!("Checksum algorithm {name} is not supported."))
            })?);
        }
        Ok(d)
    }

    /// The algorithms to compute: every declared one, or CRC64NVME (S3's default for new
    /// objects) if none.
    pub fn algorithms(&self) -> Vec<ChecksumAlgorithm> {
        self.algorithms_with(None)
    }

    /// The declared algorithms plus `extra`, or CRC64NVME if that makes none.
    pub fn algorithms_with(&self, extra: Option<ChecksumAlgorithm>) -> Vec<ChecksumAlgorithm> {
        let mut algs: Vec<ChecksumAlgorithm> =
            self.checksums.iter().map(|(a, _)| *a).chain(self.trailer).chain(self.requested).chain(extra).collect();
        algs.sort();
        algs.dedup();
        if algs.is_empty() {
            algs.push(ChecksumAlgorithm::Crc64Nvme);
        }
        algs
    }

    /// Whether the client declared any digest (Content-MD5, a checksum or a trailer).
    pub fn is_empty(&self) -> bool {
        self.md5.is_none() && self.checksums.is_empty() && self.trailer.is_none()
    }

    /// The algorithms whose values the client sent (header or trailer), to verify.
    pub fn declared_algorithms(&self) -> impl Iterator<Item = ChecksumAlgorithm> + '_ {
        self.checksums.iter().map(|(a, _)| *a).chain(self.trailer)
    }

    /// Checks the body's `md5` and computed `checksums` against every declared digest
    /// (the trailer's value is read from `trailers` now that the body has ended).
    pub fn verify(
        &self,
        md5: [u8; 16],
        checksums: &[(ChecksumAlgorithm, Vec<u8>)],
        trailers: Option<&crate::auth::TrailerSlot>,
    ) -> S3Result<()> {
        if self.md5.is_some_and(|m| m != md5) {
            return Err(S3Error::new(S3ErrorCode::BadDigest));
        }
        let mut expected = self.checksums.clone();
        if let Some(alg) = self.trailer {
            let trailers = trailers.map(crate::auth::TrailerSlot::take).unwrap_or_default();
            let value = trailers.iter().find(|(n, _)| n.eq_ignore_ascii_case(alg.header_name())).map(|(_, v)| v.trim().to_owned());
            let raw = value.as_deref().and_then(|v| checksum_from_base64(alg, v)).ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::InvalidRequest, format!("The {} trailer is missing or malformed.", alg.header_name()))
            })?;
            expected.push((alg, raw));
        }
        for (alg, want) in &expected {
            let got = checksums.iter().find(|(a, _)| a == alg).map(|(_, v)| v);
            if got != Some(want) {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    format!("The {} you specified did not match the calculated checksum.", alg.s3_name()),
                ));
            }
        }
        Ok(())
    }
}

/// The object size the client declared: the decoded length of aws-chunked bodies, else
/// Content-Length; `None` for `Transfer-Encoding: chunked` without a length.
pub fn declared_length(ctx: &Ctx<'_>) -> S3Result<Option<u64>> {
    let parse = |name: &str| -> S3Result<Option<u64>> {
        ctx.header(name)
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid {name} header")))
            })
            .transpose()
    };
    if let Some(n) = parse("x-amz-decoded-content-length")? {
        return Ok(Some(n));
    }
    let length = parse("content-length")?;
    if length.is_none() && !ctx.headers().contains_key("transfer-encoding") {
        return Err(S3Error::new(S3ErrorCode::MissingContentLength));
    }
    Ok(length)
}

/// What a body is written as: the checksums to compute and the key to seal it with.
pub struct WriteAs {
    /// `x-amz-checksum-*` algorithms to compute.
    pub algorithms: Vec<ChecksumAlgorithm>,
    /// The key that seals the bytes, if the object is encrypted.
    pub seal: Option<Arc<ChunkKey>>,
}

/// Streams `body` into a staged blob, enforcing `max` bytes.
/// The blob goes to the tier of storage class `class`.
pub async fn stage_body(ctx: &Ctx<'_>, body: &mut RequestBody, class: &str, how: WriteAs, max: u64) -> S3Result<StagedBlob> {
    let writer = feed(ctx, body, class, how, max).await?;
    writer.finish().await.map_err(S3Error::from_io)
}

/// Streams `body` in, enforcing `max` bytes: kept in memory if it ends within
/// `inline_max` bytes, else staged as a blob in the tier of storage class `class`.
async fn read_body(ctx: &Ctx<'_>, body: &mut RequestBody, class: &str, how: WriteAs, max: u64, inline_max: u64) -> S3Result<Written> {
    let writer = feed(ctx, body, class, how, max).await?;
    writer.finish_within(inline_max).await.map_err(S3Error::from_io)
}

/// A blob writer fed the whole of `body`.
async fn feed(ctx: &Ctx<'_>, body: &mut RequestBody, class: &str, how: WriteAs, max: u64) -> S3Result<BlobWriter> {
    let mut writer = ctx.state.store.blobs_for(class).writer(HashRequest { checksums: how.algorithms, sha256: false, seal: how.seal });
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if writer.written() + chunk.len() as u64 > max {
            return Err(S3Error::new(S3ErrorCode::EntityTooLarge));
        }
        writer.write(chunk).await.map_err(S3Error::from_io)?;
    }
    Ok(writer)
}

/// PUT /bucket/key.
pub async fn put_object(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let declared = declared_length(ctx)?;
    let put = store_object(ctx, body, Source { declared, min_size: 0, max_size: None, kind: CauseKind::Put }).await?;
    let mut r = empty(StatusCode::OK);
    put.headers(ctx, r.headers_mut());
    Ok(r)
}

/// Where a new object's bytes come from, and their bounds.
pub struct Source {
    /// The length the client announced, which the body must have.
    pub declared: Option<u64>,
    /// The fewest bytes allowed (EntityTooSmall below).
    pub min_size: u64,
    /// The most bytes allowed, below `limits.max_object_size` (EntityTooLarge above).
    pub max_size: Option<u64>,
    /// The event it publishes.
    pub kind: CauseKind,
}

/// A stored new object.
pub struct Stored {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The version as committed.
    pub version: ObjectVersion,
    /// How it is encrypted.
    pub sealing: super::encryption::Sealing,
}

impl Stored {
    /// The response headers of a write: ETag, checksums, version id, encryption, expiration.
    pub fn headers(&self, ctx: &Ctx<'_>, h: &mut hyper::HeaderMap) {
        let stored = &self.version;
        headers::put(h, "etag", &stored.quoted_etag());
        for (alg, value) in &stored.checksums {
            headers::put(h, alg.header_name(), &checksum_to_base64(value));
        }
        if !stored.checksums.is_empty() {
            headers::put(h, "x-amz-checksum-type", "FULL_OBJECT");
        }
        if stored.version_id != NULL_VERSION {
            headers::put(h, "x-amz-version-id", &stored.version_id);
        }
        super::encryption::put_write_headers(ctx, h, &self.sealing);
        super::lifecycle::expiration_header(ctx, &self.bucket, &self.key, stored, h);
    }
}

/// Stores `body` as a new version of the request's key, with what the request's headers
/// ask for (metadata, ACL, tags, storage class, encryption, Object Lock, preconditions,
/// digests): PutObject, and POST Object with its form fields as headers.
pub async fn store_object(ctx: &Ctx<'_>, mut body: RequestBody, source: Source) -> S3Result<Stored> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let max = source.max_size.map_or(ctx.state.config.limits.max_object_size, |m| m.min(ctx.state.config.limits.max_object_size));
    let declared = source.declared;
    if declared.is_some_and(|n| n > max) {
        return Err(S3Error::with_message(
            S3ErrorCode::EntityTooLarge,
            format!("Your proposed upload exceeds the maximum allowed size of {max} bytes."),
        ));
    }
    let digests = DeclaredDigests::from_request(ctx)?;
    let condition = WriteCondition::from_headers(ctx.headers())?;
    let acl = super::acl::for_new_object_in(ctx, bucket)?;
    let content = headers::content_headers(ctx.headers());
    let user_metadata = headers::user_metadata(ctx.headers())?;
    let storage_class = headers::storage_class(ctx.headers(), |c| ctx.state.store.has_storage_class(c))?;
    let website_redirect = headers::website_redirect(ctx.headers())?;
    let tags = super::tagging::header_tags(ctx)?;
    let (retention, legal_hold) = super::object_lock::for_write(ctx, bucket, true)?;
    let sealing = super::encryption::for_write(ctx, bucket, key).await?;
    // Answer a failed precondition before reading the body (Expect: 100-continue
    // clients then never send it); it is checked again atomically at commit.
    check_condition_early(ctx, bucket, key, &condition)?;

    let store = &ctx.state.store;
    // Small objects of the main tier are kept in the metadata store (no blob file).
    let inline_max = if store.tier_of(&storage_class) == 0 { ctx.state.config.storage.inline_max_bytes } else { 0 };
    let written =
        read_body(ctx, &mut body, &storage_class, WriteAs { algorithms: digests.algorithms(), seal: sealing.key.clone() }, max, inline_max)
            .await?;
    if declared.is_some_and(|n| n != written.len()) {
        return Err(S3Error::new(S3ErrorCode::IncompleteBody));
    }
    if written.len() < source.min_size {
        return Err(S3Error::with_message(
            S3ErrorCode::EntityTooSmall,
            format!("Your proposed upload is smaller than the minimum allowed size of {} bytes.", source.min_size),
        ));
    }
    digests.verify(written.md5(), written.checksums(), body.trailers.as_ref())?;

    let mut version = ObjectVersion {
        version_id: String::new(),
        seq: 0,
        delete_marker: false,
        size: written.len(),
        etag: sealing.etag(written.md5()),
        last_modified_ms: to_ms((ctx.state.clock)()),
        headers: content,
        user_metadata,
        checksums: written.checksums().to_vec(),
        storage_class,
        tags,
        part_sizes: vec![],
        composite_checksum: false,
        part_checksums: vec![],
        manifest: vec![],
        acl,
        encryption: sealing.encryption.clone(),
        retention,
        legal_hold,
        website_redirect,
    };
    let (precondition, cause) = (|current: Option<&ObjectVersion>| condition.holds(current), ctx.cause(source.kind));
    let stored = match written {
        Written::Inline(inline) => store.put_inline(bucket, key, version, &inline.data, &precondition, &cause).await,
        Written::Staged(mut staged) => {
            version.manifest = vec![ManifestEntry::whole(&staged)];
            store.put_object(bucket, key, version, std::slice::from_mut(&mut staged), &precondition, &cause).await
        }
    }
    .map_err(conflict_at_commit)?;
    Ok(Stored { bucket: bucket.to_owned(), key: key.to_owned(), version: stored, sealing })
}

/// Answers a write precondition against the key as it is now, before any body is
/// read; the store checks it again atomically at commit.
pub(super) fn check_condition_early(ctx: &Ctx<'_>, bucket: &str, key: &str, condition: &WriteCondition) -> S3Result<()> {
    if *condition == WriteCondition::None {
        return Ok(());
    }
    condition.check(ctx.state.store.current(bucket, key)?.filter(|v| !v.delete_marker).as_ref())
}
