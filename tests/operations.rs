//! Operations: health checks, Prometheus metrics counted exactly, usage and quotas
//! through the S3 API and `coffer admin`, readiness when a blob directory cannot be
//! written.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use coffer::admin::cli;
use common::{assert_sdk_error, client_for, eventually, raw, TestServer};
use serde_json::Value;

const TOKEN: &str = "metrics-token-for-tests";

/// `GET path` on the admin listener, with an `Authorization` header if given.
async fn admin_get(srv: &TestServer, path: &str, authorization: Option<&str>) -> raw::Response {
    let host = srv.server.admin_addr.expect("admin listener").to_string();
    let mut req = raw::Request::new("GET", path);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    req.send(&host).await
}

/// The value of the sample `series` (name and labels exactly as written) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' '))).map(|v| v.parse().unwrap())
}

async fn scrape(srv: &TestServer) -> String {
    let r = admin_get(srv, "/metrics", Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/plain; version=0.0.4")));
    String::from_utf8(r.body).unwrap()
}

/// Runs `coffer admin ARGS --json` against `srv`; the JSON answer, or the error.
async fn admin(srv: &TestServer, args: &str) -> Result<Value, String> {
    let mut words: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
    words.push("--json".into());
    let cmd = cli::Command { endpoint: Some(srv.admin_endpoint()), ..cli::parse(&words).unwrap() };
    let config = coffer::config::Config::from_toml(coffer::config::DEFAULT_TOML, &[]).unwrap();
    cli::run(&cmd, &config).await.map(|out| serde_json::from_str(&out).unwrap())
}

async fn wait_ready(srv: &TestServer) {
    eventually("the server is ready (start-up reconciliation done)", || async {
        let r = admin_get(srv, "/health/ready", None).await;
        r.status == 200
    })
    .await;
}

#[tokio::test]
async fn health_and_metrics_count_a_known_sequence_exactly() {
    let srv = TestServer::start_with(&[("admin.metrics_token", TOKEN)]).await;
    let live = admin_get(&srv, "/health/live", None).await;
    assert_eq!(live.status, 200);
    wait_ready(&srv).await;
    let ready: Value = serde_json::from_slice(&admin_get(&srv, "/health/ready", None).await.body).unwrap();
    assert_eq!(ready["status"], "ready");

    // The metrics need the token.
    let none = admin_get(&srv, "/metrics", None).await;
    assert_eq!((none.status, none.header("www-authenticate")), (401, Some("Bearer")));
    assert_eq!(admin_get(&srv, "/metrics", Some("Bearer wrong")).await.status, 401);
    assert_eq!(admin_get(&srv, "/metrics", Some(TOKEN)).await.status, 401, "the Bearer scheme is required");

    let s3 = srv.client();
    s3.create_bucket().bucket("ops").send().await.unwrap();
    for (key, len) in [("a", 5), ("b", 7), ("c", 11)] {
        s3.put_object().bucket("ops").key(key).body(ByteStream::from(vec![b'x'; len])).send().await.unwrap();
    }
    s3.get_object().bucket("ops").key("a").send().await.unwrap().body.collect().await.unwrap();
    assert_sdk_error(s3.head_object().bucket("ops").key("missing").send().await, 404, Some("NotFound"));
    s3.delete_object().bucket("ops").key("c").send().await.unwrap();
    let forged = client_for(&srv.endpoint, coffer::config::DEFAULT_ACCESS_KEY, "not-the-secret");
    assert_sdk_error(
        forged.put_object().bucket("ops").key("d").body(ByteStream::from_static(b"d")).send().await,
        403,
        Some("SignatureDoesNotMatch"),
    );

    let text = scrape(&srv).await;
    let expect = [
        (r#"coffer_requests_total{operation="CreateBucket",status="2xx"}"#, 1.0),
        (r#"coffer_requests_total{operation="PutObject",status="2xx"}"#, 3.0),
        (r#"coffer_requests_total{operation="PutObject",status="4xx"}"#, 1.0),
        (r#"coffer_requests_total{operation="GetObject",status="2xx"}"#, 1.0),
        (r#"coffer_requests_total{operation="HeadObject",status="4xx"}"#, 1.0),
        (r#"coffer_requests_total{operation="DeleteObject",status="2xx"}"#, 1.0),
        (r#"coffer_errors_total{code="SignatureDoesNotMatch"}"#, 1.0),
        (r#"coffer_errors_total{code="NoSuchKey"}"#, 1.0),
        (r#"coffer_auth_failures_total{reason="SignatureDoesNotMatch"}"#, 1.0),
        (r#"coffer_request_first_byte_seconds_count{operation="PutObject"}"#, 4.0),
        (r#"coffer_request_first_byte_seconds_bucket{operation="PutObject",le="+Inf"}"#, 4.0),
        (r#"coffer_bucket_objects{bucket="ops"}"#, 2.0),
        (r#"coffer_bucket_versions{bucket="ops"}"#, 2.0),
        (r#"coffer_bucket_bytes{bucket="ops"}"#, 12.0),
        (r#"coffer_bucket_delete_markers{bucket="ops"}"#, 0.0),
        (r#"coffer_bucket_uploads{bucket="ops"}"#, 0.0),
        ("coffer_buckets", 1.0),
        ("coffer_stored_logical_bytes", 12.0),
        // Objects this small are stored inline, in the metadata store: no blob.
        (r#"coffer_blob_bytes{class="STANDARD"}"#, 0.0),
        ("coffer_durability_failed", 0.0),
    ];
    for (series, value) in expect {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
    assert_eq!(sample(&text, "coffer_requests_total{operation=\"ListBuckets\",status=\"2xx\"}"), None, "no request, no sample");
    for family in [
        "coffer_received_bytes_total",
        "coffer_sent_bytes_total",
        "coffer_uptime_seconds",
        "process_resident_memory_bytes",
        "process_open_fds",
        "coffer_metadata_bytes",
        "coffer_meta_flushes_total",
    ] {
        assert!(sample(&text, family).is_some_and(|v| v > 0.0), "{family} > 0 in\n{text}");
    }
    assert!(sample(&text, r#"coffer_tier_free_bytes{class="STANDARD"}"#).is_some_and(|v| v > 0.0));
    // Every family is announced once, with its type.
    let mut families: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
    let announced = families.len();
    families.sort_unstable();
    families.dedup();
    assert_eq!(families.len(), announced, "a family announced twice");
    // A response's end is counted when its body is done.
    eventually("the total durations of the four PUTs are counted", || async {
        let text = scrape(&srv).await;
        sample(&text, r#"coffer_request_duration_seconds_count{operation="PutObject"}"#) == Some(4.0)
    })
    .await;

    let open = TestServer::start_with(&[("admin.metrics_public", "true")]).await;
    assert_eq!(admin_get(&open, "/metrics", None).await.status, 200, "metrics_public opens them");
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, len: usize) -> Result<(), common::ErrorInfo> {
    let body = ByteStream::from(common::data(len, key.len() as u64 * 7919 + len as u64));
    s3.put_object().bucket("quota-test").key(key).body(body).send().await.map(|_| ()).map_err(|e| common::error_info(&e))
}

fn quota_exceeded() -> common::ErrorInfo {
    common::ErrorInfo { status: 403, code: Some("QuotaExceeded".into()), request_id: None }
}

#[track_caller]
fn assert_quota_exceeded(r: Result<(), common::ErrorInfo>) {
    let e = r.expect_err("over the quota");
    assert_eq!((e.status, e.code.as_deref()), (403, Some("QuotaExceeded")), "{e:?} vs {:?}", quota_exceeded());
}

#[tokio::test]
async fn quotas_refuse_put_copy_part_and_complete_without_a_trace() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("quota-test").send().await.unwrap();
    let set = admin(&srv, "quota set quota-test --max-bytes 100 --max-objects 3").await.unwrap();
    assert_eq!((set["quota"]["max_bytes"].as_u64(), set["quota"]["max_objects"].as_u64()), (Some(100), Some(3)));

    put(&s3, "sixty", 60).await.unwrap();
    // Overwriting in an unversioned bucket frees what it replaces: not refused early.
    put(&s3, "sixty", 60).await.unwrap();
    assert_quota_exceeded(put(&s3, "fifty", 50).await);
    // A body that cannot fit is refused from its declared length, before it streams.
    assert_quota_exceeded(put(&s3, "huge", 20 << 20).await);
    assert_sdk_error(s3.head_object().bucket("quota-test").key("huge").send().await, 404, Some("NotFound"));
    assert_sdk_error(s3.head_object().bucket("quota-test").key("fifty").send().await, 404, Some("NotFound"));
    // A copy would take 60 more bytes.
    let copy = s3
        .copy_object()
        .bucket("quota-test")
        .key("copy")
        .copy_source("quota-test/sixty")
        .send()
        .await
        .map(|_| ())
        .map_err(|e| common::error_info(&e));
    assert_quota_exceeded(copy);
    assert_sdk_error(s3.head_object().bucket("quota-test").key("copy").send().await, 404, Some("NotFound"));

    // Multipart: a part past the quota is refused; parts count as they take space.
    let upload = s3.create_multipart_upload().bucket("quota-test").key("big").send().await.unwrap();
    let id = upload.upload_id().unwrap();
    let part = |n: i32, len: usize| {
        s3.upload_part()
            .bucket("quota-test")
            .key("big")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(common::data(len, u64::from(n.unsigned_abs()))))
            .send()
    };
    let refused = part(1, 41).await.map(|_| ()).map_err(|e| common::error_info(&e));
    assert_quota_exceeded(refused);
    admin(&srv, "quota set quota-test --max-bytes none").await.unwrap();
    let etag = part(1, 1000).await.unwrap().e_tag().unwrap().to_owned();
    let usage = admin(&srv, "usage quota-test").await.unwrap();
    assert_eq!(usage["buckets"][0]["uploads"], 1);
    assert_eq!(usage["buckets"][0]["upload_bytes"], 1000);
    // The quota lowered under what is stored: Complete would add an object version.
    admin(&srv, "quota set quota-test --max-bytes 500").await.unwrap();
    let parts = CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(&etag).build()).build();
    let complete = s3
        .complete_multipart_upload()
        .bucket("quota-test")
        .key("big")
        .upload_id(id)
        .multipart_upload(parts.clone())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| common::error_info(&e));
    assert_quota_exceeded(complete);
    assert_sdk_error(s3.head_object().bucket("quota-test").key("big").send().await, 404, Some("NotFound"));
    assert_eq!(
        s3.list_parts().bucket("quota-test").key("big").upload_id(id).send().await.unwrap().parts().len(),
        1,
        "the upload is still there"
    );
    // Raised again, the same Complete succeeds.
    admin(&srv, "quota set quota-test --max-bytes 2000").await.unwrap();
    s3.complete_multipart_upload().bucket("quota-test").key("big").upload_id(id).multipart_upload(parts).send().await.unwrap();

    // Objects: three at most.
    put(&s3, "third", 1).await.unwrap();
    assert_quota_exceeded(put(&s3, "fourth", 1).await);
    // Deleting frees the quota.
    s3.delete_object().bucket("quota-test").key("sixty").send().await.unwrap();
    put(&s3, "fourth", 1).await.unwrap();

    let got = admin(&srv, "quota get quota-test").await.unwrap();
    assert_eq!(got["scope"], "bucket:quota-test");
    assert_eq!((got["usage"]["versions"].as_u64(), got["usage"]["bytes"].as_u64()), (Some(3), Some(1002)));
    let info = admin(&srv, "info").await.unwrap();
    assert_eq!((info["buckets"].as_u64(), info["objects"].as_u64(), info["bytes"].as_u64()), (Some(1), Some(3), Some(1002)));
    assert_eq!(info["tiers"][0]["class"], "STANDARD");
    assert!(info["durability_failure"].is_null());
    // Errors of the admin API are clear.
    let missing = admin(&srv, "quota get nosuchbucket").await.unwrap_err();
    assert!(missing.contains("NoSuchEntity"), "{missing}");

    // Usage survives a restart and matches an offline recount.
    let before = admin(&srv, "usage").await.unwrap();
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[]).await;
    assert_eq!(admin(&srv, "usage").await.unwrap(), before);
    assert_quota_exceeded(put(&srv.client(), "fifth", 1).await);
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let store = coffer::store::Store::open(dir.path(), 8 << 20).unwrap();
    let audit = store.audit().unwrap();
    assert!(audit.is_clean(), "{audit:?}");
    assert_eq!(store.bucket_usage("quota-test").unwrap().versions, 3);
}

#[tokio::test]
async fn account_quotas_bound_all_of_an_accounts_buckets() {
    let srv = TestServer::start().await;
    let created = admin(&srv, "account create tenant").await.unwrap();
    let tenant = client_for(&srv.endpoint, created["access_key"].as_str().unwrap(), created["secret_key"].as_str().unwrap());
    tenant.create_bucket().bucket("t-one").send().await.unwrap();
    tenant.create_bucket().bucket("t-two").send().await.unwrap();
    admin(&srv, "quota set account:tenant --max-bytes 1KiB").await.unwrap();
    let put_to = |bucket: &'static str, key: &'static str, len: usize| {
        let tenant = tenant.clone();
        async move {
            tenant
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(vec![1u8; len]))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| common::error_info(&e))
        }
    };
    put_to("t-one", "a", 600).await.unwrap();
    assert_quota_exceeded(put_to("t-two", "b", 600).await);
    put_to("t-two", "b", 400).await.unwrap();
    // Another account's buckets are not counted.
    srv.client().create_bucket().bucket("root-bucket").send().await.unwrap();
    srv.client().put_object().bucket("root-bucket").key("k").body(ByteStream::from(vec![0u8; 4096])).send().await.unwrap();
    let got = admin(&srv, "quota get account:tenant").await.unwrap();
    assert_eq!((got["quota"]["max_bytes"].as_u64(), got["usage"]["bytes"].as_u64()), (Some(1024), Some(1000)));
    assert!(admin(&srv, "quota get account:nobody").await.unwrap_err().contains("NoSuchEntity"));
}

#[tokio::test]
async fn readiness_fails_while_a_blob_directory_cannot_be_written() {
    let Some(fs) = common::loopfs::LoopFs::or_skip(64) else { return };
    let data = fs.mountpoint.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let dir = tempfile::TempDir::new_in(&data).unwrap();
    let tmp = dir.path().join("tmp");
    let srv = TestServer::start_in(dir, &[]).await;
    wait_ready(&srv).await;
    // Root ignores permissions, not the immutable attribute: nothing can be created in tmp/.
    common::loopfs::run("chattr", &["+i", tmp.to_str().unwrap()]).unwrap();
    let r = admin_get(&srv, "/health/ready", None).await;
    common::loopfs::run("chattr", &["-i", tmp.to_str().unwrap()]).unwrap();
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    let reason: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(reason["reason"].as_str().unwrap().contains("not writable"), "{reason}");
    assert_eq!(admin_get(&srv, "/health/live", None).await.status, 200, "live all along");
    assert_eq!(admin_get(&srv, "/health/ready", None).await.status, 200, "ready again once writable");
}

/// The audit log's records (one JSON object per line).
fn audit_records(dir: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("audit.log")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

#[tokio::test]
async fn the_audit_trail_records_each_change_once_and_no_secret() {
    use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("audited").send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::audited"}]}"#;
    s3.put_bucket_policy().bucket("audited").policy(policy).send().await.unwrap();
    s3.put_object().bucket("audited").key("data").body(ByteStream::from_static(b"not audited")).send().await.unwrap();
    let iam = common::identity::iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    iam.create_user().user_name("auditee").send().await.unwrap();
    let key = iam.create_access_key().user_name("auditee").send().await.unwrap();
    let secret = key.access_key().unwrap().secret_access_key().to_owned();
    iam.list_users().send().await.unwrap();
    // GetSessionToken issues credentials: audited, though its name starts with Get.
    let sts = common::identity::sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let session = sts.get_session_token().send().await.unwrap();
    let session_secret = session.credentials().unwrap().secret_access_key().to_owned();
    let kms = common::identity::kms_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    kms.create_key().send().await.unwrap();
    let forged = client_for(&srv.endpoint, "NOSUCHKEY0000000", "whatever");
    assert_sdk_error(forged.list_buckets().send().await, 403, Some("InvalidAccessKeyId"));
    admin(&srv, "quota set audited --max-objects 10").await.unwrap();

    let expected =
        ["CreateBucket", "PutBucketPolicy", "CreateUser", "CreateAccessKey", "GetSessionToken", "CreateKey", "ListBuckets", "PutQuota"];
    eventually("every audited action is in the audit log", || async {
        let names: Vec<String> =
            audit_records(srv.dir.path()).iter().map(|r| r["eventName"].as_str().unwrap_or_default().to_owned()).collect();
        expected.iter().all(|e| names.iter().any(|n| n == e))
    })
    .await;
    let records = audit_records(srv.dir.path());
    let names: Vec<&str> = records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    for e in expected {
        assert_eq!(names.iter().filter(|n| **n == e).count(), 1, "one {e} record in {names:?}");
    }
    assert_eq!(names.len(), expected.len(), "reads and object writes are not audited: {names:?}");
    let by_name = |n: &str| records.iter().find(|r| r["eventName"] == n).unwrap();
    let put_policy = by_name("PutBucketPolicy");
    assert_eq!(put_policy["eventSource"], "s3.amazonaws.com");
    assert_eq!(put_policy["requestParameters"]["bucketName"], "audited");
    assert_eq!(put_policy["sourceIPAddress"], "127.0.0.1");
    assert_eq!(put_policy["userIdentity"]["type"], "Root");
    assert_eq!(put_policy["userIdentity"]["accessKeyId"], DEFAULT_ACCESS_KEY);
    assert!(put_policy["userIdentity"]["arn"].as_str().unwrap().ends_with(":root"));
    assert!(put_policy["userAgent"].as_str().unwrap().contains("aws-sdk-rust"), "{put_policy}");
    assert_eq!(put_policy["status"], 204);
    assert!(put_policy["eventTime"].as_str().unwrap().ends_with('Z'));
    assert!(put_policy.get("errorCode").is_none());
    let user = by_name("CreateAccessKey");
    assert_eq!(
        (user["eventSource"].as_str(), user["requestParameters"]["UserName"].as_str()),
        (Some("iam.amazonaws.com"), Some("auditee"))
    );
    assert_eq!(by_name("CreateKey")["eventSource"], "kms.amazonaws.com");
    let failed = by_name("ListBuckets");
    assert_eq!((failed["errorCode"].as_str(), failed["status"].as_u64()), (Some("InvalidAccessKeyId"), Some(403)));
    assert_eq!(
        (failed["userIdentity"]["type"].as_str(), failed["userIdentity"]["accessKeyId"].as_str()),
        (Some("Anonymous"), Some("NOSUCHKEY0000000"))
    );
    assert_eq!(by_name("PutQuota")["eventSource"], "coffer-admin");
    // No secret, no signature.
    let text = std::fs::read_to_string(srv.dir.path().join("audit.log")).unwrap();
    assert_eq!(by_name("GetSessionToken")["eventSource"], "sts.amazonaws.com");
    for secret in [secret.as_str(), session_secret.as_str(), DEFAULT_SECRET_KEY, "whatever", "Signature"] {
        assert!(!text.contains(secret), "{secret:?} in the audit log");
    }
    let scraped = admin_get(&srv, "/metrics", None).await;
    assert_eq!(scraped.status, 401);
}

#[tokio::test]
async fn sighup_applies_what_it_can_and_names_what_needs_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let free_port = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (port, admin_port) = (free_port(), free_port());
    let config = dir.path().join("config.toml");
    let write_config = |token: &str, extra: &str| {
        std::fs::write(&config, format!("[admin]\nlisten = \"127.0.0.1:{admin_port}\"\nmetrics_token = \"{token}\"\n{extra}")).unwrap();
    };
    write_config("first-token", "");
    let log = dir.path().join("stderr.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["--config", config.to_str().unwrap(), "--server.listen", &format!("127.0.0.1:{port}")])
        .args(["--storage.path", dir.path().join("data").to_str().unwrap(), "--scrub.interval", "0"])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let admin_host = format!("127.0.0.1:{admin_port}");
    let status = |token: &'static str| {
        let admin_host = admin_host.clone();
        async move {
            match tokio::net::TcpStream::connect(&admin_host).await {
                Ok(_) => {
                    raw::Request::new("GET", "/metrics").header("authorization", &format!("Bearer {token}")).send(&admin_host).await.status
                }
                Err(_) => 0,
            }
        }
    };
    eventually("the child serves its admin listener", || async { status("first-token").await == 200 }).await;
    assert_eq!(status("second-token").await, 401);
    let s3 = client_for(&format!("http://127.0.0.1:{port}"), coffer::config::DEFAULT_ACCESS_KEY, coffer::config::DEFAULT_SECRET_KEY);
    s3.create_bucket().bucket("reload-notify").send().await.unwrap();
    let notify_to_hook = || {
        let queue = aws_sdk_s3::types::QueueConfiguration::builder()
            .queue_arn("arn:coffer:sqs::1:hook")
            .events(aws_sdk_s3::types::Event::from("s3:ObjectCreated:*"))
            .build()
            .unwrap();
        let config = aws_sdk_s3::types::NotificationConfiguration::builder().queue_configurations(queue).build();
        s3.put_bucket_notification_configuration().bucket("reload-notify").notification_configuration(config).send()
    };
    assert_sdk_error(notify_to_hook().await, 400, Some("InvalidArgument"));

    write_config(
        "second-token",
        "[log]\nlevel = \"debug\"\n[storage]\nmeta_cache_mib = 32\n[limits]\nidle_timeout_secs = 30\n[notify]\nwebhooks = [\"hook=http://127.0.0.1:9/events\"]\n",
    );
    let hup = || assert!(std::process::Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap().success());
    hup();
    eventually("the new metrics token is in force", || async { status("second-token").await == 200 }).await;
    assert_eq!(status("first-token").await, 401, "the old token no longer works");
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text.lines().find(|l| l.contains("SIGHUP: configuration reloaded")).unwrap_or_else(|| panic!("no reload line in\n{text}"));
    for applied in ["admin.metrics_token", "log.level", "limits.idle_timeout_secs", "notify.webhooks"] {
        assert!(line.split("needs_restart").next().unwrap().contains(applied), "{applied} applied: {line}");
    }
    assert!(line.split("needs_restart").nth(1).unwrap().contains("storage.meta_cache_mib"), "{line}");
    assert!(!text.contains("second-token"), "values are never logged");
    notify_to_hook().await.expect("the destination added by the reload is known");

    // A file that does not parse changes nothing; the server goes on.
    std::fs::write(&config, "[admin\nbroken").unwrap();
    hup();
    eventually("the failed reload is logged", || async { std::fs::read_to_string(&log).unwrap().contains("was not reloaded") }).await;
    assert_eq!(status("second-token").await, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}
