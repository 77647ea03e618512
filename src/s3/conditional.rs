//! Conditional requests: If-Match, If-None-Match, If-Modified-Since and
//! If-Unmodified-Since on reads (RFC 9110 §13.2.2 precedence), their
//! `x-amz-copy-source-if-*` twins on copies, and If-Match / If-None-Match on writes.
//! Pure functions of header values and the stored version.

use hyper::header::HeaderMap;

use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{get, parse_http_date};
use crate::model::ObjectVersion;
use crate::store::StoreError;

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
    /// Reads If-None-Match / If-Match of a write. S3 accepts only `*` for If-None-Match
    /// (anything else is NotImplemented).
    pub fn from_headers(headers: &HeaderMap) -> S3Result<Self> {
        match (get(headers, "if-none-match"), get(headers, "if-match")) {
            (Some(v), _) if v.trim() == "*" => Ok(Self::Absent),
            (Some(_), _) => Err(S3Error::with_message(S3ErrorCode::NotImplemented, "If-None-Match on writes supports only '*'")),
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

    /// The condition as S3 answers it against `current` (None: absent or a delete
    /// marker): If-Match on a missing key is 404 NoSuchKey, any other failure 412.
    pub fn check(&self, current: Option<&ObjectVersion>) -> S3Result<()> {
        if matches!(self, Self::Matches(_)) && current.is_none() {
            return Err(S3Error::new(S3ErrorCode::NoSuchKey));
        }
        if !self.holds(current) {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
        Ok(())
    }
}

/// A delete's preconditions on the version it removes (the current one, or the one
/// `versionId` names): `If-Match` (ETag list or `*`), `x-amz-if-match-last-modified-time`
/// (HTTP date, compared to the second) and `x-amz-if-match-size`, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteCondition {
    /// ETag list or `*`.
    pub if_match: Option<String>,
    /// Last-Modified, in seconds since the epoch.
    pub last_modified_secs: Option<i64>,
    /// Size in bytes.
    pub size: Option<u64>,
}

impl DeleteCondition {
    /// Reads the condition headers of a DeleteObject.
    pub fn from_headers(headers: &HeaderMap) -> S3Result<Self> {
        let last_modified_secs = match get(headers, "x-amz-if-match-last-modified-time") {
            None => None,
            Some(v) => Some(Self::parse_time(v)?),
        };
        let size = match get(headers, "x-amz-if-match-size") {
            None => None,
            Some(v) => Some(Self::parse_size(v)?),
        };
        Ok(Self { if_match: get(headers, "if-match").map(str::to_owned), last_modified_secs, size })
    }

    /// An HTTP date (headers) or ISO 8601 timestamp (DeleteObjects XML), in seconds.
    pub fn parse_time(v: &str) -> S3Result<i64> {
        let iso = time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339)
            .ok()
            .map(time::OffsetDateTime::unix_timestamp);
        iso.or_else(|| parse_http_date(v).map(|t| super::headers::to_ms(t) / 1000)).ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid last-modified time for a conditional delete: {v}"))
        })
    }

    /// A size in bytes.
    pub fn parse_size(v: &str) -> S3Result<u64> {
        v.trim()
            .parse()
            .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid size for a conditional delete: {v}")))
    }

    /// Whether any condition was given.
    pub fn is_set(&self) -> bool {
        *self != Self::default()
    }

    /// Whether every condition holds against `target` (None: absent or a delete marker
    /// as the current version). Against nothing only If-Match fails: the size and time
    /// conditions let a delete of nothing succeed, as S3 documents.
    pub fn holds(&self, target: Option<&ObjectVersion>) -> bool {
        let Some(v) = target else { return self.if_match.is_none() };
        self.if_match.as_deref().is_none_or(|list| !v.delete_marker && etag_matches(list, &v.etag))
            && self.last_modified_secs.is_none_or(|t| v.last_modified_ms.div_euclid(1000) == t)
            && self.size.is_none_or(|n| !v.delete_marker && v.size == n)
    }

    /// The conditions as S3 answers them: If-Match against nothing is 404 NoSuchKey,
    /// any other failure 412.
    pub fn check(&self, target: Option<&ObjectVersion>) -> S3Result<()> {
        if target.is_none() && self.if_match.is_some() {
            return Err(S3Error::new(S3ErrorCode::NoSuchKey));
        }
        if !self.holds(target) {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
        Ok(())
    }
}

/// A write whose condition held when the request arrived but not when it committed:
/// a concurrent write or delete won the race, which S3 answers with 409
/// ConditionalRequestConflict (the client retries and then gets the true answer).
pub fn conflict_at_commit(e: StoreError) -> S3Error {
    match e {
        StoreError::PreconditionFailed => S3Error::with_message(
            S3ErrorCode::ConditionalRequestConflict,
            "A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.",
        ),
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn delete_conditions() {
        let v = ObjectVersion { size: 5, ..version() };
        let c = |pairs: &[(&'static str, &'static str)]| DeleteCondition::from_headers(&h(pairs)).unwrap();
        assert!(!c(&[]).is_set());
        assert!(c(&[]).check(None).is_ok());
        assert!(c(&[("if-match", "*")]).check(Some(&v)).is_ok());
        assert!(c(&[("if-match", "\"abc\"")]).check(Some(&v)).is_ok());
        assert_eq!(c(&[("if-match", "\"x\"")]).check(Some(&v)).unwrap_err().code, S3ErrorCode::PreconditionFailed);
        assert_eq!(c(&[("if-match", "*")]).check(None).unwrap_err().code, S3ErrorCode::NoSuchKey);
        assert!(c(&[("x-amz-if-match-size", "5")]).check(Some(&v)).is_ok());
        assert!(c(&[("x-amz-if-match-size", "5")]).check(None).is_ok(), "nothing to delete: 204");
        assert_eq!(c(&[("x-amz-if-match-size", "6")]).check(Some(&v)).unwrap_err().code, S3ErrorCode::PreconditionFailed);
        assert!(c(&[("x-amz-if-match-last-modified-time", "Sun, 06 Nov 1994 08:49:37 GMT")]).check(Some(&v)).is_ok());
        assert!(c(&[("x-amz-if-match-last-modified-time", "1994-11-06T08:49:37Z")]).check(Some(&v)).is_ok());
        assert!(c(&[("x-amz-if-match-last-modified-time", "Sun, 06 Nov 1994 08:49:38 GMT")]).check(Some(&v)).is_err());
        assert!(DeleteCondition::from_headers(&h(&[("x-amz-if-match-size", "many")])).is_err());
        let marker = ObjectVersion { delete_marker: true, ..version() };
        assert!(!c(&[("if-match", "*")]).holds(Some(&marker)), "a delete marker has no ETag");
    }

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
        assert_eq!(WriteCondition::Matches("\"x\"".into()).check(None).unwrap_err().code, S3ErrorCode::NoSuchKey);
        assert_eq!(WriteCondition::Absent.check(Some(&v)).unwrap_err().code, S3ErrorCode::PreconditionFailed);
        assert!(!check_copy_source(&h(&[("x-amz-copy-source-if-none-match", "\"abc\"")]), &v));
    }
}
