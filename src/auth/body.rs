//! The request-body wrapper behind [`decode_body`](super::decode_body):
//! passes bytes through, checks a signed SHA-256, or decodes aws-chunked.
//!
//! Every failure is yielded as an `Err` item followed by the end of the
//! stream, never as a silent early end, so a consumer that commits only after
//! a clean end stores nothing.

use std::error::Error as StdError;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::chunked::ChunkDecoder;
use super::AuthError;

/// What the wrapper does with the bytes.
pub(crate) enum Processor {
    /// Pass through untouched.
    Passthrough,
    /// Hash and compare with the signed SHA-256 at the end.
    Sha256 {
        /// Running hash.
        hasher: Sha256,
        /// The value of `x-amz-content-sha256`.
        expected: [u8; 32],
    },
    /// aws-chunked decoding.
    Chunked(Box<ChunkDecoder>),
}

/// A request body run through a [`Processor`].
pub(crate) struct ProcessedBody<S> {
    /// The raw body.
    inner: Pin<Box<S>>,
    /// The processing.
    processor: Processor,
    /// Raw bytes received but not yet decoded.
    pending: Bytes,
    /// Set after the end or the first error: nothing more is yielded.
    done: bool,
}

impl<S> ProcessedBody<S> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: S, processor: Processor) -> Self {
        Self { inner: Box::pin(inner), processor, pending: Bytes::new(), done: false }
    }
}

/// Converts a transport error into an `io::Error`, keeping an `io::Error` as is.
fn to_io(e: Box<dyn StdError + Send + Sync>) -> io::Error {
    match e.downcast::<io::Error>() {
        Ok(e) => *e,
        Err(e) => io::Error::other(e),
    }
}

impl<S, E> ProcessedBody<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    /// Handles freshly received bytes; returns what to yield, if anything.
    fn on_bytes(&mut self, bytes: Bytes) -> Option<Result<Bytes, AuthError>> {
        match &mut self.processor {
            Processor::Passthrough => Some(Ok(bytes)),
            Processor::Sha256 { hasher, .. } => {
                hasher.update(&bytes);
                Some(Ok(bytes))
            }
            Processor::Chunked(_) => {
                self.pending = bytes;
                None
            }
        }
    }

    /// Handles the end of the raw body.
    fn on_end(&mut self) -> Result<(), AuthError> {
        match &mut self.processor {
            Processor::Passthrough => Ok(()),
            Processor::Sha256 { hasher, expected } => {
                let actual: [u8; 32] = hasher.finalize_reset().into();
                if bool::from(actual.ct_eq(expected)) {
                    Ok(())
                } else {
                    Err(AuthError::XAmzContentSHA256Mismatch)
                }
            }
            Processor::Chunked(decoder) => decoder.finish(),
        }
    }
}

impl<S, E> Stream for ProcessedBody<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    type Item = Result<Bytes, AuthError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Processor::Chunked(decoder) = &mut this.processor {
                match decoder.decode(&mut this.pending) {
                    Ok(Some(data)) => return Poll::Ready(Some(Ok(data))),
                    Ok(None) => {}
                    Err(e) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            let item = match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            let result = match item {
                Some(Ok(bytes)) => match this.on_bytes(bytes) {
                    Some(out) => out,
                    None => continue,
                },
                Some(Err(e)) => Err(AuthError::Transport(to_io(e.into()))),
                None => match this.on_end() {
                    Ok(()) => {
                        this.done = true;
                        return Poll::Ready(None);
                    }
                    Err(e) => Err(e),
                },
            };
            if result.is_err() {
                this.done = true;
            }
            return Poll::Ready(Some(result));
        }
    }
}
