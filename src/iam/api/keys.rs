//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey and
//! GetAccessKeyLastUsed, of IAM users and of the account root.
//!
//! Without `UserName`, these act on the caller's own keys (a root caller's are the
//! account's root keys). The secret is returned by CreateAccessKey only: it is stored
//! sealed and no other answer carries it. The default account's configured root key is
//! listed but cannot be changed through the API (it lives in the configuration).

use std::sync::Arc;

use super::entity::{arn_or_default, find, find_mut};
use super::iam::{account, answer, empty, limit, opt_name_param, paginate, write_page};
use super::ApiRequest;
use crate::iam::model::{AccessKey, AccountData, User, MAX_ACCESS_KEYS};
use crate::iam::xml::{date, Xml};
use crate::iam::{IamError, IamErrorCode, IamResult, PrincipalKind};

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    Some(match action {
        "CreateAccessKey" => create_access_key(req).await,
        "ListAccessKeys" => list_access_keys(req),
        "UpdateAccessKey" => update_access_key(req).await,
        "DeleteAccessKey" => delete_access_key(req).await,
        "GetAccessKeyLastUsed" => access_key_last_used(req),
        _ => return None,
    })
}

/// Whose keys a request is about.
#[derive(Clone, Copy)]
enum Owner<'a> {
    /// The account root.
    Root,
    /// An IAM user (name as given).
    User(&'a str),
}

/// The owner named by `UserName`, or else the caller itself.
fn owner<'r>(req: &'r ApiRequest<'_>) -> IamResult<Owner<'r>> {
    if let Some(name) = opt_name_param(req, "UserName", 128)? {
        return Ok(Owner::User(name));
    }
    match &req.caller()?.kind {
        PrincipalKind::Root => Ok(Owner::Root),
        PrincipalKind::User { name } => Ok(Owner::User(name)),
        PrincipalKind::AssumedRole { .. } => {
            Err(IamError::new(IamErrorCode::ValidationError, "Must specify userName when calling with non-User credentials"))
        }
    }
}

fn owner_arn(data: &AccountData, owner: Owner<'_>) -> String {
    match owner {
        Owner::Root => data.root_arn(),
        Owner::User(name) => arn_or_default::<User>(data, name),
    }
}

/// The owner's keys and its stored name (`None` for the root).
fn owner_keys<'a>(data: &'a AccountData, owner: Owner<'_>) -> IamResult<(&'a [AccessKey], Option<&'a str>)> {
    match owner {
        Owner::Root => Ok((&data.account.root_keys, None)),
        Owner::User(name) => find::<User>(data, name).map(|u| (u.keys.as_slice(), Some(u.name.as_str()))),
    }
}

fn owner_keys_mut<'a>(data: &'a mut AccountData, owner: Owner<'_>) -> IamResult<&'a mut Vec<AccessKey>> {
    match owner {
        Owner::Root => Ok(&mut data.account.root_keys),
        Owner::User(name) => find_mut::<User>(data, name).map(|u| &mut u.keys),
    }
}

/// The configured root key of the server administrator, if `account` is its account.
fn configured_root_key(req: &ApiRequest<'_>, account: &AccountData) -> Option<String> {
    let dir = req.iam.directory();
    dir.keys.iter().find(|(_, e)| e.principal.admin && e.principal.account == account.account.id).map(|(id, _)| id.clone())
}

fn no_such_key(id: &str) -> IamError {
    IamError::new(IamErrorCode::NoSuchEntity, format!("The Access Key with id {id} cannot be found."))
}

fn status(active: bool) -> &'static str {
    if active {
        "Active"
    } else {
        "Inactive"
    }
}

async fn create_access_key(req: &ApiRequest<'_>) -> IamResult<String> {
    let owner = owner(req)?;
    let data = account(req)?;
    req.authorize("iam:CreateAccessKey", &owner_arn(&data, owner))?;
    let (key, secret) = req.iam.new_access_key(req.now);
    let user_name = req
        .iam
        .mutate(&data.account.id, |data| {
            let keys = owner_keys_mut(data, owner)?;
            if keys.len() >= MAX_ACCESS_KEYS {
                return Err(limit("AccessKeysPerUser", MAX_ACCESS_KEYS));
            }
            keys.push(key.clone());
            Ok(owner_keys(data, owner)?.1.map(str::to_owned))
        })
        .await?;
    let mut x = Xml::new();
    x.open("AccessKey")
        .opt("UserName", user_name)
        .leaf("AccessKeyId", &key.id)
        .leaf("Status", status(key.active))
        .leaf("SecretAccessKey", secret)
        .leaf("CreateDate", date(key.created_ms))
        .close("AccessKey");
    Ok(answer(req, "CreateAccessKey", &x))
}

