//! A request's path through the S3 layer, top to bottom: parse the query, route,
//! authenticate, wrap the body, dispatch to the operation's handler, and turn any error
//! into S3's XML error response.

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};

use super::body::RequestBody;
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::router::{self, Endpoint, Route, RouteInput};
use super::{
    access, acl, attributes, bucket, bucket_access, copy, cors, delete, encryption, headers, lifecycle, list, logging, multipart,
    multipart_complete, notification, object_get, object_lock, object_put, post_object, protection, stats, tagging, versions, website,
    AppState, Response,
};
use crate::auth::{self, Authenticated};
use crate::model::bucket::validate_name;
use crate::model::event::{Cause, CauseKind};

/// The longest object key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// What a handler sees of one request: the routed operation, its head, and the caller.
pub struct Ctx<'a> {
    /// Shared server state.
    pub state: &'a AppState,
    /// The request head (method, URI, headers).
    pub parts: &'a Parts,
    /// Decoded query parameters.
    pub query: &'a [(String, String)],
    /// The routed operation.
    pub route: &'a Route,
    /// The authenticated caller.
    pub auth: &'a Authenticated,
    /// Who the caller is (account, ARN, policies); `None` for an anonymous request.
    pub principal: Option<&'a crate::iam::Principal>,
    /// This request's id.
    pub request_id: &'a str,
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure: bool,
    /// The creation time of the request's bucket as authorization saw it: a change to
    /// its settings is refused if the bucket was deleted and created again since.
    pub authorized_bucket: std::sync::OnceLock<i64>,
}

/// A request extension: the request came over TLS.
#[derive(Clone, Copy, Debug)]
pub struct SecureTransport;

impl Ctx<'_> {
    /// Request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        headers::get(&self.parts.headers, name)
    }

    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The bucket name, checked against S3's naming rules.
    pub fn bucket(&self) -> S3Result<&str> {
        let name = self.route.bucket.as_deref().ok_or_else(|| S3Error::new(S3ErrorCode::InvalidBucketName))?;
        validate_name(name).map_err(|why| S3Error::with_message(S3ErrorCode::InvalidBucketName, why))?;
        Ok(name)
    }

    /// Sets (`Some`) or removes (`None`) a configuration document of the request's
    /// bucket — the one authorization saw, not one created again since under its name.
    pub async fn set_bucket_config(&self, bucket: &str, name: &str, value: Option<Vec<u8>>) -> S3Result<()> {
        Ok(self.state.store.set_bucket_config_of(bucket, self.authorized_bucket.get().copied(), name, value).await?)
    }

    /// The bucket name, which must exist.
    pub fn existing_bucket(&self) -> S3Result<&str> {
        let name = self.bucket()?;
        self.state.store.bucket(name)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
        Ok(name)
    }

    /// The object key (at most 1024 bytes).
    pub fn key(&self) -> S3Result<&str> {
        let key = self.route.key.as_deref().unwrap_or_default();
        if key.len() > MAX_KEY_LEN {
            return Err(S3Error::with_message(
                S3ErrorCode::KeyTooLongError,
                format!("Your key is too long ({} > {MAX_KEY_LEN} bytes).", key.len()),
            ));
        }
        Ok(key)
    }

    /// A page-size parameter (`max-keys`, `max-parts`, `max-uploads`): default and cap
    /// 1000, as S3.
    pub fn page_size(&self, name: &str) -> S3Result<usize> {
        match self.param(name) {
            None => Ok(1000),
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).map(|n| usize::try_from(n).unwrap_or(1000).min(1000)).ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Provided {name} not an integer or within integer range"))
            }),
        }
    }

    /// `encoding-type=url`: keys in the response are URL-encoded.
    pub fn url_encoding(&self) -> S3Result<bool> {
        match self.param("encoding-type") {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("url") => Ok(true),
            Some(_) => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid Encoding Method specified in Request")),
        }
    }

    /// Who and why, for the events this request's changes publish.
    pub fn cause(&self, kind: CauseKind) -> Cause {
        // The caller's `aws:userid` (an account id for a root, AIDA... for a user,
        // AROA...:session for a role session), "Anonymous" for an unsigned request: never
        // its access key, which the bucket owner's event consumers have no use for.
        let principal = self.principal.map_or_else(|| "Anonymous".to_owned(), |p| p.user_id.clone());
        Cause { kind, request_id: self.request_id.to_owned(), source_ip: self.peer.ip().to_string(), principal }
    }

    /// The caller's account id (the owner of buckets it creates); AccessDenied for an
    /// anonymous request (authorization refuses those first where an account is needed).
    pub fn account(&self) -> S3Result<&str> {
        self.principal.map(|p| p.account.as_str()).ok_or_else(|| S3Error::new(S3ErrorCode::AccessDenied))
    }

    /// The `Owner` element of the caller's account: its canonical id and name.
    pub fn owner(&self) -> S3Result<super::xml::Owner> {
        let account = self.account()?;
        Ok(self.owner_element(account))
    }

    /// The `Owner` element of an account (by id): its canonical id and name.
    pub fn owner_element(&self, account: &str) -> super::xml::Owner {
        let dir = self.state.iam.directory();
        match dir.accounts.get(account) {
            Some(a) => super::xml::Owner { id: a.account.canonical_id.clone(), display_name: a.account.name.clone() },
            None => super::xml::Owner { id: account.to_owned(), display_name: account.to_owned() },
        }
    }

    /// The `Owner` element of a version of `bucket`: the account whose ACL it carries
    /// (another account's write under ObjectWriter), else the bucket owner.
    pub fn version_owner(&self, bucket_owner: &super::xml::Owner, version: &crate::model::ObjectVersion) -> super::xml::Owner {
        match &version.acl {
            Some(acl) if acl.owner != bucket_owner.id => self.owner_of_canonical(&acl.owner),
            _ => bucket_owner.clone(),
        }
    }

    /// The `Owner` element of the account owning `bucket`.
    pub fn bucket_owner_element(&self, bucket: &str) -> S3Result<super::xml::Owner> {
        let owner = super::access::bucket_owner(self, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
        Ok(self.owner_element(&owner))
    }

    /// The `Owner` element of a canonical user id.
    pub fn owner_of_canonical(&self, canonical_id: &str) -> super::xml::Owner {
        let dir = self.state.iam.directory();
        let name = dir.accounts.values().find(|a| a.account.canonical_id == canonical_id).map(|a| a.account.name.clone());
        super::xml::Owner { id: canonical_id.to_owned(), display_name: name.unwrap_or_default() }
    }
}

