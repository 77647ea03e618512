//! Multipart uploads through the official SDK: parallel parts, replacement, copy parts,
//! every validation error of CompleteMultipartUpload, checksums, part GETs, listings,
//! and blob accounting after abort and completion.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use common::{data, TestServer};

const MIB: usize = 1 << 20;

async fn create(s3: &Client, key: &str) -> String {
    s3.create_multipart_upload().bucket("bkt").key(key).send().await.unwrap().upload_id().unwrap().to_owned()
}

async fn part(s3: &Client, key: &str, id: &str, n: i32, body: Vec<u8>) -> CompletedPart {
    let r = s3.upload_part().bucket("bkt").key(key).upload_id(id).part_number(n).body(ByteStream::from(body)).send().await.unwrap();
    CompletedPart::builder().part_number(n).e_tag(r.e_tag().unwrap()).build()
}

async fn complete(
    s3: &Client,
    key: &str,
    id: &str,
    parts: Vec<CompletedPart>,
) -> Result<aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput, String> {
    s3.complete_multipart_upload()
        .bucket("bkt")
        .key(key)
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map_err(|e| e.into_service_error().meta().code().unwrap_or("?").to_owned())
}

async fn get(s3: &Client, key: &str) -> Vec<u8> {
    s3.get_object().bucket("bkt").key(key).send().await.unwrap().body.collect().await.unwrap().into_bytes().to_vec()
}

fn md5(bytes: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(bytes).into()
}

/// Blob files (block lists, `<hash>.blocks`, have an extension and are not counted).
fn blob_count(srv: &TestServer) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p).map_or(0, |d| {
            d.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { usize::from(e.path().extension().is_none()) }).sum()
        })
    }
    walk(&srv.dir.path().join("blobs"))
}

