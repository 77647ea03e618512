//! Bucket notifications to a webhook: configuration validation, the test event, every
//! kind of change delivered in S3's message format, and durability of the outbox across
//! a target outage and a server restart.

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_s3::Client;
use common::TestServer;
use http_body_util::BodyExt;
use serde_json::Value;

/// A webhook receiver: records JSON bodies; answers 500 while `failing` is non-zero
/// (counting it down).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
    failing: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(&self) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let me = me.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let me = me.clone();
                        async move {
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let fail = me.failing.load(Ordering::SeqCst) > 0;
                            if fail {
                                me.failing.fetch_sub(1, Ordering::SeqCst);
                            } else {
                                me.got.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                            }
                            let status = if fail { 500 } else { 200 };
                            Ok::<_, Infallible>(
                                hyper::Response::builder().status(status).body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
                });
            }
        });
        port
    }

    /// Event names received so far (TestEvent as "TestEvent").
    fn names(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|m| m["Records"][0]["eventName"].as_str().or(m["Event"].as_str()).unwrap_or("?").trim_start_matches("s3:").to_owned())
            .collect()
    }

    async fn wait_for(&self, n: usize) {
        for _ in 0..100 {
            if self.got.lock().unwrap().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} events, got {:?}", self.names());
    }
}

const ARN: &str = "arn:coffer:sqs::1:hook";

fn queue(id: &str, arn: &str, events: &[&str], prefix: &str) -> QueueConfiguration {
    let filter = NotificationConfigurationFilter::builder()
        .key(S3KeyFilter::builder().filter_rules(FilterRule::builder().name(FilterRuleName::Prefix).value(prefix).build()).build())
        .build();
    QueueConfiguration::builder()
        .id(id)
        .queue_arn(arn)
        .set_events(Some(events.iter().map(|e| Event::from(*e)).collect()))
        .filter(filter)
        .build()
        .unwrap()
}

async fn configure(s3: &Client, queues: Vec<QueueConfiguration>) -> Result<(), String> {
    s3.put_bucket_notification_configuration()
        .bucket("events")
        .notification_configuration(NotificationConfiguration::builder().set_queue_configurations(Some(queues)).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error().meta().code().unwrap_or("?").to_owned())
}

