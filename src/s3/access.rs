//! Authorization of S3 requests: the IAM action(s) and resource ARN(s) each S3
//! operation needs, in one table ([`needs`], from AWS's "Actions, resources, and
//! condition keys for Amazon S3"), the condition keys of a request ([`context`]), and
//! the one check every request passes after authentication and before its handler
//! ([`authorize`]). DeleteObjects checks each of its keys with [`allowed`].

use std::sync::Arc;

use super::conditions::{context, ObjectRef, Wanted};
use super::copy::parse_copy_source;
use super::dispatch::Ctx;
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::router::Endpoint;
use crate::bucket_access::acl::{Acl, Permission, Requester};
use crate::bucket_access::settings::PublicAccessBlock;
use crate::bucket_access::BucketAccess;
use crate::iam::policy::{Context, Outcome, PrincipalInfo, Request};
use crate::iam::principal::{combine, PrincipalKind};
use crate::iam::Principal;

/// What an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `arn:aws:s3:::bucket`.
    Bucket,
    /// `arn:aws:s3:::bucket/key`.
    Object,
    /// The object `x-amz-copy-source` names.
    CopySource,
    /// `*` (ListBuckets).
    Any,
}

/// The actions an operation needs, each on its target. `versioned`: the request names a
/// version (`versionId`), which S3 authorizes with the `...Version` actions.
pub fn needs(endpoint: Endpoint, versioned: bool) -> &'static [(&'static str, Target)] {
    use Endpoint as E;
    use Target::{Any, Bucket, CopySource, Object};
    match (endpoint, versioned) {
        (E::ListBuckets, _) => &[("s3:ListAllMyBuckets", Any)],
        (E::CreateBucket, _) => &[("s3:CreateBucket", Bucket)],
        (E::HeadBucket | E::ListObjects | E::ListObjectsV2, _) => &[("s3:ListBucket", Bucket)],
        (E::DeleteBucket, _) => &[("s3:DeleteBucket", Bucket)],
        (E::GetBucketLocation, _) => &[("s3:GetBucketLocation", Bucket)],
        (E::GetBucketVersioning, _) => &[("s3:GetBucketVersioning", Bucket)],
        (E::PutBucketVersioning, _) => &[("s3:PutBucketVersioning", Bucket)],
        (E::ListObjectVersions, _) => &[("s3:ListBucketVersions", Bucket)],
        // DeleteObjects: each key is checked by the handler (s3:DeleteObject /
        // s3:DeleteObjectVersion). Stats: server-wide counters, the server administrator
        // only (see `authorize`). NotYet: answered NotImplemented whoever asks.
        // Preflight: answered from the CORS rules, unauthenticated, as S3.
        (E::DeleteObjects | E::Stats | E::NotYet(_) | E::Preflight, _) => &[],
        (E::PutBucketCors | E::DeleteBucketCors, _) => &[("s3:PutBucketCORS", Bucket)],
        (E::GetBucketCors, _) => &[("s3:GetBucketCORS", Bucket)],
        (E::PutBucketWebsite, _) => &[("s3:PutBucketWebsite", Bucket)],
        (E::GetBucketWebsite, _) => &[("s3:GetBucketWebsite", Bucket)],
        (E::DeleteBucketWebsite, _) => &[("s3:DeleteBucketWebsite", Bucket)],
        (E::PutBucketLogging, _) => &[("s3:PutBucketLogging", Bucket)],
        (E::GetBucketLogging, _) => &[("s3:GetBucketLogging", Bucket)],
        (E::PostObject | E::PutObject | E::CreateMultipartUpload | E::UploadPart | E::CompleteMultipartUpload, _) => {
            &[("s3:PutObject", Object)]
        }
        (E::CopyObject | E::UploadPartCopy, false) => &[("s3:PutObject", Object), ("s3:GetObject", CopySource)],
        (E::CopyObject | E::UploadPartCopy, true) => &[("s3:PutObject", Object), ("s3:GetObjectVersion", CopySource)],
        (E::GetObject | E::HeadObject, false) => &[("s3:GetObject", Object)],
        (E::GetObject | E::HeadObject, true) => &[("s3:GetObjectVersion", Object)],
        (E::GetObjectAttributes, false) => &[("s3:GetObjectAttributes", Object)],
        (E::GetObjectAttributes, true) => &[("s3:GetObjectVersionAttributes", Object)],
        (E::DeleteObject, false) => &[("s3:DeleteObject", Object)],
        (E::DeleteObject, true) => &[("s3:DeleteObjectVersion", Object)],
        (E::AbortMultipartUpload, _) => &[("s3:AbortMultipartUpload", Object)],
        (E::ListParts, _) => &[("s3:ListMultipartUploadParts", Object)],
        (E::ListMultipartUploads, _) => &[("s3:ListBucketMultipartUploads", Bucket)],
        (E::PutObjectTagging, false) => &[("s3:PutObjectTagging", Object)],
        (E::PutObjectTagging, true) => &[("s3:PutObjectVersionTagging", Object)],
        (E::GetObjectTagging, false) => &[("s3:GetObjectTagging", Object)],
        (E::GetObjectTagging, true) => &[("s3:GetObjectVersionTagging", Object)],
        (E::DeleteObjectTagging, false) => &[("s3:DeleteObjectTagging", Object)],
        (E::DeleteObjectTagging, true) => &[("s3:DeleteObjectVersionTagging", Object)],
        (E::PutBucketTagging | E::DeleteBucketTagging, _) => &[("s3:PutBucketTagging", Bucket)],
        (E::GetBucketTagging, _) => &[("s3:GetBucketTagging", Bucket)],
        (E::PutBucketEncryption | E::DeleteBucketEncryption, _) => &[("s3:PutEncryptionConfiguration", Bucket)],
        (E::GetBucketEncryption, _) => &[("s3:GetEncryptionConfiguration", Bucket)],
        (E::PutObjectLockConfiguration, _) => &[("s3:PutBucketObjectLockConfiguration", Bucket)],
        (E::GetObjectLockConfiguration, _) => &[("s3:GetBucketObjectLockConfiguration", Bucket)],
        (E::PutObjectRetention, _) => &[("s3:PutObjectRetention", Object)],
        (E::GetObjectRetention, _) => &[("s3:GetObjectRetention", Object)],
        (E::PutObjectLegalHold, _) => &[("s3:PutObjectLegalHold", Object)],
        (E::GetObjectLegalHold, _) => &[("s3:GetObjectLegalHold", Object)],
        (E::PutBucketLifecycleConfiguration | E::DeleteBucketLifecycle, _) => &[("s3:PutLifecycleConfiguration", Bucket)],
        (E::GetBucketLifecycleConfiguration, _) => &[("s3:GetLifecycleConfiguration", Bucket)],
        (E::PutBucketNotificationConfiguration, _) => &[("s3:PutBucketNotification", Bucket)],
        (E::GetBucketNotificationConfiguration, _) => &[("s3:GetBucketNotification", Bucket)],
        (E::PutBucketPolicy, _) => &[("s3:PutBucketPolicy", Bucket)],
        (E::GetBucketPolicy, _) => &[("s3:GetBucketPolicy", Bucket)],
        (E::DeleteBucketPolicy, _) => &[("s3:DeleteBucketPolicy", Bucket)],
        (E::GetBucketPolicyStatus, _) => &[("s3:GetBucketPolicyStatus", Bucket)],
        (E::PutBucketAcl, _) => &[("s3:PutBucketAcl", Bucket)],
        (E::GetBucketAcl, _) => &[("s3:GetBucketAcl", Bucket)],
        (E::PutObjectAcl, false) => &[("s3:PutObjectAcl", Object)],
        (E::PutObjectAcl, true) => &[("s3:PutObjectVersionAcl", Object)],
        (E::GetObjectAcl, false) => &[("s3:GetObjectAcl", Object)],
        (E::GetObjectAcl, true) => &[("s3:GetObjectVersionAcl", Object)],
        (E::PutBucketOwnershipControls | E::DeleteBucketOwnershipControls, _) => &[("s3:PutBucketOwnershipControls", Bucket)],
        (E::GetBucketOwnershipControls, _) => &[("s3:GetBucketOwnershipControls", Bucket)],
        (E::PutPublicAccessBlock | E::DeletePublicAccessBlock, _) => &[("s3:PutBucketPublicAccessBlock", Bucket)],
        (E::GetPublicAccessBlock, _) => &[("s3:GetBucketPublicAccessBlock", Bucket)],
    }
}

