//! Versioning through the official SDK: the recovery story a user follows, delete
//! markers, version-addressed GET/HEAD/DELETE/copy, suspended-state `null` versions,
//! and ListObjectVersions pagination.

mod common;

use std::collections::HashSet;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, Delete, ObjectIdentifier, VersioningConfiguration};
use aws_sdk_s3::Client;
use common::TestServer;

async fn versioned(status: BucketVersioningStatus) -> (TestServer, Client) {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("vers").send().await.unwrap();
    set(&s3, status).await;
    (srv, s3)
}

async fn set(s3: &Client, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket("vers")
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

async fn put(s3: &Client, key: &str, body: &str) -> Option<String> {
    s3.put_object()
        .bucket("vers")
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap()
        .version_id()
        .map(str::to_owned)
}

async fn body(s3: &Client, key: &str, version: Option<&str>) -> Result<String, String> {
    match s3.get_object().bucket("vers").key(key).set_version_id(version.map(str::to_owned)).send().await {
        Ok(o) => Ok(String::from_utf8(o.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()),
        Err(e) => Err(e.into_service_error().meta().code().unwrap_or("?").to_owned()),
    }
}

#[tokio::test]
async fn recovery_story() {
    let (_srv, s3) = versioned(BucketVersioningStatus::Enabled).await;
    let st = s3.get_bucket_versioning().bucket("vers").send().await.unwrap();
    assert_eq!(st.status(), Some(&BucketVersioningStatus::Enabled));
    let v1 = put(&s3, "doc", "first").await.expect("version id");
    let v2 = put(&s3, "doc", "second").await.expect("version id");
    assert_ne!(v1, v2);
    assert_eq!(body(&s3, "doc", None).await.unwrap(), "second");
    assert_eq!(body(&s3, "doc", Some(&v1)).await.unwrap(), "first");

    // Delete places a marker; the key reads as missing but every version remains.
    let del = s3.delete_object().bucket("vers").key("doc").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_owned();
    assert_eq!(body(&s3, "doc", None).await.unwrap_err(), "NoSuchKey");
    let err = s3.head_object().bucket("vers").key("doc").send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().headers().get("x-amz-delete-marker"), Some("true"));
    let err = s3.get_object().bucket("vers").key("doc").version_id(&marker).send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 405);
    assert!(s3.list_objects_v2().bucket("vers").send().await.unwrap().contents().is_empty());

    let listed = s3.list_object_versions().bucket("vers").send().await.unwrap();
    assert_eq!(listed.versions().len(), 2);
    assert_eq!(listed.delete_markers().len(), 1);
    assert_eq!(listed.delete_markers()[0].is_latest(), Some(true));
    assert_eq!(listed.versions()[0].version_id(), Some(v2.as_str()), "newest first");
    assert_eq!(listed.versions()[0].is_latest(), Some(false));

    // Restore by copying the old version over, then by deleting the marker.
    s3.copy_object().bucket("vers").key("doc").copy_source(format!("vers/doc?versionId={v1}")).send().await.unwrap();
    assert_eq!(body(&s3, "doc", None).await.unwrap(), "first");
    let v3 = s3.list_object_versions().bucket("vers").send().await.unwrap().versions()[0].version_id().unwrap().to_owned();
    s3.delete_object().bucket("vers").key("doc").version_id(&v3).send().await.unwrap();
    assert_eq!(body(&s3, "doc", None).await.unwrap_err(), "NoSuchKey", "the marker is current again");
    let d = s3.delete_object().bucket("vers").key("doc").version_id(&marker).send().await.unwrap();
    assert_eq!(d.delete_marker(), Some(true));
    assert_eq!(body(&s3, "doc", None).await.unwrap(), "second", "deleting the marker restores the previous version");

    // Permanent deletes of every version leave nothing.
    for v in [&v1, &v2] {
        s3.delete_object().bucket("vers").key("doc").version_id(v.as_str()).send().await.unwrap();
    }
    let listed = s3.list_object_versions().bucket("vers").send().await.unwrap();
    assert!(listed.versions().is_empty() && listed.delete_markers().is_empty());
    s3.delete_bucket().bucket("vers").send().await.unwrap();
}

#[tokio::test]
async fn unknown_versions_and_batch_deletes() {
    let (_srv, s3) = versioned(BucketVersioningStatus::Enabled).await;
    let v1 = put(&s3, "a", "1").await.unwrap();
    put(&s3, "b", "2").await.unwrap();
    assert_eq!(body(&s3, "a", Some("0000000000000fff00000000")).await.unwrap_err(), "NoSuchVersion");
    assert_eq!(body(&s3, "a", Some("garbage")).await.unwrap_err(), "InvalidArgument");
    let out = s3
        .delete_objects()
        .bucket("vers")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("a").version_id(&v1).build().unwrap())
                .objects(ObjectIdentifier::builder().key("b").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let deleted = out.deleted();
    assert_eq!(deleted.len(), 2);
    let a = deleted.iter().find(|d| d.key() == Some("a")).unwrap();
    assert_eq!(a.version_id(), Some(v1.as_str()));
    let b = deleted.iter().find(|d| d.key() == Some("b")).unwrap();
    assert_eq!(b.delete_marker(), Some(true));
    assert!(b.delete_marker_version_id().is_some());
    assert_eq!(body(&s3, "a", None).await.unwrap_err(), "NoSuchKey");
}

