//! The IAM action table and what every IAM handler shares.
//!
//! [`dispatch`] offers an action to each family in turn (`users`, `keys`, `groups`,
//! `roles`, `inline`, `attached`, `policies`); a family answers `None` for actions that
//! are not its own. The helpers here are the IAM API's common rules: name and path
//! validation, `Marker` / `MaxItems` pagination, policy documents (parsed,
//! size-checked, URL-encoded in answers as IAM does), quotas and the answer envelope
//! (tag rules are in `tags`, what users, groups and roles share in `entity`).
//! GetAccountSummary lives here too, as it looks at every family.
//!
//! Handlers read the caller's account from the directory and change it only through
//! [`crate::iam::Iam::mutate`]; this layer never touches the store or HTTP.

use std::collections::BTreeMap;
use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{attached, groups, inline, keys, login_profiles, policies, roles, users, ApiRequest};
use crate::iam::model::{name_key, AccountData, MAX_ACCESS_KEYS, MAX_ATTACHED, MAX_ENTITIES, MAX_POLICY_VERSIONS};
use crate::iam::policy::{Policy, PolicyKind};
use crate::iam::xml::{Xml, IAM_NS};
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Real IAM actions coffer does not implement: they answer `NotImplemented` (501), so
/// that a gap is told apart from a typo (`InvalidAction`).
const NOT_IMPLEMENTED: &[&str] = &[
    "AddClientIDToOpenIDConnectProvider",
    "AddRoleToInstanceProfile",
    "ChangePassword",
    "CreateAccountAlias",
    "CreateInstanceProfile",
    "CreateOpenIDConnectProvider",
    "CreateSAMLProvider",
    "CreateServiceLinkedRole",
    "CreateServiceSpecificCredential",
    "CreateVirtualMFADevice",
    "DeactivateMFADevice",
    "DeleteAccountAlias",
    "DeleteAccountPasswordPolicy",
    "DeleteInstanceProfile",
    "DeleteOpenIDConnectProvider",
    "DeleteRolePermissionsBoundary",
    "DeleteSAMLProvider",
    "DeleteServerCertificate",
    "DeleteServiceLinkedRole",
    "DeleteServiceSpecificCredential",
    "DeleteSigningCertificate",
    "DeleteSSHPublicKey",
    "DeleteUserPermissionsBoundary",
    "DeleteVirtualMFADevice",
    "EnableMFADevice",
    "GenerateCredentialReport",
    "GenerateOrganizationsAccessReport",
    "GenerateServiceLastAccessedDetails",
    "GetAccountAuthorizationDetails",
    "GetAccountPasswordPolicy",
    "GetContextKeysForCustomPolicy",
    "GetContextKeysForPrincipalPolicy",
    "GetCredentialReport",
    "GetInstanceProfile",
    "GetOpenIDConnectProvider",
    "GetSAMLProvider",
    "GetServerCertificate",
    "GetServiceLastAccessedDetails",
    "GetServiceLinkedRoleDeletionStatus",
    "GetSSHPublicKey",
    "ListAccountAliases",
    "ListInstanceProfiles",
    "ListInstanceProfilesForRole",
    "ListMFADevices",
    "ListOpenIDConnectProviders",
    "ListPolicyTags",
    "ListSAMLProviders",
    "ListServerCertificates",
    "ListServiceSpecificCredentials",
    "ListSigningCertificates",
    "ListSSHPublicKeys",
    "ListVirtualMFADevices",
    "PutRolePermissionsBoundary",
    "PutUserPermissionsBoundary",
    "RemoveClientIDFromOpenIDConnectProvider",
    "RemoveRoleFromInstanceProfile",
    "ResetServiceSpecificCredential",
    "ResyncMFADevice",
    "SimulateCustomPolicy",
    "SimulatePrincipalPolicy",
    "TagPolicy",
    "UntagPolicy",
    "UpdateAccountPasswordPolicy",
    "UpdateOpenIDConnectProviderThumbprint",
    "UpdateSAMLProvider",
    "UpdateServerCertificate",
    "UpdateServiceSpecificCredential",
    "UpdateSigningCertificate",
    "UpdateSSHPublicKey",
    "UploadServerCertificate",
    "UploadSigningCertificate",
    "UploadSSHPublicKey",
];

