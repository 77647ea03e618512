//! CompleteMultipartUpload: the listed parts are checked against the stored ones (ETags,
//! sizes, part checksums), the write condition against the key's current version and
//! the declared whole-object checksum against the combined one, all under the store's
//! commit lock, so that a refusal leaves the upload in progress and the key untouched.

use std::collections::BTreeMap;

use super::body::RequestBody;
use super::conditional::WriteCondition;
use super::dispatch::{xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, to_ms};
use super::multipart::upload_id;
use super::multipart_xml as mx;
use super::xml::{self as x, NS};
use super::Response;
use crate::blob::{checksum_from_base64, ChecksumAlgorithm, Checksummer};
use crate::model::event::CauseKind;
use crate::model::multipart::{plan_completion, ChecksumType, CompleteError, PartRecord, UploadRecord};
use crate::model::object::NULL_VERSION;
use crate::model::ObjectVersion;

fn complete_error(e: &CompleteError) -> S3Error {
    match e {
        CompleteError::NoParts => S3Error::with_message(S3ErrorCode::MalformedXML, "The XML you provided did not list any parts."),
        CompleteError::InvalidPartOrder => S3Error::new(S3ErrorCode::InvalidPartOrder),
        CompleteError::InvalidPart(n) => {
            S3Error::with_message(S3ErrorCode::InvalidPart, format!("{} (part {n})", S3ErrorCode::InvalidPart.default_message()))
        }
        CompleteError::EntityTooSmall(n) => S3Error::with_message(
            S3ErrorCode::EntityTooSmall,
            format!("Your proposed upload is smaller than the minimum allowed size (part {n} is under 5 MiB and not the last part)."),
        ),
        CompleteError::EntityTooLarge => {
            S3Error::with_message(S3ErrorCode::EntityTooLarge, "The parts add up to more than the 5 TiB object size limit.")
        }
        CompleteError::InvalidPartNumber(n) => S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("Part number must be an integer between 1 and 10000, inclusive (got {n})"),
        ),
    }
}

/// Checksums a client listed for one part in the Complete request.
fn listed_checksums(p: &mx::CompletedPart) -> Vec<(ChecksumAlgorithm, &str)> {
    use ChecksumAlgorithm as A;
    [(A::Crc32, &p.crc32), (A::Crc32c, &p.crc32c), (A::Crc64Nvme, &p.crc64nvme), (A::Sha1, &p.sha1), (A::Sha256, &p.sha256)]
        .into_iter()
        .filter_map(|(a, v)| v.as_deref().map(|v| (a, v.trim())))
        .collect()
}

/// The whole object's checksum: composite over the parts' checksums, or a CRC of the
/// whole byte stream combined from the parts' CRCs. `None` if a part lacks it.
fn object_checksum(upload: &UploadRecord, parts: &[&PartRecord]) -> Option<(ChecksumAlgorithm, Vec<u8>, bool)> {
    let (alg, kind) = upload.checksum.unwrap_or((ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject));
    let values: Vec<&Vec<u8>> = parts.iter().map(|p| p.checksums.iter().find(|(a, _)| *a == alg).map(|(_, v)| v)).collect::<Option<_>>()?;
    if kind == ChecksumType::Composite {
        let mut c = Checksummer::new(alg);
        for v in values {
            c.update(v);
        }
        return Some((alg, c.finish(), true));
    }
    let crc = match alg {
        ChecksumAlgorithm::Crc32 => crc_fast::CrcAlgorithm::Crc32IsoHdlc,
        ChecksumAlgorithm::Crc32c => crc_fast::CrcAlgorithm::Crc32Iscsi,
        ChecksumAlgorithm::Crc64Nvme => crc_fast::CrcAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => return None,
    };
    let mut acc: Option<u64> = None;
    for (v, p) in values.iter().zip(parts) {
        if v.len() > 8 {
            return None; // a corrupt record: no CRC is longer than 8 bytes
        }
        let mut be = [0u8; 8];
        be[8 - v.len()..].copy_from_slice(v);
        let value = u64::from_be_bytes(be);
        acc = Some(match acc {
            None => value,
            Some(a) => crc_fast::checksum_combine(crc, a, value, p.size),
        });
    }
    let acc = acc?;
    let bytes =
        if alg == ChecksumAlgorithm::Crc64Nvme { acc.to_be_bytes().to_vec() } else { (acc & 0xFFFF_FFFF).to_be_bytes()[4..].to_vec() };
    Some((alg, bytes, false))
}

