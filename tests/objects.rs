//! Single objects: PutObject / GetObject / HeadObject / DeleteObject through the SDK and
//! raw HTTP — headers and metadata, ETag, storage class, ranges, conditionals,
//! Content-MD5, every checksum algorithm, response-* overrides, awkward keys, size
//! limits and presigned URLs.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ObjectStorageClass, StorageClass};
use aws_sdk_s3::Client;
use base64::Engine;
use common::raw::{crc32_b64, encode_key, md5_b64, Request, Response};
use common::{assert_sdk_error, data, error_info, TestServer};

const MIB: usize = 1 << 20;

async fn server() -> (TestServer, Client) {
    // Storage classes other than STANDARD need a tier (storage.tiers); tests/tiers.rs
    // covers where the bytes go.
    let srv = TestServer::start_with_tiers(&["STANDARD_IA", "REDUCED_REDUNDANCY"], &[]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    (srv, s3)
}

async fn put(s3: &Client, key: &str, body: &[u8]) -> String {
    let out = s3.put_object().bucket("bkt").key(key).body(ByteStream::from(body.to_vec())).send().await.unwrap();
    out.e_tag().unwrap().to_owned()
}

async fn get(s3: &Client, key: &str) -> Vec<u8> {
    s3.get_object().bucket("bkt").key(key).send().await.unwrap().body.collect().await.unwrap().into_bytes().to_vec()
}

async fn exists(s3: &Client, key: &str) -> bool {
    match s3.head_object().bucket("bkt").key(key).send().await {
        Ok(_) => true,
        Err(e) => {
            assert_eq!(error_info(&e).status, 404, "{e:?}");
            false
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(bytes))
}

/// The expected base64 checksum of `bytes` under `algorithm`.
fn checksum(algorithm: &ChecksumAlgorithm, bytes: &[u8]) -> String {
    use crc_fast::CrcAlgorithm as C;
    use sha2::Digest as _;
    let crc32 = |alg| u32::try_from(crc_fast::checksum(alg, bytes)).unwrap().to_be_bytes().to_vec();
    match algorithm {
        ChecksumAlgorithm::Crc32 => b64(&crc32(C::Crc32IsoHdlc)),
        ChecksumAlgorithm::Crc32C => b64(&crc32(C::Crc32Iscsi)),
        ChecksumAlgorithm::Crc64Nvme => b64(&crc_fast::checksum(C::Crc64Nvme, bytes).to_be_bytes()),
        ChecksumAlgorithm::Sha1 => b64(&sha1::Sha1::digest(bytes)),
        ChecksumAlgorithm::Sha256 => b64(&sha2::Sha256::digest(bytes)),
        other => panic!("no expected value for {other:?}"),
    }
}

/// Headers that legitimately differ between two responses for the same object.
const PER_RESPONSE: &[&str] = &["date", "x-amz-request-id", "x-amz-id-2", "connection", "transfer-encoding", "keep-alive"];

fn stable_headers(resp: &Response) -> Vec<(String, String)> {
    let mut h: Vec<_> = resp.headers.iter().filter(|(k, _)| !PER_RESPONSE.contains(&k.as_str())).cloned().collect();
    h.sort();
    h
}

#[tokio::test]
async fn put_get_head_round_trip_headers_and_metadata() {
    let (srv, s3) = server().await;
    let body = data(12_345, 7);
    let expires = DateTime::from_secs(1_893_456_000); // 2030-01-01T00:00:00Z
    let put = s3
        .put_object()
        .bucket("bkt")
        .key("docs/report.txt")
        .content_type("text/plain; charset=utf-8")
        .cache_control("max-age=3600, must-revalidate")
        .content_disposition("attachment; filename=\"report.txt\"")
        .content_encoding("x-coffer-test")
        .content_language("de-CH")
        .expires(expires)
        .metadata("color", "blue")
        .metadata("with-dash", "Mixed Case Value")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let etag = format!("\"{}\"", md5_hex(&body));
    assert_eq!(put.e_tag(), Some(etag.as_str()));

    let got = s3.get_object().bucket("bkt").key("docs/report.txt").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_length(), Some(12_345));
    assert_eq!(got.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(got.cache_control(), Some("max-age=3600, must-revalidate"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=\"report.txt\""));
    assert_eq!(got.content_encoding(), Some("x-coffer-test"));
    assert_eq!(got.content_language(), Some("de-CH"));
    assert_eq!(got.expires_string(), Some("Tue, 01 Jan 2030 00:00:00 GMT"));
    let meta = got.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("with-dash").map(String::as_str), Some("Mixed Case Value"));
    assert_eq!(meta.len(), 2, "{meta:?}");
    let modified = SystemTime::try_from(*got.last_modified().unwrap()).unwrap();
    let age = SystemTime::now().duration_since(modified).unwrap_or_default();
    assert!(age < Duration::from_secs(60), "Last-Modified {modified:?}");
    assert_eq!(got.storage_class(), None, "STANDARD is not reported");
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());

    let head = s3.head_object().bucket("bkt").key("docs/report.txt").send().await.unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.content_length(), Some(12_345));
    assert_eq!(head.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(head.cache_control(), Some("max-age=3600, must-revalidate"));
    assert_eq!(head.content_disposition(), Some("attachment; filename=\"report.txt\""));
    assert_eq!(head.content_encoding(), Some("x-coffer-test"));
    assert_eq!(head.content_language(), Some("de-CH"));
    assert_eq!(head.expires_string(), Some("Tue, 01 Jan 2030 00:00:00 GMT"));
    assert_eq!(head.metadata().unwrap().get("color").map(String::as_str), Some("blue"));
    assert_eq!(head.last_modified(), Some(&DateTime::from(modified)));
    srv.server.stop().await;
}

