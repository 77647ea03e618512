//! Customer managed policies and their versions (CreatePolicy, GetPolicy, ListPolicies,
//! DeletePolicy, Create/Get/List/Delete`PolicyVersion`, SetDefaultPolicyVersion),
//! ListEntitiesForPolicy, and what `attached` shares about policy ARNs (the
//! `PolicyArn` parameter, which ARNs are attachable, how many entities attach one).
//!
//! A policy ARN names a customer managed policy of the account or an AWS managed one
//! coffer knows (`iam::managed`), which cannot be changed. DeletePolicy refuses while a
//! policy is attached, so an attachment never names a policy that is gone. Documents
//! are answered URL-encoded, as IAM does.

use super::iam::{
    account, account_id, answer, arn, bool_param, conflict, description_param, document_param, empty, encode_document, insert_new, limit,
    name_param, now_ms, page_end, paginate, path_param, path_prefix, policy_size, write_page,
};
use super::ApiRequest;
use crate::iam::managed::{aws_managed, AWS_POLICY_PREFIX};
use crate::iam::model::{name_key, AccountData, ManagedPolicy, PolicyVersion, MAX_POLICY_VERSIONS};
use crate::iam::policy::PolicyKind;
use crate::iam::secrets::{new_id, ID_ALPHABET};
use crate::iam::xml::{date, Xml};
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Size of one managed policy version.
pub(super) const MANAGED_SIZE: usize = 6144;

/// Longest policy name (managed and inline).
pub(super) const POLICY_NAME_MAX: usize = 128;

/// The creation date reported for AWS managed policies (AdministratorAccess's).
const AWS_CREATED_MS: i64 = 1_423_248_058_000;

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    Some(match action {
        "CreatePolicy" => create_policy(req).await,
        "GetPolicy" => get_policy(req),
        "ListPolicies" => list_policies(req),
        "DeletePolicy" => delete_policy(req).await,
        "CreatePolicyVersion" => create_version(req).await,
        "GetPolicyVersion" => get_version(req),
        "ListPolicyVersions" => list_versions(req),
        "DeletePolicyVersion" => delete_version(req).await,
        "SetDefaultPolicyVersion" => set_default_version(req).await,
        "ListEntitiesForPolicy" => list_entities(req),
        _ => return None,
    })
}

/// `PolicyArn`, checked for length only (an unknown one is NoSuchEntity later).
pub(super) fn policy_arn_param<'r>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    let value = req.required("PolicyArn")?;
    if !(20..=2048).contains(&value.len()) {
        return Err(IamError::new(
            IamErrorCode::ValidationError,
            format!("1 validation error detected: Value '{value}' at 'policyArn' failed to satisfy constraint: Member must have length between 20 and 2048"),
        ));
    }
    Ok(value)
}

/// The customer managed policy `policy_arn` of `data`: (its key, the record).
fn customer<'a>(data: &'a AccountData, policy_arn: &str) -> Option<(&'a String, &'a ManagedPolicy)> {
    let name = policy_arn.rsplit('/').next()?;
    data.policies.get_key_value(&name_key(name)).filter(|(_, p)| data.policy_arn(p) == policy_arn)
}

/// The customer managed policy `policy_arn` of `data`, mutable, or NoSuchEntity (also
/// for AWS managed policies, which cannot be changed).
fn customer_mut<'a>(data: &'a mut AccountData, policy_arn: &str) -> IamResult<&'a mut ManagedPolicy> {
    let key = customer(data, policy_arn).map(|(k, _)| k.clone()).ok_or_else(|| not_found(policy_arn))?;
    data.policies.get_mut(&key).ok_or_else(|| not_found(policy_arn))
}

pub(super) fn not_found(policy_arn: &str) -> IamError {
    IamError::new(IamErrorCode::NoSuchEntity, format!("Policy {policy_arn} was not found."))
}

/// Whether `policy_arn` names a policy that may be attached in `data`'s account.
pub(super) fn attachable(data: &AccountData, policy_arn: &str) -> bool {
    aws_managed(policy_arn).is_some() || customer(data, policy_arn).is_some()
}

