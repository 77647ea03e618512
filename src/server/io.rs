//! The connection's byte stream, reporting to its [`Activity`]: reads (a request head
//! begins) and writes that must wait for the client (a reader that stopped), so that
//! the watchdog in `conn` can enforce the header and write timeouts.
//!
//! It also answers, as S3 XML, the requests hyper refuses before coffer sees them
//! (a malformed request line or header, a negative Content-Length, a header section
//! too large): hyper writes a bare status line with an empty body for those, which no
//! S3 client can interpret. The response is recognised by its shape, only between
//! requests (no request in flight, the previous response flushed whole, a new head
//! begun), and replaced by one with S3's error document.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::conn::Activity;
use crate::metrics::Metrics;
use crate::s3::error::{S3Error, S3ErrorCode};

/// A stream whose reads and writes are reported to an [`Activity`].
pub struct WatchedIo<T> {
    inner: T,
    activity: Arc<Activity>,
    /// Counts bytes read and written (`coffer_received_bytes_total`, `_sent_`).
    metrics: Arc<Metrics>,
    /// A replacement for hyper's own error response, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl<T> WatchedIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, activity: Arc<Activity>, metrics: Arc<Metrics>) -> Self {
        Self { inner, activity, metrics, replacement: None }
    }

    /// Reports the outcome of a write and passes it on.
    fn report(&self, poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        self.activity.on_write(poll.is_pending());
        if let Poll::Ready(Ok(n)) = poll {
            self.metrics.bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
        }
        poll
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WatchedIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
            self.metrics.bytes_received.fetch_add((buf.filled().len() - before) as u64, Ordering::Relaxed);
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> WatchedIo<T> {
    /// Writes what is left of a replacement response; Ready once none is left.
    fn drain_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacement {
            let poll = Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]);
            self.activity.on_write(poll.is_pending());
            let n = std::task::ready!(poll)?;
            self.metrics.bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
            if *written == bytes.len() {
                self.replacement = None;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` in place of hyper's own error response, if it is one: the S3 version
    /// is written instead and hyper is told its bytes went out.
    fn replace(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Option<Poll<io::Result<usize>>> {
        if !self.activity.between_requests() {
            return None;
        }
        let replacement = s3_error_for(buf)?;
        self.replacement = Some((replacement, 0));
        Some(match self.drain_replacement(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // Taken; the rest goes out on the next write or flush.
            _ => Poll::Ready(Ok(buf.len())),
        })
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WatchedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain_replacement(cx))?;
        if let Some(poll) = self.replace(cx, buf) {
            return poll;
        }
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.report(poll)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain_replacement(cx))?;
        let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (non_empty.next(), non_empty.next()) {
            if let Some(poll) = self.replace(cx, only) {
                return poll;
            }
        }
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.report(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain_replacement(cx))?;
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        if matches!(poll, Poll::Ready(Ok(()))) {
            self.activity.flushed();
        }
        self.activity.on_write(poll.is_pending());
        poll
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// If `head` is a response hyper wrote on its own (an error status, no body, none of
/// the headers every coffer response carries), the S3 response to send instead.
fn s3_error_for(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let bodiless = text.ends_with("\r\n\r\n") && text.to_ascii_lowercase().contains("\r\ncontent-length: 0\r\n");
    if status < 400 || head.len() > 512 || !bodiless || text.contains("x-amz-request-id") {
        return None;
    }
    let error = match status {
        431 | 414 => S3Error::new(S3ErrorCode::RequestHeaderSectionTooLarge),
        _ => S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The HTTP request is malformed: request line, header syntax or Content-Length.",
        ),
    };
    let request_id = super::new_request_id();
    tracing::info!(hyper_status = status, code = error.code.as_str(), request_id = %request_id, "request refused before routing");
    Some(super::raw_error_response(&error, &request_id, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_errors_become_s3_errors() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 15:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(s3_error_for(hyper_431).expect("replaced")).expect("utf-8");
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
        assert!(out.contains("<Code>RequestHeaderSectionTooLarge</Code>"), "{out}");
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 15:00:00 GMT\r\n\r\n";
        assert!(String::from_utf8(s3_error_for(hyper_400).expect("replaced")).expect("utf-8").contains("<Code>InvalidRequest</Code>"));
        // Ours carry a request id; successes, bodies and partial heads are never touched.
        let ours = b"HTTP/1.1 404 Not Found\r\nx-amz-request-id: 1\r\ncontent-length: 0\r\n\r\n";
        assert!(s3_error_for(ours).is_none());
        assert!(s3_error_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(s3_error_for(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n").is_none());
        assert!(s3_error_for(b"hello").is_none());
    }
}
