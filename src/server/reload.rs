//! SIGHUP: the configuration is read again from where it came from (the file, the
//! `COFFER_*` environment and the flags of the start), and what can change while
//! serving changes:
//!
//! | key | takes effect |
//! |---|---|
//! | `server.tls_cert`, `server.tls_key` (and the files they name) | new connections |
//! | `log.level` | at once (unless `RUST_LOG` is set) |
//! | `admin.metrics_token`, `admin.metrics_public` | the next scrape |
//! | `server.max_connections`, `limits.max_connections_per_ip`, `limits.idle_timeout_secs`, `limits.unauthenticated_idle_secs`, `limits.header_timeout_secs`, `limits.write_timeout_secs` | new connections |
//! | `notify.*` (webhooks, NATS and Redis destinations and their settings) | the next delivery and the next PutBucketNotificationConfiguration; events already queued for a destination no longer configured are dropped, as at a restart |
//!
//! Every other changed key is logged as needing a restart, by name (never its value).
//! A file that does not parse or validate changes nothing and is logged.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde_json::Value;

use super::conn::{Limits, Registry};
use crate::config::Config;
use crate::s3::AppState;

/// Where the running configuration came from, to read it again.
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    /// `--config PATH` (else `config.toml` in the working directory, if there is one).
    pub path: Option<PathBuf>,
    /// The `COFFER_*` environment of the start.
    pub env: Vec<(String, String)>,
    /// The `--section.key value` flags of the start.
    pub flags: Vec<(String, String)>,
}

/// Applies a log filter (`log.level`); set by the binary, which owns the subscriber.
pub type LogFilterHook = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The settings SIGHUP can change, and how to reread the configuration.
#[derive(Default)]
pub struct Reloadable {
    /// Where the configuration came from (`None`: built in code, as in tests; SIGHUP
    /// then reloads the TLS files only).
    source: OnceLock<ConfigSource>,
    /// Sets the log filter.
    log_filter: OnceLock<LogFilterHook>,
    /// `admin.metrics_token`, `admin.metrics_public` as now in force.
    metrics_access: RwLock<Option<(String, bool)>>,
    /// `[notify]` as now in force, once reloaded.
    notify: RwLock<Option<crate::config::NotifyConfig>>,
    /// The delivery worker's destinations.
    delivery_targets: OnceLock<crate::worker::delivery::SharedTargets>,
}

/// The keys SIGHUP applies.
const LIVE: &[&str] = &[
    "server.tls_cert",
    "server.tls_key",
    "log.level",
    "admin.metrics_token",
    "admin.metrics_public",
    "server.max_connections",
    "limits.max_connections_per_ip",
    "limits.idle_timeout_secs",
    "limits.unauthenticated_idle_secs",
    "limits.header_timeout_secs",
    "limits.write_timeout_secs",
];

impl Reloadable {
    /// Remembers where the configuration came from.
    pub fn set_source(&self, source: ConfigSource) {
        let _ = self.source.set(source);
    }

    /// Installs the hook that changes the log filter.
    pub fn set_log_filter(&self, hook: LogFilterHook) {
        let _ = self.log_filter.set(hook);
    }

    /// Hands over the delivery worker's destinations, for SIGHUP to replace.
    pub fn set_delivery_targets(&self, targets: crate::worker::delivery::SharedTargets) {
        let _ = self.delivery_targets.set(targets);
    }

    /// `[notify]` as now in force.
    pub fn notify(&self, config: &Config) -> crate::config::NotifyConfig {
        self.notify.read().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_else(|| config.notify.clone())
    }

    /// The metrics token and whether metrics are public, as now in force.
    pub fn metrics_access(&self, config: &Config) -> (String, bool) {
        self.metrics_access
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| (config.admin.metrics_token.clone(), config.admin.metrics_public))
    }
}

/// The `section.key` names whose values differ between two configurations.
pub fn changed_keys(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (section, new_table) in &new {
        let (Some(Value::Object(old_table)), Value::Object(new_table)) = (old.get(section), new_table) else { continue };
        for (key, value) in new_table {
            if old_table.get(key) != Some(value) {
                out.push(format!("{section}.{key}"));
            }
        }
    }
    out
}

