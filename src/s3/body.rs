//! Request bodies as handlers see them: the decoded byte stream (aws-chunked framing
//! removed, signatures verified by `auth`), plus any trailing checksum headers; the
//! pace a raw body must keep ([`Paced`]); and the shared memory budget of bodies read
//! whole ([`BufferBudget`]).

use std::future::Future;
use std::io;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use super::error::{S3Error, S3ErrorCode, S3Result};
use crate::auth::{AuthError, TrailerSlot};

/// A decoded request body.
pub struct RequestBody {
    /// The bytes, in order; an `Err` means the upload must not be stored.
    stream: Pin<Box<dyn Stream<Item = S3Result<Bytes>> + Send>>,
    /// Trailing headers of an aws-chunked body, filled when the stream ends.
    pub trailers: Option<TrailerSlot>,
    /// Where [`Self::collect`] reserves its memory, and the decoded length the client
    /// announced (if it did), reserved up front.
    budget: Option<(BufferBudget, Option<u64>)>,
}

impl RequestBody {
    /// Wraps a decoded stream.
    pub fn new(stream: Pin<Box<dyn Stream<Item = Result<Bytes, AuthError>> + Send>>, trailers: Option<TrailerSlot>) -> Self {
        Self { stream: Box::pin(stream.map(|r| r.map_err(S3Error::from))), trailers, budget: None }
    }

    /// A body made by the S3 layer itself (the file of a browser form).
    pub fn from_parts(stream: Pin<Box<dyn Stream<Item = S3Result<Bytes>> + Send>>) -> Self {
        Self { stream, trailers: None, budget: None }
    }

    /// Makes [`Self::collect`] reserve its memory from `budget`; `declared` is the
    /// decoded length the client announced, if any.
    #[must_use]
    pub fn with_budget(mut self, budget: BufferBudget, declared: Option<u64>) -> Self {
        self.budget = Some((budget, declared));
        self
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self { stream: Box::pin(futures_util::stream::empty()), trailers: None, budget: None }
    }

    /// The next chunk, `None` at a clean end.
    pub async fn next(&mut self) -> Option<S3Result<Bytes>> {
        self.stream.next().await
    }

    /// Reads the whole body, refusing more than `limit` bytes (for small XML bodies
    /// only). The memory is reserved from the shared budget first (the announced
    /// length at once, else as the body grows): when the budget is spent the request is
    /// refused with 503 SlowDown rather than waiting, and a body announced larger than
    /// `limit` is refused before any of it is read.
    pub async fn collect(mut self, limit: u64) -> S3Result<Buffered> {
        let too_large =
            || S3Error::with_message(S3ErrorCode::InvalidRequest, format!("The request body exceeds the limit of {limit} bytes"));
        let (budget, declared) = self.budget.take().map_or((None, None), |(b, d)| (Some(b), d));
        if declared.is_some_and(|d| d > limit) {
            return Err(too_large());
        }
        let mut reserved = Reservation { budget, permit: None };
        // A Vec, not BytesMut: `reserve_exact` keeps the buffer at what the body needs.
        let mut buf: Vec<u8> = Vec::new();
        if let Some(declared) = declared {
            reserved.grow_to(declared)?;
            buf.reserve_exact(usize::try_from(declared).map_err(S3Error::internal)?);
        }
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            let len = (buf.len() + chunk.len()) as u64;
            if len > limit {
                return Err(too_large());
            }
            if len > buf.capacity() as u64 {
                // Grow by at least 64 KiB at a time, never past the limit: no doubling.
                let to = len.max(buf.capacity() as u64 + (64 << 10)).min(limit);
                reserved.grow_to(to)?;
                buf.reserve_exact(usize::try_from(to).map_err(S3Error::internal)? - buf.len());
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Buffered { bytes: Bytes::from(buf), _permit: reserved.permit })
    }
}

