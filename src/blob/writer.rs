//! [`BlobWriter`]: the write path of one blob.
//!
//! The caller pushes the body's chunks in. A body that stays under one batch (1 MiB:
//! most objects by count) is written, hashed and closed in a single blocking step at
//! [`BlobWriter::finish`]: small PUTs cross to the blocking pool once, not three times.
//! From the first full batch on, two blocking workers take the body in parallel:
//!
//! - the *file* worker writes to the temp file and feeds BLAKE3 (the content address);
//! - the *digest* worker feeds MD5 (the ETag) plus any requested checksums and SHA-256.
//!
//! MD5 (about 0.6 GB/s per core here) is the slowest of them, so on this 2-core machine
//! a single PUT runs at MD5 speed instead of at the sum of all costs. Chunks are
//! coalesced into batches of about [`BATCH`] bytes (per-message overhead stays small
//! whatever the client's chunking) and handed to both workers as the same reference-
//! counted [`Bytes`] through bounded channels, so memory per upload stays at a few
//! batches whatever the object size.
//!
//! The temp file is fdatasynced before the blob is handed back as staged, on the
//! blocking thread that wrote it: a staged blob's bytes are durable, so publishing it
//! at its address is safe (see `fs.rs`). Concurrent writers' fdatasyncs run side by
//! side and the filesystem merges them. So that the final one has little left to write
//! for a large blob, the file worker starts writeback every [`WRITEBACK`] bytes on a
//! helper thread and keeps writing meanwhile, instead of stalling the pipeline (and the
//! MD5 worker behind it) on it.
//!
//! The content address is BLAKE3, computed block by block ([`super::tree`]) so that
//! the block list used to verify ranged reads comes out of the same pass.
//!
//! Nothing here knows HTTP or S3 headers.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use md5::{Digest as _, Md5};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::hash::{ChecksumAlgorithm, Checksummer};
use super::tree::TreeHasher;
use super::{BlobHash, BlobStore};
use crate::crypto::{ChunkKey, Sealer};

/// Chunks are coalesced to about this size before being handed to the workers; a body
/// smaller than this never starts them.
pub(super) const BATCH: usize = 1 << 20;
/// Batches queued per worker. Memory per upload is at most about
/// `(2 × DEPTH + 2) × BATCH` (the queues hold clones of the same batches).
const DEPTH: usize = 4;
/// The file worker starts writeback (an `fdatasync` on a helper thread, which it does
/// not wait for) after this many bytes, so the dirty tail that the final fdatasync
/// must write is small and the page cache holds little dirty data per upload.
const WRITEBACK: u64 = 8 << 20;
/// A chunk at least this big goes to the workers as it is instead of being copied
/// into the coalescing buffer.
const PASS_THROUGH: usize = BATCH / 2;

/// What to compute while writing, beside BLAKE3 and MD5 (always computed).
#[derive(Clone, Debug, Default)]
pub struct HashRequest {
    /// `x-amz-checksum-*` algorithms to compute.
    pub checksums: Vec<ChecksumAlgorithm>,
    /// Also SHA-256 of the body (e.g. to check `x-amz-content-sha256`).
    pub sha256: bool,
    /// Seal the bytes with this key (see `crate::crypto`): the file holds only
    /// ciphertext, its address is the ciphertext's hash, and the digests above are of
    /// the plaintext. The plaintext is sealed before it reaches the file, so it never
    /// touches the disk, not even in `tmp/`.
    pub seal: Option<Arc<ChunkKey>>,
}

/// Removes a temp file when dropped, unless disarmed. This is what keeps failed,
/// cancelled or abandoned uploads from leaking files in `tmp/` while the server runs
/// (the ones a crash leaves are removed at start-up).
#[derive(Debug)]
struct TempGuard {
    /// The temp file.
    path: PathBuf,
    /// Whether dropping removes the file.
    armed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            // Quick (an unlink), so acceptable on an async thread.
            if let Err(e) = std::fs::remove_file(&self.path) {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.path.display(), error = %e, "could not remove temp blob file");
                }
            }
        }
    }
}

