//! Server-side encryption on the S3 surface: which encryption a write gets (its
//! `x-amz-server-side-encryption` headers, else the bucket's default encryption, else
//! the server's `encryption.bucket_default`), the key that seals and opens a version's
//! bytes, the response headers that report it, and Put/Get/DeleteBucketEncryption.
//!
//! - SSE-S3 (`AES256`): the server's SSE-S3 key (convergent: dedup kept).
//! - SSE-KMS (`aws:kms`): a random data key per object or upload from the built-in KMS
//!   ([`crate::kms::Kms`]), wrapped by the named key (or the account's `alias/aws/s3`,
//!   created on first use) with the encryption context `aws:s3:arn` (the object's ARN,
//!   or the bucket's with a Bucket Key) plus the caller's pairs. The caller needs
//!   `kms:GenerateDataKey` to write and `kms:Decrypt` to read (and to upload parts), as
//!   on S3; the key belongs to the bucket owner's account.
//! - SSE-C (`x-amz-server-side-encryption-customer-*`): a random data key per object
//!   or upload, wrapped under the customer's key (never stored) and the server's SSE-C
//!   secret ([`crate::crypto::customer`]); every read (GET, HEAD, a copy's source) and
//!   every part must bring the key. Refused over plain HTTP (400 InvalidRequest, as S3)
//!   unless `encryption.sse_c_over_http` is set for a trusted network.
//! - DSSE-KMS (`aws:kms:dsse`): as SSE-KMS with two data keys, and every chunk sealed
//!   twice (two independent AES-256-GCM layers, [`ChunkKey::dual`]).

use std::sync::Arc;

use base64::Engine as _;
use hyper::StatusCode;
use serde::{Deserialize, Serialize};

use super::body::RequestBody;
use super::conditions::{context, Wanted};
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers;
use super::router::Endpoint;
use super::xml::{self as x, NS};
use super::Response;
use crate::crypto::ChunkKey;
use crate::kms::{EncryptionContext, Kms as _, KmsError, KmsErrorCode};
use crate::model::encryption::{DefaultEncryption, Encryption, KmsEncryption, SseAlgorithm};
use crate::model::ObjectVersion;

/// The bucket configuration document holding the default encryption.
pub const BUCKET_ENCRYPTION: &str = "encryption";

/// The request header naming the algorithm.
const SSE: &str = "x-amz-server-side-encryption";
/// The KMS key header.
const KMS_KEY: &str = "x-amz-server-side-encryption-aws-kms-key-id";
/// The encryption context header (base64 of a JSON object of strings).
const CONTEXT: &str = "x-amz-server-side-encryption-context";
/// SSE-KMS request headers, valid only with `aws:kms`.
const KMS_ONLY: [&str; 2] = [KMS_KEY, CONTEXT];
/// The bucket key flag.
const BUCKET_KEY: &str = "x-amz-server-side-encryption-bucket-key-enabled";
/// SSE-C request headers for the object, and for a copy's source.
const CUSTOMER: [&str; 3] = [
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
];
const COPY_CUSTOMER: [&str; 3] = [
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
];
/// The alias of the key SSE-KMS uses when none is named, as on S3.
const DEFAULT_KMS_ALIAS: &str = "alias/aws/s3";

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

/// Whether `endpoint` takes the SSE request headers (the writes that create an object
/// or an upload).
fn takes_sse_headers(endpoint: Endpoint) -> bool {
    matches!(endpoint, Endpoint::PutObject | Endpoint::CopyObject | Endpoint::CreateMultipartUpload)
}

/// Refuses SSE request headers where S3 refuses them: on any operation but the writes
/// that create objects or uploads (400 InvalidArgument, as S3 answers a GET that
/// carries them). UploadPart checks its header against the upload's encryption.
pub fn refuse_misplaced(ctx: &Ctx<'_>) -> S3Result<()> {
    let sse_c = CUSTOMER.iter().chain(&COPY_CUSTOMER).any(|h| ctx.headers().contains_key(*h));
    if sse_c && !ctx.secure && !ctx.state.config.encryption.sse_c_over_http {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        ));
    }
    let endpoint = ctx.route.endpoint;
    if takes_sse_headers(endpoint) || matches!(endpoint, Endpoint::UploadPart | Endpoint::UploadPartCopy) {
        return Ok(());
    }
    let present = std::iter::once(SSE).chain(KMS_ONLY).chain([BUCKET_KEY]).find(|h| ctx.headers().contains_key(*h));
    match present {
        Some(name) => Err(invalid(format!("{name} header is not supported for this operation."))),
        None => Ok(()),
    }
}

