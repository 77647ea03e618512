//! The read path: a blob range as a stream of bounded chunks, read on a blocking
//! thread, every byte verified before it is sent.
//!
//! The range is read in whole 1 MiB blocks ([`BLOCK`]); each block is checked against
//! the blob's block list (or, for a blob of one block, against its address) before any
//! of its bytes go out, so a damaged byte is never served, whatever the range. The
//! extra reading is bounded: at most one partial block at each end of the range.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use blake3::hazmat::ChainingValue;
use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use tokio::sync::mpsc;

use super::tree::{self, BLOCK};
use super::{BlobHash, BlobHealth, BlobStore};

/// Size of the chunks reads are streamed in.
pub(super) const READ_CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the consumer. Memory per read is at most two blocks (the one
/// being sent and the one being verified) whatever this is.
const READ_AHEAD: usize = 2;

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
    hash: BlobHash,
    offset: u64,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    stream::once(async move {
        let (tx, rx) = mpsc::channel(READ_AHEAD);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = read_into(store.as_ref(), &health, &hash, offset, len, &tx) {
                // The reader may be gone already; then nobody needs the error.
                let _ = tx.blocking_send(Err(e));
            }
        });
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
    })
    .flatten()
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

/// Reads block `index` (of a blob of `size` bytes) whole.
fn read_block(file: &mut File, index: u64, size: u64) -> io::Result<Vec<u8>> {
    let start = index * BLOCK;
    let len = usize::try_from(BLOCK.min(size - start)).map_err(io::Error::other)?;
    let mut buf = vec![0u8; len];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut buf)?;
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

/// The blocking half of [`read_stream`]. Returns early (Ok) if the reader went away.
fn read_into(
    store: &dyn BlobStore,
    health: &BlobHealth,
    hash: &BlobHash,
    offset: u64,
    len: u64,
    tx: &mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    let mut file = open(store, health, hash)?;
    let size = file.metadata()?.len();
    if offset.checked_add(len).is_none_or(|end| end > size) {
        // The manifest promised bytes the file does not have: a truncated blob.
        health.missing.fetch_add(1, Ordering::Relaxed);
        tracing::error!(%hash, size, offset, len, "blob file is shorter than its manifest says");
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("blob {hash} is {size} bytes, read of {len} at {offset}")));
    }
    if len == 0 {
        return Ok(());
    }
    let cvs = if size > BLOCK {
        match block_list(store, hash, &mut file, size)? {
            Some(cvs) => Some(cvs),
            None => return Err(damaged(store, health, hash, &file, "the blob")),
        }
    } else {
        None
    };
    let end = offset + len;
    for index in offset / BLOCK..=(end - 1) / BLOCK {
        let block = read_block(&mut file, index, size)?;
        let good = match &cvs {
            Some(cvs) => tree::block_cv(index, &block) == cvs[usize::try_from(index).map_err(io::Error::other)?],
            None => BlobHash::of(&block) == *hash,
        };
        if !good {
            return Err(damaged(store, health, hash, &file, &format!("block {index}")));
        }
        let block = Bytes::from(block);
        let start = index * BLOCK;
        let from = usize::try_from(offset.max(start) - start).map_err(io::Error::other)?;
        let to = usize::try_from(end.min(start + block.len() as u64) - start).map_err(io::Error::other)?;
        let mut at = from;
        while at < to {
            let next = (at + READ_CHUNK).min(to);
            if tx.blocking_send(Ok(block.slice(at..next))).is_err() {
                return Ok(());
            }
            at = next;
        }
    }
    Ok(())
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
