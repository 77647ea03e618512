//! Clients of the identity and key APIs for tests: `aws-sdk-iam`, `aws-sdk-sts`, `aws-sdk-kms`, and
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

/// A KMS client for `endpoint` (`token`: temporary credentials).
pub fn kms_client(endpoint: &str, access_key: &str, secret_key: &str, token: Option<&str>) -> aws_sdk_kms::Client {
    let creds = aws_sdk_kms::config::Credentials::new(access_key, secret_key, token.map(str::to_owned), None, "test");
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

/// Creates account `name` (with `email`) through the admin API the way
/// `coffer admin account create NAME --email EMAIL --json` does; returns its JSON
/// (`id`, `canonical_id`, `access_key`, `secret_key`, ...).
pub async fn create_account(admin_endpoint: &str, name: &str, email: &str) -> serde_json::Value {
    let config = coffer::config::Config::from_toml(coffer::config::DEFAULT_TOML, &[]).unwrap();
    let args: Vec<String> = ["account", "create", name, "--email", email, "--json"].iter().map(|s| (*s).to_owned()).collect();
    let create = coffer::admin::cli::Command { endpoint: Some(admin_endpoint.to_owned()), ..coffer::admin::cli::parse(&args).unwrap() };
    let out = coffer::admin::cli::run(&create, &config).await.unwrap();
    serde_json::from_str(&out).unwrap()
}
