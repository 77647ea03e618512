//! Entry points for the fuzz targets in `fuzz/` (cargo fuzz): each takes raw bytes,
//! feeds them to a parser exactly as the server would, and must never panic, hang or
//! allocate without bound, whatever the bytes. Hidden from the docs; not an API.
//!
//! Input layout: the targets that need several strings split the bytes on `\n`.

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
        let targets: [(&str, Target); 5] =
            [("route", route), ("xml", xml_document), ("headers", headers), ("auth", authenticate), ("aws_chunked", aws_chunked)];
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
