//! The example policies of the AWS IAM User Guide and the Amazon S3 User Guide, copied
//! as published (bucket names aside), on requests they must allow, deny, or not apply to.

use super::super::Outcome::{Allow, ExplicitDeny, NotApplicable};
use super::super::PolicyKind::{Identity, Resource, Trust};
use super::{ctx, eval, parse, root, session, user};

const BUCKET: &str = "arn:aws:s3:::DOC-EXAMPLE-BUCKET";
const OBJECT: &str = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/photo.jpg";

/// IAM guide, "Amazon S3: Allows IAM users access to their S3 home directory,
/// programmatically and in the console".
#[test]
fn s3_home_directory() {
    let policy = parse(
        r#"{
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket-name",
             "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
            {"Effect": "Allow", "Action": "s3:*", "Resource": [
                "arn:aws:s3:::bucket-name/home/${aws:username}",
                "arn:aws:s3:::bucket-name/home/${aws:username}/*"]}
        ]}"#,
        Identity,
    );
    let alice = ctx(&[("aws:username", "alice")]);
    assert_eq!(eval(&policy, "s3:ListAllMyBuckets", "*", None, &alice), Allow);
    assert_eq!(eval(&policy, "s3:GetObject", "arn:aws:s3:::bucket-name/home/alice/notes.txt", None, &alice), Allow);
    assert_eq!(eval(&policy, "s3:PutObject", "arn:aws:s3:::bucket-name/home/alice", None, &alice), Allow);
    assert_eq!(eval(&policy, "s3:GetObject", "arn:aws:s3:::bucket-name/home/bob/notes.txt", None, &alice), NotApplicable);
    assert_eq!(eval(&policy, "s3:GetObject", "arn:aws:s3:::bucket-name/home/alice2/x", None, &alice), NotApplicable);
    let list = |prefix: &str| {
        let mut c = alice.clone();
        c.insert("s3:prefix", prefix);
        eval(&policy, "s3:ListBucket", "arn:aws:s3:::bucket-name", None, &c)
    };
    assert_eq!(list(""), Allow);
    assert_eq!(list("home/"), Allow);
    assert_eq!(list("home/alice/photos/"), Allow);
    assert_eq!(list("home/bob/"), NotApplicable);
    // Without aws:username (an anonymous or role caller), nothing of the home directory.
    assert_eq!(eval(&policy, "s3:GetObject", "arn:aws:s3:::bucket-name/home//x", None, &ctx(&[])), NotApplicable);
}

/// S3 guide, "Granting permissions to multiple accounts with added conditions".
#[test]
fn s3_multiple_accounts_canned_acl() {
    let policy = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"AddCannedAcl","Effect":"Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]},
            "Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
            "Condition":{"StringEquals":{"s3:x-amz-acl":["public-read"]}}}]}"#,
        Resource,
    );
    let public = ctx(&[("s3:x-amz-acl", "public-read")]);
    let private = ctx(&[("s3:x-amz-acl", "private")]);
    let alice = user("111122223333", "alice");
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&alice), &public), Allow);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&root("444455556666")), &public), Allow);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&alice), &private), NotApplicable);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&alice), &ctx(&[])), NotApplicable);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&user("999999999999", "eve")), &public), NotApplicable);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, None, &public), NotApplicable);
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, Some(&alice), &public), NotApplicable);
}

/// S3 guide, "Granting read-only permission to an anonymous user".
#[test]
fn s3_public_read() {
    let policy = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal": "*",
            "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]}]}"#,
        Resource,
    );
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[])), Allow);
    assert_eq!(eval(&policy, "S3:getobject", OBJECT, Some(&user("111122223333", "a")), &ctx(&[])), Allow);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, None, &ctx(&[])), NotApplicable);
    assert_eq!(eval(&policy, "s3:GetObject", BUCKET, None, &ctx(&[])), NotApplicable);
    assert_eq!(eval(&policy, "s3:GetObject", "arn:aws:s3:::doc-example-bucket/photo.jpg", None, &ctx(&[])), NotApplicable);
}

/// S3 guide, "Limiting access to specific IP addresses".
#[test]
fn s3_deny_outside_ip_range() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Id": "S3PolicyId1","Statement": [{"Sid": "IPAllow","Effect": "Deny","Principal": "*",
            "Action": "s3:*","Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
            "Condition": {"NotIpAddress": {"aws:SourceIp": "54.240.143.0/24"}}}]}"#,
        Resource,
    );
    let from = |ip: &str| eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[("aws:SourceIp", ip)]));
    assert_eq!(from("54.240.143.7"), NotApplicable);
    assert_eq!(from("54.240.144.7"), ExplicitDeny);
    assert_eq!(from("2001:db8::1"), ExplicitDeny);
    // The key is absent (a VPC endpoint request): a negated operator is true.
    assert_eq!(eval(&policy, "s3:GetObject", BUCKET, None, &ctx(&[])), ExplicitDeny);
}

