//! ListObjectsV2 and ListObjects (V1): pagination over thousands of keys in UTF-8
//! binary order, prefix, delimiter and CommonPrefixes (also across pages), start-after,
//! encoding-type=url, fetch-owner, KeyCount, max-keys=0, empty and missing buckets.

mod common;

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;
use aws_sdk_s3::Client;
use common::raw::{xml_field, xml_fields, Request};
use common::{assert_sdk_error, TestServer};

async fn server() -> (TestServer, Client) {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    (srv, s3)
}

/// Puts empty objects under `keys`, 16 at a time.
async fn put_all(s3: &Client, keys: &[String]) {
    for batch in keys.chunks(16) {
        let mut tasks = Vec::new();
        for key in batch {
            let (s3, key) = (s3.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                s3.put_object()
                    .bucket("bkt")
                    .key(&key)
                    .body(ByteStream::from_static(b""))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{key}: {e:?}"));
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
}

/// ~2500 keys whose UTF-8 byte order differs from naive or case-insensitive orders.
fn many_keys() -> Vec<String> {
    let stems = ["a", "B", "b", "Z", "é", "z", "~", "日本", "a-", "a/", "A0", "😀"];
    (0..2500)
        .map(|i| format!("{}{:04}", stems[i % stems.len()], i / stems.len() * 7 % 10_000))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn sorted_bytes(keys: &[String]) -> Vec<String> {
    let mut k = keys.to_vec();
    k.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn v2_paginator_returns_every_key_once_in_binary_order() {
    let (srv, s3) = server().await;
    let keys = many_keys();
    assert!(keys.len() > 2000, "{}", keys.len());
    put_all(&s3, &keys).await;

    let mut pages = s3.list_objects_v2().bucket("bkt").max_keys(1000).into_paginator().send();
    let mut listed = Vec::new();
    let mut page_sizes = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        let n = page.contents().len();
        assert_eq!(page.key_count(), Some(i32::try_from(n).unwrap()));
        assert_eq!(page.max_keys(), Some(1000));
        assert_eq!(page.is_truncated(), Some(page.next_continuation_token().is_some()));
        page_sizes.push(n);
        listed.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    let expected = sorted_bytes(&keys);
    assert_eq!(page_sizes.len(), keys.len().div_ceil(1000), "{page_sizes:?}");
    assert!(page_sizes[..page_sizes.len() - 1].iter().all(|&n| n == 1000), "{page_sizes:?}");
    assert_eq!(listed.len(), expected.len());
    assert_eq!(listed, expected);

    // The default max-keys is 1000 too.
    let first = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert_eq!(first.contents().len(), 1000);
    assert_eq!(first.is_truncated(), Some(true));
    srv.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn v1_marker_loop_returns_every_key_once_in_binary_order() {
    let (srv, s3) = server().await;
    let keys = many_keys();
    put_all(&s3, &keys).await;
    let mut listed: Vec<String> = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s3.list_objects().bucket("bkt").max_keys(1000).set_marker(marker.clone()).send().await.unwrap();
        pages += 1;
        assert_eq!(page.marker().unwrap_or(""), marker.as_deref().unwrap_or(""));
        assert!(page.contents().len() <= 1000);
        listed.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
        if page.is_truncated() != Some(true) {
            break;
        }
        // Without a delimiter, NextMarker is optional: the last key is the marker.
        marker = Some(page.next_marker().map_or_else(|| listed.last().unwrap().clone(), str::to_owned));
        assert!(pages < 10, "runaway pagination");
    }
    assert_eq!(pages, keys.len().div_ceil(1000));
    assert_eq!(listed, sorted_bytes(&keys));
    srv.server.stop().await;
}

fn tree_keys() -> Vec<String> {
    [
        "photos",
        "photos/2023/feb/2.jpg",
        "photos/2023/jan/1.jpg",
        "photos/2023/jan/2.jpg",
        "photos/2024/x.jpg",
        "photos/top.jpg",
        "photosynthesis.txt",
        "readme.txt",
        "videos/a.mp4",
        "zz/",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn prefix_and_delimiter_with_nested_folders() {
    let (srv, s3) = server().await;
    put_all(&s3, &tree_keys()).await;
    let keys_of = |out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
        out.contents().iter().map(|o| o.key().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let prefixes_of = |out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
        out.common_prefixes().iter().map(|p| p.prefix().unwrap().to_owned()).collect::<Vec<_>>()
    };

    let out = s3.list_objects_v2().bucket("bkt").prefix("photos/2023/").send().await.unwrap();
    assert_eq!(keys_of(&out), vec!["photos/2023/feb/2.jpg", "photos/2023/jan/1.jpg", "photos/2023/jan/2.jpg"]);
    assert_eq!(out.prefix(), Some("photos/2023/"));

    let out = s3.list_objects_v2().bucket("bkt").delimiter("/").send().await.unwrap();
    assert_eq!(keys_of(&out), vec!["photos", "photosynthesis.txt", "readme.txt"]);
    assert_eq!(prefixes_of(&out), vec!["photos/", "videos/", "zz/"]);
    assert_eq!(out.key_count(), Some(6), "KeyCount counts keys and common prefixes");
    assert_eq!(out.delimiter(), Some("/"));

    let out = s3.list_objects_v2().bucket("bkt").prefix("photos/").delimiter("/").send().await.unwrap();
    assert_eq!(keys_of(&out), vec!["photos/top.jpg"]);
    assert_eq!(prefixes_of(&out), vec!["photos/2023/", "photos/2024/"]);

    let out = s3.list_objects_v2().bucket("bkt").prefix("photos/2023/").delimiter("/").send().await.unwrap();
    assert!(keys_of(&out).is_empty());
    assert_eq!(prefixes_of(&out), vec!["photos/2023/feb/", "photos/2023/jan/"]);

    let out = s3.list_objects_v2().bucket("bkt").prefix("photos").delimiter("/").send().await.unwrap();
    assert_eq!(keys_of(&out), vec!["photos", "photosynthesis.txt"]);
    assert_eq!(prefixes_of(&out), vec!["photos/"]);

    // A key equal to prefix + delimiter is a common prefix, not content.
    let out = s3.list_objects_v2().bucket("bkt").prefix("zz").delimiter("/").send().await.unwrap();
    assert!(keys_of(&out).is_empty());
    assert_eq!(prefixes_of(&out), vec!["zz/"]);

    // A multi-character delimiter.
    let out = s3.list_objects_v2().bucket("bkt").delimiter("/20").send().await.unwrap();
    assert_eq!(prefixes_of(&out), vec!["photos/20"]);

    // V1 agrees.
    let out = s3.list_objects().bucket("bkt").prefix("photos/").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = out.contents().iter().map(|o| o.key().unwrap()).collect();
    let prefixes: Vec<_> = out.common_prefixes().iter().map(|p| p.prefix().unwrap()).collect();
    assert_eq!(keys, vec!["photos/top.jpg"]);
    assert_eq!(prefixes, vec!["photos/2023/", "photos/2024/"]);

    // A prefix matching nothing.
    let out = s3.list_objects_v2().bucket("bkt").prefix("nothing/").delimiter("/").send().await.unwrap();
    assert_eq!(out.key_count(), Some(0));
    assert!(out.contents().is_empty() && out.common_prefixes().is_empty());
    srv.server.stop().await;
}

fn paged_tree() -> Vec<String> {
    let mut keys = Vec::new();
    for dir in ["a", "c", "e", "g"] {
        for i in 0..5 {
            keys.push(format!("{dir}/{i}"));
        }
    }
    for file in ["b", "d", "f", "h", "i"] {
        keys.push(file.to_owned());
    }
    keys
}

#[tokio::test]
async fn delimiter_pagination_never_repeats_common_prefixes() {
    let (srv, s3) = server().await;
    put_all(&s3, &paged_tree()).await;
    let expected_keys = vec!["b", "d", "f", "h", "i"];
    let expected_prefixes = vec!["a/", "c/", "e/", "g/"];

    for max_keys in [1, 2, 3] {
        // V2 with continuation tokens.
        let mut keys = Vec::new();
        let mut prefixes = Vec::new();
        let mut token: Option<String> = None;
        for round in 0.. {
            assert!(round < 20, "runaway pagination");
            let page = s3
                .list_objects_v2()
                .bucket("bkt")
                .delimiter("/")
                .max_keys(max_keys)
                .set_continuation_token(token.clone())
                .send()
                .await
                .unwrap();
            let n = page.contents().len() + page.common_prefixes().len();
            assert!(n <= usize::try_from(max_keys).unwrap(), "page over max-keys {max_keys}: {page:?}");
            assert_eq!(page.key_count(), Some(i32::try_from(n).unwrap()));
            keys.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
            prefixes.extend(page.common_prefixes().iter().map(|p| p.prefix().unwrap().to_owned()));
            if page.is_truncated() != Some(true) {
                break;
            }
            token = Some(page.next_continuation_token().expect("NextContinuationToken when truncated").to_owned());
        }
        assert_eq!(keys, expected_keys, "V2 max-keys {max_keys}");
        assert_eq!(prefixes, expected_prefixes, "V2 max-keys {max_keys}");

        // V1: with a delimiter, NextMarker is returned when truncated (API_ListObjects).
        let mut keys = Vec::new();
        let mut prefixes = Vec::new();
        let mut marker: Option<String> = None;
        for round in 0.. {
            assert!(round < 20, "runaway pagination");
            let page = s3.list_objects().bucket("bkt").delimiter("/").max_keys(max_keys).set_marker(marker.clone()).send().await.unwrap();
            let n = page.contents().len() + page.common_prefixes().len();
            assert!(n <= usize::try_from(max_keys).unwrap(), "page over max-keys {max_keys}: {page:?}");
            keys.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
            prefixes.extend(page.common_prefixes().iter().map(|p| p.prefix().unwrap().to_owned()));
            if page.is_truncated() != Some(true) {
                break;
            }
            marker = Some(page.next_marker().expect("NextMarker when truncated with a delimiter").to_owned());
        }
        assert_eq!(keys, expected_keys, "V1 max-keys {max_keys}");
        assert_eq!(prefixes, expected_prefixes, "V1 max-keys {max_keys}");
    }
    srv.server.stop().await;
}

#[tokio::test]
async fn start_after() {
    let (srv, s3) = server().await;
    let keys: Vec<String> = (0..20).map(|i| format!("k{i:02}")).collect();
    put_all(&s3, &keys).await;
    let out = s3.list_objects_v2().bucket("bkt").start_after("k09").send().await.unwrap();
    let listed: Vec<_> = out.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(listed, keys[10..].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.start_after(), Some("k09"));
    // start-after need not be an existing key.
    let out = s3.list_objects_v2().bucket("bkt").start_after("k105").send().await.unwrap();
    assert_eq!(out.contents().first().and_then(|o| o.key()), Some("k11"));
    // Past the end.
    let out = s3.list_objects_v2().bucket("bkt").start_after("zzz").send().await.unwrap();
    assert!(out.contents().is_empty());
    // With pagination: start-after then tokens.
    let mut pages = s3.list_objects_v2().bucket("bkt").start_after("k04").max_keys(4).into_paginator().send();
    let mut listed = Vec::new();
    while let Some(page) = pages.next().await {
        listed.extend(page.unwrap().contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    assert_eq!(listed, keys[5..].to_vec());
    // A continuation token wins over start-after; a forged token is refused.
    let first = s3.list_objects_v2().bucket("bkt").max_keys(3).send().await.unwrap();
    let token = first.next_continuation_token().unwrap();
    let next = s3.list_objects_v2().bucket("bkt").max_keys(3).continuation_token(token).start_after("k15").send().await.unwrap();
    assert_eq!(next.contents().first().and_then(|o| o.key()), Some("k03"));
    let r = s3.list_objects_v2().bucket("bkt").continuation_token("not-a-token!").send().await;
    assert_sdk_error(r, 400, Some("InvalidArgument"));
    // V1 marker is the same idea.
    let out = s3.list_objects().bucket("bkt").marker("k17").send().await.unwrap();
    let listed: Vec<_> = out.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(listed, vec!["k18", "k19"]);
    srv.server.stop().await;
}

/// Decodes an `encoding-type=url` value (`+` may stand for a space).
fn url_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().unwrap().into_owned()
}

#[tokio::test]
async fn encoding_type_url() {
    let (srv, s3) = server().await;
    let keys: Vec<String> =
        ["dir one/ü file.txt", "dir one/plain", "a+b", "percent%", "ctl\u{1}char", "日本/語"].iter().map(|s| (*s).to_owned()).collect();
    put_all(&s3, &keys).await;

    let out = s3.list_objects_v2().bucket("bkt").encoding_type(EncodingType::Url).send().await.unwrap();
    assert_eq!(out.encoding_type(), Some(&EncodingType::Url));
    let raw: Vec<_> = out.contents().iter().map(|o| o.key().unwrap().to_owned()).collect();
    for k in &raw {
        assert!(k.is_ascii() && !k.contains(' ') && !k.contains('\u{1}'), "not url-encoded: {k:?}");
    }
    let decoded: Vec<_> = raw.iter().map(|k| url_decode(k)).collect();
    assert_eq!(decoded, sorted_bytes(&keys));

    // Prefix, delimiter and common prefixes are encoded too.
    let out = s3.list_objects_v2().bucket("bkt").encoding_type(EncodingType::Url).delimiter("/").send().await.unwrap();
    let prefixes: Vec<_> = out.common_prefixes().iter().map(|p| p.prefix().unwrap().to_owned()).collect();
    assert!(prefixes.iter().all(|p| p.is_ascii() && !p.contains(' ')), "{prefixes:?}");
    let decoded: Vec<_> = prefixes.iter().map(|p| url_decode(p)).collect();
    assert_eq!(decoded, vec!["dir one/", "日本/"]);
    let out = s3.list_objects_v2().bucket("bkt").encoding_type(EncodingType::Url).prefix("dir one/").send().await.unwrap();
    assert_eq!(out.prefix().map(url_decode).as_deref(), Some("dir one/"));
    assert!(!out.prefix().unwrap().contains(' '));

    // V1 too.
    let out = s3.list_objects().bucket("bkt").encoding_type(EncodingType::Url).prefix("dir one/").send().await.unwrap();
    let decoded: Vec<_> = out.contents().iter().map(|o| url_decode(o.key().unwrap())).collect();
    assert_eq!(decoded, vec!["dir one/plain", "dir one/ü file.txt"]);

    // An unknown encoding type is an error.
    let host = srv.host();
    let resp = Request::new("GET", "/bkt?list-type=2&encoding-type=base64").signed(&host).send(&host).await;
    resp.assert_error(400, "InvalidArgument");
    srv.server.stop().await;
}

#[tokio::test]
async fn fetch_owner_key_count_and_max_keys_zero() {
    let (srv, s3) = server().await;
    put_all(&s3, &["x".to_owned(), "y".to_owned(), "z/1".to_owned()]).await;
    let out = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert!(out.contents().iter().all(|o| o.owner().is_none()), "V2 omits Owner unless fetch-owner=true");
    assert_eq!(out.key_count(), Some(3));
    assert_eq!(out.name(), Some("bkt"));
    let o = &out.contents()[0];
    assert_eq!(o.size(), Some(0));
    assert_eq!(o.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
    assert!(o.last_modified().is_some());

    let out = s3.list_objects_v2().bucket("bkt").fetch_owner(true).send().await.unwrap();
    for o in out.contents() {
        let owner = o.owner().expect("Owner with fetch-owner=true");
        assert!(owner.id().is_some_and(|id| !id.is_empty()), "{owner:?}");
    }

    let out = s3.list_objects_v2().bucket("bkt").max_keys(0).send().await.unwrap();
    assert!(out.contents().is_empty());
    assert_eq!(out.key_count(), Some(0));
    assert_eq!(out.max_keys(), Some(0));

    let out = s3.list_objects_v2().bucket("bkt").max_keys(2).send().await.unwrap();
    assert_eq!(out.key_count(), Some(2));
    assert_eq!(out.is_truncated(), Some(true));

    // Raw: max-keys above 1000 is capped at 1000, and a negative one refused.
    let host = srv.host();
    let resp = Request::new("GET", "/bkt?list-type=2&max-keys=5000").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200);
    assert_eq!(xml_field(&resp.text(), "KeyCount").as_deref(), Some("3"));
    assert_eq!(xml_fields(&resp.text(), "Key").len(), 3);
    let resp = Request::new("GET", "/bkt?list-type=2&max-keys=-1").signed(&host).send(&host).await;
    resp.assert_error(400, "InvalidArgument");
    srv.server.stop().await;
}

#[tokio::test]
async fn empty_and_missing_buckets() {
    let (srv, s3) = server().await;
    let out = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert!(out.contents().is_empty());
    assert_eq!(out.key_count(), Some(0));
    assert_eq!(out.is_truncated(), Some(false));
    assert_eq!(out.next_continuation_token(), None);
    let out = s3.list_objects().bucket("bkt").send().await.unwrap();
    assert!(out.contents().is_empty());
    assert_eq!(out.is_truncated(), Some(false));

    let r = s3.list_objects_v2().bucket("nobucket").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    let r = s3.list_objects().bucket("nobucket").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));

    // Deleted objects disappear from listings.
    put_all(&s3, &["gone".to_owned()]).await;
    s3.delete_object().bucket("bkt").key("gone").send().await.unwrap();
    let out = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert!(out.contents().is_empty());
    srv.server.stop().await;
}
