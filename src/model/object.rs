//! Object versions and their manifests.

use serde::{Deserialize, Serialize};

use crate::blob::{BlobHash, ChecksumAlgorithm, StagedBlob};

/// The version id of unversioned writes.
pub const NULL_VERSION: &str = "null";

/// One piece of an object's bytes: `len` bytes of blob `hash` starting at `offset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The blob holding the bytes.
    pub hash: BlobHash,
    /// Where in the blob the piece starts.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

impl ManifestEntry {
    /// One entry covering the whole of a staged blob.
    pub fn whole(blob: &StagedBlob) -> Self {
        Self { hash: blob.hash, offset: 0, len: blob.len }
    }
}

/// The representation headers S3 stores with an object and returns on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHeaders {
    /// Content-Type.
    pub content_type: Option<String>,
    /// Cache-Control.
    pub cache_control: Option<String>,
    /// Content-Disposition.
    pub content_disposition: Option<String>,
    /// Content-Encoding (without the transport-only `aws-chunked` token).
    pub content_encoding: Option<String>,
    /// Content-Language.
    pub content_language: Option<String>,
    /// Expires, as sent.
    pub expires: Option<String>,
}

/// One version of an object (or a delete marker), as stored (schema v5; v1 lacked
/// `part_checksums`, v2 `acl`, v3 `encryption`, `retention` and `legal_hold`, v4
/// `website_redirect`, see [`super::stored`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// `null` for unversioned writes, else an opaque unique id.
    pub version_id: String,
    /// Store-wide monotonic sequence number: orders versions of a key, newest highest.
    pub seq: u64,
    /// True for a delete marker (no bytes, no manifest).
    pub delete_marker: bool,
    /// Size in bytes.
    pub size: u64,
    /// The ETag without quotes: hex MD5, or `hex-N` for multipart objects.
    pub etag: String,
    /// Last-Modified, milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// Representation headers.
    pub headers: ContentHeaders,
    /// `x-amz-meta-*` pairs: lowercase names without the prefix, in the order received.
    pub user_metadata: Vec<(String, String)>,
    /// Checksums supplied or requested at upload, raw digest bytes.
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// Storage class name (`STANDARD` by default).
    pub storage_class: String,
    /// Object tags (key, value).
    pub tags: Vec<(String, String)>,
    /// Sizes of the parts, in order, if the object was uploaded in parts; else empty.
    pub part_sizes: Vec<u64>,
    /// Whether `checksums` are composite (checksum of the part checksums, `-N`) rather
    /// than of the whole object's bytes.
    pub composite_checksum: bool,
    /// For an object uploaded in parts: each part's checksum (raw digest) in the
    /// algorithm of `checksums`, in part order, for GetObjectAttributes. Empty when not
    /// uploaded in parts or not known (objects written before schema v2).
    pub part_checksums: Vec<Vec<u8>>,
    /// The bytes, in order. Empty for an object whose bytes are stored inline, in the
    /// metadata store (see [`ObjectVersion::is_inline`]).
    pub manifest: Vec<ManifestEntry>,
    /// The version's owner and ACL when they are not the default (the bucket owner with
    /// full control): set only in buckets whose Object Ownership lets ACLs or another
    /// account's ownership apply.
    pub acl: Option<super::acl::Acl>,
    /// How the bytes are encrypted at rest (`None`: stored as sent). For an encrypted
    /// version, manifest offsets and lengths count plaintext bytes, and inline bytes
    /// are stored sealed.
    pub encryption: Option<super::encryption::Encryption>,
    /// Object Lock retention, if any.
    pub retention: Option<super::lock::Retention>,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
    /// Where the website endpoint redirects requests for this object
    /// (`x-amz-website-redirect-location`: a path in the bucket, or an http(s) URL).
    pub website_redirect: Option<String>,
}

impl ObjectVersion {
    /// The quoted ETag as sent in headers and XML.
    pub fn quoted_etag(&self) -> String {
        format!("\"{}\"", self.etag)
    }

    /// Whether the bytes are stored inline, in a metadata record of their own beside the
    /// version record, rather than in blobs: an object with bytes but no manifest.
    /// (Schema v1 records never had that combination, so no migration is needed.)
    pub fn is_inline(&self) -> bool {
        !self.delete_marker && self.size > 0 && self.manifest.is_empty()
    }

    /// The `x-amz-checksum-type` of the stored checksums.
    pub fn checksum_type(&self) -> &'static str {
        if self.composite_checksum {
            "COMPOSITE"
        } else {
            "FULL_OBJECT"
        }
    }

    /// A checksum value as S3 shows it: base64, with `-N` for composite checksums.
    pub fn checksum_value(&self, raw: &[u8]) -> String {
        let b64 = crate::blob::checksum_to_base64(raw);
        if self.composite_checksum {
            format!("{b64}-{}", self.part_sizes.len())
        } else {
            b64
        }
    }

    /// An empty, unversioned object written at `last_modified_ms` (test fixture).
    #[cfg(test)]
    pub(crate) fn empty_for_test(last_modified_ms: i64) -> Self {
        Self {
            version_id: String::new(),
            seq: 0,
            delete_marker: false,
            size: 0,
            etag: "d41d8cd98f00b204e9800998ecf8427e".into(),
            last_modified_ms,
            headers: ContentHeaders::default(),
            user_metadata: vec![],
            checksums: vec![],
            storage_class: "STANDARD".into(),
            tags: vec![],
            part_sizes: vec![],
            composite_checksum: false,
            part_checksums: vec![],
            manifest: vec![],
            acl: None,
            encryption: None,
            retention: None,
            legal_hold: false,
            website_redirect: None,
        }
    }

    /// Sum of user metadata sizes as S3 counts it (name + value bytes).
    pub fn user_metadata_size(&self) -> usize {
        self.user_metadata.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}
