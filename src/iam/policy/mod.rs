//! The AWS IAM JSON policy language: parsing + validation of one policy document, and
//! evaluation of that policy against one request.
//!
//! This module is pure: no IO, no async, no HTTP, and no import from the rest of the
//! crate (only std, serde, serde_json, time and base64). Callers gather what a request is
//! (action, resource ARN, principal, condition keys) into a [`Request`]; combining the
//! [`Outcome`]s of several policies (identity, bucket, session…) is theirs too.
//!
//! # Layout
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the public types; the document's top level (`Version`, `Id`, `Statement`); [`Policy::evaluate`] |
//! | `statement.rs` | one statement: its elements, their rules per [`PolicyKind`], whether it applies |
//! | `principal.rs` | `Principal` / `NotPrincipal` |
//! | `condition.rs` | the `Condition` block: operators, `...IfExists`, `ForAllValues:` / `ForAnyValue:`, `Null` |
//! | `values.rs` | typed condition values: exact decimals, ISO 8601 / epoch dates, IP ranges |
//! | `pattern.rs` | `*` / `?` wildcards, pre-split at parse time; policy variables |
//! | `json.rs` | the JSON tree (repeated keys kept, so each element can refuse them) |
//! | `analysis.rs` | bucket policies: what PutBucketPolicy refuses, whether S3 calls a policy public |
//!
//! Semantics follow the AWS IAM User Guide; where it is silent, the choice made is
//! written down where it is made. Nothing here panics on any input: every parse error is
//! a [`PolicyError`], and evaluation has no failure.

mod analysis;
pub use analysis::NamedPrincipals;
mod condition;
mod json;
mod pattern;
mod principal;
mod statement;
mod values;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use json::Json;
use statement::Statement;

/// What a policy is attached to; it decides which elements are required or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user, group or role: no `Principal`, needs `Resource`.
    Identity,
    /// Attached to a resource (a bucket policy): needs `Principal` and `Resource`.
    Resource,
    /// A role's trust policy: needs `Principal`; `Resource` is refused.
    Trust,
    /// Passed when a session is created (AssumeRole `Policy`): like [`PolicyKind::Identity`].
    Session,
}

/// Why a policy document was refused: the message IAM's `MalformedPolicyDocument` would
/// carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl PolicyError {
    fn new(message: impl Into<String>) -> PolicyError {
        PolicyError(message.into())
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

/// The verdict of one policy on one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A `Deny` statement applies: nothing else can allow the request.
    ExplicitDeny,
    /// An `Allow` statement applies and no `Deny` does.
    Allow,
    /// No statement applies.
    NotApplicable,
}

/// Who makes a request, as `Principal` / `NotPrincipal` see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalInfo {
    /// The principal's ARN: `arn:aws:iam::123456789012:user/path/alice`,
    /// `arn:aws:iam::123456789012:root`, or for a session
    /// `arn:aws:sts::123456789012:assumed-role/RoleName/session`.
    pub arn: String,
    /// The 12-digit account id.
    pub account: String,
    /// The account's canonical id (64 hex characters), matched by `CanonicalUser`.
    pub canonical_id: String,
    /// For an assumed-role session, the role's ARN
    /// (`arn:aws:iam::123456789012:role/path/RoleName`): a `Principal` naming the role
    /// covers its sessions.
    pub role_arn: Option<String>,
    /// For a web-identity session, its provider (issuer host/path or provider ARN),
    /// matched by `{"Federated": ...}`.
    pub federated: Option<String>,
    /// For a request an AWS service makes itself (coffer's own log delivery acts as
    /// `logging.s3.amazonaws.com`), the service: matched by `{"Service": ...}` and `*`
    /// only.
    pub service: Option<String>,
}

/// The condition keys of a request: key name (case-insensitive) → values.
///
/// A key with no values counts as absent (`Null` is true, `ForAllValues` holds,
/// `ForAnyValue` does not).
///
/// A list, not a hash map: a request carries a handful of keys (only those its
/// principal's policies test), and a scan of a few short strings costs less than
/// hashing each one.
#[derive(Default, Clone, Debug)]
pub struct Context {
    /// Keys case-folded with `str::to_lowercase`, each once.
    values: Vec<(String, Vec<String>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a value to `key`.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        let folded = key.to_lowercase();
        match self.values.iter_mut().find(|(k, _)| *k == folded) {
            Some((_, values)) => values.push(value.into()),
            None => self.values.push((folded, vec![value.into()])),
        }
    }

