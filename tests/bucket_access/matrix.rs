//! The access matrix: who may do what, against a table written from the AWS docs.

use super::*;

// ---------------------------------------------------------------------------------------
// The access matrix
// ---------------------------------------------------------------------------------------

/// Who sends a request in the access matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The root of the account owning every matrix bucket.
    OwnerRoot,
    /// A user of the owner's account whose identity policy allows s3:* (named "worker").
    OwnerUser,
    /// A user of the owner's account without any policy (named "bare").
    OwnerBareUser,
    /// The root of a second account.
    OtherRoot,
    /// A user of the second account whose identity policy allows s3:* (named "worker").
    OtherUser,
    /// No credentials: raw unsigned HTTP.
    Anonymous,
}

/// How a matrix bucket is set up (one bucket each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// As created: no policy, BucketOwnerEnforced, Block Public Access on.
    NoPolicy,
    /// Block Public Access removed; a policy allowing "*" s3:GetObject and s3:ListBucket.
    PublicPolicy,
    /// A policy allowing the second account's root s3:GetObject and s3:ListBucket, and
    /// explicitly denying s3:* to both accounts' "worker" users (not public: Block
    /// Public Access stays on).
    DenyPolicy,
    /// ObjectWriter, Block Public Access removed, public-read bucket ACL and object ACL.
    AclAllUsers,
    /// ObjectWriter, Block Public Access removed, bucket and object ACLs granting READ to
    /// the second account (and FULL_CONTROL to the owner).
    AclOtherAccount,
    /// As created; the public policy PutBucketPolicy tried was refused (403).
    PublicPolicyRefused,
}

impl Setup {
    /// Every setup, in table order.
    const ALL: [Setup; 6] =
        [Setup::NoPolicy, Setup::PublicPolicy, Setup::DenyPolicy, Setup::AclAllUsers, Setup::AclOtherAccount, Setup::PublicPolicyRefused];

    /// The bucket of this setup.
    fn bucket(self) -> &'static str {
        match self {
            Setup::NoPolicy => "m-none",
            Setup::PublicPolicy => "m-public",
            Setup::DenyPolicy => "m-deny",
            Setup::AclAllUsers => "m-acl-all",
            Setup::AclOtherAccount => "m-acl-account",
            Setup::PublicPolicyRefused => "m-refused",
        }
    }
}

/// The operations of the matrix, in column order.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// GET of the bucket's object "obj".
    GetObject,
    /// PUT of a new key.
    PutObject,
    /// ListObjectsV2 of the bucket.
    ListObjectsV2,
    /// DELETE of a key that does not exist (204 when allowed; nothing changes).
    DeleteObject,
    /// GetBucketAcl.
    GetBucketAcl,
}

/// Columns of [`MATRIX`].
const OPS: [Op; 5] = [Op::GetObject, Op::PutObject, Op::ListObjectsV2, Op::DeleteObject, Op::GetBucketAcl];

/// One row of the expected table: for `who` on the bucket of `setup`, whether each of
/// [`OPS`] is allowed (else 403 AccessDenied).
struct Expect {
    setup: Setup,
    who: Who,
    allowed: [bool; 5],
}

const Y: bool = true;
const N: bool = false;

const fn row(setup: Setup, who: Who, allowed: [bool; 5]) -> Expect {
    Expect { setup, who, allowed }
}

