//! STS AssumeRoleWithWebIdentity: an OIDC ID token (a JWT signed by the issuer
//! configured in `[sts]`) exchanged, without any AWS signature, for a role's temporary
//! credentials. The token's signature is checked against the issuer's JWKS (RS256 or
//! ES256, with `ring`), then `iss`, `aud`, `exp` and `nbf`; the role's trust policy must
//! allow `sts:AssumeRoleWithWebIdentity` for the principal
//! `{"Federated": "arn:aws:iam::<account>:oidc-provider/<issuer host/path>"}`, with the
//! condition keys `<issuer host/path>:sub`, `:aud` and `:amr` as on AWS.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use super::sts::{assumed_role_xml, credentials_xml, duration, new_session, parse_role_arn, session_name, session_policy, trusted};
use super::ApiRequest;
use crate::iam::model::name_key;
use crate::iam::policy::PrincipalInfo;
use crate::iam::session::Subject;
use crate::iam::xml::{Xml, STS_NS};
use crate::iam::{IamError, IamErrorCode, IamResult};

/// Where the issuer's keys come from.
#[derive(Debug, Clone)]
enum JwksSource {
    /// An `http://` URL, fetched when a token is checked (and cached).
    Url(String),
    /// A file, read when a token is checked.
    File(std::path::PathBuf),
}

/// OIDC settings for AssumeRoleWithWebIdentity (`[sts]`); off when no issuer is set.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityConfig {
    /// `iss`, exactly.
    issuer: String,
    /// Accepted `aud` values.
    audiences: Vec<String>,
    /// The signing keys.
    jwks: Option<JwksSource>,
    /// The last JWKS fetched from a URL.
    cache: std::sync::Arc<tokio::sync::Mutex<Option<Value>>>,
}

impl WebIdentityConfig {
    /// From `[sts]`.
    pub fn from_config(config: &crate::config::StsConfig) -> IamResult<Self> {
        let jwks = match config.oidc_jwks.as_str() {
            "" => None,
            url if url.starts_with("http://") => Some(JwksSource::Url(url.to_owned())),
            url if url.starts_with("https://") => {
                return Err(IamError::new(
                    IamErrorCode::InvalidInput,
                    "sts.oidc_jwks: https URLs are not supported yet; use http:// on a trusted network or a file",
                ))
            }
            path => Some(JwksSource::File(path.into())),
        };
        if !config.oidc_issuer.is_empty() && jwks.is_none() {
            return Err(IamError::new(IamErrorCode::InvalidInput, "sts.oidc_issuer is set but sts.oidc_jwks is empty"));
        }
        let audiences = config.oidc_audience.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
        Ok(Self { issuer: config.oidc_issuer.clone(), audiences, jwks, cache: std::sync::Arc::default() })
    }

    /// The provider name trust policies use: the issuer without its scheme.
    fn provider(&self) -> &str {
        self.issuer.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/')
    }

    async fn keys(&self, refresh: bool) -> IamResult<Value> {
        let unavailable =
            |why: String| IamError::new(IamErrorCode::InvalidIdentityToken, format!("The issuer's keys are unavailable: {why}"));
        match &self.jwks {
            None => Err(IamError::new(IamErrorCode::InvalidIdentityToken, "No OpenID Connect provider is configured (sts.oidc_issuer).")),
            Some(JwksSource::File(path)) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| unavailable(e.to_string()))?;
                serde_json::from_str(&text).map_err(|e| unavailable(e.to_string()))
            }
            Some(JwksSource::Url(url)) => {
                let mut cache = self.cache.lock().await;
                if let Some(v) = cache.as_ref().filter(|_| !refresh) {
                    return Ok(v.clone());
                }
                let v = fetch(url).await.map_err(unavailable)?;
                *cache = Some(v.clone());
                Ok(v)
            }
        }
    }
}

/// GETs a JSON document over plain HTTP, bounded in time and size.
async fn fetch(url: &str) -> Result<Value, String> {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{e}"))?;
    let work = async {
        let response = client.get(uri).await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = http_body_util::Limited::new(response.into_body(), 1 << 20).collect().await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&body.to_bytes()).map_err(|e| e.to_string())
    };
    tokio::time::timeout(Duration::from_secs(5), work).await.map_err(|_| "timed out".to_owned())?
}

