//! Bucket notifications: S3's `<NotificationConfiguration>` document, its validation
//! (known destinations, supported events, no overlapping rules), and rule matching.

use serde::{Deserialize, Serialize};

/// Name of the bucket configuration document holding the notification XML.
pub const DOCUMENT: &str = "notification";

/// Event types coffer publishes (S3's names).
pub const EVENT_TYPES: &[&str] = &[
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
];

/// The document as sent.
#[derive(Debug, Deserialize, Serialize, Default)]
pub struct NotificationXml {
    /// Queue destinations.
    #[serde(rename = "QueueConfiguration", default)]
    pub queues: Vec<TargetXml>,
    /// Topic destinations.
    #[serde(rename = "TopicConfiguration", default)]
    pub topics: Vec<TargetXml>,
    /// Function destinations.
    #[serde(rename = "CloudFunctionConfiguration", default)]
    pub functions: Vec<TargetXml>,
}

/// One destination configuration as sent.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct TargetXml {
    #[serde(rename = "Id")]
    pub id: Option<String>,
    #[serde(rename = "Queue")]
    pub queue: Option<String>,
    #[serde(rename = "Topic")]
    pub topic: Option<String>,
    #[serde(rename = "CloudFunction")]
    pub function: Option<String>,
    #[serde(rename = "Event", default)]
    pub events: Vec<String>,
    #[serde(rename = "Filter")]
    pub filter: Option<FilterXml>,
}

/// `<Filter><S3Key><FilterRule>…`.
#[derive(Debug, Deserialize, Serialize, Default)]
#[allow(missing_docs)]
pub struct FilterXml {
    #[serde(rename = "S3Key")]
    pub key: Option<S3KeyXml>,
}

/// `<S3Key>`.
#[derive(Debug, Deserialize, Serialize, Default)]
#[allow(missing_docs)]
pub struct S3KeyXml {
    #[serde(rename = "FilterRule", default)]
    pub rules: Vec<FilterRuleXml>,
}

/// `<FilterRule><Name>prefix</Name><Value>…</Value></FilterRule>`.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct FilterRuleXml {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// The configuration id (S3's `s3.configurationId`).
    pub id: String,
    /// Destination ARN.
    pub arn: String,
    /// Event patterns (`s3:ObjectCreated:*` or exact names).
    pub events: Vec<String>,
    /// Key prefix ("" = any).
    pub prefix: String,
    /// Key suffix ("" = any).
    pub suffix: String,
}

/// Why a configuration is refused (S3 answers InvalidArgument for all of these).
#[derive(Debug, PartialEq, Eq)]
pub enum NotificationError {
    /// The XML does not parse (MalformedXML).
    Malformed(String),
    /// InvalidArgument with this message.
    Invalid(String),
}

/// Whether an event pattern (exact, or `prefix:*`) covers `event`.
pub fn pattern_matches(pattern: &str, event: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(stem) => event.starts_with(stem),
        None => pattern == event,
    }
}

/// Whether two event patterns can match a common event.
fn patterns_overlap(a: &str, b: &str) -> bool {
    EVENT_TYPES.iter().any(|e| pattern_matches(a, e) && pattern_matches(b, e))
}

impl Rule {
    /// Whether this rule wants `event` for `key`.
    pub fn wants(&self, event: &str, key: &str) -> bool {
        key.starts_with(&self.prefix) && key.ends_with(&self.suffix) && self.events.iter().any(|p| pattern_matches(p, event))
    }

    fn overlaps(&self, other: &Rule) -> bool {
        let prefixes = self.prefix.starts_with(&other.prefix) || other.prefix.starts_with(&self.prefix);
        let suffixes = self.suffix.ends_with(&other.suffix) || other.suffix.ends_with(&self.suffix);
        prefixes && suffixes && self.events.iter().any(|a| other.events.iter().any(|b| patterns_overlap(a, b)))
    }
}

fn rule_of(index: usize, t: &TargetXml, arn: &str, known: &[String]) -> Result<Rule, NotificationError> {
    if !known.iter().any(|k| k == arn) {
        return Err(NotificationError::Invalid(format!("Unable to validate the following destination configurations: {arn}")));
    }
    if t.events.is_empty() {
        return Err(NotificationError::Invalid("At least one event must be specified".into()));
    }
    for e in &t.events {
        if !EVENT_TYPES.iter().any(|known| pattern_matches(e, known)) || (e.ends_with('*') && !e.ends_with(":*")) {
            return Err(NotificationError::Invalid(format!("The event is not supported for notifications: {e}")));
        }
    }
    let (mut prefix, mut suffix) = (None, None);
    for r in t.filter.iter().flat_map(|f| f.key.iter()).flat_map(|k| k.rules.iter()) {
        let slot = match r.name.to_ascii_lowercase().as_str() {
            "prefix" => &mut prefix,
            "suffix" => &mut suffix,
            _ => return Err(NotificationError::Invalid("filter rule name must be either prefix or suffix".into())),
        };
        if slot.replace(r.value.clone()).is_some() {
            return Err(NotificationError::Invalid("Cannot specify more than one prefix or suffix rule in a filter.".into()));
        }
    }
    Ok(Rule {
        id: t.id.clone().filter(|i| !i.is_empty()).unwrap_or_else(|| format!("notification-{}", index + 1)),
        arn: arn.to_owned(),
        events: t.events.clone(),
        prefix: prefix.unwrap_or_default(),
        suffix: suffix.unwrap_or_default(),
    })
}

