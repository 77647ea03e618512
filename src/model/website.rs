//! Static website hosting of a bucket: S3's `<WebsiteConfiguration>` document, its
//! validation with S3's error codes, and the pure decisions of the website endpoint:
//! which key a path names (index documents), which requests are redirected (routing
//! rules, redirect-all) and where to. Serving is `crate::website`.

use serde::{Deserialize, Serialize};

/// The bucket configuration document holding the configuration (as the owner sent it).
pub const DOCUMENT: &str = "website";

/// At most this many routing rules, as S3.
pub const MAX_ROUTING_RULES: usize = 50;

/// The `<WebsiteConfiguration>` document.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct WebsiteConfiguration {
    /// Everything is redirected to another host (no other element allowed then).
    #[serde(rename = "RedirectAllRequestsTo", skip_serializing_if = "Option::is_none")]
    pub redirect_all: Option<RedirectAll>,
    /// The document served for a path ending in `/`.
    #[serde(rename = "IndexDocument", skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexDocument>,
    /// The object served for 4xx errors.
    #[serde(rename = "ErrorDocument", skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDocument>,
    /// Conditional redirects, the first match applying.
    #[serde(rename = "RoutingRules", skip_serializing_if = "Option::is_none")]
    pub routing_rules: Option<RoutingRules>,
}

/// `<IndexDocument>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct IndexDocument {
    /// Appended to a path ending in `/` (`index.html`).
    #[serde(rename = "Suffix")]
    pub suffix: String,
}

/// `<ErrorDocument>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct ErrorDocument {
    /// The key of the object served on a 4xx error.
    #[serde(rename = "Key")]
    pub key: String,
}

/// `<RedirectAllRequestsTo>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct RedirectAll {
    /// The host to send every request to.
    #[serde(rename = "HostName")]
    pub host_name: String,
    /// `http` or `https`; the request's own protocol when absent.
    #[serde(rename = "Protocol", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// `<RoutingRules>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct RoutingRules {
    /// The rules, in order.
    #[serde(rename = "RoutingRule", default)]
    pub rules: Vec<RoutingRule>,
}

/// `<RoutingRule>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct RoutingRule {
    /// When it applies (always, when absent).
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Where to.
    #[serde(rename = "Redirect")]
    pub redirect: Redirect,
}

/// `<Condition>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct Condition {
    /// The error status the request would get (e.g. `404`).
    #[serde(rename = "HttpErrorCodeReturnedEquals", skip_serializing_if = "Option::is_none")]
    pub http_error_code: Option<String>,
    /// The prefix the key starts with.
    #[serde(rename = "KeyPrefixEquals", skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
}

/// `<Redirect>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct Redirect {
    /// The host of the new location (the request's own when absent).
    #[serde(rename = "HostName", skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// The status (3xx; 301 when absent).
    #[serde(rename = "HttpRedirectCode", skip_serializing_if = "Option::is_none")]
    pub http_redirect_code: Option<String>,
    /// `http` or `https`.
    #[serde(rename = "Protocol", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Replaces the prefix the condition matched.
    #[serde(rename = "ReplaceKeyPrefixWith", skip_serializing_if = "Option::is_none")]
    pub replace_key_prefix_with: Option<String>,
    /// Replaces the whole key.
    #[serde(rename = "ReplaceKeyWith", skip_serializing_if = "Option::is_none")]
    pub replace_key_with: Option<String>,
}

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebsiteError {
    /// MalformedXML.
    Malformed(String),
    /// InvalidArgument.
    InvalidArgument(String),
}

/// Parses a document a client submits (strictly) and validates it as S3 does.
pub fn parse_submitted(raw: &[u8]) -> Result<WebsiteConfiguration, WebsiteError> {
    let text = std::str::from_utf8(raw).map_err(|_| WebsiteError::Malformed("The XML is not UTF-8".into()))?;
    let doc: WebsiteConfiguration = super::xmldoc::parse_strict(text, "WebsiteConfiguration").map_err(WebsiteError::Malformed)?;
    validate(&doc)?;
    Ok(doc)
}

/// Parses a stored document (validated when it was stored).
pub fn parse_stored(raw: &[u8]) -> Result<WebsiteConfiguration, WebsiteError> {
    let text = std::str::from_utf8(raw).map_err(|_| WebsiteError::Malformed("The XML is not UTF-8".into()))?;
    super::xmldoc::parse_lenient(text, "WebsiteConfiguration").map_err(WebsiteError::Malformed)
}

fn valid_protocol(p: Option<&String>) -> bool {
    p.is_none_or(|p| p == "http" || p == "https")
}

