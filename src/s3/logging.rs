//! Server access logging configuration: PutBucketLogging and GetBucketLogging. The
//! document and the record format are `crate::model::logging`; recording requests and
//! delivering log objects is `crate::access_log`.
//!
//! As S3: the target bucket must exist and belong to the same account as the logged
//! bucket (`InvalidTargetBucketForLogging`), may not have Object Lock (log objects could
//! never be removed), and takes TargetGrants only while its ACLs are enabled
//! (`AccessControlListNotSupported`). Logging to the logged bucket itself is allowed.

use hyper::StatusCode;

use super::body::RequestBody;
use super::bucket_access::existing;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::{access, document, Response};
use crate::model::logging::{self, BucketLoggingStatus, LoggingError};

fn invalid_target(target: &str, message: &str) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::InvalidTargetBucketForLogging, message);
    e.elements.push(("TargetBucket", target.to_owned()));
    e
}

/// PUT /bucket?logging — an empty `<BucketLoggingStatus/>` turns logging off.
pub async fn put_logging(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    let raw = document::read(ctx, body, false).await?;
    let status = logging::parse_submitted(&raw).map_err(|e| match e {
        LoggingError::Malformed(m) => S3Error::with_message(S3ErrorCode::MalformedXML, m),
        LoggingError::Invalid(m) => S3Error::with_message(S3ErrorCode::InvalidArgument, m),
    })?;
    let Some(enabled) = &status.enabled else {
        ctx.state.access.set(&ctx.state.store, bucket, &access, logging::DOCUMENT, None).await?;
        return Ok(empty(StatusCode::OK));
    };
    let target = enabled.target_bucket.as_str();
    let Some(target_access) = access::bucket_access(ctx, target)? else {
        return Err(invalid_target(target, "The target bucket for logging does not exist"));
    };
    if target_access.owner != access.owner {
        return Err(invalid_target(target, "The owner for the bucket to be logged and the target bucket must be the same."));
    }
    if ctx.state.store.bucket_config(target, crate::store::OBJECT_LOCK_CONFIG)?.is_some() {
        return Err(invalid_target(target, "The target bucket for logging has Object Lock enabled: log objects are not delivered to it."));
    }
    if enabled.target_grants.as_ref().is_some_and(|g| !g.grants.is_empty()) && !target_access.acls_enabled() {
        return Err(S3Error::with_message(
            S3ErrorCode::AccessControlListNotSupported,
            "Target grants not allowed for bucket owner enforced buckets",
        ));
    }
    ctx.state.access.set(&ctx.state.store, bucket, &access, logging::DOCUMENT, Some(raw.to_vec())).await?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?logging — the status; an empty `<BucketLoggingStatus/>` when off.
pub fn get_logging(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    let status = BucketLoggingStatus { enabled: access.logging.clone() };
    Ok(xml(super::xml::to_xml("BucketLoggingStatus", &status)?))
}

/// The service log delivery acts as, in bucket policies.
pub const LOGGING_SERVICE: &str = "logging.s3.amazonaws.com";

/// Why a log object was not delivered.
#[derive(Debug)]
pub enum DeliveryError {
    /// It never will be: the target bucket is gone, or its policy denies the logging
    /// service. The records are dropped.
    Refused(String),
    /// It may later (a full disk, a quota): the records are kept and retried.
    Failed(String),
}

/// Stores one log object in `bucket` as the logging service: a PutObject of
/// `text/plain` bytes, SSE-S3 encrypted, owned by the bucket owner, with `grants` as
/// `x-amz-grant-*` headers, after checking that the bucket's policy does not deny the
/// service (`aws:SourceAccount` / `aws:SourceArn` name the logged bucket).
pub async fn deliver_object(
    state: &super::AppState,
    bucket: &str,
    key: &str,
    body: bytes::Bytes,
    grants: &[(String, String)],
    (source_account, source_bucket): (&str, &str),
) -> Result<(), DeliveryError> {
    let Ok(Some(access)) = state.access.get(&state.store, &state.iam.directory(), bucket) else {
        return Err(DeliveryError::Refused(format!("target bucket {bucket} does not exist")));
    };
    // Checked again at every delivery: a target deleted and created again by another
    // account must never receive this account's records.
    if access.owner != source_account {
        return Err(DeliveryError::Refused(format!("target bucket {bucket} now belongs to another account")));
    }
    if let Some(policy) = &access.policy {
        let service = crate::iam::policy::PrincipalInfo { service: Some(LOGGING_SERVICE.to_owned()), ..Default::default() };
        let mut context = crate::iam::policy::Context::new();
        context.insert("aws:SourceAccount", source_account);
        context.insert("aws:SourceArn", format!("arn:aws:s3:::{source_bucket}"));
        let resource = format!("arn:aws:s3:::{bucket}/{key}");
        let request =
            crate::iam::policy::Request { action: "s3:PutObject", resource: &resource, principal: Some(&service), context: &context };
        if policy.policy.evaluate(&request) == crate::iam::policy::Outcome::ExplicitDeny {
            return Err(DeliveryError::Refused(format!("the bucket policy of {bucket} denies {LOGGING_SERVICE}")));
        }
    }
    let path = format!("/{bucket}/{}", super::headers::encode_component(key));
    let mut head = hyper::Request::builder()
        .method(hyper::Method::PUT)
        .uri(path)
        .header("content-type", "text/plain")
        .header("content-length", body.len().to_string())
        .header("x-amz-server-side-encryption", "AES256");
    for (name, value) in grants {
        head = head.header(name.as_str(), value.as_str());
    }
    let (parts, ()) = head.body(()).map_err(|e| DeliveryError::Refused(e.to_string()))?.into_parts();
    let route = super::router::Route {
        endpoint: super::router::Endpoint::PutObject,
        bucket: Some(bucket.to_owned()),
        key: Some(key.to_owned()),
        virtual_host: false,
    };
    let auth = crate::auth::Authenticated::anonymous();
    let ctx = Ctx {
        state,
        parts: &parts,
        query: &[],
        route: &route,
        auth: &auth,
        principal: None,
        request_id: "access-log-delivery",
        peer: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        secure: true,
        authorized_bucket: std::sync::OnceLock::new(),
    };
    let declared = Some(body.len() as u64);
    let stream = futures_util::stream::once(async move { Ok::<_, S3Error>(body) });
    let body = RequestBody::from_parts(Box::pin(stream));
    let source = super::object_put::Source { declared, min_size: 0, max_size: None, kind: crate::model::event::CauseKind::Put };
    match super::object_put::store_object(&ctx, body, source).await {
        Ok(_) => Ok(()),
        Err(e) if e.code == S3ErrorCode::NoSuchBucket => Err(DeliveryError::Refused(format!("target bucket {bucket} does not exist"))),
        Err(e) => Err(DeliveryError::Failed(format!("{}: {}", e.code.as_str(), e.message))),
    }
}
