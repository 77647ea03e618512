//! The bucket operations of access control other than ACLs: Put/Get/DeleteBucketPolicy,
//! GetBucketPolicyStatus, Put/Get/DeleteBucketOwnershipControls and
//! Put/Get/DeletePublicAccessBlock. The settings are stored and cached by
//! `crate::bucket_access`; authorization reads them in `super::access`.

use std::sync::Arc;

use hyper::StatusCode;

use super::body::RequestBody;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::{access, document, headers, Response};
use crate::bucket_access::settings::{policy_status_xml, Ownership, PublicAccessBlock};
use crate::bucket_access::{names, BucketAccess, BucketPolicy};
use crate::iam::directory::Directory;
use crate::iam::policy::NamedPrincipals;
use crate::model::stored;

/// S3's limit on the size of a bucket policy.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The request's bucket, which must exist, and its settings.
pub(super) fn existing<'a>(ctx: &'a Ctx<'_>) -> S3Result<(&'a str, Arc<BucketAccess>)> {
    let bucket = ctx.bucket()?;
    let access = access::bucket_access(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    Ok((bucket, access))
}

/// The bucket policy operations are the owner account's alone: another account gets
/// 405 MethodNotAllowed even when the policy lets it ask, as S3 answers.
fn owner_account_only(ctx: &Ctx<'_>, access: &BucketAccess) -> S3Result<()> {
    if ctx.principal.is_some_and(|p| p.account == access.owner) {
        Ok(())
    } else {
        Err(S3Error::with_message(S3ErrorCode::MethodNotAllowed, "Only the bucket owner's account may manage its bucket policy"))
    }
}

async fn set(ctx: &Ctx<'_>, bucket: &str, access: &BucketAccess, name: &str, value: Option<Vec<u8>>) -> S3Result<Response> {
    ctx.state.access.set(&ctx.state.store, bucket, access, name, value).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// PUT /bucket?policy: the document must parse, fit the bucket (its resources, its
/// actions) and, while BlockPublicPolicy is on, not be public (403 AccessDenied, as S3).
pub async fn put_policy(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    owner_account_only(ctx, &access)?;
    let raw = document::read(ctx, body, false).await?;
    if raw.len() > MAX_POLICY_BYTES {
        return Err(S3Error::with_message(S3ErrorCode::MalformedPolicy, "Policies must be smaller than 20 KB"));
    }
    let text =
        std::str::from_utf8(&raw).map_err(|_| S3Error::with_message(S3ErrorCode::MalformedPolicy, "Policies must be valid UTF-8"))?;
    let malformed = |e: crate::iam::policy::PolicyError| S3Error::with_message(S3ErrorCode::MalformedPolicy, e.0);
    let policy = BucketPolicy::parse(text).map_err(malformed)?;
    policy.policy.check_bucket_policy(bucket).map_err(malformed)?;
    if let Some(unknown) = unknown_principal(&ctx.state.iam.directory(), &policy.policy.named_principals()) {
        return Err(S3Error::with_message(S3ErrorCode::MalformedPolicy, format!("Invalid principal in policy: {unknown}")));
    }
    if policy.public && ctx.state.public_block(&access).block_public_policy {
        return Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "Access Denied: the policy makes the bucket public and Block Public Access (BlockPublicPolicy) is on",
        ));
    }
    set(ctx, bucket, &access, names::POLICY, Some(text.as_bytes().to_vec())).await
}

