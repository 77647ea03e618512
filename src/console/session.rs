//! Console sessions: signing in (an access key and its secret, or an IAM user's name
//! and console password), the server-side session a cookie names, and signing out.
//!
//! A session is bound to STS-style temporary credentials of the identity that signed
//! in, sealed like any STS session token (`iam::session`): the page signs its S3, IAM,
//! STS and KMS calls with them, so every action is authorized as that identity by the
//! same policy engine as any client's. The cookie only names the session (HttpOnly,
//! SameSite=Strict): the page fetches its credentials into memory with it, and they
//! are revoked at sign-out. Sessions live in memory: a restart signs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use serde_json::{json, Value};
use sha2::Digest;
use subtle::ConstantTimeEq;

use super::throttle::{self, Throttle};
use crate::iam::model::name_key;
use crate::iam::session::{Session, Subject};
use crate::iam::{password, secrets, PrincipalKind};
use crate::s3::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "coffer_console";

/// Most sessions held at once (the oldest go first past it).
const MAX_SESSIONS: usize = 10_000;

/// Who signed in, as the page shows it.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The principal's ARN.
    pub arn: String,
    /// Account id.
    pub account_id: String,
    /// Account name.
    pub account_name: String,
    /// The IAM user's name; `None` for an account root.
    pub user_name: Option<String>,
    /// The server administrator (may use the admin API).
    pub admin: bool,
}

/// One signed-in browser.
struct ConsoleSession {
    /// The temporary credentials and their token.
    session: Session,
    token: String,
    /// The token changes must carry in `X-CSRF-Token`.
    csrf: String,
    identity: Identity,
}

/// A sign-in or session failure, answered as JSON `{"code", "message"}`.
#[derive(Debug)]
pub struct Refusal {
    /// HTTP status.
    pub status: hyper::StatusCode,
    /// Machine-readable code.
    pub code: &'static str,
    /// For the user.
    pub message: String,
    /// Seconds to wait before trying again (429).
    pub retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: hyper::StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    fn failed() -> Self {
        Self::new(hyper::StatusCode::UNAUTHORIZED, "SignInFailed", "The access key, user name or password is wrong.")
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({"code": self.code, "message": self.message});
        if let Some(secs) = self.retry_after {
            body["retryAfterSeconds"] = json!(secs);
        }
        body
    }
}

/// What a sign-in request carries (the JSON body of `POST /console/session`).
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignIn {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    account: Option<String>,
    user_name: Option<String>,
    password: Option<String>,
    new_password: Option<String>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").field("access_key_id", &self.access_key_id).field("user_name", &self.user_name).finish_non_exhaustive()
    }
}

impl SignIn {
    /// The account a user name sign-in names: by id or name, the default one if none.
    fn account<'d>(&self, dir: &'d crate::iam::Directory) -> Option<&'d std::sync::Arc<crate::iam::model::AccountData>> {
        match self.account.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => dir.accounts.get(&dir.default_account),
            Some(a) => dir.accounts.get(a).or_else(|| dir.accounts.values().find(|d| d.account.name == a)),
        }
    }

    /// What is throttled: the access key id, or `account id/user name key` (the account
    /// resolved, so spelling it another way is the same name), and what the audit trail
    /// shows: the name if it exists, else hidden (a password typed into the name field
    /// must not land in the audit trail), as CloudTrail does.
    fn names(&self, dir: &crate::iam::Directory) -> (String, String) {
        const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";
        if let Some(key) = &self.access_key_id {
            let shown = if dir.keys.contains_key(key.as_str()) { key.clone() } else { HIDDEN.to_owned() };
            return (format!("key:{key}"), shown);
        }
        let user = name_key(self.user_name.as_deref().unwrap_or_default());
        match self.account(dir) {
            Some(a) => {
                let shown = a.users.get(&user).map_or_else(|| HIDDEN.to_owned(), |u| u.name.clone());
                (format!("user:{}/{user}", a.account.id), shown)
            }
            None => (format!("user:?{}/{user}", self.account.as_deref().unwrap_or_default().trim().to_lowercase()), HIDDEN.to_owned()),
        }
    }
}