/// Who may do what: columns GetObject, PutObject, ListObjectsV2, DeleteObject,
/// GetBucketAcl. Written from the S3 user guide ("How Amazon S3 authorizes a request",
/// "Access control list (ACL) overview", "Blocking public access") before running.
#[rustfmt::skip]
const MATRIX: [Expect; 36] = [
    // --- NoPolicy: only identity policies of the owner's account can allow anything.
    // The root of the bucket owner's account may do anything on its bucket.
    row(Setup::NoPolicy, Who::OwnerRoot, [Y, Y, Y, Y, Y]),
    // Same account, and its identity policy allows s3:*: one allow is enough.
    row(Setup::NoPolicy, Who::OwnerUser, [Y, Y, Y, Y, Y]),
    // Same account but nothing allows it: IAM's implicit deny.
    row(Setup::NoPolicy, Who::OwnerBareUser, [N, N, N, N, N]),
    // Another account needs the bucket owner's permission (bucket context): none given.
    row(Setup::NoPolicy, Who::OtherRoot, [N, N, N, N, N]),
    // Its own account allows s3:*, the bucket owner does not: both are needed.
    row(Setup::NoPolicy, Who::OtherUser, [N, N, N, N, N]),
    // Nothing grants AllUsers: refused, 403 AccessDenied.
    row(Setup::NoPolicy, Who::Anonymous, [N, N, N, N, N]),

    // --- PublicPolicy: "*" may GetObject and ListBucket; nothing else is granted.
    // The owner's root is unaffected by an Allow for others.
    row(Setup::PublicPolicy, Who::OwnerRoot, [Y, Y, Y, Y, Y]),
    // Its identity policy already allows everything.
    row(Setup::PublicPolicy, Who::OwnerUser, [Y, Y, Y, Y, Y]),
    // Same account: the bucket policy's "*" is enough for reads and lists, not writes or ACL reads.
    row(Setup::PublicPolicy, Who::OwnerBareUser, [Y, N, Y, N, N]),
    // "*" includes every account: the bucket owner allows reads; a root needs nothing more.
    row(Setup::PublicPolicy, Who::OtherRoot, [Y, N, Y, N, N]),
    // Bucket policy ("*") and its own s3:* identity policy both allow reads.
    row(Setup::PublicPolicy, Who::OtherUser, [Y, N, Y, N, N]),
    // Principal "*" covers unsigned requests: reads and lists only.
    row(Setup::PublicPolicy, Who::Anonymous, [Y, N, Y, N, N]),

    // --- DenyPolicy: the other account's root may read and list; both "worker" users are denied.
    // Not named in the Deny: the root keeps everything.
    row(Setup::DenyPolicy, Who::OwnerRoot, [Y, Y, Y, Y, Y]),
    // An explicit Deny in the bucket policy beats its identity policy's Allow, even in its own account.
    row(Setup::DenyPolicy, Who::OwnerUser, [N, N, N, N, N]),
    // Nothing allows it (the Allow names the other account only).
    row(Setup::DenyPolicy, Who::OwnerBareUser, [N, N, N, N, N]),
    // The policy allows its account GetObject and ListBucket, nothing else.
    row(Setup::DenyPolicy, Who::OtherRoot, [Y, N, Y, N, N]),
    // Its account is allowed, but the user is explicitly denied by name: Deny wins.
    row(Setup::DenyPolicy, Who::OtherUser, [N, N, N, N, N]),
    // Nothing allows "*".
    row(Setup::DenyPolicy, Who::Anonymous, [N, N, N, N, N]),

    // --- AclAllUsers: AllUsers READ on the bucket (list) and on "obj" (get); READ_ACP and WRITE to the owner only.
    // The owner (FULL_CONTROL, and the bucket's owner) may do anything.
    row(Setup::AclAllUsers, Who::OwnerRoot, [Y, Y, Y, Y, Y]),
    // Its identity policy allows everything in its own account's bucket.
    row(Setup::AclAllUsers, Who::OwnerUser, [Y, Y, Y, Y, Y]),
    // AllUsers means anyone: the ACL allows reads and lists; WRITE and READ_ACP are not granted.
    row(Setup::AclAllUsers, Who::OwnerBareUser, [Y, N, Y, N, N]),
    // AllUsers includes other accounts: READ on bucket and object.
    row(Setup::AclAllUsers, Who::OtherRoot, [Y, N, Y, N, N]),
    // The ACL allows its account; its identity policy allows it.
    row(Setup::AclAllUsers, Who::OtherUser, [Y, N, Y, N, N]),
    // AllUsers READ: anonymous GET and list; PUT/DELETE need WRITE, GetBucketAcl READ_ACP.
    row(Setup::AclAllUsers, Who::Anonymous, [Y, N, Y, N, N]),

    // --- AclOtherAccount: READ on the bucket and on "obj" to the second account's canonical id.
    // The owner may do anything.
    row(Setup::AclOtherAccount, Who::OwnerRoot, [Y, Y, Y, Y, Y]),
    // Its identity policy allows everything.
    row(Setup::AclOtherAccount, Who::OwnerUser, [Y, Y, Y, Y, Y]),
    // ACLs grant to accounts, never to users of the owner's account: no identity policy, no access.
    row(Setup::AclOtherAccount, Who::OwnerBareUser, [N, N, N, N, N]),
    // The grantee account's root: READ on bucket (list) and object (get).
    row(Setup::AclOtherAccount, Who::OtherRoot, [Y, N, Y, N, N]),
    // The grant is to its account, and its identity policy delegates the reads to it.
    row(Setup::AclOtherAccount, Who::OtherUser, [Y, N, Y, N, N]),
    // Nothing grants AllUsers.
    row(Setup::AclOtherAccount, Who::Anonymous, [N, N, N, N, N]),

    // --- PublicPolicyRefused: BlockPublicPolicy refused the policy, so the bucket is as NoPolicy.
    // The root of the owner's account may do anything.
    row(Setup::PublicPolicyRefused, Who::OwnerRoot, [Y, Y, Y, Y, Y]),
    // Its identity policy allows s3:*.
    row(Setup::PublicPolicyRefused, Who::OwnerUser, [Y, Y, Y, Y, Y]),
    // Nothing allows it: the public policy never took effect.
    row(Setup::PublicPolicyRefused, Who::OwnerBareUser, [N, N, N, N, N]),
    // No policy lets another account in.
    row(Setup::PublicPolicyRefused, Who::OtherRoot, [N, N, N, N, N]),
    // Its own policy is not enough without the bucket owner's.
    row(Setup::PublicPolicyRefused, Who::OtherUser, [N, N, N, N, N]),
    // The refused policy would have let anonymous callers read: it must not.
    row(Setup::PublicPolicyRefused, Who::Anonymous, [N, N, N, N, N]),
];

