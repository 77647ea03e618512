//! IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
//! UpdateAssumeRolePolicy, DeleteRole and role tags (TagRole, UntagRole, ListRoleTags).
//!
//! The trust policy is parsed as a trust policy (`Principal` required, no `Resource`)
//! and answered URL-encoded, as IAM does. DeleteRole refuses while the role has
//! policies; sessions of a deleted role end with it (they name the role's id).

use std::collections::BTreeMap;

use super::entity::{arn_or_default, find, find_mut, list_all, refuse_while_policies, Entity};
use super::iam::{
    account, account_id, answer, arn, description_param, document_param, empty, encode_document, insert_new, limit, name_param, now_ms,
    path_param, policy_size, refuse_boundary,
};
use super::tags::{list_tags, tag, tags_param, untag, write_tags, Tagged};
use super::ApiRequest;
use crate::iam::model::{name_key, AccountData, Role, Tag};
use crate::iam::policy::PolicyKind;
use crate::iam::secrets::new_id;
use crate::iam::xml::{date, Xml};
use crate::iam::IamResult;

/// Largest trust policy, in non-white-space characters (IAM's default quota).
pub(super) const TRUST_POLICY_SIZE: usize = 2048;

/// Session lengths a role may allow, seconds.
const SESSION_RANGE: std::ops::RangeInclusive<i64> = 3600..=43200;

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    Some(match action {
        "CreateRole" => create_role(req).await,
        "GetRole" => get_role(req),
        "ListRoles" => list_all::<Role>(req, |x, account, r| write_role(x, account, r, false)),
        "UpdateRole" => update_role(req, "UpdateRole").await,
        "UpdateRoleDescription" => update_role(req, "UpdateRoleDescription").await,
        "UpdateAssumeRolePolicy" => update_trust(req).await,
        "DeleteRole" => delete_role(req).await,
        "TagRole" => tag::<Role>(req).await,
        "UntagRole" => untag::<Role>(req).await,
        "ListRoleTags" => list_tags::<Role>(req),
        _ => return None,
    })
}

impl Entity for Role {
    const TITLE: &'static str = "Role";
    const NOUN: &'static str = "role";
    /// Longest role name.
    const NAME_MAX: usize = 64;
    fn all(data: &AccountData) -> &BTreeMap<String, Self> {
        &data.roles
    }
    fn all_mut(data: &mut AccountData) -> &mut BTreeMap<String, Self> {
        &mut data.roles
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
}

impl Tagged for Role {
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
}

/// The elements of a `Role` structure; `full` adds what GetRole answers beyond
/// ListRoles (tags, last use).
fn write_role(x: &mut Xml, account: &str, role: &Role, full: bool) {
    x.leaf("Path", &role.path)
        .leaf("RoleName", &role.name)
        .leaf("RoleId", &role.id)
        .leaf("Arn", arn(account, "role", &role.path, &role.name))
        .leaf("CreateDate", date(role.created_ms))
        .leaf("AssumeRolePolicyDocument", encode_document(&role.trust_policy));
    if !role.description.is_empty() {
        x.leaf("Description", &role.description);
    }
    x.leaf("MaxSessionDuration", role.max_session_secs.to_string());
    if full {
        write_tags(x, &role.tags);
        // Role use is not tracked: IAM answers an empty element for a role never used.
        x.open("RoleLastUsed").close("RoleLastUsed");
    }
}

/// The trust policy in `param`, parsed and within its size quota.
fn trust_param<'r>(req: &'r ApiRequest<'_>, param: &str) -> IamResult<&'r str> {
    let doc = document_param(req, param, PolicyKind::Trust)?;
    if policy_size(doc) > TRUST_POLICY_SIZE {
        return Err(limit("ACLSizePerRole", TRUST_POLICY_SIZE));
    }
    Ok(doc)
}

fn session_param(req: &ApiRequest<'_>) -> IamResult<Option<u32>> {
    if req.param("MaxSessionDuration").is_none() {
        return Ok(None);
    }
    let secs = req.int("MaxSessionDuration", SESSION_RANGE, 3600)?;
    Ok(Some(u32::try_from(secs).unwrap_or(3600)))
}

async fn create_role(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "RoleName", Role::NAME_MAX)?;
    let path = path_param(req)?;
    let trust = trust_param(req, "AssumeRolePolicyDocument")?;
    let description = description_param(req)?.unwrap_or_default();
    let max_session_secs = session_param(req)?.unwrap_or(3600);
    let tags = tags_param(req)?;
    refuse_boundary(req)?;
    let account = account_id(req)?;
    req.authorize("iam:CreateRole", &arn(&account, "role", path, name))?;
    let role = Role {
        id: new_id("AROA"),
        name: name.to_owned(),
        path: path.to_owned(),
        created_ms: now_ms(req),
        trust_policy: trust.to_owned(),
        description: description.to_owned(),
        max_session_secs,
        inline: BTreeMap::new(),
        attached: Vec::new(),
        tags,
    };
    req.iam.mutate(&account, |data| insert_new(&mut data.roles, "Role", name, role.clone(), "RolesPerAccount")).await?;
    let mut x = Xml::new();
    x.open("Role");
    write_role(&mut x, &account, &role, false);
    write_tags(&mut x, &role.tags);
    x.close("Role");
    Ok(answer(req, "CreateRole", &x))
}

