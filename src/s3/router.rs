//! Routing: from method, path, query and Host to an [`Endpoint`] (one variant per S3
//! operation), with bucket and key decoded. Pure: no I/O, unit-tested on the request
//! shapes of the AWS documentation.

use hyper::Method;

use super::error::{S3Error, S3ErrorCode};

/// One S3 operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// GET /
    ListBuckets,
    /// PUT /bucket
    CreateBucket,
    /// HEAD /bucket
    HeadBucket,
    /// DELETE /bucket
    DeleteBucket,
    /// GET /bucket?location
    GetBucketLocation,
    /// GET /bucket?versioning
    GetBucketVersioning,
    /// PUT /bucket?versioning
    PutBucketVersioning,
    /// GET /bucket?versions
    ListObjectVersions,
    /// GET /bucket
    ListObjects,
    /// GET /bucket?list-type=2
    ListObjectsV2,
    /// POST /bucket?delete
    DeleteObjects,
    /// PUT /bucket/key
    PutObject,
    /// PUT /bucket/key with x-amz-copy-source
    CopyObject,
    /// GET /bucket/key
    GetObject,
    /// GET /bucket/key?attributes
    GetObjectAttributes,
    /// HEAD /bucket/key
    HeadObject,
    /// DELETE /bucket/key
    DeleteObject,
    /// POST /bucket/key?uploads
    CreateMultipartUpload,
    /// PUT /bucket/key?partNumber=N&uploadId=ID
    UploadPart,
    /// PUT /bucket/key?partNumber=N&uploadId=ID with x-amz-copy-source
    UploadPartCopy,
    /// POST /bucket/key?uploadId=ID
    CompleteMultipartUpload,
    /// DELETE /bucket/key?uploadId=ID
    AbortMultipartUpload,
    /// GET /bucket/key?uploadId=ID
    ListParts,
    /// GET /bucket?uploads
    ListMultipartUploads,
    /// PUT /bucket?object-lock
    PutObjectLockConfiguration,
    /// GET /bucket?object-lock
    GetObjectLockConfiguration,
    /// PUT /bucket/key?retention
    PutObjectRetention,
    /// GET /bucket/key?retention
    GetObjectRetention,
    /// PUT /bucket/key?legal-hold
    PutObjectLegalHold,
    /// GET /bucket/key?legal-hold
    GetObjectLegalHold,
    /// PUT /bucket?encryption
    PutBucketEncryption,
    /// GET /bucket?encryption
    GetBucketEncryption,
    /// DELETE /bucket?encryption
    DeleteBucketEncryption,
    /// PUT /bucket/key?tagging
    PutObjectTagging,
    /// GET /bucket/key?tagging
    GetObjectTagging,
    /// DELETE /bucket/key?tagging
    DeleteObjectTagging,
    /// PUT /bucket?tagging
    PutBucketTagging,
    /// GET /bucket?tagging
    GetBucketTagging,
    /// DELETE /bucket?tagging
    DeleteBucketTagging,
    /// PUT /bucket?lifecycle
    PutBucketLifecycleConfiguration,
    /// GET /bucket?lifecycle
    GetBucketLifecycleConfiguration,
    /// DELETE /bucket?lifecycle
    DeleteBucketLifecycle,
    /// PUT /bucket?notification
    PutBucketNotificationConfiguration,
    /// GET /bucket?notification
    GetBucketNotificationConfiguration,
    /// PUT /bucket?policy
    PutBucketPolicy,
    /// GET /bucket?policy
    GetBucketPolicy,
    /// DELETE /bucket?policy
    DeleteBucketPolicy,
    /// GET /bucket?policyStatus
    GetBucketPolicyStatus,
    /// PUT /bucket?acl
    PutBucketAcl,
    /// GET /bucket?acl
    GetBucketAcl,
    /// PUT /bucket/key?acl
    PutObjectAcl,
    /// GET /bucket/key?acl
    GetObjectAcl,
    /// PUT /bucket?ownershipControls
    PutBucketOwnershipControls,
    /// GET /bucket?ownershipControls
    GetBucketOwnershipControls,
    /// DELETE /bucket?ownershipControls
    DeleteBucketOwnershipControls,
    /// PUT /bucket?publicAccessBlock
    PutPublicAccessBlock,
    /// GET /bucket?publicAccessBlock
    GetPublicAccessBlock,
    /// DELETE /bucket?publicAccessBlock
    DeletePublicAccessBlock,
    /// PUT /bucket?cors
    PutBucketCors,
    /// GET /bucket?cors
    GetBucketCors,
    /// DELETE /bucket?cors
    DeleteBucketCors,
    /// OPTIONS /bucket[/key]: a CORS preflight.
    Preflight,
    /// PUT /bucket?website
    PutBucketWebsite,
    /// GET /bucket?website
    GetBucketWebsite,
    /// DELETE /bucket?website
    DeleteBucketWebsite,
    /// PUT /bucket?logging
    PutBucketLogging,
    /// GET /bucket?logging
    GetBucketLogging,
    /// POST /bucket with a multipart/form-data body (browser form upload).
    PostObject,
    /// GET /?coffer-stats — coffer's own operational counters (JSON).
    Stats,
    /// A recognised S3 operation coffer does not implement yet (its name).
    NotYet(&'static str),
}