/// The actions a write needs beyond its operation's because of what its headers ask
/// for, as S3 documents them: an ACL that grants anyone but the owner needs
/// `s3:PutObjectAcl` (CreateBucket: `s3:PutBucketAcl`), tags `s3:PutObjectTagging`, an
/// Object Ownership at creation `s3:PutBucketOwnershipControls`.
pub fn header_needs(ctx: &Ctx<'_>) -> Vec<(&'static str, Target)> {
    const GRANTS: [&str; 5] =
        ["x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"];
    let sets_acl = ctx.header("x-amz-acl").is_some_and(|a| !matches!(a.trim(), "private" | "bucket-owner-full-control"))
        || GRANTS.iter().any(|g| ctx.header(g).is_some());
    let mut out = Vec::new();
    match ctx.route.endpoint {
        Endpoint::PutObject | Endpoint::PostObject | Endpoint::CopyObject | Endpoint::CreateMultipartUpload => {
            if sets_acl {
                out.push(("s3:PutObjectAcl", Target::Object));
            }
            let replaces_tags = ctx.route.endpoint != Endpoint::CopyObject
                || ctx.header("x-amz-tagging-directive").is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
            if replaces_tags && ctx.header("x-amz-tagging").is_some_and(|t| !t.is_empty()) {
                out.push(("s3:PutObjectTagging", Target::Object));
            }
            // As S3: setting retention or a legal hold with the write needs their actions.
            if ctx.headers().contains_key("x-amz-object-lock-mode") || ctx.headers().contains_key("x-amz-object-lock-retain-until-date") {
                out.push(("s3:PutObjectRetention", Target::Object));
            }
            if ctx.headers().contains_key("x-amz-object-lock-legal-hold") {
                out.push(("s3:PutObjectLegalHold", Target::Object));
            }
        }
        Endpoint::CreateBucket => {
            if sets_acl {
                out.push(("s3:PutBucketAcl", Target::Bucket));
            }
            if ctx.header("x-amz-object-ownership").is_some() {
                out.push(("s3:PutBucketOwnershipControls", Target::Bucket));
            }
            if ctx.header("x-amz-bucket-object-lock-enabled").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
                out.push(("s3:PutBucketObjectLockConfiguration", Target::Bucket));
            }
        }
        _ => {}
    }
    out
}