/// A sign-in being checked: its subjects are in flight until it is dropped.
struct Attempt<'a> {
    sessions: &'a Sessions,
    subjects: Vec<throttle::Subject>,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut in_flight = self.sessions.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in &self.subjects {
            in_flight.remove(s);
        }
    }
}

/// The console's sessions and failed sign-ins.
#[derive(Default)]
pub struct Sessions {
    /// By SHA-256 of the cookie value (a lookup compares digests, not the secret).
    live: Mutex<HashMap<[u8; 32], ConsoleSession>>,
    throttle: Mutex<Throttle>,
    /// Subjects with a sign-in being checked: one at a time each, so that concurrent
    /// guesses cannot all pass the throttle before the first failure is counted.
    in_flight: Mutex<std::collections::HashSet<throttle::Subject>>,
}

fn digest(cookie: &str) -> [u8; 32] {
    sha2::Sha256::digest(cookie.as_bytes()).into()
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    secrets::fill_random(&mut bytes);
    hex::encode(bytes)
}

/// The session cookie's value in a `Cookie` header, if there is exactly one: two mean
/// another page on this host (cookies ignore ports: the S3 listener serves objects)
/// planted one, and neither is trusted.
pub fn cookie_value(headers: &hyper::HeaderMap) -> Option<&str> {
    let mut values = headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE).and_then(|rest| rest.strip_prefix('=')));
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