fn validate(doc: &WebsiteConfiguration) -> Result<(), WebsiteError> {
    let invalid = |m: &str| Err(WebsiteError::InvalidArgument(m.to_owned()));
    if let Some(all) = &doc.redirect_all {
        if doc.index.is_some() || doc.error.is_some() || doc.routing_rules.is_some() {
            return invalid("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.");
        }
        if all.host_name.trim().is_empty() {
            return invalid("RedirectAllRequestsTo HostName must not be empty.");
        }
        if !valid_protocol(all.protocol.as_ref()) {
            return invalid("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.");
        }
        return Ok(());
    }
    let Some(index) = &doc.index else {
        return invalid("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty");
    };
    if index.suffix.is_empty() || index.suffix.contains('/') {
        return invalid("The IndexDocument Suffix is not well formed");
    }
    if doc.error.as_ref().is_some_and(|e| e.key.is_empty()) {
        return invalid("The ErrorDocument Key is not well formed");
    }
    let rules = doc.routing_rules.as_ref().map_or(&[][..], |r| &r.rules[..]);
    if doc.routing_rules.is_some() && rules.is_empty() {
        return Err(WebsiteError::Malformed(
            "The XML you provided did not validate against our published schema: empty RoutingRules".into(),
        ));
    }
    if rules.len() > MAX_ROUTING_RULES {
        return invalid("The number of routing rules must not exceed the allowed limit of 50 rules.");
    }
    for rule in rules {
        let r = &rule.redirect;
        if r.replace_key_prefix_with.is_some() && r.replace_key_with.is_some() {
            return invalid("You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
        }
        if !valid_protocol(r.protocol.as_ref()) {
            return invalid("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.");
        }
        if let Some(code) = &r.http_redirect_code {
            if !code.parse::<u16>().is_ok_and(|c| (300..400).contains(&c) && c != 300 && c != 304) {
                return invalid("The provided HTTP redirect code is not valid. It should be a string containing a number.");
            }
        }
        if r.host_name.is_none()
            && r.http_redirect_code.is_none()
            && r.protocol.is_none()
            && r.replace_key_prefix_with.is_none()
            && r.replace_key_with.is_none()
        {
            return invalid("Redirect must contain at least one of the following: HostName, HttpRedirectCode, Protocol, ReplaceKeyPrefixWith, ReplaceKeyWith");
        }
        if let Some(c) = &rule.condition {
            if c.key_prefix.is_none() && c.http_error_code.is_none() {
                return invalid(
                    "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.",
                );
            }
            if let Some(code) = &c.http_error_code {
                if !code.parse::<u16>().is_ok_and(|c| (400..600).contains(&c)) {
                    return invalid("The provided HTTP error code is not valid. Valid codes are 4XX or 5XX.");
                }
            }
        }
    }
    Ok(())
}

/// A redirect the endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTo {
    /// The status (301, 302, ...).
    pub status: u16,
    /// The `Location`.
    pub location: String,
}

/// What the request is, for building a redirect's location.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// `http` or `https`.
    pub protocol: &'a str,
    /// The Host the request was sent to.
    pub host: &'a str,
}

impl WebsiteConfiguration {
    /// The key a request path (decoded, without its leading `/`) names: the index
    /// document for the root and for paths ending in `/`.
    pub fn key_for(&self, path: &str) -> String {
        let suffix = self.index.as_ref().map_or("index.html", |i| i.suffix.as_str());
        if path.is_empty() || path.ends_with('/') {
            format!("{path}{suffix}")
        } else {
            path.to_owned()
        }
    }

    /// The redirect that applies before any object is looked up: redirect-all, or the
    /// first routing rule whose condition names only a key prefix the path starts with
    /// (or that has no condition).
    pub fn redirect_before(&self, path: &str, origin: Origin<'_>) -> Option<RedirectTo> {
        if let Some(all) = &self.redirect_all {
            let protocol = all.protocol.as_deref().unwrap_or(origin.protocol);
            return Some(RedirectTo { status: 301, location: format!("{protocol}://{}/{}", all.host_name, encode_path(path)) });
        }
        let rule = self.rules().find(|r| match &r.condition {
            None => true,
            Some(c) => c.http_error_code.is_none() && c.key_prefix.as_deref().is_some_and(|p| path.starts_with(p)),
        })?;
        Some(redirect(rule, path, origin))
    }

    /// The redirect that applies when the request would fail with `status`: the first
    /// routing rule whose condition names that status (and a prefix the path starts
    /// with, if it names one).
    pub fn redirect_on_error(&self, path: &str, status: u16, origin: Origin<'_>) -> Option<RedirectTo> {
        let rule = self.rules().find(|r| {
            r.condition.as_ref().is_some_and(|c| {
                c.http_error_code.as_deref().is_some_and(|code| code == status.to_string())
                    && c.key_prefix.as_deref().is_none_or(|p| path.starts_with(p))
            })
        })?;
        Some(redirect(rule, path, origin))
    }

    fn rules(&self) -> impl Iterator<Item = &RoutingRule> {
        self.routing_rules.iter().flat_map(|r| r.rules.iter())
    }
}

