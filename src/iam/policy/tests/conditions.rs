//! Every condition operator, `...IfExists`, `ForAllValues:` / `ForAnyValue:`, `Null`,
//! and how absent and multivalued keys behave.

use super::super::Context;
use super::super::Outcome::Allow;
use super::super::PolicyKind::Identity;
use super::{ctx, eval, parse};

/// Whether the `Condition` block holds for a context built from `pairs`.
fn holds(block: &str, pairs: &[(&str, &str)]) -> bool {
    holds_in(block, &ctx(pairs))
}

fn holds_in(block: &str, context: &Context) -> bool {
    let policy = parse(
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {block}}}}}"#
        ),
        Identity,
    );
    eval(&policy, "s3:GetObject", "arn:aws:s3:::b/k", None, context) == Allow
}

#[test]
fn string_operators() {
    let k = |v| [("test:Key", v)];
    assert!(holds(r#"{"StringEquals": {"test:key": "Value"}}"#, &k("Value")));
    assert!(!holds(r#"{"StringEquals": {"test:key": "Value"}}"#, &k("value")));
    assert!(!holds(r#"{"StringEquals": {"test:key": "Val*"}}"#, &k("Value")));
    assert!(holds(r#"{"StringEquals": {"TEST:KEY": ["a", "Value"]}}"#, &k("Value")));
    assert!(holds(r#"{"StringNotEquals": {"test:key": ["a", "b"]}}"#, &k("c")));
    assert!(!holds(r#"{"StringNotEquals": {"test:key": ["a", "b"]}}"#, &k("b")));
    assert!(holds(r#"{"StringEqualsIgnoreCase": {"test:key": "VALUE"}}"#, &k("value")));
    assert!(holds(r#"{"StringEqualsIgnoreCase": {"test:key": "ÉTÉ"}}"#, &k("été")));
    assert!(!holds(r#"{"StringEqualsIgnoreCase": {"test:key": "VALUE"}}"#, &k("values")));
    assert!(holds(r#"{"StringNotEqualsIgnoreCase": {"test:key": "VALUE"}}"#, &k("other")));
    assert!(!holds(r#"{"StringNotEqualsIgnoreCase": {"test:key": "VALUE"}}"#, &k("Value")));
    assert!(holds(r#"{"StringLike": {"test:key": "V?l*"}}"#, &k("Value")));
    assert!(!holds(r#"{"StringLike": {"test:key": "v*"}}"#, &k("Value")));
    assert!(holds(r#"{"StringNotLike": {"test:key": ["x*", "y*"]}}"#, &k("Value")));
    assert!(!holds(r#"{"StringNotLike": {"test:key": ["x*", "V*"]}}"#, &k("Value")));
    // Operator names are read ignoring case.
    assert!(holds(r#"{"stringequals": {"test:key": "Value"}}"#, &k("Value")));
}

#[test]
fn numeric_operators() {
    let n = |v| [("s3:max-keys", v)];
    let cases = [
        ("NumericEquals", "10", "10", true),
        ("NumericEquals", "10", "10.0", true),
        ("NumericEquals", "10", "11", false),
        ("NumericNotEquals", "10", "11", true),
        ("NumericNotEquals", "10", "10", false),
        ("NumericLessThan", "10", "9.99", true),
        ("NumericLessThan", "10", "10", false),
        ("NumericLessThanEquals", "10", "10", true),
        ("NumericLessThanEquals", "10", "11", false),
        ("NumericGreaterThan", "10", "-11", false),
        ("NumericGreaterThan", "-10", "-9", true),
        ("NumericGreaterThanEquals", "10", "10", true),
        ("NumericGreaterThanEquals", "10", "9", false),
    ];
    for (op, policy, request, want) in cases {
        assert_eq!(holds(&format!(r#"{{"{op}": {{"s3:max-keys": "{policy}"}}}}"#), &n(request)), want, "{op} {policy} vs {request}");
    }
    // Unquoted JSON numbers, and request values that are not numbers (no match either way).
    assert!(holds(r#"{"NumericLessThanEquals": {"s3:max-keys": 10}}"#, &n("3")));
    assert!(!holds(r#"{"NumericLessThanEquals": {"s3:max-keys": 10}}"#, &n("three")));
    assert!(!holds(r#"{"NumericNotEquals": {"s3:max-keys": 10}}"#, &n("three")));
}

#[test]
fn date_operators() {
    let t = |v| [("aws:CurrentTime", v)];
    let cases = [
        ("DateEquals", "2019-07-16T12:00:00Z", "2019-07-16T12:00:00Z", true),
        ("DateEquals", "2019-07-16T12:00:00Z", "2019-07-16T14:00:00+02:00", true),
        ("DateEquals", "2019-07-16T12:00:00Z", "1563278400", true),
        ("DateEquals", "2019-07-16", "2019-07-16T00:00:00Z", true),
        ("DateNotEquals", "2019-07-16T12:00:00Z", "2019-07-16T12:00:01Z", true),
        ("DateNotEquals", "2019-07-16T12:00:00Z", "2019-07-16T12:00:00Z", false),
        ("DateLessThan", "2019-07-16T12:00:00Z", "2019-07-16T11:59:59Z", true),
        ("DateLessThan", "2019-07-16T12:00:00Z", "2019-07-16T12:00:00Z", false),
        ("DateLessThanEquals", "2019-07-16T12:00:00Z", "2019-07-16T12:00:00Z", true),
        ("DateGreaterThan", "2019-07-16", "2019-07-16T00:00:01Z", true),
        ("DateGreaterThan", "2019-07-16", "2019-07-15T23:59:59Z", false),
        ("DateGreaterThanEquals", "1563278400", "2019-07-16T12:00:00Z", true),
        ("DateGreaterThanEquals", "1563278400", "2019-07-16T11:00:00Z", false),
    ];
    for (op, policy, request, want) in cases {
        assert_eq!(holds(&format!(r#"{{"{op}": {{"aws:CurrentTime": "{policy}"}}}}"#), &t(request)), want, "{op} {policy} vs {request}");
    }
    assert!(holds(r#"{"DateGreaterThan": {"aws:EpochTime": 1563278400}}"#, &[("aws:EpochTime", "1563278401")]));
    assert!(!holds(r#"{"DateNotEquals": {"aws:CurrentTime": "2019-07-16"}}"#, &t("not a date")));
}

#[test]
fn bool_binary_ip_arn() {
    assert!(holds(r#"{"Bool": {"aws:SecureTransport": true}}"#, &[("aws:SecureTransport", "true")]));
    assert!(holds(r#"{"Bool": {"aws:SecureTransport": "TRUE"}}"#, &[("aws:SecureTransport", "true")]));
    assert!(!holds(r#"{"Bool": {"aws:SecureTransport": "true"}}"#, &[("aws:SecureTransport", "false")]));
    // "QmluYXJ5VmFsdWVJbkJhc2U2NA==" is the guide's example ("BinaryValueInBase64").
    assert!(holds(r#"{"BinaryEquals": {"test:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, &[("test:key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==")]));
    assert!(!holds(r#"{"BinaryEquals": {"test:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, &[("test:key", "AAAA")]));
    assert!(!holds(r#"{"BinaryEquals": {"test:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, &[("test:key", "not base64!")]));
    assert!(holds(r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[("aws:SourceIp", "203.0.113.200")]));
    assert!(!holds(r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[("aws:SourceIp", "203.0.114.1")]));
    assert!(holds(r#"{"IpAddress": {"aws:SourceIp": "203.0.113.5"}}"#, &[("aws:SourceIp", "203.0.113.5")]));
    assert!(holds(r#"{"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}"#, &[("aws:SourceIp", "11.0.0.1")]));
    assert!(!holds(r#"{"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}"#, &[("aws:SourceIp", "2001:db8::7")]));
    assert!(!holds(r#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#, &[("aws:SourceIp", "garbage")]));
    let arn = |op: &str, policy: &str, request: &str| {
        holds(&format!(r#"{{"{op}": {{"aws:SourceArn": "{policy}"}}}}"#), &[("aws:SourceArn", request)])
    };
    assert!(arn("ArnEquals", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:topic"));
    assert!(arn("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:123456789012:topic"));
    assert!(arn("ArnEquals", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:123456789012:topic"));
    assert!(!arn("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:999999999999:topic"));
    assert!(!arn("ArnLike", "arn:aws:sns:*:123456789012:*", "ARN:aws:sns:eu-west-1:123456789012:topic"));
    assert!(arn("ArnNotLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:999999999999:topic"));
    assert!(!arn("ArnNotEquals", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:123456789012:t"));
    // An unresolved variable (no aws:PrincipalAccount here) matches nothing, even its own text.
    assert!(!arn("ArnLike", "arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:aws:iam::${aws:PrincipalAccount}:role/x"));
}

#[test]
fn absent_keys() {
    // Positive operators are false, negated ones true, IfExists true.
    for op in ["StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnLike", "Bool", "BinaryEquals"] {
        assert!(!holds(&format!(r#"{{"{op}": {{"test:key": "dGVzdA=="}}}}"#), &[]), "{op}");
        assert!(holds(&format!(r#"{{"{op}IfExists": {{"test:key": "dGVzdA=="}}}}"#), &[]), "{op}IfExists");
    }
    for op in ["StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase", "ArnNotLike", "ArnNotEquals"] {
        assert!(holds(&format!(r#"{{"{op}": {{"test:key": "x"}}}}"#), &[]), "{op}");
        assert!(holds(&format!(r#"{{"{op}IfExists": {{"test:key": "x"}}}}"#), &[]), "{op}IfExists");
    }
    assert!(holds(r#"{"NumericNotEquals": {"test:key": 1}}"#, &[]));
    assert!(holds(r#"{"DateNotEquals": {"test:key": 1}}"#, &[]));
    assert!(holds(r#"{"NotIpAddress": {"test:key": "1.2.3.4"}}"#, &[]));
    assert!(!holds(r#"{"NumericLessThan": {"test:key": 1}}"#, &[]));
    assert!(holds(r#"{"NumericLessThanIfExists": {"test:key": 1}}"#, &[]));
    assert!(holds(r#"{"DateLessThanIfExists": {"test:key": 1}}"#, &[]));
    assert!(holds(r#"{"IpAddressIfExists": {"test:key": "1.2.3.4"}}"#, &[]));
    // IfExists still tests a present key, and a Deny with a negated IfExists still fires.
    assert!(!holds(r#"{"StringEqualsIfExists": {"test:key": "a"}}"#, &[("test:key", "b")]));
    assert!(holds(r#"{"StringNotEqualsIfExists": {"test:key": "a"}}"#, &[("test:key", "b")]));
    // A key set to no values is absent.
    let mut empty = Context::new();
    empty.set("test:key", Vec::new());
    assert!(!holds_in(r#"{"StringEquals": {"test:key": "a"}}"#, &empty));
    assert!(holds_in(r#"{"Null": {"test:key": "true"}}"#, &empty));
}

#[test]
fn null_operator() {
    assert!(holds(r#"{"Null": {"aws:TokenIssueTime": "true"}}"#, &[]));
    assert!(!holds(r#"{"Null": {"aws:TokenIssueTime": "true"}}"#, &[("aws:TokenIssueTime", "2020-01-01T00:00:00Z")]));
    assert!(holds(r#"{"Null": {"aws:TokenIssueTime": false}}"#, &[("aws:TokenIssueTime", "x")]));
    assert!(!holds(r#"{"Null": {"aws:TokenIssueTime": false}}"#, &[]));
    assert!(holds(r#"{"Null": {"aws:TokenIssueTime": ["true", "false"]}}"#, &[]));
}

#[test]
fn set_operators() {
    let tags = |values: &[&str]| {
        let mut c = Context::new();
        c.set("aws:TagKeys", values.iter().map(|v| (*v).to_owned()).collect());
        c
    };
    let all = r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#;
    assert!(holds_in(all, &tags(&["env"])));
    assert!(holds_in(all, &tags(&["env", "team"])));
    assert!(!holds_in(all, &tags(&["env", "owner"])));
    assert!(holds_in(all, &tags(&[])));
    assert!(holds_in(all, &Context::new()));
    let any = r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}"#;
    assert!(holds_in(any, &tags(&["owner", "team"])));
    assert!(!holds_in(any, &tags(&["owner"])));
    assert!(!holds_in(any, &tags(&[])));
    assert!(!holds_in(any, &Context::new()));
    assert!(holds_in(r#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}"#, &Context::new()));
    // Negated: ForAllValues — no request value is listed; ForAnyValue — some value is not.
    let all_not = r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret", "admin"]}}"#;
    assert!(holds_in(all_not, &tags(&["env", "team"])));
    assert!(!holds_in(all_not, &tags(&["env", "admin"])));
    assert!(holds_in(all_not, &Context::new()));
    let any_not = r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret", "admin"]}}"#;
    assert!(holds_in(any_not, &tags(&["admin", "env"])));
    assert!(!holds_in(any_not, &tags(&["admin", "secret"])));
    assert!(!holds_in(any_not, &Context::new()));
    assert!(holds_in(r#"{"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}}"#, &tags(&["team-a", "team-b"])));
    assert!(holds_in(r#"{"ForAnyValue:NumericGreaterThan": {"test:n": 5}}"#, &tags(&[]).clone_with("test:n", &["1", "9"])));
    assert!(!holds_in(r#"{"ForAllValues:NumericGreaterThan": {"test:n": 5}}"#, &Context::new().clone_with("test:n", &["1", "9"])));
    assert!(!holds_in(r#"{"ForAllValues:NumericGreaterThan": {"test:n": 5}}"#, &Context::new().clone_with("test:n", &["6", "x"])));
}

/// Test sugar: a copy of a context with one more key.
trait With {
    fn clone_with(&self, key: &str, values: &[&str]) -> Context;
}

impl With for Context {
    fn clone_with(&self, key: &str, values: &[&str]) -> Context {
        let mut c = self.clone();
        c.set(key, values.iter().map(|v| (*v).to_owned()).collect());
        c
    }
}

#[test]
fn several_values_without_a_set_operator() {
    let two = Context::new().clone_with("test:key", &["a", "b"]);
    assert!(holds_in(r#"{"StringEquals": {"test:key": "b"}}"#, &two));
    assert!(!holds_in(r#"{"StringEquals": {"test:key": "c"}}"#, &two));
    assert!(!holds_in(r#"{"StringNotEquals": {"test:key": "b"}}"#, &two));
    assert!(holds_in(r#"{"StringNotEquals": {"test:key": "c"}}"#, &two));
}

#[test]
fn operators_keys_and_values_combine() {
    let block = r#"{"StringEquals": {"test:a": ["1", "2"], "test:b": "x"}, "StringLike": {"test:c": "y*"}}"#;
    assert!(holds(block, &[("test:a", "2"), ("test:b", "x"), ("test:c", "yes")]));
    assert!(!holds(block, &[("test:a", "3"), ("test:b", "x"), ("test:c", "yes")]));
    assert!(!holds(block, &[("test:a", "1"), ("test:b", "y"), ("test:c", "yes")]));
    assert!(!holds(block, &[("test:a", "1"), ("test:b", "x"), ("test:c", "no")]));
    assert!(!holds(block, &[("test:a", "1"), ("test:b", "x")]));
    // Repeated operators all apply.
    let repeated = r#"{"StringEquals": {"test:a": "1"}, "StringEquals": {"test:b": "2"}}"#;
    assert!(holds(repeated, &[("test:a", "1"), ("test:b", "2")]));
    assert!(!holds(repeated, &[("test:a", "1")]));
    assert!(holds("{}", &[]));
}

#[test]
fn condition_variables() {
    let own = r#"{"StringEquals": {"s3:prefix": "home/${aws:username}/"}}"#;
    assert!(holds(own, &[("aws:username", "alice"), ("s3:prefix", "home/alice/")]));
    assert!(!holds(own, &[("aws:username", "alice"), ("s3:prefix", "home/bob/")]));
    assert!(!holds(own, &[("s3:prefix", "home//")]));
    let default = r#"{"StringEquals": {"s3:prefix": "home/${aws:username, 'guest'}/"}}"#;
    assert!(holds(default, &[("s3:prefix", "home/guest/")]));
    // An unresolved variable never makes a negated operator true.
    let negated = r#"{"StringNotEquals": {"s3:prefix": "home/${aws:username}/"}}"#;
    assert!(holds(negated, &[("aws:username", "alice"), ("s3:prefix", "home/bob/")]));
    assert!(!holds(negated, &[("s3:prefix", "home/bob/")]));
    assert!(holds(
        r#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}-*"}}"#,
        &[("aws:username", "al"), ("aws:SourceArn", "arn:aws:s3:::al-logs")]
    ));
    assert!(holds(r#"{"Bool": {"test:flag": "${test:want}"}}"#, &[("test:want", "true"), ("test:flag", "true")]));
    assert!(holds(r#"{"StringLike": {"test:key": "a${*}b${?}"}}"#, &[("test:key", "a*b?")]));
    assert!(!holds(r#"{"StringLike": {"test:key": "a${*}b${?}"}}"#, &[("test:key", "axxbz")]));
    assert!(holds(r#"{"StringEquals": {"test:key": "cost${$}"}}"#, &[("test:key", "cost$")]));
}
