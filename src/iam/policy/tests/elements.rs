//! Each statement element: actions, resources, principals, and how they combine.

use super::super::Outcome::{Allow, ExplicitDeny, NotApplicable};
use super::super::PolicyKind::{Identity, Resource, Session, Trust};
use super::super::PrincipalInfo;
use super::{ctx, eval, parse, root, session, user};

/// An identity policy with one statement made of the given elements.
fn identity(elements: &str) -> super::super::Policy {
    parse(&format!(r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", {elements}}}}}"#), Identity)
}

#[test]
fn action_wildcards_and_case() {
    let p = identity(r#""Action": ["s3:Get*", "iam:?etUser", "S3:LISTBUCKET"], "Resource": "*""#);
    let on = |action: &str| eval(&p, action, "arn:aws:s3:::b", None, &ctx(&[]));
    assert_eq!(on("s3:GetObject"), Allow);
    assert_eq!(on("S3:GETOBJECTACL"), Allow);
    assert_eq!(on("s3:Get"), Allow);
    assert_eq!(on("s3:PutObject"), NotApplicable);
    assert_eq!(on("iam:GetUser"), Allow);
    assert_eq!(on("iam:SetUser"), Allow);
    assert_eq!(on("iam:GGetUser"), NotApplicable);
    assert_eq!(on("s3:listbucket"), Allow);
    assert_eq!(on("ec2:GetObject"), NotApplicable);
    let all = identity(r#""Action": "*", "Resource": "*""#);
    assert_eq!(eval(&all, "anything:AtAll", "arn:x", None, &ctx(&[])), Allow);
    let vendor = identity(r#""Action": "s3:*", "Resource": "*""#);
    assert_eq!(eval(&vendor, "s3:AnyThing", "arn:x", None, &ctx(&[])), Allow);
    assert_eq!(eval(&vendor, "s3x:AnyThing", "arn:x", None, &ctx(&[])), NotApplicable);
}

#[test]
fn not_action() {
    let p = identity(r#""NotAction": ["iam:*", "s3:Delete*"], "Resource": "*""#);
    let on = |action: &str| eval(&p, action, "arn:aws:s3:::b", None, &ctx(&[]));
    assert_eq!(on("s3:GetObject"), Allow);
    assert_eq!(on("s3:DeleteObject"), NotApplicable);
    assert_eq!(on("IAM:CreateUser"), NotApplicable);
    assert_eq!(on("sts:AssumeRole"), Allow);
}

#[test]
fn resource_wildcards_and_case() {
    let p = identity(r#""Action": "s3:*", "Resource": ["arn:aws:s3:::logs-??/*", "arn:aws:s3:::Exact"]"#);
    let on = |resource: &str| eval(&p, "s3:GetObject", resource, None, &ctx(&[]));
    assert_eq!(on("arn:aws:s3:::logs-01/a/b/c"), Allow);
    assert_eq!(on("arn:aws:s3:::logs-1/a"), NotApplicable);
    assert_eq!(on("arn:aws:s3:::logs-001/a"), NotApplicable);
    assert_eq!(on("arn:aws:s3:::logs-01"), NotApplicable);
    assert_eq!(on("arn:aws:s3:::Exact"), Allow);
    assert_eq!(on("arn:aws:s3:::exact"), NotApplicable);
    assert_eq!(on("arn:aws:s3:::Exact/"), NotApplicable);
    let all = identity(r#""Action": "s3:*", "Resource": "*""#);
    assert_eq!(eval(&all, "s3:GetObject", "", None, &ctx(&[])), Allow);
}

#[test]
fn not_resource() {
    let p = parse(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::public", "arn:aws:s3:::public/*"]}]}"#,
        Identity,
    );
    assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::public/x", None, &ctx(&[])), Allow);
    assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::private/x", None, &ctx(&[])), ExplicitDeny);
}

#[test]
fn resource_variables_defaults_and_escapes() {
    let p = identity(
        r#""Action": "s3:*", "Resource": ["arn:aws:s3:::b/${aws:userid, 'anonymous'}/*", "arn:aws:s3:::b/star${*}", "arn:aws:s3:::b/q${?}/${$}"]"#,
    );
    let on = |resource: &str, pairs: &[(&str, &str)]| eval(&p, "s3:GetObject", resource, None, &ctx(pairs));
    assert_eq!(on("arn:aws:s3:::b/AIDA123/x", &[("aws:userid", "AIDA123")]), Allow);
    assert_eq!(on("arn:aws:s3:::b/anonymous/x", &[("aws:userid", "AIDA123")]), NotApplicable);
    assert_eq!(on("arn:aws:s3:::b/anonymous/x", &[]), Allow);
    assert_eq!(on("arn:aws:s3:::b/star*", &[]), Allow);
    assert_eq!(on("arn:aws:s3:::b/starX", &[]), NotApplicable);
    assert_eq!(on("arn:aws:s3:::b/q?/$", &[]), Allow);
    assert_eq!(on("arn:aws:s3:::b/qX/$", &[]), NotApplicable);
    // A value holding wildcards is literal text.
    let q = identity(r#""Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}""#);
    assert_eq!(eval(&q, "s3:GetObject", "arn:aws:s3:::b/anything", None, &ctx(&[("aws:username", "*")])), NotApplicable);
    assert_eq!(eval(&q, "s3:GetObject", "arn:aws:s3:::b/*", None, &ctx(&[("aws:username", "*")])), Allow);
}

#[test]
fn unresolved_variable_never_widens_not_resource() {
    let p = parse(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::home/${aws:username}/*"}}"#,
        Identity,
    );
    assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::home/alice/x", None, &ctx(&[("aws:username", "alice")])), NotApplicable);
    assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::home/bob/x", None, &ctx(&[("aws:username", "alice")])), ExplicitDeny);
    // No value: the statement cannot be resolved, so it does not apply.
    assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::home/bob/x", None, &ctx(&[])), NotApplicable);
}

/// A bucket policy granting `s3:GetObject` to the given `Principal` value.
fn bucket(principal: &str) -> super::super::Policy {
    parse(
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Principal": {principal}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}}}"#
        ),
        Resource,
    )
}

fn get(p: &super::super::Policy, who: Option<&PrincipalInfo>) -> super::super::Outcome {
    eval(p, "s3:GetObject", "arn:aws:s3:::b/k", who, &ctx(&[]))
}

#[test]
fn principal_forms() {
    let alice = user("111122223333", "alice");
    let ops = session("111122223333", "Ops", "s1");
    for everyone in [r#""*""#, r#"{"AWS": "*"}"#, r#"{"AWS": ["*"]}"#] {
        let p = bucket(everyone);
        assert_eq!(get(&p, None), Allow, "{everyone}");
        assert_eq!(get(&p, Some(&alice)), Allow, "{everyone}");
    }
    for account in [r#"{"AWS": "111122223333"}"#, r#"{"AWS": "arn:aws:iam::111122223333:root"}"#] {
        let p = bucket(account);
        assert_eq!(get(&p, Some(&alice)), Allow, "{account}");
        assert_eq!(get(&p, Some(&ops)), Allow, "{account}");
        assert_eq!(get(&p, Some(&root("111122223333"))), Allow, "{account}");
        assert_eq!(get(&p, Some(&user("444455556666", "alice"))), NotApplicable, "{account}");
        assert_eq!(get(&p, None), NotApplicable, "{account}");
    }
    let p = bucket(r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#);
    assert_eq!(get(&p, Some(&alice)), Allow);
    assert_eq!(get(&p, Some(&user("111122223333", "Alice"))), NotApplicable);
    assert_eq!(get(&p, Some(&root("111122223333"))), NotApplicable);
    let p = bucket(r#"{"AWS": "arn:aws:iam::111122223333:role/Ops"}"#);
    assert_eq!(get(&p, Some(&ops)), Allow);
    assert_eq!(get(&p, Some(&session("111122223333", "Dev", "s1"))), NotApplicable);
    let p = bucket(r#"{"AWS": "arn:aws:sts::111122223333:assumed-role/Ops/s1"}"#);
    assert_eq!(get(&p, Some(&ops)), Allow);
    assert_eq!(get(&p, Some(&session("111122223333", "Ops", "s2"))), NotApplicable);
    let p = bucket(&format!(r#"{{"CanonicalUser": "{:0>64}"}}"#, "111122223333"));
    assert_eq!(get(&p, Some(&alice)), Allow);
    assert_eq!(get(&p, Some(&user("444455556666", "x"))), NotApplicable);
    let p = bucket(r#"{"Federated": "arn:aws:iam::111122223333:saml-provider/corp"}"#);
    let saml = PrincipalInfo { federated: Some("arn:aws:iam::111122223333:saml-provider/corp".into()), ..ops.clone() };
    assert_eq!(get(&p, Some(&saml)), Allow);
    assert_eq!(get(&p, Some(&ops)), NotApplicable);
    let p = bucket(r#"{"Service": "logging.s3.amazonaws.com"}"#);
    assert_eq!(get(&p, Some(&alice)), NotApplicable);
    assert_eq!(get(&p, None), NotApplicable);
    // Only the service's own requests match a service principal; a service matches
    // nothing else but `*`.
    let logging = PrincipalInfo { service: Some("logging.s3.amazonaws.com".into()), ..PrincipalInfo::default() };
    assert_eq!(get(&p, Some(&logging)), Allow);
    let other = PrincipalInfo { service: Some("cloudtrail.amazonaws.com".into()), ..PrincipalInfo::default() };
    assert_eq!(get(&p, Some(&other)), NotApplicable);
    assert_eq!(get(&bucket(r#"{"AWS": "111122223333"}"#), Some(&logging)), NotApplicable);
    assert_eq!(get(&bucket(r#""*""#), Some(&logging)), Allow);
}

#[test]
fn not_principal() {
    let deny = |principal: &str| {
        parse(
            &format!(
                r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Deny", "NotPrincipal": {principal}, "Action": "s3:*", "Resource": "*"}}}}"#
            ),
            Resource,
        )
    };
    let p = deny(r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#);
    assert_eq!(get(&p, Some(&user("111122223333", "alice"))), NotApplicable);
    assert_eq!(get(&p, Some(&user("111122223333", "bob"))), ExplicitDeny);
    assert_eq!(get(&p, None), ExplicitDeny);
    // Listing the account excludes only the account's root, and listing a role does not
    // exclude its sessions (AWS checks each level).
    let p = deny(r#"{"AWS": ["111122223333", "arn:aws:iam::111122223333:role/Ops"]}"#);
    assert_eq!(get(&p, Some(&root("111122223333"))), NotApplicable);
    assert_eq!(get(&p, Some(&user("111122223333", "bob"))), ExplicitDeny);
    assert_eq!(get(&p, Some(&session("111122223333", "Ops", "s1"))), ExplicitDeny);
    let p = deny(r#""*""#);
    assert_eq!(get(&p, None), NotApplicable);
    assert_eq!(get(&p, Some(&user("111122223333", "bob"))), NotApplicable);
    // With Allow, every principal but the listed ones, anonymous included.
    let p = parse(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"}, "Action": "s3:*", "Resource": "*"}}"#,
        Resource,
    );
    assert_eq!(get(&p, None), Allow);
    assert_eq!(get(&p, Some(&user("111122223333", "bob"))), NotApplicable);
}

#[test]
fn identity_and_session_policies_ignore_the_caller() {
    for kind in [Identity, Session] {
        let p = parse(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#, kind);
        assert_eq!(p.kind(), kind);
        assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::b", None, &ctx(&[])), Allow);
        assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::b", Some(&user("1", "x")), &ctx(&[])), Allow);
    }
}

#[test]
fn trust_policies_ignore_the_resource() {
    let p = parse(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}"#,
        Trust,
    );
    let alice = user("111122223333", "alice");
    assert_eq!(eval(&p, "sts:AssumeRole", "", Some(&alice), &ctx(&[])), Allow);
    assert_eq!(eval(&p, "sts:AssumeRole", "arn:aws:iam::111122223333:role/x", Some(&alice), &ctx(&[])), Allow);
    assert_eq!(eval(&p, "sts:TagSession", "", Some(&alice), &ctx(&[])), NotApplicable);
}

#[test]
fn deny_wins_over_allow_in_any_order() {
    for statements in [
        r#"[{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]"#,
        r#"[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]"#,
    ] {
        let p = parse(&format!(r#"{{"Version": "2012-10-17", "Statement": {statements}}}"#), Identity);
        assert_eq!(eval(&p, "s3:GetObject", "arn:aws:s3:::b", None, &ctx(&[])), ExplicitDeny);
    }
}
