//! Tagging: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging, and the
//! `x-amz-tagging` header of PutObject, CopyObject and CreateMultipartUpload.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};

use super::body::RequestBody;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, to_ms};
use super::object_get::find_version;
use super::xml::{self as x, NS};
use super::Response;
use crate::model::event::CauseKind;
use crate::model::object::NULL_VERSION;
use crate::model::stored;
use crate::model::tags::{validate, MAX_BUCKET_TAGS, MAX_OBJECT_TAGS};

/// The bucket configuration document holding bucket tags.
const BUCKET_TAGS: &str = "tagging";

/// `<Tagging>` (request and response).
#[derive(Serialize, Deserialize)]
pub(super) struct Tagging {
    #[serde(rename = "@xmlns", default, skip_deserializing)]
    xmlns: &'static str,
    #[serde(rename = "TagSet")]
    tag_set: TagSet,
}

#[derive(Serialize, Deserialize, Default)]
struct TagSet {
    #[serde(rename = "Tag", default)]
    tags: Vec<Tag>,
}

#[derive(Serialize, Deserialize)]
struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: String,
}

fn invalid(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidTag, message)
}

/// Parses and validates a `<Tagging>` body.
/// `digest_required`: S3 requires Content-MD5 (or a checksum) on PutBucketTagging.
async fn read_tags(ctx: &Ctx<'_>, body: RequestBody, max: usize, digest_required: bool) -> S3Result<Vec<(String, String)>> {
    let raw = super::document::read(ctx, body, digest_required).await?;
    let doc: Tagging = x::from_xml(&raw, "Tagging")?;
    let tags: Vec<(String, String)> = doc.tag_set.tags.into_iter().map(|t| (t.key, t.value)).collect();
    validate(&tags, max).map_err(invalid)?;
    Ok(tags)
}

fn tagging_xml(tags: &[(String, String)]) -> S3Result<Response> {
    let doc = Tagging { xmlns: NS, tag_set: TagSet { tags: tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect() } };
    Ok(xml(x::to_xml("Tagging", &doc)?))
}

/// The `tagging` field of a browser form (a `<Tagging>` document) as the
/// `x-amz-tagging` header that says the same (URL query form).
pub(super) fn form_field_as_header(document: &str) -> S3Result<String> {
    let doc: Tagging = x::from_xml(document.as_bytes(), "Tagging")?;
    let enc = headers::encode_component;
    Ok(doc.tag_set.tags.iter().map(|t| format!("{}={}", enc(&t.key), enc(&t.value))).collect::<Vec<_>>().join("&"))
}

/// The `x-amz-tagging` header (URL query form), validated; empty if absent.
pub fn header_tags(ctx: &Ctx<'_>) -> S3Result<Vec<(String, String)>> {
    let Some(raw) = ctx.header("x-amz-tagging") else { return Ok(Vec::new()) };
    let tags =
        parse_tag_header(raw).ok_or_else(|| invalid("The x-amz-tagging header is not a valid URL-encoded query string.".to_owned()))?;
    validate(&tags, MAX_OBJECT_TAGS).map_err(invalid)?;
    Ok(tags)
}

/// Parses `k1=v1&k2=v2` strictly: every `%` starts a two-digit escape and the result is
/// UTF-8 (`+` is a space, as in any query string); `None` otherwise.
fn parse_tag_header(raw: &str) -> Option<Vec<(String, String)>> {
    let decode = |s: &str| -> Option<String> {
        let b = s.as_bytes();
        let well_formed = b.iter().enumerate().all(|(i, c)| {
            *c != b'%' || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        });
        let spaced = s.replace('+', " ");
        well_formed.then(|| percent_encoding::percent_decode_str(&spaced).decode_utf8().ok().map(std::borrow::Cow::into_owned))?
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn with_version(mut r: Response, id: &str) -> Response {
    if id != NULL_VERSION {
        headers::put(r.headers_mut(), "x-amz-version-id", id);
    }
    r
}

/// PUT /bucket/key?tagging.
pub async fn put_object_tagging(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let tags = read_tags(ctx, body, MAX_OBJECT_TAGS, false).await?;
    let id = ctx
        .state
        .store
        .set_tags(bucket, key, ctx.param("versionId"), tags, &ctx.cause(CauseKind::TaggingPut), to_ms((ctx.state.clock)()))
        .await?;
    Ok(with_version(empty(StatusCode::OK), &id))
}

/// GET /bucket/key?tagging.
pub fn get_object_tagging(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let version = find_version(ctx, bucket, key)?;
    Ok(with_version(tagging_xml(&version.tags)?, &version.version_id))
}

/// DELETE /bucket/key?tagging.
pub async fn delete_object_tagging(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let id = ctx
        .state
        .store
        .set_tags(bucket, key, ctx.param("versionId"), Vec::new(), &ctx.cause(CauseKind::TaggingDelete), to_ms((ctx.state.clock)()))
        .await?;
    Ok(with_version(empty(StatusCode::NO_CONTENT), &id))
}

/// PUT /bucket?tagging.
pub async fn put_bucket_tagging(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let tags = read_tags(ctx, body, MAX_BUCKET_TAGS, true).await?;
    ctx.set_bucket_config(bucket, BUCKET_TAGS, Some(stored::encode(&tags))).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// GET /bucket?tagging — NoSuchTagSet when none is set.
pub fn get_bucket_tagging(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = ctx.state.store.bucket_config(bucket, BUCKET_TAGS)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchTagSet))?;
    let tags: Vec<(String, String)> = stored::decode(&raw).map_err(S3Error::internal)?;
    tagging_xml(&tags)
}

/// DELETE /bucket?tagging.
pub async fn delete_bucket_tagging(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    ctx.set_bucket_config(bucket, BUCKET_TAGS, None).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::parse_tag_header;

    #[test]
    fn tag_header_is_parsed_strictly() {
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
        assert_eq!(parse_tag_header("a=1&b%20c=d+e"), Some(pairs(&[("a", "1"), ("b c", "d e")])));
        assert_eq!(parse_tag_header("k="), Some(pairs(&[("k", "")])));
        assert_eq!(parse_tag_header("%zz=1"), None);
        assert_eq!(parse_tag_header("a=%4"), None);
        assert_eq!(parse_tag_header("a=%ff"), None, "not UTF-8");
    }
}
