//! Requests that ask for protection coffer does not give yet — Object Lock — and
//! appends and website redirects are refused before any handler runs, so that no
//! client believes its data is locked as asked when it is not. Pure function of the
//! request headers. (ACLs are `super::acl`'s, which applies or refuses them per the
//! bucket's Object Ownership; server-side encryption, and the refusal of what of it is
//! not offered, is `super::encryption`'s.)

use hyper::header::HeaderMap;

use super::error::{S3Error, S3ErrorCode, S3Result};

/// Headers asking for per-version retention or a legal hold.
const OBJECT_LOCK: &[&str] = &["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

/// Refuses a request that asks for Object Lock, an append or a website redirect: 501
/// NotImplemented.
pub fn refuse_unoffered(headers: &HeaderMap) -> S3Result<()> {
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
        let code = |pairs: &[(&'static str, &'static str)]| refuse_unoffered(&with(pairs)).err().map(|e| e.code);
        assert_eq!(code(&[("content-type", "text/plain"), ("x-amz-meta-a", "1")]), None);
        // Encryption is `super::encryption`'s.
        assert_eq!(code(&[("x-amz-server-side-encryption", "aws:kms")]), None);
        assert_eq!(code(&[("x-amz-server-side-encryption-customer-algorithm", "AES256")]), None);
        assert_eq!(code(&[("x-amz-object-lock-mode", "GOVERNANCE")]), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-object-lock-legal-hold", "ON")]), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "true")]), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "False")]), None);
        assert_eq!(code(&[("x-amz-write-offset-bytes", "0")]), Some(S3ErrorCode::NotImplemented));
        assert_eq!(code(&[("x-amz-website-redirect-location", "/other")]), Some(S3ErrorCode::NotImplemented));
    }
}