/// How many users, groups and roles of `data` have `policy_arn` attached.
fn attachment_count(data: &AccountData, policy_arn: &str) -> usize {
    let has = |attached: &[String]| attached.iter().any(|a| a == policy_arn);
    data.users.values().filter(|u| has(&u.attached)).count()
        + data.groups.values().filter(|g| has(&g.attached)).count()
        + data.roles.values().filter(|r| has(&r.attached)).count()
}

/// (path, name) of a policy ARN (`arn:aws:iam::ACCT:policy/path/Name`).
pub(super) fn split_policy_arn(policy_arn: &str) -> (&str, &str) {
    let rest = policy_arn.split_once(":policy").map_or(policy_arn, |(_, r)| r);
    match rest.rfind('/') {
        Some(i) => (&rest[..=i], &rest[i + 1..]),
        None => ("/", rest),
    }
}

/// A managed policy as answers describe it.
enum Described<'a> {
    /// An AWS managed policy: its name and document.
    Aws(&'a str, &'static str),
    /// A customer managed policy.
    Customer(&'a ManagedPolicy),
}

/// The policy `policy_arn` visible to `data`'s account, or NoSuchEntity.
fn describe<'a>(data: &'a AccountData, policy_arn: &'a str) -> IamResult<Described<'a>> {
    if let Some(doc) = aws_managed(policy_arn) {
        return Ok(Described::Aws(split_policy_arn(policy_arn).1, doc));
    }
    customer(data, policy_arn).map(|(_, p)| Described::Customer(p)).ok_or_else(|| not_found(policy_arn))
}

/// A stable id for an AWS managed policy, derived from its name.
fn aws_policy_id(name: &str) -> String {
    let hash = blake3::hash(name.as_bytes());
    let tail: String = hash.as_bytes()[..16].iter().map(|b| char::from(ID_ALPHABET[usize::from(*b) % ID_ALPHABET.len()])).collect();
    format!("ANPA{tail}")
}

/// The elements of a `Policy` structure.
fn write_policy(x: &mut Xml, data: &AccountData, policy_arn: &str, policy: &Described<'_>, with_description: bool) {
    let count = attachment_count(data, policy_arn).to_string();
    match policy {
        Described::Aws(name, _) => {
            x.leaf("PolicyName", name).leaf("PolicyId", aws_policy_id(name)).leaf("Arn", policy_arn).leaf("Path", "/");
            x.leaf("DefaultVersionId", "v1").leaf("AttachmentCount", count).leaf("PermissionsBoundaryUsageCount", "0");
            x.leaf("IsAttachable", "true").leaf("CreateDate", date(AWS_CREATED_MS)).leaf("UpdateDate", date(AWS_CREATED_MS));
        }
        Described::Customer(p) => {
            x.leaf("PolicyName", &p.name).leaf("PolicyId", &p.id).leaf("Arn", policy_arn).leaf("Path", &p.path);
            x.leaf("DefaultVersionId", &p.default_version).leaf("AttachmentCount", count).leaf("PermissionsBoundaryUsageCount", "0");
            x.leaf("IsAttachable", "true");
            if with_description && !p.description.is_empty() {
                x.leaf("Description", &p.description);
            }
            x.leaf("CreateDate", date(p.created_ms)).leaf("UpdateDate", date(p.updated_ms));
        }
    }
}

/// A managed policy document, parsed as an identity policy, within its size quota.
fn managed_document<'r>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    let doc = document_param(req, "PolicyDocument", PolicyKind::Identity)?;
    if policy_size(doc) > MANAGED_SIZE {
        return Err(limit("PolicySize", MANAGED_SIZE));
    }
    Ok(doc)
}

