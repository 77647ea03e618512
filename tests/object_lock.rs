//! Object Lock through the SDK: lock-enabled buckets, retention in both modes, legal
//! holds, the governance bypass and its permission, default retention, deletes refused
//! per version and per DeleteObjects entry, lifecycle skipping protected versions, and
//! the lock clocks (neither a clock set back nor one set forward unlocks anything).

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockLegalHold,
    ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::raw::Request;
use common::{assert_sdk_error, TestServer};

fn in_secs(secs: u64) -> DateTime {
    DateTime::from(SystemTime::now() + Duration::from_secs(secs))
}

async fn locked_bucket(s3: &Client, name: &str) {
    s3.create_bucket().bucket(name).object_lock_enabled_for_bucket(true).send().await.unwrap();
}

async fn put(s3: &Client, bucket: &str, key: &str, mode: Option<ObjectLockMode>, until: Option<DateTime>) -> String {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .set_object_lock_mode(mode)
        .set_object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"backup"))
        .send()
        .await
        .unwrap();
    out.version_id().unwrap().to_owned()
}

async fn delete_version(s3: &Client, bucket: &str, key: &str, id: &str, bypass: bool) -> Result<(), common::ErrorInfo> {
    let mut req = s3.delete_object().bucket(bucket).key(key).version_id(id);
    if bypass {
        req = req.bypass_governance_retention(true);
    }
    req.send().await.map(|_| ()).map_err(|e| common::error_info(&e))
}

#[tokio::test]
async fn lock_enabled_buckets_and_configuration() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    locked_bucket(&s3, "vault").await;
    let versioning = s3.get_bucket_versioning().bucket("vault").send().await.unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled), "lock turns versioning on");
    let config = s3.get_object_lock_configuration().bucket("vault").send().await.unwrap();
    let config = config.object_lock_configuration().unwrap();
    assert_eq!(config.object_lock_enabled(), Some(&ObjectLockEnabled::Enabled));
    assert!(config.rule().is_none());
    let suspend = s3
        .put_bucket_versioning()
        .bucket("vault")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build())
        .send()
        .await;
    assert_sdk_error(suspend, 409, Some("InvalidBucketState"));

    // A bucket without lock: no configuration, lock headers refused, and lock can be
    // enabled only once versioning is.
    s3.create_bucket().bucket("plain").send().await.unwrap();
    assert_sdk_error(s3.get_object_lock_configuration().bucket("plain").send().await, 404, Some("ObjectLockConfigurationNotFoundError"));
    let r = s3
        .put_object()
        .bucket("plain")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(60))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    let enable = ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).build();
    let r = s3.put_object_lock_configuration().bucket("plain").object_lock_configuration(enable.clone()).send().await;
    assert_sdk_error(r, 409, Some("InvalidBucketState"));
    s3.put_bucket_versioning()
        .bucket("plain")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    s3.put_object_lock_configuration().bucket("plain").object_lock_configuration(enable).send().await.unwrap();
    assert!(s3.get_object_lock_configuration().bucket("plain").send().await.is_ok());

    // Default retention applies to new versions that ask for none.
    let rule = ObjectLockRule::builder()
        .default_retention(DefaultRetention::builder().mode(ObjectLockRetentionMode::Governance).days(1).build())
        .build();
    let config = ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).rule(rule).build();
    s3.put_object_lock_configuration().bucket("vault").object_lock_configuration(config).send().await.unwrap();
    let got = s3.get_object_lock_configuration().bucket("vault").send().await.unwrap();
    let default = got.object_lock_configuration().unwrap().rule().unwrap().default_retention().unwrap();
    assert_eq!((default.mode(), default.days()), (Some(&ObjectLockRetentionMode::Governance), Some(1)));
    let id = put(&s3, "vault", "dflt", None, None).await;
    let head = s3.head_object().bucket("vault").key("dflt").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    let until = head.object_lock_retain_until_date().unwrap().secs();
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap();
    assert!((until - now - 86_400).abs() < 60, "a day from now: {until} vs {now}");
    assert_eq!(delete_version(&s3, "vault", "dflt", &id, false).await.unwrap_err_ok().status, 403);
    srv.server.stop().await;
}

