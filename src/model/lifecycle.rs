//! Lifecycle rules: S3's XML shape, validation with S3's error codes, and the pure
//! evaluation the lifecycle worker and the `x-amz-expiration` header use.
//!
//! Time is measured in "days" of `day_ms` milliseconds (86,400,000 normally; tests and
//! demos shrink it). As in S3, an expiry is the creation (or noncurrent) time plus the
//! days, rounded up to the next day boundary (midnight UTC for real days).

use serde::{Deserialize, Serialize};

/// The `<LifecycleConfiguration>` document.
#[derive(Debug, Deserialize, Serialize, Default)]
pub struct LifecycleXml {
    /// Rules.
    #[serde(rename = "Rule", default)]
    pub rules: Vec<RuleXml>,
}

/// One `<Rule>` as sent.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct RuleXml {
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "Filter")]
    pub filter: Option<FilterXml>,
    #[serde(rename = "Prefix")]
    pub prefix: Option<String>,
    #[serde(rename = "Status")]
    pub status: Option<String>,
    #[serde(rename = "Expiration")]
    pub expiration: Option<ExpirationXml>,
    #[serde(rename = "NoncurrentVersionExpiration")]
    pub noncurrent_expiration: Option<NoncurrentXml>,
    #[serde(rename = "AbortIncompleteMultipartUpload")]
    pub abort_incomplete: Option<AbortXml>,
    #[serde(rename = "Transition", default)]
    pub transitions: Vec<TransitionXml>,
    #[serde(rename = "NoncurrentVersionTransition", default)]
    pub noncurrent_transitions: Vec<TransitionXml>,
}

/// `<Filter>` as sent.
#[derive(Debug, Deserialize, Serialize, Default)]
#[allow(missing_docs)]
pub struct FilterXml {
    #[serde(rename = "Prefix")]
    pub prefix: Option<String>,
    #[serde(rename = "Tag")]
    pub tag: Option<TagXml>,
    #[serde(rename = "ObjectSizeGreaterThan")]
    pub size_gt: Option<u64>,
    #[serde(rename = "ObjectSizeLessThan")]
    pub size_lt: Option<u64>,
    #[serde(rename = "And")]
    pub and: Option<AndXml>,
}

/// `<And>` as sent.
#[derive(Debug, Deserialize, Serialize, Default)]
#[allow(missing_docs)]
pub struct AndXml {
    #[serde(rename = "Prefix")]
    pub prefix: Option<String>,
    #[serde(rename = "Tag", default)]
    pub tags: Vec<TagXml>,
    #[serde(rename = "ObjectSizeGreaterThan")]
    pub size_gt: Option<u64>,
    #[serde(rename = "ObjectSizeLessThan")]
    pub size_lt: Option<u64>,
}

/// A `<Tag>`.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[allow(missing_docs)]
pub struct TagXml {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// `<Expiration>` as sent.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct ExpirationXml {
    #[serde(rename = "Days")]
    pub days: Option<i64>,
    #[serde(rename = "Date")]
    pub date: Option<String>,
    #[serde(rename = "ExpiredObjectDeleteMarker")]
    pub expired_object_delete_marker: Option<bool>,
}

/// `<NoncurrentVersionExpiration>` as sent.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct NoncurrentXml {
    #[serde(rename = "NoncurrentDays")]
    pub noncurrent_days: Option<i64>,
    #[serde(rename = "NewerNoncurrentVersions")]
    pub newer_noncurrent_versions: Option<i64>,
}

/// `<AbortIncompleteMultipartUpload>` as sent.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct AbortXml {
    #[serde(rename = "DaysAfterInitiation")]
    pub days_after_initiation: Option<i64>,
}

/// `<Transition>` / `<NoncurrentVersionTransition>` as sent.
#[derive(Debug, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct TransitionXml {
    #[serde(rename = "Days")]
    pub days: Option<i64>,
    #[serde(rename = "NoncurrentDays")]
    pub noncurrent_days: Option<i64>,
    #[serde(rename = "Date")]
    pub date: Option<String>,
    #[serde(rename = "StorageClass")]
    pub storage_class: Option<String>,
}

/// When current versions expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Days after creation.
    Days(u64),
    /// At a date (ms since the epoch, a day boundary).
    Date(i64),
}

/// Which objects a rule applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Key prefix ("" = all).
    pub prefix: String,
    /// Every tag must be present with this value.
    pub tags: Vec<(String, String)>,
    /// Size must exceed this.
    pub size_gt: Option<u64>,
    /// Size must be below this.
    pub size_lt: Option<u64>,
}

