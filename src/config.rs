//! Configuration: `config.toml`, overridden by `COFFER_*` environment variables and
//! `--section.key value` flags, validated into [`Config`] before anything starts.
//!
//! Errors always name the offending key, so a typo in a deployment is obvious.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The built-in defaults: the shipped `config.toml` itself, so docs and code agree.
pub const DEFAULT_TOML: &str = include_str!("../config.toml");

/// The documented default access key (refused off loopback).
pub const DEFAULT_ACCESS_KEY: &str = "coffer";
/// The documented default secret key (refused off loopback).
pub const DEFAULT_SECRET_KEY: &str = "coffer-secret-key";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP front end.
    pub server: ServerConfig,
    /// Data root and caches.
    pub storage: StorageConfig,
    /// Credentials.
    pub auth: AuthConfig,
    /// Request size limits.
    pub limits: LimitsConfig,
    /// The lifecycle worker.
    pub lifecycle: LifecycleConfig,
    /// The scrubber.
    pub scrub: ScrubConfig,
    /// Notification destinations.
    pub notify: NotifyConfig,
    /// The admin listener.
    pub admin: AdminConfig,
    /// The web console (on the admin listener).
    pub console: ConsoleConfig,
    /// STS: temporary credentials and web identity (OIDC).
    pub sts: StsConfig,
    /// Server-wide access settings.
    pub access: AccessConfig,
    /// Encryption at rest.
    pub encryption: EncryptionConfig,
    /// The server-wide default CORS rule.
    pub cors: CorsConfig,
    /// The website-only listener.
    pub website: WebsiteConfig,
    /// The audit trail.
    pub audit: AuditConfig,
    /// Logging.
    pub log: LogConfig,
    /// Server access logging (delivery of buckets' access logs).
    pub logging: LoggingConfig,
}

/// `[logging]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// Seconds between deliveries of server access log objects.
    pub interval_secs: u64,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// What is logged, as a `tracing` filter (`info`, `debug`, `coffer=debug,info`…);
    /// the `RUST_LOG` environment variable, when set, takes its place.
    pub level: String,
}

/// `[audit]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The audit log file; a relative path is inside `storage.path`; "" turns it off.
    pub path: String,
    /// Size in MiB past which the file is rotated.
    pub max_mib: u64,
    /// Rotated files kept (`<path>.1` newest).
    pub keep: u32,
    /// Notification destinations (names from `[notify]`) each record is also sent to.
    pub destinations: Vec<String>,
}

impl Config {
    /// Where the audit log is written, if it is on.
    pub fn audit_path(&self) -> Option<std::path::PathBuf> {
        (!self.audit.path.is_empty()).then(|| self.storage.path.join(&self.audit.path))
    }
}

/// `[cors]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins of the default rule for buckets without CORS rules (empty: none).
    pub default_allowed_origins: Vec<String>,
}

/// `[website]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebsiteConfig {
    /// Address of a website-only listener ("" = none).
    pub listen: String,
}

/// `[encryption]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionConfig {
    /// The default encryption of buckets that have none of their own (no
    /// PutBucketEncryption, or DeleteBucketEncryption since): `"AES256"` (SSE-S3, as S3
    /// does for every bucket since 2023) or `"none"`.
    pub bucket_default: String,
    /// Accept SSE-C (customer-provided keys) over plain HTTP. Off: S3 refuses them
    /// without TLS, since the key crosses the network in the clear; turn on only for a
    /// trusted network (or behind a TLS-terminating proxy).
    pub sse_c_over_http: bool,
}

/// `[access]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Block Public Access (all four settings) for every bucket, on top of the buckets'
    /// own settings.
    pub block_public_access: bool,
}

/// `[admin]`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Address of the admin listener (`coffer admin` calls it); "" turns it off.
    pub listen: String,
    /// The bearer token `GET /metrics` requires ("" = none accepted; redacted in Debug).
    pub metrics_token: String,
    /// Whether `GET /metrics` is open to anyone who can reach the admin listener.
    pub metrics_public: bool,
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("listen", &self.listen)
            .field("metrics_token", &if self.metrics_token.is_empty() { "" } else { "<redacted>" })
            .field("metrics_public", &self.metrics_public)
            .finish()
    }
}