/// A routed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The operation.
    pub endpoint: Endpoint,
    /// Bucket name, as sent (validated by the handler that needs it).
    pub bucket: Option<String>,
    /// Object key, decoded.
    pub key: Option<String>,
    /// The bucket came from the Host header (virtual-hosted style).
    pub virtual_host: bool,
}

/// What the router needs from a request.
pub struct RouteInput<'a> {
    /// HTTP method.
    pub method: &'a Method,
    /// The path as sent (percent-encoded).
    pub raw_path: &'a str,
    /// Decoded query parameters, in order.
    pub query: &'a [(String, String)],
    /// The Host header, if any.
    pub host: Option<&'a str>,
    /// The virtual-host domain ("" = path-style only).
    pub domain: &'a str,
    /// Whether `x-amz-copy-source` is present.
    pub copy_source: bool,
}

/// Bucket sub-resources recognised but not implemented, by query name and method.
const BUCKET_NOT_YET: &[(&str, &str)] = &[
    ("replication", "BucketReplication"),
    ("accelerate", "BucketAccelerateConfiguration"),
    ("requestPayment", "BucketRequestPayment"),
    ("analytics", "BucketAnalyticsConfiguration"),
    ("metrics", "BucketMetricsConfiguration"),
    ("inventory", "BucketInventoryConfiguration"),
    ("intelligent-tiering", "BucketIntelligentTieringConfiguration"),
    ("session", "CreateSession"),
    ("metadataTable", "BucketMetadataTableConfiguration"),
];

/// Object sub-resources recognised but not implemented.
const OBJECT_NOT_YET: &[(&str, &str)] =
    &[("restore", "RestoreObject"), ("select", "SelectObjectContent"), ("torrent", "ObjectTorrent"), ("renameObject", "RenameObject")];

fn has(query: &[(String, String)], name: &str) -> bool {
    query.iter().any(|(k, _)| k == name)
}

/// Routes a request. Errors: undecodable path (InvalidURI-like `InvalidArgument`) or
/// a method S3 does not define for the resource (`MethodNotAllowed`).
pub fn route(input: &RouteInput<'_>) -> Result<Route, S3Error> {
    let path = percent_encoding::percent_decode_str(input.raw_path)
        .decode_utf8()
        .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "The request path is not valid UTF-8"))?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    let virtual_bucket = virtual_host_bucket(input.host, input.domain);
    let virtual_host = virtual_bucket.is_some();
    let (bucket, key) = match virtual_bucket {
        Some(bucket) => (Some(bucket), path.to_owned()),
        None => match path.split_once('/') {
            Some((b, k)) => (Some(b.to_owned()), k.to_owned()),
            None if path.is_empty() => (None, String::new()),
            None => (Some(path.to_owned()), String::new()),
        },
    };
    let endpoint = match (&bucket, key.is_empty()) {
        (None, _) if *input.method == Method::GET && has(input.query, "coffer-stats") => Endpoint::Stats,
        (None, _) => service_endpoint(input.method)?,
        (Some(_), true) => bucket_endpoint(input.method, input.query)?,
        (Some(_), false) => object_endpoint(input.method, input.query, input.copy_source)?,
    };
    let key = (!key.is_empty()).then_some(key);
    Ok(Route { endpoint, bucket, key, virtual_host })
}

