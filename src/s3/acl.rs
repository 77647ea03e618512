//! ACLs: Get/PutBucketAcl, Get/PutObjectAcl, and the owner and ACL a new bucket or
//! object gets from `x-amz-acl` / `x-amz-grant-*`, per the bucket's Object Ownership:
//! with BucketOwnerEnforced (the default) ACLs are disabled — only owner-only ACLs are
//! accepted and reads answer the owner's full control — otherwise they are stored and
//! take part in authorization (`super::access`). Block Public Access refuses public
//! ACLs (BlockPublicAcls) here.

use hyper::StatusCode;

use super::body::RequestBody;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::object_get::find_version;
use super::{access, document, headers, Response};
use crate::bucket_access::acl::{self, AclRequest, Canned, GranteeSpec};
use crate::bucket_access::settings::Ownership;
use crate::bucket_access::BucketAccess;
use crate::model::acl::{Acl, Permission};
use crate::model::event::CauseKind;
use crate::model::object::NULL_VERSION;

/// The ACL the request's headers ask for, if any.
fn from_headers(ctx: &Ctx<'_>) -> S3Result<Option<AclRequest>> {
    acl::from_headers(ctx.headers().iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))))
}

/// Whether a request leaves the owner alone in control (all S3 accepts when ACLs are
/// disabled).
fn owner_only(request: &AclRequest) -> bool {
    matches!(request, AclRequest::Canned(Canned::Private | Canned::BucketOwnerFullControl))
}

/// Turns a request into a stored ACL owned by `owner` (a canonical id).
fn resolve(ctx: &Ctx<'_>, request: AclRequest, owner: &str, bucket_owner: &str) -> S3Result<Acl> {
    let specs: Vec<(GranteeSpec, Permission)> = match request {
        AclRequest::Canned(c) => return Ok(c.acl(owner, bucket_owner)),
        AclRequest::Grants(specs) | AclRequest::Policy { grants: specs, .. } => specs,
    };
    let dir = ctx.state.iam.directory();
    let by_email = |email: &str| {
        dir.accounts
            .values()
            .find(|a| a.account.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
            .map(|a| a.account.canonical_id.clone())
    };
    let known = |id: &str| dir.accounts.values().any(|a| a.account.canonical_id == id);
    acl::resolve(specs, owner, &by_email, &known)
}

/// BlockPublicAcls: a public ACL is refused with 403 AccessDenied.
fn refuse_public(ctx: &Ctx<'_>, access: &BucketAccess, acl: &Acl) -> S3Result<()> {
    if acl.is_public() && ctx.state.public_block(access).block_public_acls {
        return Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "Access Denied: the ACL grants public access and Block Public Access (BlockPublicAcls) is on",
        ));
    }
    Ok(())
}

fn not_supported() -> S3Error {
    S3Error::new(S3ErrorCode::AccessControlListNotSupported)
}

/// The Object Ownership and ACL of a bucket being created: `x-amz-object-ownership`
/// (default BucketOwnerEnforced, as S3 since 2023) and `x-amz-acl`/`x-amz-grant-*`.
/// The ACL is `None` when it is the owner's full control alone. New buckets block public
/// access, so a public ACL is refused (403 AccessDenied).
pub fn for_new_bucket(ctx: &Ctx<'_>, owner_canonical: &str) -> S3Result<(Ownership, Option<Acl>)> {
    let ownership = match ctx.header("x-amz-object-ownership") {
        None => Ownership::BucketOwnerEnforced,
        Some(v) => Ownership::parse(v.trim())
            .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid x-amz-object-ownership header: {v}")))?,
    };
    let Some(request) = from_headers(ctx)? else { return Ok((ownership, None)) };
    if ownership == Ownership::BucketOwnerEnforced {
        if owner_only(&request) {
            return Ok((ownership, None));
        }
        return Err(S3Error::new(S3ErrorCode::InvalidBucketAclWithObjectOwnership));
    }
    let acl = resolve(ctx, request, owner_canonical, owner_canonical)?;
    if acl.is_public() {
        // A new bucket has every Block Public Access setting on.
        return Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "Access Denied: new buckets block public access; create the bucket, delete its public access block, then set the ACL",
        ));
    }
    Ok((ownership, (acl != Acl::owner_full_control(owner_canonical)).then_some(acl)))
}