/// A complete blob in `tmp/`, not yet at its address. Dropping it before
/// [`super::Blobs::publish`] removes the temp file.
#[derive(Debug)]
pub struct StagedBlob {
    /// BLAKE3 of the bytes as stored (the ciphertext, if sealed): the address it will be
    /// published at.
    pub hash: BlobHash,
    /// Length in bytes of the plaintext (what a manifest entry counts).
    pub len: u64,
    /// Length of the file (the ciphertext, if sealed; else `len`).
    pub stored_len: u64,
    /// MD5 of the bytes (the ETag of a single PUT).
    pub md5: [u8; 16],
    /// The requested checksums, in request order: raw digests, CRCs big-endian.
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// SHA-256 of the bytes, if requested.
    pub sha256: Option<[u8; 32]>,
    /// Chaining values of its 1 MiB blocks, if larger than one block (see `tree.rs`).
    pub blocks: Vec<blake3::hazmat::ChainingValue>,
    /// The temp file; removed on drop until published.
    temp: TempGuard,
}

impl StagedBlob {
    /// The requested checksum of `alg`, if it was computed.
    pub fn checksum(&self, alg: ChecksumAlgorithm) -> Option<&[u8]> {
        self.checksums.iter().find(|(a, _)| *a == alg).map(|(_, v)| v.as_slice())
    }

    /// Whether [`super::Blobs::publish`] has placed (or deduplicated) it.
    pub fn is_published(&self) -> bool {
        !self.temp.armed
    }

    /// Where the bytes are until published.
    pub(super) fn temp_path(&self) -> &Path {
        &self.temp.path
    }

    /// The temp file is gone (renamed or removed by the store): stop guarding it.
    pub(super) fn mark_published(&mut self) {
        self.temp.armed = false;
    }

    /// Assembles a staged blob from the file side and the digest side.
    fn new(file: FileDone, digests: Digests) -> Self {
        let FileDone { hash, blocks, len, stored_len, temp } = file;
        Self { hash, len, stored_len, md5: digests.md5, checksums: digests.checksums, sha256: digests.sha256, blocks, temp }
    }
}

/// A body small enough to be kept in memory and stored inline (in the metadata store),
/// with the same digests a [`StagedBlob`] carries; no BLAKE3, as it has no address.
#[derive(Debug, Clone)]
pub struct InlineBody {
    /// The bytes to store: sealed, if the writer was asked to seal (then `len` is the
    /// plaintext's length).
    pub data: Bytes,
    /// Length of the plaintext.
    pub len: u64,
    /// MD5 of the bytes.
    pub md5: [u8; 16],
    /// The requested checksums, raw digests.
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// SHA-256 of the bytes, if requested.
    pub sha256: Option<[u8; 32]>,
}

/// What [`BlobWriter::finish_within`] produced.
#[derive(Debug)]
pub enum Written {
    /// Small: in memory.
    Inline(InlineBody),
    /// A blob in `tmp/`.
    Staged(StagedBlob),
}

impl Written {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Written::Inline(b) => b.len,
            Written::Staged(s) => s.len,
        }
    }

    /// Whether the body was empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// MD5 of the bytes.
    pub fn md5(&self) -> [u8; 16] {
        match self {
            Written::Inline(b) => b.md5,
            Written::Staged(s) => s.md5,
        }
    }

    /// The requested checksums.
    pub fn checksums(&self) -> &[(ChecksumAlgorithm, Vec<u8>)] {
        match self {
            Written::Inline(b) => &b.checksums,
            Written::Staged(s) => &s.checksums,
        }
    }
}

/// What the writer hands its workers.
enum Batch {
    /// More bytes.
    Data(Bytes),
    /// The body is complete. A channel closed without it means the upload was
    /// abandoned, so the file worker removes the temp file.
    End,
}

impl Batch {
    /// A second handle on the same bytes.
    fn share(&self) -> Self {
        match self {
            Batch::Data(bytes) => Batch::Data(bytes.clone()),
            Batch::End => Batch::End,
        }
    }
}