/// The bucket named by a virtual-hosted-style Host header (`bucket.<domain>[:port]`).
fn virtual_host_bucket(host: Option<&str>, domain: &str) -> Option<String> {
    if domain.is_empty() {
        return None;
    }
    let host = without_port(host?);
    let bucket = host.strip_suffix(domain)?.strip_suffix('.')?;
    (!bucket.is_empty()).then(|| bucket.to_ascii_lowercase())
}

/// A Host header without its port (`[::1]:9000` → `[::1]`, `a.b:80` → `a.b`).
pub fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        // A name or IPv4 address with a port, or a bracketed IPv6 literal with one; a
        // bare IPv6 literal's colons are not a port.
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) => h,
        _ => host,
    }
}

fn not_allowed() -> S3Error {
    S3Error::new(S3ErrorCode::MethodNotAllowed)
}

fn service_endpoint(method: &Method) -> Result<Endpoint, S3Error> {
    match *method {
        Method::GET => Ok(Endpoint::ListBuckets),
        _ => Err(not_allowed()),
    }
}

fn bucket_endpoint(method: &Method, query: &[(String, String)]) -> Result<Endpoint, S3Error> {
    let m = method.clone();
    if m == Method::GET && has(query, "location") {
        return Ok(Endpoint::GetBucketLocation);
    }
    if has(query, "object-lock") {
        return match m {
            Method::PUT => Ok(Endpoint::PutObjectLockConfiguration),
            Method::GET => Ok(Endpoint::GetObjectLockConfiguration),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "encryption") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketEncryption),
            Method::GET => Ok(Endpoint::GetBucketEncryption),
            Method::DELETE => Ok(Endpoint::DeleteBucketEncryption),
            _ => Err(not_allowed()),
        };
    }
    if m == Method::OPTIONS {
        return Ok(Endpoint::Preflight);
    }
    if has(query, "cors") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketCors),
            Method::GET => Ok(Endpoint::GetBucketCors),
            Method::DELETE => Ok(Endpoint::DeleteBucketCors),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "website") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketWebsite),
            Method::GET => Ok(Endpoint::GetBucketWebsite),
            Method::DELETE => Ok(Endpoint::DeleteBucketWebsite),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "logging") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketLogging),
            Method::GET => Ok(Endpoint::GetBucketLogging),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "tagging") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketTagging),
            Method::GET => Ok(Endpoint::GetBucketTagging),
            Method::DELETE => Ok(Endpoint::DeleteBucketTagging),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "notification") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketNotificationConfiguration),
            Method::GET => Ok(Endpoint::GetBucketNotificationConfiguration),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "lifecycle") {
        return match m {
            Method::PUT => Ok(Endpoint::PutBucketLifecycleConfiguration),
            Method::GET => Ok(Endpoint::GetBucketLifecycleConfiguration),
            Method::DELETE => Ok(Endpoint::DeleteBucketLifecycle),
            _ => Err(not_allowed()),
        };
    }
    if let Some(e) = bucket_access_endpoint(&m, query) {
        return e;
    }
    if has(query, "versioning") {
        return match m {
            Method::GET => Ok(Endpoint::GetBucketVersioning),
            Method::PUT => Ok(Endpoint::PutBucketVersioning),
            _ => Err(not_allowed()),
        };
    }
    if m == Method::GET && has(query, "versions") {
        return Ok(Endpoint::ListObjectVersions);
    }
    if m == Method::GET && has(query, "uploads") {
        return Ok(Endpoint::ListMultipartUploads);
    }
    if m == Method::POST && has(query, "delete") {
        return Ok(Endpoint::DeleteObjects);
    }
    if let Some((_, name)) = BUCKET_NOT_YET.iter().find(|(q, _)| has(query, q)) {
        return Ok(Endpoint::NotYet(name));
    }
    match m {
        Method::PUT => Ok(Endpoint::CreateBucket),
        Method::HEAD => Ok(Endpoint::HeadBucket),
        Method::DELETE => Ok(Endpoint::DeleteBucket),
        Method::GET if query.iter().any(|(k, v)| k == "list-type" && v == "2") => Ok(Endpoint::ListObjectsV2),
        Method::GET => Ok(Endpoint::ListObjects),
        Method::POST => Ok(Endpoint::PostObject),
        _ => Err(not_allowed()),
    }
}

