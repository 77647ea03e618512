//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! AbortMultipartUpload, ListParts, ListMultipartUploads (CompleteMultipartUpload is in
//! `multipart_complete`).
//!
//! Each part is stored like a small object (its own blob, or shared pieces of the copy
//! source); completion validates the list as S3 does and writes a manifest that
//! references the parts' blobs, so no bytes are copied.

use std::sync::Arc;

use futures_util::StreamExt;
use hyper::StatusCode;

use super::body::RequestBody;
use super::copy::resolve_source;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, iso8601, to_ms};
use super::multipart_xml as mx;
use super::object_put::{declared_length, stage_body, DeclaredDigests, WriteAs};
use super::xml::{self as x, CommonPrefix, Owner, NS};
use super::Response;
use crate::blob::{checksum_to_base64, ChecksumAlgorithm, Checksummer};
use crate::crypto::ChunkKey;
use crate::meta::keys;
use crate::model::multipart::{ChecksumType, PartRecord, UploadRecord, MAX_PARTS, MAX_PART_SIZE};
use crate::model::object::NULL_VERSION;
use crate::model::range::{slice_manifest, ByteRange};

/// The `Initiator` of an upload as stored (a canonical id or an ARN; uploads created
/// before accounts existed stored the access key).
fn initiator(id: &str) -> Owner {
    let name = id.rsplit(['/', ':']).next().unwrap_or(id);
    Owner { id: id.to_owned(), display_name: name.to_owned() }
}

/// Who initiates an upload, as S3 reports it: an account root by its canonical id, an
/// IAM user or role session by its ARN.
fn initiator_id(ctx: &Ctx<'_>) -> String {
    match ctx.principal {
        Some(p) if p.kind == crate::iam::principal::PrincipalKind::Root => p.info.canonical_id.clone(),
        Some(p) => p.arn.clone(),
        None => "anonymous".to_owned(),
    }
}

/// The `Owner` of an upload: the owner its object will have.
fn upload_owner(ctx: &Ctx<'_>, bucket_owner: &Owner, upload: &UploadRecord) -> Owner {
    match &upload.acl {
        Some(acl) if acl.owner != bucket_owner.id => ctx.owner_of_canonical(&acl.owner),
        _ => bucket_owner.clone(),
    }
}

pub(super) fn upload_id<'a>(ctx: &'a Ctx<'_>) -> S3Result<&'a str> {
    ctx.param("uploadId").filter(|u| !u.is_empty()).ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchUpload))
}

fn part_number(ctx: &Ctx<'_>) -> S3Result<u32> {
    ctx.param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive"))
}

/// The upload named by the request, which must be in progress.
fn in_progress(ctx: &Ctx<'_>, bucket: &str, key: &str) -> S3Result<UploadRecord> {
    ctx.state.store.upload(bucket, key, upload_id(ctx)?)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchUpload))
}

/// Reads `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload.
fn requested_checksum(ctx: &Ctx<'_>) -> S3Result<Option<(ChecksumAlgorithm, ChecksumType)>> {
    let invalid = |m: String| S3Error::with_message(S3ErrorCode::InvalidRequest, m);
    let alg = match ctx.header("x-amz-checksum-algorithm") {
        None => None,
        Some(a) => {
            Some(ChecksumAlgorithm::from_s3_name(a.trim()).ok_or_else(|| invalid(format!("Checksum algorithm {a} is not supported.")))?)
        }
    };
    let kind = match ctx.header("x-amz-checksum-type").map(str::trim) {
        None => None,
        Some(t) if t.eq_ignore_ascii_case("COMPOSITE") => Some(ChecksumType::Composite),
        Some(t) if t.eq_ignore_ascii_case("FULL_OBJECT") => Some(ChecksumType::FullObject),
        Some(t) => return Err(invalid(format!("Value for x-amz-checksum-type header is invalid: {t}"))),
    };
    let Some(alg) = alg else {
        return match kind {
            None => Ok(None),
            Some(_) => Err(invalid("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.".into())),
        };
    };
    let is_crc = matches!(alg, ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme);
    let kind = kind.unwrap_or(if alg == ChecksumAlgorithm::Crc64Nvme { ChecksumType::FullObject } else { ChecksumType::Composite });
    match kind {
        ChecksumType::FullObject if !is_crc => {
            Err(invalid(format!("The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.", alg.s3_name())))
        }
        ChecksumType::Composite if alg == ChecksumAlgorithm::Crc64Nvme => {
            Err(invalid("The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.".into()))
        }
        _ => Ok(Some((alg, kind))),
    }
}

