//! Crash safety of multipart uploads: a real coffer process is killed with SIGKILL while
//! parts are uploading and while CompleteMultipartUpload runs. After restart every
//! acknowledged part is listed intact, the object is either absent or whole, and the
//! reference audit finds no lost or leaked blob once start-up reconciliation has run.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::{client_for, data};

const PART: usize = 5 << 20;

struct Coffer {
    child: Child,
    port: u16,
}

impl Coffer {
    #[allow(clippy::zombie_processes)] // `kill` waits; a panic here ends the test anyway.
    async fn start(dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_coffer"))
            .args(["--server.listen", &format!("127.0.0.1:{port}"), "--storage.path", dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Self { child, port };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("coffer did not start");
    }

    fn client(&self) -> Client {
        client_for(&format!("http://127.0.0.1:{}", self.port), DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    }

    fn kill(mut self) {
        // Child::kill sends SIGKILL on Unix: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn part_body(n: i32) -> Vec<u8> {
    data(PART, u64::try_from(n).unwrap())
}

async fn upload_parts(s3: &Client, id: &str, numbers: std::ops::RangeInclusive<i32>) -> Vec<(i32, String)> {
    let mut tasks = Vec::new();
    for n in numbers {
        let (s3, id) = (s3.clone(), id.to_owned());
        tasks.push(tokio::spawn(async move {
            let r =
                s3.upload_part().bucket("crash").key("obj").upload_id(id).part_number(n).body(ByteStream::from(part_body(n))).send().await;
            r.ok().and_then(|r| r.e_tag().map(|e| (n, e.to_owned())))
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        if let Ok(Some(p)) = t.await {
            acked.push(p);
        }
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_parts_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let server = Coffer::start(dir.path()).await;
    let s3 = server.client();
    s3.create_bucket().bucket("crash").send().await.unwrap();
    let id = s3.create_multipart_upload().bucket("crash").key("obj").send().await.unwrap().upload_id().unwrap().to_owned();

    // Phase 1: kill while 8 parts upload in parallel.
    let uploading = {
        let (s3, id) = (s3.clone(), id.clone());
        tokio::spawn(async move { upload_parts(&s3, &id, 1..=8).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.kill();
    let acked = uploading.await.unwrap();

    let server = Coffer::start(dir.path()).await;
    let s3 = server.client();
    let listed = s3.list_parts().bucket("crash").key("obj").upload_id(&id).send().await.unwrap();
    for (n, etag) in &acked {
        let p = listed.parts().iter().find(|p| p.part_number() == Some(*n)).unwrap_or_else(|| panic!("acknowledged part {n} lost"));
        assert_eq!(p.e_tag(), Some(etag.as_str()), "part {n}");
    }
    for p in listed.parts() {
        assert_eq!(p.size(), Some(i64::try_from(PART).unwrap()), "listed part {:?} is whole", p.part_number());
    }

    // Phase 2: upload everything again (replacing), then kill during Complete.
    let parts = upload_parts(&s3, &id, 1..=8).await;
    assert_eq!(parts.len(), 8);
    let completing = {
        let (s3, id) = (s3.clone(), id.clone());
        let list: Vec<CompletedPart> = parts.iter().map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build()).collect();
        tokio::spawn(async move {
            s3.complete_multipart_upload()
                .bucket("crash")
                .key("obj")
                .upload_id(id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(list)).build())
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(3)).await;
    server.kill();
    let completed = completing.await.unwrap().is_ok();

    let server = Coffer::start(dir.path()).await;
    let s3 = server.client();
    let expected: Vec<u8> = (1..=8).flat_map(part_body).collect();
    if let Ok(obj) = s3.get_object().bucket("crash").key("obj").send().await {
        assert!(obj.body.collect().await.unwrap().into_bytes().as_ref() == expected.as_slice(), "object visible but not whole");
    } else {
        assert!(!completed, "Complete was acknowledged but the object is absent");
        let listed = s3.list_parts().bucket("crash").key("obj").upload_id(&id).send().await.unwrap();
        assert_eq!(listed.parts().len(), 8, "an unfinished Complete leaves every part");
    }
    server.kill();

    // Offline: reconcile (as start-up does) and audit every reference.
    let store = coffer::store::Store::open(dir.path(), 8 << 20).unwrap();
    store.reconcile_blobs();
    let report = store.audit().unwrap();
    assert!(report.is_clean(), "{report:?}");
}
