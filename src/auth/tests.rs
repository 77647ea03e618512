//! End-to-end tests of [`authenticate`] and [`decode_body`]: the AWS
//! documentation examples, round trips with the AWS SDK signer
//! (`aws-sigv4`), and the negative cases.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use bytes::Bytes;
use futures_util::{stream, StreamExt};

use super::sigv4::parse_amz_date;
use super::*;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn keyring() -> Keyring {
    Keyring::new(vec![Credentials::new(AK, SK)])
}

fn t0() -> SystemTime {
    parse_amz_date("20130524T000000Z").expect("valid date")
}

fn head(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).expect("valid request").into_parts().0
}

fn auth_header(signed: &str, sig: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={sig}")
}

fn get_object_example(sig: &str) -> Parts {
    let auth = auth_header("host;range;x-amz-content-sha256;x-amz-date", sig);
    head(
        "GET",
        "/test.txt",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("authorization", &auth),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY),
            ("x-amz-date", "20130524T000000Z"),
        ],
    )
}

const GET_SIG: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

async fn collect(s: futures_util::stream::BoxStream<'static, Result<Bytes, AuthError>>) -> Result<Vec<u8>, AuthError> {
    let mut s = s;
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.extend_from_slice(&item?);
    }
    Ok(out)
}

/// Feeds `raw` to [`decode_body`] in pieces of `piece` bytes.
async fn decode(auth: &Authenticated, head: &Parts, raw: &[u8], piece: usize) -> Result<Vec<u8>, AuthError> {
    let pieces: Vec<Result<Bytes, std::io::Error>> = raw.chunks(piece.max(1)).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let (s, _) = decode_body(auth, head, stream::iter(pieces))?;
    collect(s).await
}

#[test]
fn aws_get_object_example() {
    let a = authenticate(&get_object_example(GET_SIG), &keyring(), "us-east-1", t0()).expect("valid");
    assert_eq!(a.access_key.as_deref(), Some(AK));
    assert_eq!(a.method, AuthMethod::HeaderV4);
    assert!(matches!(a.payload, PayloadMode::SignedSha256(h) if hex::encode(h) == EMPTY));
}

#[test]
fn aws_get_object_negative_cases() {
    let ring = keyring();
    let bad = GET_SIG.replace("f0e8", "f0e9");
    let e = authenticate(&get_object_example(&bad), &ring, "us-east-1", t0()).expect_err("bad sig");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
    let e = authenticate(&get_object_example(GET_SIG), &ring, "eu-west-1", t0()).expect_err("region");
    assert!(matches!(e, AuthError::AuthorizationHeaderMalformed(_)));
    let late = t0() + Duration::from_secs(16 * 60);
    let e = authenticate(&get_object_example(GET_SIG), &ring, "us-east-1", late).expect_err("skew");
    assert!(matches!(e, AuthError::RequestTimeTooSkewed));
    let ok = t0() + Duration::from_secs(14 * 60);
    assert!(authenticate(&get_object_example(GET_SIG), &ring, "us-east-1", ok).is_ok());
    let other = Keyring::new(vec![Credentials::new("OTHER", SK)]);
    let e = authenticate(&get_object_example(GET_SIG), &other, "us-east-1", t0()).expect_err("key");
    assert!(matches!(e, AuthError::InvalidAccessKeyId));
}