/// UploadPart and UploadPartCopy take their encryption from the upload; an SSE header
/// that asks for another is refused (400 InvalidArgument) rather than ignored.
pub fn check_part_headers(ctx: &Ctx<'_>, upload: Option<&Encryption>) -> S3Result<()> {
    if customer_key(ctx, false)?.is_some() && !matches!(upload, Some(Encryption::Customer(_))) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The encryption parameters are not applicable to this multipart upload.",
        ));
    }
    if let Some(name) = KMS_ONLY.iter().find(|h| ctx.headers().contains_key(**h)) {
        return Err(invalid(format!("{name} header is not supported for this operation: parts are encrypted as their upload.")));
    }
    match ctx.header(SSE).map(str::trim) {
        Some(asked) if Some(asked) != upload.map(Encryption::algorithm) => {
            Err(invalid(format!("{SSE}: {asked} does not match the encryption of the multipart upload.")))
        }
        _ => Ok(()),
    }
}

/// A customer-provided key, checked against its MD5.
#[derive(Clone, PartialEq, Eq)]
struct CustomerKey {
    /// The key.
    key: [u8; 32],
    /// Its MD5, base64, as sent.
    md5: String,
}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomerKey(md5 {})", self.md5)
    }
}

/// The SSE-C key of the request (`copy_source`: of the copy's source), if it sends one:
/// all three headers, algorithm AES256, a 256-bit key whose MD5 matches.
fn customer_key(ctx: &Ctx<'_>, copy_source: bool) -> S3Result<Option<CustomerKey>> {
    let [alg, key, md5] = if copy_source { COPY_CUSTOMER } else { CUSTOMER };
    let (alg, key, md5) = (ctx.header(alg), ctx.header(key), ctx.header(md5));
    if alg.is_none() && key.is_none() && md5.is_none() {
        return Ok(None);
    }
    let (Some(alg), Some(key), Some(md5)) = (alg, key, md5) else {
        return Err(invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the algorithm, the key and its MD5.",
        ));
    };
    if alg.trim() != "AES256" {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidEncryptionAlgorithmError,
            "The encryption request you specified is not valid. The valid value is AES256.",
        ));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let key: [u8; 32] = b64
        .decode(key.trim())
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| invalid("The secret key was invalid for the specified algorithm."))?;
    let digest: [u8; 16] = <md5::Md5 as md5::Digest>::digest(key).into();
    if b64.decode(md5.trim()).ok().as_deref() != Some(&digest[..]) {
        return Err(invalid("The calculated MD5 hash of the key did not match the hash that was provided."));
    }
    Ok(Some(CustomerKey { key, md5: b64.encode(digest) }))
}

/// What a write asks for, before any key exists.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Asked {
    /// SSE-C.
    Customer(CustomerKey),
    /// SSE-S3.
    S3,
    /// SSE-KMS.
    Kms {
        /// The key named (id, ARN, alias or alias ARN); `None`: `alias/aws/s3`.
        key_id: Option<String>,
        /// The caller's encryption context pairs.
        context: EncryptionContext,
        /// Whether the caller sent a context (it is then echoed).
        context_sent: bool,
        /// An S3 Bucket Key.
        bucket_key: bool,
        /// DSSE-KMS: two layers.
        dual: bool,
    },
}

/// What a write's headers ask for, if anything. KMS headers without `aws:kms`, and
/// unknown algorithms, are 400 InvalidArgument; DSSE-KMS is refused (501).
fn asked_by_headers(ctx: &Ctx<'_>) -> S3Result<Option<Asked>> {
    if let Some(customer) = customer_key(ctx, false)? {
        if let Some(name) = std::iter::once(SSE).chain(KMS_ONLY).find(|h| ctx.headers().contains_key(*h)) {
            return Err(invalid(format!("{name} cannot be combined with a customer-provided key (SSE-C).")));
        }
        return Ok(Some(Asked::Customer(customer)));
    }
    let kms_header = KMS_ONLY.iter().find(|h| ctx.headers().contains_key(**h));
    let bucket_key = match ctx.header(BUCKET_KEY).map(str::trim) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(invalid(format!("The {BUCKET_KEY} header must be true or false."))),
    };
    let Some(value) = ctx.header(SSE).map(str::trim) else {
        if let Some(name) = kms_header {
            return Err(invalid(format!("{name} requires {SSE}: aws:kms")));
        }
        return Ok(None);
    };
    match SseAlgorithm::parse(value) {
        Some(SseAlgorithm::Aes256) => {
            if let Some(name) = kms_header {
                return Err(invalid(format!(
                    "Server Side Encryption with AWS KMS managed key requires HTTP header {SSE} : aws:kms ({name} was sent with AES256)"
                )));
            }
            // The bucket key is an SSE-KMS cost optimization; with SSE-S3 it changes nothing.
            Ok(Some(Asked::S3))
        }
        Some(alg @ (SseAlgorithm::Kms | SseAlgorithm::KmsDsse)) => {
            let key_id = ctx.header(KMS_KEY).map(|k| k.trim().to_owned());
            if key_id.as_deref() == Some("") {
                return Err(invalid(format!("{KMS_KEY} must not be empty")));
            }
            let raw = ctx.header(CONTEXT);
            let context = raw.map(parse_context).transpose()?.unwrap_or_default();
            let dual = alg == SseAlgorithm::KmsDsse;
            // S3 Bucket Keys are not used with DSSE-KMS (as on S3); the flag asks for no
            // protection, only for fewer KMS calls.
            Ok(Some(Asked::Kms { key_id, context, context_sent: raw.is_some(), bucket_key: bucket_key && !dual, dual }))
        }
        None => Err(invalid(format!("The encryption method specified is not supported: {value}"))),
    }
}

