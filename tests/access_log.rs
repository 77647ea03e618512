//! Server access logging: Put/GetBucketLogging with S3's validation, and log objects in
//! the target bucket whose every record parses with a parser written from the AWS
//! documentation (tests/common/access_log.rs), also across a kill -9.

mod common;

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled, PartitionDateSource, PartitionedPrefix, TargetObjectKeyFormat};
use coffer::config::DEFAULT_SECRET_KEY;
use common::access_log::{parse_line, parse_partitioned_key, parse_simple_key, time_of, AccessLogRecord};
use common::{assert_sdk_error, client_for, eventually, TestServer};

fn logging(target: &str, prefix: &str) -> BucketLoggingStatus {
    BucketLoggingStatus::builder()
        .logging_enabled(LoggingEnabled::builder().target_bucket(target).target_prefix(prefix).build().unwrap())
        .build()
}

/// Every log object under `prefix` in `bucket`: (key, its records).
async fn log_objects(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<(String, Vec<AccessLogRecord>)> {
    let listed = s3.list_objects_v2().bucket(bucket).prefix(prefix).send().await.unwrap();
    let mut out = Vec::new();
    for object in listed.contents() {
        let key = object.key().unwrap().to_owned();
        let body = s3.get_object().bucket(bucket).key(&key).send().await.unwrap().body.collect().await.unwrap().into_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains(DEFAULT_SECRET_KEY) && !text.contains("X-Amz-Signature"), "no secret, no signature:\n{text}");
        let records: Vec<AccessLogRecord> = text.lines().map(|l| parse_line(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
        assert!(records.iter().all(|r| r.extra_fields.is_empty()), "exactly the documented fields");
        out.push((key, records));
    }
    out
}

/// A client of a new account `name` (made with `coffer admin account create`).
async fn account_client(srv: &TestServer, name: &str) -> aws_sdk_s3::Client {
    let cmd = coffer::admin::cli::parse(&["account".into(), "create".into(), name.into(), "--json".into()]).unwrap();
    let cmd = coffer::admin::cli::Command { endpoint: Some(srv.admin_endpoint()), ..cmd };
    let config = coffer::config::Config::from_toml(coffer::config::DEFAULT_TOML, &[]).unwrap();
    let created: serde_json::Value = serde_json::from_str(&coffer::admin::cli::run(&cmd, &config).await.unwrap()).unwrap();
    client_for(&srv.endpoint, created["access_key"].as_str().unwrap(), created["secret_key"].as_str().unwrap())
}

#[tokio::test]
async fn the_documentation_examples_parse() {
    common::access_log::self_check();
}

#[tokio::test]
async fn access_logs_arrive_in_the_target_bucket_in_s3s_format() {
    let srv = TestServer::start_with(&[("logging.interval_secs", "1")]).await;
    let s3 = srv.client();
    for b in ["logged-source", "log-target"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_logging().bucket("logged-source").bucket_logging_status(logging("log-target", "logs/")).send().await.unwrap();
    let got = s3.get_bucket_logging().bucket("logged-source").send().await.unwrap();
    let enabled = got.logging_enabled().unwrap();
    assert_eq!((enabled.target_bucket(), enabled.target_prefix()), ("log-target", "logs/"));
    assert!(s3.get_bucket_logging().bucket("log-target").send().await.unwrap().logging_enabled().is_none());

    s3.put_object().bucket("logged-source").key("a b.txt").body(ByteStream::from_static(b"hello")).send().await.unwrap();
    s3.get_object().bucket("logged-source").key("a b.txt").send().await.unwrap().body.collect().await.unwrap();
    assert_sdk_error(s3.head_object().bucket("logged-source").key("missing").send().await, 404, Some("NotFound"));
    let presigned = s3
        .get_object()
        .bucket("logged-source")
        .key("a b.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let fetched = common::raw::Request::new("GET", presigned.uri().trim_start_matches(&srv.endpoint)).send(&srv.host()).await;
    assert_eq!(fetched.status, 200);
    let anonymous = common::raw::Request::new("GET", "/logged-source/a%20b.txt").send(&srv.host()).await;
    assert_eq!(anonymous.status, 403);
    s3.list_objects_v2().bucket("logged-source").send().await.unwrap();

    eventually("six records delivered to log-target", || async {
        log_objects(&s3, "log-target", "logs/").await.iter().map(|(_, r)| r.len()).sum::<usize>() >= 6
    })
    .await;
    let objects = log_objects(&s3, "log-target", "logs/").await;
    for (key, _) in &objects {
        parse_simple_key(key, "logs/").unwrap_or_else(|e| panic!("{e}"));
    }
    let records: Vec<AccessLogRecord> = objects.into_iter().flat_map(|(_, r)| r).collect();
    let find = |op: &str, status: u16| {
        records.iter().find(|r| r.operation == op && r.http_status == status).unwrap_or_else(|| panic!("no {op} {status} in {records:#?}"))
    };
    let put = find("REST.PUT.OBJECT", 200);
    assert_eq!((put.bucket.as_str(), put.key.as_deref(), put.object_size), ("logged-source", Some("a%20b.txt"), Some(5)));
    assert!(put.requester.as_deref().is_some_and(|r| r.ends_with(":root")), "{put:?}");
    assert!(put.bucket_owner.as_deref().is_some_and(|o| o.len() == 64), "{put:?}");
    assert_eq!((put.signature_version.as_deref(), put.authentication_type.as_deref()), (Some("SigV4"), Some("AuthHeader")));
    assert_eq!(put.request_uri.as_deref(), Some("PUT /logged-source/a%20b.txt?x-id=PutObject HTTP/1.1"));
    assert!(put.user_agent.as_deref().is_some_and(|u| u.contains("aws-sdk-rust")));
    assert!(put.host_header.is_some() && put.remote_ip.as_deref() == Some("127.0.0.1"));
    time_of(put).unwrap();
    let gets: Vec<&AccessLogRecord> = records.iter().filter(|r| r.operation == "REST.GET.OBJECT" && r.http_status == 200).collect();
    assert_eq!(gets.len(), 2, "the SDK's GET and the presigned one");
    assert!(gets.iter().all(|g| g.bytes_sent == Some(5) && g.object_size == Some(5)), "{gets:?}");
    let presigned = gets.iter().find(|g| g.authentication_type.as_deref() == Some("QueryString")).expect("the presigned GET");
    assert!(presigned.request_uri.as_deref().is_some_and(|u| u.contains("X-Amz-Credential=") && !u.contains("Signature")), "{presigned:?}");
    let head = find("REST.HEAD.OBJECT", 404);
    assert_eq!(head.error_code.as_deref(), Some("NoSuchKey"));
    let denied = find("REST.GET.OBJECT", 403);
    assert_eq!(
        (denied.requester.as_deref(), denied.error_code.as_deref(), denied.signature_version.as_deref()),
        (None, Some("AccessDenied"), None)
    );
    find("REST.GET.BUCKET", 200);
    // The target's own requests are not logged (it has no logging), and nothing loops.
    assert!(records.iter().all(|r| r.bucket == "logged-source"));
}

#[tokio::test]
async fn logging_status_is_validated_as_s3_does() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("source-bucket").send().await.unwrap();
    let put = |status| s3.put_bucket_logging().bucket("source-bucket").bucket_logging_status(status).send();
    assert_sdk_error(put(logging("no-such-target", "")).await, 400, Some("InvalidTargetBucketForLogging"));
    // Another account's bucket.
    let other = account_client(&srv, "other").await;
    other.create_bucket().bucket("other-account-logs").send().await.unwrap();
    assert_sdk_error(put(logging("other-account-logs", "")).await, 400, Some("InvalidTargetBucketForLogging"));
    // TargetGrants on a bucket whose ACLs are disabled (the default).
    s3.create_bucket().bucket("owner-enforced").send().await.unwrap();
    let grant = aws_sdk_s3::types::TargetGrant::builder()
        .grantee(
            aws_sdk_s3::types::Grantee::builder()
                .r#type(aws_sdk_s3::types::Type::Group)
                .uri("http://acs.amazonaws.com/groups/global/AllUsers")
                .build()
                .unwrap(),
        )
        .permission(aws_sdk_s3::types::BucketLogsPermission::Read)
        .build();
    let with_grants = BucketLoggingStatus::builder()
        .logging_enabled(
            LoggingEnabled::builder().target_bucket("owner-enforced").target_prefix("p/").target_grants(grant).build().unwrap(),
        )
        .build();
    assert_sdk_error(put(with_grants).await, 400, Some("AccessControlListNotSupported"));
    assert!(s3.get_bucket_logging().bucket("source-bucket").send().await.unwrap().logging_enabled().is_none(), "nothing stored");
    // Logging to itself is allowed; an empty status turns logging off.
    put(logging("source-bucket", "self/")).await.unwrap();
    assert!(s3.get_bucket_logging().bucket("source-bucket").send().await.unwrap().logging_enabled().is_some());
    put(BucketLoggingStatus::builder().build()).await.unwrap();
    assert!(s3.get_bucket_logging().bucket("source-bucket").send().await.unwrap().logging_enabled().is_none());
    assert_sdk_error(s3.get_bucket_logging().bucket("no-such-bucket-x").send().await, 404, Some("NoSuchBucket"));
}

#[tokio::test]
async fn partitioned_keys_and_records_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    // A delivery interval no test waits for: records stay waiting in the store.
    let child = common::child::ChildServer::start(dir.path(), &["--logging.interval_secs", "3600", "--scrub.interval", "0"]).await;
    let s3 = child.client();
    for b in ["part-source", "part-target"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let format = TargetObjectKeyFormat::builder()
        .partitioned_prefix(PartitionedPrefix::builder().partition_date_source(PartitionDateSource::EventTime).build())
        .build();
    let status = BucketLoggingStatus::builder()
        .logging_enabled(
            LoggingEnabled::builder().target_bucket("part-target").target_prefix("p/").target_object_key_format(format).build().unwrap(),
        )
        .build();
    s3.put_bucket_logging().bucket("part-source").bucket_logging_status(status).send().await.unwrap();
    for i in 0..5 {
        s3.put_object().bucket("part-source").key(format!("k{i}")).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }
    // The writer stores records about once a second; then the process dies without
    // shutting down.
    tokio::time::sleep(Duration::from_secs(3)).await;
    child.kill();
    let child = common::child::ChildServer::start(dir.path(), &["--logging.interval_secs", "1", "--scrub.interval", "0"]).await;
    let s3 = child.client();
    eventually("the five PUTs' records delivered after the restart", || async {
        log_objects(&s3, "part-target", "p/").await.iter().flat_map(|(_, r)| r).filter(|r| r.operation == "REST.PUT.OBJECT").count() >= 5
    })
    .await;
    let objects = log_objects(&s3, "part-target", "p/").await;
    let account = objects[0].0.trim_start_matches("p/").split('/').next().unwrap().to_owned();
    assert_eq!(account.len(), 12);
    for (key, _) in &objects {
        let parts = parse_partitioned_key(key, "p/", &account, "us-east-1", "part-source").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((parts.3, parts.4, parts.5), (0, 0, 0), "event-time partitions name the day: {key}");
    }
}

#[tokio::test]
async fn logs_never_go_to_a_target_recreated_by_another_account() {
    let srv = TestServer::start_with(&[("logging.interval_secs", "1")]).await;
    let s3 = srv.client();
    for b in ["owned-source", "shared-name-logs"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_logging().bucket("owned-source").bucket_logging_status(logging("shared-name-logs", "l/")).send().await.unwrap();
    // The target goes; another account takes its name.
    s3.delete_bucket().bucket("shared-name-logs").send().await.unwrap();
    let thief = account_client(&srv, "thief").await;
    thief.create_bucket().bucket("shared-name-logs").send().await.unwrap();
    for i in 0..3 {
        s3.put_object().bucket("owned-source").key(format!("secret-{i}")).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }
    // Several delivery rounds pass; nothing may arrive in the other account's bucket.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let listed = thief.list_objects_v2().bucket("shared-name-logs").send().await.unwrap();
    assert!(listed.contents().is_empty(), "another account received access logs: {:?}", listed.contents());
}