async fn create_policy(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "PolicyName", POLICY_NAME_MAX)?;
    let path = path_param(req)?;
    let doc = managed_document(req)?;
    let description = description_param(req)?.unwrap_or_default();
    if req.params.iter().any(|(k, _)| k.starts_with("Tags.member.")) {
        return Err(IamError::new(IamErrorCode::NotImplemented, "Tags on managed policies are not implemented by coffer."));
    }
    let acct = account_id(req)?;
    let policy_arn = arn(&acct, "policy", path, name);
    req.authorize("iam:CreatePolicy", &policy_arn)?;
    let now = now_ms(req);
    let policy = ManagedPolicy {
        id: new_id("ANPA"),
        name: name.to_owned(),
        path: path.to_owned(),
        description: description.to_owned(),
        created_ms: now,
        updated_ms: now,
        versions: vec![PolicyVersion { id: "v1".to_owned(), document: doc.to_owned(), created_ms: now }],
        default_version: "v1".to_owned(),
        next_version: 2,
    };
    req.iam.mutate(&acct, |data| insert_new(&mut data.policies, "A policy", name, policy.clone(), "PoliciesPerAccount")).await?;
    let data = account(req)?;
    let mut x = Xml::new();
    x.open("Policy");
    write_policy(&mut x, &data, &policy_arn, &Described::Customer(&policy), true);
    x.close("Policy");
    Ok(answer(req, "CreatePolicy", &x))
}

fn get_policy(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    req.authorize("iam:GetPolicy", policy_arn)?;
    let data = account(req)?;
    let policy = describe(&data, policy_arn)?;
    let mut x = Xml::new();
    x.open("Policy");
    write_policy(&mut x, &data, policy_arn, &policy, true);
    x.close("Policy");
    Ok(answer(req, "GetPolicy", &x))
}

fn list_policies(req: &ApiRequest<'_>) -> IamResult<String> {
    let scope = req.param("Scope").unwrap_or("All");
    if !["All", "AWS", "Local"].contains(&scope) {
        return Err(IamError::new(
            IamErrorCode::ValidationError,
            format!("1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"),
        ));
    }
    let only_attached = bool_param(req, "OnlyAttached")?;
    let prefix = path_prefix(req)?;
    // No policy is used as a permissions boundary: coffer has none.
    let boundaries_only = req.param("PolicyUsageFilter") == Some("PermissionsBoundary");
    req.authorize("iam:ListPolicies", "*")?;
    let data = account(req)?;
    let mut all: Vec<(String, Described<'_>)> = Vec::new();
    if scope != "Local" {
        for name in crate::iam::managed::names() {
            let policy_arn = format!("{AWS_POLICY_PREFIX}{name}");
            if let Some(doc) = aws_managed(&policy_arn) {
                all.push((policy_arn, Described::Aws(name, doc)));
            }
        }
    }
    if scope != "AWS" {
        all.extend(data.policies.values().filter(|p| p.path.starts_with(prefix)).map(|p| (data.policy_arn(p), Described::Customer(p))));
    }
    all.retain(|(a, _)| {
        split_policy_arn(a).0.starts_with(prefix) && !boundaries_only && (!only_attached || attachment_count(&data, a) > 0)
    });
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let page = paginate(req, all.into_iter().map(|(a, d)| (a.clone(), (a, d))))?;
    let mut x = Xml::new();
    write_page(&mut x, "Policies", &page, |x, (policy_arn, policy)| write_policy(x, &data, policy_arn, policy, false));
    Ok(answer(req, "ListPolicies", &x))
}

/// Refuses to change an AWS managed policy.
fn refuse_aws(policy_arn: &str) -> IamResult<()> {
    if aws_managed(policy_arn).is_some() || policy_arn.starts_with(AWS_POLICY_PREFIX) {
        return Err(IamError::new(IamErrorCode::InvalidInput, format!("Policy {policy_arn} is AWS managed and cannot be changed.")));
    }
    Ok(())
}

async fn delete_policy(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    req.authorize("iam:DeletePolicy", policy_arn)?;
    refuse_aws(policy_arn)?;
    let account = account_id(req)?;
    req.iam
        .mutate(&account, |data| {
            let key = customer(data, policy_arn).map(|(k, _)| k.clone()).ok_or_else(|| not_found(policy_arn))?;
            if attachment_count(data, policy_arn) > 0 {
                return Err(conflict("Cannot delete a policy attached to entities."));
            }
            if data.policies[&key].versions.len() > 1 {
                return Err(conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."));
            }
            data.policies.remove(&key);
            Ok(())
        })
        .await?;
    Ok(empty(req, "DeletePolicy"))
}

/// `VersionId` (`v1`, `v2`...).
fn version_param<'r>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    let v = req.required("VersionId")?;
    let digits = v.strip_prefix('v').filter(|d| !d.is_empty() && !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()));
    if digits.is_none() {
        return Err(IamError::new(
            IamErrorCode::ValidationError,
            format!("1 validation error detected: Value '{v}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"),
        ));
    }
    Ok(v)
}

