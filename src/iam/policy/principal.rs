//! The `Principal` and `NotPrincipal` elements (IAM User Guide, "AWS JSON policy
//! elements: Principal" and "NotPrincipal").
//!
//! - `"*"` and `{"AWS": "*"}` are everyone, anonymous requests included.
//! - An account (`"123456789012"` or `"arn:aws:iam::123456789012:root"`) is every
//!   principal of that account: "Using the account ARN in the Principal element does not
//!   limit permissions to only the root user of the account".
//! - A role ARN also names the role's sessions ([`PrincipalInfo::role_arn`]).
//! - `CanonicalUser` is an account's canonical id; `Federated` is a web-identity or SAML
//!   provider; `Service` names an AWS service: it matches only a request the service
//!   makes (coffer's log delivery, as `logging.s3.amazonaws.com`), never a user's.
//! - "You cannot use a wildcard to match part of a principal name or ARN": a `*` anywhere
//!   but alone is an error.
//!
//! `NotPrincipal` is stricter, as AWS documents it: AWS checks the account, then the role,
//! then the session, and a principal escapes the statement only when it is itself listed;
//! listing the account or the role does not exclude the users or sessions in it (hence the
//! guide's advice to list the account, the role *and* the session). So an entry names a
//! principal for `NotPrincipal` only when it is that exact identity.

use super::json::Json;
use super::{PolicyError, PrincipalInfo};

/// The principals one `Principal` or `NotPrincipal` element lists.
#[derive(Clone, Debug, Default)]
pub(super) struct Principals {
    /// `"*"` or `{"AWS": "*"}`.
    pub(super) everyone: bool,
    /// 12-digit account ids (from ids or root ARNs).
    pub(super) accounts: Vec<String>,
    /// Other `AWS` ARNs: users, roles, sessions, federated users, the CloudFront OAI user.
    pub(super) arns: Vec<String>,
    /// Canonical user ids, lowercase.
    pub(super) canonical: Vec<String>,
    /// Identity providers.
    pub(super) federated: Vec<String>,
    /// Service principals, matched by requests services make.
    services: Vec<String>,
}

impl Principals {
    /// Reads the element's value.
    pub(super) fn parse(value: &Json) -> Result<Principals, PolicyError> {
        let mut out = Principals::default();
        match value {
            Json::String(s) if s == "*" => out.everyone = true,
            Json::Object(_) => {
                let fields = value.fields("Principal")?;
                if fields.is_empty() {
                    return Err(invalid("{}"));
                }
                for (kind, names) in fields {
                    let names = names.strings().filter(|n| !n.is_empty()).ok_or_else(|| invalid(kind))?;
                    for name in names {
                        out.add(kind, name)?;
                    }
                }
            }
            _ => return Err(invalid("a value that is neither \"*\" nor an object")),
        }
        Ok(out)
    }

    fn add(&mut self, kind: &str, name: &str) -> Result<(), PolicyError> {
        let plain = !name.is_empty() && !name.contains('*');
        match kind {
            "AWS" if name == "*" => self.everyone = true,
            "AWS" => match account_of(name) {
                Some(account) => self.accounts.push(account.to_owned()),
                None if plain && name.starts_with("arn:") => self.arns.push(name.to_owned()),
                None => return Err(invalid(name)),
            },
            "CanonicalUser" if plain && name.bytes().all(|b| b.is_ascii_hexdigit()) => self.canonical.push(name.to_ascii_lowercase()),
            "Federated" if plain => self.federated.push(name.to_owned()),
            "Service" if plain => self.services.push(name.to_owned()),
            _ => return Err(invalid(&format!("{kind}: {name}"))),
        }
        Ok(())
    }

    /// `Principal`: whether the element covers `who` (`None` is an anonymous request).
    pub(super) fn matches(&self, who: Option<&PrincipalInfo>) -> bool {
        if self.everyone {
            return true;
        }
        let Some(who) = who else { return false };
        if let Some(service) = &who.service {
            return self.services.contains(service);
        }
        self.accounts.contains(&who.account)
            || self.arns.iter().any(|a| *a == who.arn || who.role_arn.as_deref() == Some(a.as_str()))
            || self.canonical.iter().any(|c| c.eq_ignore_ascii_case(&who.canonical_id))
            || who.federated.as_deref().is_some_and(|f| self.federated.iter().any(|x| x == f))
    }

    /// `NotPrincipal`: whether the element names `who` exactly (see the module doc).
    pub(super) fn names(&self, who: Option<&PrincipalInfo>) -> bool {
        if self.everyone {
            return true;
        }
        let Some(who) = who else { return false };
        if let Some(service) = &who.service {
            return self.services.contains(service);
        }
        let is_root = account_of(&who.arn) == Some(who.account.as_str());
        (is_root && (self.accounts.contains(&who.account) || self.canonical.iter().any(|c| c.eq_ignore_ascii_case(&who.canonical_id))))
            || self.arns.contains(&who.arn)
            || who.federated.as_deref().is_some_and(|f| self.federated.iter().any(|x| x == f))
    }
}

/// The account an `AWS` entry names as a whole: a 12-digit id, or
/// `arn:PARTITION:iam::ACCOUNT:root`.
fn account_of(name: &str) -> Option<&str> {
    let twelve_digits = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if twelve_digits(name) {
        return Some(name);
    }
    let mut parts = name.splitn(6, ':');
    let shape = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next());
    match shape {
        (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some("root"))
            if !partition.is_empty() && twelve_digits(account) =>
        {
            Some(account)
        }
        _ => None,
    }
}

fn invalid(what: &str) -> PolicyError {
    PolicyError::new(format!("Invalid principal in policy: {what}"))
}
