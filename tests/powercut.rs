//! Power cuts, not just `kill -9`: the server runs on [`fs::PowerCutFs`], a FUSE
//! filesystem that keeps only what was fsynced (file data and directory entries alike)
//! when the power is "cut". Eight concurrent writers (inline-size and blob-size PUTs,
//! multipart uploads, copies, deletes, versioned overwrites) run while the server is
//! killed at a random instant and everything not durable is thrown away; after each
//! restart every acknowledged write must read back byte-identical, every acknowledged
//! delete must stay deleted, no listed object may be torn, and the offline audit and
//! scrub must pass at the end. A second test makes fsync fail and checks that nothing
//! of the failed write becomes visible and that `durability_failure` is reported over
//! HTTP.
//!
//! Needs root and /dev/fuse. Under `CI=true` a missing FUSE is a failure; elsewhere
//! the tests skip loudly. `POWERCUT_ROUNDS` sets the number of cuts (default 20).

#[path = "powercut/fs.rs"]
mod fs;

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, VersioningConfiguration};
use aws_sdk_s3::Client;
use common::child::ChildServer;
use common::data;
use rand::{Rng, SeedableRng};

const WRITERS: u64 = 8;
const KEYS_PER_WRITER: u64 = 6;
const MIB: usize = 1 << 20;

