//! Stored encodings of the records in [`super`]: one schema byte, then postcard.
//!
//! A stored struct is never edited in place. To change one, freeze the current struct
//! as `vN::…` here, give its records a new schema byte, and teach `decode_*` to migrate
//! the old form; the tests below pin the old bytes so an accidental change fails loudly.
//!
//! | record | schema | change |
//! |---|---|---|
//! | every record | 1 | first |
//! | object version | 2 | `part_checksums` added (v1 records decode with none) |
//! | object version | 3 | `acl` added (v1 and v2 records decode with none: the default ACL) |
//! | upload | 2 | `acl` added (v1 records decode with none) |
//! | object version | 4 | `encryption`, `retention`, `legal_hold` added (earlier records decode unencrypted, unlocked) |
//! | upload | 3 | `encryption`, `retention`, `legal_hold` added |
//! | object version | 5 | `website_redirect` added (earlier records decode with none) |
//! | upload | 4 | `website_redirect` added |
//! | IAM account (`iam::model::AccountData`) | 2 | `login_profiles` added (v1 records decode with none) |

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::multipart::UploadRecord;
use super::{BucketRecord, ObjectVersion};

/// Current schema version of every record written.
pub const SCHEMA: u8 = 1;

/// Why a stored record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The record was written by a newer coffer, or is corrupt.
    #[error("unknown schema version {0}")]
    UnknownSchema(u8),
    /// The bytes do not parse.
    #[error("malformed record: {0}")]
    Malformed(String),
}

/// Encodes any stored record: schema byte + postcard.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA];
    // Serializing plain structs into a Vec cannot fail.
    out.extend(postcard::to_stdvec(value).expect("postcard encodes plain structs"));
    out
}

/// Decodes any stored record written by [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match bytes.split_first() {
        Some((&SCHEMA, rest)) => postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string())),
        Some((&other, _)) => Err(DecodeError::UnknownSchema(other)),
        None => Err(DecodeError::Malformed("empty".into())),
    }
}

/// Schema of object version records.
pub const VERSION_SCHEMA: u8 = 5;

/// Encodes an object version (schema [`VERSION_SCHEMA`]).
pub fn encode_version(v: &ObjectVersion) -> Vec<u8> {
    let mut out = vec![VERSION_SCHEMA];
    out.extend(postcard::to_stdvec(v).expect("postcard encodes plain structs"));
    out
}

/// Decodes an object version of schema 1 to 5.
pub fn decode_version(bytes: &[u8]) -> Result<ObjectVersion, DecodeError> {
    match bytes.split_first() {
        Some((&VERSION_SCHEMA, rest)) => postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string())),
        Some((&4, rest)) => {
            let v: v4::ObjectVersion = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(v.into())
        }
        Some((&3, rest)) => {
            let v: v3::ObjectVersion = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(v.into())
        }
        Some((&2, rest)) => {
            let v: v2::ObjectVersion = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(v.into())
        }
        Some((&SCHEMA, rest)) => {
            let v: v1::ObjectVersion = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(v.into())
        }
        Some((&other, _)) => Err(DecodeError::UnknownSchema(other)),
        None => Err(DecodeError::Malformed("empty".into())),
    }
}

/// Records as schema 1 stored them, where they differ from today's.
pub mod v1 {
    use serde::{Deserialize, Serialize};

    use crate::blob::ChecksumAlgorithm;
    use crate::model::{ContentHeaders, ManifestEntry};

