//! The blob directory: immutable files named by the BLAKE3 hash of their bytes, and the
//! streaming hashers that run beside the write.
//!
//! Must not import: hyper, http or anything else of the S3 layer, nor `meta`, `model`
//! or `store`. It refers only to itself and the bottom layers `group_sync` and `fsync`;
//! it knows nothing of buckets or object keys
//! (keys never become paths) and no S3 header names, except that
//! [`ChecksumAlgorithm::header_name`] keeps the `x-amz-checksum-*` names beside the
//! algorithms for convenience.
//!
//! # Content hash: BLAKE3
//!
//! BLAKE3 hashes about 3.4 GB/s on one core of this machine, twice SHA-256 (1.7 GB/s
//! with SHA-NI), and is as collision-resistant for addressing. The address is internal:
//! S3 never sees it, so the choice can change with a store format version.
//!
//! # Pieces
//!
//! - [`BlobStore`]: the synchronous file-level primitives; [`FsBlobStore`] implements
//!   them on a directory. Another tier (a distributed filesystem, another disk) is one
//!   more implementation.
//! - [`Blobs`]: the async facade the rest of coffer uses: [`BlobWriter`] (write path,
//!   hashing beside the file write: see `writer.rs`), publish / sync, read streams.
//! - [`Checksummer`], [`ChecksumAlgorithm`]: `x-amz-checksum-*` computation.
//!
//! # Durability and concurrency contract
//!
//! 1. [`BlobWriter::finish`] leaves a complete temp file whose bytes are durable (it
//!    fdatasyncs it on the blocking thread that wrote it; concurrent writers' fsyncs
//!    run side by side and the filesystem merges them into one journal commit).
//! 2. [`Blobs::publish`] renames it to its address (or drops it if the address is taken:
//!    dedup). Quick and synchronous, because callers hold their metadata commit lock;
//!    that lock, not this module, orders publishes against [`Blobs::remove`] by the
//!    garbage collector. Only durable temp files are published: a file at an address
//!    must be complete even after a power cut, since later writes deduplicate against it.
//! 3. [`Blobs::sync`] makes the rename durable: it fsyncs every directory changed by a
//!    publish so far, each once, for every caller waiting (one [`BlobStore::sync`] per
//!    group). Callers await it before committing metadata that references the blob.
//! 4. No byte leaves a read before it is verified: each 1 MiB block is checked against
//!    the blob's block list (authenticated by the address, see `tree.rs`), or a blob of
//!    one block against its address, before any of it is sent. A mismatch ends the
//!    stream with an `InvalidData` error instead of a clean end, moves the blob to
//!    quarantine (so the next PUT of its bytes writes a good copy) and is counted in
//!    [`BlobHealth`].

mod fs;
mod hash;
mod read;
mod tree;
mod writer;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::group_sync::GroupSync;

pub use fs::FsBlobStore;
pub use hash::{checksum_from_base64, checksum_to_base64, ChecksumAlgorithm, Checksummer};
pub use read::Verified;
pub use tree::BLOCK;
pub use writer::{BlobWriter, HashRequest, InlineBody, StagedBlob, Written};

/// A blob's address: the BLAKE3 hash of its bytes. Displays as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobHash(pub [u8; 32]);

impl BlobHash {
    /// The hash of `data` (what a blob of these bytes is addressed by).
    pub fn of(data: &[u8]) -> Self {
        Self(*blake3::hash(data).as_bytes())
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Self(out))
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a blob hash is 64 hex digits")]
pub struct ParseBlobHashError;

impl FromStr for BlobHash {
    type Err = ParseBlobHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s).ok_or(ParseBlobHashError)
    }
}

