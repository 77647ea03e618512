//! AWS managed policies that tutorials attach by ARN (`arn:aws:iam::aws:policy/...`),
//! so that `aws iam attach-user-policy --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`
//! works as on AWS. Their documents are AWS's, reduced to the services coffer serves.

/// The ARN prefix of AWS managed policies.
pub const AWS_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// (name, document) of each AWS managed policy coffer knows.
const POLICIES: &[(&str, &str)] = &[
    ("AdministratorAccess", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
    (
        "AmazonS3FullAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonS3ReadOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
    ),
    ("IAMFullAccess", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#),
    (
        "IAMReadOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    ),
];

/// The names of the AWS managed policies coffer knows, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    POLICIES.iter().map(|(name, _)| *name)
}

/// The document of the AWS managed policy `arn`, if coffer knows it.
pub fn aws_managed(arn: &str) -> Option<&'static str> {
    let name = arn.strip_prefix(AWS_POLICY_PREFIX)?;
    POLICIES.iter().find(|(n, _)| *n == name).map(|(_, doc)| *doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{Policy, PolicyKind};

    #[test]
    fn every_document_parses() {
        for (name, doc) in POLICIES {
            assert!(Policy::parse(doc, PolicyKind::Identity).is_ok(), "{name}");
        }
        assert!(aws_managed("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess").is_some());
        assert!(aws_managed("arn:aws:iam::aws:policy/Nope").is_none());
    }
}