/// What the file worker computes.
struct FileDone {
    /// The content address.
    hash: BlobHash,
    /// The block list (empty for one block or less).
    blocks: Vec<blake3::hazmat::ChainingValue>,
    /// Plaintext bytes written.
    len: u64,
    /// Bytes in the file.
    stored_len: u64,
    /// The temp file, durable.
    temp: TempGuard,
}

/// The file worker's outcome.
type FileResult = io::Result<FileDone>;

/// MD5, the requested checksums and SHA-256, fed as the bytes go by.
struct DigestState {
    /// MD5 (the ETag).
    md5: Md5,
    /// Requested `x-amz-checksum-*` algorithms.
    sums: Vec<Checksummer>,
    /// SHA-256, if requested.
    sha: Option<Checksummer>,
}

/// What [`DigestState`] computes.
struct Digests {
    /// MD5.
    md5: [u8; 16],
    /// Requested checksums.
    checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// SHA-256, if requested.
    sha256: Option<[u8; 32]>,
}

impl DigestState {
    fn new(req: &HashRequest) -> Self {
        Self {
            md5: Md5::new(),
            sums: req.checksums.iter().map(|&a| Checksummer::new(a)).collect(),
            sha: req.sha256.then(|| Checksummer::new(ChecksumAlgorithm::Sha256)),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        for s in self.sums.iter_mut().chain(self.sha.as_mut()) {
            s.update(bytes);
        }
    }

    fn finish(self) -> Digests {
        Digests {
            md5: self.md5.finalize().into(),
            checksums: self.sums.into_iter().map(|s| (s.algorithm(), s.finish())).collect(),
            sha256: self.sha.and_then(|s| <[u8; 32]>::try_from(s.finish()).ok()),
        }
    }
}

/// The two workers of a body larger than one batch.
struct Workers {
    /// Queue to the file worker.
    to_file: mpsc::Sender<Batch>,
    /// Queue to the digest worker.
    to_digest: mpsc::Sender<Batch>,
    /// The file worker; `None` once its result was taken.
    file_task: Option<JoinHandle<FileResult>>,
    /// The digest worker; `None` once its result was taken.
    digest_task: Option<JoinHandle<Digests>>,
}

impl Workers {
    fn start(store: Arc<dyn BlobStore>, req: HashRequest) -> Self {
        let (to_file, file_rx) = mpsc::channel(DEPTH);
        let (to_digest, digest_rx) = mpsc::channel(DEPTH);
        Self {
            to_file,
            to_digest,
            file_task: Some(tokio::task::spawn_blocking({
                let seal = req.seal.clone();
                move || file_worker(store.as_ref(), seal.as_deref(), file_rx)
            })),
            digest_task: Some(tokio::task::spawn_blocking(move || digest_worker(&req, digest_rx))),
        }
    }

    /// Hands `batch` to both workers at once, so neither waits for the other's queue.
    /// The file worker only stops early on an error, so its closed queue means: fetch
    /// and return that error.
    async fn send(&mut self, batch: Batch) -> io::Result<()> {
        let copy = batch.share();
        let (file, digest) = tokio::join!(self.to_file.send(copy), self.to_digest.send(batch));
        if file.is_err() {
            return Err(self.file_error().await);
        }
        // The digest worker cannot fail; only a panic closes its queue.
        digest.map_err(|_| io::Error::other("blob digest worker stopped"))
    }

    /// The error that stopped the file worker.
    async fn file_error(&mut self) -> io::Error {
        match self.file_task.take() {
            Some(task) => match task.await {
                Ok(Err(e)) => e,
                Ok(Ok(_)) => io::Error::other("blob file worker stopped early"),
                Err(join) => io::Error::other(join),
            },
            None => io::Error::other("blob writer already failed"),
        }
    }
}

/// Writes one blob; see the module docs. Dropping it before [`BlobWriter::finish`]
/// abandons the upload and removes its temp file.
pub struct BlobWriter {
    /// Where the temp file goes.
    store: Arc<dyn BlobStore>,
    /// What to compute beside BLAKE3.
    req: HashRequest,
    /// Small chunks waiting to make up a batch (the whole body, if it stays small).
    buf: BytesMut,
    /// Bytes accepted so far (buffered or handed over).
    written: u64,
    /// Started at the first full batch.
    workers: Option<Workers>,
}

impl BlobWriter {
    /// A writer for a new blob in `store`. Touches nothing yet.
    pub(super) fn new(store: Arc<dyn BlobStore>, req: HashRequest) -> Self {
        Self { store, req, buf: BytesMut::new(), written: 0, workers: None }
    }

