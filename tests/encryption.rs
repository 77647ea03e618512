//! Server-side encryption at rest (SSE-S3): the default for new objects, the
//! `x-amz-server-side-encryption` header, Put/Get/DeleteBucketEncryption, multipart,
//! copies between encrypted and unencrypted, ranges across chunk boundaries, dedup kept,
//! no plaintext on disk, damage and the wrong server key detected, never served.

mod common;

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::raw::Request as Req;
use common::{assert_sdk_error, data, TestServer};

/// Plaintext bytes per sealed chunk (64 KiB stored, minus nonce and tag).
const PLAIN_CHUNK: usize = 65_536 - 28;

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(p) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), out);
                } else {
                    out.push(e.path());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// Blob files (not their block lists).
fn blob_files(root: &Path) -> Vec<PathBuf> {
    files(&root.join("blobs")).into_iter().filter(|p| p.extension().is_none()).collect()
}

/// Whether any file under `dir` contains `needle`.
fn on_disk(dir: &Path, needle: &[u8]) -> bool {
    files(dir).iter().any(|f| std::fs::read(f).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)))
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, range: Option<String>) -> (Option<ServerSideEncryption>, Vec<u8>) {
    let out = s3.get_object().bucket(bucket).key(key).set_range(range).send().await.unwrap();
    let sse = out.server_side_encryption().cloned();
    (sse, out.body.collect().await.unwrap().into_bytes().to_vec())
}

#[tokio::test]
async fn new_objects_are_encrypted_by_default_and_never_stored_in_the_clear() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("enc").send().await.unwrap();

    // Large (blob) and small (inline) objects, each with a marker that must not reach the disk.
    let mut big = data(3 * PLAIN_CHUNK + 12_345, 1);
    big[70_000..70_032].copy_from_slice(b"PLAINTEXT-MARKER-BIG-0123456789!");
    let small = b"PLAINTEXT-MARKER-SMALL-this object is stored inline, sealed".to_vec();
    for (key, body) in [("big", &big), ("small", &small)] {
        let put = s3.put_object().bucket("enc").key(key).body(ByteStream::from(body.clone())).send().await.unwrap();
        assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "{key}");
        assert_eq!(
            put.e_tag().unwrap(),
            format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(body))),
            "the ETag is the plaintext's MD5"
        );
        let head = s3.head_object().bucket("enc").key(key).send().await.unwrap();
        assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
        assert_eq!(head.content_length(), Some(i64::try_from(body.len()).unwrap()));
        assert_eq!(get(&s3, "enc", key, None).await, (Some(ServerSideEncryption::Aes256), body.clone()));
    }
    assert!(!on_disk(srv.dir.path(), b"PLAINTEXT-MARKER-BIG"), "blob plaintext on disk");
    assert!(!on_disk(srv.dir.path(), b"PLAINTEXT-MARKER-SMALL"), "inline plaintext on disk");

    // Ranges within, across and at the edges of chunks.
    let c = PLAIN_CHUNK;
    for (start, end) in [(0, 0), (c - 1, c), (c - 100, 2 * c + 100), (2 * c, 3 * c - 1), (big.len() - 10, big.len() - 1), (5, 70_031)] {
        let (_, got) = get(&s3, "enc", "big", Some(format!("bytes={start}-{end}"))).await;
        assert_eq!(got, big[start..=end], "bytes={start}-{end}");
    }
    let (_, tail) = get(&s3, "enc", "small", Some("bytes=-6".into())).await;
    assert_eq!(tail, small[small.len() - 6..]);

    // Identical bytes still deduplicate: the second copy adds no blob.
    let before = blob_files(srv.dir.path()).len();
    s3.put_object().bucket("enc").key("big-again").body(ByteStream::from(big.clone())).send().await.unwrap();
    assert_eq!(blob_files(srv.dir.path()).len(), before, "convergent encryption keeps dedup");

    // Still readable after a restart (the SSE-S3 key comes from the server key).
    srv.server.stop().await;
    let srv = TestServer::start_in(srv.dir, &[]).await;
    let s3 = srv.client();
    assert_eq!(get(&s3, "enc", "big", None).await.1, big);
    assert_eq!(get(&s3, "enc", "small", None).await.1, small);
}

