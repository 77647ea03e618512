//! IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser and user tags
//! (TagUser, UntagUser, ListUserTags).
//!
//! A user's group memberships, keys and policies live in its own record, so renaming it
//! moves all of them along; DeleteUser refuses (DeleteConflict) while any remain, so
//! nothing can be left pointing at a deleted user.

use std::collections::BTreeMap;

use super::entity::{arn_or_default, authorize_update, find, list_all, refuse_while_policies, Entity};
use super::iam::{
    account, account_id, answer, arn, conflict, empty, insert_new, name_param, now_ms, opt_name_param, opt_path_param, path_param,
    refuse_boundary,
};
use super::tags::{list_tags, tag, tags_param, untag, write_tags, Tagged};
use super::ApiRequest;
use crate::iam::model::{name_key, AccountData, Tag, User};
use crate::iam::secrets::new_id;
use crate::iam::xml::{date, Xml};
use crate::iam::{IamError, IamErrorCode, IamResult, PrincipalKind};

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    Some(match action {
        "CreateUser" => create_user(req).await,
        "GetUser" => get_user(req),
        "ListUsers" => list_all::<User>(req, |x, account, u| write_user(x, account, u, false)),
        "UpdateUser" => update_user(req).await,
        "DeleteUser" => delete_user(req).await,
        "TagUser" => tag::<User>(req).await,
        "UntagUser" => untag::<User>(req).await,
        "ListUserTags" => list_tags::<User>(req),
        _ => return None,
    })
}

impl Entity for User {
    const TITLE: &'static str = "User";
    const NOUN: &'static str = "user";
    /// Longest user name.
    const NAME_MAX: usize = 64;
    fn all(data: &AccountData) -> &BTreeMap<String, Self> {
        &data.users
    }
    fn all_mut(data: &mut AccountData) -> &mut BTreeMap<String, Self> {
        &mut data.users
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
}

impl Tagged for User {
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
}

/// The elements of a `User` structure.
pub(super) fn write_user(x: &mut Xml, account: &str, user: &User, with_tags: bool) {
    x.leaf("Path", &user.path)
        .leaf("UserName", &user.name)
        .leaf("UserId", &user.id)
        .leaf("Arn", arn(account, "user", &user.path, &user.name))
        .leaf("CreateDate", date(user.created_ms));
    if with_tags {
        write_tags(x, &user.tags);
    }
}

async fn create_user(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "UserName", User::NAME_MAX)?;
    let path = path_param(req)?;
    let tags = tags_param(req)?;
    refuse_boundary(req)?;
    let account = account_id(req)?;
    req.authorize("iam:CreateUser", &arn(&account, "user", path, name))?;
    let user = User {
        id: new_id("AIDA"),
        name: name.to_owned(),
        path: path.to_owned(),
        created_ms: now_ms(req),
        keys: Vec::new(),
        inline: BTreeMap::new(),
        attached: Vec::new(),
        tags,
        groups: Vec::new(),
    };
    req.iam.mutate(&account, |data| insert_new(&mut data.users, "User", name, user.clone(), "UsersPerAccount")).await?;
    let mut x = Xml::new();
    x.open("User");
    write_user(&mut x, &account, &user, true);
    x.close("User");
    Ok(answer(req, "CreateUser", &x))
}

fn get_user(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = opt_name_param(req, "UserName", User::NAME_MAX)?;
    let caller = req.caller()?;
    let data = account(req)?;
    let name = match (name, &caller.kind) {
        (Some(n), _) => n,
        (None, PrincipalKind::User { name }) => name.as_str(),
        (None, PrincipalKind::Root) => {
            // The root user, as IAM answers it: no name or path, the account id as id.
            let root_arn = data.root_arn();
            req.authorize("iam:GetUser", &root_arn)?;
            let mut x = Xml::new();
            x.open("User")
                .leaf("UserId", &data.account.id)
                .leaf("Arn", root_arn)
                .leaf("CreateDate", date(data.account.created_ms))
                .close("User");
            return Ok(answer(req, "GetUser", &x));
        }
        (None, PrincipalKind::AssumedRole { .. }) => {
            return Err(IamError::new(IamErrorCode::ValidationError, "Must specify userName when calling with non-User credentials"));
        }
    };
    req.authorize("iam:GetUser", &arn_or_default::<User>(&data, name))?;
    let user = find::<User>(&data, name)?;
    let mut x = Xml::new();
    x.open("User");
    write_user(&mut x, &data.account.id, user, true);
    x.close("User");
    Ok(answer(req, "GetUser", &x))
}