/// S3 guide, "Allowing IPv4 and IPv6 addresses": allows 54.240.143.1 and
/// 2001:DB8:1234:5678::1, not 54.240.143.129 nor 2001:DB8:1234:5678:ABCD::1.
#[test]
fn s3_ipv4_and_ipv6_mix() {
    let policy = parse(
        r#"{"Id":"PolicyId2","Version":"2012-10-17","Statement":[{"Sid":"AllowIPmix","Effect":"Allow","Principal":"*",
            "Action":"s3:*","Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
            "Condition": {
              "IpAddress": {"aws:SourceIp": ["54.240.143.0/24","2001:DB8:1234:5678::/64"]},
              "NotIpAddress": {"aws:SourceIp": ["54.240.143.128/30","2001:DB8:1234:5678:ABCD::/80"]}}}]}"#,
        Resource,
    );
    let from = |ip: &str| eval(&policy, "s3:ListBucket", BUCKET, None, &ctx(&[("aws:SourceIp", ip)]));
    assert_eq!(from("54.240.143.1"), Allow);
    assert_eq!(from("2001:DB8:1234:5678::1"), Allow);
    assert_eq!(from("54.240.143.129"), NotApplicable);
    assert_eq!(from("2001:DB8:1234:5678:ABCD::1"), NotApplicable);
    assert_eq!(from("not an address"), NotApplicable);
}

/// S3 guide, "Restricting access to a specific HTTP referer".
#[test]
fn s3_referer() {
    let policy = parse(
        r#"{"Version":"2012-10-17","Id":"http referer policy example","Statement":[{
            "Sid":"Allow get requests originating from www.example.com and example.com.","Effect":"Allow","Principal":"*",
            "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
            "Condition":{"StringLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}}}]}"#,
        Resource,
    );
    let from = |referer: &str| eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[("aws:Referer", referer)]));
    assert_eq!(from("http://www.example.com/gallery.html"), Allow);
    assert_eq!(from("http://example.com/"), Allow);
    assert_eq!(from("http://evil.com/http://example.com/"), NotApplicable);
    assert_eq!(from("HTTP://EXAMPLE.COM/x"), NotApplicable);
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[])), NotApplicable);
}

/// S3 guide, "Granting permission to an Amazon CloudFront OAI".
#[test]
fn s3_cloudfront_oai() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Id": "PolicyForCloudFrontPrivateContent","Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC"},
            "Action": "s3:GetObject","Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"}]}"#,
        Resource,
    );
    let oai = super::super::PrincipalInfo {
        arn: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC".into(),
        ..Default::default()
    };
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, Some(&oai), &ctx(&[])), Allow);
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[])), NotApplicable);
}

/// S3 guide, "Adding a bucket policy to require MFA" (the three-statement version).
#[test]
fn s3_require_mfa() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Id": "123","Statement": [
          {"Sid": "","Effect": "Deny","Principal": "*","Action": "s3:*","Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/taxdocuments/*",
           "Condition": {"Null": {"aws:MultiFactorAuthAge": true }}},
          {"Sid": "","Effect": "Deny","Principal": "*","Action": "s3:*","Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/taxdocuments/*",
           "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": 3600 }}},
          {"Sid": "","Effect": "Allow","Principal": "*","Action": ["s3:GetObject"],"Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"}]}"#,
        Resource,
    );
    let tax = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/taxdocuments/2020.pdf";
    let age = |a: &str| ctx(&[("aws:MultiFactorAuthAge", a)]);
    assert_eq!(eval(&policy, "s3:GetObject", tax, None, &ctx(&[])), ExplicitDeny);
    assert_eq!(eval(&policy, "s3:GetObject", tax, None, &age("60")), Allow);
    assert_eq!(eval(&policy, "s3:GetObject", tax, None, &age("3600")), Allow);
    assert_eq!(eval(&policy, "s3:GetObject", tax, None, &age("3601")), ExplicitDeny);
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[])), Allow);
}