#[tokio::test]
async fn suspended_uses_the_null_version() {
    let (_srv, s3) = versioned(BucketVersioningStatus::Enabled).await;
    let v1 = put(&s3, "k", "enabled").await.unwrap();
    set(&s3, BucketVersioningStatus::Suspended).await;
    put(&s3, "k", "null-1").await;
    put(&s3, "k", "null-2").await;
    let listed = s3.list_object_versions().bucket("vers").send().await.unwrap();
    let ids: Vec<_> = listed.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids, vec!["null", v1.as_str()], "a new null version replaces the old one; others stay");
    assert_eq!(body(&s3, "k", Some("null")).await.unwrap(), "null-2");
    // A delete in a suspended bucket makes the null version a delete marker.
    let d = s3.delete_object().bucket("vers").key("k").send().await.unwrap();
    assert_eq!((d.delete_marker(), d.version_id()), (Some(true), Some("null")));
    let listed = s3.list_object_versions().bucket("vers").send().await.unwrap();
    assert_eq!(listed.versions().len(), 1);
    assert_eq!(listed.delete_markers()[0].version_id(), Some("null"));
    assert_eq!(body(&s3, "k", Some(&v1)).await.unwrap(), "enabled");
    // Never back to unversioned; MFA delete unsupported.
    let st = s3.get_bucket_versioning().bucket("vers").send().await.unwrap();
    assert_eq!(st.status(), Some(&BucketVersioningStatus::Suspended));
}

#[tokio::test]
async fn concurrent_puts_make_distinct_versions_one_latest() {
    let (_srv, s3) = versioned(BucketVersioningStatus::Enabled).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s3 = s3.clone();
        tasks.push(tokio::spawn(async move { put(&s3, "hot", &format!("v{i}")).await.unwrap() }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 16);
    let listed = s3.list_object_versions().bucket("vers").send().await.unwrap();
    assert_eq!(listed.versions().len(), 16);
    assert_eq!(listed.versions().iter().filter(|v| v.is_latest() == Some(true)).count(), 1);
    let latest = listed.versions()[0].version_id().unwrap();
    let head = s3.head_object().bucket("vers").key("hot").send().await.unwrap();
    assert_eq!(head.version_id(), Some(latest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn list_versions_pages_over_thousands() {
    let (_srv, s3) = versioned(BucketVersioningStatus::Enabled).await;
    // 3 keys × 700 versions, plus 300 keys × 1 version under a folder.
    let mut tasks = Vec::new();
    for t in 0..16 {
        let s3 = s3.clone();
        tasks.push(tokio::spawn(async move {
            for i in (t..2100).step_by(16) {
                put(&s3, &format!("k{}", i % 3), &i.to_string()).await;
            }
            for i in (t..300).step_by(16) {
                put(&s3, &format!("dir/f{i:03}"), "x").await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seen = Vec::new();
    let (mut km, mut vm): (Option<String>, Option<String>) = (None, None);
    let mut pages = 0;
    loop {
        let page =
            s3.list_object_versions().bucket("vers").max_keys(250).set_key_marker(km).set_version_id_marker(vm).send().await.unwrap();
        pages += 1;
        seen.extend(page.versions().iter().map(|v| (v.key().unwrap().to_owned(), v.version_id().unwrap().to_owned())));
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        km = page.next_key_marker().map(str::to_owned);
        vm = page.next_version_id_marker().map(str::to_owned);
    }
    assert_eq!(seen.len(), 2400);
    assert_eq!(pages, 10);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 2400, "no version repeated across pages");
    let keys: Vec<&String> = seen.iter().map(|(k, _)| k).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "key order");
    // Delimiter: the folder rolls up into one common prefix.
    let d = s3.list_object_versions().bucket("vers").delimiter("/").prefix("").send().await.unwrap();
    assert_eq!(d.common_prefixes().iter().map(|p| p.prefix().unwrap()).collect::<Vec<_>>(), vec!["dir/"]);
    assert_eq!(d.versions().len(), 999, "max-keys counts the common prefix too");
    let p = s3.list_object_versions().bucket("vers").prefix("k1").send().await.unwrap();
    assert_eq!(p.versions().len(), 700);
    assert_eq!(p.versions().iter().filter(|v| v.is_latest() == Some(true)).count(), 1);
}
