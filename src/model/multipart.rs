//! Multipart uploads: the stored upload and part records, and the pure validation of
//! CompleteMultipartUpload (part order, ETags, sizes) that turns parts into a manifest.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::object::{ContentHeaders, ManifestEntry};
use crate::blob::ChecksumAlgorithm;

/// Smallest size of every part but the last (S3: 5 MiB).
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// Largest part (S3: 5 GiB).
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// Largest object (S3: 5 TiB).
pub const MAX_OBJECT_SIZE: u64 = 5 << 40;
/// Highest part number and most parts in one upload.
pub const MAX_PARTS: u32 = 10_000;

/// How the whole-object checksum of a multipart upload is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumType {
    /// Checksum of the concatenated part checksums, suffixed `-N`.
    Composite,
    /// Checksum of the whole object's bytes (CRC algorithms only).
    FullObject,
}

impl ChecksumType {
    /// S3's name.
    pub fn s3_name(self) -> &'static str {
        match self {
            Self::Composite => "COMPOSITE",
            Self::FullObject => "FULL_OBJECT",
        }
    }
}

/// An upload in progress (schema v4; v1 lacked `acl`, v2 `encryption`, `retention` and
/// `legal_hold`, v3 `website_redirect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// The upload id.
    pub upload_id: String,
    /// Object key.
    pub key: String,
    /// Initiation time, ms since the epoch.
    pub initiated_ms: i64,
    /// Representation headers for the final object.
    pub headers: ContentHeaders,
    /// User metadata for the final object.
    pub user_metadata: Vec<(String, String)>,
    /// Storage class for the final object.
    pub storage_class: String,
    /// Checksum requested at creation, if any.
    pub checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    /// Tags for the final object.
    pub tags: Vec<(String, String)>,
    /// Who initiated it, as ListMultipartUploads reports it: the canonical id of an
    /// account root, or the ARN of a user or role session (the access key for uploads
    /// created before accounts existed).
    pub owner: String,
    /// The owner and ACL the completed object gets when not the default (see
    /// [`super::ObjectVersion::acl`]).
    pub acl: Option<super::acl::Acl>,
    /// How the parts (and so the completed object) are encrypted.
    pub encryption: Option<super::encryption::Encryption>,
    /// Object Lock retention the completed object gets.
    pub retention: Option<super::lock::Retention>,
    /// Legal hold of the completed object.
    pub legal_hold: bool,
    /// The completed object's website redirect (see
    /// [`super::ObjectVersion::website_redirect`]).
    pub website_redirect: Option<String>,
}

/// One uploaded part (schema v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// Part number, 1..=10000.
    pub part_number: u32,
    /// Bytes.
    pub size: u64,
    /// Binary MD5 of the part (its ETag is the hex form).
    pub md5: [u8; 16],
    /// Upload time, ms since the epoch.
    pub last_modified_ms: i64,
    /// The part's bytes (one blob, or shared pieces for UploadPartCopy).
    pub manifest: Vec<ManifestEntry>,
    /// Checksums of the part, raw digests.
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
}

impl PartRecord {
    /// The part's ETag, unquoted.
    pub fn etag(&self) -> String {
        hex::encode(self.md5)
    }
}

/// Why a completion request is refused (each maps to one S3 error).
#[derive(Debug, PartialEq, Eq)]
pub enum CompleteError {
    /// No parts listed (MalformedXML).
    NoParts,
    /// Part numbers not strictly ascending (InvalidPartOrder).
    InvalidPartOrder,
    /// A listed part is missing or its ETag differs (InvalidPart).
    InvalidPart(u32),
    /// A part other than the last is under 5 MiB (EntityTooSmall).
    EntityTooSmall(u32),
    /// A part number outside 1..=10000 or too many parts (InvalidArgument).
    InvalidPartNumber(u32),
    /// The parts add up to more than 5 TiB (EntityTooLarge).
    EntityTooLarge,
}

/// The object a valid completion produces.
#[derive(Debug, PartialEq, Eq)]
pub struct Completion {
    /// `hex(md5(concatenated part md5s))-N`.
    pub etag: String,
    /// Total size.
    pub size: u64,
    /// The parts' pieces, in order.
    pub manifest: Vec<ManifestEntry>,
    /// Part numbers used, in order.
    pub parts: Vec<u32>,
}

