//! Anonymous and cross-account requests, policy conditions.

use super::*;

// ---------------------------------------------------------------------------------------
// Anonymous and cross-account requests, conditions
// ---------------------------------------------------------------------------------------

/// Anonymous requests are allowed exactly where a policy or an ACL lets everyone in, and
/// refused 403 AccessDenied (never 401) everywhere else, ListBuckets included.
#[tokio::test]
async fn anonymous_requests_are_refused_unless_granted() {
    let srv = TestServer::start().await;
    let root = srv.client();
    root.create_bucket().bucket("private").send().await.unwrap();
    put(&root, "private", "k", b"secret").await;
    root.create_bucket().bucket("site").send().await.unwrap();
    root.delete_public_access_block().bucket("site").send().await.unwrap();
    put(&root, "site", "index.html", b"<h1>hi</h1>").await;
    root.put_bucket_policy().bucket("site").policy(public_read_policy("site")).send().await.unwrap();

    let refused_everywhere = [
        ("ListBuckets", "GET", "/"),
        ("GetObject", "GET", "/private/k"),
        ("HeadObject", "HEAD", "/private/k"),
        ("ListObjectsV2", "GET", "/private?list-type=2"),
        ("ListObjects", "GET", "/private"),
        ("HeadBucket", "HEAD", "/private"),
        ("GetBucketAcl", "GET", "/private?acl"),
        ("GetObjectAcl", "GET", "/private/k?acl"),
        ("GetBucketPolicy", "GET", "/private?policy"),
        ("DeleteObject", "DELETE", "/private/k"),
        ("DeleteBucket", "DELETE", "/private"),
        ("CreateBucket", "PUT", "/anon-bucket"),
        ("list of the public-read site (GetObject only)", "GET", "/site?list-type=2"),
        ("DeleteObject in the site", "DELETE", "/site/index.html"),
    ];
    for (what, method, target) in refused_everywhere {
        assert_anon_denied(what, &anon(&srv, method, target).await);
    }
    assert_anon_denied("PutObject", &anon_put(&srv, "/private/new", b"x").await);
    assert_anon_denied("PutObject in the site", &anon_put(&srv, "/site/new", b"x").await);
    assert!(root.head_object().bucket("private").key("k").send().await.is_ok(), "the refused DELETE deleted nothing");
    assert!(root.head_object().bucket("private").key("new").send().await.is_err(), "the refused PUT stored nothing");
    assert!(root.head_bucket().bucket("anon-bucket").send().await.is_err(), "no bucket was created");

    let resp = anon(&srv, "GET", "/site/index.html").await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"<h1>hi</h1>"[..]), "{}", resp.text());
    assert_anon_ok("HEAD of a public object", &anon(&srv, "HEAD", "/site/index.html").await);
}

