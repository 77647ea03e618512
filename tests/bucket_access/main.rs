//! S3's resource-side access controls through `aws-sdk-s3` at its defaults and raw HTTP
//! (anonymous requests are unsigned raw requests): bucket policies, Block Public Access,
//! Object Ownership, ACLs (canned, grant headers, documents), anonymous and cross-account
//! access, policy conditions, object owners in listings, and a matrix of who may do what
//! checked against a table written from the AWS documentation:
//!
//! - S3 API reference: PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy (the bucket
//!   owner's root is never locked out of these three; another account gets 405),
//!   GetBucketPolicyStatus, PublicAccessBlockConfiguration (what each of the four settings
//!   does), CreateBucket (`x-amz-object-ownership`, InvalidBucketAclWithObjectOwnership),
//!   PutObjectAcl / PutBucketAcl (grant headers `id=`, `emailAddress=`, `uri=`), Initiator
//!   (a canonical id for an account, an ARN for a user).
//! - S3 user guide: "Blocking public access" (the meaning of "public": a policy limited
//!   to fixed aws:SourceIp CIDRs or fixed principals is not public; AllUsers and
//!   AuthenticatedUsers grants are), "Controlling ownership of objects" and its
//!   "Troubleshooting" page (AccessControlListNotSupported, reads of ACLs answer the
//!   owner with FULL_CONTROL), "Access control list (ACL) overview" (canned ACLs, what
//!   READ / WRITE / READ_ACP grant; ACLs grant to accounts, never to an account's users),
//!   "How Amazon S3 authorizes a request" (user, bucket and object contexts: another
//!   account's user needs its own account's permission and the bucket owner's),
//!   "Bucket policy examples" (anonymous read-only, cross-account uploads requiring
//!   bucket-owner-full-control, HTTPS only, s3:prefix) and "Protecting data with SSE-S3"
//!   (the deny-unencrypted-uploads policy).

#[path = "../common/mod.rs"]
mod common;

mod acls;
mod conditions;
mod matrix;
mod policies;
mod requests;
mod settings;

use std::fmt::Debug;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, Grant, Grantee, ObjectCannedAcl,
    ObjectOwnership, Owner, OwnershipControls, OwnershipControlsRule, Permission, PolicyStatus, PublicAccessBlockConfiguration,
    ServerSideEncryption, Type, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::identity::{iam_client, sts_client};
use common::raw::{md5_b64, Request, Response};
use common::{client_for, error_info, TestServer};

/// The AllUsers group: anyone, signed or not.
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The AuthenticatedUsers group: any signed request of any account (public, too).
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
/// An identity policy allowing every S3 action on everything.
const S3_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

// ---------------------------------------------------------------------------------------
// Accounts, users, requests
// ---------------------------------------------------------------------------------------

/// An account made through the admin API, with its root key.
struct Account {
    /// 12-digit account id (for ARNs).
    id: String,
    /// Canonical user id (for ACL grants and Owner elements).
    canonical_id: String,
    /// The address it was created with (for `emailAddress=` grants).
    email: String,
    /// Root access key id.
    key: String,
    /// Root secret key.
    secret: String,
}

impl Account {
    /// An S3 client signing as this account's root.
    fn s3(&self, srv: &TestServer) -> Client {
        client_for(&srv.endpoint, &self.key, &self.secret)
    }

    /// `arn:aws:iam::<id>:root`.
    fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.id)
    }

    /// `arn:aws:iam::<id>:user/<name>`.
    fn user_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:user/{name}", self.id)
    }

    /// Creates IAM user `name` in this account (with `policy` inline, if any) and
    /// returns an S3 client signing as it.
    async fn user(&self, srv: &TestServer, name: &str, policy: Option<&str>) -> Client {
        let iam = iam_client(&srv.endpoint, &self.key, &self.secret, None);
        iam.create_user().user_name(name).send().await.unwrap();
        if let Some(policy) = policy {
            iam.put_user_policy().user_name(name).policy_name("p").policy_document(policy).send().await.unwrap();
        }
        let key = iam.create_access_key().user_name(name).send().await.unwrap();
        let key = key.access_key().unwrap();
        client_for(&srv.endpoint, key.access_key_id(), key.secret_access_key())
    }
}