/// Rereads the configuration and applies what can change live; logs what was applied
/// and what needs a restart. Returns the keys applied.
pub fn reload(state: &AppState, registry: &Registry, current: &mut Config) -> Vec<String> {
    let tls = match state.tls.as_ref().map(|t| t.reload()) {
        None => "no TLS certificate to reload".to_owned(),
        Some(Ok(())) => "TLS certificate reloaded".to_owned(),
        Some(Err(e)) => format!("TLS certificate NOT reloaded, the current one stays: {e}"),
    };
    let Some(source) = state.reload.source.get() else {
        tracing::info!(tls, "SIGHUP");
        return Vec::new();
    };
    let new = match Config::load(source.path.as_deref(), &source.env, &source.flags) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, tls, "SIGHUP: the configuration was not reloaded (nothing else changed)");
            return Vec::new();
        }
    };
    let changed = changed_keys(current, &new);
    let (live, restart): (Vec<String>, Vec<String>) =
        changed.into_iter().partition(|k| LIVE.contains(&k.as_str()) || k.starts_with("notify."));
    let mut applied = Vec::new();
    for key in &live {
        match key.as_str() {
            "log.level" => {
                if std::env::var_os("RUST_LOG").is_some() {
                    tracing::warn!("SIGHUP: log.level changed but RUST_LOG is set and takes its place");
                    continue;
                }
                match state.reload.log_filter.get().map(|f| f(&new.log.level)) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "SIGHUP: log.level not applied");
                        continue;
                    }
                    None => continue,
                }
            }
            "admin.metrics_token" | "admin.metrics_public" => {
                *state.reload.metrics_access.write().unwrap_or_else(PoisonError::into_inner) =
                    Some((new.admin.metrics_token.clone(), new.admin.metrics_public));
            }
            k if k.starts_with("notify.") => {
                *state.reload.notify.write().unwrap_or_else(PoisonError::into_inner) = Some(new.notify.clone());
                if let Some(targets) = state.reload.delivery_targets.get() {
                    *targets.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(super::delivery_targets(&new.notify));
                }
            }
            "server.tls_cert" | "server.tls_key" => {
                // The files named at start are what the certificate reloads from.
                tracing::warn!(key = %key, "SIGHUP: a new certificate path needs a restart; the files at the old paths were reloaded");
                continue;
            }
            _ => registry.set_limits(Limits::from_config(&new)),
        }
        applied.push(key.clone());
    }
    tracing::info!(tls, applied = ?applied, needs_restart = ?restart, "SIGHUP: configuration reloaded");
    // What was applied is now in force; the rest keeps its running value until restart.
    let mut running = current.clone();
    for key in &applied {
        match key.as_str() {
            "log.level" => running.log.level.clone_from(&new.log.level),
            "admin.metrics_token" => running.admin.metrics_token.clone_from(&new.admin.metrics_token),
            "admin.metrics_public" => running.admin.metrics_public = new.admin.metrics_public,
            k if k.starts_with("notify.") => running.notify = new.notify.clone(),
            _ => {
                running.server.max_connections = new.server.max_connections;
                running.limits = new.limits.clone();
            }
        }
    }
    *current = running;
    applied
}

/// Runs [`reload`] on every SIGHUP until `stopping`. Handled with or without a
/// configuration source, so that SIGHUP (whose default action is to exit) never kills
/// the server.
pub async fn on_sighup(state: Arc<AppState>, registry: Arc<Registry>, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the configuration will not be reloaded");
        return;
    };
    let mut current = state.config.clone();
    loop {
        tokio::select! {
            got = hangups.recv() => {
                if got.is_none() {
                    return;
                }
                reload(&state, &registry, &mut current);
            }
            _ = stopping.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_keys_are_named() {
        let old = Config::defaults();
        let overrides = [("admin.metrics_token".to_owned(), "t".to_owned()), ("storage.meta_cache_mib".to_owned(), "8".to_owned())];
        let new = Config::from_toml(crate::config::DEFAULT_TOML, &overrides).unwrap();
        let mut changed = changed_keys(&old, &new);
        changed.sort();
        assert_eq!(changed, ["admin.metrics_token", "storage.meta_cache_mib"]);
        assert!(changed_keys(&old, &old).is_empty());
    }
}
