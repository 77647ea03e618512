//! Issue #15, "S3 fine print": the small print of the S3 API that real clients rely on.
//! `+` in list prefixes, refused encryption and object-lock headers, unknown XML
//! elements, user-metadata encoding and Content-Encoding, SigV2 header auth,
//! conditional writes and deletes, GetObjectAttributes, wrong checksums, part-number
//! reads, bucket re-creation and ListBuckets paging, max-keys=0, lifecycle rule IDs,
//! retried multipart completions and malformed `x-amz-tagging`.
//!
//! Every refusal is checked for its exact status and S3 error code, and for leaving
//! the stored data as it was. The SDK sends what it can; raw HTTP sends the rest.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_s3::operation::complete_multipart_upload::builders::CompleteMultipartUploadFluentBuilder;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketVersioningStatus, ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, GetObjectAttributesParts,
    ObjectAttributes, ObjectCannedAcl, ObjectIdentifier, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectOwnership, StorageClass, Tag,
    Tagging, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use base64::Engine as _;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::raw::{crc32_b64, encode_key, encode_query, md5_b64, send_bytes, signed_chunked_body, xml_fields, Payload, Request, Signer};
use common::{assert_sdk_error, data, error_info, TestServer};

const MIB: usize = 1 << 20;

/// An ETag no object here has.
const WRONG_ETAG: &str = "\"0123456789abcdef0123456789abcdef\"";

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// A server with bucket `bkt`, its SDK client and its `host:port`.
async fn server() -> (TestServer, Client, String) {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    let host = srv.host();
    (srv, s3, host)
}

/// An SDK client for `endpoint` that signs for `region`.
fn client_in(endpoint: &str, region: &'static str) -> Client {
    common::client_in_region(endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, region)
}

/// PUTs `body` to `bkt/key`; returns the (quoted) ETag.
async fn put(s3: &Client, key: &str, body: &[u8]) -> String {
    s3.put_object().bucket("bkt").key(key).body(ByteStream::from(body.to_vec())).send().await.unwrap().e_tag().unwrap().to_owned()
}

async fn get(s3: &Client, key: &str) -> Vec<u8> {
    s3.get_object().bucket("bkt").key(key).send().await.unwrap().body.collect().await.unwrap().into_bytes().to_vec()
}

/// Whether `bkt/key` exists (any answer but 200 or 404 fails the test).
async fn exists(s3: &Client, key: &str) -> bool {
    match s3.head_object().bucket("bkt").key(key).send().await {
        Ok(_) => true,
        Err(e) => {
            assert_eq!(error_info(&e).status, 404, "{e:?}");
            false
        }
    }
}

/// Asserts `bkt/key` holds exactly `body`.
async fn assert_body(s3: &Client, key: &str, body: &[u8]) {
    let got = get(s3, key).await;
    assert!(got == body, "{key}: holds {} bytes, not the {} expected", got.len(), body.len());
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A raw request with an XML body and its Content-MD5, signed for `host`.
fn xml_request(method: &str, target: &str, body: &str, host: &str) -> Request {
    Request::new(method, target).header("content-md5", &md5_b64(body.as_bytes())).body(body.as_bytes().to_vec()).signed(host)
}

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    Tagging::builder()
        .set_tag_set(Some(pairs.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap()).collect()))
        .build()
        .unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

/// Starts a multipart upload of `bkt/key`, with `checksum` as its algorithm.
async fn create_upload(s3: &Client, key: &str, checksum: Option<ChecksumAlgorithm>) -> String {
    s3.create_multipart_upload()
        .bucket("bkt")
        .key(key)
        .set_checksum_algorithm(checksum)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned()
}

/// Uploads part `n`; with `crc`, asks for a CRC32 checksum and puts the one the server
/// returned in the CompletedPart.
async fn upload_part(s3: &Client, key: &str, id: &str, n: i32, body: Vec<u8>, crc: bool) -> CompletedPart {
    let mut req = s3.upload_part().bucket("bkt").key(key).upload_id(id).part_number(n).body(ByteStream::from(body));
    if crc {
        req = req.checksum_algorithm(ChecksumAlgorithm::Crc32);
    }
    let r = req.send().await.unwrap();
    let checksum = if crc { Some(r.checksum_crc32().expect("UploadPart with a CRC32 checksum returns it").to_owned()) } else { None };
    CompletedPart::builder().part_number(n).e_tag(r.e_tag().unwrap()).set_checksum_crc32(checksum).build()
}

/// A new upload of `key` (CRC32 with `crc`) with `bodies` as parts 1..: its id and parts.
async fn upload_parts(s3: &Client, key: &str, bodies: &[Vec<u8>], crc: bool) -> (String, Vec<CompletedPart>) {
    let id = create_upload(s3, key, crc.then_some(ChecksumAlgorithm::Crc32)).await;
    let mut parts = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let n = i32::try_from(i).unwrap() + 1;
        parts.push(upload_part(s3, key, &id, n, body.clone(), crc).await);
    }
    (id, parts)
}

/// A CompleteMultipartUpload of `parts`, ready for conditions and checksums.
fn complete_req(s3: &Client, key: &str, id: &str, parts: &[CompletedPart]) -> CompleteMultipartUploadFluentBuilder {
    s3.complete_multipart_upload()
        .bucket("bkt")
        .key(key)
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts.to_vec())).build())
}

/// A completed multipart object of `bodies`; returns its ETag.
async fn multipart_object(s3: &Client, key: &str, bodies: &[Vec<u8>], crc: bool) -> String {
    let (id, parts) = upload_parts(s3, key, bodies, crc).await;
    complete_req(s3, key, &id, &parts).send().await.unwrap().e_tag().unwrap().to_owned()
}

/// The number of parts ListParts shows for upload `id` (so the upload still exists).
async fn parts_in_progress(s3: &Client, key: &str, id: &str) -> usize {
    let listed = s3
        .list_parts()
        .bucket("bkt")
        .key(key)
        .upload_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload {id} of {key} is no longer in progress: {e:?}"));
    listed.parts().len()
}

