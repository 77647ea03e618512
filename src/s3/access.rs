//! Authorization of S3 requests: the IAM action(s) and resource ARN(s) each S3
//! operation needs, in one table ([`needs`], from AWS's "Actions, resources, and
//! condition keys for Amazon S3"), the condition keys of a request ([`context`]), and
//! the one check every request passes after authentication and before its handler
//! ([`authorize`]). DeleteObjects checks each of its keys with [`allowed`].

use std::sync::Arc;

use super::copy::parse_copy_source;
use super::dispatch::Ctx;
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::router::Endpoint;
use crate::auth::AuthMethod;
use crate::iam::policy::Context;
use crate::iam::principal::owner_account;
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
        (E::DeleteObjects | E::Stats | E::NotYet(_), _) => &[],
        (E::PutObject | E::CreateMultipartUpload | E::UploadPart | E::CompleteMultipartUpload, _) => &[("s3:PutObject", Object)],
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
        (E::PutBucketLifecycleConfiguration | E::DeleteBucketLifecycle, _) => &[("s3:PutLifecycleConfiguration", Bucket)],
        (E::GetBucketLifecycleConfiguration, _) => &[("s3:GetLifecycleConfiguration", Bucket)],
        (E::PutBucketNotificationConfiguration, _) => &[("s3:PutBucketNotification", Bucket)],
        (E::GetBucketNotificationConfiguration, _) => &[("s3:GetBucketNotification", Bucket)],
    }
}

/// The ARN of a bucket.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// The ARN of an object.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The caller of an authenticated request; anonymous requests are refused (bucket
/// policies and ACLs, which could let them in, are not there yet).
pub fn caller(ctx: &Ctx<'_>) -> S3Result<Arc<Principal>> {
    crate::iam::principal_of(ctx.auth.identity.as_ref()).ok_or_else(|| S3Error::new(S3ErrorCode::AccessDenied))
}

