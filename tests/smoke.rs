//! The user's first minutes: create a bucket, put, list, get, delete — through the
//! official SDK at its default settings.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::{data, TestServer};

#[tokio::test]
async fn put_list_get_delete_round_trip() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("photos").send().await.unwrap();
    let body = data(100_000, 1);
    let put = s3
        .put_object()
        .bucket("photos")
        .key("a/b.jpg")
        .content_type("image/jpeg")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_owned();
    assert_eq!(etag, format!("\"{:x}\"", md5_of(&body)));

    let list = s3.list_objects_v2().bucket("photos").send().await.unwrap();
    let keys: Vec<_> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, vec!["a/b.jpg"]);
    assert_eq!(list.contents()[0].size(), Some(100_000));

    let got = s3.get_object().bucket("photos").key("a/b.jpg").send().await.unwrap();
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(bytes.as_ref(), body.as_slice());

    s3.delete_object().bucket("photos").key("a/b.jpg").send().await.unwrap();
    let err = s3.get_object().bucket("photos").key("a/b.jpg").send().await.unwrap_err();
    assert!(err.into_service_error().is_no_such_key());
    s3.delete_bucket().bucket("photos").send().await.unwrap();
    srv.server.stop().await;
}

fn md5_of(bytes: &[u8]) -> u128 {
    use md5::Digest;
    u128::from_be_bytes(md5::Md5::digest(bytes).into())
}