/// Validates `requested` (part number, ETag as sent) against the uploaded `parts`,
/// exactly as S3 does, and plans the resulting object.
pub fn plan_completion(requested: &[(u32, String)], parts: &BTreeMap<u32, PartRecord>) -> Result<Completion, CompleteError> {
    if requested.is_empty() {
        return Err(CompleteError::NoParts);
    }
    if requested.len() > MAX_PARTS as usize {
        return Err(CompleteError::InvalidPartNumber(MAX_PARTS + 1));
    }
    // Order and numbering are checked over the whole list before any part is looked at.
    let mut previous = 0u32;
    for (number, _) in requested {
        if *number == 0 || *number > MAX_PARTS {
            return Err(CompleteError::InvalidPartNumber(*number));
        }
        if *number <= previous {
            return Err(CompleteError::InvalidPartOrder);
        }
        previous = *number;
    }
    // Every listed part must exist with its ETag before sizes are judged: S3 reports
    // InvalidPart ahead of EntityTooSmall.
    let mut listed = Vec::with_capacity(requested.len());
    for (number, etag) in requested {
        let part = parts.get(number).ok_or(CompleteError::InvalidPart(*number))?;
        let wanted = etag.trim().trim_matches('"');
        if !wanted.eq_ignore_ascii_case(&part.etag()) {
            return Err(CompleteError::InvalidPart(*number));
        }
        listed.push((*number, part));
    }
    let mut md5s = Md5::new();
    let mut manifest = Vec::new();
    let mut size = 0u64;
    for (i, (number, part)) in listed.iter().enumerate() {
        if i + 1 < listed.len() && part.size < MIN_PART_SIZE {
            return Err(CompleteError::EntityTooSmall(*number));
        }
        md5s.update(part.md5);
        size += part.size;
        if size > MAX_OBJECT_SIZE {
            return Err(CompleteError::EntityTooLarge);
        }
        manifest.extend(part.manifest.iter().cloned());
    }
    Ok(Completion {
        etag: format!("{}-{}", hex::encode(md5s.finalize()), requested.len()),
        size,
        manifest,
        parts: requested.iter().map(|(n, _)| *n).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::BlobHash;

    fn part(n: u32, size: u64) -> PartRecord {
        PartRecord {
            part_number: n,
            size,
            md5: [n.to_le_bytes()[0]; 16],
            last_modified_ms: 0,
            manifest: vec![ManifestEntry { hash: BlobHash([n.to_le_bytes()[0]; 32]), offset: 0, len: size }],
            checksums: vec![],
        }
    }

    fn parts(list: &[(u32, u64)]) -> BTreeMap<u32, PartRecord> {
        list.iter().map(|&(n, s)| (n, part(n, s))).collect()
    }

    #[test]
    fn valid_completion_etag_and_manifest() {
        let p = parts(&[(1, MIN_PART_SIZE), (2, 10), (3, 1)]);
        let c = plan_completion(&[(1, format!("\"{}\"", p[&1].etag())), (2, p[&2].etag())], &p).unwrap();
        let mut h = Md5::new();
        h.update([1u8; 16]);
        h.update([2u8; 16]);
        assert_eq!(c.etag, format!("{}-2", hex::encode(h.finalize())));
        assert_eq!(c.size, MIN_PART_SIZE + 10);
        assert_eq!(c.manifest.len(), 2);
        assert_eq!(c.parts, vec![1, 2]);
    }

    #[test]
    fn s3_validation_rules() {
        let p = parts(&[(1, MIN_PART_SIZE), (2, 10), (3, 1)]);
        let e = |n: u32| p[&n].etag();
        assert_eq!(plan_completion(&[], &p), Err(CompleteError::NoParts));
        assert_eq!(plan_completion(&[(2, e(2)), (1, e(1))], &p), Err(CompleteError::InvalidPartOrder));
        assert_eq!(plan_completion(&[(1, e(1)), (1, e(1))], &p), Err(CompleteError::InvalidPartOrder));
        assert_eq!(plan_completion(&[(1, e(2))], &p), Err(CompleteError::InvalidPart(1)));
        assert_eq!(plan_completion(&[(4, e(1))], &p), Err(CompleteError::InvalidPart(4)));
        assert_eq!(plan_completion(&[(2, e(2)), (3, e(3))], &p), Err(CompleteError::EntityTooSmall(2)));
        // A missing part is reported before a small one listed ahead of it.
        assert_eq!(plan_completion(&[(2, e(2)), (5, e(3))], &p), Err(CompleteError::InvalidPart(5)));
        assert_eq!(plan_completion(&[(0, e(1))], &p), Err(CompleteError::InvalidPartNumber(0)));
        assert!(plan_completion(&[(3, e(3))], &p).is_ok());
        // 5 TiB is the object limit: two 5 GiB parts are fine, 1025 of them are not.
        let big: BTreeMap<u32, PartRecord> = (1..=1025).map(|n| (n, part(n, MAX_PART_SIZE))).collect();
        let list: Vec<(u32, String)> = (1..=1025).map(|n| (n, big[&n].etag())).collect();
        assert_eq!(plan_completion(&list, &big), Err(CompleteError::EntityTooLarge));
        assert!(plan_completion(&list[..2], &big).is_ok());
    }
}
