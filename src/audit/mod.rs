//! The audit trail: every change to identities, policies, ACLs, locks, encryption keys
//! and bucket configuration, and every failed authentication, as one JSON line in
//! CloudTrail's shape (`eventTime`, `eventName`, `userIdentity`, `sourceIPAddress`,
//! `userAgent`, `requestParameters`, `errorCode`…) appended to `audit.path` (rotated by
//! size) and, optionally, sent to notification destinations (`audit.destinations`).
//!
//! Which requests are audited is decided here, in one place: [`s3_event`] for S3
//! operations, [`query_action_audited`] for IAM/STS actions, [`kms_operation_audited`]
//! for KMS; failed authentication everywhere. Reads and object data operations are not
//! (those are the server access log's).
//!
//! Records never hold secrets: request parameters are the bucket and key for S3, and
//! for the query APIs the form minus every parameter that can carry a secret or a
//! signature ([`redacted_parameters`]).
//!
//! Records are queued to a writer task (bounded: a flood of failed sign-ins cannot
//! take memory; records past the bound are counted as dropped and logged). The file is
//! appended with `write` and synced once per batch of records.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// Records queued for the writer at most.
const QUEUE: usize = 10_000;

/// Who made an audited request, as CloudTrail's `userIdentity`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// `Root`, `IAMUser`, `AssumedRole`, or `Anonymous` (unauthenticated or failed).
    #[serde(rename = "type")]
    pub kind: String,
    /// The principal's ARN, when it authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Its account, when it authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The access key id the request was signed with (claimed, when authentication failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
}

impl UserIdentity {
    /// From the ARN of the principal that authenticated (if any) and the access key
    /// the request claimed.
    pub fn new(arn: Option<&str>, access_key_id: Option<String>) -> Self {
        let Some(arn) = arn else { return Self { kind: "Anonymous".into(), access_key_id, ..Self::default() } };
        let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
        let kind = if resource == "root" {
            "Root"
        } else if resource.starts_with("assumed-role/") {
            "AssumedRole"
        } else {
            "IAMUser"
        };
        Self { kind: kind.into(), arn: Some(arn.to_owned()), account_id: arn.split(':').nth(4).map(str::to_owned), access_key_id }
    }
}

/// One audit record (a JSON line).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Format version of these records.
    pub event_version: &'static str,
    /// When the request arrived, ISO 8601 UTC.
    pub event_time: String,
    /// `s3.amazonaws.com`, `iam.amazonaws.com`, `sts.amazonaws.com`, `kms.amazonaws.com`
    /// or `coffer-admin` (the admin API).
    pub event_source: &'static str,
    /// The operation or action (`PutBucketPolicy`, `CreateUser`…), or the API's name
    /// when authentication failed before the action was known.
    pub event_name: String,
    /// The server's region.
    pub aws_region: String,
    /// The client's address.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    /// The client's User-Agent.
    pub user_agent: String,
    /// Who made the request.
    pub user_identity: UserIdentity,
    /// What the request named (no secrets).
    pub request_parameters: Value,
    /// The error code, if the request failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The request id (`x-amz-request-id`).
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// A unique id of this record.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Always `false`: only changes and failed authentications are recorded.
    pub read_only: bool,
}

/// Fields every record of a request shares, gathered by the front end.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Arrival time.
    pub time: std::time::SystemTime,
    /// Client address.
    pub peer: std::net::SocketAddr,
    /// User-Agent header.
    pub user_agent: String,
    /// `x-amz-request-id`.
    pub request_id: String,
    /// The access key the request claimed (Authorization header or presigned query).
    pub access_key_id: Option<String>,
}

impl RequestContext {
    /// The context of a request from its head.
    pub fn of(parts: &http::request::Parts, peer: std::net::SocketAddr, request_id: &str) -> Self {
        Self::from_head(&parts.headers, &parts.uri, peer, request_id)
    }

    /// The context of a request from its headers and URI.
    pub fn from_head(headers: &http::HeaderMap, uri: &http::Uri, peer: std::net::SocketAddr, request_id: &str) -> Self {
        Self {
            time: std::time::SystemTime::now(),
            peer,
            user_agent: headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned(),
            request_id: request_id.to_owned(),
            access_key_id: claimed_access_key(headers, uri),
        }
    }

