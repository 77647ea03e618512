//! Bucket-policy analysis: what S3's PutBucketPolicy refuses beyond the policy grammar
//! ([`Policy::check_bucket_policy`]), whether S3 calls a policy public
//! ([`Policy::is_public`], which Block Public Access acts on), and whether a policy grants
//! to principals of other accounts ([`Policy::names_principal_outside`]).
//!
//! Pure like the rest of the module: it reads compiled statements, never a request, and
//! imports nothing outside `iam::policy`.
//!
//! Sources, rule by rule, are written where each rule is made. The S3 ones:
//! - S3 User Guide, "Blocking public access to your Amazon S3 storage", section "The
//!   meaning of public" (what makes a bucket policy public);
//! - the old S3 Developer Guide, "Special Information for Amazon S3 Policies": "Each
//!   policy must cover only a single bucket and resources within that bucket";
//! - the messages S3 answers with (`MalformedPolicy`), as versitygw's integration suite,
//!   written against AWS, expects them: "Policy has invalid resource", "Policy has invalid
//!   action", "Missing required field Principal";
//! - the action names: the Service Authorization Reference, "Actions, resources, and
//!   condition keys for Amazon S3".

use super::condition::{Condition, SetOperator, Test};
use super::pattern::{Part, Pattern, Template};
use super::principal::Principals;
use super::statement::{Effect, Statement};
use super::values::Cidr;
use super::{Policy, PolicyError};

/// S3's message for a `Resource` or `NotResource` entry outside the bucket.
const INVALID_RESOURCE: &str = "Policy has invalid resource";
/// S3's message for an `Action` or `NotAction` entry that names no S3 action.
const INVALID_ACTION: &str = "Policy has invalid action";
/// S3's message for a statement without `Principal` or `NotPrincipal`.
const MISSING_PRINCIPAL: &str = "Missing required field Principal";

/// The principals a policy names one by one (`Principal` and `NotPrincipal`), which S3
/// requires to exist ("Invalid principal in policy").
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NamedPrincipals {
    /// 12-digit account ids (from ids and root ARNs).
    pub accounts: Vec<String>,
    /// Other `AWS` ARNs (users, roles, role sessions...).
    pub arns: Vec<String>,
    /// Canonical user ids, lower case.
    pub canonical: Vec<String>,
}

impl Policy {
    /// What S3's PutBucketPolicy refuses, beyond the grammar [`Policy::parse`] already
    /// checks, for a policy attached to `bucket`; the error's message is S3's
    /// `MalformedPolicy` message. Per statement, in this order:
    ///
    /// - a `Principal` or `NotPrincipal` ("Missing required field Principal"). Parsing as
    ///   [`PolicyKind::Resource`](super::PolicyKind::Resource) already requires one; this
    ///   catches a policy parsed as another kind.
    /// - every `Action` / `NotAction` entry matches at least one S3 action name ("Policy
    ///   has invalid action"): `*`, `s3:*`, `s3:Get*` and `s3:GetObject` pass; `iam:*`,
    ///   `iam:CreateUser`, a typo such as `s3:GetObjects`, and a pattern matching no S3
    ///   action (`s3:*Obj??ect*`) do not. AWS validates the names (a well-known cause of
    ///   this error is `s3:ListObjects`, which is not an action); Ceph RGW and versitygw
    ///   also check them against a list. A pattern whose service part is a wildcard
    ///   (`*:GetObject`) passes, as it matches S3 actions.
    /// - every `Resource` / `NotResource` entry is `arn:aws:s3:::BUCKET` or
    ///   `arn:aws:s3:::BUCKET/…` ("Policy has invalid resource"). Wildcards and policy
    ///   variables are allowed only after that `/`, in the object key, where they cannot
    ///   leave the bucket. So `*`, `arn:aws:s3:::*`, another bucket, and
    ///   `arn:aws:s3:::BUCKET*` (which would also name `BUCKET2`) are refused: AWS refuses
    ///   `"Resource": "*"` with this message (noobaa-core issue 10058, from an AWS run), and
    ///   a policy "must cover only a single bucket and resources within that bucket". MinIO
    ///   is looser (any pattern that matches the bucket); the stricter reading refuses only
    ///   patterns that could name another bucket.
    ///
    /// Not checked here: whether named principals exist (S3 answers "Invalid principal in
    /// policy" for unknown ones; that needs the account directory), and whether each
    /// action applies to the resource types listed (S3's "Action does not apply to any
    /// resource(s) in statement").
    pub fn check_bucket_policy(&self, bucket: &str) -> Result<(), PolicyError> {
        let names = s3_action_names();
        for statement in self.statements.iter() {
            if statement.principals.is_none() {
                return Err(PolicyError::new(MISSING_PRINCIPAL));
            }
            if !statement.actions.iter().all(|glob| names.iter().any(|name| glob.is_match(name))) {
                return Err(PolicyError::new(INVALID_ACTION));
            }
            let Some(resources) = &statement.resources else {
                return Err(PolicyError::new(INVALID_RESOURCE));
            };
            if !resources.iter().all(|resource| inside_bucket(resource, bucket)) {
                return Err(PolicyError::new(INVALID_RESOURCE));
            }
        }
        Ok(())
    }

