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
    #[serde(rename = "NewerNoncurrentVersions")]
    pub newer_noncurrent_versions: Option<i64>,
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
    /// Transitions of current versions.
    pub transitions: Vec<Transition>,
    /// Transitions of noncurrent versions.
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
}

/// A `<Transition>`: move current versions to another storage class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// When (days after creation, or a date).
    pub when: Expiry,
    /// Target storage class.
    pub class: String,
}

/// A `<NoncurrentVersionTransition>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoncurrentTransition {
    /// Days after the version became noncurrent.
    pub days: u64,
    /// Versions to keep untouched: only versions with at least this many newer
    /// noncurrent versions move.
    pub keep: Option<u64>,
    /// Target storage class.
    pub class: String,
}

/// Objects below this size are not transitioned unless a rule's filter sets
/// ObjectSizeGreaterThan or ObjectSizeLessThan (S3's default since 2024, announced by the
/// `x-amz-transition-default-minimum-object-size: all_storage_classes_128K` header).
pub const TRANSITION_MIN_SIZE: u64 = 128 * 1024;

/// S3's storage-class waterfall: objects only move to a class ranked higher.
pub fn waterfall_rank(class: &str) -> u8 {
    match class {
        "STANDARD_IA" => 1,
        "INTELLIGENT_TIERING" => 2,
        "ONEZONE_IA" => 3,
        "GLACIER_IR" => 4,
        "GLACIER" => 5,
        "DEEP_ARCHIVE" => 6,
        // STANDARD, REDUCED_REDUNDANCY and anything unknown.
        _ => 0,
    }
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
    /// InvalidStorageClass (a transition target that is not a storage class).
    InvalidStorageClass(String),
}

/// Name of the bucket configuration document holding the lifecycle XML.
pub const DOCUMENT: &str = "lifecycle";

/// Parses and validates a stored lifecycle document (stored by this or an earlier
/// release: elements no rule field holds are skipped, as they were when it was stored).
pub fn parse(raw: &[u8]) -> Result<Lifecycle, LifecycleError> {
    let text = std::str::from_utf8(raw).map_err(|_| LifecycleError::Malformed("The XML is not UTF-8".into()))?;
    let doc: LifecycleXml = super::xmldoc::parse_lenient(text, "LifecycleConfiguration").map_err(LifecycleError::Malformed)?;
    validate(&doc)
}

/// Parses and validates a lifecycle document a client submits: strictly, as S3 does.
pub fn parse_submitted(raw: &[u8]) -> Result<Lifecycle, LifecycleError> {
    let text = std::str::from_utf8(raw).map_err(|_| LifecycleError::Malformed("The XML is not UTF-8".into()))?;
    let doc: LifecycleXml = super::xmldoc::parse_strict(text, "LifecycleConfiguration").map_err(LifecycleError::Malformed)?;
    validate(&doc)
}