/// The `x-amz-server-side-encryption-context` header: base64 of a JSON object whose
/// values are strings.
fn parse_context(raw: &str) -> S3Result<EncryptionContext> {
    let bad = || invalid(format!("The {CONTEXT} header must be base64-encoded UTF-8 JSON of string pairs."));
    let json = base64::engine::general_purpose::STANDARD.decode(raw.trim()).map_err(|_| bad())?;
    let map: EncryptionContext = serde_json::from_slice(&json).map_err(|_| bad())?;
    if map.keys().any(|k| k.starts_with("aws:")) {
        return Err(invalid(format!("The {CONTEXT} header must not set keys starting with aws: (S3 sets aws:s3:arn).")));
    }
    Ok(map)
}

/// What a write asks for: its headers, else the bucket's default encryption, else the
/// server's.
fn asked(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<Asked>> {
    if let Some(asked) = asked_by_headers(ctx)? {
        return Ok(Some(asked));
    }
    Ok(match bucket_default(ctx, bucket)? {
        None => None,
        Some(d) if d.algorithm == SseAlgorithm::Aes256 => Some(Asked::S3),
        Some(d) => {
            let dual = d.algorithm == SseAlgorithm::KmsDsse;
            Some(Asked::Kms {
                key_id: d.kms_key_id,
                context: EncryptionContext::new(),
                context_sent: false,
                bucket_key: d.bucket_key_enabled && !dual,
                dual,
            })
        }
    })
}

/// How a new object's (or upload's) bytes are sealed: what is stored with it, and the
/// key that seals them now.
#[derive(Debug, Default)]
pub struct Sealing {
    /// Stored with the version or upload.
    pub encryption: Option<Encryption>,
    /// Seals the bytes.
    pub key: Option<Arc<ChunkKey>>,
    /// The context to echo (`x-amz-server-side-encryption-context`), when the caller
    /// sent one.
    pub echo_context: bool,
}

impl Sealing {
    /// The ETag of an object of this sealing whose plaintext MD5 is `md5`: the MD5 for
    /// SSE-S3 and unencrypted objects, an opaque value for SSE-KMS and SSE-C (as on S3,
    /// where such an object's ETag is not the MD5 of its data, which would leak it).
    pub fn etag(&self, md5: [u8; 16]) -> String {
        match (&self.encryption, &self.key) {
            (Some(Encryption::Kms(_) | Encryption::Customer(_)), Some(key)) => hex::encode(key.tag(b"etag", &md5)),
            _ => hex::encode(md5),
        }
    }
}

/// The sealing of a new object or upload at `object` in `bucket`.
pub async fn for_write(ctx: &Ctx<'_>, bucket: &str, object: &str) -> S3Result<Sealing> {
    match asked(ctx, bucket)? {
        None => Ok(Sealing::default()),
        Some(Asked::Customer(customer)) => Ok(customer_sealing(ctx, &customer, &crate::crypto::customer::random_data_key())),
        Some(Asked::S3) => Ok(Sealing { encryption: Some(Encryption::S3), key: Some(Arc::clone(&ctx.state.sse_s3)), echo_context: false }),
        Some(Asked::Kms { key_id, context, context_sent, bucket_key, dual }) => {
            let key = kms_key(ctx, bucket, key_id.as_deref()).await?;
            let context = full_context(context, bucket, object, bucket_key);
            authorize_kms(ctx, "kms:GenerateDataKey", &key, &context)?;
            let bytes = if dual { 64 } else { 32 };
            let (plain, wrapped) = ctx.state.kms.generate_data_key(&key.account, &key.id, bytes, &context).await.map_err(kms_error)?;
            let chunk_key = chunk_key_of(&plain, dual)?;
            let encryption =
                KmsEncryption { key_arn: key.arn(ctx), data_key: wrapped, context: context.into_iter().collect(), bucket_key, dual };
            Ok(Sealing { encryption: Some(Encryption::Kms(encryption)), key: Some(Arc::new(chunk_key)), echo_context: context_sent })
        }
    }
}

/// A KMS key of the bucket owner's account, as SSE-KMS uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KmsKeyRef {
    /// The owning account.
    account: String,
    /// The key id.
    id: String,
    /// Whether it is the account's `alias/aws/s3` key, which (as its key policy on AWS
    /// allows) every principal of the account may use through S3 unless denied.
    managed: bool,
}

impl KmsKeyRef {
    /// Its ARN, in the server's current region.
    fn arn(&self, ctx: &Ctx<'_>) -> String {
        ctx.state.kms.arn(&self.account, &self.id)
    }

