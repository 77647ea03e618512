//! Bucket operations: CreateBucket (naming rules, LocationConstraint, already owned),
//! HeadBucket, ListBuckets, GetBucketLocation, DeleteBucket and GetBucketVersioning —
//! through the SDK, and raw HTTP where the SDK would refuse the request itself.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use common::raw::Request;
use common::{assert_sdk_error, error_info, TestServer};

/// Names the S3 naming rules accept (3–63 chars, lowercase letters, digits, dots,
/// hyphens, starting and ending with a letter or digit).
const VALID: &[&str] = &[
    "abc",
    "a-b",
    "0numeric1",
    "my.bucket-name.2",
    // 63 characters, the maximum.
    "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh",
];

/// Names the rules refuse, one rule each.
const INVALID: &[&str] = &[
    "ab",                                                               // too short
    "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi", // 64 characters
    "UpperCase",                                                        // uppercase
    "under_score",                                                      // underscore
    "-leading-hyphen",
    "trailing-hyphen-",
    ".leading-dot",
    "trailing-dot.",
    "double..dot",
    "192.168.5.4", // formatted as an IP address
    "xn--punycode",
    "sthree-reserved",
    "bucket-s3alias",
    "bucket--ol-s3",
];

#[tokio::test]
async fn valid_names_create_and_head() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    for name in VALID {
        let out = s3.create_bucket().bucket(*name).send().await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(out.location(), Some(format!("/{name}").as_str()), "{name}");
        s3.head_bucket().bucket(*name).send().await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
    srv.server.stop().await;
}

#[tokio::test]
async fn invalid_names_are_refused_with_invalid_bucket_name() {
    let srv = TestServer::start().await;
    let host = srv.host();
    assert_eq!(INVALID[1].len(), 64);
    for name in INVALID {
        let resp = Request::new("PUT", &format!("/{name}")).signed(&host).send(&host).await;
        assert_eq!((resp.status, resp.code().as_deref()), (400, Some("InvalidBucketName")), "{name}: {}", resp.text());
        assert!(resp.header("x-amz-request-id").is_some(), "{name}");
    }
    // None of them exists afterwards.
    let list = srv.client().list_buckets().send().await.unwrap();
    assert!(list.buckets().is_empty(), "{:?}", list.buckets());
    srv.server.stop().await;
}

#[tokio::test]
async fn location_constraint_must_be_the_server_region() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    let config = |region: &str| CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build();
    s3.create_bucket().bucket("east").create_bucket_configuration(config("us-east-1")).send().await.unwrap();
    s3.head_bucket().bucket("east").send().await.unwrap();

    let r = s3.create_bucket().bucket("west").create_bucket_configuration(config("eu-west-1")).send().await;
    assert_sdk_error(r, 400, Some("InvalidLocationConstraint"));
    let r = s3.head_bucket().bucket("west").send().await;
    assert_eq!(error_info(&r.unwrap_err()).status, 404);

    // An explicit configuration body without a constraint is fine too.
    let host = srv.host();
    let body = r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></CreateBucketConfiguration>"#;
    let resp = Request::new("PUT", "/empty-config").body(body).signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    srv.server.stop().await;
}

/// API_CreateBucket: "In the North Virginia Region, Amazon S3 returns 200 OK and resets
/// the bucket access control lists" when you re-create a bucket you own; every other
/// Region answers 409 BucketAlreadyOwnedByYou. Either way the contents stay.
#[tokio::test]
async fn creating_an_owned_bucket_again() {
    for (region, status) in [("us-east-1", None), ("eu-west-1", Some(409))] {
        let srv = TestServer::start_with(&[("server.region", region)]).await;
        let s3 = common::client_in_region(&srv.endpoint, coffer::config::DEFAULT_ACCESS_KEY, coffer::config::DEFAULT_SECRET_KEY, region);
        s3.create_bucket().bucket("mine").send().await.unwrap();
        s3.put_object().bucket("mine").key("k").body(ByteStream::from_static(b"keep")).send().await.unwrap();
        let r = s3.create_bucket().bucket("mine").send().await;
        match status {
            None => {
                r.unwrap();
            }
            Some(status) => assert_sdk_error(r, status, Some("BucketAlreadyOwnedByYou")),
        }
        // The existing bucket and its contents are untouched.
        let got = s3.get_object().bucket("mine").key("k").send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"keep", "{region}");
        srv.server.stop().await;
    }
}