    /// A record of this request.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        source: &'static str,
        event_name: &str,
        region: &str,
        principal_arn: Option<&str>,
        request_parameters: Value,
        status: u16,
        error_code: Option<&str>,
    ) -> AuditRecord {
        AuditRecord {
            event_version: "1.0",
            event_time: iso8601(self.time),
            event_source: source,
            event_name: event_name.to_owned(),
            aws_region: region.to_owned(),
            source_ip_address: self.peer.ip().to_string(),
            user_agent: self.user_agent.clone(),
            user_identity: UserIdentity::new(principal_arn, self.access_key_id.clone()),
            request_parameters,
            error_code: error_code.map(str::to_owned),
            status,
            request_id: self.request_id.clone(),
            event_id: format!("{:032x}", rand::random::<u128>()),
            read_only: false,
        }
    }
}

fn iso8601(t: std::time::SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    dt.format(&f).unwrap_or_default()
}

/// The access key id a request claims: SigV4 or SigV2 Authorization header, or a
/// presigned URL's query. Not verified: for failed attempts it is what the client said.
pub fn claimed_access_key(headers: &http::HeaderMap, uri: &http::Uri) -> Option<String> {
    let valid = |k: &str| (!k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| k.to_owned());
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        if let Some(rest) = auth.split("Credential=").nth(1) {
            return valid(rest.split('/').next().unwrap_or_default());
        }
        if let Some(rest) = auth.strip_prefix("AWS ") {
            return valid(rest.split(':').next().unwrap_or_default());
        }
    }
    let query = uri.query().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
        match k {
            "X-Amz-Credential" => valid(v.split('/').next().unwrap_or_default()),
            "AWSAccessKeyId" => valid(&v),
            _ => None,
        }
    })
}

/// The S3 operations that are audited (changes of policy, ACLs, locks, encryption and
/// bucket configuration, and buckets themselves), by operation name.
pub fn s3_event(operation: &str) -> bool {
    const AUDITED: &[&str] = &[
        "CreateBucket",
        "DeleteBucket",
        "PutBucketVersioning",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutObjectAcl",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
        "PutObjectLockConfiguration",
        "PutObjectRetention",
        "PutObjectLegalHold",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
        "PutBucketNotificationConfiguration",
        "PutBucketCors",
        "DeleteBucketCors",
        "PutBucketWebsite",
        "DeleteBucketWebsite",
        "PutBucketTagging",
        "DeleteBucketTagging",
        "PutBucketLogging",
    ];
    AUDITED.contains(&operation)
}

/// Whether an IAM or STS action is audited: every one that changes something or issues
/// credentials (all but `Get*`, `List*` and `GetCallerIdentity`).
pub fn query_action_audited(action: &str) -> bool {
    const ISSUE_CREDENTIALS: &[&str] = &["GetSessionToken", "GetFederationToken"];
    ISSUE_CREDENTIALS.contains(&action) || !(action.starts_with("Get") || action.starts_with("List") || action.starts_with("Simulate"))
}

/// Whether a KMS operation is audited: key management, not data use (Encrypt,
/// Decrypt, GenerateDataKey… are data events) and not reads.
pub fn kms_operation_audited(operation: &str) -> bool {
    const DATA: &[&str] = &["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom"];
    !(DATA.contains(&operation) || operation.starts_with("Describe") || operation.starts_with("Get") || operation.starts_with("List"))
}

/// Whether an error code means the request failed to authenticate (S3, IAM, STS, KMS).
pub fn is_authentication_failure(code: &str) -> bool {
    const CODES: &[&str] = &[
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "IncompleteSignature",
        "ExpiredToken",
        "InvalidToken",
        "RequestTimeTooSkewed",
        "AuthorizationHeaderMalformed",
        "AuthorizationQueryParametersError",
        "MissingSecurityHeader",
        "MissingAuthenticationToken",
        "InvalidSignatureException",
    ];
    CODES.contains(&code)
}

