//! SigV4 canonicalization: canonical URI, query string, headers and request,
//! the string to sign, and the signing key.
//!
//! Works on bytes rather than `str` because header values (user metadata) and
//! decoded paths may legitimately hold non-ASCII UTF-8, which
//! `HeaderValue::to_str` rejects.

use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

use http::request::Parts;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Everything except the SigV4 unreserved characters `A-Z a-z 0-9 - . _ ~`.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// As [`QUERY_SET`], but `/` separates path segments and stays as is.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// The SigV4 signing algorithm name.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Hex SHA-256 of the empty string, part of every chunk string-to-sign.
pub(crate) const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Constant-time comparison of a computed hex signature with the one the
/// client sent (case-insensitively, since hex case carries no meaning).
pub(crate) fn signatures_match(computed: &str, provided: &str) -> bool {
    let provided = provided.to_ascii_lowercase();
    bool::from(computed.as_bytes().ct_eq(provided.as_bytes()))
}

/// A SigV4 signing key (`kSigning`), derived from a secret; redacted `Debug`.
#[derive(Clone)]
pub(crate) struct SigningKey(Vec<u8>);

impl SigningKey {
    /// Derives the key for `secret` on the date of `time`, in `region`, for service `s3`.
    pub(crate) fn derive(secret: &str, time: SystemTime, region: &str) -> Self {
        Self::derive_for(secret, time, region, "s3")
    }

    /// Derives the key for `secret` on the date of `time`, in `region`, for `service`.
    pub(crate) fn derive_for(secret: &str, time: SystemTime, region: &str, service: &str) -> Self {
        let key = aws_sigv4::sign::v4::generate_signing_key(secret, time, region, service);
        Self(key.as_ref().to_vec())
    }

