//! ACLs: canned, grant headers, documents, object owners.

use super::*;

// ---------------------------------------------------------------------------------------
// ACLs
// ---------------------------------------------------------------------------------------

/// With ACLs enabled (ObjectWriter, Block Public Access off): canned ACLs on CreateBucket,
/// PutObject, CopyObject and CreateMultipartUpload, and x-amz-grant-* headers with
/// `id=`, `emailAddress=` and `uri=`, are stored and evaluated.
#[tokio::test]
async fn canned_acls_and_grant_headers_are_evaluated() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let other = other_account(&srv, "tenant2").await;
    let other_s3 = other.s3(&srv);
    let other_worker = other.user(&srv, "worker", Some(S3_ALL)).await;
    let other_bare = other.user(&srv, "bare", None).await;
    let body = |b: &'static [u8]| ByteStream::from_static(b);

    // CreateBucket with a grant header (to a fixed account: not public, so allowed while
    // Block Public Access is still on).
    let grant = format!("id=\"{}\"", other.canonical_id);
    let full = format!("id=\"{}\"", owner.canonical_id);
    let create =
        root.create_bucket().bucket("open").object_ownership(ObjectOwnership::ObjectWriter).grant_read(&grant).grant_full_control(&full);
    ok("CreateBucket with grants", create.send().await);
    let acl = root.get_bucket_acl().bucket("open").send().await.unwrap();
    assert!(has_grant(acl.grants(), &other.canonical_id, &Permission::Read), "{:?}", acl.grants());
    assert!(has_grant(acl.grants(), &owner.canonical_id, &Permission::FullControl), "{:?}", acl.grants());
    ok("the granted account lists", other_s3.list_objects_v2().bucket("open").send().await);
    ok("its user with an identity policy lists", other_worker.list_objects_v2().bucket("open").send().await);
    denied("its user without one does not", other_bare.list_objects_v2().bucket("open").send().await);
    assert_anon_denied("anonymous list", &anon(&srv, "GET", "/open?list-type=2").await);
    ok(
        "CreateBucket private canned ACL",
        root.create_bucket()
            .bucket("open-private")
            .object_ownership(ObjectOwnership::ObjectWriter)
            .acl(BucketCannedAcl::Private)
            .send()
            .await,
    );
    root.delete_public_access_block().bucket("open").send().await.unwrap();

    // public-read: the owner FULL_CONTROL and AllUsers READ.
    root.put_object().bucket("open").key("pub").acl(ObjectCannedAcl::PublicRead).body(body(b"public")).send().await.unwrap();
    let acl = root.get_object_acl().bucket("open").key("pub").send().await.unwrap();
    assert_eq!(acl.owner().and_then(Owner::id), Some(owner.canonical_id.as_str()));
    assert!(has_grant(acl.grants(), &owner.canonical_id, &Permission::FullControl), "{:?}", acl.grants());
    assert!(has_grant(acl.grants(), ALL_USERS, &Permission::Read), "{:?}", acl.grants());
    let resp = anon(&srv, "GET", "/open/pub").await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"public"[..]), "{}", resp.text());
    assert_anon_ok("anonymous HEAD", &anon(&srv, "HEAD", "/open/pub").await);
    assert_anon_denied("READ on an object is not WRITE", &anon_put(&srv, "/open/pub", b"overwrite").await);

    // No ACL: private, whatever the bucket's ACL says (bucket READ lists, never reads).
    put(&root, "open", "priv", b"private").await;
    assert_anon_denied("anonymous GET of a private object", &anon(&srv, "GET", "/open/priv").await);
    denied("bucket READ is not object READ", other_s3.get_object().bucket("open").key("priv").send().await);

    // x-amz-grant-read by e-mail address, by canonical id, to a group.
    let by_mail = format!("emailAddress=\"{}\"", other.email);
    root.put_object().bucket("open").key("mail").grant_read(&by_mail).body(body(b"m")).send().await.unwrap();
    ok("grantee by e-mail reads", other_s3.get_object().bucket("open").key("mail").send().await);
    ok("its user with s3:* reads", other_worker.get_object().bucket("open").key("mail").send().await);
    denied("its user without policy does not", other_bare.get_object().bucket("open").key("mail").send().await);
    assert_anon_denied("anonymous on a grant to an account", &anon(&srv, "GET", "/open/mail").await);
    let acl = root.get_object_acl().bucket("open").key("mail").send().await.unwrap();
    assert!(
        has_grant(acl.grants(), &other.canonical_id, &Permission::Read),
        "e-mail grants are stored by canonical id: {:?}",
        acl.grants()
    );
    root.put_object().bucket("open").key("byid").grant_read(&grant).body(body(b"i")).send().await.unwrap();
    ok("grantee by id reads", other_s3.get_object().bucket("open").key("byid").send().await);
    root.put_object()
        .bucket("open")
        .key("authn")
        .grant_read(format!("uri=\"{AUTHENTICATED_USERS}\""))
        .body(body(b"a"))
        .send()
        .await
        .unwrap();
    ok("AuthenticatedUsers: any signed caller", other_s3.get_object().bucket("open").key("authn").send().await);
    assert_anon_denied("AuthenticatedUsers: not anonymous", &anon(&srv, "GET", "/open/authn").await);
    root.put_object().bucket("open").key("group").grant_read(format!("uri=\"{ALL_USERS}\"")).body(body(b"g")).send().await.unwrap();
    assert_anon_ok("AllUsers by uri=", &anon(&srv, "GET", "/open/group").await);
    let unknown =
        root.put_object().bucket("open").key("nobody").grant_read("emailAddress=\"nobody@example.invalid\"").body(body(b"n")).send().await;
    refused("grant to an unknown address", unknown, 400, "UnresolvableGrantByEmailAddress");

    // CopyObject and multipart uploads carry their canned ACL to the new object.
    root.copy_object().bucket("open").key("copied").copy_source("open/priv").acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    let resp = anon(&srv, "GET", "/open/copied").await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"private"[..]), "{}", resp.text());
    let upload = root.create_multipart_upload().bucket("open").key("mp").acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    let id = upload.upload_id().unwrap();
    let part = root.upload_part().bucket("open").key("mp").upload_id(id).part_number(1).body(body(b"multi")).send().await.unwrap();
    let done = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).set_e_tag(part.e_tag().map(str::to_owned)).build())
        .build();
    root.complete_multipart_upload().bucket("open").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    let resp = anon(&srv, "GET", "/open/mp").await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"multi"[..]), "{}", resp.text());

    // A public-read bucket ACL lets anyone list.
    assert_anon_denied("listing before", &anon(&srv, "GET", "/open?list-type=2").await);
    root.put_bucket_acl().bucket("open").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    let resp = anon(&srv, "GET", "/open?list-type=2").await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("<Key>pub</Key>"), "{}", resp.text());
    assert_anon_denied("bucket READ is not READ_ACP", &anon(&srv, "GET", "/open?acl").await);
}

