//! The read path: a blob range as a stream of bounded chunks, every byte verified
//! before it is sent.
//!
//! The range is read in whole 1 MiB blocks ([`BLOCK`]); each block is checked against
//! the blob's block list (or, for a blob of one block, against its address) before any
//! of its bytes go out, so a damaged byte is never served, whatever the range. The
//! extra reading is bounded: at most one partial block at each end of the range.
//!
//! Disk reads run on the blocking pool, one short task per block; between them the
//! stream holds no thread. A client that stops reading therefore pins only the
//! block being sent, never a thread: tokio's blocking pool is shared by every request,
//! and one parked thread per slow client would let a few hundred of them starve every
//! writer.
//!
//! A fast reader needs the next block read while the current one is sent (without it a
//! single stream loses a quarter of its speed), but a stalled one must not hold two
//! blocks each. So the next block is read at once only while a shared budget
//! ([`READ_AHEAD_BUDGET`]) has room for it, and otherwise when the current block has
//! gone out: under a crowd of stalled readers streams get slower, not memory hungrier.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use blake3::hazmat::ChainingValue;
use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::tree::{self, BLOCK};
use super::{BlobHash, BlobHealth, BlobStore};

/// Size of the chunks reads are streamed in.
pub(super) const READ_CHUNK: usize = 256 * 1024;

/// Blocks (of [`BLOCK`] bytes, 64 MiB in all) all reads together may hold read ahead
/// of their reader.
pub(super) const READ_AHEAD_BUDGET: usize = 64;

/// The shared budget of blocks read ahead, one permit per block (see the module comment).
#[derive(Clone, Debug)]
pub(super) struct ReadAhead(pub(super) Arc<Semaphore>);

impl Default for ReadAhead {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(READ_AHEAD_BUDGET)))
    }
}

/// Outcome of [`super::Blobs::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The bytes match the address.
    Good,
    /// They do not: the blob was moved to quarantine.
    Damaged,
    /// No such blob.
    Missing,
}

/// Streams `len` bytes of `hash` from `offset`. Nothing happens until first polled.
pub(super) fn read_stream(
    store: Arc<dyn BlobStore>,
    health: Arc<BlobHealth>,
    ahead: ReadAhead,
    hash: BlobHash,
    offset: u64,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    RangeReader {
        ahead,
        target: Some((store, health, hash)),
        opening: None,
        blob: None,
        reading: None,
        current: Bytes::new(),
        next_block: offset / BLOCK,
        offset,
        len,
        // Saturating: an impossible range is refused by the size check on open.
        end: offset.saturating_add(len),
        done: len == 0,
    }
}

/// An opened blob whose size has been checked against the range and whose block
/// list (for blobs of more than one block) has been verified.
struct OpenBlob {
    store: Arc<dyn BlobStore>,
    health: Arc<BlobHealth>,
    hash: BlobHash,
    file: File,
    size: u64,
    /// Chaining values of the blocks; `None` for a blob of one block.
    cvs: Option<Vec<ChainingValue>>,
}

/// The state of one range read (see [`read_stream`]).
struct RangeReader {
    /// The shared read-ahead budget.
    ahead: ReadAhead,
    /// What to open, until it is opened.
    target: Option<(Arc<dyn BlobStore>, Arc<BlobHealth>, BlobHash)>,
    /// The blocking open, while it runs.
    opening: Option<JoinHandle<io::Result<OpenBlob>>>,
    /// The opened blob, shared with the block reads.
    blob: Option<Arc<OpenBlob>>,
    /// The blocking read of block `next_block - 1`, while it runs, with its share of
    /// the read-ahead budget if it was started ahead of need.
    reading: Option<(JoinHandle<io::Result<Bytes>>, Option<OwnedSemaphorePermit>)>,
    /// Verified bytes of the current block not yet sent.
    current: Bytes,
    /// The next block to read.
    next_block: u64,
    /// Start of the range.
    offset: u64,
    /// Length of the range.
    len: u64,
    /// End of the range (exclusive).
    end: u64,
    /// Everything was sent, or an error was.
    done: bool,
}