/// POST /bucket/key?uploads.
pub async fn create_upload(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let checksum = requested_checksum(ctx)?;
    let (retention, legal_hold) = super::object_lock::for_write(ctx, bucket, false)?;
    let sealing = super::encryption::for_write(ctx, bucket, key).await?;
    let record = UploadRecord {
        upload_id: String::new(),
        key: key.to_owned(),
        initiated_ms: to_ms((ctx.state.clock)()),
        headers: headers::content_headers(ctx.headers()),
        user_metadata: headers::user_metadata(ctx.headers())?,
        storage_class: headers::storage_class(ctx.headers(), |c| ctx.state.store.has_storage_class(c))?,
        checksum,
        tags: super::tagging::header_tags(ctx)?,
        owner: initiator_id(ctx),
        acl: super::acl::for_new_object_in(ctx, bucket)?,
        encryption: sealing.encryption.clone(),
        retention,
        legal_hold,
        website_redirect: headers::website_redirect(ctx.headers())?,
    };
    let record = ctx.state.store.create_upload(bucket, record).await?;
    let result =
        mx::InitiateMultipartUploadResult { xmlns: NS, bucket: bucket.to_owned(), key: key.to_owned(), upload_id: record.upload_id };
    let mut r = xml(x::to_xml("InitiateMultipartUploadResult", &result)?);
    if let Some((alg, kind)) = checksum {
        headers::put(r.headers_mut(), "x-amz-checksum-algorithm", alg.s3_name());
        headers::put(r.headers_mut(), "x-amz-checksum-type", kind.s3_name());
    }
    super::encryption::put_write_headers(ctx, r.headers_mut(), &sealing);
    Ok(r)
}

/// The checksum a part always carries: the upload's algorithm, or CRC64NVME from which
/// the default full-object checksum is combined.
fn part_algorithm(upload: &UploadRecord) -> ChecksumAlgorithm {
    upload.checksum.map_or(ChecksumAlgorithm::Crc64Nvme, |(alg, _)| alg)
}

/// PUT /bucket/key?partNumber=N&uploadId=ID.
pub async fn upload_part(ctx: &Ctx<'_>, mut body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let number = part_number(ctx)?;
    let upload = in_progress(ctx, bucket, key)?;
    if declared_length(ctx)?.is_some_and(|n| n > MAX_PART_SIZE) {
        return Err(S3Error::new(S3ErrorCode::EntityTooLarge));
    }
    let digests = DeclaredDigests::from_request(ctx)?;
    if (upload.retention.is_some() || upload.legal_hold) && digests.is_empty() {
        // As S3: parts of an object under Object Lock carry an integrity check.
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters",
        ));
    }
    super::encryption::check_part_headers(ctx, upload.encryption.as_ref())?;
    let seal = super::encryption::key_for(ctx, upload.encryption.as_ref())?;
    let how = WriteAs { algorithms: digests.algorithms_with(Some(part_algorithm(&upload))), seal: seal.clone() };
    let mut staged = stage_body(ctx, &mut body, &upload.storage_class, how, MAX_PART_SIZE).await?;
    if declared_length(ctx)?.is_some_and(|n| n != staged.len) {
        return Err(S3Error::new(S3ErrorCode::IncompleteBody));
    }
    digests.verify(staged.md5, &staged.checksums, body.trailers.as_ref())?;
    let part = PartRecord {
        part_number: number,
        size: staged.len,
        md5: super::encryption::part_tag(upload.encryption.as_ref(), seal.as_ref(), staged.md5),
        last_modified_ms: to_ms((ctx.state.clock)()),
        manifest: vec![crate::model::ManifestEntry::whole(&staged)],
        checksums: staged.checksums.clone(),
    };
    ctx.state.store.put_part(bucket, key, &upload.upload_id, part.clone(), std::slice::from_mut(&mut staged)).await?;
    let mut r = empty(StatusCode::OK);
    headers::put(r.headers_mut(), "etag", &format!("\"{}\"", part.etag()));
    let shown: Vec<ChecksumAlgorithm> = digests.algorithms_with(upload.checksum.map(|(a, _)| a));
    for (alg, value) in part.checksums.iter().filter(|(a, _)| shown.contains(a)) {
        headers::put(r.headers_mut(), alg.header_name(), &checksum_to_base64(value));
    }
    super::encryption::put_headers(ctx, r.headers_mut(), upload.encryption.as_ref());
    Ok(r)
}

