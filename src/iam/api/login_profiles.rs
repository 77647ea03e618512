//! Console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile and
//! DeleteLoginProfile. A login profile lets an IAM user sign in to the web console
//! (`console`) with its user name and password; it is kept in the account record by
//! user id, as an Argon2id hash (`iam::password`). Without `UserName`, these act on the
//! calling IAM user itself.

use super::entity::{arn_or_default, find};
use super::iam::{account, answer, bool_param, empty, opt_name_param};
use super::ApiRequest;
use crate::iam::model::{LoginProfile, User};
use crate::iam::password;
use crate::iam::xml::{date, Xml};
use crate::iam::{IamError, IamErrorCode, IamResult, PrincipalKind};

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    Some(match action {
        "CreateLoginProfile" => create(req).await,
        "GetLoginProfile" => get(req),
        "UpdateLoginProfile" => update(req).await,
        "DeleteLoginProfile" => delete(req).await,
        _ => return None,
    })
}

/// The user named by `UserName`, or else the calling IAM user.
fn user_name<'r>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    if let Some(name) = opt_name_param(req, "UserName", 64)? {
        return Ok(name);
    }
    match &req.caller()?.kind {
        PrincipalKind::User { name } => Ok(name),
        _ => Err(IamError::new(IamErrorCode::ValidationError, "Must specify userName when calling with non-User credentials")),
    }
}

fn no_profile(name: &str) -> IamError {
    IamError::new(IamErrorCode::NoSuchEntity, format!("Login Profile for User {name} cannot be found."))
}

fn write_profile(x: &mut Xml, user: &str, profile: &LoginProfile) {
    x.open("LoginProfile")
        .leaf("UserName", user)
        .leaf("CreateDate", date(profile.created_ms))
        .leaf("PasswordResetRequired", if profile.reset_required { "true" } else { "false" })
        .close("LoginProfile");
}

/// The `Password` parameter, checked against the password policy and hashed.
async fn hashed_password(req: &ApiRequest<'_>, required: bool) -> IamResult<Option<String>> {
    let password = match req.param("Password") {
        Some(p) => p.to_owned(),
        None if required => {
            return Err(IamError::new(
                IamErrorCode::ValidationError,
                "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null",
            ))
        }
        None => return Ok(None),
    };
    password::check_policy(&password)?;
    Ok(Some(password::run_slow(move || password::hash(&password)).await))
}

async fn create(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = user_name(req)?;
    let data = account(req)?;
    req.authorize("iam:CreateLoginProfile", &arn_or_default::<User>(&data, name))?;
    find::<User>(&data, name)?;
    let reset_required = bool_param(req, "PasswordResetRequired")?;
    let hash = hashed_password(req, true).await?.expect("required");
    let created_ms = super::iam::now_ms(req);
    let (user, profile) = req
        .iam
        .mutate(&data.account.id, |data| {
            let user = find::<User>(data, name)?;
            let (id, user) = (user.id.clone(), user.name.clone());
            if data.login_profiles.contains_key(&id) {
                return Err(IamError::new(IamErrorCode::EntityAlreadyExists, format!("Login Profile for user {user} already exists.")));
            }
            let profile = LoginProfile { password_hash: hash, created_ms, reset_required };
            data.login_profiles.insert(id, profile.clone());
            Ok((user, profile))
        })
        .await?;
    let mut x = Xml::new();
    write_profile(&mut x, &user, &profile);
    Ok(answer(req, "CreateLoginProfile", &x))
}

fn get(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = user_name(req)?;
    let data = account(req)?;
    req.authorize("iam:GetLoginProfile", &arn_or_default::<User>(&data, name))?;
    let user = find::<User>(&data, name)?;
    let profile = data.login_profiles.get(&user.id).ok_or_else(|| no_profile(&user.name))?;
    let mut x = Xml::new();
    write_profile(&mut x, &user.name, profile);
    Ok(answer(req, "GetLoginProfile", &x))
}