    /// Bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends bytes. Waits when the workers are behind (backpressure on the body).
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        self.written += chunk.len() as u64;
        if chunk.len() >= PASS_THROUGH {
            // Big chunks are not copied: flush what is buffered, then hand it over.
            self.flush().await?;
            return self.send(Batch::Data(chunk)).await;
        }
        self.buf.extend_from_slice(&chunk);
        if self.buf.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands the buffered bytes to the workers.
    async fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let batch = self.buf.split().freeze();
        self.send(Batch::Data(batch)).await
    }

    /// Sends to both workers, starting them first if needed.
    async fn send(&mut self, batch: Batch) -> io::Result<()> {
        let (store, req) = (&self.store, &self.req);
        self.workers.get_or_insert_with(|| Workers::start(Arc::clone(store), req.clone())).send(batch).await
    }

    /// Ends the body: if it is at most `inline_max` bytes (and `inline_max` is not 0:
    /// off, so that even an empty body becomes a blob), returns it in memory with its
    /// digests, having touched no file (the caller stores it inline); else
    /// [`BlobWriter::finish`]. Digesting a few KiB takes microseconds, so it runs here
    /// rather than crossing to the blocking pool.
    pub async fn finish_within(mut self, inline_max: u64) -> io::Result<Written> {
        if self.workers.is_none() && inline_max > 0 && self.written <= inline_max {
            let mut data = self.buf.split().freeze();
            let mut digests = DigestState::new(&self.req);
            digests.update(&data);
            let Digests { md5, checksums, sha256 } = digests.finish();
            let len = data.len() as u64;
            if let Some(key) = &self.req.seal {
                data = Bytes::from(key.seal_all(&data));
            }
            return Ok(Written::Inline(InlineBody { data, len, md5, checksums, sha256 }));
        }
        self.finish().await.map(Written::Staged)
    }

    /// Ends the blob and returns it staged, ready for [`super::Blobs::publish`].
    pub async fn finish(mut self) -> io::Result<StagedBlob> {
        let Some(mut workers) = self.workers.take() else {
            let (store, req, data) = (Arc::clone(&self.store), std::mem::take(&mut self.req), self.buf.split().freeze());
            return tokio::task::spawn_blocking(move || write_small(store.as_ref(), &req, &data)).await.map_err(io::Error::other)?;
        };
        if !self.buf.is_empty() {
            let batch = self.buf.split().freeze();
            workers.send(Batch::Data(batch)).await?;
        }
        workers.send(Batch::End).await?;
        let file_task = workers.file_task.take().ok_or_else(|| io::Error::other("blob writer already failed"))?;
        let digest_task = workers.digest_task.take().ok_or_else(|| io::Error::other("blob writer already failed"))?;
        let file = file_task.await.map_err(io::Error::other)??;
        let digests = digest_task.await.map_err(io::Error::other)?;
        debug_assert_eq!(file.len, self.written);
        Ok(StagedBlob::new(file, digests))
    }
}

/// A body that fit in one batch: temp file, write, fdatasync, every hash, in one
/// blocking step.
fn write_small(store: &dyn BlobStore, req: &HashRequest, data: &[u8]) -> io::Result<StagedBlob> {
    let (path, mut file) = store.create_temp()?;
    let temp = TempGuard { path, armed: true };
    let sealed = req.seal.as_ref().map(|key| key.seal_all(data));
    let stored = sealed.as_deref().unwrap_or(data);
    file.write_all(stored)?;
    file.sync_data()?;
    let mut digests = DigestState::new(req);
    digests.update(data);
    let mut tree = TreeHasher::new();
    tree.update(stored);
    let (hash, blocks) = tree.finalize();
    Ok(StagedBlob::new(FileDone { hash, blocks, len: data.len() as u64, stored_len: stored.len() as u64, temp }, digests.finish()))
}

