//! New buckets, Block Public Access and Object Ownership.

use super::*;

// ---------------------------------------------------------------------------------------
// New buckets, Block Public Access, Object Ownership
// ---------------------------------------------------------------------------------------

/// Since April 2023 a new bucket has Object Ownership BucketOwnerEnforced (ACLs off) and
/// all four Block Public Access settings on; reads of its ACLs answer the owner with
/// FULL_CONTROL; a public policy is refused.
#[tokio::test]
async fn new_buckets_enforce_bucket_ownership_and_block_public_access() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    root.create_bucket().bucket("fresh").send().await.unwrap();
    put(&root, "fresh", "k", b"v").await;

    let got = ok("GetPublicAccessBlock", root.get_public_access_block().bucket("fresh").send().await);
    let c = got.public_access_block_configuration().expect("a configuration");
    let settings = (c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets());
    assert_eq!(settings, (Some(true), Some(true), Some(true), Some(true)));
    let got = ok("GetBucketOwnershipControls", root.get_bucket_ownership_controls().bucket("fresh").send().await);
    let rules = got.ownership_controls().map(OwnershipControls::rules).unwrap_or_default();
    assert_eq!(rules.iter().map(|r| r.object_ownership().clone()).collect::<Vec<_>>(), vec![ObjectOwnership::BucketOwnerEnforced]);

    let acl = ok("GetBucketAcl", root.get_bucket_acl().bucket("fresh").send().await);
    assert_owner_only_acl("bucket ACL", acl.owner(), acl.grants(), &owner.canonical_id);
    let acl = ok("GetObjectAcl", root.get_object_acl().bucket("fresh").key("k").send().await);
    assert_owner_only_acl("object ACL", acl.owner(), acl.grants(), &owner.canonical_id);

    denied("public policy", root.put_bucket_policy().bucket("fresh").policy(public_read_policy("fresh")).send().await);
    refused("nothing was stored", root.get_bucket_policy().bucket("fresh").send().await, 404, "NoSuchBucketPolicy");
    assert_anon_denied("anonymous GET of a new bucket's object", &anon(&srv, "GET", "/fresh/k").await);
}

#[tokio::test]
async fn public_access_block_and_ownership_controls_are_configurable() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let other = other_account(&srv, "tenant2").await;
    root.create_bucket().bucket("cfg").send().await.unwrap();

    ok(
        "PutPublicAccessBlock",
        root.put_public_access_block()
            .bucket("cfg")
            .public_access_block_configuration(pab(&[PabSetting::BlockPublicAcls, PabSetting::RestrictPublicBuckets]))
            .send()
            .await,
    );
    let got = root.get_public_access_block().bucket("cfg").send().await.unwrap();
    let c = got.public_access_block_configuration().unwrap();
    let settings = (c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets());
    assert_eq!(settings, (Some(true), Some(false), Some(false), Some(true)));
    denied("other account reads it", other.s3(&srv).get_public_access_block().bucket("cfg").send().await);
    let resp = Request::new("DELETE", "/cfg?publicAccessBlock").signed(&srv.host()).send(&srv.host()).await;
    assert_eq!(resp.status, 204, "DeletePublicAccessBlock answers 204: {}", resp.text());
    refused("deleted", root.get_public_access_block().bucket("cfg").send().await, 404, "NoSuchPublicAccessBlockConfiguration");

    ok(
        "PutBucketOwnershipControls",
        root.put_bucket_ownership_controls().bucket("cfg").ownership_controls(ownership(ObjectOwnership::ObjectWriter)).send().await,
    );
    let got = root.get_bucket_ownership_controls().bucket("cfg").send().await.unwrap();
    assert_eq!(got.ownership_controls().unwrap().rules()[0].object_ownership(), &ObjectOwnership::ObjectWriter);
    let resp = Request::new("DELETE", "/cfg?ownershipControls").signed(&srv.host()).send(&srv.host()).await;
    assert_eq!(resp.status, 204, "DeleteBucketOwnershipControls answers 204: {}", resp.text());
    refused("deleted controls", root.get_bucket_ownership_controls().bucket("cfg").send().await, 404, "OwnershipControlsNotFoundError");
    // Without ownership controls a bucket behaves as ObjectWriter: ACLs are accepted and
    // evaluated (Block Public Access is off here).
    ok(
        "public-read without controls",
        root.put_object().bucket("cfg").key("pub").acl(ObjectCannedAcl::PublicRead).body(ByteStream::from_static(b"p")).send().await,
    );
    assert_anon_ok("anonymous GET of a public-read object", &anon(&srv, "GET", "/cfg/pub").await);

    // x-amz-object-ownership on CreateBucket.
    for (bucket, o) in [
        ("ow-writer", ObjectOwnership::ObjectWriter),
        ("ow-preferred", ObjectOwnership::BucketOwnerPreferred),
        ("ow-enforced", ObjectOwnership::BucketOwnerEnforced),
    ] {
        ok(bucket, root.create_bucket().bucket(bucket).object_ownership(o.clone()).send().await);
        let got = root.get_bucket_ownership_controls().bucket(bucket).send().await.unwrap();
        assert_eq!(got.ownership_controls().unwrap().rules()[0].object_ownership(), &o, "{bucket}");
    }
}

