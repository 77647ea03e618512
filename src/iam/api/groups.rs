//! IAM groups: CreateGroup, GetGroup (with its members), ListGroups, UpdateGroup,
//! DeleteGroup, AddUserToGroup, RemoveUserFromGroup and ListGroupsForUser.
//!
//! Membership is stored on the user (`User::groups`, lower-case group names): renaming a
//! group rewrites its members' lists, and DeleteGroup refuses while the group has
//! members or policies, so no user is left naming a group that is gone.

use std::collections::BTreeMap;

use super::entity::{arn_or_default, authorize_update, find, find_mut, list_all, refuse_while_policies, Entity};
use super::iam::{
    account, account_id, answer, arn, conflict, empty, insert_new, limit, name_param, now_ms, opt_name_param, opt_path_param, paginate,
    path_param, write_page, GROUPS_PER_USER,
};
use super::users::write_user;
use super::ApiRequest;
use crate::iam::model::{name_key, AccountData, Group, User};
use crate::iam::secrets::new_id;
use crate::iam::xml::{date, Xml};
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    Some(match action {
        "CreateGroup" => create_group(req).await,
        "GetGroup" => get_group(req),
        "ListGroups" => list_all::<Group>(req, write_group),
        "UpdateGroup" => update_group(req).await,
        "DeleteGroup" => delete_group(req).await,
        "AddUserToGroup" => add_user_to_group(req).await,
        "RemoveUserFromGroup" => remove_user_from_group(req).await,
        "ListGroupsForUser" => list_groups_for_user(req),
        _ => return None,
    })
}

impl Entity for Group {
    const TITLE: &'static str = "Group";
    const NOUN: &'static str = "group";
    /// Longest group name.
    const NAME_MAX: usize = 128;
    fn all(data: &AccountData) -> &BTreeMap<String, Self> {
        &data.groups
    }
    fn all_mut(data: &mut AccountData) -> &mut BTreeMap<String, Self> {
        &mut data.groups
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// The elements of a `Group` structure.
fn write_group(x: &mut Xml, account: &str, group: &Group) {
    x.leaf("Path", &group.path)
        .leaf("GroupName", &group.name)
        .leaf("GroupId", &group.id)
        .leaf("Arn", arn(account, "group", &group.path, &group.name))
        .leaf("CreateDate", date(group.created_ms));
}

async fn create_group(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "GroupName", Group::NAME_MAX)?;
    let path = path_param(req)?;
    let account = account_id(req)?;
    req.authorize("iam:CreateGroup", &arn(&account, "group", path, name))?;
    let group = Group {
        id: new_id("AGPA"),
        name: name.to_owned(),
        path: path.to_owned(),
        created_ms: now_ms(req),
        inline: BTreeMap::new(),
        attached: Vec::new(),
    };
    req.iam.mutate(&account, |data| insert_new(&mut data.groups, "Group", name, group.clone(), "GroupsPerAccount")).await?;
    let mut x = Xml::new();
    x.open("Group");
    write_group(&mut x, &account, &group);
    x.close("Group");
    Ok(answer(req, "CreateGroup", &x))
}

fn get_group(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "GroupName", Group::NAME_MAX)?;
    let data = account(req)?;
    req.authorize("iam:GetGroup", &arn_or_default::<Group>(&data, name))?;
    let group = find::<Group>(&data, name)?;
    let key = name_key(name);
    let members = data.users.iter().filter(|(_, u)| u.groups.contains(&key)).map(|(k, u)| (k.clone(), u));
    let page = paginate(req, members)?;
    let mut x = Xml::new();
    x.open("Group");
    write_group(&mut x, &data.account.id, group);
    x.close("Group");
    write_page(&mut x, "Users", &page, |x, user| write_user(x, &data.account.id, user, false));
    Ok(answer(req, "GetGroup", &x))
}