/// What the Complete request asks beyond its parts.
struct Request<'a> {
    /// The parts listed.
    parts: &'a [mx::CompletedPart],
    /// If-Match / If-None-Match on the key.
    condition: &'a WriteCondition,
    /// `x-amz-checksum-*` the client declared for the whole object.
    object_checksums: Vec<(ChecksumAlgorithm, &'a str)>,
    /// `x-amz-checksum-type` the client declared (FULL_OBJECT or COMPOSITE).
    checksum_type: Option<&'a str>,
    /// `x-amz-mp-object-size`: the size the client expects the object to have.
    object_size: Option<u64>,
    /// Completion time.
    now: i64,
}

/// The version a completion creates, validated against the parts, the key's current
/// version and the declared checksums (under the store's commit lock).
fn plan_version(
    upload: &UploadRecord,
    parts: &BTreeMap<u32, PartRecord>,
    current: Option<&ObjectVersion>,
    req: &Request<'_>,
) -> S3Result<ObjectVersion> {
    req.condition.check(current)?;
    let requested: Vec<(u32, String)> = req.parts.iter().map(|p| (p.part_number, p.etag.clone())).collect();
    let plan = plan_completion(&requested, parts).map_err(|e| complete_error(&e))?;
    if req.object_size.is_some_and(|n| n != plan.size) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("The provided x-amz-mp-object-size header value does not match the size of the object ({} bytes).", plan.size),
        ));
    }
    let upload_type = upload.checksum.map_or(ChecksumType::FullObject, |(_, k)| k);
    if let Some(declared) = req.checksum_type.filter(|t| !t.eq_ignore_ascii_case(upload_type.s3_name())) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("The upload was created using the {} checksum type; the request declares {declared}.", upload_type.s3_name()),
        ));
    }
    check_part_checksums(upload, parts, req.parts)?;
    let used: Vec<&PartRecord> = plan.parts.iter().map(|n| &parts[n]).collect();
    let checksum = object_checksum(upload, &used);
    let version = ObjectVersion {
        version_id: String::new(),
        seq: 0,
        delete_marker: false,
        size: plan.size,
        etag: plan.etag,
        last_modified_ms: req.now,
        headers: upload.headers.clone(),
        user_metadata: upload.user_metadata.clone(),
        checksums: checksum.iter().map(|(a, v, _)| (*a, v.clone())).collect(),
        storage_class: upload.storage_class.clone(),
        tags: upload.tags.clone(),
        part_sizes: used.iter().map(|p| p.size).collect(),
        composite_checksum: checksum.is_some_and(|(_, _, composite)| composite),
        part_checksums: part_checksums(upload, &used),
        manifest: plan.manifest,
        acl: upload.acl.clone(),
        encryption: upload.encryption.clone(),
        retention: upload.retention,
        legal_hold: upload.legal_hold,
        website_redirect: upload.website_redirect.clone(),
    };
    check_object_checksums(upload, &version, &req.object_checksums)?;
    Ok(version)
}

/// Each part's checksum in the algorithm the object's checksum is built from (all or
/// nothing), kept for GetObjectAttributes.
fn part_checksums(upload: &UploadRecord, parts: &[&PartRecord]) -> Vec<Vec<u8>> {
    let alg = upload.checksum.map_or(ChecksumAlgorithm::Crc64Nvme, |(a, _)| a);
    parts.iter().map(|p| p.checksums.iter().find(|(a, _)| *a == alg).map(|(_, v)| v.clone())).collect::<Option<_>>().unwrap_or_default()
}