#[tokio::test]
async fn bucket_default_encryption_api() {
    let srv = TestServer::start_with(&[("encryption.bucket_default", "none")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    assert_sdk_error(s3.get_bucket_encryption().bucket("bkt").send().await, 404, Some("ServerSideEncryptionConfigurationNotFoundError"));
    let plain = s3.put_object().bucket("bkt").key("plain").body(ByteStream::from_static(b"as sent")).send().await.unwrap();
    assert_eq!(plain.server_side_encryption(), None);
    assert!(on_disk(srv.dir.path(), b"as sent"), "without encryption the bytes are stored as sent");

    let rule = |alg: ServerSideEncryption, key: Option<&str>| {
        let by_default =
            ServerSideEncryptionByDefault::builder().sse_algorithm(alg).set_kms_master_key_id(key.map(str::to_owned)).build().unwrap();
        ServerSideEncryptionConfiguration::builder()
            .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build())
            .build()
            .unwrap()
    };
    s3.put_bucket_encryption()
        .bucket("bkt")
        .server_side_encryption_configuration(rule(ServerSideEncryption::Aes256, None))
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_encryption().bucket("bkt").send().await.unwrap();
    let by_default = got.server_side_encryption_configuration().unwrap().rules()[0].apply_server_side_encryption_by_default().unwrap();
    assert_eq!(by_default.sse_algorithm(), &ServerSideEncryption::Aes256);
    let put = s3.put_object().bucket("bkt").key("sealed").body(ByteStream::from_static(b"now sealed")).send().await.unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert!(!on_disk(srv.dir.path(), b"now sealed"));
    // Objects written before keep their state.
    let head = s3.head_object().bucket("bkt").key("plain").send().await.unwrap();
    assert_eq!(head.server_side_encryption(), None);

    // A KMS key that does not exist and bad documents are errors.
    let kms = s3
        .put_bucket_encryption()
        .bucket("bkt")
        .server_side_encryption_configuration(rule(ServerSideEncryption::AwsKms, Some("alias/k")))
        .send()
        .await;
    assert_sdk_error(kms, 400, Some("KMS.NotFoundException"));
    let host = srv.host();
    let bad = Req::new("PUT", "/bkt?encryption")
        .body("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>")
        .signed(&host)
        .send(&host)
        .await;
    bad.assert_error(400, "MalformedXML");
    let mixed = Req::new("PUT", "/bkt?encryption")
        .body("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>")
        .signed(&host)
        .send(&host)
        .await;
    mixed.assert_error(400, "InvalidArgument");
    assert_eq!(
        s3.get_bucket_encryption().bucket("bkt").send().await.unwrap().server_side_encryption_configuration().unwrap().rules().len(),
        1
    );

    s3.delete_bucket_encryption().bucket("bkt").send().await.unwrap();
    assert_sdk_error(s3.get_bucket_encryption().bucket("bkt").send().await, 404, Some("ServerSideEncryptionConfigurationNotFoundError"));
    assert_eq!(get(&s3, "bkt", "sealed", None).await, (Some(ServerSideEncryption::Aes256), b"now sealed".to_vec()));

    // With the server default (SSE-S3), a bucket without its own configuration shows it.
    srv.server.stop().await;
    let srv = TestServer::start_in(srv.dir, &[]).await;
    let s3 = srv.client();
    let got = s3.get_bucket_encryption().bucket("bkt").send().await.unwrap();
    let rule = &got.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm(), &ServerSideEncryption::Aes256);
    s3.delete_bucket_encryption().bucket("bkt").send().await.unwrap();
    assert!(s3.get_bucket_encryption().bucket("bkt").send().await.is_ok(), "reset to SSE-S3, as S3 does");
}