/// Runs IAM action `action`.
pub async fn dispatch(req: &ApiRequest<'_>, action: &str) -> IamResult<String> {
    if let Some(answer) = users::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = login_profiles::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = keys::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = groups::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = roles::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = inline::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = attached::dispatch(req, action).await {
        return answer;
    }
    if let Some(answer) = policies::dispatch(req, action).await {
        return answer;
    }
    if action == "GetAccountSummary" {
        return account_summary(req);
    }
    if NOT_IMPLEMENTED.contains(&action) {
        return Err(IamError::new(IamErrorCode::NotImplemented, format!("The action {action} is not implemented by coffer.")));
    }
    Err(IamError::new(IamErrorCode::InvalidAction, format!("The action {action} is not valid for this web service.")))
}

/// GetAccountSummary: entity counts and the quotas coffer enforces.
fn account_summary(req: &ApiRequest<'_>) -> IamResult<String> {
    req.authorize("iam:GetAccountSummary", "*")?;
    let data = account(req)?;
    let count = |n: usize| n.to_string();
    let quota = MAX_ENTITIES.to_string();
    let keys_present = usize::from(!data.account.root_keys.is_empty());
    let versions: usize = data.policies.values().map(|p| p.versions.len()).sum();
    let entries: Vec<(&str, String)> = vec![
        ("Users", count(data.users.len())),
        ("UsersQuota", quota.clone()),
        ("Groups", count(data.groups.len())),
        ("GroupsQuota", quota.clone()),
        ("Roles", count(data.roles.len())),
        ("RolesQuota", quota.clone()),
        ("Policies", count(data.policies.len())),
        ("PoliciesQuota", quota),
        ("PolicyVersionsInUse", count(versions)),
        ("PolicyVersionsInUseQuota", count(MAX_ENTITIES * MAX_POLICY_VERSIONS)),
        ("VersionsPerPolicyQuota", count(MAX_POLICY_VERSIONS)),
        ("AccessKeysPerUserQuota", count(MAX_ACCESS_KEYS)),
        ("AttachedPoliciesPerUserQuota", count(MAX_ATTACHED)),
        ("AttachedPoliciesPerGroupQuota", count(MAX_ATTACHED)),
        ("AttachedPoliciesPerRoleQuota", count(MAX_ATTACHED)),
        ("GroupsPerUserQuota", count(GROUPS_PER_USER)),
        ("UserPolicySizeQuota", count(inline::USER_INLINE_SIZE)),
        ("GroupPolicySizeQuota", count(inline::GROUP_INLINE_SIZE)),
        ("RolePolicySizeQuota", count(inline::ROLE_INLINE_SIZE)),
        ("PolicySizeQuota", count(policies::MANAGED_SIZE)),
        ("AssumeRolePolicySizeQuota", count(roles::TRUST_POLICY_SIZE)),
        ("AccountAccessKeysPresent", count(keys_present)),
        ("AccountMFAEnabled", "0".to_owned()),
        ("AccountSigningCertificatesPresent", "0".to_owned()),
        ("MFADevices", "0".to_owned()),
        ("MFADevicesInUse", "0".to_owned()),
        ("Providers", "0".to_owned()),
        ("InstanceProfiles", "0".to_owned()),
        ("ServerCertificates", "0".to_owned()),
        ("GlobalEndpointTokenVersion", "1".to_owned()),
    ];
    let mut x = Xml::new();
    x.open("SummaryMap");
    for (key, value) in entries {
        x.open("entry").leaf("key", key).leaf("value", value).close("entry");
    }
    x.close("SummaryMap");
    Ok(answer(req, "GetAccountSummary", &x))
}

/// Groups one user may belong to (IAM's quota).
pub(super) const GROUPS_PER_USER: usize = 10;

/// Longest policy document the API accepts at all (the size quotas are lower).
const MAX_DOCUMENT_LEN: usize = 131_072;

/// The caller's account id.
pub(super) fn account_id(req: &ApiRequest<'_>) -> IamResult<String> {
    Ok(req.caller()?.account.clone())
}

/// The caller's account as it stands now.
pub(super) fn account(req: &ApiRequest<'_>) -> IamResult<Arc<AccountData>> {
    let id = account_id(req)?;
    req.iam.directory().accounts.get(&id).cloned().ok_or_else(|| IamError::internal(format!("the caller's account {id} is gone")))
}

