//! Object and bucket tagging through the official SDK.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, Tag, Tagging, TaggingDirective, VersioningConfiguration};
use common::TestServer;

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    Tagging::builder()
        .set_tag_set(Some(pairs.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap()).collect()))
        .build()
        .unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

#[tokio::test]
async fn object_tags_round_trip_and_limits() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("tags").send().await.unwrap();
    s3.put_object().bucket("tags").key("k").tagging("team=data&env=prod%20eu").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let got = s3.get_object_tagging().bucket("tags").key("k").send().await.unwrap();
    assert_eq!(pairs(got.tag_set()), vec![("team".to_owned(), "data".to_owned()), ("env".to_owned(), "prod eu".to_owned())]);
    assert_eq!(s3.head_object().bucket("tags").key("k").send().await.unwrap().tag_count(), Some(2));

    s3.put_object_tagging().bucket("tags").key("k").tagging(tagging(&[("a", "1")])).send().await.unwrap();
    assert_eq!(
        pairs(s3.get_object_tagging().bucket("tags").key("k").send().await.unwrap().tag_set()),
        vec![("a".to_owned(), "1".to_owned())]
    );

    // Copy keeps tags by default and replaces them with REPLACE.
    s3.copy_object().bucket("tags").key("c1").copy_source("tags/k").send().await.unwrap();
    assert_eq!(s3.get_object_tagging().bucket("tags").key("c1").send().await.unwrap().tag_set().len(), 1);
    s3.copy_object()
        .bucket("tags")
        .key("c2")
        .copy_source("tags/k")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("x=y&z=w")
        .send()
        .await
        .unwrap();
    assert_eq!(s3.get_object_tagging().bucket("tags").key("c2").send().await.unwrap().tag_set().len(), 2);

    s3.delete_object_tagging().bucket("tags").key("k").send().await.unwrap();
    assert!(s3.get_object_tagging().bucket("tags").key("k").send().await.unwrap().tag_set().is_empty());
    assert_eq!(s3.head_object().bucket("tags").key("k").send().await.unwrap().tag_count(), None);

    for bad in [tagging(&[("a", "1"), ("a", "2")]), tagging(&[("aws:x", "1")]), tagging(&[(&"k".repeat(129), "v")])] {
        let e = s3.put_object_tagging().bucket("tags").key("k").tagging(bad).send().await.unwrap_err();
        assert_eq!(e.into_service_error().meta().code(), Some("InvalidTag"));
    }
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
    let refs: Vec<(&str, &str)> = eleven.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let e = s3.put_object_tagging().bucket("tags").key("k").tagging(tagging(&refs)).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("InvalidTag"));
    let e = s3.put_object().bucket("tags").key("bad").tagging("a=1&a=2").body(ByteStream::from_static(b"x")).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("InvalidTag"));
    assert!(s3.head_object().bucket("tags").key("bad").send().await.is_err(), "nothing stored");
    let e = s3.get_object_tagging().bucket("tags").key("missing").send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("NoSuchKey"));
}

#[tokio::test]
async fn tags_address_versions() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("tags").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("tags")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let v1 =
        s3.put_object().bucket("tags").key("k").body(ByteStream::from_static(b"1")).send().await.unwrap().version_id().unwrap().to_owned();
    s3.put_object().bucket("tags").key("k").body(ByteStream::from_static(b"2")).send().await.unwrap();
    let r = s3.put_object_tagging().bucket("tags").key("k").version_id(&v1).tagging(tagging(&[("old", "yes")])).send().await.unwrap();
    assert_eq!(r.version_id(), Some(v1.as_str()));
    assert_eq!(s3.get_object_tagging().bucket("tags").key("k").version_id(&v1).send().await.unwrap().tag_set().len(), 1);
    assert!(s3.get_object_tagging().bucket("tags").key("k").send().await.unwrap().tag_set().is_empty(), "current version untouched");
    assert_eq!(s3.list_object_versions().bucket("tags").send().await.unwrap().versions().len(), 2, "tagging creates no version");
}

#[tokio::test]
async fn bucket_tags() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("tags").send().await.unwrap();
    let e = s3.get_bucket_tagging().bucket("tags").send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("NoSuchTagSet"));
    s3.put_bucket_tagging().bucket("tags").tagging(tagging(&[("cost", "1"), ("owner", "me")])).send().await.unwrap();
    assert_eq!(s3.get_bucket_tagging().bucket("tags").send().await.unwrap().tag_set().len(), 2);
    s3.delete_bucket_tagging().bucket("tags").send().await.unwrap();
    assert!(s3.get_bucket_tagging().bucket("tags").send().await.is_err());
    // Configuration documents go with their bucket.
    s3.put_bucket_tagging().bucket("tags").tagging(tagging(&[("a", "b")])).send().await.unwrap();
    s3.delete_bucket().bucket("tags").send().await.unwrap();
    s3.create_bucket().bucket("tags").send().await.unwrap();
    assert!(s3.get_bucket_tagging().bucket("tags").send().await.is_err());
}
