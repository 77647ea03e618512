//! Test harness: a coffer server in-process on a free loopback port with a temp data
//! dir, an `aws-sdk-s3` client at its default settings, and a raw signed HTTP client
//! for what SDKs never send.
#![allow(dead_code)]

pub mod access_log;
pub mod child;
pub mod identity;
pub mod loopfs;
pub mod raw;

use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use coffer::config::{Config, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, DEFAULT_TOML};
use coffer::server::{start, RunningServer};

/// A running test server and its data directory.
pub struct TestServer {
    /// The server (stopped on drop of the runtime).
    pub server: RunningServer,
    /// Keeps the data dir alive.
    pub dir: tempfile::TempDir,
    /// `http://127.0.0.1:port`.
    pub endpoint: String,
}

impl TestServer {
    /// Starts a server with default configuration plus `overrides`.
    pub async fn start_with(overrides: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, overrides).await
    }

    /// Starts a server on an existing data dir (restart tests).
    pub async fn start_in(dir: tempfile::TempDir, overrides: &[(&str, &str)]) -> Self {
        Self::start_in_with_clock(dir, overrides, Arc::new(SystemTime::now)).await
    }

    /// Starts a server whose clock is `clock` (time-dependent tests).
    pub async fn start_with_clock(clock: coffer::s3::Clock) -> Self {
        Self::start_in_with_clock(tempfile::tempdir().unwrap(), &[], clock).await
    }

    /// Starts a server on `dir` with `overrides` and `clock`.
    pub async fn start_in_with_clock(dir: tempfile::TempDir, overrides: &[(&str, &str)], clock: coffer::s3::Clock) -> Self {
        let mut o: Vec<(String, String)> = vec![
            ("server.listen".into(), "127.0.0.1:0".into()),
            ("storage.path".into(), dir.path().display().to_string()),
            ("storage.meta_cache_mib".into(), "16".into()),
            ("admin.listen".into(), "127.0.0.1:0".into()),
        ];
        o.extend(overrides.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let config = Config::from_toml(DEFAULT_TOML, &o).unwrap();
        let server = start(config, clock).await.unwrap();
        let endpoint = format!("http://{}", server.addr);
        Self { server, dir, endpoint }
    }

    /// Starts a server with a storage tier for each of `classes`, in
    /// `<data dir>/tiers/<CLASS>`, plus `overrides`.
    pub async fn start_with_tiers(classes: &[&str], overrides: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let tiers: Vec<String> = classes.iter().map(|c| format!("{c}={}", Self::tier_dir_in(dir.path(), c).display())).collect();
        let tiers = tiers.join(",");
        let mut o: Vec<(&str, &str)> = vec![("storage.tiers", tiers.as_str())];
        o.extend_from_slice(overrides);
        Self::start_in(dir, &o).await
    }

    /// The directory of tier `class` of a server started by `start_with_tiers`.
    pub fn tier_dir(&self, class: &str) -> std::path::PathBuf {
        Self::tier_dir_in(self.dir.path(), class)
    }

    fn tier_dir_in(root: &std::path::Path, class: &str) -> std::path::PathBuf {
        root.join("tiers").join(class)
    }

    /// Starts a server with the default configuration.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// An aws-sdk-s3 client at its default settings (path-style, as for any non-AWS
    /// endpoint without DNS wildcards).
    pub fn client(&self) -> aws_sdk_s3::Client {
        client_for(&self.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    }

    /// `http://127.0.0.1:port` of the admin listener.
    pub fn admin_endpoint(&self) -> String {
        format!("http://{}", self.server.admin_addr.expect("the admin listener is on"))
    }

    /// `127.0.0.1:port`, for raw requests.
    pub fn host(&self) -> String {
        raw::host_of(&self.endpoint)
    }
}

/// What a failed SDK call tells a test: HTTP status, S3 error code (`None` for bodiless
/// responses such as HEAD errors and 304) and whether `x-amz-request-id` was present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// HTTP status.
    pub status: u16,
    /// `<Code>`.
    pub code: Option<String>,
    /// `x-amz-request-id` header.
    pub request_id: Option<String>,
}

/// Unpacks an SDK error; panics on errors that never reached the server.
pub fn error_info<E>(err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> ErrorInfo
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let raw = err.raw_response().unwrap_or_else(|| panic!("no response: {err:?}"));
    ErrorInfo {
        status: raw.status().as_u16(),
        code: err.code().map(str::to_owned),
        request_id: raw.headers().get("x-amz-request-id").map(str::to_owned),
    }
}

/// Asserts an SDK call failed with `status` and `code` (`None`: no error body) and a
/// request id.
#[track_caller]
pub fn assert_sdk_error<T: std::fmt::Debug, E>(
    result: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
    status: u16,
    code: Option<&str>,
) where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
{
    let err = result.expect_err("expected an error response");
    let info = error_info(&err);
    assert_eq!((info.status, info.code.as_deref()), (status, code), "{err:?}");
    assert!(info.request_id.is_some_and(|id| !id.is_empty()), "error without x-amz-request-id: {err:?}");
}

/// A client for `endpoint` with the given credentials.
pub fn client_for(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    client_in_region(endpoint, access_key, secret_key, "us-east-1")
}

/// A client for `endpoint` with the given credentials, signing for `region`.
pub fn client_in_region(endpoint: &str, access_key: &str, secret_key: &str, region: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_be_bytes()[4]
        })
        .collect()
}

/// Polls `check` every 250 ms until it holds (background workers act on their own
/// schedule), failing after 20 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..80 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("timed out waiting for: {what}");
}