#[test]
fn missing_content_sha256_and_bad_value() {
    let auth = auth_header("host;x-amz-date", GET_SIG);
    let h = head("GET", "/test.txt", &[("host", "h"), ("authorization", &auth), ("x-amz-date", "20130524T000000Z")]);
    let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("missing");
    assert_eq!(e.s3_code(), "MissingSecurityHeader");
    let auth = auth_header("host;x-amz-content-sha256;x-amz-date", GET_SIG);
    let h = head(
        "GET",
        "/test.txt",
        &[("host", "h"), ("authorization", &auth), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", "bogus")],
    );
    let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("bogus");
    assert_eq!(e.s3_code(), "InvalidArgument");
}

#[test]
fn credential_date_must_match() {
    let auth = auth_header("host;x-amz-content-sha256;x-amz-date", GET_SIG);
    let h = head(
        "GET",
        "/test.txt",
        &[("host", "h"), ("authorization", &auth), ("x-amz-date", "20130525T000000Z"), ("x-amz-content-sha256", EMPTY)],
    );
    let now = t0() + Duration::from_secs(86_400);
    let e = authenticate(&h, &keyring(), "us-east-1", now).expect_err("date");
    assert!(e.message().contains("Date is not the same as X-Amz-Date"));
}

#[tokio::test]
async fn aws_put_object_example() {
    let auth = auth_header(
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    );
    let body_sha = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    let h = head(
        "PUT",
        "/test$file.text",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("authorization", &auth),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", body_sha),
        ],
    );
    let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect("valid");
    let body = decode(&a, &h, b"Welcome to Amazon S3.", 4).await.expect("hash ok");
    assert_eq!(body, b"Welcome to Amazon S3.");
    let e = decode(&a, &h, b"Welcome to Amazon S3!", 4).await.expect_err("tampered");
    assert!(matches!(e, AuthError::XAmzContentSHA256Mismatch));
}

#[test]
fn aws_list_and_lifecycle_examples() {
    for (uri, sig) in [
        ("/?lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ("/?max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ] {
        let auth = auth_header("host;x-amz-content-sha256;x-amz-date", sig);
        let h = head(
            "GET",
            uri,
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("authorization", &auth),
                ("x-amz-content-sha256", EMPTY),
                ("x-amz-date", "20130524T000000Z"),
            ],
        );
        authenticate(&h, &keyring(), "us-east-1", t0()).expect(uri);
    }
}

fn presigned_example(expires: &str, sig: &str) -> Parts {
    let uri = format!(
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}"
    );
    head("GET", &uri, &[("host", "examplebucket.s3.amazonaws.com")])
}

const PRESIGNED_SIG: &str = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn aws_presigned_example() {
    let ring = keyring();
    let a = authenticate(&presigned_example("86400", PRESIGNED_SIG), &ring, "us-east-1", t0()).expect("valid");
    assert_eq!(a.method, AuthMethod::PresignedV4);
    assert!(matches!(a.payload, PayloadMode::Unsigned));
    let later = t0() + Duration::from_secs(86_401);
    let e = authenticate(&presigned_example("86400", PRESIGNED_SIG), &ring, "us-east-1", later).expect_err("expired");
    assert_eq!((e.s3_code(), e.message().as_str()), ("AccessDenied", "Request has expired"));
    let e = authenticate(&presigned_example("604801", PRESIGNED_SIG), &ring, "us-east-1", t0()).expect_err("too long");
    assert_eq!(e.s3_code(), "AuthorizationQueryParametersError");
    let e = authenticate(&presigned_example("86400", PRESIGNED_SIG), &ring, "eu-west-1", t0()).expect_err("region");
    assert_eq!(e.s3_code(), "AuthorizationQueryParametersError");
    let e = authenticate(&presigned_example("86401", PRESIGNED_SIG), &ring, "us-east-1", t0()).expect_err("expires is signed");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
}

#[test]
fn anonymous_and_conflicting_auth() {
    let a = authenticate(&head("GET", "/b/k", &[("host", "h")]), &keyring(), "us-east-1", t0()).expect("anonymous");
    assert!(a.access_key.is_none());
    assert!(matches!(a.payload, PayloadMode::Unsigned));
    let mut h = presigned_example("86400", PRESIGNED_SIG);
    h.headers.insert(http::header::AUTHORIZATION, http::HeaderValue::from_static("AWS4-HMAC-SHA256 x"));
    let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("two mechanisms");
    assert_eq!(e.s3_code(), "InvalidArgument");
}

/// The chunked-upload example of "Signature Calculation: Transfer Payload in Multiple Chunks".
fn chunked_example_head() -> Parts {
    let auth = auth_header(
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    );
    head(
        "PUT",
        "/examplebucket/chunkObject.txt",
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("authorization", &auth),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ],
    )
}

const CHUNK_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

