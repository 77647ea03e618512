//! Regression tests for incompatibilities the interop scripts found, reproduced with
//! raw HTTP so they stay covered by `cargo test`.

mod common;

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// SigV4 headers for a request, signed for `region` with the default credentials.
fn sign_headers(method: &str, url: &str, headers: &[(&str, &str)], region: &str) -> Vec<(String, String)> {
    let identity = Credentials::new("coffer", "coffer-secret-key", None, None, "test").into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
    let request = SignableRequest::new(method, url, all.clone().into_iter(), SignableBody::UnsignedPayload).unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut out: Vec<(String, String)> = all.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    out.extend(instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())));
    out
}

/// Sends a raw HTTP/1.1 request and returns the whole response text (the server
/// closes or the read times out).
async fn raw(addr: std::net::SocketAddr, head: String) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(std::time::Duration::from_millis(500), s.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn head_of(method: &str, path: &str, host: &str, headers: &[(String, String)]) -> String {
    let mut h = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        h.push_str(k);
        h.push_str(": ");
        h.push_str(v);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    debug_assert!(!host.is_empty());
    h
}

/// s3cmd signs with region "US" until the error tells it the right one.
#[tokio::test]
async fn wrong_region_error_names_the_region() {
    let srv = TestServer::start().await;
    let host = srv.server.addr.to_string();
    let url = format!("http://{host}/");
    let headers = sign_headers("GET", &url, &[("host", &host)], "US");
    let response = raw(srv.server.addr, head_of("GET", "/", &host, &headers)).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("<Code>AuthorizationHeaderMalformed</Code>"), "{response}");
    assert!(response.contains("<Region>us-east-1</Region>"), "{response}");
}

/// botocore before 1.44 misreads a connection reused after an Expect: 100-continue
/// request answered without a 100: such responses must close the connection.
#[tokio::test]
async fn expect_continue_without_body_closes_the_connection() {
    let srv = TestServer::start().await;
    srv.client().create_bucket().bucket("expect").send().await.unwrap();
    let host = srv.server.addr.to_string();
    let url = format!("http://{host}/expect/empty");
    let headers = sign_headers("PUT", &url, &[("host", &host), ("content-length", "0"), ("expect", "100-continue")], "us-east-1");
    let response = raw(srv.server.addr, head_of("PUT", "/expect/empty", &host, &headers)).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.to_ascii_lowercase().contains("connection: close"), "{response}");
    assert!(!response.contains("100 Continue"), "{response}");
    // The object was stored all the same.
    assert_eq!(srv.client().head_object().bucket("expect").key("empty").send().await.unwrap().content_length(), Some(0));
}
