//! What IAM users, groups and roles share: finding one by name, its ARN (its own, or the
//! one it would have, so that a caller is authorized before learning whether it exists),
//! List{Users,Groups,Roles}, the authorization of a rename, the DeleteConflict of an
//! entity that still has policies, and [`Holder`], the three as one kind for the
//! per-entity policy actions (`{verb}{User|Group|Role}{Policy|Policies}`) of `inline`
//! and `attached`.
//!
//! [`Entity`] is implemented next to each family's handlers (`users`, `groups`,
//! `roles`). Model types and the API's common helpers only: never the store or HTTP.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::iam::{account, answer, arn, conflict, name_param, paginate, path_prefix, write_page};
use super::ApiRequest;
use crate::iam::model::{name_key, AccountData, Group, Role, User};
use crate::iam::xml::Xml;
use crate::iam::{IamError, IamResult};

/// A kind of named IAM entity, stored in [`AccountData`] by [`name_key`] of its name.
pub(super) trait Entity: Sized {
    /// `User`, `Group` or `Role`, as action and parameter names spell it.
    const TITLE: &'static str;
    /// `user`, `group` or `role`, as ARNs and error messages spell it.
    const NOUN: &'static str;
    /// Longest name.
    const NAME_MAX: usize;
    /// The account's entities of this kind.
    fn all(data: &AccountData) -> &BTreeMap<String, Self>;
    /// The account's entities of this kind, mutable.
    fn all_mut(data: &mut AccountData) -> &mut BTreeMap<String, Self>;
    /// Its name, as spelt when created or renamed.
    fn name(&self) -> &str;
    /// Its path.
    fn path(&self) -> &str;
}

/// The required name parameter of `E` (`UserName`, `GroupName`, `RoleName`), validated.
pub(super) fn entity_name<'r, E: Entity>(req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
    name_param(req, &format!("{}Name", E::TITLE), E::NAME_MAX)
}

/// The `E` named `name` (ignoring case), or NoSuchEntity.
pub(super) fn find<'a, E: Entity>(data: &'a AccountData, name: &str) -> IamResult<&'a E> {
    E::all(data).get(&name_key(name)).ok_or_else(|| IamError::no_such(E::NOUN, name))
}

/// The `E` named `name`, mutable, or NoSuchEntity.
pub(super) fn find_mut<'a, E: Entity>(data: &'a mut AccountData, name: &str) -> IamResult<&'a mut E> {
    E::all_mut(data).get_mut(&name_key(name)).ok_or_else(|| IamError::no_such(E::NOUN, name))
}

/// The ARN of the `E` named `name`: its own when it exists, else the one it would have
/// at path `/` (to authorize before telling whether it exists).
pub(super) fn arn_or_default<E: Entity>(data: &AccountData, name: &str) -> String {
    let (path, name) = E::all(data).get(&name_key(name)).map_or(("/", name), |e| (e.path(), e.name()));
    arn(&data.account.id, E::NOUN, path, name)
}

/// List{Users,Groups,Roles}: the `E`s whose path starts with `PathPrefix`, each written
/// by `write` (given the account id).
pub(super) fn list_all<E: Entity>(req: &ApiRequest<'_>, write: impl Fn(&mut Xml, &str, &E)) -> IamResult<String> {
    let prefix = path_prefix(req)?;
    let data = account(req)?;
    let action = format!("List{}s", E::TITLE);
    req.authorize(&format!("iam:{action}"), &arn(&data.account.id, E::NOUN, prefix, ""))?;
    let page = paginate(req, E::all(&data).iter().filter(|(_, e)| e.path().starts_with(prefix)).map(|(k, e)| (k.clone(), e)))?;
    let mut x = Xml::new();
    write_page(&mut x, &format!("{}s", E::TITLE), &page, |x, e| write(x, &data.account.id, e));
    Ok(answer(req, &action, &x))
}

