//! The built-in KMS through `aws-sdk-kms` at its default settings, against a real
//! server: key metadata, aliases, envelope encryption, the encryption context, tampered
//! ciphertexts, disabled keys, rotation, scheduled deletion, IAM identity policies,
//! another account, and keys kept across a restart. Errors are checked by their KMS
//! name (`__type`) and HTTP status, as the AWS KMS API reference lists them.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod crypto;
mod keys;
mod lifecycle;

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_kms::config::http::HttpResponse;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::operation::decrypt::{DecryptError, DecryptOutput};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, EncryptionAlgorithmSpec, KeyManagerType, KeyMetadata, KeySpec, KeyState, KeyUsageType, OriginType, Tag,
};
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::identity::{iam_client, kms_client, sts_client};
use common::TestServer;

const DAY: i64 = 86_400;

/// A key id that no test creates.
const UNKNOWN_KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// The root's KMS client.
fn root_kms(srv: &TestServer) -> aws_sdk_kms::Client {
    kms_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None)
}

/// The root's account id, as STS tells it.
async fn account_id(srv: &TestServer) -> String {
    let sts = sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    sts.get_caller_identity().send().await.unwrap().account().unwrap().to_owned()
}

/// Creates a symmetric encryption key at the defaults.
async fn new_key(kms: &aws_sdk_kms::Client, description: &str) -> KeyMetadata {
    kms.create_key().description(description).send().await.unwrap().key_metadata.expect("KeyMetadata")
}

/// The current key metadata of `key_id`.
async fn describe(kms: &aws_sdk_kms::Client, key_id: &str) -> KeyMetadata {
    kms.describe_key().key_id(key_id).send().await.unwrap().key_metadata.expect("KeyMetadata")
}

/// An encryption context (`None` when empty: the parameter is left out).
fn context(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    (!pairs.is_empty()).then(|| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

/// Encrypts `plaintext` under `key_id`; returns the ciphertext blob.
async fn encrypt(kms: &aws_sdk_kms::Client, key_id: &str, plaintext: &[u8], ctx: &[(&str, &str)]) -> Vec<u8> {
    let out = kms.encrypt().key_id(key_id).plaintext(Blob::new(plaintext)).set_encryption_context(context(ctx)).send().await.unwrap();
    out.ciphertext_blob.expect("CiphertextBlob").into_inner()
}

/// Decrypts `blob` with the encryption context `ctx` (the key comes from the blob).
async fn decrypt(
    kms: &aws_sdk_kms::Client,
    blob: &[u8],
    ctx: &[(&str, &str)],
) -> Result<DecryptOutput, SdkError<DecryptError, HttpResponse>> {
    kms.decrypt().ciphertext_blob(Blob::new(blob)).set_encryption_context(context(ctx)).send().await
}

/// The plaintext of `blob`, which must decrypt.
async fn plaintext_of(kms: &aws_sdk_kms::Client, blob: &[u8], ctx: &[(&str, &str)]) -> Vec<u8> {
    decrypt(kms, blob, ctx).await.unwrap().plaintext.expect("Plaintext").into_inner()
}

/// Asserts a KMS call failed with HTTP 400 and one of `codes` as its error name (KMS
/// answers every client error, AccessDeniedException included, with 400).
#[track_caller]
fn assert_kms_error<T: Debug, E: ProvideErrorMetadata + Debug>(result: Result<T, SdkError<E, HttpResponse>>, codes: &[&str]) {
    let err = result.expect_err("expected a KMS error");
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    assert!(
        status == Some(400) && code.as_deref().is_some_and(|c| codes.contains(&c)),
        "expected 400 {codes:?}, got {status:?} {code:?}: {err:?}"
    );
}

fn now_secs() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// `8-4-4-4-12` lowercase hex digits, as KMS key ids are.
fn is_key_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Creates IAM user `name` with the inline policy `policy` ("p"); returns its KMS client.
async fn user_kms(srv: &TestServer, name: &str, policy: &str) -> aws_sdk_kms::Client {
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    iam.create_user().user_name(name).send().await.unwrap();
    if !policy.is_empty() {
        set_user_policy(srv, name, "p", policy).await;
    }
    let key = iam.create_access_key().user_name(name).send().await.unwrap();
    let key = key.access_key().unwrap();
    kms_client(&srv.endpoint, key.access_key_id(), key.secret_access_key(), None)
}

/// Sets (or replaces) the inline policy `policy_name` of user `name`.
async fn set_user_policy(srv: &TestServer, name: &str, policy_name: &str, policy: &str) {
    let iam = iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    iam.put_user_policy().user_name(name).policy_name(policy_name).policy_document(policy).send().await.unwrap();
}

/// An identity policy allowing `actions` on `resources`.
fn allow(actions: &[&str], resources: &[&str]) -> String {
    statement("Allow", actions, resources)
}

fn statement(effect: &str, actions: &[&str], resources: &[&str]) -> String {
    let list = |xs: &[&str]| xs.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(",");
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":[{}],"Resource":[{}]}}]}}"#,
        list(actions),
        list(resources)
    )
}

/// Creates another account through the admin CLI; returns its root (access key, secret).
async fn other_account(srv: &TestServer, name: &str) -> (String, String) {
    let created = common::identity::create_account(&srv.admin_endpoint(), name, &format!("{name}@example.com")).await;
    let field = |k: &str| created[k].as_str().unwrap_or_else(|| panic!("no {k} in {created}")).to_owned();
    (field("access_key"), field("secret_key"))
}
