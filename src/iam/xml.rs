//! The XML of IAM and STS query-API answers: `<{Action}Response>` with an optional
//! `<{Action}Result>` and the request id, built element by element with escaping.

use std::fmt::Write;

/// The IAM namespace.
pub const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// The STS namespace.
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Escapes text for an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An answer being written: the elements inside `<{Action}Result>`.
#[derive(Default)]
pub struct Xml {
    body: String,
}

impl Xml {
    /// An empty result.
    pub fn new() -> Self {
        Self::default()
    }

    /// `<tag>` (close it with [`Self::close`]).
    pub fn open(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.body, "<{tag}>");
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.body, "</{tag}>");
        self
    }

    /// `<tag>value</tag>`, escaped.
    pub fn leaf(&mut self, tag: &str, value: impl AsRef<str>) -> &mut Self {
        let _ = write!(self.body, "<{tag}>{}</{tag}>", escape(value.as_ref()));
        self
    }

    /// `<tag>value</tag>` when `value` is `Some`.
    pub fn opt(&mut self, tag: &str, value: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(v) = value {
            self.leaf(tag, v);
        }
        self
    }

    /// The whole answer of `action` in namespace `ns`; `with_result` adds the
    /// `<{action}Result>` element (IAM omits it for actions that return nothing).
    pub fn finish(&self, action: &str, ns: &str, request_id: &str, with_result: bool) -> String {
        let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{ns}\">");
        if with_result {
            let _ = write!(out, "<{action}Result>{}</{action}Result>", self.body);
        }
        let _ = write!(out, "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>");
        out
    }
}

/// A time (ms since the Unix epoch) as IAM writes dates: ISO 8601, UTC, seconds.
pub fn date(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_shape() {
        let mut x = Xml::new();
        x.open("User").leaf("UserName", "a&b").close("User");
        let out = x.finish("GetUser", IAM_NS, "r1", true);
        assert!(out.contains("<GetUserResult><User><UserName>a&amp;b</UserName></User></GetUserResult>"));
        assert!(out.contains("<RequestId>r1</RequestId>"));
        assert!(!Xml::new().finish("DeleteUser", IAM_NS, "r", false).contains("Result"));
        assert_eq!(date(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}