fn list_access_keys(req: &ApiRequest<'_>) -> IamResult<String> {
    let owner = owner(req)?;
    let data = account(req)?;
    req.authorize("iam:ListAccessKeys", &owner_arn(&data, owner))?;
    let (keys, user_name) = owner_keys(&data, owner)?;
    let mut all: Vec<(String, bool, i64)> = keys.iter().map(|k| (k.id.clone(), k.active, k.created_ms)).collect();
    if matches!(owner, Owner::Root) {
        if let Some(id) = configured_root_key(req, &data) {
            all.push((id, true, data.account.created_ms));
        }
    }
    all.sort();
    let page = paginate(req, all.into_iter().map(|k| (k.0.clone(), k)))?;
    let mut x = Xml::new();
    write_page(&mut x, "AccessKeyMetadata", &page, |x, (id, active, created)| {
        x.opt("UserName", user_name).leaf("AccessKeyId", id).leaf("Status", status(*active)).leaf("CreateDate", date(*created));
    });
    Ok(answer(req, "ListAccessKeys", &x))
}

/// Refuses to change the configured root key, which only the configuration can.
fn refuse_configured(req: &ApiRequest<'_>, data: &AccountData, id: &str) -> IamResult<()> {
    if configured_root_key(req, data).as_deref() == Some(id) {
        return Err(IamError::new(
            IamErrorCode::InvalidInput,
            format!("Access key {id} is the server administrator's, set in coffer's configuration; change it there."),
        ));
    }
    Ok(())
}

async fn update_access_key(req: &ApiRequest<'_>) -> IamResult<String> {
    let id = req.required("AccessKeyId")?;
    let active = match req.required("Status")? {
        "Active" => true,
        "Inactive" => false,
        other => {
            return Err(IamError::new(
                IamErrorCode::ValidationError,
                format!("1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"),
            ))
        }
    };
    change_key(req, "UpdateAccessKey", id, |keys, i| keys[i].active = active).await
}

async fn delete_access_key(req: &ApiRequest<'_>) -> IamResult<String> {
    let id = req.required("AccessKeyId")?;
    change_key(req, "DeleteAccessKey", id, |keys, i| {
        keys.remove(i);
    })
    .await
}

/// Authorizes `action` (UpdateAccessKey, DeleteAccessKey) on the owner's keys, refuses
/// the configured root key, then applies `change` to the owner's keys at the index of
/// key `id` (NoSuchEntity when the owner has no such key).
async fn change_key(req: &ApiRequest<'_>, action: &str, id: &str, change: impl FnOnce(&mut Vec<AccessKey>, usize)) -> IamResult<String> {
    let owner = owner(req)?;
    let data = account(req)?;
    req.authorize(&format!("iam:{action}"), &owner_arn(&data, owner))?;
    refuse_configured(req, &data, id)?;
    req.iam
        .mutate(&data.account.id, |data| {
            let keys = owner_keys_mut(data, owner)?;
            let i = keys.iter().position(|k| k.id == id).ok_or_else(|| no_such_key(id))?;
            change(keys, i);
            Ok(())
        })
        .await?;
    Ok(empty(req, action))
}

