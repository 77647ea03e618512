//! CORS rules of a bucket: S3's `<CORSConfiguration>` document, its validation with
//! S3's error codes, and the pure matching of a browser's request against the rules
//! (preflight and actual requests). The HTTP side is `crate::s3::cors`.

use serde::{Deserialize, Serialize};

/// The bucket configuration document holding the rules (as the XML the owner sent).
pub const DOCUMENT: &str = "cors";

/// At most this many rules, as S3.
pub const MAX_RULES: usize = 100;

/// The methods a rule may allow (S3's list).
pub const METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// The `<CORSConfiguration>` document.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct CorsConfiguration {
    /// The rules, in order: the first that matches a request applies.
    #[serde(rename = "CORSRule", default)]
    pub rules: Vec<CorsRule>,
}

/// One `<CORSRule>`.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct CorsRule {
    /// Optional id (at most 255 characters).
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Request headers a preflight may ask for (one `*` wildcard each; case-insensitive).
    #[serde(rename = "AllowedHeader", default)]
    pub allowed_headers: Vec<String>,
    /// Methods allowed (GET, PUT, HEAD, POST, DELETE).
    #[serde(rename = "AllowedMethod", default)]
    pub allowed_methods: Vec<String>,
    /// Origins allowed (one `*` wildcard each).
    #[serde(rename = "AllowedOrigin", default)]
    pub allowed_origins: Vec<String>,
    /// Response headers the browser may let scripts read.
    #[serde(rename = "ExposeHeader", default)]
    pub expose_headers: Vec<String>,
    /// How long a browser may cache the preflight answer.
    #[serde(rename = "MaxAgeSeconds", skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u32>,
}

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsError {
    /// MalformedXML.
    Malformed(String),
    /// InvalidRequest.
    InvalidRequest(String),
}

/// Parses a document a client submits (strictly) and validates it as S3 does.
pub fn parse_submitted(raw: &[u8]) -> Result<CorsConfiguration, CorsError> {
    let text = std::str::from_utf8(raw).map_err(|_| CorsError::Malformed("The XML is not UTF-8".into()))?;
    let doc: CorsConfiguration = super::xmldoc::parse_strict(text, "CORSConfiguration").map_err(CorsError::Malformed)?;
    validate(&doc)?;
    Ok(doc)
}

/// Parses a stored document (validated when it was stored).
pub fn parse_stored(raw: &[u8]) -> Result<CorsConfiguration, CorsError> {
    let text = std::str::from_utf8(raw).map_err(|_| CorsError::Malformed("The XML is not UTF-8".into()))?;
    super::xmldoc::parse_lenient(text, "CORSConfiguration").map_err(CorsError::Malformed)
}

fn validate(doc: &CorsConfiguration) -> Result<(), CorsError> {
    let invalid = |m: String| Err(CorsError::InvalidRequest(m));
    if doc.rules.is_empty() {
        return Err(CorsError::Malformed("The XML you provided did not validate against our published schema: no CORSRule".into()));
    }
    if doc.rules.len() > MAX_RULES {
        return invalid(format!("The number of CORS rules should not exceed allowed limit of {MAX_RULES} rules."));
    }
    for rule in &doc.rules {
        if rule.allowed_methods.is_empty() || rule.allowed_origins.is_empty() {
            return Err(CorsError::Malformed(
                "The XML you provided did not validate against our published schema: a CORSRule needs AllowedMethod and AllowedOrigin"
                    .into(),
            ));
        }
        if rule.id.as_ref().is_some_and(|id| id.chars().count() > 255) {
            return invalid("The ID of a CORS rule must be at most 255 characters long.".into());
        }
        if let Some(m) = rule.allowed_methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return invalid(format!("Found unsupported HTTP method in CORS config. Unsupported method is {m}"));
        }
        if let Some(o) = rule.allowed_origins.iter().find(|o| o.matches('*').count() > 1) {
            return invalid(format!("AllowedOrigin \"{o}\" can not have more than one wildcard."));
        }
        if let Some(h) = rule.allowed_headers.iter().find(|h| h.matches('*').count() > 1) {
            return invalid(format!("AllowedHeader \"{h}\" can not have more than one wildcard."));
        }
        if let Some(h) = rule.expose_headers.iter().find(|h| h.contains('*')) {
            return invalid(format!("ExposeHeader \"{h}\" contains wildcard. We currently do not support wildcard for ExposeHeader."));
        }
    }
    Ok(())
}