fn chunked_example_body(sigs: [&str; 3]) -> Vec<u8> {
    let mut body = format!("10000;chunk-signature={}\r\n", sigs[0]).into_bytes();
    body.extend_from_slice(&vec![b'a'; 65_536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", sigs[2]).as_bytes());
    body
}

#[tokio::test]
async fn aws_chunked_example() {
    let h = chunked_example_head();
    let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect("seed signature");
    assert!(matches!(a.payload, PayloadMode::StreamingSigned { .. }));
    let body = chunked_example_body(CHUNK_SIGS);
    assert_eq!(body.len(), 66_824);
    let whole = decode(&a, &h, &body, body.len()).await.expect("valid");
    assert_eq!(whole, vec![b'a'; 66_560]);
    let split = decode(&a, &h, &body, 1).await.expect("1-byte pieces");
    assert_eq!(split, whole);
    let odd = decode(&a, &h, &body, 4093).await.expect("odd pieces");
    assert_eq!(odd, whole);
}

#[tokio::test]
async fn chunked_negative_cases() {
    let h = chunked_example_head();
    let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect("seed signature");
    let mut tampered = chunked_example_body(CHUNK_SIGS);
    tampered[200] = b'b';
    let e = decode(&a, &h, &tampered, 1000).await.expect_err("tampered data");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
    let bad_sig = CHUNK_SIGS[1].replace("0055", "0056");
    let body = chunked_example_body([CHUNK_SIGS[0], &bad_sig, CHUNK_SIGS[2]]);
    let e = decode(&a, &h, &body, 1000).await.expect_err("tampered signature");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
    let body = chunked_example_body(CHUNK_SIGS);
    let e = decode(&a, &h, &body[..body.len() - 90], 1000).await.expect_err("truncated");
    assert_eq!(e.s3_code(), "IncompleteBody");
    let mut no_final = body.clone();
    no_final.truncate(body.len() - 86);
    assert!(decode(&a, &h, &no_final, 1000).await.is_err());
    let mut reordered = chunked_example_body([CHUNK_SIGS[1], CHUNK_SIGS[0], CHUNK_SIGS[2]]);
    reordered.truncate(reordered.len() - 1);
    assert!(decode(&a, &h, &reordered, 1000).await.is_err());
}

#[tokio::test]
async fn transport_error_is_reported() {
    let h = chunked_example_head();
    let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect("seed signature");
    let body = chunked_example_body(CHUNK_SIGS);
    let items: Vec<Result<Bytes, std::io::Error>> =
        vec![Ok(Bytes::copy_from_slice(&body[..5000])), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "gone"))];
    let (s, _) = decode_body(&a, &h, stream::iter(items)).expect("stream");
    let e = collect(s).await.expect_err("transport");
    assert!(matches!(&e, AuthError::Transport(io) if io.kind() == std::io::ErrorKind::ConnectionReset));
}

/// Signs a request with the AWS SDK signer; returns the signed head and the seed signature.
fn sdk_signed(uri: &str, headers: &[(&str, &str)], payload: &str, presign: bool) -> (Parts, String) {
    let creds = aws_credential_types::Credentials::new(AK, SK, None, None, "test");
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(3600));
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(t0())
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let full = format!("http://localhost:9000{uri}");
    let body = SignableBody::Precomputed(payload.to_owned());
    let signable = SignableRequest::new("PUT", full.as_str(), headers.iter().copied(), body).expect("signable");
    let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params).expect("sign").into_parts();
    let mut b = http::Request::builder().method("PUT").uri(full.as_str());
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut req = b.body(()).expect("request");
    instructions.apply_to_request_http1x(&mut req);
    (req.into_parts().0, signature)
}

#[test]
fn sdk_round_trip_odd_paths_and_queries() {
    for uri in ["/bucket/a%20b/c%2Bd~e", "/bucket/%E2%82%AC/x?uploadId=a%2Fb&partNumber=3", "/bucket/k?list-type=2&prefix=&delimiter=%2F"] {
        let headers = [("host", "localhost:9000"), ("x-amz-meta-note", "  spaced   out ")];
        let (h, _) = sdk_signed(uri, &headers, "UNSIGNED-PAYLOAD", false);
        let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect(uri);
        assert!(matches!(a.payload, PayloadMode::Unsigned));
        let (h, _) = sdk_signed(uri, &headers[..1], "UNSIGNED-PAYLOAD", true);
        let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect(uri);
        assert_eq!(a.method, AuthMethod::PresignedV4);
    }
}

