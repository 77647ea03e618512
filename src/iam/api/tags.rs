//! Tags of users and roles: the handlers of TagUser, UntagUser, ListUserTags, TagRole,
//! UntagRole and ListRoleTags (one each, for any [`Tagged`] entity), and the tag rules
//! the create actions share: `Tags.member.N` / `TagKeys.member.N` parsing and
//! validation, merging (keys compare ignoring case), the 50-tag quota and the `<Tags>`
//! element.
//!
//! Model types and the API's common helpers only: never the store or HTTP.

use super::entity::{arn_or_default, entity_name, find, find_mut, Entity};
use super::iam::{account, answer, empty, invalid, paginate, write_page};
use super::ApiRequest;
use crate::iam::model::Tag;
use crate::iam::xml::Xml;
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Tags one user or role may carry.
const MAX_TAGS: usize = 50;

/// An entity that carries tags (users and roles; IAM groups have none).
pub(super) trait Tagged: Entity {
    /// Its tags, in the order they were added.
    fn tags(&self) -> &[Tag];
    /// Its tags, mutable.
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
}

/// TagUser / TagRole.
pub(super) async fn tag<E: Tagged>(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = entity_name::<E>(req)?;
    let tags = tags_param(req)?;
    let data = account(req)?;
    let action = format!("Tag{}", E::TITLE);
    req.authorize(&format!("iam:{action}"), &arn_or_default::<E>(&data, name))?;
    req.iam.mutate(&data.account.id, |data| merge_tags(find_mut::<E>(data, name)?.tags_mut(), tags)).await?;
    Ok(empty(req, &action))
}

/// UntagUser / UntagRole.
pub(super) async fn untag<E: Tagged>(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = entity_name::<E>(req)?;
    let keys = tag_keys_param(req)?;
    let data = account(req)?;
    let action = format!("Untag{}", E::TITLE);
    req.authorize(&format!("iam:{action}"), &arn_or_default::<E>(&data, name))?;
    req.iam
        .mutate(&data.account.id, |data| {
            remove_tags(find_mut::<E>(data, name)?.tags_mut(), &keys);
            Ok(())
        })
        .await?;
    Ok(empty(req, &action))
}

/// ListUserTags / ListRoleTags (all tags fit one page: at most 50).
pub(super) fn list_tags<E: Tagged>(req: &ApiRequest<'_>) -> IamResult<String> {
    let name = entity_name::<E>(req)?;
    let data = account(req)?;
    let action = format!("List{}Tags", E::TITLE);
    req.authorize(&format!("iam:{action}"), &arn_or_default::<E>(&data, name))?;
    let tags = find::<E>(&data, name)?.tags();
    let page = paginate(req, tags.iter().enumerate().map(|(i, t)| (format!("{i:03}"), t)))?;
    let mut x = Xml::new();
    write_page(&mut x, "Tags", &page, |x, t| {
        x.leaf("Key", &t.key).leaf("Value", &t.value);
    });
    Ok(answer(req, &action, &x))
}

/// `Tags.member.N.Key` / `.Value`, validated.
pub(super) fn tags_param(req: &ApiRequest<'_>) -> IamResult<Vec<Tag>> {
    let mut found: Vec<(u32, Option<&str>, Option<&str>)> = Vec::new();
    for (k, v) in req.params {
        let Some((n, field)) = k.strip_prefix("Tags.member.").and_then(|rest| rest.split_once('.')) else { continue };
        let Ok(n) = n.parse::<u32>() else { continue };
        let i = found.iter().position(|(m, _, _)| *m == n).unwrap_or_else(|| {
            found.push((n, None, None));
            found.len() - 1
        });
        match field {
            "Key" => found[i].1 = Some(v),
            "Value" => found[i].2 = Some(v),
            _ => {}
        }
    }
    found.sort_by_key(|(n, _, _)| *n);
    let mut tags: Vec<Tag> = Vec::new();
    for (_, key, value) in found {
        let key = key.ok_or_else(|| invalid("Tags.member.key", "null", "Member must not be null"))?;
        let value = value.unwrap_or("");
        validate_tag(key, value)?;
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(IamError::new(
                IamErrorCode::InvalidInput,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        tags.push(Tag { key: key.to_owned(), value: value.to_owned() });
    }
    if tags.len() > MAX_TAGS {
        return Err(IamError::new(IamErrorCode::LimitExceeded, "The number of tags has reached the maximum limit."));
    }
    Ok(tags)
}

fn tag_chars(s: &str) -> bool {
    s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

fn validate_tag(key: &str, value: &str) -> IamResult<()> {
    let key_len = key.chars().count();
    if key_len == 0 || key_len > 128 || !tag_chars(key) {
        return Err(invalid(
            "Tags.member.key",
            key,
            "Member must have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        ));
    }
    if value.chars().count() > 256 || !tag_chars(value) {
        return Err(invalid(
            "Tags.member.value",
            value,
            "Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
        ));
    }
    Ok(())
}

/// Adds `new` to `tags`, replacing the value of a key already there (keys compare
/// ignoring case, as IAM's do); LimitExceeded beyond 50 tags.
fn merge_tags(tags: &mut Vec<Tag>, new: Vec<Tag>) -> IamResult<()> {
    for tag in new {
        match tags.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            Some(existing) => *existing = tag,
            None => tags.push(tag),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(IamError::new(IamErrorCode::LimitExceeded, "The number of tags has reached the maximum limit."));
    }
    Ok(())
}

/// `TagKeys.member.N`, validated.
fn tag_keys_param<'r>(req: &'r ApiRequest<'_>) -> IamResult<Vec<&'r str>> {
    let keys = req.members("TagKeys");
    if keys.is_empty() {
        return Err(invalid("TagKeys", "null", "Member must not be null"));
    }
    for k in &keys {
        validate_tag(k, "")?;
    }
    Ok(keys)
}

/// Removes the tags whose keys are in `keys` (ignoring case).
fn remove_tags(tags: &mut Vec<Tag>, keys: &[&str]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// `<Tags><member><Key/><Value/></member>...</Tags>`, omitted when there are none.
pub(super) fn write_tags(x: &mut Xml, tags: &[Tag]) {
    if tags.is_empty() {
        return;
    }
    x.open("Tags");
    for t in tags {
        x.open("member").leaf("Key", &t.key).leaf("Value", &t.value).close("member");
    }
    x.close("Tags");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_merge_ignoring_case() {
        let mut tags = vec![Tag { key: "Team".into(), value: "a".into() }];
        merge_tags(&mut tags, vec![Tag { key: "team".into(), value: "b".into() }, Tag { key: "x".into(), value: String::new() }]).unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].value, "b");
        remove_tags(&mut tags, &["TEAM"]);
        assert_eq!(tags.len(), 1);
        let many: Vec<Tag> = (0..51).map(|i| Tag { key: format!("k{i}"), value: String::new() }).collect();
        assert_eq!(merge_tags(&mut tags, many).unwrap_err().code, IamErrorCode::LimitExceeded);
    }
}