/// S3 guide, "Granting cross-account permissions to upload objects while ensuring the
/// bucket owner has full control".
#[test]
fn s3_cross_account_upload() {
    let policy = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"PolicyForAllowUploadWithACL","Effect":"Allow",
            "Principal":{"AWS":"123456789012"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#,
        Resource,
    );
    let acl = ctx(&[("s3:x-amz-acl", "bucket-owner-full-control")]);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&session("123456789012", "Uploader", "job-1")), &acl), Allow);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&user("123456789012", "bob")), &acl), Allow);
    assert_eq!(eval(&policy, "s3:PutObject", OBJECT, Some(&user("210987654321", "bob")), &acl), NotApplicable);
}

/// S3 guide, S3 Inventory and Storage Lens destination policies: `Service` principals
/// (no request here is one) and the Storage Lens example's repeated `StringEquals`.
#[test]
fn s3_service_principal_examples() {
    let inventory = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"InventoryAndAnalyticsExamplePolicy","Effect":"Allow",
            "Principal": {"Service": "s3.amazonaws.com"},"Action":"s3:PutObject","Resource":["arn:aws:s3:::destinationbucket/*"],
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::sourcebucket"},
                          "StringEquals": {"aws:SourceAccount": "123456789012","s3:x-amz-acl": "bucket-owner-full-control"}}}]}"#,
        Resource,
    );
    let full = ctx(&[
        ("aws:SourceArn", "arn:aws:s3:::sourcebucket"),
        ("aws:SourceAccount", "123456789012"),
        ("s3:x-amz-acl", "bucket-owner-full-control"),
    ]);
    assert_eq!(eval(&inventory, "s3:PutObject", "arn:aws:s3:::destinationbucket/x", Some(&root("123456789012")), &full), NotApplicable);
    let lens = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Sid": "S3StorageLensExamplePolicy","Effect": "Allow",
            "Principal": {"Service": ["storage-lens.s3.amazonaws.com"]},"Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::destination-bucket/destination-prefix/StorageLens/111122223333/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
                          "StringEquals": {"aws:SourceAccount": "111122223333"},
                          "StringEquals": {"aws:SourceArn": "arn:aws:s3:your-region:111122223333:storage-lens/your-dashboard-configuration-id"}}}]}"#,
        Resource,
    );
    assert_eq!(
        eval(&lens, "s3:PutObject", "arn:aws:s3:::destination-bucket/destination-prefix/StorageLens/111122223333/x", None, &full),
        NotApplicable
    );
}

/// IAM guide, "Condition operators", Bool: deny S3 over plain HTTP.
#[test]
fn deny_insecure_transport() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Sid": "BooleanExample","Action": "s3:*","Effect": "Deny",
            "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}"#,
        Identity,
    );
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[("aws:SecureTransport", "false")])), ExplicitDeny);
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[("aws:SecureTransport", "true")])), NotApplicable);
    assert_eq!(eval(&policy, "s3:GetObject", OBJECT, None, &ctx(&[])), NotApplicable);
}

/// IAM guide, "AWS: Allows access within specific dates".
#[test]
fn access_within_dates() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Statement": {"Effect": "Allow","Action": "service-prefix:action-name","Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"},
                          "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}}}}"#,
        Identity,
    );
    let at = |t: &str| eval(&policy, "service-prefix:action-name", "arn:aws:x:::y", None, &ctx(&[("aws:CurrentTime", t)]));
    assert_eq!(at("2017-09-01T12:00:00Z"), Allow);
    assert_eq!(at("2017-07-01T00:00:00Z"), NotApplicable);
    assert_eq!(at("2018-01-01T00:00:00Z"), NotApplicable);
    assert_eq!(at("2017-06-30T23:00:00-02:00"), Allow);
    assert_eq!(at("1504267200"), Allow);
    assert_eq!(at("garbage"), NotApplicable);
}