async fn update_group(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "GroupName", Group::NAME_MAX)?;
    let new_name = opt_name_param(req, "NewGroupName", Group::NAME_MAX)?;
    let new_path = opt_path_param(req, "NewPath")?;
    let data = account(req)?;
    authorize_update::<Group>(req, &data, name, new_name, new_path)?;
    req.iam
        .mutate(&data.account.id, |data| {
            let old_key = name_key(name);
            let mut group = data.groups.remove(&old_key).ok_or_else(|| IamError::no_such("group", name))?;
            if let Some(new_name) = new_name {
                let new_key = name_key(new_name);
                if new_key != old_key {
                    if data.groups.contains_key(&new_key) {
                        return Err(IamError::exists("Group", new_name));
                    }
                    // Members name the group by key: follow the rename.
                    for user in data.users.values_mut() {
                        for g in user.groups.iter_mut().filter(|g| **g == old_key) {
                            g.clone_from(&new_key);
                        }
                    }
                }
                new_name.clone_into(&mut group.name);
            }
            if let Some(path) = new_path {
                path.clone_into(&mut group.path);
            }
            data.groups.insert(name_key(&group.name), group);
            Ok(())
        })
        .await?;
    Ok(empty(req, "UpdateGroup"))
}

async fn delete_group(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "GroupName", Group::NAME_MAX)?;
    let data = account(req)?;
    req.authorize("iam:DeleteGroup", &arn_or_default::<Group>(&data, name))?;
    req.iam
        .mutate(&data.account.id, |data| {
            let key = name_key(name);
            let group = find::<Group>(data, name)?;
            if data.users.values().any(|u| u.groups.contains(&key)) {
                return Err(conflict("Cannot delete entity, must remove users from group first."));
            }
            refuse_while_policies(&group.inline, &group.attached)?;
            data.groups.remove(&key);
            Ok(())
        })
        .await?;
    Ok(empty(req, "DeleteGroup"))
}

/// Authorizes `action` (AddUserToGroup, RemoveUserFromGroup) on the group named by
/// `GroupName`, then applies `change` to the group list of the user named by
/// `UserName`, with the group's key and the two names as sent; NoSuchEntity when either
/// is missing.
async fn change_membership(
    req: &ApiRequest<'_>,
    action: &str,
    change: impl FnOnce(&mut Vec<String>, String, &str, &str) -> IamResult<()>,
) -> IamResult<String> {
    let group = name_param(req, "GroupName", Group::NAME_MAX)?;
    let user = name_param(req, "UserName", User::NAME_MAX)?;
    let data = account(req)?;
    req.authorize(&format!("iam:{action}"), &arn_or_default::<Group>(&data, group))?;
    req.iam
        .mutate(&data.account.id, |data| {
            find::<Group>(data, group)?;
            let key = name_key(group);
            change(&mut find_mut::<User>(data, user)?.groups, key, user, group)
        })
        .await?;
    Ok(empty(req, action))
}

async fn add_user_to_group(req: &ApiRequest<'_>) -> IamResult<String> {
    change_membership(req, "AddUserToGroup", |groups, key, _, _| {
        if !groups.contains(&key) {
            if groups.len() >= GROUPS_PER_USER {
                return Err(limit("GroupsPerUser", GROUPS_PER_USER));
            }
            groups.push(key);
        }
        Ok(())
    })
    .await
}

async fn remove_user_from_group(req: &ApiRequest<'_>) -> IamResult<String> {
    change_membership(req, "RemoveUserFromGroup", |groups, key, user, group| {
        let i = groups.iter().position(|g| *g == key).ok_or_else(|| {
            IamError::new(IamErrorCode::NoSuchEntity, format!("The user with name {user} is not a member of group {group}."))
        })?;
        groups.remove(i);
        Ok(())
    })
    .await
}

