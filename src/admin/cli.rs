//! `coffer admin ...`: the server administrator's commands, sent to a running server's
//! admin listener as SigV4-signed requests (service `coffer-admin`) with the configured
//! root key.
//!
//! ```text
//! coffer admin info
//! coffer admin usage [BUCKET]
//! coffer admin quota get BUCKET|account:NAME
//! coffer admin quota set BUCKET|account:NAME [--max-bytes SIZE|none] [--max-objects N|none]
//! coffer admin account create NAME [--email ADDR]
//! coffer admin account list
//! coffer admin account delete NAME
//!   common: [--endpoint URL] [--json] [--config PATH] [--<section>.<key> VALUE]...
//! ```

use std::fmt::Write as _;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

use crate::config::Config;

/// Usage of `coffer admin`.
pub const USAGE: &str = "usage: coffer admin info
       coffer admin usage [BUCKET]
       coffer admin quota get BUCKET|account:NAME
       coffer admin quota set BUCKET|account:NAME [--max-bytes SIZE|none] [--max-objects N|none]
       coffer admin account create NAME [--email ADDR]
       coffer admin account list
       coffer admin account delete NAME
  SIZE: bytes, or a number with KB MB GB TB (powers of 1000) or KiB MiB GiB TiB (of 1024)
  options: --endpoint URL (default: http://<admin.listen>), --json (print JSON),
           --config PATH and --<section>.<key> VALUE as for the server (the root key
           and admin.listen are read from the configuration)";

/// A limit given on the command line: `Some(None)` is `none` (no limit).
pub type LimitArg = Option<Option<u64>>;

/// A parsed `coffer admin` command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Command {
    /// `account`, `info`, `usage` or `quota`.
    pub subject: String,
    /// `create`, `list` or `delete` (account); `get` or `set` (quota); empty otherwise.
    pub verb: String,
    /// The account name (account create, delete), bucket (usage) or quota target.
    pub name: Option<String>,
    /// `--email`.
    pub email: Option<String>,
    /// `--max-bytes`.
    pub max_bytes: LimitArg,
    /// `--max-objects`.
    pub max_objects: LimitArg,
    /// `--endpoint`.
    pub endpoint: Option<String>,
    /// `--json`.
    pub json: bool,
    /// The arguments left for the configuration (`--config`, `--section.key`).
    pub config_args: Vec<String>,
}

/// Parses a size: bytes, or a number with a decimal (KB…) or binary (KiB…) unit.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return Err(format!("{text:?}: unknown unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)")),
    };
    let bad = || format!("{text:?}: not a size");
    // Whole and fractional digits, in integers: "1.5" GiB is exactly 1610612736.
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let digits = u32::try_from(fraction.len()).map_err(|_| bad())?;
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| bad())? };
    let denominator = 10u128.pow(digits);
    let bytes = whole * u128::from(scale) + (fraction * u128::from(scale) + denominator / 2) / denominator;
    u64::try_from(bytes).map_err(|_| bad())
}

/// A `--max-…` value: `none` (no limit) or a number parsed by `parse`.
fn limit(value: &str, parse: impl Fn(&str) -> Result<u64, String>) -> Result<Option<u64>, String> {
    if value.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

/// Parses the arguments after `coffer admin`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    let subject = it.next().ok_or("missing command: info, usage, quota or account")?.clone();
    let verb = match subject.as_str() {
        "account" => it.next().ok_or("missing verb: create, list or delete")?.clone(),
        "quota" => it.next().ok_or("missing verb: get or set")?.clone(),
        "info" | "usage" => String::new(),
        other => return Err(format!("unknown command {other:?}: info, usage, quota or account")),
    };
    let mut cmd = Command {
        subject,
        verb,
        name: None,
        email: None,
        max_bytes: None,
        max_objects: None,
        endpoint: None,
        json: false,
        config_args: Vec::new(),
    };
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--json" => cmd.json = true,
            "--email" => cmd.email = Some(value("--email")?),
            "--endpoint" => cmd.endpoint = Some(value("--endpoint")?),
            "--max-bytes" => cmd.max_bytes = Some(limit(&value("--max-bytes")?, parse_size)?),
            "--max-objects" => {
                let v = value("--max-objects")?;
                cmd.max_objects = Some(limit(&v, |n| n.parse::<u64>().map_err(|_| format!("--max-objects {n:?}: not a whole number")))?);
            }
            flag if flag.starts_with("--") => {
                cmd.config_args.push(flag.to_owned());
                if !flag.contains('=') {
                    cmd.config_args.push(value(flag)?);
                }
            }
            name if cmd.name.is_none() => cmd.name = Some(name.to_owned()),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let quota_flags = cmd.max_bytes.is_some() || cmd.max_objects.is_some();
    match (cmd.subject.as_str(), cmd.verb.as_str()) {
        ("account", "create" | "delete") if cmd.name.is_none() => Err(format!("account {} needs a NAME", cmd.verb)),
        ("quota", "get" | "set") if cmd.name.is_none() => Err(format!("quota {} needs BUCKET or account:NAME", cmd.verb)),
        ("quota", "set") if !quota_flags => Err("quota set needs --max-bytes and/or --max-objects".into()),
        ("account", "create" | "delete" | "list") | ("info" | "usage", _) | ("quota", "get") if !quota_flags => Ok(cmd),
        ("quota", "set") => Ok(cmd),
        ("account", "create" | "delete" | "list") | ("info" | "usage" | "quota", _) if quota_flags => {
            Err("--max-bytes and --max-objects belong to quota set".into())
        }
        ("quota", other) => Err(format!("unknown verb {other:?}: get or set")),
        (_, other) => Err(format!("unknown verb {other:?}: create, list or delete")),
    }
}

