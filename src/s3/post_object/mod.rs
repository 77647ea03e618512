//! POST Object: a browser uploads a file straight to a bucket with an HTML form
//! (`multipart/form-data` to `POST /bucket`). The form authenticates itself (a signed
//! policy document, `auth::authenticate_post`), its policy binds every other field
//! (`policy`), and the file streams into the store like a PutObject body, never held
//! whole (`form`). Its fields become the headers of the equivalent PutObject, so that
//! authorization, ACLs, tags, metadata, encryption and Object Lock are decided by the
//! same code as for PutObject.

pub(super) mod form;
pub(super) mod policy;

use std::sync::Arc;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use tokio::sync::Mutex;

use super::body::RequestBody;
use super::dispatch::{admissible, empty, Ctx, DRAIN_LIMIT};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::object_put::{store_object, Source};
use super::router::Route;
use super::{headers, Response};
use crate::model::event::CauseKind;
use form::FormReader;
use policy::{Policy, PolicyError};

/// Form fields that are protocol, not object headers (`x-amz-date` is kept: it dates
/// the signature, for `s3:signatureAge`).
const NOT_HEADERS: [&str; 5] = ["x-amz-algorithm", "x-amz-credential", "x-amz-signature", "x-amz-security-token", "x-amz-content-sha256"];

/// Headers of the browser's request itself that the equivalent PutObject keeps: what
/// policy conditions read of the caller (`aws:Referer`, `aws:UserAgent`), its origin,
/// and its length (an upper bound of the file's, for the disk reserve).
const REQUEST_HEADERS: [&str; 5] = ["host", "referer", "user-agent", "origin", "content-length"];

/// Form fields copied to the equivalent PutObject's headers as they are.
const CONTENT_FIELDS: [&str; 7] =
    ["cache-control", "content-type", "content-disposition", "content-encoding", "content-language", "expires", "content-md5"];

/// POST /bucket with a `multipart/form-data` body.
pub async fn post_object(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.bucket()?.to_owned();
    let boundary = form::boundary(ctx.header("content-type").unwrap_or_default()).unwrap_or_default();
    // A form refused before its file is read is drained first: a browser still sending
    // it gets the answer, not a reset connection.
    let mut reader = FormReader::new(body, &boundary);
    let form = match read_form(ctx, &bucket, &boundary, &mut reader).await {
        Ok(form) => form,
        Err(e) => {
            reader.drain(DRAIN_LIMIT).await;
            return Err(e);
        }
    };
    let Form { fields, key, auth, principal, range, parts } = form;
    let route = Route { endpoint: ctx.route.endpoint, bucket: Some(bucket.clone()), key: Some(key), virtual_host: ctx.route.virtual_host };
    let post = Ctx {
        state: ctx.state,
        parts: &parts,
        // The form is the request: none of the URL's query parameters (a `versionId`,
        // an `X-Amz-Date`) may speak for it in authorization.
        query: &[],
        route: &route,
        auth: &auth,
        principal: principal.as_deref(),
        request_id: ctx.request_id,
        peer: ctx.peer,
        secure: ctx.secure,
        authorized_bucket: std::sync::OnceLock::new(),
    };
    let reader = Arc::new(Mutex::new(reader));
    let mut file_body = file_stream(Arc::clone(&reader));
    admissible(&post, &mut file_body).await?;
    let (min_size, max_size) = range.map_or((0, None), |(min, max)| (min, Some(max)));
    let stored = match store_object(&post, file_body, Source { declared: None, min_size, max_size, kind: CauseKind::Post }).await {
        Ok(stored) => stored,
        Err(e) => {
            // Refused part-way through the file (too large, a bad digest, a full disk):
            // the rest of the upload is read and dropped before the answer.
            reader.lock().await.drain(DRAIN_LIMIT).await;
            return Err(if e.code == S3ErrorCode::EntityTooLarge && max_size.is_some() { too_large(max_size) } else { e });
        }
    };
    let mut r = respond(&post, &fields, &stored)?;
    // The request log and the connection policy see who signed the form.
    r.extensions_mut().insert(super::dispatch::Principal(principal.map(|p| p.arn.clone())));
    Ok(r)
}

/// A form read and checked up to its file: its fields, the key it names, who signed it,
/// and the file size its policy allows.
struct Form {
    fields: form::Fields,
    key: String,
    auth: crate::auth::Authenticated,
    principal: Option<std::sync::Arc<crate::iam::Principal>>,
    range: Option<(u64, u64)>,
    /// The head of the PutObject it amounts to.
    parts: hyper::http::request::Parts,
}

/// Reads the fields, authenticates the form and checks it against its policy.
async fn read_form(ctx: &Ctx<'_>, bucket: &str, boundary: &str, reader: &mut FormReader) -> S3Result<Form> {
    if boundary.is_empty() {
        let mut e = S3Error::with_message(S3ErrorCode::PreconditionFailed, "Bucket POST must be of the enclosure-type multipart/form-data");
        e.elements.push(("Condition", "Bucket POST must be of the enclosure-type multipart/form-data".to_owned()));
        return Err(e);
    }
    let (fields, file) = reader.read_fields().await?;
    let field = |name: &str| fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let state = ctx.state;
    let now = (state.clock)();
    let auth = crate::auth::authenticate_post(&field, state.iam.as_ref(), &state.config.server.region, now)?;
    let principal = crate::iam::principal_of(auth.identity.as_ref());
    if let Some(p) = &principal {
        crate::iam::Iam::record_use(p, "s3", now);
    }
    let key = field("key").ok_or_else(|| {
        let mut e = S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        );
        e.elements.push(("ArgumentName", "key".to_owned()));
        e
    })?;
    let key = key.replace("${filename}", &file.filename);
    if key.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "User key must have a length greater than 0."));
    }
    let range = match field("policy") {
        Some(text) => {
            let policy = Policy::parse(&text).map_err(policy_error)?;
            // Conditions see the key as sent (with `${filename}`), as S3's do.
            policy.check(&fields, bucket, now).map_err(policy_error)?;
            policy.length_range()
        }
        None => None,
    };
    let parts = as_put_request(ctx, &fields)?;
    Ok(Form { fields, key, auth, principal, range, parts })
}

