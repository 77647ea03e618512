//! Small objects stored inline (`storage.inline_max_bytes`, 4 KiB by default): their
//! bytes live in the metadata store, not in a blob file. Every S3 operation must treat
//! them like any other object, and none may leave an inline record behind (checked by
//! the offline reference audit after each scenario).

mod common;

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ChecksumMode, CompletedMultipartUpload, CompletedPart, ExpirationStatus,
    LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter, StorageClass, Transition, TransitionStorageClass,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;
use common::{data, eventually, TestServer};

/// Blob files (block lists, `<hash>.blocks`, have an extension and are not counted).
fn blob_files(root: &Path) -> usize {
    fn walk(p: &Path) -> usize {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| if e.path().is_dir() { walk(&e.path()) } else { usize::from(e.path().extension().is_none()) })
            .sum()
    }
    walk(&root.join("blobs"))
}

/// The quoted hex MD5 S3 uses as the ETag of a single PUT.
fn etag_of(bytes: &[u8]) -> String {
    use md5::Digest as _;
    format!("\"{}\"", hex::encode(md5::Md5::digest(bytes)))
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object().bucket(bucket).key(key).send().await.unwrap().body.collect().await.unwrap().into_bytes().to_vec()
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &[u8]) -> aws_sdk_s3::operation::put_object::PutObjectOutput {
    s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body.to_vec())).send().await.unwrap()
}

/// Stops the server and audits its store offline: no missing or stray inline record,
/// no lost or leaked blob.
async fn stop_and_audit(srv: TestServer, tiers: &[&str]) {
    let tier_dirs: Vec<(String, std::path::PathBuf)> = tiers.iter().map(|c| ((*c).to_owned(), srv.tier_dir(c))).collect();
    srv.server.stop().await;
    let store = coffer::store::Store::open_with_tiers(srv.dir.path(), 8 << 20, &tier_dirs, 0).unwrap();
    let report = store.audit().unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn small_objects_live_in_the_metadata_store_and_read_like_any_other() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("small").send().await.unwrap();
    let (at_limit, over) = (data(4096, 1), data(4097, 2));
    let put_at_limit = put(&s3, "small", "at-limit", &at_limit).await;
    put(&s3, "small", "one", b"x").await;
    put(&s3, "small", "empty", b"").await;
    assert_eq!(blob_files(srv.dir.path()), 0, "objects up to 4 KiB create no blob file");
    put(&s3, "small", "over", &over).await;
    assert_eq!(blob_files(srv.dir.path()), 1, "a larger object is a blob");

    assert_eq!(put_at_limit.e_tag(), Some(etag_of(&at_limit).as_str()));
    assert_eq!(get(&s3, "small", "at-limit").await, at_limit);
    assert_eq!(get(&s3, "small", "one").await, b"x");
    assert_eq!(get(&s3, "small", "empty").await, b"");
    assert_eq!(get(&s3, "small", "over").await, over);

    let ranged = s3.get_object().bucket("small").key("at-limit").range("bytes=100-199").send().await.unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 100-199/4096"));
    assert_eq!(ranged.body.collect().await.unwrap().into_bytes().as_ref(), &at_limit[100..200]);
    let suffix = s3.get_object().bucket("small").key("at-limit").range("bytes=-5").send().await.unwrap();
    assert_eq!(suffix.body.collect().await.unwrap().into_bytes().as_ref(), &at_limit[4091..]);
    let tail = s3.get_object().bucket("small").key("at-limit").range("bytes=4000-999999").send().await.unwrap();
    assert_eq!(tail.body.collect().await.unwrap().into_bytes().as_ref(), &at_limit[4000..]);
    let part = s3.get_object().bucket("small").key("at-limit").part_number(1).send().await.unwrap();
    assert_eq!(part.body.collect().await.unwrap().into_bytes().as_ref(), at_limit.as_slice());

    let head = s3.head_object().bucket("small").key("at-limit").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(head.content_length(), Some(4096));
    assert_eq!(head.e_tag(), put_at_limit.e_tag());
    let got = s3.get_object().bucket("small").key("at-limit").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    let sent = [put_at_limit.checksum_crc32(), put_at_limit.checksum_crc64_nvme()];
    let read = [got.checksum_crc32(), got.checksum_crc64_nvme()];
    assert!(sent.iter().flatten().count() > 0 && sent == read, "stored checksums come back: {sent:?} vs {read:?}");
    let not_modified = s3.get_object().bucket("small").key("at-limit").if_none_match(put_at_limit.e_tag().unwrap()).send().await;
    assert_eq!(not_modified.unwrap_err().raw_response().map(|r| r.status().as_u16()), Some(304));

    // Overwrites and deletes of an unversioned key drop the old bytes with the version.
    put(&s3, "small", "one", b"yy").await;
    assert_eq!(get(&s3, "small", "one").await, b"yy");
    s3.delete_object().bucket("small").key("one").send().await.unwrap();
    assert!(s3.get_object().bucket("small").key("one").send().await.is_err());

    // They survive a restart.
    srv.server.stop().await;
    let srv = TestServer::start_in(srv.dir, &[]).await;
    let s3 = srv.client();
    assert_eq!(get(&s3, "small", "at-limit").await, at_limit);
    let listed = s3.list_objects_v2().bucket("small").send().await.unwrap();
    let sizes: Vec<(&str, i64)> = listed.contents().iter().map(|o| (o.key().unwrap(), o.size().unwrap())).collect();
    assert_eq!(sizes, [("at-limit", 4096), ("empty", 0), ("over", 4097)]);
    stop_and_audit(srv, &[]).await;
}

