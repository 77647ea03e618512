//! HTTPS on the S3 listener (`server.tls_cert` / `server.tls_key`): signed requests over
//! TLS with a certificate the test makes (rcgen, never committed), plain HTTP refused,
//! `aws:SecureTransport` true in bucket policies, SSE-C served over TLS,
//! and SIGHUP reloading the certificate for new connections while open ones go on.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::child::ChildServer;
use common::raw::{parse_response, Request, Response};
use common::TestServer;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Asserting a raw response's status.
trait Status {
    fn assert_status(&self, status: u16);
}

impl Status for Response {
    #[track_caller]
    fn assert_status(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text());
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files
/// `<name>.crt` / `<name>.key` in `dir`; returns the certificate (DER) to trust.
fn make_certificate(dir: &Path, name: &str) -> CertificateDer<'static> {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key_pair.serialize_pem()).unwrap();
    cert.der().clone()
}

/// A TLS client trusting exactly `trusted`.
fn connector(trusted: &CertificateDer<'static>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A TLS connection to `host` (`127.0.0.1:port`) trusting `trusted`.
async fn connect(host: &str, trusted: &CertificateDer<'static>) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(host).await?;
    connector(trusted).connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

/// Sends `req` over a fresh TLS connection (the request asks to close it) and parses
/// the answer.
async fn send_tls(host: &str, trusted: &CertificateDer<'static>, req: &Request) -> Response {
    let mut tls = connect(host, trusted).await.expect("TLS handshake");
    tls.write_all(&req.to_bytes(host)).await.unwrap();
    let mut buf = Vec::new();
    let _ = tls.read_to_end(&mut buf).await;
    parse_response(&buf)
}

/// One request on a kept-alive TLS connection: reads exactly one response (its
/// Content-Length).
async fn exchange(tls: &mut TlsStream<TcpStream>, host: &str, req: Request) -> Response {
    tls.write_all(&req.header("connection", "keep-alive").to_bytes(host)).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tls.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the response ended");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse::<usize>().unwrap());
            if buf.len() >= end + 4 + length {
                return parse_response(&buf);
            }
        }
    }
}

/// The certificate a TLS connection was given.
fn peer_certificate(tls: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    tls.get_ref().1.peer_certificates().and_then(|c| c.first()).expect("a certificate").clone().into_owned()
}

async fn tls_server(dir: &Path) -> (TestServer, CertificateDer<'static>) {
    let trusted = make_certificate(dir, "server");
    let (cert_file, key_file) = (dir.join("server.crt"), dir.join("server.key"));
    let srv =
        TestServer::start_with(&[("server.tls_cert", cert_file.to_str().unwrap()), ("server.tls_key", key_file.to_str().unwrap())]).await;
    (srv, trusted)
}

#[tokio::test]
async fn https_serves_signed_requests_and_plain_http_gets_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, cert) = tls_server(dir.path()).await;
    let host = srv.host();
    send_tls(&host, &cert, &Request::new("PUT", "/secure").signed(&host)).await.assert_status(200);
    send_tls(&host, &cert, &Request::new("PUT", "/secure/k").body("over tls").signed(&host)).await.assert_status(200);
    let got = send_tls(&host, &cert, &Request::new("GET", "/secure/k").signed(&host)).await;
    got.assert_status(200);
    assert_eq!(got.body, b"over tls");
    // ALPN offers HTTP/1.1.
    let tls = connect(&host, &cert).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), None, "the client offered no ALPN: none chosen");
    // Plain HTTP to the TLS port: no HTTP answer, the request is never served.
    let mut tcp = TcpStream::connect(&host).await.unwrap();
    tcp.write_all(&Request::new("PUT", "/secure/plain").body("x").signed(&host).to_bytes(&host)).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut buf)).await;
    assert!(!buf.starts_with(b"HTTP/1.1"), "plain HTTP was answered: {}", String::from_utf8_lossy(&buf));
    let head = send_tls(&host, &cert, &Request::new("HEAD", "/secure/plain").signed(&host)).await;
    head.assert_status(404);
    // A client that does not trust the certificate does not get through.
    let stranger = make_certificate(dir.path(), "stranger");
    assert!(connect(&host, &stranger).await.is_err(), "an untrusted certificate was accepted");
    srv.server.stop().await;
}