/// Whether `value` matches `pattern`, which holds at most one `*` (any run of
/// characters, possibly empty).
fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let eq = |a: &str, b: &str| if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b };
    match pattern.split_once('*') {
        None => eq(pattern, value),
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.is_char_boundary(prefix.len())
                && value.is_char_boundary(value.len() - suffix.len())
                && eq(&value[..prefix.len()], prefix)
                && eq(&value[value.len() - suffix.len()..], suffix)
        }
    }
}

impl CorsRule {
    fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| wildcard_match(o, origin, false))
    }

    fn allows_method(&self, method: &str) -> bool {
        self.allowed_methods.iter().any(|m| m == method)
    }

    fn allows_header(&self, header: &str) -> bool {
        self.allowed_headers.iter().any(|h| wildcard_match(h, header, true))
    }

    /// Whether this rule lets any origin in (its answers say `*`, not the origin).
    fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }
}

/// The `Access-Control-*` headers a matching rule gives (without `Vary`, which every
/// answer to a request with an `Origin` carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsGrant {
    /// `Access-Control-Allow-Origin`: `*` for a rule that allows any origin, else the origin.
    pub allow_origin: String,
    /// `Access-Control-Allow-Credentials: true` (not sent with `*`).
    pub allow_credentials: bool,
    /// `Access-Control-Allow-Methods`: the rule's methods.
    pub allow_methods: Vec<String>,
    /// `Access-Control-Allow-Headers` (preflight): the requested headers, lowercased.
    pub allow_headers: Vec<String>,
    /// `Access-Control-Expose-Headers`.
    pub expose_headers: Vec<String>,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<u32>,
}

impl CorsConfiguration {
    /// The grant of the first rule that allows a preflight from `origin` for `method`
    /// with `headers` (from `Access-Control-Request-Headers`), `None` if no rule does.
    pub fn preflight(&self, origin: &str, method: &str, headers: &[String]) -> Option<CorsGrant> {
        let rule =
            self.rules.iter().find(|r| r.allows_origin(origin) && r.allows_method(method) && headers.iter().all(|h| r.allows_header(h)))?;
        Some(grant(rule, origin, headers))
    }

    /// The grant for an actual (non-preflight) request from `origin` with `method`: the
    /// first rule allowing both. S3 checks no request headers here.
    pub fn actual(&self, origin: &str, method: &str) -> Option<CorsGrant> {
        let rule = self.rules.iter().find(|r| r.allows_origin(origin) && r.allows_method(method))?;
        Some(grant(rule, origin, &[]))
    }

    /// The rule set of the server-wide default (`cors.default_allowed_origins`): those
    /// origins, every S3 method and request header, the headers S3 clients read exposed.
    pub fn server_default(origins: &[String]) -> Option<Self> {
        if origins.is_empty() {
            return None;
        }
        let expose =
            ["ETag", "x-amz-version-id", "x-amz-request-id", "x-amz-delete-marker", "x-amz-server-side-encryption", "Content-Length"];
        Some(Self {
            rules: vec![CorsRule {
                id: Some("server-default".into()),
                allowed_headers: vec!["*".into()],
                allowed_methods: METHODS.iter().map(|m| (*m).to_owned()).collect(),
                allowed_origins: origins.to_vec(),
                expose_headers: expose.iter().map(|h| (*h).to_owned()).collect(),
                max_age_seconds: Some(3600),
            }],
        })
    }
}

fn grant(rule: &CorsRule, origin: &str, headers: &[String]) -> CorsGrant {
    let any = rule.any_origin();
    CorsGrant {
        allow_origin: if any { "*".to_owned() } else { origin.to_owned() },
        allow_credentials: !any,
        allow_methods: rule.allowed_methods.clone(),
        allow_headers: headers.to_vec(),
        expose_headers: rule.expose_headers.clone(),
        max_age: rule.max_age_seconds,
    }
}

