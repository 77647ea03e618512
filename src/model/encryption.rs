//! Server-side encryption as stored with a version, and a bucket's default encryption
//! (`ServerSideEncryptionConfiguration`).

use serde::{Deserialize, Serialize};

/// How a version's bytes (or an upload's parts) are encrypted at rest. Stored with
/// postcard, whose enums are numbered in order: new variants go at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encryption {
    /// SSE-S3 (`AES256`): sealed with the server's SSE-S3 key, derived from the server
    /// key; convergent, so identical bytes still deduplicate.
    S3,
    /// SSE-KMS (`aws:kms`) and DSSE-KMS (`aws:kms:dsse`): sealed with a random data key
    /// per object (or upload; two for DSSE, one per layer), wrapped by a KMS key.
    Kms(KmsEncryption),
    /// SSE-C: sealed with a random data key wrapped under the customer's key (which is
    /// never stored) and the server's SSE-C secret.
    Customer(CustomerEncryption),
}

/// An SSE-C object's protected data key. Nothing of the customer's key is stored but a
/// salted MAC under a server key (not even its MD5, which would let anyone with the
/// metadata test guesses offline): responses echo the MD5 the request brings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEncryption {
    /// Random salt of the check and the wrapping.
    pub salt: Vec<u8>,
    /// Salted MAC that recognizes the customer's key.
    pub check: Vec<u8>,
    /// The data key, wrapped.
    pub wrapped: Vec<u8>,
}

/// An SSE-KMS object's data key and how it is wrapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsEncryption {
    /// The ARN of the KMS key.
    pub key_arn: String,
    /// The data key, as the KMS wrapped it (a ciphertext blob).
    pub data_key: Vec<u8>,
    /// The encryption context it was wrapped with (`aws:s3:arn` and the caller's
    /// pairs), sorted.
    pub context: Vec<(String, String)>,
    /// Whether the caller asked for an S3 Bucket Key (the context then names the
    /// bucket, not the object).
    pub bucket_key: bool,
    /// DSSE-KMS (`aws:kms:dsse`): the data key is two 32-byte keys, one per layer.
    pub dual: bool,
}

impl Encryption {
    /// The `x-amz-server-side-encryption` value S3 shows for it.
    pub fn algorithm(&self) -> &'static str {
        match self {
            // SSE-C's algorithm is AES256 too (in its own `-customer-algorithm` header).
            Encryption::S3 | Encryption::Customer(_) => "AES256",
            Encryption::Kms(k) if k.dual => "aws:kms:dsse",
            Encryption::Kms(_) => "aws:kms",
        }
    }
}

/// The algorithm of a default encryption rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseAlgorithm {
    /// `AES256`: SSE-S3.
    Aes256,
    /// `aws:kms`: SSE-KMS.
    Kms,
    /// `aws:kms:dsse`: DSSE-KMS.
    KmsDsse,
}

impl SseAlgorithm {
    /// From an `x-amz-server-side-encryption` or `SSEAlgorithm` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "AES256" => Some(Self::Aes256),
            "aws:kms" => Some(Self::Kms),
            "aws:kms:dsse" => Some(Self::KmsDsse),
            _ => None,
        }
    }

    /// The S3 name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256 => "AES256",
            Self::Kms => "aws:kms",
            Self::KmsDsse => "aws:kms:dsse",
        }
    }
}

/// A bucket's default encryption: what a write that asks for none gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultEncryption {
    /// The algorithm.
    pub algorithm: SseAlgorithm,
    /// `KMSMasterKeyID`, for the KMS algorithms.
    pub kms_key_id: Option<String>,
    /// `BucketKeyEnabled`.
    pub bucket_key_enabled: bool,
}