/// Mounts the test filesystem, or explains why it cannot (a loud skip outside CI).
fn mount(dir: &Path) -> Option<fs::PowerCutFs> {
    match fs::PowerCutFs::mount(dir) {
        Ok(m) => Some(m),
        Err(e) => {
            let why = format!("cannot mount the FUSE power-cut filesystem (needs root, /dev/fuse, fuse3): {e}");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

/// The real binary on `data`, with this test's settings.
async fn start_server(data: &Path) -> ChildServer {
    ChildServer::start(data, &["--storage.reserve_mib", "16", "--scrub.interval", "0"]).await
}

/// An object's bytes, by recipe: `data(len, seed)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Body {
    seed: u64,
    len: usize,
}

impl Body {
    fn bytes(self) -> Vec<u8> {
        data(self.len, self.seed)
    }
}

/// What a key of the plain bucket holds: an object, or nothing.
type Plain = Option<Body>;

/// The acknowledged state of one writer's keys, and the one operation it had in
/// flight when the power went (its outcome may be either).
#[derive(Default)]
struct Model {
    /// Plain bucket: key → content.
    plain: HashMap<String, Plain>,
    /// Versioned bucket: key → acknowledged (version id, content), oldest first.
    versions: HashMap<String, Vec<(String, Body)>>,
    /// The operation in flight: (bucket, key, what it would leave).
    pending: Option<(&'static str, String, Plain)>,
    /// Writes acknowledged so far.
    acked: u64,
}

/// One writer: random operations on its own keys until the server goes away.
async fn writer(s3: Client, id: u64, model: Arc<Mutex<Model>>, killed: Arc<AtomicBool>, seeds: Arc<AtomicU64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seeds.fetch_add(1, Ordering::SeqCst));
    loop {
        let key = format!("w{id}/k{}", rng.gen_range(0..KEYS_PER_WRITER));
        let seed = seeds.fetch_add(1, Ordering::SeqCst);
        let op = rng.gen_range(0..10);
        let outcome = match op {
            // Inline-size and blob-size PUTs (1 B – 3 MiB).
            0..=3 => {
                let len = if op < 2 { rng.gen_range(1..=4096) } else { rng.gen_range(4097..=3 * MIB) };
                let body = Body { seed, len };
                model.lock().unwrap().pending = Some(("plain", key.clone(), Some(body)));
                done(s3.put_object().bucket("plain").key(&key).body(ByteStream::from(body.bytes())).send().await)
            }
            4 => {
                model.lock().unwrap().pending = Some(("plain", key.clone(), None));
                done(s3.delete_object().bucket("plain").key(&key).send().await)
            }
            5 => {
                // Copy another of this writer's objects over `key`.
                let source = format!("w{id}/k{}", rng.gen_range(0..KEYS_PER_WRITER));
                let found = model.lock().unwrap().plain.get(&source).copied();
                let (Some(Some(body)), false) = (found, source == key) else { continue };
                model.lock().unwrap().pending = Some(("plain", key.clone(), Some(body)));
                done(s3.copy_object().bucket("plain").key(&key).copy_source(format!("plain/{source}")).send().await)
            }
            6 => {
                let body = Body { seed, len: 5 * MIB + rng.gen_range(1..=300_000) };
                model.lock().unwrap().pending = Some(("plain", key.clone(), Some(body)));
                multipart(&s3, &key, body).await
            }
            _ => {
                let body = Body { seed, len: rng.gen_range(1..=300_000) };
                model.lock().unwrap().pending = Some(("versioned", key.clone(), Some(body)));
                match s3.put_object().bucket("versioned").key(&key).body(ByteStream::from(body.bytes())).send().await {
                    Ok(out) => {
                        let mut m = model.lock().unwrap();
                        m.versions.entry(key.clone()).or_default().push((out.version_id.unwrap(), body));
                        m.pending = None;
                        m.acked += 1;
                        continue;
                    }
                    Err(e) => done::<(), _>(Err(e)),
                }
            }
        };
        match outcome {
            Ok(()) => {
                let mut m = model.lock().unwrap();
                let (_, k, state) = m.pending.take().unwrap();
                m.plain.insert(k, state);
                m.acked += 1;
            }
            Err(e) if killed.load(Ordering::SeqCst) => {
                let _ = e;
                return;
            }
            Err(e) => panic!("writer {id}: operation {op} on {key} failed before the cut: {e:?}"),
        }
    }
}

type OpError = Box<dyn std::error::Error + Send + Sync>;

/// An SDK call's outcome, without its output.
fn done<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> Result<(), OpError> {
    r.map(|_| ()).map_err(|e| Box::new(e) as OpError)
}

async fn multipart(s3: &Client, key: &str, body: Body) -> Result<(), OpError> {
    let bytes = body.bytes();
    let up = s3.create_multipart_upload().bucket("plain").key(key).send().await?;
    let id = up.upload_id.unwrap();
    let mut parts = Vec::new();
    for (i, chunk) in bytes.chunks(5 * MIB).enumerate() {
        let n = i32::try_from(i + 1).unwrap();
        let out =
            s3.upload_part().bucket("plain").key(key).upload_id(&id).part_number(n).body(ByteStream::from(chunk.to_vec())).send().await?;
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag.unwrap()).build());
    }
    s3.complete_multipart_upload()
        .bucket("plain")
        .key(key)
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await?;
    Ok(())
}

/// The object's bytes, or `None` for NoSuchKey.
async fn fetch(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> Option<Vec<u8>> {
    match s3.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_owned)).send().await {
        Ok(out) => Some(out.body.collect().await.expect("a whole body, never a broken one").into_bytes().to_vec()),
        Err(e) if e.as_service_error().is_some_and(aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key) => None,
        Err(e) => panic!("GET {bucket}/{key} {version:?}: {e:?}"),
    }
}

