//! The S3 client of the load generator: hyper's pooled HTTP/1 client, requests signed
//! with `aws-sigv4` (the AWS SDK's own signer), path-style addressing. Each call is one
//! operation; it returns what was transferred or the S3 error code.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4::SigningParams;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::args::{Args, Payload};
use super::body::{Pattern, RequestBody};

/// Characters SigV4 leaves unencoded in a query value (RFC 3986 unreserved).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// The same in a path, where `/` separates segments.
const PATH: &AsciiSet = &QUERY.remove(b'/');
/// Error bodies are read up to this size to find the S3 error code.
const ERROR_BODY_LIMIT: usize = 64 << 10;

/// What a successful operation moved.
#[derive(Debug, Default, Clone, Copy)]
pub struct Done {
    /// Body bytes sent (PUT) or received (GET, list).
    pub bytes: u64,
    /// Keys in a list page.
    pub items: u64,
}

/// Why an operation failed: the S3 error code, `HTTP <status>` without one, or
/// `transport: ...` when no response arrived.
pub type Failure = String;

/// A signing S3 client for one endpoint and bucket.
pub struct S3 {
    /// Pooled HTTP/1 connections.
    client: Client<HttpConnector, RequestBody>,
    /// `http://host:port`.
    endpoint: String,
    /// `host:port`, as signed.
    host: String,
    /// Access key and secret. Converted into the signer's identity per request (a
    /// cheap Arc clone): coffer does not depend on the crate that names that type.
    credentials: aws_credential_types::Credentials,
    /// SigV4 region.
    region: String,
    /// Bucket, unencoded.
    bucket: String,
    /// How PUT bodies are signed.
    payload: Payload,
    /// Source of generated object bytes.
    pattern: Pattern,
}

impl S3 {
    /// A client for the endpoint, credentials and bucket of `args`.
    pub fn new(args: &Args, pattern: Pattern) -> Result<Self, String> {
        let host = args.endpoint.strip_prefix("http://").ok_or("only http:// endpoints are supported")?.to_owned();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(usize::MAX).build(connector);
        let creds = aws_credential_types::Credentials::new(&args.access_key, &args.secret_key, None, None, "coffer-bench");
        Ok(Self {
            client,
            endpoint: args.endpoint.clone(),
            host,
            credentials: creds,
            region: args.region.clone(),
            bucket: args.bucket.clone(),
            payload: args.payload,
            pattern,
        })
    }