/// A path segment, percent-encoded: RFC 3986's unreserved characters kept, as SigV4
/// keeps them (so the signed path is the one sent).
fn enc(segment: &str) -> String {
    crate::s3::headers::encode_component(segment)
}

/// The quota target's admin path: `bucket/NAME` or `account/NAME`.
fn quota_path(target: &str) -> String {
    match target.strip_prefix("account:") {
        Some(account) => format!("/v1/quota/account/{}", enc(account)),
        None => format!("/v1/quota/bucket/{}", enc(target)),
    }
}

/// Runs `cmd` against the server; returns what to print, or an error message.
pub async fn run(cmd: &Command, config: &Config) -> Result<String, String> {
    let endpoint = match &cmd.endpoint {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None if config.admin.listen.is_empty() => return Err("admin.listen is off; pass --endpoint".into()),
        None => format!("http://{}", config.admin.listen),
    };
    let name = cmd.name.as_deref().unwrap_or_default();
    let (method, path, body) = match (cmd.subject.as_str(), cmd.verb.as_str()) {
        ("info", _) => ("GET", "/v1/info".to_owned(), String::new()),
        ("usage", _) if name.is_empty() => ("GET", "/v1/usage".to_owned(), String::new()),
        ("usage", _) => ("GET", format!("/v1/usage/{}", enc(name)), String::new()),
        ("quota", "get") => ("GET", quota_path(name), String::new()),
        ("quota", _) => {
            // A limit not given keeps its current value.
            let (status, current) = send(config, &format!("{endpoint}{}", quota_path(name)), "GET", String::new()).await?;
            if !status.is_success() {
                return Err(failure(status, &current));
            }
            let keep = |field: &str| current["quota"][field].as_u64();
            let max_bytes = cmd.max_bytes.unwrap_or_else(|| keep("max_bytes"));
            let max_objects = cmd.max_objects.unwrap_or_else(|| keep("max_objects"));
            ("PUT", quota_path(name), json!({"max_bytes": max_bytes, "max_objects": max_objects}).to_string())
        }
        (_, "create") => ("POST", "/v1/accounts".to_owned(), json!({"name": cmd.name, "email": cmd.email}).to_string()),
        (_, "list") => ("GET", "/v1/accounts".to_owned(), String::new()),
        _ => ("DELETE", format!("/v1/accounts/{}", enc(name)), String::new()),
    };
    let (status, answer) = send(config, &format!("{endpoint}{path}"), method, body).await?;
    if !status.is_success() {
        return Err(failure(status, &answer));
    }
    if cmd.json {
        return Ok(serde_json::to_string_pretty(&answer).unwrap_or_default());
    }
    Ok(match cmd.subject.as_str() {
        "info" => human_info(&answer),
        "usage" => human_usage(&answer),
        "quota" => human_quota(&answer),
        _ => human(&cmd.verb, &answer),
    })
}

fn failure(status: hyper::StatusCode, answer: &Value) -> String {
    let code = answer.get("code").and_then(Value::as_str).unwrap_or("Error");
    let message = answer.get("message").and_then(Value::as_str).unwrap_or_default();
    format!("{code} ({status}): {message}")
}