/// Builds a signed-trailer body with `sign_chunk`/`sign_trailer` from `aws-sigv4`.
fn sdk_trailer_body(seed: &str, data: &[u8], piece: usize, trailers: &[(&'static str, &'static str)]) -> Vec<u8> {
    let creds = aws_credential_types::Credentials::new(AK, SK, None, None, "test");
    let identity = creds.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(t0())
        .settings(())
        .build()
        .expect("params");
    let mut prev = seed.to_owned();
    let mut body = Vec::new();
    for chunk in data.chunks(piece).chain(std::iter::once(&b""[..])) {
        let sig = aws_sigv4::sign::v4::sign_chunk(&Bytes::copy_from_slice(chunk), &prev, &params).expect("chunk").into_parts().1;
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        if !chunk.is_empty() {
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        prev = sig;
    }
    // The header-map type lives in a crate we do not depend on directly, so
    // it is left unnamed; the first call only pins it for inference.
    #[allow(clippy::default_trait_access)]
    let mut headers = Default::default();
    let _ = aws_sigv4::sign::v4::sign_trailer(&headers, &prev, &params);
    for (k, v) in trailers {
        headers.insert(*k, *v);
        body.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
    }
    let sig = aws_sigv4::sign::v4::sign_trailer(&headers, &prev, &params).expect("trailer").into_parts().1;
    body.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n\r\n").as_bytes());
    body
}

#[tokio::test]
async fn signed_trailer_round_trip() {
    let payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    let headers = [
        ("host", "localhost:9000"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
        ("x-amz-decoded-content-length", "3000"),
        ("content-encoding", "aws-chunked"),
    ];
    let (h, seed) = sdk_signed("/bucket/obj", &headers, payload, false);
    let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect("valid");
    assert!(matches!(a.payload, PayloadMode::StreamingSignedTrailer { .. }));
    let data: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz".iter().copied().cycle().take(3000).collect();
    let trailers = [("x-amz-checksum-crc32", "sOO8/Q==")];
    let body = sdk_trailer_body(&seed, &data, 1024, &trailers);
    for piece in [1, 7, body.len()] {
        let pieces: Vec<Result<Bytes, std::io::Error>> = body.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let (s, slot) = decode_body(&a, &h, stream::iter(pieces)).expect("stream");
        assert_eq!(collect(s).await.expect("valid"), data);
        let slot = slot.expect("trailer slot");
        assert_eq!(slot.take(), vec![("x-amz-checksum-crc32".into(), "sOO8/Q==".into())]);
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let wrong_value = text.replace("sOO8/Q==", "AAAAAA==");
    let e = decode(&a, &h, wrong_value.as_bytes(), 512).await.expect_err("trailer changed");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
    let pos = text.find("x-amz-trailer-signature:").expect("sig line") + 24;
    let mut wrong_sig = body.clone();
    wrong_sig[pos] = if wrong_sig[pos] == b'0' { b'1' } else { b'0' };
    let e = decode(&a, &h, &wrong_sig, 512).await.expect_err("trailer signature");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
}

#[tokio::test]
async fn unsigned_trailer_with_header_auth() {
    let payload = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    let headers = [("host", "localhost:9000"), ("x-amz-decoded-content-length", "5")];
    let (h, _) = sdk_signed("/bucket/obj", &headers, payload, false);
    let a = authenticate(&h, &keyring(), "us-east-1", t0()).expect("valid");
    let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    let whole = decode(&a, &h, body, 1).await.expect("valid");
    assert_eq!(whole, b"hello");
}

#[test]
fn sigv2_round_trip() {
    let ring = keyring();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let date = httpdate::fmt_http_date(now);
    let sts = format!("PUT\n\ntext/plain\n{date}\nx-amz-meta-a:1\n/bucket/key?uploads");
    let sig = sign_v2(&sts);
    let auth = format!("AWS {AK}:{sig}");
    let h = head(
        "PUT",
        "/bucket/key?uploads",
        &[("authorization", &auth), ("date", &date), ("content-type", "text/plain"), ("x-amz-meta-a", "1")],
    );
    let a = authenticate(&h, &ring, "us-east-1", now).expect("valid v2");
    assert_eq!(a.method, AuthMethod::HeaderV2);
    assert!(matches!(a.payload, PayloadMode::Unsigned));
    let late = now + Duration::from_secs(3600);
    assert!(matches!(authenticate(&h, &ring, "us-east-1", late), Err(AuthError::RequestTimeTooSkewed)));
    let h2 = head(
        "PUT",
        "/bucket/key?uploads",
        &[("authorization", &auth), ("date", &date), ("content-type", "text/html"), ("x-amz-meta-a", "1")],
    );
    assert!(matches!(authenticate(&h2, &ring, "us-east-1", now), Err(AuthError::SignatureDoesNotMatch)));

    let expires = 1_700_000_600u64;
    let sig = sign_v2(&format!("GET\n\n\n{expires}\n/bucket/key"));
    let enc: String = percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC).to_string();
    let uri = format!("/bucket/key?AWSAccessKeyId={AK}&Expires={expires}&Signature={enc}");
    let h = head("GET", &uri, &[("host", "localhost")]);
    let a = authenticate(&h, &ring, "us-east-1", now).expect("valid v2 query");
    assert_eq!(a.method, AuthMethod::PresignedV2);
    let e = authenticate(&h, &ring, "us-east-1", now + Duration::from_secs(601)).expect_err("expired");
    assert_eq!(e.message(), "Request has expired");
}

fn sign_v2(sts: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SK.as_bytes()).expect("key");
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn sigv2_absurd_expires_does_not_panic() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let uri = format!("/b/k?AWSAccessKeyId={AK}&Expires=18446744073709551615&Signature=x");
    let h = head("GET", &uri, &[("host", "localhost")]);
    let e = authenticate(&h, &keyring(), "us-east-1", now).expect_err("too far ahead");
    assert!(matches!(e, AuthError::AccessDenied(m) if m.contains("less than a week")));
}

#[test]
fn sigv2_expires_is_bounded_like_sigv4() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let presigned = |expires: u64| {
        let sig = sign_v2(&format!("GET\n\n\n{expires}\n/bucket/key"));
        let enc: String = percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC).to_string();
        head("GET", &format!("/bucket/key?AWSAccessKeyId={AK}&Expires={expires}&Signature={enc}"), &[("host", "localhost")])
    };
    let week = 1_700_000_000 + 604_800;
    assert!(authenticate(&presigned(week), &keyring(), "us-east-1", now).is_ok());
    let e = authenticate(&presigned(week + 3600), &keyring(), "us-east-1", now).expect_err("more than a week");
    assert_eq!(e.s3_code(), "AccessDenied");
}