    /// Hex HMAC-SHA256 of `string_to_sign` under this key.
    pub(crate) fn sign(&self, string_to_sign: &[u8]) -> String {
        aws_sigv4::sign::v4::calculate_signature(&self.0, string_to_sign)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// The canonical URI S3 expects: the decoded path re-encoded once per SigV4
/// rules (S3 does not normalize `.`/`..` or double slashes).
pub(crate) fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let decoded: Cow<'_, [u8]> = percent_decode(raw_path.as_bytes()).into();
    percent_encode(&decoded, PATH_SET).to_string()
}

/// Candidate canonical URIs: the SigV4 re-encoding first, then the path as
/// sent when it differs, for clients that sign their own (different) encoding.
pub(crate) fn uri_candidates(raw_path: &str) -> Vec<String> {
    let canonical = canonical_uri(raw_path);
    let raw = if raw_path.is_empty() { "/" } else { raw_path };
    if canonical == raw {
        vec![canonical]
    } else {
        vec![canonical, raw.to_owned()]
    }
}

/// Splits a raw query string into raw `(name, value)` pairs; a bare name gets
/// an empty value and empty segments (`a=1&&b=2`) are skipped.
pub(crate) fn raw_query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Percent-decodes a query component into a `String` (lossy on invalid UTF-8,
/// which only affects lookups of our own ASCII parameter names). `+` is a space, as
/// the router reads it: a signature must cover what the request will mean.
pub(crate) fn decode_component(raw: &str) -> String {
    percent_decode(&plus_as_space(raw)).decode_utf8_lossy().into_owned()
}

/// The raw bytes of a query component with each `+` turned into a space, so that
/// `a+b` and `a%20b` decode alike (and differently from `a%2Bb`).
fn plus_as_space(raw: &str) -> Cow<'_, [u8]> {
    if raw.contains('+') {
        Cow::Owned(raw.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect())
    } else {
        Cow::Borrowed(raw.as_bytes())
    }
}

/// Decoded `(name, value)` pairs of a query string.
pub(crate) fn query_params(query: &str) -> Vec<(String, String)> {
    raw_query_pairs(query).map(|(k, v)| (decode_component(k), decode_component(v))).collect()
}

/// The first value of query parameter `name` (exact, case-sensitive match).
pub(crate) fn query_param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The canonical query string: each name and value decoded (`+` as a space) then re-encoded,
/// sorted by name then value, `name=value` joined by `&`. Parameters whose
/// decoded name equals `exclude` (the presigned `X-Amz-Signature`) are left out.
pub(crate) fn canonical_query(query: &str, exclude: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = raw_query_pairs(query)
        .filter_map(|(k, v)| {
            let (k, v) = (plus_as_space(k), plus_as_space(v));
            let name: Vec<u8> = percent_decode(&k).collect();
            if exclude.is_some_and(|ex| ex.as_bytes() == name.as_slice()) {
                return None;
            }
            let value: Vec<u8> = percent_decode(&v).collect();
            Some((percent_encode(&name, QUERY_SET).to_string(), percent_encode(&value, QUERY_SET).to_string()))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(query.len() + 8);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trims a header value and collapses inner runs of spaces/tabs into one space.
fn normalize_value(value: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    let mut started = false;
    for &b in value {
        if b == b' ' || b == b'\t' {
            pending_space = started;
            continue;
        }
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        out.push(b);
        started = true;
    }
}

/// The canonical headers block (`name:value\n` per signed header, in the
/// order given). Multiple values of one header are joined with `,`; a missing
/// `host` header falls back to the URI authority (HTTP/2 `:authority`).
pub(crate) fn canonical_headers(head: &Parts, signed: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for name in signed {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut first = true;
        for value in head.headers.get_all(*name) {
            if !first {
                out.push(b',');
            }
            first = false;
            normalize_value(value.as_bytes(), &mut out);
        }
        if first && *name == "host" {
            if let Some(authority) = head.uri.authority() {
                out.extend_from_slice(authority.as_str().as_bytes());
            }
        }
        out.push(b'\n');
    }
    out
}

/// The pieces of a canonical request that do not depend on the URI candidate.
pub(crate) struct CanonicalParts<'a> {
    /// HTTP method, upper case.
    pub(crate) method: &'a str,
    /// Output of [`canonical_query`].
    pub(crate) query: &'a str,
    /// Output of [`canonical_headers`].
    pub(crate) headers: &'a [u8],
    /// The `SignedHeaders` list as sent (`;`-separated).
    pub(crate) signed_headers: &'a str,
    /// The payload hash line (`x-amz-content-sha256` or `UNSIGNED-PAYLOAD`).
    pub(crate) payload_hash: &'a str,
}

/// The canonical request for one candidate URI.
pub(crate) fn canonical_request(parts: &CanonicalParts<'_>, uri: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.method.len() + uri.len() + parts.query.len() + parts.headers.len() + 160);
    for piece in [parts.method.as_bytes(), uri.as_bytes(), parts.query.as_bytes()] {
        out.extend_from_slice(piece);
        out.push(b'\n');
    }
    out.extend_from_slice(parts.headers);
    out.push(b'\n');
    out.extend_from_slice(parts.signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(parts.payload_hash.as_bytes());
    out
}

/// The SigV4 string to sign for a canonical request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex::encode(sha256(canonical_request)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_is_single_and_unnormalized() {
        assert_eq!(canonical_uri("/b/a%20b/../c"), "/b/a%20b/../c");
        assert_eq!(canonical_uri("/b/a b"), "/b/a%20b");
        assert_eq!(canonical_uri("/b/%7Efile+x"), "/b/~file%2Bx");
        assert_eq!(canonical_uri("/b//k"), "/b//k");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(uri_candidates("/b/a+b").len(), 2);
        assert_eq!(uri_candidates("/b/ab").len(), 1);
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(canonical_query("prefix=a%2fb&max-keys=2&acl&x=%7e", None), "acl=&max-keys=2&prefix=a%2Fb&x=~");
        assert_eq!(canonical_query("b=2&a=2&a=1", None), "a=1&a=2&b=2");
        assert_eq!(canonical_query("X-Amz-Signature=abc&z=1", Some("X-Amz-Signature")), "z=1");
        assert_eq!(canonical_query("", None), "");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let req = http::Request::builder()
            .uri("http://example.com/x")
            .header("x-amz-meta-a", "  a   b \t c  ")
            .header("x-amz-meta-m", "1")
            .header("x-amz-meta-m", "2")
            .body(())
            .expect("valid request");
        let (head, ()) = req.into_parts();
        let block = canonical_headers(&head, &["host", "x-amz-meta-a", "x-amz-meta-m"]);
        assert_eq!(String::from_utf8(block).expect("utf8"), "host:example.com\nx-amz-meta-a:a b c\nx-amz-meta-m:1,2\n");
    }

    #[test]
    fn signature_compare() {
        assert!(signatures_match("abc", "ABC"));
        assert!(!signatures_match("abc", "abd"));
        assert!(!signatures_match("abc", "ab"));
    }
}
