//! CopyObject (metadata directive, self-copy, encoded sources, copy-source conditionals,
//! shared blobs outliving their source) and DeleteObjects (batches, Quiet, missing keys,
//! size and integrity checks, malformed XML).

mod common;

use std::fmt::Write as _;

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};
use aws_sdk_s3::Client;
use common::raw::{encode_key, md5_b64, xml_fields, Request};
use common::{assert_sdk_error, data, error_info, TestServer};

async fn server() -> (TestServer, Client) {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    (srv, s3)
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object().bucket(bucket).key(key).send().await.unwrap().body.collect().await.unwrap().into_bytes().to_vec()
}

async fn exists(s3: &Client, key: &str) -> bool {
    match s3.head_object().bucket("bkt").key(key).send().await {
        Ok(_) => true,
        Err(e) => {
            assert_eq!(error_info(&e).status, 404, "{e:?}");
            false
        }
    }
}

async fn put_source(s3: &Client, key: &str, body: &[u8]) -> String {
    s3.put_object()
        .bucket("bkt")
        .key(key)
        .content_type("text/plain")
        .cache_control("max-age=60")
        .metadata("origin", "source")
        .metadata("n", "1")
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_owned()
}

fn ids(keys: &[&str], quiet: bool) -> Delete {
    let objects = keys.iter().map(|k| ObjectIdentifier::builder().key(*k).build().unwrap()).collect();
    Delete::builder().set_objects(Some(objects)).quiet(quiet).build().unwrap()
}

fn delete_xml(keys: &[String], quiet: bool) -> String {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#);
    if quiet {
        xml.push_str("<Quiet>true</Quiet>");
    }
    for k in keys {
        let _ = write!(xml, "<Object><Key>{k}</Key></Object>");
    }
    xml.push_str("</Delete>");
    xml
}

#[tokio::test]
async fn copy_keeps_metadata_by_default() {
    let (srv, s3) = server().await;
    let body = data(40_000, 1);
    let etag = put_source(&s3, "src", &body).await;
    let out = s3.copy_object().bucket("bkt").key("dst").copy_source("bkt/src").send().await.unwrap();
    let result = out.copy_object_result().expect("CopyObjectResult");
    assert_eq!(result.e_tag(), Some(etag.as_str()));
    assert!(result.last_modified().is_some());

    let head = s3.head_object().bucket("bkt").key("dst").send().await.unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("origin").map(String::as_str), Some("source"));
    assert_eq!(meta.get("n").map(String::as_str), Some("1"));
    assert_eq!(get(&s3, "bkt", "dst").await, body);

    // Explicit COPY, with a leading slash on the source, into another bucket.
    s3.create_bucket().bucket("other").send().await.unwrap();
    s3.copy_object()
        .bucket("other")
        .key("copied")
        .copy_source("/bkt/src")
        .metadata_directive(MetadataDirective::Copy)
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("other").key("copied").send().await.unwrap();
    assert_eq!(head.metadata().unwrap().get("origin").map(String::as_str), Some("source"));
    assert_eq!(get(&s3, "other", "copied").await, body);
    srv.server.stop().await;
}

#[tokio::test]
async fn copy_with_replace_replaces_metadata() {
    let (srv, s3) = server().await;
    let body = data(1000, 2);
    put_source(&s3, "src", &body).await;
    s3.copy_object()
        .bucket("bkt")
        .key("dst")
        .copy_source("bkt/src")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/json")
        .metadata("fresh", "yes")
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("bkt").key("dst").send().await.unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
    assert_eq!(head.cache_control(), None, "REPLACE drops the source's Cache-Control");
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("fresh").map(String::as_str), Some("yes"));
    assert!(!meta.contains_key("origin"), "{meta:?}");
    assert_eq!(get(&s3, "bkt", "dst").await, body);
    // The source is untouched.
    let src = s3.head_object().bucket("bkt").key("src").send().await.unwrap();
    assert_eq!(src.metadata().unwrap().get("origin").map(String::as_str), Some("source"));
    srv.server.stop().await;
}