#[tokio::test]
async fn inline_versions_copies_and_batch_deletes_keep_their_own_bytes() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("ver").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("ver")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let (one, two) = (data(3000, 3), data(2000, 4));
    let v1 = put(&s3, "ver", "k", &one).await.version_id().unwrap().to_owned();
    let v2 = put(&s3, "ver", "k", &two).await.version_id().unwrap().to_owned();
    for (id, body) in [(&v1, &one), (&v2, &two)] {
        let got = s3.get_object().bucket("ver").key("k").version_id(id).send().await.unwrap();
        assert_eq!(&got.body.collect().await.unwrap().into_bytes().to_vec(), body);
    }

    // A copy is a version of its own: deleting the source leaves it whole.
    s3.copy_object().bucket("ver").key("copy").copy_source(format!("ver/k?versionId={v1}")).send().await.unwrap();
    s3.delete_object().bucket("ver").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!(get(&s3, "ver", "copy").await, one);
    assert_eq!(get(&s3, "ver", "k").await, two);
    // A delete marker hides the bytes; removing it brings them back.
    let marker = s3.delete_object().bucket("ver").key("k").send().await.unwrap().version_id().unwrap().to_owned();
    assert!(s3.get_object().bucket("ver").key("k").send().await.is_err());
    s3.delete_object().bucket("ver").key("k").version_id(marker).send().await.unwrap();
    assert_eq!(get(&s3, "ver", "k").await, two);

    // Copy onto itself with new metadata (how users change metadata) keeps the bytes.
    s3.create_bucket().bucket("plain").send().await.unwrap();
    put(&s3, "plain", "a", b"alpha").await;
    s3.copy_object()
        .bucket("plain")
        .key("a")
        .copy_source("plain/a")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    let got = s3.get_object().bucket("plain").key("a").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"alpha");
    for i in 0..5 {
        put(&s3, "plain", &format!("d{i}"), format!("body {i}").as_bytes()).await;
    }
    let ids: Vec<_> = (0..5).map(|i| aws_sdk_s3::types::ObjectIdentifier::builder().key(format!("d{i}")).build().unwrap()).collect();
    let delete = aws_sdk_s3::types::Delete::builder().set_objects(Some(ids)).build().unwrap();
    let deleted = s3.delete_objects().bucket("plain").delete(delete).send().await.unwrap();
    assert_eq!(deleted.deleted().len(), 5);
    assert_eq!(blob_files(srv.dir.path()), 0);
    stop_and_audit(srv, &[]).await;
}