/// Object Ownership "Troubleshooting": under BucketOwnerEnforced, a request setting any
/// ACL but the owner-only ones fails 400 AccessControlListNotSupported; CreateBucket with
/// an ACL that grants others fails 400 InvalidBucketAclWithObjectOwnership. Block Public
/// Access is off here so that only Object Ownership can refuse.
#[tokio::test]
async fn bucket_owner_enforced_refuses_acls() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let other = other_account(&srv, "tenant2").await;
    root.create_bucket().bucket("enforced").send().await.unwrap();
    root.delete_public_access_block().bucket("enforced").send().await.unwrap();
    put(&root, "enforced", "k", b"v").await;
    let body = || ByteStream::from_static(b"x");
    let not_supported = "AccessControlListNotSupported";

    ok("x-amz-acl private", root.put_object().bucket("enforced").key("a").acl(ObjectCannedAcl::Private).body(body()).send().await);
    ok(
        "bucket-owner-full-control",
        root.put_object().bucket("enforced").key("b").acl(ObjectCannedAcl::BucketOwnerFullControl).body(body()).send().await,
    );
    refused(
        "PutObject public-read",
        root.put_object().bucket("enforced").key("c").acl(ObjectCannedAcl::PublicRead).body(body()).send().await,
        400,
        not_supported,
    );
    let grant = format!("id=\"{}\"", other.canonical_id);
    refused(
        "PutObject x-amz-grant-read",
        root.put_object().bucket("enforced").key("d").grant_read(&grant).body(body()).send().await,
        400,
        not_supported,
    );
    refused(
        "CopyObject public-read",
        root.copy_object().bucket("enforced").key("e").copy_source("enforced/k").acl(ObjectCannedAcl::PublicRead).send().await,
        400,
        not_supported,
    );
    refused(
        "CreateMultipartUpload public-read",
        root.create_multipart_upload().bucket("enforced").key("f").acl(ObjectCannedAcl::PublicRead).send().await,
        400,
        not_supported,
    );
    refused(
        "PutObjectAcl public-read",
        root.put_object_acl().bucket("enforced").key("k").acl(ObjectCannedAcl::PublicRead).send().await,
        400,
        not_supported,
    );
    refused(
        "PutBucketAcl public-read",
        root.put_bucket_acl().bucket("enforced").acl(BucketCannedAcl::PublicRead).send().await,
        400,
        not_supported,
    );
    for key in ["c", "d", "e", "f"] {
        assert!(root.head_object().bucket("enforced").key(key).send().await.is_err(), "refused {key} stored nothing");
    }
    assert_anon_denied("k stayed private", &anon(&srv, "GET", "/enforced/k").await);

    let bad = "InvalidBucketAclWithObjectOwnership";
    refused(
        "CreateBucket public-read (default ownership)",
        root.create_bucket().bucket("acl-new").acl(BucketCannedAcl::PublicRead).send().await,
        400,
        bad,
    );
    let explicit =
        root.create_bucket().bucket("acl-new").acl(BucketCannedAcl::PublicRead).object_ownership(ObjectOwnership::BucketOwnerEnforced);
    refused("CreateBucket public-read, BucketOwnerEnforced", explicit.send().await, 400, bad);
    assert!(root.head_bucket().bucket("acl-new").send().await.is_err(), "no bucket was created");
}

