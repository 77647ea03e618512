//! Put/Get/DeleteBucketLifecycleConfiguration, and the `x-amz-expiration` header of
//! PUT, GET and HEAD. The rules are run by `worker::lifecycle`.

use hyper::StatusCode;

use super::body::RequestBody;
use super::dispatch::{empty, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, http_date};
use super::Response;
use crate::model::lifecycle::{Lifecycle, LifecycleError};
use crate::model::ObjectVersion;

use crate::model::lifecycle::DOCUMENT as LIFECYCLE;

fn to_s3(e: LifecycleError) -> S3Error {
    match e {
        LifecycleError::Malformed(m) => S3Error::with_message(S3ErrorCode::MalformedXML, m),
        LifecycleError::InvalidArgument(m) => S3Error::with_message(S3ErrorCode::InvalidArgument, m),
        LifecycleError::InvalidRequest(m) => S3Error::with_message(S3ErrorCode::InvalidRequest, m),
        LifecycleError::InvalidStorageClass(m) => S3Error::with_message(S3ErrorCode::InvalidStorageClass, m),
    }
}

/// Parses and validates a stored or submitted document.
pub fn parse(raw: &[u8]) -> S3Result<Lifecycle> {
    crate::model::lifecycle::parse(raw).map_err(to_s3)
}

/// PUT /bucket?lifecycle — validated, then stored as sent, with an id generated for
/// each rule that has none.
pub async fn put_lifecycle(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = super::document::read(ctx, body, false).await?;
    let text = std::str::from_utf8(&raw).map_err(|_| S3Error::new(S3ErrorCode::MalformedXML))?;
    let new_id = || base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{:032x}", rand::random::<u128>()));
    let raw = crate::model::lifecycle::assign_rule_ids(text, new_id).map_err(to_s3)?.into_bytes();
    let config = crate::model::lifecycle::parse_submitted(&raw).map_err(to_s3)?;
    if let Some(class) = config.transition_classes().find(|c| !ctx.state.store.has_storage_class(c)) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidStorageClass,
            format!("The storage class {class} has no tier on this server (storage.tiers in config.toml)."),
        ));
    }
    ctx.set_bucket_config(bucket, LIFECYCLE, Some(raw)).await?;
    let mut r = empty(StatusCode::OK);
    headers::put(r.headers_mut(), "x-amz-transition-default-minimum-object-size", "all_storage_classes_128K");
    Ok(r)
}

/// GET /bucket?lifecycle — the validated document as it was stored;
/// NoSuchLifecycleConfiguration when none is set.
pub fn get_lifecycle(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = ctx.state.store.bucket_config(bucket, LIFECYCLE)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchLifecycleConfiguration))?;
    let text = String::from_utf8(raw).map_err(S3Error::internal)?;
    Ok(super::dispatch::xml(text))
}

/// DELETE /bucket?lifecycle.
pub async fn delete_lifecycle(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    ctx.set_bucket_config(bucket, LIFECYCLE, None).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Adds `x-amz-expiration` if an enabled rule will expire this current version.
pub fn expiration_header(ctx: &Ctx<'_>, bucket: &str, key: &str, version: &ObjectVersion, h: &mut hyper::HeaderMap) {
    let Ok(Some(raw)) = ctx.state.store.bucket_config(bucket, LIFECYCLE) else { return };
    let Ok(config) = parse(&raw) else { return };
    let day_ms = i64::try_from(ctx.state.config.lifecycle.day_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    if let Some((rule, at)) = config.expiration_for(key, version.size, &version.tags, version.last_modified_ms, day_ms) {
        headers::put(h, "x-amz-expiration", &format!("expiry-date=\"{}\", rule-id=\"{}\"", http_date(at), rule.id));
    }
}