/// Get/PutBucketAcl and Get/PutObjectAcl (with versionId) with AccessControlPolicy
/// documents; a malformed document is 400 MalformedACLError.
#[tokio::test]
async fn acl_documents_for_buckets_and_object_versions() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let other = other_account(&srv, "tenant2").await;
    acl_bucket(&root, "acl-docs", ObjectOwnership::ObjectWriter).await;
    let enabled = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    root.put_bucket_versioning().bucket("acl-docs").versioning_configuration(enabled).send().await.unwrap();
    let v1 = root.put_object().bucket("acl-docs").key("doc").body(ByteStream::from_static(b"one")).send().await.unwrap();
    let v1 = v1.version_id().unwrap().to_owned();
    let v2 = root.put_object().bucket("acl-docs").key("doc").body(ByteStream::from_static(b"two")).send().await.unwrap();
    let v2 = v2.version_id().unwrap().to_owned();

    // The old version made public; the current one stays private.
    let public = acl_doc(
        &owner.canonical_id,
        vec![grant_to_id(&owner.canonical_id, Permission::FullControl), grant_to_group(ALL_USERS, Permission::Read)],
    );
    ok(
        "PutObjectAcl versionId",
        root.put_object_acl().bucket("acl-docs").key("doc").version_id(&v1).access_control_policy(public).send().await,
    );
    let resp = anon(&srv, "GET", &format!("/acl-docs/doc?versionId={v1}")).await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"one"[..]), "{}", resp.text());
    assert_anon_denied("the current version", &anon(&srv, "GET", "/acl-docs/doc").await);
    assert_anon_denied("v2 by id", &anon(&srv, "GET", &format!("/acl-docs/doc?versionId={v2}")).await);
    let acl = root.get_object_acl().bucket("acl-docs").key("doc").version_id(&v1).send().await.unwrap();
    assert!(has_grant(acl.grants(), ALL_USERS, &Permission::Read), "{:?}", acl.grants());
    let acl = root.get_object_acl().bucket("acl-docs").key("doc").send().await.unwrap();
    assert!(!has_grant(acl.grants(), ALL_USERS, &Permission::Read), "{:?}", acl.grants());
    assert!(has_grant(acl.grants(), &owner.canonical_id, &Permission::FullControl), "{:?}", acl.grants());

    // Bucket ACL: AllUsers READ lists, another account's WRITE uploads.
    let doc = acl_doc(
        &owner.canonical_id,
        vec![
            grant_to_id(&owner.canonical_id, Permission::FullControl),
            grant_to_group(ALL_USERS, Permission::Read),
            grant_to_id(&other.canonical_id, Permission::Write),
        ],
    );
    ok("PutBucketAcl document", root.put_bucket_acl().bucket("acl-docs").access_control_policy(doc).send().await);
    let acl = root.get_bucket_acl().bucket("acl-docs").send().await.unwrap();
    assert_eq!(acl.owner().and_then(Owner::id), Some(owner.canonical_id.as_str()));
    assert_eq!(acl.grants().len(), 3, "{:?}", acl.grants());
    assert!(has_grant(acl.grants(), ALL_USERS, &Permission::Read), "{:?}", acl.grants());
    assert!(has_grant(acl.grants(), &other.canonical_id, &Permission::Write), "{:?}", acl.grants());
    assert_anon_ok("anonymous list", &anon(&srv, "GET", "/acl-docs?list-type=2").await);
    assert_anon_denied("READ is not WRITE", &anon_put(&srv, "/acl-docs/anon", b"x").await);
    ok(
        "WRITE grantee uploads",
        other.s3(&srv).put_object().bucket("acl-docs").key("theirs").body(ByteStream::from_static(b"t")).send().await,
    );

    // Malformed documents, raw.
    let host = srv.host();
    let bad = b"<AccessControlPolicy><Owner><ID>x</ID></Owner><AccessControlList><Grant>".to_vec();
    let resp = Request::new("PUT", "/acl-docs?acl").header("content-md5", &md5_b64(&bad)).body(bad).signed(&host).send(&host).await;
    resp.assert_error(400, "MalformedACLError");
    let resp = Request::new("GET", "/acl-docs?acl").signed(&host).send(&host).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains(ALL_USERS), "the refused document changed nothing: {}", resp.text());
}