async fn server(dir: Option<tempfile::TempDir>, port: u16) -> TestServer {
    let hook = format!("hook=http://127.0.0.1:{port}/events");
    let overrides = [("notify.webhooks", hook.as_str())];
    match dir {
        Some(d) => TestServer::start_in(d, &overrides).await,
        None => TestServer::start_with(&overrides).await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_reaches_the_webhook_in_s3_format() {
    let rx = Receiver::default();
    let port = rx.start().await;
    let srv = server(None, port).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("events").send().await.unwrap();

    assert_eq!(
        configure(&s3, vec![queue("q", "arn:coffer:sqs::1:nope", &["s3:ObjectCreated:*"], "")]).await.unwrap_err(),
        "InvalidArgument"
    );
    let overlapping = vec![queue("a", ARN, &["s3:ObjectCreated:*"], "img/"), queue("b", ARN, &["s3:ObjectCreated:Put"], "img/x")];
    assert_eq!(configure(&s3, overlapping).await.unwrap_err(), "InvalidArgument");
    configure(&s3, vec![queue("created", ARN, &["s3:ObjectCreated:*"], "img/"), queue("removed", ARN, &["s3:ObjectRemoved:*"], "img/")])
        .await
        .unwrap();
    let got = s3.get_bucket_notification_configuration().bucket("events").send().await.unwrap();
    assert_eq!(got.queue_configurations().len(), 2);
    rx.wait_for(1).await;
    assert_eq!(rx.names(), vec!["TestEvent"]);

    s3.put_object().bucket("events").key("img/a b.jpg").body(ByteStream::from_static(b"hello")).send().await.unwrap();
    s3.put_object().bucket("events").key("doc/ignored").body(ByteStream::from_static(b"x")).send().await.unwrap();
    s3.copy_object().bucket("events").key("img/copy.jpg").copy_source("events/img/a%20b.jpg").send().await.unwrap();
    let id = s3.create_multipart_upload().bucket("events").key("img/mp").send().await.unwrap().upload_id().unwrap().to_owned();
    let p = s3
        .upload_part()
        .bucket("events")
        .key("img/mp")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket("events")
        .key("img/mp")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(p.e_tag().unwrap()).build()).build(),
        )
        .send()
        .await
        .unwrap();
    s3.delete_object().bucket("events").key("img/a b.jpg").send().await.unwrap();
    let posted = common::raw::signed_form("events", "img/form", b"from a form").send(&srv.host()).await;
    assert_eq!(posted.status, 204, "{}", posted.text());
    rx.wait_for(6).await;
    assert_eq!(
        rx.names(),
        vec![
            "TestEvent",
            "ObjectCreated:Put",
            "ObjectCreated:Copy",
            "ObjectCreated:CompleteMultipartUpload",
            "ObjectRemoved:Delete",
            "ObjectCreated:Post"
        ]
    );
    let put = rx.got.lock().unwrap()[1].clone();
    let r = &put["Records"][0];
    assert_eq!(r["eventVersion"], "2.1");
    assert_eq!(r["eventSource"], "aws:s3");
    assert_eq!(r["s3"]["bucket"]["name"], "events");
    assert_eq!(r["s3"]["configurationId"], "created");
    assert_eq!(r["s3"]["object"]["key"], "img/a+b.jpg");
    assert_eq!(r["s3"]["object"]["size"], 5);
    assert_eq!(r["s3"]["object"]["eTag"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(r["requestParameters"]["sourceIPAddress"], "127.0.0.1");
    assert!(r["responseElements"]["x-amz-request-id"].as_str().is_some_and(|s| !s.is_empty()));
    // Per-key order: the sequencer grows with each change of a key.
    let seq = |i: usize| rx.got.lock().unwrap()[i]["Records"][0]["s3"]["object"]["sequencer"].as_str().unwrap().to_owned();
    assert!(seq(1) < seq(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_survive_target_outage_and_restart() {
    let rx = Receiver::default();
    // The target refuses everything for a while.
    rx.failing.store(1_000_000, Ordering::SeqCst);
    let port = rx.start().await;
    let srv = server(None, port).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("events").send().await.unwrap();
    configure(&s3, vec![queue("all", ARN, &["s3:ObjectCreated:*"], "")]).await.unwrap();
    for i in 0..3 {
        s3.put_object().bucket("events").key(format!("k{i}")).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.names().is_empty());
    let during = stats(&srv).await;
    assert_eq!(during["events"]["outbox_backlog"], 4, "{during}");
    assert!(during["events"]["failed_attempts"].as_u64().unwrap() >= 1, "{during}");
    let dir = srv.dir;
    srv.server.stop().await;

    // Back up after a restart: everything queued arrives, in order.
    rx.failing.store(0, Ordering::SeqCst);
    let srv = server(Some(dir), port).await;
    rx.wait_for(4).await;
    let names = rx.names();
    assert_eq!(names[0], "TestEvent");
    let keys: Vec<String> =
        rx.got.lock().unwrap()[1..].iter().map(|m| m["Records"][0]["s3"]["object"]["key"].as_str().unwrap().to_owned()).collect();
    assert_eq!(keys, vec!["k0", "k1", "k2"]);
    let mut after = stats(&srv).await;
    for _ in 0..50 {
        if after["events"]["outbox_backlog"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = stats(&srv).await;
    }
    assert_eq!(after["events"]["outbox_backlog"], 0, "{after}");
    assert_eq!(after["events"]["delivered"], 4, "{after}");
    assert_eq!(after["events"]["dropped"], 0, "{after}");
    assert!(after.as_object().unwrap().contains_key("durability_failure") && after["durability_failure"].is_null(), "{after}");
}

/// `GET /?coffer-stats`, signed.
async fn stats(srv: &TestServer) -> Value {
    let host = srv.host();
    let response = common::raw::Request::new("GET", "/?coffer-stats").signed(&host).send(&host).await;
    serde_json::from_str(&response.text()).unwrap()
}

/// A message broker started from the binary on PATH for one test. Under `CI=true` a
/// missing binary fails the test; elsewhere the test is skipped loudly.
struct Broker(std::process::Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn broker(binary: &str, args: &[String], port: u16) -> Option<Broker> {
    let found = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()));
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{binary} is not on PATH (CI installs it)");
        eprintln!("SKIPPED: {binary} not on PATH; install it to run this test");
        return None;
    }
    let child = std::process::Command::new(binary)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let b = Broker(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some(b);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{binary} did not start");
}

fn event_names(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["Records"][0]["eventName"].as_str().or(m["Event"].as_str()).unwrap_or("?").trim_start_matches("s3:").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_subject_receives_events() {
    let port = free_port();
    let Some(_nats) = broker("nats-server", &["-a".into(), "127.0.0.1".into(), "-p".into(), port.to_string()], port).await else { return };
    let nats = async_nats::connect(format!("nats://127.0.0.1:{port}")).await.unwrap();
    let mut sub = nats.subscribe("coffer.events").await.unwrap();
    nats.flush().await.unwrap();
    let target = format!("n=nats://127.0.0.1:{port}/coffer.events");
    let srv = TestServer::start_with(&[("notify.nats", target.as_str())]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("events").send().await.unwrap();
    configure(&s3, vec![queue("all", "arn:coffer:sqs::1:n", &["s3:ObjectCreated:*"], "")]).await.unwrap();
    s3.put_object().bucket("events").key("n.txt").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let msg =
            tokio::time::timeout(Duration::from_secs(10), futures_util::StreamExt::next(&mut sub)).await.expect("NATS message").unwrap();
        got.push(serde_json::from_slice::<Value>(&msg.payload).unwrap());
    }
    assert_eq!(event_names(&got), vec!["TestEvent", "ObjectCreated:Put"]);
    assert_eq!(got[1]["Records"][0]["s3"]["object"]["key"], "n.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stream_receives_events() {
    let port = free_port();
    let args: Vec<String> =
        ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"].iter().map(|s| (*s).to_owned()).collect();
    let Some(_redis) = broker("redis-server", &args, port).await else { return };
    let target = format!("r=redis://127.0.0.1:{port}/coffer-events");
    let srv = TestServer::start_with(&[("notify.redis", target.as_str())]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("events").send().await.unwrap();
    configure(&s3, vec![queue("all", "arn:coffer:sqs::1:r", &["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], "")]).await.unwrap();
    s3.put_object().bucket("events").key("r.txt").body(ByteStream::from_static(b"x")).send().await.unwrap();
    s3.delete_object().bucket("events").key("r.txt").send().await.unwrap();
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut messages = Vec::new();
    for _ in 0..100 {
        let reply: redis::streams::StreamRangeReply = redis::AsyncCommands::xrange_all(&mut conn, "coffer-events").await.unwrap();
        messages = reply
            .ids
            .iter()
            .map(|e| {
                let raw: Vec<u8> = e.get("message").unwrap();
                serde_json::from_slice::<Value>(&raw).unwrap()
            })
            .collect();
        if messages.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(event_names(&messages), vec!["TestEvent", "ObjectCreated:Put", "ObjectRemoved:Delete"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_records_are_forwarded_to_an_audit_destination() {
    let receiver = Receiver::default();
    let port = receiver.start().await;
    let hook = format!("hook=http://127.0.0.1:{port}/events");
    let srv = TestServer::start_with(&[("notify.webhooks", hook.as_str()), ("audit.destinations", "hook")]).await;
    srv.client().create_bucket().bucket("forwarded").send().await.unwrap();
    receiver.wait_for(1).await;
    let got = receiver.got.lock().unwrap().clone();
    let record = got.iter().find(|r| r["eventName"] == "CreateBucket").unwrap_or_else(|| panic!("no CreateBucket record in {got:?}"));
    assert_eq!(record["requestParameters"]["bucketName"], "forwarded");
    assert_eq!(record["eventSource"], "s3.amazonaws.com");
    // The file has it too: forwarding is in addition.
    let file = std::fs::read_to_string(srv.dir.path().join("audit.log")).unwrap();
    assert!(file.contains("\"eventName\":\"CreateBucket\""), "{file}");
}