/// IAM guide, "NotPrincipal": deny everyone but Bob (listed with his account), and
/// everyone but one role session (listed with its role and account).
#[test]
fn not_principal_with_deny() {
    let bob_only = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Effect": "Deny",
            "NotPrincipal": {"AWS": ["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},
            "Action": "s3:*","Resource": ["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]}]}"#,
        Resource,
    );
    let obj = "arn:aws:s3:::BUCKETNAME/k";
    assert_eq!(eval(&bob_only, "s3:GetObject", obj, Some(&user("444455556666", "Bob")), &ctx(&[])), NotApplicable);
    assert_eq!(eval(&bob_only, "s3:GetObject", obj, Some(&root("444455556666")), &ctx(&[])), NotApplicable);
    assert_eq!(eval(&bob_only, "s3:GetObject", obj, Some(&user("444455556666", "Alice")), &ctx(&[])), ExplicitDeny);
    assert_eq!(eval(&bob_only, "s3:GetObject", obj, Some(&user("111122223333", "Bob")), &ctx(&[])), ExplicitDeny);
    assert_eq!(eval(&bob_only, "s3:GetObject", obj, None, &ctx(&[])), ExplicitDeny);

    let audit = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Effect": "Deny","NotPrincipal": {"AWS": [
            "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
            "arn:aws:iam::444455556666:role/cross-account-read-only-role",
            "arn:aws:iam::444455556666:root"]},
            "Action": "s3:*","Resource": ["arn:aws:s3:::Bucket_AccountAudit","arn:aws:s3:::Bucket_AccountAudit/*"]}]}"#,
        Resource,
    );
    let obj = "arn:aws:s3:::Bucket_AccountAudit/report";
    let app = session("444455556666", "cross-account-read-only-role", "cross-account-audit-app");
    let other = session("444455556666", "cross-account-read-only-role", "someone-else");
    assert_eq!(eval(&audit, "s3:GetObject", obj, Some(&app), &ctx(&[])), NotApplicable);
    assert_eq!(eval(&audit, "s3:GetObject", obj, Some(&other), &ctx(&[])), ExplicitDeny);
}

/// IAM guide, "Principal": the ArnNotEquals alternative to NotPrincipal.
#[test]
fn deny_all_but_principal_arn() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Sid": "UsePrincipalArnInsteadOfNotPrincipalWithDeny","Effect": "Deny",
            "Action": "s3:*","Principal": "*","Resource": ["arn:aws:s3:::BUCKETNAME/*","arn:aws:s3:::BUCKETNAME"],
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::444455556666:user/user-name"}}}]}"#,
        Resource,
    );
    let as_arn = |arn: &str| eval(&policy, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x", None, &ctx(&[("aws:PrincipalArn", arn)]));
    assert_eq!(as_arn("arn:aws:iam::444455556666:user/user-name"), NotApplicable);
    assert_eq!(as_arn("arn:aws:iam::444455556666:user/other"), ExplicitDeny);
    assert_eq!(eval(&policy, "s3:GetObject", "arn:aws:s3:::BUCKETNAME", None, &ctx(&[])), ExplicitDeny);
}

/// IAM guide, "Condition operators", ARN: the SQS queue policy.
#[test]
fn arn_equals_source_topic() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Statement": {"Effect": "Allow","Principal": {"AWS": "123456789012"},
            "Action": "SQS:SendMessage","Resource": "arn:aws:sqs:REGION:123456789012:QUEUE-ID",
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}}}}"#,
        Resource,
    );
    let sns = user("123456789012", "sns");
    let from = |arn: &str| {
        eval(&policy, "sqs:sendmessage", "arn:aws:sqs:REGION:123456789012:QUEUE-ID", Some(&sns), &ctx(&[("aws:SourceArn", arn)]))
    };
    assert_eq!(from("arn:aws:sns:REGION:123456789012:TOPIC-ID"), Allow);
    assert_eq!(from("arn:aws:sns:REGION:123456789012:OTHER"), NotApplicable);
}

/// IAM guide, "...IfExists": RunInstances on the instance types t1, t2 and m3.
#[test]
fn string_like_if_exists() {
    let policy = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Sid": "RunInstance","Effect": "Allow","Action": "ec2:RunInstances","Resource": "*",
            "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*","t2.*","m3.*"]}}},
            {"Sid": "DescribeActions","Effect": "Allow","Action": ["ec2:DescribeImages","ec2:DescribeInstances"],"Resource": "*"}]}"#,
        Identity,
    );
    let run = |pairs: &[(&str, &str)]| eval(&policy, "ec2:RunInstances", "arn:aws:ec2:us-east-1:1:instance/*", None, &ctx(pairs));
    assert_eq!(run(&[("ec2:InstanceType", "t2.micro")]), Allow);
    assert_eq!(run(&[("ec2:InstanceType", "m5.large")]), NotApplicable);
    assert_eq!(run(&[]), Allow);
}

