//! Legacy AWS Signature Version 2: `Authorization: AWS AK:signature` and the
//! query form (`AWSAccessKeyId`, `Expires`, `Signature`).
//!
//! Kept because `aws s3 presign` from AWS CLI v1 and some s3cmd setups still
//! emit it. The signature is base64(HMAC-SHA1(secret, StringToSign)) with
//! StringToSign = method, Content-MD5, Content-Type, Date (or Expires), the
//! canonicalized `x-amz-*` headers and the canonicalized resource, each but
//! the last two followed by `\n`. Only path-style resources are supported:
//! the resource is the path as sent, plus the signed sub-resources.

use std::time::{Duration, SystemTime};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use http::request::Parts;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::canonical::{decode_component, query_param, raw_query_pairs};
use super::presigned::MAX_EXPIRES_SECS;
use super::sigv4::{check_skew, parse_amz_date, MAX_SKEW};
use super::{keyless_payload, AuthError, AuthMethod, Authenticated, Credentials, KeySource};

/// Query parameters that belong to the SigV2 canonicalized resource: S3's list, plus
/// coffer's own `coffer-stats` (else a SigV2-signed ListBuckets would also open it).
/// Others (a listing's `prefix`, `max-keys`...) are not signed in SigV2, as in S3.
const SUB_RESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "coffer-stats",
    "cors",
    "delete",
    "encryption",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The canonicalized resource: `/bucket` of a virtual-hosted-style request, then the
/// path as sent, then sorted sub-resources with decoded values
/// (`?partNumber=1&uploadId=x`, `?acl`). Without the bucket a signature for one
/// bucket's `Host` would be valid for every other's.
fn canonical_resource(head: &Parts, virtual_bucket: Option<&str>, slash: bool) -> Vec<u8> {
    let path = head.uri.path();
    let mut out = virtual_bucket.map_or_else(Vec::new, |b| format!("/{b}").into_bytes());
    out.extend_from_slice(if path.is_empty() { b"/" } else { path.as_bytes() });
    if slash {
        out.push(b'/');
    }
    let mut subs: Vec<(String, String)> = raw_query_pairs(head.uri.query().unwrap_or(""))
        .map(|(k, v)| (decode_component(k), decode_component(v)))
        .filter(|(k, _)| SUB_RESOURCES.contains(&k.as_str()))
        .collect();
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { b'?' } else { b'&' });
        out.extend_from_slice(k.as_bytes());
        if !v.is_empty() {
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
    }
    out
}

/// Whether the request addresses a bucket path-style without a trailing slash (`/bucket`).
fn is_bucket_path(head: &Parts, virtual_bucket: Option<&str>) -> bool {
    let path = head.uri.path();
    virtual_bucket.is_none() && path.len() > 1 && !path[1..].contains('/')
}

/// `x-amz-*` headers, lower case, sorted, values trimmed and joined by `,`; `query`
/// adds the `x-amz-*` parameters of a presigned URL, which clients sign as headers and
/// then move into the query (botocore does so with `x-amz-security-token`).
fn canonical_amz_headers(head: &Parts, query: &[(String, String)]) -> Vec<u8> {
    let mut entries: std::collections::BTreeMap<String, Vec<&[u8]>> = std::collections::BTreeMap::new();
    for name in head.headers.keys().map(http::HeaderName::as_str).filter(|n| n.starts_with("x-amz-")) {
        entries.entry(name.to_owned()).or_default().extend(head.headers.get_all(name).iter().map(|v| v.as_bytes().trim_ascii()));
    }
    for (name, value) in query {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-amz-") {
            entries.entry(lower).or_default().push(value.as_bytes().trim_ascii());
        }
    }
    let mut out = Vec::new();
    for (name, values) in entries {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(value);
        }
        out.push(b'\n');
    }
    out
}

/// The SigV2 string to sign; `date_line` is the Date header, `""` when
/// `x-amz-date` is used, or `Expires` for query authentication.
fn string_to_sign(head: &Parts, date_line: &[u8], virtual_bucket: Option<&str>) -> Vec<u8> {
    string_to_sign_as(head, date_line, virtual_bucket, false)
}

/// [`string_to_sign`], with a `/` added to the path when `slash`.
fn string_to_sign_as(head: &Parts, date_line: &[u8], virtual_bucket: Option<&str>, slash: bool) -> Vec<u8> {
    string_to_sign_with(head, date_line, virtual_bucket, slash, &[])
}