/// `Result::unwrap_err` for an `ErrorInfo`, readable in an assert.
trait UnwrapErrOk {
    fn unwrap_err_ok(self) -> common::ErrorInfo;
}

impl UnwrapErrOk for Result<(), common::ErrorInfo> {
    fn unwrap_err_ok(self) -> common::ErrorInfo {
        self.expect_err("expected a refusal")
    }
}

type RetentionResult = Result<
    aws_sdk_s3::operation::put_object_retention::PutObjectRetentionOutput,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::put_object_retention::PutObjectRetentionError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
>;

/// PutObjectRetention on version `id` of `key` in bucket `lock`: `mode` until `secs`
/// from now, with the governance bypass header when `bypass`.
async fn set_retention(s3: &Client, key: &str, id: &str, mode: ObjectLockRetentionMode, secs: u64, bypass: bool) -> RetentionResult {
    let retention = ObjectLockRetention::builder().mode(mode).retain_until_date(in_secs(secs)).build();
    let mut request = s3.put_object_retention().bucket("lock").key(key).version_id(id).retention(retention);
    if bypass {
        request = request.bypass_governance_retention(true);
    }
    request.send().await
}

#[tokio::test]
async fn retention_modes_legal_hold_and_bypass() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    locked_bucket(&s3, "lock").await;

    // COMPLIANCE: no one deletes the version or shortens its retention; extending works.
    let c = put(&s3, "lock", "c", Some(ObjectLockMode::Compliance), Some(in_secs(3600))).await;
    let head = s3.head_object().bucket("lock").key("c").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(delete_version(&s3, "lock", "c", &c, false).await.unwrap_err_ok().status, 403);
    assert_eq!(delete_version(&s3, "lock", "c", &c, true).await.unwrap_err_ok().status, 403, "no bypass for compliance");
    let shorter = set_retention(&s3, "c", &c, ObjectLockRetentionMode::Compliance, 60, false).await;
    assert_sdk_error(shorter, 403, Some("AccessDenied"));
    let weaker = set_retention(&s3, "c", &c, ObjectLockRetentionMode::Governance, 7200, false).await;
    assert_sdk_error(weaker, 403, Some("AccessDenied"));
    set_retention(&s3, "c", &c, ObjectLockRetentionMode::Compliance, 7200, false).await.unwrap();
    let got = s3.get_object_retention().bucket("lock").key("c").version_id(&c).send().await.unwrap();
    let got = got.retention().unwrap();
    assert_eq!(got.mode(), Some(&ObjectLockRetentionMode::Compliance));
    assert!(got.retain_until_date().unwrap().secs() > in_secs(7000).secs(), "extended");
    // A DELETE without a version id still just adds a delete marker.
    let marker = s3.delete_object().bucket("lock").key("c").send().await.unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    assert!(s3.get_object().bucket("lock").key("c").version_id(&c).send().await.is_ok(), "the locked version is still there");

    // GOVERNANCE: deletable or shortened only with the bypass and its permission.
    let g = put(&s3, "lock", "g", Some(ObjectLockMode::Governance), Some(in_secs(3600))).await;
    assert_eq!(delete_version(&s3, "lock", "g", &g, false).await.unwrap_err_ok().status, 403);
    let iam = common::identity::iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    iam.create_user().user_name("ops").send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:BypassGovernanceRetention","Resource":"*"}]}"#;
    iam.put_user_policy().user_name("ops").policy_name("p").policy_document(policy).send().await.unwrap();
    let key = iam.create_access_key().user_name("ops").send().await.unwrap();
    let key = key.access_key().unwrap();
    let ops = common::client_for(&srv.endpoint, key.access_key_id(), key.secret_access_key());
    assert_eq!(delete_version(&ops, "lock", "g", &g, true).await.unwrap_err_ok().status, 403, "bypass without the permission");
    let by_ops = set_retention(&ops, "g", &g, ObjectLockRetentionMode::Governance, 60, true).await;
    assert_sdk_error(by_ops, 403, Some("AccessDenied"));
    let by_root = set_retention(&s3, "g", &g, ObjectLockRetentionMode::Governance, 60, false).await;
    assert_sdk_error(by_root, 403, Some("AccessDenied"));
    set_retention(&s3, "g", &g, ObjectLockRetentionMode::Governance, 60, true).await.unwrap();
    delete_version(&s3, "lock", "g", &g, true).await.unwrap();

    // Setting retention or a hold with a write needs their own actions, as on S3.
    iam.create_user().user_name("writer").send().await.unwrap();
    let put_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"*"}]}"#;
    iam.put_user_policy().user_name("writer").policy_name("p").policy_document(put_only).send().await.unwrap();
    let key = iam.create_access_key().user_name("writer").send().await.unwrap();
    let key = key.access_key().unwrap();
    let writer = common::client_for(&srv.endpoint, key.access_key_id(), key.secret_access_key());
    let r = writer
        .put_object()
        .bucket("lock")
        .key("w")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_secs(3600))
        .body(ByteStream::from_static(b"w"))
        .send()
        .await;
    assert_sdk_error(r, 403, Some("AccessDenied"));
    let r = writer
        .put_object()
        .bucket("lock")
        .key("w")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"w"))
        .send()
        .await;
    assert_sdk_error(r, 403, Some("AccessDenied"));
    writer.put_object().bucket("lock").key("w").body(ByteStream::from_static(b"w")).send().await.unwrap();

    // Legal hold: no delete whatever the retention, until it is lifted.
    let h = s3
        .put_object()
        .bucket("lock")
        .key("h")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"held"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let hold = s3.get_object_legal_hold().bucket("lock").key("h").version_id(&h).send().await.unwrap();
    assert_eq!(hold.legal_hold().unwrap().status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(delete_version(&s3, "lock", "h", &h, true).await.unwrap_err_ok().status, 403);
    let off = ObjectLockLegalHold::builder().status(ObjectLockLegalHoldStatus::Off).build();
    s3.put_object_legal_hold().bucket("lock").key("h").version_id(&h).legal_hold(off).send().await.unwrap();
    delete_version(&s3, "lock", "h", &h, false).await.unwrap();

    // DeleteObjects: the protected entry is an error, the others are deleted.
    let free = put(&s3, "lock", "free", None, None).await;
    let ids = [
        ObjectIdentifier::builder().key("c").version_id(&c).build().unwrap(),
        ObjectIdentifier::builder().key("free").version_id(&free).build().unwrap(),
    ];
    let out =
        s3.delete_objects().bucket("lock").delete(Delete::builder().set_objects(Some(ids.to_vec())).build().unwrap()).send().await.unwrap();
    assert_eq!(out.deleted().len(), 1);
    assert_eq!(out.errors().len(), 1);
    assert_eq!((out.errors()[0].key(), out.errors()[0].code()), (Some("c"), Some("AccessDenied")));

    // Errors: a mode without a date, a date in the past, an unknown mode, no digest.
    let host = srv.host();
    let raw = |headers: &[(&str, &str)]| {
        let mut req = Request::new("PUT", "/lock/raw").body("x");
        for (n, v) in headers {
            req = req.header(n, v);
        }
        req.signed(&host)
    };
    let md5 = common::raw::md5_b64(b"x");
    raw(&[("x-amz-object-lock-mode", "GOVERNANCE"), ("content-md5", &md5)]).send(&host).await.assert_error(400, "InvalidArgument");
    raw(&[
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-retain-until-date", "2001-01-01T00:00:00Z"),
        ("content-md5", &md5),
    ])
    .send(&host)
    .await
    .assert_error(400, "InvalidArgument");
    raw(&[("x-amz-object-lock-mode", "FOREVER"), ("x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"), ("content-md5", &md5)])
        .send(&host)
        .await
        .assert_error(400, "InvalidArgument");
    raw(&[("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z")])
        .send(&host)
        .await
        .assert_error(400, "InvalidRequest");
    raw(&[("x-amz-object-lock-legal-hold", "MAYBE"), ("content-md5", &md5)]).send(&host).await.assert_error(400, "InvalidArgument");
    assert_sdk_error(s3.get_object_retention().bucket("lock").key("free2").send().await, 404, Some("NoSuchKey"));
    put(&s3, "lock", "none", None, None).await;
    assert_sdk_error(s3.get_object_retention().bucket("lock").key("none").send().await, 404, Some("NoSuchObjectLockConfiguration"));
    srv.server.stop().await;
}