    /// The key a stored ARN names (whatever region it was recorded in: an operator may
    /// correct `server.region`, and key material is bound to account and id only).
    fn of_arn(ctx: &Ctx<'_>, arn: &str) -> S3Result<Self> {
        let mut parts = arn.splitn(6, ':');
        let account = parts.nth(4).unwrap_or_default();
        let id = parts.next().and_then(|r| r.strip_prefix("key/")).unwrap_or_default();
        if account.is_empty() || id.is_empty() {
            return Err(S3Error::internal("a stored KMS key ARN that names no key"));
        }
        let managed = ctx.state.kms.account(account).aliases.get(DEFAULT_KMS_ALIAS).is_some_and(|m| m == id);
        Ok(Self { account: account.to_owned(), id: id.to_owned(), managed })
    }
}

/// The key a write names (`None`: the owner's `alias/aws/s3`, made on first use). Only
/// principals of the bucket owner's account can use its keys (coffer has no key
/// policies to share one), so anyone else is refused before any key is looked up or
/// made: they learn nothing of which keys exist, and cannot make one.
async fn kms_key(ctx: &Ctx<'_>, bucket: &str, key_id: Option<&str>) -> S3Result<KmsKeyRef> {
    let account = key_account(ctx, bucket)?;
    let caller = ctx.principal.map(|p| p.account.as_str());
    if caller != Some(account.as_str()) {
        return Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "SSE-KMS uses the bucket owner's KMS keys, which only principals of that account may use.",
        ));
    }
    let kms = &ctx.state.kms;
    let id = match key_id {
        Some(k) => kms.resolve(&account, k).map_err(kms_error)?,
        None => kms.managed_key(&account, DEFAULT_KMS_ALIAS).await.map_err(kms_error)?,
    };
    let managed = kms.account(&account).aliases.get(DEFAULT_KMS_ALIAS).is_some_and(|m| *m == id);
    Ok(KmsKeyRef { account, id, managed })
}

/// The sealing of `data_key` protected by a customer's key.
fn customer_sealing(ctx: &Ctx<'_>, customer: &CustomerKey, data_key: &[u8; 32]) -> Sealing {
    let p = ctx.state.sse_c.protect(&customer.key, data_key);
    let encryption = crate::model::encryption::CustomerEncryption { salt: p.salt, check: p.check, wrapped: p.wrapped };
    Sealing {
        encryption: Some(Encryption::Customer(encryption)),
        key: Some(Arc::new(ChunkKey::from_secret(data_key))),
        echo_context: false,
    }
}

/// What a part of an upload sealed as `encryption` (with `key`) records as its MD5 and
/// shows as its ETag: the MD5 of its bytes, or for SSE-KMS and SSE-C an opaque value
/// (keyed by the data key), so that neither the parts' ETags nor the object's
/// multipart ETag built from them reveal an MD5 of the plaintext.
pub fn part_tag(encryption: Option<&Encryption>, key: Option<&Arc<ChunkKey>>, md5: [u8; 16]) -> [u8; 16] {
    match (encryption, key) {
        (Some(Encryption::Kms(_) | Encryption::Customer(_)), Some(key)) => key.tag(b"part etag", &md5),
        _ => md5,
    }
}

/// The sealing of a copy of `src` to `object` in `bucket`, and whether it shares the
/// source's data key (then the copy can share the source's blobs: a copy under the
/// same key moves no data, it only wraps the data key again for its own context).
pub async fn for_copy(ctx: &Ctx<'_>, bucket: &str, object: &str, src: &ObjectVersion) -> S3Result<(Sealing, bool)> {
    let asked = asked(ctx, bucket)?;
    match (&asked, &src.encryption) {
        (Some(Asked::S3), Some(Encryption::S3)) => {
            return Ok((Sealing { encryption: Some(Encryption::S3), key: Some(Arc::clone(&ctx.state.sse_s3)), echo_context: false }, true));
        }
        (None, None) => return Ok((Sealing::default(), true)),
        // Under the same customer key the copy shares the data key (wrapped again with a
        // fresh salt): no data moves. Under another key it gets a fresh data key and the
        // bytes are re-encrypted, so that the old key (a compromised one, say) opens
        // nothing of the copy.
        (Some(Asked::Customer(customer)), Some(Encryption::Customer(source)))
            if ctx.state.sse_c.matches(&customer.key, &protected(source)) =>
        {
            let secret = customer_data_key(ctx, source, true)?;
            return Ok((customer_sealing(ctx, customer, &secret), true));
        }
        (Some(Asked::Kms { key_id, context, context_sent, bucket_key, dual }), Some(Encryption::Kms(source))) => {
            let key = kms_key(ctx, bucket, key_id.as_deref()).await?;
            let source_key = KmsKeyRef::of_arn(ctx, &source.key_arn)?;
            if (&key.account, &key.id) == (&source_key.account, &source_key.id) && *dual == source.dual {
                let secret = data_key(ctx, source)?;
                let context = full_context(context.clone(), bucket, object, *bucket_key);
                authorize_kms(ctx, "kms:GenerateDataKey", &key, &context)?;
                let wrapped = ctx.state.kms.wrap_data_key(&key.account, &key.id, &secret, &context).await.map_err(kms_error)?;
                let encryption = KmsEncryption {
                    key_arn: key.arn(ctx),
                    data_key: wrapped,
                    context: context.into_iter().collect(),
                    bucket_key: *bucket_key,
                    dual: *dual,
                };
                let sealing = Sealing {
                    encryption: Some(Encryption::Kms(encryption)),
                    key: Some(Arc::new(chunk_key_of(&secret, *dual)?)),
                    echo_context: *context_sent,
                };
                return Ok((sealing, true));
            }
        }
        _ => {}
    }
    Ok((for_write(ctx, bucket, object).await?, false))
}