#[tokio::test]
async fn copy_onto_itself_needs_replace() {
    let (srv, s3) = server().await;
    let body = data(500, 3);
    let etag = put_source(&s3, "self", &body).await;
    let r = s3.copy_object().bucket("bkt").key("self").copy_source("bkt/self").send().await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    let r = s3.copy_object().bucket("bkt").key("self").copy_source("bkt/self").metadata_directive(MetadataDirective::Copy).send().await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));

    s3.copy_object()
        .bucket("bkt")
        .key("self")
        .copy_source("bkt/self")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/markdown")
        .metadata("rev", "2")
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("bkt").key("self").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/markdown"));
    assert_eq!(head.metadata().unwrap().get("rev").map(String::as_str), Some("2"));
    assert!(!head.metadata().unwrap().contains_key("origin"));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(get(&s3, "bkt", "self").await, body);
    srv.server.stop().await;
}

#[tokio::test]
async fn copy_source_is_url_encoded() {
    let (srv, s3) = server().await;
    for (i, key) in ["dir/ünï cödé+plus.txt", "with space", "a%2Fb", "q?x=1#frag", "日本/語"].into_iter().enumerate() {
        let body = data(300 + i, 40 + u64::try_from(i).unwrap());
        put_source(&s3, key, &body).await;
        let source = format!("bkt/{}", encode_key(key));
        let dst = format!("copy-{i}");
        s3.copy_object().bucket("bkt").key(&dst).copy_source(&source).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(get(&s3, "bkt", &dst).await, body, "{key}");
        // And the other way round: an awkward destination key.
        let dst2 = format!("{key}-copy");
        s3.copy_object().bucket("bkt").key(&dst2).copy_source(&source).send().await.unwrap();
        assert_eq!(get(&s3, "bkt", &dst2).await, body, "{key}");
    }
    srv.server.stop().await;
}

#[tokio::test]
async fn copy_source_conditionals() {
    let (srv, s3) = server().await;
    let etag = put_source(&s3, "src", b"conditional").await;
    let wrong = "\"0123456789abcdef0123456789abcdef\"";
    let r = s3.copy_object().bucket("bkt").key("d1").copy_source("bkt/src").copy_source_if_match(wrong).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    let r = s3.copy_object().bucket("bkt").key("d2").copy_source("bkt/src").copy_source_if_none_match(&etag).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert!(!exists(&s3, "d1").await);
    assert!(!exists(&s3, "d2").await);

    s3.copy_object().bucket("bkt").key("d3").copy_source("bkt/src").copy_source_if_match(&etag).send().await.unwrap();
    s3.copy_object().bucket("bkt").key("d4").copy_source("bkt/src").copy_source_if_none_match(wrong).send().await.unwrap();
    assert_eq!(get(&s3, "bkt", "d3").await, b"conditional");
    assert_eq!(get(&s3, "bkt", "d4").await, b"conditional");

    // Date conditions (API_CopyObject), failing with 412 as well.
    let modified = *s3.head_object().bucket("bkt").key("src").send().await.unwrap().last_modified().unwrap();
    let past = DateTime::from_secs(modified.secs() - 3600);
    let future = DateTime::from_secs(modified.secs() + 3600);
    let r = s3.copy_object().bucket("bkt").key("d5").copy_source("bkt/src").copy_source_if_unmodified_since(past).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    let r = s3.copy_object().bucket("bkt").key("d6").copy_source("bkt/src").copy_source_if_modified_since(future).send().await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    assert!(!exists(&s3, "d5").await && !exists(&s3, "d6").await);
    s3.copy_object().bucket("bkt").key("d7").copy_source("bkt/src").copy_source_if_modified_since(past).send().await.unwrap();
    s3.copy_object().bucket("bkt").key("d8").copy_source("bkt/src").copy_source_if_unmodified_since(future).send().await.unwrap();
    // if-match true + if-unmodified-since false → copied; if-none-match false +
    // if-modified-since true → 412.
    s3.copy_object()
        .bucket("bkt")
        .key("d9")
        .copy_source("bkt/src")
        .copy_source_if_match(&etag)
        .copy_source_if_unmodified_since(past)
        .send()
        .await
        .unwrap();
    let r = s3
        .copy_object()
        .bucket("bkt")
        .key("d10")
        .copy_source("bkt/src")
        .copy_source_if_none_match(&etag)
        .copy_source_if_modified_since(past)
        .send()
        .await;
    assert_sdk_error(r, 412, Some("PreconditionFailed"));
    srv.server.stop().await;
}