impl Filter {
    /// Whether an object matches.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        key.starts_with(&self.prefix)
            && self.size_gt.is_none_or(|n| size > n)
            && self.size_lt.is_none_or(|n| size < n)
            && self.tags.iter().all(|t| tags.contains(t))
    }
}

/// A validated, enabled-or-not rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Rule id (generated if absent).
    pub id: String,
    /// Status Enabled.
    pub enabled: bool,
    /// Scope.
    pub filter: Filter,
    /// Expiration of current versions.
    pub expiry: Option<Expiry>,
    /// Remove delete markers with no noncurrent versions left.
    pub expired_object_delete_marker: bool,
    /// Noncurrent version expiration: (days, versions to keep).
    pub noncurrent: Option<(u64, Option<u64>)>,
    /// Abort uploads this many days after initiation.
    pub abort_after_days: Option<u64>,
}

/// A validated configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Rules, in document order.
    pub rules: Vec<Rule>,
}

/// Why a configuration is refused; each maps to one S3 error code.
#[derive(Debug, PartialEq, Eq)]
pub enum LifecycleError {
    /// MalformedXML.
    Malformed(String),
    /// InvalidArgument.
    InvalidArgument(String),
    /// InvalidRequest.
    InvalidRequest(String),
    /// NotImplemented (storage-class transitions).
    NotImplemented(String),
}

/// Name of the bucket configuration document holding the lifecycle XML.
pub const DOCUMENT: &str = "lifecycle";

/// Parses and validates a lifecycle document (as stored or submitted).
pub fn parse(raw: &[u8]) -> Result<Lifecycle, LifecycleError> {
    let text = std::str::from_utf8(raw).map_err(|_| LifecycleError::Malformed("The XML is not UTF-8".into()))?;
    if !super::xmldoc::root_is(text, "LifecycleConfiguration") {
        return Err(LifecycleError::Malformed("The XML you provided was not a <LifecycleConfiguration> document".into()));
    }
    let doc: LifecycleXml =
        quick_xml::de::from_str(text).map_err(|e| LifecycleError::Malformed(format!("The XML you provided was not well-formed: {e}")))?;
    validate(&doc)
}

/// Most rules in one configuration.
pub const MAX_RULES: usize = 1000;

fn positive(v: Option<i64>, what: &str) -> Result<Option<u64>, LifecycleError> {
    match v {
        None => Ok(None),
        Some(n) if n > 0 => Ok(Some(n.unsigned_abs())),
        Some(_) => Err(LifecycleError::InvalidArgument(format!("'{what}' in the lifecycle configuration must be a positive integer"))),
    }
}