/// Gives every `<Rule>` without an `<ID>` a generated one (`new_id`), as S3 does, so
/// that GetBucketLifecycleConfiguration and `x-amz-expiration` name the same rule id.
/// The rest of the document is kept as sent.
pub fn assign_rule_ids(text: &str, mut new_id: impl FnMut() -> String) -> Result<String, LifecycleError> {
    use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
    let malformed = |e: &dyn std::fmt::Display| LifecycleError::Malformed(format!("The XML you provided was not well-formed: {e}"));
    let mut reader = quick_xml::Reader::from_str(text);
    let mut writer = quick_xml::Writer::new(Vec::new());
    let (mut depth, mut rule_has_id) = (0usize, true);
    loop {
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        match &event {
            Event::Eof => break,
            Event::Start(e) => {
                depth += 1;
                if depth == 2 && e.local_name().as_ref() == b"Rule" {
                    rule_has_id = false;
                } else if depth == 3 && e.local_name().as_ref() == b"ID" {
                    rule_has_id = true;
                }
            }
            Event::Empty(e) if depth == 2 && e.local_name().as_ref() == b"ID" => rule_has_id = true,
            Event::End(e) => {
                if depth == 2 && e.local_name().as_ref() == b"Rule" && !rule_has_id {
                    let id = new_id();
                    writer.write_event(Event::Start(BytesStart::new("ID"))).map_err(|e| malformed(&e))?;
                    writer.write_event(Event::Text(BytesText::new(&id))).map_err(|e| malformed(&e))?;
                    writer.write_event(Event::End(BytesEnd::new("ID"))).map_err(|e| malformed(&e))?;
                    rule_has_id = true;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        writer.write_event(event).map_err(|e| malformed(&e))?;
    }
    String::from_utf8(writer.into_inner()).map_err(|e| malformed(&e))
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
    let transitions = rule.transitions.iter().map(transition_of).collect::<Result<Vec<_>, _>>()?;
    let noncurrent_transitions = rule.noncurrent_transitions.iter().map(noncurrent_transition_of).collect::<Result<Vec<_>, _>>()?;
    check_transitions(&transitions, &noncurrent_transitions, expiry, noncurrent)?;
    if expiry.is_none()
        && !marker
        && noncurrent.is_none()
        && abort_after_days.is_none()
        && transitions.is_empty()
        && noncurrent_transitions.is_empty()
    {
        return Err(LifecycleError::InvalidRequest("At least one action needs to be specified in a rule".into()));
    }
    Ok(Rule {
        id,
        enabled,
        filter,
        expiry,
        expired_object_delete_marker: marker,
        noncurrent,
        abort_after_days,
        transitions,
        noncurrent_transitions,
    })
}

/// Zero or more days (transitions may start at day 0).
fn non_negative(v: Option<i64>, what: &str) -> Result<Option<u64>, LifecycleError> {
    match v {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(n.unsigned_abs())),
        Some(_) => Err(LifecycleError::InvalidArgument(format!("'{what}' in the lifecycle configuration must not be negative"))),
    }
}

/// The target class of a transition: required, an S3 class other than STANDARD.
fn target_class(t: &TransitionXml) -> Result<String, LifecycleError> {
    let class = t.storage_class.as_deref().ok_or_else(|| LifecycleError::Malformed("A transition needs a StorageClass".into()))?;
    if waterfall_rank(class) == 0 {
        return Err(LifecycleError::InvalidStorageClass(format!("{class} is not a storage class objects can transition to")));
    }
    Ok(class.to_owned())
}

fn transition_of(t: &TransitionXml) -> Result<Transition, LifecycleError> {
    let when = match (non_negative(t.days, "Days")?, &t.date) {
        (Some(d), None) => Expiry::Days(d),
        (None, Some(date)) => Expiry::Date(midnight(date)?),
        _ => return Err(LifecycleError::Malformed("Transition must have exactly one of Days or Date".into())),
    };
    Ok(Transition { when, class: target_class(t)? })
}

fn noncurrent_transition_of(t: &TransitionXml) -> Result<NoncurrentTransition, LifecycleError> {
    let days = non_negative(t.noncurrent_days, "NoncurrentDays")?
        .ok_or_else(|| LifecycleError::Malformed("NoncurrentVersionTransition requires NoncurrentDays".into()))?;
    let keep = positive(t.newer_noncurrent_versions, "NewerNoncurrentVersions")?;
    Ok(NoncurrentTransition { days, keep, class: target_class(t)? })
}

/// S3's consistency checks between the actions of one rule.
fn check_transitions(
    current: &[Transition],
    noncurrent: &[NoncurrentTransition],
    expiry: Option<Expiry>,
    noncurrent_expiry: Option<(u64, Option<u64>)>,
) -> Result<(), LifecycleError> {
    let classes: Vec<&str> = current.iter().map(|t| t.class.as_str()).collect();
    let nc_classes: Vec<&str> = noncurrent.iter().map(|t| t.class.as_str()).collect();
    for list in [&classes, &nc_classes] {
        if list.iter().enumerate().any(|(i, c)| list[..i].contains(c)) {
            return Err(LifecycleError::InvalidArgument("'StorageClass' must be different for 'Transition' actions in same 'Rule'".into()));
        }
    }
    let by_days = current.iter().filter(|t| matches!(t.when, Expiry::Days(_))).count();
    if by_days != 0 && by_days != current.len() {
        return Err(LifecycleError::InvalidArgument("Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule".into()));
    }
    // Further down the waterfall means later: a colder class's transition must come
    // after a warmer one's in the same rule.
    let when = |t: &Transition| match t.when {
        Expiry::Days(d) => i64::try_from(d).unwrap_or(i64::MAX),
        Expiry::Date(ms) => ms,
    };
    for a in current {
        if let Some(b) = current.iter().find(|b| waterfall_rank(&b.class) > waterfall_rank(&a.class) && when(b) <= when(a)) {
            return Err(LifecycleError::InvalidArgument(format!(
                "The Transition to StorageClass '{}' must come later than the Transition to StorageClass '{}' in the same rule",
                b.class, a.class
            )));
        }
    }
    for a in noncurrent {
        if let Some(b) = noncurrent.iter().find(|b| waterfall_rank(&b.class) > waterfall_rank(&a.class) && b.days <= a.days) {
            return Err(LifecycleError::InvalidArgument(format!(
                "'NoncurrentDays' for StorageClass '{}' must be greater than for StorageClass '{}' in the same rule",
                b.class, a.class
            )));
        }
    }
    if let Some(Expiry::Days(e)) = expiry {
        if current.iter().any(|t| matches!(t.when, Expiry::Days(d) if d >= e)) {
            return Err(LifecycleError::InvalidArgument(
                "'Days' in the Expiration action must be greater than 'Days' in the Transition action".into(),
            ));
        }
    }
    if let Some(Expiry::Date(e)) = expiry {
        if current.iter().any(|t| matches!(t.when, Expiry::Date(d) if d >= e)) {
            return Err(LifecycleError::InvalidArgument(
                "'Date' in the Expiration action must be later than 'Date' in the Transition action".into(),
            ));
        }
    }
    if let Some((e, _)) = noncurrent_expiry {
        if noncurrent.iter().any(|t| t.days >= e) {
            return Err(LifecycleError::InvalidArgument(
                "'NoncurrentDays' in the NoncurrentVersionExpiration action must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action".into(),
            ));
        }
    }
    Ok(())
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

/// `t` rounded up to the next day boundary (saturating: absurdly far futures stay far).
pub fn ceil_day(t: i64, day_ms: i64) -> i64 {
    let floor = t.div_euclid(day_ms).saturating_mul(day_ms);
    if t.rem_euclid(day_ms) == 0 {
        floor
    } else {
        floor.saturating_add(day_ms)
    }
}

/// When the current version created at `created_ms` expires under `expiry`.
pub fn expiry_time(expiry: Expiry, created_ms: i64, day_ms: i64) -> i64 {
    match expiry {
        Expiry::Days(d) => after_days(created_ms, d, day_ms),
        Expiry::Date(t) => t,
    }
}

/// Days after `since` (rounded up to a day boundary), for noncurrent and upload rules.
/// Saturates: a rule of 10^18 days is due never, not at once.
pub fn after_days(since_ms: i64, days: u64, day_ms: i64) -> i64 {
    let span = i64::try_from(days).unwrap_or(i64::MAX).saturating_mul(day_ms);
    ceil_day(since_ms.saturating_add(span), day_ms)
}

/// Whether `rule` may transition an object of `size` bytes (see [`TRANSITION_MIN_SIZE`]).
fn may_transition(rule: &Rule, size: u64) -> bool {
    rule.filter.size_gt.is_some() || rule.filter.size_lt.is_some() || size >= TRANSITION_MIN_SIZE
}

/// The storage class a current version should be in now, if it should move: of the
/// transitions due among `rules` (each already matched to the object), the one furthest
/// down the waterfall, provided it is further down than `class` (S3 picks the cheapest
/// class when several transitions apply).
pub fn transition_due<'a>(rules: &[&'a Rule], size: u64, class: &str, created_ms: i64, now: i64, day_ms: i64) -> Option<&'a str> {
    rules
        .iter()
        .filter(|r| may_transition(r, size))
        .flat_map(|r| r.transitions.iter())
        .map(|t| (expiry_time(t.when, created_ms, day_ms), t.class.as_str()))
        .filter(|(due, _)| now >= *due)
        .max_by_key(|(due, c)| (waterfall_rank(c), *due))
        .map(|(_, c)| c)
        .filter(|c| waterfall_rank(c) > waterfall_rank(class))
}