#[tokio::test]
async fn copy_from_a_missing_source() {
    let (srv, s3) = server().await;
    let r = s3.copy_object().bucket("bkt").key("dst").copy_source("bkt/nothing-here").send().await;
    assert_sdk_error(r, 404, Some("NoSuchKey"));
    let r = s3.copy_object().bucket("bkt").key("dst").copy_source("nobucket/k").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    assert!(!exists(&s3, "dst").await);
    srv.server.stop().await;
}

#[tokio::test]
async fn copy_outlives_its_source() {
    let (srv, s3) = server().await;
    let body = data(2 << 20, 8);
    put_source(&s3, "src", &body).await;
    s3.copy_object().bucket("bkt").key("c1").copy_source("bkt/src").send().await.unwrap();
    s3.copy_object().bucket("bkt").key("c2").copy_source("bkt/c1").send().await.unwrap();
    s3.delete_object().bucket("bkt").key("src").send().await.unwrap();
    assert_eq!(get(&s3, "bkt", "c1").await, body);
    // Overwriting one copy does not affect the other.
    s3.put_object().bucket("bkt").key("c1").body(ByteStream::from_static(b"replaced")).send().await.unwrap();
    assert_eq!(get(&s3, "bkt", "c2").await, body);
    s3.delete_object().bucket("bkt").key("c1").send().await.unwrap();
    // Give a background collector a chance to run wrongly.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(get(&s3, "bkt", "c2").await, body);

    // And across a restart.
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[]).await;
    let s3 = srv.client();
    assert_eq!(get(&s3, "bkt", "c2").await, body);
    srv.server.stop().await;
}

#[tokio::test]
async fn delete_objects_reports_every_key() {
    let (srv, s3) = server().await;
    for k in ["a", "b", "dir/c", "ü nicode"] {
        s3.put_object().bucket("bkt").key(k).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }
    s3.put_object().bucket("bkt").key("keep").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let out = s3.delete_objects().bucket("bkt").delete(ids(&["a", "b", "dir/c", "ü nicode", "missing"], false)).send().await.unwrap();
    let mut deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    // A missing key is reported as deleted (API_DeleteObjects).
    assert_eq!(deleted, vec!["a", "b", "dir/c", "missing", "ü nicode"]);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    let list = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    let keys: Vec<_> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, vec!["keep"]);
    srv.server.stop().await;
}

#[tokio::test]
async fn delete_objects_quiet_mode() {
    let (srv, s3) = server().await;
    for k in ["q1", "q2"] {
        s3.put_object().bucket("bkt").key(k).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }
    let out = s3.delete_objects().bucket("bkt").delete(ids(&["q1", "q2", "q3"], true)).send().await.unwrap();
    assert!(out.deleted().is_empty(), "{:?}", out.deleted());
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert!(!exists(&s3, "q1").await);
    assert!(!exists(&s3, "q2").await);
    srv.server.stop().await;
}