    /// Whether S3 would call the policy public (S3 User Guide, "The meaning of public"):
    /// "Amazon S3 begins by assuming that the policy is public", and a policy is not
    /// public when every `Allow` statement grants only to fixed principals or is
    /// restricted by a condition with fixed values on one of the keys AWS lists.
    ///
    /// An `Allow` statement is open to anyone when its principal is `"*"` /
    /// `{"AWS": "*"}`, a `Federated` provider (the guide's first public example), or a
    /// `NotPrincipal` (which grants everyone but the listed identities; Ceph RGW counts it
    /// public too) unless that `NotPrincipal` lists `"*"`, which grants no one. (A
    /// principal pattern with a wildcard inside it would count too, but parsing refuses
    /// those.) Accounts, users, roles, sessions, canonical users and service principals are
    /// fixed.
    ///
    /// Such a statement is still not public when one of its conditions restricts it:
    /// - `aws:SourceIp` with `IpAddress`, every range no broader than a `/8` (IPv4) or a
    ///   `/32` (IPv6): "values broader than /8 for IPv4 and /32 for IPv6 (excluding
    ///   RFC1918 private ranges)" are public. An IPv6 range that covers IPv4-mapped
    ///   addresses is judged as the IPv4 range it covers, because evaluation matches IPv4
    ///   callers against it (so `::/64`, which holds every `::ffff:a.b.c.d`, is public);
    /// - `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceOwner`,
    ///   `aws:SourceAccount`, `s3:x-amz-server-side-encryption-aws-kms-key-id`,
    ///   `aws:userid` (the guide's list), `aws:PrincipalOrgID` (its example of a principal
    ///   key), `aws:PrincipalAccount`, `aws:PrincipalArn`, and `s3:DataAccessPointAccount`,
    ///   with string or ARN operators and values free of `*`, `?` and policy variables.
    ///   `aws:userid` "outside the pattern `AROLEID:*`" follows: that value has a `*`;
    /// - `s3:DataAccessPointArn`, whose values may have wildcards in the access point name
    ///   "as long as the account id is fixed": `arn:aws:s3:REGION:ACCOUNT:accesspoint/*`.
    ///
    /// A condition restricts only if a request without the key fails it: negated operators
    /// (`StringNotEquals`, `NotIpAddress`…), `...IfExists` and `ForAllValues:` do not
    /// restrict. `Deny` statements never make a policy public. Identity and session
    /// policies (no principals) are never public.
    pub fn is_public(&self) -> bool {
        self.statements
            .iter()
            .any(|statement| statement.effect == Effect::Allow && open_to_anyone(statement) && !statement.conditions.iter().any(restricts))
    }

    /// Every principal the policy's statements name individually.
    pub fn named_principals(&self) -> NamedPrincipals {
        let mut out = NamedPrincipals::default();
        for principals in self.statements.iter().filter_map(|s| s.principals.as_ref()) {
            out.accounts.extend(principals.accounts.iter().cloned());
            out.arns.extend(principals.arns.iter().cloned());
            out.canonical.extend(principals.canonical.iter().cloned());
        }
        out
    }

