//! Storage tiers (`storage.tiers`): objects of a tier's storage class keep their bytes
//! in its directory, whether written by PUT, CopyObject, a multipart upload or moved
//! there by a lifecycle transition; classes without a tier are refused.

mod common;

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionTransition, ObjectStorageClass, ObjectVersionStorageClass, StorageClass, Transition,
    TransitionStorageClass, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use common::{assert_sdk_error, data, eventually, TestServer};

/// Where blob `bytes` lives under a blob directory root.
fn blob_path(root: &Path, bytes: &[u8]) -> PathBuf {
    let hex = blake3::hash(bytes).to_hex().to_string();
    root.join("blobs").join(&hex[0..2]).join(&hex[2..4]).join(hex)
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object().bucket(bucket).key(key).send().await.unwrap().body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn put_copy_and_multipart_store_bytes_in_the_class_tier() {
    // Stored as sent, so that blob files are named by the bodies' hashes (encrypted
    // objects in tiers: tests/encryption.rs).
    let srv = TestServer::start_with_tiers(&["STANDARD_IA"], &[("encryption.bucket_default", "none")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("tier").send().await.unwrap();
    let (main, ia) = (srv.dir.path().to_path_buf(), srv.tier_dir("STANDARD_IA"));

    let body = data(70_000, 1);
    s3.put_object()
        .bucket("tier")
        .key("ia")
        .storage_class(StorageClass::StandardIa)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert!(blob_path(&ia, &body).is_file(), "the bytes are in the tier");
    assert!(!blob_path(&main, &body).exists());
    let head = s3.head_object().bucket("tier").key("ia").send().await.unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));
    assert_eq!(get(&s3, "tier", "ia").await, body);

    // A class without a tier is refused and stores nothing.
    let r =
        s3.put_object().bucket("tier").key("cold").storage_class(StorageClass::Glacier).body(ByteStream::from_static(b"x")).send().await;
    assert_sdk_error(r, 400, Some("InvalidStorageClass"));
    assert!(s3.head_object().bucket("tier").key("cold").send().await.is_err());

    // Copying to STANDARD copies the bytes to the main directory; the tier's copy
    // stays while the source references it.
    s3.copy_object().bucket("tier").key("std").copy_source("tier/ia").send().await.unwrap();
    assert!(blob_path(&main, &body).is_file());
    assert_eq!(s3.head_object().bucket("tier").key("std").send().await.unwrap().storage_class(), None, "STANDARD is not announced");
    assert_eq!(get(&s3, "tier", "std").await, body);
    s3.delete_object().bucket("tier").key("ia").send().await.unwrap();
    assert!(!blob_path(&ia, &body).exists(), "the last tier reference gone, its copy is collected");
    assert_eq!(get(&s3, "tier", "std").await, body);
    // And back, in place, by changing only the storage class.
    s3.copy_object().bucket("tier").key("std").copy_source("tier/std").storage_class(StorageClass::StandardIa).send().await.unwrap();
    assert!(blob_path(&ia, &body).is_file());
    assert!(!blob_path(&main, &body).exists());
    assert_eq!(get(&s3, "tier", "std").await, body);

    // A multipart upload in the tier: parts and the completed object live there.
    let up = s3.create_multipart_upload().bucket("tier").key("mp").storage_class(StorageClass::StandardIa).send().await.unwrap();
    let id = up.upload_id().unwrap();
    let (p1, p2) = (data(5 << 20, 2), data(1000, 3));
    let mut parts = Vec::new();
    for (n, p) in [(1, &p1), (2, &p2)] {
        let r =
            s3.upload_part().bucket("tier").key("mp").upload_id(id).part_number(n).body(ByteStream::from(p.clone())).send().await.unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(r.e_tag().unwrap()).build());
        assert!(blob_path(&ia, p).is_file(), "part {n} is written to the tier");
    }
    // A part copied from a STANDARD source is copied into the tier.
    let src = data(6 << 20, 4);
    s3.put_object().bucket("tier").key("src").body(ByteStream::from(src.clone())).send().await.unwrap();
    let r = s3.upload_part_copy().bucket("tier").key("mp").upload_id(id).part_number(3).copy_source("tier/src").send().await.unwrap();
    parts.insert(2, CompletedPart::builder().part_number(3).e_tag(r.copy_part_result().unwrap().e_tag().unwrap()).build());
    assert!(blob_path(&ia, &src).is_file());
    // A ranged copy into the tier writes only the range there.
    let r = s3
        .upload_part_copy()
        .bucket("tier")
        .key("mp")
        .upload_id(id)
        .part_number(4)
        .copy_source("tier/src")
        .copy_source_range("bytes=100-200099")
        .send()
        .await
        .unwrap();
    let ranged = CompletedPart::builder().part_number(4).e_tag(r.copy_part_result().unwrap().e_tag().unwrap()).build();
    assert!(blob_path(&ia, &src[100..200_100]).is_file(), "the range alone is written to the tier");
    let done = CompletedMultipartUpload::builder().set_parts(Some(vec![parts[0].clone(), parts[2].clone(), parts[1].clone()])).build();
    // Parts must ascend: 1, 2, 3 in order.
    let r = s3.complete_multipart_upload().bucket("tier").key("mp").upload_id(id).multipart_upload(done).send().await;
    assert_sdk_error(r, 400, Some("InvalidPartOrder"));
    let mut ordered = parts.clone();
    ordered.sort_by_key(CompletedPart::part_number);
    // Part 2 is small and not last: complete with parts 1, 3 and 4 only.
    let done = CompletedMultipartUpload::builder().set_parts(Some(vec![ordered[0].clone(), ordered[2].clone(), ranged])).build();
    s3.complete_multipart_upload().bucket("tier").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    assert_eq!(s3.head_object().bucket("tier").key("mp").send().await.unwrap().storage_class(), Some(&StorageClass::StandardIa));
    assert_eq!(get(&s3, "tier", "mp").await, [p1.as_slice(), src.as_slice(), &src[100..200_100]].concat());
    assert!(!blob_path(&ia, &p2).exists(), "the unlisted part's blob is collected");

    let list = s3.list_objects_v2().bucket("tier").send().await.unwrap();
    let classes: Vec<_> = list.contents().iter().map(|o| (o.key().unwrap(), o.storage_class().cloned())).collect();
    assert_eq!(
        classes,
        vec![
            ("mp", Some(ObjectStorageClass::StandardIa)),
            ("src", Some(ObjectStorageClass::Standard)),
            ("std", Some(ObjectStorageClass::StandardIa))
        ]
    );
    srv.server.stop().await;
}

