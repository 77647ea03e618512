//! Server access logging: S3's `<BucketLoggingStatus>` document (where a bucket's
//! access log goes), the names of the log objects (SimplePrefix and PartitionedPrefix
//! key formats), and one log record in S3's documented server access log format. Pure:
//! the S3 operations are `crate::s3::logging`, recording and delivery `crate::access_log`.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The bucket configuration document holding a bucket's logging status (as sent).
pub const DOCUMENT: &str = "logging";

/// `<BucketLoggingStatus>`: logging is on when `LoggingEnabled` is present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct BucketLoggingStatus {
    /// Where the logs go; absent: logging is off.
    #[serde(rename = "LoggingEnabled", skip_serializing_if = "Option::is_none")]
    pub enabled: Option<LoggingEnabled>,
}

/// `<LoggingEnabled>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct LoggingEnabled {
    /// The bucket the log objects are written to.
    #[serde(rename = "TargetBucket")]
    pub target_bucket: String,
    /// Prepended to every log object's key (may be empty).
    #[serde(rename = "TargetPrefix", default)]
    pub target_prefix: String,
    /// Who else gets access to the log objects (buckets whose ACLs are enabled only).
    #[serde(rename = "TargetGrants", skip_serializing_if = "Option::is_none")]
    pub target_grants: Option<TargetGrants>,
    /// How log object keys are made.
    #[serde(rename = "TargetObjectKeyFormat", skip_serializing_if = "Option::is_none")]
    pub key_format: Option<TargetObjectKeyFormat>,
}

/// `<TargetGrants>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TargetGrants {
    /// The grants.
    #[serde(rename = "Grant", default)]
    pub grants: Vec<TargetGrant>,
}

/// One `<Grant>` of `<TargetGrants>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TargetGrant {
    /// The grantee.
    #[serde(rename = "Grantee")]
    pub grantee: TargetGrantee,
    /// `FULL_CONTROL`, `READ` or `WRITE`.
    #[serde(rename = "Permission")]
    pub permission: String,
}

/// `<Grantee>`: exactly one of `ID`, `EmailAddress`, `URI` (its `xsi:type` attribute
/// says which, and the element present says the same).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TargetGrantee {
    /// A canonical user id.
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Shown with `ID` (ignored when sent).
    #[serde(rename = "DisplayName", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// An account's email address.
    #[serde(rename = "EmailAddress", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A predefined group's URI.
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

impl TargetGrant {
    /// The grant as an `x-amz-grant-*` header (name, value), as a PutObject of the log
    /// object would carry it; an error names what is wrong.
    pub fn as_header(&self) -> Result<(&'static str, String), String> {
        let name = match self.permission.as_str() {
            "FULL_CONTROL" => "x-amz-grant-full-control",
            "READ" => "x-amz-grant-read",
            "WRITE" => "x-amz-grant-write",
            other => return Err(format!("Invalid permission {other:?} in TargetGrants: FULL_CONTROL, READ or WRITE")),
        };
        let g = &self.grantee;
        let value = match (&g.id, &g.email, &g.uri) {
            (Some(id), None, None) => format!("id=\"{id}\""),
            (None, Some(email), None) => format!("emailAddress=\"{email}\""),
            (None, None, Some(uri)) => format!("uri=\"{uri}\""),
            _ => return Err("A TargetGrants Grantee needs exactly one of ID, EmailAddress or URI".into()),
        };
        if value.contains(['\r', '\n']) || value.matches('"').count() != 2 {
            return Err("Invalid grantee in TargetGrants".into());
        }
        Ok((name, value))
    }
}

/// `<TargetObjectKeyFormat>`: one of `SimplePrefix` (the default) or `PartitionedPrefix`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TargetObjectKeyFormat {
    /// `<SimplePrefix/>`.
    #[serde(rename = "SimplePrefix", skip_serializing_if = "Option::is_none")]
    pub simple: Option<Empty>,
    /// `<PartitionedPrefix>`.
    #[serde(rename = "PartitionedPrefix", skip_serializing_if = "Option::is_none")]
    pub partitioned: Option<PartitionedPrefix>,
}

/// An element without content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Empty {}