#[tokio::test]
async fn head_carries_the_same_headers_as_get_and_the_object_length() {
    let (srv, s3) = server().await;
    let body = data(54_321, 3);
    s3.put_object()
        .bucket("bkt")
        .key("h")
        .content_type("image/png")
        .metadata("k", "v")
        .storage_class(StorageClass::StandardIa)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let host = srv.host();
    let get = Request::new("GET", "/bkt/h").signed(&host).send(&host).await;
    let head = Request::new("HEAD", "/bkt/h").signed(&host).send(&host).await;
    assert_eq!((get.status, head.status), (200, 200));
    assert_eq!(get.body, body);
    assert!(head.body.is_empty());
    assert_eq!(get.header("content-length"), Some("54321"));
    assert_eq!(head.header("content-length"), Some("54321"), "HEAD must report the object size: {head:?}");
    assert_eq!(stable_headers(&head), stable_headers(&get));
    for h in ["etag", "last-modified", "content-type", "x-amz-meta-k", "x-amz-storage-class", "accept-ranges"] {
        assert!(head.header(h).is_some(), "HEAD lacks {h}: {head:?}");
    }
    assert!(head.header("x-amz-request-id").is_some());
    assert!(get.header("x-amz-request-id").is_some());

    // An empty object: HEAD says 0, not absent.
    put(&s3, "empty", b"").await;
    let head = Request::new("HEAD", "/bkt/empty").signed(&host).send(&host).await;
    assert_eq!(head.header("content-length"), Some("0"));
    srv.server.stop().await;
}

#[tokio::test]
async fn default_content_type_is_binary_octet_stream() {
    let (srv, s3) = server().await;
    let host = srv.host();
    // The SDK never omits Content-Type on its own; raw HTTP does.
    let resp = Request::new("PUT", "/bkt/untyped").body("abc").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let head = s3.head_object().bucket("bkt").key("untyped").send().await.unwrap();
    assert_eq!(head.content_type(), Some("binary/octet-stream"));
    let got = s3.get_object().bucket("bkt").key("untyped").send().await.unwrap();
    assert_eq!(got.content_type(), Some("binary/octet-stream"));
    srv.server.stop().await;
}