/// The account owning `bucket`, if it exists.
pub fn bucket_owner(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<String>> {
    let Some(record) = ctx.state.store.bucket(bucket)? else { return Ok(None) };
    let dir = ctx.state.iam.directory();
    Ok(Some(owner_account(&record.owner, &dir.default_account).to_owned()))
}

/// Checks the request against the caller's policies: every action the operation needs,
/// on each of its resources. 403 AccessDenied (no detail of which policy) otherwise.
pub fn authorize(ctx: &Ctx<'_>, principal: &Principal) -> S3Result<()> {
    let endpoint = ctx.route.endpoint;
    if endpoint == Endpoint::Stats {
        return if principal.admin { Ok(()) } else { Err(S3Error::new(S3ErrorCode::AccessDenied)) };
    }
    if endpoint == Endpoint::DeleteObjects {
        // Its keys are checked one by one by the handler; another account's bucket is
        // refused as a whole (no bucket policy can let anyone in yet).
        let bucket = ctx.route.bucket.as_deref().unwrap_or_default();
        let owner = bucket_owner(ctx, bucket)?;
        expected_owner(ctx, "x-amz-expected-bucket-owner", owner.as_deref())?;
        return match owner {
            Some(owner) if owner != principal.account => Err(S3Error::new(S3ErrorCode::AccessDenied)),
            _ => Ok(()),
        };
    }
    let needs = needs(endpoint, ctx.param("versionId").is_some() || copy_source_versioned(ctx));
    if needs.is_empty() {
        return Ok(());
    }
    // An account root is allowed everything in its own account whatever the condition
    // keys: only what the request touches, and who owns it, matter.
    let mut cond = if principal.unconditional() { Context::new() } else { context(ctx, principal) };
    let bucket = ctx.route.bucket.as_deref().unwrap_or_default();
    let key = ctx.route.key.as_deref().unwrap_or_default();
    for (action, target) in needs {
        let (resource, owner) = match target {
            Target::Any => ("*".to_owned(), None),
            // A bucket being created belongs to the caller's account: one that exists
            // already is the handler's to report (BucketAlreadyExists, 409).
            Target::Bucket if endpoint == Endpoint::CreateBucket => (bucket_arn(bucket), None),
            Target::Bucket => (bucket_arn(bucket), bucket_owner(ctx, bucket)?),
            Target::Object => (object_arn(bucket, key), bucket_owner(ctx, bucket)?),
            Target::CopySource => {
                let source = parse_copy_source(ctx.header("x-amz-copy-source").unwrap_or_default())?;
                (object_arn(&source.bucket, &source.key), bucket_owner(ctx, &source.bucket)?)
            }
        };
        let expected = if *target == Target::CopySource { "x-amz-source-expected-bucket-owner" } else { "x-amz-expected-bucket-owner" };
        expected_owner(ctx, expected, owner.as_deref())?;
        if *target == Target::CopySource && !principal.unconditional() {
            cond.insert("s3:VersionId", ctx.header("x-amz-copy-source").and_then(|s| s.split_once("versionId=")).map_or("", |(_, v)| v));
        }
        if !principal.is_allowed(action, &resource, owner.as_deref(), &cond, None) {
            tracing::debug!(principal = %principal.arn, action, resource, "denied");
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

/// Whether the caller may perform `action` on object `key` of the request's bucket
/// (DeleteObjects checks each key it deletes).
pub fn allowed(ctx: &Ctx<'_>, principal: &Principal, action: &str, bucket: &str, key: &str, version_id: Option<&str>) -> S3Result<bool> {
    let mut cond = if principal.unconditional() { Context::new() } else { context(ctx, principal) };
    if let Some(v) = version_id {
        cond.set("s3:VersionId", vec![v.to_owned()]);
    }
    let owner = bucket_owner(ctx, bucket)?;
    Ok(principal.is_allowed(action, &object_arn(bucket, key), owner.as_deref(), &cond, None))
}

fn copy_source_versioned(ctx: &Ctx<'_>) -> bool {
    matches!(ctx.route.endpoint, Endpoint::CopyObject | Endpoint::UploadPartCopy)
        && ctx.header("x-amz-copy-source").is_some_and(|s| s.contains("?versionId="))
}

/// Request headers that become `s3:` condition keys of the same name.
/// Request headers that become condition keys: (header, key).
const HEADER_KEYS: &[(&str, &str)] = &[
    ("x-amz-acl", "s3:x-amz-acl"),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
    ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
    ("x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
    ("x-amz-grant-read", "s3:x-amz-grant-read"),
    ("x-amz-grant-write", "s3:x-amz-grant-write"),
    ("x-amz-grant-read-acp", "s3:x-amz-grant-read-acp"),
    ("x-amz-grant-write-acp", "s3:x-amz-grant-write-acp"),
    ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
    ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
    ("x-amz-object-lock-mode", "s3:object-lock-mode"),
    ("x-amz-object-lock-retain-until-date", "s3:object-lock-retain-until-date"),
    ("x-amz-object-lock-legal-hold", "s3:object-lock-legal-hold"),
    ("if-match", "s3:if-match"),
    ("user-agent", "aws:UserAgent"),
    ("referer", "aws:Referer"),
];

/// The condition keys of a request that the principal's policies mention (computing
/// the others would cost allocations for nothing): the global ones a single server
/// knows, the principal's, and the S3 keys of the operation.
pub fn context(ctx: &Ctx<'_>, principal: &Principal) -> Context {
    let mut c = Context::new();
    let keys = &principal.condition_keys;
    let now = (ctx.state.clock)();
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if keys.wants("aws:SourceIp") {
        c.insert("aws:SourceIp", ctx.peer.ip().to_string());
    }
    if keys.wants("aws:SecureTransport") {
        // No TLS listener yet: every request arrives over plain HTTP.
        c.insert("aws:SecureTransport", "false");
    }
    if keys.wants("aws:CurrentTime") {
        c.insert("aws:CurrentTime", crate::iam::xml::date(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)));
    }
    if keys.wants("aws:EpochTime") {
        c.insert("aws:EpochTime", secs.to_string());
    }
    principal.fill_context(&mut c);
    for (header, key) in HEADER_KEYS {
        if let Some(v) = keys.wants(key).then(|| ctx.header(header)).flatten() {
            c.insert(key, v);
        }
    }
    if let Some(until) =
        keys.wants("s3:object-lock-remaining-retention-days").then(|| ctx.header("x-amz-object-lock-retain-until-date")).flatten()
    {
        if let Ok(t) = time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339) {
            let days = (t.unix_timestamp() - i64::try_from(secs).unwrap_or(i64::MAX)).max(0) / 86_400;
            c.insert("s3:object-lock-remaining-retention-days", days.to_string());
        }
    }
    if let Some(v) = keys.wants("s3:VersionId").then(|| ctx.param("versionId")).flatten() {
        c.insert("s3:VersionId", v);
    }
    if matches!(ctx.route.endpoint, Endpoint::ListObjects | Endpoint::ListObjectsV2 | Endpoint::ListObjectVersions) {
        for (param, key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
            let value = if param == "prefix" { Some(ctx.param(param).unwrap_or_default()) } else { ctx.param(param) };
            if let Some(v) = value.filter(|_| keys.wants(key)) {
                c.insert(key, v);
            }
        }
    }
    signature_keys(ctx, principal, now, &mut c);
    tag_keys(ctx, principal, &mut c);
    c
}

/// `s3:signatureversion`, `s3:authType`, `s3:signatureAge`.
fn signature_keys(ctx: &Ctx<'_>, principal: &Principal, now: std::time::SystemTime, c: &mut Context) {
    let keys = &principal.condition_keys;
    let (version, auth_type) = match ctx.auth.method {
        AuthMethod::HeaderV4 => ("AWS4-HMAC-SHA256", "REST-HEADER"),
        AuthMethod::PresignedV4 => ("AWS4-HMAC-SHA256", "REST-QUERY-STRING"),
        AuthMethod::HeaderV2 => ("AWS", "REST-HEADER"),
        AuthMethod::PresignedV2 => ("AWS", "REST-QUERY-STRING"),
        AuthMethod::Anonymous => return,
    };
    if keys.wants("s3:signatureversion") {
        c.insert("s3:signatureversion", version);
    }
    if keys.wants("s3:authType") {
        c.insert("s3:authType", auth_type);
    }
    if let Some(age) = keys.wants("s3:signatureAge").then(|| signature_age_ms(ctx, now)).flatten() {
        c.insert("s3:signatureAge", age.to_string());
    }
}

/// `s3:RequestObjectTag/*` and `s3:RequestObjectTagKeys` (from `x-amz-tagging`), and
/// `s3:ExistingObjectTag/*` (the tags of the object the request names, read only when a
/// policy tests them).
fn tag_keys(ctx: &Ctx<'_>, principal: &Principal, c: &mut Context) {
    let keys = &principal.condition_keys;
    let requested = keys.wants_prefix("s3:requestobjecttag");
    if let Some(tagging) = requested.then(|| ctx.header("x-amz-tagging")).flatten() {
        for pair in tagging.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            let (k, v) = (decode(k), decode(v));
            c.insert(&format!("s3:RequestObjectTag/{k}"), v);
            c.insert("s3:RequestObjectTagKeys", k);
        }
    }
    if !keys.wants_prefix("s3:existingobjecttag/") {
        return;
    }
    if let (Some(bucket), Some(key)) = (ctx.route.bucket.as_deref(), ctx.route.key.as_deref().filter(|k| !k.is_empty())) {
        if let Ok(Some(v)) = ctx.state.store.current(bucket, key) {
            for (k, val) in &v.tags {
                c.insert(&format!("s3:ExistingObjectTag/{k}"), val.clone());
            }
        }
    }
}

/// `s3:signatureAge`: milliseconds since the request was signed (`X-Amz-Date` or
/// `x-amz-date`, SigV4 only).
fn signature_age_ms(ctx: &Ctx<'_>, now: std::time::SystemTime) -> Option<u128> {
    let signed = ctx.param("X-Amz-Date").or_else(|| ctx.header("x-amz-date"))?;
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let at = time::PrimitiveDateTime::parse(signed, &format).ok()?.assume_utc();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(at.unix_timestamp()).ok()?);
    now.duration_since(at).ok().map(|d| d.as_millis())
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