/// After a restart: every acknowledged write is there, byte-identical; the write in
/// flight left either its old or its new state; the model then takes what was found.
async fn verify(s3: &Client, model: &Mutex<Model>) -> u64 {
    let (plain, versions, pending) = {
        let m = model.lock().unwrap();
        (m.plain.clone(), m.versions.clone(), m.pending.clone())
    };
    let mut checked = 0;
    for (key, state) in &plain {
        let found = fetch(s3, "plain", key, None).await;
        let matches = |s: &Plain| found.as_deref() == s.map(Body::bytes).as_deref();
        let in_flight = pending.as_ref().filter(|(b, k, _)| *b == "plain" && k == key);
        if !matches(state) {
            let ok = in_flight.is_some_and(|(_, _, new)| matches(new));
            assert!(ok, "plain/{key}: acknowledged {state:?}, found {:?} bytes", found.as_ref().map(Vec::len));
            model.lock().unwrap().plain.insert(key.clone(), in_flight.unwrap().2);
        }
        checked += 1;
    }
    if let Some(("plain", key, new)) = &pending {
        if !plain.contains_key(key) {
            let found = fetch(s3, "plain", key, None).await;
            assert!(found.is_none() || found.as_deref() == new.map(Body::bytes).as_deref(), "plain/{key}: torn in-flight write");
            model.lock().unwrap().plain.insert(key.clone(), found.and(*new));
        }
    }
    for (key, list) in &versions {
        for (id, body) in list {
            assert_eq!(
                fetch(s3, "versioned", key, Some(id)).await.as_deref(),
                Some(body.bytes().as_slice()),
                "versioned/{key}?versionId={id}"
            );
            checked += 1;
        }
    }
    model.lock().unwrap().pending = None;
    checked
}

/// Every listed object of `bucket` is whole: its GET succeeds with the listed size.
async fn listed_objects_are_whole(s3: &Client, bucket: &str) {
    let listing = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    for object in listing.contents() {
        let key = object.key().unwrap();
        let body = fetch(s3, bucket, key, None).await.unwrap_or_else(|| panic!("{bucket}/{key} is listed but not readable"));
        assert_eq!(i64::try_from(body.len()).unwrap(), object.size().unwrap(), "{bucket}/{key}: listed size");
    }
}