/// What must be signed: a request signed by the AWS SDK signer, then given one
/// more header outside the signature, for header and query authentication.
/// `None` means the request still authenticates.
#[test]
fn unsigned_headers_table() {
    const NOT_SIGNED: Option<&str> = Some("AccessDenied");
    let table: &[(&str, &str, Option<&str>, Option<&str>)] = &[
        // (header, value, header auth, presigned URL)
        ("x-amz-copy-source", "/other/secret", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-copy-source-range", "bytes=0-1", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-meta-extra", "1", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-tagging", "a=b", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-storage-class", "GLACIER", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-metadata-directive", "REPLACE", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-checksum-crc32", "AAAAAA==", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-date", "20130524T000000Z", None, NOT_SIGNED),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", None, NOT_SIGNED),
        ("x-amz-decoded-content-length", "5", NOT_SIGNED, NOT_SIGNED),
        ("x-amz-trailer", "x-amz-checksum-crc32", NOT_SIGNED, NOT_SIGNED),
        ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==", None, None),
        ("content-type", "text/plain", None, None),
        ("range", "bytes=0-1", None, None),
        ("user-agent", "curl", None, None),
    ];
    let base = [("host", "localhost:9000"), ("x-amz-meta-note", "signed")];
    for &(name, value, header_auth, presigned) in table {
        for (presign, expected) in [(false, header_auth), (true, presigned)] {
            let (mut h, _) = sdk_signed("/bucket/key", &base, "UNSIGNED-PAYLOAD", presign);
            // Changing the value of a signed header breaks the signature instead.
            let changed = h.headers.get(name).is_some_and(|v| v != value);
            h.headers.insert(http::HeaderName::from_static(name), http::HeaderValue::from_static(value));
            let got = authenticate(&h, &keyring(), "us-east-1", t0()).err().map(|e| e.s3_code());
            let expected = if changed { Some("SignatureDoesNotMatch") } else { expected };
            assert_eq!(got, expected, "{name} added to a {} request", if presign { "presigned" } else { "header-signed" });
        }
    }
}