/// `arn:aws:iam::{account}:{kind}{path}{name}`, as the model's ARN helpers build them,
/// for entities that do not exist (yet).
pub(super) fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// The request time, ms since the Unix epoch.
pub(super) fn now_ms(req: &ApiRequest<'_>) -> i64 {
    req.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The whole answer of `action` with result `x`.
pub(super) fn answer(req: &ApiRequest<'_>, action: &str, x: &Xml) -> String {
    x.finish(action, IAM_NS, req.request_id, true)
}

/// The answer of an action that returns nothing.
pub(super) fn empty(req: &ApiRequest<'_>, action: &str) -> String {
    Xml::new().finish(action, IAM_NS, req.request_id, false)
}

/// A ValidationError in IAM's words for member `param` with `value`.
pub(super) fn invalid(param: &str, value: &str, constraint: &str) -> IamError {
    IamError::new(
        IamErrorCode::ValidationError,
        format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
            super::lower_first(param)
        ),
    )
}

/// Checks an entity or policy name: 1..=`max` characters of `[\w+=,.@-]`.
pub(super) fn validate_name(param: &str, value: &str, max: usize) -> IamResult<()> {
    if value.is_empty() || value.len() > max {
        return Err(invalid(param, value, &format!("Member must have length between 1 and {max}")));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)) {
        return Err(invalid(param, value, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"));
    }
    Ok(())
}

/// Required name parameter `param`, validated (1..=`max`).
pub(super) fn name_param<'r>(req: &'r ApiRequest<'_>, param: &str, max: usize) -> IamResult<&'r str> {
    let value = req.required(param)?;
    validate_name(param, value, max)?;
    Ok(value)
}

/// Optional name parameter `param`, validated when sent.
pub(super) fn opt_name_param<'r>(req: &'r ApiRequest<'_>, param: &str, max: usize) -> IamResult<Option<&'r str>> {
    let value = req.param(param);
    if let Some(v) = value {
        validate_name(param, v, max)?;
    }
    Ok(value)
}

/// Checks a path: `/`, or `/` + printable ASCII + `/`, at most 512 characters.
pub(super) fn validate_path(param: &str, path: &str) -> IamResult<()> {
    let printable = path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if path.len() > 512 || !path.starts_with('/') || !path.ends_with('/') || !printable {
        return Err(invalid(param, path, "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"));
    }
    Ok(())
}

/// The path parameter `param` (`Path`, `NewPath`), validated, if sent.
pub(super) fn opt_path_param<'r>(req: &'r ApiRequest<'_>, param: &str) -> IamResult<Option<&'r str>> {
    let value = req.param(param);
    if let Some(p) = value {
        validate_path(param, p)?;
    }
    Ok(value)
}

/// `Path`, `/` when absent.
pub(super) fn path_param<'r>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    Ok(opt_path_param(req, "Path")?.unwrap_or("/"))
}

/// `PathPrefix`, `/` when absent.
pub(super) fn path_prefix<'r>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    let prefix = req.param("PathPrefix").unwrap_or("/");
    let printable = prefix.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if prefix.is_empty() || prefix.len() > 512 || !prefix.starts_with('/') || !printable {
        return Err(invalid("PathPrefix", prefix, "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"));
    }
    Ok(prefix)
}

/// A boolean parameter, `false` when absent.
pub(super) fn bool_param(req: &ApiRequest<'_>, param: &str) -> IamResult<bool> {
    match req.param(param) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid(param, v, "Member must be true or false")),
    }
}

/// `Description` (at most 1,000 characters), if sent.
pub(super) fn description_param<'r>(req: &'r ApiRequest<'_>) -> IamResult<Option<&'r str>> {
    let value = req.param("Description");
    if let Some(d) = value {
        if d.chars().count() > 1000 {
            return Err(invalid("Description", d, "Member must have length less than or equal to 1000"));
        }
    }
    Ok(value)
}

/// Refuses `PermissionsBoundary`, which coffer does not enforce: a boundary silently
/// ignored would grant more than its author meant.
pub(super) fn refuse_boundary(req: &ApiRequest<'_>) -> IamResult<()> {
    if req.param("PermissionsBoundary").is_some() {
        return Err(IamError::new(IamErrorCode::NotImplemented, "Permissions boundaries are not implemented by coffer."));
    }
    Ok(())
}

