//! The IAM and STS query APIs: `POST /` with a form body (`Action=CreateUser&...`),
//! SigV4-signed for service `iam` or `sts`, answered with XML. Same listener as S3: S3
//! has no operation on `POST /`, so the path cannot collide with a bucket.
//!
//! # Layout
//! - this file: the request type every action handler gets, parameter access,
//!   authorization of an IAM action, the entry points [`handle_iam`] and [`handle_sts`].
//! - `iam`: the IAM action table and the shared parameter rules; the handlers, by
//!   entity: `users`, `keys`, `groups`, `roles`, `policies` (managed policies and their
//!   versions), `inline` (inline policies of users, groups and roles), `attached`
//!   (managed policies attached to them), `tags` (user and role tags); `entity`: what
//!   users, groups and roles share (lookup, ARNs, listing).
//! - `sts`: AssumeRole, GetSessionToken, GetCallerIdentity; `web_identity`:
//!   AssumeRoleWithWebIdentity (OIDC tokens checked against the issuer's JWKS).

mod attached;
mod entity;
mod groups;
mod iam;
mod inline;
mod keys;
mod login_profiles;
mod policies;
mod roles;
mod sts;
mod tags;
mod users;
mod web_identity;

use std::sync::Arc;
use std::time::SystemTime;

use super::policy::Context;
use super::{Iam, IamError, IamErrorCode, IamResult, Principal};

pub use sts::WebIdentityConfig;

/// One query-API request, as every action handler sees it.
pub struct ApiRequest<'a> {
    /// The identity service.
    pub iam: &'a Iam,
    /// The decoded form parameters, in order.
    pub params: &'a [(String, String)],
    /// The caller (`None` only for STS's unsigned AssumeRoleWithWebIdentity).
    pub principal: Option<Arc<Principal>>,
    /// Condition keys of the request (source IP, time, transport...), to which the
    /// principal's own are added when authorizing.
    pub context: Context,
    /// Arrival time.
    pub now: SystemTime,
    /// This request's id.
    pub request_id: &'a str,
    /// Web-identity (OIDC) settings, for AssumeRoleWithWebIdentity.
    pub web_identity: &'a WebIdentityConfig,
    /// The server's region (STS ARNs and answers).
    pub region: &'a str,
}

impl ApiRequest<'_> {
    /// The value of parameter `name`, if sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of required parameter `name` (ValidationError if missing or empty).
    pub fn required(&self, name: &str) -> IamResult<&str> {
        self.param(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            IamError::new(
                IamErrorCode::ValidationError,
                format!(
                    "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                    lower_first(name)
                ),
            )
        })
    }

    /// The members of list parameter `name` (`name.member.1`, `name.member.2`...), in order.
    pub fn members(&self, name: &str) -> Vec<&str> {
        let prefix = format!("{name}.member.");
        let mut items: Vec<(u32, &str)> =
            self.params.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).and_then(|n| n.parse().ok()).map(|n| (n, v.as_str()))).collect();
        items.sort_by_key(|(n, _)| *n);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// An integer parameter within `range` (ValidationError otherwise), `default` if absent.
    pub fn int(&self, name: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> IamResult<i64> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                IamError::new(
                    IamErrorCode::ValidationError,
                    format!("1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must have value between {} and {}", lower_first(name), range.start(), range.end()),
                )
            }),
        }
    }

    /// The caller; AccessDenied for an unsigned request.
    pub fn caller(&self) -> IamResult<&Arc<Principal>> {
        self.principal.as_ref().ok_or_else(|| IamError::new(IamErrorCode::AccessDenied, "Anonymous requests are not allowed."))
    }

    /// Checks that the caller may perform `action` (`iam:CreateUser`) on `resource` of
    /// its own account (IAM entities are never shared across accounts).
    pub fn authorize(&self, action: &str, resource: &str) -> IamResult<()> {
        let p = self.caller()?;
        let mut ctx = self.context.clone();
        p.fill_full_context(&mut ctx);
        if p.is_allowed(action, resource, Some(&p.account), &ctx, None) {
            Ok(())
        } else {
            Err(IamError::denied(&p.arn, action, resource))
        }
    }
}

/// `UserName` → `userName`, as IAM's validation messages name members.
pub(super) fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

/// Runs an IAM action; returns the XML answer.
pub async fn handle_iam(req: &ApiRequest<'_>) -> IamResult<String> {
    let action = req.param("Action").ok_or_else(|| IamError::new(IamErrorCode::MissingAction, "Missing Action"))?;
    iam::dispatch(req, action).await
}

/// Runs an STS action; returns the XML answer.
pub async fn handle_sts(req: &ApiRequest<'_>) -> IamResult<String> {
    let action = req.param("Action").ok_or_else(|| IamError::new(IamErrorCode::MissingAction, "Missing Action"))?;
    sts::dispatch(req, action).await
}

/// Whether a form's `Action` is one STS accepts without a signature.
pub fn is_unsigned_sts_action(params: &[(String, String)]) -> bool {
    params.iter().any(|(k, v)| k == "Action" && v == "AssumeRoleWithWebIdentity")
}
