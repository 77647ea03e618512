//! A full disk is a state, not a wedge: on a small loop-mounted ext4 filesystem, PUTs
//! fill the disk until coffer refuses new data with 507 InsufficientStorage (while the
//! metadata store still has room), deletes free space and writes resume; with the disk
//! filled to the last byte by another program, deletes still work (the reserve is
//! released for them), and coffer restarts on the full disk and serves reads and
//! deletes.
//!
//! Needs root (losetup, mount) and mkfs.ext4. Under `CI=true` a missing capability is a
//! failure; elsewhere the test skips loudly.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use common::child::ChildServer;
use common::loopfs::LoopFs;

const MIB: usize = 1 << 20;

/// The real binary on `data`, with this test's settings.
async fn start_server(data: &Path) -> ChildServer {
    ChildServer::start(data, &["--storage.reserve_mib", "16", "--storage.meta_cache_mib", "8", "--scrub.interval", "0"]).await
}

async fn put(s3: &Client, key: &str, len: usize) -> Result<(), (Option<u16>, Option<String>, Option<String>)> {
    // Distinct bytes per key, so that no PUT deduplicates against another.
    let mut body = vec![0u8; len];
    let n = key.len().min(len);
    body[..n].copy_from_slice(&key.as_bytes()[..n]);
    match s3.put_object().bucket("full").key(key).body(ByteStream::from(body)).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let svc = e.into_service_error();
            Err((status, svc.meta().code().map(str::to_owned), svc.meta().message().map(str::to_owned)))
        }
    }
}

async fn delete(s3: &Client, key: &str) {
    s3.delete_object().bucket("full").key(key).send().await.unwrap_or_else(|e| panic!("DELETE {key} on a full disk: {e:?}"));
}

/// Waits out the free-space reading's lifetime (100 ms) so a check sees the change.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_new_data_and_recovers() {
    let Some(fs) = LoopFs::or_skip(200) else { return };
    let data = fs.mountpoint.join("data");
    let server = start_server(&data).await;
    let s3 = server.client();
    s3.create_bucket().bucket("full").send().await.unwrap();

    // Fill it: every PUT is acknowledged until coffer refuses with 507, well before the
    // metadata store runs out.
    let mut stored = Vec::new();
    let refusal = loop {
        let key = format!("obj-{}", stored.len());
        match put(&s3, &key, 4 * MIB).await {
            Ok(()) => stored.push(key),
            Err(e) => break e,
        }
        assert!(stored.len() < 100, "a 200 MB disk took more than 400 MB");
    };
    assert!(stored.len() > 20, "refused too early: {refusal:?}");
    assert_eq!(refusal.0, Some(507), "{refusal:?}");
    assert_eq!(refusal.1.as_deref(), Some("InsufficientStorage"), "{refusal:?}");
    assert!(refusal.2.as_deref().is_some_and(|m| m.contains("full")), "{refusal:?}");
    // Reads go on.
    s3.get_object().bucket("full").key(&stored[0]).send().await.unwrap();

    // Deleting frees space, and writes resume.
    for key in stored.drain(..8) {
        delete(&s3, &key).await;
    }
    settle().await;
    put(&s3, "after-delete", 4 * MIB).await.unwrap();

    // Another program fills the disk to the last byte: deletes still work.
    let filler = fs.mountpoint.join("filler");
    let _ = Command::new("dd").args(["if=/dev/zero", &format!("of={}", filler.display()), "bs=1M"]).stderr(Stdio::null()).status();
    settle().await;
    assert_eq!(put(&s3, "no-room", 1).await.unwrap_err().0, Some(507));
    let key = stored.pop().unwrap();
    delete(&s3, &key).await;
    assert!(s3.get_object().bucket("full").key(&key).send().await.is_err(), "deleted");

    // coffer starts on the full disk, serves reads and deletes.
    drop(s3);
    drop(server);
    let _ = Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", fs.mountpoint.join("filler2").display()), "bs=4k"])
        .stderr(Stdio::null())
        .status();
    let server = start_server(&data).await;
    let s3 = server.client();
    let body = s3.get_object().bucket("full").key(&stored[0]).send().await.unwrap().body.collect().await.unwrap();
    assert_eq!(body.into_bytes().len(), 4 * MIB);
    let key = stored.pop().unwrap();
    delete(&s3, &key).await;

    // Space comes back: writes work again.
    std::fs::remove_file(&filler).unwrap();
    let _ = std::fs::remove_file(fs.mountpoint.join("filler2"));
    settle().await;
    put(&s3, "space-is-back", 4 * MIB).await.unwrap();
    drop(s3);
    drop(server);
}
