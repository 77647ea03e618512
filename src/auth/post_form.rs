//! Browser form uploads (POST Object): who signed the form. The signature covers the
//! base64 policy document only — the policy's conditions then bind every other field
//! (checked by the S3 layer, `crate::s3::post_object`).
//!
//! - SigV4: `x-amz-algorithm` = `AWS4-HMAC-SHA256`, `x-amz-credential`, `x-amz-date`,
//!   `x-amz-signature` = hex HMAC-SHA256 of the policy under the scope's signing key.
//! - SigV2: `AWSAccessKeyId`, `signature` = base64 HMAC-SHA1 of the policy.
//! - Neither: anonymous (a bucket policy may allow it).
//!
//! `x-amz-security-token` carries a session token. The form's date may be old (the
//! policy's `expiration` bounds the form's life, as on S3) but not more than 15 minutes
//! ahead of the clock.

use std::time::SystemTime;

use super::canonical::{signatures_match, SigningKey, ALGORITHM};
use super::sigv4::{parse_amz_date, CredentialScope};
use super::{AuthError, AuthMethod, Authenticated, KeySource, PayloadMode};

/// S3's refusal of a form without a field it needs.
fn missing(name: &str) -> AuthError {
    AuthError::InvalidArgument(format!(
        "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
    ))
}

/// Authenticates a form from its fields (`field` looks one up by name, ASCII
/// case-insensitively, as S3 reads form field names).
pub fn authenticate_post(
    field: &dyn Fn(&str) -> Option<String>,
    keys: &dyn KeySource,
    region: &str,
    now: SystemTime,
) -> Result<Authenticated, AuthError> {
    let token = field("x-amz-security-token");
    let signed = |method: AuthMethod, creds: super::Credentials| Authenticated {
        access_key: Some(creds.access_key),
        payload: PayloadMode::Unsigned,
        method,
        identity: creds.identity,
        service: "s3".to_owned(),
    };
    if let Some(credential) = field("x-amz-credential") {
        match field("x-amz-algorithm") {
            Some(a) if a == ALGORITHM => {}
            Some(_) => return Err(AuthError::InvalidArgument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".into())),
            None => return Err(missing("x-amz-algorithm")),
        }
        let policy = field("policy").ok_or_else(|| missing("policy"))?;
        let signature = field("x-amz-signature").ok_or_else(|| missing("x-amz-signature"))?;
        let amz_date = field("x-amz-date").ok_or_else(|| missing("x-amz-date"))?;
        let scope = CredentialScope::parse(&credential, region, |m| {
            AuthError::InvalidArgument(format!("Error parsing the X-Amz-Credential parameter; {m}"))
        })?;
        let time = parse_amz_date(&amz_date)
            .ok_or_else(|| AuthError::InvalidArgument("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into()))?;
        if !amz_date.starts_with(scope.date) {
            return Err(AuthError::InvalidArgument("Invalid credential date. Date is not the same as X-Amz-Date.".into()));
        }
        // The past is the policy's expiration's to bound; a date ahead of the clock would
        // make `s3:signatureAge` unknowable (and the condition on it silent).
        if time.duration_since(now).is_ok_and(|ahead| ahead > super::sigv4::MAX_SKEW) {
            return Err(AuthError::RequestTimeTooSkewed);
        }
        let creds = keys.lookup(scope.access_key, token.as_deref(), now)?;
        let computed = SigningKey::derive(creds.secret_key.expose(), time, region).sign(policy.as_bytes());
        if !signatures_match(&computed, signature.trim()) {
            tracing::debug!(access_key = scope.access_key, "POST policy signature mismatch");
            return Err(AuthError::SignatureDoesNotMatch);
        }
        return Ok(signed(AuthMethod::PostPolicyV4, creds));
    }
    if let Some(access_key) = field("awsaccesskeyid") {
        let policy = field("policy").ok_or_else(|| missing("policy"))?;
        let signature = field("signature").ok_or_else(|| missing("signature"))?;
        let creds = keys.lookup(&access_key, token.as_deref(), now)?;
        let computed = super::sigv2::sign(creds.secret_key.expose(), policy.as_bytes())?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), signature.trim().as_bytes())) {
            tracing::debug!(access_key, "POST policy signature mismatch (SigV2)");
            return Err(AuthError::SignatureDoesNotMatch);
        }
        return Ok(signed(AuthMethod::PostPolicyV2, creds));
    }
    if field("x-amz-signature").is_some() || field("signature").is_some() {
        return Err(AuthError::InvalidArgument(
            "Bucket POST must contain a field named 'x-amz-credential' (or 'AWSAccessKeyId').  If it is specified, please check the order of the fields.".into(),
        ));
    }
    Ok(Authenticated::anonymous())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::Engine;

    use super::*;
    use crate::auth::{Credentials, Keyring};

    fn keys() -> Keyring {
        Keyring::new(vec![Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")])
    }

    fn lookup(fields: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| (*v).to_owned())
    }

    // The example of the AWS documentation "Example: Browser-Based Upload using HTTP
    // POST (Using AWS Signature Version 4)".
    const POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";

    #[test]
    fn the_documented_v4_example() {
        let fields: &'static [(&str, &str)] = &[
            ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Date", "20151229T000000Z"),
            ("Policy", POLICY),
            ("X-Amz-Signature", "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"),
        ];
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_451_347_200);
        let auth = authenticate_post(&lookup(fields), &keys(), "us-east-1", now).unwrap();
        assert_eq!(auth.access_key.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(auth.method, AuthMethod::PostPolicyV4);
        let tampered: &'static [(&str, &str)] = &[
            ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Date", "20151229T000000Z"),
            ("Policy", "e30="),
            ("X-Amz-Signature", "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"),
        ];
        assert!(matches!(authenticate_post(&lookup(tampered), &keys(), "us-east-1", now), Err(AuthError::SignatureDoesNotMatch)));
        // Signed a day ahead of the clock: refused (its signature age would be unknowable).
        let day_before = now - Duration::from_secs(86_400);
        assert!(matches!(authenticate_post(&lookup(fields), &keys(), "us-east-1", day_before), Err(AuthError::RequestTimeTooSkewed)));
        let wrong_region = authenticate_post(&lookup(fields), &keys(), "eu-west-1", now).unwrap_err();
        assert_eq!(wrong_region.s3_code(), "InvalidArgument");
    }

    #[test]
    fn sigv2_and_anonymous() {
        let policy = base64::engine::general_purpose::STANDARD.encode(br#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#);
        let sig = crate::auth::sigv2::sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", policy.as_bytes()).unwrap();
        let fields = [
            ("AWSAccessKeyId".to_owned(), "AKIAIOSFODNN7EXAMPLE".to_owned()),
            ("policy".to_owned(), policy),
            ("signature".to_owned(), sig),
        ];
        let get = |name: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let auth = authenticate_post(&get, &keys(), "us-east-1", SystemTime::now()).unwrap();
        assert_eq!(auth.method, AuthMethod::PostPolicyV2);
        let none: &'static [(&str, &str)] = &[("key", "a")];
        assert_eq!(authenticate_post(&lookup(none), &keys(), "us-east-1", SystemTime::now()).unwrap().method, AuthMethod::Anonymous);
        let half: &'static [(&str, &str)] = &[("x-amz-signature", "00")];
        assert!(authenticate_post(&lookup(half), &keys(), "us-east-1", SystemTime::now()).is_err());
    }
}