fn access_key_last_used(req: &ApiRequest<'_>) -> IamResult<String> {
    let id = req.required("AccessKeyId")?;
    let caller = Arc::clone(req.caller()?);
    let data = account(req)?;
    // Only keys of the caller's own account; any other is refused as if forbidden, so
    // that no one learns whether a key exists elsewhere.
    let owner = match data.access_keys().find(|(_, k)| k.id == id) {
        Some((user, _)) => user.and_then(|u| data.users.get(u)),
        None if configured_root_key(req, &data).as_deref() == Some(id) => None,
        None => return Err(IamError::denied(&caller.arn, "iam:GetAccessKeyLastUsed", &format!("access key {id}"))),
    };
    let resource = owner.map_or_else(|| data.root_arn(), |u| data.user_arn(u));
    req.authorize("iam:GetAccessKeyLastUsed", &resource)?;
    let mut x = Xml::new();
    x.opt("UserName", owner.map(|u| u.name.as_str())).open("AccessKeyLastUsed");
    match req.iam.last_used(id) {
        Some(used) => x.leaf("LastUsedDate", date(used.ms)).leaf("ServiceName", used.service).leaf("Region", req.region),
        None => x.leaf("ServiceName", "N/A").leaf("Region", "N/A"),
    };
    x.close("AccessKeyLastUsed");
    Ok(answer(req, "GetAccessKeyLastUsed", &x))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness, ALLOW_ALL};
    use crate::iam::IamErrorCode;

    #[tokio::test]
    async fn secrets_only_on_create_and_limits() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        let xml = h.ok(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await;
        assert!(xml.contains("<CreateAccessKeyResult><AccessKey><UserName>u</UserName><AccessKeyId>AKIA"), "{xml}");
        assert_eq!(text(&xml, "SecretAccessKey").len(), 40);
        assert_eq!(text(&xml, "Status"), "Active");
        let id = text(&xml, "AccessKeyId").to_owned();
        h.ok(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await;
        assert_eq!(h.err(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await, IamErrorCode::LimitExceeded);
        assert_eq!(h.err(&[("Action", "CreateAccessKey"), ("UserName", "nobody")]).await, IamErrorCode::NoSuchEntity);

        let list = h.ok(&[("Action", "ListAccessKeys"), ("UserName", "u")]).await;
        assert!(list.contains("<AccessKeyMetadata><member><UserName>u</UserName><AccessKeyId>"), "{list}");
        assert!(!list.contains("Secret"), "{list}");
        assert_eq!(list.matches("<member>").count(), 2);

        h.ok(&[("Action", "UpdateAccessKey"), ("UserName", "u"), ("AccessKeyId", &id), ("Status", "Inactive")]).await;
        assert!(!h.iam.directory().keys.contains_key(&id), "an inactive key does not authenticate");
        let list = h.ok(&[("Action", "ListAccessKeys"), ("UserName", "u")]).await;
        assert!(list.contains("<Status>Inactive</Status>"));
        assert_eq!(
            h.err(&[("Action", "UpdateAccessKey"), ("UserName", "u"), ("AccessKeyId", &id), ("Status", "Off")]).await,
            IamErrorCode::ValidationError
        );
        h.ok(&[("Action", "DeleteAccessKey"), ("UserName", "u"), ("AccessKeyId", &id)]).await;
        assert_eq!(h.err(&[("Action", "DeleteAccessKey"), ("UserName", "u"), ("AccessKeyId", &id)]).await, IamErrorCode::NoSuchEntity);
    }

    #[tokio::test]
    async fn own_keys_root_keys_and_last_used() {
        let h = Harness::new().await;
        // A root caller without UserName gets a root key.
        let xml = h.ok(&[("Action", "CreateAccessKey")]).await;
        assert!(!xml.contains("<UserName>"));
        let root_key = text(&xml, "AccessKeyId").to_owned();
        assert_eq!(h.principal_of_key(&root_key).arn, format!("arn:aws:iam::{}:root", h.root.account));
        let list = h.ok(&[("Action", "ListAccessKeys")]).await;
        assert!(list.contains(&root_key) && list.contains("<AccessKeyId>root</AccessKeyId>"), "{list}");
        assert_eq!(h.err(&[("Action", "DeleteAccessKey"), ("AccessKeyId", "root")]).await, IamErrorCode::InvalidInput);

        // A user caller without UserName acts on its own keys.
        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        h.ok(&[("Action", "PutUserPolicy"), ("UserName", "u"), ("PolicyName", "all"), ("PolicyDocument", ALLOW_ALL)]).await;
        let xml = h.ok(&[("Action", "CreateAccessKey"), ("UserName", "u")]).await;
        let u = h.principal_of_key(text(&xml, "AccessKeyId"));
        let own = h.call_as(&u, &[("Action", "CreateAccessKey")]).await.unwrap();
        assert_eq!(text(&own, "UserName"), "u");
        let list = h.call_as(&u, &[("Action", "ListAccessKeys")]).await.unwrap();
        assert_eq!(list.matches("<member>").count(), 2);

        let id = text(&xml, "AccessKeyId").to_owned();
        let xml = h.ok(&[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)]).await;
        assert!(
            xml.contains("<UserName>u</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed>"),
            "{xml}"
        );
        let principal = h.iam.directory().keys.get(&id).expect("the key is active").principal.clone();
        crate::iam::Iam::record_use(&principal, "s3", std::time::SystemTime::now());
        // A change elsewhere in the account keeps the record, and it survives a save and
        // a reload.
        h.ok(&[("Action", "CreateUser"), ("UserName", "other")]).await;
        h.iam.save_key_use().expect("saved");
        let xml = h.ok(&[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)]).await;
        assert!(xml.contains("<ServiceName>s3</ServiceName><Region>us-east-1</Region>") && xml.contains("<LastUsedDate>"), "{xml}");
        assert_eq!(h.err(&[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", "AKIANOTAKEYATALL0000")]).await, IamErrorCode::AccessDenied);
    }
}