/// "How Amazon S3 authorizes a request": another account's root needs the bucket
/// owner's permission; its users need that and their own account's (identity policy),
/// even when the bucket policy names them.
#[tokio::test]
async fn another_account_needs_the_bucket_policy_and_its_own_policy() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let other = other_account(&srv, "tenant2").await;
    root.create_bucket().bucket("shared").send().await.unwrap();
    put(&root, "shared", "k", b"v").await;
    let doc = policy(&[
        statement("Allow", &aws(&other.root_arn()), r#""s3:GetObject""#, r#""arn:aws:s3:::shared/*""#, None),
        statement(
            "Allow",
            &format!(r#"{{"AWS":["{}","{}"]}}"#, other.user_arn("lister"), other.user_arn("named-bare")),
            r#""s3:ListBucket""#,
            r#""arn:aws:s3:::shared""#,
            None,
        ),
    ]);
    let read_shared =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#;
    let reader = other.user(&srv, "reader", Some(read_shared)).await;
    let bare = other.user(&srv, "bare", None).await;
    let lister = other.user(&srv, "lister", Some(S3_ALL)).await;
    let named_bare = other.user(&srv, "named-bare", None).await;
    // Named principals must exist when the policy is put (S3: "Invalid principal").
    root.put_bucket_policy().bucket("shared").policy(doc).send().await.unwrap();
    let other_root = other.s3(&srv);

    ok("other root: the policy allows its account", other_root.get_object().bucket("shared").key("k").send().await);
    denied("other root: ListBucket is granted to two users only", other_root.list_objects_v2().bucket("shared").send().await);
    denied(
        "other root: nothing allows PutObject",
        other_root.put_object().bucket("shared").key("n").body(ByteStream::from_static(b"x")).send().await,
    );
    ok("user allowed by both sides", reader.get_object().bucket("shared").key("k").send().await);
    denied("user without an identity policy", bare.get_object().bucket("shared").key("k").send().await);
    ok("named user with an identity policy lists", lister.list_objects_v2().bucket("shared").send().await);
    ok("and reads (its account is allowed)", lister.get_object().bucket("shared").key("k").send().await);
    denied("named user without an identity policy", named_bare.list_objects_v2().bucket("shared").send().await);
    denied("reader: its policy does not allow ListBucket", reader.list_objects_v2().bucket("shared").send().await);
}

/// Condition keys in bucket policies: aws:SourceIp, aws:SecureTransport (always "false"
/// over plain HTTP), s3:x-amz-acl, s3:x-amz-server-side-encryption, s3:prefix.
#[tokio::test]
async fn bucket_policy_conditions_are_evaluated() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let other = other_account(&srv, "tenant2").await;
    let other_s3 = other.s3(&srv);
    let admin = owner.user(&srv, "admin", Some(S3_ALL)).await;
    let body = || ByteStream::from_static(b"x");

    // aws:SourceIp: "*" from fixed CIDRs is not public (allowed under Block Public
    // Access, which stays on) and lets anonymous callers from there in.
    root.create_bucket().bucket("by-ip").send().await.unwrap();
    put(&root, "by-ip", "k", b"v").await;
    let from = |cidr: &str| {
        let condition = format!(r#"{{"IpAddress":{{"aws:SourceIp":"{cidr}"}}}}"#);
        policy(&[statement("Allow", r#""*""#, r#""s3:GetObject""#, r#""arn:aws:s3:::by-ip/*""#, Some(condition.as_str()))])
    };
    ok("loopback policy", root.put_bucket_policy().bucket("by-ip").policy(from("127.0.0.0/8")).send().await);
    assert_anon_ok("anonymous from 127.0.0.1", &anon(&srv, "GET", "/by-ip/k").await);
    ok("TEST-NET policy", root.put_bucket_policy().bucket("by-ip").policy(from("192.0.2.0/24")).send().await);
    assert_anon_denied("anonymous from outside the CIDR", &anon(&srv, "GET", "/by-ip/k").await);

    // aws:SecureTransport "false": the user guide's HTTPS-only policy denies every plain
    // HTTP request, the owner's root included, except the root's policy operations.
    root.create_bucket().bucket("tls-only").send().await.unwrap();
    put(&root, "tls-only", "k", b"v").await;
    let tls = policy(&[statement(
        "Deny",
        r#""*""#,
        r#""s3:*""#,
        &bucket_and_objects("tls-only"),
        Some(r#"{"Bool":{"aws:SecureTransport":"false"}}"#),
    )]);
    ok("HTTPS-only policy", root.put_bucket_policy().bucket("tls-only").policy(&tls).send().await);
    denied("root GET over HTTP", root.get_object().bucket("tls-only").key("k").send().await);
    denied("root PUT over HTTP", root.put_object().bucket("tls-only").key("n").body(body()).send().await);
    denied("root list over HTTP", root.list_objects_v2().bucket("tls-only").send().await);
    denied("admin user GET over HTTP", admin.get_object().bucket("tls-only").key("k").send().await);
    ok("root reads the policy", root.get_bucket_policy().bucket("tls-only").send().await);
    ok("root deletes the policy", root.delete_bucket_policy().bucket("tls-only").send().await);
    ok("root GET once deleted", root.get_object().bucket("tls-only").key("k").send().await);

    // s3:x-amz-server-side-encryption: the SSE-S3 page's policy refuses an unencrypted
    // PUT; with the header the deny does not apply, and the object is stored encrypted.
    root.create_bucket().bucket("sse-only").send().await.unwrap();
    let sse = policy(&[
        statement(
            "Deny",
            r#""*""#,
            r#""s3:PutObject""#,
            r#""arn:aws:s3:::sse-only/*""#,
            Some(r#"{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"#),
        ),
        statement(
            "Deny",
            r#""*""#,
            r#""s3:PutObject""#,
            r#""arn:aws:s3:::sse-only/*""#,
            Some(r#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#),
        ),
    ]);
    ok("deny-unencrypted policy", root.put_bucket_policy().bucket("sse-only").policy(&sse).send().await);
    denied("unencrypted PUT", root.put_object().bucket("sse-only").key("k").body(body()).send().await);
    let encrypted =
        root.put_object().bucket("sse-only").key("k").server_side_encryption(ServerSideEncryption::Aes256).body(body()).send().await;
    ok("SSE-S3 PUT passes the policy", encrypted);

    // s3:x-amz-acl: the user guide's cross-account upload policy requiring
    // bucket-owner-full-control.
    root.create_bucket().bucket("dropbox").send().await.unwrap();
    let condition = r#"{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}"#;
    let dropbox =
        policy(&[statement("Allow", &aws(&other.root_arn()), r#""s3:PutObject""#, r#""arn:aws:s3:::dropbox/*""#, Some(condition))]);
    ok("dropbox policy", root.put_bucket_policy().bucket("dropbox").policy(&dropbox).send().await);
    let with_acl = other_s3.put_object().bucket("dropbox").key("a").acl(ObjectCannedAcl::BucketOwnerFullControl).body(body()).send().await;
    ok("upload with bucket-owner-full-control", with_acl);
    denied("upload without x-amz-acl", other_s3.put_object().bucket("dropbox").key("b").body(body()).send().await);
    denied(
        "upload with another ACL",
        other_s3.put_object().bucket("dropbox").key("c").acl(ObjectCannedAcl::Private).body(body()).send().await,
    );
    ok("the bucket owner reads the upload", root.get_object().bucket("dropbox").key("a").send().await);

    // s3:prefix: listing allowed under one prefix only.
    root.create_bucket().bucket("by-prefix").send().await.unwrap();
    for key in ["public/a", "private/b"] {
        put(&root, "by-prefix", key, b"v").await;
    }
    let condition = r#"{"StringEquals":{"s3:prefix":"public/"}}"#;
    let doc = policy(&[statement("Allow", &aws(&other.root_arn()), r#""s3:ListBucket""#, r#""arn:aws:s3:::by-prefix""#, Some(condition))]);
    ok("prefix policy", root.put_bucket_policy().bucket("by-prefix").policy(&doc).send().await);
    let listed = ok("list public/", other_s3.list_objects_v2().bucket("by-prefix").prefix("public/").send().await);
    assert_eq!(listed.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), vec!["public/a"]);
    denied("list without prefix", other_s3.list_objects_v2().bucket("by-prefix").send().await);
    denied("list private/", other_s3.list_objects_v2().bucket("by-prefix").prefix("private/").send().await);
}