#[tokio::test]
async fn storage_class_accepted_returned_and_validated() {
    let (srv, s3) = server().await;
    let host = srv.host();
    for (key, class) in [("ia", StorageClass::StandardIa), ("rr", StorageClass::ReducedRedundancy), ("std", StorageClass::Standard)] {
        s3.put_object().bucket("bkt").key(key).storage_class(class).body(ByteStream::from_static(b"payload")).send().await.unwrap();
    }
    let head = s3.head_object().bucket("bkt").key("ia").send().await.unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));
    let got = s3.get_object().bucket("bkt").key("rr").send().await.unwrap();
    assert_eq!(got.storage_class(), Some(&StorageClass::ReducedRedundancy));
    // S3 omits x-amz-storage-class for STANDARD objects (API_HeadObject).
    let raw = Request::new("HEAD", "/bkt/std").signed(&host).send(&host).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("x-amz-storage-class"), None, "{raw:?}");
    let raw = Request::new("HEAD", "/bkt/ia").signed(&host).send(&host).await;
    assert_eq!(raw.header("x-amz-storage-class"), Some("STANDARD_IA"));

    let list = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    let classes: Vec<_> = list.contents().iter().map(|o| (o.key().unwrap(), o.storage_class().cloned())).collect();
    assert_eq!(
        classes,
        vec![
            ("ia", Some(ObjectStorageClass::StandardIa)),
            ("rr", Some(ObjectStorageClass::ReducedRedundancy)),
            ("std", Some(ObjectStorageClass::Standard)),
        ]
    );

    let r = s3
        .put_object()
        .bucket("bkt")
        .key("bad")
        .storage_class(StorageClass::from("BOGUS"))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidStorageClass"));
    assert!(!exists(&s3, "bad").await);
    srv.server.stop().await;
}

#[tokio::test]
async fn ranges_return_206_with_content_range() {
    let (srv, s3) = server().await;
    let body = data(1000, 11);
    let etag = put(&s3, "r", &body).await;
    let host = srv.host();
    for (range, start, end) in
        [("bytes=0-99", 0, 99), ("bytes=900-", 900, 999), ("bytes=-50", 950, 999), ("bytes=990-5000", 990, 999), ("bytes=0-0", 0, 0)]
    {
        let resp = Request::new("GET", "/bkt/r").header("range", range).signed(&host).send(&host).await;
        assert_eq!(resp.status, 206, "{range}: {}", resp.text());
        assert_eq!(resp.header("content-range"), Some(format!("bytes {start}-{end}/1000").as_str()), "{range}");
        assert_eq!(resp.header("content-length"), Some((end - start + 1).to_string().as_str()), "{range}");
        assert_eq!(resp.header("etag"), Some(etag.as_str()));
        assert_eq!(resp.body, &body[start..=end], "{range}");
    }
    let got = s3.get_object().bucket("bkt").key("r").range("bytes=100-199").send().await.unwrap();
    assert_eq!(got.content_range(), Some("bytes 100-199/1000"));
    assert_eq!(got.content_length(), Some(100));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), &body[100..200]);

    for range in ["bytes=1000-", "bytes=1000-1100", "bytes=5000-6000"] {
        let resp = Request::new("GET", "/bkt/r").header("range", range).signed(&host).send(&host).await;
        resp.assert_error(416, "InvalidRange");
    }
    let r = s3.get_object().bucket("bkt").key("r").range("bytes=2000-").send().await;
    assert_sdk_error(r, 416, Some("InvalidRange"));

    // HeadObject honours Range too: only the length changes; unsatisfiable → 416.
    let head = s3.head_object().bucket("bkt").key("r").range("bytes=0-9").send().await.unwrap();
    assert_eq!(head.content_length(), Some(10));
    let e = s3.head_object().bucket("bkt").key("r").range("bytes=5000-").send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 416, "{e:?}");
    srv.server.stop().await;
}

