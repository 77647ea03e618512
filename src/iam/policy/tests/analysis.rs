//! The bucket-policy analysis: PutBucketPolicy's checks, S3's meaning of "public", and
//! principals outside an account.

use super::super::PolicyKind::{Identity, Resource};
use super::super::{Policy, PolicyError};
use super::{parse, refuse};

const BUCKET: &str = "DOC-EXAMPLE-BUCKET";

/// S3 guide, "Granting read-only permission to anonymous users", as published.
const PUBLIC_READ: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]
        }
    ]
}"#;

/// A bucket policy of one statement made of `elements`.
fn statement(elements: &str) -> Policy {
    parse(&format!(r#"{{"Version": "2012-10-17", "Statement": [{{{elements}}}]}}"#), Resource)
}

/// An `Allow` statement to `principal` (JSON) on the bucket's objects, with `extra`
/// elements (such as a `Condition`).
fn allow(principal: &str, extra: &str) -> Policy {
    let comma = if extra.is_empty() { "" } else { ", " };
    statement(&format!(
        r#""Effect": "Allow", "Principal": {principal}, "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"{comma}{extra}"#
    ))
}

/// An anonymous `Allow` under one condition `{"operator": {"key": values}}`.
fn public_if(condition: &str) -> bool {
    allow(r#""*""#, &format!(r#""Condition": {condition}"#)).is_public()
}

/// The check of a statement with these `Action` and `Resource` values (JSON).
fn check(action: &str, resource: &str) -> Result<(), PolicyError> {
    statement(&format!(r#""Effect": "Allow", "Principal": "*", "Action": {action}, "Resource": {resource}"#)).check_bucket_policy(BUCKET)
}

#[test]
fn valid_bucket_policies_pass() {
    parse(PUBLIC_READ, Resource).check_bucket_policy(BUCKET).unwrap();
    for resource in [
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/m?-obj/*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/home/${aws:username}/*""#,
        r#"["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]"#,
    ] {
        assert_eq!(check(r#""s3:*""#, resource), Ok(()), "{resource}");
    }
    for action in [
        r#""*""#,
        r#""s3:*""#,
        r#""s3:Get*""#,
        r#""s3:GetObject""#,
        r#""S3:getobject""#,
        r#""s3:GetObjec?""#,
        r#""s3:*Multipart*""#,
        r#"["s3:PutObject", "s3:PutObjectAcl", "s3:BypassGovernanceRetention"]"#,
    ] {
        assert_eq!(check(action, r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#), Ok(()), "{action}");
    }
    // Deny statements and NotAction / NotResource are checked the same way.
    let deny = statement(
        r#""Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "NotAction": "s3:Get*",
           "NotResource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/public/*""#,
    );
    assert_eq!(deny.check_bucket_policy(BUCKET), Ok(()));
}

#[test]
fn resources_must_stay_in_the_bucket() {
    for resource in [
        r#""*""#,
        r#""arn:aws:s3:::*""#,
        r#""arn:aws:s3:::*/*""#,
        r#""arn:aws:s3:::other-bucket""#,
        r#""arn:aws:s3:::other-bucket/*""#,
        // Would also name DOC-EXAMPLE-BUCKET2 and its objects.
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET2/*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKE?/*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKE""#,
        r#""arn:aws:s3:::prefix-DOC-EXAMPLE-BUCKET""#,
        r#""arn:aws:s3:::/DOC-EXAMPLE-BUCKET""#,
        r#""arn:aws:s3:::${aws:username}/*""#,
        r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET${aws:username}""#,
        r#""arn:aws:s3:us-east-1::DOC-EXAMPLE-BUCKET""#,
        r#""arn:aws:s3::111122223333:DOC-EXAMPLE-BUCKET""#,
        r#""arn:aws:iam:::DOC-EXAMPLE-BUCKET""#,
        r#""arn:*:s3:::DOC-EXAMPLE-BUCKET""#,
        // Only the aws partition: coffer's resource ARNs are all arn:aws:s3.
        r#""arn:aws-cn:s3:::DOC-EXAMPLE-BUCKET""#,
        r#"["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*", "arn:aws:s3:::other-bucket/*"]"#,
    ] {
        assert_eq!(check(r#""s3:*""#, resource).unwrap_err().0, "Policy has invalid resource", "{resource}");
    }
    let not_resource = statement(r#""Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": "arn:aws:s3:::other/*""#);
    assert_eq!(not_resource.check_bucket_policy(BUCKET).unwrap_err().0, "Policy has invalid resource");
    // Without variables (Version 2008-10-17), `${...}` is literal text in the key.
    let literal = parse(
        r#"{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/${aws:username}"}}"#,
        Resource,
    );
    assert_eq!(literal.check_bucket_policy(BUCKET), Ok(()));
    assert!(parse(PUBLIC_READ, Resource).check_bucket_policy("").is_err());
}

#[test]
fn actions_must_be_s3_actions() {
    for action in [
        r#""iam:*""#,
        r#""iam:CreateUser""#,
        r#""sts:AssumeRole""#,
        r#""s3:Foo""#,
        r#""s3:GetObjects""#,
        r#""s3:ListObjects""#,
        r#""s3:""#,
        r#""s3::GetObject""#,
        r#""s3:GetObject:""#,
        r#""s3:*Obj??ect*""#,
        r#""s3:????""#,
        r#""s3:Abort?""#,
        r#""s4:GetObject""#,
        r#""s3express:CreateSession""#,
        r#"["s3:GetObject", "iam:PassRole"]"#,
    ] {
        assert_eq!(check(action, r#""arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#).unwrap_err().0, "Policy has invalid action", "{action}");
    }
    let not_action =
        statement(r#""Effect": "Deny", "Principal": "*", "NotAction": "iam:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET""#);
    assert_eq!(not_action.check_bucket_policy(BUCKET).unwrap_err().0, "Policy has invalid action");
}

#[test]
fn principals_are_required() {
    // Parsing a bucket policy already refuses a statement without one.
    let doc = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"}}"#;
    assert_eq!(refuse(doc, Resource), "Missing required field Principal");
    // A policy parsed as another kind has none.
    assert_eq!(parse(doc, Identity).check_bucket_policy(BUCKET).unwrap_err().0, "Missing required field Principal");
    assert!(!parse(doc, Identity).is_public());
}

#[test]
fn public_read_is_public() {
    assert!(parse(PUBLIC_READ, Resource).is_public());
    assert!(parse(&PUBLIC_READ.replace(r#""*""#, r#"{"AWS": "*"}"#), Resource).is_public());
    // The guide's examples of public policies.
    assert!(allow(r#"{"Federated": "graph.facebook.com"}"#, "").is_public());
    assert!(public_if(r#"{"StringLike": {"aws:SourceVpc": "vpc-*"}}"#));
    // ... made non-public with a fixed value.
    assert!(!public_if(r#"{"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}"#));
}

#[test]
fn fixed_principals_are_not_public() {
    assert!(!allow(r#"{"AWS": "arn:aws:iam::111122223333:root"}"#, "").is_public());
    assert!(!allow(r#"{"AWS": ["111122223333", "arn:aws:iam::444455556666:user/Dave"]}"#, "").is_public());
    assert!(!allow(r#"{"AWS": "arn:aws:iam::111122223333:role/reader"}"#, "").is_public());
    assert!(!allow(r#"{"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#, "").is_public());
    assert!(!allow(r#"{"Service": "cloudtrail.amazonaws.com"}"#, "").is_public());
}

#[test]
fn deny_is_never_public() {
    let deny = statement(r#""Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#);
    assert!(!deny.is_public());
    let deny_not_principal = statement(
        r#""Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET""#,
    );
    assert!(!deny_not_principal.is_public());
}

#[test]
fn not_principal_allow_is_public() {
    let not_principal = |extra: &str| {
        let comma = if extra.is_empty() { "" } else { ", " };
        statement(&format!(
            r#""Effect": "Allow", "NotPrincipal": {{"AWS": "arn:aws:iam::111122223333:user/Bob"}}, "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"{comma}{extra}"#
        ))
    };
    assert!(not_principal("").is_public());
    // Restricted like a "*" principal.
    assert!(!not_principal(r#""Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}"#).is_public());
    // NotPrincipal "*" grants no one.
    assert!(!statement(
        r#""Effect": "Allow", "NotPrincipal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#
    )
    .is_public());
}

#[test]
fn one_public_statement_makes_the_policy_public() {
    // The guide's "bucket policy that contains both public and non-public access grants".
    let policy = parse(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/AWSLogs/*"},
            {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"}
        ]}"#,
        Resource,
    );
    assert!(policy.is_public());
}

#[test]
fn source_ip() {
    let ip = |ranges: &str| public_if(&format!(r#"{{"IpAddress": {{"aws:SourceIp": {ranges}}}}}"#));
    assert!(!ip(r#""192.0.2.0/24""#));
    assert!(!ip(r#"["192.0.2.0/24", "203.0.113.7"]"#));
    assert!(!ip(r#""10.0.0.0/8""#));
    assert!(!ip(r#""2001:DB8:1234:5678::/64""#));
    assert!(!ip(r#""2001:db8::/32""#));
    // "values broader than /8 for IPv4 and /32 for IPv6" are public.
    assert!(ip(r#""0.0.0.0/1""#));
    assert!(ip(r#""0.0.0.0/0""#));
    assert!(ip(r#""64.0.0.0/7""#));
    assert!(ip(r#"["192.0.2.0/24", "128.0.0.0/1"]"#));
    assert!(ip(r#""2001:db8::/31""#));
    assert!(ip(r#""::/0""#));
    // An IPv6 range is matched against IPv4 callers through ::ffff:a.b.c.d.
    assert!(ip(r#""::/64""#));
    assert!(ip(r#""::ffff:0:0/96""#));
    assert!(ip(r#""::ffff:0.0.0.0/100""#));
    assert!(!ip(r#""::ffff:192.0.2.0/120""#));
    // Negated, IfExists and ForAllValues do not restrict a request without the key.
    assert!(public_if(r#"{"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#));
    assert!(public_if(r#"{"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}}"#));
    assert!(public_if(r#"{"ForAllValues:IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#));
    assert!(!public_if(r#"{"ForAnyValue:IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#));
    // The public-read example restricted to 192.0.2.0/24.
    let restricted = PUBLIC_READ.replace(
        r#"["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]"#,
        r#"["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"], "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#,
    );
    assert!(!parse(&restricted, Resource).is_public());
}

#[test]
fn listed_keys_with_fixed_values() {
    for (key, value) in [
        ("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"),
        ("aws:SourceVpce", "vpce-1a2b3c4d"),
        ("aws:SourceOwner", "111122223333"),
        ("aws:SourceAccount", "111122223333"),
        ("aws:PrincipalOrgID", "o-xxxxxxxxxx"),
        ("aws:PrincipalAccount", "111122223333"),
        ("aws:PrincipalArn", "arn:aws:iam::111122223333:role/reader"),
        ("aws:userid", "AIDAEXAMPLEID"),
        ("s3:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/abc"),
        ("s3:DataAccessPointAccount", "111122223333"),
        ("s3:DataAccessPointArn", "arn:aws:s3:us-west-2:123456789012:accesspoint/reports"),
    ] {
        for op in ["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ForAnyValue:StringEquals"] {
            assert!(!public_if(&format!(r#"{{"{op}": {{"{key}": "{value}"}}}}"#)), "{op} {key}");
        }
        // Key names ignore case.
        assert!(!public_if(&format!(r#"{{"StringEquals": {{"{}": "{value}"}}}}"#, key.to_uppercase())), "{key}");
        for op in ["StringNotEquals", "StringNotLike", "StringEqualsIfExists", "ForAllValues:StringEquals", "Null"] {
            let value = if op == "Null" { "false" } else { value };
            assert!(public_if(&format!(r#"{{"{op}": {{"{key}": "{value}"}}}}"#)), "{op} {key}");
        }
        // A wildcard or a variable in any value is not fixed.
        assert!(public_if(&format!(r#"{{"StringLike": {{"{key}": ["{value}", "x*"]}}}}"#)), "{key}");
        assert!(public_if(&format!(r#"{{"StringEquals": {{"{key}": "${{aws:username}}"}}}}"#)), "{key}");
    }
    assert!(!public_if(r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}}"#));
    assert!(public_if(r#"{"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:*:topic"}}"#));
    // aws:userid outside the pattern AROLEID:*.
    assert!(public_if(r#"{"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}"#));
    // Any other key, however fixed, leaves the statement public.
    assert!(public_if(r#"{"Bool": {"aws:SecureTransport": "true"}}"#));
    assert!(public_if(r#"{"StringEquals": {"s3:prefix": "home/"}}"#));
    assert!(public_if(r#"{"StringEquals": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}}"#));
    // One restricting condition among others is enough.
    assert!(!public_if(r#"{"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}}"#));
}

#[test]
fn access_point_arns_may_wildcard_the_name_only() {
    let arn = |value: &str| public_if(&format!(r#"{{"ArnLike": {{"s3:DataAccessPointArn": "{value}"}}}}"#));
    assert!(!arn("arn:aws:s3:us-west-2:123456789012:accesspoint/*"));
    assert!(!arn("arn:aws:s3:us-west-2:123456789012:accesspoint/reports-*"));
    assert!(arn("arn:aws:s3:us-west-2:*:accesspoint/*"));
    assert!(arn("arn:aws:s3:*:123456789012:accesspoint/*"));
    assert!(arn("arn:aws:s3:us-west-2:123456789012:*"));
    assert!(arn("arn:aws:s3:us-west-2:123456789012:accesspoint/"));
    assert!(arn("*"));
}

#[test]
fn principals_outside_an_account() {
    let outside = |principal: &str| allow(principal, "").names_principal_outside("111122223333");
    assert!(!outside(r#"{"AWS": "111122223333"}"#));
    assert!(!outside(r#"{"AWS": "arn:aws:iam::111122223333:root"}"#));
    assert!(!outside(r#"{"AWS": ["arn:aws:iam::111122223333:user/Dave", "arn:aws:iam::111122223333:role/reader"]}"#));
    assert!(!outside(r#"{"AWS": "arn:aws:sts::111122223333:assumed-role/reader/session"}"#));
    assert!(!outside(r#"{"Service": "cloudtrail.amazonaws.com"}"#));
    assert!(outside(r#""*""#));
    assert!(outside(r#"{"AWS": "*"}"#));
    assert!(outside(r#"{"AWS": "444455556666"}"#));
    assert!(outside(r#"{"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]}"#));
    assert!(outside(r#"{"AWS": "arn:aws:iam::444455556666:user/Dave"}"#));
    assert!(outside(r#"{"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E15MNIMTCFKK4C"}"#));
    assert!(outside(r#"{"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#));
    assert!(outside(r#"{"Federated": "cognito-identity.amazonaws.com"}"#));
    // NotPrincipal grants everyone but the listed; NotPrincipal "*" grants no one.
    let not_principal = |value: &str| {
        statement(&format!(
            r#""Effect": "Allow", "NotPrincipal": {value}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#
        ))
        .names_principal_outside("111122223333")
    };
    assert!(not_principal(r#"{"AWS": "111122223333"}"#));
    assert!(!not_principal(r#""*""#));
    // Deny statements grant nothing.
    let deny = statement(r#""Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*""#);
    assert!(!deny.names_principal_outside("111122223333"));
}