fn list_groups_for_user(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "UserName", User::NAME_MAX)?;
    let data = account(req)?;
    req.authorize("iam:ListGroupsForUser", &arn_or_default::<User>(&data, name))?;
    let user = find::<User>(&data, name)?;
    let mut groups: Vec<(String, &Group)> = user.groups.iter().filter_map(|k| data.groups.get(k).map(|g| (k.clone(), g))).collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let page = paginate(req, groups)?;
    let mut x = Xml::new();
    write_page(&mut x, "Groups", &page, |x, group| write_group(x, &data.account.id, group));
    Ok(answer(req, "ListGroupsForUser", &x))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness, ALLOW_ALL};
    use crate::iam::IamErrorCode;

    #[tokio::test]
    async fn groups_and_members() {
        let h = Harness::new().await;
        let xml = h.ok(&[("Action", "CreateGroup"), ("GroupName", "Admins"), ("Path", "/ops/")]).await;
        assert!(xml.contains("<CreateGroupResult><Group><Path>/ops/</Path><GroupName>Admins</GroupName><GroupId>AGPA"), "{xml}");
        assert_eq!(text(&xml, "Arn"), format!("arn:aws:iam::{}:group/ops/Admins", h.root.account));
        assert_eq!(h.err(&[("Action", "CreateGroup"), ("GroupName", "admins")]).await, IamErrorCode::EntityAlreadyExists);
        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        h.ok(&[("Action", "AddUserToGroup"), ("GroupName", "admins"), ("UserName", "u")]).await;
        h.ok(&[("Action", "AddUserToGroup"), ("GroupName", "admins"), ("UserName", "u")]).await;
        assert_eq!(h.err(&[("Action", "AddUserToGroup"), ("GroupName", "nope"), ("UserName", "u")]).await, IamErrorCode::NoSuchEntity);
        assert_eq!(h.err(&[("Action", "AddUserToGroup"), ("GroupName", "admins"), ("UserName", "nope")]).await, IamErrorCode::NoSuchEntity);

        let xml = h.ok(&[("Action", "GetGroup"), ("GroupName", "Admins")]).await;
        assert!(xml.contains("</Group><Users><member><Path>/</Path><UserName>u</UserName>"), "{xml}");
        assert_eq!(xml.matches("<UserName>").count(), 1);
        let xml = h.ok(&[("Action", "ListGroupsForUser"), ("UserName", "u")]).await;
        assert!(xml.contains("<Groups><member><Path>/ops/</Path><GroupName>Admins</GroupName>"), "{xml}");
        let xml = h.ok(&[("Action", "ListGroups"), ("PathPrefix", "/ops/")]).await;
        assert!(xml.contains("<GroupName>Admins</GroupName>"));

        // A member's policies come from its groups.
        h.ok(&[("Action", "PutGroupPolicy"), ("GroupName", "Admins"), ("PolicyName", "all"), ("PolicyDocument", ALLOW_ALL)]).await;
        let key = h.ok(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await;
        let u = h.principal_of_key(text(&key, "AccessKeyId"));
        h.call_as(&u, &[("Action", "ListUsers")]).await.unwrap();

        // Rename: the member follows.
        h.ok(&[("Action", "UpdateGroup"), ("GroupName", "admins"), ("NewGroupName", "Ops")]).await;
        let xml = h.ok(&[("Action", "ListGroupsForUser"), ("UserName", "u")]).await;
        assert!(xml.contains("<GroupName>Ops</GroupName>"), "{xml}");

        assert_eq!(h.err(&[("Action", "DeleteGroup"), ("GroupName", "ops")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "RemoveUserFromGroup"), ("GroupName", "ops"), ("UserName", "u")]).await;
        assert_eq!(h.err(&[("Action", "RemoveUserFromGroup"), ("GroupName", "ops"), ("UserName", "u")]).await, IamErrorCode::NoSuchEntity);
        assert_eq!(h.err(&[("Action", "DeleteGroup"), ("GroupName", "ops")]).await, IamErrorCode::DeleteConflict, "inline policy");
        h.ok(&[("Action", "DeleteGroupPolicy"), ("GroupName", "ops"), ("PolicyName", "all")]).await;
        h.ok(&[("Action", "DeleteGroup"), ("GroupName", "ops")]).await;
        assert_eq!(h.err(&[("Action", "GetGroup"), ("GroupName", "ops")]).await, IamErrorCode::NoSuchEntity);
    }

    #[tokio::test]
    async fn groups_per_user_limit() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        for i in 0..=super::GROUPS_PER_USER {
            let name = format!("g{i}");
            h.ok(&[("Action", "CreateGroup"), ("GroupName", &name)]).await;
            let params = [("Action", "AddUserToGroup"), ("GroupName", name.as_str()), ("UserName", "u")];
            if i < super::GROUPS_PER_USER {
                h.ok(&params).await;
            } else {
                assert_eq!(h.err(&params).await, IamErrorCode::LimitExceeded);
            }
        }
    }
}
