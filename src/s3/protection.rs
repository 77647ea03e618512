//! Requests that ask for protection coffer does not give yet — server-side encryption
//! with customer-provided keys (SSE-C), Object Lock — and appends and website redirects
//! are refused before any handler runs, so that no client believes its data is
//! encrypted or locked as asked when it is not. Pure function of the request headers.
//! (ACLs are `super::acl`'s, which applies or refuses them per the bucket's Object
//! Ownership; SSE-S3 and the refusal of SSE-KMS are `super::encryption`'s.)

use hyper::header::HeaderMap;

use super::error::{S3Error, S3ErrorCode, S3Result};

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

/// Refuses a request that asks for encryption, Object Lock or an append. SSE-C over
/// plain HTTP is 400 InvalidRequest, as S3 answers (the key would have crossed the
/// network in the clear); everything else is 501 NotImplemented. `tls` says whether the
/// request came over TLS.
pub fn refuse_unoffered(headers: &HeaderMap, tls: bool) -> S3Result<()> {
    if let Some(name) = SSE_C.iter().find(|n| headers.contains_key(**n)) {
        if !tls {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
            ));
        }
        return Err(not_implemented(name, "server-side encryption with customer-provided keys (SSE-C)"));
    }
    if let Some(name) = OBJECT_LOCK.iter().find(|n| headers.contains_key(**n)) {
        return Err(not_implemented(name, "Object Lock"));
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
        let code = |pairs: &[(&'static str, &'static str)], tls| refuse_unoffered(&with(pairs), tls).err().map(|e| e.code);
        assert_eq!(code(&[("content-type", "text/plain"), ("x-amz-meta-a", "1")], false), None);
        // Server-managed keys are `super::encryption`'s.
        assert_eq!(code(&[("x-amz-server-side-encryption", "aws:kms")], false), None);
        assert_eq!(code(&[("x-amz-server-side-encryption-customer-algorithm", "AES256")], false), Some(S3ErrorCode::InvalidRequest));
        assert_eq!(code(&[("x-amz-copy-source-server-side-encryption-customer-key", "k")], false), Some(S3ErrorCode::InvalidRequest));
        assert_eq!(code(&[("x-amz-server-side-encryption-customer-algorithm", "AES256")], true), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-object-lock-mode", "GOVERNANCE")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-object-lock-legal-hold", "ON")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "true")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "False")], false), None);
        assert_eq!(code(&[("x-amz-write-offset-bytes", "0")], false), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-website-redirect-location", "/other")], false), Some(S3ErrorCode::NotImplemented));
    }
}
