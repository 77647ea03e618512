//! Object Lock: a bucket's lock configuration, a version's retention and legal hold,
//! and whether a version may be removed now. Pure: the clock is passed in.

use serde::{Deserialize, Serialize};

/// A retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockMode {
    /// Removable early only with `x-amz-bypass-governance-retention: true` and the
    /// `s3:BypassGovernanceRetention` permission.
    Governance,
    /// Removable by no one until the date passes; extendable, never shortened.
    Compliance,
}

impl LockMode {
    /// From S3's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GOVERNANCE" => Some(Self::Governance),
            "COMPLIANCE" => Some(Self::Compliance),
            _ => None,
        }
    }

    /// S3's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Governance => "GOVERNANCE",
            Self::Compliance => "COMPLIANCE",
        }
    }
}

/// A version's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// The mode.
    pub mode: LockMode,
    /// Until when, ms since the Unix epoch.
    pub until_ms: i64,
}

/// A bucket's default retention: applied to new versions that ask for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRetention {
    /// The mode.
    pub mode: LockMode,
    /// The period.
    pub period: Period,
}

/// A default retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    /// Days.
    Days(u32),
    /// Years (365 days each, as S3 counts them).
    Years(u32),
}

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

impl DefaultRetention {
    /// The retention a version written at `now_ms` gets.
    pub fn retention_from(self, now_ms: i64) -> Retention {
        let days = match self.period {
            Period::Days(d) => i64::from(d),
            Period::Years(y) => i64::from(y) * 365,
        };
        Retention { mode: self.mode, until_ms: now_ms.saturating_add(days.saturating_mul(DAY_MS)) }
    }
}

/// A bucket's Object Lock configuration (stored as a bucket configuration document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockConfig {
    /// The default retention, if any.
    pub default: Option<DefaultRetention>,
}

/// What keeps a version from being removed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Nothing: it may be removed.
    None,
    /// GOVERNANCE retention in force: removable with the bypass.
    Governance,
    /// COMPLIANCE retention in force, or a legal hold: removable by no one.
    Absolute,
}

/// The protection of a version with `retention` and `legal_hold` at `now_ms` (the lock
/// clock: never earlier than any time it has shown before).
pub fn protection(retention: Option<Retention>, legal_hold: bool, now_ms: i64) -> Protection {
    if legal_hold {
        return Protection::Absolute;
    }
    match retention {
        Some(r) if r.until_ms > now_ms => match r.mode {
            LockMode::Compliance => Protection::Absolute,
            LockMode::Governance => Protection::Governance,
        },
        _ => Protection::None,
    }
}

/// Whether replacing retention `old` by `new` (`None`: removing it) at `now_ms` is
/// allowed, and whether only with the governance bypass. A retention no longer in force
/// may be replaced by anything. COMPLIANCE in force may only be extended (never
/// shortened, removed or turned into GOVERNANCE); GOVERNANCE in force may be extended or
/// turned into COMPLIANCE freely, and shortened or removed only with the bypass.
pub fn retention_change(old: Option<Retention>, new: Option<Retention>, now_ms: i64) -> Change {
    let Some(old) = old.filter(|o| o.until_ms > now_ms) else { return Change::Allowed };
    let weakens = match new {
        None => true,
        Some(n) => n.until_ms < old.until_ms || (old.mode == LockMode::Compliance && n.mode == LockMode::Governance),
    };
    match (weakens, old.mode) {
        (false, _) => Change::Allowed,
        (true, LockMode::Governance) => Change::NeedsBypass,
        (true, LockMode::Compliance) => Change::Refused,
    }
}

/// The verdict of [`retention_change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Go ahead.
    Allowed,
    /// Only with the governance bypass.
    NeedsBypass,
    /// Never (COMPLIANCE in force).
    Refused,
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: LockMode = LockMode::Governance;
    const C: LockMode = LockMode::Compliance;

    #[test]
    fn protection_by_mode_date_and_hold() {
        let r = |mode, until_ms| Some(Retention { mode, until_ms });
        assert_eq!(protection(None, false, 10), Protection::None);
        assert_eq!(protection(r(G, 20), false, 10), Protection::Governance);
        assert_eq!(protection(r(C, 20), false, 10), Protection::Absolute);
        assert_eq!(protection(r(C, 20), false, 20), Protection::None, "expired at the date");
        assert_eq!(protection(None, true, 10), Protection::Absolute);
        assert_eq!(protection(r(G, 5), true, 10), Protection::Absolute, "a hold whatever the retention");
    }

    #[test]
    fn changes() {
        let r = |mode, until_ms| Some(Retention { mode, until_ms });
        assert_eq!(retention_change(r(C, 100), r(C, 200), 10), Change::Allowed, "extend");
        assert_eq!(retention_change(r(C, 100), r(C, 50), 10), Change::Refused, "shorten compliance");
        assert_eq!(retention_change(r(C, 100), None, 10), Change::Refused);
        assert_eq!(retention_change(r(C, 100), r(G, 200), 10), Change::Refused, "compliance to governance");
        assert_eq!(retention_change(r(G, 100), r(G, 50), 10), Change::NeedsBypass);
        assert_eq!(retention_change(r(G, 100), None, 10), Change::NeedsBypass);
        assert_eq!(retention_change(r(G, 100), r(C, 100), 10), Change::Allowed, "governance to compliance");
        assert_eq!(retention_change(r(C, 100), r(G, 50), 200), Change::Allowed, "expired: anything");
        assert_eq!(retention_change(None, r(G, 50), 10), Change::Allowed);
        let d = DefaultRetention { mode: G, period: Period::Years(1) };
        assert_eq!(d.retention_from(0).until_ms, 365 * DAY_MS);
    }
}