fn get_role(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "RoleName", Role::NAME_MAX)?;
    let data = account(req)?;
    req.authorize("iam:GetRole", &arn_or_default::<Role>(&data, name))?;
    let role = find::<Role>(&data, name)?;
    let mut x = Xml::new();
    x.open("Role");
    write_role(&mut x, &data.account.id, role, true);
    x.close("Role");
    Ok(answer(req, "GetRole", &x))
}

/// UpdateRole (Description, MaxSessionDuration; answers nothing) and
/// UpdateRoleDescription (Description; answers the role).
async fn update_role(req: &ApiRequest<'_>, action: &str) -> IamResult<String> {
    let name = name_param(req, "RoleName", Role::NAME_MAX)?;
    let description = description_param(req)?;
    let session = if action == "UpdateRole" { session_param(req)? } else { None };
    if action == "UpdateRoleDescription" && description.is_none() {
        req.required("Description")?;
    }
    let data = account(req)?;
    req.authorize(&format!("iam:{action}"), &arn_or_default::<Role>(&data, name))?;
    let role = req
        .iam
        .mutate(&data.account.id, |data| {
            let role = find_mut::<Role>(data, name)?;
            if let Some(d) = description {
                d.clone_into(&mut role.description);
            }
            if let Some(s) = session {
                role.max_session_secs = s;
            }
            Ok(role.clone())
        })
        .await?;
    if action == "UpdateRole" {
        return Ok(answer(req, action, &Xml::new()));
    }
    let mut x = Xml::new();
    x.open("Role");
    write_role(&mut x, &data.account.id, &role, true);
    x.close("Role");
    Ok(answer(req, action, &x))
}

async fn update_trust(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "RoleName", Role::NAME_MAX)?;
    let trust = trust_param(req, "PolicyDocument")?;
    let data = account(req)?;
    req.authorize("iam:UpdateAssumeRolePolicy", &arn_or_default::<Role>(&data, name))?;
    req.iam
        .mutate(&data.account.id, |data| {
            trust.clone_into(&mut find_mut::<Role>(data, name)?.trust_policy);
            Ok(())
        })
        .await?;
    Ok(empty(req, "UpdateAssumeRolePolicy"))
}