#[test]
fn signed_headers_must_be_present_and_authorization_single() {
    for presign in [false, true] {
        let (mut h, _) =
            sdk_signed("/bucket/key", &[("host", "localhost:9000"), ("x-amz-meta-note", "signed")], "UNSIGNED-PAYLOAD", presign);
        assert!(authenticate(&h, &keyring(), "us-east-1", t0()).is_ok());
        h.headers.remove("x-amz-meta-note");
        let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("signed header absent");
        assert!(e.message().contains("'x-amz-meta-note'"), "{e}");
        let expected = if presign { "AuthorizationQueryParametersError" } else { "AuthorizationHeaderMalformed" };
        assert_eq!(e.s3_code(), expected);
    }
    let mut h = get_object_example(GET_SIG);
    h.headers.append(http::header::AUTHORIZATION, http::HeaderValue::from_static("AWS4-HMAC-SHA256 x"));
    let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("two Authorization headers");
    assert_eq!(e.s3_code(), "InvalidArgument");
}

#[test]
fn sigv2_signs_every_amz_header() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let expires = 1_700_000_600u64;
    let sig = sign_v2(&format!("PUT\n\n\n{expires}\n/bucket/key"));
    let enc: String = percent_encoding::utf8_percent_encode(&sig, percent_encoding::NON_ALPHANUMERIC).to_string();
    let uri = format!("/bucket/key?AWSAccessKeyId={AK}&Expires={expires}&Signature={enc}");
    assert!(authenticate(&head("PUT", &uri, &[("host", "localhost")]), &keyring(), "us-east-1", now).is_ok());
    let h = head("PUT", &uri, &[("host", "localhost"), ("x-amz-copy-source", "/other/secret")]);
    let e = authenticate(&h, &keyring(), "us-east-1", now).expect_err("added header");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
}

/// `+` in the query is a space for the signature, as for the router.
#[test]
fn plus_in_query_is_a_space() {
    let (mut h, _) = sdk_signed("/bucket?prefix=a%20b", &[("host", "localhost:9000")], "UNSIGNED-PAYLOAD", false);
    h.uri = "http://localhost:9000/bucket?prefix=a+b".parse().expect("uri");
    assert!(authenticate(&h, &keyring(), "us-east-1", t0()).is_ok(), "signed %20, sent +");
    let (mut h, _) = sdk_signed("/bucket?prefix=a%2Bb", &[("host", "localhost:9000")], "UNSIGNED-PAYLOAD", false);
    assert!(authenticate(&h, &keyring(), "us-east-1", t0()).is_ok());
    h.uri = "http://localhost:9000/bucket?prefix=a+b".parse().expect("uri");
    let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("signed a literal plus, sent a space");
    assert!(matches!(e, AuthError::SignatureDoesNotMatch));
}

#[test]
fn single_valued_headers_appear_once() {
    let mut h = get_object_example(GET_SIG);
    h.headers.append("x-amz-copy-source", http::HeaderValue::from_static("/b/k"));
    h.headers.append("x-amz-copy-source", http::HeaderValue::from_static("x"));
    let e = authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("repeated");
    assert_eq!(e.s3_code(), "InvalidArgument");
    let mut h = get_object_example(GET_SIG);
    h.headers.append("range", http::HeaderValue::from_static("bytes=0-1"));
    assert_eq!(authenticate(&h, &keyring(), "us-east-1", t0()).expect_err("repeated range").s3_code(), "InvalidArgument");
}