/// `[console]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Whether the admin listener serves the web console.
    pub enabled: bool,
    /// Lifetime of a console session and of its temporary credentials, in seconds.
    pub session_secs: u64,
    /// Base URL of the S3 listener as browsers reach it (shared links); "" = derived.
    pub s3_url: String,
    /// Development: a directory to serve the console's files from ("" = built in).
    pub assets_dir: String,
}

/// `[sts]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StsConfig {
    /// The OIDC issuer whose ID tokens AssumeRoleWithWebIdentity accepts ("" = none),
    /// exactly as its tokens' `iss` claim reads.
    pub oidc_issuer: String,
    /// Audiences (`aud`) accepted, comma-separated; a role's trust policy can narrow it
    /// further with the `<issuer host/path>:aud` condition key.
    pub oidc_audience: String,
    /// The issuer's signing keys (JWKS): an `http://` URL (fetched at start and when a
    /// token names an unknown key) or a file path.
    pub oidc_jwks: String,
}

/// `[notify]`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// `name=url` webhook destinations.
    pub webhooks: Vec<String>,
    /// Authorization header for webhooks (redacted in Debug).
    pub webhook_authorization: String,
    /// `name=nats://host:port/subject` destinations.
    pub nats: Vec<String>,
    /// Wait for JetStream acknowledgements on NATS publishes.
    pub nats_jetstream: bool,
    /// `name=redis://host:port[/db]/key` destinations.
    pub redis: Vec<String>,
    /// `stream` (XADD) or `list` (RPUSH).
    pub redis_mode: String,
    /// Per-attempt timeout.
    pub timeout_secs: u64,
    /// Retry window.
    pub max_age_secs: u64,
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("webhooks", &self.webhooks)
            .field("webhook_authorization", &"<redacted>")
            .field("nats", &self.nats)
            .field("nats_jetstream", &self.nats_jetstream)
            .field("redis", &self.redis)
            .field("redis_mode", &self.redis_mode)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_age_secs", &self.max_age_secs)
            .finish()
    }
}

/// A notification destination from `[notify]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// POST to this URL.
    Webhook(hyper::Uri),
    /// Publish to a NATS subject.
    Nats {
        /// `nats://host:port`.
        url: String,
        /// Subject.
        subject: String,
    },
    /// Append to a Redis stream or list.
    Redis {
        /// `redis://host:port[/db]`.
        url: String,
        /// Stream or list key.
        key: String,
    },
}

/// Splits `name=scheme://authority/rest...` into (name, url-without-last-segment, last segment).
fn split_target(key: &str, entry: &str, scheme: &str) -> Result<(String, String, String), ConfigError> {
    let bad =
        || ConfigError(format!("notify.{key}: {entry:?} must be name={scheme}://host:port/<target>, name of letters, digits, - or _"));
    let (name, url) = entry.split_once('=').ok_or_else(bad)?;
    if name.is_empty()
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        || !url.starts_with(&format!("{scheme}://"))
    {
        return Err(bad());
    }
    let (base, last) = url.rsplit_once('/').filter(|(b, l)| !l.is_empty() && b.len() > scheme.len() + 2).ok_or_else(bad)?;
    Ok((name.to_owned(), base.to_owned(), last.to_owned()))
}