/// The header names of an `Access-Control-Request-Headers` value, trimmed and lowercased.
pub fn request_headers(value: &str) -> Vec<String> {
    value.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the AWS documentation (PutBucketCors / "CORS configuration").
    const EXAMPLE: &str = r"<CORSConfiguration>
 <CORSRule>
   <AllowedOrigin>http://www.example1.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>http://www.example2.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>*</AllowedOrigin>
   <AllowedMethod>GET</AllowedMethod>
 </CORSRule>
</CORSConfiguration>";

    #[test]
    fn the_documented_example() {
        let c = parse_submitted(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(c.rules.len(), 3);
        let g = c.preflight("http://www.example1.com", "PUT", &["x-amz-meta-a".into()]).unwrap();
        assert_eq!(g.allow_origin, "http://www.example1.com");
        assert!(g.allow_credentials);
        assert_eq!(g.allow_methods, ["PUT", "POST", "DELETE"]);
        assert_eq!(g.allow_headers, ["x-amz-meta-a"]);
        // Any origin may GET, answered with `*` and no credentials.
        let g = c.actual("http://elsewhere.test", "GET").unwrap();
        assert_eq!(g.allow_origin, "*");
        assert!(!g.allow_credentials);
        assert!(c.actual("http://elsewhere.test", "PUT").is_none());
        // The third rule allows no request headers.
        assert!(c.preflight("http://elsewhere.test", "GET", &["x-custom".into()]).is_none());
        assert!(c.preflight("http://elsewhere.test", "GET", &[]).is_some());
    }

    #[test]
    fn wildcards() {
        let doc = r"<CORSConfiguration><CORSRule><ID>r</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>
            <AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>
            <MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>";
        let c = parse_submitted(doc.as_bytes()).unwrap();
        assert!(c.actual("https://app.example.com", "GET").is_some());
        assert!(c.actual("https://example.com", "GET").is_none());
        assert!(c.actual("http://app.example.com", "GET").is_none());
        assert!(c.actual("https://app.example.com.evil.test", "GET").is_none());
        assert!(c.preflight("https://a.example.com", "GET", &["x-amz-date".into(), "X-AMZ-Content-Sha256".into()]).is_some());
        assert!(c.preflight("https://a.example.com", "GET", &["authorization".into()]).is_none());
        let g = c.actual("https://app.example.com", "GET").unwrap();
        assert_eq!((g.expose_headers, g.max_age), (vec!["ETag".to_owned()], Some(3000)));
        assert!(!wildcard_match("a*a", "a", false));
        assert!(wildcard_match("é*", "éa", false));
    }

    #[test]
    fn refusals_as_s3() {
        let one = |rule: &str| parse_submitted(format!("<CORSConfiguration><CORSRule>{rule}</CORSRule></CORSConfiguration>").as_bytes());
        assert!(
            matches!(one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"), Err(CorsError::InvalidRequest(m)) if m.contains("PATCH"))
        );
        assert!(matches!(one("<AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), Err(CorsError::InvalidRequest(_))));
        assert!(matches!(
            one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>**</AllowedHeader>"),
            Err(CorsError::InvalidRequest(_))
        ));
        assert!(matches!(one("<AllowedOrigin>*</AllowedOrigin>"), Err(CorsError::Malformed(_))));
        assert!(matches!(one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Bogus/>"), Err(CorsError::Malformed(_))));
        assert!(matches!(parse_submitted(b"<CORSConfiguration/>"), Err(CorsError::Malformed(_))));
        let many = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(101);
        assert!(matches!(
            parse_submitted(format!("<CORSConfiguration>{many}</CORSConfiguration>").as_bytes()),
            Err(CorsError::InvalidRequest(_))
        ));
    }

    #[test]
    fn request_header_lists() {
        assert_eq!(request_headers(" Content-Type, x-amz-date ,,"), ["content-type", "x-amz-date"]);
    }
}