#[tokio::test]
async fn request_headers_are_honoured_or_refused() {
    let srv = TestServer::start_with(&[("encryption.bucket_default", "none")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("hdr").send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("hdr")
        .key("asked")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"asked for AES256"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert!(!on_disk(srv.dir.path(), b"asked for AES256"));
    assert_eq!(get(&s3, "hdr", "asked", None).await.1, b"asked for AES256");

    let host = srv.host();
    let send = |method: &'static str, target: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let host = host.clone();
        async move {
            let mut req = Req::new(method, target);
            for (n, v) in headers {
                req = req.header(n, v);
            }
            if method == "PUT" {
                req = req.body("x");
            }
            req.signed(&host).send(&host).await
        }
    };
    send("PUT", "/hdr/bad", &[("x-amz-server-side-encryption", "AES128")]).await.assert_error(400, "InvalidArgument");
    send("PUT", "/hdr/bad", &[("x-amz-server-side-encryption", "AES256"), ("x-amz-server-side-encryption-aws-kms-key-id", "k")])
        .await
        .assert_error(400, "InvalidArgument");
    send("PUT", "/hdr/bad", &[("x-amz-server-side-encryption-context", "e30=")]).await.assert_error(400, "InvalidArgument");
    // S3 refuses the header on reads.
    send("GET", "/hdr/asked", &[("x-amz-server-side-encryption", "AES256")]).await.assert_error(400, "InvalidArgument");
    assert!(s3.head_object().bucket("hdr").key("bad").send().await.is_err(), "nothing stored");
    // SSE-C stays refused (over plain HTTP S3 refuses it anyway).
    send("PUT", "/hdr/c", &[("x-amz-server-side-encryption-customer-algorithm", "AES256")]).await.assert_error(400, "InvalidRequest");
}

#[tokio::test]
async fn multipart_and_copies_between_modes() {
    let srv = TestServer::start_with(&[("encryption.bucket_default", "none")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("mpu").send().await.unwrap();

    // A multipart upload asked to be encrypted: every part is, and so is the object.
    let parts = [data(5 << 20, 2), data(PLAIN_CHUNK * 2 + 7, 3)];
    let create =
        s3.create_multipart_upload().bucket("mpu").key("mp").server_side_encryption(ServerSideEncryption::Aes256).send().await.unwrap();
    assert_eq!(create.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let id = create.upload_id().unwrap();
    let mut done = Vec::new();
    for (i, body) in parts.iter().enumerate() {
        let n = i32::try_from(i).unwrap() + 1;
        let up = s3
            .upload_part()
            .bucket("mpu")
            .key("mp")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(up.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "part {n}");
        done.push(CompletedPart::builder().part_number(n).e_tag(up.e_tag().unwrap()).build());
    }
    // A part whose header asks for something else is refused.
    let host = srv.host();
    let target = format!("/mpu/mp?partNumber=3&uploadId={id}");
    let wrong = Req::new("PUT", &target).header("x-amz-server-side-encryption", "aws:kms").body("x").signed(&host).send(&host).await;
    wrong.assert_error(400, "InvalidArgument");
    let complete = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("mp")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(complete.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let whole: Vec<u8> = parts.concat();
    assert_eq!(get(&s3, "mpu", "mp", None).await, (Some(ServerSideEncryption::Aes256), whole.clone()));
    let (a, b) = ((5 << 20) - 1000, (5 << 20) + PLAIN_CHUNK + 5);
    assert_eq!(get(&s3, "mpu", "mp", Some(format!("bytes={a}-{b}"))).await.1, whole[a..=b], "across the part boundary");

    // Copies: encrypted → plain (the destination bucket's default, here none), plain →
    // encrypted (asked), encrypted → encrypted (shares the blobs), and over itself.
    s3.put_object().bucket("mpu").key("plain").body(ByteStream::from(data(300_000, 4))).send().await.unwrap();
    let to_plain = s3.copy_object().bucket("mpu").key("mp-plain").copy_source("mpu/mp").send().await.unwrap();
    assert_eq!(to_plain.server_side_encryption(), None);
    assert_eq!(get(&s3, "mpu", "mp-plain", None).await, (None, whole.clone()));
    let to_sealed = s3
        .copy_object()
        .bucket("mpu")
        .key("plain-sealed")
        .copy_source("mpu/plain")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(to_sealed.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(get(&s3, "mpu", "plain-sealed", None).await, (Some(ServerSideEncryption::Aes256), data(300_000, 4)));
    let blobs = blob_files(srv.dir.path()).len();
    s3.copy_object()
        .bucket("mpu")
        .key("mp-copy")
        .copy_source("mpu/mp")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(blob_files(srv.dir.path()).len(), blobs, "a copy under the same key moves no data");
    assert_eq!(get(&s3, "mpu", "mp-copy", None).await.1, whole);
    let over = s3
        .copy_object()
        .bucket("mpu")
        .key("plain")
        .copy_source("mpu/plain")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await;
    assert_eq!(over.unwrap().server_side_encryption(), Some(&ServerSideEncryption::Aes256), "encrypting in place is a change");
    assert_eq!(get(&s3, "mpu", "plain", None).await, (Some(ServerSideEncryption::Aes256), data(300_000, 4)));

    // UploadPartCopy from a plain source into an encrypted upload reseals the range.
    s3.put_object().bucket("mpu").key("src").body(ByteStream::from(data(6 << 20, 5))).send().await.unwrap();
    let up =
        s3.create_multipart_upload().bucket("mpu").key("pc").server_side_encryption(ServerSideEncryption::Aes256).send().await.unwrap();
    let id = up.upload_id().unwrap();
    let copied = s3.upload_part_copy().bucket("mpu").key("pc").upload_id(id).part_number(1).copy_source("mpu/src").send().await.unwrap();
    let etag = copied.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    s3.complete_multipart_upload()
        .bucket("mpu")
        .key("pc")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(etag).build()).build())
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "mpu", "pc", None).await, (Some(ServerSideEncryption::Aes256), data(6 << 20, 5)));
}

#[tokio::test]
async fn damage_and_the_wrong_server_key_are_errors_never_wrong_bytes() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("dmg").send().await.unwrap();
    let body = data(2 * PLAIN_CHUNK + 500, 6);
    s3.put_object().bucket("dmg").key("big").body(ByteStream::from(body.clone())).send().await.unwrap();
    s3.put_object().bucket("dmg").key("small").body(ByteStream::from_static(b"small and sealed")).send().await.unwrap();

    // Another server key: nothing opens; the small object is a 500, the large one a
    // broken body, never other bytes.
    srv.server.stop().await;
    let other_key = srv.dir.path().join("other.key");
    std::fs::write(&other_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let other = other_key.display().to_string();
    let srv = TestServer::start_in(srv.dir, &[("auth.master_key_file", other.as_str())]).await;
    let s3 = srv.client();
    assert_sdk_error(s3.get_object().bucket("dmg").key("small").send().await, 500, Some("InternalError"));
    match s3.get_object().bucket("dmg").key("big").send().await {
        Err(_) => {}
        Ok(out) => assert!(out.body.collect().await.is_err(), "the wrong key must not yield bytes"),
    }

    // Back to the right key, then flip one byte of the blob: the read stops short.
    srv.server.stop().await;
    let srv = TestServer::start_in(srv.dir, &[]).await;
    let s3 = srv.client();
    assert_eq!(get(&s3, "dmg", "big", None).await.1, body);
    let blob = blob_files(srv.dir.path()).into_iter().find(|p| std::fs::metadata(p).unwrap().len() > 100_000).unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[70_000] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    match s3.get_object().bucket("dmg").key("big").send().await {
        Err(_) => {}
        Ok(out) => assert!(out.body.collect().await.is_err(), "damaged ciphertext must not be served"),
    }
}

/// Stored bytes of a DSSE-KMS blob of `plain` bytes: 64 KiB chunks, two layers of
/// 28 bytes each.
fn dual_sealed_len(plain: usize) -> u64 {
    let chunk = 65_536 - 56;
    let chunks = plain.div_ceil(chunk).max(1);
    (plain + chunks * 56) as u64
}

/// An IAM user of the default account with inline policy `policy`; its S3 client.
async fn user_s3(srv: &TestServer, name: &str, policy: &str) -> aws_sdk_s3::Client {
    let iam = common::identity::iam_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy().user_name(name).policy_name("p").policy_document(policy).send().await.unwrap();
    let key = iam.create_access_key().user_name(name).send().await.unwrap();
    let key = key.access_key().unwrap();
    common::client_for(&srv.endpoint, key.access_key_id(), key.secret_access_key())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn sse_kms_with_the_built_in_kms() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    let kms = common::identity::kms_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    s3.create_bucket().bucket("kms-bkt").send().await.unwrap();
    let created = kms.create_key().description("backups").send().await.unwrap();
    let meta = created.key_metadata().unwrap();
    let (key_id, key_arn) = (meta.key_id().to_owned(), meta.arn().unwrap().to_owned());
    kms.create_alias().alias_name("alias/backups").target_key_id(&key_id).send().await.unwrap();

    // A named key: sealed with a data key of its own, the key's ARN reported, an ETag
    // that is not the MD5 of the data (as on S3), nothing in the clear on disk.
    let mut body = data(3 * PLAIN_CHUNK + 5, 7);
    body[1000..1024].copy_from_slice(b"KMS-PLAINTEXT-MARKER-123");
    let put = s3
        .put_object()
        .bucket("kms-bkt")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .content_md5(b64(&<md5::Md5 as md5::Digest>::digest(&body)))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(put.ssekms_key_id(), Some(key_arn.as_str()));
    assert_ne!(put.e_tag().unwrap(), format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&body))));
    assert!(!on_disk(srv.dir.path(), b"KMS-PLAINTEXT-MARKER"));
    let out = s3.get_object().bucket("kms-bkt").key("k").range("bytes=65000-140000").send().await.unwrap();
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(out.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(out.e_tag(), put.e_tag());
    assert_eq!(out.body.collect().await.unwrap().into_bytes(), body[65_000..=140_000]);

    // By alias, with a context (echoed, with aws:s3:arn), and a Bucket Key.
    let context = b64(br#"{"team":"storage"}"#);
    let put = s3
        .put_object()
        .bucket("kms-bkt")
        .key("ctx")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/backups")
        .ssekms_encryption_context(&context)
        .bucket_key_enabled(true)
        .body(ByteStream::from_static(b"small kms object"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(put.bucket_key_enabled(), Some(true));
    let echoed = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, put.ssekms_encryption_context().unwrap()).unwrap(),
    )
    .unwrap();
    assert!(echoed.contains(r#""team":"storage""#) && echoed.contains(r#""aws:s3:arn":"arn:aws:s3:::kms-bkt""#), "{echoed}");
    assert_eq!(get(&s3, "kms-bkt", "ctx", None).await.1, b"small kms object");

    // No key named: the account's alias/aws/s3, made on first use.
    let put = s3
        .put_object()
        .bucket("kms-bkt")
        .key("dflt")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"d"))
        .send()
        .await
        .unwrap();
    let aliases = kms.list_aliases().send().await.unwrap();
    let managed = aliases.aliases().iter().find(|a| a.alias_name() == Some("alias/aws/s3")).expect("alias/aws/s3 created");
    assert!(put.ssekms_key_id().unwrap().ends_with(managed.target_key_id().unwrap()));

    // DSSE-KMS: two data keys, every chunk sealed twice; reported as aws:kms:dsse.
    let put = s3
        .put_object()
        .bucket("kms-bkt")
        .key("dsse")
        .server_side_encryption(ServerSideEncryption::AwsKmsDsse)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::AwsKmsDsse));
    assert_eq!(put.ssekms_key_id(), Some(key_arn.as_str()));
    let out = s3.get_object().bucket("kms-bkt").key("dsse").range("bytes=65400-131100").send().await.unwrap();
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::AwsKmsDsse));
    assert_eq!(out.body.collect().await.unwrap().into_bytes(), body[65_400..=131_100]);
    assert_eq!(get(&s3, "kms-bkt", "dsse", None).await.1, body);
    let dsse_blob = blob_files(srv.dir.path())
        .into_iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .filter(|&n| n == dual_sealed_len(body.len()))
        .count();
    assert_eq!(dsse_blob, 1, "the blob has two layers' overhead per chunk");
    // A copy to single-layer SSE-KMS under the same key re-encrypts (another layout).
    let copy = s3
        .copy_object()
        .bucket("kms-bkt")
        .key("dsse-to-kms")
        .copy_source("kms-bkt/dsse")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(copy.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(get(&s3, "kms-bkt", "dsse-to-kms", None).await.1, body);

    // Errors: an unknown key, a context that is not base64 JSON.
    let r = s3
        .put_object()
        .bucket("kms-bkt")
        .key("x")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/nope")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("KMS.NotFoundException"));
    let r = s3
        .put_object()
        .bucket("kms-bkt")
        .key("x")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_encryption_context("%%%")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidArgument"));

    // A disabled key makes its objects unreadable (HEAD still answers) until enabled.
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    assert_sdk_error(s3.get_object().bucket("kms-bkt").key("k").send().await, 403, Some("KMS.DisabledException"));
    assert!(s3.head_object().bucket("kms-bkt").key("k").send().await.is_ok());
    let r = s3
        .put_object()
        .bucket("kms-bkt")
        .key("y")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from_static(b"y"))
        .send()
        .await;
    assert_sdk_error(r, 403, Some("KMS.DisabledException"));
    kms.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(get(&s3, "kms-bkt", "k", None).await.1, body);

    // Rotation keeps old objects readable; new ones use the new material.
    kms.rotate_key_on_demand().key_id(&key_id).send().await.unwrap();
    assert_eq!(get(&s3, "kms-bkt", "k", None).await.1, body);
    s3.put_object()
        .bucket("kms-bkt")
        .key("after")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from_static(b"after rotation"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "kms-bkt", "after", None).await.1, b"after rotation");

    // Copies: under the same key the data is not moved (only the data key re-wrapped);
    // to SSE-S3 it is re-encrypted and gets the MD5 ETag.
    let blobs = blob_files(srv.dir.path()).len();
    let copy = s3
        .copy_object()
        .bucket("kms-bkt")
        .key("k-copy")
        .copy_source("kms-bkt/k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(copy.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(blob_files(srv.dir.path()).len(), blobs, "same key: no data moved");
    assert_eq!(get(&s3, "kms-bkt", "k-copy", None).await.1, body);
    let copy = s3.copy_object().bucket("kms-bkt").key("k-s3").copy_source("kms-bkt/k").send().await.unwrap();
    assert_eq!(copy.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(
        copy.copy_object_result().unwrap().e_tag().unwrap(),
        format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&body)))
    );
    assert_eq!(get(&s3, "kms-bkt", "k-s3", None).await, (Some(ServerSideEncryption::Aes256), body.clone()));

    // Bucket default SSE-KMS, and a multipart upload under it.
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id("alias/backups")
        .build()
        .unwrap();
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build())
        .build()
        .unwrap();
    s3.put_bucket_encryption().bucket("kms-bkt").server_side_encryption_configuration(config).send().await.unwrap();
    let create = s3.create_multipart_upload().bucket("kms-bkt").key("mp").send().await.unwrap();
    assert_eq!(create.ssekms_key_id(), Some(key_arn.as_str()));
    let id = create.upload_id().unwrap();
    let part = data(5 << 20, 8);
    let up = s3
        .upload_part()
        .bucket("kms-bkt")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(part.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(up.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    let part_md5 = format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&part)));
    assert_ne!(up.e_tag().unwrap(), part_md5, "an SSE-KMS part's ETag is not its MD5");
    let done =
        CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag(up.e_tag().unwrap()).build()).build();
    let complete = s3.complete_multipart_upload().bucket("kms-bkt").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    assert_eq!(complete.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(get(&s3, "kms-bkt", "mp", None).await, (Some(ServerSideEncryption::AwsKms), part));

    // Restart: everything still opens (the key material is sealed by the server key).
    srv.server.stop().await;
    let srv = TestServer::start_in(srv.dir, &[]).await;
    let s3 = srv.client();
    assert_eq!(get(&s3, "kms-bkt", "k", None).await.1, body);
    assert_eq!(get(&s3, "kms-bkt", "ctx", None).await.1, b"small kms object");
}