async fn update_user(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "UserName", User::NAME_MAX)?;
    let new_name = opt_name_param(req, "NewUserName", User::NAME_MAX)?;
    let new_path = opt_path_param(req, "NewPath")?;
    let data = account(req)?;
    authorize_update::<User>(req, &data, name, new_name, new_path)?;
    req.iam
        .mutate(&data.account.id, |data| {
            let mut user = data.users.remove(&name_key(name)).ok_or_else(|| IamError::no_such("user", name))?;
            if let Some(new_name) = new_name {
                if name_key(new_name) != name_key(name) && data.users.contains_key(&name_key(new_name)) {
                    return Err(IamError::exists("User", new_name));
                }
                new_name.clone_into(&mut user.name);
            }
            if let Some(path) = new_path {
                path.clone_into(&mut user.path);
            }
            // Group memberships are kept in the user's record: they move with it.
            data.users.insert(name_key(&user.name), user);
            Ok(())
        })
        .await?;
    Ok(empty(req, "UpdateUser"))
}

async fn delete_user(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = name_param(req, "UserName", User::NAME_MAX)?;
    let data = account(req)?;
    req.authorize("iam:DeleteUser", &arn_or_default::<User>(&data, name))?;
    req.iam
        .mutate(&data.account.id, |data| {
            let user = find::<User>(data, name)?;
            if !user.keys.is_empty() {
                return Err(conflict("Cannot delete entity, must delete access keys first."));
            }
            refuse_while_policies(&user.inline, &user.attached)?;
            if !user.groups.is_empty() {
                return Err(conflict("Cannot delete entity, must remove user from all groups first."));
            }
            if data.login_profiles.contains_key(&user.id) {
                return Err(conflict("Cannot delete entity, must delete login profile first."));
            }
            data.users.remove(&name_key(name));
            Ok(())
        })
        .await?;
    Ok(empty(req, "DeleteUser"))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness, ALLOW_ALL};
    use crate::iam::IamErrorCode;

    #[tokio::test]
    async fn create_get_list_delete() {
        let h = Harness::new().await;
        let xml = h
            .ok(&[
                ("Action", "CreateUser"),
                ("UserName", "Alice"),
                ("Path", "/eng/"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "db"),
            ])
            .await;
        assert!(xml.contains("<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateUserResult><User><Path>/eng/</Path><UserName>Alice</UserName><UserId>AIDA"), "{xml}");
        assert!(xml.contains("<Tags><member><Key>team</Key><Value>db</Value></member></Tags>"), "{xml}");
        let account = &h.root.account;
        assert_eq!(text(&xml, "Arn"), format!("arn:aws:iam::{account}:user/eng/Alice"));
        assert_eq!(h.err(&[("Action", "CreateUser"), ("UserName", "ALICE")]).await, IamErrorCode::EntityAlreadyExists);
        assert_eq!(h.err(&[("Action", "CreateUser"), ("UserName", "bad name")]).await, IamErrorCode::ValidationError);
        assert_eq!(h.err(&[("Action", "CreateUser"), ("UserName", "b"), ("Path", "nope")]).await, IamErrorCode::ValidationError);

        let xml = h.ok(&[("Action", "GetUser"), ("UserName", "alice")]).await;
        assert_eq!(text(&xml, "UserName"), "Alice");
        assert_eq!(h.err(&[("Action", "GetUser"), ("UserName", "bob")]).await, IamErrorCode::NoSuchEntity);
        let xml = h.ok(&[("Action", "GetUser")]).await;
        assert_eq!(text(&xml, "Arn"), format!("arn:aws:iam::{account}:root"));
        assert!(!xml.contains("<UserName>"));

        h.ok(&[("Action", "CreateUser"), ("UserName", "bob")]).await;
        let xml = h.ok(&[("Action", "ListUsers")]).await;
        assert!(xml.contains("<Users><member><Path>/eng/</Path><UserName>Alice</UserName>"), "{xml}");
        assert!(xml.contains("<UserName>bob</UserName>") && xml.contains("<IsTruncated>false</IsTruncated>"));
        let xml = h.ok(&[("Action", "ListUsers"), ("PathPrefix", "/eng")]).await;
        assert!(!xml.contains("bob"));
        let first = h.ok(&[("Action", "ListUsers"), ("MaxItems", "1")]).await;
        assert!(first.contains("<IsTruncated>true</IsTruncated>"));
        let marker = text(&first, "Marker").to_owned();
        let second = h.ok(&[("Action", "ListUsers"), ("MaxItems", "1"), ("Marker", &marker)]).await;
        assert!(second.contains("<UserName>bob</UserName>") && second.contains("<IsTruncated>false</IsTruncated>"), "{second}");

        let xml = h.ok(&[("Action", "DeleteUser"), ("UserName", "bob")]).await;
        assert!(xml.contains("<DeleteUserResponse") && !xml.contains("DeleteUserResult"));
        assert_eq!(h.err(&[("Action", "DeleteUser"), ("UserName", "bob")]).await, IamErrorCode::NoSuchEntity);
    }

    #[tokio::test]
    async fn rename_keeps_memberships_and_delete_conflicts() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "a")]).await;
        h.ok(&[("Action", "CreateGroup"), ("GroupName", "g")]).await;
        h.ok(&[("Action", "AddUserToGroup"), ("GroupName", "g"), ("UserName", "a")]).await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "c")]).await;
        assert_eq!(h.err(&[("Action", "UpdateUser"), ("UserName", "a"), ("NewUserName", "C")]).await, IamErrorCode::EntityAlreadyExists);
        h.ok(&[("Action", "UpdateUser"), ("UserName", "a"), ("NewUserName", "b"), ("NewPath", "/x/")]).await;
        assert_eq!(h.err(&[("Action", "GetUser"), ("UserName", "a")]).await, IamErrorCode::NoSuchEntity);
        let xml = h.ok(&[("Action", "GetGroup"), ("GroupName", "g")]).await;
        assert!(xml.contains("<UserName>b</UserName>") && xml.contains("<Path>/x/</Path>"), "{xml}");

        assert_eq!(h.err(&[("Action", "DeleteUser"), ("UserName", "b")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "RemoveUserFromGroup"), ("GroupName", "g"), ("UserName", "b")]).await;
        h.ok(&[("Action", "PutUserPolicy"), ("UserName", "b"), ("PolicyName", "p"), ("PolicyDocument", ALLOW_ALL)]).await;
        assert_eq!(h.err(&[("Action", "DeleteUser"), ("UserName", "b")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "DeleteUserPolicy"), ("UserName", "b"), ("PolicyName", "p")]).await;
        let key = h.ok(&[("Action", "CreateAccessKey"), ("UserName", "b")]).await;
        assert_eq!(h.err(&[("Action", "DeleteUser"), ("UserName", "b")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "DeleteAccessKey"), ("UserName", "b"), ("AccessKeyId", text(&key, "AccessKeyId"))]).await;
        h.ok(&[("Action", "DeleteUser"), ("UserName", "b")]).await;
    }

    #[tokio::test]
    async fn tags_and_authorization() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        h.ok(&[("Action", "TagUser"), ("UserName", "u"), ("Tags.member.1.Key", "a"), ("Tags.member.1.Value", "1")]).await;
        h.ok(&[("Action", "TagUser"), ("UserName", "u"), ("Tags.member.1.Key", "b"), ("Tags.member.1.Value", "2")]).await;
        h.ok(&[("Action", "UntagUser"), ("UserName", "u"), ("TagKeys.member.1", "A")]).await;
        let xml = h.ok(&[("Action", "ListUserTags"), ("UserName", "u")]).await;
        assert!(xml.contains("<Tags><member><Key>b</Key><Value>2</Value></member></Tags><IsTruncated>false</IsTruncated>"), "{xml}");

        // A user with no policy may do nothing, not even learn whether a user exists.
        let key = h.ok(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await;
        let u = h.principal_of_key(text(&key, "AccessKeyId"));
        let e = h.call_as(&u, &[("Action", "GetUser"), ("UserName", "nobody")]).await.unwrap_err();
        assert_eq!(e.code, IamErrorCode::AccessDenied);
        assert!(e.message.contains("iam:GetUser"), "{}", e.message);
        let e = h.call_as(&u, &[("Action", "ListUsers")]).await.unwrap_err();
        assert_eq!(e.code, IamErrorCode::AccessDenied);
    }
}
