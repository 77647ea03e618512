//! The console's static files: built into the binary (`build.rs` embeds
//! `src/console/assets/`), or read from `console.assets_dir` during development; and
//! the security headers every console answer carries.

use http_body_util::{BodyExt, Full};
use hyper::StatusCode;

use crate::s3::{headers, Response};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// What a console page may load and run: its own scripts and styles only (no inline
/// script, no `eval`), images and previews from itself or `blob:` URLs it made, requests
/// to its own origin only, and no framing by anyone.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
media-src 'self' blob:; frame-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Adds the headers every console answer carries: the CSP, no framing, no sniffing, no
/// referrer (a presigned URL must not leak through one), not cached.
pub fn secure(response: &mut Response) {
    let h = response.headers_mut();
    headers::put(h, "content-security-policy", CONTENT_SECURITY_POLICY);
    headers::put(h, "x-frame-options", "DENY");
    headers::put(h, "x-content-type-options", "nosniff");
    headers::put(h, "referrer-policy", "no-referrer");
    headers::put(h, "cache-control", "no-store");
    headers::put(h, "cross-origin-opener-policy", "same-origin");
}

/// The content type of a file by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A file's path as the table names it, if `rest` (the part of the URL path after
/// `/console/assets/`) is a plain relative path: no `..`, no empty or hidden segment.
fn clean(rest: &str) -> Option<&str> {
    let ok = !rest.is_empty()
        && rest.len() <= 200
        && rest.split('/').all(|seg| !seg.is_empty() && !seg.starts_with('.'))
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    ok.then_some(rest)
}

/// The contents of console file `path`: from `dir` when set (development), else built in.
fn contents(dir: &str, path: &str) -> Option<bytes::Bytes> {
    if dir.is_empty() {
        return embedded::FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| bytes::Bytes::from_static(bytes));
    }
    // `clean` allowed no `..` nor hidden segment: the path stays under `dir`.
    std::fs::read(std::path::Path::new(dir).join(path)).ok().map(bytes::Bytes::from)
}

/// Answers `GET /` (the page) or `GET /console/assets/<rest>`; `None` if there is no
/// such file.
pub fn serve(dir: &str, url_path: &str) -> Option<Response> {
    let path = if url_path == "/" { "index.html" } else { clean(url_path.strip_prefix("/console/assets/")?)? };
    let body = contents(dir, path)?;
    let mut response = hyper::Response::new(Full::new(body).map_err(|never| match never {}).boxed());
    *response.status_mut() = StatusCode::OK;
    headers::put(response.headers_mut(), "content-type", content_type(path));
    Some(response)
}

/// The names of the built-in files (for tests).
pub fn embedded_names() -> impl Iterator<Item = &'static str> {
    embedded::FILES.iter().map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_assets() {
        assert_eq!(clean("js/app.js"), Some("js/app.js"));
        for bad in ["", "../Cargo.toml", "js/../../x", "/etc/passwd", ".git/config", "js//x", "a b", "js/.hidden", "%2e%2e/x"] {
            assert_eq!(clean(bad), None, "{bad}");
        }
        assert!(serve("", "/console/assets/../build.rs").is_none());
        assert!(serve("", "/console/assets/nope.js").is_none());
    }

    #[test]
    fn the_page_and_its_scripts_are_built_in() {
        let names: Vec<_> = embedded_names().collect();
        assert!(names.contains(&"index.html") && names.contains(&"js/app.js"), "{names:?}");
        assert!(serve("", "/").is_some());
        assert_eq!(content_type("js/app.js"), "text/javascript; charset=utf-8");
    }

    /// No asset may build markup from strings or run strings as code: every name, key
    /// and message reaches the page as text (the XSS defence the CSP backs up).
    #[test]
    fn no_asset_builds_html_from_strings_or_evaluates_code() {
        const FORBIDDEN: [&str; 8] =
            ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "javascript:", "srcdoc"];
        for (name, bytes) in embedded::FILES {
            let text = String::from_utf8_lossy(bytes);
            for word in FORBIDDEN {
                assert!(!text.contains(word), "{name} contains {word}");
            }
            if name.rsplit_once('.').is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("html")) {
                for inline in [" on", "style=", "<script>"] {
                    let lower = text.to_ascii_lowercase();
                    let found = if inline == " on" {
                        lower.match_indices(" on").any(|(i, _)| {
                            lower[i + 3..].split_once('=').is_some_and(|(attr, _)| attr.bytes().all(|b| b.is_ascii_lowercase()))
                        })
                    } else {
                        lower.contains(inline)
                    };
                    assert!(!found, "{name} has inline {inline:?}");
                }
            }
        }
    }
}