    /// Replaces the values of `key`.
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        let folded = key.to_lowercase();
        match self.values.iter_mut().find(|(k, _)| *k == folded) {
            Some((_, old)) => *old = values,
            None => self.values.push((folded, values)),
        }
    }

    /// The values of `key`, if it was inserted or set.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_folded(&key.to_lowercase())
    }

    /// [`Context::get`] for a key already case-folded (policies fold theirs at parse).
    fn get_folded(&self, key: &str) -> Option<&[String]> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }
}

/// One request, as a policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `service:Action`, e.g. `s3:GetObject`, `sts:AssumeRole` (matched ignoring case).
    pub action: &'a str,
    /// One resource ARN, e.g. `arn:aws:s3:::bucket/key` (matched case-sensitively); a
    /// request on several resources is evaluated once per resource. Unused by trust
    /// policies.
    pub resource: &'a str,
    /// Who asks; `None` is an anonymous request. Only `Resource` and `Trust` policies look.
    pub principal: Option<&'a PrincipalInfo>,
    /// The condition keys.
    pub context: &'a Context,
}

/// A parsed, validated and compiled policy, ready to evaluate (wildcards pre-split,
/// typed condition values pre-parsed). Cloning shares the statements.
#[derive(Clone, Debug)]
pub struct Policy {
    kind: PolicyKind,
    statements: Arc<[Statement]>,
}

impl Policy {
    /// Parses and validates a policy document of the given kind.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let doc = Json::parse(json)?;
        if !matches!(doc, Json::Object(_)) {
            return Err(PolicyError::new("Syntax errors in policy."));
        }
        let (mut version, mut statement) = (None, None);
        for (name, value) in doc.fields("Policy")? {
            match name.as_str() {
                "Version" => version = Some(value),
                "Id" if matches!(value, Json::String(_)) => {}
                "Id" => return Err(PolicyError::new("Id must be a string")),
                "Statement" => statement = Some(value),
                other => return Err(PolicyError::new(format!("Policy has an unknown field {other}"))),
            }
        }
        // Variables came with 2012-10-17; without a Version, AWS reads `${...}` literally.
        let variables = match version {
            None => false,
            Some(Json::String(v)) if v == "2012-10-17" => true,
            Some(Json::String(v)) if v == "2008-10-17" => false,
            Some(_) => return Err(PolicyError::new("The policy Version must be \"2012-10-17\" or \"2008-10-17\"")),
        };
        let items = match statement {
            None => return Err(PolicyError::new("Missing required field Statement")),
            Some(Json::Array(items)) => items.as_slice(),
            Some(single) => std::slice::from_ref(single),
        };
        if items.is_empty() {
            return Err(PolicyError::new("Policy must contain at least one statement"));
        }
        let statements = items.iter().map(|item| Statement::parse(item, kind, variables)).collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { kind, statements: statements.into() })
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// Evaluates the policy on one request: [`Outcome::ExplicitDeny`] if a `Deny`
    /// statement applies, else [`Outcome::Allow`] if an `Allow` one does, else
    /// [`Outcome::NotApplicable`].
    pub fn evaluate(&self, req: &Request<'_>) -> Outcome {
        // Actions are short ASCII names: folded on the stack, not allocated, per request.
        let mut buf = [0u8; 128];
        let owned;
        let action: &str = match buf.get_mut(..req.action.len()) {
            Some(slot) if req.action.is_ascii() => {
                slot.copy_from_slice(req.action.as_bytes());
                slot.make_ascii_lowercase();
                std::str::from_utf8(slot).unwrap_or_default()
            }
            _ => {
                owned = req.action.to_lowercase();
                &owned
            }
        };
        let mut allowed = false;
        for statement in self.statements.iter() {
            if statement.applies(req, action) {
                if statement.effect == statement::Effect::Deny {
                    return Outcome::ExplicitDeny;
                }
                allowed = true;
            }
        }
        if allowed {
            Outcome::Allow
        } else {
            Outcome::NotApplicable
        }
    }
}
