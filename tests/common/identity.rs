//! Clients of the identity APIs for tests: `aws-sdk-iam`, `aws-sdk-sts`, and
//! `aws-sdk-s3` with temporary credentials, at their default settings.

/// An IAM client for `endpoint` (`token`: temporary credentials).
pub fn iam_client(endpoint: &str, access_key: &str, secret_key: &str, token: Option<&str>) -> aws_sdk_iam::Client {
    let creds = aws_sdk_iam::config::Credentials::new(access_key, secret_key, token.map(str::to_owned), None, "test");
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// An STS client for `endpoint`; without credentials when `access_key` is empty
/// (AssumeRoleWithWebIdentity is unsigned).
pub fn sts_client(endpoint: &str, access_key: &str, secret_key: &str, token: Option<&str>) -> aws_sdk_sts::Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(endpoint);
    if !access_key.is_empty() {
        config = config.credentials_provider(aws_sdk_sts::config::Credentials::new(
            access_key,
            secret_key,
            token.map(str::to_owned),
            None,
            "test",
        ));
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

/// An S3 client with temporary credentials.
pub fn s3_with_token(endpoint: &str, access_key: &str, secret_key: &str, token: &str) -> aws_sdk_s3::Client {
    let creds = aws_sdk_s3::config::Credentials::new(access_key, secret_key, Some(token.to_owned()), None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
