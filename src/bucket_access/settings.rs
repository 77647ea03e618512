//! A bucket's access settings as pure data and their XML documents: Object Ownership
//! (Get/PutBucketOwnershipControls), Block Public Access (Get/PutPublicAccessBlock)
//! and the policy status (GetBucketPolicyStatus).
//!
//! No I/O: this module never imports hyper, the store or the IAM directory. Its errors
//! are [`S3Error`]s (MalformedXML), so that handlers can use `?`.

use serde::{Deserialize, Serialize};

use crate::s3::error::{S3Error, S3ErrorCode, S3Result};
use crate::s3::xml::{from_xml, to_xml, NS};

/// A bucket's Object Ownership setting.
///
/// Stored in postcard records, which encode the variant's index: never reorder or
/// remove variants, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ownership {
    /// ACLs are disabled: the bucket owner owns every object; only "bucket owner full
    /// control" ACLs are accepted on writes.
    BucketOwnerEnforced,
    /// ACLs work; an object written with `bucket-owner-full-control` is owned by the
    /// bucket owner.
    BucketOwnerPreferred,
    /// ACLs work; the writer owns what it writes.
    ObjectWriter,
}

impl Ownership {
    /// Every setting, in the order of the enum.
    pub const ALL: [Ownership; 3] = [Ownership::BucketOwnerEnforced, Ownership::BucketOwnerPreferred, Ownership::ObjectWriter];

    /// The setting a name (`ObjectOwnership` value, `x-amz-object-ownership` header)
    /// names; exact match.
    pub fn parse(s: &str) -> Option<Ownership> {
        Ownership::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The setting's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::BucketOwnerEnforced => "BucketOwnerEnforced",
            Ownership::BucketOwnerPreferred => "BucketOwnerPreferred",
            Ownership::ObjectWriter => "ObjectWriter",
        }
    }

    /// OwnershipControls XML (root OwnershipControls, Rule/ObjectOwnership) for
    /// GetBucketOwnershipControls.
    pub fn to_xml(self) -> S3Result<String> {
        to_xml("OwnershipControls", &OwnershipControlsOut { xmlns: NS, rule: RuleOut { object_ownership: self.as_str() } })
    }

    /// A PutBucketOwnershipControls body: exactly one `<Rule>` with a known
    /// `<ObjectOwnership>`; anything else (no rule, two rules, no or an unknown value,
    /// an unknown element, not XML) is 400 MalformedXML, as S3 answers.
    pub fn from_xml_body(body: &[u8]) -> S3Result<Ownership> {
        let doc: OwnershipControlsIn = from_xml(body, "OwnershipControls")?;
        match doc.rules.as_slice() {
            [RuleIn { object_ownership: Some(value) }] => {
                Ownership::parse(value.trim()).ok_or_else(|| malformed(format!("Unknown ObjectOwnership value {value:?}.")))
            }
            [_] => Err(malformed("The Rule has no ObjectOwnership.".into())),
            _ => Err(malformed("OwnershipControls must hold exactly one Rule.".into())),
        }
    }
}

/// A bucket's Block Public Access configuration (or the server-wide one).
///
/// Stored in postcard records: append fields only with a new record version.
#[allow(clippy::struct_excessive_bools)] // S3's four independent settings, not a mode
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    /// Refuse requests that set a public ACL (PutBucketAcl, PutObjectAcl, PutObject,
    /// CreateBucket…).
    pub block_public_acls: bool,
    /// Ignore the grants of ACLs to AllUsers / AuthenticatedUsers when authorizing.
    pub ignore_public_acls: bool,
    /// Refuse a PutBucketPolicy whose policy is public.
    pub block_public_policy: bool,
    /// With a public bucket policy, allow only the bucket owner's account (and AWS
    /// services) through it.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four settings on.
    pub const ALL: PublicAccessBlock =
        PublicAccessBlock { block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true };

    /// Field-wise OR (bucket setting combined with the account/server-wide one, as S3
    /// combines them: the most restrictive wins).
    #[must_use]
    pub fn or(self, other: PublicAccessBlock) -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }

    /// PublicAccessBlockConfiguration XML (xmlns NS; BlockPublicAcls, IgnorePublicAcls,
    /// BlockPublicPolicy, RestrictPublicBuckets as true/false).
    pub fn to_xml(&self) -> S3Result<String> {
        to_xml(
            "PublicAccessBlockConfiguration",
            &PublicAccessBlockOut {
                xmlns: NS,
                block_public_acls: self.block_public_acls,
                ignore_public_acls: self.ignore_public_acls,
                block_public_policy: self.block_public_policy,
                restrict_public_buckets: self.restrict_public_buckets,
            },
        )
    }

    /// A PutPublicAccessBlock body: missing elements are false (as S3); a value other
    /// than `true` / `false` (any case, or XML Schema's `1` / `0`), an unknown element
    /// or a malformed document → 400 MalformedXML.
    pub fn from_xml_body(body: &[u8]) -> S3Result<PublicAccessBlock> {
        let doc: PublicAccessBlockIn = from_xml(body, "PublicAccessBlockConfiguration")?;
        Ok(PublicAccessBlock {
            block_public_acls: setting(doc.block_public_acls.as_deref(), "BlockPublicAcls")?,
            ignore_public_acls: setting(doc.ignore_public_acls.as_deref(), "IgnorePublicAcls")?,
            block_public_policy: setting(doc.block_public_policy.as_deref(), "BlockPublicPolicy")?,
            restrict_public_buckets: setting(doc.restrict_public_buckets.as_deref(), "RestrictPublicBuckets")?,
        })
    }
}

