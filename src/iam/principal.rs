//! Who a request comes from, once authenticated: a [`Principal`] with its account, ARN,
//! compiled identity policies and, for temporary credentials, its session; and the
//! authorization decision for one action on one resource, in AWS's evaluation order.

use std::sync::Arc;

use super::policy::{Context, Outcome, Policy, PrincipalInfo, Request};

/// What kind of identity signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An account's root user: everything on its own account's resources.
    Root,
    /// An IAM user (lower-case name key).
    User {
        /// The user's name as created.
        name: String,
    },
    /// A role session from AssumeRole / AssumeRoleWithWebIdentity.
    AssumedRole {
        /// The role's name as created.
        role: String,
        /// RoleSessionName.
        session: String,
    },
}

/// Temporary-credential details of a principal.
#[derive(Debug, Clone)]
pub struct SessionDetails {
    /// Issue time, ms since the Unix epoch (`aws:TokenIssueTime`).
    pub issued_ms: i64,
    /// Expiry, ms since the Unix epoch.
    pub expires_ms: i64,
    /// The session policy passed to AssumeRole, which further limits the role's.
    pub policy: Option<Arc<Policy>>,
}

/// An authenticated identity and everything authorization needs of it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account id (12 digits).
    pub account: String,
    /// The account's name.
    pub account_name: String,
    /// Root, user or role session.
    pub kind: PrincipalKind,
    /// The ARN (`arn:aws:iam::ACCT:user/path/name`, `...:root`,
    /// `arn:aws:sts::ACCT:assumed-role/Role/session`).
    pub arn: String,
    /// `aws:userid`: the account id for root, the user id, or `ROLEID:session`.
    pub user_id: String,
    /// The access key id that signed.
    pub access_key: String,
    /// Whether this is the server administrator (the configured root key): the only
    /// identity that may create and delete accounts.
    pub admin: bool,
    /// Identity-based policies: the user's inline and attached ones and its groups',
    /// or the role's.
    pub policies: Arc<Vec<Policy>>,
    /// `aws:PrincipalTag/*`.
    pub tags: Vec<(String, String)>,
    /// Temporary credentials: when they expire and their session policy.
    pub session: Option<SessionDetails>,
    /// What resource and trust policies match against.
    pub info: Arc<PrincipalInfo>,
    /// Where the last use of its long-term key is recorded (`None` for temporary
    /// credentials).
    pub key_use: Option<Arc<super::KeyUse>>,
    /// The condition keys its policies mention: the only ones worth computing for a
    /// request (the object's tags, for `s3:ExistingObjectTag/...`, cost a lookup).
    pub condition_keys: Arc<ConditionKeys>,
}

/// The account owning a bucket's record `owner` field: buckets created before accounts
/// existed store the creator's access key, and all of them belong to `default_account`.
pub fn owner_account<'a>(owner: &'a str, default_account: &'a str) -> &'a str {
    if owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()) {
        owner
    } else {
        default_account
    }
}