impl NotifyConfig {
    /// Every destination with its ARN (`arn:coffer:sqs::1:<name>`).
    pub fn destinations(&self) -> Result<Vec<(String, Destination)>, ConfigError> {
        let arn = |name: &str| format!("arn:coffer:sqs::1:{name}");
        let mut out = Vec::new();
        for w in &self.webhooks {
            let (name, url) = w.split_once('=').ok_or_else(|| ConfigError(format!("notify.webhooks: {w:?} is not name=url")))?;
            let uri: hyper::Uri = url.parse().map_err(|e| ConfigError(format!("notify.webhooks: {url:?}: {e}")))?;
            if uri.scheme_str() != Some("http")
                || name.is_empty()
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(ConfigError(format!("notify.webhooks: {w:?} needs a name of letters, digits, - or _ and an http:// URL")));
            }
            out.push((arn(name), Destination::Webhook(uri)));
        }
        for n in &self.nats {
            let (name, url, subject) = split_target("nats", n, "nats")?;
            out.push((arn(&name), Destination::Nats { url, subject }));
        }
        for r in &self.redis {
            let (name, url, key) = split_target("redis", r, "redis")?;
            out.push((arn(&name), Destination::Redis { url, key }));
        }
        let mut arns: Vec<&String> = out.iter().map(|(a, _)| a).collect();
        arns.sort();
        if arns.windows(2).any(|w| w[0] == w[1]) {
            return Err(ConfigError("notify: destination names must be unique".into()));
        }
        if !matches!(self.redis_mode.as_str(), "stream" | "list") {
            return Err(ConfigError(format!("notify.redis_mode: expected stream or list, got {:?}", self.redis_mode)));
        }
        Ok(out)
    }
}

/// `[lifecycle]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Seconds between evaluation passes.
    pub interval_secs: u64,
    /// Seconds in a lifecycle day.
    pub day_seconds: u64,
}

/// `[scrub]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubConfig {
    /// Seconds from the start of one scrub pass to the start of the next (0: off).
    pub interval: u64,
    /// Bytes per second a pass reads at most.
    pub bytes_per_sec: u64,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: String,
    /// Region name.
    pub region: String,
    /// Virtual-host domain; empty disables virtual-hosted-style addressing.
    pub domain: String,
    /// Website endpoint domain (`<bucket>.<website_domain>`); empty: none.
    pub website_domain: String,
    /// Connection limit.
    pub max_connections: usize,
    /// PEM certificate chain for HTTPS ("" = plain HTTP).
    pub tls_cert: String,
    /// PEM private key of `tls_cert`.
    pub tls_key: String,
}

/// `[storage]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Data root.
    pub path: PathBuf,
    /// Metadata cache in MiB.
    pub meta_cache_mib: u64,
    /// `CLASS=/path` storage tiers.
    pub tiers: Vec<String>,
    /// Objects up to this many bytes are kept in the metadata store instead of a blob
    /// file (0: never).
    pub inline_max_bytes: u64,
    /// MiB kept free (a pre-allocated reserve file) for deletes and metadata flushes
    /// when the disk fills: new data is refused below it (0: no reserve, no check).
    pub reserve_mib: u64,
}

/// The largest `storage.inline_max_bytes` accepted. sled writes a leaf page of up to
/// 17 records as one log item; past 128 KiB an item becomes a file of its own, so
/// values much over 7 KiB would bring back the per-object files inlining avoids.
pub const INLINE_MAX_LIMIT: u64 = 7 << 10;

/// Storage classes a tier may be named after: S3's, except STANDARD (the main blob
/// directory) and the ones that name AWS infrastructure rather than a class of storage.
pub const TIER_CLASSES: &[&str] =
    &["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"];

impl StorageConfig {
    /// The declared tiers: (storage class, directory), in declaration order.
    pub fn tiers(&self) -> Result<Vec<(String, PathBuf)>, ConfigError> {
        let mut out: Vec<(String, PathBuf)> = Vec::new();
        for entry in &self.tiers {
            let bad = |why: &str| ConfigError(format!("storage.tiers: {entry:?}: {why}"));
            let (class, path) = entry.split_once('=').ok_or_else(|| bad("expected CLASS=/path"))?;
            let (class, path) = (class.trim(), path.trim());
            if !TIER_CLASSES.contains(&class) {
                return Err(bad(&format!("the class must be one of {}", TIER_CLASSES.join(", "))));
            }
            if path.is_empty() {
                return Err(bad("the directory must not be empty"));
            }
            let path = PathBuf::from(path);
            if out.iter().any(|(c, _)| c == class) {
                return Err(bad("the class is declared twice"));
            }
            if out.iter().any(|(_, p)| *p == path) || path == self.path {
                return Err(bad("each tier needs its own directory"));
            }
            out.push((class.to_owned(), path));
        }
        Ok(out)
    }
}