fn rule(id: &str, prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder().id(id).status(ExpirationStatus::Enabled).filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

#[tokio::test]
async fn lifecycle_transitions_move_current_and_noncurrent_versions_between_tiers() {
    let overrides = [("lifecycle.day_seconds", "1"), ("lifecycle.interval_secs", "1"), ("encryption.bucket_default", "none")];
    let srv = TestServer::start_with_tiers(&["STANDARD_IA", "GLACIER"], &overrides).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("life").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("life")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let (main, ia, glacier) = (srv.dir.path().to_path_buf(), srv.tier_dir("STANDARD_IA"), srv.tier_dir("GLACIER"));

    // A class without a tier is refused in a rule, like in a PUT.
    let deep = rule("d", "").transitions(Transition::builder().days(1).storage_class(TransitionStorageClass::DeepArchive).build());
    let r = s3
        .put_bucket_lifecycle_configuration()
        .bucket("life")
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().rules(deep.build().unwrap()).build().unwrap())
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidStorageClass"));

    let big = data(200 << 10, 5);
    let small = data(1000, 6);
    let (old, new) = (data(150 << 10, 7), data(150 << 10, 8));
    for (key, body) in [("logs/big", &big), ("logs/small", &small), ("ver/k", &old), ("ver/k", &new)] {
        s3.put_object().bucket("life").key(key).body(ByteStream::from(body.clone())).send().await.unwrap();
    }
    let rules = vec![
        rule("to-ia", "logs/").transitions(Transition::builder().days(1).storage_class(TransitionStorageClass::StandardIa).build()),
        rule("old-to-glacier", "ver/").noncurrent_version_transitions(
            NoncurrentVersionTransition::builder().noncurrent_days(1).storage_class(TransitionStorageClass::Glacier).build(),
        ),
    ];
    let config = BucketLifecycleConfiguration::builder().set_rules(Some(rules.into_iter().map(|r| r.build().unwrap()).collect())).build();
    let r = s3.put_bucket_lifecycle_configuration().bucket("life").lifecycle_configuration(config.unwrap()).send().await.unwrap();
    assert_eq!(
        r.transition_default_minimum_object_size().map(aws_sdk_s3::types::TransitionDefaultMinimumObjectSize::as_str),
        Some("all_storage_classes_128K")
    );

    eventually("logs/big moves to STANDARD_IA", || async {
        s3.head_object().bucket("life").key("logs/big").send().await.unwrap().storage_class() == Some(&StorageClass::StandardIa)
    })
    .await;
    assert!(blob_path(&ia, &big).is_file(), "copied to the tier");
    eventually("the main copy is freed", || async { !blob_path(&main, &big).exists() }).await;
    assert_eq!(get(&s3, "life", "logs/big").await, big, "GET keeps working");

    eventually("the noncurrent version moves to GLACIER", || async {
        let versions = s3.list_object_versions().bucket("life").prefix("ver/").send().await.unwrap();
        versions
            .versions()
            .iter()
            .any(|v| v.is_latest() == Some(false) && v.storage_class() == Some(&ObjectVersionStorageClass::from("GLACIER")))
    })
    .await;
    assert!(blob_path(&glacier, &old).is_file());
    assert!(blob_path(&main, &new).is_file(), "the current version stays");
    assert_eq!(s3.head_object().bucket("life").key("ver/k").send().await.unwrap().storage_class(), None);
    let versions = s3.list_object_versions().bucket("life").prefix("ver/").send().await.unwrap();
    let old_id = versions.versions().iter().find(|v| v.is_latest() == Some(false)).unwrap().version_id().unwrap().to_owned();
    let got = s3.get_object().bucket("life").key("ver/k").version_id(&old_id).send().await.unwrap();
    assert_eq!(got.storage_class(), Some(&StorageClass::Glacier));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), old);

    // Under 128 KiB, and no ObjectSizeGreaterThan in the rule: S3's default keeps it.
    assert_eq!(s3.head_object().bucket("life").key("logs/small").send().await.unwrap().storage_class(), None);
    assert_eq!(get(&s3, "life", "logs/small").await, small);
    srv.server.stop().await;
}
