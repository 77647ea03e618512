//! [`BlobWriter`]: pushes an upload's bytes to a temp file on one blocking thread
//! (with BLAKE3) while a second thread computes MD5 and the requested checksums.
//! Bounded channels keep memory constant whatever the object size.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use md5::{Digest, Md5};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::hash::{ChecksumAlgorithm, Checksummer};
use super::BlobHash;

/// Chunks are coalesced to this size before being handed to the workers.
const BATCH: usize = 1 << 20;
/// Batches in flight per worker (memory bound: about 2 × DEPTH × BATCH per upload).
const DEPTH: usize = 4;

/// What to compute while writing.
#[derive(Clone, Debug, Default)]
pub struct HashRequest {
    /// `x-amz-checksum-*` algorithms.
    pub checksums: Vec<ChecksumAlgorithm>,
    /// Also SHA-256 of the body.
    pub sha256: bool,
}

/// Removes a temp file when dropped, unless disarmed.
#[derive(Debug)]
struct TempGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A complete, fsynced blob in `tmp/`, not yet at its address. Dropping it before
/// [`super::Blobs::publish`] removes the temp file.
#[derive(Debug)]
pub struct StagedBlob {
    /// BLAKE3 of the bytes.
    pub hash: BlobHash,
    /// Length.
    pub len: u64,
    /// MD5 (the ETag of a single PUT).
    pub md5: [u8; 16],
    /// Requested checksums, raw digests.
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// SHA-256, if requested.
    pub sha256: Option<[u8; 32]>,
    /// The temp file.
    temp: TempGuard,
}

impl StagedBlob {
    pub(super) fn temp_path(&self) -> &Path {
        &self.temp.path
    }

    pub(super) fn mark_published(&mut self) {
        self.temp.armed = false;
    }
}

/// Digests computed by the hasher thread.
struct Digests {
    md5: [u8; 16],
    checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    sha256: Option<[u8; 32]>,
}

/// Writes one blob; see the module docs.
pub struct BlobWriter {
    buf: BytesMut,
    written: u64,
    to_file: Option<mpsc::Sender<Bytes>>,
    to_hasher: Option<mpsc::Sender<Bytes>>,
    file_task: JoinHandle<io::Result<(BlobHash, u64)>>,
    hash_task: JoinHandle<Digests>,
    temp: TempGuard,
}

fn worker_gone() -> io::Error {
    io::Error::other("blob writer worker stopped")
}

impl BlobWriter {
    pub(super) fn start(path: PathBuf, file: std::fs::File, req: HashRequest) -> Self {
        let (to_file, mut file_rx) = mpsc::channel::<Bytes>(DEPTH);
        let (to_hasher, mut hash_rx) = mpsc::channel::<Bytes>(DEPTH);
        let file_task = tokio::task::spawn_blocking(move || {
            let mut file = file;
            let mut blake = blake3::Hasher::new();
            let mut len = 0u64;
            while let Some(chunk) = file_rx.blocking_recv() {
                file.write_all(&chunk)?;
                blake.update(&chunk);
                len += chunk.len() as u64;
            }
            // Durability rule 1: blob bytes are on disk before anything references them.
            file.sync_all()?;
            Ok((BlobHash(*blake.finalize().as_bytes()), len))
        });
        let hash_task = tokio::task::spawn_blocking(move || {
            let mut md5 = Md5::new();
            let mut sums: Vec<(ChecksumAlgorithm, Checksummer)> = req.checksums.iter().map(|&a| (a, Checksummer::new(a))).collect();
            let mut sha = req.sha256.then(|| Checksummer::new(ChecksumAlgorithm::Sha256));
            while let Some(chunk) = hash_rx.blocking_recv() {
                md5.update(&chunk);
                for (_, s) in &mut sums {
                    s.update(&chunk);
                }
                if let Some(s) = sha.as_mut() {
                    s.update(&chunk);
                }
            }
            Digests {
                md5: md5.finalize().into(),
                checksums: sums.into_iter().map(|(a, s)| (a, s.finish())).collect(),
                sha256: sha.and_then(|s| <[u8; 32]>::try_from(s.finish()).ok()),
            }
        });
        Self {
            buf: BytesMut::new(),
            written: 0,
            to_file: Some(to_file),
            to_hasher: Some(to_hasher),
            file_task,
            hash_task,
            temp: TempGuard { path, armed: true },
        }
    }

    /// Bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends bytes.
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        self.written += chunk.len() as u64;
        if self.buf.is_empty() && chunk.len() >= BATCH {
            return self.send(chunk).await;
        }
        self.buf.extend_from_slice(&chunk);
        if self.buf.len() >= BATCH {
            let batch = self.buf.split().freeze();
            self.send(batch).await?;
        }
        Ok(())
    }

    async fn send(&mut self, batch: Bytes) -> io::Result<()> {
        let (Some(f), Some(h)) = (&self.to_file, &self.to_hasher) else { return Err(worker_gone()) };
        // Both workers get the same (reference-counted) bytes.
        f.send(batch.clone()).await.map_err(|_| worker_gone())?;
        h.send(batch).await.map_err(|_| worker_gone())
    }

    /// Ends the blob: waits for both workers, fsyncs, and returns the staged blob.
    pub async fn finish(mut self) -> io::Result<StagedBlob> {
        if !self.buf.is_empty() {
            let batch = self.buf.split().freeze();
            self.send(batch).await?;
        }
        self.to_file = None;
        self.to_hasher = None;
        let file_task = std::mem::replace(&mut self.file_task, tokio::task::spawn_blocking(|| Err(worker_gone())));
        let hash_task = std::mem::replace(
            &mut self.hash_task,
            tokio::task::spawn_blocking(|| Digests { md5: [0; 16], checksums: vec![], sha256: None }),
        );
        let (hash, len) = file_task.await.map_err(io::Error::other)??;
        let digests = hash_task.await.map_err(io::Error::other)?;
        let temp = TempGuard { path: self.temp.path.clone(), armed: true };
        self.temp.armed = false;
        Ok(StagedBlob { hash, len, md5: digests.md5, checksums: digests.checksums, sha256: digests.sha256, temp })
    }
}
