//! STS AssumeRoleWithWebIdentity against a local OIDC issuer: a JWKS served over HTTP on
//! loopback by the test, ID tokens (ES256) the test signs, `aws-sdk-sts` at its defaults
//! (the call is unsigned), and the role's credentials used with `aws-sdk-s3`.

mod common;

use std::convert::Infallible;

use base64::Engine;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::identity::{iam_client, s3_with_token, sts_client};
use common::{assert_sdk_error, TestServer};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

const ISSUER: &str = "https://idp.example/realms/main";
const PROVIDER: &str = "idp.example/realms/main";

fn enc(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An ES256 signing key and its JWKS document.
fn issuer_key() -> (EcdsaKeyPair, String) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let public = pair.public_key().as_ref();
    let jwks = serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "test-key", "use": "sig", "alg": "ES256",
        "x": enc(&public[1..33]), "y": enc(&public[33..65])}]});
    (pair, jwks.to_string())
}

/// A signed ID token with `claims`.
fn token(pair: &EcdsaKeyPair, claims: &serde_json::Value) -> String {
    let header = enc(br#"{"alg":"ES256","kid":"test-key","typ":"JWT"}"#);
    let message = format!("{header}.{}", enc(claims.to_string().as_bytes()));
    let sig = pair.sign(&ring::rand::SystemRandom::new(), message.as_bytes()).unwrap();
    format!("{message}.{}", enc(sig.as_ref()))
}

/// Serves `jwks` to every GET on a loopback port; returns the URL.
async fn serve_jwks(jwks: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let jwks = jwks.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let body = http_body_util::Full::new(bytes::Bytes::from(jwks.clone()));
                    async move { Ok::<_, Infallible>(hyper::Response::new(body)) }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
            });
        }
    });
    format!("http://{addr}/protocol/openid-connect/certs")
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn web_identity_tokens_become_role_credentials() {
    let (pair, jwks) = issuer_key();
    let url = serve_jwks(jwks).await;
    let srv = TestServer::start_with(&[("sts.oidc_issuer", ISSUER), ("sts.oidc_audience", "coffer-app"), ("sts.oidc_jwks", &url)]).await;
    let root = srv.client();
    root.create_bucket().bucket("uploads").send().await.unwrap();

    let sts_root = sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let account = sts_root.get_caller_identity().send().await.unwrap().account().unwrap().to_owned();
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{account}:oidc-provider/{PROVIDER}"}},
        "Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{PROVIDER}:sub":"user-1","{PROVIDER}:aud":"coffer-app"}}}}}}]}}"#
    );
    let role = iam.create_role().role_name("uploader").assume_role_policy_document(trust).send().await.unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::uploads"}]}"#;
    iam.put_role_policy().role_name("uploader").policy_name("list").policy_document(policy).send().await.unwrap();

    // No credentials at all: AssumeRoleWithWebIdentity is unsigned.
    let anonymous = sts_client(&srv.endpoint, "", "", None);
    let assume = |tok: String| {
        anonymous.assume_role_with_web_identity().role_arn(&role_arn).role_session_name("browser").web_identity_token(tok).send()
    };
    let claims = |sub: &str, aud: &str, exp: u64| serde_json::json!({"iss": ISSUER, "sub": sub, "aud": aud, "exp": exp, "iat": now_secs()});

    let ok = assume(token(&pair, &claims("user-1", "coffer-app", now_secs() + 600))).await.unwrap();
    assert_eq!(ok.subject_from_web_identity_token(), Some("user-1"));
    assert_eq!(ok.assumed_role_user().unwrap().arn(), format!("arn:aws:sts::{account}:assumed-role/uploader/browser"));
    let c = ok.credentials().unwrap();
    let s3 = s3_with_token(&srv.endpoint, c.access_key_id(), c.secret_access_key(), c.session_token());
    s3.list_objects_v2().bucket("uploads").send().await.unwrap();
    assert_sdk_error(
        s3.put_object().bucket("uploads").key("k").body(aws_sdk_s3::primitives::ByteStream::from_static(b"x")).send().await,
        403,
        Some("AccessDenied"),
    );

    let code = |r: Result<_, aws_sdk_sts::error::SdkError<_, _>>| {
        use aws_sdk_sts::error::ProvideErrorMetadata;
        r.map(|_: aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput| ())
            .unwrap_err()
            .code()
            .map(str::to_owned)
    };
    // Another subject is not trusted; a token for another audience, an expired one, one
    // signed by another key and a mangled one are refused.
    assert_eq!(code(assume(token(&pair, &claims("user-2", "coffer-app", now_secs() + 600))).await).as_deref(), Some("AccessDenied"));
    assert_eq!(code(assume(token(&pair, &claims("user-1", "other-app", now_secs() + 600))).await).as_deref(), Some("InvalidIdentityToken"));
    assert_eq!(
        code(assume(token(&pair, &claims("user-1", "coffer-app", now_secs() - 10))).await).as_deref(),
        Some("ExpiredTokenException")
    );
    let (other, _) = issuer_key();
    assert_eq!(
        code(assume(token(&other, &claims("user-1", "coffer-app", now_secs() + 600))).await).as_deref(),
        Some("InvalidIdentityToken")
    );
    assert_eq!(code(assume("not.a-token".to_owned()).await).as_deref(), Some("InvalidIdentityToken"));
}