/// PublicAccessBlockConfiguration: each of the four settings on its own.
#[tokio::test]
async fn each_block_public_access_setting_does_its_part() {
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let other = other_account(&srv, "tenant2").await;
    let body = || ByteStream::from_static(b"x");

    // BlockPublicAcls: PUTs carrying a public ACL (AllUsers or AuthenticatedUsers) fail
    // 403; private ACLs and grants to a fixed account pass.
    acl_bucket(&root, "block-acls", ObjectOwnership::ObjectWriter).await;
    root.put_public_access_block()
        .bucket("block-acls")
        .public_access_block_configuration(pab(&[PabSetting::BlockPublicAcls]))
        .send()
        .await
        .unwrap();
    put(&root, "block-acls", "k", b"v").await;
    let b = "block-acls";
    denied("PutObject public-read", root.put_object().bucket(b).key("p1").acl(ObjectCannedAcl::PublicRead).body(body()).send().await);
    denied(
        "PutObject authenticated-read",
        root.put_object().bucket(b).key("p2").acl(ObjectCannedAcl::AuthenticatedRead).body(body()).send().await,
    );
    denied(
        "PutObject grant AllUsers",
        root.put_object().bucket(b).key("p3").grant_read(format!("uri=\"{ALL_USERS}\"")).body(body()).send().await,
    );
    denied(
        "PutObject grant AuthenticatedUsers",
        root.put_object().bucket(b).key("p4").grant_read(format!("uri=\"{AUTHENTICATED_USERS}\"")).body(body()).send().await,
    );
    denied("PutObjectAcl public-read", root.put_object_acl().bucket(b).key("k").acl(ObjectCannedAcl::PublicRead).send().await);
    denied("PutBucketAcl public-read", root.put_bucket_acl().bucket(b).acl(BucketCannedAcl::PublicRead).send().await);
    let doc = acl_doc(
        &owner.canonical_id,
        vec![grant_to_id(&owner.canonical_id, Permission::FullControl), grant_to_group(ALL_USERS, Permission::Read)],
    );
    denied("PutObjectAcl document granting AllUsers", root.put_object_acl().bucket(b).key("k").access_control_policy(doc).send().await);
    ok("PutObject private", root.put_object().bucket(b).key("p5").acl(ObjectCannedAcl::Private).body(body()).send().await);
    let to_other = format!("id=\"{}\"", other.canonical_id);
    ok("PutObject granting one account", root.put_object().bucket(b).key("p6").grant_read(&to_other).body(body()).send().await);
    ok("the granted account reads", other.s3(&srv).get_object().bucket(b).key("p6").send().await);
    assert_anon_denied("k stayed private", &anon(&srv, "GET", "/block-acls/k").await);

    // IgnorePublicAcls: public grants stay stored but no longer count.
    acl_bucket(&root, "ignore-acls", ObjectOwnership::ObjectWriter).await;
    root.put_object().bucket("ignore-acls").key("pub").acl(ObjectCannedAcl::PublicRead).body(body()).send().await.unwrap();
    root.put_bucket_acl().bucket("ignore-acls").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    assert_anon_ok("public object before", &anon(&srv, "GET", "/ignore-acls/pub").await);
    assert_anon_ok("public listing before", &anon(&srv, "GET", "/ignore-acls?list-type=2").await);
    root.put_public_access_block()
        .bucket("ignore-acls")
        .public_access_block_configuration(pab(&[PabSetting::IgnorePublicAcls]))
        .send()
        .await
        .unwrap();
    assert_anon_denied("public object ignored", &anon(&srv, "GET", "/ignore-acls/pub").await);
    assert_anon_denied("public listing ignored", &anon(&srv, "GET", "/ignore-acls?list-type=2").await);
    let acl = root.get_object_acl().bucket("ignore-acls").key("pub").send().await.unwrap();
    assert!(has_grant(acl.grants(), ALL_USERS, &Permission::Read), "the grant is kept: {:?}", acl.grants());
    ok(
        "a public ACL is still accepted",
        root.put_object().bucket("ignore-acls").key("pub2").acl(ObjectCannedAcl::PublicRead).body(body()).send().await,
    );
    assert_anon_denied("and ignored", &anon(&srv, "GET", "/ignore-acls/pub2").await);
    root.delete_public_access_block().bucket("ignore-acls").send().await.unwrap();
    assert_anon_ok("public again once removed", &anon(&srv, "GET", "/ignore-acls/pub2").await);

    // BlockPublicPolicy: a public policy is refused; one for a fixed account, or for "*"
    // limited to fixed aws:SourceIp CIDRs, is not public. Turning the setting on later
    // leaves an existing public policy in force.
    root.create_bucket().bucket("block-policy").send().await.unwrap();
    put(&root, "block-policy", "k", b"v").await;
    denied("public policy", root.put_bucket_policy().bucket("block-policy").policy(public_read_policy("block-policy")).send().await);
    let partner = policy(&[statement("Allow", &aws(&other.root_arn()), r#""s3:GetObject""#, r#""arn:aws:s3:::block-policy/*""#, None)]);
    ok("policy for one account", root.put_bucket_policy().bucket("block-policy").policy(&partner).send().await);
    let by_ip = policy(&[statement(
        "Allow",
        r#""*""#,
        r#""s3:GetObject""#,
        r#""arn:aws:s3:::block-policy/*""#,
        Some(r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#),
    )]);
    ok("policy for \"*\" from fixed CIDRs", root.put_bucket_policy().bucket("block-policy").policy(&by_ip).send().await);
    let status = root.get_bucket_policy_status().bucket("block-policy").send().await.unwrap();
    assert_eq!(status.policy_status().and_then(PolicyStatus::is_public), Some(false), "a CIDR-limited policy is not public");
    root.put_public_access_block().bucket("block-policy").public_access_block_configuration(pab(&[])).send().await.unwrap();
    ok(
        "public policy once allowed",
        root.put_bucket_policy().bucket("block-policy").policy(public_read_policy("block-policy")).send().await,
    );
    let status = root.get_bucket_policy_status().bucket("block-policy").send().await.unwrap();
    assert_eq!(status.policy_status().and_then(PolicyStatus::is_public), Some(true));
    root.put_public_access_block()
        .bucket("block-policy")
        .public_access_block_configuration(pab(&[PabSetting::BlockPublicPolicy]))
        .send()
        .await
        .unwrap();
    assert_anon_ok("an existing public policy stays in force", &anon(&srv, "GET", "/block-policy/k").await);

    // RestrictPublicBuckets: a public policy only lets in principals of the owner's
    // account; anonymous callers and other accounts are refused.
    root.create_bucket().bucket("restrict").send().await.unwrap();
    root.delete_public_access_block().bucket("restrict").send().await.unwrap();
    put(&root, "restrict", "k", b"v").await;
    root.put_bucket_policy().bucket("restrict").policy(public_read_list_policy("restrict")).send().await.unwrap();
    let bare = owner.user(&srv, "bare", None).await;
    let other_user = other.user(&srv, "worker", Some(S3_ALL)).await;
    assert_anon_ok("anonymous before", &anon(&srv, "GET", "/restrict/k").await);
    ok("other account before", other.s3(&srv).get_object().bucket("restrict").key("k").send().await);
    root.put_public_access_block()
        .bucket("restrict")
        .public_access_block_configuration(pab(&[PabSetting::RestrictPublicBuckets]))
        .send()
        .await
        .unwrap();
    assert_anon_denied("anonymous GET", &anon(&srv, "GET", "/restrict/k").await);
    assert_anon_denied("anonymous list", &anon(&srv, "GET", "/restrict?list-type=2").await);
    denied("other account root", other.s3(&srv).get_object().bucket("restrict").key("k").send().await);
    denied("other account user", other_user.get_object().bucket("restrict").key("k").send().await);
    ok("owner's user allowed only by the public policy", bare.get_object().bucket("restrict").key("k").send().await);
    ok("owner's user lists", bare.list_objects_v2().bucket("restrict").send().await);
    ok("owner root", root.get_object().bucket("restrict").key("k").send().await);
}