/// File-level primitives of a blob store. Synchronous: [`Blobs`] calls the slow ones
/// (create, sync, open) from blocking threads; `publish`, `remove`, `exists`, `len` and
/// `quarantine` must be quick (no fsync) because callers may hold a lock around them.
pub trait BlobStore: Send + Sync + 'static {
    /// Creates a new, empty temp file for an upload, on the filesystem `publish`
    /// renames within.
    fn create_temp(&self) -> io::Result<(PathBuf, std::fs::File)>;
    /// Moves a complete, durable temp file of `len` bytes to the address of `hash`,
    /// with its encoded block list `blocks` (empty for one block or less), unless a blob
    /// of that size is already there: then the temp file is removed. Returns whether it
    /// was placed. Not durable until [`BlobStore::sync`].
    fn publish(&self, temp: &Path, hash: &BlobHash, len: u64, blocks: &[u8]) -> io::Result<bool>;
    /// Makes every publish so far durable: fsyncs each directory whose entries changed.
    /// [`Blobs::sync`] shares it between callers.
    fn sync(&self) -> io::Result<()>;
    /// Opens a blob for reading; `NotFound` if absent.
    fn open(&self, hash: &BlobHash) -> io::Result<std::fs::File>;
    /// A blob's size in bytes; `NotFound` if absent.
    fn len(&self, hash: &BlobHash) -> io::Result<u64>;
    /// Whether the blob exists.
    fn exists(&self, hash: &BlobHash) -> bool;
    /// Deletes a blob (and its block list); `NotFound` if absent.
    fn remove(&self, hash: &BlobHash) -> io::Result<()>;
    /// The stored block list of a blob, unverified; `None` if there is none.
    fn read_blocks(&self, hash: &BlobHash) -> io::Result<Option<Vec<u8>>>;
    /// Stores a (rebuilt) block list. Not synced: lists are verified when read.
    fn write_blocks(&self, hash: &BlobHash, raw: &[u8]) -> io::Result<()>;
    /// Moves a blob found damaged out of the store, if `damaged` (the handle it was read
    /// through) is still the file at its address. Returns whether it was moved.
    fn quarantine(&self, hash: &BlobHash, damaged: &std::fs::File) -> io::Result<bool>;
    /// Every stored blob, sorted (start-up reconciliation of leaked blobs).
    fn list(&self) -> io::Result<Vec<BlobHash>>;
}

/// What reads have found wrong with a blob store since start-up (for the stats).
#[derive(Debug, Default)]
pub struct BlobHealth {
    /// Blobs whose bytes did not match their hash (each was quarantined).
    pub damaged: std::sync::atomic::AtomicU64,
    /// Reads of blobs that were missing or shorter than their manifest says.
    pub missing: std::sync::atomic::AtomicU64,
}

/// The async facade over a [`BlobStore`]. Cheap to clone.
#[derive(Clone)]
pub struct Blobs {
    /// The store; shared by every clone and every in-flight read.
    store: Arc<dyn BlobStore>,
    /// Shares [`BlobStore::sync`] between concurrent writers.
    syncs: Arc<GroupSync<io::Error>>,
    /// Damage found by reads.
    health: Arc<BlobHealth>,
    /// Memory for blocks read ahead of their reader, shared by every read.
    read_ahead: read::ReadAhead,
}

impl Blobs {
    /// A facade over `store`.
    pub fn new(store: Arc<dyn BlobStore>) -> Self {
        let synced = Arc::clone(&store);
        Self {
            store,
            syncs: Arc::new(GroupSync::new(move || synced.sync())),
            health: Arc::default(),
            read_ahead: read::ReadAhead::default(),
        }
    }

    /// Starts writing a new blob, computing what `req` asks for beside BLAKE3 and MD5.
    /// Nothing touches the disk until the body outgrows one batch (1 MiB): a smaller
    /// blob is written in one blocking step by [`BlobWriter::finish`].
    pub fn writer(&self, req: HashRequest) -> BlobWriter {
        BlobWriter::new(Arc::clone(&self.store), req)
    }

    /// Places a staged blob at its address, or drops it if an identical blob is there
    /// (dedup). Returns `true` if newly placed; `false` on a dedup hit or if `staged`
    /// was already published. Quick (no fsync): call it under the commit lock, then
    /// [`Blobs::sync`] after it.
    pub fn publish(&self, staged: &mut StagedBlob) -> io::Result<bool> {
        if staged.is_published() {
            return Ok(false);
        }
        let blocks = tree::encode(&staged.blocks);
        let placed = self.store.publish(staged.temp_path(), &staged.hash, staged.stored_len, &blocks)?;
        staged.mark_published();
        Ok(placed)
    }

    /// Returns once every blob published before this call is durable. Await it
    /// before committing metadata that references a blob just published.
    pub async fn sync(&self) -> io::Result<()> {
        self.syncs.durable().await
    }

    /// Why blob durability can no longer be promised, if a sync has failed.
    pub fn sync_failure(&self) -> Option<&str> {
        self.syncs.failure()
    }