    /// Whether an `Allow` statement names a principal outside `account` (a 12-digit
    /// account id): everyone (`"*"`), a `NotPrincipal` (everyone but the listed), another
    /// account id, or an ARN whose account field is another account (an `arn:aws:iam::`
    /// or `arn:aws:sts::` ARN of another account, or the CloudFront origin access identity
    /// user, whose account field is `cloudfront`). Canonical user ids and federated
    /// providers count as outside (an id cannot be told to be the account's own without
    /// the directory); service principals do not (they are no account's principals, and
    /// S3 keeps them when it blocks cross-account access). Conditions are not read: a
    /// statement restricted to the account by `aws:PrincipalAccount` still counts.
    pub fn names_principal_outside(&self, account: &str) -> bool {
        self.statements.iter().filter(|statement| statement.effect == Effect::Allow).any(|statement| {
            let Some(principals) = &statement.principals else { return false };
            if statement.not_principal {
                return !principals.everyone;
            }
            names_outside(principals, account)
        })
    }
}

/// Every S3 action name, as `s3:name` in lowercase (compiled action patterns are).
fn s3_action_names() -> Vec<String> {
    S3_ACTIONS.iter().map(|name| format!("s3:{}", name.to_ascii_lowercase())).collect()
}

/// One position of a resource pattern.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// A character that matches only itself.
    Lit(char),
    /// `*`, `?`, or a policy variable: text not known from the policy.
    Open,
}

/// A resource pattern, position by position.
fn units(template: &Template) -> Vec<Unit> {
    let mut out = Vec::new();
    for part in &template.parts {
        match part {
            Part::Text(text) => out.extend(text.chars().map(|c| if c == '*' || c == '?' { Unit::Open } else { Unit::Lit(c) })),
            Part::Char(c) => out.push(Unit::Lit(*c)),
            Part::Var { .. } => out.push(Unit::Open),
        }
    }
    out
}

/// Whether a `Resource` entry stays inside `bucket`: `arn:aws:s3:::BUCKET`, alone or
/// followed by `/`, with every wildcard and variable after that `/`.
fn inside_bucket(resource: &Pattern, bucket: &str) -> bool {
    let units = units(&resource.template);
    let mut rest = units.iter();
    // A bucket name never holds `/`, `*` or `?`; an empty one names nothing.
    !bucket.is_empty()
        && !bucket.contains(['/', '*', '?'])
        && format!("arn:aws:s3:::{bucket}").chars().all(|c| rest.next() == Some(&Unit::Lit(c)))
        && matches!(rest.next(), None | Some(Unit::Lit('/')))
}

/// Whether an `Allow` statement's principal element takes in callers nobody listed.
fn open_to_anyone(statement: &Statement) -> bool {
    let Some(principals) = &statement.principals else { return false };
    if statement.not_principal {
        return !principals.everyone;
    }
    principals.everyone || !principals.federated.is_empty()
}

/// Whether a principal element names someone outside `account` (see
/// [`Policy::names_principal_outside`]).
fn names_outside(principals: &Principals, account: &str) -> bool {
    principals.everyone
        || principals.accounts.iter().any(|a| a != account)
        || principals.arns.iter().any(|arn| arn.split(':').nth(4) != Some(account))
        || !principals.canonical.is_empty()
        || !principals.federated.is_empty()
}

/// Condition keys that make a statement non-public when tested for fixed values.
const FIXED_VALUE_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "s3:dataaccesspointaccount",
];

/// Whether a condition keeps a statement from being public (see [`Policy::is_public`]).
fn restricts(condition: &Condition) -> bool {
    // A request without the key must fail the condition.
    if condition.negated || condition.if_exists || condition.set == SetOperator::ForAll {
        return false;
    }
    match (condition.key.as_str(), &condition.test) {
        ("aws:sourceip", Test::Ip(ranges)) => ranges.iter().all(|&range| !is_broad(range)),
        ("s3:dataaccesspointarn", test) => string_values(test).is_some_and(|values| values.into_iter().all(fixed_access_point)),
        (key, test) if FIXED_VALUE_KEYS.contains(&key) => {
            string_values(test).is_some_and(|values| values.into_iter().all(|value| fixed_text(value).is_some()))
        }
        _ => false,
    }
}

/// The values of a string or ARN test (equality or pattern); `None` for other operators.
fn string_values(test: &Test) -> Option<Vec<&Template>> {
    match test {
        Test::Equals(values) | Test::EqualsIgnoreCase(values) => Some(values.iter().collect()),
        Test::Like(patterns) => Some(patterns.iter().map(|pattern| &pattern.template).collect()),
        Test::Arn(patterns) => Some(patterns.iter().map(|pattern| &pattern.template).collect()),
        _ => None,
    }
}

