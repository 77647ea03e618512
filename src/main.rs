//! The `coffer` binary: read the configuration, set up logging, open the store, serve
//! until Ctrl-C or SIGTERM. `coffer scrub --offline` checks a stopped store instead.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use coffer::config::{Config, DEFAULT_ACCESS_KEY};
use coffer::server::reload::ConfigSource;

/// mimalloc rather than glibc's malloc: it gives freed memory back to the system (see
/// Cargo.toml), so a burst of large reads does not leave the process holding it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: coffer [--config PATH] [--<section>.<key> VALUE]...
       coffer scrub --offline [--config PATH] [--<section>.<key> VALUE]...
       coffer admin account create|list|delete [NAME] [--email ADDR] [--endpoint URL] [--json]
  Settings come from config.toml (or PATH), then COFFER_<SECTION>_<KEY> environment
  variables, then flags, e.g. --server.listen 127.0.0.1:9100 --storage.path /srv/coffer.
  scrub --offline: with coffer stopped, re-hash every blob (damaged ones are moved to
  quarantine/) and audit every reference; exit status 1 if anything is wrong.";

/// `--config PATH` and the `--section.key value` overrides.
type Args = (Option<PathBuf>, Vec<(String, String)>);

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut config = None;
    let mut flags = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n.to_owned(), v.to_owned()),
            None => (name.to_owned(), it.next().ok_or_else(|| format!("--{name} needs a value"))?.clone()),
        };
        if name == "config" {
            config = Some(PathBuf::from(value));
        } else {
            flags.push((name, value));
        }
    }
    Ok((config, flags))
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.first().is_some_and(|a| a == "admin") {
        return admin(&args[1..]);
    }
    let scrub = args.first().is_some_and(|a| a == "scrub");
    if scrub {
        args.remove(0);
        if args.first().is_none_or(|a| a != "--offline") {
            eprintln!(
                "coffer scrub: only --offline exists (a running server scrubs in the background, see [scrub] in config.toml)\n{USAGE}"
            );
            return ExitCode::from(2);
        }
        args.remove(0);
    }
    let loaded = parse_args(&args).and_then(|(path, flags)| {
        let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("COFFER_")).collect();
        let config = Config::load(path.as_deref(), &env, &flags).map_err(|e| e.to_string())?;
        Ok((config, ConfigSource { path, env, flags }))
    });
    let (config, source) = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coffer: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let log_filter = match init_logging(&config.log.level) {
        Ok(hook) => hook,
        Err(e) => {
            eprintln!("coffer: log.level: {e}");
            return ExitCode::from(2);
        }
    };
    if scrub {
        return scrub_offline(&config);
    }
    let meta_dir = config.storage.path.join("meta");
    let cache = config.storage.meta_cache_mib << 20;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let served = runtime.block_on(serve(config, source, log_filter));
    // Every task, and with them the last handle on the store, ends with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    match served {
        Ok(()) => {
            checkpoint(&meta_dir, cache);
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `coffer admin ...`: a signed request to a running server's admin listener.
fn admin(args: &[String]) -> ExitCode {
    let cmd = match coffer::admin::cli::parse(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coffer admin: {e}\n{}", coffer::admin::cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let config = parse_args(&cmd.config_args).and_then(|(path, flags)| {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Config::load(path.as_deref(), &env, &flags).map_err(|e| e.to_string())
    });
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coffer admin: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(coffer::admin::cli::run(&cmd, &config)) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coffer admin: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `coffer scrub --offline`: a full scrub pass and the reference audit on a stopped store.
fn scrub_offline(config: &Config) -> ExitCode {
    let tiers = config.storage.tiers().unwrap_or_default();
    let (cache, reserve) = (config.storage.meta_cache_mib << 20, config.storage.reserve_mib << 20);
    let store = match coffer::store::Store::open_with_tiers(&config.storage.path, cache, &tiers, reserve) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("coffer scrub: opening {} (is coffer still running?): {e}", config.storage.path.display());
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let pass = store.scrub_pass(&mut |_| true);
    let report = store.scrub_report();
    let audit = store.audit();
    println!(
        "scrubbed {} blobs, {} bytes in {:.1} s; damaged (moved to quarantine/): {}",
        report.checked_blobs,
        report.checked_bytes,
        started.elapsed().as_secs_f64(),
        report.damaged.len()
    );
    for (class, blob) in &report.damaged {
        println!("  damaged {class} blob {blob}: re-upload the objects using it, or restore it from a backup");
    }
    let clean_audit = match &audit {
        Ok(a) => {
            println!(
                "audit: {} missing blobs, {} leaked, {} miscounted, {} inline records missing, {} stray",
                a.missing.len(),
                a.leaked.len(),
                a.miscounted.len(),
                a.inline_missing.len(),
                a.inline_stray.len()
            );
            for (class, blob) in &a.missing {
                println!("  missing {class} blob {blob}");
            }
            // Object Lock: what no one can delete yet, and until when.
            println!("object lock: {} protected versions", a.locked.len());
            for l in &a.locked {
                let until = l.retention.map(|r| format!("{} until {}", r.mode.name(), coffer::s3::headers::iso8601(r.until_ms)));
                let hold = if l.legal_hold { " legal hold" } else { "" };
                println!("  locked {}/{} version {}: {}{hold}", l.bucket, l.key, l.version_id, until.unwrap_or_default());
            }
            for (class, kept, counted) in &a.blob_bytes_mismatch {
                println!("  blob bytes of {class} as kept {kept} differ from a recount {counted}");
            }
            for (bucket, kept, counted) in &a.usage_mismatch {
                println!("  usage of {bucket} as kept {kept:?} differs from a recount {counted:?}");
            }
            if a.usage_mismatch.is_empty() {
                println!("usage: as kept by writes = as recounted from the records");
            }
            a.missing.is_empty()
                && a.miscounted.is_empty()
                && a.inline_missing.is_empty()
                && a.usage_mismatch.is_empty()
                && a.blob_bytes_mismatch.is_empty()
        }
        Err(e) => {
            println!("audit failed: {e}");
            false
        }
    };
    match pass {
        Ok(_) if report.damaged.is_empty() && clean_audit => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            println!("scrub failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// After a clean shutdown: lets the metadata store write its snapshot now, so that the
/// next start does not replay its log (see [`coffer::meta::SledStore::checkpoint`]).
fn checkpoint(meta_dir: &std::path::Path, cache: u64) {
    let started = std::time::Instant::now();
    match coffer::meta::SledStore::checkpoint(meta_dir, cache) {
        Ok(()) => tracing::info!(ms = started.elapsed().as_millis(), "metadata checkpointed for a fast next start"),
        Err(e) => tracing::warn!(error = %e, "metadata checkpoint skipped; the next start replays the log"),
    }
}

/// Raises the open-file limit to its hard maximum: every connection is a descriptor,
/// and the common soft default of 1024 is below `server.max_connections` plus the
/// store's own files. Warns when even the hard limit is too low.
fn raise_open_file_limit(max_connections: usize) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "could not raise the open-file limit");
        }
    }
    let current = getrlimit(Resource::Nofile).current;
    let needed = max_connections as u64 + 256;
    if current.is_some_and(|c| c < needed) {
        tracing::warn!(limit = ?current, needed, "the open-file limit is below server.max_connections + 256; raise it (ulimit -n) or lower max_connections");
    }
}