/// `[auth]`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Root access key id.
    pub access_key: String,
    /// Root secret key (never logged; redacted in Debug).
    pub secret_key: String,
    /// File holding the server key (64 hex digits) that seals stored secrets; "" =
    /// `master.key` in the data directory, created on first start. `COFFER_MASTER_KEY`
    /// overrides both.
    pub master_key_file: String,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("master_key_file", &self.master_key_file)
            .finish()
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest single-PUT object.
    pub max_object_size: u64,
    /// Largest XML request body.
    pub max_xml_size: u64,
    /// MiB all buffered request bodies together may hold.
    pub buffer_budget_mib: u64,
    /// Connections one client IP may hold.
    pub max_connections_per_ip: usize,
    /// Seconds a keep-alive connection may be idle between requests.
    pub idle_timeout_secs: u64,
    /// Seconds a connection without an authenticated request may be idle.
    pub unauthenticated_idle_secs: u64,
    /// Seconds from the first byte of a request head to its end.
    pub header_timeout_secs: u64,
    /// Seconds a request body may go without a byte.
    pub body_idle_timeout_secs: u64,
    /// Slowest accepted request body, bytes per second per `body_idle_timeout_secs` window.
    pub min_body_bytes_per_sec: u64,
    /// Seconds a response may go without the client reading any of it.
    pub write_timeout_secs: u64,
}

