//! No damaged byte is ever served: bit rot in a blob file turns a GET into a broken
//! transfer (never a clean 200 with wrong bytes), whole or ranged, single-PUT or
//! multipart; the damaged blob is quarantined, so a PUT of the original bytes repairs
//! every object sharing it; a missing blob is a 500 before any body. Through the real
//! `aws-sdk-s3` against a real server.

mod common;

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use common::{data, TestServer};

const MIB: usize = 1 << 20;

/// Blob files under `<data>/blobs` (block lists, `<hash>.blocks`, excluded).
fn blob_files(root: &Path) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else if e.path().extension().is_none() {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("blobs"), &mut out);
    out
}

/// The blob file holding exactly `len` bytes.
fn blob_of_len(srv: &TestServer, len: usize) -> PathBuf {
    blob_files(srv.dir.path()).into_iter().find(|p| p.metadata().unwrap().len() == len as u64).expect("a blob of that size")
}

fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

/// The whole body, or the error that broke it.
async fn get(s3: &Client, key: &str, range: Option<&str>) -> Result<Vec<u8>, String> {
    let out = s3.get_object().bucket("bkt").key(key).set_range(range.map(str::to_owned)).send().await.map_err(|e| format!("{e:?}"))?;
    out.body.collect().await.map(|b| b.into_bytes().to_vec()).map_err(|e| format!("{e:?}"))
}

async fn put(s3: &Client, key: &str, body: &[u8]) {
    s3.put_object().bucket("bkt").key(key).body(ByteStream::from(body.to_vec())).send().await.unwrap();
}

async fn stats(srv: &TestServer) -> serde_json::Value {
    let host = srv.host();
    let response = common::raw::Request::new("GET", "/?coffer-stats").signed(&host).send(&host).await;
    serde_json::from_str(&response.text()).unwrap()
}

/// Objects are stored as sent here (no default encryption), so that blob files hold
/// the bodies byte for byte: these tests damage the blob layer itself. Encrypted blobs
/// are verified by the same layer first (tests/encryption.rs damages one too).
async fn server() -> (TestServer, Client) {
    let srv = TestServer::start_with(&[("encryption.bucket_default", "none")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    (srv, s3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_blob_is_never_served_and_a_put_of_its_bytes_repairs_it() {
    let (srv, s3) = server().await;
    let body = data(3 * MIB + 12_345, 1);
    put(&s3, "big", &body).await;
    put(&s3, "twin", &body).await; // dedup: the same blob
    let blob = blob_of_len(&srv, body.len());
    flip(&blob, 2 * MIB + 100);

    // Ranges in good blocks are still served, verified.
    assert_eq!(get(&s3, "big", Some("bytes=10-1009")).await.unwrap(), &body[10..1010]);
    // A GET that reaches the damage breaks instead of ending cleanly with wrong bytes.
    let whole = get(&s3, "big", None).await;
    assert!(whole.is_err(), "a whole GET of a damaged object completed");
    assert!(!blob.exists(), "the damaged blob was quarantined");
    assert_eq!(std::fs::read_dir(srv.dir.path().join("quarantine")).unwrap().count(), 1);
    let doc = stats(&srv).await;
    assert_eq!(doc["blobs"]["damaged"], 1, "{doc}");

    // The twin shares the blob: it is an error now, not wrong bytes.
    assert!(get(&s3, "twin", Some("bytes=0-99")).await.is_err());
    // Re-uploading the original bytes (under any key) writes a good copy instead of
    // deduplicating against the damage, and repairs every object using it.
    put(&s3, "again", &body).await;
    assert_eq!(get(&s3, "big", None).await.unwrap(), body);
    assert_eq!(get(&s3, "twin", Some(&format!("bytes={}-", 2 * MIB))).await.unwrap(), &body[2 * MIB..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_small_blob_sends_not_one_byte() {
    let (srv, s3) = server().await;
    let body = data(300_000, 2);
    put(&s3, "small", &body).await;
    flip(&blob_of_len(&srv, body.len()), body.len() - 1);
    // The only damage is in the last byte; still nothing of a range far from it.
    let e = get(&s3, "small", Some("bytes=0-9")).await.unwrap_err();
    assert!(!e.is_empty());
    // Once quarantined the blob is missing: 500 before any body, and counted.
    let missing = s3.get_object().bucket("bkt").key("small").send().await.unwrap_err();
    assert_eq!(missing.raw_response().map(|r| r.status().as_u16()), Some(500), "{missing:?}");
    let doc = stats(&srv).await;
    assert_eq!(doc["blobs"]["damaged"], 1, "{doc}");
    // The SDK retries a 500, so each attempt counted.
    assert!(doc["blobs"]["missing"].as_u64().is_some_and(|n| n >= 1), "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_in_a_multipart_part_is_caught_and_other_parts_still_read() {
    let (srv, s3) = server().await;
    let parts = [data(5 * MIB, 3), data(2 * MIB + 7, 4)];
    let up = s3.create_multipart_upload().bucket("bkt").key("mp").send().await.unwrap();
    let id = up.upload_id.unwrap();
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let n = i32::try_from(i + 1).unwrap();
        let out =
            s3.upload_part().bucket("bkt").key("mp").upload_id(&id).part_number(n).body(ByteStream::from(p.clone())).send().await.unwrap();
        done.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag.unwrap()).build());
    }
    let complete = CompletedMultipartUpload::builder().set_parts(Some(done)).build();
    s3.complete_multipart_upload().bucket("bkt").key("mp").upload_id(&id).multipart_upload(complete).send().await.unwrap();
    flip(&blob_of_len(&srv, parts[1].len()), MIB + 5);

    let first = s3.get_object().bucket("bkt").key("mp").part_number(1).send().await.unwrap();
    assert_eq!(first.body.collect().await.unwrap().into_bytes().to_vec(), parts[0]);
    let second = s3.get_object().bucket("bkt").key("mp").part_number(2).send().await.unwrap();
    assert!(second.body.collect().await.is_err(), "a damaged part was served");
    let start = 5 * MIB + MIB;
    assert!(get(&s3, "mp", Some(&format!("bytes={start}-{}", start + 99))).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coffer_scrub_offline_finds_damage_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::child::ChildServer::start(dir.path(), &["--scrub.interval", "0", "--encryption.bucket_default", "none"]).await;
    let s3 = server.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    let body = data(2 * MIB + 3, 5);
    put(&s3, "obj", &body).await;
    drop(s3);
    server.kill();
    let scrub = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
            .args(["scrub", "--offline", "--storage.path", dir.path().to_str().unwrap()])
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let clean = scrub();
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    let blob = blob_files(dir.path()).into_iter().find(|p| p.metadata().unwrap().len() == body.len() as u64).unwrap();
    flip(&blob, MIB + 1);
    let found = scrub();
    let out = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(1), "{out}");
    assert!(out.contains("damaged (moved to quarantine/): 1"), "{out}");
    assert!(!blob.exists(), "quarantined");
}
