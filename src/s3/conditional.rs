//! Conditional requests: If-Match, If-None-Match, If-Modified-Since and
//! If-Unmodified-Since on reads (RFC 9110 §13.2.2 precedence), their
//! `x-amz-copy-source-if-*` twins on copies, and If-Match / If-None-Match on writes.
//! Pure functions of header values and the stored version.

use hyper::header::HeaderMap;

use super::headers::{get, parse_http_date};
use crate::model::ObjectVersion;

/// What the conditions say about a read.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it.
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// The four condition headers of a read, by name prefix ("" or "x-amz-copy-source-").
#[allow(clippy::struct_field_names)]
struct Conditions<'a> {
    if_match: Option<&'a str>,
    if_none_match: Option<&'a str>,
    if_modified_since: Option<&'a str>,
    if_unmodified_since: Option<&'a str>,
}

impl<'a> Conditions<'a> {
    fn read(headers: &'a HeaderMap, prefix: &str) -> Self {
        let h = |n: &str| get(headers, &format!("{prefix}{n}"));
        Self {
            if_match: h("if-match"),
            if_none_match: h("if-none-match"),
            if_modified_since: h("if-modified-since"),
            if_unmodified_since: h("if-unmodified-since"),
        }
    }
}

/// Whether an entity-tag list (`"a", W/"b"` or `*`) matches `etag` (unquoted).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t.trim_matches('"') == etag
    })
}

/// Last-Modified at the one-second resolution of HTTP dates.
fn modified_after(version: &ObjectVersion, date: &str) -> Option<bool> {
    let since = parse_http_date(date)?;
    let since_secs = super::headers::to_ms(since) / 1000;
    Some(version.last_modified_ms / 1000 > since_secs)
}

fn evaluate(c: &Conditions<'_>, version: &ObjectVersion) -> Verdict {
    // RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else
    // If-Modified-Since.
    if let Some(list) = c.if_match {
        if !etag_matches(list, &version.etag) {
            return Verdict::Failed;
        }
    } else if let Some(date) = c.if_unmodified_since {
        if modified_after(version, date) == Some(true) {
            return Verdict::Failed;
        }
    }
    if let Some(list) = c.if_none_match {
        if etag_matches(list, &version.etag) {
            return Verdict::NotModified;
        }
    } else if let Some(date) = c.if_modified_since {
        if modified_after(version, date) == Some(false) {
            return Verdict::NotModified;
        }
    }
    Verdict::Proceed
}

/// Conditions of a GET or HEAD.
pub fn check_read(headers: &HeaderMap, version: &ObjectVersion) -> Verdict {
    evaluate(&Conditions::read(headers, ""), version)
}

/// `x-amz-copy-source-if-*` conditions of a copy: any failure is 412, as S3 answers.
pub fn check_copy_source(headers: &HeaderMap, source: &ObjectVersion) -> bool {
    evaluate(&Conditions::read(headers, "x-amz-copy-source-"), source) == Verdict::Proceed
}

/// A write's precondition on the key's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// No condition.
    None,
    /// `If-None-Match: *` — the key must not exist.
    Absent,
    /// `If-Match: etag-list` — the current version's ETag must match.
    Matches(String),
}

impl WriteCondition {
    /// Reads If-None-Match / If-Match of a PUT. S3 accepts only `*` for If-None-Match.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, &'static str> {
        match (get(headers, "if-none-match"), get(headers, "if-match")) {
            (Some(v), _) if v.trim() == "*" => Ok(Self::Absent),
            (Some(_), _) => Err("If-None-Match on writes supports only '*'"),
            (None, Some(list)) => Ok(Self::Matches(list.to_owned())),
            (None, None) => Ok(Self::None),
        }
    }

    /// Whether the condition holds against `current` (None: absent).
    pub fn holds(&self, current: Option<&ObjectVersion>) -> bool {
        match self {
            Self::None => true,
            Self::Absent => current.is_none(),
            Self::Matches(list) => current.is_some_and(|v| etag_matches(list, &v.etag)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn version() -> ObjectVersion {
        // Sun, 06 Nov 1994 08:49:37 GMT
        ObjectVersion { etag: "abc".into(), ..ObjectVersion::empty_for_test(784_111_777_500) }
    }

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn read_precedence() {
        let v = version();
        assert_eq!(check_read(&h(&[("if-match", "\"abc\"")]), &v), Verdict::Proceed);
        assert_eq!(check_read(&h(&[("if-match", "\"x\"")]), &v), Verdict::Failed);
        assert_eq!(check_read(&h(&[("if-none-match", "\"abc\"")]), &v), Verdict::NotModified);
        assert_eq!(check_read(&h(&[("if-none-match", "*")]), &v), Verdict::NotModified);
        assert_eq!(check_read(&h(&[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]), &v), Verdict::NotModified);
        assert_eq!(check_read(&h(&[("if-modified-since", "Sun, 06 Nov 1994 08:49:36 GMT")]), &v), Verdict::Proceed);
        assert_eq!(check_read(&h(&[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")]), &v), Verdict::Failed);
        // If-Match wins over If-Unmodified-Since; If-None-Match over If-Modified-Since.
        assert_eq!(
            check_read(&h(&[("if-match", "\"abc\""), ("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")]), &v),
            Verdict::Proceed
        );
        assert_eq!(
            check_read(&h(&[("if-none-match", "\"zzz\""), ("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]), &v),
            Verdict::Proceed
        );
        assert_eq!(check_read(&h(&[("if-modified-since", "garbage")]), &v), Verdict::Proceed);
    }

    #[test]
    fn write_conditions() {
        let v = version();
        assert_eq!(WriteCondition::from_headers(&h(&[("if-none-match", "*")])).unwrap(), WriteCondition::Absent);
        assert!(WriteCondition::from_headers(&h(&[("if-none-match", "\"abc\"")])).is_err());
        assert!(!WriteCondition::Absent.holds(Some(&v)));
        assert!(WriteCondition::Absent.holds(None));
        assert!(WriteCondition::Matches("\"abc\"".into()).holds(Some(&v)));
        assert!(!WriteCondition::Matches("\"abc\"".into()).holds(None));
        assert!(check_copy_source(&h(&[("x-amz-copy-source-if-match", "\"abc\"")]), &v));
        assert!(!check_copy_source(&h(&[("x-amz-copy-source-if-none-match", "\"abc\"")]), &v));
    }
}