/// Handles one request; never fails (errors become S3 error responses).
/// The response carries a [`Principal`] extension: who the request was authenticated as.
pub async fn handle(state: &AppState, req: hyper::Request<Incoming>, request_id: &str, peer: SocketAddr) -> Response {
    let (parts, body) = req.into_parts();
    let mut principal = Principal(None);
    let mut seen = Seen::default();
    let mut response = match handle_request(state, &parts, body, request_id, peer, &mut principal, &mut seen).await {
        Ok(response) => response,
        Err(e) => error_response(&e, &parts, request_id),
    };
    let auth = seen.auth;
    let (bucket, key, endpoint) = seen.route.map_or((None, None, None), |r| (r.bucket, r.key, Some(r.endpoint)));
    let operation = endpoint.map_or_else(|| "Unrouted".to_owned(), operation_name);
    audit(state, &parts, peer, request_id, (&operation, bucket.as_deref(), key.as_deref()), &principal, &response);
    if let Some(bucket) = bucket.as_deref() {
        let draft =
            access_log_draft(state, &parts, (peer, request_id), (&operation, bucket, key.as_deref()), (&principal, auth), &response);
        if let Some(draft) = draft {
            response.extensions_mut().insert(draft);
        }
    }
    response.extensions_mut().insert(Operation(operation));
    // A browser's cross-origin request (not the preflight, answered from the rules
    // already) gets its CORS headers, success or not.
    if let (Some(bucket), Some(origin)) = (bucket, headers::get(&parts.headers, "origin")) {
        if parts.method != Method::OPTIONS {
            cors::decorate(state, &bucket, origin, &parts.method, &mut response);
        }
    }
    // A browser form sets who signed it (its fields, not the request's head, carry it).
    if response.extensions().get::<Principal>().is_none() {
        response.extensions_mut().insert(principal);
    }
    response
}

