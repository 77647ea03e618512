//! The condition keys of an S3 request (`aws:SourceIp`, `s3:x-amz-acl`, `s3:prefix`,
//! `s3:ExistingObjectTag/...`, ...), computed only when a policy that applies to the
//! request tests them.

use super::dispatch::Ctx;
use super::router::Endpoint;
use crate::auth::AuthMethod;
use crate::iam::policy::Context;
use crate::iam::principal::ConditionKeys;
use crate::iam::Principal;

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

/// Which condition keys a request's policies test: the caller's identity policies and
/// the bucket's policy (computing the others would cost allocations for nothing).
pub struct Wanted<'a> {
    /// The caller's (none for anonymous requests).
    pub principal: Option<&'a ConditionKeys>,
    /// The bucket policy's, if the bucket has one.
    pub resource: Option<&'a ConditionKeys>,
}

impl Wanted<'_> {
    fn wants(&self, key: &str) -> bool {
        self.principal.is_some_and(|k| k.wants(key)) || self.resource.is_some_and(|k| k.wants(key))
    }

    fn wants_prefix(&self, prefix: &str) -> bool {
        self.principal.is_some_and(|k| k.wants_prefix(prefix)) || self.resource.is_some_and(|k| k.wants_prefix(prefix))
    }
}

/// The object an action names (bucket, key, version): the copy source for the read
/// half of a copy, each key of a DeleteObjects.
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    /// Its bucket.
    pub bucket: &'a str,
    /// Its key.
    pub key: &'a str,
    /// The version named, if any.
    pub version: Option<&'a str>,
}

/// The condition keys of a request that its policies mention: the global ones a
/// single server knows, the principal's, and the S3 keys of the operation.
/// `object` is the object the checked action names (its tags are
/// `s3:ExistingObjectTag/*`, its version `s3:VersionId`).
pub fn context(ctx: &Ctx<'_>, principal: Option<&Principal>, keys: &Wanted<'_>, object: Option<ObjectRef<'_>>) -> Context {
    let mut c = Context::new();
    let now = (ctx.state.clock)();
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if keys.wants("aws:SourceIp") {
        c.insert("aws:SourceIp", ctx.peer.ip().to_string());
    }
    if keys.wants("aws:SecureTransport") {
        c.insert("aws:SecureTransport", if ctx.secure { "true" } else { "false" });
    }
    if keys.wants("aws:CurrentTime") {
        c.insert("aws:CurrentTime", crate::iam::xml::date(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)));
    }
    if keys.wants("aws:EpochTime") {
        c.insert("aws:EpochTime", secs.to_string());
    }
    match principal {
        // A bucket policy may test the caller's keys that its own policies do not.
        Some(p) if keys.resource.is_some() => p.fill_full_context(&mut c),
        Some(p) => p.fill_context(&mut c),
        None => {}
    }
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
    if let Some(v) = keys.wants("s3:VersionId").then(|| object.and_then(|o| o.version)).flatten() {
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
    signature_keys(ctx, keys, now, &mut c);
    tag_keys(ctx, keys, object, &mut c);
    c
}

/// `s3:signatureversion`, `s3:authType`, `s3:signatureAge`.
fn signature_keys(ctx: &Ctx<'_>, keys: &Wanted<'_>, now: std::time::SystemTime, c: &mut Context) {
    let (version, auth_type) = match ctx.auth.method {
        AuthMethod::HeaderV4 => ("AWS4-HMAC-SHA256", "REST-HEADER"),
        AuthMethod::PresignedV4 => ("AWS4-HMAC-SHA256", "REST-QUERY-STRING"),
        AuthMethod::HeaderV2 => ("AWS", "REST-HEADER"),
        AuthMethod::PresignedV2 => ("AWS", "REST-QUERY-STRING"),
        AuthMethod::PostPolicyV4 => ("AWS4-HMAC-SHA256", "POST"),
        AuthMethod::PostPolicyV2 => ("AWS", "POST"),
        AuthMethod::Anonymous => return,
    };
    if keys.wants("s3:signatureversion") {
        c.insert("s3:signatureversion", version);
    }
    if keys.wants("s3:authType") {
        c.insert("s3:authType", auth_type);
    }
    // A SigV2 form signs no date: whatever `x-amz-date` field it has dates nothing.
    let dated = ctx.auth.method != AuthMethod::PostPolicyV2;
    if let Some(age) = (dated && keys.wants("s3:signatureAge")).then(|| signature_age_ms(ctx, now)).flatten() {
        c.insert("s3:signatureAge", age.to_string());
    }
}

/// `s3:RequestObjectTag/*` and `s3:RequestObjectTagKeys` (from `x-amz-tagging`), and
/// `s3:ExistingObjectTag/*` (the tags of the object version the action names, read only
/// when a policy tests them).
fn tag_keys(ctx: &Ctx<'_>, keys: &Wanted<'_>, object: Option<ObjectRef<'_>>, c: &mut Context) {
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
    let Some(o) = object.filter(|o| !o.key.is_empty()) else { return };
    let found = match o.version {
        Some(id) => ctx.state.store.version(o.bucket, o.key, id),
        None => ctx.state.store.current(o.bucket, o.key),
    };
    if let Ok(Some(v)) = found {
        for (k, val) in &v.tags {
            c.insert(&format!("s3:ExistingObjectTag/{k}"), val.clone());
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
