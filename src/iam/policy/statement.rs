//! One statement: reading and validating its elements for a [`PolicyKind`], and deciding
//! whether it applies to a request.

use super::condition::{self, has_vendor, Condition, VENDOR_MESSAGE};
use super::json::Json;
use super::pattern::{any_of, Glob, Pattern};
use super::principal::Principals;
use super::{PolicyError, PolicyKind, Request};

/// A compiled statement.
#[derive(Clone, Debug)]
pub(super) struct Statement {
    /// `Effect`.
    pub(super) effect: Effect,
    /// `Principal` / `NotPrincipal`; `None` in identity and session policies.
    pub(super) principals: Option<Principals>,
    /// The element was `NotPrincipal`.
    pub(super) not_principal: bool,
    /// `Action` / `NotAction` patterns, lowercase (actions ignore case).
    pub(super) actions: Vec<Glob>,
    /// The element was `NotAction`.
    not_action: bool,
    /// `Resource` / `NotResource`; `None` in trust policies.
    pub(super) resources: Option<Vec<Pattern>>,
    /// The element was `NotResource`.
    not_resource: bool,
    /// The `Condition` block, flattened: every entry must hold.
    pub(super) conditions: Vec<Condition>,
}

/// A statement's `Effect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Effect {
    Allow,
    Deny,
}

/// The elements of a statement, before reading.
#[derive(Default)]
struct Elements<'a> {
    effect: Option<&'a Json>,
    principal: Option<&'a Json>,
    not_principal: Option<&'a Json>,
    action: Option<&'a Json>,
    not_action: Option<&'a Json>,
    resource: Option<&'a Json>,
    not_resource: Option<&'a Json>,
    condition: Option<&'a Json>,
}

impl<'a> Elements<'a> {
    fn collect(value: &'a Json) -> Result<Elements<'a>, PolicyError> {
        let mut out = Elements::default();
        for (name, value) in value.fields("Statement")? {
            let slot = match name.as_str() {
                "Sid" => {
                    if !matches!(value, Json::String(_)) {
                        return Err(PolicyError::new("Sid must be a string"));
                    }
                    continue;
                }
                "Effect" => &mut out.effect,
                "Principal" => &mut out.principal,
                "NotPrincipal" => &mut out.not_principal,
                "Action" => &mut out.action,
                "NotAction" => &mut out.not_action,
                "Resource" => &mut out.resource,
                "NotResource" => &mut out.not_resource,
                "Condition" => &mut out.condition,
                other => return Err(PolicyError::new(format!("Statement has an unknown field {other}"))),
            };
            *slot = Some(value);
        }
        Ok(out)
    }
}

/// Picks the one of `Element` / `NotElement` that is present; `Ok(None)` if neither is.
fn one_of<'a>(plain: Option<&'a Json>, not: Option<&'a Json>, name: &str) -> Result<Option<(&'a Json, bool)>, PolicyError> {
    match (plain, not) {
        (Some(_), Some(_)) => Err(PolicyError::new(format!("Statement cannot have both {name} and Not{name}"))),
        (Some(value), None) => Ok(Some((value, false))),
        (None, Some(value)) => Ok(Some((value, true))),
        (None, None) => Ok(None),
    }
}

/// The strings of an `Action` or `Resource` element.
fn strings<'a>(value: &'a Json, name: &str) -> Result<Vec<&'a str>, PolicyError> {
    value
        .strings()
        .filter(|list| !list.is_empty())
        .ok_or_else(|| PolicyError::new(format!("{name} must be a string or a non-empty array of strings")))
}

impl Statement {
    /// Reads one statement; `variables` is whether `${...}` is substituted.
    pub(super) fn parse(value: &Json, kind: PolicyKind, variables: bool) -> Result<Statement, PolicyError> {
        let elements = Elements::collect(value)?;
        let effect = match elements.effect {
            None => return Err(PolicyError::new("Missing required field Effect")),
            Some(Json::String(effect)) if effect == "Allow" => Effect::Allow,
            Some(Json::String(effect)) if effect == "Deny" => Effect::Deny,
            Some(_) => return Err(PolicyError::new("Invalid effect: Effect must be Allow or Deny")),
        };

        let principal = one_of(elements.principal, elements.not_principal, "Principal")?;
        let (principals, not_principal) = match (kind, principal) {
            (PolicyKind::Identity | PolicyKind::Session, Some(_)) => {
                return Err(PolicyError::new("Policy document should not specify a principal."));
            }
            (PolicyKind::Identity | PolicyKind::Session, None) => (None, false),
            (PolicyKind::Resource | PolicyKind::Trust, None) => return Err(PolicyError::new("Missing required field Principal")),
            (PolicyKind::Resource | PolicyKind::Trust, Some((value, not))) => (Some(Principals::parse(value)?), not),
        };

        let Some((action, not_action)) = one_of(elements.action, elements.not_action, "Action")? else {
            return Err(PolicyError::new("Policy statement must contain actions."));
        };
        let actions = strings(action, "Action")?.into_iter().map(parse_action).collect::<Result<_, _>>()?;

        let resource = one_of(elements.resource, elements.not_resource, "Resource")?;
        let (resources, not_resource) = match (kind, resource) {
            (PolicyKind::Trust, Some((_, not))) => {
                return Err(PolicyError::new(if not { "Has prohibited field NotResource" } else { "Has prohibited field Resource" }));
            }
            (PolicyKind::Trust, None) => (None, false),
            (_, None) => return Err(PolicyError::new("Policy statement must contain resources.")),
            (_, Some((value, not))) => {
                let list = strings(value, "Resource")?.into_iter().map(|r| parse_resource(r, variables)).collect::<Result<_, _>>()?;
                (Some(list), not)
            }
        };

        let conditions = match elements.condition {
            Some(block) => condition::parse_block(block, variables)?,
            None => Vec::new(),
        };
        Ok(Statement { effect, principals, not_principal, actions, not_action, resources, not_resource, conditions })
    }

    /// Whether the statement applies; `action` is the request's action, lowercase.
    pub(super) fn applies(&self, req: &Request<'_>, action: &str) -> bool {
        if self.actions.iter().any(|glob| glob.is_match(action)) == self.not_action {
            return false;
        }
        if let Some(principals) = &self.principals {
            let covered = if self.not_principal { !principals.names(req.principal) } else { principals.matches(req.principal) };
            if !covered {
                return false;
            }
        }
        if let Some(resources) = &self.resources {
            let listed = any_of(resources, |pattern| pattern.matches(req.resource, req.context));
            // An undecidable entry (a variable without a value) applies neither way.
            let covered = if self.not_resource { listed == Some(false) } else { listed == Some(true) };
            if !covered {
                return false;
            }
        }
        self.conditions.iter().all(|condition| condition.holds(req.context))
    }
}

/// `*`, or `vendor:pattern`; compiled lowercase, as actions ignore case.
fn parse_action(action: &str) -> Result<Glob, PolicyError> {
    if action != "*" && !has_vendor(action) {
        return Err(PolicyError::new(VENDOR_MESSAGE));
    }
    Ok(Glob::parse(&action.to_lowercase()))
}

/// `*`, or an ARN pattern (matched as a whole string, case-sensitively).
fn parse_resource(resource: &str, variables: bool) -> Result<Pattern, PolicyError> {
    if resource != "*" && !resource.starts_with("arn:") {
        return Err(PolicyError::new(format!("Resource {resource} must be in ARN format or \"*\".")));
    }
    Ok(Pattern::new(resource, variables))
}