#[tokio::test]
async fn get_and_head_conditionals() {
    let (srv, s3) = server().await;
    let etag = put(&s3, "c", b"conditional body").await;
    let modified = *s3.head_object().bucket("bkt").key("c").send().await.unwrap().last_modified().unwrap();
    let past = DateTime::from_secs(modified.secs() - 3600);
    let future = DateTime::from_secs(modified.secs() + 3600);
    let wrong = "\"00000000000000000000000000000000\"";

    // GET: If-Match.
    s3.get_object().bucket("bkt").key("c").if_match(&etag).send().await.unwrap();
    s3.get_object().bucket("bkt").key("c").if_match("*").send().await.unwrap();
    let r = s3.get_object().bucket("bkt").key("c").if_match(wrong).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    // If-None-Match.
    s3.get_object().bucket("bkt").key("c").if_none_match(wrong).send().await.unwrap();
    let e = s3.get_object().bucket("bkt").key("c").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 304, "{e:?}");
    // If-Modified-Since.
    s3.get_object().bucket("bkt").key("c").if_modified_since(past).send().await.unwrap();
    let e = s3.get_object().bucket("bkt").key("c").if_modified_since(modified).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 304, "{e:?}");
    let e = s3.get_object().bucket("bkt").key("c").if_modified_since(future).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 304, "{e:?}");
    // If-Unmodified-Since.
    s3.get_object().bucket("bkt").key("c").if_unmodified_since(future).send().await.unwrap();
    s3.get_object().bucket("bkt").key("c").if_unmodified_since(modified).send().await.unwrap();
    let r = s3.get_object().bucket("bkt").key("c").if_unmodified_since(past).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));

    // Precedence (API_GetObject): If-Match true + If-Unmodified-Since false → 200;
    // If-None-Match false + If-Modified-Since true → 304.
    let got = s3.get_object().bucket("bkt").key("c").if_match(&etag).if_unmodified_since(past).send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"conditional body");
    let e = s3.get_object().bucket("bkt").key("c").if_none_match(&etag).if_modified_since(past).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 304, "{e:?}");

    // HEAD: same rules, no bodies.
    let e = s3.head_object().bucket("bkt").key("c").if_match(wrong).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 412, "{e:?}");
    let e = s3.head_object().bucket("bkt").key("c").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 304, "{e:?}");
    let e = s3.head_object().bucket("bkt").key("c").if_modified_since(future).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 304, "{e:?}");
    let e = s3.head_object().bucket("bkt").key("c").if_unmodified_since(past).send().await.unwrap_err();
    assert_eq!(error_info(&e).status, 412, "{e:?}");
    s3.head_object().bucket("bkt").key("c").if_match(&etag).if_unmodified_since(past).send().await.unwrap();

    // Raw 304: no body, but the ETag and a request id (RFC 9110 §15.4.5).
    let host = srv.host();
    let resp = Request::new("GET", "/bkt/c").header("if-none-match", &etag).signed(&host).send(&host).await;
    assert_eq!(resp.status, 304);
    assert!(resp.body.is_empty());
    assert_eq!(resp.header("etag"), Some(etag.as_str()));
    assert!(resp.header("x-amz-request-id").is_some());
    let resp = Request::new("GET", "/bkt/c").header("if-match", wrong).signed(&host).send(&host).await;
    resp.assert_error(412, "PreconditionFailed");
    srv.server.stop().await;
}

#[tokio::test]
async fn conditional_puts() {
    let (srv, s3) = server().await;
    let first = s3.put_object().bucket("bkt").key("once").if_none_match("*").body(ByteStream::from_static(b"one")).send().await.unwrap();
    let r = s3.put_object().bucket("bkt").key("once").if_none_match("*").body(ByteStream::from_static(b"two")).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_eq!(get(&s3, "once").await, b"one");

    let etag = first.e_tag().unwrap();
    let second = s3.put_object().bucket("bkt").key("once").if_match(etag).body(ByteStream::from_static(b"three")).send().await.unwrap();
    assert_eq!(get(&s3, "once").await, b"three");
    // The old ETag no longer matches.
    let r = s3.put_object().bucket("bkt").key("once").if_match(etag).body(ByteStream::from_static(b"four")).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert_eq!(get(&s3, "once").await, b"three");
    assert_ne!(second.e_tag(), Some(etag));
    srv.server.stop().await;
}