/// The key that seals and opens bytes encrypted as `encryption` (`None`: stored as
/// sent), for the object the request addresses (SSE-C: with the request's key). For
/// SSE-KMS the caller must be allowed `kms:Decrypt` on the key, which must be enabled
/// (403 `KMS.DisabledException` otherwise, as S3 answers).
pub fn key_for(ctx: &Ctx<'_>, encryption: Option<&Encryption>) -> S3Result<Option<Arc<ChunkKey>>> {
    key_with(ctx, encryption, false)
}

/// [`key_for`] of a stored version addressed by the request.
pub fn key_of(ctx: &Ctx<'_>, version: &ObjectVersion) -> S3Result<Option<Arc<ChunkKey>>> {
    key_with(ctx, version.encryption.as_ref(), false)
}

/// [`key_for`] of a copy's source (SSE-C: with the `x-amz-copy-source-…-customer-*`
/// key).
pub fn key_of_source(ctx: &Ctx<'_>, version: &ObjectVersion) -> S3Result<Option<Arc<ChunkKey>>> {
    key_with(ctx, version.encryption.as_ref(), true)
}

fn key_with(ctx: &Ctx<'_>, encryption: Option<&Encryption>, copy_source: bool) -> S3Result<Option<Arc<ChunkKey>>> {
    Ok(match encryption {
        None => None,
        Some(Encryption::S3) => Some(Arc::clone(&ctx.state.sse_s3)),
        Some(Encryption::Kms(k)) => Some(Arc::new(chunk_key_of(&data_key(ctx, k)?, k.dual)?)),
        Some(Encryption::Customer(c)) => Some(Arc::new(ChunkKey::from_secret(&customer_data_key(ctx, c, copy_source)?))),
    })
}

/// Checks the request's SSE-C key against a stored version (GET, HEAD and
/// GetObjectAttributes must bring it; the key of an object stored without SSE-C is
/// refused), without opening anything.
pub fn check_read(ctx: &Ctx<'_>, version: &ObjectVersion) -> S3Result<()> {
    let sent = customer_key(ctx, false)?;
    match (&version.encryption, sent) {
        (Some(Encryption::Customer(c)), Some(key)) => {
            if ctx.state.sse_c.matches(&key.key, &protected(c)) {
                Ok(())
            } else {
                Err(wrong_customer_key())
            }
        }
        (Some(Encryption::Customer(_)), None) => Err(customer_key_needed()),
        (_, Some(_)) => {
            Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "The encryption parameters are not applicable to this object."))
        }
        (_, None) => Ok(()),
    }
}

fn customer_key_needed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    )
}

fn wrong_customer_key() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "The customer-provided key does not match the one the object was stored with.")
}

fn protected(c: &crate::model::encryption::CustomerEncryption) -> crate::crypto::customer::Protected {
    crate::crypto::customer::Protected { salt: c.salt.clone(), check: c.check.clone(), wrapped: c.wrapped.clone() }
}

/// The data key of an SSE-C object or upload, opened with the request's key (or the
/// copy source's).
fn customer_data_key(ctx: &Ctx<'_>, c: &crate::model::encryption::CustomerEncryption, copy_source: bool) -> S3Result<[u8; 32]> {
    let key = customer_key(ctx, copy_source)?.ok_or_else(customer_key_needed)?;
    ctx.state.sse_c.open(&key.key, &protected(c)).map_err(|e| match e {
        crate::crypto::customer::OpenError::WrongKey => wrong_customer_key(),
        crate::crypto::customer::OpenError::Damaged => {
            tracing::error!("an SSE-C data key does not open with the right customer key: damaged");
            S3Error::internal("SSE-C data key damaged")
        }
    })
}

/// The chunk key of a KMS data key: one layer, or two for DSSE-KMS (64 bytes).
fn chunk_key_of(plain: &[u8], dual: bool) -> S3Result<ChunkKey> {
    let wrong = || S3Error::internal("a data key of another length");
    if dual {
        let (outer, inner) = plain.split_at_checked(32).ok_or_else(wrong)?;
        Ok(ChunkKey::dual(outer.try_into().map_err(|_| wrong())?, inner.try_into().map_err(|_| wrong())?))
    } else {
        Ok(ChunkKey::from_secret(plain.try_into().map_err(|_| wrong())?))
    }
}