fn invalid(why: &str) -> IamError {
    IamError::new(IamErrorCode::InvalidIdentityToken, why)
}

fn b64(part: &str) -> IamResult<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| invalid("The token is not a JWT."))
}

/// Checks the signature of `header.payload` against the JWK `key`.
fn verify_signature(alg: &str, key: &Value, message: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256};
    let field = |name: &str| key.get(name).and_then(Value::as_str).and_then(|s| b64(s).ok());
    match (alg, key.get("kty").and_then(Value::as_str)) {
        ("RS256", Some("RSA")) => match (field("n"), field("e")) {
            (Some(n), Some(e)) => RsaPublicKeyComponents { n, e }.verify(&RSA_PKCS1_2048_8192_SHA256, message, signature).is_ok(),
            _ => false,
        },
        ("ES256", Some("EC")) => match (field("x"), field("y")) {
            (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature).is_ok()
            }
            _ => false,
        },
        _ => false,
    }
}

/// The key of `jwks` with id `kid` (or the only one usable with `alg` when the token
/// names none).
fn find_key<'a>(jwks: &'a Value, kid: Option<&str>, alg: &str) -> Option<&'a Value> {
    let keys = jwks.get("keys")?.as_array()?;
    let kty = if alg == "RS256" { "RSA" } else { "EC" };
    keys.iter().find(|k| {
        k.get("kty").and_then(Value::as_str) == Some(kty) && kid.is_none_or(|id| k.get("kid").and_then(Value::as_str) == Some(id))
    })
}

/// Verifies `token` and returns its claims.
async fn verify(config: &WebIdentityConfig, token: &str, now_secs: i64) -> IamResult<Value> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("The token is not a JWT."));
    };
    let header: Value = serde_json::from_slice(&b64(h)?).map_err(|_| invalid("The token header is not JSON."))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
    if alg != "RS256" && alg != "ES256" {
        return Err(invalid("Only RS256 and ES256 tokens are accepted."));
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let message = format!("{h}.{p}");
    let signature = b64(s)?;
    let mut jwks = config.keys(false).await?;
    if find_key(&jwks, kid, &alg).is_none() {
        // The issuer may have rotated its keys since the last fetch.
        jwks = config.keys(true).await?;
    }
    let key = find_key(&jwks, kid, &alg).ok_or_else(|| invalid("The token's signing key is not among the issuer's keys."))?;
    if !verify_signature(&alg, key, message.as_bytes(), &signature) {
        return Err(invalid("The token's signature is not valid."));
    }
    let claims: Value = serde_json::from_slice(&b64(p)?).map_err(|_| invalid("The token payload is not JSON."))?;
    if claims.get("iss").and_then(Value::as_str) != Some(config.issuer.as_str()) {
        return Err(IamError::new(IamErrorCode::InvalidIdentityToken, "The token's issuer is not the configured OpenID Connect provider."));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.iter().any(|a| config.audiences.iter().any(|c| c == a)) {
        return Err(IamError::new(IamErrorCode::InvalidIdentityToken, "Incorrect token audience"));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("The token has no expiry (exp)."))?;
    if now_secs >= exp {
        return Err(IamError::new(IamErrorCode::ExpiredTokenException, "Token expired"));
    }
    if claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| now_secs + 300 < nbf) {
        return Err(invalid("The token is not valid yet (nbf)."));
    }
    Ok(claims)
}