/// A query-API form as request parameters: every parameter but those that can hold a
/// secret or a signature, which are left out entirely.
pub fn redacted_parameters(form: &[(String, String)]) -> Value {
    const SECRET: &[&str] = &[
        "Password",
        "NewPassword",
        "OldPassword",
        "WebIdentityToken",
        "SAMLAssertion",
        "TokenCode",
        "Plaintext",
        "CiphertextBlob",
        "Signature",
        "AWSAccessKeyId",
        "SecretAccessKey",
    ];
    // Also anything whose name says it may hold a secret (PrivateKey, AuthenticationCode1,
    // a future ...Password or ...Token parameter).
    const SECRET_PARTS: &[&str] =
        &["password", "secret", "token", "privatekey", "authenticationcode", "plaintext", "ciphertext", "signature"];
    let mut out = serde_json::Map::new();
    for (k, v) in form {
        let lower = k.to_ascii_lowercase();
        if SECRET.contains(&k.as_str())
            || SECRET_PARTS.iter().any(|p| lower.contains(p))
            || k.starts_with("X-Amz-")
            || k == "Action"
            || k == "Version"
        {
            continue;
        }
        out.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(out)
}

/// What the audit log has written and dropped since start-up.
#[derive(Debug, Default)]
pub struct AuditStats {
    /// Records written to the file.
    pub written: AtomicU64,
    /// Records dropped: the queue was full, or the file could not be written.
    pub dropped: AtomicU64,
}

/// The audit log: a queue to its writer task.
pub struct AuditLog {
    queue: Option<tokio::sync::mpsc::Sender<AuditRecord>>,
    /// Counters for the metrics.
    pub stats: Arc<AuditStats>,
}

/// Where and how the log is written.
#[derive(Debug, Clone)]
pub struct AuditFile {
    /// The file; rotated ones are `<path>.1` (newest) … `<path>.<keep>`.
    pub path: PathBuf,
    /// Rotate once the file would pass this size.
    pub max_bytes: u64,
    /// Rotated files kept.
    pub keep: u32,
}

/// Sends a record line somewhere else too (a notification destination).
pub type Forward = Arc<dyn Fn(Vec<u8>) -> futures_util::future::BoxFuture<'static, Result<(), String>> + Send + Sync>;

impl AuditLog {
    /// A log that records nothing (`audit.path = ""`).
    pub fn off() -> Self {
        Self { queue: None, stats: Arc::default() }
    }

    /// Starts the writer task for `file`, and a task forwarding each line to `forwards`
    /// (its own bounded queue: a slow destination never holds the file back).
    pub fn start(file: AuditFile, forwards: Vec<(String, Forward)>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(QUEUE);
        let stats = Arc::new(AuditStats::default());
        let forward_queue = (!forwards.is_empty()).then(|| {
            let (ftx, frx) = tokio::sync::mpsc::channel(QUEUE);
            tokio::spawn(forward_records(frx, forwards));
            ftx
        });
        tokio::spawn(write_records(file, rx, Arc::clone(&stats), forward_queue));
        Self { queue: Some(tx), stats }
    }

    /// Queues a record; never waits. A full queue drops it (counted, logged).
    pub fn record(&self, record: AuditRecord) {
        let Some(queue) = &self.queue else { return };
        if queue.try_send(record).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!("audit queue full: a record was dropped");
        }
    }
}

/// The writer task: appends records as they come, syncing once per batch.
async fn write_records(
    file: AuditFile,
    mut rx: tokio::sync::mpsc::Receiver<AuditRecord>,
    stats: Arc<AuditStats>,
    forward: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 256).await > 0 {
        let lines: Vec<Vec<u8>> = batch
            .drain(..)
            .map(|r| {
                let mut line = serde_json::to_vec(&r).unwrap_or_default();
                line.push(b'\n');
                line
            })
            .collect();
        let n = lines.len() as u64;
        let target = file.clone();
        let to_write = lines.clone();
        match tokio::task::spawn_blocking(move || append(&target, &to_write)).await {
            Ok(Ok(())) => {
                stats.written.fetch_add(n, Ordering::Relaxed);
            }
            Ok(Err(e)) => {
                stats.dropped.fetch_add(n, Ordering::Relaxed);
                tracing::error!(path = %file.path.display(), error = %e, records = n, "audit records could not be written");
            }
            Err(e) => tracing::error!(error = %e, "audit writer panicked"),
        }
        if let Some(queue) = &forward {
            for line in lines {
                if queue.try_send(line).is_err() {
                    tracing::warn!("audit forwarding queue full: a record was not forwarded (it is in the file)");
                }
            }
        }
    }
}

/// Sends each line to every destination, best effort (the file is the record).
async fn forward_records(mut rx: tokio::sync::mpsc::Receiver<Vec<u8>>, forwards: Vec<(String, Forward)>) {
    while let Some(line) = rx.recv().await {
        for (name, forward) in &forwards {
            let sent = tokio::time::timeout(std::time::Duration::from_secs(10), forward(line.clone())).await;
            if !matches!(sent, Ok(Ok(()))) {
                tracing::warn!(destination = %name, "an audit record was not forwarded");
            }
        }
    }
}

