//! Reading an XML request document: size-limited by `limits.max_xml_size`, whole in
//! memory (within the shared buffer budget), and checked against the Content-MD5,
//! `x-amz-checksum-*` header or aws-chunked checksum trailer the client sent (400
//! BadDigest on a mismatch), as S3 checks every configuration document.

use base64::Engine as _;
use md5::{Digest, Md5};

use super::body::{Buffered, RequestBody};
use super::dispatch::Ctx;
use super::error::{S3Error, S3ErrorCode, S3Result};
use crate::blob::{checksum_from_base64, ChecksumAlgorithm, Checksummer};

/// The document in `body`, integrity-checked; `required`: a digest must be present.
pub async fn read(ctx: &Ctx<'_>, body: RequestBody, required: bool) -> S3Result<Buffered> {
    let trailers = body.trailers.clone();
    let raw = body.collect(ctx.state.config.limits.max_xml_size).await?;
    verify_integrity(ctx, &raw, required)?;
    verify_trailer(ctx, &raw, trailers.as_ref())?;
    Ok(raw)
}

/// Checks the Content-MD5 and `x-amz-checksum-*` headers of a document (every one
/// sent); without any, `required` says whether that is an error (S3 requires one on
/// DeleteObjects, PutBucketTagging and PutBucketVersioning).
fn verify_integrity(ctx: &Ctx<'_>, body: &[u8], required: bool) -> S3Result<()> {
    let mut checked = false;
    if let Some(md5) = ctx.header("content-md5") {
        let want = base64::engine::general_purpose::STANDARD.decode(md5.trim()).map_err(|_| S3Error::new(S3ErrorCode::InvalidDigest))?;
        if want.len() != 16 {
            return Err(S3Error::new(S3ErrorCode::InvalidDigest));
        }
        if Md5::digest(body).as_slice() != want.as_slice() {
            return Err(S3Error::new(S3ErrorCode::BadDigest));
        }
        checked = true;
    }
    for alg in ChecksumAlgorithm::ALL {
        if let Some(value) = ctx.header(alg.header_name()) {
            let want = checksum_from_base64(alg, value.trim()).ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::InvalidRequest, format!("Value for {} header is invalid.", alg.header_name()))
            })?;
            check(alg, body, &want)?;
            checked = true;
        }
    }
    // Bodies whose checksum arrives in an aws-chunked trailer are verified against it.
    if checked || ctx.header("x-amz-trailer").is_some() || !required {
        return Ok(());
    }
    Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Missing required header for this request: Content-MD5"))
}

/// Verifies a checksum that arrived in the aws-chunked trailer.
fn verify_trailer(ctx: &Ctx<'_>, body: &[u8], trailers: Option<&crate::auth::TrailerSlot>) -> S3Result<()> {
    let Some(name) = ctx.header("x-amz-trailer") else { return Ok(()) };
    let alg = name.trim().strip_prefix("x-amz-checksum-").and_then(ChecksumAlgorithm::from_s3_name);
    let Some(alg) = alg else {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("The value specified in the x-amz-trailer header is not supported: {name}"),
        ));
    };
    let values = trailers.map(crate::auth::TrailerSlot::take).unwrap_or_default();
    let want = values
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(alg.header_name()))
        .and_then(|(_, v)| checksum_from_base64(alg, v.trim()))
        .ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidRequest, format!("The {} trailer is missing or malformed.", alg.header_name()))
        })?;
    check(alg, body, &want)
}

/// BadDigest unless `body` has checksum `want`.
fn check(alg: ChecksumAlgorithm, body: &[u8], want: &[u8]) -> S3Result<()> {
    let mut c = Checksummer::new(alg);
    c.update(body);
    if c.finish() != want {
        return Err(S3Error::with_message(
            S3ErrorCode::BadDigest,
            format!("The {} you specified did not match the calculated checksum.", alg.s3_name()),
        ));
    }
    Ok(())
}
