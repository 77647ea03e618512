//! Request authentication costs: SigV4 header verification per request, and the body
//! decoders per byte (aws-chunked with chunk signatures, with an unsigned trailer, a
//! signed SHA-256 payload, and the unsigned pass-through as the floor).
//!
//! `cargo bench --bench auth`. Requests are signed by `aws-sigv4`, the AWS SDK's own
//! signer, so what is measured is what real clients send.
//!
//! Reading the figures: header verification is paid once per request, so at 15,000
//! small GETs per second it must stay well under 66 µs per core; the body decoders run
//! on every byte of a PUT, beside MD5 (about 0.6 GB/s), and should not be slower.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use bytes::Bytes;
use coffer::auth::{authenticate, decode_body, Credentials, Keyring};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::{stream, StreamExt};
use http::request::Parts;
use rand::RngCore;
use sha2::Digest as _;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const HOST: &str = "127.0.0.1:9000";
/// Body size of the decoder benches.
const BODY: usize = 8 << 20;
/// aws-chunked chunk size (the AWS SDKs' default).
const CHUNK: usize = 64 << 10;
/// Size of the pieces the body arrives in (like reads from a socket); deliberately not
/// aligned with the chunk framing.
const PIECE: usize = 48 << 10;

fn keyring() -> Keyring {
    Keyring::new(vec![Credentials::new(AK, SK)])
}

fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(AK, SK, None, None, "bench")
}

/// Signs a request with the SDK's settings for S3 and returns its head and signature.
fn signed(method: &str, path_and_query: &str, headers: &[(&str, &str)], payload: &str, now: SystemTime, presign: bool) -> (Parts, String) {
    let identity = credentials().into();
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
        .region(REGION)
        .name("s3")
        .time(now)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = format!("http://{HOST}{path_and_query}");
    let mut all = vec![("host", HOST)];
    all.extend_from_slice(headers);
    let signable = SignableRequest::new(method, uri.as_str(), all.iter().copied(), SignableBody::Precomputed(payload.to_owned())).unwrap();
    let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params).unwrap().into_parts();
    let mut b = http::Request::builder().method(method).uri(uri.as_str());
    for (k, v) in &all {
        b = b.header(*k, *v);
    }
    let mut req = b.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    (req.into_parts().0, signature)
}

fn header_verification(c: &mut Criterion) {
    let now = SystemTime::now();
    let keyring = keyring();
    // What aws-sdk-s3 sends on a small PutObject, minus the body.
    let put_headers = [
        ("content-type", "application/octet-stream"),
        ("content-length", "4096"),
        ("x-amz-meta-owner", "bench"),
        ("x-amz-user-agent", "aws-sdk-rust/1.157 api/s3"),
        ("amz-sdk-invocation-id", "0b9e5f5c-5b1a-4bd6-8b0b-1f1c0c8f2a11"),
    ];
    let (put, _) = signed("PUT", "/photos/2026/11/a%20b.jpg", &put_headers, "UNSIGNED-PAYLOAD", now, false);
    let empty = hex::encode(sha2::Sha256::digest(b""));
    let (get, _) = signed("GET", "/photos/2026/11/a.jpg", &[], &empty, now, false);
    let (list, _) =
        signed("GET", "/photos?list-type=2&max-keys=1000&prefix=2026%2F&start-after=2026%2F11%2Fa.jpg", &[], &empty, now, false);
    let (presigned, _) = signed("GET", "/photos/2026/11/a.jpg", &[], "UNSIGNED-PAYLOAD", now, true);
    let mut group = c.benchmark_group("sigv4");
    group.throughput(Throughput::Elements(1));
    for (name, head) in [("put_header", &put), ("get_header", &get), ("list_header", &list), ("get_presigned", &presigned)] {
        // Fail loudly here rather than benchmark the error path.
        authenticate(head, &keyring, REGION, now).expect("the bench request verifies");
        group.bench_function(name, |b| b.iter(|| black_box(authenticate(black_box(head), &keyring, REGION, now).unwrap())));
    }
    group.finish();
}

/// An aws-chunked body with chunk signatures (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`),
/// chained from the request's `seed` signature.
fn signed_chunks(data: &[u8], seed: &str, now: SystemTime) -> Vec<u8> {
    let identity = credentials().into();
    let params =
        aws_sigv4::sign::v4::SigningParams::builder().identity(&identity).region(REGION).name("s3").time(now).settings(()).build().unwrap();
    let mut prev = seed.to_owned();
    let mut body = Vec::with_capacity(data.len() + data.len() / CHUNK * 100 + 200);
    for chunk in data.chunks(CHUNK).chain(std::iter::once(&b""[..])) {
        let sig = aws_sigv4::sign::v4::sign_chunk(&Bytes::copy_from_slice(chunk), &prev, &params).unwrap().into_parts().1;
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
        prev = sig;
    }
    body
}

