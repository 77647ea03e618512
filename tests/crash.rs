//! Crash safety of the real binary: concurrent writers, `kill -9` mid-write, restart on
//! the same data directory, three times over. Every acknowledged PUT must read back
//! byte-identical, every listed object must be whole, and start-up must clear `tmp/`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use common::{client_for, data};

const MIB: usize = 1 << 20;
const WRITERS: usize = 8;
const CYCLES: usize = 3;
/// The default `storage.inline_max_bytes`: objects up to this size live in the metadata
/// store.
const INLINE: u64 = 4096;

/// A running `coffer` child process.
struct Coffer {
    child: Child,
    endpoint: String,
}

impl Coffer {
    /// Starts the binary on `dir` with a free port and waits for its "listening" line.
    fn spawn(dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_coffer"))
            .args(["--server.listen", "127.0.0.1:0", "--storage.path"])
            .arg(dir)
            .args(["--storage.meta_cache_mib", "16"])
            // Not the repository's config.toml: the built-in defaults plus these flags.
            .current_dir(dir)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn coffer");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        // Drain both pipes for the child's whole life (a full pipe would block it).
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for pipe in [Box::new(stdout) as Box<dyn std::io::Read + Send>, Box::new(stderr)] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = listening_addr(&line) {
                        let _ = tx.send(addr);
                    }
                }
            });
        }
        let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let status = child.try_wait();
            panic!("coffer did not report its address (exit status {status:?})")
        });
        Self { child, endpoint: format!("http://{addr}") }
    }

    fn client(&self) -> Client {
        client_for(&self.endpoint, "coffer", "coffer-secret-key")
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// `ADDR` from a log line containing `coffer listening on http://ADDR`.
fn listening_addr(line: &str) -> Option<String> {
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let addr: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
    (!addr.is_empty()).then_some(addr)
}

/// The body a key must hold: its size and bytes derive from the key alone.
fn body_for(key: &str) -> Vec<u8> {
    let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let size = match seed % 6 {
        0 => MIB + usize::try_from(seed % (3 << 20)).unwrap(),  // 1–4 MiB
        1 | 2 => usize::try_from(seed % (INLINE + 1)).unwrap(), // stored inline
        _ => usize::try_from(seed % 200_000).unwrap(),
    };
    data(size, seed)
}

fn files_under(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// Runs writers against `s3` until `stop`; returns the acknowledged keys.
fn write_until_stopped(s3: &Client, cycle: usize, stop: &Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<Vec<String>>> {
    (0..WRITERS)
        .map(|w| {
            let (s3, stop) = (s3.clone(), stop.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = format!("c{cycle}/w{w}/{i:05}");
                    let body = body_for(&key);
                    if s3.put_object().bucket("crash").key(&key).body(ByteStream::from(body)).send().await.is_ok() {
                        acked.push(key);
                    }
                }
                acked
            })
        })
        .collect()
}

/// Checks the store after a restart against everything acknowledged so far.
async fn verify(s3: &Client, acked: &BTreeSet<String>, cycle: usize) {
    let mut listed = BTreeSet::new();
    let mut pages = s3.list_objects_v2().bucket("crash").into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap_or_else(|e| panic!("cycle {cycle}: listing failed: {e:?}"));
        for o in page.contents() {
            let key = o.key().unwrap().to_owned();
            let expected = body_for(&key).len();
            assert_eq!(o.size(), Some(i64::try_from(expected).unwrap()), "cycle {cycle}: {key} listed with a partial size");
            listed.insert(key);
        }
    }
    let missing: Vec<_> = acked.difference(&listed).collect();
    assert!(missing.is_empty(), "cycle {cycle}: acknowledged but lost: {missing:?}");
    for key in &listed {
        let got = s3
            .get_object()
            .bucket("crash")
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("cycle {cycle}: {key} listed but unreadable: {e:?}"));
        let bytes = got.body.collect().await.unwrap_or_else(|e| panic!("cycle {cycle}: {key} body: {e:?}")).into_bytes();
        assert!(bytes.as_ref() == body_for(key).as_slice(), "cycle {cycle}: {key} reads back different bytes ({} bytes)", bytes.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Coffer::spawn(dir.path());
    server.client().create_bucket().bucket("crash").send().await.unwrap();
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut total_acked_large = 0;

    for cycle in 0..CYCLES {
        let s3 = server.client();
        let stop = Arc::new(AtomicBool::new(false));
        let writers = write_until_stopped(&s3, cycle, &stop);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            let keys = tokio::time::timeout(Duration::from_secs(120), w).await.expect("writer hung after the kill").unwrap();
            total_acked_large += keys.iter().filter(|k| body_for(k).len() >= MIB).count();
            acked.lock().unwrap().extend(keys);
        }

        eprintln!("cycle {cycle}: {} writes acknowledged so far, {total_acked_large} of 1–4 MiB", acked.lock().unwrap().len());
        server = Coffer::spawn(dir.path());
        let tmp = files_under(&dir.path().join("tmp"));
        assert!(tmp.is_empty(), "cycle {cycle}: start-up left temp files: {tmp:?}");
        let snapshot = acked.lock().unwrap().clone();
        assert!(!snapshot.is_empty(), "cycle {cycle}: no write was acknowledged at all");
        verify(&server.client(), &snapshot, cycle).await;
    }
    assert!(total_acked_large > 0, "no 1–4 MiB object was acknowledged; the test did not exercise large writes");
    let inline = acked.lock().unwrap().iter().filter(|k| (1..=INLINE).contains(&(body_for(k).len() as u64))).count();
    assert!(inline > 0, "no object small enough to be stored inline was acknowledged");

    // The store is still writable after all that.
    let s3 = server.client();
    s3.put_object().bucket("crash").key("after").body(ByteStream::from_static(b"ok")).send().await.unwrap();
    server.kill();

    // Offline: reconcile (as start-up does) and audit every blob reference and every
    // inline record.
    let store = coffer::store::Store::open(dir.path(), 8 << 20).unwrap();
    store.reconcile_blobs();
    let report = store.audit().unwrap();
    assert!(report.is_clean(), "{report:?}");
}