#[tokio::test]
async fn content_md5_correct_wrong_malformed() {
    let (srv, s3) = server().await;
    let body = b"md5 checked body".to_vec();
    s3.put_object().bucket("bkt").key("ok").content_md5(md5_b64(&body)).body(ByteStream::from(body.clone())).send().await.unwrap();
    assert_eq!(get(&s3, "ok").await, body);

    let r = s3.put_object().bucket("bkt").key("bad").content_md5(md5_b64(b"other")).body(ByteStream::from(body.clone())).send().await;
    assert_sdk_error(r, 400, Some("BadDigest"));
    assert!(!exists(&s3, "bad").await);

    for malformed in ["not base64!", "AAAA"] {
        let r = s3.put_object().bucket("bkt").key("bad").content_md5(malformed).body(ByteStream::from(body.clone())).send().await;
        assert_sdk_error(r, 400, Some("InvalidDigest"));
    }
    assert!(!exists(&s3, "bad").await);

    // Raw, without the SDK's own checksum: same verdicts.
    let host = srv.host();
    let resp = Request::new("PUT", "/bkt/raw").header("content-md5", &md5_b64(b"x")).body(body.clone()).signed(&host).send(&host).await;
    resp.assert_error(400, "BadDigest");
    let resp = Request::new("PUT", "/bkt/raw").header("content-md5", &md5_b64(&body)).body(body.clone()).signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    srv.server.stop().await;
}

#[tokio::test]
async fn every_checksum_algorithm_round_trips() {
    let (srv, s3) = server().await;
    let body = data(300_000, 5);
    let algorithms = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];
    for alg in algorithms {
        let key = format!("sum-{}", alg.as_str());
        let expected = checksum(&alg, &body);
        let put = s3
            .put_object()
            .bucket("bkt")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        let put_sum = match alg {
            ChecksumAlgorithm::Crc32 => put.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => put.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => put.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => put.checksum_sha1(),
            _ => put.checksum_sha256(),
        };
        assert_eq!(put_sum, Some(expected.as_str()), "{alg:?} PUT");

        let got = s3.get_object().bucket("bkt").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let got_sum = match alg {
            ChecksumAlgorithm::Crc32 => got.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => got.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => got.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => got.checksum_sha1(),
            _ => got.checksum_sha256(),
        };
        assert_eq!(got_sum, Some(expected.as_str()), "{alg:?} GET");
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());

        let head = s3.head_object().bucket("bkt").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let head_sum = match alg {
            ChecksumAlgorithm::Crc32 => head.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => head.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => head.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => head.checksum_sha1(),
            _ => head.checksum_sha256(),
        };
        assert_eq!(head_sum, Some(expected.as_str()), "{alg:?} HEAD");

        // A ranged GET carries no whole-object checksum.
        let host = srv.host();
        let ranged = Request::new("GET", &format!("/bkt/{key}"))
            .header("range", "bytes=0-999")
            .header("x-amz-checksum-mode", "ENABLED")
            .signed(&host)
            .send(&host)
            .await;
        assert_eq!(ranged.status, 206);
        let sums: Vec<_> = ranged.headers.iter().filter(|(k, _)| k.starts_with("x-amz-checksum-")).collect();
        assert!(sums.is_empty(), "{alg:?} ranged GET: {sums:?}");
    }
    srv.server.stop().await;
}

#[tokio::test]
async fn wrong_explicit_checksum_header_is_bad_digest_and_stores_nothing() {
    let (srv, s3) = server().await;
    let host = srv.host();
    let body = data(10_000, 9);
    let resp = Request::new("PUT", "/bkt/sum")
        .header("x-amz-checksum-crc32", &crc32_b64(b"something else"))
        .body(body.clone())
        .signed(&host)
        .send(&host)
        .await;
    resp.assert_error(400, "BadDigest");
    assert!(!exists(&s3, "sum").await);

    let resp = Request::new("PUT", "/bkt/sum")
        .header("x-amz-checksum-crc32", &crc32_b64(&body))
        .body(body.clone())
        .signed(&host)
        .send(&host)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-amz-checksum-crc32"), Some(crc32_b64(&body).as_str()));
    let got = s3.get_object().bucket("bkt").key("sum").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.checksum_crc32(), Some(crc32_b64(&body).as_str()));

    // A wrong checksum on an overwrite keeps the previous object.
    let resp = Request::new("PUT", "/bkt/sum")
        .header("x-amz-checksum-crc32", &crc32_b64(b"nope"))
        .body("new body")
        .signed(&host)
        .send(&host)
        .await;
    resp.assert_error(400, "BadDigest");
    assert_eq!(get(&s3, "sum").await, body);
    srv.server.stop().await;
}