/// The value's text when it is fixed: no policy variable (or `${*}`-style escape), and
/// no `*` or `?` (counted as wildcards even under `StringEquals`, as AWS's rule reads
/// "values that don't contain a wildcard").
fn fixed_text(value: &Template) -> Option<&str> {
    match value.parts.as_slice() {
        [Part::Text(text)] if !text.contains(['*', '?']) => Some(text),
        _ => None,
    }
}

/// An `s3:DataAccessPointArn` value with a fixed partition, region and account, naming
/// access points (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`), wildcards allowed in
/// `NAME` only.
fn fixed_access_point(value: &Template) -> bool {
    let [Part::Text(text)] = value.parts.as_slice() else { return false };
    let fields: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = fields.as_slice() else { return false };
    let fixed = |field: &str| !field.is_empty() && !field.contains(['*', '?']);
    *arn == "arn"
        && fixed(partition)
        && *service == "s3"
        && fixed(region)
        && fixed(account)
        && resource.strip_prefix("accesspoint/").is_some_and(|name| !name.is_empty())
}

/// Whether an `aws:SourceIp` range is broad enough for S3 to call it public: wider than a
/// `/8` in IPv4 or a `/32` in IPv6, RFC 1918 private ranges excepted.
fn is_broad(range: Cidr) -> bool {
    /// `::ffff:0:0/96`, where IPv4 addresses sit in IPv6.
    const MAPPED: u128 = 0xffff_0000_0000;
    const MAPPED_MASK: u128 = !0xffff_ffff;
    match range {
        Cidr::V4 { net, mask } => broad_v4(net, mask.count_ones()),
        Cidr::V6 { net, mask } => {
            let prefix = mask.count_ones();
            if prefix <= 96 && MAPPED & mask == net {
                // The range holds every IPv4-mapped address: all of IPv4.
                return true;
            }
            if prefix > 96 && net & MAPPED_MASK == MAPPED {
                return broad_v4(u32::try_from(net & 0xffff_ffff).unwrap_or(0), prefix - 96);
            }
            prefix < 32
        }
    }
}

/// [`is_broad`] for an IPv4 network `net` with `prefix` bits.
fn broad_v4(net: u32, prefix: u32) -> bool {
    const PRIVATE: [(u32, u32); 3] = [(0x0a00_0000, 8), (0xac10_0000, 12), (0xc0a8_0000, 16)];
    let private = PRIVATE.iter().any(|&(block, bits)| prefix >= bits && net & (u32::MAX << (32 - bits)) == block);
    prefix < 8 && !private
}

