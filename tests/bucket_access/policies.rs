//! Bucket policies: stored as sent, validated, managed by the owner only.

use super::*;

// ---------------------------------------------------------------------------------------
// Bucket policies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn bucket_policy_is_stored_as_sent_and_validated() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let other = other_account(&srv, "tenant2").await;
    let owner = owner_account(&srv).await;
    root.create_bucket().bucket("docs").send().await.unwrap();
    refused("no policy yet", root.get_bucket_policy().bucket("docs").send().await, 404, "NoSuchBucketPolicy");
    refused("policy of a missing bucket", root.get_bucket_policy().bucket("nope").send().await, 404, "NoSuchBucket");

    // Not public (one fixed account), so Block Public Access (on) lets it in; written by a
    // person, with spacing and key order GetBucketPolicy must give back unchanged.
    let doc = [
        "{",
        r#"  "Version": "2012-10-17","#,
        r#"  "Id": "PartnerRead","#,
        r#"  "Statement": ["#,
        r#"    { "Sid": "Read", "Effect": "Allow","#,
        &format!(r#"      "Principal": {{ "AWS": "{}" }},"#, other.root_arn()),
        r#"      "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::docs/*" }"#,
        "  ]",
        "}",
        "",
    ]
    .join("\n");
    ok("put policy", root.put_bucket_policy().bucket("docs").policy(&doc).send().await);
    let got = ok("get policy", root.get_bucket_policy().bucket("docs").send().await);
    assert_eq!(got.policy(), Some(doc.as_str()));
    let status = ok("policy status", root.get_bucket_policy_status().bucket("docs").send().await);
    assert_eq!(status.policy_status().and_then(PolicyStatus::is_public), Some(false));

    let allow = |action: &str, resource: &str| policy(&[statement("Allow", &aws(&other.root_arn()), action, resource, None)]);
    let malformed = [
        ("not JSON", "{\"Version\": \"2012-10-17\", \"Statement\": [".to_owned()),
        ("a resource in another bucket", allow(r#""s3:GetObject""#, r#""arn:aws:s3:::elsewhere/*""#)),
        ("an action of another service", allow(r#""iam:CreateUser""#, r#""arn:aws:s3:::docs/*""#)),
        (
            "an account that does not exist",
            policy(&[statement("Allow", &aws("arn:aws:iam::999999999999:root"), r#""s3:GetObject""#, r#""arn:aws:s3:::docs/*""#, None)]),
        ),
        (
            "a user that does not exist",
            policy(&[statement("Allow", &aws(&other.user_arn("nobody")), r#""s3:GetObject""#, r#""arn:aws:s3:::docs/*""#, None)]),
        ),
        (
            "no Principal",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}"#
                .to_owned(),
        ),
    ];
    for (what, bad) in malformed {
        refused(what, root.put_bucket_policy().bucket("docs").policy(bad).send().await, 400, "MalformedPolicy");
    }
    let still = root.get_bucket_policy().bucket("docs").send().await.unwrap();
    assert_eq!(still.policy(), Some(doc.as_str()), "a refused policy replaced nothing");

    // Only the owner's account manages the policy: another account, and the owner's own
    // user without permission, are refused.
    let other_s3 = other.s3(&srv);
    denied("other account reads the policy", other_s3.get_bucket_policy().bucket("docs").send().await);
    denied("other account replaces the policy", other_s3.put_bucket_policy().bucket("docs").policy(&doc).send().await);
    denied("other account deletes the policy", other_s3.delete_bucket_policy().bucket("docs").send().await);
    let bare = owner.user(&srv, "bare", None).await;
    denied("a user without policy reads the policy", bare.get_bucket_policy().bucket("docs").send().await);

    ok("delete policy", root.delete_bucket_policy().bucket("docs").send().await);
    refused("deleted policy", root.get_bucket_policy().bucket("docs").send().await, 404, "NoSuchBucketPolicy");
    refused("status without policy", root.get_bucket_policy_status().bucket("docs").send().await, 404, "NoSuchBucketPolicy");

    // The same over raw HTTP: statuses of the documented responses, and the anonymous
    // caller refused.
    let host = srv.host();
    let body = public_read_policy("docs").replace("\"*\"", &aws(&other.root_arn()));
    let resp = Request::new("PUT", "/docs?policy")
        .header("content-md5", &md5_b64(body.as_bytes()))
        .body(body.clone())
        .signed(&host)
        .send(&host)
        .await;
    assert_eq!(resp.status, 204, "PutBucketPolicy answers 204: {}", resp.text());
    let resp = Request::new("GET", "/docs?policy").signed(&host).send(&host).await;
    assert_eq!((resp.status, resp.text()), (200, body.clone()));
    let resp = Request::new("GET", "/docs?policyStatus").signed(&host).send(&host).await;
    assert_eq!((resp.status, resp.xml("IsPublic").as_deref()), (200, Some("false")), "{}", resp.text());
    assert_anon_denied("anonymous GetBucketPolicy", &anon(&srv, "GET", "/docs?policy").await);
    assert_anon_denied("anonymous PutBucketPolicy", &Request::new("PUT", "/docs?policy").body(body).send(&host).await);
    assert_anon_denied("anonymous DeleteBucketPolicy", &anon(&srv, "DELETE", "/docs?policy").await);
    let resp = Request::new("DELETE", "/docs?policy").signed(&host).send(&host).await;
    assert_eq!(resp.status, 204, "DeleteBucketPolicy answers 204: {}", resp.text());
    Request::new("GET", "/docs?policy").signed(&host).send(&host).await.assert_error(404, "NoSuchBucketPolicy");
    let resp = Request::new("PUT", "/docs?policy").header("content-md5", &md5_b64(b"[]")).body("[]").signed(&host).send(&host).await;
    resp.assert_error(400, "MalformedPolicy");
}

/// PutBucketPolicy / DeleteBucketPolicy API reference: the bucket owner's root can always
/// get, put and delete the policy, even one that explicitly denies it everything; the
/// deny holds for every other action, and for the owner's users.
#[tokio::test]
async fn the_owner_root_cannot_be_locked_out_of_its_policy() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    root.create_bucket().bucket("vault").send().await.unwrap();
    put(&root, "vault", "k", b"v").await;
    let admin = owner.user(&srv, "admin", Some(S3_ALL)).await;
    let deny_all = policy(&[statement("Deny", r#""*""#, r#""s3:*""#, &bucket_and_objects("vault"), None)]);
    ok("put deny-all", root.put_bucket_policy().bucket("vault").policy(&deny_all).send().await);

    denied("root GetObject", root.get_object().bucket("vault").key("k").send().await);
    denied("root PutObject", root.put_object().bucket("vault").key("n").body(ByteStream::from_static(b"x")).send().await);
    denied("root ListObjectsV2", root.list_objects_v2().bucket("vault").send().await);
    denied("root GetBucketAcl", root.get_bucket_acl().bucket("vault").send().await);
    denied("admin user GetObject", admin.get_object().bucket("vault").key("k").send().await);
    denied("admin user GetBucketPolicy", admin.get_bucket_policy().bucket("vault").send().await);
    denied("admin user DeleteBucketPolicy", admin.delete_bucket_policy().bucket("vault").send().await);

    let got = ok("root GetBucketPolicy", root.get_bucket_policy().bucket("vault").send().await);
    assert_eq!(got.policy(), Some(deny_all.as_str()));
    ok("root PutBucketPolicy", root.put_bucket_policy().bucket("vault").policy(&deny_all).send().await);
    ok("root DeleteBucketPolicy", root.delete_bucket_policy().bucket("vault").send().await);
    ok("root GetObject after the delete", root.get_object().bucket("vault").key("k").send().await);
    ok("admin GetObject after the delete", admin.get_object().bucket("vault").key("k").send().await);
}

/// Get/Put/DeleteBucketPolicy API reference: a caller with the permission that does not
/// belong to the bucket owner's account gets 405 Method Not Allowed.
#[tokio::test]
async fn another_account_allowed_by_the_policy_still_cannot_manage_it() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let other = other_account(&srv, "tenant2").await;
    root.create_bucket().bucket("managed").send().await.unwrap();
    let actions = r#"["s3:GetBucketPolicy","s3:PutBucketPolicy","s3:DeleteBucketPolicy"]"#;
    let doc = policy(&[statement("Allow", &aws(&other.root_arn()), actions, r#""arn:aws:s3:::managed""#, None)]);
    root.put_bucket_policy().bucket("managed").policy(&doc).send().await.unwrap();
    let s3 = other.s3(&srv);
    refused("other GetBucketPolicy", s3.get_bucket_policy().bucket("managed").send().await, 405, "MethodNotAllowed");
    refused("other PutBucketPolicy", s3.put_bucket_policy().bucket("managed").policy(&doc).send().await, 405, "MethodNotAllowed");
    refused("other DeleteBucketPolicy", s3.delete_bucket_policy().bucket("managed").send().await, 405, "MethodNotAllowed");
    assert_eq!(root.get_bucket_policy().bucket("managed").send().await.unwrap().policy(), Some(doc.as_str()));
}

/// A settings write is bound to the bucket it was authorized on: a bucket deleted and
/// created again by another account while the policy's body was still arriving does
/// not get the policy (NoSuchBucket), and neither does the name's new owner's bucket.
#[tokio::test]
async fn a_policy_sent_slowly_does_not_land_on_a_bucket_created_again() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = TestServer::start().await;
    let root = srv.client();
    let other = other_account(&srv, "squatter").await;
    root.create_bucket().bucket("contested").send().await.unwrap();
    let doc = policy(&[statement(
        "Allow",
        &aws(&other.root_arn()),
        r#""s3:*""#,
        r#"["arn:aws:s3:::contested","arn:aws:s3:::contested/*"]"#,
        None,
    )]);
    let host = srv.host();
    let bytes = Request::new("PUT", "/contested?policy").body(doc.clone()).signed(&host).to_bytes(&host);
    let split = bytes.len() - 10;
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    conn.write_all(&bytes[..split]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    root.delete_bucket().bucket("contested").send().await.unwrap();
    let o = other.s3(&srv);
    o.create_bucket().bucket("contested").send().await.unwrap();
    conn.write_all(&bytes[split..]).await.unwrap();
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf).await;
    let resp = common::raw::parse_response(&buf);
    resp.assert_error(404, "NoSuchBucket");
    refused("the new bucket has no policy", o.get_bucket_policy().bucket("contested").send().await, 404, "NoSuchBucketPolicy");
    srv.server.stop().await;
}