/// The plaintext data key of an SSE-KMS object (64 bytes for DSSE-KMS), for a caller
/// allowed `kms:Decrypt`.
fn data_key(ctx: &Ctx<'_>, k: &KmsEncryption) -> S3Result<Vec<u8>> {
    let context: EncryptionContext = k.context.iter().cloned().collect();
    let key = KmsKeyRef::of_arn(ctx, &k.key_arn)?;
    authorize_kms(ctx, "kms:Decrypt", &key, &context)?;
    let (plain, arn) = ctx.state.kms.decrypt(&k.data_key, &context).map_err(kms_error)?;
    if arn != key.arn(ctx) {
        return Err(S3Error::internal("a data key wrapped by another KMS key than recorded"));
    }
    Ok(plain)
}

/// Refuses new Object Lock protection (retention, a legal hold, a completed locked
/// upload) for data under a KMS key pending deletion: the key would take the data with
/// it, which locked data must outlive. 403 KMS.KMSInvalidStateException.
pub fn check_kms_key_lasting(ctx: &Ctx<'_>, encryption: Option<&Encryption>) -> S3Result<()> {
    if let Some(Encryption::Kms(k)) = encryption {
        let key = KmsKeyRef::of_arn(ctx, &k.key_arn)?;
        let record = ctx.state.kms.key(&key.account, &key.id).map_err(kms_error)?;
        if record.state == crate::kms::model::KeyState::PendingDeletion || ctx.state.kms.is_deleted(&record) {
            return Err(S3Error::with_message(
                S3ErrorCode::KmsInvalidState,
                format!("{} is pending deletion: nothing under it can be locked.", key.arn(ctx)),
            ));
        }
    }
    Ok(())
}

/// Checks that the caller may decrypt an SSE-KMS object (`kms:Decrypt`) without
/// opening it: what S3 asks before showing what derives from the plaintext (its
/// checksums) or completing an upload.
pub fn check_kms_decrypt(ctx: &Ctx<'_>, encryption: Option<&Encryption>) -> S3Result<()> {
    if let Some(Encryption::Kms(k)) = encryption {
        let context: EncryptionContext = k.context.iter().cloned().collect();
        authorize_kms(ctx, "kms:Decrypt", &KmsKeyRef::of_arn(ctx, &k.key_arn)?, &context)?;
    }
    Ok(())
}

/// The account whose KMS keys a bucket's objects use: the bucket owner's.
fn key_account(ctx: &Ctx<'_>, bucket: &str) -> S3Result<String> {
    match super::access::bucket_access(ctx, bucket)? {
        Some(access) => Ok(access.owner.clone()),
        None => Ok(ctx.account()?.to_owned()),
    }
}

/// The caller's pairs plus `aws:s3:arn`: the object's ARN, or the bucket's with a
/// Bucket Key.
fn full_context(mut context: EncryptionContext, bucket: &str, object: &str, bucket_key: bool) -> EncryptionContext {
    let arn = if bucket_key { format!("arn:aws:s3:::{bucket}") } else { format!("arn:aws:s3:::{bucket}/{object}") };
    context.insert("aws:s3:arn".to_owned(), arn);
    context
}

/// Whether the caller may use a KMS key for `action` (`kms:GenerateDataKey`,
/// `kms:Decrypt`), by its identity policies, with the request's condition keys plus
/// `kms:ViaService`, `kms:CallerAccount` and `kms:EncryptionContext:*`. Anonymous
/// callers never may (as on S3: an SSE-KMS object cannot be read anonymously).
fn authorize_kms(ctx: &Ctx<'_>, action: &str, key: &KmsKeyRef, encryption_context: &EncryptionContext) -> S3Result<()> {
    let key_arn = key.arn(ctx);
    let denied = |who: &str| {
        S3Error::with_message(
            S3ErrorCode::AccessDenied,
            format!("User: {who} is not authorized to perform: {action} on resource: {key_arn}"),
        )
    };
    let Some(p) = ctx.principal else { return Err(denied("anonymous")) };
    let wanted = Wanted { principal: Some(&*p.condition_keys), resource: None };
    let mut c = context(ctx, Some(p), &wanted, None);
    c.insert("kms:ViaService", format!("s3.{}.amazonaws.com", ctx.state.config.server.region));
    c.insert("kms:CallerAccount", p.account.clone());
    for (k, v) in encryption_context {
        c.insert(&format!("kms:EncryptionContext:{k}"), v.clone());
        c.insert("kms:EncryptionContextKeys", k.clone());
    }
    // The managed key's policy (as on AWS) allows its account's principals through S3.
    let resource = if key.managed && p.account == key.account {
        crate::iam::policy::Outcome::Allow
    } else {
        crate::iam::policy::Outcome::NotApplicable
    };
    if p.is_allowed_with(action, &key_arn, Some(&key.account), &c, resource) {
        Ok(())
    } else {
        Err(denied(&p.arn))
    }
}