/// Parses `x-amz-copy-source-range: bytes=first-last` against a source of `size` bytes.
fn copy_range(ctx: &Ctx<'_>, size: u64) -> S3Result<Option<ByteRange>> {
    let Some(raw) = ctx.header("x-amz-copy-source-range") else { return Ok(None) };
    let invalid = || {
        S3Error::with_message(S3ErrorCode::InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
    };
    let (first, last) = raw.trim().strip_prefix("bytes=").and_then(|r| r.split_once('-')).ok_or_else(invalid)?;
    let (start, end) = (first.trim().parse::<u64>().map_err(|_| invalid())?, last.trim().parse::<u64>().map_err(|_| invalid())?);
    if start > end {
        return Err(invalid());
    }
    if end >= size {
        return Err(S3Error::with_message(S3ErrorCode::InvalidRange, "The requested range is not satisfiable"));
    }
    Ok(Some(ByteRange { start, end }))
}

/// MD5 and checksums of stored bytes, hashed on a blocking thread as they stream in.
async fn hash_pieces(
    ctx: &Ctx<'_>,
    class: &str,
    pieces: &[crate::model::ManifestEntry],
    key: Option<&Arc<ChunkKey>>,
    algs: Vec<ChecksumAlgorithm>,
) -> S3Result<([u8; 16], Vec<(ChecksumAlgorithm, Vec<u8>)>)> {
    use md5::Digest as _;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    let hasher = tokio::task::spawn_blocking(move || {
        let mut md5 = md5::Md5::new();
        let mut sums: Vec<(ChecksumAlgorithm, Checksummer)> = algs.iter().map(|&a| (a, Checksummer::new(a))).collect();
        while let Some(chunk) = rx.blocking_recv() {
            md5.update(&chunk);
            for (_, s) in &mut sums {
                s.update(&chunk);
            }
        }
        (<[u8; 16]>::from(md5.finalize()), sums.into_iter().map(|(a, s)| (a, s.finish())).collect::<Vec<_>>())
    });
    for piece in pieces {
        let mut stream = ctx.state.store.blobs_for(class).read_plain(&piece.hash, key, piece.offset, piece.len);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(S3Error::internal)?;
            if tx.send(chunk).await.is_err() {
                break;
            }
        }
    }
    drop(tx);
    hasher.await.map_err(S3Error::internal)
}

/// Where copied bytes come from and go to: storage classes and keys.
pub(super) struct Rewrite<'a> {
    /// The source's storage class.
    pub from: &'a str,
    /// The source's key, if encrypted.
    pub from_key: Option<&'a Arc<ChunkKey>>,
    /// The target's storage class.
    pub to: &'a str,
    /// The key to seal the copy with, if encrypted.
    pub to_key: Option<Arc<ChunkKey>>,
}

/// Writes the bytes of `pieces` as one new blob (in another tier, or sealed another
/// way), with its MD5 and the `algs` checksums: opened with the source's key and sealed
/// with the target's as they stream through.
pub(super) async fn copy_pieces(
    ctx: &Ctx<'_>,
    how: Rewrite<'_>,
    pieces: &[crate::model::ManifestEntry],
    algs: Vec<ChecksumAlgorithm>,
) -> S3Result<crate::blob::StagedBlob> {
    let store = &ctx.state.store;
    let mut writer = store.blobs_for(how.to).writer(crate::blob::HashRequest { checksums: algs, sha256: false, seal: how.to_key });
    for piece in pieces {
        let mut stream = store.blobs_for(how.from).read_plain(&piece.hash, how.from_key, piece.offset, piece.len);
        while let Some(chunk) = stream.next().await {
            writer.write(chunk.map_err(S3Error::internal)?).await.map_err(S3Error::from_io)?;
        }
    }
    writer.finish().await.map_err(S3Error::from_io)
}