impl Principal {
    /// `aws:PrincipalType` as AWS names it.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User { .. } => "User",
            PrincipalKind::AssumedRole { .. } => "AssumedRole",
        }
    }

    /// Whether authorizing needs no condition keys: an account root without a session
    /// policy is allowed everything in its own account and nothing elsewhere, whatever
    /// the conditions — as long as no resource policy applies: `crate::s3::access` takes
    /// this shortcut only on buckets without a policy or ACLs.
    pub fn unconditional(&self) -> bool {
        self.kind == PrincipalKind::Root && self.session.as_ref().is_none_or(|s| s.policy.is_none())
    }

    /// Adds the keys that describe the principal to `ctx` (`aws:username`, `aws:userid`,
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
    /// `aws:PrincipalTag/*`, `aws:MultiFactorAuthPresent`, `aws:TokenIssueTime`).
    pub fn fill_context(&self, ctx: &mut Context) {
        self.fill_context_where(ctx, &self.condition_keys);
    }

    /// [`Self::fill_context`] with every key, whether or not the principal's own
    /// policies test it (for policies that are not the principal's: trust policies).
    pub fn fill_full_context(&self, ctx: &mut Context) {
        self.fill_context_where(ctx, &ConditionKeys::All);
    }

    fn fill_context_where(&self, ctx: &mut Context, keys: &ConditionKeys) {
        let wants = |k: &str| keys.wants(k);
        if let PrincipalKind::User { name } = &self.kind {
            if wants("aws:username") {
                ctx.insert("aws:username", name.clone());
            }
        }
        if wants("aws:userid") {
            ctx.insert("aws:userid", self.user_id.clone());
        }
        if wants("aws:PrincipalArn") {
            let principal_arn = match &self.kind {
                PrincipalKind::AssumedRole { .. } => self.info.role_arn.clone().unwrap_or_else(|| self.arn.clone()),
                _ => self.arn.clone(),
            };
            ctx.insert("aws:PrincipalArn", principal_arn);
        }
        if wants("aws:PrincipalAccount") {
            ctx.insert("aws:PrincipalAccount", self.account.clone());
        }
        if wants("aws:PrincipalType") {
            ctx.insert("aws:PrincipalType", self.principal_type());
        }
        if wants("aws:MultiFactorAuthPresent") {
            ctx.insert("aws:MultiFactorAuthPresent", "false");
        }
        if keys.wants_prefix("aws:principaltag/") {
            for (k, v) in &self.tags {
                ctx.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
            }
        }
        if let Some(s) = self.session.as_ref().filter(|_| wants("aws:TokenIssueTime")) {
            ctx.insert("aws:TokenIssueTime", super::xml::date(s.issued_ms));
        }
    }

    /// Whether this principal may perform `action` on `resource`, owned by account
    /// `owner` (`None`: a resource that does not exist yet, such as a bucket being
    /// created, which the caller's account would own), given the condition keys in `ctx`
    /// and the resource's own policy, if any.
    ///
    /// AWS's order: an explicit deny in any applicable policy wins; then, within one
    /// account, an allow from an identity policy or from the resource policy suffices;
    /// across accounts both the resource policy and the caller's identity policy must
    /// allow; a session policy must allow as well (the permissions are the
    /// intersection); otherwise the request is implicitly denied. The account root needs
    /// no identity policy in its own account.
    pub fn is_allowed(&self, action: &str, resource: &str, owner: Option<&str>, ctx: &Context, resource_policy: Option<&Policy>) -> bool {
        let req = Request { action, resource, principal: Some(&self.info), context: ctx };
        let resource_outcome = resource_policy.map_or(Outcome::NotApplicable, |p| p.evaluate(&req));
        self.is_allowed_with(action, resource, owner, ctx, resource_outcome)
    }

    /// [`Self::is_allowed`] with the resource side already decided (a bucket policy and
    /// ACL grants combined): `resource_outcome`.
    pub fn is_allowed_with(&self, action: &str, resource: &str, owner: Option<&str>, ctx: &Context, resource_outcome: Outcome) -> bool {
        let req = Request { action, resource, principal: Some(&self.info), context: ctx };
        if resource_outcome == Outcome::ExplicitDeny {
            return false;
        }
        let identity =
            if self.kind == PrincipalKind::Root { Outcome::Allow } else { combine(self.policies.iter().map(|p| p.evaluate(&req))) };
        if identity == Outcome::ExplicitDeny {
            return false;
        }
        if let Some(session) = self.session.as_ref().and_then(|s| s.policy.as_ref()) {
            if session.evaluate(&req) != Outcome::Allow {
                return false;
            }
        }
        let same_account = owner.is_none_or(|o| o == self.account);
        if same_account {
            identity == Outcome::Allow || resource_outcome == Outcome::Allow
        } else {
            identity == Outcome::Allow && resource_outcome == Outcome::Allow
        }
    }
}

/// The condition keys (and policy variables) a set of policies mentions, lower case.
/// Building a request's context costs allocations per key; a principal whose policies
/// test two keys needs two, not thirty.
#[derive(Debug, Clone, Default)]
pub enum ConditionKeys {
    /// Unknown: every key is computed.
    #[default]
    All,
    /// Only these (lower case; `s3:existingobjecttag/env` and the like included).
    Only(Vec<String>),
}

impl ConditionKeys {
    /// The keys `docs` mention: every `aws:...` and `s3:...` token, whether in a
    /// `Condition` or a `${...}` variable (action names and ARNs are picked up too; they
    /// only cost a comparison).
    pub fn from_documents<'a>(docs: impl Iterator<Item = &'a str>) -> Self {
        let mut keys: Vec<String> = Vec::new();
        for doc in docs {
            // A key written with JSON escapes (`aws\u003aSecureTransport`) must be found
            // too: a document with escapes is scanned as its decoded strings; one that
            // does not decode here makes every key wanted (never a key missed).
            let decoded;
            let doc = if doc.contains('\\') {
                let Some(strings) = json_strings(doc) else { return Self::All };
                decoded = strings;
                decoded.as_str()
            } else {
                doc
            };
            let lower = doc.to_ascii_lowercase();
            for prefix in ["aws:", "s3:"] {
                for (at, _) in lower.match_indices(prefix) {
                    // `arn:aws:s3:::bucket` names a resource, not a key.
                    if lower[..at].ends_with("arn:") {
                        continue;
                    }
                    let token: String =
                        lower[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_' | '.')).collect();
                    if !keys.contains(&token) {
                        keys.push(token);
                    }
                }
            }
        }
        Self::Only(keys)
    }

    /// Whether `key` may be tested.
    pub fn wants(&self, key: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(keys) => keys.iter().any(|k| k.eq_ignore_ascii_case(key)),
        }
    }

    /// Whether any key starting with `prefix` (lower case, e.g. `s3:existingobjecttag/`)
    /// may be tested.
    pub fn wants_prefix(&self, prefix: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(keys) => keys.iter().any(|k| k.starts_with(prefix)),
        }
    }
}

