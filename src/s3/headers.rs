//! Header helpers shared by handlers: reading headers, S3's date formats, and the
//! mapping between stored [`ContentHeaders`]/user metadata and HTTP headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::{HeaderMap, HeaderName, HeaderValue};

use super::error::{S3Error, S3ErrorCode, S3Result};
use crate::model::ContentHeaders;

/// S3's limit on user metadata: names plus values, in bytes.
pub const MAX_USER_METADATA: usize = 2048;

/// The header's value as a string, if present and visible ASCII/UTF-8.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Milliseconds since the epoch → `SystemTime`.
pub fn from_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// `SystemTime` → milliseconds since the epoch.
pub fn to_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 7231 date (Last-Modified). HTTP dates end at year 9999; later times (a
/// lifecycle rule of absurdly many days) are shown as its last second.
pub fn http_date(ms: i64) -> String {
    const LAST_HTTP_DATE_MS: i64 = 253_402_300_799_000;
    httpdate::fmt_http_date(from_ms(ms.min(LAST_HTTP_DATE_MS)))
}

/// ISO 8601 with milliseconds, as in S3 XML (`2009-10-12T17:50:30.000Z`).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    format!("{}.{millis:03}Z", t.format(&fmt).unwrap_or_default())
}

/// Parses an HTTP date header; unparseable dates are ignored (`None`), as S3 does for
/// conditional headers.
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value.trim()).ok()
}

/// Reads the representation headers of a PUT (or CopyObject with REPLACE).
pub fn content_headers(headers: &HeaderMap) -> ContentHeaders {
    let own = |n: &str| get(headers, n).map(str::to_owned);
    ContentHeaders {
        content_type: own("content-type"),
        cache_control: own("cache-control"),
        content_disposition: own("content-disposition"),
        content_encoding: get(headers, "content-encoding").and_then(strip_aws_chunked),
        content_language: own("content-language"),
        expires: own("expires"),
    }
}

/// Removes the transport-only `aws-chunked` token from Content-Encoding; the rest is
/// kept as sent (`deflate, gzip` stays `deflate, gzip`).
fn strip_aws_chunked(value: &str) -> Option<String> {
    let kept: Vec<&str> = value.split(',').filter(|t| !t.trim().eq_ignore_ascii_case("aws-chunked")).collect();
    let rest = kept.join(",");
    let rest = rest.trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

/// The `x-amz-website-redirect-location` of a write, checked as S3 does: a path in the
/// bucket (`/…`) or an `http://` / `https://` URL, at most 2 KB; else 400
/// InvalidRedirectLocation.
pub fn website_redirect(headers: &HeaderMap) -> S3Result<Option<String>> {
    let Some(value) = get(headers, "x-amz-website-redirect-location") else { return Ok(None) };
    // `//host` and `/\host` are read by browsers as another host, not a path.
    let path = value.starts_with('/') && !value.starts_with("//") && !value.starts_with("/\\");
    let ok = (path || value.starts_with("http://") || value.starts_with("https://")) && value.len() <= 2048;
    if !ok {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRedirectLocation,
            "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// A query-string value (or form component) percent-encoded: all but RFC 3986's
/// unreserved characters.
pub fn encode_component(value: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}

/// Reads `x-amz-meta-*` headers (lowercase names without the prefix), RFC 2047
/// encoded-words decoded, enforcing S3's 2 KB limit. A value that is not UTF-8 or an
/// empty name is refused (400 InvalidArgument), never rewritten.
pub fn user_metadata(headers: &HeaderMap) -> S3Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") else { continue };
        if meta.is_empty() {
            return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "User metadata names must not be empty (x-amz-meta-)."));
        }
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("The value of {name} is not valid UTF-8.")))?;
        let value = super::encoded_words::decode(value);
        // Repeated headers are joined with a comma, as S3 does.
        if let Some(existing) = out.iter_mut().find(|(k, _)| k == meta) {
            existing.1.push(',');
            existing.1.push_str(&value);
        } else {
            out.push((meta.to_owned(), value));
        }
    }
    let size: usize = out.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA {
        return Err(S3Error::with_message(
            S3ErrorCode::MetadataTooLarge,
            format!("Your metadata headers exceed the maximum allowed metadata size ({size} > {MAX_USER_METADATA} bytes)."),
        ));
    }
    Ok(out)
}

/// The requested storage class (default STANDARD). A class this server cannot store
/// (`known` says which: STANDARD and the configured tiers) is `InvalidStorageClass`.
pub fn storage_class(headers: &HeaderMap, known: impl Fn(&str) -> bool) -> S3Result<String> {
    match get(headers, "x-amz-storage-class") {
        None => Ok("STANDARD".to_owned()),
        Some(c) if known(c) => Ok(c.to_owned()),
        Some(c) => Err(S3Error::with_message(
            S3ErrorCode::InvalidStorageClass,
            format!("The storage class you specified is not valid: {c} has no storage tier on this server (storage.tiers in config.toml)."),
        )),
    }
}

/// Adds a header if the value is a valid header value (stored values came from headers,
/// so they are; the check only guards against corrupt records).
pub fn put(map: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        map.append(n, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(1_255_369_830_123), "2009-10-12T17:50:30.123Z");
        assert_eq!(http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT", "clamped, not a panic");
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").map(to_ms), Some(784_111_777_000));
    }

    #[test]
    fn metadata_limit_and_aws_chunked() {
        let mut h = HeaderMap::new();
        h.insert("x-amz-meta-a", HeaderValue::from_static("1"));
        h.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
        assert_eq!(user_metadata(&h).unwrap(), vec![("a".to_owned(), "1".to_owned())]);
        assert_eq!(content_headers(&h).content_encoding, None);
        h.insert("content-encoding", HeaderValue::from_static("aws-chunked,gzip"));
        assert_eq!(content_headers(&h).content_encoding.as_deref(), Some("gzip"));
        h.insert("content-encoding", HeaderValue::from_static("deflate, gzip"));
        assert_eq!(content_headers(&h).content_encoding.as_deref(), Some("deflate, gzip"));
        h.insert("content-encoding", HeaderValue::from_static("deflate, aws-chunked, gzip"));
        assert_eq!(content_headers(&h).content_encoding.as_deref(), Some("deflate, gzip"));
        h.insert("x-amz-meta-word", HeaderValue::from_static("=?UTF-8?B?w6k=?="));
        assert_eq!(user_metadata(&h).unwrap()[1], ("word".to_owned(), "é".to_owned()));
        h.insert("x-amz-meta-raw", HeaderValue::from_bytes(&[0xff, 0xfe]).unwrap());
        assert_eq!(user_metadata(&h).unwrap_err().code, S3ErrorCode::InvalidArgument);
        h.remove("x-amz-meta-raw");
        h.insert("x-amz-meta-", HeaderValue::from_static("v"));
        assert_eq!(user_metadata(&h).unwrap_err().code, S3ErrorCode::InvalidArgument);
        h.remove("x-amz-meta-");
        h.insert("x-amz-meta-big", HeaderValue::from_str(&"x".repeat(2100)).unwrap());
        assert_eq!(user_metadata(&h).unwrap_err().code, S3ErrorCode::MetadataTooLarge);
    }
}
