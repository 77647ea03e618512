//! Checksums S3 clients send and ask for, computed incrementally.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha1::Digest as _;

/// A checksum algorithm of S3's `x-amz-checksum-*` family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as zlib).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm.
    pub const ALL: [Self; 5] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha1, Self::Sha256];

    /// From S3's name (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`; any case).
    pub fn from_s3_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.s3_name().eq_ignore_ascii_case(name))
    }

    /// S3's name.
    pub fn s3_name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The header carrying the value (`x-amz-checksum-crc32`, ...).
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// An incremental checksum of one algorithm.
pub enum Checksummer {
    /// A CRC and its width in bytes.
    Crc(crc_fast::Digest, usize),
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
}

impl Checksummer {
    /// A fresh checksum.
    pub fn new(alg: ChecksumAlgorithm) -> Self {
        use crc_fast::CrcAlgorithm as C;
        match alg {
            ChecksumAlgorithm::Crc32 => Self::Crc(crc_fast::Digest::new(C::Crc32IsoHdlc), 4),
            ChecksumAlgorithm::Crc32c => Self::Crc(crc_fast::Digest::new(C::Crc32Iscsi), 4),
            ChecksumAlgorithm::Crc64Nvme => Self::Crc(crc_fast::Digest::new(C::Crc64Nvme), 8),
            ChecksumAlgorithm::Sha1 => Self::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc(d, _) => d.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
        }
    }

    /// The digest, big-endian for CRCs (as S3 encodes them before base64).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Self::Crc(d, 4) => u32::try_from(d.finalize() & 0xFFFF_FFFF).unwrap_or(0).to_be_bytes().to_vec(),
            Self::Crc(d, _) => d.finalize().to_be_bytes().to_vec(),
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Base64 of a raw digest, as in `x-amz-checksum-*` headers.
pub fn checksum_to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes a header value; `None` unless it is base64 of the algorithm's digest length.
pub fn checksum_from_base64(alg: ChecksumAlgorithm, value: &str) -> Option<Vec<u8>> {
    let raw = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    (raw.len() == alg.digest_len()).then_some(raw)
}