/// The outcome of a blocking task, a panic or cancellation becoming an io error.
fn joined<T>(cx: &mut Context<'_>, task: &mut JoinHandle<io::Result<T>>) -> Poll<io::Result<T>> {
    Poll::Ready(ready!(Pin::new(task).poll(cx)).map_err(io::Error::other).and_then(|r| r))
}

impl RangeReader {
    /// Starts reading the next block of the range, if there is one. `ahead`: the
    /// current block is still being sent, so the read needs room in the budget.
    fn read_ahead(&mut self, ahead: bool) {
        let Some(blob) = &self.blob else { return };
        if self.reading.is_some() || self.next_block * BLOCK >= self.end {
            return;
        }
        let permit = if ahead {
            let Ok(permit) = Arc::clone(&self.ahead.0).try_acquire_owned() else { return };
            Some(permit)
        } else {
            None
        };
        let (blob, index, offset, end) = (Arc::clone(blob), self.next_block, self.offset, self.end);
        self.next_block += 1;
        let task = tokio::task::spawn_blocking(move || {
            let block = read_verified(&blob, index)?;
            // Only the part of the block inside the range is sent.
            let start = index * BLOCK;
            let from = usize::try_from(offset.max(start) - start).map_err(io::Error::other)?;
            let to = usize::try_from(end.min(start + block.len() as u64) - start).map_err(io::Error::other)?;
            Ok(block.slice(from..to))
        });
        self.reading = Some((task, permit));
    }

    /// The next item, before `done` bookkeeping.
    fn next_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        loop {
            if !self.current.is_empty() {
                let chunk = self.current.split_to(READ_CHUNK.min(self.current.len()));
                if self.current.is_empty() {
                    // The next block is read while this chunk goes out.
                    self.read_ahead(false);
                }
                return Poll::Ready(Some(Ok(chunk)));
            }
            if let Some((task, _)) = &mut self.reading {
                self.current = ready!(joined(cx, task))?;
                // The block is now the current one: its read-ahead share is given back.
                self.reading = None;
                self.read_ahead(true);
                continue;
            }
            if self.blob.is_none() {
                if let Some((store, health, hash)) = self.target.take() {
                    let (offset, len) = (self.offset, self.len);
                    self.opening = Some(tokio::task::spawn_blocking(move || open_range(store, health, hash, offset, len)));
                }
                let Some(task) = &mut self.opening else { return Poll::Ready(None) };
                let blob = ready!(joined(cx, task))?;
                self.opening = None;
                self.blob = Some(Arc::new(blob));
            }
            self.read_ahead(false);
            if self.reading.is_none() {
                return Poll::Ready(None);
            }
        }
    }
}

impl Stream for RangeReader {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let item = ready!(self.next_item(cx));
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        Poll::Ready(item)
    }
}

/// The blob, opened; missing ones are logged and counted.
fn open(store: &dyn BlobStore, health: &BlobHealth, hash: &BlobHash) -> io::Result<File> {
    store.open(hash).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            health.missing.fetch_add(1, Ordering::Relaxed);
            tracing::error!(%hash, "blob file is missing");
        }
        io::Error::new(e.kind(), format!("blob {hash}: {e}"))
    })
}

/// The damage error, after quarantining the blob and counting it.
fn damaged(store: &dyn BlobStore, health: &BlobHealth, hash: &BlobHash, file: &File, what: &str) -> io::Error {
    health.damaged.fetch_add(1, Ordering::Relaxed);
    let moved = store.quarantine(hash, file);
    tracing::error!(%hash, what, quarantined = ?moved.as_ref().map_err(ToString::to_string), "blob content does not match its hash (bit rot?)");
    io::Error::new(io::ErrorKind::InvalidData, format!("blob {hash} is damaged: {what} does not match its hash"))
}

