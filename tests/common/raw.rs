//! Raw HTTP for what SDKs never send: requests signed with `aws-sigv4` (header,
//! presigned, aws-chunked with chunk signatures) written byte for byte to a TCP socket,
//! and a minimal HTTP/1.1 response parser.
//!
//! Every request carries `Connection: close`, so a response is whatever the server
//! writes until it closes the socket; that keeps the parser trivial and lets tests send
//! truncated or malformed bytes.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The region every test server runs in.
pub const REGION: &str = "us-east-1";

/// How long a raw exchange may take before the test fails instead of hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (the SigV4
/// rule for query values and key segments).
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Like [`SIGV4_ENCODE`] but keeps `/`, for object keys in paths.
const PATH_ENCODE: &AsciiSet = &SIGV4_ENCODE.remove(b'/');

/// Percent-encodes a query value the SigV4 way.
pub fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, SIGV4_ENCODE).to_string()
}

/// Percent-encodes an object key for a path (keeping `/`).
pub fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, PATH_ENCODE).to_string()
}

/// `host:port` of an `http://host:port` endpoint.
pub fn host_of(endpoint: &str) -> String {
    endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Base64 MD5 (a Content-MD5 value).
pub fn md5_b64(bytes: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes))
}

/// Base64 big-endian CRC-32 (an `x-amz-checksum-crc32` value).
pub fn crc32_b64(bytes: &[u8]) -> String {
    use base64::Engine;
    let crc = u32::try_from(crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, bytes)).unwrap();
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The text of the first `<tag>…</tag>` element of the body.
    pub fn xml(&self, tag: &str) -> Option<String> {
        xml_field(&self.text(), tag)
    }

    /// The S3 error code (`<Code>`), if the body is an error document.
    pub fn code(&self) -> Option<String> {
        self.xml("Code")
    }

    /// Asserts status and S3 error code, and that the error carries a request id.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code().as_deref()), (status, Some(code)), "unexpected response: {self:?} / {}", self.text());
        assert!(self.header("x-amz-request-id").is_some_and(|v| !v.is_empty()), "no x-amz-request-id: {self:?}");
    }
}

/// The text of the first `<tag>…</tag>` in `xml` (no entity decoding).
pub fn xml_field(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].to_owned())
}

/// Every `<tag>…</tag>` text in `xml`, in order.
pub fn xml_fields(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_owned());
        rest = &after[j + close.len()..];
    }
    out
}

/// How the payload is declared in `x-amz-content-sha256`.
#[derive(Debug, Clone)]
pub enum Payload {
    /// The SHA-256 of the request body.
    Body,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// A literal value (a wrong hash, `STREAMING-…`).
    Literal(String),
}

/// Who signs, when, and how the payload is declared.
#[derive(Debug, Clone)]
pub struct Signer {
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Signing time.
    pub time: SystemTime,
    /// Payload declaration.
    pub payload: Payload,
    /// The SigV4 service name (`s3`; `coffer-admin` for the admin API).
    pub service: String,
}

impl Default for Signer {
    fn default() -> Self {
        Self {
            access_key: DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            time: SystemTime::now(),
            payload: Payload::Body,
            service: "s3".to_owned(),
        }
    }
}

impl Signer {
    fn credentials(&self) -> Credentials {
        Credentials::new(&self.access_key, &self.secret_key, None, None, "raw")
    }

    fn settings(location: SignatureLocation, expires_in: Option<Duration>) -> SigningSettings {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind =
            if location == SignatureLocation::Headers { PayloadChecksumKind::XAmzSha256 } else { PayloadChecksumKind::NoHeader };
        settings.signature_location = location;
        settings.expires_in = expires_in;
        settings
    }

