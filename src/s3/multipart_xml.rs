//! The XML documents of multipart uploads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::xml::{CommonPrefix, Owner};

/// CreateMultipartUpload response.
#[derive(Serialize)]
pub struct InitiateMultipartUploadResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Upload id.
    #[serde(rename = "UploadId")]
    pub upload_id: String,
}

/// CompleteMultipartUpload request body.
#[derive(Deserialize)]
pub struct CompleteMultipartUpload {
    /// Parts, as listed by the client.
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPart>,
}

/// One part of a CompleteMultipartUpload request.
#[derive(Deserialize)]
pub struct CompletedPart {
    /// Part number.
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    /// ETag as returned by UploadPart.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// CRC32, if the client sends part checksums.
    #[serde(rename = "ChecksumCRC32")]
    pub crc32: Option<String>,
    /// CRC32C.
    #[serde(rename = "ChecksumCRC32C")]
    pub crc32c: Option<String>,
    /// CRC64NVME.
    #[serde(rename = "ChecksumCRC64NVME")]
    pub crc64nvme: Option<String>,
    /// SHA1.
    #[serde(rename = "ChecksumSHA1")]
    pub sha1: Option<String>,
    /// SHA256.
    #[serde(rename = "ChecksumSHA256")]
    pub sha256: Option<String>,
}

/// CompleteMultipartUpload response.
#[derive(Serialize)]
pub struct CompleteMultipartUploadResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// URL of the object.
    #[serde(rename = "Location")]
    pub location: String,
    /// Bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Quoted ETag (`"hex-N"`).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Checksums by element name (`ChecksumCRC32`...).
    #[serde(flatten)]
    pub checksums: BTreeMap<String, String>,
    /// COMPOSITE or FULL_OBJECT, with a checksum.
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<&'static str>,
}

/// UploadPartCopy response.
#[derive(Serialize)]
pub struct CopyPartResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// ISO 8601.
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    /// Quoted ETag of the part.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Part checksums by element name.
    #[serde(flatten)]
    pub checksums: BTreeMap<String, String>,
}

/// ListParts response.
#[derive(Serialize)]
pub struct ListPartsResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Upload id.
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    /// Marker given.
    #[serde(rename = "PartNumberMarker")]
    pub part_number_marker: u32,
    /// Marker for the next page.
    #[serde(rename = "NextPartNumberMarker")]
    pub next_part_number_marker: u32,
    /// Page size.
    #[serde(rename = "MaxParts")]
    pub max_parts: usize,
    /// Truncated?
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// Parts.
    #[serde(rename = "Part")]
    pub parts: Vec<PartEntry>,
    /// Initiator.
    #[serde(rename = "Initiator")]
    pub initiator: Owner,
    /// Owner.
    #[serde(rename = "Owner")]
    pub owner: Owner,
    /// Storage class.
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
    /// Checksum algorithm of the upload.
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<&'static str>,
    /// Checksum type of the upload.
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<&'static str>,
}

/// One part of ListParts.
#[derive(Serialize)]
pub struct PartEntry {
    /// Part number.
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    /// ISO 8601.
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    /// Quoted ETag.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Bytes.
    #[serde(rename = "Size")]
    pub size: u64,
    /// Checksums by element name.
    #[serde(flatten)]
    pub checksums: BTreeMap<String, String>,
}

/// ListMultipartUploads response.
#[derive(Serialize)]
pub struct ListMultipartUploadsResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// Key marker given.
    #[serde(rename = "KeyMarker")]
    pub key_marker: String,
    /// Upload id marker given.
    #[serde(rename = "UploadIdMarker")]
    pub upload_id_marker: String,
    /// Next key marker.
    #[serde(rename = "NextKeyMarker")]
    pub next_key_marker: String,
    /// Next upload id marker.
    #[serde(rename = "NextUploadIdMarker")]
    pub next_upload_id_marker: String,
    /// Prefix.
    #[serde(rename = "Prefix")]
    pub prefix: String,
    /// Delimiter.
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `url` when keys are URL-encoded.
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    /// Page size.
    #[serde(rename = "MaxUploads")]
    pub max_uploads: usize,
    /// Truncated?
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// Uploads.
    #[serde(rename = "Upload")]
    pub uploads: Vec<UploadEntry>,
    /// Common prefixes.
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// One upload of ListMultipartUploads.
#[derive(Serialize)]
pub struct UploadEntry {
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Upload id.
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    /// Initiator.
    #[serde(rename = "Initiator")]
    pub initiator: Owner,
    /// Owner.
    #[serde(rename = "Owner")]
    pub owner: Owner,
    /// Storage class.
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
    /// ISO 8601 initiation time.
    #[serde(rename = "Initiated")]
    pub initiated: String,
    /// Checksum algorithm, if any.
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<&'static str>,
}
