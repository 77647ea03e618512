//! STS actions: GetCallerIdentity, GetSessionToken, AssumeRole and
//! AssumeRoleWithWebIdentity. Temporary credentials are sealed session tokens (see
//! `iam::session`): nothing is stored, and they stop working at their expiry.

use std::sync::Arc;

use super::ApiRequest;
use crate::iam::model::name_key;
use crate::iam::policy::{Outcome, Policy, PolicyKind, PrincipalInfo, Request};
use crate::iam::principal::PrincipalKind;
use crate::iam::session::{Session, Subject};
use crate::iam::xml::{date, Xml, STS_NS};
use crate::iam::{secrets, IamError, IamErrorCode, IamResult, Principal};

pub use super::web_identity::WebIdentityConfig;

/// Longest session policy accepted (characters), as STS.
const MAX_SESSION_POLICY: usize = 2048;

/// Runs STS action `action`.
pub async fn dispatch(req: &ApiRequest<'_>, action: &str) -> IamResult<String> {
    match action {
        "GetCallerIdentity" => get_caller_identity(req),
        "GetSessionToken" => get_session_token(req),
        "AssumeRole" => assume_role(req),
        "AssumeRoleWithWebIdentity" => super::web_identity::assume_role_with_web_identity(req).await,
        "AssumeRoleWithSAML" | "GetFederationToken" | "DecodeAuthorizationMessage" | "GetAccessKeyInfo" | "AssumeRoot" => {
            Err(IamError::new(IamErrorCode::NotImplemented, format!("coffer does not implement STS {action}.")))
        }
        other => Err(IamError::new(IamErrorCode::InvalidAction, format!("Could not find operation {other} for version 2011-06-15"))),
    }
}

fn get_caller_identity(req: &ApiRequest<'_>) -> IamResult<String> {
    let p = req.caller()?;
    let mut x = Xml::new();
    x.leaf("Arn", &p.arn).leaf("UserId", &p.user_id).leaf("Account", &p.account);
    Ok(x.finish("GetCallerIdentity", STS_NS, req.request_id, true))
}