/// A KMS failure as S3 reports it.
fn kms_error(e: KmsError) -> S3Error {
    let code = match e.code {
        // A key whose deletion date has passed no longer opens its data keys either.
        KmsErrorCode::NotFoundException | KmsErrorCode::InvalidCiphertextException => S3ErrorCode::KmsNotFound,
        KmsErrorCode::DisabledException => S3ErrorCode::KmsDisabled,
        KmsErrorCode::KMSInvalidStateException => S3ErrorCode::KmsInvalidState,
        KmsErrorCode::AccessDeniedException => S3ErrorCode::AccessDenied,
        KmsErrorCode::LimitExceededException => S3ErrorCode::KmsLimitExceeded,
        _ => {
            tracing::error!(error = %e, "the KMS failed an SSE-KMS request");
            return S3Error::internal(e.message);
        }
    };
    S3Error::with_message(code, e.message)
}

/// The plaintext of an inline object's stored bytes (`key`: how they are sealed).
/// Bytes that do not open are a 500, logged, never served.
pub fn open_inline(key: Option<&Arc<ChunkKey>>, stored: &bytes::Bytes) -> S3Result<bytes::Bytes> {
    match key {
        None => Ok(stored.clone()),
        Some(key) => key.open_all(stored).map(bytes::Bytes::from).map_err(|e| {
            tracing::error!(error = %e, "an inline object's encrypted bytes did not open");
            S3Error::internal("inline object bytes do not authenticate")
        }),
    }
}

/// Adds the headers that report `encryption` on a response (PUT, GET, HEAD, Copy,
/// UploadPart, CreateMultipartUpload, Complete). For SSE-C the key's MD5 is echoed
/// from the request when it carries the object's key (coffer does not store it).
pub fn put_headers(ctx: &Ctx<'_>, h: &mut hyper::HeaderMap, encryption: Option<&Encryption>) {
    let Some(e) = encryption else { return };
    if let Encryption::Customer(c) = e {
        headers::put(h, CUSTOMER[0], "AES256");
        if let Ok(Some(key)) = customer_key(ctx, false) {
            if ctx.state.sse_c.matches(&key.key, &protected(c)) {
                headers::put(h, "x-amz-server-side-encryption-customer-key-MD5", &key.md5);
            }
        }
        return;
    }
    headers::put(h, SSE, e.algorithm());
    if let Encryption::Kms(k) = e {
        headers::put(h, KMS_KEY, &k.key_arn);
        if k.bucket_key {
            headers::put(h, BUCKET_KEY, "true");
        }
    }
}

/// [`put_headers`] for a write's response, with the encryption context when the caller
/// sent one (as S3 echoes it).
pub fn put_write_headers(ctx: &Ctx<'_>, h: &mut hyper::HeaderMap, sealing: &Sealing) {
    put_headers(ctx, h, sealing.encryption.as_ref());
    if let (true, Some(Encryption::Kms(k))) = (sealing.echo_context, &sealing.encryption) {
        let map: EncryptionContext = k.context.iter().cloned().collect();
        let json = serde_json::to_string(&map).unwrap_or_default();
        headers::put(h, CONTEXT, &base64::engine::general_purpose::STANDARD.encode(json));
    }
}

/// Whether the caller may see what derives from the plaintext of bytes encrypted as
/// `encryption` (checksums of parts and objects): SSE-KMS needs `kms:Decrypt` (else
/// 403, as S3 answers ListParts); SSE-C the object's key in the request (else the
/// digests are left out); anything else, yes.
pub fn may_see_digests(ctx: &Ctx<'_>, encryption: Option<&Encryption>) -> S3Result<bool> {
    match encryption {
        Some(Encryption::Kms(_)) => check_kms_decrypt(ctx, encryption).map(|()| true),
        Some(Encryption::Customer(c)) => Ok(customer_key(ctx, false)?.is_some_and(|k| ctx.state.sse_c.matches(&k.key, &protected(c)))),
        _ => Ok(true),
    }
}