/// Adds `entity`, named `name`, to `all` (the account's entities of one kind, by
/// [`name_key`]): EntityAlreadyExists (for `kind`, `User`...) when the name is taken
/// ignoring case, LimitExceeded (`quota`) when the account already holds the most.
pub(super) fn insert_new<T>(all: &mut BTreeMap<String, T>, kind: &str, name: &str, entity: T, quota: &str) -> IamResult<()> {
    if all.contains_key(&name_key(name)) {
        return Err(IamError::exists(kind, name));
    }
    if all.len() >= MAX_ENTITIES {
        return Err(limit(quota, MAX_ENTITIES));
    }
    all.insert(name_key(name), entity);
    Ok(())
}

/// LimitExceeded in IAM's words.
pub(super) fn limit(quota: &str, max: usize) -> IamError {
    IamError::new(IamErrorCode::LimitExceeded, format!("Cannot exceed quota for {quota}: {max}"))
}

/// DeleteConflict with `message`.
pub(super) fn conflict(message: &str) -> IamError {
    IamError::new(IamErrorCode::DeleteConflict, message)
}

/// The required policy document `param`, parsed as `kind` (MalformedPolicyDocument
/// with the parser's message otherwise).
pub(super) fn document_param<'r>(req: &'r ApiRequest<'_>, param: &str, kind: PolicyKind) -> IamResult<&'r str> {
    let doc = req.required(param)?;
    if doc.len() > MAX_DOCUMENT_LEN {
        return Err(invalid(param, "...", &format!("Member must have length less than or equal to {MAX_DOCUMENT_LEN}")));
    }
    Policy::parse(doc, kind).map_err(|e| IamError::new(IamErrorCode::MalformedPolicyDocument, e.0))?;
    Ok(doc)
}

/// The size IAM's policy quotas count: characters other than white space.
pub(super) fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const DOCUMENT_ENCODING: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A policy document as IAM answers it: URL-encoded (RFC 3986).
pub(super) fn encode_document(doc: &str) -> String {
    utf8_percent_encode(doc, DOCUMENT_ENCODING).to_string()
}

/// One page of a listing.
pub(super) struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub marker: Option<String>,
}

/// The page `Marker` / `MaxItems` ask for out of `items`, which must be sorted by their
/// key. A marker is the key of the first item of the next page, so a listing stays
/// consistent while entities are added or removed between pages.
pub(super) fn paginate<T>(req: &ApiRequest<'_>, items: impl IntoIterator<Item = (String, T)>) -> IamResult<Page<T>> {
    let max = usize::try_from(req.int("MaxItems", 1..=1000, 100)?).unwrap_or(100);
    let marker = req.param("Marker");
    let mut rest = items.into_iter().filter(|(k, _)| marker.is_none_or(|m| k.as_str() >= m));
    let items: Vec<T> = rest.by_ref().take(max).map(|(_, v)| v).collect();
    let marker = rest.next().map(|(k, _)| k);
    Ok(Page { items, marker })
}

/// `<{list}>` with a `<member>` per item of `page`, its elements written by `write`,
/// then the page's end.
pub(super) fn write_page<T>(x: &mut Xml, list: &str, page: &Page<T>, mut write: impl FnMut(&mut Xml, &T)) {
    x.open(list);
    for item in &page.items {
        x.open("member");
        write(x, item);
        x.close("member");
    }
    x.close(list);
    page_end(x, page);
}

/// `<IsTruncated>` and, when truncated, `<Marker>`.
pub(super) fn page_end<T>(x: &mut Xml, page: &Page<T>) {
    x.leaf("IsTruncated", if page.marker.is_some() { "true" } else { "false" });
    x.opt("Marker", page.marker.as_deref());
}

/// Test support: an [`crate::iam::Iam`] over a temporary store and calls as its root.
#[cfg(test)]
pub(super) mod testing {
    use std::sync::Arc;

    use super::super::{ApiRequest, WebIdentityConfig};
    use crate::iam::policy::Context;
    use crate::iam::{Iam, IamErrorCode, IamResult, Principal};