/// Bytes for people: 1.5 GiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let unit = (0..UNITS.len()).rev().find(|&u| n >= 1u64 << (10 * u)).unwrap_or(0);
    if unit == 0 {
        return format!("{n} B");
    }
    // Tenths of the unit, rounded.
    let tenths = (u128::from(n) * 10 + (1u128 << (10 * unit)) / 2) >> (10 * unit);
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

fn human_info(a: &Value) -> String {
    let n = |k: &str| a[k].as_u64().unwrap_or(0);
    let mut out = format!(
        "coffer {}
  uptime        {} s
  data root     {}
  buckets       {}
  objects       {} ({} versions, {} delete markers)
  stored        {} in objects, {} in {} uploads in progress
  metadata      {}
  durability    {}
  ready         {}",
        a["version"].as_str().unwrap_or("-"),
        n("uptime_secs"),
        a["data_root"].as_str().unwrap_or("-"),
        n("buckets"),
        n("objects"),
        n("versions"),
        n("delete_markers"),
        human_bytes(n("bytes")),
        human_bytes(n("upload_bytes")),
        n("uploads"),
        human_bytes(n("metadata_bytes_on_disk")),
        a["durability_failure"].as_str().map_or_else(|| "ok".to_owned(), |f| format!("FAILED: {f}")),
        a["not_ready_reason"].as_str().map_or_else(|| "yes".to_owned(), |r| format!("no: {r}")),
    );
    for t in a["tiers"].as_array().into_iter().flatten() {
        let free = t["free_bytes"].as_u64().map_or_else(|| "-".to_owned(), human_bytes);
        let size = t["total_bytes"].as_u64().map_or_else(|| "-".to_owned(), human_bytes);
        let _ = write!(
            out,
            "
  tier {:<12} {}  ({free} free of {size})",
            t["class"].as_str().unwrap_or("-"),
            t["path"].as_str().unwrap_or("-")
        );
    }
    out
}

fn limit_text(v: &Value) -> String {
    v.as_u64().map_or_else(|| "none".to_owned(), |n| n.to_string())
}

fn human_usage(a: &Value) -> String {
    let mut out =
        format!("{:<32} {:<16} {:>10} {:>10} {:>12} {:>8}  {}", "BUCKET", "ACCOUNT", "OBJECTS", "VERSIONS", "BYTES", "UPLOADS", "QUOTA");
    let row = |b: &Value| {
        let n = |k: &str| b[k].as_u64().unwrap_or(0);
        let quota = &b["quota"];
        let quota = if quota["max_bytes"].is_null() && quota["max_objects"].is_null() {
            "-".to_owned()
        } else {
            format!("{} bytes, {} objects", limit_text(&quota["max_bytes"]), limit_text(&quota["max_objects"]))
        };
        format!(
            "{:<32} {:<16} {:>10} {:>10} {:>12} {:>8}  {quota}",
            b["bucket"].as_str().unwrap_or("TOTAL"),
            b["account"].as_str().unwrap_or(""),
            n("objects"),
            n("versions"),
            n("stored_bytes"),
            n("uploads")
        )
    };
    for b in a["buckets"].as_array().into_iter().flatten() {
        out.push('\n');
        out.push_str(&row(b));
    }
    let mut total = a["total"].clone();
    total["quota"] = json!({});
    out.push('\n');
    out.push_str(&row(&total));
    out
}

fn human_quota(a: &Value) -> String {
    let q = &a["quota"];
    let u = &a["usage"];
    format!(
        "{}
  max bytes     {}
  max objects   {}
  stored bytes  {} ({})
  objects       {} versions",
        a["scope"].as_str().unwrap_or("-"),
        limit_text(&q["max_bytes"]),
        limit_text(&q["max_objects"]),
        u["stored_bytes"].as_u64().unwrap_or(0),
        human_bytes(u["stored_bytes"].as_u64().unwrap_or(0)),
        u["versions"].as_u64().unwrap_or(0),
    )
}

