//! `GET /v1/audit`: the newest records of the audit trail (`audit.path`), filtered, for
//! the web console's audit page. Reads the end of the current file, then of the newest
//! rotated one if that is not enough; never more than [`MAX_READ`] bytes a request.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::{json, Value};

use crate::iam::{IamError, IamErrorCode};
use crate::s3::AppState;

/// Most bytes read from the files per request.
const MAX_READ: u64 = 16 << 20;

/// Most records answered.
const MAX_LIMIT: usize = 1000;

/// What to keep.
#[derive(Debug, Default)]
pub struct Filter {
    /// Records answered at most.
    pub limit: usize,
    /// Kept only if the record's JSON contains this (case-insensitive).
    pub contains: Option<String>,
    /// Kept only if the event name is this.
    pub event: Option<String>,
    /// Only failed requests.
    pub errors_only: bool,
}

impl Filter {
    /// From the query string.
    pub fn parse(query: Option<&str>) -> Result<Self, IamError> {
        let mut f = Filter { limit: 200, ..Filter::default() };
        for (k, v) in crate::server::query_api::url_form(query.unwrap_or_default().as_bytes()) {
            match k.as_str() {
                "limit" => {
                    f.limit = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| IamError::new(IamErrorCode::InvalidInput, format!("limit: a number from 1 to {MAX_LIMIT}")))?;
                }
                "contains" if !v.is_empty() => f.contains = Some(v.to_lowercase()),
                "event" if !v.is_empty() => f.event = Some(v),
                "errors" => f.errors_only = v == "1" || v == "true",
                _ => {}
            }
        }
        Ok(f)
    }

    fn keeps(&self, line: &str, record: &Value) -> bool {
        self.contains.as_ref().is_none_or(|c| line.to_lowercase().contains(c))
            && self.event.as_ref().is_none_or(|e| record["eventName"].as_str() == Some(e))
            && (!self.errors_only || record.get("errorCode").is_some_and(|c| !c.is_null()))
    }
}

/// The last `budget` bytes of `path`, starting at a line boundary.
fn tail(path: &Path, budget: u64) -> std::io::Result<(String, u64)> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((String::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(budget);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(budget).read_to_end(&mut bytes)?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 {
        // The first line is cut: drop it.
        text = text.split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap_or_default();
    }
    Ok((text, len - start))
}

/// The records kept by `filter`, newest first.
pub fn records(state: &AppState, filter: &Filter) -> Result<Value, IamError> {
    let Some(path) = state.config.audit_path() else {
        return Ok(json!({"records": [], "enabled": false}));
    };
    let rotated = {
        let mut p = path.clone().into_os_string();
        p.push(".1");
        std::path::PathBuf::from(p)
    };
    let mut out = Vec::new();
    let mut budget = MAX_READ;
    for file in [path.as_path(), rotated.as_path()] {
        let (text, read) = tail(file, budget).map_err(|e| IamError::internal(format!("reading the audit trail: {e}")))?;
        budget -= read.min(budget);
        for line in text.lines().rev() {
            let Ok(record) = serde_json::from_str::<Value>(line) else { continue };
            if filter.keeps(line, &record) {
                out.push(record);
                if out.len() >= filter.limit {
                    return Ok(json!({"records": out, "enabled": true}));
                }
            }
        }
        if budget == 0 {
            break;
        }
    }
    Ok(json!({"records": out, "enabled": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = Filter::parse(Some("limit=5&contains=Alice&event=CreateUser&errors=1")).unwrap();
        assert_eq!(f.limit, 5);
        let ok = json!({"eventName": "CreateUser", "errorCode": "AccessDenied"});
        assert!(f.keeps(r#"{"userName":"alice"}"#, &ok));
        assert!(!f.keeps(r#"{"userName":"bob"}"#, &ok));
        assert!(!f.keeps("alice", &json!({"eventName": "CreateUser", "errorCode": null})));
        assert!(Filter::parse(Some("limit=0")).is_err() && Filter::parse(Some("limit=5000")).is_err());
    }

    #[test]
    fn tails_start_at_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, "first line\nsecond\nthird\n").unwrap();
        let (text, read) = tail(&p, 10).unwrap();
        assert_eq!((text.as_str(), read), ("third\n", 10));
        assert_eq!(tail(&dir.path().join("none"), 10).unwrap().0, "");
    }
}