#[tokio::test]
async fn inline_sources_feed_part_copies_tiers_and_transitions() {
    let overrides = [("lifecycle.day_seconds", "1"), ("lifecycle.interval_secs", "1")];
    let srv = TestServer::start_with_tiers(&["GLACIER"], &overrides).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("mix").send().await.unwrap();
    let glacier = srv.tier_dir("GLACIER");
    let small = data(4000, 5);
    put(&s3, "mix", "src", &small).await;

    // Copied into a tier, the bytes become a blob there.
    s3.copy_object().bucket("mix").key("cold").copy_source("mix/src").storage_class(StorageClass::Glacier).send().await.unwrap();
    assert_eq!(blob_files(&glacier), 1);
    assert_eq!(get(&s3, "mix", "cold").await, small);
    // And copied back to STANDARD from a blob, it is a blob in the main directory.
    s3.copy_object().bucket("mix").key("warm").copy_source("mix/cold").send().await.unwrap();
    assert_eq!(get(&s3, "mix", "warm").await, small);

    // A ranged part copy from an inline source.
    let upload = s3.create_multipart_upload().bucket("mix").key("mp").send().await.unwrap();
    let id = upload.upload_id().unwrap();
    let part = s3
        .upload_part_copy()
        .bucket("mix")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .copy_source("mix/src")
        .copy_source_range("bytes=10-1009")
        .send()
        .await
        .unwrap();
    let etag = part.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    assert_eq!(etag, etag_of(&small[10..1010]));
    let done = CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(etag).build()).build();
    s3.complete_multipart_upload().bucket("mix").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    assert_eq!(get(&s3, "mix", "mp").await, &small[10..1010]);

    // A transition rule that admits small objects moves the bytes out to the tier.
    let aging = data(3500, 6);
    put(&s3, "mix", "aging/x", &aging).await;
    let and = LifecycleRuleAndOperator::builder().prefix("aging/").object_size_less_than(100_000).build();
    let filter = LifecycleRuleFilter::builder().and(and).build();
    let rule = LifecycleRule::builder()
        .id("small-to-glacier")
        .status(ExpirationStatus::Enabled)
        .filter(filter)
        .transitions(Transition::builder().days(1).storage_class(TransitionStorageClass::Glacier).build())
        .build()
        .unwrap();
    let config = BucketLifecycleConfiguration::builder().rules(rule).build().unwrap();
    s3.put_bucket_lifecycle_configuration().bucket("mix").lifecycle_configuration(config).send().await.unwrap();
    eventually("the inline object moves to GLACIER", || async {
        s3.head_object().bucket("mix").key("aging/x").send().await.unwrap().storage_class() == Some(&StorageClass::Glacier)
    })
    .await;
    assert_eq!(blob_files(&glacier), 2, "its bytes are a blob in the tier now");
    assert_eq!(get(&s3, "mix", "aging/x").await, aging);

    // PUT straight into a tier: a blob there, however small.
    s3.put_object()
        .bucket("mix")
        .key("tiny")
        .storage_class(StorageClass::Glacier)
        .body(ByteStream::from_static(b"t"))
        .send()
        .await
        .unwrap();
    assert_eq!(blob_files(&glacier), 3);
    assert_eq!(get(&s3, "mix", "tiny").await, b"t");
    // Even an empty one (no inlining outside the main tier).
    s3.put_object().bucket("mix").key("void").storage_class(StorageClass::Glacier).body(ByteStream::from_static(b"")).send().await.unwrap();
    let head = s3.head_object().bucket("mix").key("void").send().await.unwrap();
    assert_eq!((head.content_length(), head.storage_class()), (Some(0), Some(&StorageClass::Glacier)));
    assert_eq!(get(&s3, "mix", "void").await, b"");
    stop_and_audit(srv, &["GLACIER"]).await;
}

#[tokio::test]
async fn inline_storage_can_be_turned_off() {
    let srv = TestServer::start_with(&[("storage.inline_max_bytes", "0")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("off").send().await.unwrap();
    put(&s3, "off", "k", b"tiny").await;
    assert_eq!(blob_files(srv.dir.path()), 1);
    assert_eq!(get(&s3, "off", "k").await, b"tiny");
    stop_and_audit(srv, &[]).await;
}