/// Each listed part checksum must match the stored part's; for an upload created with a
/// composite checksum algorithm, every listed part must carry it (S3 requires them to
/// build the checksum of checksums).
fn check_part_checksums(upload: &UploadRecord, parts: &BTreeMap<u32, PartRecord>, listed: &[mx::CompletedPart]) -> S3Result<()> {
    for p in listed {
        let stored = &parts[&p.part_number];
        let sent = listed_checksums(p);
        for (alg, value) in &sent {
            let ok = checksum_from_base64(*alg, value).is_some_and(|raw| stored.checksums.iter().any(|(a, v)| a == alg && *v == raw));
            if !ok && upload.checksum.is_some_and(|(u, _)| u == *alg) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidPart,
                    format!("The {} checksum of part {} does not match.", alg.s3_name(), p.part_number),
                ));
            }
        }
        if let Some((alg, ChecksumType::Composite)) = upload.checksum {
            if !sent.iter().any(|(a, _)| *a == alg) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!(
                        "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                        alg.s3_name().to_ascii_lowercase(),
                        p.part_number
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The whole-object `x-amz-checksum-*` a client declared must equal the one the parts
/// combine to (`base64`, or `base64-N` for composite checksums). One of an algorithm
/// the upload does not carry cannot be checked, so it is refused rather than ignored.
fn check_object_checksums(upload: &UploadRecord, version: &ObjectVersion, declared: &[(ChecksumAlgorithm, &str)]) -> S3Result<()> {
    for (alg, sent) in declared {
        let Some((_, raw)) = version.checksums.iter().find(|(a, _)| a == alg) else {
            let created = upload.checksum.map_or("CRC64NVME", |(a, _)| a.s3_name());
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!(
                    "The upload was created using the {created} checksum algorithm; a {} checksum of the whole object cannot be verified.",
                    alg.s3_name()
                ),
            ));
        };
        let expected = version.checksum_value(raw);
        let split = |v: &'_ str| -> (String, Option<String>) {
            match v.trim().rsplit_once('-') {
                Some((b64, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => (b64.to_owned(), Some(n.to_owned())),
                _ => (v.trim().to_owned(), None),
            }
        };
        let ((want, want_n), (got, got_n)) = (split(&expected), split(sent));
        if want != got || got_n.is_some_and(|n| Some(n) != want_n) {
            return Err(S3Error::with_message(
                S3ErrorCode::BadDigest,
                format!("The {} you specified did not match the calculated checksum.", alg.s3_name()),
            ));
        }
    }
    Ok(())
}

/// POST /bucket/key?uploadId=ID.
pub async fn complete_upload(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let id = upload_id(ctx)?;
    let condition = WriteCondition::from_headers(ctx.headers())?;
    // As on S3, completing an SSE-KMS upload needs kms:Decrypt on its key.
    if let Some(upload) = ctx.state.store.upload(bucket, key, id)? {
        super::encryption::check_kms_decrypt(ctx, upload.encryption.as_ref())?;
        if upload.retention.is_some() || upload.legal_hold {
            super::encryption::check_kms_key_lasting(ctx, upload.encryption.as_ref())?;
        }
    }
    let raw = body.collect(ctx.state.config.limits.max_xml_size).await?;
    let request: mx::CompleteMultipartUpload = x::from_xml(&raw, "CompleteMultipartUpload")?;
    let req = Request {
        parts: &request.parts,
        condition: &condition,
        object_checksums: ChecksumAlgorithm::ALL.into_iter().filter_map(|a| ctx.header(a.header_name()).map(|v| (a, v))).collect(),
        checksum_type: ctx.header("x-amz-checksum-type").map(str::trim),
        object_size: ctx
            .header("x-amz-mp-object-size")
            .map(|v| v.trim().parse().map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid x-amz-mp-object-size")))
            .transpose()?,
        now: to_ms((ctx.state.clock)()),
    };
    let listed: Vec<(u32, String)> = request.parts.iter().map(|p| (p.part_number, p.etag.clone())).collect();
    let outcome = ctx
        .state
        .store
        .complete_upload(
            bucket,
            key,
            id,
            &listed,
            |upload, parts, current| plan_version(upload, parts, current, &req),
            &ctx.cause(CauseKind::CompleteMultipartUpload),
        )
        .await?;
    let v = &outcome.version;
    // Checksums derive from the plaintext: shown to a caller who may read it (an SSE-C
    // upload's completion need not bring the key; without it they are left out).
    let shown: &[_] = if super::encryption::may_see_digests(ctx, v.encryption.as_ref())? { &v.checksums } else { &[] };
    let host = ctx.header("host").unwrap_or("localhost");
    let result = mx::CompleteMultipartUploadResult {
        xmlns: NS,
        location: format!("http://{host}/{bucket}/{}", percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        etag: v.quoted_etag(),
        checksums: shown.iter().map(|(a, raw)| (format!("Checksum{}", a.s3_name()), v.checksum_value(raw))).collect(),
        checksum_type: (!shown.is_empty()).then(|| v.checksum_type()),
    };
    let mut r = xml(x::to_xml("CompleteMultipartUploadResult", &result)?);
    if v.version_id != NULL_VERSION {
        headers::put(r.headers_mut(), "x-amz-version-id", &v.version_id);
    }
    super::encryption::put_headers(ctx, r.headers_mut(), v.encryption.as_ref());
    Ok(r)
}