/// Worker A: temp file + BLAKE3 (sealing the bytes first, if asked), with writeback
/// started every [`WRITEBACK`] bytes on a helper thread and an fdatasync at the end.
/// Removes the temp file if the upload is abandoned or fails.
fn file_worker(store: &dyn BlobStore, seal: Option<&ChunkKey>, mut rx: mpsc::Receiver<Batch>) -> FileResult {
    let (path, mut file) = store.create_temp()?;
    let temp = TempGuard { path, armed: true };
    let mut blake = TreeHasher::new();
    let (mut len, mut stored, mut kicked) = (0u64, 0u64, 0u64);
    let mut sealer = seal.map(|key| (key, Sealer::default(), Vec::with_capacity(BATCH + BATCH / 16)));
    std::thread::scope(|scope| {
        let mut writeback: Option<Writeback<'_>> = None;
        while let Some(batch) = rx.blocking_recv() {
            let Batch::Data(bytes) = batch else {
                if let Some((key, sealer, mut out)) = sealer.take() {
                    out.clear();
                    sealer.finish(key, &mut out);
                    file.write_all(&out)?;
                    blake.update(&out);
                    stored += out.len() as u64;
                }
                return writeback.map_or(Ok(()), Writeback::finish);
            };
            len += bytes.len() as u64;
            let out: &[u8] = match sealer.as_mut() {
                Some((key, sealer, out)) => {
                    out.clear();
                    sealer.push(key, &bytes, out);
                    out
                }
                None => &bytes,
            };
            file.write_all(out)?;
            blake.update(out);
            stored += out.len() as u64;
            if stored - kicked >= WRITEBACK {
                let w = match writeback.as_mut() {
                    Some(w) => w,
                    None => writeback.insert(Writeback::start(scope, &file)?),
                };
                if w.kick() {
                    kicked = stored;
                }
            }
        }
        writeback.map_or(Ok(()), Writeback::finish)?;
        Err(io::Error::other("blob upload abandoned"))
    })?;
    file.sync_data()?;
    let (hash, blocks) = blake.finalize();
    Ok(FileDone { hash, blocks, len, stored_len: stored, temp })
}

/// Writeback of one file on a helper thread: `fdatasync`s on request while the file
/// worker keeps writing. At most one runs and one waits; further requests are
/// redundant (an fdatasync writes everything dirty when it runs).
struct Writeback<'scope> {
    /// Requests a writeback.
    kick: SyncSender<()>,
    /// The helper thread; ends with the first failed fdatasync.
    thread: std::thread::ScopedJoinHandle<'scope, io::Result<()>>,
}

impl<'scope> Writeback<'scope> {
    fn start<'env>(scope: &'scope std::thread::Scope<'scope, 'env>, file: &std::fs::File) -> io::Result<Self> {
        let (kick, kicks) = sync_channel::<()>(1);
        let target = file.try_clone()?;
        let thread = scope.spawn(move || {
            while kicks.recv().is_ok() {
                target.sync_data()?;
            }
            Ok(())
        });
        Ok(Self { kick, thread })
    }

    /// Requests a writeback; `false` if one is already waiting or the thread has
    /// stopped on an error (which `finish` returns).
    fn kick(&mut self) -> bool {
        match self.kick.try_send(()) {
            Ok(()) => true,
            Err(TrySendError::Full(()) | TrySendError::Disconnected(())) => false,
        }
    }

    /// Waits for the helper thread; its error, if it failed.
    fn finish(self) -> io::Result<()> {
        drop(self.kick);
        self.thread.join().map_err(|_| io::Error::other("blob writeback thread panicked"))?
    }
}

/// Worker B: MD5, requested checksums, SHA-256.
fn digest_worker(req: &HashRequest, mut rx: mpsc::Receiver<Batch>) -> Digests {
    let mut digests = DigestState::new(req);
    while let Some(Batch::Data(bytes)) = rx.blocking_recv() {
        digests.update(&bytes);
    }
    digests.finish()
}