/// Every string of a JSON document (object keys and values), decoded, one per line.
fn json_strings(doc: &str) -> Option<String> {
    fn walk(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            serde_json::Value::Object(fields) => {
                for (k, v) in fields {
                    out.push_str(k);
                    out.push('\n');
                    walk(v, out);
                }
            }
            _ => {}
        }
    }
    let value: serde_json::Value = serde_json::from_str(doc).ok()?;
    let mut out = String::new();
    walk(&value, &mut out);
    Some(out)
}

/// The combined outcome of several policies: any deny, else any allow.
pub fn combine(outcomes: impl Iterator<Item = Outcome>) -> Outcome {
    let mut result = Outcome::NotApplicable;
    for o in outcomes {
        match o {
            Outcome::ExplicitDeny => return Outcome::ExplicitDeny,
            Outcome::Allow => result = Outcome::Allow,
            Outcome::NotApplicable => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::policy::PolicyKind;
    use super::*;

    fn principal(kind: PrincipalKind, policies: &[&str]) -> Principal {
        let policies = policies.iter().map(|p| Policy::parse(p, PolicyKind::Identity).expect("valid policy")).collect();
        Principal {
            account: "111111111111".into(),
            account_name: "a".into(),
            kind,
            arn: "arn:aws:iam::111111111111:user/u".into(),
            user_id: "AIDAX".into(),
            access_key: "AKIAX".into(),
            admin: false,
            policies: Arc::new(policies),
            tags: vec![],
            session: None,
            info: Arc::new(PrincipalInfo {
                arn: "arn:aws:iam::111111111111:user/u".into(),
                account: "111111111111".into(),
                canonical_id: "0".repeat(64),
                role_arn: None,
                federated: None,
                service: None,
            }),
            condition_keys: Arc::default(),
            key_use: None,
        }
    }

    const READ_BACKUPS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::backups","arn:aws:s3:::backups/*"]}]}"#;
    const DENY_SECRET: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::backups/secret/*"}]}"#;

    #[test]
    fn user_gets_what_its_policies_allow_and_a_deny_wins() {
        let p = principal(PrincipalKind::User { name: "u".into() }, &[READ_BACKUPS, DENY_SECRET]);
        let ctx = Context::new();
        let own = Some("111111111111");
        assert!(p.is_allowed("s3:GetObject", "arn:aws:s3:::backups/a", own, &ctx, None));
        assert!(!p.is_allowed("s3:PutObject", "arn:aws:s3:::backups/a", own, &ctx, None));
        assert!(!p.is_allowed("s3:GetObject", "arn:aws:s3:::other/a", own, &ctx, None));
        assert!(!p.is_allowed("s3:GetObject", "arn:aws:s3:::backups/secret/x", own, &ctx, None));
        assert!(!p.is_allowed("s3:GetObject", "arn:aws:s3:::backups/a", Some("222222222222"), &ctx, None), "other account");
    }

    #[test]
    fn root_is_bound_to_its_account_and_sessions_intersect() {
        let mut p = principal(PrincipalKind::Root, &[]);
        let ctx = Context::new();
        assert!(p.is_allowed("s3:PutObject", "arn:aws:s3:::b/k", Some("111111111111"), &ctx, None));
        assert!(p.is_allowed("s3:CreateBucket", "arn:aws:s3:::b", None, &ctx, None));
        assert!(!p.is_allowed("s3:PutObject", "arn:aws:s3:::b/k", Some("222222222222"), &ctx, None));
        let session = Policy::parse(READ_BACKUPS, PolicyKind::Session).expect("valid");
        p.session = Some(SessionDetails { issued_ms: 0, expires_ms: 1, policy: Some(Arc::new(session)) });
        assert!(p.is_allowed("s3:GetObject", "arn:aws:s3:::backups/a", Some("111111111111"), &ctx, None));
        assert!(!p.is_allowed("s3:PutObject", "arn:aws:s3:::backups/a", Some("111111111111"), &ctx, None));
    }

    #[test]
    fn condition_keys_are_found_in_conditions_and_variables() {
        let keys = ConditionKeys::from_documents(
            [r#"{"Statement":[{"Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"s3:ExistingObjectTag/Env":"prod"}}}]}"#]
                .into_iter(),
        );
        assert!(keys.wants("aws:username") && keys.wants("AWS:SourceIp") && keys.wants("s3:existingobjecttag/env"));
        assert!(keys.wants_prefix("s3:existingobjecttag/"));
        assert!(!keys.wants("aws:UserAgent") && !keys.wants_prefix("aws:principaltag/"));
        assert!(ConditionKeys::All.wants("anything"));
        // Written with JSON escapes, the key is still found.
        let escaped =
            ConditionKeys::from_documents([r#"{"Statement":[{"Condition":{"Bool":{"aws\u003aSecureTransport":"false"}}}]}"#].into_iter());
        assert!(escaped.wants("aws:SecureTransport"));
    }

    #[test]
    fn legacy_owners_belong_to_the_default_account() {
        assert_eq!(owner_account("coffer", "000000000001"), "000000000001");
        assert_eq!(owner_account("123456789012", "000000000001"), "123456789012");
    }
}