    /// Signs and sends one request. `body_sha256` is the hex SHA-256 of the body, or
    /// `None` for `UNSIGNED-PAYLOAD`.
    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: RequestBody,
        body_sha256: Option<&str>,
        content_length: u64,
    ) -> Result<Response<Incoming>, Failure> {
        let uri = format!("{}{path_and_query}", self.endpoint);
        let mut req = Request::builder()
            .method(method)
            .uri(&uri)
            .header("host", &self.host)
            .header("content-length", content_length)
            .body(body)
            .map_err(|e| format!("request: {e}"))?;
        self.sign(&mut req, body_sha256)?;
        self.client.request(req).await.map_err(|e| format!("transport: {}", transport_reason(&e)))
    }

    /// Adds `x-amz-date`, `x-amz-content-sha256` and `Authorization`.
    fn sign(&self, req: &mut Request<RequestBody>, body_sha256: Option<&str>) -> Result<(), Failure> {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = self.credentials.clone().into();
        let params = SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| format!("signing: {e}"))?
            .into();
        let body = match body_sha256 {
            Some(h) => SignableBody::Precomputed(h.to_owned()),
            None => SignableBody::UnsignedPayload,
        };
        let uri = req.uri().to_string();
        let headers = req.headers().iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
        let signable = SignableRequest::new(req.method().as_str(), uri.as_str(), headers, body).map_err(|e| format!("signing: {e}"))?;
        let (instructions, _signature) = sign(signable, &params).map_err(|e| format!("signing: {e}"))?.into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }

    fn object_path(&self, key: &str) -> String {
        format!("/{}/{}", self.bucket, utf8_percent_encode(key, PATH))
    }

    /// HeadBucket, then CreateBucket if it is missing (or was created meanwhile).
    pub async fn ensure_bucket(&self) -> Result<(), Failure> {
        let path = format!("/{}", self.bucket);
        let head = self.send(Method::HEAD, &path, RequestBody::Empty, Some(EMPTY_SHA256), 0).await?;
        match head.status() {
            s if s.is_success() => return Ok(()),
            StatusCode::NOT_FOUND => {}
            _ => return Err(failure(head).await),
        }
        let body = if self.region == "us-east-1" {
            Bytes::new()
        } else {
            let xml = format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            );
            Bytes::from(xml)
        };
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
        let len = body.len() as u64;
        let resp = self.send(Method::PUT, &path, RequestBody::Full(Some(body)), Some(&sha), len).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        match failure(resp).await.as_str() {
            "BucketAlreadyOwnedByYou" => Ok(()),
            other => Err(other.to_owned()),
        }
    }

    /// PutObject of `len` generated bytes (content unique to `seed`).
    pub async fn put(&self, key: &str, seed: u64, len: u64) -> Result<Done, Failure> {
        let sha = match self.payload {
            Payload::Unsigned => None,
            Payload::Signed => Some(self.pattern.sha256_hex(seed, len)),
        };
        let body = RequestBody::Generated(self.pattern.body(seed, len));
        let resp = self.send(Method::PUT, &self.object_path(key), body, sha.as_deref(), len).await?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        drain(resp).await?;
        Ok(Done { bytes: len, items: 0 })
    }

    /// GetObject, reading and discarding the body.
    pub async fn get(&self, key: &str) -> Result<Done, Failure> {
        let resp = self.send(Method::GET, &self.object_path(key), RequestBody::Empty, Some(EMPTY_SHA256), 0).await?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        Ok(Done { bytes: drain(resp).await?, items: 0 })
    }

    /// DeleteObject.
    pub async fn delete(&self, key: &str) -> Result<Done, Failure> {
        let resp = self.send(Method::DELETE, &self.object_path(key), RequestBody::Empty, Some(EMPTY_SHA256), 0).await?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        drain(resp).await?;
        Ok(Done::default())
    }

    /// One ListObjectsV2 page of up to `max_keys` keys (or common prefixes, with a
    /// delimiter) under `prefix` after `start_after`.
    pub async fn list(&self, prefix: &str, start_after: &str, max_keys: u32, delimiter: Option<&str>) -> Result<Done, Failure> {
        let delimiter = delimiter.map(|d| format!("&delimiter={}", utf8_percent_encode(d, QUERY))).unwrap_or_default();
        let path = format!(
            "/{}?list-type=2&max-keys={max_keys}&prefix={}&start-after={}{delimiter}",
            self.bucket,
            utf8_percent_encode(prefix, QUERY),
            utf8_percent_encode(start_after, QUERY)
        );
        let resp = self.send(Method::GET, &path, RequestBody::Empty, Some(EMPTY_SHA256), 0).await?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        let body = resp.into_body().collect().await.map_err(|e| format!("transport: {}", transport_reason(&e)))?.to_bytes();
        let items = count(&body, b"<Contents>") + count(&body, b"<CommonPrefixes>");
        Ok(Done { bytes: body.len() as u64, items })
    }
}

/// SHA-256 of the empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Reads and discards a body; returns its length.
async fn drain(resp: Response<Incoming>) -> Result<u64, Failure> {
    let mut body = resp.into_body();
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("transport: {}", transport_reason(&e)))?;
        if let Some(data) = frame.data_ref() {
            n += data.len() as u64;
        }
    }
    Ok(n)
}

/// The S3 error code of a failed response (`HTTP <status>` if the body has none).
async fn failure(resp: Response<Incoming>) -> Failure {
    let status = resp.status();
    let body = http_body_util::Limited::new(resp.into_body(), ERROR_BODY_LIMIT).collect().await.map(http_body_util::Collected::to_bytes);
    body.ok().and_then(|b| error_code(&b)).unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
}

/// `<Code>...</Code>` of an S3 error document.
pub fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    Some(text[start..end].trim().to_owned()).filter(|c| !c.is_empty())
}

/// Occurrences of `needle` in `hay`.
fn count(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}

/// A short, stable reason for a transport error (its innermost cause).
fn transport_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>x</Message></Error>";
        assert_eq!(error_code(body).as_deref(), Some("NoSuchKey"));
        assert_eq!(error_code(b""), None);
        assert_eq!(error_code(b"<Code></Code>"), None);
    }

    #[test]
    fn counting() {
        assert_eq!(count(b"<Contents>a</Contents><Contents>", b"<Contents>"), 2);
        assert_eq!(count(b"", b"<Contents>"), 0);
    }
}
