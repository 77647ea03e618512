//! Inline policies of users, groups and roles: Put/Get/List/Delete`{User,Group,Role}Policy`
//! (`ListUserPolicies`...), and their size quotas.
//!
//! An inline policy lives in its entity's record, named ignoring case like entities
//! are. IAM's quota is on the sum of an entity's inline policies (non-white-space
//! characters), checked on every put. Documents are answered URL-encoded, as IAM does.

use std::collections::BTreeMap;

use super::entity::Holder;
use super::iam::{answer, document_param, empty, encode_document, name_param, page_end, paginate, policy_size};
use super::policies::POLICY_NAME_MAX;
use super::ApiRequest;
use crate::iam::policy::PolicyKind;
use crate::iam::xml::Xml;
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Aggregate size of a user's inline policies (non-white-space characters).
pub(super) const USER_INLINE_SIZE: usize = 2048;
/// Aggregate size of a group's inline policies.
pub(super) const GROUP_INLINE_SIZE: usize = 5120;
/// Aggregate size of a role's inline policies.
pub(super) const ROLE_INLINE_SIZE: usize = 10240;

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    const VERBS: [(&str, &str); 4] = [("Put", "Policy"), ("Get", "Policy"), ("Delete", "Policy"), ("List", "Policies")];
    let (verb, h) = Holder::parse_action(action, &VERBS)?;
    Some(match verb {
        "Put" => put_inline(req, h).await,
        "Get" => get_inline(req, h),
        "List" => list_inline(req, h),
        _ => delete_inline(req, h).await,
    })
}

/// The quota of `h`'s inline policies, all together.
fn quota(h: Holder) -> usize {
    match h {
        Holder::User => USER_INLINE_SIZE,
        Holder::Group => GROUP_INLINE_SIZE,
        Holder::Role => ROLE_INLINE_SIZE,
    }
}

fn no_such_policy(h: Holder, policy: &str) -> IamError {
    IamError::no_such(&format!("{} policy", h.noun()), policy)
}

/// The inline policy named `name` (names compare ignoring case, like entity names).
fn inline_key(inline: &BTreeMap<String, String>, name: &str) -> Option<String> {
    inline.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

async fn put_inline(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "Put", "Policy")?;
    let policy = name_param(req, "PolicyName", POLICY_NAME_MAX)?;
    let doc = document_param(req, "PolicyDocument", PolicyKind::Identity)?;
    req.iam
        .mutate(&data.account.id, |data| {
            let (inline, _) = h.slots_mut(data, name)?;
            if let Some(old) = inline_key(inline, policy) {
                inline.remove(&old);
            }
            inline.insert(policy.to_owned(), doc.to_owned());
            // IAM's quota is on the sum of an entity's inline policies.
            if inline.values().map(|d| policy_size(d)).sum::<usize>() > quota(h) {
                return Err(IamError::new(
                    IamErrorCode::LimitExceeded,
                    format!("Maximum policy size of {} bytes exceeded for {} {name}", quota(h), h.noun()),
                ));
            }
            Ok(())
        })
        .await?;
    Ok(empty(req, &action))
}

fn get_inline(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "Get", "Policy")?;
    let policy = name_param(req, "PolicyName", POLICY_NAME_MAX)?;
    let (entity, inline, _) = h.slots(&data, name)?;
    let key = inline_key(inline, policy).ok_or_else(|| no_such_policy(h, policy))?;
    let mut x = Xml::new();
    x.leaf(&format!("{}Name", h.title()), entity).leaf("PolicyName", &key).leaf("PolicyDocument", encode_document(&inline[&key]));
    Ok(answer(req, &action, &x))
}

fn list_inline(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "List", "Policies")?;
    let (_, inline, _) = h.slots(&data, name)?;
    let page = paginate(req, inline.keys().map(|k| (k.clone(), k)))?;
    let mut x = Xml::new();
    x.open("PolicyNames");
    for name in &page.items {
        x.leaf("member", name);
    }
    x.close("PolicyNames");
    page_end(&mut x, &page);
    Ok(answer(req, &action, &x))
}