#[tokio::test]
async fn response_overrides_on_get() {
    let (srv, s3) = server().await;
    s3.put_object().bucket("bkt").key("o").content_type("text/plain").body(ByteStream::from_static(b"override me")).send().await.unwrap();
    let got = s3
        .get_object()
        .bucket("bkt")
        .key("o")
        .response_content_type("application/json")
        .response_content_disposition("attachment; filename=\"o.json\"")
        .response_cache_control("no-cache")
        .response_content_language("fr")
        .response_content_encoding("identity")
        .response_expires(DateTime::from_secs(1_893_456_000))
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=\"o.json\""));
    assert_eq!(got.cache_control(), Some("no-cache"));
    assert_eq!(got.content_language(), Some("fr"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(got.expires_string(), Some("Tue, 01 Jan 2030 00:00:00 GMT"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"override me");

    // Stored metadata is unchanged.
    let head = s3.head_object().bucket("bkt").key("o").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));

    // Through a presigned URL fetched by a plain HTTP client.
    let presigned = s3
        .get_object()
        .bucket("bkt")
        .key("o")
        .response_content_type("image/gif")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let resp = fetch_presigned(&srv, presigned.method(), presigned.uri(), presigned.headers(), Vec::new()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("image/gif"));
    assert_eq!(resp.body, b"override me");
    srv.server.stop().await;
}

async fn fetch_presigned<'a>(
    srv: &TestServer,
    method: &str,
    uri: &str,
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    body: Vec<u8>,
) -> Response {
    let host = srv.host();
    let target = uri.strip_prefix(&srv.endpoint).unwrap_or_else(|| panic!("{uri} not on {}", srv.endpoint));
    let mut req = Request::new(method, target).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send(&host).await
}

#[tokio::test]
async fn presigned_get_and_put() {
    let (srv, s3) = server().await;
    let config = || PresigningConfig::expires_in(Duration::from_secs(600)).unwrap();
    let body = data(70_000, 21);
    let put = s3.put_object().bucket("bkt").key("dir/pre signed+ü.bin").presigned(config()).await.unwrap();
    assert_eq!(put.method(), "PUT");
    let resp = fetch_presigned(&srv, put.method(), put.uri(), put.headers(), body.clone()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.header("x-amz-request-id").is_some());
    assert_eq!(get(&s3, "dir/pre signed+ü.bin").await, body);

    let pget = s3.get_object().bucket("bkt").key("dir/pre signed+ü.bin").presigned(config()).await.unwrap();
    let resp = fetch_presigned(&srv, pget.method(), pget.uri(), pget.headers(), Vec::new()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.body, body);
    assert_eq!(resp.header("etag"), Some(format!("\"{}\"", md5_hex(&body)).as_str()));

    // A presigned GET cannot be replayed as a PUT.
    let resp = fetch_presigned(&srv, "PUT", pget.uri(), pget.headers(), b"evil".to_vec()).await;
    resp.assert_error(403, "SignatureDoesNotMatch");
    assert_eq!(get(&s3, "dir/pre signed+ü.bin").await, body);
    srv.server.stop().await;
}

#[tokio::test]
async fn overwrite_replaces_bytes_and_metadata() {
    let (srv, s3) = server().await;
    s3.put_object()
        .bucket("bkt")
        .key("k")
        .content_type("text/a")
        .metadata("v", "1")
        .body(ByteStream::from(data(5000, 1)))
        .send()
        .await
        .unwrap();
    let second = data(300, 2);
    s3.put_object().bucket("bkt").key("k").content_type("text/b").body(ByteStream::from(second.clone())).send().await.unwrap();
    let got = s3.get_object().bucket("bkt").key("k").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/b"));
    assert!(got.metadata().is_none_or(std::collections::HashMap::is_empty), "{:?}", got.metadata());
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), second.as_slice());
    let list = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert_eq!(list.contents().len(), 1);
    assert_eq!(list.contents()[0].size(), Some(300));
    srv.server.stop().await;
}