/// AssumeRoleWithWebIdentity.
pub async fn assume_role_with_web_identity(req: &ApiRequest<'_>) -> IamResult<String> {
    let config = req.web_identity;
    let role_arn = req.required("RoleArn")?.to_owned();
    let (account_id, role_name) = parse_role_arn(&role_arn)?;
    let (account_id, role_name) = (account_id.to_owned(), role_name.to_owned());
    let session = session_name(req)?;
    let policy = session_policy(req)?;
    let token = req.required("WebIdentityToken")?;
    let now_secs = req.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let claims = verify(config, token, now_secs).await?;
    let subject = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_owned();
    let audience = match claims.get("aud") {
        Some(Value::String(a)) => a.clone(),
        Some(Value::Array(a)) => {
            a.iter().filter_map(Value::as_str).find(|a| config.audiences.iter().any(|c| c == a)).unwrap_or_default().to_owned()
        }
        _ => String::new(),
    };
    let denied = || IamError::new(IamErrorCode::AccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    let dir = req.iam.directory();
    let account = dir.accounts.get(&account_id).ok_or_else(denied)?;
    let role = account.roles.get(&name_key(&role_name)).filter(|r| account.role_arn(r) == role_arn).ok_or_else(denied)?;
    let provider = config.provider();
    let provider_arn = format!("arn:aws:iam::{account_id}:oidc-provider/{provider}");
    let info = PrincipalInfo {
        arn: provider_arn.clone(),
        account: account_id.clone(),
        canonical_id: account.account.canonical_id.clone(),
        role_arn: None,
        federated: Some(provider_arn.clone()),
        service: None,
    };
    let mut ctx = req.context.clone();
    ctx.insert(&format!("{provider}:sub"), subject.clone());
    ctx.insert(&format!("{provider}:aud"), audience.clone());
    if let Some(amr) = claims.get("amr").and_then(Value::as_array) {
        for v in amr.iter().filter_map(Value::as_str) {
            ctx.insert(&format!("{provider}:amr"), v);
        }
    }
    if !trusted(&role.trust_policy, "sts:AssumeRoleWithWebIdentity", &role_arn, &info, &ctx) {
        return Err(denied());
    }
    let secs = duration(req, role.max_session_secs)?;
    let role_subject = Subject::Role { role: name_key(&role.name), role_id: role.id.clone(), session: session.clone() };
    let (s, sealed) = new_session(req, &account_id, role_subject, secs, policy);
    let mut x = Xml::new();
    credentials_xml(&mut x, &s, &sealed);
    x.leaf("SubjectFromWebIdentityToken", &subject);
    assumed_role_xml(&mut x, &account_id, &role.name, &role.id, &session);
    x.leaf("Provider", provider).leaf("Audience", &audience);
    Ok(x.finish("AssumeRoleWithWebIdentity", STS_NS, req.request_id, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

    fn enc(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// An ES256 key pair, its JWKS, and a signer of tokens.
    fn issuer() -> (EcdsaKeyPair, Value) {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("pair");
        let public = pair.public_key().as_ref();
        let jwks =
            serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "x": enc(&public[1..33]), "y": enc(&public[33..65])}]});
        (pair, jwks)
    }

    fn sign(pair: &EcdsaKeyPair, claims: &Value) -> String {
        let header = enc(br#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let payload = enc(claims.to_string().as_bytes());
        let message = format!("{header}.{payload}");
        let sig = pair.sign(&ring::rand::SystemRandom::new(), message.as_bytes()).expect("sign");
        format!("{message}.{}", enc(sig.as_ref()))
    }

    #[tokio::test]
    async fn tokens_are_verified() {
        let (pair, jwks) = issuer();
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("jwks.json");
        std::fs::write(&path, jwks.to_string()).expect("write");
        let config = WebIdentityConfig::from_config(&crate::config::StsConfig {
            oidc_issuer: "https://idp.example".into(),
            oidc_audience: "coffer".into(),
            oidc_jwks: path.display().to_string(),
        })
        .expect("config");
        let good = serde_json::json!({"iss": "https://idp.example", "aud": "coffer", "sub": "u1", "exp": 2000});
        assert_eq!(verify(&config, &sign(&pair, &good), 1000).await.expect("valid")["sub"], "u1");
        let expired = verify(&config, &sign(&pair, &good), 2000).await.expect_err("expired");
        assert_eq!(expired.code, IamErrorCode::ExpiredTokenException);
        let wrong_aud = serde_json::json!({"iss": "https://idp.example", "aud": "other", "sub": "u1", "exp": 2000});
        assert!(verify(&config, &sign(&pair, &wrong_aud), 1000).await.is_err());
        let wrong_iss = serde_json::json!({"iss": "https://evil", "aud": "coffer", "sub": "u1", "exp": 2000});
        assert!(verify(&config, &sign(&pair, &wrong_iss), 1000).await.is_err());
        let (other, _) = issuer();
        assert!(verify(&config, &sign(&other, &good), 1000).await.is_err(), "a key not in the JWKS");
        let mut tampered = sign(&pair, &good);
        tampered.insert(tampered.len() - 5, 'A');
        assert!(verify(&config, &tampered, 1000).await.is_err());
        assert!(verify(&config, "a.b", 1000).await.is_err());
    }
}