/// What handling learned of a request, for the logs.
#[derive(Default)]
struct Seen {
    /// Where it was routed.
    route: Option<Route>,
    /// How it authenticated.
    auth: Option<crate::auth::AuthMethod>,
}

/// The server access log record of a request to a bucket whose logging is on, all but
/// what only the response's end knows (bytes sent, total time): the front end completes
/// and queues it (`crate::server`).
fn access_log_draft(
    state: &AppState,
    parts: &Parts,
    (peer, request_id): (SocketAddr, &str),
    (operation, bucket, key): (&str, &str, Option<&str>),
    (principal, auth): (&Principal, Option<crate::auth::AuthMethod>),
    response: &Response,
) -> Option<crate::access_log::Draft> {
    use crate::auth::AuthMethod;
    let access = state.access.get(&state.store, &state.iam.directory(), bucket).ok()??;
    let target = access.logging.clone()?;
    let header = |name: &str| headers::get(&parts.headers, name).map(str::to_owned);
    let answered = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let query = parts.uri.query().map(crate::model::logging::loggable_query).filter(|q| !q.is_empty());
    let uri = match query {
        Some(q) => format!("{} {}?{q} HTTP/1.1", parts.method, parts.uri.path()),
        None => format!("{} {} HTTP/1.1", parts.method, parts.uri.path()),
    };
    let (signature_version, auth_type) = match auth {
        Some(AuthMethod::HeaderV4 | AuthMethod::PostPolicyV4) => (Some("SigV4"), Some("AuthHeader")),
        Some(AuthMethod::PresignedV4) => (Some("SigV4"), Some("QueryString")),
        Some(AuthMethod::HeaderV2 | AuthMethod::PostPolicyV2) => (Some("SigV2"), Some("AuthHeader")),
        Some(AuthMethod::PresignedV2) => (Some("SigV2"), Some("QueryString")),
        Some(AuthMethod::Anonymous) | None => (None, None),
    };
    // Only a request's own object is measured: a GET or HEAD answers its size, a write
    // sends it (a list or configuration request has none).
    let object_size = match operation {
        "GetObject" | "HeadObject" => answered("x-amz-object-size").or_else(|| answered("content-length")),
        "PutObject" | "UploadPart" => header("x-amz-decoded-content-length").or_else(|| header("content-length")),
        _ => None,
    };
    // A browser form names its signer on the response.
    let requester = response.extensions().get::<Principal>().unwrap_or(principal).0.clone();
    let record = crate::model::logging::AccessRecord {
        bucket_owner: access.owner_canonical.clone(),
        bucket: bucket.to_owned(),
        time_ms: headers::to_ms((state.clock)()),
        remote_ip: peer.ip().to_string(),
        requester,
        request_id: request_id.to_owned(),
        operation: crate::model::logging::operation(operation, parts.method.as_str()),
        key: key.filter(|k| !k.is_empty()).map(str::to_owned),
        request_uri: uri,
        status: response.status().as_u16(),
        error_code: response.extensions().get::<ErrorCode>().map(|c| c.0.to_owned()),
        object_size: object_size.and_then(|s| s.parse().ok()),
        referer: header("referer"),
        user_agent: header("user-agent"),
        version_id: answered("x-amz-version-id").or_else(|| query_value(parts, "versionId")),
        signature_version: signature_version.map(str::to_owned),
        auth_type: auth_type.map(str::to_owned),
        host_header: header("host"),
        ..crate::model::logging::AccessRecord::default()
    };
    Some(crate::access_log::Draft { target, record, source_account: access.owner.clone() })
}