/// The user guide's HTTPS-only bucket policy (Deny when `aws:SecureTransport` is
/// false) lets requests over TLS through; SSE-C works over TLS.
#[tokio::test]
async fn requests_over_tls_are_secure_transport() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, cert) = tls_server(dir.path()).await;
    let host = srv.host();
    send_tls(&host, &cert, &Request::new("PUT", "/tlsonly").signed(&host)).await.assert_status(200);
    send_tls(&host, &cert, &Request::new("PUT", "/tlsonly/k").body("v").signed(&host)).await.assert_status(200);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"HttpsOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
        "Resource":["arn:aws:s3:::tlsonly","arn:aws:s3:::tlsonly/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    send_tls(&host, &cert, &Request::new("PUT", "/tlsonly?policy").body(policy).signed(&host)).await.assert_status(204);
    let got = send_tls(&host, &cert, &Request::new("GET", "/tlsonly/k").signed(&host)).await;
    got.assert_status(200);
    // The opposite policy (Deny over TLS) refuses the same request: the key is "true".
    let deny_tls = policy.replace(r#""aws:SecureTransport":"false""#, r#""aws:SecureTransport":"true""#);
    send_tls(&host, &cert, &Request::new("PUT", "/tlsonly?policy").body(deny_tls).signed(&host)).await.assert_status(204);
    send_tls(&host, &cert, &Request::new("GET", "/tlsonly/k").signed(&host)).await.assert_error(403, "AccessDenied");
    send_tls(&host, &cert, &Request::new("DELETE", "/tlsonly?policy").signed(&host)).await.assert_status(204);
    // SSE-C is served over TLS (plain HTTP refuses it: tests/fine_print.rs).
    let key = b"01234567890123456789012345678901";
    let key_md5 = common::raw::md5_b64(key);
    let with_key = |req: Request| {
        req.header("x-amz-server-side-encryption-customer-algorithm", "AES256")
            .header("x-amz-server-side-encryption-customer-key", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
            .header("x-amz-server-side-encryption-customer-key-md5", &key_md5)
    };
    let put = send_tls(&host, &cert, &with_key(Request::new("PUT", "/tlsonly/c").body("customer-keyed")).signed(&host)).await;
    put.assert_status(200);
    assert_eq!(put.header("x-amz-server-side-encryption-customer-key-md5"), Some(key_md5.as_str()));
    let got = send_tls(&host, &cert, &with_key(Request::new("GET", "/tlsonly/c")).signed(&host)).await;
    got.assert_status(200);
    assert_eq!(got.body, b"customer-keyed");
    send_tls(&host, &cert, &Request::new("GET", "/tlsonly/c").signed(&host)).await.assert_error(400, "InvalidRequest");
    srv.server.stop().await;
}

/// SIGHUP makes the server read its certificate again: new connections get the new
/// one, a connection opened before keeps working; a broken file keeps the current one.
#[tokio::test]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    let dir = tempfile::tempdir().unwrap();
    let first = make_certificate(dir.path(), "server");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (cert_file, key_file) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let child =
        ChildServer::start(&data, &["--server.tls_cert", cert_file.to_str().unwrap(), "--server.tls_key", key_file.to_str().unwrap()])
            .await;
    let host = format!("127.0.0.1:{}", child.port);
    let mut old = connect(&host, &first).await.unwrap();
    assert_eq!(peer_certificate(&old), first);
    exchange(&mut old, &host, Request::new("PUT", "/reload").signed(&host)).await.assert_status(200);

    let second = make_certificate(dir.path(), "server");
    let hup = |pid: u32| std::process::Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap();
    assert!(hup(child.pid()).success());
    let mut fresh = None;
    for _ in 0..100 {
        let conn = connect(&host, &second).await;
        if let Ok(c) = conn {
            fresh = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut fresh = fresh.expect("a new connection gets the reloaded certificate");
    assert_eq!(peer_certificate(&fresh), second);
    exchange(&mut fresh, &host, Request::new("HEAD", "/reload").signed(&host)).await.assert_status(200);
    // The connection opened before the reload still serves requests.
    exchange(&mut old, &host, Request::new("HEAD", "/reload").signed(&host)).await.assert_status(200);

    // A broken certificate file: the reload fails and the current certificate stays.
    std::fs::write(&cert_file, "not a certificate").unwrap();
    assert!(hup(child.pid()).success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = connect(&host, &second).await.expect("the current certificate stays after a failed reload");
    assert_eq!(peer_certificate(&still), second);
}

/// A key that does not belong to the certificate, or a missing file, stops the start
/// with an error naming the file.
#[tokio::test]
async fn a_bad_certificate_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    make_certificate(dir.path(), "a");
    make_certificate(dir.path(), "b");
    let config = |crt: &str, key: &str| {
        let overrides = [
            ("storage.path".to_owned(), dir.path().join("data").to_str().unwrap().to_owned()),
            ("server.tls_cert".to_owned(), dir.path().join(crt).to_str().unwrap().to_owned()),
            ("server.tls_key".to_owned(), dir.path().join(key).to_str().unwrap().to_owned()),
        ];
        coffer::config::Config::from_toml("", &overrides).unwrap()
    };
    let clock: coffer::s3::Clock = Arc::new(std::time::SystemTime::now);
    let Err(mismatched) = coffer::server::build_state(config("a.crt", "b.key"), Arc::clone(&clock)).await else {
        panic!("a key of another certificate was accepted")
    };
    assert!(mismatched.to_string().contains("b.key"), "{mismatched}");
    let Err(missing) = coffer::server::build_state(config("none.crt", "a.key"), clock).await else {
        panic!("a missing certificate file was accepted")
    };
    assert!(missing.to_string().contains("none.crt"), "{missing}");
    let half = coffer::config::Config::from_toml("", &[("server.tls_cert".to_owned(), "x.crt".to_owned())]);
    assert!(half.is_err(), "a certificate without a key is a configuration error");
}
