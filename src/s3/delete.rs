//! DeleteObject and DeleteObjects (batch).

use hyper::StatusCode;

use super::access;
use super::body::RequestBody;
use super::conditional::{conflict_at_commit, DeleteCondition};
use super::dispatch::{empty, xml, Ctx, MAX_KEY_LEN};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, to_ms};
use super::xml::{self as x, NS};
use super::Response;
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
    // Only the removal of a version can meet Object Lock (a delete marker always goes in).
    let bypass = version_id.is_some() && super::object_lock::bypass(ctx, bucket, key, version_id)?;
    if !condition.is_set() {
        return store
            .delete_object_if(bucket, key, version_id, now, DeleteGuard::None, bypass, &cause)
            .await
            .map_err(super::object_lock::locked);
    }
    let target = match version_id {
        Some(id) => store.version(bucket, key, id)?,
        None => store.current(bucket, key)?.filter(|v| !v.delete_marker),
    };
    condition.check(target.as_ref())?;
    let holds = |v: Option<&ObjectVersion>| condition.holds(v);
    store.delete_object_if(bucket, key, version_id, now, DeleteGuard::Target(&holds), bypass, &cause).await.map_err(|e| {
        if matches!(e, crate::store::StoreError::ObjectLocked) {
            super::object_lock::locked(e)
        } else {
            conflict_at_commit(e)
        }
    })
}

/// POST /bucket?delete.
pub async fn delete_objects(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = super::document::read(ctx, body, true).await?;
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
            // Each key is authorized on its own, as S3 does: a refused key is an
            // AccessDenied entry, the others are deleted.
            let action = if object.version_id.is_some() { "s3:DeleteObjectVersion" } else { "s3:DeleteObject" };
            match access::allowed(ctx, action, bucket, &object.key, object.version_id.as_deref(), object.etag.as_deref()) {
                Ok(false) => Err(S3Error::new(S3ErrorCode::AccessDenied)),
                Err(e) => Err(e),
                Ok(true) => match entry_condition(&object) {
                    Ok(condition) => delete_one(ctx, bucket, &object.key, object.version_id.as_deref(), &condition).await,
                    Err(e) => Err(e),
                },
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