fn redirect(rule: &RoutingRule, path: &str, origin: Origin<'_>) -> RedirectTo {
    let r = &rule.redirect;
    let protocol = r.protocol.as_deref().unwrap_or(origin.protocol);
    let host = r.host_name.as_deref().unwrap_or(origin.host);
    let key = if let Some(key) = &r.replace_key_with {
        key.clone()
    } else if let Some(with) = &r.replace_key_prefix_with {
        let prefix = rule.condition.as_ref().and_then(|c| c.key_prefix.as_deref()).unwrap_or("");
        format!("{with}{}", path.strip_prefix(prefix).unwrap_or(path))
    } else {
        path.to_owned()
    };
    let status = r.http_redirect_code.as_deref().and_then(|c| c.parse().ok()).unwrap_or(301);
    RedirectTo { status, location: format!("{protocol}://{host}/{}", encode_path(&key)) }
}

/// A key as a URL path: every byte but unreserved characters and `/` percent-encoded.
pub fn encode_path(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: Origin<'static> = Origin { protocol: "http", host: "site.web.test" };

    // The examples of the AWS documentation ("Configuring redirection rules").
    #[test]
    fn documented_examples() {
        let doc = r#"<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IndexDocument><Suffix>index.html</Suffix></IndexDocument>
  <ErrorDocument><Key>Error.html</Key></ErrorDocument>
  <RoutingRules>
    <RoutingRule>
    <Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>
    <Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect>
    </RoutingRule>
    <RoutingRule>
    <Condition><KeyPrefixEquals>images/</KeyPrefixEquals></Condition>
    <Redirect><ReplaceKeyWith>folderdeleted.html</ReplaceKeyWith></Redirect>
    </RoutingRule>
    <RoutingRule>
    <Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>
    <Redirect><HostName>ec2-11-22-333-44.compute-1.amazonaws.com</HostName><ReplaceKeyPrefixWith>report-404/</ReplaceKeyPrefixWith></Redirect>
    </RoutingRule>
  </RoutingRules>
</WebsiteConfiguration>"#;
        let c = parse_submitted(doc.as_bytes()).unwrap();
        assert_eq!(c.key_for(""), "index.html");
        assert_eq!(c.key_for("a/b/"), "a/b/index.html");
        assert_eq!(c.key_for("a/b"), "a/b");
        let r = c.redirect_before("docs/article1.html", ORIGIN).unwrap();
        assert_eq!(r, RedirectTo { status: 301, location: "http://site.web.test/documents/article1.html".into() });
        let r = c.redirect_before("images/x.jpg", ORIGIN).unwrap();
        assert_eq!(r.location, "http://site.web.test/folderdeleted.html");
        assert!(c.redirect_before("other.html", ORIGIN).is_none());
        let r = c.redirect_on_error("ExamplePage.html", 404, ORIGIN).unwrap();
        assert_eq!(r.location, "http://ec2-11-22-333-44.compute-1.amazonaws.com/report-404/ExamplePage.html");
        assert!(c.redirect_on_error("ExamplePage.html", 403, ORIGIN).is_none());
    }

    #[test]
    fn redirect_all() {
        let doc = "<WebsiteConfiguration><RedirectAllRequestsTo><HostName>example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>";
        let c = parse_submitted(doc.as_bytes()).unwrap();
        assert_eq!(c.redirect_before("a b/c?#", ORIGIN).unwrap().location, "https://example.com/a%20b/c%3F%23");
    }

    #[test]
    fn codes_and_escaping() {
        let doc = "<WebsiteConfiguration><IndexDocument><Suffix>i.html</Suffix></IndexDocument><RoutingRules><RoutingRule>\
            <Redirect><HttpRedirectCode>302</HttpRedirectCode><Protocol>https</Protocol></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>";
        let c = parse_submitted(doc.as_bytes()).unwrap();
        let r = c.redirect_before("a b/ü", ORIGIN).unwrap();
        assert_eq!(r, RedirectTo { status: 302, location: "https://site.web.test/a%20b/%C3%BC".into() });
    }

    #[test]
    fn refusals_as_s3() {
        let bad = |body: &str| parse_submitted(format!("<WebsiteConfiguration>{body}</WebsiteConfiguration>").as_bytes()).unwrap_err();
        let invalid = |body: &str| matches!(bad(body), WebsiteError::InvalidArgument(_));
        assert!(invalid(""));
        assert!(invalid("<IndexDocument><Suffix></Suffix></IndexDocument>"));
        assert!(invalid("<IndexDocument><Suffix>a/b</Suffix></IndexDocument>"));
        assert!(invalid(
            "<RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo><IndexDocument><Suffix>i</Suffix></IndexDocument>"
        ));
        assert!(invalid("<RedirectAllRequestsTo><HostName>h</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>"));
        let rule = |r: &str| {
            format!("<IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules><RoutingRule>{r}</RoutingRule></RoutingRules>")
        };
        assert!(invalid(&rule("<Redirect><ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith></Redirect>")));
        assert!(invalid(&rule("<Redirect><HttpRedirectCode>200</HttpRedirectCode></Redirect>")));
        assert!(invalid(&rule("<Redirect></Redirect>")));
        assert!(invalid(&rule("<Condition><HttpErrorCodeReturnedEquals>200</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>h</HostName></Redirect>")));
        assert!(matches!(bad("<IndexDocument><Suffix>i</Suffix></IndexDocument><Bogus/>"), WebsiteError::Malformed(_)));
    }
}
