//! The real `coffer` binary as a child process on a data directory, for tests that
//! kill it (`kill -9`, power cuts) or run it on a filesystem of their own. Killed and
//! reaped on drop, also when an assertion fails, so mounts can be undone.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

/// A running `coffer` process.
pub struct ChildServer {
    /// The process.
    child: Child,
    /// Its loopback port.
    pub port: u16,
}

impl ChildServer {
    /// Starts the binary on `data` with `args` (`--section.key value` pairs) and waits
    /// (up to 15 s) until it accepts connections. Its log (warnings and errors) goes to
    /// the test's stderr.
    #[allow(clippy::zombie_processes)] // the drop kills and waits.
    pub async fn start(data: &Path, args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_coffer"))
            .args(["--server.listen", &format!("127.0.0.1:{port}"), "--storage.path", data.to_str().unwrap()])
            .args(args)
            .env("RUST_LOG", std::env::var("CHILD_RUST_LOG").unwrap_or_else(|_| "warn".to_owned()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        for _ in 0..600 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Self { child, port };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("coffer did not start on {}", data.display());
    }

    /// A client that never retries: an answer is exactly one attempt's.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .credentials_provider(Credentials::new(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None, None, "test"))
            .force_path_style(true)
            .retry_config(RetryConfig::disabled())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: no shutdown code runs (the drop does it).
    pub fn kill(self) {
        drop(self);
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