/// GetObjectAttributes(ObjectParts) of `bkt/key`.
async fn object_parts(s3: &Client, key: &str, marker: Option<&str>, max: Option<i32>) -> GetObjectAttributesParts {
    s3.get_object_attributes()
        .bucket("bkt")
        .key(key)
        .object_attributes(ObjectAttributes::ObjectParts)
        .set_part_number_marker(marker.map(str::to_owned))
        .set_max_parts(max)
        .send()
        .await
        .unwrap()
        .object_parts()
        .cloned()
        .expect("ObjectParts in the answer")
}

/// base64(HMAC-SHA1(secret, string to sign)): a SigV2 signature with the default key.
fn sigv2_signature(string_to_sign: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(DEFAULT_SECRET_KEY.as_bytes()).unwrap();
    mac.update(string_to_sign);
    b64(mac.finalize().into_bytes().as_slice())
}

/// The SigV2 StringToSign of a request without Content-MD5 and Content-Type: method,
/// two empty lines, `date_line` (empty when `x-amz-date` is sent), the `x-amz-*`
/// headers (lowercase, sorted, values as raw bytes, trimmed) one per line, and the
/// canonicalized resource.
fn sigv2_string_to_sign(method: &str, date_line: &str, amz_headers: &[(&str, &[u8])], resource: &str) -> Vec<u8> {
    let mut amz: Vec<(String, &[u8])> = amz_headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), *v)).collect();
    amz.sort();
    let mut out = format!("{method}\n\n\n{date_line}\n").into_bytes();
    for (name, value) in amz {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.trim_ascii());
        out.push(b'\n');
    }
    out.extend_from_slice(resource.as_bytes());
    out
}

/// `Authorization: AWS <access key>:<signature>` for `string_to_sign`.
fn sigv2_authorization(string_to_sign: &[u8]) -> String {
    format!("AWS {DEFAULT_ACCESS_KEY}:{}", sigv2_signature(string_to_sign))
}

/// `bytes` with the first `placeholder` replaced by `replacement` (for header values
/// that are not UTF-8, which `Request::header` cannot hold).
fn splice(bytes: &[u8], placeholder: &[u8], replacement: &[u8]) -> Vec<u8> {
    let at = bytes.windows(placeholder.len()).position(|w| w == placeholder).expect("placeholder in the request");
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(replacement);
    out.extend_from_slice(&bytes[at + placeholder.len()..]);
    out
}

/// Decodes an RFC 2047 header value made of `=?UTF-8?B?…?=` encoded words.
fn decode_rfc2047_b(value: &str) -> String {
    const PREFIX: &str = "=?utf-8?b?";
    let mut bytes = Vec::new();
    for word in value.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        assert!(lower.starts_with(PREFIX) && lower.ends_with("?="), "not RFC 2047 B-encoded UTF-8: {value:?}");
        let inner = &word[PREFIX.len()..word.len() - 2];
        bytes.extend(base64::engine::general_purpose::STANDARD.decode(inner).unwrap_or_else(|e| panic!("{value:?}: {e}")));
    }
    String::from_utf8(bytes).unwrap()
}

// ---------------------------------------------------------------------------------
// 1. `+` in a query is a space
// ---------------------------------------------------------------------------------

/// `?list-type=2&prefix=foo+bar%2F` lists under "foo bar/": the `+` is a space for
/// routing and for the signature alike.
#[tokio::test]
async fn plus_in_a_list_prefix_is_a_space() {
    let (srv, s3, host) = server().await;
    for key in ["foo bar/1", "foo bar/2", "foo+bar/3", "foobar/4", "foo bar"] {
        put(&s3, key, b"x").await;
    }
    // aws-sigv4 canonicalizes the query as AWS does (form-decoded, so `+` is a space,
    // then re-encoded as %20): the request is signed exactly as it is sent.
    let resp = Request::new("GET", "/bkt?list-type=2&prefix=foo+bar%2F").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.xml("Prefix").as_deref(), Some("foo bar/"));
    assert_eq!(xml_fields(&resp.text(), "Key"), vec!["foo bar/1", "foo bar/2"]);
    // The same listing with %20 answers the same keys.
    let resp = Request::new("GET", "/bkt?list-type=2&prefix=foo%20bar%2F").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(xml_fields(&resp.text(), "Key"), vec!["foo bar/1", "foo bar/2"]);
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 2. Protection headers where the bucket offers none
// ---------------------------------------------------------------------------------

/// Lock headers on a bucket without Object Lock are refused (400 InvalidRequest, as
/// S3), and nothing is stored, rather than an unprotected object the client believes
/// protected. SSE-C over plain HTTP is 400 InvalidRequest, as S3 answers. (Server-side
/// encryption: tests/encryption.rs; Object Lock: tests/object_lock.rs.)
#[tokio::test]
async fn protection_headers_are_refused_and_store_nothing() {
    let (srv, s3, host) = server().await;
    let body = || ByteStream::from_static(b"secret");
    put(&s3, "plain", b"plain bytes").await;

    let until = DateTime::from(SystemTime::now() + Duration::from_secs(86_400));
    let r = s3
        .put_object()
        .bucket("bkt")
        .key("locked")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .body(body())
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    let r =
        s3.put_object().bucket("bkt").key("locked").object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On).body(body()).send().await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    assert!(!exists(&s3, "locked").await);

    // SSE-C without TLS, on PutObject and on GetObject.
    let customer_key = [7u8; 32];
    let sse_c = [
        ("x-amz-server-side-encryption-customer-algorithm", "AES256".to_owned()),
        ("x-amz-server-side-encryption-customer-key", b64(&customer_key)),
        ("x-amz-server-side-encryption-customer-key-MD5", md5_b64(&customer_key)),
    ];
    let mut req = Request::new("PUT", "/bkt/sse-c").body(b"secret".to_vec());
    for (name, value) in &sse_c {
        req = req.header(name, value);
    }
    req.signed(&host).send(&host).await.assert_error(400, "InvalidRequest");
    assert!(!exists(&s3, "sse-c").await);
    let mut req = Request::new("GET", "/bkt/plain");
    for (name, value) in &sse_c {
        req = req.header(name, value);
    }
    req.signed(&host).send(&host).await.assert_error(400, "InvalidRequest");
    assert_body(&s3, "plain", b"plain bytes").await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 3. Unknown XML elements