/// The ARN of a bucket.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// The ARN of an object.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The settings of `bucket` that authorization reads, `None` if it does not exist.
pub fn bucket_access(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<Arc<BucketAccess>>> {
    Ok(ctx.state.access.get(&ctx.state.store, &ctx.state.iam.directory(), bucket)?)
}

/// The account owning `bucket`, if it exists.
pub fn bucket_owner(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<String>> {
    Ok(bucket_access(ctx, bucket)?.map(|a| a.owner.clone()))
}

/// Checks the request against every policy that applies — the caller's identity
/// policies, the bucket's policy, its ACLs, its Block Public Access settings — for
/// every action the operation needs, on each of its resources. 403 AccessDenied (no
/// detail of which policy) otherwise. `ctx.principal` is `None` for an anonymous
/// request, which only a bucket policy or an ACL can let in.
pub fn authorize(ctx: &Ctx<'_>) -> S3Result<()> {
    let principal = ctx.principal;
    let endpoint = ctx.route.endpoint;
    if endpoint == Endpoint::Stats {
        return if principal.is_some_and(|p| p.admin) { Ok(()) } else { Err(S3Error::new(S3ErrorCode::AccessDenied)) };
    }
    let bucket = ctx.route.bucket.as_deref().unwrap_or_default();
    if endpoint == Endpoint::DeleteObjects {
        // Its keys are checked one by one by the handler (`allowed`).
        let access = bucket_access(ctx, bucket)?;
        return expected_owner(ctx, "x-amz-expected-bucket-owner", access.as_ref().map(|a| a.owner.as_str()));
    }
    let needs = needs(endpoint, ctx.param("versionId").is_some() || copy_source_versioned(ctx));
    if needs.is_empty() {
        return Ok(());
    }
    let key = ctx.route.key.as_deref().unwrap_or_default();
    for (action, target) in needs.iter().chain(header_needs(ctx).iter()) {
        let (resource, access, object) = match target {
            Target::Any => ("*".to_owned(), None, None),
            // A bucket being created belongs to the caller's account: one that exists
            // already is the handler's to report (BucketAlreadyExists, 409).
            Target::Bucket if endpoint == Endpoint::CreateBucket => (bucket_arn(bucket), None, None),
            Target::Bucket => (bucket_arn(bucket), bucket_access(ctx, bucket)?, None),
            Target::Object => {
                (object_arn(bucket, key), bucket_access(ctx, bucket)?, Some(ObjectRef { bucket, key, version: ctx.param("versionId") }))
            }
            Target::CopySource => {
                let source = parse_copy_source(ctx.header("x-amz-copy-source").unwrap_or_default())?;
                let access = bucket_access(ctx, &source.bucket)?;
                let resource = object_arn(&source.bucket, &source.key);
                let object = ObjectRef { bucket: &source.bucket, key: &source.key, version: source.version_id.as_deref() };
                if !check(ctx, principal, action, &resource, access.as_deref(), Some(object), IfMatch::Header)? {
                    tracing::debug!(principal = principal.map_or("anonymous", |p| p.arn.as_str()), action, resource, "denied");
                    return Err(S3Error::new(S3ErrorCode::AccessDenied));
                }
                expected_owner(ctx, "x-amz-source-expected-bucket-owner", access.as_ref().map(|a| a.owner.as_str()))?;
                continue;
            }
        };
        expected_owner(ctx, "x-amz-expected-bucket-owner", access.as_ref().map(|a| a.owner.as_str()))?;
        if let Some(a) = &access {
            let _ = ctx.authorized_bucket.set(a.created_ms);
        }
        if !check(ctx, principal, action, &resource, access.as_deref(), object, IfMatch::Header)? {
            tracing::debug!(principal = principal.map_or("anonymous", |p| p.arn.as_str()), action, resource, "denied");
            return Err(S3Error::new(S3ErrorCode::AccessDenied));
        }
    }
    Ok(())
}

/// `x-amz-expected-bucket-owner` (or `x-amz-source-expected-bucket-owner` for a copy's
/// source): a request that names the account it expects to own the bucket is refused,
/// 403 AccessDenied as S3 answers, when another account owns it. A bucket that does not
/// exist is the handler's to report.
fn expected_owner(ctx: &Ctx<'_>, header: &str, owner: Option<&str>) -> S3Result<()> {
    match (ctx.header(header), owner) {
        (Some(expected), Some(owner)) if expected != owner => {
            Err(S3Error::with_message(S3ErrorCode::AccessDenied, "The bucket is owned by another account than the expected owner."))
        }
        _ => Ok(()),
    }
}

/// Whether the caller may perform `action` on object `key` of `bucket` (DeleteObjects
/// checks each key it deletes). `etag`: the entry's `<ETag>`, which is its
/// `s3:if-match` (the request's own If-Match header means nothing for the entries).
pub fn allowed(ctx: &Ctx<'_>, action: &str, bucket: &str, key: &str, version_id: Option<&str>, etag: Option<&str>) -> S3Result<bool> {
    let access = bucket_access(ctx, bucket)?;
    let object = ObjectRef { bucket, key, version: version_id };
    check(ctx, ctx.principal, action, &object_arn(bucket, key), access.as_deref(), Some(object), IfMatch::Entry(etag))
}

/// Where a check's `s3:if-match` comes from.
#[derive(Clone, Copy)]
enum IfMatch<'a> {
    /// The request's If-Match header.
    Header,
    /// A DeleteObjects entry's `<ETag>`, if it has one (the header means nothing there).
    Entry(Option<&'a str>),
}

/// The decision for one action on one resource, in AWS's order: an explicit deny in any
/// policy wins; the bucket's policy and ACL grants are the resource side; the caller's
/// identity policies (and session policy) the identity side; within the owner's account
/// either side may allow, across accounts both must, and an anonymous caller has only
/// the resource side. `object`: the object the action names, whose ACL counts when the
/// bucket has ACLs enabled and whose tags and version are condition keys. `if_match`:
/// where `s3:if-match` comes from.
fn check(
    ctx: &Ctx<'_>,
    principal: Option<&Principal>,
    action: &str,
    resource: &str,
    access: Option<&BucketAccess>,
    object: Option<ObjectRef<'_>>,
    if_match: IfMatch<'_>,
) -> S3Result<bool> {
    let policy = access.and_then(|a| a.policy.as_ref());
    // An account root without a session policy, on its own bucket without a policy or
    // ACLs, is allowed everything whatever the condition keys.
    if let Some(p) =
        principal.filter(|p| p.unconditional() && policy.is_none() && access.is_none_or(|a| a.owner == p.account && !a.acls_enabled()))
    {
        return Ok(p.is_allowed_with(action, resource, access.map(|a| a.owner.as_str()), &Context::new(), Outcome::NotApplicable));
    }
    let wanted = Wanted { principal: principal.map(|p| &*p.condition_keys), resource: policy.map(|p| &p.keys) };
    let mut cond = context(ctx, principal, &wanted, object);
    if let IfMatch::Entry(etag) = if_match {
        cond.set("s3:if-match", etag.map(str::to_owned).into_iter().collect());
    }
    let Some(access) = access else {
        // No such bucket (or a bucket being created, or ListBuckets): the identity side
        // alone; the handler reports a missing bucket.
        return Ok(principal.is_some_and(|p| p.is_allowed_with(action, resource, None, &cond, Outcome::NotApplicable)));
    };
    let blocks = ctx.state.public_block(access);
    let mut owner = access.owner.as_str();
    // Every object action but the bucket-level writes (which the bucket owner's ACL and
    // policy decide, whoever owns the object) reads the object's ACL: its owner decides.
    let object_acl = match object {
        Some(o) if access.acls_enabled() && !matches!(action, "s3:PutObject" | "s3:DeleteObject" | "s3:DeleteObjectVersion") => {
            object_acl(ctx, o.bucket, o.key, o.version)?
        }
        _ => None,
    };
    // An object another account wrote (ObjectWriter) belongs to that account: its ACL
    // decides, and the bucket owner's policy cannot grant what the bucket owner does not own.
    let dir = ctx.state.iam.directory();
    let foreign = object_acl
        .as_ref()
        .filter(|acl| acl.owner != access.owner_canonical)
        .and_then(|acl| dir.accounts.values().find(|a| a.account.canonical_id == acl.owner).map(|a| a.account.id.clone()));
    if let Some(object_owner) = foreign.as_deref() {
        owner = object_owner;
    }
    let mut policy_outcome = policy.map_or(Outcome::NotApplicable, |p| {
        p.policy.evaluate(&Request { action, resource, principal: principal.map(|p| &*p.info), context: &cond })
    });
    if let (Outcome::Allow, Some(p), Some(bp)) = (policy_outcome, principal, policy) {
        if p.kind != PrincipalKind::Root && p.account == owner {
            // A statement naming the owner's own account (its id, root ARN or canonical
            // id) delegates to the account: its users and roles still need an identity
            // policy, as on AWS. Only a statement naming them (or everyone) lets them in.
            let named = PrincipalInfo { account: String::new(), canonical_id: String::new(), ..(*p.info).clone() };
            policy_outcome = bp.policy.evaluate(&Request { action, resource, principal: Some(&named), context: &cond });
        }
    }
    let outsider = principal.is_none_or(|p| p.account != access.owner);
    if policy_outcome == Outcome::Allow
        && (foreign.is_some() || (blocks.restrict_public_buckets && policy.is_some_and(|p| p.public) && outsider))
    {
        // RestrictPublicBuckets: a public policy lets in only the owner's account.
        policy_outcome = Outcome::NotApplicable;
    }
    if policy_outcome == Outcome::ExplicitDeny && principal.is_some_and(|p| owner_root_managing_policy(p, access, action)) {
        // The owner's root may always read, replace and delete the bucket policy, so
        // that no policy can lock the owner out for good.
        policy_outcome = Outcome::NotApplicable;
    }
    let acl_outcome = if access.acls_enabled() {
        acl_outcome(principal, owner, action, access, object_acl.as_ref(), blocks)
    } else {
        Outcome::NotApplicable
    };
    let resource_outcome = combine([policy_outcome, acl_outcome].into_iter());
    Ok(match principal {
        Some(p) => p.is_allowed_with(action, resource, Some(owner), &cond, resource_outcome),
        None => resource_outcome == Outcome::Allow,
    })
}

fn owner_root_managing_policy(p: &Principal, access: &BucketAccess, action: &str) -> bool {
    p.kind == PrincipalKind::Root
        && p.account == access.owner
        && matches!(action, "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy")
}

/// The ACL permission an object action needs on the object's own ACL.
fn object_acl_permission(action: &str) -> Option<Permission> {
    match action {
        "s3:GetObject" | "s3:GetObjectVersion" => Some(Permission::Read),
        "s3:GetObjectAcl" | "s3:GetObjectVersionAcl" => Some(Permission::ReadAcp),
        "s3:PutObjectAcl" | "s3:PutObjectVersionAcl" => Some(Permission::WriteAcp),
        _ => None,
    }
}

/// The ACL permission an action needs on the bucket's ACL.
fn bucket_acl_permission(action: &str) -> Option<Permission> {
    match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => Some(Permission::Read),
        "s3:PutObject" | "s3:DeleteObject" => Some(Permission::Write),
        "s3:GetBucketAcl" => Some(Permission::ReadAcp),
        "s3:PutBucketAcl" => Some(Permission::WriteAcp),
        _ => None,
    }
}

/// What the ACLs say: the object's for object reads and ACL operations, the bucket's
/// for listings, writes and the bucket ACL operations. IgnorePublicAcls drops grants to
/// everyone and to all authenticated users. A grant to an account (by canonical id) is
/// the account's: its root gets in by it, and its users from another account than the
/// resource's `owner` as far as their own policies allow; within the owner's account a
/// user needs an identity policy, as on S3 (the owner's own full-control grant would
/// otherwise open every bucket to every user of the account).
fn acl_outcome(
    principal: Option<&Principal>,
    owner: &str,
    action: &str,
    access: &BucketAccess,
    object_acl: Option<&Acl>,
    blocks: PublicAccessBlock,
) -> Outcome {
    let (acl, permission) = match (object_acl_permission(action), bucket_acl_permission(action)) {
        (Some(p), _) => match object_acl {
            Some(acl) => (acl.clone(), p),
            None => return Outcome::NotApplicable,
        },
        (None, Some(p)) => (access.acl(), p),
        (None, None) => return Outcome::NotApplicable,
    };
    let acl = if blocks.ignore_public_acls { acl.without_public() } else { acl };
    let requester = match principal {
        Some(p) if p.kind != PrincipalKind::Root && p.account == owner => {
            // Group grants only: no canonical id is empty.
            Requester::Account { canonical_id: "" }
        }
        // The owner of an ACL'd resource (an object another account wrote) controls it.
        Some(p) if p.info.canonical_id == acl.owner => return Outcome::Allow,
        Some(p) => Requester::Account { canonical_id: &p.info.canonical_id },
        None => Requester::Anonymous,
    };
    if acl.allows(requester, permission) {
        Outcome::Allow
    } else {
        Outcome::NotApplicable
    }
}

/// The ACL of the object version a request names, if it has one of its own.
fn object_acl(ctx: &Ctx<'_>, bucket: &str, key: &str, version: Option<&str>) -> S3Result<Option<Acl>> {
    let found = match version {
        Some(id) => ctx.state.store.version(bucket, key, id).ok().flatten(),
        None => ctx.state.store.current(bucket, key)?,
    };
    Ok(found.and_then(|v| v.acl))
}

fn copy_source_versioned(ctx: &Ctx<'_>) -> bool {
    matches!(ctx.route.endpoint, Endpoint::CopyObject | Endpoint::UploadPartCopy)
        && ctx.header("x-amz-copy-source").is_some_and(|s| s.contains("?versionId="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_aws_table() {
        assert_eq!(needs(Endpoint::ListObjectsV2, false), &[("s3:ListBucket", Target::Bucket)]);
        assert_eq!(needs(Endpoint::GetObject, true), &[("s3:GetObjectVersion", Target::Object)]);
        assert_eq!(needs(Endpoint::CopyObject, false), &[("s3:PutObject", Target::Object), ("s3:GetObject", Target::CopySource)]);
        assert_eq!(needs(Endpoint::UploadPart, false), &[("s3:PutObject", Target::Object)]);
        assert_eq!(needs(Endpoint::DeleteBucketTagging, false), &[("s3:PutBucketTagging", Target::Bucket)]);
        assert_eq!(needs(Endpoint::ListBuckets, false), &[("s3:ListAllMyBuckets", Target::Any)]);
    }
}