    /// An object version of schema 1 (no `part_checksums`).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct ObjectVersion {
        pub version_id: String,
        pub seq: u64,
        pub delete_marker: bool,
        pub size: u64,
        pub etag: String,
        pub last_modified_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
        pub storage_class: String,
        pub tags: Vec<(String, String)>,
        pub part_sizes: Vec<u64>,
        pub composite_checksum: bool,
        pub manifest: Vec<ManifestEntry>,
    }

    /// An upload record of schema 1 (no `acl`).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct UploadRecord {
        pub upload_id: String,
        pub key: String,
        pub initiated_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub storage_class: String,
        pub checksum: Option<(ChecksumAlgorithm, crate::model::multipart::ChecksumType)>,
        pub tags: Vec<(String, String)>,
        pub owner: String,
    }

    impl From<UploadRecord> for crate::model::multipart::UploadRecord {
        fn from(u: UploadRecord) -> Self {
            Self {
                upload_id: u.upload_id,
                key: u.key,
                initiated_ms: u.initiated_ms,
                headers: u.headers,
                user_metadata: u.user_metadata,
                storage_class: u.storage_class,
                checksum: u.checksum,
                tags: u.tags,
                owner: u.owner,
                acl: None,
                encryption: None,
                retention: None,
                legal_hold: false,
                website_redirect: None,
            }
        }
    }

    impl From<ObjectVersion> for super::ObjectVersion {
        fn from(v: ObjectVersion) -> Self {
            Self {
                version_id: v.version_id,
                seq: v.seq,
                delete_marker: v.delete_marker,
                size: v.size,
                etag: v.etag,
                last_modified_ms: v.last_modified_ms,
                headers: v.headers,
                user_metadata: v.user_metadata,
                checksums: v.checksums,
                storage_class: v.storage_class,
                tags: v.tags,
                part_sizes: v.part_sizes,
                composite_checksum: v.composite_checksum,
                part_checksums: Vec::new(),
                manifest: v.manifest,
                acl: None,
                encryption: None,
                retention: None,
                legal_hold: false,
                website_redirect: None,
            }
        }
    }
}

/// Object versions as schema 2 stored them (no `acl`).
pub mod v2 {
    use serde::{Deserialize, Serialize};

    use crate::blob::ChecksumAlgorithm;
    use crate::model::{ContentHeaders, ManifestEntry};

    /// An object version of schema 2.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct ObjectVersion {
        pub version_id: String,
        pub seq: u64,
        pub delete_marker: bool,
        pub size: u64,
        pub etag: String,
        pub last_modified_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
        pub storage_class: String,
        pub tags: Vec<(String, String)>,
        pub part_sizes: Vec<u64>,
        pub composite_checksum: bool,
        pub part_checksums: Vec<Vec<u8>>,
        pub manifest: Vec<ManifestEntry>,
    }

    impl From<ObjectVersion> for super::ObjectVersion {
        fn from(v: ObjectVersion) -> Self {
            Self {
                version_id: v.version_id,
                seq: v.seq,
                delete_marker: v.delete_marker,
                size: v.size,
                etag: v.etag,
                last_modified_ms: v.last_modified_ms,
                headers: v.headers,
                user_metadata: v.user_metadata,
                checksums: v.checksums,
                storage_class: v.storage_class,
                tags: v.tags,
                part_sizes: v.part_sizes,
                composite_checksum: v.composite_checksum,
                part_checksums: v.part_checksums,
                manifest: v.manifest,
                acl: None,
                encryption: None,
                retention: None,
                legal_hold: false,
                website_redirect: None,
            }
        }
    }
}

/// Object versions as schema 3 stored them (no `encryption`), and upload records as
/// schema 2 stored them (no `encryption`).
pub mod v3 {
    use serde::{Deserialize, Serialize};

    use crate::blob::ChecksumAlgorithm;
    use crate::model::acl::Acl;
    use crate::model::{ContentHeaders, ManifestEntry};

    /// An object version of schema 3.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct ObjectVersion {
        pub version_id: String,
        pub seq: u64,
        pub delete_marker: bool,
        pub size: u64,
        pub etag: String,
        pub last_modified_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
        pub storage_class: String,
        pub tags: Vec<(String, String)>,
        pub part_sizes: Vec<u64>,
        pub composite_checksum: bool,
        pub part_checksums: Vec<Vec<u8>>,
        pub manifest: Vec<ManifestEntry>,
        pub acl: Option<Acl>,
    }

    impl From<ObjectVersion> for super::ObjectVersion {
        fn from(v: ObjectVersion) -> Self {
            Self {
                version_id: v.version_id,
                seq: v.seq,
                delete_marker: v.delete_marker,
                size: v.size,
                etag: v.etag,
                last_modified_ms: v.last_modified_ms,
                headers: v.headers,
                user_metadata: v.user_metadata,
                checksums: v.checksums,
                storage_class: v.storage_class,
                tags: v.tags,
                part_sizes: v.part_sizes,
                composite_checksum: v.composite_checksum,
                part_checksums: v.part_checksums,
                manifest: v.manifest,
                acl: v.acl,
                encryption: None,
                retention: None,
                legal_hold: false,
                website_redirect: None,
            }
        }
    }

    /// An upload record of schema 2.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct UploadRecord {
        pub upload_id: String,
        pub key: String,
        pub initiated_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub storage_class: String,
        pub checksum: Option<(ChecksumAlgorithm, crate::model::multipart::ChecksumType)>,
        pub tags: Vec<(String, String)>,
        pub owner: String,
        pub acl: Option<Acl>,
    }

    impl From<UploadRecord> for crate::model::multipart::UploadRecord {
        fn from(u: UploadRecord) -> Self {
            Self {
                upload_id: u.upload_id,
                key: u.key,
                initiated_ms: u.initiated_ms,
                headers: u.headers,
                user_metadata: u.user_metadata,
                storage_class: u.storage_class,
                checksum: u.checksum,
                tags: u.tags,
                owner: u.owner,
                acl: u.acl,
                encryption: None,
                retention: None,
                legal_hold: false,
                website_redirect: None,
            }
        }
    }
}