fn tmp_files(data: &Path) -> usize {
    std::fs::read_dir(data.join("tmp")).map_or(0, Iterator::count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_power_cuts() {
    let mnt = tempfile::tempdir().unwrap();
    let Some(fs) = mount(mnt.path()) else { return };
    let data: PathBuf = mnt.path().join("data");
    let rounds: u64 = std::env::var("POWERCUT_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    let models: Vec<Arc<Mutex<Model>>> = (0..WRITERS).map(|_| Arc::default()).collect();
    let seeds = Arc::new(AtomicU64::new(1));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x00C0_FFEE);

    let server = start_server(&data).await;
    let s3 = server.client();
    s3.create_bucket().bucket("plain").send().await.unwrap();
    s3.create_bucket().bucket("versioned").send().await.unwrap();
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket("versioned").versioning_configuration(on).send().await.unwrap();
    let mut server = Some(server);
    let mut checked_total = 0;
    for round in 1..=rounds {
        let live = server.take().unwrap();
        let killed = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|id| {
                tokio::spawn(writer(
                    live.client(),
                    id,
                    Arc::clone(&models[usize::try_from(id).unwrap()]),
                    Arc::clone(&killed),
                    Arc::clone(&seeds),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(300..2000))).await;
        killed.store(true, Ordering::SeqCst);
        live.kill();
        for w in writers {
            w.await.expect("writer panicked");
        }
        fs.cut();

        let restarted = start_server(&data).await;
        let s3 = restarted.client();
        assert_eq!(tmp_files(&data), 0, "round {round}: temp files remain after start-up");
        for model in &models {
            checked_total += verify(&s3, model).await;
        }
        listed_objects_are_whole(&s3, "plain").await;
        listed_objects_are_whole(&s3, "versioned").await;
        server = Some(restarted);
    }
    let acked: u64 = models.iter().map(|m| m.lock().unwrap().acked).sum();
    server.take().unwrap().kill();
    fs.cut();

    // Offline: reconcile as start-up does, then audit every reference and re-hash
    // every blob.
    let store = coffer::store::Store::open(&data, 8 << 20).unwrap();
    store.reconcile_blobs();
    let report = store.audit().unwrap();
    assert!(report.is_clean(), "{report:?}");
    store.scrub_pass(&mut |_| true).unwrap();
    assert!(store.scrub_report().damaged.is_empty(), "{:?}", store.scrub_report());
    drop(store);
    let st = fs.stats();
    println!(
        "power-cut test: {rounds} rounds, {acked} acknowledged writes, {checked_total} checks after cuts, lost 0; \
         {} file and {} directory fsyncs reached the filesystem",
        st.file_fsyncs, st.dir_fsyncs
    );
    assert!(acked > rounds * 5, "too few writes were acknowledged ({acked}) for the test to mean anything");
    fs.unmount();
}

/// `GET /?coffer-stats`, signed.
async fn stats(port: u16) -> serde_json::Value {
    let host = format!("127.0.0.1:{port}");
    let response = common::raw::Request::new("GET", "/?coffer-stats").signed(&host).send(&host).await;
    serde_json::from_str(&response.text()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fsync_leaves_no_trace_and_is_reported() {
    let mnt = tempfile::tempdir().unwrap();
    let Some(fs) = mount(mnt.path()) else { return };
    let data = mnt.path().join("data");
    let server = start_server(&data).await;
    let s3 = server.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    s3.put_object().bucket("bkt").key("before").body(ByteStream::from_static(b"kept")).send().await.unwrap();
    let put = |key: &'static str, len: usize| s3.put_object().bucket("bkt").key(key).body(ByteStream::from(vec![7u8; len])).send();
    let status = |e: &aws_sdk_s3::error::SdkError<_, aws_sdk_s3::config::http::HttpResponse>| e.raw_response().map(|r| r.status().as_u16());

    // A blob-size PUT whose blob fsync fails: 500, and no trace. The failure is the
    // temp file's alone (it is discarded), so later writes go on.
    fs.fail_next_fsyncs(libc::EIO, 1);
    let err = put("blob", 100_000).await.unwrap_err();
    assert_eq!(status(&err), Some(500), "{err:?}");
    assert_eq!(fetch(&s3, "bkt", "blob", None).await, None, "a write whose fsync failed is never visible");
    put("next", 100_000).await.unwrap();
    assert!(stats(server.port).await["durability_failure"].is_null());

    // An inline PUT whose metadata log fsync fails: 500, its records rolled back before
    // the answer, and, since what that fsync held may be lost, every later write is
    // refused until a restart, with the reason in the stats.
    fs.fail_next_fsyncs(libc::ENOSPC, 1000);
    let err = put("inline", 10).await.unwrap_err();
    assert_eq!(status(&err), Some(500), "{err:?}");
    fs.fail_next_fsyncs(libc::ENOSPC, 0);
    assert_eq!(fetch(&s3, "bkt", "inline", None).await, None, "a write whose flush failed is never visible");
    let listed = s3.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert!(listed.contents().iter().all(|o| o.key() != Some("inline")), "not listed");
    let later = put("later", 10).await.unwrap_err();
    assert_eq!(status(&later), Some(500));
    let doc = stats(server.port).await;
    assert!(doc["durability_failure"].as_str().is_some_and(|d| d.contains("metadata")), "{doc}");
    assert_eq!(fetch(&s3, "bkt", "before", None).await.as_deref(), Some(&b"kept"[..]), "reads go on");
    drop(s3);
    server.kill();

    // After a power cut and a restart, writes work again and the failed ones never
    // appear; the acknowledged ones are all there.
    fs.cut();
    let server = start_server(&data).await;
    let s3 = server.client();
    s3.put_object().bucket("bkt").key("after").body(ByteStream::from_static(b"ok")).send().await.unwrap();
    for key in ["blob", "inline", "later"] {
        assert_eq!(fetch(&s3, "bkt", key, None).await, None, "{key}");
    }
    assert_eq!(fetch(&s3, "bkt", "before", None).await.as_deref(), Some(&b"kept"[..]));
    assert_eq!(fetch(&s3, "bkt", "next", None).await.map(|b| b.len()), Some(100_000));
    server.kill();
    fs.unmount();
}