fn object_endpoint(method: &Method, query: &[(String, String)], copy_source: bool) -> Result<Endpoint, S3Error> {
    if *method == Method::OPTIONS {
        return Ok(Endpoint::Preflight);
    }
    if has(query, "uploadId") {
        return match *method {
            Method::PUT if copy_source => Ok(Endpoint::UploadPartCopy),
            Method::PUT => Ok(Endpoint::UploadPart),
            Method::POST => Ok(Endpoint::CompleteMultipartUpload),
            Method::DELETE => Ok(Endpoint::AbortMultipartUpload),
            Method::GET => Ok(Endpoint::ListParts),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "retention") {
        return match *method {
            Method::PUT => Ok(Endpoint::PutObjectRetention),
            Method::GET => Ok(Endpoint::GetObjectRetention),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "legal-hold") {
        return match *method {
            Method::PUT => Ok(Endpoint::PutObjectLegalHold),
            Method::GET => Ok(Endpoint::GetObjectLegalHold),
            _ => Err(not_allowed()),
        };
    }
    if has(query, "tagging") {
        return match *method {
            Method::PUT => Ok(Endpoint::PutObjectTagging),
            Method::GET => Ok(Endpoint::GetObjectTagging),
            Method::DELETE => Ok(Endpoint::DeleteObjectTagging),
            _ => Err(not_allowed()),
        };
    }
    if *method == Method::POST && has(query, "uploads") {
        return Ok(Endpoint::CreateMultipartUpload);
    }
    if has(query, "attributes") {
        return if *method == Method::GET { Ok(Endpoint::GetObjectAttributes) } else { Err(not_allowed()) };
    }
    if has(query, "acl") {
        return match *method {
            Method::PUT => Ok(Endpoint::PutObjectAcl),
            Method::GET => Ok(Endpoint::GetObjectAcl),
            _ => Err(not_allowed()),
        };
    }
    if let Some((_, name)) = OBJECT_NOT_YET.iter().find(|(q, _)| has(query, q)) {
        return Ok(Endpoint::NotYet(name));
    }
    match *method {
        Method::PUT if copy_source => Ok(Endpoint::CopyObject),
        Method::PUT => Ok(Endpoint::PutObject),
        Method::GET => Ok(Endpoint::GetObject),
        Method::HEAD => Ok(Endpoint::HeadObject),
        Method::DELETE => Ok(Endpoint::DeleteObject),
        _ => Err(not_allowed()),
    }
}

/// The bucket sub-resources of access control: policy, policy status, ACL, ownership
/// controls, public access block.
fn bucket_access_endpoint(m: &Method, query: &[(String, String)]) -> Option<Result<Endpoint, S3Error>> {
    use Endpoint as E;
    /// (query, PUT, GET, DELETE)
    type Row = (&'static str, Option<E>, Option<E>, Option<E>);
    let table: [Row; 5] = [
        ("policy", Some(E::PutBucketPolicy), Some(E::GetBucketPolicy), Some(E::DeleteBucketPolicy)),
        ("policyStatus", None, Some(E::GetBucketPolicyStatus), None),
        ("acl", Some(E::PutBucketAcl), Some(E::GetBucketAcl), None),
        (
            "ownershipControls",
            Some(E::PutBucketOwnershipControls),
            Some(E::GetBucketOwnershipControls),
            Some(E::DeleteBucketOwnershipControls),
        ),
        ("publicAccessBlock", Some(E::PutPublicAccessBlock), Some(E::GetPublicAccessBlock), Some(E::DeletePublicAccessBlock)),
    ];
    let (_, put, get, delete) = table.into_iter().find(|(q, ..)| has(query, q))?;
    let endpoint = match *m {
        Method::PUT => put,
        Method::GET => get,
        Method::DELETE => delete,
        _ => None,
    };
    Some(endpoint.ok_or_else(not_allowed))
}

/// Parses a raw query string into decoded pairs (`+` is a space, as in forms).
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_pass_by_value)]
    fn r(method: Method, path: &str, query: &str, host: Option<&str>, copy: bool) -> Route {
        let q = parse_query(Some(query));
        route(&RouteInput { method: &method, raw_path: path, query: &q, host, domain: "s3.local", copy_source: copy }).unwrap()
    }

    #[test]
    fn path_style() {
        assert_eq!(r(Method::GET, "/", "", None, false).endpoint, Endpoint::ListBuckets);
        assert_eq!(r(Method::GET, "/", "coffer-stats", None, false).endpoint, Endpoint::Stats);
        let x = r(Method::PUT, "/photos/a/b%20c.jpg", "", None, false);
        assert_eq!((x.endpoint, x.bucket.as_deref(), x.key.as_deref()), (Endpoint::PutObject, Some("photos"), Some("a/b c.jpg")));
        assert_eq!(r(Method::PUT, "/photos", "", None, false).endpoint, Endpoint::CreateBucket);
        assert_eq!(r(Method::PUT, "/photos/", "", None, false).endpoint, Endpoint::CreateBucket);
        assert_eq!(r(Method::GET, "/photos", "list-type=2&prefix=a", None, false).endpoint, Endpoint::ListObjectsV2);
        assert_eq!(r(Method::GET, "/photos", "location", None, false).endpoint, Endpoint::GetBucketLocation);
        assert_eq!(r(Method::POST, "/photos", "delete", None, false).endpoint, Endpoint::DeleteObjects);
        assert_eq!(r(Method::PUT, "/p/k", "", None, true).endpoint, Endpoint::CopyObject);
        assert_eq!(r(Method::GET, "/p/k", "uploadId=1", None, false).endpoint, Endpoint::ListParts);
        assert_eq!(r(Method::POST, "/p/k", "uploads", None, false).endpoint, Endpoint::CreateMultipartUpload);
        assert_eq!(r(Method::PUT, "/p/k", "partNumber=1&uploadId=1", None, false).endpoint, Endpoint::UploadPart);
        assert_eq!(r(Method::PUT, "/p/k", "partNumber=1&uploadId=1", None, true).endpoint, Endpoint::UploadPartCopy);
        assert_eq!(r(Method::POST, "/p/k", "uploadId=1", None, false).endpoint, Endpoint::CompleteMultipartUpload);
        assert_eq!(r(Method::DELETE, "/p/k", "uploadId=1", None, false).endpoint, Endpoint::AbortMultipartUpload);
        assert_eq!(r(Method::GET, "/p", "uploads", None, false).endpoint, Endpoint::ListMultipartUploads);
        assert_eq!(r(Method::GET, "/p/k", "partNumber=2", None, false).endpoint, Endpoint::GetObject);
        assert_eq!(r(Method::GET, "/p", "acl", None, false).endpoint, Endpoint::GetBucketAcl);
        assert_eq!(r(Method::PUT, "/p/k", "acl&versionId=v", None, false).endpoint, Endpoint::PutObjectAcl);
        assert_eq!(r(Method::GET, "/p", "policyStatus", None, false).endpoint, Endpoint::GetBucketPolicyStatus);
        assert_eq!(r(Method::DELETE, "/p", "policy", None, false).endpoint, Endpoint::DeleteBucketPolicy);
        assert_eq!(r(Method::PUT, "/p", "ownershipControls", None, false).endpoint, Endpoint::PutBucketOwnershipControls);
        assert_eq!(r(Method::DELETE, "/p", "publicAccessBlock", None, false).endpoint, Endpoint::DeletePublicAccessBlock);
        assert!(route(&RouteInput {
            method: &Method::POST,
            raw_path: "/p",
            query: &parse_query(Some("policy")),
            host: None,
            domain: "s3.local",
            copy_source: false
        })
        .is_err());
        assert_eq!(r(Method::PUT, "/p/k", "tagging", None, false).endpoint, Endpoint::PutObjectTagging);
        assert_eq!(r(Method::DELETE, "/p", "tagging", None, false).endpoint, Endpoint::DeleteBucketTagging);
        assert_eq!(r(Method::PUT, "/p", "encryption", None, false).endpoint, Endpoint::PutBucketEncryption);
        assert_eq!(r(Method::DELETE, "/p", "encryption", None, false).endpoint, Endpoint::DeleteBucketEncryption);
        assert_eq!(r(Method::GET, "/p", "lifecycle", None, false).endpoint, Endpoint::GetBucketLifecycleConfiguration);
        assert_eq!(r(Method::PUT, "/p", "versioning", None, false).endpoint, Endpoint::PutBucketVersioning);
        assert_eq!(r(Method::GET, "/p", "versions&prefix=a", None, false).endpoint, Endpoint::ListObjectVersions);
        assert_eq!(r(Method::DELETE, "/p/k", "versionId=x", None, false).endpoint, Endpoint::DeleteObject);
        let dots = r(Method::GET, "/p/../x/./y", "", None, false);
        assert_eq!(dots.key.as_deref(), Some("../x/./y"));
    }

    #[test]
    fn virtual_host_style() {
        let x = r(Method::GET, "/a/b", "", Some("photos.s3.local:9000"), false);
        assert_eq!((x.endpoint, x.bucket.as_deref(), x.key.as_deref()), (Endpoint::GetObject, Some("photos"), Some("a/b")));
        assert_eq!(r(Method::GET, "/p/k", "attributes", None, false).endpoint, Endpoint::GetObjectAttributes);
        let b = r(Method::GET, "/", "list-type=2", Some("photos.s3.local"), false);
        assert_eq!((b.endpoint, b.bucket.as_deref()), (Endpoint::ListObjectsV2, Some("photos")));
        // The bare domain or another host falls back to path-style.
        assert_eq!(r(Method::GET, "/", "", Some("s3.local:9000"), false).endpoint, Endpoint::ListBuckets);
        assert_eq!(r(Method::GET, "/", "", Some("127.0.0.1:9000"), false).endpoint, Endpoint::ListBuckets);
    }

    #[test]
    fn bad_requests() {
        let q = Vec::new();
        let e = route(&RouteInput { method: &Method::PATCH, raw_path: "/b/k", query: &q, host: None, domain: "", copy_source: false });
        assert_eq!(e.unwrap_err().code, S3ErrorCode::MethodNotAllowed);
        let e = route(&RouteInput { method: &Method::GET, raw_path: "/b/%FF", query: &q, host: None, domain: "", copy_source: false });
        assert_eq!(e.unwrap_err().code, S3ErrorCode::InvalidArgument);
    }

    #[test]
    fn query_decoding() {
        assert_eq!(
            parse_query(Some("prefix=a%2Fb+c&delimiter=%2F&x")),
            vec![("prefix".into(), "a/b c".into()), ("delimiter".into(), "/".into()), ("x".into(), String::new())]
        );
    }
}