/// What a request of the matrix got.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// 2xx.
    Allowed,
    /// 403 AccessDenied.
    Denied,
    /// Anything else: status and code.
    Other(u16, Option<String>),
}

fn sdk_outcome<T, E: ProvideErrorMetadata + Debug>(result: Result<T, SdkError<E, HttpResponse>>) -> Outcome {
    match result {
        Ok(_) => Outcome::Allowed,
        Err(err) => {
            let info = error_info(&err);
            match (info.status, info.code.as_deref()) {
                (403, Some("AccessDenied")) => Outcome::Denied,
                _ => Outcome::Other(info.status, info.code),
            }
        }
    }
}

fn raw_outcome(resp: &Response) -> Outcome {
    match (resp.status, resp.code()) {
        (200..=299, _) => Outcome::Allowed,
        (403, Some(code)) if code == "AccessDenied" => Outcome::Denied,
        (status, code) => Outcome::Other(status, code),
    }
}

/// Sends `op` on `bucket` as `client` (`None`: anonymous, raw unsigned HTTP).
async fn attempt(srv: &TestServer, client: Option<&Client>, who: Who, bucket: &str, op: Op) -> Outcome {
    let new_key = format!("put-by-{who:?}");
    let Some(s3) = client else {
        let resp = match op {
            Op::GetObject => anon(srv, "GET", &format!("/{bucket}/obj")).await,
            Op::PutObject => anon_put(srv, &format!("/{bucket}/{new_key}"), b"x").await,
            Op::ListObjectsV2 => anon(srv, "GET", &format!("/{bucket}?list-type=2")).await,
            Op::DeleteObject => anon(srv, "DELETE", &format!("/{bucket}/gone")).await,
            Op::GetBucketAcl => anon(srv, "GET", &format!("/{bucket}?acl")).await,
        };
        return raw_outcome(&resp);
    };
    match op {
        Op::GetObject => sdk_outcome(s3.get_object().bucket(bucket).key("obj").send().await),
        Op::PutObject => sdk_outcome(s3.put_object().bucket(bucket).key(new_key).body(ByteStream::from_static(b"x")).send().await),
        Op::ListObjectsV2 => sdk_outcome(s3.list_objects_v2().bucket(bucket).send().await),
        Op::DeleteObject => sdk_outcome(s3.delete_object().bucket(bucket).key("gone").send().await),
        Op::GetBucketAcl => sdk_outcome(s3.get_bucket_acl().bucket(bucket).send().await),
    }
}