/// GetBucketPolicyStatus XML: `<PolicyStatus xmlns=...><IsPublic>true|false</IsPublic></PolicyStatus>`.
pub fn policy_status_xml(is_public: bool) -> S3Result<String> {
    to_xml("PolicyStatus", &PolicyStatusOut { xmlns: NS, is_public })
}

/// One boolean of a PublicAccessBlockConfiguration; absent is false.
fn setting(value: Option<&str>, name: &str) -> S3Result<bool> {
    let Some(value) = value.map(str::trim) else { return Ok(false) };
    if value.eq_ignore_ascii_case("true") || value == "1" {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") || value == "0" {
        Ok(false)
    } else {
        Err(malformed(format!("{name} must be true or false, not {value:?}.")))
    }
}

fn malformed(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::MalformedXML, message)
}

/// `<OwnershipControls>` as GetBucketOwnershipControls sends it.
#[derive(Serialize)]
struct OwnershipControlsOut {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Rule")]
    rule: RuleOut,
}

#[derive(Serialize)]
struct RuleOut {
    #[serde(rename = "ObjectOwnership")]
    object_ownership: &'static str,
}

/// PutBucketOwnershipControls request body.
#[derive(Deserialize)]
struct OwnershipControlsIn {
    #[serde(rename = "Rule", default)]
    rules: Vec<RuleIn>,
}

#[derive(Deserialize)]
struct RuleIn {
    #[serde(rename = "ObjectOwnership")]
    object_ownership: Option<String>,
}

/// `<PublicAccessBlockConfiguration>` as GetPublicAccessBlock sends it.
#[allow(clippy::struct_excessive_bools)] // the document's four settings
#[derive(Serialize)]
struct PublicAccessBlockOut {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "BlockPublicAcls")]
    block_public_acls: bool,
    #[serde(rename = "IgnorePublicAcls")]
    ignore_public_acls: bool,
    #[serde(rename = "BlockPublicPolicy")]
    block_public_policy: bool,
    #[serde(rename = "RestrictPublicBuckets")]
    restrict_public_buckets: bool,
}

/// PutPublicAccessBlock request body (values kept as text: parsed by [`setting`]).
#[derive(Deserialize)]
struct PublicAccessBlockIn {
    #[serde(rename = "BlockPublicAcls")]
    block_public_acls: Option<String>,
    #[serde(rename = "IgnorePublicAcls")]
    ignore_public_acls: Option<String>,
    #[serde(rename = "BlockPublicPolicy")]
    block_public_policy: Option<String>,
    #[serde(rename = "RestrictPublicBuckets")]
    restrict_public_buckets: Option<String>,
}