/// Object Ownership decides who owns what another account uploads: the writer under
/// ObjectWriter (the bucket owner then cannot read it unless granted), the bucket owner
/// under BucketOwnerPreferred when the upload grants it full control, always the bucket
/// owner under BucketOwnerEnforced. Owners show in ListObjectsV2 (fetch-owner),
/// ListObjectVersions, ListMultipartUploads and GetObjectAcl.
#[tokio::test]
async fn object_ownership_decides_who_owns_uploads() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let other = other_account(&srv, "tenant2").await;
    let other_s3 = other.s3(&srv);
    let buckets = [
        ("writer", ObjectOwnership::ObjectWriter),
        ("preferred", ObjectOwnership::BucketOwnerPreferred),
        ("enforced", ObjectOwnership::BucketOwnerEnforced),
    ];
    for (bucket, o) in &buckets {
        root.create_bucket().bucket(*bucket).object_ownership(o.clone()).send().await.unwrap();
        let uploads =
            policy(&[statement("Allow", &aws(&other.root_arn()), r#""s3:PutObject""#, &format!(r#""arn:aws:s3:::{bucket}/*""#), None)]);
        root.put_bucket_policy().bucket(*bucket).policy(uploads).send().await.unwrap();
        put(&root, bucket, "mine", b"m").await;
        ok("plain upload", other_s3.put_object().bucket(*bucket).key("theirs").body(ByteStream::from_static(b"t")).send().await);
        let bofc = other_s3.put_object().bucket(*bucket).key("theirs-bofc").acl(ObjectCannedAcl::BucketOwnerFullControl);
        ok("bucket-owner-full-control upload", bofc.body(ByteStream::from_static(b"f")).send().await);
        other_s3.create_multipart_upload().bucket(*bucket).key("mp-theirs").send().await.unwrap();
    }
    let (me, them) = (owner.canonical_id.as_str(), other.canonical_id.as_str());
    let expected = [
        ("writer", [("mine", me), ("theirs", them), ("theirs-bofc", them)]),
        ("preferred", [("mine", me), ("theirs", them), ("theirs-bofc", me)]),
        ("enforced", [("mine", me), ("theirs", me), ("theirs-bofc", me)]),
    ];
    for (bucket, owners) in expected {
        let listed = root.list_objects_v2().bucket(bucket).fetch_owner(true).send().await.unwrap();
        let got: Vec<(&str, Option<&str>)> = listed.contents().iter().map(|o| (o.key().unwrap(), o.owner().and_then(Owner::id))).collect();
        let want: Vec<(&str, Option<&str>)> = owners.iter().map(|(k, o)| (*k, Some(*o))).collect();
        assert_eq!(got, want, "ListObjectsV2 fetch-owner in {bucket}");
        let listed = root.list_objects_v2().bucket(bucket).send().await.unwrap();
        assert!(listed.contents().iter().all(|o| o.owner().is_none()), "no Owner without fetch-owner in {bucket}");
        let versions = root.list_object_versions().bucket(bucket).send().await.unwrap();
        let got: Vec<(&str, Option<&str>)> =
            versions.versions().iter().map(|v| (v.key().unwrap(), v.owner().and_then(Owner::id))).collect();
        assert_eq!(got, want, "ListObjectVersions in {bucket}");
        let uploads = root.list_multipart_uploads().bucket(bucket).send().await.unwrap();
        let upload = &uploads.uploads()[0];
        assert_eq!(
            upload.initiator().and_then(|i| i.id()),
            Some(them),
            "an account's upload names its canonical id as Initiator ({bucket})"
        );
        let upload_owner = if bucket == "enforced" { me } else { them };
        assert_eq!(upload.owner().and_then(Owner::id), Some(upload_owner), "upload Owner in {bucket}");
    }

    // Under ObjectWriter the bucket owner has no access to an object it does not own
    // unless the object's ACL grants it.
    denied("bucket owner reads another account's object", root.get_object().bucket("writer").key("theirs").send().await);
    ok("bucket owner reads what it was granted", root.get_object().bucket("writer").key("theirs-bofc").send().await);
    let acl = other_s3.get_object_acl().bucket("writer").key("theirs").send().await.unwrap();
    assert_eq!(acl.owner().and_then(Owner::id), Some(them));
    assert!(has_grant(acl.grants(), them, &Permission::FullControl), "{:?}", acl.grants());
    let acl = other_s3.get_object_acl().bucket("writer").key("theirs-bofc").send().await.unwrap();
    assert!(has_grant(acl.grants(), me, &Permission::FullControl), "bucket-owner-full-control grants the bucket owner: {:?}", acl.grants());
    let acl = root.get_object_acl().bucket("enforced").key("theirs").send().await.unwrap();
    assert_owner_only_acl("enforced object ACL", acl.owner(), acl.grants(), me);
    ok("the bucket owner owns it", root.get_object().bucket("enforced").key("theirs").send().await);
}