/// A configuration error; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("config: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// The built-in defaults.
    pub fn defaults() -> Self {
        Self::from_toml(DEFAULT_TOML, &[]).expect("the shipped config.toml is valid")
    }

    /// Parses `text` (a config.toml), applies `overrides` ("section.key", value) on
    /// top, and validates.
    pub fn from_toml(text: &str, overrides: &[(String, String)]) -> Result<Self, ConfigError> {
        let defaults: toml::Table = DEFAULT_TOML.parse().map_err(|e| ConfigError(format!("built-in defaults: {e}")))?;
        let mut table: toml::Table = text.parse().map_err(|e| ConfigError(format!("config.toml: {e}")))?;
        // Missing keys take the built-in default, so an old config.toml keeps working.
        merge_missing(&mut table, &defaults);
        check_types(&table, &defaults)?;
        for (key, value) in overrides {
            set_key(&mut table, &defaults, key, value)?;
        }
        let config: Config = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| ConfigError(e.message().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    /// Loads the configuration the binary runs with: `path` (default `./config.toml`,
    /// the built-in defaults if that file is absent), then `COFFER_*` variables from
    /// `env`, then `flags`.
    pub fn load(path: Option<&std::path::Path>, env: &[(String, String)], flags: &[(String, String)]) -> Result<Self, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| ConfigError(format!("reading {}: {e}", p.display())))?,
            None => std::fs::read_to_string("config.toml").unwrap_or_else(|_| DEFAULT_TOML.to_owned()),
        };
        let defaults: toml::Table = DEFAULT_TOML.parse().map_err(|e| ConfigError(format!("built-in defaults: {e}")))?;
        let mut overrides = Vec::new();
        for (name, value) in env {
            // The server key itself, read where the key is loaded, not a setting.
            if name == "COFFER_MASTER_KEY" {
                continue;
            }
            let Some(rest) = name.strip_prefix("COFFER_") else { continue };
            let key = env_to_key(&defaults, rest).ok_or_else(|| ConfigError(format!("unknown environment variable {name}")))?;
            overrides.push((key, value.clone()));
        }
        overrides.extend(flags.iter().cloned());
        Self::from_toml(&text, &overrides)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let addr = self.listen_addr()?;
        if self.server.region.is_empty() {
            return Err(ConfigError("server.region: must not be empty".into()));
        }
        if self.server.max_connections == 0 {
            return Err(ConfigError("server.max_connections: must be at least 1".into()));
        }
        let (rest, web) = (self.server.domain.to_ascii_lowercase(), self.server.website_domain.to_ascii_lowercase());
        let under = |a: &str, b: &str| a == b || a.ends_with(&format!(".{b}"));
        if !web.is_empty() && !rest.is_empty() && (under(&rest, &web) || under(&web, &rest)) {
            return Err(ConfigError(
                "server.website_domain: must not be server.domain, nor a domain under it or above it (a Host would name both a REST and a website bucket)".into(),
            ));
        }
        if self.server.tls_cert.is_empty() != self.server.tls_key.is_empty() {
            return Err(ConfigError("server.tls_cert and server.tls_key: set both (HTTPS) or neither (plain HTTP)".into()));
        }
        if !matches!(self.encryption.bucket_default.as_str(), "AES256" | "none") {
            return Err(ConfigError(format!(
                "encryption.bucket_default: \"AES256\" or \"none\", not {:?}",
                self.encryption.bucket_default
            )));
        }
        if !(900..=43_200).contains(&self.console.session_secs) {
            return Err(ConfigError("console.session_secs: from 900 (15 minutes) to 43200 (12 hours)".into()));
        }
        let s3_url = self.console.s3_url.as_str();
        if !(s3_url.is_empty() || s3_url.starts_with("http://") || s3_url.starts_with("https://")) {
            return Err(ConfigError("console.s3_url: an http:// or https:// URL, or \"\"".into()));
        }
        if self.auth.access_key.is_empty() || self.auth.secret_key.is_empty() {
            return Err(ConfigError("auth.access_key / auth.secret_key: must not be empty".into()));
        }
        let default_creds = self.auth.access_key == DEFAULT_ACCESS_KEY || self.auth.secret_key == DEFAULT_SECRET_KEY;
        if default_creds && !addr.ip().is_loopback() {
            return Err(ConfigError(format!(
                "auth.access_key / auth.secret_key: the documented default credentials are only accepted on a loopback address, \
                 and server.listen is {addr}; set your own (COFFER_AUTH_ACCESS_KEY, COFFER_AUTH_SECRET_KEY) to listen there"
            )));
        }
        if self.logging.interval_secs == 0 {
            return Err(ConfigError("logging.interval_secs: must be at least 1".into()));
        }
        if self.log.level.trim().is_empty() {
            return Err(ConfigError("log.level: must not be empty (e.g. \"info\")".into()));
        }
        if self.audit.max_mib == 0 {
            return Err(ConfigError("audit.max_mib: must be at least 1".into()));
        }
        let destinations = self.notify.destinations()?;
        if let Some(missing) =
            self.audit.destinations.iter().find(|d| !destinations.iter().any(|(arn, _)| arn.rsplit(':').next() == Some(d.as_str())))
        {
            return Err(ConfigError(format!("audit.destinations: {missing:?} is not a destination of [notify]")));
        }
        if !self.admin.listen.is_empty() {
            self.admin.listen.parse::<SocketAddr>().map_err(|e| ConfigError(format!("admin.listen: {e}")))?;
        }
        if self.limits.max_object_size == 0 || self.limits.max_object_size > 5 << 30 {
            return Err(ConfigError("limits.max_object_size: must be between 1 and 5368709120 (5 GiB)".into()));
        }
        if self.lifecycle.interval_secs == 0 || self.lifecycle.day_seconds == 0 {
            return Err(ConfigError("lifecycle.interval_secs / lifecycle.day_seconds: must be at least 1".into()));
        }
        if self.scrub.bytes_per_sec < 1 << 20 {
            return Err(ConfigError("scrub.bytes_per_sec: must be at least 1048576 (1 MiB/s)".into()));
        }
        self.notify.destinations()?;
        self.storage.tiers()?;
        if self.storage.inline_max_bytes > INLINE_MAX_LIMIT {
            return Err(ConfigError(format!("storage.inline_max_bytes: must be at most {INLINE_MAX_LIMIT} (7 KiB)")));
        }
        if self.notify.timeout_secs == 0 {
            return Err(ConfigError("notify.timeout_secs: must be at least 1".into()));
        }
        if self.limits.max_xml_size < 1024 {
            return Err(ConfigError("limits.max_xml_size: must be at least 1024".into()));
        }
        if self.limits.buffer_budget_mib << 20 < self.limits.max_xml_size {
            return Err(ConfigError("limits.buffer_budget_mib: must hold at least one body of limits.max_xml_size".into()));
        }
        if self.limits.max_connections_per_ip == 0 {
            return Err(ConfigError("limits.max_connections_per_ip: must be at least 1".into()));
        }
        let l = &self.limits;
        for (key, value) in [
            ("idle_timeout_secs", l.idle_timeout_secs),
            ("unauthenticated_idle_secs", l.unauthenticated_idle_secs),
            ("header_timeout_secs", l.header_timeout_secs),
            ("body_idle_timeout_secs", l.body_idle_timeout_secs),
            ("write_timeout_secs", l.write_timeout_secs),
        ] {
            if value == 0 {
                return Err(ConfigError(format!("limits.{key}: must be at least 1")));
            }
        }
        Ok(())
    }

    /// The parsed listen address.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.listen.parse().map_err(|e| ConfigError(format!("server.listen: {e} (expected ip:port, got {:?})", self.server.listen)))
    }
}