/// PUT /bucket/key?partNumber=N&uploadId=ID with x-amz-copy-source: the part shares the
/// source's blobs; the bytes are read once, only to compute the part's MD5 and checksum.
pub async fn upload_part_copy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let number = part_number(ctx)?;
    let upload = in_progress(ctx, bucket, key)?;
    super::encryption::check_part_headers(ctx, upload.encryption.as_ref())?;
    let (_, src, lease) = resolve_source(ctx)?;
    let range = copy_range(ctx, src.size)?.unwrap_or(ByteRange { start: 0, end: src.size.saturating_sub(1) });
    let len = if src.size == 0 { 0 } else { range.len() };
    if len > MAX_PART_SIZE {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
        ));
    }
    let pieces = if len == 0 { Vec::new() } else { slice_manifest(&src.manifest, range) };
    let store = &ctx.state.store;
    let alg = part_algorithm(&upload);
    let from_key = super::encryption::key_of_source(ctx, &src)?;
    let to_key = super::encryption::key_for(ctx, upload.encryption.as_ref())?;
    let tag_key = to_key.clone();
    let (md5, checksums, manifest, mut staged) = if let Some(data) = lease.inline().filter(|_| len > 0) {
        // A source stored inline: parts are always blobs, so its range becomes one.
        let bytes = range.slice(&super::encryption::open_inline(from_key.as_ref(), data)?);
        let req = crate::blob::HashRequest { checksums: vec![alg], sha256: false, seal: to_key };
        let staged = store.stage_bytes(&upload.storage_class, bytes, req).await?;
        let manifest = vec![crate::model::ManifestEntry::whole(&staged)];
        (staged.md5, staged.checksums.clone(), manifest, vec![staged])
    } else if pieces.is_empty()
        || (store.tier_of(&src.storage_class) == store.tier_of(&upload.storage_class) && src.encryption == upload.encryption)
    {
        // The part shares the source's blobs; its bytes are read only to hash them.
        let (md5, checksums) = hash_pieces(ctx, &src.storage_class, &pieces, from_key.as_ref(), vec![alg]).await?;
        (md5, checksums, pieces, Vec::new())
    } else {
        // The upload's tier or encryption is another: write just the copied range there.
        let how = Rewrite { from: &src.storage_class, from_key: from_key.as_ref(), to: &upload.storage_class, to_key };
        let staged = copy_pieces(ctx, how, &pieces, vec![alg]).await?;
        let manifest = vec![crate::model::ManifestEntry::whole(&staged)];
        (staged.md5, staged.checksums.clone(), manifest, vec![staged])
    };
    let now = to_ms((ctx.state.clock)());
    let md5 = super::encryption::part_tag(upload.encryption.as_ref(), tag_key.as_ref(), md5);
    let part = PartRecord { part_number: number, size: len, md5, last_modified_ms: now, manifest, checksums };
    ctx.state.store.put_part(bucket, key, &upload.upload_id, part.clone(), &mut staged).await?;
    let shown = upload.checksum.map(|(a, _)| a);
    let checksums = part
        .checksums
        .iter()
        .filter(|(a, _)| Some(*a) == shown)
        .map(|(a, v)| (format!("Checksum{}", a.s3_name()), checksum_to_base64(v)))
        .collect();
    let result = mx::CopyPartResult { xmlns: NS, last_modified: iso8601(now), etag: format!("\"{}\"", part.etag()), checksums };
    let mut r = xml(x::to_xml("CopyPartResult", &result)?);
    if src.version_id != NULL_VERSION {
        headers::put(r.headers_mut(), "x-amz-copy-source-version-id", &src.version_id);
    }
    super::encryption::put_headers(ctx, r.headers_mut(), upload.encryption.as_ref());
    Ok(r)
}