/// The first principal a policy names that does not exist (S3 refuses those): an
/// account id, a canonical id, a user, role or role-session ARN (the role must exist).
fn unknown_principal(dir: &Directory, named: &NamedPrincipals) -> Option<String> {
    let account = |id: &str| dir.accounts.get(id);
    if let Some(a) = named.accounts.iter().find(|a| account(a).is_none()) {
        return Some(a.clone());
    }
    if let Some(c) = named.canonical.iter().find(|c| !dir.accounts.values().any(|a| a.account.canonical_id.eq_ignore_ascii_case(c))) {
        return Some(c.clone());
    }
    named
        .arns
        .iter()
        .find(|arn| {
            let mut parts = arn.splitn(6, ':');
            let (service, id, resource) = (parts.nth(2), parts.nth(1), parts.next());
            let Some(data) = id.and_then(account) else { return true };
            match (service, resource.and_then(|r| r.split_once('/'))) {
                (Some("iam"), Some(("user", _))) => !data.users.values().any(|u| data.user_arn(u) == **arn),
                (Some("iam"), Some(("role", _))) => !data.roles.values().any(|r| data.role_arn(r) == **arn),
                // arn:aws:sts::ACCT:assumed-role/ROLE/SESSION: the role must exist.
                (Some("sts"), Some(("assumed-role", rest))) => {
                    let role = rest.split('/').next().unwrap_or_default();
                    !data.roles.contains_key(&role.to_lowercase())
                }
                _ => true,
            }
        })
        .cloned()
}

/// GET /bucket?policy: the document as it was put; 404 NoSuchBucketPolicy when none.
pub fn get_policy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    owner_account_only(ctx, &access)?;
    let policy = access.policy.as_ref().ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucketPolicy))?;
    let mut response = xml(policy.text.clone());
    headers::put(response.headers_mut(), "content-type", "application/json");
    Ok(response)
}

/// DELETE /bucket?policy (204 whether or not there was one, as S3).
pub async fn delete_policy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    owner_account_only(ctx, &access)?;
    set(ctx, bucket, &access, names::POLICY, None).await
}

/// GET /bucket?policyStatus: whether the policy makes the bucket public.
pub fn get_policy_status(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    let policy = access.policy.as_ref().ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucketPolicy))?;
    Ok(xml(policy_status_xml(policy.public)?))
}

/// PUT /bucket?ownershipControls. BucketOwnerEnforced is refused while the bucket ACL
/// grants anyone but the owner (400 InvalidBucketAclWithObjectOwnership, as S3), since
/// that grant would silently stop working.
pub async fn put_ownership(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    let raw = document::read(ctx, body, false).await?;
    let ownership = Ownership::from_xml_body(&raw)?;
    if ownership == Ownership::BucketOwnerEnforced && !access.acl().is_owner_only(&access.owner_canonical) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidBucketAclWithObjectOwnership,
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting: reset the bucket ACL to private first",
        ));
    }
    set(ctx, bucket, &access, names::OWNERSHIP, Some(stored::encode(&ownership))).await
}

/// GET /bucket?ownershipControls; 404 OwnershipControlsNotFoundError when none is set.
pub fn get_ownership(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    let ownership = access.ownership.ok_or_else(|| S3Error::new(S3ErrorCode::OwnershipControlsNotFoundError))?;
    Ok(xml(ownership.to_xml()?))
}

/// DELETE /bucket?ownershipControls: the bucket behaves as ObjectWriter afterwards.
pub async fn delete_ownership(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    set(ctx, bucket, &access, names::OWNERSHIP, None).await
}

/// PUT /bucket?publicAccessBlock.
pub async fn put_public_access_block(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    let raw = document::read(ctx, body, false).await?;
    let block = PublicAccessBlock::from_xml_body(&raw)?;
    set(ctx, bucket, &access, names::PUBLIC_ACCESS_BLOCK, Some(stored::encode(&block))).await
}

/// GET /bucket?publicAccessBlock; 404 NoSuchPublicAccessBlockConfiguration when none.
pub fn get_public_access_block(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (_, access) = existing(ctx)?;
    let block = access.public_block.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchPublicAccessBlockConfiguration))?;
    Ok(xml(block.to_xml()?))
}

/// DELETE /bucket?publicAccessBlock.
pub async fn delete_public_access_block(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (bucket, access) = existing(ctx)?;
    set(ctx, bucket, &access, names::PUBLIC_ACCESS_BLOCK, None).await
}
