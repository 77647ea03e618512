//! The read path: a blob range as a stream of bounded chunks, read on a blocking
//! thread, verified against the hash when the whole blob is read.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use tokio::sync::mpsc;

use super::{BlobHash, BlobStore};

/// Size of the chunks reads are streamed in.
pub(super) const READ_CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the consumer: memory per read is about
/// `(READ_AHEAD + 1) × READ_CHUNK`.
const READ_AHEAD: usize = 2;

/// Streams `len` bytes of `hash` from `offset`. Nothing happens until first polled.
pub(super) fn read_stream(
    store: Arc<dyn BlobStore>,
    hash: BlobHash,
    offset: u64,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    stream::once(async move {
        let (tx, rx) = mpsc::channel(READ_AHEAD);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = read_into(store.as_ref(), &hash, offset, len, &tx) {
                // The reader may be gone already; then nobody needs the error.
                let _ = tx.blocking_send(Err(e));
            }
        });
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
    })
    .flatten()
}

/// The blocking half of [`read_stream`]. Returns early (Ok) if the reader went away.
fn read_into(store: &dyn BlobStore, hash: &BlobHash, offset: u64, len: u64, tx: &mpsc::Sender<io::Result<Bytes>>) -> io::Result<()> {
    let mut file = store.open(hash).map_err(|e| io::Error::new(e.kind(), format!("blob {hash}: {e}")))?;
    let size = file.metadata()?.len();
    if offset.checked_add(len).is_none_or(|end| end > size) {
        // The manifest promised bytes the file does not have: a truncated blob.
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("blob {hash} is {size} bytes, read of {len} at {offset}")));
    }
    // Verifying costs one BLAKE3 pass (about 3.4 GB/s), cheap beside the network; a
    // ranged read would need the whole file, so it is not verified.
    let mut verifier = (offset == 0 && len == size).then(blake3::Hasher::new);
    file.seek(SeekFrom::Start(offset))?;
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left).map_or(READ_CHUNK, |l| l.min(READ_CHUNK));
        let mut buf = vec![0u8; n];
        file.read_exact(&mut buf)?;
        if let Some(v) = verifier.as_mut() {
            v.update(&buf);
        }
        left -= n as u64;
        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
            return Ok(());
        }
    }
    if let Some(v) = verifier {
        if v.finalize().as_bytes() != &hash.0 {
            tracing::error!(%hash, "blob content does not match its hash (bit rot?)");
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("blob {hash} corrupt: content does not match its hash")));
        }
    }
    Ok(())
}