async fn server() -> (TestServer, Client) {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    (srv, s3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_parts_complete_into_one_object() {
    let (srv, s3) = server().await;
    let id = create(&s3, "big").await;
    let bodies = [data(5 * MIB, 1), data(5 * MIB, 2), data(1000, 3)];
    let mut tasks = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let (s3, id, body) = (s3.clone(), id.clone(), body.clone());
        let n = i32::try_from(i).unwrap() + 1;
        tasks.push(tokio::spawn(async move { part(&s3, "big", &id, n, body).await }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        parts.push(t.await.unwrap());
    }
    let retry = parts.clone();
    let listed = s3.list_parts().bucket("bkt").key("big").upload_id(&id).send().await.unwrap();
    assert_eq!(listed.parts().iter().map(|p| p.part_number().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(listed.parts()[2].size(), Some(1000));

    let done = complete(&s3, "big", &id, parts).await.unwrap();
    let mut concat = Vec::new();
    for b in &bodies {
        concat.extend_from_slice(&md5(b));
    }
    assert_eq!(done.e_tag().unwrap(), format!("\"{}-3\"", hex::encode(md5(&concat))));
    let whole: Vec<u8> = bodies.concat();
    assert_eq!(get(&s3, "big").await, whole);

    // Part GETs and ranges across part boundaries.
    let p2 = s3.get_object().bucket("bkt").key("big").part_number(2).send().await.unwrap();
    assert_eq!(p2.parts_count(), Some(3));
    assert_eq!(p2.content_length(), Some(i64::try_from(5 * MIB).unwrap()));
    assert_eq!(p2.body.collect().await.unwrap().into_bytes().as_ref(), bodies[1].as_slice());
    let h3 = s3.head_object().bucket("bkt").key("big").part_number(3).send().await.unwrap();
    assert_eq!(h3.content_length(), Some(1000));
    let err = s3.get_object().bucket("bkt").key("big").part_number(4).send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
    let range = format!("bytes={}-{}", 5 * MIB - 10, 10 * MIB + 9);
    let r = s3.get_object().bucket("bkt").key("big").range(range).send().await.unwrap();
    assert_eq!(r.body.collect().await.unwrap().into_bytes().as_ref(), &whole[5 * MIB - 10..10 * MIB + 10]);

    // The upload is gone; a retried Complete answers with the same object, and one that
    // lists other parts is not a retry: the upload no longer exists.
    let again = complete(&s3, "big", &id, retry).await.unwrap();
    assert_eq!(again.e_tag(), done.e_tag());
    let other = complete(&s3, "big", &id, vec![CompletedPart::builder().part_number(1).e_tag("x").build()]).await;
    assert_eq!(other.unwrap_err(), "NoSuchUpload");
    assert_eq!(blob_count(&srv), 3);
    assert!(s3.list_multipart_uploads().bucket("bkt").send().await.unwrap().uploads().is_empty());
}

#[tokio::test]
async fn replaced_and_unlisted_parts_are_released() {
    let (srv, s3) = server().await;
    let id = create(&s3, "k").await;
    part(&s3, "k", &id, 1, data(5 * MIB, 10)).await;
    let p1 = part(&s3, "k", &id, 1, data(5 * MIB, 11)).await;
    assert_eq!(blob_count(&srv), 1, "the replaced part's blob is freed");
    let p2 = part(&s3, "k", &id, 2, data(10, 12)).await;
    part(&s3, "k", &id, 3, data(10, 13)).await;
    complete(&s3, "k", &id, vec![p1, p2]).await.unwrap();
    assert_eq!(blob_count(&srv), 2, "part 3 was not listed and is freed");
    let mut want = data(5 * MIB, 11);
    want.extend(data(10, 12));
    assert_eq!(get(&s3, "k").await, want);
    s3.delete_object().bucket("bkt").key("k").send().await.unwrap();
    assert_eq!(blob_count(&srv), 0);
}

#[tokio::test]
async fn completion_is_validated_as_s3_does() {
    let (_srv, s3) = server().await;
    let id = create(&s3, "k").await;
    let p1 = part(&s3, "k", &id, 1, data(100, 1)).await;
    let p2 = part(&s3, "k", &id, 2, data(100, 2)).await;
    assert_eq!(complete(&s3, "k", &id, vec![p2.clone(), p1.clone()]).await.unwrap_err(), "InvalidPartOrder");
    let wrong = CompletedPart::builder().part_number(1).e_tag("\"00000000000000000000000000000000\"").build();
    assert_eq!(complete(&s3, "k", &id, vec![wrong]).await.unwrap_err(), "InvalidPart");
    let missing = CompletedPart::builder().part_number(7).e_tag(p1.e_tag().unwrap()).build();
    assert_eq!(complete(&s3, "k", &id, vec![missing]).await.unwrap_err(), "InvalidPart");
    assert_eq!(complete(&s3, "k", &id, vec![p1.clone(), p2.clone()]).await.unwrap_err(), "EntityTooSmall");
    // A single small part is fine: the last part has no minimum.
    complete(&s3, "k", &id, vec![p1]).await.unwrap();

    let err = s3
        .upload_part()
        .bucket("bkt")
        .key("k")
        .upload_id("nope")
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"));
    let err = s3
        .upload_part()
        .bucket("bkt")
        .key("k")
        .upload_id(&id)
        .part_number(10_001)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidArgument"));
}

#[tokio::test]
async fn abort_releases_everything() {
    let (srv, s3) = server().await;
    let id = create(&s3, "k").await;
    part(&s3, "k", &id, 1, data(1000, 1)).await;
    part(&s3, "k", &id, 2, data(1000, 2)).await;
    assert_eq!(blob_count(&srv), 2);
    s3.abort_multipart_upload().bucket("bkt").key("k").upload_id(&id).send().await.unwrap();
    assert_eq!(blob_count(&srv), 0);
    let err = s3.list_parts().bucket("bkt").key("k").upload_id(&id).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"));
    assert_eq!(complete(&s3, "k", &id, vec![]).await.unwrap_err(), "NoSuchUpload");
    assert!(s3.head_object().bucket("bkt").key("k").send().await.is_err());
}

#[tokio::test]
async fn upload_part_copy_shares_source_bytes() {
    let (srv, s3) = server().await;
    let src = data(6 * MIB, 7);
    s3.put_object().bucket("bkt").key("src").body(ByteStream::from(src.clone())).send().await.unwrap();
    let id = create(&s3, "dst").await;
    let c1 = s3.upload_part_copy().bucket("bkt").key("dst").upload_id(&id).part_number(1).copy_source("bkt/src").send().await.unwrap();
    let c2 = s3
        .upload_part_copy()
        .bucket("bkt")
        .key("dst")
        .upload_id(&id)
        .part_number(2)
        .copy_source("bkt/src")
        .copy_source_range("bytes=100-199")
        .send()
        .await
        .unwrap();
    let e1 = c1.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    let e2 = c2.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    assert_eq!(e2, format!("\"{}\"", hex::encode(md5(&src[100..200]))));
    let parts = vec![CompletedPart::builder().part_number(1).e_tag(e1).build(), CompletedPart::builder().part_number(2).e_tag(e2).build()];
    complete(&s3, "dst", &id, parts).await.unwrap();
    let mut want = src.clone();
    want.extend_from_slice(&src[100..200]);
    assert_eq!(get(&s3, "dst").await, want);
    assert_eq!(blob_count(&srv), 1, "copy parts reference the source blob");
    s3.delete_object().bucket("bkt").key("src").send().await.unwrap();
    assert_eq!(get(&s3, "dst").await, want);
    let err = s3
        .upload_part_copy()
        .bucket("bkt")
        .key("dst")
        .upload_id("none")
        .part_number(1)
        .copy_source("bkt/dst")
        .copy_source_range("bytes=0-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchUpload"));
}

#[tokio::test]
async fn checksums_composite_and_full_object() {
    let (_srv, s3) = server().await;
    let a = data(5 * MIB, 1);
    let b = data(300, 2);
    for (alg, kind) in [
        (ChecksumAlgorithm::Crc32, None),
        (ChecksumAlgorithm::Crc32C, Some(ChecksumType::FullObject)),
        (ChecksumAlgorithm::Crc64Nvme, None),
        (ChecksumAlgorithm::Sha256, None),
        (ChecksumAlgorithm::Sha1, Some(ChecksumType::Composite)),
    ] {
        let key = format!("ck-{}", alg.as_str());
        let id = s3
            .create_multipart_upload()
            .bucket("bkt")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .set_checksum_type(kind.clone())
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_owned();
        let mut parts = Vec::new();
        for (n, body) in [(1, a.clone()), (2, b.clone())] {
            let r = s3
                .upload_part()
                .bucket("bkt")
                .key(&key)
                .upload_id(&id)
                .part_number(n)
                .checksum_algorithm(alg.clone())
                .body(ByteStream::from(body))
                .send()
                .await
                .unwrap();
            let mut p = CompletedPart::builder().part_number(n).e_tag(r.e_tag().unwrap());
            p = match alg {
                ChecksumAlgorithm::Crc32 => p.set_checksum_crc32(r.checksum_crc32().map(str::to_owned)),
                ChecksumAlgorithm::Crc32C => p.set_checksum_crc32_c(r.checksum_crc32_c().map(str::to_owned)),
                ChecksumAlgorithm::Crc64Nvme => p.set_checksum_crc64_nvme(r.checksum_crc64_nvme().map(str::to_owned)),
                ChecksumAlgorithm::Sha1 => p.set_checksum_sha1(r.checksum_sha1().map(str::to_owned)),
                _ => p.set_checksum_sha256(r.checksum_sha256().map(str::to_owned)),
            };
            parts.push(p.build());
        }
        let done = complete(&s3, &key, &id, parts).await.unwrap_or_else(|e| panic!("{key}: {e}"));
        let full = matches!(alg, ChecksumAlgorithm::Crc64Nvme) || kind == Some(ChecksumType::FullObject);
        assert_eq!(done.checksum_type(), Some(if full { &ChecksumType::FullObject } else { &ChecksumType::Composite }), "{key}");
        let head = s3.head_object().bucket("bkt").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let value = match alg {
            ChecksumAlgorithm::Crc32 => head.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => head.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => head.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => head.checksum_sha1(),
            _ => head.checksum_sha256(),
        }
        .unwrap_or_else(|| panic!("{key}: no checksum on HEAD"))
        .to_owned();
        assert_eq!(value.ends_with("-2"), !full, "{key}: {value}");
        // The SDK validates full-object checksums of whole GETs itself.
        let got = s3.get_object().bucket("bkt").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), a.len() + b.len());
    }
    // CRC64NVME with COMPOSITE is refused, as S3 does.
    let err = s3
        .create_multipart_upload()
        .bucket("bkt")
        .key("bad")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_type(ChecksumType::Composite)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidRequest"));
}

#[tokio::test]
async fn list_multipart_uploads_with_prefix_delimiter_and_markers() {
    let (_srv, s3) = server().await;
    let mut ids = Vec::new();
    for key in ["a/1", "a/2", "b", "c/x/y", "c/z"] {
        ids.push((key, create(&s3, key).await));
    }
    let second = create(&s3, "b").await;
    let all = s3.list_multipart_uploads().bucket("bkt").send().await.unwrap();
    let keys: Vec<_> = all.uploads().iter().map(|u| u.key().unwrap()).collect();
    assert_eq!(keys, vec!["a/1", "a/2", "b", "b", "c/x/y", "c/z"]);
    assert_eq!(all.uploads()[3].upload_id(), Some(second.as_str()), "uploads of one key in initiation order");
    let d = s3.list_multipart_uploads().bucket("bkt").delimiter("/").send().await.unwrap();
    assert_eq!(d.uploads().iter().map(|u| u.key().unwrap()).collect::<Vec<_>>(), vec!["b", "b"]);
    assert_eq!(d.common_prefixes().iter().map(|p| p.prefix().unwrap()).collect::<Vec<_>>(), vec!["a/", "c/"]);
    let p = s3.list_multipart_uploads().bucket("bkt").prefix("c/").delimiter("/").send().await.unwrap();
    assert_eq!(p.uploads().iter().map(|u| u.key().unwrap()).collect::<Vec<_>>(), vec!["c/z"]);
    assert_eq!(p.common_prefixes().iter().map(|p| p.prefix().unwrap()).collect::<Vec<_>>(), vec!["c/x/"]);
    // Paging two at a time visits every upload once.
    let mut seen = Vec::new();
    let (mut km, mut um): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = s3
            .list_multipart_uploads()
            .bucket("bkt")
            .max_uploads(2)
            .set_key_marker(km.clone())
            .set_upload_id_marker(um.clone())
            .send()
            .await
            .unwrap();
        seen.extend(page.uploads().iter().map(|u| u.upload_id().unwrap().to_owned()));
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        km = page.next_key_marker().map(str::to_owned);
        um = page.next_upload_id_marker().map(str::to_owned);
    }
    assert_eq!(seen.len(), 6);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6);
}

/// A GET that has started streaming finishes with the bytes it began with, even when
/// the object is deleted before it reaches the later parts' blobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_get_in_flight_survives_a_delete() {
    let (srv, s3) = server().await;
    let bytes = data(12 * MIB, 41);
    let id = create(&s3, "big").await;
    let parts = vec![part(&s3, "big", &id, 1, bytes[..6 * MIB].to_vec()).await, part(&s3, "big", &id, 2, bytes[6 * MIB..].to_vec()).await];
    complete(&s3, "big", &id, parts).await.unwrap();
    let before = blob_count(&srv);
    let mut body = s3.get_object().bucket("bkt").key("big").send().await.unwrap().body;
    let first = body.next().await.unwrap().unwrap();
    s3.delete_object().bucket("bkt").key("big").send().await.unwrap();
    let mut back = first.to_vec();
    while let Some(chunk) = body.next().await {
        back.extend_from_slice(&chunk.unwrap());
    }
    assert!(back == bytes, "the GET returned {} bytes, not the object it began with", back.len());
    drop(body);
    common::eventually("the deleted object's blobs are collected once the GET is done", || async { blob_count(&srv) + 2 == before }).await;
}
