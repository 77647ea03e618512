//! Put/Get/DeleteBucketWebsite: a bucket's static website configuration. The website
//! endpoint that serves it is `crate::website`; the rules are `crate::model::website`.

use hyper::StatusCode;

use super::body::RequestBody;
use super::bucket_access::existing;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::{document, Response};
use crate::model::website::{self, WebsiteError};

/// PUT /bucket?website — validated as S3 does, then stored as sent.
pub async fn put_website(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    let raw = document::read(ctx, body, false).await?;
    website::parse_submitted(&raw).map_err(|e| match e {
        WebsiteError::Malformed(m) => S3Error::with_message(S3ErrorCode::MalformedXML, m),
        WebsiteError::InvalidArgument(m) => S3Error::with_message(S3ErrorCode::InvalidArgument, m),
    })?;
    ctx.state.access.set(&ctx.state.store, bucket, &access, website::DOCUMENT, Some(raw.to_vec())).await?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?website — the configuration; NoSuchWebsiteConfiguration when none.
pub fn get_website(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    let config = access.website.as_ref().ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchWebsiteConfiguration))?;
    Ok(xml(super::xml::to_xml("WebsiteConfiguration", config)?))
}

/// DELETE /bucket?website.
pub async fn delete_website(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    ctx.state.access.set(&ctx.state.store, bucket, &access, website::DOCUMENT, None).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