/// Authorizes `iam:Update{User|Group}` on the `E` named `name`, and also on the ARN it
/// would get when the new name or path changes it (a rename must be allowed on both).
pub(super) fn authorize_update<E: Entity>(
    req: &ApiRequest<'_>,
    data: &AccountData,
    name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> IamResult<()> {
    let action = format!("iam:Update{}", E::TITLE);
    let current = arn_or_default::<E>(data, name);
    req.authorize(&action, &current)?;
    if let Some(entity) = E::all(data).get(&name_key(name)) {
        let renamed = arn(&data.account.id, E::NOUN, new_path.unwrap_or(entity.path()), new_name.unwrap_or(entity.name()));
        if renamed != current {
            req.authorize(&action, &renamed)?;
        }
    }
    Ok(())
}

/// DeleteConflict while an entity still has inline policies or attached ones.
pub(super) fn refuse_while_policies(inline: &BTreeMap<String, String>, attached: &[String]) -> IamResult<()> {
    if !inline.is_empty() {
        return Err(conflict("Cannot delete entity, must delete policies first."));
    }
    if !attached.is_empty() {
        return Err(conflict("Cannot delete entity, must detach all policies first."));
    }
    Ok(())
}

/// The kind of entity holding inline policies and attachments, known at run time from
/// the action's name.
#[derive(Clone, Copy)]
pub(super) enum Holder {
    User,
    Group,
    Role,
}

/// An entity's inline policies and attachments, mutable.
pub(super) type SlotsMut<'a> = (&'a mut BTreeMap<String, String>, &'a mut Vec<String>);

/// An entity's stored name, inline policies and attachments.
pub(super) type Slots<'a> = (&'a str, &'a BTreeMap<String, String>, &'a [String]);

impl Holder {
    /// The per-entity policy action `action`, if it is `{verb}{User|Group|Role}{end}` for
    /// one of `verbs` (`("Put", "Policy")`...): its verb and entity kind.
    pub(super) fn parse_action(action: &str, verbs: &[(&'static str, &str)]) -> Option<(&'static str, Self)> {
        [Self::User, Self::Group, Self::Role]
            .into_iter()
            .find_map(|h| verbs.iter().find(|(verb, end)| action == format!("{verb}{}{end}", h.title())).map(|(verb, _)| (*verb, h)))
    }

    /// `User`, `Group` or `Role`.
    pub(super) fn title(self) -> &'static str {
        match self {
            Self::User => User::TITLE,
            Self::Group => Group::TITLE,
            Self::Role => Role::TITLE,
        }
    }

    /// `user`, `group` or `role`.
    pub(super) fn noun(self) -> &'static str {
        match self {
            Self::User => User::NOUN,
            Self::Group => Group::NOUN,
            Self::Role => Role::NOUN,
        }
    }

    /// Reads the entity's name parameter (`UserName`...).
    fn name<'r>(self, req: &'r ApiRequest<'_>) -> IamResult<&'r str> {
        match self {
            Self::User => entity_name::<User>(req),
            Self::Group => entity_name::<Group>(req),
            Self::Role => entity_name::<Role>(req),
        }
    }

    fn arn_or_default(self, data: &AccountData, name: &str) -> String {
        match self {
            Self::User => arn_or_default::<User>(data, name),
            Self::Group => arn_or_default::<Group>(data, name),
            Self::Role => arn_or_default::<Role>(data, name),
        }
    }

    /// The entity's stored name, inline policies and attachments, or NoSuchEntity.
    pub(super) fn slots<'a>(self, data: &'a AccountData, name: &str) -> IamResult<Slots<'a>> {
        match self {
            Self::User => find::<User>(data, name).map(|u| (u.name.as_str(), &u.inline, u.attached.as_slice())),
            Self::Group => find::<Group>(data, name).map(|g| (g.name.as_str(), &g.inline, g.attached.as_slice())),
            Self::Role => find::<Role>(data, name).map(|r| (r.name.as_str(), &r.inline, r.attached.as_slice())),
        }
    }

    /// The entity's inline policies and attachments, mutable, or NoSuchEntity.
    pub(super) fn slots_mut<'a>(self, data: &'a mut AccountData, name: &str) -> IamResult<SlotsMut<'a>> {
        match self {
            Self::User => find_mut::<User>(data, name).map(|u| (&mut u.inline, &mut u.attached)),
            Self::Group => find_mut::<Group>(data, name).map(|g| (&mut g.inline, &mut g.attached)),
            Self::Role => find_mut::<Role>(data, name).map(|r| (&mut r.inline, &mut r.attached)),
        }
    }

    /// Reads the entity's name and authorizes `iam:{verb}{User|Group|Role}{end}` on it:
    /// the name, the account as it stands, and the action's name.
    pub(super) fn begin<'r>(self, req: &'r ApiRequest<'_>, verb: &str, end: &str) -> IamResult<(&'r str, Arc<AccountData>, String)> {
        let name = self.name(req)?;
        let data = account(req)?;
        let action = format!("{verb}{}{end}", self.title());
        req.authorize(&format!("iam:{action}"), &self.arn_or_default(&data, name))?;
        Ok((name, data, action))
    }
}
