//! Entry points for the fuzz targets in `fuzz/` (cargo fuzz): each takes raw bytes,
//! feeds them to a parser exactly as the server would, and must never panic, hang or
//! allocate without bound, whatever the bytes. Hidden from the docs; not an API.
//!
//! Input layout: the targets that need several strings split the bytes on `\n`.

use std::future::Future as _;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{stream, Stream};
use hyper::Method;

use super::router::{self, RouteInput};
use super::{conditional, lifecycle, multipart_xml as mx, tagging, xml as x};
use crate::auth::{self, Credentials, Keyring};
use crate::model::range;

/// Lines of `data` (lossy UTF-8), at least `n` of them.
fn lines(data: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut out: Vec<String> = text.split('\n').map(str::to_owned).collect();
    out.resize(out.len().max(n), String::new());
    out
}

/// Routing: `method\npath\nquery\nhost`, as the router sees a request line.
pub fn route(data: &[u8]) {
    let l = lines(data, 4);
    let method = Method::from_bytes(l[0].as_bytes()).unwrap_or(Method::GET);
    let query = router::parse_query(Some(&l[2]));
    for domain in ["", "s3.example.com"] {
        for copy_source in [false, true] {
            let input = RouteInput { method: &method, raw_path: &l[1], query: &query, host: Some(&l[3]), domain, copy_source };
            let _ = router::route(&input);
        }
    }
}

/// Every XML request document: the first byte picks the type, the rest is the body.
pub fn xml_document(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else { return };
    match kind % 7 {
        0 => drop(x::from_xml::<x::CreateBucketConfiguration>(body, "CreateBucketConfiguration")),
        1 => drop(x::from_xml::<x::VersioningConfigurationIn>(body, "VersioningConfiguration")),
        2 => drop(x::from_xml::<x::Delete>(body, "Delete")),
        3 => drop(x::from_xml::<mx::CompleteMultipartUpload>(body, "CompleteMultipartUpload")),
        4 => drop(x::from_xml::<tagging::Tagging>(body, "Tagging")),
        5 => drop(lifecycle::parse(body)),
        _ => drop(crate::model::notification::parse(body, &["arn:coffer:sqs:us-east-1:webhook:a".to_owned()])),
    }
}

/// `Range`, `If-Match`/`If-None-Match` lists and HTTP dates: `range\nsize\netags\ndate`.
pub fn headers(data: &[u8]) {
    let l = lines(data, 4);
    let size = l[1].trim().parse::<u64>().unwrap_or(1 << 20);
    for size in [0, 1, size, u64::MAX] {
        let _ = range::resolve(&l[0], size);
    }
    let _ = conditional::etag_matches(&l[2], "\"d41d8cd98f00b204e9800998ecf8427e\"");
    let _ = httpdate::parse_http_date(&l[3]);
}

/// The access key and secret of the fuzzed keyring.
const AK: &str = "AKIAFUZZ";
const SK: &str = "fuzz-secret";