#[tokio::test]
async fn empty_object() {
    let (srv, s3) = server().await;
    let etag = put(&s3, "empty", b"").await;
    assert_eq!(etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    let got = s3.get_object().bucket("bkt").key("empty").send().await.unwrap();
    assert_eq!(got.content_length(), Some(0));
    assert!(got.body.collect().await.unwrap().into_bytes().is_empty());
    let head = s3.head_object().bucket("bkt").key("empty").send().await.unwrap();
    assert_eq!(head.content_length(), Some(0));
    // A range on an empty object is unsatisfiable.
    let r = s3.get_object().bucket("bkt").key("empty").range("bytes=0-0").send().await;
    assert_sdk_error(r, 416, Some("InvalidRange"));
    srv.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_mib_streams_both_ways() {
    let (srv, s3) = server().await;
    let body = data(20 * MIB, 99);
    let etag = put(&s3, "big", &body).await;
    assert_eq!(etag, format!("\"{}\"", md5_hex(&body)));
    let mut got = s3.get_object().bucket("bkt").key("big").send().await.unwrap();
    assert_eq!(got.content_length(), Some(20 * 1024 * 1024));
    let mut offset = 0;
    let mut chunks = 0;
    while let Some(chunk) = got.body.try_next().await.unwrap() {
        assert_eq!(chunk.as_ref(), &body[offset..offset + chunk.len()], "at {offset}");
        offset += chunk.len();
        chunks += 1;
    }
    assert_eq!(offset, body.len());
    assert!(chunks > 1, "the body should arrive in several chunks");
    let tail = s3.get_object().bucket("bkt").key("big").range("bytes=-1048576").send().await.unwrap();
    assert_eq!(tail.body.collect().await.unwrap().into_bytes().as_ref(), &body[19 * MIB..]);
    srv.server.stop().await;
}

#[tokio::test]
async fn delete_and_get_missing_keys() {
    let (srv, s3) = server().await;
    let host = srv.host();
    s3.delete_object().bucket("bkt").key("never-existed").send().await.unwrap();
    let resp = Request::new("DELETE", "/bkt/never-existed").signed(&host).send(&host).await;
    assert_eq!(resp.status, 204);
    assert!(resp.header("x-amz-request-id").is_some());

    put(&s3, "present", b"x").await;
    let resp = Request::new("DELETE", "/bkt/present").signed(&host).send(&host).await;
    assert_eq!(resp.status, 204);
    assert!(!exists(&s3, "present").await);

    let r = s3.get_object().bucket("bkt").key("present").send().await;
    assert_sdk_error(r, 404, Some("NoSuchKey"));
    let resp = Request::new("GET", "/bkt/present").signed(&host).send(&host).await;
    resp.assert_error(404, "NoSuchKey");
    assert!(resp.xml("Message").is_some() && resp.xml("RequestId").is_some(), "{}", resp.text());
    let r = s3.get_object().bucket("nobucket").key("k").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    let r = s3.delete_object().bucket("nobucket").key("k").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    let r = s3.put_object().bucket("nobucket").key("k").body(ByteStream::from_static(b"x")).send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    srv.server.stop().await;
}

#[tokio::test]
async fn awkward_keys_round_trip() {
    let (srv, s3) = server().await;
    let long = "k".repeat(1024);
    let long_utf8 = "é".repeat(512); // 1024 bytes
    let keys = vec![
        "ünïcödé/日本語/ファイル.txt".to_owned(),
        "with space.txt".to_owned(),
        "  leading and trailing  ".to_owned(),
        "plus+sign".to_owned(),
        "percent%20literal%".to_owned(),
        "question?mark=1&x".to_owned(),
        "hash#fragment".to_owned(),
        "../escape".to_owned(),
        "a/../../b".to_owned(),
        "./dot".to_owned(),
        "double//slash".to_owned(),
        "emoji-🦀".to_owned(),
        "semi;colon,comma:colon@at$dollar'quote\"dq<lt>gt".to_owned(),
        long.clone(),
        long_utf8.clone(),
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = data(100 + i, u64::try_from(i).unwrap());
        s3.put_object()
            .bucket("bkt")
            .key(key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key:?}: {e:?}"));
        assert_eq!(get(&s3, key).await, body, "{key:?}");
    }
    let list = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    let mut listed: Vec<_> = list.contents().iter().map(|o| o.key().unwrap().to_owned()).collect();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed, expected);
    listed.dedup();
    assert_eq!(listed.len(), keys.len());
    // Nothing escaped the data directory.
    assert!(!srv.dir.path().parent().unwrap().join("escape").exists());

    // 1025 bytes is one too many (raw, so no SDK check interferes).
    let host = srv.host();
    for key in [format!("{long}k"), format!("{long_utf8}x")] {
        assert_eq!(key.len(), 1025);
        let resp = Request::new("PUT", &format!("/bkt/{}", encode_key(&key))).body("x").signed(&host).send(&host).await;
        resp.assert_error(400, "KeyTooLongError");
    }
    let r = s3.put_object().bucket("bkt").key("x".repeat(1025)).body(ByteStream::from_static(b"x")).send().await;
    assert_sdk_error(r, 400, Some("KeyTooLongError"));
    srv.server.stop().await;
}

#[tokio::test]
async fn user_metadata_limited_to_2_kib() {
    let (srv, s3) = server().await;
    // UsingMetadata: the sum of the UTF-8 bytes of each key and value, at most 2 KB.
    s3.put_object().bucket("bkt").key("fits").metadata("m", "v".repeat(2047)).body(ByteStream::from_static(b"x")).send().await.unwrap();
    let head = s3.head_object().bucket("bkt").key("fits").send().await.unwrap();
    assert_eq!(head.metadata().unwrap()["m"].len(), 2047);

    let r = s3.put_object().bucket("bkt").key("big").metadata("m", "v".repeat(2048)).body(ByteStream::from_static(b"x")).send().await;
    assert_sdk_error(r, 400, Some("MetadataTooLarge"));
    let r = s3
        .put_object()
        .bucket("bkt")
        .key("big")
        .metadata("a", "1".repeat(1000))
        .metadata("b", "2".repeat(1000))
        .metadata("c", "3".repeat(100))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("MetadataTooLarge"));
    assert!(!exists(&s3, "big").await);
    srv.server.stop().await;
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let (srv, s3) = server().await;
    let etag = put(&s3, "k", b"0123456789").await;
    let host = srv.host();
    let requests = [
        (Request::new("GET", "/"), 200),
        (Request::new("GET", "/bkt?list-type=2"), 200),
        (Request::new("HEAD", "/bkt"), 200),
        (Request::new("GET", "/bkt/k"), 200),
        (Request::new("HEAD", "/bkt/k"), 200),
        (Request::new("GET", "/bkt/k").header("range", "bytes=0-1"), 206),
        (Request::new("GET", "/bkt/k").header("range", "bytes=50-60"), 416),
        (Request::new("GET", "/bkt/k").header("if-none-match", &etag), 304),
        (Request::new("GET", "/bkt/k").header("if-match", "\"x\""), 412),
        (Request::new("HEAD", "/bkt/missing"), 404),
        (Request::new("GET", "/bkt/missing"), 404),
        (Request::new("GET", "/nobucket?list-type=2"), 404),
        (Request::new("PUT", "/bkt/new").body("abc"), 200),
        (Request::new("DELETE", "/bkt/new"), 204),
    ];
    let mut ids = std::collections::HashSet::new();
    for (req, status) in requests {
        let label = format!("{} {}", req.method, req.target);
        let resp = req.signed(&host).send(&host).await;
        assert_eq!(resp.status, status, "{label}: {}", resp.text());
        let id = resp.header("x-amz-request-id").unwrap_or_else(|| panic!("{label}: no x-amz-request-id"));
        assert!(!id.is_empty(), "{label}");
        assert!(ids.insert(id.to_owned()), "{label}: request id {id} reused");
    }
    // Unsigned garbage gets one too.
    let resp = Request::new("GET", "/bkt/k").send(&host).await;
    resp.assert_error(403, "AccessDenied");
    srv.server.stop().await;
}