/// [`string_to_sign_as`], with the `x-amz-*` query parameters of a presigned URL among
/// the amz headers.
fn string_to_sign_with(head: &Parts, date_line: &[u8], virtual_bucket: Option<&str>, slash: bool, query: &[(String, String)]) -> Vec<u8> {
    let header = |name: &str| head.headers.get(name).map_or(&b""[..], |v| v.as_bytes());
    let mut out = Vec::with_capacity(256);
    for line in [head.method.as_str().as_bytes(), header("content-md5"), header("content-type"), date_line] {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(&canonical_amz_headers(head, query));
    out.extend_from_slice(&canonical_resource(head, virtual_bucket, slash));
    out
}

/// base64(HMAC-SHA1(secret, data)).
pub(crate) fn sign(secret: &str, data: &[u8]) -> Result<String, AuthError> {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes()).map_err(|_| AuthError::SignatureDoesNotMatch)?;
    mac.update(data);
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Where a SigV2 request's key is looked up: the key source, the session token sent
/// with the request, and the time.
pub(crate) type Found<'a> = (&'a dyn KeySource, Option<&'a str>, SystemTime);

/// Verifies `provided` for `access_key` over `sts`, in constant time.
fn verify(keys: &Found<'_>, access_key: &str, sts: &[u8], provided: &str) -> Result<Credentials, AuthError> {
    let creds = keys.0.lookup(access_key, keys.1, keys.2)?;
    let computed = sign(creds.secret_key.expose(), sts)?;
    if bool::from(computed.as_bytes().ct_eq(provided.as_bytes())) {
        Ok(creds)
    } else {
        tracing::debug!(access_key, "sigv2 signature mismatch");
        Err(AuthError::SignatureDoesNotMatch)
    }
}

/// Authenticates `Authorization: AWS AK:signature`.
pub(crate) fn authenticate_header(
    head: &Parts,
    value: &str,
    keys: &dyn KeySource,
    now: SystemTime,
    virtual_bucket: Option<&str>,
    token: Option<&str>,
) -> Result<Authenticated, AuthError> {
    let keyring: Found<'_> = (keys, token, now);
    let (access_key, signature) = value
        .strip_prefix("AWS ")
        .and_then(|rest| rest.trim().rsplit_once(':'))
        .filter(|(ak, sig)| !ak.is_empty() && !sig.is_empty())
        .ok_or_else(|| AuthError::InvalidArgument("Authorization header is invalid -- one and only one ' ' (space) required".into()))?;
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    let (time, date_line) = if let Some(v) = header("x-amz-date") {
        let t = httpdate::parse_http_date(v).ok().or_else(|| parse_amz_date(v));
        (t, &b""[..])
    } else {
        let v = header("date");
        (v.and_then(|v| httpdate::parse_http_date(v).ok()), v.map_or(&b""[..], str::as_bytes))
    };
    let time = time.ok_or_else(|| AuthError::AccessDenied("AWS authentication requires a valid Date or x-amz-date header".into()))?;
    check_skew(time, now)?;
    let sts = string_to_sign(head, date_line, virtual_bucket);
    let creds = match verify(&keyring, access_key, &sts, signature) {
        // botocore signs a path-style bucket request sent as `/bucket` with the resource
        // `/bucket/`; S3 accepts both forms for bucket-level requests, so does coffer.
        Err(AuthError::SignatureDoesNotMatch) if is_bucket_path(head, virtual_bucket) => {
            verify(&keyring, access_key, &string_to_sign_as(head, date_line, virtual_bucket, true), signature)?
        }
        other => other?,
    };
    Ok(authenticated(creds, keyless_payload(head)?, AuthMethod::HeaderV2))
}

/// Authenticates a SigV2 presigned URL (`AWSAccessKeyId`, `Expires`, `Signature`).
pub(crate) fn authenticate_query(
    head: &Parts,
    params: &[(String, String)],
    keys: &dyn KeySource,
    now: SystemTime,
    virtual_bucket: Option<&str>,
    token: Option<&str>,
) -> Result<Authenticated, AuthError> {
    let missing =
        || AuthError::AccessDenied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters".into());
    let access_key = query_param(params, "AWSAccessKeyId").ok_or_else(missing)?;
    let signature = query_param(params, "Signature").ok_or_else(missing)?;
    let expires = query_param(params, "Expires").ok_or_else(missing)?;
    let expires_at: u64 = expires.parse().map_err(|_| AuthError::AccessDenied("Invalid date (should be seconds since epoch)".into()))?;
    // checked_add: an absurd Expires must not overflow (and panic); it is refused below.
    let deadline = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(expires_at));
    if deadline.is_some_and(|d| now > d) {
        return Err(AuthError::AccessDenied("Request has expired".to_owned()));
    }
    // A URL valid for ever cannot be revoked short of changing the key: bound
    // it as SigV4 bounds X-Amz-Expires (seven days, plus the clock skew we allow).
    let longest = now + Duration::from_secs(MAX_EXPIRES_SECS) + MAX_SKEW;
    if deadline.is_none_or(|d| d > longest) {
        return Err(AuthError::AccessDenied("Expires must be less than a week (604800 seconds) in the future".to_owned()));
    }
    let sts = string_to_sign_with(head, expires.as_bytes(), virtual_bucket, false, params);
    let creds = verify(&(keys, token, now), access_key, &sts, signature)?;
    Ok(authenticated(creds, keyless_payload(head)?, AuthMethod::PresignedV2))
}

/// The result of a verified SigV2 signature.
fn authenticated(creds: Credentials, payload: super::PayloadMode, method: AuthMethod) -> Authenticated {
    Authenticated { access_key: Some(creds.access_key), payload, method, identity: creds.identity, service: "s3".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(req: http::request::Builder) -> Parts {
        req.body(()).expect("valid request").into_parts().0
    }

    #[test]
    fn resource_keeps_only_sub_resources() {
        let head = parts(http::Request::builder().uri("/b/k?uploadId=x%2By&partNumber=2&foo=1&acl"));
        assert_eq!(canonical_resource(&head, None, false), b"/b/k?acl&partNumber=2&uploadId=x+y");
        let head = parts(http::Request::builder().uri("/k?versionId=a+b"));
        assert_eq!(canonical_resource(&head, Some("b"), false), b"/b/k?versionId=a b");
    }

    /// The AWS SigV2 documentation example (GET object, "Object GET" in
    /// "Signing and Authenticating REST Requests").
    #[test]
    fn aws_documentation_example() {
        let head = parts(
            http::Request::builder()
                .method("GET")
                .uri("/photos/puppy.jpg")
                .header("host", "johnsmith.s3.amazonaws.com")
                .header("date", "Tue, 27 Mar 2007 19:36:42 +0000"),
        );
        // Virtual-hosted style, as in the example: the bucket is part of the resource.
        let sts = string_to_sign(&head, b"Tue, 27 Mar 2007 19:36:42 +0000", Some("johnsmith"));
        assert_eq!(sts, b"GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
        let sig = sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts).expect("hmac");
        assert_eq!(sig, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    }
}
