//! Managed policy attachments of users, groups and roles:
//! Attach/Detach`{User,Group,Role}Policy` and ListAttached`{User,Group,Role}Policies`.
//!
//! Attachments name a policy by ARN: a customer managed policy of the account or an AWS
//! managed one coffer knows (`iam::managed`); attaching any other is NoSuchEntity, so an
//! attachment never names a policy that is gone (DeletePolicy refuses while one stands).

use super::entity::Holder;
use super::iam::{answer, empty, limit, paginate, path_prefix, write_page};
use super::policies::{attachable, not_found, policy_arn_param, split_policy_arn};
use super::ApiRequest;
use crate::iam::model::MAX_ATTACHED;
use crate::iam::xml::Xml;
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Runs `action` if it is one of this family's.
pub(super) async fn dispatch(req: &ApiRequest<'_>, action: &str) -> Option<IamResult<String>> {
    const VERBS: [(&str, &str); 3] = [("Attach", "Policy"), ("Detach", "Policy"), ("ListAttached", "Policies")];
    let (verb, h) = Holder::parse_action(action, &VERBS)?;
    Some(match verb {
        "Attach" => attach(req, h).await,
        "Detach" => detach(req, h).await,
        _ => list_attached(req, h),
    })
}

async fn attach(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "Attach", "Policy")?;
    let policy_arn = policy_arn_param(req)?;
    req.iam
        .mutate(&data.account.id, |data| {
            if !attachable(data, policy_arn) {
                return Err(IamError::new(IamErrorCode::NoSuchEntity, format!("Policy {policy_arn} does not exist or is not attachable.")));
            }
            let (_, attached) = h.slots_mut(data, name)?;
            if !attached.iter().any(|a| a == policy_arn) {
                if attached.len() >= MAX_ATTACHED {
                    return Err(limit(&format!("PoliciesPer{}", h.title()), MAX_ATTACHED));
                }
                attached.push(policy_arn.to_owned());
            }
            Ok(())
        })
        .await?;
    Ok(empty(req, &action))
}

async fn detach(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "Detach", "Policy")?;
    let policy_arn = policy_arn_param(req)?;
    req.iam
        .mutate(&data.account.id, |data| {
            let (_, attached) = h.slots_mut(data, name)?;
            let i = attached.iter().position(|a| a == policy_arn).ok_or_else(|| not_found(policy_arn))?;
            attached.remove(i);
            Ok(())
        })
        .await?;
    Ok(empty(req, &action))
}

fn list_attached(req: &ApiRequest<'_>, h: Holder) -> IamResult<String> {
    let (name, data, action) = h.begin(req, "ListAttached", "Policies")?;
    let prefix = path_prefix(req)?;
    let (_, _, attached) = h.slots(&data, name)?;
    let mut arns: Vec<&String> = attached.iter().filter(|a| split_policy_arn(a).0.starts_with(prefix)).collect();
    arns.sort();
    let page = paginate(req, arns.into_iter().map(|a| (a.clone(), a)))?;
    let mut x = Xml::new();
    write_page(&mut x, "AttachedPolicies", &page, |x, policy_arn| {
        x.leaf("PolicyName", split_policy_arn(policy_arn).1).leaf("PolicyArn", policy_arn);
    });
    Ok(answer(req, &action, &x))
}