#[tokio::test]
async fn head_bucket_found_and_missing() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("here").send().await.unwrap();
    s3.head_bucket().bucket("here").send().await.unwrap();
    let err = s3.head_bucket().bucket("gone").send().await.unwrap_err();
    let info = error_info(&err);
    assert_eq!(info.status, 404, "{err:?}");
    assert!(info.request_id.is_some(), "{err:?}");
    assert!(err.into_service_error().is_not_found());

    // Raw: HEAD carries no body, but a request id and a region header.
    let host = srv.host();
    let resp = Request::new("HEAD", "/here").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200);
    assert!(resp.header("x-amz-request-id").is_some());
    assert_eq!(resp.header("x-amz-bucket-region"), Some("us-east-1"));
    assert!(resp.body.is_empty());
    let resp = Request::new("HEAD", "/gone").signed(&host).send(&host).await;
    assert_eq!(resp.status, 404);
    assert!(resp.header("x-amz-request-id").is_some());
    srv.server.stop().await;
}

#[tokio::test]
async fn list_buckets_sorted_with_owner_and_dates() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    let empty = s3.list_buckets().send().await.unwrap();
    assert!(empty.buckets().is_empty());
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(5);
    for name in ["zeta", "alpha", "mid.dle", "beta-1"] {
        s3.create_bucket().bucket(name).send().await.unwrap();
    }
    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, vec!["alpha", "beta-1", "mid.dle", "zeta"]);
    for b in list.buckets() {
        let created = b.creation_date().expect("CreationDate");
        let created = std::time::SystemTime::try_from(*created).unwrap();
        assert!(created >= before && created <= std::time::SystemTime::now() + std::time::Duration::from_secs(5), "{b:?}");
    }
    let owner = list.owner().expect("Owner");
    assert!(owner.id().is_some_and(|id| !id.is_empty()), "{owner:?}");
    srv.server.stop().await;
}

#[tokio::test]
async fn get_bucket_location_of_us_east_1_bucket() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("loc").send().await.unwrap();
    let out = s3.get_bucket_location().bucket("loc").send().await.unwrap();
    // API_GetBucketLocation: "Buckets in Region us-east-1 have a LocationConstraint of
    // null"; an explicit us-east-1 is tolerated by every SDK.
    match out.location_constraint() {
        None => {}
        Some(c) => assert!(c.as_str().is_empty() || c.as_str() == "us-east-1", "{c:?}"),
    }
    let r = s3.get_bucket_location().bucket("nope").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    srv.server.stop().await;
}

#[tokio::test]
async fn delete_bucket_empty_nonempty_missing() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("full").send().await.unwrap();
    s3.put_object().bucket("full").key("a/b").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let r = s3.delete_bucket().bucket("full").send().await;
    assert_sdk_error(r, 409, Some("BucketNotEmpty"));
    s3.head_bucket().bucket("full").send().await.unwrap();
    s3.get_object().bucket("full").key("a/b").send().await.unwrap();

    s3.delete_object().bucket("full").key("a/b").send().await.unwrap();
    s3.delete_bucket().bucket("full").send().await.unwrap();
    let r = s3.head_bucket().bucket("full").send().await;
    assert_eq!(error_info(&r.unwrap_err()).status, 404);
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());

    let r = s3.delete_bucket().bucket("full").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    let r = s3.delete_bucket().bucket("never-was").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));

    // Raw: a successful DeleteBucket is 204 No Content.
    let host = srv.host();
    s3.create_bucket().bucket("raw-del").send().await.unwrap();
    let resp = Request::new("DELETE", "/raw-del").signed(&host).send(&host).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert!(resp.header("x-amz-request-id").is_some());

    // A deleted name can be created again, empty.
    s3.create_bucket().bucket("full").send().await.unwrap();
    let list = s3.list_objects_v2().bucket("full").send().await.unwrap();
    assert_eq!(list.key_count(), Some(0));
    srv.server.stop().await;
}

#[tokio::test]
async fn versioning_of_a_new_bucket_has_no_status() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("ver").send().await.unwrap();
    let out = s3.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(out.status(), None);
    assert_eq!(out.mfa_delete(), None);
    let host = srv.host();
    let resp = Request::new("GET", "/ver?versioning").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200);
    assert!(resp.text().contains("VersioningConfiguration"), "{}", resp.text());
    assert!(!resp.text().contains("<Status>"), "{}", resp.text());
    let r = s3.get_bucket_versioning().bucket("nope").send().await;
    assert_sdk_error(r, 404, Some("NoSuchBucket"));
    srv.server.stop().await;
}