/// DELETE /bucket/key?uploadId=ID. With `x-amz-if-match-initiated-time` (S3 documents it for directory buckets; honoured
/// everywhere): abort only the upload initiated at that second, else 412.
pub async fn abort_upload(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    if let Some(when) = ctx.header("x-amz-if-match-initiated-time") {
        let want = super::conditional::DeleteCondition::parse_time(when)?;
        // S3: with this header, an upload that does not exist is a 204, not a 404.
        let Some(upload) = ctx.state.store.upload(bucket, key, upload_id(ctx)?)? else { return Ok(empty(StatusCode::NO_CONTENT)) };
        if upload.initiated_ms.div_euclid(1000) != want {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
    }
    ctx.state.store.abort_upload(bucket, key, upload_id(ctx)?).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// GET /bucket/key?uploadId=ID.
pub fn list_parts(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let upload = in_progress(ctx, bucket, key)?;
    let max = ctx.page_size("max-parts")?;
    let marker = match ctx.param("part-number-marker") {
        None => 0,
        Some(m) => m.parse::<u32>().map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid part-number-marker"))?,
    };
    // Checksums derive from the plaintext: shown to a caller who may read it.
    let digests = super::encryption::may_see_digests(ctx, upload.encryption.as_ref())?;
    let mut parts = ctx.state.store.list_parts(&upload.upload_id, marker, max + 1)?;
    let truncated = parts.len() > max;
    parts.truncate(max);
    let result = mx::ListPartsResult {
        xmlns: NS,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        upload_id: upload.upload_id.clone(),
        part_number_marker: marker,
        next_part_number_marker: parts.last().map_or(marker, |p| p.part_number),
        max_parts: max,
        is_truncated: truncated,
        parts: parts
            .iter()
            .map(|p| mx::PartEntry {
                part_number: p.part_number,
                last_modified: iso8601(p.last_modified_ms),
                etag: format!("\"{}\"", p.etag()),
                size: p.size,
                checksums: p
                    .checksums
                    .iter()
                    .filter(|(a, _)| digests && upload.checksum.is_some_and(|(u, _)| u == *a))
                    .map(|(a, v)| (format!("Checksum{}", a.s3_name()), checksum_to_base64(v)))
                    .collect(),
            })
            .collect(),
        initiator: initiator(&upload.owner),
        owner: upload_owner(ctx, &ctx.bucket_owner_element(bucket)?, &upload),
        storage_class: upload.storage_class.clone(),
        checksum_algorithm: upload.checksum.map(|(a, _)| a.s3_name()),
        checksum_type: upload.checksum.map(|(_, k)| k.s3_name()),
    };
    Ok(xml(x::to_xml("ListPartsResult", &result)?))
}

/// GET /bucket?uploads.
pub fn list_uploads(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let max = ctx.page_size("max-uploads")?;
    let url = ctx.url_encoding()?;
    let prefix = ctx.param("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx.param("delimiter").filter(|d| !d.is_empty()).map(str::to_owned);
    let key_marker = ctx.param("key-marker").unwrap_or_default().to_owned();
    let id_marker = ctx.param("upload-id-marker").unwrap_or_default().to_owned();
    let bucket_owner = ctx.bucket_owner_element(bucket)?;
    let mut cursor = keys::uploads_with_prefix(bucket, &prefix);
    if !key_marker.is_empty() {
        let after = if id_marker.is_empty() {
            keys::prefix_successor(&keys::uploads_of(bucket, &key_marker))
        } else {
            let mut k = keys::upload(bucket, &key_marker, &id_marker);
            k.push(0);
            Some(k)
        };
        cursor = after.filter(|a| *a > cursor).unwrap_or(cursor);
    }
    let mut uploads: Vec<UploadRecord> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    'scan: loop {
        let page = ctx.state.store.list_uploads(bucket, Some(cursor.clone()), 100)?;
        if page.uploads.is_empty() {
            break;
        }
        for u in page.uploads {
            if !u.key.starts_with(&prefix) {
                break 'scan;
            }
            if uploads.len() + prefixes.len() >= max {
                truncated = true;
                break 'scan;
            }
            let common =
                delimiter.as_deref().and_then(|d| u.key[prefix.len()..].find(d).map(|i| u.key[..prefix.len() + i + d.len()].to_owned()));
            if let Some(cp) = common {
                match keys::prefix_successor(&keys::uploads_with_prefix(bucket, &cp)) {
                    Some(next) => cursor = next,
                    None => break 'scan,
                }
                prefixes.push(cp);
                continue 'scan;
            }
            let mut next = keys::upload(bucket, &u.key, &u.upload_id);
            next.push(0);
            cursor = next;
            uploads.push(u);
        }
        if !page.truncated {
            break;
        }
    }
    let (next_key, next_id) = match uploads.last() {
        Some(u) if truncated => (u.key.clone(), u.upload_id.clone()),
        _ => (String::new(), String::new()),
    };
    let enc = |s: &str| x::encode_key(s, url);
    let result = mx::ListMultipartUploadsResult {
        xmlns: NS,
        bucket: bucket.to_owned(),
        key_marker: enc(&key_marker),
        upload_id_marker: id_marker,
        next_key_marker: enc(&next_key),
        next_upload_id_marker: next_id,
        prefix: enc(&prefix),
        delimiter: delimiter.as_deref().map(enc),
        encoding_type: url.then_some("url"),
        max_uploads: max,
        is_truncated: truncated,
        uploads: uploads
            .iter()
            .map(|u| mx::UploadEntry {
                key: enc(&u.key),
                upload_id: u.upload_id.clone(),
                initiator: initiator(&u.owner),
                owner: upload_owner(ctx, &bucket_owner, u),
                storage_class: u.storage_class.clone(),
                initiated: iso8601(u.initiated_ms),
                checksum_algorithm: u.checksum.map(|(a, _)| a.s3_name()),
            })
            .collect(),
        common_prefixes: prefixes.iter().map(|p| CommonPrefix { prefix: enc(p) }).collect(),
    };
    Ok(xml(x::to_xml("ListMultipartUploadsResult", &result)?))
}