fn merge_missing(table: &mut toml::Table, defaults: &toml::Table) {
    for (section, default_value) in defaults {
        match (table.get_mut(section), default_value) {
            (Some(toml::Value::Table(t)), toml::Value::Table(d)) => merge_missing(t, d),
            (None, v) => {
                table.insert(section.clone(), v.clone());
            }
            _ => {}
        }
    }
}

/// Every known key must have the type of its default; unknown keys are errors.
fn check_types(table: &toml::Table, defaults: &toml::Table) -> Result<(), ConfigError> {
    for (section, value) in table {
        let Some(toml::Value::Table(default_section)) = defaults.get(section) else {
            return Err(ConfigError(format!("{section}: unknown section")));
        };
        let toml::Value::Table(t) = value else {
            return Err(ConfigError(format!("{section}: expected a table")));
        };
        for (key, v) in t {
            let default = default_section.get(key).ok_or_else(|| ConfigError(format!("{section}.{key}: unknown setting")))?;
            if v.type_str() != default.type_str() {
                return Err(ConfigError(format!("{section}.{key}: expected {}, got {}", default.type_str(), v.type_str())));
            }
        }
    }
    Ok(())
}

/// Maps `SERVER_MAX_CONNECTIONS` to `server.max_connections` using the known keys.
fn env_to_key(defaults: &toml::Table, rest: &str) -> Option<String> {
    for (section, value) in defaults {
        let toml::Value::Table(t) = value else { continue };
        for key in t.keys() {
            if format!("{section}_{key}").eq_ignore_ascii_case(rest) {
                return Some(format!("{section}.{key}"));
            }
        }
    }
    None
}

