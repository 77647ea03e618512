//! Lifecycle configuration and the worker, with days shrunk to one second
//! (`lifecycle.day_seconds = 1`) and a pass every second.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, Transition, TransitionStorageClass, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use common::{eventually, TestServer};

async fn server() -> (TestServer, Client) {
    let srv = TestServer::start_with(&[("lifecycle.day_seconds", "1"), ("lifecycle.interval_secs", "1")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("life").send().await.unwrap();
    (srv, s3)
}

fn rule(id: &str, prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder().id(id).status(ExpirationStatus::Enabled).filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

async fn configure(s3: &Client, rules: Vec<LifecycleRule>) -> Result<(), String> {
    s3.put_bucket_lifecycle_configuration()
        .bucket("life")
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().unwrap())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error().meta().code().unwrap_or("?").to_owned())
}

async fn put(s3: &Client, key: &str) {
    s3.put_object().bucket("life").key(key).body(ByteStream::from_static(b"data")).send().await.unwrap();
}

#[tokio::test]
async fn configuration_round_trip_and_validation() {
    let (_srv, s3) = server().await;
    let e = s3.get_bucket_lifecycle_configuration().bucket("life").send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("NoSuchLifecycleConfiguration"));
    configure(&s3, vec![rule("logs", "logs/").expiration(LifecycleExpiration::builder().days(30).build()).build().unwrap()]).await.unwrap();
    let got = s3.get_bucket_lifecycle_configuration().bucket("life").send().await.unwrap();
    assert_eq!(got.rules().len(), 1);
    assert_eq!(got.rules()[0].id(), Some("logs"));
    assert_eq!(got.rules()[0].expiration().and_then(LifecycleExpiration::days), Some(30));

    // x-amz-expiration on PUT and HEAD of a matching key only.
    let r = s3.put_object().bucket("life").key("logs/a").body(ByteStream::from_static(b"x")).send().await.unwrap();
    assert!(r.expiration().is_some_and(|e| e.contains("rule-id=\"logs\"")), "{:?}", r.expiration());
    assert!(s3.head_object().bucket("life").key("logs/a").send().await.unwrap().expiration().is_some());
    put(&s3, "other").await;
    assert!(s3.head_object().bucket("life").key("other").send().await.unwrap().expiration().is_none());

    let zero = rule("z", "").expiration(LifecycleExpiration::builder().days(0).build()).build().unwrap();
    assert_eq!(configure(&s3, vec![zero]).await.unwrap_err(), "InvalidArgument");
    let none = rule("n", "").build().unwrap();
    assert_eq!(configure(&s3, vec![none]).await.unwrap_err(), "InvalidRequest");
    let dup = || rule("same", "").expiration(LifecycleExpiration::builder().days(1).build()).build().unwrap();
    assert_eq!(configure(&s3, vec![dup(), dup()]).await.unwrap_err(), "InvalidArgument");
    let transition =
        rule("t", "").transitions(Transition::builder().days(30).storage_class(TransitionStorageClass::Glacier).build()).build().unwrap();
    // GLACIER has no tier on this server (tests/tiers.rs configures some).
    assert_eq!(configure(&s3, vec![transition]).await.unwrap_err(), "InvalidStorageClass");
    assert_eq!(
        s3.get_bucket_lifecycle_configuration().bucket("life").send().await.unwrap().rules()[0].id(),
        Some("logs"),
        "refused configs change nothing"
    );

    s3.delete_bucket_lifecycle().bucket("life").send().await.unwrap();
    assert!(s3.get_bucket_lifecycle_configuration().bucket("life").send().await.is_err());
}

#[tokio::test]
async fn expiration_deletes_matching_objects() {
    let (_srv, s3) = server().await;
    put(&s3, "tmp/a").await;
    put(&s3, "keep/b").await;
    configure(&s3, vec![rule("tmp", "tmp/").expiration(LifecycleExpiration::builder().days(1).build()).build().unwrap()]).await.unwrap();
    eventually("tmp/a expired", || async { s3.head_object().bucket("life").key("tmp/a").send().await.is_err() }).await;
    assert!(s3.head_object().bucket("life").key("keep/b").send().await.is_ok(), "objects outside the prefix stay");
}

#[tokio::test]
async fn noncurrent_versions_markers_and_uploads() {
    let (_srv, s3) = server().await;
    s3.put_bucket_versioning()
        .bucket("life")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    for _ in 0..4 {
        put(&s3, "doc").await;
    }
    // A lone delete marker: put, delete (marker), remove the version under it.
    let v = s3
        .put_object()
        .bucket("life")
        .key("gone")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    s3.delete_object().bucket("life").key("gone").send().await.unwrap();
    s3.delete_object().bucket("life").key("gone").version_id(v).send().await.unwrap();
    let upload = s3.create_multipart_upload().bucket("life").key("up").send().await.unwrap().upload_id().unwrap().to_owned();

    configure(
        &s3,
        vec![rule("nc", "")
            .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(1).newer_noncurrent_versions(1).build())
            .expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build())
            .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build())
            .build()
            .unwrap()],
    )
    .await
    .unwrap();
    eventually("noncurrent versions beyond the newest one removed", || async {
        let l = s3.list_object_versions().bucket("life").prefix("doc").send().await.unwrap();
        l.versions().len() == 2
    })
    .await;
    eventually("lone delete marker removed", || async {
        s3.list_object_versions().bucket("life").prefix("gone").send().await.unwrap().delete_markers().is_empty()
    })
    .await;
    eventually("upload aborted", || async { s3.list_parts().bucket("life").key("up").upload_id(&upload).send().await.is_err() }).await;
    assert!(s3.head_object().bucket("life").key("doc").send().await.is_ok(), "the current version stays");
}