/// A query parameter's (decoded) value.
fn query_value(parts: &Parts, name: &str) -> Option<String> {
    router::parse_query(parts.uri.query()).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Records the request in the audit trail if it changed what the audit trail covers, or
/// failed to authenticate (see `crate::audit`).
fn audit(
    state: &AppState,
    parts: &Parts,
    peer: SocketAddr,
    request_id: &str,
    (operation, bucket, key): (&str, Option<&str>, Option<&str>),
    principal: &Principal,
    response: &Response,
) {
    let error = response.extensions().get::<ErrorCode>().map(|c| c.0);
    if !(crate::audit::s3_event(operation) || error.is_some_and(crate::audit::is_authentication_failure)) {
        return;
    }
    // A browser form's signer is on the response (its fields carried the credentials).
    let arn = response.extensions().get::<Principal>().unwrap_or(principal).0.as_deref();
    let context = crate::audit::RequestContext::of(parts, peer, request_id);
    let parameters = crate::audit::s3_parameters(bucket, key);
    let status = response.status().as_u16();
    let region = &state.config.server.region;
    state.audit.record(context.record("s3.amazonaws.com", operation, region, arn, parameters, status, error));
}

/// Who a request was authenticated as (its principal's ARN), `None` when it was
/// anonymous or failed authentication. Set on every response, for the request log and for the
/// front end's connection policy (unauthenticated connections get the tightest limits).
#[derive(Clone, Debug)]
pub struct Principal(pub Option<String>);

/// The operation a request was routed to (its S3 name, e.g. `PutObject`), set on every
/// response for the request metrics.
#[derive(Clone, Debug)]
pub struct Operation(pub String);

/// The error code of an error response, set on it for the request metrics.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

/// An operation's name as metrics label it: the S3 operation name; operations coffer
/// does not implement are `NotImplemented`.
fn operation_name(endpoint: Endpoint) -> String {
    match endpoint {
        Endpoint::NotYet(_) => "NotImplemented".to_owned(),
        other => format!("{other:?}"),
    }
}

async fn handle_request(
    state: &AppState,
    parts: &Parts,
    body: Incoming,
    request_id: &str,
    peer: SocketAddr,
    principal: &mut Principal,
    seen: &mut Seen,
) -> S3Result<Response> {
    let query = router::parse_query(parts.uri.query());
    let route = router::route(&RouteInput {
        method: &parts.method,
        raw_path: parts.uri.path(),
        query: &query,
        host: headers::get(&parts.headers, "host"),
        domain: &state.config.server.domain,
        copy_source: parts.headers.contains_key("x-amz-copy-source"),
    })?;
    seen.route = Some(route.clone());
    let region = &state.config.server.region;
    let virtual_bucket = route.bucket.as_deref().filter(|_| route.virtual_host);
    let now = (state.clock)();
    // A CORS preflight is answered from the bucket's rules alone, as S3 does: a browser
    // sends it, without credentials, to the URL of the request it prepares, whose
    // presigned query parameters sign that request, not this one.
    let auth = if route.endpoint == Endpoint::Preflight {
        Authenticated::anonymous()
    } else {
        auth::authenticate_with(parts, state.iam.as_ref(), region, now, virtual_bucket).map_err(|e| {
            let mut e = S3Error::from(e);
            state.metrics.auth_failure(e.code.as_str());
            if e.code == S3ErrorCode::AuthorizationHeaderMalformed {
                e.elements.push(("Region", region.clone()));
            }
            e
        })?
    };
    seen.auth = Some(auth.method);
    // Anonymous requests go on: a bucket policy or an ACL may let them in.
    let caller = crate::iam::principal_of(auth.identity.as_ref());
    if let Some(caller) = &caller {
        principal.0 = Some(caller.arn.clone());
        crate::iam::Iam::record_use(caller, "s3", now);
    }
    let limits = &state.config.limits;
    let raw = super::body::paced(body, limits);
    let (decoded, trailers) = auth::decode_body(&auth, parts, raw)?;
    let declared = if auth.payload.is_chunked() {
        headers::get(&parts.headers, "x-amz-decoded-content-length")
    } else {
        headers::get(&parts.headers, "content-length")
    };
    let declared = declared.and_then(|v| v.trim().parse::<u64>().ok());
    let body = RequestBody::new(decoded, trailers).with_budget(state.buffers.clone(), declared);
    let ctx = Ctx {
        state,
        parts,
        query: &query,
        route: &route,
        auth: &auth,
        principal: caller.as_deref(),
        request_id,
        peer,
        secure: parts.extensions.get::<SecureTransport>().is_some(),
        authorized_bucket: std::sync::OnceLock::new(),
    };
    dispatch(&ctx, body).await
}

/// Refuses operations that store new data or configuration while the disk is down to
/// its reserve (507 InsufficientStorage). Reads, deletes, aborts and completions (which
/// add no bytes, and let a user finish or free what is stored) always pass.
fn admit(ctx: &Ctx<'_>) -> S3Result<()> {
    let adds = match ctx.route.endpoint {
        Endpoint::PutObject | Endpoint::PostObject | Endpoint::UploadPart | Endpoint::CopyObject | Endpoint::UploadPartCopy => {
            ctx.header("content-length").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        }
        Endpoint::CreateBucket
        | Endpoint::PutBucketVersioning
        | Endpoint::CreateMultipartUpload
        | Endpoint::PutObjectTagging
        | Endpoint::PutBucketTagging
        | Endpoint::PutBucketEncryption
        | Endpoint::PutObjectLockConfiguration
        | Endpoint::PutObjectRetention
        | Endpoint::PutObjectLegalHold
        | Endpoint::PutBucketLifecycleConfiguration
        | Endpoint::PutBucketNotificationConfiguration
        | Endpoint::PutBucketPolicy
        | Endpoint::PutBucketAcl
        | Endpoint::PutObjectAcl
        | Endpoint::PutBucketOwnershipControls
        | Endpoint::PutPublicAccessBlock
        | Endpoint::PutBucketCors
        | Endpoint::PutBucketWebsite
        | Endpoint::PutBucketLogging => 0,
        _ => return Ok(()),
    };
    // The tier the bytes go to, if the request names a class (parts and copies of an
    // upload or object of another class are checked against the data root alone).
    let class = ctx.header("x-amz-storage-class").unwrap_or(crate::store::MAIN_CLASS);
    ctx.state.store.admit_write(class, adds)?;
    admit_quota(ctx)
}

/// Refuses, before its body is read, a PutObject or UploadPart whose declared size would
/// take its bucket or account past a byte quota even after freeing all it can replace
/// (the null version it overwrites, the part it uploads again). The exact check, which
/// also counts objects, is made when the write commits.
fn admit_quota(ctx: &Ctx<'_>) -> S3Result<()> {
    let (Some(bucket), Some(key)) = (ctx.route.bucket.as_deref(), ctx.route.key.as_deref()) else { return Ok(()) };
    let streaming = ctx.header("x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"));
    let declared = match ctx.header("x-amz-decoded-content-length") {
        Some(v) => Some(v),
        None if streaming => None,
        None => ctx.header("content-length"),
    };
    let Some(incoming) = declared.and_then(|v| v.trim().parse::<u64>().ok()) else { return Ok(()) };
    let store = &ctx.state.store;
    let replaced = match ctx.route.endpoint {
        // The write replaces the key's null version (unversioned: the current one).
        Endpoint::PutObject => match store.bucket(bucket)?.map(|b| b.versioning) {
            Some(crate::model::Versioning::Unversioned) => store.current(bucket, key)?.filter(|v| !v.delete_marker).map_or(0, |v| v.size),
            Some(crate::model::Versioning::Suspended) => {
                store.version(bucket, key, crate::model::object::NULL_VERSION)?.filter(|v| !v.delete_marker).map_or(0, |v| v.size)
            }
            _ => 0,
        },
        Endpoint::UploadPart => {
            let (Some(id), Some(n)) = (ctx.param("uploadId"), ctx.param("partNumber").and_then(|n| n.parse::<u32>().ok())) else {
                return Ok(());
            };
            store.list_parts(id, n.saturating_sub(1), 1)?.first().filter(|p| p.part_number == n).map_or(0, |p| p.size)
        }
        _ => return Ok(()),
    };
    Ok(store.admit_quota(bucket, incoming, replaced)?)
}