fn no_such_version(policy_arn: &str, version: &str) -> IamError {
    IamError::new(IamErrorCode::NoSuchEntity, format!("Policy {policy_arn} version {version} does not exist or is not attachable."))
}

fn write_version(x: &mut Xml, id: &str, default: bool, created_ms: i64, document: Option<&str>) {
    x.open("PolicyVersion");
    x.opt("Document", document.map(encode_document));
    x.leaf("VersionId", id).leaf("IsDefaultVersion", if default { "true" } else { "false" }).leaf("CreateDate", date(created_ms));
    x.close("PolicyVersion");
}

async fn create_version(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    let doc = managed_document(req)?;
    let set_default = bool_param(req, "SetAsDefault")?;
    req.authorize("iam:CreatePolicyVersion", policy_arn)?;
    refuse_aws(policy_arn)?;
    let now = now_ms(req);
    let version = req
        .iam
        .mutate(&account_id(req)?, |data| {
            let policy = customer_mut(data, policy_arn)?;
            if policy.versions.len() >= MAX_POLICY_VERSIONS {
                return Err(IamError::new(
                    IamErrorCode::LimitExceeded,
                    format!("A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."),
                ));
            }
            let version = PolicyVersion { id: format!("v{}", policy.next_version), document: doc.to_owned(), created_ms: now };
            policy.next_version += 1;
            if set_default {
                policy.default_version.clone_from(&version.id);
                policy.updated_ms = now;
            }
            policy.versions.push(version.clone());
            Ok(version)
        })
        .await?;
    let mut x = Xml::new();
    write_version(&mut x, &version.id, set_default, version.created_ms, None);
    Ok(answer(req, "CreatePolicyVersion", &x))
}

fn get_version(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    let version = version_param(req)?;
    req.authorize("iam:GetPolicyVersion", policy_arn)?;
    let data = account(req)?;
    let mut x = Xml::new();
    match describe(&data, policy_arn)? {
        Described::Aws(_, doc) if version == "v1" => write_version(&mut x, "v1", true, AWS_CREATED_MS, Some(doc)),
        Described::Aws(..) => return Err(no_such_version(policy_arn, version)),
        Described::Customer(p) => {
            let v = p.versions.iter().find(|v| v.id == version).ok_or_else(|| no_such_version(policy_arn, version))?;
            write_version(&mut x, &v.id, v.id == p.default_version, v.created_ms, Some(&v.document));
        }
    }
    Ok(answer(req, "GetPolicyVersion", &x))
}