/// `<PartitionedPrefix>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct PartitionedPrefix {
    /// `EventTime` (the records' time, the default) or `DeliveryTime`.
    #[serde(rename = "PartitionDateSource", skip_serializing_if = "Option::is_none")]
    pub date_source: Option<String>,
}

/// Why a logging status is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggingError {
    /// Not the schema (MalformedXML).
    Malformed(String),
    /// A value S3 refuses (InvalidArgument).
    Invalid(String),
}

/// Parses a document a client sends: S3's schema, strictly, and its rules.
pub fn parse_submitted(raw: &[u8]) -> Result<BucketLoggingStatus, LoggingError> {
    let text = std::str::from_utf8(raw).map_err(|_| LoggingError::Malformed("The XML you provided was not UTF-8.".into()))?;
    let doc: BucketLoggingStatus = super::xmldoc::parse_strict(text, "BucketLoggingStatus").map_err(LoggingError::Malformed)?;
    if let Some(e) = &doc.enabled {
        if e.target_bucket.is_empty() {
            return Err(LoggingError::Malformed("LoggingEnabled needs a TargetBucket".into()));
        }
        if let Some(f) = &e.key_format {
            if f.simple.is_some() == f.partitioned.is_some() {
                return Err(LoggingError::Malformed("TargetObjectKeyFormat needs exactly one of SimplePrefix or PartitionedPrefix".into()));
            }
            if let Some(source) = f.partitioned.as_ref().and_then(|p| p.date_source.as_deref()) {
                if source != "EventTime" && source != "DeliveryTime" {
                    return Err(LoggingError::Invalid(format!("Invalid PartitionDateSource {source:?}: EventTime or DeliveryTime")));
                }
            }
        }
        for grant in e.target_grants.iter().flat_map(|g| &g.grants) {
            grant.as_header().map_err(LoggingError::Invalid)?;
        }
    }
    Ok(doc)
}

/// Parses a stored document (validated when it was stored; elements a newer release
/// added are skipped).
pub fn parse_stored(raw: &[u8]) -> Result<BucketLoggingStatus, LoggingError> {
    let text = std::str::from_utf8(raw).map_err(|_| LoggingError::Malformed("not UTF-8".into()))?;
    super::xmldoc::parse_lenient(text, "BucketLoggingStatus").map_err(LoggingError::Malformed)
}

/// A UTC time split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
}

impl Utc {
    /// The parts of a time in milliseconds since the epoch.
    pub fn from_ms(ms: i64) -> Utc {
        let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Utc { year: t.year(), month: u8::from(t.month()), day: t.day(), hour: t.hour(), minute: t.minute(), second: t.second() }
    }

    /// As the log record's time field writes it: `06/Feb/2019:00:00:38 +0000`.
    pub fn record_time(&self) -> String {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let month = MONTHS[usize::from(self.month.clamp(1, 12) - 1)];
        format!("{:02}/{month}/{:04}:{:02}:{:02}:{:02} +0000", self.day, self.year, self.hour, self.minute, self.second)
    }
}

/// Where a log object goes and how it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFormat {
    /// `[prefix]YYYY-mm-DD-HH-MM-SS-UniqueString`.
    Simple,
    /// `[prefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/YYYY/mm/DD/YYYY-mm-DD-HH-MM-SS-UniqueString`,
    /// partitioned by the records' time (`event_time`) or the delivery's.
    Partitioned {
        /// Partitioned by the time of the records rather than of the delivery.
        event_time: bool,
    },
}

impl LoggingEnabled {
    /// The key format asked for.
    pub fn format(&self) -> KeyFormat {
        match self.key_format.as_ref().and_then(|f| f.partitioned.as_ref()) {
            Some(p) => KeyFormat::Partitioned { event_time: p.date_source.as_deref() != Some("DeliveryTime") },
            None => KeyFormat::Simple,
        }
    }
}