/// Logs to stderr under `level` (or `RUST_LOG`, when set); returns the hook SIGHUP
/// changes the filter with.
fn init_logging(level: &str) -> Result<coffer::server::reload::LogFilterHook, String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(from_env) => from_env,
        Err(_) => tracing_subscriber::EnvFilter::try_new(level).map_err(|e| e.to_string())?,
    };
    let (filter, handle) = tracing_subscriber::reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    tracing_subscriber::registry().with(filter).with(fmt).init();
    Ok(Box::new(move |level: &str| {
        let filter = tracing_subscriber::EnvFilter::try_new(level).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())
    }))
}

async fn serve(config: Config, source: ConfigSource, log_filter: coffer::server::reload::LogFilterHook) -> Result<(), String> {
    raise_open_file_limit(config.server.max_connections);
    let addr = config.listen_addr().map_err(|e| e.to_string())?;
    let access_key = config.auth.access_key.clone();
    let data = config.storage.path.clone();
    let state = coffer::server::build_state(config, Arc::new(std::time::SystemTime::now))
        .await
        .map_err(|e| format!("opening storage at {}: {e}", data.display()))?;
    state.reload.set_source(source);
    state.reload.set_log_filter(log_filter);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("binding {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let admin = coffer::server::bind_admin(&state.config).await;
    if let Some(a) = admin.as_ref().and_then(|l| l.local_addr().ok()) {
        tracing::info!("admin listener on http://{a}");
        if state.config.console.enabled {
            tracing::info!("web console on http://{a}/ (sign in with an access key, or an IAM user's console password)");
        }
    }
    let scheme = if state.tls.is_some() { "https" } else { "http" };
    tracing::info!(
        "coffer listening on {scheme}://{bound} (data in {}); access key {access_key}{}",
        data.display(),
        if access_key == DEFAULT_ACCESS_KEY { " with the default secret from config.toml" } else { "" }
    );
    coffer::server::run(listener, admin, Arc::new(state), shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