/// The owner and ACL of an object being written to a bucket: `None` is the default
/// (the bucket owner, full control). The writer owns it under ObjectWriter, and under
/// BucketOwnerPreferred unless it gives the bucket owner full control.
pub fn for_new_object(ctx: &Ctx<'_>, access: &BucketAccess) -> S3Result<Option<Acl>> {
    let request = from_headers(ctx)?;
    if !access.acls_enabled() {
        return match request {
            Some(r) if !owner_only(&r) => Err(not_supported()),
            _ => Ok(None),
        };
    }
    let writer = ctx.principal.map(|p| p.info.canonical_id.as_str());
    let owner = match (access.ownership(), &request, writer) {
        (Ownership::BucketOwnerPreferred, Some(AclRequest::Canned(Canned::BucketOwnerFullControl)), _) | (_, _, None) => {
            access.owner_canonical.as_str()
        }
        (_, _, Some(w)) => w,
    };
    let acl = match request {
        None => Acl::owner_full_control(owner),
        Some(r) => resolve(ctx, r, owner, &access.owner_canonical)?,
    };
    refuse_public(ctx, access, &acl)?;
    Ok((acl != Acl::owner_full_control(&access.owner_canonical)).then_some(acl))
}

/// [`for_new_object`] in the bucket `bucket`.
pub fn for_new_object_in(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<Acl>> {
    let access = access::bucket_access(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    for_new_object(ctx, &access)
}

/// The ACL a PutBucketAcl / PutObjectAcl asks for: the AccessControlPolicy body, or
/// else the headers.
async fn requested(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<AclRequest> {
    let raw = document::read(ctx, body, false).await?;
    let from_headers = from_headers(ctx)?;
    match (raw.is_empty(), from_headers) {
        (false, Some(_)) => Err(S3Error::with_message(S3ErrorCode::UnexpectedContent, "This request does not support content")),
        (false, None) => acl::from_xml_body(&raw),
        (true, Some(r)) => Ok(r),
        (true, None) => {
            Err(S3Error::with_message(S3ErrorCode::MissingSecurityHeader, "Your request was missing a required header: x-amz-acl"))
        }
    }
}

fn render(ctx: &Ctx<'_>, acl: &Acl) -> S3Result<String> {
    let dir = ctx.state.iam.directory();
    let name = |id: &str| dir.accounts.values().find(|a| a.account.canonical_id == id).map(|a| a.account.name.clone());
    acl.to_xml(&name)
}

/// PUT /bucket?acl.
pub async fn put_bucket_acl(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.bucket()?;
    let access = access::bucket_access(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let request = requested(ctx, body).await?;
    let acl = resolve(ctx, request, &access.owner_canonical, &access.owner_canonical)?;
    if !access.acls_enabled() {
        return if acl.is_owner_only(&access.owner_canonical) { Ok(empty(StatusCode::OK)) } else { Err(not_supported()) };
    }
    refuse_public(ctx, &access, &acl)?;
    let stored = (acl != Acl::owner_full_control(&access.owner_canonical)).then(|| crate::model::stored::encode(&acl));
    ctx.state.access.set(&ctx.state.store, bucket, &access, crate::bucket_access::names::ACL, stored).await?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?acl (the owner's full control when ACLs are disabled).
pub fn get_bucket_acl(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.bucket()?;
    let access = access::bucket_access(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let acl = if access.acls_enabled() { access.acl() } else { Acl::owner_full_control(&access.owner_canonical) };
    Ok(xml(render(ctx, &acl)?))
}

/// PUT /bucket/key?acl (with `versionId`): the object keeps its owner.
pub async fn put_object_acl(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.bucket()?;
    let key = ctx.key()?;
    let access = access::bucket_access(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let version = find_version(ctx, bucket, key)?;
    let request = requested(ctx, body).await?;
    let owner = version.acl.as_ref().map_or(access.owner_canonical.as_str(), |a| a.owner.as_str()).to_owned();
    let acl = resolve(ctx, request, &owner, &access.owner_canonical)?;
    if !access.acls_enabled() {
        return if acl.is_owner_only(&access.owner_canonical) {
            Ok(with_version(empty(StatusCode::OK), &version.version_id))
        } else {
            Err(not_supported())
        };
    }
    refuse_public(ctx, &access, &acl)?;
    let stored = (acl != Acl::owner_full_control(&access.owner_canonical)).then_some(acl);
    let now = headers::to_ms((ctx.state.clock)());
    let id = ctx.state.store.set_version_acl(bucket, key, Some(&version.version_id), stored, &ctx.cause(CauseKind::AclPut), now).await?;
    Ok(with_version(empty(StatusCode::OK), &id))
}

/// GET /bucket/key?acl (with `versionId`).
pub fn get_object_acl(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.bucket()?;
    let key = ctx.key()?;
    let access = access::bucket_access(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    let version = find_version(ctx, bucket, key)?;
    let acl = match version.acl.as_ref() {
        Some(acl) if access.acls_enabled() => acl.clone(),
        _ => Acl::owner_full_control(&access.owner_canonical),
    };
    Ok(with_version(xml(render(ctx, &acl)?), &version.version_id))
}

fn with_version(mut r: Response, id: &str) -> Response {
    if id != NULL_VERSION {
        headers::put(r.headers_mut(), "x-amz-version-id", id);
    }
    r
}
