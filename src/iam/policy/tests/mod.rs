//! Tests of the policy language: the AWS guides' example policies (`examples`), each
//! element (`elements`), each condition operator (`conditions`), each parse error
//! (`errors`), random documents that must never panic (`fuzz`), and the bucket-policy
//! analysis (`analysis`).

mod analysis;
mod conditions;
mod elements;
mod errors;
mod examples;
mod fuzz;

use super::{Context, Outcome, Policy, PolicyKind, PrincipalInfo, Request};

/// Parses a policy that must be valid.
fn parse(json: &str, kind: PolicyKind) -> Policy {
    match Policy::parse(json, kind) {
        Ok(policy) => policy,
        Err(e) => panic!("policy refused: {e}\n{json}"),
    }
}

/// The parse error of a policy that must be refused.
fn refuse(json: &str, kind: PolicyKind) -> String {
    match Policy::parse(json, kind) {
        Ok(_) => panic!("policy accepted:\n{json}"),
        Err(e) => e.to_string(),
    }
}

/// A context from key/value pairs (a repeated key gets several values).
fn ctx(pairs: &[(&str, &str)]) -> Context {
    let mut ctx = Context::new();
    for (key, value) in pairs {
        ctx.insert(key, *value);
    }
    ctx
}

/// An IAM user.
fn user(account: &str, name: &str) -> PrincipalInfo {
    PrincipalInfo {
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        account: account.to_owned(),
        canonical_id: format!("{account:0>64}"),
        role_arn: None,
        federated: None,
        service: None,
    }
}

/// An account's root user.
fn root(account: &str) -> PrincipalInfo {
    PrincipalInfo { arn: format!("arn:aws:iam::{account}:root"), ..user(account, "x") }
}

/// A session of a role.
fn session(account: &str, role: &str, name: &str) -> PrincipalInfo {
    PrincipalInfo {
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
        role_arn: Some(format!("arn:aws:iam::{account}:role/{role}")),
        ..user(account, "x")
    }
}

/// Evaluates one request.
fn eval(policy: &Policy, action: &str, resource: &str, principal: Option<&PrincipalInfo>, context: &Context) -> Outcome {
    policy.evaluate(&Request { action, resource, principal, context })
}

#[test]
fn policy_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_traits::<Policy>();
    assert_traits::<super::PolicyError>();
    let error: Box<dyn std::error::Error + Send + Sync> = Box::new(super::PolicyError("x".into()));
    assert_eq!(error.to_string(), "x");
}

#[test]
fn context_keys_ignore_case() {
    let mut c = Context::new();
    c.insert("AWS:SourceIp", "1.2.3.4");
    c.insert("aws:sourceip", "5.6.7.8");
    assert_eq!(c.get("aws:SOURCEIP").unwrap(), ["1.2.3.4", "5.6.7.8"]);
    c.set("Aws:SourceIp", vec!["9.9.9.9".into()]);
    assert_eq!(c.get("aws:sourceip").unwrap(), ["9.9.9.9"]);
    assert!(c.get("aws:username").is_none());
}
