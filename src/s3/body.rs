//! Request bodies as handlers see them: the decoded byte stream (aws-chunked framing
//! removed, signatures verified by `auth`), plus any trailing checksum headers.

use std::io;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::error::{S3Error, S3ErrorCode, S3Result};
use crate::auth::{AuthError, TrailerSlot};

/// A decoded request body.
pub struct RequestBody {
    /// The bytes, in order; an `Err` means the upload must not be stored.
    stream: Pin<Box<dyn Stream<Item = Result<Bytes, AuthError>> + Send>>,
    /// Trailing headers of an aws-chunked body, filled when the stream ends.
    pub trailers: Option<TrailerSlot>,
}

impl RequestBody {
    /// Wraps a decoded stream.
    pub fn new(stream: Pin<Box<dyn Stream<Item = Result<Bytes, AuthError>> + Send>>, trailers: Option<TrailerSlot>) -> Self {
        Self { stream, trailers }
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self { stream: Box::pin(futures_util::stream::empty()), trailers: None }
    }

    /// The next chunk, `None` at a clean end.
    pub async fn next(&mut self) -> Option<S3Result<Bytes>> {
        self.stream.next().await.map(|r| r.map_err(S3Error::from))
    }

    /// Reads the whole body, refusing more than `limit` bytes (for small XML bodies only).
    pub async fn collect(mut self, limit: u64) -> S3Result<Bytes> {
        let mut buf = BytesMut::new();
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("The request body exceeds the limit of {limit} bytes"),
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

/// Maps a transport error of the incoming body (client gone, body shorter than its
/// Content-Length) to the I/O error `auth` expects.
pub fn transport_error(e: hyper::Error) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, e)
}