#[tokio::test]
async fn retention_ends_and_lifecycle_waits_for_it() {
    let overrides = [("lifecycle.day_seconds", "1"), ("lifecycle.interval_secs", "1")];
    let srv = TestServer::start_with(&overrides).await;
    let s3 = srv.client();
    locked_bucket(&s3, "short").await;
    let v1 = put(&s3, "short", "k", Some(ObjectLockMode::Compliance), Some(in_secs(4))).await;
    put(&s3, "short", "k", None, None).await;
    // Noncurrent versions expire a "day" (1 s) after becoming noncurrent.
    let rule = aws_sdk_s3::types::LifecycleRule::builder()
        .id("old")
        .status(aws_sdk_s3::types::ExpirationStatus::Enabled)
        .filter(aws_sdk_s3::types::LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(aws_sdk_s3::types::NoncurrentVersionExpiration::builder().noncurrent_days(1).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("short")
        .lifecycle_configuration(aws_sdk_s3::types::BucketLifecycleConfiguration::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(s3.head_object().bucket("short").key("k").version_id(&v1).send().await.is_ok(), "kept while locked");
    assert_eq!(delete_version(&s3, "short", "k", &v1, false).await.unwrap_err_ok().status, 403);
    common::eventually("the lifecycle removes the version once its retention ends", || async {
        s3.head_object().bucket("short").key("k").version_id(&v1).send().await.is_err()
    })
    .await;
    srv.server.stop().await;
}

#[tokio::test]
async fn the_lock_clock_never_goes_back() {
    // The server's clock starts ten minutes ahead (within SigV4's 15-minute skew), then
    // (after a restart) is set back.
    let real = || i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let offset = Arc::new(AtomicI64::new(10 * 60_000));
    let clock_offset = Arc::clone(&offset);
    let clock: coffer::s3::Clock = Arc::new(move || {
        let ms = real() + clock_offset.load(Ordering::SeqCst);
        UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start_in_with_clock(dir, &[], Arc::clone(&clock)).await;
    let s3 = srv.client();
    locked_bucket(&s3, "clock").await;
    let rule = ObjectLockRule::builder()
        .default_retention(DefaultRetention::builder().mode(ObjectLockRetentionMode::Compliance).days(1).build())
        .build();
    let config = ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).rule(rule).build();
    s3.put_object_lock_configuration().bucket("clock").object_lock_configuration(config).send().await.unwrap();
    put(&s3, "clock", "ahead", None, None).await;
    srv.server.stop().await;

    offset.store(0, Ordering::SeqCst);
    let srv = TestServer::start_in_with_clock(srv.dir, &[], clock).await;
    let s3 = srv.client();
    put(&s3, "clock", "behind", None, None).await;
    let head = s3.head_object().bucket("clock").key("behind").send().await.unwrap();
    let until = head.object_lock_retain_until_date().unwrap().secs();
    let real_now = real() / 1000;
    assert!(until > real_now + 86_400 + 5 * 60, "counted from the highest time seen (10 minutes ahead), not the clock set back: {until}");
    srv.server.stop().await;
}

#[tokio::test]
async fn a_clock_set_forward_unlocks_nothing() {
    let real = || i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = Arc::clone(&offset);
    let clock: coffer::s3::Clock = Arc::new(move || {
        let ms = real() + clock_offset.load(Ordering::SeqCst);
        UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap())
    });
    let srv = TestServer::start_with_clock(clock).await;
    let s3 = srv.client();
    locked_bucket(&s3, "jump").await;
    // Locked for 3 more minutes; then the clock jumps 10 minutes ahead (within SigV4's
    // skew): the version stays locked, since only really elapsed time counts.
    let id = put(&s3, "jump", "k", Some(ObjectLockMode::Compliance), Some(in_secs(180))).await;
    offset.store(10 * 60_000, Ordering::SeqCst);
    assert_eq!(delete_version(&s3, "jump", "k", &id, false).await.unwrap_err_ok().status, 403, "the jump does not unlock it");
    let short = put(&s3, "jump", "s", Some(ObjectLockMode::Compliance), Some(in_secs(660))).await;
    assert_eq!(delete_version(&s3, "jump", "s", &short, false).await.unwrap_err_ok().status, 403);
    srv.server.stop().await;
}

#[tokio::test]
async fn multipart_and_copies_take_the_lock_they_ask_for() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    locked_bucket(&s3, "mpl").await;
    let create = s3
        .create_multipart_upload()
        .bucket("mpl")
        .key("big")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_secs(3600))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    let id = create.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("mpl")
        .key("big")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(vec![7u8; 1000]))
        .send()
        .await
        .unwrap();
    let done = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    let out = s3.complete_multipart_upload().bucket("mpl").key("big").upload_id(id).multipart_upload(done).send().await.unwrap();
    let v = out.version_id().unwrap().to_owned();
    let head = s3.head_object().bucket("mpl").key("big").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(delete_version(&s3, "mpl", "big", &v, true).await.unwrap_err_ok().status, 403);

    // A copy does not inherit the source's lock; it takes what it asks for.
    let copy = s3.copy_object().bucket("mpl").key("copy").copy_source("mpl/big").send().await.unwrap();
    let copy_id = copy.version_id().unwrap().to_owned();
    assert!(s3.head_object().bucket("mpl").key("copy").send().await.unwrap().object_lock_mode().is_none());
    delete_version(&s3, "mpl", "copy", &copy_id, false).await.unwrap();
    let copy = s3
        .copy_object()
        .bucket("mpl")
        .key("copy2")
        .copy_source("mpl/big")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(3600))
        .send()
        .await
        .unwrap();
    let copy2 = copy.version_id().unwrap().to_owned();
    assert_eq!(delete_version(&s3, "mpl", "copy2", &copy2, false).await.unwrap_err_ok().status, 403);
    // Aborting an upload is unaffected by the lock it asked for.
    let up = s3
        .create_multipart_upload()
        .bucket("mpl")
        .key("abort")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    s3.abort_multipart_upload().bucket("mpl").key("abort").upload_id(up.upload_id().unwrap()).send().await.unwrap();
    srv.server.stop().await;

    // The offline audit reports what is locked, and until when.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["scrub", "--offline", "--storage.path", srv.dir.path().to_str().unwrap()])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("object lock: 2 protected versions"), "{text}");
    assert!(text.contains(&format!("locked mpl/big version {v}: COMPLIANCE until")) && text.contains("legal hold"), "{text}");
    assert!(text.contains(&format!("locked mpl/copy2 version {copy2}: GOVERNANCE until")), "{text}");
}

#[tokio::test]
async fn a_kms_key_protecting_locked_versions_cannot_be_deleted() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    let kms = common::identity::kms_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    locked_bucket(&s3, "kmslock").await;
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let id = s3
        .put_object()
        .bucket("kmslock")
        .key("k")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key)
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(3600))
        .body(ByteStream::from_static(b"locked and encrypted"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let r = kms.schedule_key_deletion().key_id(&key).pending_window_in_days(7).send().await;
    assert!(r.is_err_and(|e| format!("{e:?}").contains("KMSInvalidStateException")), "deleting the key would destroy locked data");
    // Once the version is free (here: governance bypassed and removed), the key can go.
    delete_version(&s3, "kmslock", "k", &id, true).await.unwrap();
    kms.schedule_key_deletion().key_id(&key).pending_window_in_days(7).send().await.unwrap();
    srv.server.stop().await;
}
