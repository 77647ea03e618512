//! Requests that ask for protection or sharing coffer does not give yet — server-side
//! encryption (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C), Object Lock, ACLs that grant anyone
//! but the owner — and appends and website redirects are refused before any handler runs, so that no client
//! believes its data is encrypted, locked or shared as asked when it is not. Pure
//! function of the request headers.

use hyper::header::HeaderMap;

use super::error::{S3Error, S3ErrorCode, S3Result};

/// Headers asking for server-side encryption with server-managed keys.
const SSE: &[&str] = &[
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
];

/// Headers carrying a customer-provided key (SSE-C), for the object or a copy source.
const SSE_C: &[&str] = &[
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
];

/// Headers asking for per-version retention or a legal hold.
const OBJECT_LOCK: &[&str] = &["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

/// Canned ACLs that grant nothing beyond the owner: all S3 accepts on a bucket whose
/// Object Ownership is "bucket owner enforced", its default since 2023 and coffer's
/// only mode until ACLs exist.
const OWNER_ONLY_ACLS: &[&str] = &["private", "bucket-owner-full-control"];

/// Explicit ACL grants.
const GRANTS: &[&str] =
    &["x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"];

/// Refuses a request that asks for encryption, Object Lock, an ACL or an append. SSE-C over plain HTTP is
/// 400 InvalidRequest, as S3 answers (the key would have crossed the network in the
/// clear); everything else is 501 NotImplemented. `tls` says whether the request came
/// over TLS; `create_bucket` whether it is a CreateBucket (whose ACL refusal S3 names
/// InvalidBucketAclWithObjectOwnership).
pub fn refuse_unoffered(headers: &HeaderMap, tls: bool, create_bucket: bool) -> S3Result<()> {
    if let Some(name) = SSE_C.iter().find(|n| headers.contains_key(**n)) {
        if !tls {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
            ));
        }
        return Err(not_implemented(name, "server-side encryption with customer-provided keys (SSE-C)"));
    }
    // `bucket-key-enabled: false` asks for nothing.
    let asks =
        |n: &str| headers.get(n).is_some_and(|v| !(n.ends_with("-bucket-key-enabled") && v.as_bytes().eq_ignore_ascii_case(b"false")));
    if let Some(name) = SSE.iter().find(|n| asks(n)) {
        return Err(not_implemented(name, "server-side encryption"));
    }
    if let Some(name) = OBJECT_LOCK.iter().find(|n| headers.contains_key(**n)) {
        return Err(not_implemented(name, "Object Lock"));
    }
    let acl = headers.get("x-amz-acl").map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_ascii_lowercase());
    if acl.is_some_and(|a| !OWNER_ONLY_ACLS.contains(&a.as_str())) || GRANTS.iter().any(|g| headers.contains_key(*g)) {
        return Err(if create_bucket {
            S3Error::with_message(
                S3ErrorCode::InvalidBucketAclWithObjectOwnership,
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting (coffer buckets are owner-only).",
            )
        } else {
            S3Error::with_message(
                S3ErrorCode::AccessControlListNotSupported,
                "The bucket does not allow ACLs: coffer buckets are owner-only (Object Ownership: bucket owner enforced).",
            )
        });
    }
    if headers.get("x-amz-object-ownership").is_some_and(|v| v.as_bytes() != b"BucketOwnerEnforced") {
        return Err(not_implemented("x-amz-object-ownership", "Object Ownership settings other than BucketOwnerEnforced (ACLs)"));
    }
    if headers.contains_key("x-amz-write-offset-bytes") {
        return Err(not_implemented("x-amz-write-offset-bytes", "appending to objects"));
    }
    // Stored and served by S3's website endpoint; coffer has none yet, and dropping it
    // would leave the client believing the redirect exists.
    if headers.contains_key("x-amz-website-redirect-location") {
        return Err(not_implemented("x-amz-website-redirect-location", "website redirects"));
    }
    // CreateBucket sends `x-amz-bucket-object-lock-enabled: false` for an ordinary bucket.
    let lock_bucket = headers.get("x-amz-bucket-object-lock-enabled").is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"false"));
    if lock_bucket {
        return Err(not_implemented("x-amz-bucket-object-lock-enabled", "Object Lock"));
    }
    Ok(())
}

fn not_implemented(header: &str, what: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NotImplemented,
        format!("coffer does not support {what} yet; the request was refused rather than stored unprotected ({header})."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn refusals() {
        let code = |pairs: &[(&'static str, &'static str)], tls| refuse_unoffered(&with(pairs), tls, false).err().map(|e| e.code);
        assert_eq!(code(&[("content-type", "text/plain"), ("x-amz-meta-a", "1")], false), None);
        for v in ["AES256", "aws:kms", "aws:kms:dsse"] {
            assert_eq!(code(&[("x-amz-server-side-encryption", v)], false), Some(S3ErrorCode::NotImplemented));
        }
        assert_eq!(code(&[("x-amz-server-side-encryption-customer-algorithm", "AES256")], false), Some(S3ErrorCode::InvalidRequest));
        assert_eq!(code(&[("x-amz-copy-source-server-side-encryption-customer-key", "k")], false), Some(S3ErrorCode::InvalidRequest));
        assert_eq!(code(&[("x-amz-server-side-encryption-customer-algorithm", "AES256")], true), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-object-lock-mode", "GOVERNANCE")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-object-lock-legal-hold", "ON")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "true")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "False")], false), None);
        assert_eq!(code(&[("x-amz-server-side-encryption-bucket-key-enabled", "false")], false), None);
        assert_eq!(code(&[("x-amz-server-side-encryption-bucket-key-enabled", "true")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-acl", "private")], false), None);
        assert_eq!(code(&[("x-amz-acl", "bucket-owner-full-control")], false), None);
        assert_eq!(code(&[("x-amz-acl", "public-read")], false), Some(S3ErrorCode::AccessControlListNotSupported));
        assert_eq!(
            code(&[("x-amz-grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers")], false),
            Some(S3ErrorCode::AccessControlListNotSupported)
        );
        assert_eq!(code(&[("x-amz-object-ownership", "BucketOwnerEnforced")], false), None);
        assert_eq!(code(&[("x-amz-object-ownership", "ObjectWriter")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-write-offset-bytes", "0")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-website-redirect-location", "/other")], false), Some(S3ErrorCode::NotImplemented));
        let on_create = refuse_unoffered(&with(&[("x-amz-acl", "public-read")]), false, true).unwrap_err().code;
        assert_eq!(on_create, S3ErrorCode::InvalidBucketAclWithObjectOwnership);
    }
}
