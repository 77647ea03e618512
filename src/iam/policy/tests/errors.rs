//! Every validation rule, with the message IAM would give where it is known.

use super::super::PolicyKind::{self, Identity, Resource, Session, Trust};
use super::{parse, refuse};

/// A document with one statement made of `elements` (an `Effect` must be among them).
fn doc(elements: &str) -> String {
    format!(r#"{{"Version": "2012-10-17", "Statement": {{{elements}}}}}"#)
}

const ALLOW_ALL: &str = r#""Effect": "Allow", "Action": "s3:*", "Resource": "*""#;
const BUCKET: &str = r#""Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*""#;
const TRUST: &str = r#""Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole""#;

#[test]
fn top_level() {
    assert_eq!(refuse("not json", Identity), "Syntax errors in policy.");
    assert_eq!(refuse("[]", Identity), "Syntax errors in policy.");
    assert_eq!(refuse(r#""text""#, Identity), "Syntax errors in policy.");
    assert_eq!(refuse(r#"{"Version": "2012-10-17"}"#, Identity), "Missing required field Statement");
    assert_eq!(refuse(r#"{"Version": "2012-10-17", "Statement": []}"#, Identity), "Policy must contain at least one statement");
    assert!(refuse(r#"{"Version": "2012-10-17", "Statement": [], "Extra": 1}"#, Identity).contains("unknown field Extra"));
    assert!(refuse(&doc(ALLOW_ALL).replace("2012-10-17", "2012-10-18"), Identity).contains("Version"));
    assert!(refuse(&doc(ALLOW_ALL).replace(r#""2012-10-17""#, "20121017"), Identity).contains("Version"));
    assert!(refuse(&format!(r#"{{"Id": 5, "Statement": {{{ALLOW_ALL}}}}}"#), Identity).contains("Id"));
    assert!(refuse(&format!(r#"{{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": {{{ALLOW_ALL}}}}}"#), Identity)
        .contains("duplicate field Version"));
    assert!(refuse(r#"{"Version": "2012-10-17", "Statement": ["x"]}"#, Identity).contains("Statement must be a JSON object"));
    parse(&format!(r#"{{"Id": "x", "Statement": [{{{ALLOW_ALL}}}]}}"#), Identity);
    parse(&doc(ALLOW_ALL).replace("2012-10-17", "2008-10-17"), Identity);
}

#[test]
fn statement_elements() {
    assert!(refuse(&doc(&format!(r#"{ALLOW_ALL}, "Foo": 1"#)), Identity).contains("unknown field Foo"));
    assert!(refuse(&doc(&format!(r#"{ALLOW_ALL}, "effect": "Allow""#)), Identity).contains("unknown field effect"));
    assert!(refuse(&doc(&format!(r#"{ALLOW_ALL}, "Effect": "Deny""#)), Identity).contains("duplicate field Effect"));
    assert!(refuse(&doc(&format!(r#"{ALLOW_ALL}, "Sid": 1"#)), Identity).contains("Sid"));
    assert_eq!(refuse(&doc(r#""Action": "s3:*", "Resource": "*""#), Identity), "Missing required field Effect");
    assert!(refuse(&doc(r#""Effect": "allow", "Action": "s3:*", "Resource": "*""#), Identity).contains("Invalid effect"));
    assert!(refuse(&doc(r#""Effect": true, "Action": "s3:*", "Resource": "*""#), Identity).contains("Invalid effect"));
    assert_eq!(refuse(&doc(r#""Effect": "Allow", "Resource": "*""#), Identity), "Policy statement must contain actions.");
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": "s3:*", "NotAction": "s3:*", "Resource": "*""#), Identity)
        .contains("both Action and NotAction"));
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": [], "Resource": "*""#), Identity).contains("Action must be"));
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": 5, "Resource": "*""#), Identity).contains("Action must be"));
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": ["s3:*", 5], "Resource": "*""#), Identity).contains("Action must be"));
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*""#), Identity)
        .contains("both Resource and NotResource"));
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": "s3:*", "Resource": {}"#), Identity).contains("Resource must be"));
    assert!(refuse(&doc(&format!(r#"{ALLOW_ALL}, "Condition": []"#)), Identity).contains("Condition must be"));
}

#[test]
fn actions_need_a_vendor() {
    let vendor = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    for action in ["GetObject", "", ":GetObject", "s3*"] {
        assert_eq!(refuse(&doc(&format!(r#""Effect": "Allow", "Action": "{action}", "Resource": "*""#)), Identity), vendor, "{action}");
    }
    assert_eq!(refuse(&doc(&format!(r#"{ALLOW_ALL}, "Condition": {{"StringEquals": {{"username": "a"}}}}"#)), Identity), vendor);
    parse(&doc(r#""Effect": "Allow", "Action": ["*", "s3:", "*:*"], "Resource": "*""#), Identity);
}

#[test]
fn resources_must_be_arns() {
    for resource in ["bucket/key", "", "ARN:aws:s3:::b", " *", "s3:::b"] {
        assert_eq!(
            refuse(&doc(&format!(r#""Effect": "Allow", "Action": "s3:*", "Resource": "{resource}""#)), Identity),
            format!("Resource {resource} must be in ARN format or \"*\"."),
        );
    }
    assert!(refuse(&doc(r#""Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::b", "b"]"#), Identity)
        .contains("Resource b must be"));
}

#[test]
fn principal_rules_by_kind() {
    for kind in [Identity, Session] {
        let with = |element: &str| doc(&format!(r#"{ALLOW_ALL}, "{element}": "*""#));
        assert_eq!(refuse(&with("Principal"), kind), "Policy document should not specify a principal.");
        assert_eq!(refuse(&with("NotPrincipal"), kind), "Policy document should not specify a principal.");
        assert_eq!(refuse(&doc(r#""Effect": "Allow", "Action": "s3:*""#), kind), "Policy statement must contain resources.");
    }
    assert_eq!(refuse(&doc(ALLOW_ALL), Resource), "Missing required field Principal");
    assert_eq!(
        refuse(&doc(r#""Effect": "Allow", "Principal": "*", "Action": "s3:*""#), Resource),
        "Policy statement must contain resources."
    );
    assert!(refuse(&doc(&format!(r#"{BUCKET}, "NotPrincipal": "*""#)), Resource).contains("both Principal and NotPrincipal"));
    parse(
        &doc(r#""Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "Action": "s3:*", "NotResource": "arn:aws:s3:::b""#),
        Resource,
    );
    assert_eq!(refuse(&doc(r#""Effect": "Allow", "Action": "sts:AssumeRole""#), Trust), "Missing required field Principal");
    assert_eq!(refuse(&doc(&format!(r#"{TRUST}, "Resource": "*""#)), Trust), "Has prohibited field Resource");
    assert_eq!(refuse(&doc(&format!(r#"{TRUST}, "NotResource": "*""#)), Trust), "Has prohibited field NotResource");
    parse(&doc(TRUST), Trust);
}

#[test]
fn principal_values() {
    let with = |principal: &str| {
        refuse(&doc(&format!(r#""Effect": "Allow", "Principal": {principal}, "Action": "s3:*", "Resource": "*""#)), Resource)
    };
    for bad in [
        r#""someone""#,
        "5",
        "[]",
        "{}",
        r#"{"AWS": []}"#,
        r#"{"AWS": ""}"#,
        r#"{"AWS": "alice"}"#,
        r#"{"AWS": "12345"}"#,
        r#"{"AWS": "arn:aws:iam::111122223333:user/*"}"#,
        r#"{"AWS": 111122223333}"#,
        r#"{"CanonicalUser": "*"}"#,
        r#"{"CanonicalUser": "not-hex"}"#,
        r#"{"Service": "*"}"#,
        r#"{"Federated": ["*"]}"#,
        r#"{"Group": "admins"}"#,
        r#"{"aws": "*"}"#,
        r#"{"AWS": "*", "AWS": "111122223333"}"#,
    ] {
        assert!(with(bad).contains("rincipal"), "{bad}: {}", with(bad));
    }
}

#[test]
fn condition_rules() {
    let with = |block: &str| doc(&format!(r#"{ALLOW_ALL}, "Condition": {block}"#));
    assert_eq!(refuse(&with(r#"{"StringEqual": {"a:b": "c"}}"#), Identity), "Invalid Condition type : StringEqual");
    assert_eq!(refuse(&with(r#"{"NullIfExists": {"a:b": "true"}}"#), Identity), "Invalid Condition type : NullIfExists");
    assert_eq!(
        refuse(&with(r#"{"ForEveryValue:StringEquals": {"a:b": "c"}}"#), Identity),
        "Invalid Condition type : ForEveryValue:StringEquals"
    );
    for bad in [
        r#"{"StringEquals": "a:b"}"#,
        r#"{"StringEquals": {"a:b": {"c": "d"}}}"#,
        r#"{"StringEquals": {"a:b": null}}"#,
        r#"{"StringEquals": {"a:b": [["c"]]}}"#,
        r#"{"StringEquals": {"a:b": "c", "a:b": "d"}}"#,
        r#"{"NumericEquals": {"a:b": "ten"}}"#,
        r#"{"NumericLessThan": {"a:b": ["1", "1e3"]}}"#,
        r#"{"NumericEquals": {"a:b": "${a:c}"}}"#,
        r#"{"DateLessThan": {"a:b": "tomorrow"}}"#,
        r#"{"DateEquals": {"a:b": "2019-02-30"}}"#,
        r#"{"IpAddress": {"a:b": "1.2.3.4/33"}}"#,
        r#"{"NotIpAddress": {"a:b": "localhost"}}"#,
        r#"{"BinaryEquals": {"a:b": "!!!"}}"#,
        r#"{"Null": {"a:b": "yes"}}"#,
    ] {
        refuse(&with(bad), Identity);
    }
    parse(&with(r#"{"StringEquals": {"a:b": []}, "Bool": {"a:c": true}, "NumericEquals": {"a:d": 1.5}}"#), Identity);
}

#[test]
fn every_kind_accepts_its_minimal_policy() {
    let cases: [(PolicyKind, &str); 4] = [(Identity, ALLOW_ALL), (Session, ALLOW_ALL), (Resource, BUCKET), (Trust, TRUST)];
    for (kind, elements) in cases {
        assert_eq!(parse(&doc(elements), kind).kind(), kind);
    }
}