fn now_ms(req: &ApiRequest<'_>) -> i64 {
    req.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A new session for `subject` lasting `secs`, sealed; returns it with its token.
pub(super) fn new_session(req: &ApiRequest<'_>, account: &str, subject: Subject, secs: i64, policy: Option<String>) -> (Session, String) {
    let issued_ms = now_ms(req);
    let session = Session {
        access_key: secrets::new_id("ASIA"),
        secret: secrets::new_secret(),
        account: account.to_owned(),
        subject,
        issued_ms,
        expires_ms: issued_ms + secs * 1000,
        policy,
    };
    let token = req.iam.issue_session(&session);
    (session, token)
}

/// The `<Credentials>` element.
pub(super) fn credentials_xml(x: &mut Xml, session: &Session, token: &str) {
    x.open("Credentials")
        .leaf("AccessKeyId", &session.access_key)
        .leaf("SecretAccessKey", &session.secret)
        .leaf("SessionToken", token)
        .leaf("Expiration", date(session.expires_ms))
        .close("Credentials");
}

fn get_session_token(req: &ApiRequest<'_>) -> IamResult<String> {
    let p = req.caller()?;
    if p.session.is_some() {
        return Err(IamError::new(IamErrorCode::AccessDenied, "Cannot call GetSessionToken with session credentials"));
    }
    // Root sessions last at most an hour, as on AWS.
    let max = if p.kind == PrincipalKind::Root { 3600 } else { 129_600 };
    let secs = req.int("DurationSeconds", 900..=max, 43_200.min(max))?;
    if req.param("SerialNumber").is_some() || req.param("TokenCode").is_some() {
        return Err(IamError::new(
            IamErrorCode::NotImplemented,
            "coffer has no MFA devices: SerialNumber and TokenCode cannot be checked.",
        ));
    }
    let subject = match &p.kind {
        PrincipalKind::Root => Subject::Root,
        PrincipalKind::User { name } => Subject::User { name: name_key(name), user_id: p.user_id.clone() },
        PrincipalKind::AssumedRole { .. } => unreachable!("sessions were refused above"),
    };
    let (session, token) = new_session(req, &p.account, subject, secs, None);
    let mut x = Xml::new();
    credentials_xml(&mut x, &session, &token);
    Ok(x.finish("GetSessionToken", STS_NS, req.request_id, true))
}

/// A role ARN's (account id, role name): `arn:aws:iam::ACCT:role/path/Name`.
pub(super) fn parse_role_arn(arn: &str) -> IamResult<(&str, &str)> {
    let invalid = || IamError::new(IamErrorCode::ValidationError, format!("{arn} is invalid"));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let path_name = resource.strip_prefix("role/").ok_or_else(invalid)?;
    let name = path_name.rsplit('/').next().filter(|n| !n.is_empty()).ok_or_else(invalid)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    Ok((account, name))
}

/// RoleSessionName: 2–64 characters of `[\w+=,.@-]`.
pub(super) fn session_name(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = req.required("RoleSessionName")?;
    let ok = (2..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(IamError::new(
            IamErrorCode::ValidationError,
            format!("1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ))
    }
}

/// The session policy (`Policy`), checked; `PolicyArns` are refused.
pub(super) fn session_policy(req: &ApiRequest<'_>) -> IamResult<Option<String>> {
    if req.params.iter().any(|(k, _)| k.starts_with("PolicyArns.")) {
        return Err(IamError::new(
            IamErrorCode::NotImplemented,
            "coffer does not implement managed session policies (PolicyArns); pass Policy.",
        ));
    }
    let Some(doc) = req.param("Policy").filter(|d| !d.is_empty()) else { return Ok(None) };
    if doc.chars().filter(|c| !c.is_whitespace()).count() > MAX_SESSION_POLICY {
        return Err(IamError::new(IamErrorCode::PackedPolicyTooLarge, "The policy exceeds the maximum allowed size."));
    }
    Policy::parse(doc, PolicyKind::Session).map_err(|e| IamError::new(IamErrorCode::MalformedPolicyDocument, e.0))?;
    Ok(Some(doc.to_owned()))
}

/// The requested duration, within 900 s and the role's maximum.
pub(super) fn duration(req: &ApiRequest<'_>, max: u32) -> IamResult<i64> {
    let secs = req.int("DurationSeconds", 900..=43_200, 3600)?;
    if secs > i64::from(max) {
        return Err(IamError::new(
            IamErrorCode::ValidationError,
            format!("The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({max})."),
        ));
    }
    Ok(secs)
}

/// `<AssumedRoleUser>`.
pub(super) fn assumed_role_xml(x: &mut Xml, account: &str, role_name: &str, role_id: &str, session: &str) {
    x.open("AssumedRoleUser")
        .leaf("AssumedRoleId", format!("{role_id}:{session}"))
        .leaf("Arn", format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}"))
        .close("AssumedRoleUser");
}

/// Whether `role`'s trust policy lets `principal` (`None`: a web identity described by
/// `info`) perform `action`.
pub(super) fn trusted(trust: &str, action: &str, role_arn: &str, info: &PrincipalInfo, ctx: &crate::iam::policy::Context) -> bool {
    let Ok(policy) = Policy::parse(trust, PolicyKind::Trust) else {
        tracing::error!(role_arn, "a stored trust policy no longer parses; nobody may assume the role");
        return false;
    };
    policy.evaluate(&Request { action, resource: role_arn, principal: Some(info), context: ctx }) == Outcome::Allow
}

fn assume_role(req: &ApiRequest<'_>) -> IamResult<String> {
    let p: &Arc<Principal> = req.caller()?;
    let role_arn = req.required("RoleArn")?;
    let (account_id, role_name) = parse_role_arn(role_arn)?;
    let session = session_name(req)?;
    let policy = session_policy(req)?;
    if req.param("SerialNumber").is_some()
        || req.param("SourceIdentity").is_some()
        || req.params.iter().any(|(k, _)| k.starts_with("Tags."))
    {
        return Err(IamError::new(
            IamErrorCode::NotImplemented,
            "coffer does not implement MFA, source identity or session tags in AssumeRole.",
        ));
    }
    let denied = || IamError::denied(&p.arn, "sts:AssumeRole", role_arn);
    let dir = req.iam.directory();
    let account = dir.accounts.get(account_id).ok_or_else(denied)?;
    let role = account.roles.get(&name_key(role_name)).filter(|r| account.role_arn(r) == role_arn).ok_or_else(denied)?;
    let mut ctx = req.context.clone();
    p.fill_full_context(&mut ctx);
    // Both sides must agree, whatever the accounts: the role's trust policy names the
    // caller (or its account), and the caller's own policies allow sts:AssumeRole on the
    // role (an account root's always do in its own account). Stricter than AWS for a
    // user named directly in a same-account trust policy, which AWS lets in on the
    // trust policy alone.
    let trust_ok = trusted(&role.trust_policy, "sts:AssumeRole", role_arn, &p.info, &ctx);
    let identity_ok = p.is_allowed("sts:AssumeRole", role_arn, Some(&p.account), &ctx, None);
    if !trust_ok || !identity_ok {
        return Err(denied());
    }
    // Role chaining: a session assuming a role lasts at most an hour.
    let max = if p.session.is_some() { role.max_session_secs.min(3600) } else { role.max_session_secs };
    let secs = duration(req, max)?;
    let subject = Subject::Role { role: name_key(&role.name), role_id: role.id.clone(), session: session.clone() };
    let (s, token) = new_session(req, account_id, subject, secs, policy);
    let mut x = Xml::new();
    credentials_xml(&mut x, &s, &token);
    assumed_role_xml(&mut x, account_id, &role.name, &role.id, &session);
    Ok(x.finish("AssumeRole", STS_NS, req.request_id, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse() {
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/a/b/R").ok(), Some(("123456789012", "R")));
        assert!(parse_role_arn("arn:aws:iam::123456789012:user/R").is_err());
        assert!(parse_role_arn("arn:aws:iam::12:role/R").is_err());
        assert!(parse_role_arn("arn:aws:iam::123456789012:role/").is_err());
    }
}