fn list_versions(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    req.authorize("iam:ListPolicyVersions", policy_arn)?;
    let data = account(req)?;
    let versions: Vec<(String, bool, i64)> = match describe(&data, policy_arn)? {
        Described::Aws(..) => vec![("v1".to_owned(), true, AWS_CREATED_MS)],
        Described::Customer(p) => p.versions.iter().map(|v| (v.id.clone(), v.id == p.default_version, v.created_ms)).collect(),
    };
    // Newest first, as IAM lists them; the key orders by falling version number.
    let number = |id: &str| id[1..].parse::<u32>().unwrap_or(0);
    let mut keyed: Vec<(String, (String, bool, i64))> =
        versions.into_iter().map(|v| (format!("{:010}", u32::MAX - number(&v.0)), v)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let page = paginate(req, keyed)?;
    let mut x = Xml::new();
    write_page(&mut x, "Versions", &page, |x, (id, default, created)| {
        x.leaf("VersionId", id).leaf("IsDefaultVersion", if *default { "true" } else { "false" }).leaf("CreateDate", date(*created));
    });
    Ok(answer(req, "ListPolicyVersions", &x))
}

async fn delete_version(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    let version = version_param(req)?;
    req.authorize("iam:DeletePolicyVersion", policy_arn)?;
    refuse_aws(policy_arn)?;
    req.iam
        .mutate(&account_id(req)?, |data| {
            let policy = customer_mut(data, policy_arn)?;
            let i = policy.versions.iter().position(|v| v.id == version).ok_or_else(|| no_such_version(policy_arn, version))?;
            if policy.default_version == version {
                return Err(conflict("Cannot delete the default version of a policy."));
            }
            policy.versions.remove(i);
            Ok(())
        })
        .await?;
    Ok(empty(req, "DeletePolicyVersion"))
}

async fn set_default_version(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    let version = version_param(req)?;
    req.authorize("iam:SetDefaultPolicyVersion", policy_arn)?;
    refuse_aws(policy_arn)?;
    let now = now_ms(req);
    req.iam
        .mutate(&account_id(req)?, |data| {
            let policy = customer_mut(data, policy_arn)?;
            if !policy.versions.iter().any(|v| v.id == version) {
                return Err(no_such_version(policy_arn, version));
            }
            if policy.default_version != version {
                version.clone_into(&mut policy.default_version);
                policy.updated_ms = now;
            }
            Ok(())
        })
        .await?;
    Ok(empty(req, "SetDefaultPolicyVersion"))
}

/// One entity a policy is attached to, for ListEntitiesForPolicy.
enum PolicyEntity<'a> {
    Group(&'a str, &'a str),
    Role(&'a str, &'a str),
    User(&'a str, &'a str),
}