impl Sessions {
    /// Signs in: checks the credentials (throttled per client and per name tried), and
    /// opens a session. Returns the cookie value, the session's JSON description, and the
    /// name tried as the audit trail may show it.
    pub async fn sign_in(&self, state: &AppState, input: SignIn, client: std::net::IpAddr) -> (Result<(String, Value), Refusal>, String) {
        let (canonical, shown) = input.names(&state.iam.directory());
        let name = throttle::name(&canonical);
        let subjects = vec![throttle::client(client), name.clone()];
        let too_many = |secs: u64| {
            let mut refusal = Refusal::new(
                hyper::StatusCode::TOO_MANY_REQUESTS,
                "TooManyAttempts",
                format!("Too many sign-in attempts: wait {secs} seconds before trying again."),
            );
            refusal.retry_after = Some(secs);
            refusal
        };
        let wait = self.throttle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).wait(&subjects, Instant::now());
        if !wait.is_zero() {
            return (Err(too_many(wait.as_secs().max(1))), shown);
        }
        let _attempt = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if subjects.iter().any(|s| in_flight.contains(s)) {
                return (Err(too_many(1)), shown);
            }
            in_flight.extend(subjects.iter().cloned());
            Attempt { sessions: self, subjects: subjects.clone() }
        };
        let outcome = self.check(state, input).await;
        let result = match outcome {
            Ok((subject, identity)) => {
                // Only the name's failures are forgotten: a client that signs in as
                // itself between guesses at other names keeps its count.
                self.throttle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).succeeded(&[name]);
                self.open(state, subject, identity).await
            }
            Err(refusal) => {
                // A policy violation of a new password is the user's typo, not a guess.
                if refusal.code == "SignInFailed" {
                    self.throttle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).failed(&subjects, Instant::now());
                }
                Err(refusal)
            }
        };
        (result, shown)
    }

    /// Checks sign-in credentials: whose session it will be.
    async fn check(&self, state: &AppState, input: SignIn) -> Result<(Subject, Identity), Refusal> {
        let dir = state.iam.directory();
        if let (Some(key), Some(secret)) = (&input.access_key_id, &input.secret_access_key) {
            // Only long-term keys (the directory holds active ones only): temporary
            // credentials cannot open a console session of their own.
            let entry = dir.keys.get(key.as_str()).ok_or_else(Refusal::failed)?;
            if !bool::from(entry.secret.expose().as_bytes().ct_eq(secret.as_bytes())) {
                return Err(Refusal::failed());
            }
            let p = &entry.principal;
            let subject = match &p.kind {
                PrincipalKind::Root if p.admin => Subject::Administrator { key: state.iam.administrator_fingerprint().to_owned() },
                PrincipalKind::Root => Subject::Root,
                PrincipalKind::User { name } => Subject::User { name: name_key(name), user_id: p.user_id.clone() },
                PrincipalKind::AssumedRole { .. } => return Err(Refusal::failed()),
            };
            let user_name = match &p.kind {
                PrincipalKind::User { name } => Some(name.clone()),
                _ => None,
            };
            let identity = Identity {
                arn: p.arn.clone(),
                account_id: p.account.clone(),
                account_name: p.account_name.clone(),
                user_name,
                admin: p.admin,
            };
            return Ok((subject, identity));
        }
        let (Some(user_name), Some(given)) = (&input.user_name, &input.password) else {
            return Err(Refusal::new(
                hyper::StatusCode::BAD_REQUEST,
                "InvalidInput",
                "Sign in with an access key and its secret, or a user name and password.",
            ));
        };
        let account = input.account(&dir);
        let user = account.and_then(|a| a.users.get(&name_key(user_name)));
        let profile = account.zip(user).and_then(|(a, u)| a.login_profiles.get(&u.id));
        // An unknown account or user, or one without a password, costs a verification
        // too: the answer's timing does not tell which names exist.
        let phc = profile.map(|p| p.password_hash.clone());
        let verified = phc.clone();
        let given = given.clone();
        let matches = password::run_slow(move || password::verify(phc.as_deref().unwrap_or_else(|| password::decoy()), &given)).await;
        let (Some(account), Some(user), Some(profile), true) = (account, user, profile, matches) else {
            return Err(Refusal::failed());
        };
        if profile.reset_required {
            let Some(new) = input.new_password.clone() else {
                return Err(Refusal::new(
                    hyper::StatusCode::FORBIDDEN,
                    "PasswordResetRequired",
                    "Your password must be changed before you can sign in: choose a new one.",
                ));
            };
            password::check_policy(&new).map_err(|e| Refusal::new(hyper::StatusCode::BAD_REQUEST, "PasswordPolicyViolation", e.message))?;
            if input.password.as_deref() == Some(new.as_str()) {
                return Err(Refusal::new(
                    hyper::StatusCode::BAD_REQUEST,
                    "PasswordPolicyViolation",
                    "The new password must differ from the old one.",
                ));
            }
            let hash = password::run_slow(move || password::hash(&new)).await;
            let user_id = user.id.clone();
            state
                .iam
                .mutate(&account.account.id, |data| {
                    // Only the password just verified is replaced: one changed meanwhile
                    // (UpdateLoginProfile) stays, and this sign-in fails.
                    let profile =
                        data.login_profiles.get_mut(&user_id).filter(|p| Some(&p.password_hash) == verified.as_ref()).ok_or_else(|| {
                            crate::iam::IamError::new(crate::iam::IamErrorCode::NoSuchEntity, "the password changed meanwhile")
                        })?;
                    profile.password_hash = hash;
                    profile.reset_required = false;
                    Ok(())
                })
                .await
                .map_err(|e| match e.code {
                    crate::iam::IamErrorCode::NoSuchEntity => Refusal::failed(),
                    _ => Refusal::new(hyper::StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "The new password could not be saved."),
                })?;
        }
        let identity = Identity {
            arn: account.user_arn(user),
            account_id: account.account.id.clone(),
            account_name: account.account.name.clone(),
            user_name: Some(user.name.clone()),
            admin: false,
        };
        Ok((Subject::User { name: name_key(&user.name), user_id: user.id.clone() }, identity))
    }

    /// Opens a session: temporary credentials for `subject` (recorded durably as a
    /// console session's, so that a restart revokes them), a cookie value, a CSRF token.
    async fn open(&self, state: &AppState, subject: Subject, identity: Identity) -> Result<(String, Value), Refusal> {
        let now = (state.clock)();
        let issued_ms = crate::s3::headers::to_ms(now);
        let secs = i64::try_from(state.config.console.session_secs).unwrap_or(3600);
        let session = Session {
            access_key: secrets::new_id("ASIA"),
            secret: secrets::new_secret(),
            account: identity.account_id.clone(),
            subject,
            issued_ms,
            expires_ms: issued_ms + secs * 1000,
            policy: None,
        };
        state.iam.console_session_opened(&session.access_key, session.expires_ms, now).await.map_err(|e| {
            Refusal::new(hyper::StatusCode::INTERNAL_SERVER_ERROR, "InternalError", format!("the session could not be recorded: {e}"))
        })?;
        let token = state.iam.issue_session(&session);
        let cookie = random_token();
        let console = ConsoleSession { session, token, csrf: random_token(), identity };
        let info = describe(&console);
        let evicted = {
            let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            live.retain(|_, s| s.session.expires_ms > issued_ms);
            let evicted = if live.len() >= MAX_SESSIONS {
                let oldest = live.iter().min_by_key(|(_, s)| s.session.issued_ms).map(|(k, _)| *k);
                oldest.and_then(|k| live.remove(&k))
            } else {
                None
            };
            live.insert(digest(&cookie), console);
            evicted
        };
        if let Some(old) = evicted {
            // An evicted session's credentials must not outlive it.
            let _ = state.iam.revoke_session(&old.session.access_key, old.session.expires_ms, now).await;
        }
        Ok((cookie, info))
    }

    /// The session a cookie names, described for the page; `None` if there is none or it
    /// expired.
    pub fn describe(&self, cookie: &str, now: SystemTime) -> Option<Value> {
        let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = digest(cookie);
        let expired = live.get(&key)?.session.expires_ms <= crate::s3::headers::to_ms(now);
        if expired {
            live.remove(&key);
            return None;
        }
        live.get(&key).map(describe)
    }

    /// Signs out: ends the session a cookie names if `csrf` is its token (`None`: no
    /// token needed, for a browser signing in again over its session), and revokes its
    /// credentials. `Ok(None)`: there was no such session.
    pub async fn sign_out(&self, state: &AppState, cookie: &str, csrf: Option<&str>) -> Result<Option<Identity>, Refusal> {
        let ended = {
            let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let key = digest(cookie);
            match live.get(&key) {
                None => return Ok(None),
                Some(s) if csrf.is_some_and(|csrf| !bool::from(s.csrf.as_bytes().ct_eq(csrf.as_bytes()))) => {
                    return Err(Refusal::new(
                        hyper::StatusCode::FORBIDDEN,
                        "InvalidCsrfToken",
                        "The request did not come from the console page.",
                    ));
                }
                Some(_) => live.remove(&key).expect("present"),
            }
        };
        state.iam.revoke_session(&ended.session.access_key, ended.session.expires_ms, (state.clock)()).await.map_err(|e| {
            Refusal::new(hyper::StatusCode::INTERNAL_SERVER_ERROR, "InternalError", format!("the credentials could not be revoked: {e}"))
        })?;
        Ok(Some(ended.identity))
    }
}