    /// Signs `req` (sent to `host`) in its headers; returns the seed signature (for
    /// aws-chunked bodies).
    pub fn sign(&self, host: &str, req: &mut Request) -> String {
        let identity = self.credentials().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name(&self.service)
            .time(self.time)
            .settings(Self::settings(SignatureLocation::Headers, None))
            .build()
            .unwrap()
            .into();
        if !req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.headers.insert(0, ("host".to_owned(), host.to_owned()));
        }
        let body = match &self.payload {
            Payload::Body => SignableBody::Bytes(&req.body),
            Payload::Unsigned => SignableBody::UnsignedPayload,
            Payload::Literal(v) => SignableBody::Precomputed(v.clone()),
        };
        let uri = format!("http://{host}{}", req.target);
        let signable = SignableRequest::new(&req.method, uri, req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), body).unwrap();
        let (instructions, signature) = sign(signable, &params).unwrap().into_parts();
        let (headers, _) = instructions.into_parts();
        for h in headers {
            req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(h.name()));
            req.headers.push((h.name().to_owned(), h.value().to_owned()));
        }
        signature
    }

    /// A presigned `target` (path and optional query, already encoded) for `method`,
    /// valid `expires` from the signing time.
    pub fn presign(&self, host: &str, method: &str, target: &str, expires: Duration) -> String {
        let identity = self.credentials().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name("s3")
            .time(self.time)
            .settings(Self::settings(SignatureLocation::QueryParams, Some(expires)))
            .build()
            .unwrap()
            .into();
        let uri = format!("http://{host}{target}");
        let headers = [("host", host)];
        let signable = SignableRequest::new(method, uri, headers.into_iter(), SignableBody::UnsignedPayload).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (_, query): (_, Vec<(&str, Cow<'static, str>)>) = instructions.into_parts();
        let mut out = target.to_owned();
        for (i, (k, v)) in query.iter().enumerate() {
            let sep = if i == 0 && !target.contains('?') { '?' } else { '&' };
            out.push(sep);
            out.push_str(k);
            out.push('=');
            out.push_str(&encode_query(v));
        }
        out
    }

    /// The signature of one aws-chunked chunk, chained from `previous`.
    pub fn chunk_signature(&self, chunk: &[u8], previous: &str) -> String {
        let identity = self.credentials().into();
        let params =
            v4::SigningParams::builder().identity(&identity).region(REGION).name("s3").time(self.time).settings(()).build().unwrap();
        let chunk = bytes::Bytes::copy_from_slice(chunk);
        v4::sign_chunk(&chunk, previous, &params).unwrap().signature().to_owned()
    }
}

/// A raw request: method, request target as sent on the wire, headers and body.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `PUT`…
    pub method: String,
    /// Path and query exactly as written on the request line.
    pub target: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes as sent.
    pub body: Vec<u8>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: &str, target: &str) -> Self {
        Self { method: method.to_owned(), target: target.to_owned(), headers: Vec::new(), body: Vec::new() }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// Signed with the default credentials at the current time, payload hashed.
    #[must_use]
    pub fn signed(mut self, host: &str) -> Self {
        Signer::default().sign(host, &mut self);
        self
    }

    /// Signed by `signer`.
    #[must_use]
    pub fn signed_by(mut self, host: &str, signer: &Signer) -> Self {
        signer.sign(host, &mut self);
        self
    }

    /// The head (request line + headers + blank line): adds `Content-Length` when the
    /// request has neither it nor `Transfer-Encoding`, and `Connection: close`.
    pub fn head_bytes(&self, host: &str) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        if !self.has_header("host") {
            let _ = write!(out, "host: {host}\r\n");
        }
        for (k, v) in &self.headers {
            let _ = write!(out, "{k}: {v}\r\n");
        }
        if !self.has_header("content-length") && !self.has_header("transfer-encoding") {
            let _ = write!(out, "content-length: {}\r\n", self.body.len());
        }
        if !self.has_header("connection") {
            out.push_str("connection: close\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    /// Head and body as written on the wire.
    pub fn to_bytes(&self, host: &str) -> Vec<u8> {
        let mut out = self.head_bytes(host);
        out.extend_from_slice(&self.body);
        out
    }

    /// Sends to `host` (`ip:port`) and reads the response.
    pub async fn send(&self, host: &str) -> Response {
        send_bytes(host, &self.to_bytes(host)).await
    }
}

/// Writes `bytes` to a fresh connection to `addr`, half-closes nothing, reads until the
/// server closes, and parses the (last non-1xx) response.
pub async fn send_bytes(addr: &str, bytes: &[u8]) -> Response {
    tokio::time::timeout(IO_TIMEOUT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may answer (and close) before reading a whole body it rejects.
        let _ = stream.write_all(bytes).await;
        read_response(&mut stream).await
    })
    .await
    .expect("raw exchange timed out")
}

/// Reads until EOF (or reset) and parses.
pub async fn read_response(stream: &mut TcpStream) -> Response {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    parse_response(&buf)
}

/// Parses one HTTP/1.1 response, skipping interim 1xx responses.
pub fn parse_response(mut bytes: &[u8]) -> Response {
    loop {
        let end = find(bytes, b"\r\n\r\n").unwrap_or_else(|| panic!("no complete response head in {:?}", String::from_utf8_lossy(bytes)));
        let head = std::str::from_utf8(&bytes[..end]).unwrap();
        let rest = &bytes[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> =
            lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
        if (100..200).contains(&status) {
            bytes = rest;
            continue;
        }
        let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else if let Some(len) = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse::<usize>().ok()) {
            rest[..len.min(rest.len())].to_vec()
        } else {
            rest.to_vec()
        };
        return Response { status, headers, body };
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = find(bytes, b"\r\n") {
        let size_text = std::str::from_utf8(&bytes[..eol]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(bytes.len());
        out.extend_from_slice(&bytes[start..end]);
        bytes = &bytes[(end + 2).min(bytes.len())..];
    }
    out
}

/// An `aws-chunked` body with chunk signatures (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`)
/// for `data` split into `chunk_size` pieces, chained from `seed`.
pub fn signed_chunked_body(signer: &Signer, seed: &str, data: &[u8], chunk_size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous = seed.to_owned();
    for piece in data.chunks(chunk_size).chain(std::iter::once(&[][..])) {
        let signature = signer.chunk_signature(piece, &previous);
        out.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
        previous = signature;
    }
    out
}

/// A signed `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` PUT of `data` to `target`; `tamper`
/// flips one byte of the first chunk's data after signing.
pub fn streaming_signed_put(host: &str, target: &str, data: &[u8], chunk_size: usize, tamper: bool) -> Request {
    let signer = Signer { payload: Payload::Literal("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into()), ..Signer::default() };
    let encoded_len = signed_chunked_body(&signer, &"0".repeat(64), data, chunk_size).len();
    let mut req = Request::new("PUT", target)
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", &data.len().to_string())
        .header("content-length", &encoded_len.to_string());
    let seed = signer.sign(host, &mut req);
    let mut body = signed_chunked_body(&signer, &seed, data, chunk_size);
    if tamper {
        let first_data = find(&body, b"\r\n").unwrap() + 2;
        body[first_data] ^= 0x01;
    }
    req.body = body;
    req
}

/// An `aws-chunked` body with no chunk signatures and one trailer
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
pub fn unsigned_trailer_body(data: &[u8], chunk_size: usize, trailer_name: &str, trailer_value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(chunk_size) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("0\r\n{trailer_name}:{trailer_value}\r\n\r\n").as_bytes());
    out
}

/// A browser form upload (POST Object) of `file` to `bucket`/`key`: a policy naming
/// exactly that bucket and key, valid for an hour, signed with SigV4 by the default
/// credentials.
pub fn signed_form(bucket: &str, key: &str, file: &[u8]) -> Request {
    use base64::Engine as _;
    let now = SystemTime::now();
    let t = time::OffsetDateTime::from(now);
    let date = format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second());
    let expiration = (t + time::Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let credential = format!("{DEFAULT_ACCESS_KEY}/{}/{REGION}/s3/aws4_request", &date[..8]);
    let policy = serde_json::json!({"expiration": expiration, "conditions": [
        {"bucket": bucket}, {"key": key}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": credential}, {"x-amz-date": date}
    ]});
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let signing = v4::generate_signing_key(DEFAULT_SECRET_KEY, now, REGION, "s3");
    let signature = v4::calculate_signature(signing.as_ref(), policy.as_bytes());
    let boundary = "coffer-form-boundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("key", key),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", &credential),
        ("x-amz-date", &date),
        ("policy", &policy),
        ("x-amz-signature", &signature),
    ] {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::new("POST", &format!("/{bucket}")).header("content-type", &format!("multipart/form-data; boundary={boundary}")).body(body)
}
