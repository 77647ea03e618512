//! Checksums S3 clients send and ask for (`x-amz-checksum-*`), computed incrementally.
//!
//! Pure computation: no IO, nothing from the rest of the crate. The HTTP layer uses
//! [`checksum_to_base64`] / [`checksum_from_base64`] to echo and compare header values;
//! the blob writer and multipart composite checksums use [`Checksummer`].

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha1::Digest as _;

/// A checksum algorithm of S3's `x-amz-checksum-*` family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, the zlib/PNG polynomial).
    Crc32,
    /// CRC-32C (Castagnoli, iSCSI).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in S3's documentation order.
    pub const ALL: [Self; 5] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha1, Self::Sha256];

    /// Parses S3's name (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`), in any case.
    pub fn from_s3_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.s3_name().eq_ignore_ascii_case(name))
    }

    /// S3's name, as in `x-amz-checksum-algorithm` and XML `ChecksumAlgorithm`.
    pub fn s3_name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The header carrying the value (`x-amz-checksum-crc32`, ...). The one S3 header
    /// name in this module, kept here so the name lives beside the algorithm.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.s3_name())
    }
}

/// The running state of one algorithm.
#[derive(Clone)]
enum State {
    /// Any of the CRCs; the algorithm says how wide the result is.
    Crc(crc_fast::Digest),
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
}

/// An incremental checksum of one [`ChecksumAlgorithm`].
#[derive(Clone)]
pub struct Checksummer {
    /// Which algorithm; decides the output width of CRCs.
    alg: ChecksumAlgorithm,
    /// The hasher itself.
    state: State,
}

impl Checksummer {
    /// A fresh checksum of `alg`.
    pub fn new(alg: ChecksumAlgorithm) -> Self {
        use crc_fast::CrcAlgorithm as C;
        let state = match alg {
            ChecksumAlgorithm::Crc32 => State::Crc(crc_fast::Digest::new(C::Crc32IsoHdlc)),
            ChecksumAlgorithm::Crc32c => State::Crc(crc_fast::Digest::new(C::Crc32Iscsi)),
            ChecksumAlgorithm::Crc64Nvme => State::Crc(crc_fast::Digest::new(C::Crc64Nvme)),
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        Self { alg, state }
    }

    /// The checksum of `data` in one call.
    pub fn digest(alg: ChecksumAlgorithm, data: &[u8]) -> Vec<u8> {
        let mut c = Self::new(alg);
        c.update(data);
        c.finish()
    }

    /// The algorithm this computes.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.alg
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc(d) => d.update(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The raw digest ([`ChecksumAlgorithm::digest_len`] bytes). CRCs are big-endian,
    /// which is how S3 lays them out before base64.
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Crc(d) => {
                let be = d.finalize().to_be_bytes();
                // A CRC-32 sits in the low half of the u64 crc-fast returns.
                be[be.len() - self.alg.digest_len()..].to_vec()
            }
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

impl fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksummer").field("alg", &self.alg).finish_non_exhaustive()
    }
}

/// Base64 of a raw digest, as in `x-amz-checksum-*` headers.
pub fn checksum_to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes a header value: `None` unless it is padded base64 of exactly the
/// algorithm's digest length.
pub fn checksum_from_base64(alg: ChecksumAlgorithm, value: &str) -> Option<Vec<u8>> {
    let raw = base64::engine::general_purpose::STANDARD.decode(value.trim()).ok()?;
    (raw.len() == alg.digest_len()).then_some(raw)
}