/// Reads block `index` of the blob whole, with positioned reads (the file is shared).
fn read_block(file: &File, index: u64, size: u64) -> io::Result<Vec<u8>> {
    let start = index * BLOCK;
    let len = usize::try_from(BLOCK.min(size - start)).map_err(io::Error::other)?;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, start)?;
    Ok(buf)
}

/// The verified block list of a blob of more than one block: the stored one if it
/// checks out against the address, else rebuilt by hashing the whole blob (which
/// verifies it; `Ok(None)` if the blob is damaged).
fn block_list(store: &dyn BlobStore, hash: &BlobHash, file: &mut File, size: u64) -> io::Result<Option<Vec<ChainingValue>>> {
    if let Some(cvs) = store.read_blocks(hash)?.and_then(|raw| tree::decode_verified(&raw, hash, size)) {
        return Ok(Some(cvs));
    }
    let (root, cvs) = hash_file(file)?;
    if root != *hash {
        return Ok(None);
    }
    tracing::debug!(%hash, "rebuilt block list");
    if let Err(e) = store.write_blocks(hash, &tree::encode(&cvs)) {
        tracing::warn!(%hash, error = %e, "could not store rebuilt block list");
    }
    Ok(Some(cvs))
}

/// The address and block list of the whole file, read from its start.
fn hash_file(file: &mut File) -> io::Result<(BlobHash, Vec<ChainingValue>)> {
    let mut hasher = tree::TreeHasher::new();
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

/// Opens the blob for a read of `len` bytes at `offset`: checks its size against the
/// range and verifies its block list. Blocking.
fn open_range(store: Arc<dyn BlobStore>, health: Arc<BlobHealth>, hash: BlobHash, offset: u64, len: u64) -> io::Result<OpenBlob> {
    let mut file = open(store.as_ref(), &health, &hash)?;
    let size = file.metadata()?.len();
    if offset.checked_add(len).is_none_or(|end| end > size) {
        // The manifest promised bytes the file does not have: a truncated blob.
        health.missing.fetch_add(1, Ordering::Relaxed);
        tracing::error!(%hash, size, offset, len, "blob file is shorter than its manifest says");
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("blob {hash} is {size} bytes, read of {len} at {offset}")));
    }
    let cvs = if size > BLOCK {
        match block_list(store.as_ref(), &hash, &mut file, size)? {
            Some(cvs) => Some(cvs),
            None => return Err(damaged(store.as_ref(), &health, &hash, &file, "the blob")),
        }
    } else {
        None
    };
    Ok(OpenBlob { store, health, hash, file, size, cvs })
}

/// Reads block `index` and checks it against the block list (or the address). Blocking.
fn read_verified(blob: &OpenBlob, index: u64) -> io::Result<Bytes> {
    let block = read_block(&blob.file, index, blob.size)?;
    let good = match &blob.cvs {
        Some(cvs) => tree::block_cv(index, &block) == cvs[usize::try_from(index).map_err(io::Error::other)?],
        None => BlobHash::of(&block) == blob.hash,
    };
    if !good {
        return Err(damaged(blob.store.as_ref(), &blob.health, &blob.hash, &blob.file, &format!("block {index}")));
    }
    Ok(Bytes::from(block))
}

/// Re-hashes the whole blob: see [`super::Blobs::verify`].
pub(super) fn verify_whole(store: &dyn BlobStore, health: &BlobHealth, hash: &BlobHash) -> io::Result<Verified> {
    let mut file = match store.open(hash) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Verified::Missing),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    // The whole file is hashed whatever the stored block list says; a missing or
    // damaged list is written again from the result.
    let (root, cvs) = hash_file(&mut file)?;
    let good = root == *hash;
    if good && size > BLOCK && store.read_blocks(hash)?.and_then(|raw| tree::decode_verified(&raw, hash, size)).is_none() {
        store.write_blocks(hash, &tree::encode(&cvs))?;
    }
    if good {
        Ok(Verified::Good)
    } else {
        let _ = damaged(store, health, hash, &file, "the blob");
        Ok(Verified::Damaged)
    }
}
