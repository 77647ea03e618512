//! What the other modules leave out: `s3:ExistingObjectTag` and `s3:if-match` in bucket
//! policies (the user guide's conditional-delete enforcement), copies across accounts
//! (the source is read with the caller's identity), and ACLs and owners of multipart
//! uploads.

use super::*;

/// `s3:ExistingObjectTag/<key>` in a bucket policy: another account may read only the
/// objects tagged for it.
#[tokio::test]
async fn existing_object_tags_gate_a_cross_account_read() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let partner = other_account(&srv, "tags-partner").await;
    root.create_bucket().bucket("tagged").send().await.unwrap();
    root.put_object().bucket("tagged").key("shared").tagging("share=partner").body(ByteStream::from_static(b"s")).send().await.unwrap();
    root.put_object().bucket("tagged").key("internal").tagging("share=no").body(ByteStream::from_static(b"i")).send().await.unwrap();
    let condition = r#"{"StringEquals":{"s3:ExistingObjectTag/share":"partner"}}"#;
    let doc = policy(&[statement("Allow", &aws(&partner.root_arn()), r#""s3:GetObject""#, r#""arn:aws:s3:::tagged/*""#, Some(condition))]);
    root.put_bucket_policy().bucket("tagged").policy(doc).send().await.unwrap();
    let p = partner.s3(&srv);
    let got = ok("tagged object", p.get_object().bucket("tagged").key("shared").send().await);
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"s");
    denied("object tagged otherwise", p.get_object().bucket("tagged").key("internal").send().await);
    // Retagging moves the object out of reach at once.
    root.put_object_tagging()
        .bucket("tagged")
        .key("shared")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(aws_sdk_s3::types::Tag::builder().key("share").value("no").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    denied("object retagged", p.get_object().bucket("tagged").key("shared").send().await);
    // The tags tested are the copy source's, not the destination's: a destination the
    // partner tagged `share=partner` itself does not open the source.
    p.create_bucket().bucket("partner-own").send().await.unwrap();
    p.put_object().bucket("partner-own").key("bait").tagging("share=partner").body(ByteStream::from_static(b"x")).send().await.unwrap();
    denied(
        "copy of an untagged source onto a tagged key",
        p.copy_object().bucket("partner-own").key("bait").copy_source("tagged/internal").send().await,
    );
    srv.server.stop().await;
}

/// A bucket policy naming the owner's own account delegates to the account: its users
/// still need an identity policy; one naming a user lets that user in.
#[tokio::test]
async fn a_policy_naming_the_own_account_does_not_open_it_to_every_user() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    root.create_bucket().bucket("own").send().await.unwrap();
    put(&root, "own", "k", b"v").await;
    let bare = owner.user(&srv, "bare", None).await;
    let named = owner.user(&srv, "named", None).await;
    let doc = policy(&[
        statement("Allow", &aws(&owner.root_arn()), r#""s3:GetObject""#, r#""arn:aws:s3:::own/*""#, None),
        statement("Allow", &aws(&owner.user_arn("named")), r#""s3:GetObject""#, r#""arn:aws:s3:::own/*""#, None),
    ]);
    root.put_bucket_policy().bucket("own").policy(doc).send().await.unwrap();
    denied("user of the named account, no identity policy", bare.get_object().bucket("own").key("k").send().await);
    ok("user named by ARN", named.get_object().bucket("own").key("k").send().await);
    srv.server.stop().await;
}

/// Writes that set an ACL or tags need `s3:PutObjectAcl` / `s3:PutObjectTagging` beyond
/// `s3:PutObject`, as S3 documents: an anonymous drop box cannot publish what it drops,
/// and a user allowed only PutObject cannot tag.
#[tokio::test]
async fn acls_and_tags_on_writes_need_their_own_permissions() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    acl_bucket(&root, "dropbox", ObjectOwnership::ObjectWriter).await;
    let doc = policy(&[statement("Allow", r#""*""#, r#""s3:PutObject""#, r#""arn:aws:s3:::dropbox/*""#, None)]);
    root.put_bucket_policy().bucket("dropbox").policy(doc).send().await.unwrap();
    assert_anon_ok("anonymous drop", &anon_put(&srv, "/dropbox/plain", b"p").await);
    let published = Request::new("PUT", "/dropbox/public").header("x-amz-acl", "public-read").body(b"x".to_vec()).send(&srv.host()).await;
    assert_anon_denied("anonymous drop with public-read", &published);
    assert_anon_denied("nothing was stored", &anon(&srv, "HEAD", "/dropbox/public").await);
    let writer = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::dropbox/*"}]}"#;
    let w = owner.user(&srv, "writer", Some(writer)).await;
    ok("put without tags", w.put_object().bucket("dropbox").key("w1").body(ByteStream::from_static(b"1")).send().await);
    denied("put with tags", w.put_object().bucket("dropbox").key("w2").tagging("a=b").body(ByteStream::from_static(b"2")).send().await);
    assert!(root.head_object().bucket("dropbox").key("w2").send().await.is_err());
    srv.server.stop().await;
}

/// Anonymous GETs cannot override response headers (S3: "These parameters cannot be
/// used with an unsigned (anonymous) request"): no serving a public text file as HTML.
#[tokio::test]
async fn anonymous_gets_cannot_override_response_headers() {
    let srv = TestServer::start().await;
    let root = srv.client();
    root.create_bucket().bucket("pub").send().await.unwrap();
    root.delete_public_access_block().bucket("pub").send().await.unwrap();
    root.put_bucket_policy().bucket("pub").policy(public_read_policy("pub")).send().await.unwrap();
    put(&root, "pub", "note.txt", b"<script>").await;
    assert_anon_ok("plain anonymous GET", &anon(&srv, "GET", "/pub/note.txt").await);
    let resp = anon(&srv, "GET", "/pub/note.txt?response-content-type=text%2Fhtml").await;
    resp.assert_error(400, "InvalidRequest");
    srv.server.stop().await;
}

/// The user guide's "enforce conditional deletes" policy: a Deny of s3:DeleteObject when
/// `s3:if-match` is absent (`Null: true`). A delete without If-Match is refused, one with
/// the current ETag deletes, one with another ETag is 412.
#[tokio::test]
async fn a_bucket_policy_can_require_conditional_deletes() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let worker = owner.user(&srv, "deleter", Some(S3_ALL)).await;
    root.create_bucket().bucket("careful").send().await.unwrap();
    put(&root, "careful", "k", b"v1").await;
    let condition = r#"{"Null":{"s3:if-match":"true"}}"#;
    let doc = policy(&[statement("Deny", r#""*""#, r#""s3:DeleteObject""#, r#""arn:aws:s3:::careful/*""#, Some(condition))]);
    root.put_bucket_policy().bucket("careful").policy(doc).send().await.unwrap();
    denied("delete without If-Match", worker.delete_object().bucket("careful").key("k").send().await);
    denied("root delete without If-Match", root.delete_object().bucket("careful").key("k").send().await);
    let etag = root.head_object().bucket("careful").key("k").send().await.unwrap().e_tag().unwrap().to_owned();
    refused(
        "delete with a stale ETag",
        worker.delete_object().bucket("careful").key("k").if_match("\"0000\"").send().await,
        412,
        "PreconditionFailed",
    );
    assert!(root.head_object().bucket("careful").key("k").send().await.is_ok(), "nothing deleted yet");
    ok("delete with the ETag", worker.delete_object().bucket("careful").key("k").if_match(etag).send().await);
    assert!(root.head_object().bucket("careful").key("k").send().await.is_err(), "deleted");
    // DeleteObjects: each entry's <ETag> is its s3:if-match; an If-Match header on the
    // request does not stand in for it.
    put(&root, "careful", "m", b"m").await;
    let etag = root.head_object().bucket("careful").key("m").send().await.unwrap().e_tag().unwrap().to_owned();
    let entry = |etag: Option<&str>| {
        let mut o = aws_sdk_s3::types::ObjectIdentifier::builder().key("m");
        if let Some(e) = etag {
            o = o.e_tag(e);
        }
        aws_sdk_s3::types::Delete::builder().objects(o.build().unwrap()).build().unwrap()
    };
    let out = worker
        .delete_objects()
        .bucket("careful")
        .delete(entry(None))
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("if-match", "\"whatever\"");
        })
        .send()
        .await
        .unwrap();
    assert_eq!(out.errors().first().and_then(|e| e.code()), Some("AccessDenied"), "{out:?}");
    assert!(root.head_object().bucket("careful").key("m").send().await.is_ok(), "an entry without ETag deletes nothing");
    let out = worker.delete_objects().bucket("careful").delete(entry(Some(&etag))).send().await.unwrap();
    assert!(out.errors().is_empty(), "{out:?}");
    assert!(root.head_object().bucket("careful").key("m").send().await.is_err(), "deleted with its ETag");
    srv.server.stop().await;
}

/// CopyObject and UploadPartCopy read the source with the caller's identity: another
/// account copies out of a bucket only where that bucket's policy lets it read, and into
/// its own bucket.
#[tokio::test]
async fn copies_read_the_source_with_the_callers_identity() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let partner = other_account(&srv, "copy-partner").await;
    let p = partner.s3(&srv);
    root.create_bucket().bucket("source").send().await.unwrap();
    put(&root, "source", "open/a", &vec![7u8; 6 << 20]).await;
    put(&root, "source", "closed/b", b"b").await;
    p.create_bucket().bucket("partner-dest").send().await.unwrap();
    denied("copy before any policy", p.copy_object().bucket("partner-dest").key("a").copy_source("source/open/a").send().await);
    let doc = policy(&[statement("Allow", &aws(&partner.root_arn()), r#""s3:GetObject""#, r#""arn:aws:s3:::source/open/*""#, None)]);
    root.put_bucket_policy().bucket("source").policy(doc).send().await.unwrap();
    ok("copy of a shared object", p.copy_object().bucket("partner-dest").key("a").copy_source("source/open/a").send().await);
    denied("copy of an unshared object", p.copy_object().bucket("partner-dest").key("b").copy_source("source/closed/b").send().await);
    // Reading is not writing: the partner cannot copy into the source bucket.
    denied("copy into the owner's bucket", p.copy_object().bucket("source").key("open/c").copy_source("source/open/a").send().await);
    // UploadPartCopy follows the same rule.
    let up = p.create_multipart_upload().bucket("partner-dest").key("mp").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = ok(
        "part copy of a shared object",
        p.upload_part_copy().bucket("partner-dest").key("mp").upload_id(id).part_number(1).copy_source("source/open/a").send().await,
    );
    denied(
        "part copy of an unshared object",
        p.upload_part_copy().bucket("partner-dest").key("mp").upload_id(id).part_number(2).copy_source("source/closed/b").send().await,
    );
    let etag = part.copy_part_result().and_then(|r| r.e_tag()).unwrap().to_owned();
    let done = CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(etag).build()).build();
    ok("complete", p.complete_multipart_upload().bucket("partner-dest").key("mp").upload_id(id).multipart_upload(done).send().await);
    let head = p.head_object().bucket("partner-dest").key("mp").send().await.unwrap();
    assert_eq!(head.content_length(), Some(6 << 20));
    srv.server.stop().await;
}

/// An ACL given at CreateMultipartUpload is the completed object's; ListMultipartUploads
/// reports the initiator (a canonical id for a root, an ARN for a user) and the owner the
/// object will have.
#[tokio::test]
async fn multipart_uploads_carry_their_acl_and_owner() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let partner = other_account(&srv, "mp-partner").await;
    acl_bucket(&root, "mp-acl", ObjectOwnership::ObjectWriter).await;
    let up = root.create_multipart_upload().bucket("mp-acl").key("pub").acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    let id = up.upload_id().unwrap().to_owned();
    // The partner may write (bucket ACL grants it WRITE) and starts an upload of its own.
    root.put_bucket_acl()
        .bucket("mp-acl")
        .access_control_policy(acl_doc(
            &owner.canonical_id,
            vec![grant_to_id(&owner.canonical_id, Permission::FullControl), grant_to_id(&partner.canonical_id, Permission::Write)],
        ))
        .send()
        .await
        .unwrap();
    let p = partner.s3(&srv);
    p.create_multipart_upload().bucket("mp-acl").key("theirs").send().await.unwrap();
    let listed = root.list_multipart_uploads().bucket("mp-acl").send().await.unwrap();
    for u in listed.uploads() {
        let (initiator, upload_owner) = (u.initiator().and_then(|i| i.id()), u.owner().and_then(|o| o.id()));
        match u.key() {
            Some("pub") => {
                assert_eq!(initiator, Some(owner.canonical_id.as_str()));
                assert_eq!(upload_owner, Some(owner.canonical_id.as_str()));
            }
            Some("theirs") => {
                assert_eq!(initiator, Some(partner.canonical_id.as_str()));
                assert_eq!(upload_owner, Some(partner.canonical_id.as_str()), "ObjectWriter: the writer will own it");
            }
            other => panic!("unexpected upload {other:?}"),
        }
    }
    let part = root
        .upload_part()
        .bucket("mp-acl")
        .key("pub")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let done =
        CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build()).build();
    root.complete_multipart_upload().bucket("mp-acl").key("pub").upload_id(&id).multipart_upload(done).send().await.unwrap();
    let acl = root.get_object_acl().bucket("mp-acl").key("pub").send().await.unwrap();
    assert!(has_grant(acl.grants(), ALL_USERS, &Permission::Read), "{acl:?}");
    assert_anon_ok("anonymous GET of the completed public-read object", &anon(&srv, "GET", "/mp-acl/pub").await);
    srv.server.stop().await;
}
