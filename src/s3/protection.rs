//! Requests that ask for what coffer does not do yet — appends — are refused before any
//! handler runs, so that no client believes it was done. Pure
//! function of the request headers. (ACLs are `super::acl`'s, which applies or refuses
//! them per the bucket's Object Ownership; server-side encryption is
//! `super::encryption`'s, Object Lock `super::object_lock`'s.)

use hyper::header::HeaderMap;

use super::error::{S3Error, S3ErrorCode, S3Result};

/// Refuses a request that asks for an append: 501 NotImplemented.
pub fn refuse_unoffered(headers: &HeaderMap) -> S3Result<()> {
    if headers.contains_key("x-amz-write-offset-bytes") {
        return Err(not_implemented("x-amz-write-offset-bytes", "appending to objects"));
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
        // Object Lock is `super::object_lock`'s.
        assert_eq!(code(&[("x-amz-object-lock-mode", "GOVERNANCE")]), None);
        assert_eq!(code(&[("x-amz-bucket-object-lock-enabled", "true")]), None);
        assert_eq!(code(&[("x-amz-write-offset-bytes", "0")]), Some(S3ErrorCode::NotImplemented));
        // Stored with the object and honoured by the website endpoint.
        assert_eq!(code(&[("x-amz-website-redirect-location", "/other")]), None);
    }
}