// ---------------------------------------------------------------------------------

/// An element a document type does not have is 400 MalformedXML, and the stored
/// configuration, tags, objects and uploads stay as they were. The S3 namespace on the
/// root of a document of known elements is fine.
#[tokio::test]
async fn unknown_xml_elements_are_malformed_xml() {
    let (srv, s3, host) = server().await;
    put(&s3, "k", b"data").await;
    s3.put_object_tagging().bucket("bkt").key("k").tagging(tagging(&[("x", "y")])).send().await.unwrap();
    s3.put_bucket_tagging().bucket("bkt").tagging(tagging(&[("team", "a")])).send().await.unwrap();

    // PutBucketVersioning.
    let doc = "<VersioningConfiguration><Status>Enabled</Status><Bogus>1</Bogus></VersioningConfiguration>";
    xml_request("PUT", "/bkt?versioning", doc, &host).send(&host).await.assert_error(400, "MalformedXML");
    assert_eq!(s3.get_bucket_versioning().bucket("bkt").send().await.unwrap().status(), None);

    // PutBucketTagging and PutObjectTagging.
    let doc = "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value><Bogus/></Tag></TagSet></Tagging>";
    xml_request("PUT", "/bkt?tagging", doc, &host).send(&host).await.assert_error(400, "MalformedXML");
    let tags = s3.get_bucket_tagging().bucket("bkt").send().await.unwrap();
    assert_eq!(pairs(tags.tag_set()), vec![("team".to_owned(), "a".to_owned())]);
    xml_request("PUT", "/bkt/k?tagging", doc, &host).send(&host).await.assert_error(400, "MalformedXML");
    let tags = s3.get_object_tagging().bucket("bkt").key("k").send().await.unwrap();
    assert_eq!(pairs(tags.tag_set()), vec![("x".to_owned(), "y".to_owned())]);

    // PutBucketLifecycleConfiguration, over a valid configuration.
    let lifecycle = |id: &str, days: u32, extra: &str| {
        format!(
            "<LifecycleConfiguration><Rule><ID>{id}</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status>\
             <Expiration><Days>{days}</Days></Expiration>{extra}</Rule></LifecycleConfiguration>"
        )
    };
    let resp = xml_request("PUT", "/bkt?lifecycle", &lifecycle("keep", 30, ""), &host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    xml_request("PUT", "/bkt?lifecycle", &lifecycle("changed", 1, "<Bogus>1</Bogus>"), &host)
        .send(&host)
        .await
        .assert_error(400, "MalformedXML");
    let rules = s3.get_bucket_lifecycle_configuration().bucket("bkt").send().await.unwrap();
    assert_eq!(rules.rules().iter().map(|r| r.id()).collect::<Vec<_>>(), vec![Some("keep")]);

    // DeleteObjects.
    let doc = "<Delete><Object><Key>k</Key><Bogus/></Object></Delete>";
    xml_request("POST", "/bkt?delete", doc, &host).send(&host).await.assert_error(400, "MalformedXML");
    assert_body(&s3, "k", b"data").await;

    // CompleteMultipartUpload.
    let (id, parts) = upload_parts(&s3, "mp", &[data(100, 1)], false).await;
    let etag = parts[0].e_tag().unwrap();
    let target = format!("/bkt/mp?uploadId={}", encode_query(&id));
    let doc =
        format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag><Bogus/></Part></CompleteMultipartUpload>");
    xml_request("POST", &target, &doc, &host).send(&host).await.assert_error(400, "MalformedXML");
    assert_eq!(parts_in_progress(&s3, "mp", &id).await, 1);
    assert!(!exists(&s3, "mp").await);

    // Known elements under the S3 namespace: accepted.
    let ns = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;
    let doc = format!("<VersioningConfiguration {ns}><Status>Enabled</Status></VersioningConfiguration>");
    let resp = xml_request("PUT", "/bkt?versioning", &doc, &host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(s3.get_bucket_versioning().bucket("bkt").send().await.unwrap().status(), Some(&BucketVersioningStatus::Enabled));
    let doc = format!("<CompleteMultipartUpload {ns}><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>");
    let resp = xml_request("POST", &target, &doc, &host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_body(&s3, "mp", &data(100, 1)).await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 4. User metadata and Content-Encoding
// ---------------------------------------------------------------------------------

/// Non-ASCII metadata travels RFC 2047-encoded; a value that is not UTF-8 and an empty
/// metadata name are 400 InvalidArgument; Content-Encoding comes back as sent, less the
/// `aws-chunked` transfer coding.
#[tokio::test]
async fn user_metadata_and_content_encoding() {
    let (srv, s3, host) = server().await;

    // RFC 2047 in, RFC 2047 out.
    s3.put_object()
        .bucket("bkt")
        .key("mime")
        .metadata("name", "=?UTF-8?B?w6nDqMOg?=")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("bkt").key("mime").send().await.unwrap();
    let sdk_value = head.metadata().and_then(|m| m.get("name")).cloned().expect("metadata name");
    let resp = Request::new("HEAD", "/bkt/mime").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200);
    let raw_value = resp.header("x-amz-meta-name").expect("x-amz-meta-name on HEAD");
    assert_eq!(sdk_value, raw_value);
    assert_eq!(decode_rfc2047_b(raw_value), "éèà");

    // A value that is not UTF-8. Signed with SigV2, whose StringToSign takes the raw
    // header bytes (aws-sigv4 only signs &str values).
    let date = httpdate::fmt_http_date(SystemTime::now());
    let value: &[u8] = b"\xff\xfe";
    let sts = sigv2_string_to_sign("PUT", &date, &[("x-amz-meta-name", value)], "/bkt/binary");
    let req = Request::new("PUT", "/bkt/binary")
        .header("date", &date)
        .header("x-amz-meta-name", "PLACEHOLDER")
        .header("authorization", &sigv2_authorization(&sts))
        .body(b"x".to_vec());
    let wire = splice(&req.to_bytes(&host), b"PLACEHOLDER", value);
    send_bytes(&host, &wire).await.assert_error(400, "InvalidArgument");
    assert!(!exists(&s3, "binary").await);

    // An empty metadata name.
    let resp = Request::new("PUT", "/bkt/nameless").header("x-amz-meta-", "v").body(b"x".to_vec()).signed(&host).send(&host).await;
    resp.assert_error(400, "InvalidArgument");
    assert!(!exists(&s3, "nameless").await);

    // A list of content codings, kept exactly.
    let resp =
        Request::new("PUT", "/bkt/coded").header("content-encoding", "deflate, gzip").body(b"x".to_vec()).signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let resp = Request::new("HEAD", "/bkt/coded").signed(&host).send(&host).await;
    assert_eq!(resp.header("content-encoding"), Some("deflate, gzip"));
    let head = s3.head_object().bucket("bkt").key("coded").send().await.unwrap();
    assert_eq!(head.content_encoding(), Some("deflate, gzip"));

    // `aws-chunked, gzip` on an aws-chunked upload: only `gzip` is stored.
    let body = data(20_000, 4);
    let signer = Signer { payload: Payload::Literal("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into()), ..Signer::default() };
    let encoded_len = signed_chunked_body(&signer, &"0".repeat(64), &body, 8192).len();
    let mut req = Request::new("PUT", "/bkt/chunked")
        .header("content-encoding", "aws-chunked, gzip")
        .header("x-amz-decoded-content-length", &body.len().to_string())
        .header("content-length", &encoded_len.to_string());
    let seed = signer.sign(&host, &mut req);
    req.body = signed_chunked_body(&signer, &seed, &body, 8192);
    let resp = req.send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let head = s3.head_object().bucket("bkt").key("chunked").send().await.unwrap();
    assert_eq!(head.content_encoding(), Some("gzip"));
    assert_body(&s3, "chunked", &body).await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 5. SigV2 header authentication
// ---------------------------------------------------------------------------------

/// `Authorization: AWS AK:sig`: a bucket resource is accepted with and without its
/// trailing slash; with `x-amz-date` the Date line is empty, x-amz-date is signed among
/// the amz headers, and it is the time checked for skew.
#[tokio::test]
async fn sigv2_header_auth() {
    let (srv, s3, host) = server().await;
    let now = SystemTime::now();
    let date = httpdate::fmt_http_date(now);
    let stale = httpdate::fmt_http_date(now - Duration::from_secs(20 * 60));

    for (bucket, resource) in [("newbucket", "/newbucket/"), ("otherbucket", "/otherbucket")] {
        let sts = sigv2_string_to_sign("PUT", &date, &[], resource);
        let resp = Request::new("PUT", &format!("/{bucket}"))
            .header("date", &date)
            .header("authorization", &sigv2_authorization(&sts))
            .send(&host)
            .await;
        assert_eq!(resp.status, 200, "signed as {resource}: {}", resp.text());
        s3.head_bucket().bucket(bucket).send().await.unwrap_or_else(|e| panic!("{bucket}: {e:?}"));
    }

    // x-amz-date 20 minutes old, Date current: the request is too old.
    let sts = sigv2_string_to_sign("PUT", "", &[("x-amz-date", stale.as_bytes())], "/skewed");
    let resp = Request::new("PUT", "/skewed")
        .header("date", &date)
        .header("x-amz-date", &stale)
        .header("authorization", &sigv2_authorization(&sts))
        .send(&host)
        .await;
    resp.assert_error(403, "RequestTimeTooSkewed");
    let e = s3.head_bucket().bucket("skewed").send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 404, "{e:?}");

    // The other way round (a current x-amz-date, a stale Date) passes: the StringToSign
    // above is the right one and only the time was refused.
    let sts = sigv2_string_to_sign("PUT", "", &[("x-amz-date", date.as_bytes())], "/fresh");
    let resp = Request::new("PUT", "/fresh")
        .header("date", &stale)
        .header("x-amz-date", &date)
        .header("authorization", &sigv2_authorization(&sts))
        .send(&host)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    s3.head_bucket().bucket("fresh").send().await.unwrap();
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 6. Conditional writes
// ---------------------------------------------------------------------------------

/// If-None-Match: * and If-Match on PutObject, CopyObject and CompleteMultipartUpload:
/// 412 PreconditionFailed (404 NoSuchKey for If-Match on a missing key), the object
/// unchanged and a refused upload still in progress.
#[tokio::test]
async fn conditional_writes() {
    let (srv, s3, _host) = server().await;
    let etag = put(&s3, "k", b"original").await;

    let r = s3.put_object().bucket("bkt").key("k").if_none_match("*").body(ByteStream::from_static(b"new")).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    let r = s3.put_object().bucket("bkt").key("k").if_match(WRONG_ETAG).body(ByteStream::from_static(b"new")).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_body(&s3, "k", b"original").await;
    let r = s3.put_object().bucket("bkt").key("missing").if_match(&etag).body(ByteStream::from_static(b"new")).send().await;
    assert_sdk_error(r, 404, Some("NoSuchKey"));
    assert!(!exists(&s3, "missing").await);

    // CopyObject: the condition is on the destination.
    put(&s3, "src", b"source").await;
    let r = s3.copy_object().bucket("bkt").key("k").copy_source("bkt/src").if_none_match("*").send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_body(&s3, "k", b"original").await;

    // CompleteMultipartUpload.
    let (id, parts) = upload_parts(&s3, "k", &[b"multipart".to_vec()], false).await;
    let r = complete_req(&s3, "k", &id, &parts).if_none_match("*").send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_eq!(parts_in_progress(&s3, "k", &id).await, 1);
    assert_body(&s3, "k", b"original").await;
    let r = complete_req(&s3, "k", &id, &parts).if_match(WRONG_ETAG).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_eq!(parts_in_progress(&s3, "k", &id).await, 1);
    assert_body(&s3, "k", b"original").await;
    let done = complete_req(&s3, "k", &id, &parts).if_match(&etag).send().await.unwrap();
    assert_ne!(done.e_tag(), Some(etag.as_str()));
    assert_body(&s3, "k", b"multipart").await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 7. Conditional deletes
// ---------------------------------------------------------------------------------

/// DeleteObject with If-Match, x-amz-if-match-size and
/// x-amz-if-match-last-modified-time; DeleteObjects with an ETag per object.
#[tokio::test]
async fn conditional_deletes() {
    let (srv, s3, host) = server().await;

    // If-Match.
    let etag = put(&s3, "k", b"12345").await;
    let r = s3.delete_object().bucket("bkt").key("k").if_match(WRONG_ETAG).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_body(&s3, "k", b"12345").await;
    let resp = Request::new("DELETE", "/bkt/k").header("if-match", &etag).signed(&host).send(&host).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert!(!exists(&s3, "k").await);
    let r = s3.delete_object().bucket("bkt").key("missing").if_match("*").send().await;
    assert_sdk_error(r, 404, Some("NoSuchKey"));

    // x-amz-if-match-size.
    put(&s3, "sized", b"12345").await;
    let r = s3.delete_object().bucket("bkt").key("sized").if_match_size(4).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_body(&s3, "sized", b"12345").await;
    let resp = Request::new("DELETE", "/bkt/sized").header("x-amz-if-match-size", "5").signed(&host).send(&host).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert!(!exists(&s3, "sized").await);

    // x-amz-if-match-last-modified-time.
    put(&s3, "dated", b"dated").await;
    let modified = *s3.head_object().bucket("bkt").key("dated").send().await.unwrap().last_modified().unwrap();
    let r =
        s3.delete_object().bucket("bkt").key("dated").if_match_last_modified_time(DateTime::from_secs(modified.secs() - 3600)).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_body(&s3, "dated", b"dated").await;

    // DeleteObjects: one ETag matches, one does not.
    let etag_a = put(&s3, "a", b"a").await;
    put(&s3, "b", b"b").await;
    let objects = vec![
        ObjectIdentifier::builder().key("a").e_tag(&etag_a).build().unwrap(),
        ObjectIdentifier::builder().key("b").e_tag(WRONG_ETAG).build().unwrap(),
    ];
    let out = s3.delete_objects().bucket("bkt").delete(Delete::builder().set_objects(Some(objects)).build().unwrap()).send().await.unwrap();
    assert_eq!(out.deleted().iter().map(|d| d.key()).collect::<Vec<_>>(), vec![Some("a")]);
    assert_eq!(out.errors().iter().map(|e| (e.key(), e.code())).collect::<Vec<_>>(), vec![(Some("b"), Some("PreconditionFailed"))]);
    assert!(!exists(&s3, "a").await);
    assert_body(&s3, "b", b"b").await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 8. GetObjectAttributes
// ---------------------------------------------------------------------------------

/// ETag (unquoted), ObjectSize, StorageClass and Checksum of a simple object; paged
/// ObjectParts of a multipart one; NoSuchKey; an older version's size.
#[tokio::test]
async fn get_object_attributes() {
    let (srv, s3, _host) = server().await;

    let body = data(10_000, 8);
    let put_out = s3
        .put_object()
        .bucket("bkt")
        .key("simple")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert!(put_out.checksum_crc32().is_some(), "{put_out:?}");
    let attrs = s3
        .get_object_attributes()
        .bucket("bkt")
        .key("simple")
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::ObjectSize)
        .object_attributes(ObjectAttributes::StorageClass)
        .object_attributes(ObjectAttributes::Checksum)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.e_tag(), Some(put_out.e_tag().unwrap().trim_matches('"')));
    assert_eq!(attrs.object_size(), Some(10_000));
    assert_eq!(attrs.storage_class(), Some(&StorageClass::Standard));
    assert_eq!(attrs.checksum().and_then(|c| c.checksum_crc32()), put_out.checksum_crc32());

    // Three parts with CRC32 checksums, paged two at a time.
    let bodies = [data(5 * MIB, 1), data(5 * MIB, 2), data(1000, 3)];
    let (id, parts) = upload_parts(&s3, "multi", &bodies, true).await;
    complete_req(&s3, "multi", &id, &parts).send().await.unwrap();
    assert_eq!(object_parts(&s3, "multi", None, None).await.total_parts_count(), Some(3));
    let first = object_parts(&s3, "multi", None, Some(2)).await;
    assert_eq!(first.parts().iter().map(aws_sdk_s3::types::ObjectPart::part_number).collect::<Vec<_>>(), vec![Some(1), Some(2)]);
    assert_eq!(first.is_truncated(), Some(true));
    assert_eq!(first.next_part_number_marker(), Some("2"));
    assert_eq!(first.total_parts_count(), Some(3));
    let rest = object_parts(&s3, "multi", Some("2"), None).await;
    assert_eq!(rest.parts().iter().map(aws_sdk_s3::types::ObjectPart::part_number).collect::<Vec<_>>(), vec![Some(3)]);
    assert!(!rest.is_truncated().unwrap_or(false));
    let listed: Vec<_> = first.parts().iter().chain(rest.parts()).collect();
    assert_eq!(listed.len(), 3);
    for ((got, sent), body) in listed.iter().zip(&parts).zip(&bodies) {
        assert_eq!(got.size(), Some(i64::try_from(body.len()).unwrap()), "part {:?}", got.part_number());
        assert!(got.checksum_crc32().is_some(), "part {:?} without ChecksumCRC32", got.part_number());
        assert_eq!(got.checksum_crc32(), sent.checksum_crc32(), "part {:?}", got.part_number());
    }

    let r = s3.get_object_attributes().bucket("bkt").key("missing").object_attributes(ObjectAttributes::Etag).send().await;
    assert_sdk_error(r, 404, Some("NoSuchKey"));

    // An older version of a versioned object.
    s3.create_bucket().bucket("versioned").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("versioned")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let v1 = s3
        .put_object()
        .bucket("versioned")
        .key("k")
        .body(ByteStream::from_static(b"one"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    s3.put_object().bucket("versioned").key("k").body(ByteStream::from_static(b"three")).send().await.unwrap();
    let size = |version: Option<String>| {
        let s3 = s3.clone();
        async move {
            let out = s3
                .get_object_attributes()
                .bucket("versioned")
                .key("k")
                .set_version_id(version)
                .object_attributes(ObjectAttributes::ObjectSize)
                .send()
                .await
                .unwrap();
            (out.version_id().map(str::to_owned), out.object_size())
        }
    };
    assert_eq!(size(Some(v1.clone())).await, (Some(v1.clone()), Some(3)));
    assert_eq!(size(None).await.1, Some(5));
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 9. Checksums
// ---------------------------------------------------------------------------------

/// Wrong x-amz-checksum-crc32 on PutObject, UploadPart and CompleteMultipartUpload is
/// 400 BadDigest; a CRC32 upload's Complete without a part's checksum is 400
/// InvalidRequest, with a wrong one 400 InvalidPart; nothing changes on a refusal.
#[tokio::test]
async fn wrong_checksums_are_refused() {
    let (srv, s3, host) = server().await;
    let wrong = crc32_b64(b"not the body");

    // PutObject.
    let body = data(1000, 9);
    let resp = Request::new("PUT", "/bkt/put").header("x-amz-checksum-crc32", &wrong).body(body.clone()).signed(&host).send(&host).await;
    resp.assert_error(400, "BadDigest");
    assert!(!exists(&s3, "put").await);

    // UploadPart.
    let id = create_upload(&s3, "part", Some(ChecksumAlgorithm::Crc32)).await;
    let target = format!("/bkt/part?partNumber=1&uploadId={}", encode_query(&id));
    let resp = Request::new("PUT", &target).header("x-amz-checksum-crc32", &wrong).body(body.clone()).signed(&host).send(&host).await;
    resp.assert_error(400, "BadDigest");
    assert_eq!(parts_in_progress(&s3, "part", &id).await, 0);

    // CompleteMultipartUpload: the whole object's checksum.
    let bodies = [data(5 * MIB, 1), data(100, 2)];
    let (id, parts) = upload_parts(&s3, "mp", &bodies, true).await;
    let r = complete_req(&s3, "mp", &id, &parts).checksum_crc32(&wrong).send().await;
    assert_sdk_error(r, 400, Some("BadDigest"));
    assert_eq!(parts_in_progress(&s3, "mp", &id).await, 2);
    assert!(!exists(&s3, "mp").await);

    // A part listed without its checksum.
    let without: Vec<CompletedPart> =
        parts.iter().map(|p| CompletedPart::builder().part_number(p.part_number().unwrap()).e_tag(p.e_tag().unwrap()).build()).collect();
    let r = complete_req(&s3, "mp", &id, &without).send().await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    assert_eq!(parts_in_progress(&s3, "mp", &id).await, 2);

    // A part listed with a wrong checksum.
    let mut bad = parts.clone();
    bad[1] = CompletedPart::builder().part_number(2).e_tag(parts[1].e_tag().unwrap()).checksum_crc32(&wrong).build();
    let r = complete_req(&s3, "mp", &id, &bad).send().await;
    assert_sdk_error(r, 400, Some("InvalidPart"));
    assert_eq!(parts_in_progress(&s3, "mp", &id).await, 2);
    assert!(!exists(&s3, "mp").await);

    // The right list still completes.
    complete_req(&s3, "mp", &id, &parts).send().await.unwrap();
    assert_body(&s3, "mp", &bodies.concat()).await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 10. partNumber reads
// ---------------------------------------------------------------------------------

/// A simple object is one part: part 1 is the whole object, part 2 is 400
/// InvalidPartNumber; past the last part of a multipart object too.
#[tokio::test]
async fn part_number_reads() {
    let (srv, s3, _host) = server().await;
    let body = data(2000, 10);
    put(&s3, "simple", &body).await;
    let got = s3.get_object().bucket("bkt").key("simple").part_number(1).send().await.unwrap();
    assert_eq!(got.content_length(), Some(2000));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());
    let head = s3.head_object().bucket("bkt").key("simple").part_number(1).send().await.unwrap();
    assert_eq!(head.content_length(), Some(2000));
    let r = s3.get_object().bucket("bkt").key("simple").part_number(2).send().await;
    assert_sdk_error(r, 400, Some("InvalidPartNumber"));
    // HEAD errors carry no body, so no code.
    let e = s3.head_object().bucket("bkt").key("simple").part_number(2).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 400, "{e:?}");

    let bodies = [data(5 * MIB, 1), data(100, 2)];
    multipart_object(&s3, "multi", &bodies, false).await;
    let got = s3.get_object().bucket("bkt").key("multi").part_number(2).send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), bodies[1].as_slice());
    let r = s3.get_object().bucket("bkt").key("multi").part_number(3).send().await;
    assert_sdk_error(r, 400, Some("InvalidPartNumber"));
    let e = s3.head_object().bucket("bkt").key("multi").part_number(3).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 400, "{e:?}");
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 11. Buckets
// ---------------------------------------------------------------------------------

/// An incomplete upload does not keep a bucket from being deleted; re-creating an owned
/// bucket is 200 in us-east-1 and 409 BucketAlreadyOwnedByYou elsewhere; ListBuckets
/// pages with max-buckets and continuation-token and filters by prefix.
#[tokio::test]
async fn bucket_delete_recreate_and_list_pages() {
    let (srv, s3, host) = server().await;

    s3.create_bucket().bucket("uploads-only").send().await.unwrap();
    s3.create_multipart_upload().bucket("uploads-only").key("k").send().await.unwrap();
    let resp = Request::new("DELETE", "/uploads-only").signed(&host).send(&host).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    let e = s3.head_bucket().bucket("uploads-only").send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 404, "{e:?}");

    // us-east-1 (the test server's region): 200, contents kept.
    put(&s3, "k", b"kept").await;
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    assert_body(&s3, "k", b"kept").await;

    // Five buckets, two per page.
    for name in ["aba", "abb", "abc", "cda"] {
        s3.create_bucket().bucket(name).send().await.unwrap();
    }
    let all = ["aba", "abb", "abc", "bkt", "cda"];
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s3.list_buckets().max_buckets(2).set_continuation_token(token.clone()).send().await.unwrap();
        pages += 1;
        assert!(pages <= all.len(), "ListBuckets does not end");
        let page_names: Vec<String> = page.buckets().iter().map(|b| b.name().unwrap().to_owned()).collect();
        if pages == 1 {
            assert_eq!(page_names.len(), 2, "{page_names:?}");
            assert!(page.continuation_token().is_some(), "a first page of 2 out of 5 without a continuation token");
        }
        assert!(page_names.len() <= 2, "{page_names:?}");
        names.extend(page_names);
        token = page.continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, all);
    let filtered = s3.list_buckets().prefix("ab").send().await.unwrap();
    assert_eq!(filtered.buckets().iter().map(|b| b.name().unwrap()).collect::<Vec<_>>(), vec!["aba", "abb", "abc"]);
    assert_eq!(filtered.prefix(), Some("ab"));
    srv.server.stop().await;

    // Another region: BucketAlreadyOwnedByYou, contents kept.
    let srv = TestServer::start_with(&[("server.region", "eu-west-1")]).await;
    let s3 = client_in(&srv.endpoint, "eu-west-1");
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    put(&s3, "k", b"kept").await;
    let r = s3.create_bucket().bucket("bkt").send().await;
    assert_sdk_error(r, 409, Some("BucketAlreadyOwnedByYou"));
    assert_body(&s3, "k", b"kept").await;
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 12. max-keys=0
// ---------------------------------------------------------------------------------

/// max-keys=0 on a non-empty bucket: nothing listed and not truncated, in V2 and V1.
#[tokio::test]
async fn max_keys_zero_lists_nothing_and_is_not_truncated() {
    let (srv, s3, _host) = server().await;
    put(&s3, "a", b"a").await;
    put(&s3, "b", b"b").await;
    let v2 = s3.list_objects_v2().bucket("bkt").max_keys(0).send().await.unwrap();
    assert!(v2.contents().is_empty(), "{:?}", v2.contents());
    assert_eq!(v2.key_count(), Some(0));
    assert_eq!(v2.is_truncated(), Some(false));
    let v1 = s3.list_objects().bucket("bkt").max_keys(0).send().await.unwrap();
    assert!(v1.contents().is_empty(), "{:?}", v1.contents());
    assert_eq!(v1.is_truncated(), Some(false));
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 13. Lifecycle rule IDs
// ---------------------------------------------------------------------------------

/// A lifecycle rule sent without an ID gets one, and keeps it from one GET to the next.
#[tokio::test]
async fn lifecycle_rule_without_id_gets_a_stable_id() {
    let (srv, s3, host) = server().await;
    let doc = "<LifecycleConfiguration><Rule><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>\
               <Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>";
    let resp = xml_request("PUT", "/bkt?lifecycle", doc, &host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let first = s3.get_bucket_lifecycle_configuration().bucket("bkt").send().await.unwrap();
    assert_eq!(first.rules().len(), 1, "{first:?}");
    let id = first.rules()[0].id().expect("a rule ID").to_owned();
    assert!(!id.is_empty());
    let second = s3.get_bucket_lifecycle_configuration().bucket("bkt").send().await.unwrap();
    assert_eq!(second.rules().iter().map(|r| r.id()).collect::<Vec<_>>(), vec![Some(id.as_str())]);
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 14. Retried completions
// ---------------------------------------------------------------------------------

/// A retried Complete with the same part list answers with the same object; with
/// another list it fails. A missing part is InvalidPart even when an earlier part is
/// too small.
#[tokio::test]
async fn multipart_complete_retries() {
    let (srv, s3, _host) = server().await;
    let bodies = [data(5 * MIB, 1), data(100, 2)];
    let (id, parts) = upload_parts(&s3, "k", &bodies, false).await;
    let done = complete_req(&s3, "k", &id, &parts).send().await.unwrap();
    let again = complete_req(&s3, "k", &id, &parts).send().await.unwrap();
    assert_eq!(again.e_tag(), done.e_tag());

    let err = complete_req(&s3, "k", &id, &parts[..1]).send().await.expect_err("a retry with another part list must not succeed");
    let info = error_info(&err);
    assert!(
        matches!((info.status, info.code.as_deref()), (400, Some("InvalidPart")) | (404, Some("NoSuchUpload"))),
        "expected 400 InvalidPart or 404 NoSuchUpload: {err:?}"
    );
    assert_body(&s3, "k", &bodies.concat()).await;

    // [1 (one byte), 2 (never uploaded)]: InvalidPart, not EntityTooSmall.
    let id = create_upload(&s3, "tiny", None).await;
    let p1 = upload_part(&s3, "tiny", &id, 1, b"x".to_vec(), false).await;
    let missing = CompletedPart::builder().part_number(2).e_tag(WRONG_ETAG).build();
    let r = complete_req(&s3, "tiny", &id, &[p1, missing]).send().await;
    assert_sdk_error(r, 400, Some("InvalidPart"));
    assert_eq!(parts_in_progress(&s3, "tiny", &id).await, 1);
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// 15. Malformed x-amz-tagging
// ---------------------------------------------------------------------------------

/// An `x-amz-tagging` that is not valid URL encoding is 400 InvalidTag.
#[tokio::test]
async fn malformed_tagging_header_is_invalid_tag() {
    let (srv, s3, host) = server().await;
    let resp = Request::new("PUT", "/bkt/tagged").header("x-amz-tagging", "%zz=1").body(b"x".to_vec()).signed(&host).send(&host).await;
    resp.assert_error(400, "InvalidTag");
    let r = s3.put_object().bucket("bkt").key("tagged").tagging("%zz=1").body(ByteStream::from_static(b"x")).send().await;
    assert_sdk_error(r, 400, Some("InvalidTag"));
    assert!(!exists(&s3, "tagged").await);
    srv.server.stop().await;
}

// ---------------------------------------------------------------------------------
// Found while listing every header and parameter (docs/compatibility.md)
// ---------------------------------------------------------------------------------

/// On a bucket with ACLs disabled (bucket owner enforced, the default) ACLs that grant
/// anyone but the owner are refused, not ignored; owner-only canned ACLs pass. Appends
/// are refused.
#[tokio::test]
async fn acls_and_appends_are_refused() {
    let (srv, s3, _host) = server().await;
    let r = s3.put_object().bucket("bkt").key("pub").acl(ObjectCannedAcl::PublicRead).body(ByteStream::from_static(b"x")).send().await;
    assert_sdk_error(r, 400, Some("AccessControlListNotSupported"));
    let r = s3
        .put_object()
        .bucket("bkt")
        .key("pub")
        .grant_read("uri=http://acs.amazonaws.com/groups/global/AllUsers")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("AccessControlListNotSupported"));
    assert!(!exists(&s3, "pub").await);
    s3.put_object().bucket("bkt").key("mine").acl(ObjectCannedAcl::Private).body(ByteStream::from_static(b"x")).send().await.unwrap();
    s3.put_object()
        .bucket("bkt")
        .key("mine")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap();
    s3.create_bucket().bucket("writer").object_ownership(ObjectOwnership::ObjectWriter).send().await.unwrap();
    s3.create_bucket().bucket("enforced").object_ownership(ObjectOwnership::BucketOwnerEnforced).send().await.unwrap();
    let r = s3.create_bucket().bucket("public").acl(BucketCannedAcl::PublicRead).send().await;
    assert_sdk_error(r, 400, Some("InvalidBucketAclWithObjectOwnership"));
    s3.create_bucket().bucket("private").acl(BucketCannedAcl::Private).send().await.unwrap();
    let r = s3.put_object().bucket("bkt").key("mine").write_offset_bytes(1).body(ByteStream::from_static(b"z")).send().await;
    assert_sdk_error(r, 501, Some("NotImplemented"));
    assert_body(&s3, "mine", b"y").await;
    let r = s3
        .put_object()
        .bucket("bkt")
        .key("redirect")
        .website_redirect_location("elsewhere")
        .body(ByteStream::from_static(b"r"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidRedirectLocation"));
    assert!(!exists(&s3, "redirect").await);
    srv.server.stop().await;
}

/// CopyObject keeps the source's checksums: the same algorithm is fine, another (which
/// would need the bytes re-read) is refused rather than answered without it.
#[tokio::test]
async fn copy_with_another_checksum_algorithm_is_refused() {
    let (srv, s3, _host) = server().await;
    s3.put_object()
        .bucket("bkt")
        .key("src")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap();
    let same = s3
        .copy_object()
        .bucket("bkt")
        .key("same")
        .copy_source("bkt/src")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    assert!(same.copy_object_result().and_then(|r| r.checksum_crc32()).is_some(), "{same:?}");
    let r = s3.copy_object().bucket("bkt").key("other").copy_source("bkt/src").checksum_algorithm(ChecksumAlgorithm::Sha256).send().await;
    assert_sdk_error(r, 501, Some("NotImplemented"));
    assert!(!exists(&s3, "other").await);
    srv.server.stop().await;
}

/// Configuration documents are checked against the Content-MD5 they carry.
#[tokio::test]
async fn configuration_documents_are_digest_checked() {
    let (srv, s3, host) = server().await;
    let doc = "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>";
    let resp = Request::new("PUT", "/bkt?tagging")
        .header("content-md5", &md5_b64(b"other"))
        .body(doc.as_bytes().to_vec())
        .signed(&host)
        .send(&host)
        .await;
    resp.assert_error(400, "BadDigest");
    let r = s3.get_bucket_tagging().bucket("bkt").send().await;
    assert_sdk_error(r, 404, Some("NoSuchTagSet"));
    // S3 requires a digest on PutBucketTagging and PutBucketVersioning.
    let resp = Request::new("PUT", "/bkt?tagging").body(doc.as_bytes().to_vec()).signed(&host).send(&host).await;
    resp.assert_error(400, "InvalidRequest");
    let versioning = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
    let resp = Request::new("PUT", "/bkt?versioning").body(versioning.as_bytes().to_vec()).signed(&host).send(&host).await;
    resp.assert_error(400, "InvalidRequest");
    let resp = xml_request("PUT", "/bkt?tagging", doc, &host).send(&host).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    srv.server.stop().await;
}

/// ListObjectVersions refuses a version-id-marker without a key-marker;
/// ListMultipartUploads URL-encodes keys with encoding-type=url; an abort conditioned
/// on another initiation time is 412; x-amz-mp-object-size must match.
#[tokio::test]
async fn listing_and_multipart_parameters() {
    let (srv, s3, host) = server().await;
    let r = s3.list_object_versions().bucket("bkt").version_id_marker("x").send().await;
    assert_sdk_error(r, 400, Some("InvalidArgument"));

    let id = create_upload(&s3, "a b+c", None).await;
    let resp = Request::new("GET", "/bkt?uploads&encoding-type=url").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(xml_fields(&resp.text(), "Key"), vec!["a%20b%2Bc".to_owned()], "{}", resp.text());

    let stale = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600));
    let resp = Request::new("DELETE", &format!("/bkt/{}?uploadId={id}", encode_key("a b+c")))
        .header("x-amz-if-match-initiated-time", &stale)
        .signed(&host)
        .send(&host)
        .await;
    resp.assert_error(412, "PreconditionFailed");
    assert_eq!(parts_in_progress(&s3, "a b+c", &id).await, 0, "the upload is still there");
    // With the header, an upload that does not exist is 204 (AWS documents it so).
    let resp = Request::new("DELETE", "/bkt/nothing?uploadId=0000000000000001aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb")
        .header("x-amz-if-match-initiated-time", &stale)
        .signed(&host)
        .send(&host)
        .await;
    assert_eq!(resp.status, 204, "{}", resp.text());

    let part = upload_part(&s3, "a b+c", &id, 1, b"12345".to_vec(), false).await;
    let r = complete_req(&s3, "a b+c", &id, std::slice::from_ref(&part)).mpu_object_size(6).send().await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    complete_req(&s3, "a b+c", &id, &[part]).mpu_object_size(5).send().await.unwrap();
    srv.server.stop().await;
}

/// Whitespace at the edges of an element's text is part of the value (quick-xml trims
/// plain text): DeleteObjects naming `a ` deletes `a `, never `a`.
#[tokio::test]
async fn xml_values_keep_their_whitespace() {
    let (srv, s3, host) = server().await;
    put(&s3, "a", b"keep").await;
    put(&s3, "a ", b"delete").await;
    let doc = "<Delete><Object><Key>a </Key></Object><Quiet>true</Quiet></Delete>";
    let resp = xml_request("POST", "/bkt?delete", doc, &host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(exists(&s3, "a").await, "the wrong key was deleted");
    assert!(!exists(&s3, "a ").await);
    srv.server.stop().await;
}