/// [`transition_due`] for a noncurrent version: noncurrent since `since_ms`, with
/// `newer` noncurrent versions between it and the current one.
pub fn noncurrent_transition_due<'a>(
    rules: &[&'a Rule],
    size: u64,
    class: &str,
    since_ms: i64,
    newer: u64,
    now: i64,
    day_ms: i64,
) -> Option<&'a str> {
    rules
        .iter()
        .filter(|r| may_transition(r, size))
        .flat_map(|r| r.noncurrent_transitions.iter())
        .filter(|t| t.keep.is_none_or(|k| newer >= k))
        .map(|t| (after_days(since_ms, t.days, day_ms), t.class.as_str()))
        .filter(|(due, _)| now >= *due)
        .max_by_key(|(due, c)| (waterfall_rank(c), *due))
        .map(|(_, c)| c)
        .filter(|c| waterfall_rank(c) > waterfall_rank(class))
}

impl Lifecycle {
    /// Every storage class a transition names (to check against the configured tiers).
    pub fn transition_classes(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .flat_map(|r| r.transitions.iter().map(|t| t.class.as_str()).chain(r.noncurrent_transitions.iter().map(|t| t.class.as_str())))
    }

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
    fn missing_rule_ids_are_generated_once() {
        let doc = "<LifecycleConfiguration xmlns=\"x\"><Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
                   <Rule><ID>keep</ID><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>";
        let mut n = 0;
        let out = assign_rule_ids(doc, || {
            n += 1;
            format!("gen{n}")
        })
        .unwrap();
        let parsed = super::parse(out.as_bytes()).unwrap();
        assert_eq!(parsed.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["gen1", "keep"]);
        assert_eq!(assign_rule_ids(&out, || unreachable!("every rule has an id")).unwrap(), out);
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
            rule("<Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD</StorageClass></Transition>"),
            Err(LifecycleError::InvalidStorageClass(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Transition><Days>30</Days></Transition>"),
            Err(LifecycleError::Malformed(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Transition><Days>30</Days><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition>"),
            Err(LifecycleError::Malformed(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Transition><Days>3</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Days>5</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            Err(LifecycleError::InvalidArgument(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><Expiration><Days>3</Days></Expiration><Transition><Days>3</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            Err(LifecycleError::InvalidArgument(_))
        ));
        assert!(matches!(
            rule("<Filter/><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>-1</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"),
            Err(LifecycleError::InvalidArgument(_))
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
    fn transitions_follow_the_waterfall_and_the_size_floor() {
        let c = parse(
            "<LifecycleConfiguration><Rule><ID>t</ID><Filter/><Status>Enabled</Status>\
             <Transition><Days>1</Days><StorageClass>STANDARD_IA</StorageClass></Transition>\
             <Transition><Days>3</Days><StorageClass>GLACIER</StorageClass></Transition>\
             <NoncurrentVersionTransition><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions><StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>\
             </Rule></LifecycleConfiguration>",
        )
        .unwrap();
        let rules: Vec<&Rule> = c.rules.iter().collect();
        assert_eq!(c.transition_classes().collect::<Vec<_>>(), vec!["STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"]);
        let (day, big) = (1000, TRANSITION_MIN_SIZE);
        assert_eq!(transition_due(&rules, big, "STANDARD", 0, day - 1, day), None, "not yet due");
        assert_eq!(transition_due(&rules, big, "STANDARD", 0, day, day), Some("STANDARD_IA"));
        assert_eq!(transition_due(&rules, big, "STANDARD", 0, 3 * day, day), Some("GLACIER"), "the transition due last wins");
        assert_eq!(transition_due(&rules, big, "STANDARD_IA", 0, 3 * day, day), Some("GLACIER"));
        assert_eq!(transition_due(&rules, big, "GLACIER", 0, 9 * day, day), None, "already there");
        assert_eq!(transition_due(&rules, big, "DEEP_ARCHIVE", 0, 9 * day, day), None, "never up the waterfall");
        assert_eq!(transition_due(&rules, big - 1, "STANDARD", 0, 9 * day, day), None, "small objects stay");
        assert_eq!(noncurrent_transition_due(&rules, big, "STANDARD", 0, 0, 9 * day, day), None, "kept: no newer noncurrent");
        assert_eq!(noncurrent_transition_due(&rules, big, "STANDARD", 0, 1, 2 * day, day), Some("DEEP_ARCHIVE"));
        assert_eq!(noncurrent_transition_due(&rules, big, "STANDARD", 0, 1, 2 * day - 1, day), None);
        // An explicit size filter replaces the 128 KiB floor.
        let small = parse(
            "<LifecycleConfiguration><Rule><Filter><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></Filter><Status>Enabled</Status>\
             <Transition><Days>0</Days><StorageClass>GLACIER_IR</StorageClass></Transition></Rule></LifecycleConfiguration>",
        )
        .unwrap();
        assert_eq!(transition_due(&small.rules.iter().collect::<Vec<_>>(), 10, "STANDARD", 5, day, day), Some("GLACIER_IR"));
        let below = parse(
            "<LifecycleConfiguration><Rule><Filter><ObjectSizeLessThan>1000</ObjectSizeLessThan></Filter><Status>Enabled</Status>\
             <Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>",
        )
        .unwrap();
        assert_eq!(
            transition_due(&below.rules.iter().collect::<Vec<_>>(), 10, "STANDARD", 5, day, day),
            Some("GLACIER"),
            "so does ObjectSizeLessThan"
        );
        // Across rules the coldest due class wins, not the transition due last.
        let two = parse(
            "<LifecycleConfiguration>\
             <Rule><ID>cold</ID><Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>\
             <Rule><ID>warm</ID><Filter/><Status>Enabled</Status><Transition><Days>5</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>\
             </LifecycleConfiguration>",
        )
        .unwrap();
        assert_eq!(transition_due(&two.rules.iter().collect::<Vec<_>>(), big, "STANDARD", 0, 6 * day, day), Some("GLACIER"));
        // Within a rule a colder class must come later.
        for (later, earlier) in [("1", "3"), ("2", "2")] {
            let backwards = parse(&format!(
                "<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status>\
                 <Transition><Days>{earlier}</Days><StorageClass>STANDARD_IA</StorageClass></Transition>\
                 <Transition><Days>{later}</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>"
            ));
            assert!(matches!(backwards, Err(LifecycleError::InvalidArgument(m)) if m.contains("GLACIER")), "{later} after {earlier}");
        }
        let backwards = parse(
            "<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status>\
             <NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>\
             <NoncurrentVersionTransition><NoncurrentDays>4</NoncurrentDays><StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>\
             </Rule></LifecycleConfiguration>",
        );
        assert!(matches!(backwards, Err(LifecycleError::InvalidArgument(_))));
        let expires_first = parse(
            "<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status>\
             <Transition><Date>2027-02-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition>\
             <Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>",
        );
        assert!(matches!(expires_first, Err(LifecycleError::InvalidArgument(m)) if m.contains("'Date'")));
    }

    #[test]
    fn huge_day_counts_saturate_instead_of_overflowing() {
        let day = 86_400_000;
        let huge = parse(&format!(
            "<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>{}</Days></Expiration></Rule></LifecycleConfiguration>",
            i64::MAX
        ))
        .unwrap();
        let (_, when) = huge.expiration_for("k", 1, &[], 1_767_261_600_000, day).unwrap();
        assert!(when > 1_767_261_600_000 + 1000 * 365 * day, "due in the far future, not now: {when}");
        assert_eq!(after_days(i64::MAX - 5, 3, day), i64::MAX);
        assert!(ceil_day(i64::MAX, day) >= i64::MAX - day);
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