/// Request authentication (SigV4 header and presigned, SigV2): `method\nuri\nname:value...`.
pub fn authenticate(data: &[u8]) {
    let l = lines(data, 2);
    let mut builder = http::Request::builder().method(Method::from_bytes(l[0].as_bytes()).unwrap_or(Method::GET)).uri(l[1].as_str());
    for header in &l[2..] {
        if let Some((name, value)) = header.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    let Ok(request) = builder.body(()) else { return };
    let (head, ()) = request.into_parts();
    let keyring = Keyring::new(vec![Credentials::new(AK, SK)]);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let _ = auth::authenticate(&head, &keyring, "us-east-1", now);
}

/// The aws-chunked decoder, unsigned trailer mode (the signed modes share its framing
/// code and add checks): the body arrives in pieces whose sizes come from the first byte.
pub fn aws_chunked(data: &[u8]) {
    let Some((&piece, body)) = data.split_first() else { return };
    let piece = usize::from(piece).max(1);
    let head = http::Request::builder()
        .method("PUT")
        .uri("/b/k")
        .header("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        .header("x-amz-trailer", "x-amz-checksum-crc32")
        .body(())
        .map(|r| r.into_parts().0);
    let Ok(head) = head else { return };
    let keyring = Keyring::new(vec![]);
    let Ok(authenticated) = auth::authenticate(&head, &keyring, "us-east-1", SystemTime::now()) else { return };
    let pieces: Vec<Result<Bytes, std::io::Error>> = body.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let Ok((decoded, _trailers)) = auth::decode_body(&authenticated, &head, stream::iter(pieces)) else { return };
    drain(decoded);
}

/// What a browser sends: the first byte picks the parser, the rest is its input.
/// 0: a `multipart/form-data` body (boundary `XyZ`, arriving in pieces whose size is the
/// second byte) read as POST Object reads it; 1: a POST policy (base64 of the second
/// line) checked against `name=value` fields on the following lines; 2: a CORS
/// configuration, then a preflight (`origin\nmethod\nheaders` after a NUL); 3: a website
/// configuration, then the decisions for the path after a NUL.
pub fn browser(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else { return };
    match kind % 4 {
        0 => form_body(rest),
        1 => {
            let l = lines(rest, 2);
            let fields: Vec<(String, String)> =
                l[2..].iter().filter_map(|f| f.split_once('=')).map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect();
            if let Ok(policy) = super::post_object::policy::Policy::parse(&l[1]) {
                let _ = policy.check(&fields, &l[0], SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
                let _ = policy.length_range();
            }
        }
        2 => {
            let (doc, probe) = split_nul(rest);
            if let Ok(cors) = crate::model::cors::parse_submitted(doc) {
                let l = lines(probe, 3);
                let _ = cors.preflight(&l[0], &l[1], &crate::model::cors::request_headers(&l[2]));
                let _ = cors.actual(&l[0], &l[1]);
            }
        }
        _ => {
            let (doc, probe) = split_nul(rest);
            if let Ok(site) = crate::model::website::parse_submitted(doc) {
                let path = String::from_utf8_lossy(probe);
                let origin = crate::model::website::Origin { protocol: "http", host: "site.example" };
                let _ = site.key_for(&path);
                let _ = site.redirect_before(&path, origin);
                let _ = site.redirect_on_error(&path, 404, origin);
            }
        }
    }
}

fn split_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A form body through the POST Object reader: fields, then the file to its end. The
/// body in pieces of the size the first byte gives must read exactly as the body in one
/// piece (a boundary split across pieces is still found, content never cut).
fn form_body(data: &[u8]) {
    let Some((&piece, body)) = data.split_first() else { return };
    let piece = usize::from(piece).max(1);
    assert_eq!(read_form(body, piece), read_form(body, body.len().max(1)), "pieces of {piece}");
}

/// What the form reader makes of `body` arriving in pieces of `piece` bytes: the
/// fields and the file, or the error code.
fn read_form(body: &[u8], piece: usize) -> Option<Result<(super::post_object::form::Fields, Vec<u8>), super::error::S3ErrorCode>> {
    let pieces: Vec<Result<Bytes, auth::AuthError>> = body.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let body = super::body::RequestBody::new(Box::pin(stream::iter(pieces)), None);
    let read = async move {
        let mut reader = super::post_object::form::FormReader::new(body, "XyZ");
        let (fields, _) = reader.read_fields().await.map_err(|e| e.code)?;
        let mut file = Vec::new();
        while let Some(chunk) = reader.next_file_chunk().await {
            file.extend_from_slice(&chunk.map_err(|e| e.code)?);
        }
        Ok((fields, file))
    };
    // Every piece is ready at once: one poll runs the reader to its end.
    let mut read = pin!(read);
    match read.as_mut().poll(&mut Context::from_waker(futures_util::task::noop_waker_ref())) {
        Poll::Ready(outcome) => Some(outcome),
        Poll::Pending => None,
    }
}

/// Polls a stream that never waits to its end.
fn drain<S: Stream>(s: S) {
    let mut s = pin!(s);
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    while let Poll::Ready(Some(_)) = s.as_mut().poll_next(&mut cx) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    type Target = fn(&[u8]);

    /// Each entry point runs on the seeds in `fuzz/corpus` and on junk.
    #[test]
    fn entry_points_accept_any_bytes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let targets: [(&str, Target); 6] = [
            ("route", route),
            ("xml", xml_document),
            ("headers", headers),
            ("auth", authenticate),
            ("aws_chunked", aws_chunked),
            ("browser", browser),
        ];
        for (name, target) in targets {
            let mut seeds = 0;
            for entry in std::fs::read_dir(root.join(name)).expect("a seed corpus per target").flatten() {
                target(&std::fs::read(entry.path()).expect("seed"));
                seeds += 1;
            }
            assert!(seeds > 0, "no seeds for {name}");
            for junk in [&b""[..], b"\n\n\n\n", b"\xff\xfe\x00", b"GET\n/%\n%zz=&&=\n[::1"] {
                target(junk);
            }
        }
    }
}