/// Bodies up to this size are read and dropped before a refusal is answered, so that a
/// client still sending gets the error instead of a reset connection.
pub const DRAIN_LIMIT: u64 = 64 << 20;

/// The checks every operation passes before its handler: authorization, then what
/// coffer refuses of its own accord, then the disk reserve. On refusal the body (up to
/// [`DRAIN_LIMIT`]) is read and dropped first.
pub async fn admissible(ctx: &Ctx<'_>, body: &mut RequestBody) -> S3Result<()> {
    // Authorization first: a caller learns nothing of what coffer would refuse for
    // reasons of its own until it is allowed to ask.
    if let Err(refused) = access::authorize(ctx)
        .and_then(|()| protection::refuse_unoffered(ctx.headers()))
        .and_then(|()| encryption::refuse_misplaced(ctx))
        .and_then(|()| admit(ctx))
    {
        let mut drained = 0u64;
        while drained < DRAIN_LIMIT {
            match body.next().await {
                Some(Ok(chunk)) => drained += chunk.len() as u64,
                _ => break,
            }
        }
        return Err(refused);
    }
    Ok(())
}

async fn dispatch(ctx: &Ctx<'_>, mut body: RequestBody) -> S3Result<Response> {
    // A browser form is authenticated by its own fields and authorized for the key one
    // of them names: both are known only once the form is read (`post_object`).
    if ctx.route.endpoint == Endpoint::PostObject {
        return post_object::post_object(ctx, body).await;
    }
    admissible(ctx, &mut body).await?;
    match ctx.route.endpoint {
        Endpoint::ListBuckets => bucket::list_buckets(ctx),
        Endpoint::CreateBucket => bucket::create_bucket(ctx, body).await,
        Endpoint::HeadBucket => bucket::head_bucket(ctx),
        Endpoint::DeleteBucket => bucket::delete_bucket(ctx).await,
        Endpoint::GetBucketLocation => bucket::get_bucket_location(ctx),
        Endpoint::GetBucketVersioning => bucket::get_bucket_versioning(ctx),
        Endpoint::PutBucketVersioning => bucket::put_bucket_versioning(ctx, body).await,
        Endpoint::ListObjectVersions => versions::list_object_versions(ctx),
        Endpoint::ListObjects => list::list_objects_v1(ctx),
        Endpoint::ListObjectsV2 => list::list_objects_v2(ctx),
        Endpoint::DeleteObjects => delete::delete_objects(ctx, body).await,
        Endpoint::PutObject => object_put::put_object(ctx, body).await,
        Endpoint::CopyObject => copy::copy_object(ctx).await,
        Endpoint::GetObject => object_get::get_object(ctx, false),
        Endpoint::HeadObject => object_get::get_object(ctx, true),
        Endpoint::GetObjectAttributes => attributes::get_object_attributes(ctx),
        Endpoint::DeleteObject => delete::delete_object(ctx).await,
        Endpoint::CreateMultipartUpload => multipart::create_upload(ctx).await,
        Endpoint::UploadPart => multipart::upload_part(ctx, body).await,
        Endpoint::UploadPartCopy => multipart::upload_part_copy(ctx).await,
        Endpoint::CompleteMultipartUpload => multipart_complete::complete_upload(ctx, body).await,
        Endpoint::AbortMultipartUpload => multipart::abort_upload(ctx).await,
        Endpoint::ListParts => multipart::list_parts(ctx),
        Endpoint::ListMultipartUploads => multipart::list_uploads(ctx),
        Endpoint::PutObjectTagging => tagging::put_object_tagging(ctx, body).await,
        Endpoint::GetObjectTagging => tagging::get_object_tagging(ctx),
        Endpoint::DeleteObjectTagging => tagging::delete_object_tagging(ctx).await,
        Endpoint::PutBucketTagging => tagging::put_bucket_tagging(ctx, body).await,
        Endpoint::GetBucketTagging => tagging::get_bucket_tagging(ctx),
        Endpoint::DeleteBucketTagging => tagging::delete_bucket_tagging(ctx).await,
        Endpoint::PutObjectLockConfiguration => object_lock::put_configuration(ctx, body).await,
        Endpoint::GetObjectLockConfiguration => object_lock::get_configuration(ctx),
        Endpoint::PutObjectRetention => object_lock::put_retention(ctx, body).await,
        Endpoint::GetObjectRetention => object_lock::get_retention(ctx),
        Endpoint::PutObjectLegalHold => object_lock::put_legal_hold(ctx, body).await,
        Endpoint::GetObjectLegalHold => object_lock::get_legal_hold(ctx),
        Endpoint::PutBucketEncryption => encryption::put_bucket_encryption(ctx, body).await,
        Endpoint::GetBucketEncryption => encryption::get_bucket_encryption(ctx),
        Endpoint::DeleteBucketEncryption => encryption::delete_bucket_encryption(ctx).await,
        Endpoint::PutBucketLifecycleConfiguration => lifecycle::put_lifecycle(ctx, body).await,
        Endpoint::GetBucketLifecycleConfiguration => lifecycle::get_lifecycle(ctx),
        Endpoint::DeleteBucketLifecycle => lifecycle::delete_lifecycle(ctx).await,
        Endpoint::PutBucketNotificationConfiguration => notification::put_notification(ctx, body).await,
        Endpoint::GetBucketNotificationConfiguration => notification::get_notification(ctx),
        Endpoint::PutBucketPolicy => bucket_access::put_policy(ctx, body).await,
        Endpoint::GetBucketPolicy => bucket_access::get_policy(ctx),
        Endpoint::DeleteBucketPolicy => bucket_access::delete_policy(ctx).await,
        Endpoint::GetBucketPolicyStatus => bucket_access::get_policy_status(ctx),
        Endpoint::PutBucketOwnershipControls => bucket_access::put_ownership(ctx, body).await,
        Endpoint::GetBucketOwnershipControls => bucket_access::get_ownership(ctx),
        Endpoint::DeleteBucketOwnershipControls => bucket_access::delete_ownership(ctx).await,
        Endpoint::PutPublicAccessBlock => bucket_access::put_public_access_block(ctx, body).await,
        Endpoint::GetPublicAccessBlock => bucket_access::get_public_access_block(ctx),
        Endpoint::DeletePublicAccessBlock => bucket_access::delete_public_access_block(ctx).await,
        Endpoint::PutBucketAcl => acl::put_bucket_acl(ctx, body).await,
        Endpoint::GetBucketAcl => acl::get_bucket_acl(ctx),
        Endpoint::PutObjectAcl => acl::put_object_acl(ctx, body).await,
        Endpoint::GetObjectAcl => acl::get_object_acl(ctx),
        Endpoint::PutBucketCors => cors::put_cors(ctx, body).await,
        Endpoint::GetBucketCors => cors::get_cors(ctx),
        Endpoint::DeleteBucketCors => cors::delete_cors(ctx).await,
        Endpoint::Preflight => cors::preflight(ctx),
        Endpoint::PutBucketWebsite => website::put_website(ctx, body).await,
        Endpoint::GetBucketWebsite => website::get_website(ctx),
        Endpoint::PutBucketLogging => logging::put_logging(ctx, body).await,
        Endpoint::GetBucketLogging => logging::get_logging(ctx),
        Endpoint::DeleteBucketWebsite => website::delete_website(ctx).await,
        Endpoint::PostObject => Err(S3Error::with_message(S3ErrorCode::InternalError, "POST Object is dispatched before authorization")),
        Endpoint::Stats => stats::stats(ctx),
        Endpoint::NotYet(name) => {
            Err(S3Error::with_message(S3ErrorCode::NotImplemented, format!("{name} is not implemented by coffer yet")))
        }
    }
}