/// Parses and validates a document against the destinations `known` to this server.
pub fn parse(raw: &[u8], known: &[String]) -> Result<Vec<Rule>, NotificationError> {
    let text = std::str::from_utf8(raw).map_err(|_| NotificationError::Malformed("not UTF-8".into()))?;
    let doc: NotificationXml = if text.trim().is_empty() {
        NotificationXml::default()
    } else {
        super::xmldoc::parse_strict(text, "NotificationConfiguration").map_err(NotificationError::Malformed)?
    };
    let targets = doc
        .queues
        .iter()
        .map(|t| (t, t.queue.as_deref()))
        .chain(doc.topics.iter().map(|t| (t, t.topic.as_deref())))
        .chain(doc.functions.iter().map(|t| (t, t.function.as_deref())));
    let mut rules = Vec::new();
    for (i, (t, arn)) in targets.enumerate() {
        let arn = arn.ok_or_else(|| NotificationError::Malformed("a destination configuration needs its ARN".into()))?;
        rules.push(rule_of(i, t, arn, known)?);
    }
    for (i, r) in rules.iter().enumerate() {
        if rules[..i].iter().any(|o| o.id == r.id) {
            return Err(NotificationError::Invalid("Configuration Ids must be unique".into()));
        }
        if rules[..i].iter().any(|o| o.overlaps(r)) {
            return Err(NotificationError::Invalid(
                "Configurations overlap. Configurations on the same bucket cannot share a common event type.".into(),
            ));
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:coffer:sqs::1:hook";

    fn known() -> Vec<String> {
        vec![ARN.to_owned(), "arn:coffer:sqs::1:other".to_owned()]
    }

    fn queue(id: &str, arn: &str, event: &str, prefix: &str, suffix: &str) -> String {
        format!(
            "<QueueConfiguration><Id>{id}</Id><Queue>{arn}</Queue><Event>{event}</Event><Filter><S3Key>\
             <FilterRule><Name>prefix</Name><Value>{prefix}</Value></FilterRule>\
             <FilterRule><Name>suffix</Name><Value>{suffix}</Value></FilterRule></S3Key></Filter></QueueConfiguration>"
        )
    }

    fn doc(parts: &[String]) -> Vec<u8> {
        format!("<NotificationConfiguration>{}</NotificationConfiguration>", parts.concat()).into_bytes()
    }

    #[test]
    fn parses_and_matches() {
        let rules = parse(&doc(&[queue("a", ARN, "s3:ObjectCreated:*", "img/", ".jpg")]), &known()).unwrap();
        assert_eq!(rules.len(), 1);
        assert!(rules[0].wants("s3:ObjectCreated:Put", "img/x.jpg"));
        assert!(rules[0].wants("s3:ObjectCreated:CompleteMultipartUpload", "img/x.jpg"));
        assert!(!rules[0].wants("s3:ObjectRemoved:Delete", "img/x.jpg"));
        assert!(!rules[0].wants("s3:ObjectCreated:Put", "img/x.png"));
        assert!(parse(b"<NotificationConfiguration/>", &known()).unwrap().is_empty());
    }

    #[test]
    fn refuses_as_s3_does() {
        let bad_arn = parse(&doc(&[queue("a", "arn:coffer:sqs::1:nope", "s3:ObjectCreated:*", "", "")]), &known());
        assert!(matches!(bad_arn, Err(NotificationError::Invalid(m)) if m.contains("Unable to validate")));
        let bad_event = parse(&doc(&[queue("a", ARN, "s3:ObjectExploded:*", "", "")]), &known());
        assert!(matches!(bad_event, Err(NotificationError::Invalid(_))));
        let overlap = parse(
            &doc(&[queue("a", ARN, "s3:ObjectCreated:*", "img/", ""), queue("b", ARN, "s3:ObjectCreated:Put", "img/x", "")]),
            &known(),
        );
        assert!(matches!(overlap, Err(NotificationError::Invalid(m)) if m.contains("overlap")));
        // Disjoint prefixes or events do not overlap.
        assert!(parse(
            &doc(&[queue("a", ARN, "s3:ObjectCreated:*", "img/", ""), queue("b", ARN, "s3:ObjectCreated:*", "doc/", "")]),
            &known()
        )
        .is_ok());
        assert!(
            parse(&doc(&[queue("a", ARN, "s3:ObjectCreated:*", "", ""), queue("b", ARN, "s3:ObjectRemoved:*", "", "")]), &known()).is_ok()
        );
        assert!(matches!(parse(b"<NotificationConfiguration><Queue", &known()), Err(NotificationError::Malformed(_))));
    }
}