fn list_entities(req: &ApiRequest<'_>) -> IamResult<String> {
    let policy_arn = policy_arn_param(req)?;
    let prefix = path_prefix(req)?;
    let filter = req.param("EntityFilter");
    req.authorize("iam:ListEntitiesForPolicy", policy_arn)?;
    let data = account(req)?;
    let policy = describe(&data, policy_arn)?;
    let kind_ok = |kind: &str| match filter {
        None => true,
        Some("LocalManagedPolicy") => matches!(policy, Described::Customer(_)),
        Some("AWSManagedPolicy") => matches!(policy, Described::Aws(..)),
        Some(f) => f == kind,
    };
    let has = |attached: &[String], path: &str| attached.iter().any(|a| a == policy_arn) && path.starts_with(prefix);
    // Groups, then roles, then users: the first character of the key orders the kinds.
    let groups = data.groups.iter().map(|(k, g)| ("Group", format!("1{k}"), &g.attached, &g.path, PolicyEntity::Group(&g.name, &g.id)));
    let roles = data.roles.iter().map(|(k, r)| ("Role", format!("2{k}"), &r.attached, &r.path, PolicyEntity::Role(&r.name, &r.id)));
    let users = data.users.iter().map(|(k, u)| ("User", format!("3{k}"), &u.attached, &u.path, PolicyEntity::User(&u.name, &u.id)));
    let all = groups
        .chain(roles)
        .chain(users)
        .filter(|(kind, _, attached, path, _)| kind_ok(kind) && has(attached, path))
        .map(|(_, key, _, _, entity)| (key, entity));
    let page = paginate(req, all)?;
    let mut x = Xml::new();
    for (list, name_tag, id_tag) in
        [("PolicyGroups", "GroupName", "GroupId"), ("PolicyUsers", "UserName", "UserId"), ("PolicyRoles", "RoleName", "RoleId")]
    {
        x.open(list);
        for entity in &page.items {
            let ((PolicyEntity::Group(name, id), "PolicyGroups")
            | (PolicyEntity::User(name, id), "PolicyUsers")
            | (PolicyEntity::Role(name, id), "PolicyRoles")) = (entity, list)
            else {
                continue;
            };
            x.open("member").leaf(name_tag, name).leaf(id_tag, id).close("member");
        }
        x.close(list);
    }
    page_end(&mut x, &page);
    Ok(answer(req, "ListEntitiesForPolicy", &x))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness, ALLOW_ALL};
    use crate::iam::IamErrorCode;

    const READ_ONLY: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";

    #[tokio::test]
    async fn managed_policies_and_attachments() {
        let h = Harness::new().await;
        let account = h.root.account.clone();
        let xml = h
            .ok(&[("Action", "CreatePolicy"), ("PolicyName", "Ops"), ("Path", "/t/"), ("PolicyDocument", ALLOW_ALL), ("Description", "d")])
            .await;
        let arn = format!("arn:aws:iam::{account}:policy/t/Ops");
        assert!(xml.contains("<CreatePolicyResult><Policy><PolicyName>Ops</PolicyName><PolicyId>ANPA"), "{xml}");
        assert!(
            xml.contains(&format!(
                "<Arn>{arn}</Arn><Path>/t/</Path><DefaultVersionId>v1</DefaultVersionId><AttachmentCount>0</AttachmentCount>"
            )),
            "{xml}"
        );
        assert_eq!(
            h.err(&[("Action", "CreatePolicy"), ("PolicyName", "ops"), ("PolicyDocument", ALLOW_ALL)]).await,
            IamErrorCode::EntityAlreadyExists
        );

        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        h.ok(&[("Action", "AttachUserPolicy"), ("UserName", "u"), ("PolicyArn", &arn)]).await;
        h.ok(&[("Action", "AttachUserPolicy"), ("UserName", "u"), ("PolicyArn", READ_ONLY)]).await;
        let unknown = format!("arn:aws:iam::{account}:policy/Nope");
        assert_eq!(h.err(&[("Action", "AttachUserPolicy"), ("UserName", "u"), ("PolicyArn", &unknown)]).await, IamErrorCode::NoSuchEntity);
        let xml = h.ok(&[("Action", "ListAttachedUserPolicies"), ("UserName", "u")]).await;
        assert!(
            xml.contains(&format!("<AttachedPolicies><member><PolicyName>Ops</PolicyName><PolicyArn>{arn}</PolicyArn></member>")),
            "{xml}"
        );
        assert!(xml.contains("<PolicyName>IAMReadOnlyAccess</PolicyName>"));
        let xml = h.ok(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await;
        assert!(xml.contains("<AttachmentCount>1</AttachmentCount>") && xml.contains("<Description>d</Description>"), "{xml}");
        let xml = h.ok(&[("Action", "GetPolicy"), ("PolicyArn", READ_ONLY)]).await;
        assert!(
            xml.contains("<PolicyName>IAMReadOnlyAccess</PolicyName>") && xml.contains("<AttachmentCount>1</AttachmentCount>"),
            "{xml}"
        );
        let xml = h.ok(&[("Action", "ListEntitiesForPolicy"), ("PolicyArn", &arn)]).await;
        assert!(xml.contains("<PolicyGroups></PolicyGroups><PolicyUsers><member><UserName>u</UserName><UserId>AIDA"), "{xml}");

        let xml = h.ok(&[("Action", "ListPolicies"), ("Scope", "Local")]).await;
        assert!(xml.contains("<Policies><member><PolicyName>Ops</PolicyName>") && !xml.contains("IAMReadOnlyAccess"), "{xml}");
        let xml = h.ok(&[("Action", "ListPolicies"), ("Scope", "AWS"), ("OnlyAttached", "true")]).await;
        assert_eq!(xml.matches("<member>").count(), 1, "{xml}");
        assert!(xml.contains("IAMReadOnlyAccess"));

        // The attached AWS managed policy is in force for the user.
        let key = h.ok(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await;
        h.ok(&[("Action", "DetachUserPolicy"), ("UserName", "u"), ("PolicyArn", &arn)]).await;
        let u = h.principal_of_key(text(&key, "AccessKeyId"));
        h.call_as(&u, &[("Action", "ListUsers")]).await.unwrap();
        assert_eq!(h.call_as(&u, &[("Action", "CreateUser"), ("UserName", "x")]).await.unwrap_err().code, IamErrorCode::AccessDenied);

        h.ok(&[("Action", "AttachUserPolicy"), ("UserName", "u"), ("PolicyArn", &arn)]).await;
        assert_eq!(h.err(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "DetachUserPolicy"), ("UserName", "u"), ("PolicyArn", &arn)]).await;
        assert_eq!(h.err(&[("Action", "DetachUserPolicy"), ("UserName", "u"), ("PolicyArn", &arn)]).await, IamErrorCode::NoSuchEntity);

        h.ok(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await;
        assert_eq!(h.err(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await, IamErrorCode::NoSuchEntity);
        assert_eq!(h.err(&[("Action", "DeletePolicy"), ("PolicyArn", READ_ONLY)]).await, IamErrorCode::InvalidInput);
    }

    #[tokio::test]
    async fn policy_versions() {
        let h = Harness::new().await;
        let xml = h.ok(&[("Action", "CreatePolicy"), ("PolicyName", "Ops"), ("PolicyDocument", ALLOW_ALL)]).await;
        let arn = text(&xml, "Arn").to_owned();
        // At most 5; the default cannot be deleted; the others block DeletePolicy.
        let xml =
            h.ok(&[("Action", "CreatePolicyVersion"), ("PolicyArn", &arn), ("PolicyDocument", ALLOW_ALL), ("SetAsDefault", "true")]).await;
        assert!(xml.contains("<PolicyVersion><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion>"), "{xml}");
        for _ in 0..3 {
            h.ok(&[("Action", "CreatePolicyVersion"), ("PolicyArn", &arn), ("PolicyDocument", ALLOW_ALL)]).await;
        }
        let six = [("Action", "CreatePolicyVersion"), ("PolicyArn", arn.as_str()), ("PolicyDocument", ALLOW_ALL)];
        assert_eq!(h.err(&six).await, IamErrorCode::LimitExceeded);
        let xml = h.ok(&[("Action", "ListPolicyVersions"), ("PolicyArn", &arn)]).await;
        assert!(xml.contains("<Versions><member><VersionId>v5</VersionId><IsDefaultVersion>false</IsDefaultVersion>"), "{xml}");
        let xml = h.ok(&[("Action", "GetPolicyVersion"), ("PolicyArn", &arn), ("VersionId", "v2")]).await;
        assert!(
            xml.contains("<PolicyVersion><Document>%7B%22Version%22") && xml.contains("<IsDefaultVersion>true</IsDefaultVersion>"),
            "{xml}"
        );
        assert_eq!(h.err(&[("Action", "GetPolicyVersion"), ("PolicyArn", &arn), ("VersionId", "v9")]).await, IamErrorCode::NoSuchEntity);
        assert_eq!(
            h.err(&[("Action", "DeletePolicyVersion"), ("PolicyArn", &arn), ("VersionId", "v2")]).await,
            IamErrorCode::DeleteConflict
        );
        h.ok(&[("Action", "SetDefaultPolicyVersion"), ("PolicyArn", &arn), ("VersionId", "v1")]).await;
        assert_eq!(h.err(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await, IamErrorCode::DeleteConflict);
        for v in ["v2", "v3", "v4", "v5"] {
            h.ok(&[("Action", "DeletePolicyVersion"), ("PolicyArn", &arn), ("VersionId", v)]).await;
        }
        h.ok(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await;
        assert_eq!(h.err(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await, IamErrorCode::NoSuchEntity);
        assert_eq!(h.err(&[("Action", "DeletePolicy"), ("PolicyArn", READ_ONLY)]).await, IamErrorCode::InvalidInput);
    }
}
