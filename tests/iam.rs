//! Accounts, IAM users, policies, roles and STS through `aws-sdk-iam`, `aws-sdk-sts` and
//! `aws-sdk-s3` at their default settings, against a real server: the stories users
//! follow (a least-privilege user, a deny that beats an allow, a deactivated key, a
//! role's temporary credentials, a second account) and IAM's error codes.

mod common;

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::identity::{iam_client, s3_with_token, sts_client};
use common::raw::Request;
use common::{assert_sdk_error, client_for, TestServer};

/// The HTTP status and IAM error code of a failed IAM/STS call.
fn iam_error<E: aws_sdk_iam::error::ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    err: &aws_sdk_iam::error::SdkError<E, R>,
) -> Option<String> {
    use aws_sdk_iam::error::ProvideErrorMetadata;
    err.code().map(str::to_owned)
}

const READ_BACKUPS: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::backups/*"},
  {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::backups"}]}"#;

const DENY_SECRET: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::backups/secret/*"}]}"#;

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) {
    s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body.to_vec())).send().await.unwrap();
}

/// Creates user `name` with an inline policy and an access key; returns (key, secret).
async fn user_with_policy(iam: &aws_sdk_iam::Client, name: &str, policy: &str) -> (String, String) {
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy().user_name(name).policy_name("p").policy_document(policy).send().await.unwrap();
    let key = iam.create_access_key().user_name(name).send().await.unwrap();
    let key = key.access_key().unwrap();
    (key.access_key_id().to_owned(), key.secret_access_key().to_owned())
}

#[tokio::test]
async fn a_least_privilege_user_gets_exactly_its_policy() {
    let srv = TestServer::start().await;
    let root = srv.client();
    for b in ["backups", "other"] {
        root.create_bucket().bucket(b).send().await.unwrap();
        put(&root, b, "a.txt", b"hello").await;
    }
    put(&root, "backups", "secret/x", b"s").await;
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let (ak, sk) = user_with_policy(&iam, "alice", READ_BACKUPS).await;
    let alice = client_for(&srv.endpoint, &ak, &sk);

    let listed = alice.list_objects_v2().bucket("backups").send().await.unwrap();
    assert_eq!(listed.contents().len(), 2);
    let got = alice.get_object().bucket("backups").key("a.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello");
    assert_sdk_error(
        alice.put_object().bucket("backups").key("new").body(ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );
    assert_sdk_error(alice.get_object().bucket("other").key("a.txt").send().await, 403, Some("AccessDenied"));
    assert_sdk_error(alice.list_objects_v2().bucket("other").send().await, 403, Some("AccessDenied"));
    assert_sdk_error(alice.delete_object().bucket("backups").key("a.txt").send().await, 403, Some("AccessDenied"));
    assert_sdk_error(alice.list_buckets().send().await, 403, Some("AccessDenied"));
    // Nothing was changed by the refused requests.
    assert!(root.head_object().bucket("backups").key("new").send().await.is_err());
    assert!(root.head_object().bucket("backups").key("a.txt").send().await.is_ok());

    // IAM calls need IAM permissions.
    let alice_iam = iam_client(&srv.endpoint, &ak, &sk, None);
    let err = alice_iam.list_users().send().await.expect_err("no IAM permission");
    assert_eq!(iam_error(&err).as_deref(), Some("AccessDenied"));

    // A deny beats an allow.
    alice.get_object().bucket("backups").key("secret/x").send().await.unwrap();
    iam.put_user_policy().user_name("alice").policy_name("deny").policy_document(DENY_SECRET).send().await.unwrap();
    assert_sdk_error(alice.get_object().bucket("backups").key("secret/x").send().await, 403, Some("AccessDenied"));
    alice.get_object().bucket("backups").key("a.txt").send().await.unwrap();

    // Deactivating the key stops it at once.
    iam.update_access_key().user_name("alice").access_key_id(&ak).status(aws_sdk_iam::types::StatusType::Inactive).send().await.unwrap();
    assert_sdk_error(alice.get_object().bucket("backups").key("a.txt").send().await, 403, Some("InvalidAccessKeyId"));
}

#[tokio::test]
async fn groups_and_managed_policies_grant_permissions() {
    let srv = TestServer::start().await;
    let root = srv.client();
    root.create_bucket().bucket("shared").send().await.unwrap();
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    iam.create_user().user_name("carol").send().await.unwrap();
    let key = iam.create_access_key().user_name("carol").send().await.unwrap();
    let key = key.access_key().unwrap();
    let carol = client_for(&srv.endpoint, key.access_key_id(), key.secret_access_key());
    assert_sdk_error(carol.list_objects_v2().bucket("shared").send().await, 403, Some("AccessDenied"));

    iam.create_group().group_name("readers").send().await.unwrap();
    iam.add_user_to_group().group_name("readers").user_name("carol").send().await.unwrap();
    iam.attach_group_policy().group_name("readers").policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess").send().await.unwrap();
    carol.list_objects_v2().bucket("shared").send().await.unwrap();
    assert_sdk_error(
        carol.put_object().bucket("shared").key("k").body(ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );

    let writer = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::shared/${aws:username}/*"}]}"#;
    let policy = iam.create_policy().policy_name("own-prefix").policy_document(writer).send().await.unwrap();
    let arn = policy.policy().unwrap().arn().unwrap().to_owned();
    iam.attach_user_policy().user_name("carol").policy_arn(&arn).send().await.unwrap();
    carol.put_object().bucket("shared").key("carol/a").body(ByteStream::from_static(b"x")).send().await.unwrap();
    assert_sdk_error(
        carol.put_object().bucket("shared").key("dave/a").body(ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );

    // A policy in use cannot be deleted; detached, it can.
    let err = iam.delete_policy().policy_arn(&arn).send().await.expect_err("attached");
    assert_eq!(iam_error(&err).as_deref(), Some("DeleteConflict"));
    iam.detach_user_policy().user_name("carol").policy_arn(&arn).send().await.unwrap();
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    assert_sdk_error(
        carol.put_object().bucket("shared").key("carol/b").body(ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );
}

#[tokio::test]
async fn iam_errors_have_iam_codes() {
    let srv = TestServer::start().await;
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let err = iam.get_user().user_name("nobody").send().await.expect_err("missing");
    assert_eq!(iam_error(&err).as_deref(), Some("NoSuchEntity"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    iam.create_user().user_name("dup").send().await.unwrap();
    let err = iam.create_user().user_name("DUP").send().await.expect_err("names ignore case");
    assert_eq!(iam_error(&err).as_deref(), Some("EntityAlreadyExists"));
    let err = iam.put_user_policy().user_name("dup").policy_name("p").policy_document(r#"{"Statement":[{"Effect":"Allow"}]}"#).send().await;
    assert_eq!(iam_error(&err.expect_err("malformed")).as_deref(), Some("MalformedPolicyDocument"));
    iam.create_access_key().user_name("dup").send().await.unwrap();
    iam.create_access_key().user_name("dup").send().await.unwrap();
    let err = iam.create_access_key().user_name("dup").send().await.expect_err("two keys at most");
    assert_eq!(iam_error(&err).as_deref(), Some("LimitExceeded"));
    let err = iam.delete_user().user_name("dup").send().await.expect_err("has keys");
    assert_eq!(iam_error(&err).as_deref(), Some("DeleteConflict"));
    let keys = iam.list_access_keys().user_name("dup").send().await.unwrap();
    for k in keys.access_key_metadata() {
        iam.delete_access_key().user_name("dup").access_key_id(k.access_key_id().unwrap()).send().await.unwrap();
    }
    iam.delete_user().user_name("dup").send().await.unwrap();
    let summary = iam.get_account_summary().send().await.unwrap();
    assert_eq!(summary.summary_map().and_then(|m| m.get(&aws_sdk_iam::types::SummaryKeyType::Users)), Some(&0));
}

/// The role story: a user allowed to assume a role gets temporary credentials that
/// work for SDK calls (aws-chunked uploads included) and presigned URLs.
#[tokio::test]
async fn assumed_role_credentials_work_and_are_bound_to_their_token() {
    let srv = TestServer::start().await;
    let root = srv.client();
    root.create_bucket().bucket("backups").send().await.unwrap();
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let sts_root = sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let account = sts_root.get_caller_identity().send().await.unwrap().account().unwrap().to_owned();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = iam.create_role().role_name("backup-writer").assume_role_policy_document(trust).send().await.unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();
    let rw = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::backups/*"}]}"#;
    iam.put_role_policy().role_name("backup-writer").policy_name("rw").policy_document(rw).send().await.unwrap();
    let may_assume =
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role_arn}"}}]}}"#);
    let (ak, sk) = user_with_policy(&iam, "bob", &may_assume).await;
    let (nak, nsk) = user_with_policy(&iam, "eve", READ_BACKUPS).await;

    // eve's policies do not allow sts:AssumeRole.
    let err = sts_client(&srv.endpoint, &nak, &nsk, None)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("s1")
        .send()
        .await
        .expect_err("denied");
    assert_eq!(iam_error(&err).as_deref(), Some("AccessDenied"));

    let bob = sts_client(&srv.endpoint, &ak, &sk, None);
    let assumed = bob.assume_role().role_arn(&role_arn).role_session_name("nightly").duration_seconds(900).send().await.unwrap();
    let creds = assumed.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(assumed.assumed_role_user().unwrap().arn(), format!("arn:aws:sts::{account}:assumed-role/backup-writer/nightly"));
    let (tak, tsk, token) = (creds.access_key_id(), creds.secret_access_key(), creds.session_token());

    let who = sts_client(&srv.endpoint, tak, tsk, Some(token)).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(format!("arn:aws:sts::{account}:assumed-role/backup-writer/nightly").as_str()));

    // The SDK's default PUT (aws-chunked with a checksum trailer) and a GET.
    let s3 = s3_with_token(&srv.endpoint, tak, tsk, token);
    let body = common::data(300_000, 7);
    s3.put_object().bucket("backups").key("db.dump").body(ByteStream::from(body.clone())).send().await.unwrap();
    let got = s3.get_object().bucket("backups").key("db.dump").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), &body[..]);
    assert_sdk_error(s3.list_objects_v2().bucket("backups").send().await, 403, Some("AccessDenied"));

    // A presigned URL carries the token as X-Amz-Security-Token.
    let presigned = s3
        .get_object()
        .bucket("backups")
        .key("db.dump")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    assert!(presigned.uri().contains("X-Amz-Security-Token="));
    let target = presigned.uri().strip_prefix(&srv.endpoint).unwrap();
    let resp = Request::new("GET", target).send(&srv.host()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.body.len(), body.len());

    // The secret without its token, or a token of another session, is refused.
    assert_sdk_error(client_for(&srv.endpoint, tak, tsk).list_buckets().send().await, 403, Some("InvalidAccessKeyId"));
    let other = bob.assume_role().role_arn(&role_arn).role_session_name("other").send().await.unwrap();
    let mixed = s3_with_token(&srv.endpoint, tak, tsk, other.credentials().unwrap().session_token());
    assert_sdk_error(mixed.get_object().bucket("backups").key("db.dump").send().await, 400, Some("InvalidToken"));
    let mut bad = token.to_owned();
    bad.replace_range(10..11, if &bad[10..11] == "A" { "B" } else { "A" });
    let tampered = s3_with_token(&srv.endpoint, tak, tsk, &bad);
    assert_sdk_error(tampered.get_object().bucket("backups").key("db.dump").send().await, 400, Some("InvalidToken"));

    // A session policy narrows the role's permissions.
    let read_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let narrowed = bob.assume_role().role_arn(&role_arn).role_session_name("ro").policy(read_only).send().await.unwrap();
    let c = narrowed.credentials().unwrap();
    let ro = s3_with_token(&srv.endpoint, c.access_key_id(), c.secret_access_key(), c.session_token());
    ro.get_object().bucket("backups").key("db.dump").send().await.unwrap();
    assert_sdk_error(
        ro.put_object().bucket("backups").key("x").body(ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );

    // GetSessionToken: the user's own permissions, temporarily.
    let st = bob.get_session_token().send().await.unwrap();
    let c = st.credentials().unwrap();
    let who = sts_client(&srv.endpoint, c.access_key_id(), c.secret_access_key(), Some(c.session_token()))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.arn(), Some(format!("arn:aws:iam::{account}:user/bob").as_str()));
}

#[tokio::test]
async fn a_second_account_sees_nothing_of_the_first() {
    let srv = TestServer::start().await;
    let root = srv.client();
    root.create_bucket().bucket("first-data").send().await.unwrap();
    put(&root, "first-data", "k", b"v").await;
    let config = coffer::config::Config::from_toml(coffer::config::DEFAULT_TOML, &[]).unwrap();
    let create = coffer::admin::cli::parse(&["account".into(), "create".into(), "tenant2".into(), "--json".into()]).unwrap();
    let create = coffer::admin::cli::Command { endpoint: Some(srv.admin_endpoint()), ..create };
    let out = coffer::admin::cli::run(&create, &config).await.unwrap();
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (ak, sk) = (created["access_key"].as_str().unwrap(), created["secret_key"].as_str().unwrap());
    assert_eq!(created["id"].as_str().unwrap().len(), 12);
    let other = client_for(&srv.endpoint, ak, sk);
    assert!(other.list_buckets().send().await.unwrap().buckets().is_empty());
    assert_sdk_error(other.get_object().bucket("first-data").key("k").send().await, 403, Some("AccessDenied"));
    assert_sdk_error(other.list_objects_v2().bucket("first-data").send().await, 403, Some("AccessDenied"));
    assert_sdk_error(other.create_bucket().bucket("first-data").send().await, 409, Some("BucketAlreadyExists"));
    other.create_bucket().bucket("second-data").send().await.unwrap();
    let names: Vec<String> =
        root.list_buckets().send().await.unwrap().buckets().iter().filter_map(|b| b.name().map(str::to_owned)).collect();
    assert_eq!(names, vec!["first-data".to_owned()]);
    assert_sdk_error(root.list_objects_v2().bucket("second-data").send().await, 403, Some("AccessDenied"));

    // x-amz-expected-bucket-owner: refused when another account owns the bucket.
    let first = sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None).get_caller_identity().send().await.unwrap();
    let first = first.account().unwrap();
    let second = created["id"].as_str().unwrap();
    root.get_object().bucket("first-data").key("k").expected_bucket_owner(first).send().await.unwrap();
    assert_sdk_error(root.get_object().bucket("first-data").key("k").expected_bucket_owner(second).send().await, 403, Some("AccessDenied"));
    assert_sdk_error(
        root.put_object().bucket("first-data").key("k2").expected_bucket_owner(second).body(ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );
    assert!(root.head_object().bucket("first-data").key("k2").send().await.is_err(), "the refused PUT stored nothing");
    let copy = root.copy_object().bucket("first-data").key("k3").copy_source("first-data/k");
    assert_sdk_error(copy.clone().expected_source_bucket_owner(second).send().await, 403, Some("AccessDenied"));
    copy.expected_source_bucket_owner(first).expected_bucket_owner(first).send().await.unwrap();

    // Only the server administrator manages accounts; an account that owns buckets
    // cannot be deleted.
    let as_tenant = coffer::config::Config::from_toml(
        coffer::config::DEFAULT_TOML,
        &[("auth.access_key".into(), ak.into()), ("auth.secret_key".into(), sk.into())],
    )
    .unwrap();
    let list = coffer::admin::cli::Command {
        endpoint: Some(srv.admin_endpoint()),
        ..coffer::admin::cli::parse(&["account".into(), "list".into()]).unwrap()
    };
    assert!(coffer::admin::cli::run(&list, &as_tenant).await.unwrap_err().contains("AccessDenied"));
    let listed = coffer::admin::cli::run(&list, &config).await.unwrap();
    assert!(listed.contains("tenant2") && listed.contains("default"), "{listed}");
    let delete = coffer::admin::cli::Command {
        endpoint: Some(srv.admin_endpoint()),
        ..coffer::admin::cli::parse(&["account".into(), "delete".into(), "tenant2".into()]).unwrap()
    };
    assert!(coffer::admin::cli::run(&delete, &config).await.unwrap_err().contains("DeleteConflict"));
    other.delete_bucket().bucket("second-data").send().await.unwrap();
    coffer::admin::cli::run(&delete, &config).await.unwrap();
    assert_sdk_error(other.list_buckets().send().await, 403, Some("InvalidAccessKeyId"));
}

#[tokio::test]
async fn identities_survive_a_restart() {
    let srv = TestServer::start().await;
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    srv.client().create_bucket().bucket("kept").send().await.unwrap();
    let (ak, sk) = user_with_policy(
        &iam,
        "dora",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::kept"}]}"#,
    )
    .await;
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    // The secret is sealed at rest: it appears nowhere in the data directory.
    let found = std::process::Command::new("grep").args(["-r", "-l", &sk, dir.path().to_str().unwrap()]).output().unwrap();
    assert!(found.stdout.is_empty(), "secret stored in the clear: {}", String::from_utf8_lossy(&found.stdout));
    let srv = TestServer::start_in(dir, &[]).await;
    client_for(&srv.endpoint, &ak, &sk).list_objects_v2().bucket("kept").send().await.unwrap();
    // The last use of the key is saved at shutdown (and every minute).
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[]).await;
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let used = iam.get_access_key_last_used().access_key_id(&ak).send().await.unwrap();
    let used = used.access_key_last_used().unwrap();
    assert_eq!(used.service_name(), "s3");
    assert!(used.last_used_date().is_some());
}

/// A clock `offset` seconds ahead of the system's, for the server and the SDK alike.
#[derive(Debug, Clone)]
struct Ahead(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Ahead {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now() + Duration::from_secs(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl aws_smithy_async::time::TimeSource for Ahead {
    fn now(&self) -> std::time::SystemTime {
        Ahead::now(self)
    }
}

#[tokio::test]
async fn temporary_credentials_expire() {
    let ahead = Ahead(std::sync::Arc::default());
    let server_clock = ahead.clone();
    let srv = TestServer::start_with_clock(std::sync::Arc::new(move || server_clock.now())).await;
    srv.client().create_bucket().bucket("bkt").send().await.unwrap();
    let sts = sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let session = sts.get_session_token().duration_seconds(900).send().await.unwrap();
    let c = session.credentials().unwrap();
    let client = |time: Ahead| {
        let creds =
            aws_sdk_s3::config::Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().to_owned()), None, "t");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&srv.endpoint)
            .credentials_provider(creds)
            .time_source(time)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    };
    client(ahead.clone()).list_objects_v2().bucket("bkt").send().await.unwrap();
    // Fourteen minutes later the session still works; sixteen minutes later it is over.
    ahead.0.store(14 * 60, std::sync::atomic::Ordering::SeqCst);
    client(ahead.clone()).list_objects_v2().bucket("bkt").send().await.unwrap();
    ahead.0.store(16 * 60, std::sync::atomic::Ordering::SeqCst);
    assert_sdk_error(client(ahead.clone()).list_objects_v2().bucket("bkt").send().await, 400, Some("ExpiredToken"));
    // The long-term key, signing at the same (moved) time, still works.
    let root_creds = aws_sdk_s3::config::Credentials::new(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None, None, "t");
    let root = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&srv.endpoint)
            .credentials_provider(root_creds)
            .time_source(ahead.clone())
            .force_path_style(true)
            .build(),
    );
    root.list_objects_v2().bucket("bkt").send().await.unwrap();
}