fn policy_error(e: PolicyError) -> S3Error {
    match e {
        PolicyError::Invalid(m) => S3Error::with_message(S3ErrorCode::InvalidPolicyDocument, m),
        PolicyError::Denied(m) => S3Error::with_message(S3ErrorCode::AccessDenied, m),
    }
}

fn too_large(max: Option<u64>) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::EntityTooLarge, "Your proposed upload exceeds the maximum allowed size");
    if let Some(max) = max {
        e.elements.push(("MaxSizeAllowed", max.to_string()));
    }
    e
}

/// The request head of the PutObject the form amounts to: its fields as headers.
fn as_put_request(ctx: &Ctx<'_>, fields: &[(String, String)]) -> S3Result<hyper::http::request::Parts> {
    let (mut parts, ()) =
        hyper::Request::builder().method(Method::POST).uri(ctx.parts.uri.clone()).body(()).map_err(S3Error::internal)?.into_parts();
    parts.extensions = ctx.parts.extensions.clone();
    let h = &mut parts.headers;
    for name in REQUEST_HEADERS {
        if let Some(value) = ctx.parts.headers.get(name) {
            h.insert(name, value.clone());
        }
    }
    for (name, value) in fields {
        let header = match name.as_str() {
            "acl" => "x-amz-acl".to_owned(),
            "tagging" => {
                let tags = super::tagging::form_field_as_header(value)?;
                h.insert("x-amz-tagging", HeaderValue::from_str(&tags).map_err(|_| S3Error::new(S3ErrorCode::InvalidTag))?);
                continue;
            }
            n if CONTENT_FIELDS.contains(&n) => n.to_owned(),
            n if n.starts_with("x-amz-") && !NOT_HEADERS.contains(&n) => n.to_owned(),
            _ => continue,
        };
        let invalid =
            || S3Error::with_message(S3ErrorCode::InvalidArgument, format!("The form field {name} has a value no header can carry."));
        let header = HeaderName::from_bytes(header.as_bytes()).map_err(|_| invalid())?;
        // Metadata values may be UTF-8, as in S3 (stored as sent); other headers are
        // visible ASCII, or they would be dropped unread.
        let value = if header.as_str().starts_with("x-amz-meta-") {
            HeaderValue::from_bytes(value.as_bytes())
        } else {
            HeaderValue::from_str(value)
        };
        h.insert(header, value.map_err(|_| invalid())?);
    }
    Ok(parts)
}

/// The file part as a request body.
/// The reader stays shared with the handler, which drains what is left of the body
/// when storing fails part-way.
fn file_stream(reader: Arc<Mutex<FormReader>>) -> RequestBody {
    let stream = futures_util::stream::unfold(reader, |reader| async move {
        let chunk = reader.lock().await.next_file_chunk().await;
        chunk.map(|c| (c, reader))
    });
    RequestBody::from_parts(Box::pin(stream))
}

/// S3's answer to a form: a 303 to `success_action_redirect` (with bucket, key and ETag),
/// else `success_action_status` 200, 201 (with a PostResponse document) or 204.
fn respond(ctx: &Ctx<'_>, fields: &[(String, String)], stored: &super::object_put::Stored) -> S3Result<Response> {
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let etag = stored.version.quoted_etag();
    let host = ctx.header("host").unwrap_or("localhost");
    let scheme = if ctx.secure { "https" } else { "http" };
    let object_path = crate::model::website::encode_path(&stored.key);
    let location = if ctx.route.virtual_host {
        format!("{scheme}://{host}/{object_path}")
    } else {
        format!("{scheme}://{host}/{}/{object_path}", stored.bucket)
    };
    let redirect = field("success_action_redirect")
        .or_else(|| field("redirect"))
        .filter(|r| r.parse::<hyper::Uri>().is_ok_and(|u| u.scheme().is_some()));
    let mut r = if let Some(target) = redirect {
        let enc = headers::encode_component;
        let sep = if target.contains('?') { '&' } else { '?' };
        let to = format!("{target}{sep}bucket={}&key={}&etag={}", enc(&stored.bucket), enc(&stored.key), enc(&etag));
        let mut r = empty(StatusCode::SEE_OTHER);
        headers::put(r.headers_mut(), "location", &to);
        r
    } else {
        match field("success_action_status") {
            Some("200") => empty(StatusCode::OK),
            Some("201") => {
                let doc =
                    PostResponse { location: location.clone(), bucket: stored.bucket.clone(), key: stored.key.clone(), etag: etag.clone() };
                let mut r = super::dispatch::xml(super::xml::to_xml("PostResponse", &doc)?);
                *r.status_mut() = StatusCode::CREATED;
                r
            }
            _ => empty(StatusCode::NO_CONTENT),
        }
    };
    stored.headers(ctx, r.headers_mut());
    if !r.headers().contains_key("location") {
        headers::put(r.headers_mut(), "location", &location);
    }
    Ok(r)
}

/// `<PostResponse>`.
#[derive(serde::Serialize)]
struct PostResponse {
    #[serde(rename = "Location")]
    location: String,
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "ETag")]
    etag: String,
}