/// Object versions as schema 4 stored them (no `website_redirect`), and upload records
/// as schema 3 stored them (likewise).
pub mod v4 {
    use serde::{Deserialize, Serialize};

    use crate::blob::ChecksumAlgorithm;
    use crate::model::acl::Acl;
    use crate::model::encryption::Encryption;
    use crate::model::lock::Retention;
    use crate::model::{ContentHeaders, ManifestEntry};

    /// An object version of schema 4.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct ObjectVersion {
        pub version_id: String,
        pub seq: u64,
        pub delete_marker: bool,
        pub size: u64,
        pub etag: String,
        pub last_modified_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
        pub storage_class: String,
        pub tags: Vec<(String, String)>,
        pub part_sizes: Vec<u64>,
        pub composite_checksum: bool,
        pub part_checksums: Vec<Vec<u8>>,
        pub manifest: Vec<ManifestEntry>,
        pub acl: Option<Acl>,
        pub encryption: Option<Encryption>,
        pub retention: Option<Retention>,
        pub legal_hold: bool,
    }

    impl From<ObjectVersion> for super::ObjectVersion {
        fn from(v: ObjectVersion) -> Self {
            Self {
                version_id: v.version_id,
                seq: v.seq,
                delete_marker: v.delete_marker,
                size: v.size,
                etag: v.etag,
                last_modified_ms: v.last_modified_ms,
                headers: v.headers,
                user_metadata: v.user_metadata,
                checksums: v.checksums,
                storage_class: v.storage_class,
                tags: v.tags,
                part_sizes: v.part_sizes,
                composite_checksum: v.composite_checksum,
                part_checksums: v.part_checksums,
                manifest: v.manifest,
                acl: v.acl,
                encryption: v.encryption,
                retention: v.retention,
                legal_hold: v.legal_hold,
                website_redirect: None,
            }
        }
    }

    /// An upload record of schema 3.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[allow(missing_docs)]
    pub struct UploadRecord {
        pub upload_id: String,
        pub key: String,
        pub initiated_ms: i64,
        pub headers: ContentHeaders,
        pub user_metadata: Vec<(String, String)>,
        pub storage_class: String,
        pub checksum: Option<(ChecksumAlgorithm, crate::model::multipart::ChecksumType)>,
        pub tags: Vec<(String, String)>,
        pub owner: String,
        pub acl: Option<Acl>,
        pub encryption: Option<Encryption>,
        pub retention: Option<Retention>,
        pub legal_hold: bool,
    }

    impl From<UploadRecord> for crate::model::multipart::UploadRecord {
        fn from(u: UploadRecord) -> Self {
            Self {
                upload_id: u.upload_id,
                key: u.key,
                initiated_ms: u.initiated_ms,
                headers: u.headers,
                user_metadata: u.user_metadata,
                storage_class: u.storage_class,
                checksum: u.checksum,
                tags: u.tags,
                owner: u.owner,
                acl: u.acl,
                encryption: u.encryption,
                retention: u.retention,
                legal_hold: u.legal_hold,
                website_redirect: None,
            }
        }
    }
}

/// Schema of upload records.
pub const UPLOAD_SCHEMA: u8 = 4;

/// Encodes an upload record (schema [`UPLOAD_SCHEMA`]).
pub fn encode_upload(u: &UploadRecord) -> Vec<u8> {
    let mut out = vec![UPLOAD_SCHEMA];
    out.extend(postcard::to_stdvec(u).expect("postcard encodes plain structs"));
    out
}