async fn delete_role(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "RoleName", Role::NAME_MAX)?;
    let data = account(req)?;
    req.authorize("iam:DeleteRole", &arn_or_default::<Role>(&data, name))?;
    req.iam
        .mutate(&data.account.id, |data| {
            let role = find::<Role>(data, name)?;
            refuse_while_policies(&role.inline, &role.attached)?;
            data.roles.remove(&name_key(name));
            Ok(())
        })
        .await?;
    Ok(empty(req, "DeleteRole"))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness, ALLOW_ALL, TRUST};
    use crate::iam::IamErrorCode;

    #[tokio::test]
    async fn create_get_update_delete() {
        let h = Harness::new().await;
        let xml = h
            .ok(&[
                ("Action", "CreateRole"),
                ("RoleName", "Reader"),
                ("AssumeRolePolicyDocument", TRUST),
                ("Description", "reads"),
                ("MaxSessionDuration", "7200"),
                ("Tags.member.1.Key", "k"),
                ("Tags.member.1.Value", "v"),
            ])
            .await;
        assert!(xml.contains("<CreateRoleResult><Role><Path>/</Path><RoleName>Reader</RoleName><RoleId>AROA"), "{xml}");
        assert!(xml.contains("<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22"), "{xml}");
        assert!(xml.contains("<MaxSessionDuration>7200</MaxSessionDuration>") && xml.contains("<Key>k</Key>"));
        assert_eq!(
            h.err(&[("Action", "CreateRole"), ("RoleName", "reader"), ("AssumeRolePolicyDocument", TRUST)]).await,
            IamErrorCode::EntityAlreadyExists
        );
        assert_eq!(h.err(&[("Action", "CreateRole"), ("RoleName", "r2")]).await, IamErrorCode::ValidationError);
        assert_eq!(
            h.err(&[("Action", "CreateRole"), ("RoleName", "r2"), ("AssumeRolePolicyDocument", ALLOW_ALL)]).await,
            IamErrorCode::MalformedPolicyDocument,
            "a trust policy needs a Principal"
        );
        let bad = [("Action", "CreateRole"), ("RoleName", "r2"), ("AssumeRolePolicyDocument", TRUST), ("MaxSessionDuration", "60")];
        assert_eq!(h.err(&bad).await, IamErrorCode::ValidationError);

        let xml = h.ok(&[("Action", "GetRole"), ("RoleName", "reader")]).await;
        assert!(xml.contains("<Description>reads</Description>") && xml.contains("<RoleLastUsed></RoleLastUsed>"), "{xml}");
        assert_eq!(text(&xml, "Arn"), format!("arn:aws:iam::{}:role/Reader", h.root.account));
        let xml = h.ok(&[("Action", "ListRoles")]).await;
        assert!(xml.contains("<Roles><member><Path>/</Path><RoleName>Reader</RoleName>") && !xml.contains("RoleLastUsed"), "{xml}");

        h.ok(&[("Action", "UpdateRole"), ("RoleName", "Reader"), ("Description", "new"), ("MaxSessionDuration", "3600")]).await;
        let xml = h.ok(&[("Action", "UpdateRoleDescription"), ("RoleName", "Reader"), ("Description", "newer")]).await;
        assert!(xml.contains("<Description>newer</Description><MaxSessionDuration>3600</MaxSessionDuration>"), "{xml}");
        h.ok(&[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "Reader"), ("PolicyDocument", TRUST)]).await;

        h.ok(&[("Action", "PutRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "p"), ("PolicyDocument", ALLOW_ALL)]).await;
        assert_eq!(h.err(&[("Action", "DeleteRole"), ("RoleName", "Reader")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "DeleteRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "p")]).await;
        let arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
        h.ok(&[("Action", "AttachRolePolicy"), ("RoleName", "Reader"), ("PolicyArn", arn)]).await;
        assert_eq!(h.err(&[("Action", "DeleteRole"), ("RoleName", "Reader")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "DetachRolePolicy"), ("RoleName", "Reader"), ("PolicyArn", arn)]).await;
        h.ok(&[("Action", "DeleteRole"), ("RoleName", "Reader")]).await;
        assert_eq!(h.err(&[("Action", "GetRole"), ("RoleName", "Reader")]).await, IamErrorCode::NoSuchEntity);
    }

    #[tokio::test]
    async fn role_tags() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateRole"), ("RoleName", "r"), ("AssumeRolePolicyDocument", TRUST)]).await;
        h.ok(&[("Action", "TagRole"), ("RoleName", "r"), ("Tags.member.1.Key", "a"), ("Tags.member.1.Value", "1")]).await;
        h.ok(&[("Action", "TagRole"), ("RoleName", "r"), ("Tags.member.1.Key", "b"), ("Tags.member.1.Value", "2")]).await;
        h.ok(&[("Action", "UntagRole"), ("RoleName", "r"), ("TagKeys.member.1", "a")]).await;
        let xml = h.ok(&[("Action", "ListRoleTags"), ("RoleName", "r")]).await;
        assert!(xml.contains("<ListRoleTagsResult><Tags><member><Key>b</Key><Value>2</Value></member></Tags>"), "{xml}");
        let long = "x".repeat(129);
        assert_eq!(h.err(&[("Action", "TagRole"), ("RoleName", "r"), ("Tags.member.1.Key", &long)]).await, IamErrorCode::ValidationError);
        assert_eq!(h.err(&[("Action", "ListRoleTags"), ("RoleName", "nope")]).await, IamErrorCode::NoSuchEntity);
    }

    #[tokio::test]
    async fn attachment_limit() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateRole"), ("RoleName", "r"), ("AssumeRolePolicyDocument", TRUST)]).await;
        for i in 0..=crate::iam::model::MAX_ATTACHED {
            let name = format!("p{i}");
            let xml = h.ok(&[("Action", "CreatePolicy"), ("PolicyName", &name), ("PolicyDocument", ALLOW_ALL)]).await;
            let arn = text(&xml, "Arn").to_owned();
            let params = [("Action", "AttachRolePolicy"), ("RoleName", "r"), ("PolicyArn", arn.as_str())];
            if i < crate::iam::model::MAX_ATTACHED {
                h.ok(&params).await;
            } else {
                assert_eq!(h.err(&params).await, IamErrorCode::LimitExceeded);
            }
        }
        let xml = h.ok(&[("Action", "ListAttachedRolePolicies"), ("RoleName", "r"), ("MaxItems", "4")]).await;
        assert_eq!(xml.matches("<member>").count(), 4);
        assert!(xml.contains("<IsTruncated>true</IsTruncated><Marker>"), "{xml}");
    }
}