async fn delete_inline(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "Delete", "Policy")?;
    let policy = name_param(req, "PolicyName", POLICY_NAME_MAX)?;
    req.iam
        .mutate(&data.account.id, |data| {
            let (inline, _) = h.slots_mut(data, name)?;
            let key = inline_key(inline, policy).ok_or_else(|| no_such_policy(h, policy))?;
            inline.remove(&key);
            Ok(())
        })
        .await?;
    Ok(empty(req, &action))
}

#[cfg(test)]
mod tests {
    use super::super::iam::testing::{text, Harness, ALLOW_ALL};
    use crate::iam::IamErrorCode;

    #[tokio::test]
    async fn inline_policies() {
        let h = Harness::new().await;
        h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
        let put = [("Action", "PutUserPolicy"), ("UserName", "u"), ("PolicyName", "All"), ("PolicyDocument", ALLOW_ALL)];
        assert!(!h.ok(&put).await.contains("Result"));
        let xml = h.ok(&[("Action", "GetUserPolicy"), ("UserName", "U"), ("PolicyName", "all")]).await;
        assert!(
            xml.contains("<GetUserPolicyResult><UserName>u</UserName><PolicyName>All</PolicyName><PolicyDocument>%7B%22Version%22"),
            "{xml}"
        );
        let xml = h.ok(&[("Action", "ListUserPolicies"), ("UserName", "u")]).await;
        assert!(xml.contains("<PolicyNames><member>All</member></PolicyNames><IsTruncated>false</IsTruncated>"), "{xml}");
        let bad = [("Action", "PutUserPolicy"), ("UserName", "u"), ("PolicyName", "x"), ("PolicyDocument", "{\"Statement\":[]}")];
        assert_eq!(h.err(&bad).await, IamErrorCode::MalformedPolicyDocument);
        let nobody = [("Action", "PutUserPolicy"), ("UserName", "nobody"), ("PolicyName", "x"), ("PolicyDocument", ALLOW_ALL)];
        assert_eq!(h.err(&nobody).await, IamErrorCode::NoSuchEntity);

        // The user quota (2,048) counts all its inline policies together; a role's is larger.
        let actions: Vec<String> = (0..70).map(|i| format!("\"s3:GetObjectVersionTagging{i}\"")).collect();
        let big =
            format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#, actions.join(","));
        assert!(big.len() > 2048 && big.len() < 5120);
        let too_big = [("Action", "PutUserPolicy"), ("UserName", "u"), ("PolicyName", "big"), ("PolicyDocument", big.as_str())];
        assert_eq!(h.err(&too_big).await, IamErrorCode::LimitExceeded);
        h.ok(&[("Action", "CreateGroup"), ("GroupName", "g")]).await;
        h.ok(&[("Action", "PutGroupPolicy"), ("GroupName", "g"), ("PolicyName", "big"), ("PolicyDocument", &big)]).await;
        let xml = h.ok(&[("Action", "GetGroupPolicy"), ("GroupName", "g"), ("PolicyName", "big")]).await;
        assert_eq!(text(&xml, "GroupName"), "g");
        h.ok(&[("Action", "DeleteGroupPolicy"), ("GroupName", "g"), ("PolicyName", "big")]).await;

        h.ok(&[("Action", "DeleteUserPolicy"), ("UserName", "u"), ("PolicyName", "ALL")]).await;
        assert_eq!(h.err(&[("Action", "GetUserPolicy"), ("UserName", "u"), ("PolicyName", "All")]).await, IamErrorCode::NoSuchEntity);
        assert_eq!(h.err(&[("Action", "DeleteUserPolicy"), ("UserName", "u"), ("PolicyName", "All")]).await, IamErrorCode::NoSuchEntity);
    }
}