/// Sets up the bucket of `setup`, with the object "obj" written by the owner.
async fn set_up(root: &Client, setup: Setup, owner: &Account, other: &Account) {
    let b = setup.bucket();
    match setup {
        Setup::NoPolicy => {
            root.create_bucket().bucket(b).send().await.unwrap();
        }
        Setup::PublicPolicy => {
            root.create_bucket().bucket(b).send().await.unwrap();
            root.delete_public_access_block().bucket(b).send().await.unwrap();
            root.put_bucket_policy().bucket(b).policy(public_read_list_policy(b)).send().await.unwrap();
        }
        Setup::DenyPolicy => {
            root.create_bucket().bucket(b).send().await.unwrap();
            let workers = format!(r#"{{"AWS":["{}","{}"]}}"#, owner.user_arn("worker"), other.user_arn("worker"));
            let doc = policy(&[
                statement("Allow", &aws(&other.root_arn()), r#"["s3:GetObject","s3:ListBucket"]"#, &bucket_and_objects(b), None),
                statement("Deny", &workers, r#""s3:*""#, &bucket_and_objects(b), None),
            ]);
            root.put_bucket_policy().bucket(b).policy(doc).send().await.unwrap();
        }
        Setup::AclAllUsers => {
            acl_bucket(root, b, ObjectOwnership::ObjectWriter).await;
            root.put_bucket_acl().bucket(b).acl(BucketCannedAcl::PublicRead).send().await.unwrap();
        }
        Setup::AclOtherAccount => {
            acl_bucket(root, b, ObjectOwnership::ObjectWriter).await;
            let (read, full) = (format!("id=\"{}\"", other.canonical_id), format!("id=\"{}\"", owner.canonical_id));
            root.put_bucket_acl().bucket(b).grant_read(&read).grant_full_control(&full).send().await.unwrap();
        }
        Setup::PublicPolicyRefused => {
            root.create_bucket().bucket(b).send().await.unwrap();
            denied(
                "public policy under Block Public Access",
                root.put_bucket_policy().bucket(b).policy(public_read_list_policy(b)).send().await,
            );
        }
    }
    let obj = root.put_object().bucket(b).key("obj").body(ByteStream::from_static(b"o"));
    let obj = match setup {
        Setup::AclAllUsers => obj.acl(ObjectCannedAcl::PublicRead),
        Setup::AclOtherAccount => {
            obj.grant_read(format!("id=\"{}\"", other.canonical_id)).grant_full_control(format!("id=\"{}\"", owner.canonical_id))
        }
        _ => obj,
    };
    obj.send().await.unwrap();
}

#[tokio::test]
async fn who_may_do_what_matches_the_documented_rules() {
    for setup in Setup::ALL {
        for who in [Who::OwnerRoot, Who::OwnerUser, Who::OwnerBareUser, Who::OtherRoot, Who::OtherUser, Who::Anonymous] {
            let rows = MATRIX.iter().filter(|r| r.setup == setup && r.who == who).count();
            assert_eq!(rows, 1, "the table has {rows} rows for {setup:?} / {who:?}");
        }
    }
    let srv = TestServer::start().await;
    let root = srv.client();
    let owner = owner_account(&srv).await;
    let other = other_account(&srv, "tenant2").await;
    let clients = [
        (Who::OwnerRoot, Some(root.clone())),
        (Who::OwnerUser, Some(owner.user(&srv, "worker", Some(S3_ALL)).await)),
        (Who::OwnerBareUser, Some(owner.user(&srv, "bare", None).await)),
        (Who::OtherRoot, Some(other.s3(&srv))),
        (Who::OtherUser, Some(other.user(&srv, "worker", Some(S3_ALL)).await)),
        (Who::Anonymous, None),
    ];
    for setup in Setup::ALL {
        set_up(&root, setup, &owner, &other).await;
    }

    let mut wrong = Vec::new();
    for expect in &MATRIX {
        let client = clients.iter().find(|(w, _)| *w == expect.who).and_then(|(_, c)| c.as_ref());
        for (op, allowed) in OPS.iter().zip(expect.allowed) {
            let got = attempt(&srv, client, expect.who, expect.setup.bucket(), *op).await;
            let want = if allowed { Outcome::Allowed } else { Outcome::Denied };
            if got != want {
                wrong.push(format!("{:?} / {:?} / {op:?}: expected {want:?}, got {got:?}", expect.setup, expect.who));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} cells differ from the table:\n{}", wrong.len(), MATRIX.len() * OPS.len(), wrong.join("\n"));
}