    /// A policy allowing everything, for tests.
    pub const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    /// A trust policy letting the account assume a role.
    pub const TRUST: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;

    /// An identity service in a temporary directory.
    pub struct Harness {
        _dir: tempfile::TempDir,
        /// The service.
        pub iam: Iam,
        /// The default account's root.
        pub root: Arc<Principal>,
        web: WebIdentityConfig,
    }

    impl Harness {
        /// A fresh service.
        pub async fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(crate::store::Store::open(dir.path(), 8 << 20).unwrap());
            let key = crate::iam::secrets::SealingKey::from_bytes([1; 32]);
            let root = crate::auth::Credentials::new("root", "root-secret");
            let iam = Iam::open(store, &key, &root, std::time::SystemTime::now()).await.unwrap();
            let root = iam.directory().keys.get("root").unwrap().principal.clone();
            Self { _dir: dir, iam, root, web: WebIdentityConfig::default() }
        }

        /// Runs `params` as `principal`.
        pub async fn call_as(&self, principal: &Arc<Principal>, params: &[(&str, &str)]) -> IamResult<String> {
            let params: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let action = params.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone()).unwrap_or_default();
            let req = ApiRequest {
                iam: &self.iam,
                params: &params,
                principal: Some(Arc::clone(principal)),
                context: Context::new(),
                now: std::time::SystemTime::now(),
                request_id: "req-1",
                web_identity: &self.web,
                region: "us-east-1",
            };
            super::dispatch(&req, &action).await
        }

        /// Runs `params` as the root; panics on an error.
        pub async fn ok(&self, params: &[(&str, &str)]) -> String {
            let root = Arc::clone(&self.root);
            self.call_as(&root, params).await.unwrap_or_else(|e| panic!("{params:?}: {e}"))
        }

        /// Runs `params` as the root; the error code (panics on success).
        pub async fn err(&self, params: &[(&str, &str)]) -> IamErrorCode {
            let root = Arc::clone(&self.root);
            match self.call_as(&root, params).await {
                Ok(xml) => panic!("{params:?} succeeded: {xml}"),
                Err(e) => e.code,
            }
        }

        /// The principal signing with access key `id`.
        pub fn principal_of_key(&self, id: &str) -> Arc<Principal> {
            Arc::clone(&self.iam.directory().keys.get(id).unwrap().principal)
        }
    }

    /// The text of the first `<tag>` of `xml`.
    pub fn text<'a>(xml: &'a str, tag: &str) -> &'a str {
        let open = format!("<{tag}>");
        let start = xml.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {xml}")) + open.len();
        let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
        &xml[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Harness;
    use super::*;

    #[tokio::test]
    async fn unknown_and_unimplemented_actions() {
        let h = Harness::new().await;
        assert_eq!(h.err(&[("Action", "ChangePassword")]).await, IamErrorCode::NotImplemented);
        assert_eq!(h.err(&[("Action", "Frobnicate")]).await, IamErrorCode::InvalidAction);
    }

    #[tokio::test]
    async fn account_summary_counts_entities() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "a")]).await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "b")]).await;
        let xml = h.ok(&[("Action", "GetAccountSummary")]).await;
        assert!(xml.contains("<SummaryMap><entry><key>Users</key><value>2</value></entry>"), "{xml}");
        assert!(xml.contains("<entry><key>AccessKeysPerUserQuota</key><value>2</value></entry>"), "{xml}");
    }

    #[test]
    fn validation_rules() {
        assert!(validate_name("UserName", "a.b@c+d=e,f_g-h", 64).is_ok());
        assert!(validate_name("UserName", "a b", 64).is_err());
        assert!(validate_name("UserName", &"a".repeat(65), 64).is_err());
        assert!(validate_name("UserName", "", 64).is_err());
        assert!(validate_path("Path", "/").is_ok());
        assert!(validate_path("Path", "/a/b/").is_ok());
        assert!(validate_path("Path", "/a").is_err());
        assert!(validate_path("Path", "/a b/").is_err());
        assert_eq!(encode_document(r#"{"a": "b/c"}"#), "%7B%22a%22%3A%20%22b%2Fc%22%7D");
        assert_eq!(policy_size("{ \"a\" :\n 1 }"), 7);
    }
}