/// Every action of the `s3` service, from the Service Authorization Reference ("Actions,
/// resources, and condition keys for Amazon S3", as of 2026). A name AWS adds later is
/// refused by [`Policy::check_bucket_policy`] until it is added here.
const S3_ACTIONS: &[&str] = &[
    "AbortMultipartUpload",
    "AllowVendedLogDeliveryForResource",
    "AssociateAccessGrantsIdentityCenter",
    "BypassGovernanceRetention",
    "CreateAccessGrant",
    "CreateAccessGrantsInstance",
    "CreateAccessGrantsLocation",
    "CreateAccessPoint",
    "CreateAccessPointForObjectLambda",
    "CreateBucket",
    "CreateBucketMetadataTableConfiguration",
    "CreateJob",
    "CreateMultiRegionAccessPoint",
    "CreateStorageLensGroup",
    "DeleteAccessGrant",
    "DeleteAccessGrantsInstance",
    "DeleteAccessGrantsInstanceResourcePolicy",
    "DeleteAccessGrantsLocation",
    "DeleteAccessPoint",
    "DeleteAccessPointForObjectLambda",
    "DeleteAccessPointPolicy",
    "DeleteAccessPointPolicyForObjectLambda",
    "DeleteBucket",
    "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketPolicy",
    "DeleteBucketWebsite",
    "DeleteJobTagging",
    "DeleteMultiRegionAccessPoint",
    "DeleteObject",
    "DeleteObjectAnnotation",
    "DeleteObjectTagging",
    "DeleteObjectVersion",
    "DeleteObjectVersionAnnotation",
    "DeleteObjectVersionTagging",
    "DeleteStorageLensConfiguration",
    "DeleteStorageLensConfigurationTagging",
    "DeleteStorageLensGroup",
    "DescribeJob",
    "DescribeMultiRegionAccessPointOperation",
    "DissociateAccessGrantsIdentityCenter",
    "GetAccelerateConfiguration",
    "GetAccessGrant",
    "GetAccessGrantsInstance",
    "GetAccessGrantsInstanceForPrefix",
    "GetAccessGrantsInstanceResourcePolicy",
    "GetAccessGrantsLocation",
    "GetAccessPoint",
    "GetAccessPointConfigurationForObjectLambda",
    "GetAccessPointForObjectLambda",
    "GetAccessPointPolicy",
    "GetAccessPointPolicyForObjectLambda",
    "GetAccessPointPolicyStatus",
    "GetAccessPointPolicyStatusForObjectLambda",
    "GetAccountPublicAccessBlock",
    "GetAnalyticsConfiguration",
    "GetBucketAbac",
    "GetBucketAcl",
    "GetBucketCORS",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketMetadataTableConfiguration",
    "GetBucketNotification",
    "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetDataAccess",
    "GetEncryptionConfiguration",
    "GetIntelligentTieringConfiguration",
    "GetInventoryConfiguration",
    "GetJobTagging",
    "GetLifecycleConfiguration",
    "GetMetricsConfiguration",
    "GetMultiRegionAccessPoint",
    "GetMultiRegionAccessPointPolicy",
    "GetMultiRegionAccessPointPolicyStatus",
    "GetMultiRegionAccessPointRoutes",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAnnotation",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetObjectVersion",
    "GetObjectVersionAcl",
    "GetObjectVersionAnnotation",
    "GetObjectVersionAnnotationForReplication",
    "GetObjectVersionAttributes",
    "GetObjectVersionForReplication",
    "GetObjectVersionTagging",
    "GetObjectVersionTorrent",
    "GetReplicationConfiguration",
    "GetStorageLensConfiguration",
    "GetStorageLensConfigurationTagging",
    "GetStorageLensDashboard",
    "GetStorageLensGroup",
    "InitiateReplication",
    "ListAccessGrants",
    "ListAccessGrantsInstances",
    "ListAccessGrantsLocations",
    "ListAccessPoints",
    "ListAccessPointsForObjectLambda",
    "ListAllMyBuckets",
    "ListBucket",
    "ListBucketMultipartUploads",
    "ListBucketVersions",
    "ListCallerAccessGrants",
    "ListJobs",
    "ListMultiRegionAccessPoints",
    "ListMultipartUploadParts",
    "ListObjectAnnotations",
    "ListObjectVersionAnnotations",
    "ListStorageLensConfigurations",
    "ListStorageLensGroups",
    "ListTagsForResource",
    "ObjectOwnerOverrideToBucketOwner",
    "PauseReplication",
    "PutAccelerateConfiguration",
    "PutAccessGrantsInstanceResourcePolicy",
    "PutAccessPointConfigurationForObjectLambda",
    "PutAccessPointPolicy",
    "PutAccessPointPolicyForObjectLambda",
    "PutAccessPointPublicAccessBlock",
    "PutAccountPublicAccessBlock",
    "PutAnalyticsConfiguration",
    "PutBucketAbac",
    "PutBucketAcl",
    "PutBucketCORS",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketObjectLockConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutEncryptionConfiguration",
    "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration",
    "PutJobTagging",
    "PutLifecycleConfiguration",
    "PutMetricsConfiguration",
    "PutMultiRegionAccessPointPolicy",
    "PutObject",
    "PutObjectAcl",
    "PutObjectAnnotation",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutObjectVersionAcl",
    "PutObjectVersionAnnotation",
    "PutObjectVersionTagging",
    "PutReplicationConfiguration",
    "PutStorageLensConfiguration",
    "PutStorageLensConfigurationTagging",
    "ReplicateDelete",
    "ReplicateObject",
    "ReplicateObjectAnnotation",
    "ReplicateTags",
    "RestoreObject",
    "SubmitMultiRegionAccessPointRoutes",
    "TagResource",
    "UntagResource",
    "UpdateAccessGrantsLocation",
    "UpdateBucketMetadataAnnotationTableConfiguration",
    "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration",
    "UpdateJobPriority",
    "UpdateJobStatus",
    "UpdateObjectEncryption",
    "UpdateStorageLensGroup",
];