/// The key of a log object: `prefix` and the format's parts, the file name dated
/// `delivered` and ending in `unique` (16 uppercase hex digits); a partitioned key's
/// date directories are `partition`'s.
pub fn object_key(prefix: &str, format: &KeyFormat, source: (&str, &str, &str), partition: Utc, delivered: Utc, unique: u64) -> String {
    let file = format!(
        "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}-{unique:016X}",
        delivered.year, delivered.month, delivered.day, delivered.hour, delivered.minute, delivered.second
    );
    match format {
        KeyFormat::Simple => format!("{prefix}{file}"),
        KeyFormat::Partitioned { .. } => {
            let (account, region, bucket) = source;
            let (y, m, d) = (partition.year, partition.month, partition.day);
            // The file name carries the partition's date too, as S3's example shows.
            let file = format!("{y:04}-{m:02}-{d:02}-{:02}-{:02}-{:02}-{unique:016X}", delivered.hour, delivered.minute, delivered.second);
            format!("{prefix}{account}/{region}/{bucket}/{y:04}/{m:02}/{d:02}/{file}")
        }
    }
}

/// One request as the server access log records it (S3's "Amazon S3 server access log
/// format": every field, in order; `None` is written `-`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRecord {
    /// The source bucket owner's canonical id.
    pub bucket_owner: String,
    /// The bucket the request was for.
    pub bucket: String,
    /// When the request arrived, ms since the epoch.
    pub time_ms: i64,
    /// The client's address.
    pub remote_ip: String,
    /// The requester: its ARN, or `None` when anonymous.
    pub requester: Option<String>,
    /// The request id.
    pub request_id: String,
    /// `REST.GET.OBJECT` and so on.
    pub operation: String,
    /// The object key, if the request named one.
    pub key: Option<String>,
    /// `METHOD /path?query HTTP/1.1`, signatures and tokens left out of the query.
    pub request_uri: String,
    /// HTTP status.
    pub status: u16,
    /// The S3 error code, if any.
    pub error_code: Option<String>,
    /// Response body bytes sent (`None` when 0).
    pub bytes_sent: Option<u64>,
    /// The object's size, when the request was about one.
    pub object_size: Option<u64>,
    /// Milliseconds from the request's arrival to the last byte of the response.
    pub total_time_ms: Option<u64>,
    /// Milliseconds from the request's last byte to the response's first.
    pub turn_around_ms: Option<u64>,
    /// The Referer header.
    pub referer: Option<String>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// The version id the request named or created.
    pub version_id: Option<String>,
    /// `SigV2`, `SigV4`, or `None` when unauthenticated.
    pub signature_version: Option<String>,
    /// The TLS cipher suite, when over TLS.
    pub cipher_suite: Option<String>,
    /// `AuthHeader` or `QueryString`, or `None` when unauthenticated.
    pub auth_type: Option<String>,
    /// The Host header.
    pub host_header: Option<String>,
    /// `TLSv1.2` or `TLSv1.3`, when over TLS.
    pub tls_version: Option<String>,
    /// Whether an ACL was needed to authorize the request (`Yes`), else `None`.
    pub acl_required: bool,
    /// The region of the requester's bucket-to-bucket copy source; `None` here.
    pub source_region: Option<String>,
}

impl AccessRecord {
    /// The record as one log line (no newline).
    pub fn line(&self) -> String {
        let dash = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_owned(), token);
        let num = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let quoted = |v: &Option<String>| format!("\"{}\"", v.as_deref().map_or_else(|| "-".to_owned(), quote));
        let key = self.key.as_deref().map_or_else(|| "-".to_owned(), encode_key);
        [
            token(&self.bucket_owner),
            token(&self.bucket),
            format!("[{}]", Utc::from_ms(self.time_ms).record_time()),
            token(&self.remote_ip),
            dash(&self.requester),
            token(&self.request_id),
            token(&self.operation),
            key,
            format!("\"{}\"", quote(&self.request_uri)),
            self.status.to_string(),
            dash(&self.error_code),
            num(self.bytes_sent.filter(|n| *n > 0)),
            num(self.object_size),
            num(self.total_time_ms),
            num(self.turn_around_ms),
            quoted(&self.referer),
            quoted(&self.user_agent),
            dash(&self.version_id),
            // Host Id (x-amz-id-2): coffer sends none.
            "-".to_owned(),
            dash(&self.signature_version),
            dash(&self.cipher_suite),
            dash(&self.auth_type),
            dash(&self.host_header),
            dash(&self.tls_version),
            // Access point ARN: coffer has no access points.
            "-".to_owned(),
            if self.acl_required { "Yes".to_owned() } else { "-".to_owned() },
            dash(&self.source_region),
        ]
        .join(" ")
    }
}