/// Bytes reserved from a [`BufferBudget`] by one body.
struct Reservation {
    budget: Option<BufferBudget>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Reservation {
    /// Holds `bytes` in all (a no-op without a budget); SlowDown when the budget is spent.
    fn grow_to(&mut self, bytes: u64) -> S3Result<()> {
        let Some(budget) = &self.budget else { return Ok(()) };
        let held = self.permit.as_ref().map_or(0, |p| p.num_permits() as u64);
        if bytes <= held {
            return Ok(());
        }
        let more = u32::try_from(bytes - held).map_err(S3Error::internal)?;
        let permit = Arc::clone(&budget.0).try_acquire_many_owned(more).map_err(|_| {
            tracing::warn!(bytes, "request refused: the buffered-body memory budget is spent");
            S3Error::with_message(S3ErrorCode::SlowDown, "Please reduce your request rate: the server's request buffers are full.")
        })?;
        match &mut self.permit {
            Some(p) => p.merge(permit),
            None => self.permit = Some(permit),
        }
        Ok(())
    }
}

/// A body read whole, holding its share of the [`BufferBudget`] until dropped.
pub struct Buffered {
    bytes: Bytes,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Deref for Buffered {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// The memory all bodies read whole may hold together, in bytes (`limits.buffer_budget_mib`).
#[derive(Clone, Debug)]
pub struct BufferBudget(Arc<Semaphore>);

impl BufferBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: u64) -> Self {
        Self(Arc::new(Semaphore::new(usize::try_from(bytes).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS))))
    }

    /// Bytes not reserved right now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

/// The pace a raw request body must keep: a byte at least every `idle`, and at least
/// `min_rate` bytes per second over each `idle`-long window. A body that falls behind
/// ends with an `io::ErrorKind::TimedOut` error, which S3 answers as 400 RequestTimeout.
/// Without it one client could hold a connection, a request and its buffers for ever
/// by sending a byte now and then.
pub struct Paced<S> {
    inner: S,
    idle: Duration,
    min_rate: u64,
    /// The idle deadline, armed when the body first waits.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Start of the current rate window and the bytes received in it; set when the
    /// handler first asks for the body (time before that is not the client's).
    window: Option<(Instant, u64)>,
    /// The stream ended or failed.
    done: bool,
}

impl<S> Paced<S> {
    /// Paces `inner` (see [`Paced`]).
    pub fn new(inner: S, idle: Duration, min_rate: u64) -> Self {
        Self { inner, idle, min_rate, deadline: None, window: None, done: false }
    }
}

impl<S: Stream<Item = io::Result<Bytes>> + Unpin> Stream for Paced<S> {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let window = this.window.get_or_insert_with(|| (Instant::now(), 0));
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                let now = Instant::now();
                if let Some(deadline) = &mut this.deadline {
                    deadline.as_mut().reset(now + this.idle);
                }
                window.1 += bytes.len() as u64;
                let elapsed = now - window.0;
                if elapsed >= this.idle {
                    if window.1 < this.min_rate.saturating_mul(elapsed.as_secs()) {
                        this.done = true;
                        return Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::TimedOut, "the request body arrives too slowly"))));
                    }
                    *window = (now, 0);
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(other) => {
                this.done = true;
                Poll::Ready(other)
            }
            Poll::Pending => {
                let idle = this.idle;
                let deadline = this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                if deadline.as_mut().poll(cx).is_ready() {
                    this.done = true;
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request body byte arrived within the timeout",
                    ))));
                }
                Poll::Pending
            }
        }
    }
}

/// The raw body of a request, paced by `limits` (see [`Paced`]): data frames only,
/// transport errors as I/O errors. Shared by S3 requests and the IAM/STS query APIs.
pub fn paced(
    body: hyper::body::Incoming,
    limits: &crate::config::LimitsConfig,
) -> Paced<Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>> {
    use futures_util::TryStreamExt;
    let raw =
        http_body_util::BodyStream::new(body).try_filter_map(|frame| async move { Ok(frame.into_data().ok()) }).map_err(transport_error);
    Paced::new(Box::pin(raw), Duration::from_secs(limits.body_idle_timeout_secs), limits.min_body_bytes_per_sec)
}

/// Maps a transport error of the incoming body (client gone, body shorter than its
/// Content-Length) to the I/O error `auth` expects.
pub fn transport_error(e: hyper::Error) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, e)
}
