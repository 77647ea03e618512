//! `coffer admin ...`: the server administrator's commands, sent to a running server's
//! admin listener as SigV4-signed requests (service `coffer-admin`) with the configured
//! root key.
//!
//! ```text
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
pub const USAGE: &str = "usage: coffer admin account create NAME [--email ADDR]
       coffer admin account list
       coffer admin account delete NAME
  options: --endpoint URL (default: http://<admin.listen>), --json (print JSON),
           --config PATH and --<section>.<key> VALUE as for the server (the root key
           and admin.listen are read from the configuration)";

/// A parsed `coffer admin` command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Command {
    /// `create`, `list` or `delete`.
    pub verb: String,
    /// The account name (create, delete).
    pub name: Option<String>,
    /// `--email`.
    pub email: Option<String>,
    /// `--endpoint`.
    pub endpoint: Option<String>,
    /// `--json`.
    pub json: bool,
    /// The arguments left for the configuration (`--config`, `--section.key`).
    pub config_args: Vec<String>,
}

/// Parses the arguments after `coffer admin`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    if it.next().map(String::as_str) != Some("account") {
        return Err("the only admin subject is `account`".into());
    }
    let verb = it.next().ok_or("missing verb: create, list or delete")?.clone();
    let mut cmd = Command { verb, name: None, email: None, endpoint: None, json: false, config_args: Vec::new() };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => cmd.json = true,
            "--email" => cmd.email = Some(it.next().ok_or("--email needs a value")?.clone()),
            "--endpoint" => cmd.endpoint = Some(it.next().ok_or("--endpoint needs a value")?.clone()),
            flag if flag.starts_with("--") => {
                cmd.config_args.push(flag.to_owned());
                if !flag.contains('=') {
                    cmd.config_args.push(it.next().ok_or_else(|| format!("{flag} needs a value"))?.clone());
                }
            }
            name if cmd.name.is_none() => cmd.name = Some(name.to_owned()),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    match cmd.verb.as_str() {
        "create" | "delete" if cmd.name.is_none() => Err(format!("account {} needs a NAME", cmd.verb)),
        "create" | "delete" | "list" => Ok(cmd),
        other => Err(format!("unknown verb {other:?}: create, list or delete")),
    }
}

/// Runs `cmd` against the server; returns what to print, or an error message.
pub async fn run(cmd: &Command, config: &Config) -> Result<String, String> {
    let endpoint = match &cmd.endpoint {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None if config.admin.listen.is_empty() => return Err("admin.listen is off; pass --endpoint".into()),
        None => format!("http://{}", config.admin.listen),
    };
    let (method, path, body) = match cmd.verb.as_str() {
        "create" => ("POST", "/v1/accounts".to_owned(), json!({"name": cmd.name, "email": cmd.email}).to_string()),
        "list" => ("GET", "/v1/accounts".to_owned(), String::new()),
        _ => {
            let name = cmd.name.as_deref().unwrap_or_default();
            (
                "DELETE",
                format!("/v1/accounts/{}", percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)),
                String::new(),
            )
        }
    };
    let (status, answer) = send(config, &format!("{endpoint}{path}"), method, body).await?;
    if !status.is_success() {
        let code = answer.get("code").and_then(Value::as_str).unwrap_or("Error");
        let message = answer.get("message").and_then(Value::as_str).unwrap_or_default();
        return Err(format!("{code} ({status}): {message}"));
    }
    if cmd.json {
        return Ok(serde_json::to_string_pretty(&answer).unwrap_or_default());
    }
    Ok(human(&cmd.verb, &answer))
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
        assert_eq!(parse(&args("account list --endpoint http://h:1")).expect("valid").endpoint.as_deref(), Some("http://h:1"));
    }
}