#[tokio::test]
async fn delete_objects_raw_validation() {
    let (srv, s3) = server().await;
    let host = srv.host();
    for k in ["keep1", "keep2"] {
        s3.put_object().bucket("bkt").key(k).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }

    // A well-formed raw request works and answers in XML.
    let body = delete_xml(&["keep1".to_owned(), "nope".to_owned()], false);
    let resp =
        Request::new("POST", "/bkt?delete").header("content-md5", &md5_b64(body.as_bytes())).body(body).signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let mut deleted = xml_fields(&resp.text(), "Key");
    deleted.sort();
    assert_eq!(deleted, vec!["keep1", "nope"]);
    assert!(!exists(&s3, "keep1").await);

    // 1001 keys: MalformedXML (API_DeleteObjects: up to 1000 keys).
    let keys: Vec<String> = (0..1001).map(|i| format!("k{i}")).chain(std::iter::once("keep2".to_owned())).collect();
    let body = delete_xml(&keys, false);
    let resp =
        Request::new("POST", "/bkt?delete").header("content-md5", &md5_b64(body.as_bytes())).body(body).signed(&host).send(&host).await;
    resp.assert_error(400, "MalformedXML");
    assert!(exists(&s3, "keep2").await);

    // Exactly 1000 is fine.
    let keys: Vec<String> = (0..999).map(|i| format!("k{i}")).chain(std::iter::once("keep2".to_owned())).collect();
    let body = delete_xml(&keys, true);
    let resp =
        Request::new("POST", "/bkt?delete").header("content-md5", &md5_b64(body.as_bytes())).body(body).signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(!exists(&s3, "keep2").await);

    // No Content-MD5 and no x-amz-checksum-*: refused, nothing deleted.
    s3.put_object().bucket("bkt").key("keep3").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let body = delete_xml(&["keep3".to_owned()], false);
    let resp = Request::new("POST", "/bkt?delete").body(body.clone()).signed(&host).send(&host).await;
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert!(resp.code().is_some() && resp.header("x-amz-request-id").is_some(), "{resp:?}");
    assert!(exists(&s3, "keep3").await);
    // A wrong Content-MD5: BadDigest, nothing deleted.
    let resp = Request::new("POST", "/bkt?delete").header("content-md5", &md5_b64(b"other")).body(body).signed(&host).send(&host).await;
    resp.assert_error(400, "BadDigest");
    assert!(exists(&s3, "keep3").await);

    // Not XML / not the schema.
    for bad in ["this is not xml", "<Delete><Object><Key>keep3</Key></Object>", "<Delete><Object><NotKey>keep3</NotKey></Object></Delete>"]
    {
        let resp =
            Request::new("POST", "/bkt?delete").header("content-md5", &md5_b64(bad.as_bytes())).body(bad).signed(&host).send(&host).await;
        assert_eq!((resp.status, resp.code().as_deref()), (400, Some("MalformedXML")), "{bad}: {}", resp.text());
    }
    assert!(exists(&s3, "keep3").await);

    let body = delete_xml(&["x".to_owned()], false);
    let resp = Request::new("POST", "/nobucket?delete")
        .header("content-md5", &md5_b64(body.as_bytes()))
        .body(body)
        .signed(&host)
        .send(&host)
        .await;
    resp.assert_error(404, "NoSuchBucket");
    srv.server.stop().await;
}

#[tokio::test]
async fn delete_objects_body_must_match_the_schema() {
    // API_DeleteObjects: the body is a <Delete> holding at least one <Object> (marked
    // required); real S3 answers MalformedXML to anything else and deletes nothing.
    let (srv, s3) = server().await;
    let host = srv.host();
    let mut wrong = Vec::new();
    for bad in ["<Delete></Delete>", "<Delete><Quiet>true</Quiet></Delete>", "<Other><Object><Key>keep</Key></Object></Other>"] {
        s3.put_object().bucket("bkt").key("keep").body(ByteStream::from_static(b"x")).send().await.unwrap();
        let resp =
            Request::new("POST", "/bkt?delete").header("content-md5", &md5_b64(bad.as_bytes())).body(bad).signed(&host).send(&host).await;
        let deleted = !exists(&s3, "keep").await;
        if (resp.status, resp.code().as_deref(), deleted) != (400, Some("MalformedXML"), false) {
            wrong.push(format!("{bad} -> {} {:?}, keep deleted: {deleted}, body: {}", resp.status, resp.code(), resp.text()));
        }
    }
    assert!(wrong.is_empty(), "expected 400 MalformedXML and nothing deleted:\n{}", wrong.join("\n"));
    srv.server.stop().await;
}