/// An aws-chunked body without signatures, ending in a CRC32C trailer
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, what current SDKs send by default).
fn unsigned_trailer_chunks(data: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(data.len() + data.len() / CHUNK * 10 + 100);
    for chunk in data.chunks(CHUNK) {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    let crc = coffer::blob::Checksummer::digest(coffer::blob::ChecksumAlgorithm::Crc32c, data);
    body.extend_from_slice(format!("0\r\nx-amz-checksum-crc32c:{}\r\n\r\n", coffer::blob::checksum_to_base64(&crc)).as_bytes());
    body
}

fn body_decoding(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let now = SystemTime::now();
    let keyring = keyring();
    let mut data = vec![0u8; BODY];
    rand::thread_rng().fill_bytes(&mut data);
    let decoded_len = BODY.to_string();

    let streaming = [("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", decoded_len.as_str())];
    let (chunked_head, seed) = signed("PUT", "/b/k", &streaming, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", now, false);
    let chunked_body = Bytes::from(signed_chunks(&data, &seed, now));

    let trailer = [
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", decoded_len.as_str()),
        ("x-amz-trailer", "x-amz-checksum-crc32c"),
    ];
    let (trailer_head, _) = signed("PUT", "/b/k", &trailer, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", now, false);
    let trailer_body = Bytes::from(unsigned_trailer_chunks(&data));

    let sha = hex::encode(sha2::Sha256::digest(&data));
    let (sha_head, _) = signed("PUT", "/b/k", &[], &sha, now, false);
    let (unsigned_head, _) = signed("PUT", "/b/k", &[], "UNSIGNED-PAYLOAD", now, false);
    let plain = Bytes::from(data);

    let mut group = c.benchmark_group("decode_body");
    group.throughput(Throughput::Bytes(BODY as u64)).sample_size(20);
    let cases = [
        ("aws_chunked_signed_64KiB_chunks", &chunked_head, &chunked_body),
        ("aws_chunked_unsigned_trailer_64KiB_chunks", &trailer_head, &trailer_body),
        ("signed_sha256", &sha_head, &plain),
        ("unsigned_passthrough", &unsigned_head, &plain),
    ];
    for (name, head, raw) in cases {
        let auth = authenticate(head, &keyring, REGION, now).expect("the bench request verifies");
        let run = || {
            rt.block_on(async {
                let raw = raw.clone();
                let pieces =
                    (0..raw.len()).step_by(PIECE).map(move |at| Ok::<_, std::io::Error>(raw.slice(at..(at + PIECE).min(raw.len()))));
                let (mut body, _trailers) = decode_body(&auth, head, stream::iter(pieces)).unwrap();
                let mut n = 0usize;
                while let Some(item) = body.next().await {
                    n += item.expect("the bench body decodes").len();
                }
                assert_eq!(n, BODY);
                n
            })
        };
        run();
        group.bench_function(name, |b| b.iter(|| black_box(run())));
    }
    group.finish();
}

/// A policy of ten statements, as a least-privilege user might carry: the last one
/// allows the request measured, so every statement is evaluated.
fn ten_statements() -> String {
    let mut statements: Vec<String> = (0..9)
        .map(|i| {
            format!(
                r#"{{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::bucket-{i}/${{aws:username}}/*","Condition":{{"IpAddress":{{"aws:SourceIp":"10.{i}.0.0/16"}}}}}}"#
            )
        })
        .collect();
    statements.push(
        r#"{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bench","arn:aws:s3:::bench/*"]}"#
            .to_owned(),
    );
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

/// The authorization decision per request: a user's compiled 10-statement policy
/// evaluated for a GET, condition context included.
fn authorization(c: &mut Criterion) {
    use coffer::iam::policy::{Context, Policy, PolicyKind, PrincipalInfo};
    use coffer::iam::{Principal, PrincipalKind};
    let policy = Policy::parse(&ten_statements(), PolicyKind::Identity).expect("the bench policy parses");
    let principal = Principal {
        account: "123456789012".into(),
        account_name: "bench".into(),
        kind: PrincipalKind::User { name: "alice".into() },
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        user_id: "AIDAEXAMPLE".into(),
        access_key: AK.into(),
        admin: false,
        policies: std::sync::Arc::new(vec![policy]),
        tags: vec![],
        session: None,
        info: std::sync::Arc::new(PrincipalInfo {
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            account: "123456789012".into(),
            ..PrincipalInfo::default()
        }),
        condition_keys: std::sync::Arc::new(coffer::iam::principal::ConditionKeys::from_documents(std::iter::once(
            ten_statements().as_str(),
        ))),
        key_use: None,
    };
    c.bench_function("authorize_get_10_statements", |b| {
        b.iter(|| {
            let mut ctx = Context::new();
            ctx.insert("aws:SourceIp", "127.0.0.1");
            ctx.insert("aws:SecureTransport", "false");
            ctx.insert("aws:CurrentTime", "2026-12-05T00:00:00Z");
            ctx.insert("aws:EpochTime", "1796428800");
            ctx.insert("aws:UserAgent", "aws-sdk-rust");
            principal.fill_context(&mut ctx);
            black_box(principal.is_allowed("s3:GetObject", "arn:aws:s3:::bench/key-00042", Some("123456789012"), &ctx, None))
        });
    });
}

criterion_group!(benches, header_verification, body_decoding, authorization);
criterion_main!(benches);
