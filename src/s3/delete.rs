//! DeleteObject and DeleteObjects (batch).

use base64::Engine as _;
use hyper::StatusCode;
use md5::{Digest, Md5};

use super::body::RequestBody;
use super::conditional::{conflict_at_commit, DeleteCondition};
use super::dispatch::{empty, xml, Ctx, MAX_KEY_LEN};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, to_ms};
use super::xml::{self as x, NS};
use super::Response;
use crate::blob::{checksum_from_base64, ChecksumAlgorithm, Checksummer};
use crate::model::event::CauseKind;
use crate::model::ObjectVersion;
use crate::store::{DeleteGuard, DeleteOutcome};

/// Most keys one DeleteObjects request may name.
const MAX_BATCH: usize = 1000;

/// DELETE /bucket/key[?versionId=] — 204 whether or not the key existed, as S3
/// answers; in a versioned bucket without a version id, a delete marker is placed.
/// Conditional deletes (If-Match, `x-amz-if-match-*`) apply to the version removed.
pub async fn delete_object(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let condition = DeleteCondition::from_headers(ctx.headers())?;
    let outcome = delete_one(ctx, bucket, key, ctx.param("versionId"), &condition).await?;
    let mut r = empty(StatusCode::NO_CONTENT);
    if let Some(id) = &outcome.version_id {
        headers::put(r.headers_mut(), "x-amz-version-id", id);
    }
    if outcome.delete_marker {
        headers::put(r.headers_mut(), "x-amz-delete-marker", "true");
    }
    Ok(r)
}

/// Deletes one key or version if `condition` holds: checked first to answer 404/412 as
/// S3 does, then again atomically at commit (a change in between is 409
/// ConditionalRequestConflict).
async fn delete_one(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    condition: &DeleteCondition,
) -> S3Result<DeleteOutcome> {
    let store = &ctx.state.store;
    let now = to_ms((ctx.state.clock)());
    let cause = ctx.cause(CauseKind::Delete);
    if !condition.is_set() {
        return Ok(store.delete_object(bucket, key, version_id, now, &cause).await?);
    }
    let target = match version_id {
        Some(id) => store.version(bucket, key, id)?,
        None => store.current(bucket, key)?.filter(|v| !v.delete_marker),
    };
    condition.check(target.as_ref())?;
    let holds = |v: Option<&ObjectVersion>| condition.holds(v);
    store.delete_object_if(bucket, key, version_id, now, DeleteGuard::Target(&holds), &cause).await.map_err(conflict_at_commit)
}

/// Checks the Content-MD5 or `x-amz-checksum-*` header S3 requires on DeleteObjects.
fn verify_integrity(ctx: &Ctx<'_>, body: &[u8]) -> S3Result<()> {
    if let Some(md5) = ctx.header("content-md5") {
        let want = base64::engine::general_purpose::STANDARD.decode(md5.trim()).map_err(|_| S3Error::new(S3ErrorCode::InvalidDigest))?;
        if want.len() != 16 {
            return Err(S3Error::new(S3ErrorCode::InvalidDigest));
        }
        if Md5::digest(body).as_slice() != want.as_slice() {
            return Err(S3Error::new(S3ErrorCode::BadDigest));
        }
        return Ok(());
    }
    for alg in ChecksumAlgorithm::ALL {
        if let Some(value) = ctx.header(alg.header_name()) {
            let want = checksum_from_base64(alg, value.trim()).ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::InvalidRequest, format!("Value for {} header is invalid.", alg.header_name()))
            })?;
            return check(alg, body, &want);
        }
    }
    // Bodies whose checksum arrived in an aws-chunked trailer were verified while decoding.
    if ctx.header("x-amz-trailer").is_some() {
        return Ok(());
    }
    Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Missing required header for this request: Content-MD5"))
}

/// POST /bucket?delete.
pub async fn delete_objects(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let trailers = body.trailers.clone();
    let raw = body.collect(ctx.state.config.limits.max_xml_size).await?;
    verify_integrity(ctx, &raw)?;
    verify_trailer(ctx, &raw, trailers.as_ref())?;
    let request: x::Delete = x::from_xml(&raw, "Delete")?;
    if request.objects.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "A Delete document must name at least one Object."));
    }
    if request.objects.len() > MAX_BATCH {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, format!("At most {MAX_BATCH} keys can be deleted in one request.")));
    }
    let quiet = request.quiet.unwrap_or(false);
    let mut result = x::DeleteResult { xmlns: NS, deleted: Vec::new(), errors: Vec::new() };
    for object in request.objects {
        let outcome = if object.key.len() > MAX_KEY_LEN {
            Err(S3Error::new(S3ErrorCode::KeyTooLongError))
        } else {
            match entry_condition(&object) {
                Ok(condition) => delete_one(ctx, bucket, &object.key, object.version_id.as_deref(), &condition).await,
                Err(e) => Err(e),
            }
        };
        match outcome {
            Ok(_) if quiet => {}
            Ok(done) => {
                // With a version id, S3 echoes it and says whether it was a marker; without
                // one, a created marker is reported as DeleteMarker + DeleteMarkerVersionId.
                let (delete_marker, marker_id) = match (&object.version_id, done.delete_marker) {
                    (_, false) => (None, None),
                    (Some(_), true) => (Some(true), None),
                    (None, true) => (Some(true), done.version_id.clone()),
                };
                result.deleted.push(x::Deleted {
                    key: object.key,
                    version_id: object.version_id,
                    delete_marker,
                    delete_marker_version_id: marker_id,
                });
            }
            Err(e) => result.errors.push(x::DeleteError {
                key: object.key,
                version_id: object.version_id,
                code: e.code.as_str(),
                message: e.message,
            }),
        }
    }
    Ok(xml(x::to_xml("DeleteResult", &result)?))
}

/// The conditions of one DeleteObjects entry (`ETag`, `LastModifiedTime`, `Size`).
fn entry_condition(object: &x::ObjectIdentifier) -> S3Result<DeleteCondition> {
    Ok(DeleteCondition {
        if_match: object.etag.clone(),
        last_modified_secs: object.last_modified_time.as_deref().map(DeleteCondition::parse_time).transpose()?,
        size: object.size.as_deref().map(DeleteCondition::parse_size).transpose()?,
    })
}

/// Verifies a checksum that arrived in the aws-chunked trailer.
fn verify_trailer(ctx: &Ctx<'_>, body: &[u8], trailers: Option<&crate::auth::TrailerSlot>) -> S3Result<()> {
    let Some(name) = ctx.header("x-amz-trailer") else { return Ok(()) };
    let alg = name.trim().strip_prefix("x-amz-checksum-").and_then(ChecksumAlgorithm::from_s3_name);
    let Some(alg) = alg else {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("The value specified in the x-amz-trailer header is not supported: {name}"),
        ));
    };
    let values = trailers.map(crate::auth::TrailerSlot::take).unwrap_or_default();
    let want = values
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(alg.header_name()))
        .and_then(|(_, v)| checksum_from_base64(alg, v.trim()))
        .ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidRequest, format!("The {} trailer is missing or malformed.", alg.header_name()))
        })?;
    check(alg, body, &want)
}

/// BadDigest unless `body` has checksum `want`.
fn check(alg: ChecksumAlgorithm, body: &[u8], want: &[u8]) -> S3Result<()> {
    let mut c = Checksummer::new(alg);
    c.update(body);
    if c.finish() != want {
        return Err(S3Error::with_message(
            S3ErrorCode::BadDigest,
            format!("The {} you specified did not match the calculated checksum.", alg.s3_name()),
        ));
    }
    Ok(())
}