/// A space-free field: anything but visible ASCII percent-encoded (an empty one is `-`).
fn token(v: &str) -> String {
    if v.is_empty() {
        return "-".to_owned();
    }
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A quoted field's content: `"`, `\` and control characters percent-encoded, so that
/// the quotes always delimit it (a Request-URI is already percent-encoded).
fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c == '"' || c == '\\' || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The key field: URL-encoded, as S3 writes it.
fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
    let encoded = percent_encoding::utf8_percent_encode(key, KEEP).to_string();
    if encoded.is_empty() {
        "-".to_owned()
    } else {
        encoded
    }
}

/// A request's query for the Request-URI field: parameters that carry a signature or a
/// session token are left out (S3 redacts `X-Amz-Signature`; the access key id in
/// `X-Amz-Credential` is not a secret and stays).
pub fn loggable_query(query: &str) -> String {
    const SECRET: &[&str] = &["X-Amz-Signature", "Signature", "X-Amz-Security-Token"];
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
            let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            !SECRET.iter().any(|s| s.eq_ignore_ascii_case(&name))
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents() {
        let doc = br#"<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>src/</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>DeliveryTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>"#;
        let status = parse_submitted(doc).unwrap();
        let e = status.enabled.unwrap();
        assert_eq!((e.target_bucket.as_str(), e.target_prefix.as_str()), ("logs", "src/"));
        assert_eq!(e.format(), KeyFormat::Partitioned { event_time: false });
        assert_eq!(parse_submitted(b"<BucketLoggingStatus/>").unwrap(), BucketLoggingStatus::default());
        assert!(matches!(parse_submitted(b"<BucketLoggingStatus><Foo/></BucketLoggingStatus>"), Err(LoggingError::Malformed(_))));
        let both = b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>l</TargetBucket><TargetPrefix></TargetPrefix><TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>";
        assert!(parse_submitted(both).is_err());
        let grants = br#"<BucketLoggingStatus><LoggingEnabled><TargetBucket>l</TargetBucket><TargetPrefix>p</TargetPrefix><TargetGrants><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee><Permission>READ</Permission></Grant></TargetGrants></LoggingEnabled></BucketLoggingStatus>"#;
        let g = parse_submitted(grants).unwrap().enabled.unwrap().target_grants.unwrap();
        assert_eq!(
            g.grants[0].as_header().unwrap(),
            ("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"".into())
        );
        let bad = b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>l</TargetBucket><TargetPrefix>p</TargetPrefix><TargetGrants><Grant><Grantee><ID>a</ID></Grantee><Permission>WRITE_ACP</Permission></Grant></TargetGrants></LoggingEnabled></BucketLoggingStatus>";
        assert!(matches!(parse_submitted(bad), Err(LoggingError::Invalid(_))));
    }

    #[test]
    fn keys() {
        let t = Utc::from_ms(1_549_411_238_000); // 2019-02-06 00:00:38
        assert_eq!(t.record_time(), "06/Feb/2019:00:00:38 +0000");
        assert_eq!(object_key("logs/", &KeyFormat::Simple, ("1", "r", "b"), t, t, 0xAB), "logs/2019-02-06-00-00-38-00000000000000AB");
        let p = object_key("logs/", &KeyFormat::Partitioned { event_time: true }, ("123456789012", "us-east-1", "src"), t, t, 1);
        assert_eq!(p, "logs/123456789012/us-east-1/src/2019/02/06/2019-02-06-00-00-38-0000000000000001");
    }

    #[test]
    fn records() {
        let r = AccessRecord {
            bucket_owner: "79a59df9".into(),
            bucket: "b".into(),
            time_ms: 1_549_411_238_000,
            remote_ip: "192.0.2.3".into(),
            request_id: "3E57427F3EXAMPLE".into(),
            operation: "REST.GET.OBJECT".into(),
            key: Some("a b/c\"d".into()),
            request_uri: "GET /b/a%20b HTTP/1.1".into(),
            status: 200,
            bytes_sent: Some(113),
            object_size: Some(113),
            total_time_ms: Some(7),
            turn_around_ms: Some(1),
            user_agent: Some("ua \"quoted\"".into()),
            ..AccessRecord::default()
        };
        assert_eq!(
            r.line(),
            "79a59df9 b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT a%20b/c%22d \"GET /b/a%20b HTTP/1.1\" 200 - 113 113 7 1 \"-\" \"ua %22quoted%22\" - - - - - - - - - -"
        );
        assert_eq!(
            loggable_query("versionId=1&X-Amz-Signature=abc&X-Amz-Credential=AK%2F1&x-amz-security-token=t&list-type=2&Signature=s"),
            "versionId=1&X-Amz-Credential=AK%2F1&list-type=2"
        );
    }
}

/// The Operation field of a request: `REST.<METHOD>.<RESOURCE>` as S3 writes it, from
/// the S3 operation's name and the HTTP method (copies are `COPY`).
pub fn operation(name: &str, method: &str) -> String {
    let resource = match name {
        "GetObject" | "PutObject" | "HeadObject" | "DeleteObject" | "CopyObject" | "PostObject" => "OBJECT",
        "CreateMultipartUpload" | "ListMultipartUploads" => "UPLOADS",
        "CompleteMultipartUpload" | "AbortMultipartUpload" | "ListParts" => "UPLOAD",
        "UploadPart" | "UploadPartCopy" => "PART",
        "ListObjects" | "ListObjectsV2" | "CreateBucket" | "DeleteBucket" | "HeadBucket" => "BUCKET",
        "ListObjectVersions" => "BUCKETVERSIONS",
        "GetBucketVersioning" | "PutBucketVersioning" => "VERSIONING",
        "GetBucketLogging" | "PutBucketLogging" => "LOGGING_STATUS",
        "GetBucketPolicy" | "PutBucketPolicy" | "DeleteBucketPolicy" => "BUCKETPOLICY",
        "GetBucketPolicyStatus" => "POLICY_STATUS",
        "GetBucketAcl" | "PutBucketAcl" | "GetObjectAcl" | "PutObjectAcl" => "ACL",
        "DeleteObjects" => "MULTI_OBJECT_DELETE",
        "Preflight" => "PREFLIGHT",
        "GetBucketLocation" => "LOCATION",
        "GetBucketTagging" | "PutBucketTagging" | "DeleteBucketTagging" => "TAGGING",
        "GetObjectTagging" | "PutObjectTagging" | "DeleteObjectTagging" => "OBJECT_TAGGING",
        "GetBucketLifecycleConfiguration" | "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => "LIFECYCLE",
        "GetBucketCors" | "PutBucketCors" | "DeleteBucketCors" => "CORS",
        "GetBucketWebsite" | "PutBucketWebsite" | "DeleteBucketWebsite" => "WEBSITE",
        "GetBucketEncryption" | "PutBucketEncryption" | "DeleteBucketEncryption" => "ENCRYPTION",
        "GetBucketNotificationConfiguration" | "PutBucketNotificationConfiguration" => "NOTIFICATION",
        "GetObjectLockConfiguration" | "PutObjectLockConfiguration" => "OBJECT_LOCK_CONFIGURATION",
        "GetObjectRetention" | "PutObjectRetention" => "RETENTION",
        "GetObjectLegalHold" | "PutObjectLegalHold" => "LEGAL_HOLD",
        "GetBucketOwnershipControls" | "PutBucketOwnershipControls" | "DeleteBucketOwnershipControls" => "OWNERSHIP_CONTROLS",
        "GetPublicAccessBlock" | "PutPublicAccessBlock" | "DeletePublicAccessBlock" => "PUBLIC_ACCESS_BLOCK",
        "GetObjectAttributes" => "OBJECT_ATTRIBUTES",
        _ => "UNKNOWN",
    };
    let verb = if matches!(name, "CopyObject" | "UploadPartCopy") { "COPY" } else { method };
    format!("REST.{verb}.{resource}")
}

#[cfg(test)]
mod operation_tests {
    #[test]
    fn operation_names() {
        assert_eq!(super::operation("GetObject", "GET"), "REST.GET.OBJECT");
        assert_eq!(super::operation("CopyObject", "PUT"), "REST.COPY.OBJECT");
        assert_eq!(super::operation("GetBucketLogging", "GET"), "REST.GET.LOGGING_STATUS");
        assert_eq!(super::operation("DeleteObjects", "POST"), "REST.POST.MULTI_OBJECT_DELETE");
        assert_eq!(super::operation("ListObjectsV2", "GET"), "REST.GET.BUCKET");
    }
}