/// The server's default account (which owns every bucket the tests create with
/// `srv.client()`), with its ids; its key is the configured root key.
async fn owner_account(srv: &TestServer) -> Account {
    let sts = sts_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    let id = sts.get_caller_identity().send().await.unwrap().account().unwrap().to_owned();
    let listed = srv.client().list_buckets().send().await.unwrap();
    let canonical_id = listed.owner().and_then(Owner::id).expect("ListBuckets names the owner").to_owned();
    Account { id, canonical_id, email: String::new(), key: DEFAULT_ACCESS_KEY.into(), secret: DEFAULT_SECRET_KEY.into() }
}

/// Creates account `name` with `coffer admin account create` (as tests/iam.rs does).
async fn other_account(srv: &TestServer, name: &str) -> Account {
    let email = format!("{name}@example.com");
    let created = common::identity::create_account(&srv.admin_endpoint(), name, &email).await;
    let field = |k: &str| created[k].as_str().unwrap_or_else(|| panic!("no {k} in {created}")).to_owned();
    Account { id: field("id"), canonical_id: field("canonical_id"), email, key: field("access_key"), secret: field("secret_key") }
}

/// Stores `body` at `bucket/key`.
async fn put(s3: &Client, bucket: &str, key: &str, body: &[u8]) {
    s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body.to_vec())).send().await.unwrap();
}

/// An unsigned (anonymous) request.
async fn anon(srv: &TestServer, method: &str, target: &str) -> Response {
    Request::new(method, target).send(&srv.host()).await
}

/// An unsigned (anonymous) PUT of `body`.
async fn anon_put(srv: &TestServer, target: &str, body: &[u8]) -> Response {
    Request::new("PUT", target).body(body.to_vec()).send(&srv.host()).await
}

/// Asserts an anonymous request was refused as S3 refuses it: 403 AccessDenied (never
/// 401); a HEAD has no body to carry the code.
#[track_caller]
fn assert_anon_denied(what: &str, resp: &Response) {
    assert_eq!(resp.status, 403, "{what}: {resp:?} / {}", resp.text());
    assert!(resp.header("www-authenticate").is_none(), "{what}: a 403 asks for no credentials");
    if !resp.body.is_empty() {
        assert_eq!(resp.code().as_deref(), Some("AccessDenied"), "{what}: {}", resp.text());
    }
}

/// Asserts an anonymous request succeeded (2xx).
#[track_caller]
fn assert_anon_ok(what: &str, resp: &Response) {
    assert!((200..300).contains(&resp.status), "{what}: expected success, got {} {}", resp.status, resp.text());
}

/// Asserts an SDK call failed with `status` and `code`, naming `what` on failure.
#[track_caller]
fn refused<T: Debug, E: ProvideErrorMetadata + Debug>(what: &str, result: Result<T, SdkError<E, HttpResponse>>, status: u16, code: &str) {
    match result {
        Ok(v) => panic!("{what}: expected {status} {code}, got success: {v:?}"),
        Err(err) => {
            let info = error_info(&err);
            assert_eq!((info.status, info.code.as_deref()), (status, Some(code)), "{what}: {err:?}");
            assert!(info.request_id.is_some_and(|id| !id.is_empty()), "{what}: no x-amz-request-id");
        }
    }
}

/// Asserts an SDK call was refused with 403 AccessDenied.
#[track_caller]
fn denied<T: Debug, E: ProvideErrorMetadata + Debug>(what: &str, result: Result<T, SdkError<E, HttpResponse>>) {
    refused(what, result, 403, "AccessDenied");
}