    /// Streams `len` bytes of blob `hash` from `offset` in chunks of at most 256 KiB.
    /// Every byte is verified before it is sent (the 1 MiB blocks the range touches are
    /// read whole and checked); on a mismatch the stream ends with an `InvalidData`
    /// error instead of the bytes, and the blob is quarantined. A missing blob yields
    /// one `NotFound` error; a range past its end `UnexpectedEof` (both logged at
    /// ERROR and counted). Lazy: nothing is opened until the stream is first polled.
    pub fn read(&self, hash: &BlobHash, offset: u64, len: u64) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        read::read_stream(Arc::clone(&self.store), Arc::clone(&self.health), self.read_ahead.clone(), *hash, offset, len)
    }

    /// [`Blobs::read`] of plaintext `offset..offset + len` of a blob sealed with `key`
    /// (see `crate::crypto`): reads the whole chunks covering the range (verified as
    /// any read), opens them and trims to the range. A chunk that does not open (the
    /// wrong key, or damage) ends the stream with an `InvalidData` error.
    pub fn read_sealed(
        &self,
        hash: &BlobHash,
        key: &Arc<crate::crypto::ChunkKey>,
        offset: u64,
        len: u64,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + Sync + 'static {
        use crate::crypto::chunks;
        // A stat: the plaintext length follows from the stored one.
        let g = key.geometry();
        let plain_total = self.len(hash).map_or(0, |stored| g.plain_len(stored).unwrap_or(0));
        let range = g.stored_range(plain_total, offset, len).unwrap_or(chunks::StoredRange { offset, len, first_chunk: 0, skip: 0 });
        let stored: chunks::StoredStream = Box::pin(self.read(hash, range.offset, range.len));
        chunks::open_stream(Arc::clone(key), stored, plain_total, offset, len)
    }

    /// The plaintext `offset..offset + len` of blob `hash`: [`Blobs::read_sealed`] with
    /// `key`, or [`Blobs::read`] of a blob stored as sent (`None`).
    pub fn read_plain(
        &self,
        hash: &BlobHash,
        key: Option<&Arc<crate::crypto::ChunkKey>>,
        offset: u64,
        len: u64,
    ) -> std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + Sync + 'static>> {
        match key {
            Some(key) => Box::pin(self.read_sealed(hash, key, offset, len)),
            None => Box::pin(self.read(hash, offset, len)),
        }
    }

    /// Re-hashes a whole blob (blocking; the scrubber's unit of work): quarantines it
    /// if damaged, rebuilds a missing block list.
    pub fn verify(&self, hash: &BlobHash) -> io::Result<Verified> {
        read::verify_whole(self.store.as_ref(), &self.health, hash)
    }

    /// What reads have found wrong since start-up.
    pub fn health(&self) -> &BlobHealth {
        &self.health
    }

    /// Copies blob `hash` from `source` (another tier) into a staged blob here, ready
    /// to publish. The source is read whole, so it is verified as it streams; the copy
    /// is checked to hash to the same address.
    pub async fn copy_from(&self, source: &Blobs, hash: &BlobHash) -> io::Result<StagedBlob> {
        use futures_util::StreamExt as _;
        let len = source.len(hash)?;
        let mut writer = self.writer(HashRequest::default());
        let mut bytes = std::pin::pin!(source.read(hash, 0, len));
        while let Some(chunk) = bytes.next().await {
            writer.write(chunk?).await?;
        }
        let staged = writer.finish().await?;
        if staged.hash != *hash {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("copy of blob {hash} hashed to {}", staged.hash)));
        }
        Ok(staged)
    }

    /// Deletes a blob (the collector calls this under the commit lock).
    pub fn remove(&self, hash: &BlobHash) -> io::Result<()> {
        self.store.remove(hash)
    }

    /// Whether a blob exists.
    pub fn exists(&self, hash: &BlobHash) -> bool {
        self.store.exists(hash)
    }

    /// A blob's size in bytes; `NotFound` if absent.
    pub fn len(&self, hash: &BlobHash) -> io::Result<u64> {
        self.store.len(hash)
    }

    /// Every stored blob, sorted. Collected into memory (32 bytes per blob: 320 MB at
    /// ten million blobs); it runs once at start-up, by the reconciliation pass.
    pub fn list(&self) -> io::Result<Vec<BlobHash>> {
        self.store.list()
    }
}

#[cfg(test)]
mod tests;