async fn update(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = user_name(req)?;
    let data = account(req)?;
    req.authorize("iam:UpdateLoginProfile", &arn_or_default::<User>(&data, name))?;
    let user = find::<User>(&data, name)?;
    if !data.login_profiles.contains_key(&user.id) {
        return Err(no_profile(&user.name));
    }
    let reset = req.param("PasswordResetRequired").map(|_| bool_param(req, "PasswordResetRequired")).transpose()?;
    let hash = hashed_password(req, false).await?;
    req.iam
        .mutate(&data.account.id, |data| {
            let user = find::<User>(data, name)?;
            let (id, user_name) = (user.id.clone(), user.name.clone());
            let profile = data.login_profiles.get_mut(&id).ok_or_else(|| no_profile(&user_name))?;
            if let Some(hash) = hash {
                profile.password_hash = hash;
            }
            if let Some(reset) = reset {
                profile.reset_required = reset;
            }
            Ok(())
        })
        .await?;
    Ok(empty(req, "UpdateLoginProfile"))
}

async fn delete(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = user_name(req)?;
    let data = account(req)?;
    req.authorize("iam:DeleteLoginProfile", &arn_or_default::<User>(&data, name))?;
    req.iam
        .mutate(&data.account.id, |data| {
            let user = find::<User>(data, name)?;
            let (id, user_name) = (user.id.clone(), user.name.clone());
            data.login_profiles.remove(&id).ok_or_else(|| no_profile(&user_name)).map(drop)
        })
        .await?;
    Ok(empty(req, "DeleteLoginProfile"))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness};
    use crate::iam::IamErrorCode;

    #[tokio::test]
    async fn create_get_update_delete() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "Alice")]).await;
        let create = [("Action", "CreateLoginProfile"), ("UserName", "alice"), ("Password", "short")];
        assert_eq!(h.err(&create).await, IamErrorCode::PasswordPolicyViolation);
        assert_eq!(h.err(&[("Action", "GetLoginProfile"), ("UserName", "alice")]).await, IamErrorCode::NoSuchEntity);
        let xml = h
            .ok(&[("Action", "CreateLoginProfile"), ("UserName", "alice"), ("Password", "long enough!"), ("PasswordResetRequired", "true")])
            .await;
        assert_eq!(text(&xml, "UserName"), "Alice");
        assert_eq!(text(&xml, "PasswordResetRequired"), "true");
        assert!(!xml.contains("long enough") && !xml.contains("argon2"), "{xml}");
        let again = [("Action", "CreateLoginProfile"), ("UserName", "alice"), ("Password", "another one")];
        assert_eq!(h.err(&again).await, IamErrorCode::EntityAlreadyExists);
        let hash = || {
            let dir = h.iam.directory();
            let account = &dir.accounts[&dir.default_account];
            account.login_profiles.values().next().map(|p| (p.password_hash.clone(), p.reset_required))
        };
        let (first, reset) = hash().expect("stored");
        assert!(reset && crate::iam::password::verify(&first, "long enough!"));
        assert_eq!(h.err(&[("Action", "DeleteUser"), ("UserName", "alice")]).await, IamErrorCode::DeleteConflict);
        h.ok(&[("Action", "UpdateLoginProfile"), ("UserName", "alice"), ("PasswordResetRequired", "false")]).await;
        assert_eq!(hash().expect("kept"), (first.clone(), false));
        h.ok(&[("Action", "UpdateLoginProfile"), ("UserName", "alice"), ("Password", "a new password")]).await;
        let (second, _) = hash().expect("kept");
        assert!(crate::iam::password::verify(&second, "a new password") && !crate::iam::password::verify(&second, "long enough!"));
        let xml = h.ok(&[("Action", "GetLoginProfile"), ("UserName", "alice")]).await;
        assert_eq!(text(&xml, "PasswordResetRequired"), "false");
        h.ok(&[("Action", "DeleteLoginProfile"), ("UserName", "alice")]).await;
        assert_eq!(h.err(&[("Action", "DeleteLoginProfile"), ("UserName", "alice")]).await, IamErrorCode::NoSuchEntity);
        h.ok(&[("Action", "DeleteUser"), ("UserName", "alice")]).await;
        assert_eq!(h.err(&[("Action", "GetLoginProfile"), ("UserName", "nobody")]).await, IamErrorCode::NoSuchEntity);
    }
}