/// A session as the page sees it (the contract in `console`'s docs): who, the
/// temporary credentials, the CSRF token. Region and URLs are added by the caller.
fn describe(s: &ConsoleSession) -> Value {
    json!({
        "identity": {
            "arn": s.identity.arn,
            "accountId": s.identity.account_id,
            "accountName": s.identity.account_name,
            "type": if s.identity.user_name.is_some() { "user" } else { "root" },
            "userName": s.identity.user_name,
            "admin": s.identity.admin,
        },
        "credentials": {
            "accessKeyId": s.session.access_key,
            "secretAccessKey": s.session.secret,
            "sessionToken": s.token,
            "expiration": crate::iam::xml::date(s.session.expires_ms),
        },
        "csrfToken": s.csrf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = hyper::HeaderMap::new();
        h.append(hyper::header::COOKIE, "a=1; coffer_console=abc; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h), Some("abc"));
        let mut h = hyper::HeaderMap::new();
        h.append(hyper::header::COOKIE, "coffer_consolex=1".parse().unwrap());
        assert_eq!(cookie_value(&h), None);
        let mut h = hyper::HeaderMap::new();
        h.append(hyper::header::COOKIE, "coffer_console=planted; coffer_console=mine".parse().unwrap());
        assert_eq!(cookie_value(&h), None, "two session cookies: neither is trusted");
    }

    #[test]
    fn sign_in_input_hides_secrets_in_debug() {
        let input: SignIn = serde_json::from_str(r#"{"userName":"Alice","password":"hunter22","account":"acme"}"#).unwrap();
        let shown = format!("{input:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(serde_json::from_str::<SignIn>(r#"{"bogus":1}"#).is_err());
    }
}