/// Decodes an upload record of schema 1 to 4.
pub fn decode_upload(bytes: &[u8]) -> Result<UploadRecord, DecodeError> {
    match bytes.split_first() {
        Some((&UPLOAD_SCHEMA, rest)) => postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string())),
        Some((&3, rest)) => {
            let u: v4::UploadRecord = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(u.into())
        }
        Some((&2, rest)) => {
            let u: v3::UploadRecord = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(u.into())
        }
        Some((&SCHEMA, rest)) => {
            let u: v1::UploadRecord = postcard::from_bytes(rest).map_err(|e| DecodeError::Malformed(e.to_string()))?;
            Ok(u.into())
        }
        Some((&other, _)) => Err(DecodeError::UnknownSchema(other)),
        None => Err(DecodeError::Malformed("empty".into())),
    }
}

/// Encodes a bucket record.
pub fn encode_bucket(b: &BucketRecord) -> Vec<u8> {
    encode(b)
}

/// Decodes a bucket record.
pub fn decode_bucket(bytes: &[u8]) -> Result<BucketRecord, DecodeError> {
    decode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Versioning;

    #[test]
    fn bucket_v1_bytes_are_pinned() {
        let b = BucketRecord { created_ms: 1, region: "r".into(), versioning: Versioning::Enabled, owner: "o".into() };
        let bytes = encode_bucket(&b);
        assert_eq!(bytes, vec![1, 2, 1, b'r', 1, 1, b'o']);
        assert_eq!(decode_bucket(&bytes).unwrap(), b);
        assert!(matches!(decode_bucket(&[9, 0]), Err(DecodeError::UnknownSchema(9))));
    }

    /// A schema-1 version record (as written before `part_checksums`) still decodes,
    /// and today's records are schema 2.
    #[test]
    fn version_v1_records_migrate() {
        let old = v1::ObjectVersion {
            version_id: "null".into(),
            seq: 7,
            delete_marker: false,
            size: 3,
            etag: "e".into(),
            last_modified_ms: 1,
            headers: crate::model::ContentHeaders::default(),
            user_metadata: vec![],
            checksums: vec![],
            storage_class: "STANDARD".into(),
            tags: vec![],
            part_sizes: vec![1, 2],
            composite_checksum: false,
            manifest: vec![],
        };
        let bytes = encode(&old);
        assert_eq!(bytes[..4], [1, 4, b'n', b'u'], "schema 1, then postcard");
        let migrated = decode_version(&bytes).unwrap();
        assert_eq!((migrated.seq, migrated.part_sizes.clone(), migrated.part_checksums.clone()), (7, vec![1, 2], vec![]));
        let current = ObjectVersion { part_checksums: vec![vec![9]], ..migrated };
        let bytes = encode_version(&current);
        assert_eq!(bytes[0], VERSION_SCHEMA);
        assert_eq!(decode_version(&bytes).unwrap(), current);
        assert!(matches!(decode_version(&[6, 0]), Err(DecodeError::UnknownSchema(6))));
    }

    /// A schema-4 version record (before `website_redirect`) decodes with none, keeping
    /// its lock and encryption; a schema-3 upload record likewise.
    #[test]
    fn version_v4_and_upload_v3_records_migrate() {
        let current = ObjectVersion {
            encryption: Some(crate::model::encryption::Encryption::S3),
            legal_hold: true,
            ..ObjectVersion::empty_for_test(7)
        };
        let old = v4::ObjectVersion {
            version_id: current.version_id.clone(),
            seq: current.seq,
            delete_marker: false,
            size: 0,
            etag: current.etag.clone(),
            last_modified_ms: current.last_modified_ms,
            headers: current.headers.clone(),
            user_metadata: vec![],
            checksums: vec![],
            storage_class: current.storage_class.clone(),
            tags: vec![],
            part_sizes: vec![],
            composite_checksum: false,
            part_checksums: vec![],
            manifest: vec![],
            acl: None,
            encryption: current.encryption.clone(),
            retention: None,
            legal_hold: true,
        };
        let mut bytes = vec![4];
        bytes.extend(postcard::to_stdvec(&old).unwrap());
        assert_eq!(decode_version(&bytes).unwrap(), current);
        let redirected = ObjectVersion { website_redirect: Some("/elsewhere".into()), ..current };
        assert_eq!(decode_version(&encode_version(&redirected)).unwrap(), redirected);

        let upload = v4::UploadRecord {
            upload_id: "u".into(),
            key: "k".into(),
            initiated_ms: 1,
            headers: crate::model::ContentHeaders::default(),
            user_metadata: vec![],
            storage_class: "STANDARD".into(),
            checksum: None,
            tags: vec![],
            owner: "o".into(),
            acl: None,
            encryption: None,
            retention: None,
            legal_hold: true,
        };
        let mut bytes = vec![3];
        bytes.extend(postcard::to_stdvec(&upload).unwrap());
        let migrated = decode_upload(&bytes).unwrap();
        assert_eq!((migrated.legal_hold, migrated.website_redirect.as_ref()), (true, None));
    }

    /// A schema-3 version record (before `encryption`) decodes as stored as sent, and a
    /// schema-2 upload record likewise.
    #[test]
    fn version_v3_and_upload_v2_records_migrate() {
        let current =
            ObjectVersion { acl: Some(crate::model::acl::Acl { owner: "o".into(), grants: vec![] }), ..ObjectVersion::empty_for_test(5) };
        let old = v3::ObjectVersion {
            version_id: current.version_id.clone(),
            seq: current.seq,
            delete_marker: false,
            size: 0,
            etag: current.etag.clone(),
            last_modified_ms: 5,
            headers: current.headers.clone(),
            user_metadata: vec![],
            checksums: vec![],
            storage_class: current.storage_class.clone(),
            tags: vec![],
            part_sizes: vec![],
            composite_checksum: false,
            part_checksums: vec![],
            manifest: vec![],
            acl: current.acl.clone(),
        };
        let mut bytes = vec![3];
        bytes.extend(postcard::to_stdvec(&old).unwrap());
        assert_eq!(decode_version(&bytes).unwrap(), current);
        let encrypted = ObjectVersion { encryption: Some(crate::model::encryption::Encryption::S3), ..current };
        assert_eq!(decode_version(&encode_version(&encrypted)).unwrap(), encrypted);

        let upload = v3::UploadRecord {
            upload_id: "u".into(),
            key: "k".into(),
            initiated_ms: 1,
            headers: crate::model::ContentHeaders::default(),
            user_metadata: vec![],
            storage_class: "STANDARD".into(),
            checksum: None,
            tags: vec![],
            owner: "o".into(),
            acl: None,
        };
        let mut bytes = vec![2];
        bytes.extend(postcard::to_stdvec(&upload).unwrap());
        let migrated = decode_upload(&bytes).unwrap();
        assert_eq!((migrated.upload_id.as_str(), migrated.encryption.as_ref()), ("u", None));
        assert_eq!(encode_upload(&migrated)[0], UPLOAD_SCHEMA);
    }

    /// A schema-2 version record (before `acl`) decodes with the default ACL.
    #[test]
    fn version_v2_records_migrate() {
        let old = v2::ObjectVersion {
            version_id: "v".into(),
            seq: 9,
            delete_marker: false,
            size: 1,
            etag: "e".into(),
            last_modified_ms: 2,
            headers: crate::model::ContentHeaders::default(),
            user_metadata: vec![],
            checksums: vec![],
            storage_class: "STANDARD".into(),
            tags: vec![("t".into(), "1".into())],
            part_sizes: vec![],
            composite_checksum: false,
            part_checksums: vec![vec![1]],
            manifest: vec![],
        };
        let mut bytes = vec![2];
        bytes.extend(postcard::to_stdvec(&old).unwrap());
        let migrated = decode_version(&bytes).unwrap();
        assert_eq!((migrated.seq, migrated.part_checksums.clone(), migrated.acl.clone()), (9, vec![vec![1]], None));
        let acl = crate::model::acl::Acl { owner: "o".into(), grants: vec![] };
        let current = ObjectVersion { acl: Some(acl), ..migrated };
        assert_eq!(decode_version(&encode_version(&current)).unwrap(), current);
    }

    /// A schema-1 upload record (before `acl`) decodes with none.
    #[test]
    fn upload_v1_records_migrate() {
        let old = v1::UploadRecord {
            upload_id: "u".into(),
            key: "k".into(),
            initiated_ms: 3,
            headers: crate::model::ContentHeaders::default(),
            user_metadata: vec![],
            storage_class: "STANDARD".into(),
            checksum: None,
            tags: vec![],
            owner: "o".into(),
        };
        let migrated = decode_upload(&encode(&old)).unwrap();
        assert_eq!((migrated.upload_id.as_str(), migrated.owner.as_str(), migrated.acl.clone()), ("u", "o", None));
        assert_eq!(decode_upload(&encode_upload(&migrated)).unwrap(), migrated);
        assert_eq!(encode_upload(&migrated)[0], UPLOAD_SCHEMA);
    }
}