/// The answer as lines for a terminal.
fn human(verb: &str, answer: &Value) -> String {
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
    match verb {
        "create" => format!(
            "account {} created\n  account id    {}\n  canonical id  {}\n  access key    {}\n  secret key    {}\n(the secret key is shown only now: store it)",
            field(answer, "name"),
            field(answer, "id"),
            field(answer, "canonical_id"),
            field(answer, "access_key"),
            field(answer, "secret_key"),
        ),
        "list" => {
            let mut out = format!("{:<24} {:<12}  {:<6} {:<6} {}", "NAME", "ACCOUNT ID", "USERS", "ROLES", "EMAIL");
            for a in answer.get("accounts").and_then(Value::as_array).into_iter().flatten() {
                let count = |k: &str| a.get(k).and_then(Value::as_u64).unwrap_or(0);
                let _ = write!(
                    out,
                    "\n{:<24} {:<12}  {:<6} {:<6} {}",
                    field(a, "name"),
                    field(a, "id"),
                    count("users"),
                    count("roles"),
                    a.get("email").and_then(Value::as_str).unwrap_or("-")
                );
            }
            out
        }
        _ => format!("account {} deleted", field(answer, "deleted")),
    }
}

/// Signs and sends one request; returns the status and the JSON answer.
async fn send(config: &Config, url: &str, method: &str, body: String) -> Result<(hyper::StatusCode, Value), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("--endpoint {url}: {e}"))?;
    let host = uri.authority().map(ToString::to_string).ok_or_else(|| format!("--endpoint {url}: no host"))?;
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(uri.clone())
        .header("host", host)
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(body.clone())))
        .map_err(|e| e.to_string())?;
    let identity = Credentials::new(&config.auth.access_key, &config.auth.secret_key, None, None, "config").into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(&config.server.region)
        .name(super::SERVICE)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing: {e}"))?
        .into();
    let headers = req.headers().iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
    let signable = SignableRequest::new(method, url, headers, SignableBody::Bytes(body.as_bytes())).map_err(|e| format!("signing: {e}"))?;
    let (instructions, _) = sign(signable, &params).map_err(|e| format!("signing: {e}"))?.into_parts();
    instructions.apply_to_request_http1x(&mut req);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let response = tokio::time::timeout(std::time::Duration::from_secs(30), client.request(req))
        .await
        .map_err(|_| format!("{url}: timed out"))?
        .map_err(|e| format!("{url}: {e} (is coffer running, and admin.listen where --endpoint points?)"))?;
    let status = response.status();
    let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    let answer = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({"message": String::from_utf8_lossy(&bytes)}));
    Ok((status, answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("10GiB"), Ok(10 << 30));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert_eq!(parse_size("2TB"), Ok(2_000_000_000_000));
        assert_eq!(parse_size("5b"), Ok(5));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10 XB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
        assert_eq!(parse_size(".5KB"), Ok(500));
        assert!(parse_size(".").is_err());
        assert!(parse_size("1.2.3").is_err());
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12), "12 B");
    }

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn command_lines() {
        let c = parse(&args("account create alice --email a@b.c --json --server.region r")).expect("valid");
        assert_eq!((c.verb.as_str(), c.name.as_deref(), c.email.as_deref(), c.json), ("create", Some("alice"), Some("a@b.c"), true));
        assert_eq!(c.config_args, args("--server.region r"));
        assert!(parse(&args("account create")).is_err());
        assert!(parse(&args("account frob x")).is_err());
        assert!(parse(&args("user list")).is_err());
        let q = parse(&args("quota set photos --max-bytes 10GiB --max-objects 1000000")).expect("valid");
        assert_eq!((q.subject.as_str(), q.verb.as_str(), q.name.as_deref()), ("quota", "set", Some("photos")));
        assert_eq!((q.max_bytes, q.max_objects), (Some(Some(10 << 30)), Some(Some(1_000_000))));
        let q = parse(&args("quota set account:alice --max-bytes none")).expect("valid");
        assert_eq!((q.max_bytes, q.max_objects), (Some(None), None));
        assert!(parse(&args("quota set photos")).is_err(), "nothing to set");
        assert!(parse(&args("quota get")).is_err());
        assert!(parse(&args("usage --max-bytes 1")).is_err());
        assert!(parse(&args("quota set b --max-objects 1.5")).is_err());
        assert_eq!(parse(&args("usage photos --json")).expect("valid").name.as_deref(), Some("photos"));
        assert_eq!(parse(&args("info")).expect("valid").subject, "info");
        assert_eq!(parse(&args("account list --endpoint http://h:1")).expect("valid").endpoint.as_deref(), Some("http://h:1"));
    }
}
