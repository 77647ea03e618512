//! Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
//! GetBucketLocation, GetBucketVersioning.

use base64::Engine as _;
use hyper::StatusCode;

use super::body::RequestBody;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, iso8601, to_ms};
use super::xml::{self as x, NS};
use super::Response;
use crate::iam::principal::owner_account;
use crate::model::{BucketRecord, Versioning};
use crate::store::StoreError;

/// Most buckets one ListBuckets page may ask for (`max-buckets`).
const MAX_BUCKETS_PAGE: usize = 10_000;

/// GET / — buckets by name: all of them, or pages of `max-buckets` continued with
/// `continuation-token`, filtered by `prefix` and `bucket-region`.
pub fn list_buckets(ctx: &Ctx<'_>) -> S3Result<Response> {
    let max = match ctx.param("max-buckets") {
        None => None,
        Some(v) => Some(v.parse::<usize>().ok().filter(|n| (1..=MAX_BUCKETS_PAGE).contains(n)).ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidArgument, format!("max-buckets must be an integer between 1 and {MAX_BUCKETS_PAGE}"))
        })?),
    };
    let prefix = ctx.param("prefix").unwrap_or_default();
    let region = ctx.param("bucket-region").filter(|r| !r.is_empty());
    let default_account = ctx.state.iam.default_account();
    let account = ctx.account()?;
    // The token is the last name of the previous page, base64-encoded (opaque to clients).
    let after = match ctx.param("continuation-token") {
        None => None,
        Some(token) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, "The continuation token provided is incorrect"))?,
        ),
    };
    let mut buckets: Vec<_> = ctx
        .state
        .store
        .list_buckets()?
        .into_iter()
        .filter(|(name, b)| name.starts_with(prefix) && region.is_none_or(|r| b.region == r))
        .filter(|(_, b)| owner_account(&b.owner, &default_account) == account)
        .filter(|(name, _)| after.as_ref().is_none_or(|a| name > a))
        .collect();
    let mut token = None;
    if let Some(max) = max.filter(|m| buckets.len() > *m) {
        buckets.truncate(max);
        token = buckets.last().map(|(name, _)| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name));
    }
    let result = x::ListAllMyBucketsResult {
        xmlns: NS,
        owner: ctx.owner()?,
        buckets: x::Buckets {
            bucket: buckets
                .into_iter()
                .map(|(name, b)| x::BucketEntry { name, creation_date: iso8601(b.created_ms), bucket_region: b.region })
                .collect(),
        },
        continuation_token: token,
        prefix: ctx.param("prefix").map(str::to_owned),
    };
    Ok(xml(x::to_xml("ListAllMyBucketsResult", &result)?))
}

/// PUT /bucket — creates it. An optional body names the LocationConstraint, which must
/// be this server's region.
pub async fn create_bucket(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let name = ctx.bucket()?;
    let region = &ctx.state.config.server.region;
    let body = super::document::read(ctx, body, false).await?;
    let config: x::CreateBucketConfiguration = if body.iter().all(u8::is_ascii_whitespace) {
        x::CreateBucketConfiguration::default()
    } else {
        x::from_xml(&body, "CreateBucketConfiguration")?
    };
    if config.location.is_some() || config.bucket.is_some() || config.tags.is_some() {
        return Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "coffer does not support directory buckets or tags in CreateBucketConfiguration.",
        ));
    }
    if let Some(wanted) = config.location_constraint.filter(|c| !c.is_empty()) {
        if &wanted != region {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidLocationConstraint,
                format!("The specified location-constraint {wanted:?} is not valid; this server's region is {region:?}."),
            ));
        }
    }
    let account = ctx.account()?;
    let (ownership, acl) = super::acl::for_new_bucket(ctx, &ctx.owner()?.id)?;
    // Object Lock at creation turns versioning on for good, with no default retention.
    let lock = super::object_lock::requested_at_creation(ctx)?;
    let record = BucketRecord {
        created_ms: to_ms((ctx.state.clock)()),
        region: region.clone(),
        versioning: if lock { Versioning::Enabled } else { Versioning::Unversioned },
        owner: account.to_owned(),
    };
    let default_account = ctx.state.iam.default_account();
    let mut configs = crate::bucket_access::new_bucket_configs(ownership);
    if lock {
        configs.push((super::object_lock::LOCK_CONFIG, super::object_lock::encode(&crate::model::lock::LockConfig { default: None })));
    }
    if let Some(acl) = acl {
        configs.push((crate::bucket_access::names::ACL, crate::model::stored::encode(&acl)));
    }
    match ctx.state.store.create_bucket_with(name, record, configs).await {
        Ok(()) => ctx.state.access.invalidate(),
        Err(StoreError::BucketExists { owner }) if owner_account(&owner, &default_account) != account => {
            return Err(S3Error::new(S3ErrorCode::BucketAlreadyExists))
        }
        // S3's legacy behaviour in us-east-1: creating a bucket you own succeeds and
        // leaves it untouched; every other region answers BucketAlreadyOwnedByYou. Not
        // when it asks for Object Lock the bucket does not have: a 200 would let the
        // client believe its objects will be locked.
        Err(StoreError::BucketExists { .. }) if region == "us-east-1" && (!lock || super::object_lock::config(ctx, name)?.is_some()) => {}
        Err(e) => return Err(e.into()),
    }
    let mut r = empty(StatusCode::OK);
    headers::put(r.headers_mut(), "location", &format!("/{name}"));
    Ok(r)
}

/// HEAD /bucket — 200 if it exists (404 otherwise, with no body).
pub fn head_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket()?;
    let record = ctx.state.store.bucket(name)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let mut r = empty(StatusCode::OK);
    headers::put(r.headers_mut(), "x-amz-bucket-region", &record.region);
    Ok(r)
}

/// DELETE /bucket — only when empty.
pub async fn delete_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket()?;
    ctx.state.store.delete_bucket(name).await?;
    ctx.state.access.invalidate();
    Ok(empty(StatusCode::NO_CONTENT))
}

/// GET /bucket?location — empty for us-east-1, as S3 answers.
pub fn get_bucket_location(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket()?;
    let record = ctx.state.store.bucket(name)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let region = if record.region == "us-east-1" { String::new() } else { record.region };
    Ok(xml(x::to_xml("LocationConstraint", &x::LocationConstraint { xmlns: NS, region })?))
}

/// PUT /bucket?versioning — Enabled or Suspended. MFA Delete is not supported.
pub async fn put_bucket_versioning(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let name = ctx.existing_bucket()?;
    let raw = super::document::read(ctx, body, true).await?;
    let config: x::VersioningConfigurationIn = x::from_xml(&raw, "VersioningConfiguration")?;
    if config.mfa_delete.as_deref().is_some_and(|m| m == "Enabled") {
        return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "MFA Delete is not supported by coffer."));
    }
    let state = match config.status.as_deref() {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "VersioningConfiguration Status must be Enabled or Suspended.")),
    };
    super::object_lock::check_versioning_change(ctx, name, state)?;
    ctx.state.store.set_versioning(name, state).await?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?versioning — the bucket's versioning state.
pub fn get_bucket_versioning(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket()?;
    let record = ctx.state.store.bucket(name)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let status = match record.versioning {
        Versioning::Unversioned => None,
        Versioning::Enabled => Some("Enabled"),
        Versioning::Suspended => Some("Suspended"),
    };
    Ok(xml(x::to_xml("VersioningConfiguration", &x::VersioningConfiguration { xmlns: NS, status })?))
}