/// `<PolicyStatus>` of GetBucketPolicyStatus.
#[derive(Serialize)]
struct PolicyStatusOut {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "IsPublic")]
    is_public: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    #[test]
    fn ownership_names() {
        for o in Ownership::ALL {
            assert_eq!(Ownership::parse(o.as_str()), Some(o));
        }
        assert_eq!(Ownership::parse("bucketownerenforced"), None);
    }

    #[test]
    fn ownership_xml_both_ways() {
        let xml = Ownership::BucketOwnerPreferred.to_xml().unwrap();
        assert_eq!(
            xml,
            format!(
                "{DECL}<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>"
            )
        );
        for o in Ownership::ALL {
            assert_eq!(Ownership::from_xml_body(o.to_xml().unwrap().as_bytes()).unwrap(), o);
        }
        // As the AWS SDKs send it.
        let sdk = "<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  <Rule>\n    <ObjectOwnership>ObjectWriter</ObjectOwnership>\n  </Rule>\n</OwnershipControls>";
        assert_eq!(Ownership::from_xml_body(sdk.as_bytes()).unwrap(), Ownership::ObjectWriter);
    }

    #[test]
    fn ownership_errors() {
        let bad = [
            "",
            "<OwnershipControls>",
            "<OwnershipControls/>",
            "<OwnershipControls></OwnershipControls>",
            "<OwnershipControls><Rule/></OwnershipControls>",
            "<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>",
            "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
            "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership><Other/></Rule></OwnershipControls>",
            "<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>",
        ];
        for body in bad {
            assert_eq!(Ownership::from_xml_body(body.as_bytes()).unwrap_err().code, S3ErrorCode::MalformedXML, "{body}");
        }
    }

    #[test]
    fn public_access_block_or() {
        let a = PublicAccessBlock { block_public_acls: true, ..PublicAccessBlock::default() };
        let b = PublicAccessBlock { restrict_public_buckets: true, ..PublicAccessBlock::default() };
        assert_eq!(a.or(b), PublicAccessBlock { block_public_acls: true, restrict_public_buckets: true, ..PublicAccessBlock::default() });
        assert_eq!(a.or(PublicAccessBlock::ALL), PublicAccessBlock::ALL);
        assert_eq!(PublicAccessBlock::default().or(PublicAccessBlock::default()), PublicAccessBlock::default());
    }

    #[test]
    fn public_access_block_xml_both_ways() {
        let pab = PublicAccessBlock { block_public_acls: true, block_public_policy: true, ..PublicAccessBlock::default() };
        assert_eq!(
            pab.to_xml().unwrap(),
            format!(
                "{DECL}<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls>\
                 <IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets>\
                 </PublicAccessBlockConfiguration>"
            )
        );
        for p in [pab, PublicAccessBlock::ALL, PublicAccessBlock::default()] {
            assert_eq!(PublicAccessBlock::from_xml_body(p.to_xml().unwrap().as_bytes()).unwrap(), p);
        }
        // Missing elements are false; the request syntax of the API reference.
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n\
                    <IgnorePublicAcls>TRUE</IgnorePublicAcls>\n</PublicAccessBlockConfiguration>";
        assert_eq!(
            PublicAccessBlock::from_xml_body(body.as_bytes()).unwrap(),
            PublicAccessBlock { ignore_public_acls: true, ..PublicAccessBlock::default() }
        );
        let empty = "<PublicAccessBlockConfiguration/>";
        assert_eq!(PublicAccessBlock::from_xml_body(empty.as_bytes()).unwrap(), PublicAccessBlock::default());
    }

    #[test]
    fn public_access_block_errors() {
        let bad = [
            "",
            "<PublicAccessBlockConfiguration>",
            "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>",
            "<PublicAccessBlockConfiguration><BlockPublicAcls></BlockPublicAcls></PublicAccessBlockConfiguration>",
            "<PublicAccessBlockConfiguration><BlockPublicAcl>true</BlockPublicAcl></PublicAccessBlockConfiguration>",
            "<PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlock>",
        ];
        for body in bad {
            assert_eq!(PublicAccessBlock::from_xml_body(body.as_bytes()).unwrap_err().code, S3ErrorCode::MalformedXML, "{body}");
        }
    }

    #[test]
    fn policy_status() {
        assert_eq!(
            policy_status_xml(true).unwrap(),
            format!("{DECL}<PolicyStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsPublic>true</IsPublic></PolicyStatus>")
        );
        assert!(policy_status_xml(false).unwrap().contains("<IsPublic>false</IsPublic>"));
    }

    #[test]
    fn stored_form_is_stable() {
        // postcard encodes enum variants by index and struct fields in order.
        assert_eq!(postcard::to_allocvec(&Ownership::ObjectWriter).unwrap(), [2]);
        let pab = PublicAccessBlock { ignore_public_acls: true, ..PublicAccessBlock::default() };
        assert_eq!(postcard::to_allocvec(&pab).unwrap(), [0, 1, 0, 0]);
    }
}