/// Appends `lines` to the file, rotating first if they would take it past its size.
fn append(file: &AuditFile, lines: &[Vec<u8>]) -> std::io::Result<()> {
    let incoming: u64 = lines.iter().map(|l| l.len() as u64).sum();
    let size = std::fs::metadata(&file.path).map_or(0, |m| m.len());
    if size > 0 && size + incoming > file.max_bytes {
        rotate(&file.path, file.keep)?;
    }
    if let Some(dir) = file.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&file.path)?;
    for line in lines {
        f.write_all(line)?;
    }
    f.sync_data()
}

/// `path` → `path.1` → … → `path.keep` (the oldest dropped).
fn rotate(path: &Path, keep: u32) -> std::io::Result<()> {
    let numbered = |n: u32| {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    };
    if keep == 0 {
        return std::fs::remove_file(path);
    }
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        let from = numbered(n);
        if from.exists() {
            std::fs::rename(&from, numbered(n + 1))?;
        }
    }
    std::fs::rename(path, numbered(1))
}

/// The request parameters of an S3 request: its bucket and key.
pub fn s3_parameters(bucket: Option<&str>, key: Option<&str>) -> Value {
    let mut m = BTreeMap::new();
    if let Some(b) = bucket {
        m.insert("bucketName", b);
    }
    if let Some(k) = key {
        m.insert("key", k);
    }
    serde_json::to_value(m).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_from_arns() {
        let root = UserIdentity::new(Some("arn:aws:iam::123456789012:root"), Some("AK".into()));
        assert_eq!((root.kind.as_str(), root.account_id.as_deref()), ("Root", Some("123456789012")));
        assert_eq!(UserIdentity::new(Some("arn:aws:iam::123456789012:user/team/bob"), None).kind, "IAMUser");
        assert_eq!(UserIdentity::new(Some("arn:aws:sts::123456789012:assumed-role/R/s"), None).kind, "AssumedRole");
        assert_eq!(UserIdentity::new(None, None).kind, "Anonymous");
    }

    #[test]
    fn secrets_never_reach_parameters() {
        let form: Vec<(String, String)> = [
            ("Action", "CreateLoginProfile"),
            ("UserName", "bob"),
            ("Password", "hunter2"),
            ("X-Amz-Signature", "abc"),
            ("WebIdentityToken", "eyJ"),
            ("PrivateKey", "-----BEGIN"),
            ("AuthenticationCode1", "123456"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let p = redacted_parameters(&form);
        assert_eq!(p, serde_json::json!({"UserName": "bob"}));
    }

    #[test]
    fn which_requests_are_audited() {
        assert!(s3_event("PutBucketPolicy") && s3_event("CreateBucket") && !s3_event("GetObject") && !s3_event("PutObject"));
        assert!(query_action_audited("CreateUser") && query_action_audited("AssumeRole") && !query_action_audited("ListUsers"));
        assert!(!query_action_audited("GetCallerIdentity"));
        assert!(query_action_audited("GetSessionToken") && query_action_audited("GetFederationToken"));
        assert!(kms_operation_audited("ScheduleKeyDeletion") && !kms_operation_audited("Decrypt") && !kms_operation_audited("DescribeKey"));
        assert!(is_authentication_failure("SignatureDoesNotMatch") && !is_authentication_failure("AccessDenied"));
    }

    #[test]
    fn rotation_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let file = AuditFile { path: dir.path().join("audit.log"), max_bytes: 10, keep: 2 };
        for i in 0..4u8 {
            append(&file, &[vec![b'0' + i; 8]]).unwrap();
        }
        let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
        assert_eq!(read("audit.log"), vec![b'3'; 8]);
        assert_eq!(read("audit.log.1"), vec![b'2'; 8]);
        assert_eq!(read("audit.log.2"), vec![b'1'; 8]);
        assert!(!dir.path().join("audit.log.3").exists());
    }

    #[test]
    fn claimed_keys() {
        let parts = |auth: Option<&str>, uri: &str| {
            let mut b = http::Request::builder().uri(uri);
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            let parts = b.body(()).unwrap().into_parts().0;
            (parts.headers, parts.uri)
        };
        let v4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x";
        let claimed = |auth, uri| {
            let (h, u) = parts(auth, uri);
            claimed_access_key(&h, &u)
        };
        assert_eq!(claimed(Some(v4), "/").as_deref(), Some("AKIDEXAMPLE"));
        assert_eq!(claimed(Some("AWS AKID2:sig"), "/").as_deref(), Some("AKID2"));
        assert_eq!(claimed(None, "/b/k?X-Amz-Credential=AKID3%2F2026").as_deref(), Some("AKID3"));
        assert_eq!(claimed(None, "/"), None);
    }
}