/// Asserts an SDK call succeeded, naming `what` on failure.
#[track_caller]
fn ok<T, E: Debug>(what: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

// ---------------------------------------------------------------------------------------
// Policies, ACLs, settings
// ---------------------------------------------------------------------------------------

/// A policy document of `statements`.
fn policy(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

/// One statement; `principal`, `actions`, `resources` and `condition` are JSON values.
fn statement(effect: &str, principal: &str, actions: &str, resources: &str, condition: Option<&str>) -> String {
    let condition = condition.map(|c| format!(r#","Condition":{c}"#)).unwrap_or_default();
    format!(r#"{{"Effect":"{effect}","Principal":{principal},"Action":{actions},"Resource":{resources}{condition}}}"#)
}

/// `{"AWS":"<arn>"}`.
fn aws(arn: &str) -> String {
    format!(r#"{{"AWS":"{arn}"}}"#)
}

/// `["arn:aws:s3:::b","arn:aws:s3:::b/*"]`.
fn bucket_and_objects(bucket: &str) -> String {
    format!(r#"["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"]"#)
}

/// The user guide's "Granting read-only permission to anonymous users" policy.
fn public_read_policy(bucket: &str) -> String {
    let actions = r#""Action":["s3:GetObject","s3:GetObjectVersion"]"#;
    policy(&[format!(r#"{{"Sid":"PublicRead","Effect":"Allow","Principal":"*",{actions},"Resource":["arn:aws:s3:::{bucket}/*"]}}"#)])
}

/// Anonymous read of the objects and listing of the bucket.
fn public_read_list_policy(bucket: &str) -> String {
    policy(&[
        statement("Allow", r#""*""#, r#""s3:GetObject""#, &format!(r#""arn:aws:s3:::{bucket}/*""#), None),
        statement("Allow", r#""*""#, r#""s3:ListBucket""#, &format!(r#""arn:aws:s3:::{bucket}""#), None),
    ])
}

/// Ownership controls with one rule.
fn ownership(o: ObjectOwnership) -> OwnershipControls {
    OwnershipControls::builder().rules(OwnershipControlsRule::builder().object_ownership(o).build().unwrap()).build().unwrap()
}

/// One of the four Block Public Access settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PabSetting {
    BlockPublicAcls,
    IgnorePublicAcls,
    BlockPublicPolicy,
    RestrictPublicBuckets,
}

/// A Block Public Access configuration with exactly the settings `on` turned on.
fn pab(on: &[PabSetting]) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(on.contains(&PabSetting::BlockPublicAcls))
        .ignore_public_acls(on.contains(&PabSetting::IgnorePublicAcls))
        .block_public_policy(on.contains(&PabSetting::BlockPublicPolicy))
        .restrict_public_buckets(on.contains(&PabSetting::RestrictPublicBuckets))
        .build()
}

/// Creates `bucket` with ACLs enabled (`o`: ObjectWriter or BucketOwnerPreferred) and
/// Block Public Access removed.
async fn acl_bucket(root: &Client, bucket: &str, o: ObjectOwnership) {
    root.create_bucket().bucket(bucket).object_ownership(o).send().await.unwrap();
    root.delete_public_access_block().bucket(bucket).send().await.unwrap();
}

/// A grant of `permission` to canonical user `id`.
fn grant_to_id(id: &str, permission: Permission) -> Grant {
    Grant::builder().grantee(Grantee::builder().r#type(Type::CanonicalUser).id(id).build().unwrap()).permission(permission).build()
}

/// A grant of `permission` to group `uri`.
fn grant_to_group(uri: &str, permission: Permission) -> Grant {
    Grant::builder().grantee(Grantee::builder().r#type(Type::Group).uri(uri).build().unwrap()).permission(permission).build()
}

/// An AccessControlPolicy document owned by `owner` with `grants`.
fn acl_doc(owner: &str, grants: Vec<Grant>) -> AccessControlPolicy {
    AccessControlPolicy::builder().owner(Owner::builder().id(owner).build()).set_grants(Some(grants)).build()
}

/// Whether `grants` hold `permission` for `grantee` (a canonical id or a group URI).
fn has_grant(grants: &[Grant], grantee: &str, permission: &Permission) -> bool {
    grants
        .iter()
        .any(|g| g.permission() == Some(permission) && g.grantee().is_some_and(|e| e.id() == Some(grantee) || e.uri() == Some(grantee)))
}

/// Asserts an ACL is the one ACL reads answer under BucketOwnerEnforced: the owner,
/// FULL_CONTROL, nothing else.
#[track_caller]
fn assert_owner_only_acl(what: &str, owner: Option<&Owner>, grants: &[Grant], canonical_id: &str) {
    assert_eq!(owner.and_then(Owner::id), Some(canonical_id), "{what}: owner");
    assert_eq!(grants.len(), 1, "{what}: {grants:?}");
    assert!(has_grant(grants, canonical_id, &Permission::FullControl), "{what}: {grants:?}");
    assert_eq!(grants[0].grantee().map(Grantee::r#type), Some(&Type::CanonicalUser), "{what}: {grants:?}");
}