/// Parses `2026-01-01T00:00:00Z` (optionally with fractional seconds); must be midnight UTC.
fn midnight(date: &str) -> Result<i64, LifecycleError> {
    let parsed = time::OffsetDateTime::parse(date.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| LifecycleError::InvalidArgument(format!("Invalid date {date:?} in the lifecycle configuration")))?;
    if parsed.offset() != time::UtcOffset::UTC || parsed.time() != time::Time::MIDNIGHT {
        return Err(LifecycleError::InvalidArgument("'Date' must be at midnight GMT".into()));
    }
    Ok(i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
}

fn filter_of(rule: &RuleXml) -> Result<Filter, LifecycleError> {
    match (&rule.filter, &rule.prefix) {
        (Some(_), Some(_)) => Err(LifecycleError::Malformed("A rule cannot have both Filter and a top-level Prefix".into())),
        (None, prefix) => Ok(Filter { prefix: prefix.clone().unwrap_or_default(), ..Filter::default() }),
        (Some(f), None) => {
            let set = usize::from(f.prefix.is_some())
                + usize::from(f.tag.is_some())
                + usize::from(f.size_gt.is_some())
                + usize::from(f.size_lt.is_some());
            if f.and.is_some() && set > 0 || set > 1 {
                return Err(LifecycleError::Malformed(
                    "Filter must have exactly one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And".into(),
                ));
            }
            let out = match &f.and {
                Some(a) => Filter {
                    prefix: a.prefix.clone().unwrap_or_default(),
                    tags: a.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
                    size_gt: a.size_gt,
                    size_lt: a.size_lt,
                },
                None => Filter {
                    prefix: f.prefix.clone().unwrap_or_default(),
                    tags: f.tag.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
                    size_gt: f.size_gt,
                    size_lt: f.size_lt,
                },
            };
            if let (Some(gt), Some(lt)) = (out.size_gt, out.size_lt) {
                if gt >= lt {
                    return Err(LifecycleError::InvalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan".into()));
                }
            }
            Ok(out)
        }
    }
}

fn rule_of(index: usize, rule: &RuleXml) -> Result<Rule, LifecycleError> {
    let enabled = match rule.status.as_deref() {
        Some("Enabled") => true,
        Some("Disabled") => false,
        _ => return Err(LifecycleError::Malformed("Rule Status must be Enabled or Disabled".into())),
    };
    let id = rule.id.clone().filter(|i| !i.is_empty()).unwrap_or_else(|| format!("rule-{}", index + 1));
    if id.chars().count() > 255 {
        return Err(LifecycleError::InvalidArgument("ID length should not exceed allowed limit of 255".into()));
    }
    if !rule.transitions.is_empty() || !rule.noncurrent_transitions.is_empty() {
        return Err(LifecycleError::NotImplemented("Transition actions need storage tiers, which coffer does not implement yet".into()));
    }
    let filter = filter_of(rule)?;
    let (mut expiry, mut marker) = (None, false);
    if let Some(e) = &rule.expiration {
        let set = usize::from(e.days.is_some()) + usize::from(e.date.is_some()) + usize::from(e.expired_object_delete_marker.is_some());
        if set != 1 {
            return Err(LifecycleError::Malformed("Expiration must have exactly one of Days, Date or ExpiredObjectDeleteMarker".into()));
        }
        expiry = match (positive(e.days, "Days")?, &e.date) {
            (Some(d), _) => Some(Expiry::Days(d)),
            (None, Some(date)) => Some(Expiry::Date(midnight(date)?)),
            _ => None,
        };
        marker = e.expired_object_delete_marker.unwrap_or(false);
        if marker && !filter.tags.is_empty() {
            return Err(LifecycleError::InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with object tags".into()));
        }
    }
    let noncurrent = match &rule.noncurrent_expiration {
        None => None,
        Some(n) => {
            let days = positive(n.noncurrent_days, "NoncurrentDays")?
                .ok_or_else(|| LifecycleError::Malformed("NoncurrentVersionExpiration requires NoncurrentDays".into()))?;
            Some((days, positive(n.newer_noncurrent_versions, "NewerNoncurrentVersions")?))
        }
    };
    let abort_after_days = match &rule.abort_incomplete {
        None => None,
        Some(a) => {
            if !filter.tags.is_empty() || filter.size_gt.is_some() || filter.size_lt.is_some() {
                return Err(LifecycleError::InvalidRequest(
                    "AbortIncompleteMultipartUpload cannot be specified with object tags or sizes".into(),
                ));
            }
            Some(
                positive(a.days_after_initiation, "DaysAfterInitiation")?
                    .ok_or_else(|| LifecycleError::Malformed("DaysAfterInitiation is required".into()))?,
            )
        }
    };
    if expiry.is_none() && !marker && noncurrent.is_none() && abort_after_days.is_none() {
        return Err(LifecycleError::InvalidRequest("At least one action needs to be specified in a rule".into()));
    }
    Ok(Rule { id, enabled, filter, expiry, expired_object_delete_marker: marker, noncurrent, abort_after_days })
}

/// Validates a parsed document as S3 does.
pub fn validate(doc: &LifecycleXml) -> Result<Lifecycle, LifecycleError> {
    if doc.rules.is_empty() {
        return Err(LifecycleError::Malformed("A lifecycle configuration needs at least one rule".into()));
    }
    if doc.rules.len() > MAX_RULES {
        return Err(LifecycleError::InvalidRequest(format!("A lifecycle configuration can have at most {MAX_RULES} rules")));
    }
    let rules = doc.rules.iter().enumerate().map(|(i, r)| rule_of(i, r)).collect::<Result<Vec<_>, _>>()?;
    for (i, r) in rules.iter().enumerate() {
        if rules[..i].iter().any(|o| o.id == r.id) {
            return Err(LifecycleError::InvalidArgument("Rule ID must be unique. Found same ID for more than one rule".into()));
        }
    }
    Ok(Lifecycle { rules })
}

/// `t` rounded up to the next day boundary.
pub fn ceil_day(t: i64, day_ms: i64) -> i64 {
    t.div_euclid(day_ms) * day_ms + if t.rem_euclid(day_ms) == 0 { 0 } else { day_ms }
}

/// When the current version created at `created_ms` expires under `expiry`.
pub fn expiry_time(expiry: Expiry, created_ms: i64, day_ms: i64) -> i64 {
    match expiry {
        Expiry::Days(d) => ceil_day(created_ms + i64::try_from(d).unwrap_or(i64::MAX / 2) * day_ms, day_ms),
        Expiry::Date(t) => t,
    }
}

/// Days after `since` (rounded up to a day boundary), for noncurrent and upload rules.
pub fn after_days(since_ms: i64, days: u64, day_ms: i64) -> i64 {
    ceil_day(since_ms + i64::try_from(days).unwrap_or(i64::MAX / 2) * day_ms, day_ms)
}

impl Lifecycle {
    /// The first enabled rule that expires this current version, with its expiry time
    /// (for `x-amz-expiration`).
    pub fn expiration_for(&self, key: &str, size: u64, tags: &[(String, String)], created_ms: i64, day_ms: i64) -> Option<(&Rule, i64)> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.filter.matches(key, size, tags))
            .filter_map(|r| r.expiry.map(|e| (r, expiry_time(e, created_ms, day_ms))))
            .min_by_key(|(_, t)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<Lifecycle, LifecycleError> {
        validate(&quick_xml::de::from_str::<LifecycleXml>(xml).unwrap())
    }

    #[test]
    fn accepts_the_aws_examples() {
        let c = parse(
            "<LifecycleConfiguration><Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>\
             <Expiration><Days>365</Days></Expiration></Rule>\
             <Rule><ID>tmp</ID><Filter><And><Prefix>tmp/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter>\
             <Status>Disabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>\
             <Rule><Filter></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>\
             <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
             <Rule><Prefix>old</Prefix><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>\
             </LifecycleConfiguration>",
        )
        .unwrap();
        assert_eq!(c.rules.len(), 4);
        assert_eq!(c.rules[0].expiry, Some(Expiry::Days(365)));
        assert_eq!(c.rules[1].filter.tags, vec![("k".to_owned(), "v".to_owned())]);
        assert!(!c.rules[1].enabled);
        assert_eq!(c.rules[2].noncurrent, Some((30, Some(2))));
        assert_eq!(c.rules[2].abort_after_days, Some(7));
        assert_eq!(c.rules[2].id, "rule-3");
        assert!(c.rules[3].expired_object_delete_marker);
        assert_eq!(c.rules[3].filter.prefix, "old");
    }

    #[test]
    fn refuses_as_s3_does() {
        let rule = |body: &str| parse(&format!("<LifecycleConfiguration><Rule><ID>r</ID>{body}</Rule></LifecycleConfiguration>"));
        assert!(matches!(rule("<Filter/><Status>On</Status><Expiration><Days>1</Days></Expiration>"), Err(LifecycleError::Malformed(_))));
        assert!(matches!(rule("<Filter/><Status>Enabled</Status>"), Err(LifecycleError::InvalidRequest(_))));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>"),
            Err(LifecycleError::InvalidArgument(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T05:00:00Z</Date></Expiration>"),
            Err(LifecycleError::InvalidArgument(_))
        ));
        assert!(matches!(
            rule("<Filter/><Prefix>a</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"),
            Err(LifecycleError::Malformed(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            Err(LifecycleError::NotImplemented(_))
        ));
        assert!(matches!(
            rule("<Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
            Err(LifecycleError::InvalidRequest(_))
        ));
        let dup = "<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
        assert!(matches!(
            parse(&format!("<LifecycleConfiguration>{dup}{dup}</LifecycleConfiguration>")),
            Err(LifecycleError::InvalidArgument(_))
        ));
    }

    #[test]
    fn expiry_rounds_up_to_the_next_day() {
        let day = 86_400_000;
        // Created 2026-01-01T10:00Z, 1 day → 2026-01-03T00:00Z.
        let created = 1_767_261_600_000;
        assert_eq!(expiry_time(Expiry::Days(1), created, day), 1_767_398_400_000);
        assert_eq!(ceil_day(2 * day, day), 2 * day);
        let f = Filter { prefix: "a/".into(), tags: vec![("k".into(), "v".into())], size_gt: Some(1), size_lt: Some(10) };
        assert!(f.matches("a/x", 5, &[("k".into(), "v".into()), ("o".into(), "p".into())]));
        assert!(!f.matches("a/x", 10, &[("k".into(), "v".into())]));
        assert!(!f.matches("b/x", 5, &[("k".into(), "v".into())]));
    }
}
