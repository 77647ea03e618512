//! Stored encodings of the records in [`super`]: one schema byte, then postcard.
//!
//! A stored struct is never edited in place. To change one, freeze the current struct
//! as `v1::…` here, bump [`SCHEMA`], and teach `decode_*` to migrate the old form; the
//! tests below pin the v1 bytes so an accidental change fails loudly.

use serde::de::DeserializeOwned;
use serde::Serialize;

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

/// Encodes an object version.
pub fn encode_version(v: &ObjectVersion) -> Vec<u8> {
    encode(v)
}

/// Decodes an object version.
pub fn decode_version(bytes: &[u8]) -> Result<ObjectVersion, DecodeError> {
    decode(bytes)
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
}
