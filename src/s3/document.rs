//! Reading an XML request document: size-limited by `limits.max_xml_size`, whole in
//! memory (within the shared buffer budget), and checked against the Content-MD5,
//! `x-amz-checksum-*` header or aws-chunked checksum trailer the client sent (400
//! BadDigest on a mismatch), as S3 checks every configuration document. The digests are
//! read and verified as for object bodies ([`DeclaredDigests`]).

use md5::{Digest, Md5};

use super::body::{Buffered, RequestBody};
use super::dispatch::Ctx;
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::object_put::DeclaredDigests;
use crate::blob::Checksummer;

/// The document in `body`, integrity-checked; `required`: a digest must be present (S3
/// requires one on DeleteObjects, PutBucketTagging and PutBucketVersioning).
pub async fn read(ctx: &Ctx<'_>, body: RequestBody, required: bool) -> S3Result<Buffered> {
    let digests = DeclaredDigests::from_request(ctx)?;
    if required && digests.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Missing required header for this request: Content-MD5"));
    }
    let trailers = body.trailers.clone();
    let raw = body.collect(ctx.state.config.limits.max_xml_size).await?;
    let checksums: Vec<_> = digests
        .declared_algorithms()
        .map(|alg| {
            let mut c = Checksummer::new(alg);
            c.update(&raw);
            (alg, c.finish())
        })
        .collect();
    digests.verify(Md5::digest(&raw[..]).into(), &checksums, trailers.as_ref())?;
    Ok(raw)
}
