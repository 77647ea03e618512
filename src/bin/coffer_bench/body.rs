//! Request bodies: generated object bytes streamed without ever being held whole.
//!
//! Every object's bytes are unique (coffer deduplicates identical blobs, and a
//! benchmark that PUTs the same bytes again would measure the dedup shortcut): each
//! [`CHUNK`] of a body starts with a 16-byte stamp (object seed, chunk index) followed by
//! a slice of one shared block of random bytes. The block is sent zero-copy (a `Bytes`
//! slice), so a 1 GiB PUT costs a few small stamp allocations, not 1 GiB of memory.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use rand::RngCore;
use sha2::{Digest as _, Sha256};

/// Bytes per generated chunk: one stamp plus a slice of the shared block.
pub const CHUNK: usize = 1 << 20;
/// Bytes of the per-chunk stamp.
const STAMP: usize = 16;

/// The shared random block bodies are cut from.
#[derive(Clone)]
pub struct Pattern(Bytes);

impl Pattern {
    /// A fresh block of [`CHUNK`] random bytes.
    pub fn new() -> Self {
        let mut block = vec![0u8; CHUNK];
        rand::thread_rng().fill_bytes(&mut block);
        Self(Bytes::from(block))
    }

    /// The body of object `seed`, `len` bytes long.
    pub fn body(&self, seed: u64, len: u64) -> Generated {
        Generated { block: self.0.clone(), seed, left: len, chunk: 0, rest: None }
    }

    /// The hex SHA-256 of [`Pattern::body`]`(seed, len)`, computed over the same slices
    /// without materialising the body (for `--payload signed`).
    pub fn sha256_hex(&self, seed: u64, len: u64) -> String {
        let mut h = Sha256::new();
        let mut body = self.body(seed, len);
        while let Some((stamp, rest)) = body.next_chunk() {
            h.update(&stamp);
            h.update(&rest);
        }
        hex::encode(h.finalize())
    }
}

/// The body of one object: yields (stamp, block slice) frames until `left` is 0.
pub struct Generated {
    /// The shared block.
    block: Bytes,
    /// Distinguishes this object's bytes from every other object's.
    seed: u64,
    /// Bytes not yet yielded.
    left: u64,
    /// Index of the next chunk.
    chunk: u64,
    /// The block slice following the stamp just yielded.
    rest: Option<Bytes>,
}

impl Generated {
    /// The next chunk as its stamp and the block slice after it (possibly empty).
    fn next_chunk(&mut self) -> Option<(Bytes, Bytes)> {
        if self.left == 0 {
            return None;
        }
        let len = usize::try_from(self.left).map_or(CHUNK, |l| l.min(CHUNK));
        let mut stamp = [0u8; STAMP];
        stamp[..8].copy_from_slice(&self.seed.to_le_bytes());
        stamp[8..].copy_from_slice(&self.chunk.to_le_bytes());
        let stamp_len = len.min(STAMP);
        self.left -= len as u64;
        self.chunk += 1;
        Some((Bytes::copy_from_slice(&stamp[..stamp_len]), self.block.slice(stamp_len..len)))
    }
}

impl Body for Generated {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(rest) = self.rest.take() {
            return Poll::Ready(Some(Ok(Frame::data(rest))));
        }
        Poll::Ready(self.next_chunk().map(|(stamp, rest)| {
            if !rest.is_empty() {
                self.rest = Some(rest);
            }
            Ok(Frame::data(stamp))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0 && self.rest.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left + self.rest.as_ref().map_or(0, |r| r.len() as u64))
    }
}

/// Any request body the benchmark sends.
pub enum RequestBody {
    /// No body.
    Empty,
    /// Generated object bytes.
    Generated(Generated),
    /// A small in-memory body (CreateBucket configuration).
    Full(Option<Bytes>),
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Generated(g) => Pin::new(g).poll_frame(cx),
            Self::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Generated(g) => g.is_end_stream(),
            Self::Full(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Generated(g) => g.size_hint(),
            Self::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(mut body: Generated) -> Vec<u8> {
        let mut out = Vec::new();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        while let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) {
            out.extend_from_slice(&frame.into_data().unwrap());
        }
        assert!(body.is_end_stream());
        out
    }

    #[test]
    fn lengths_hints_and_uniqueness() {
        let p = Pattern::new();
        for len in [0u64, 1, 15, 16, 17, 4096, CHUNK as u64, CHUNK as u64 + 1, 3 * CHUNK as u64 - 5] {
            let b = p.body(7, len);
            assert_eq!(b.size_hint().exact(), Some(len));
            let bytes = collect(b);
            assert_eq!(bytes.len() as u64, len);
            assert_eq!(p.sha256_hex(7, len), hex::encode(Sha256::digest(&bytes)));
        }
        assert_ne!(collect(p.body(1, 4096)), collect(p.body(2, 4096)));
        let two = collect(p.body(1, 2 * CHUNK as u64));
        assert_ne!(two[..CHUNK], two[CHUNK..], "chunks differ too");
    }
}
