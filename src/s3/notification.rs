//! Put/GetBucketNotificationConfiguration. Rules are validated against the destinations
//! declared in config.toml; the store then records an outbox event for each matching
//! change, delivered by `worker::delivery`.

use hyper::StatusCode;

use super::body::RequestBody;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::to_ms;
use super::Response;
use crate::model::event::{Cause, OutboxEntry};
use crate::model::notification::{parse, NotificationError, DOCUMENT};
use crate::model::stored;
use crate::store::NOTIFICATION_RULES;

/// PUT /bucket?notification. An empty configuration removes every rule. Each
/// destination gets an `s3:TestEvent`, as S3 sends.
pub async fn put_notification(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = super::document::read(ctx, body, false).await?;
    let notify = ctx.state.reload.notify(&ctx.state.config);
    let known: Vec<String> = notify.destinations().map_err(S3Error::internal)?.into_iter().map(|(arn, _)| arn).collect();
    let rules = parse(&raw, &known).map_err(|e| match e {
        NotificationError::Malformed(m) => S3Error::with_message(S3ErrorCode::MalformedXML, m),
        NotificationError::Invalid(m) => S3Error::with_message(S3ErrorCode::InvalidArgument, m),
    })?;
    let store = &ctx.state.store;
    if rules.is_empty() {
        ctx.set_bucket_config(bucket, NOTIFICATION_RULES, None).await?;
        ctx.set_bucket_config(bucket, DOCUMENT, None).await?;
        return Ok(empty(StatusCode::OK));
    }
    ctx.set_bucket_config(bucket, NOTIFICATION_RULES, Some(stored::encode(&rules))).await?;
    ctx.set_bucket_config(bucket, DOCUMENT, Some(raw.to_vec())).await?;
    let mut arns: Vec<&str> = rules.iter().map(|r| r.arn.as_str()).collect();
    arns.sort_unstable();
    arns.dedup();
    let now = to_ms((ctx.state.clock)());
    let cause: Cause = ctx.cause(crate::model::event::CauseKind::Put);
    for arn in arns {
        let test = OutboxEntry {
            arn: arn.to_owned(),
            config_id: String::new(),
            event_name: "s3:TestEvent".to_owned(),
            bucket: bucket.to_owned(),
            key: String::new(),
            size: 0,
            etag: String::new(),
            version_id: None,
            sequencer: 0,
            time_ms: now,
            cause: cause.clone(),
        };
        store.enqueue_event(&test).await?;
    }
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?notification — the configuration as stored, or an empty one.
pub fn get_notification(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let body = match ctx.state.store.bucket_config(bucket, DOCUMENT)? {
        Some(raw) => String::from_utf8(raw).map_err(S3Error::internal)?,
        None => format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NotificationConfiguration xmlns=\"{}\"/>", super::xml::NS),
    };
    Ok(xml(body))
}