#[tokio::test]
async fn sse_kms_needs_the_callers_right_to_use_the_key() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    let kms = common::identity::kms_client(&srv.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None);
    s3.create_bucket().bucket("kms-auth").send().await.unwrap();
    let key_id = kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    s3.put_object()
        .bucket("kms-auth")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from_static(b"for key users"))
        .send()
        .await
        .unwrap();

    let s3_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let alice = user_s3(&srv, "alice", s3_only).await;
    assert_sdk_error(alice.get_object().bucket("kms-auth").key("k").send().await, 403, Some("AccessDenied"));
    assert!(alice.head_object().bucket("kms-auth").key("k").send().await.is_ok(), "HEAD does not decrypt");
    let r = alice
        .put_object()
        .bucket("kms-auth")
        .key("a")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from_static(b"a"))
        .send()
        .await;
    assert_sdk_error(r, 403, Some("AccessDenied"));
    assert!(alice.head_object().bucket("kms-auth").key("a").send().await.is_err(), "nothing stored");
    // SSE-S3 needs no KMS permission.
    alice
        .put_object()
        .bucket("kms-auth")
        .key("s3")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"s"))
        .send()
        .await
        .unwrap();

    let with_kms = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}"#;
    let bob = user_s3(&srv, "bob", with_kms).await;
    assert_eq!(get(&bob, "kms-auth", "k", None).await.1, b"for key users");
    bob.put_object()
        .bucket("kms-auth")
        .key("b")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from_static(b"b"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "kms-auth", "b", None).await.1, b"b");

    // An SSE-KMS upload's parts (and their checksums) need kms:Decrypt to list.
    let up = s3
        .create_multipart_upload()
        .bucket("kms-auth")
        .key("mp")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .send()
        .await
        .unwrap();
    let r = alice.list_parts().bucket("kms-auth").key("mp").upload_id(up.upload_id().unwrap()).send().await;
    assert_sdk_error(r, 403, Some("AccessDenied"));
    assert!(bob.list_parts().bucket("kms-auth").key("mp").upload_id(up.upload_id().unwrap()).send().await.is_ok());

    // Checksums derive from the plaintext: HEAD shows them only to key users.
    let r = alice.head_object().bucket("kms-auth").key("k").checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled).send().await;
    assert_eq!(common::error_info(&r.unwrap_err()).status, 403);
    let head = bob.head_object().bucket("kms-auth").key("k").checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled).send().await.unwrap();
    assert!(head.checksum_crc64_nvme().is_some() || head.checksum_crc32().is_some());

    // The managed alias/aws/s3 key (a bucket default without a key id) is usable by the
    // account's principals through S3, as its key policy allows on AWS, and its state
    // cannot be changed.
    let kms_default = ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::AwsKms).build().unwrap();
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(kms_default).build())
        .build()
        .unwrap();
    s3.create_bucket().bucket("kms-managed").send().await.unwrap();
    assert!(kms.list_aliases().send().await.unwrap().aliases().iter().all(|a| a.alias_name() != Some("alias/aws/s3")));
    // Someone outside the account (here: anonymous, where a policy lets anyone write)
    // is refused before any key is made.
    s3.delete_public_access_block().bucket("kms-managed").send().await.unwrap();
    let public_write = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::kms-managed/*"}]}"#;
    s3.put_bucket_policy().bucket("kms-managed").policy(public_write).send().await.unwrap();
    let host = srv.host();
    let anon = Req::new("PUT", "/kms-managed/anon").header("x-amz-server-side-encryption", "aws:kms").body("x").send(&host).await;
    anon.assert_error(403, "AccessDenied");
    assert!(kms.list_aliases().send().await.unwrap().aliases().iter().all(|a| a.alias_name() != Some("alias/aws/s3")), "no key made");
    s3.put_bucket_encryption().bucket("kms-managed").server_side_encryption_configuration(config).send().await.unwrap();
    let put = alice.put_object().bucket("kms-managed").key("m").body(ByteStream::from_static(b"managed")).send().await.unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(get(&alice, "kms-managed", "m", None).await.1, b"managed");
    let managed = kms.describe_key().key_id("alias/aws/s3").send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    assert!(kms.disable_key().key_id(&managed).send().await.is_err(), "the managed key cannot be disabled");
    assert!(kms.schedule_key_deletion().key_id(&managed).send().await.is_err(), "nor deleted");
    assert!(kms.delete_alias().alias_name("alias/aws/s3").send().await.is_err(), "nor its alias removed");
    assert_eq!(get(&s3, "kms-managed", "m", None).await.1, b"managed");

    // Anonymous readers never get SSE-KMS objects, even where the bucket is public.
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::kms-auth/*"}]}"#;
    s3.delete_public_access_block().bucket("kms-auth").send().await.unwrap();
    s3.put_bucket_policy().bucket("kms-auth").policy(public).send().await.unwrap();
    let anon = reqwest_get(&srv, "/kms-auth/k").await;
    assert_eq!(anon, 403);
    assert_eq!(reqwest_get(&srv, "/kms-auth/s3").await, 200, "an SSE-S3 object is public as the policy says");
}

/// The status of an anonymous GET.
async fn reqwest_get(srv: &TestServer, target: &str) -> u16 {
    let host = srv.host();
    Req::new("GET", target).send(&host).await.status
}

#[tokio::test]
async fn encrypted_objects_move_between_tiers_sealed() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter, StorageClass, TransitionStorageClass,
    };
    let overrides = [("lifecycle.day_seconds", "1"), ("lifecycle.interval_secs", "1")];
    let srv = TestServer::start_with_tiers(&["GLACIER"], &overrides).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("tiered").send().await.unwrap();
    let mut big = data(200 << 10, 9);
    big[5000..5020].copy_from_slice(b"TIER-MARKER-BIG-0001");
    let small = b"TIER-MARKER-SMALL: kept inline until it moves".to_vec();
    for (key, body) in [("logs/big", &big), ("logs/small", &small), ("keep/small", &small)] {
        s3.put_object().bucket("tiered").key(key).body(ByteStream::from(body.clone())).send().await.unwrap();
    }
    // Written straight to the tier, and copied there from an inline object.
    let put = s3
        .put_object()
        .bucket("tiered")
        .key("ia")
        .storage_class(StorageClass::Glacier)
        .body(ByteStream::from(big.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    s3.copy_object()
        .bucket("tiered")
        .key("ia-copy")
        .copy_source("tiered/keep/small")
        .storage_class(StorageClass::Glacier)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "tiered", "ia-copy", None).await, (Some(ServerSideEncryption::Aes256), small.clone()));

    let rule = LifecycleRule::builder()
        .id("to-glacier")
        .status(ExpirationStatus::Enabled)
        // A size filter lets objects under 128 KiB (an inline one here) transition.
        .filter(LifecycleRuleFilter::builder().object_size_greater_than(1).build())
        .transitions(aws_sdk_s3::types::Transition::builder().days(1).storage_class(TransitionStorageClass::Glacier).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("tiered")
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    for key in ["logs/big", "logs/small"] {
        common::eventually(&format!("{key} moves to GLACIER"), || async {
            s3.head_object().bucket("tiered").key(key).send().await.unwrap().storage_class() == Some(&StorageClass::Glacier)
        })
        .await;
    }
    assert_eq!(get(&s3, "tiered", "logs/big", None).await, (Some(ServerSideEncryption::Aes256), big.clone()));
    assert_eq!(get(&s3, "tiered", "logs/small", None).await, (Some(ServerSideEncryption::Aes256), small.clone()));
    let (_, part) = get(&s3, "tiered", "logs/small", Some("bytes=5-9".into())).await;
    assert_eq!(part, small[5..=9]);
    // Back to the main tier by a copy.
    s3.copy_object()
        .bucket("tiered")
        .key("back")
        .copy_source("tiered/logs/big")
        .storage_class(StorageClass::Standard)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "tiered", "back", None).await.1, big);
    assert!(!on_disk(srv.dir.path(), b"TIER-MARKER"), "no plaintext in any tier");
}

/// (algorithm, key, key MD5) as the SDK takes them.
fn customer(seed: u8) -> (String, String) {
    let key = [seed; 32];
    (b64(&key), b64(&<md5::Md5 as md5::Digest>::digest(key)))
}

#[tokio::test]
async fn sse_c_customer_keys() {
    let srv = TestServer::start_with(&[("encryption.sse_c_over_http", "true")]).await;
    let s3 = srv.client();
    s3.create_bucket().bucket("ssec").send().await.unwrap();
    let ((k1, m1), (k2, m2)) = (customer(1), customer(2));
    let mut body = data(2 * PLAIN_CHUNK + 99, 10);
    body[300..320].copy_from_slice(b"SSE-C-MARKER-0000001");
    let put = s3
        .put_object()
        .bucket("ssec")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(put.sse_customer_key_md5(), Some(m1.as_str()));
    assert_eq!(put.server_side_encryption(), None);
    assert_ne!(put.e_tag().unwrap(), format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&body))), "not the MD5");
    assert!(!on_disk(srv.dir.path(), b"SSE-C-MARKER"));
    assert!(!on_disk(srv.dir.path(), &[1u8; 32]), "the customer key is never stored");

    let got = s3
        .get_object()
        .bucket("ssec")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .range("bytes=65000-70000")
        .send()
        .await
        .unwrap();
    assert_eq!(got.sse_customer_key_md5(), Some(m1.as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), body[65_000..=70_000]);
    let head = s3
        .head_object()
        .bucket("ssec")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(i64::try_from(body.len()).unwrap()));

    // Without the key, with another key, with a key for an object that has none.
    assert_sdk_error(s3.get_object().bucket("ssec").key("c").send().await, 400, Some("InvalidRequest"));
    assert_sdk_error(
        s3.get_object()
            .bucket("ssec")
            .key("c")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&k2)
            .sse_customer_key_md5(&m2)
            .send()
            .await,
        403,
        Some("AccessDenied"),
    );
    assert_eq!(common::error_info(&s3.head_object().bucket("ssec").key("c").send().await.unwrap_err()).status, 400);
    let r = s3
        .head_object()
        .bucket("ssec")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2)
        .sse_customer_key_md5(&m2)
        .send()
        .await;
    assert_eq!(common::error_info(&r.unwrap_err()).status, 403);
    s3.put_object().bucket("ssec").key("plain").body(ByteStream::from_static(b"sse-s3")).send().await.unwrap();
    let r = s3
        .get_object()
        .bucket("ssec")
        .key("plain")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));

    // Malformed keys.
    let r = s3
        .put_object()
        .bucket("ssec")
        .key("x")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m2)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidArgument"));
    let short = b64(&[1u8; 16]);
    let short_md5 = b64(&<md5::Md5 as md5::Digest>::digest([1u8; 16]));
    let r = s3
        .put_object()
        .bucket("ssec")
        .key("x")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&short)
        .sse_customer_key_md5(&short_md5)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidArgument"));
    let r = s3
        .put_object()
        .bucket("ssec")
        .key("x")
        .sse_customer_algorithm("AES128")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_sdk_error(r, 400, Some("InvalidEncryptionAlgorithmError"));
    assert!(s3.head_object().bucket("ssec").key("x").send().await.is_err());

    // Multipart: every part brings the upload's key.
    let create = s3
        .create_multipart_upload()
        .bucket("ssec")
        .key("mp")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(create.sse_customer_key_md5(), Some(m1.as_str()));
    let id = create.upload_id().unwrap();
    let part = data(5 << 20, 11);
    let r = s3.upload_part().bucket("ssec").key("mp").upload_id(id).part_number(1).body(ByteStream::from(part.clone())).send().await;
    assert_sdk_error(r, 400, Some("InvalidRequest"));
    let r = s3
        .upload_part()
        .bucket("ssec")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2)
        .sse_customer_key_md5(&m2)
        .body(ByteStream::from(part.clone()))
        .send()
        .await;
    assert_sdk_error(r, 403, Some("AccessDenied"));
    let up = s3
        .upload_part()
        .bucket("ssec")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .body(ByteStream::from(part.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(up.sse_customer_key_md5(), Some(m1.as_str()));
    let copied = s3
        .upload_part_copy()
        .bucket("ssec")
        .key("mp")
        .upload_id(id)
        .part_number(2)
        .copy_source("ssec/c")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1)
        .copy_source_sse_customer_key_md5(&m1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(up.e_tag().unwrap()).build())
        .parts(CompletedPart::builder().part_number(2).e_tag(copied.copy_part_result().unwrap().e_tag().unwrap()).build())
        .build();
    s3.complete_multipart_upload().bucket("ssec").key("mp").upload_id(id).multipart_upload(parts).send().await.unwrap();
    let got = s3
        .get_object()
        .bucket("ssec")
        .key("mp")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), [part, body.clone()].concat());

    // Copies: to another customer key without moving data; to SSE-S3; a source without
    // its key is refused.
    let blobs = blob_files(srv.dir.path()).len();
    s3.copy_object()
        .bucket("ssec")
        .key("c2")
        .copy_source("ssec/c")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1)
        .copy_source_sse_customer_key_md5(&m1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2)
        .sse_customer_key_md5(&m2)
        .send()
        .await
        .unwrap();
    assert_eq!(blob_files(srv.dir.path()).len(), blobs + 1, "another key: a fresh data key, the bytes re-encrypted");
    let got = s3
        .get_object()
        .bucket("ssec")
        .key("c2")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2)
        .sse_customer_key_md5(&m2)
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), body);
    let r = s3
        .get_object()
        .bucket("ssec")
        .key("c2")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await;
    assert_sdk_error(r, 403, Some("AccessDenied"));
    let blobs = blob_files(srv.dir.path()).len();
    s3.copy_object()
        .bucket("ssec")
        .key("c-same")
        .copy_source("ssec/c")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1)
        .copy_source_sse_customer_key_md5(&m1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(blob_files(srv.dir.path()).len(), blobs, "the same key: the data is not moved");
    let got = s3
        .get_object()
        .bucket("ssec")
        .key("c-same")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), body);
    assert_sdk_error(s3.copy_object().bucket("ssec").key("c3").copy_source("ssec/c").send().await, 400, Some("InvalidRequest"));
    let to_s3 = s3
        .copy_object()
        .bucket("ssec")
        .key("c3")
        .copy_source("ssec/c")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1)
        .copy_source_sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(to_s3.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(get(&s3, "ssec", "c3", None).await.1, body);
}