/// Sets `section.key` to `raw`, typed like the default value of that key.
fn set_key(table: &mut toml::Table, defaults: &toml::Table, key: &str, raw: &str) -> Result<(), ConfigError> {
    let unknown = || ConfigError(format!("{key}: unknown setting"));
    let (section, name) = key.split_once('.').ok_or_else(unknown)?;
    let default = defaults.get(section).and_then(|s| s.get(name)).ok_or_else(unknown)?;
    let value = match default {
        toml::Value::Integer(_) => {
            toml::Value::Integer(raw.trim().parse().map_err(|_| ConfigError(format!("{key}: expected an integer, got {raw:?}")))?)
        }
        toml::Value::Array(_) => {
            toml::Value::Array(raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| toml::Value::String(s.to_owned())).collect())
        }
        toml::Value::Boolean(_) => {
            toml::Value::Boolean(raw.trim().parse().map_err(|_| ConfigError(format!("{key}: expected true or false, got {raw:?}")))?)
        }
        _ => toml::Value::String(raw.to_owned()),
    };
    let section_table = table.entry(section.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(t) = section_table else {
        return Err(ConfigError(format!("{section}: expected a table")));
    };
    t.insert(name.to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::defaults();
        assert_eq!(c.server.listen, "127.0.0.1:9000");
        assert_eq!(c.storage.path, PathBuf::from("./storage"));
    }

    #[test]
    fn overrides_apply_and_errors_name_the_key() {
        let c = Config::from_toml(DEFAULT_TOML, &[kv("server.listen", "127.0.0.1:1"), kv("limits.max_xml_size", "4096")]).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:1");
        assert_eq!(c.limits.max_xml_size, 4096);
        let e = Config::from_toml(DEFAULT_TOML, &[kv("limits.max_xml_size", "lots")]).unwrap_err();
        assert!(e.0.contains("limits.max_xml_size"), "{e}");
        let e = Config::from_toml(DEFAULT_TOML, &[kv("server.listen", "nowhere")]).unwrap_err();
        assert!(e.0.contains("server.listen"), "{e}");
        let e = Config::from_toml(DEFAULT_TOML, &[kv("server.nope", "1")]).unwrap_err();
        assert!(e.0.contains("server.nope"), "{e}");
        let e = Config::from_toml("[server]\nlisten = 5\n", &[]).unwrap_err();
        assert!(e.0.contains("listen"), "{e}");
    }

    #[test]
    fn default_credentials_refused_off_loopback() {
        let e = Config::from_toml(DEFAULT_TOML, &[kv("server.listen", "0.0.0.0:9000")]).unwrap_err();
        assert!(e.0.contains("loopback"), "{e}");
        let ok = Config::from_toml(
            DEFAULT_TOML,
            &[kv("server.listen", "0.0.0.0:9000"), kv("auth.access_key", "me"), kv("auth.secret_key", "long-secret")],
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn website_and_rest_domains_never_overlap() {
        let with = |rest: &str, web: &str| Config::from_toml(DEFAULT_TOML, &[kv("server.domain", rest), kv("server.website_domain", web)]);
        assert!(with("s3.example.com", "web.example.com").is_ok());
        assert!(with("", "website.localhost").is_ok());
        for (rest, web) in [("example.com", "example.com"), ("s3.example.com", "example.com"), ("example.com", "web.example.com")] {
            let e = with(rest, web).unwrap_err();
            assert!(e.0.contains("server.website_domain"), "{rest} / {web}: {}", e.0);
        }
    }

    #[test]
    fn inline_max_bytes_is_bounded() {
        assert_eq!(Config::from_toml(DEFAULT_TOML, &[]).unwrap().storage.inline_max_bytes, 4096);
        assert!(Config::from_toml(DEFAULT_TOML, &[kv("storage.inline_max_bytes", "7168")]).is_ok());
        let e = Config::from_toml(DEFAULT_TOML, &[kv("storage.inline_max_bytes", "7169")]).unwrap_err();
        assert!(e.0.contains("storage.inline_max_bytes"), "{e}");
    }

    #[test]
    fn tiers_parse_and_bad_ones_name_the_key() {
        let c = Config::from_toml(DEFAULT_TOML, &[kv("storage.tiers", "STANDARD_IA=/srv/ia, GLACIER=/srv/cold")]).unwrap();
        assert_eq!(
            c.storage.tiers().unwrap(),
            vec![("STANDARD_IA".to_owned(), PathBuf::from("/srv/ia")), ("GLACIER".to_owned(), PathBuf::from("/srv/cold"))]
        );
        for bad in ["STANDARD=/srv/x", "SLOW=/srv/x", "GLACIER", "GLACIER=", "GLACIER=/a,GLACIER=/b", "GLACIER=/a,DEEP_ARCHIVE=/a"] {
            let e = Config::from_toml(DEFAULT_TOML, &[kv("storage.tiers", bad)]).unwrap_err();
            assert!(e.0.contains("storage.tiers"), "{bad}: {e}");
        }
    }

    #[test]
    fn env_names_map_to_keys() {
        let c = Config::load(None, &[kv("COFFER_SERVER_REGION", "eu-west-1"), kv("PATH", "/bin")], &[]).unwrap();
        assert_eq!(c.server.region, "eu-west-1");
        assert!(Config::load(None, &[kv("COFFER_BOGUS", "1")], &[]).is_err());
    }
}