/// IAM guide, "Creating a condition that tests multiple key values": DynamoDB attributes.
#[test]
fn set_operators_dynamodb() {
    let allow = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Effect": "Allow","Action": "dynamodb:GetItem",
            "Resource": "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread",
            "Condition": {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ["PostDateTime","Message","Tags"]}}}]}"#,
        Identity,
    );
    let table = "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread";
    let attrs = |names: &[&str]| {
        let mut c = ctx(&[]);
        c.set("dynamodb:requestedAttributes", names.iter().map(|n| (*n).to_owned()).collect());
        c
    };
    assert_eq!(eval(&allow, "dynamodb:GetItem", table, None, &attrs(&["PostDateTime", "Message"])), Allow);
    assert_eq!(eval(&allow, "dynamodb:GetItem", table, None, &attrs(&["PostDateTime", "UserName"])), NotApplicable);
    assert_eq!(eval(&allow, "dynamodb:GetItem", table, None, &attrs(&[])), Allow);

    let deny = parse(
        r#"{"Version": "2012-10-17","Statement": [{"Effect": "Deny","Action": "dynamodb:PutItem",
            "Resource": "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread",
            "Condition": {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID","PostDateTime"]}}}]}"#,
        Identity,
    );
    assert_eq!(eval(&deny, "dynamodb:PutItem", table, None, &attrs(&["UserName", "Message", "PostDateTime"])), ExplicitDeny);
    assert_eq!(eval(&deny, "dynamodb:PutItem", table, None, &attrs(&["UserName"])), NotApplicable);
    assert_eq!(eval(&deny, "dynamodb:PutItem", table, None, &attrs(&[])), NotApplicable);
}

/// IAM guide, "Variables": `${aws:username}` in `s3:prefix`, and 2008 policies that take
/// it literally.
#[test]
fn variables_and_version() {
    let body = r#""Statement": [{"Action": ["s3:ListBucket"],"Effect": "Allow","Resource": ["arn:aws:s3:::mybucket"],
        "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}}]"#;
    let v2012 = parse(&format!(r#"{{"Version": "2012-10-17", {body}}}"#), Identity);
    let v2008 = parse(&format!(r#"{{"Version": "2008-10-17", {body}}}"#), Identity);
    let none = parse(&format!("{{{body}}}"), Identity);
    let list = |p: &super::super::Policy, prefix: &str| {
        eval(p, "s3:ListBucket", "arn:aws:s3:::mybucket", None, &ctx(&[("aws:username", "David"), ("s3:prefix", prefix)]))
    };
    assert_eq!(list(&v2012, "David/photos"), Allow);
    assert_eq!(list(&v2012, "Adele/photos"), NotApplicable);
    assert_eq!(list(&v2008, "David/photos"), NotApplicable);
    assert_eq!(list(&v2008, "${aws:username}/photos"), Allow);
    assert_eq!(list(&none, "${aws:username}/photos"), Allow);
}

/// Trust policies: a service role, a cross-account role, and web identity federation.
#[test]
fn trust_policies() {
    let ec2 = parse(
        r#"{"Version": "2012-10-17","Statement": {"Effect": "Allow","Principal": {"Service": "ec2.amazonaws.com"},"Action": "sts:AssumeRole"}}"#,
        Trust,
    );
    assert_eq!(eval(&ec2, "sts:AssumeRole", "", Some(&user("123456789012", "a")), &ctx(&[])), NotApplicable);

    let cross = parse(
        r#"{"Version": "2012-10-17","Statement": {"Effect": "Allow","Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "sts:AssumeRole","Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}}"#,
        Trust,
    );
    let mfa = ctx(&[("aws:MultiFactorAuthPresent", "true")]);
    assert_eq!(eval(&cross, "sts:AssumeRole", "arn:aws:iam::999999999999:role/r", Some(&user("111122223333", "a")), &mfa), Allow);
    assert_eq!(eval(&cross, "sts:AssumeRole", "", Some(&user("111122223333", "a")), &ctx(&[])), NotApplicable);
    assert_eq!(eval(&cross, "sts:AssumeRole", "", Some(&user("444455556666", "a")), &mfa), NotApplicable);

    let web = parse(
        r#"{"Version": "2012-10-17","Statement": {"Effect": "Allow","Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity","Condition": {"StringEquals": {"accounts.google.com:aud": "my-app"}}}}"#,
        Trust,
    );
    let google = super::super::PrincipalInfo { federated: Some("accounts.google.com".into()), ..Default::default() };
    let aud = ctx(&[("accounts.google.com:aud", "my-app")]);
    assert_eq!(eval(&web, "sts:AssumeRoleWithWebIdentity", "", Some(&google), &aud), Allow);
    assert_eq!(eval(&web, "sts:AssumeRoleWithWebIdentity", "", None, &aud), NotApplicable);
}