/// The XML error response (headers only for HEAD, as HTTP requires).
fn error_response(e: &S3Error, parts: &Parts, request_id: &str) -> Response {
    if e.code == S3ErrorCode::InternalError {
        tracing::warn!(request_id, "answered InternalError");
    }
    let body = if parts.method == Method::HEAD { String::new() } else { e.to_xml(parts.uri.path(), request_id) };
    let mut response = hyper::Response::new(Full::new(body.into()).map_err(|never| match never {}).boxed());
    *response.status_mut() = e.code.status();
    let h = response.headers_mut();
    if parts.method != Method::HEAD {
        headers::put(h, "content-type", "application/xml");
    }
    for (name, value) in &e.headers {
        headers::put(h, name, value);
    }
    response.extensions_mut().insert(ErrorCode(e.code.as_str()));
    response
}

/// A response with no body.
pub fn empty(status: StatusCode) -> Response {
    let mut r = hyper::Response::new(Full::new(bytes::Bytes::new()).map_err(|never| match never {}).boxed());
    *r.status_mut() = status;
    r
}

/// A 200 response with an XML body.
pub fn xml(body: String) -> Response {
    let mut r = hyper::Response::new(Full::new(bytes::Bytes::from(body)).map_err(|never| match never {}).boxed());
    headers::put(r.headers_mut(), "content-type", "application/xml");
    r
}

/// Whether the request is a HEAD.
pub fn is_head(ctx: &Ctx<'_>) -> bool {
    ctx.parts.method == Method::HEAD
}