/// The default encryption in force for `bucket`: its own configuration, else the
/// server's `encryption.bucket_default`.
pub fn bucket_default(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<DefaultEncryption>> {
    if let Some(raw) = ctx.state.store.bucket_config(bucket, BUCKET_ENCRYPTION)? {
        let text = String::from_utf8(raw).map_err(S3Error::internal)?;
        return parse_configuration(text.as_bytes())
            .map(Some)
            .map_err(|e| S3Error::internal(format!("stored encryption configuration: {}", e.message)));
    }
    Ok((ctx.state.config.encryption.bucket_default == "AES256").then_some(DefaultEncryption {
        algorithm: SseAlgorithm::Aes256,
        kms_key_id: None,
        bucket_key_enabled: false,
    }))
}

/// `<ServerSideEncryptionConfiguration>`.
#[derive(Serialize, Deserialize)]
struct Configuration {
    #[serde(rename = "@xmlns", default, skip_deserializing)]
    xmlns: &'static str,
    #[serde(rename = "Rule", default)]
    rules: Vec<Rule>,
}

#[derive(Serialize, Deserialize)]
struct Rule {
    #[serde(rename = "ApplyServerSideEncryptionByDefault", default, skip_serializing_if = "Option::is_none")]
    apply: Option<ApplyByDefault>,
    #[serde(rename = "BucketKeyEnabled", default, skip_serializing_if = "Option::is_none")]
    bucket_key_enabled: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct ApplyByDefault {
    #[serde(rename = "SSEAlgorithm")]
    algorithm: String,
    #[serde(rename = "KMSMasterKeyID", default, skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<String>,
}

/// Parses and validates a `ServerSideEncryptionConfiguration` (exactly one rule, as S3
/// requires).
fn parse_configuration(raw: &[u8]) -> S3Result<DefaultEncryption> {
    let doc: Configuration = x::from_xml(raw, "ServerSideEncryptionConfiguration")?;
    let [rule] = <[Rule; 1]>::try_from(doc.rules).map_err(|_| S3Error::new(S3ErrorCode::MalformedXML))?;
    let apply = rule.apply.ok_or_else(|| S3Error::new(S3ErrorCode::MalformedXML))?;
    let algorithm = SseAlgorithm::parse(apply.algorithm.trim()).ok_or_else(|| S3Error::new(S3ErrorCode::MalformedXML))?;
    if algorithm == SseAlgorithm::Aes256 && apply.kms_key_id.is_some() {
        return Err(invalid("a KMSMasterKeyID is allowed only if SSEAlgorithm is aws:kms or aws:kms:dsse."));
    }
    Ok(DefaultEncryption { algorithm, kms_key_id: apply.kms_key_id, bucket_key_enabled: rule.bucket_key_enabled.unwrap_or(false) })
}

fn configuration_xml(d: &DefaultEncryption) -> S3Result<String> {
    let doc = Configuration {
        xmlns: NS,
        rules: vec![Rule {
            apply: Some(ApplyByDefault { algorithm: d.algorithm.name().to_owned(), kms_key_id: d.kms_key_id.clone() }),
            bucket_key_enabled: Some(d.bucket_key_enabled),
        }],
    };
    x::to_xml("ServerSideEncryptionConfiguration", &doc)
}

/// PUT /bucket?encryption.
pub async fn put_bucket_encryption(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = super::document::read(ctx, body, false).await?;
    let config = parse_configuration(&raw)?;
    match config.algorithm {
        SseAlgorithm::Aes256 => {}
        SseAlgorithm::Kms | SseAlgorithm::KmsDsse => {
            // A key named must exist in the bucket owner's account (S3 checks it on use;
            // refusing it now saves every later write from failing).
            if let Some(key) = &config.kms_key_id {
                ctx.state.kms.resolve(&key_account(ctx, bucket)?, key).map_err(kms_error)?;
            }
        }
    }
    ctx.set_bucket_config(bucket, BUCKET_ENCRYPTION, Some(configuration_xml(&config)?.into_bytes())).await?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?encryption: the bucket's configuration, or the server default that
/// applies to it; 404 ServerSideEncryptionConfigurationNotFoundError if neither.
pub fn get_bucket_encryption(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let config = bucket_default(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::ServerSideEncryptionConfigurationNotFoundError))?;
    Ok(xml(configuration_xml(&config)?))
}

/// DELETE /bucket?encryption: the bucket falls back to the server's default (SSE-S3
/// unless the operator turned it off), as S3 resets it to SSE-S3.
pub async fn delete_bucket_encryption(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    ctx.set_bucket_config(bucket, BUCKET_ENCRYPTION, None).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_parse_as_s3_defines_them() {
        let doc = |inner: &str| {
            format!("<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{inner}</ServerSideEncryptionConfiguration>")
        };
        let ok = parse_configuration(
            doc(
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>",
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(ok, DefaultEncryption { algorithm: SseAlgorithm::Aes256, kms_key_id: None, bucket_key_enabled: false });
        let kms = parse_configuration(doc("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>").as_bytes()).unwrap();
        assert_eq!(kms.kms_key_id.as_deref(), Some("alias/k"));
        assert!(kms.bucket_key_enabled);
        let code = |inner: &str| parse_configuration(doc(inner).as_bytes()).unwrap_err().code;
        assert_eq!(code(""), S3ErrorCode::MalformedXML, "no rule");
        assert_eq!(code("<Rule></Rule>"), S3ErrorCode::MalformedXML, "no default");
        assert_eq!(
            code("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"),
            S3ErrorCode::MalformedXML
        );
        assert_eq!(
            code("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>"),
            S3ErrorCode::InvalidArgument
        );
        assert_eq!(code("<Rule><Foo/></Rule>"), S3ErrorCode::MalformedXML, "unknown element");
        let round = configuration_xml(&ok).unwrap();
        assert_eq!(parse_configuration(round.as_bytes()).unwrap(), ok);
    }
}
