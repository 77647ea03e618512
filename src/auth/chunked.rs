//! Streaming decoder for `aws-chunked` bodies, with chunk and trailer
//! signature verification.
//!
//! Wire format (S3 API reference, "Signature Calculation: Transfer Payload in
//! Multiple Chunks" and "... with trailers"):
//!
//! ```text
//! hex-size[;chunk-signature=sig][;ext...]\r\n data \r\n   (repeated)
//! 0[;chunk-signature=sig]\r\n                            (final chunk)
//! \r\n                                                   (no trailer mode)
//! name:value\r\n ... [x-amz-trailer-signature:sig\r\n] \r\n   (trailer modes)
//! ```
//!
//! The decoder is a push state machine fed arbitrary splits of the input; it
//! buffers only a chunk-header line (at most [`MAX_LINE`] bytes) and the
//! trailer block (at most [`MAX_TRAILER`] bytes). Chunk data is passed through
//! zero-copy while being hashed; a chunk's signature is checked when its last
//! byte has arrived, before anything after it is decoded. Leniency: in trailer
//! modes, a body that ends right after the last trailer line (without the
//! closing blank line) is accepted, as s3s does; the trailer signature still
//! covers every trailer line.

use std::mem;

use bytes::{Buf, Bytes};
use sha2::{Digest, Sha256};

use super::canonical::signatures_match;
use super::sigv4::ChunkSigner;
use super::{AuthError, TrailerSlot};

/// Longest accepted chunk-header line, CRLF included. A signed header is
/// about 90 bytes; the slack allows chunk extensions.
pub(crate) const MAX_LINE: usize = 4096;
/// Largest accepted trailer block.
pub(crate) const MAX_TRAILER: usize = 16 * 1024;
/// Most trailer lines accepted.
const MAX_TRAILER_LINES: usize = 64;

/// Which trailer, if any, follows the final chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrailerKind {
    /// No trailer: the final chunk is followed by `\r\n`.
    None,
    /// Trailer lines without a signature.
    Unsigned,
    /// Trailer lines ending with `x-amz-trailer-signature`.
    Signed,
}

/// Decoder position.
enum State {
    /// Reading a chunk-header line (bytes so far).
    Header(Vec<u8>),
    /// Passing chunk data through.
    Data {
        /// Bytes of this chunk still to come.
        remaining: u64,
        /// Signature announced in the chunk header (signed modes).
        signature: Option<String>,
        /// Hash of the data so far; `None` when no chunk signature is checked
        /// (unsigned modes), so those bodies pass through without SHA-256.
        hasher: Option<Sha256>,
    },
    /// Expecting the CRLF after chunk data; `matched` bytes of it seen.
    DataEnd { matched: usize, last: bool },
    /// Reading trailer lines.
    Trailer {
        /// The current, incomplete line.
        line: Vec<u8>,
        /// Complete lines, without their line ending.
        lines: Vec<Vec<u8>>,
        /// Bytes consumed so far, for [`MAX_TRAILER`].
        total: usize,
    },
    /// Everything decoded.
    Done,
    /// A previous error; nothing more is decoded.
    Failed,
}

/// `MalformedChunk` with a message.
fn malformed(message: &str) -> AuthError {
    AuthError::MalformedChunk(format!("malformed aws-chunked body: {message}"))
}

/// The aws-chunked decoder.
pub(crate) struct ChunkDecoder {
    /// Current position.
    state: State,
    /// Signs chunks and trailers; `Some` means chunk signatures are required.
    signer: Option<ChunkSigner>,
    /// Signature of the previous chunk (the seed at first).
    previous: String,
    /// Trailer mode.
    trailer: TrailerKind,
    /// Declared decoded length (`x-amz-decoded-content-length`), if any.
    expected_len: Option<u64>,
    /// Decoded bytes so far.
    decoded: u64,
    /// Where verified trailers go.
    slot: TrailerSlot,
}

impl ChunkDecoder {
    /// A decoder; `signer` makes chunk signatures (and, with
    /// [`TrailerKind::Signed`], the trailer signature) mandatory.
    pub(crate) fn new(signer: Option<ChunkSigner>, trailer: TrailerKind, expected_len: Option<u64>, slot: TrailerSlot) -> Self {
        let previous = signer.as_ref().map(|s| s.seed().to_owned()).unwrap_or_default();
        Self { state: State::Header(Vec::new()), signer, previous, trailer, expected_len, decoded: 0, slot }
    }

    /// Consumes `input` until it is empty or decoded data is available;
    /// returns that data (a zero-copy slice of `input`).
    pub(crate) fn decode(&mut self, input: &mut Bytes) -> Result<Option<Bytes>, AuthError> {
        while !input.is_empty() {
            let state = mem::replace(&mut self.state, State::Failed);
            let (next, data) = self.step(state, input)?;
            self.state = next;
            if data.is_some() {
                return Ok(data);
            }
        }
        Ok(None)
    }

    /// Called at end of input: succeeds only if the body was complete.
    pub(crate) fn finish(&mut self) -> Result<(), AuthError> {
        match mem::replace(&mut self.state, State::Failed) {
            State::Done => {}
            State::Trailer { line, mut lines, .. } => {
                // Lenient end: the closing blank line (or the last CRLF) is missing.
                if !line.is_empty() {
                    lines.push(strip_cr(line));
                }
                self.finish_trailer(lines)?;
            }
            _ => return Err(AuthError::IncompleteBody("The request body ended before the final aws-chunked chunk.".into())),
        }
        self.state = State::Done;
        match self.expected_len {
            Some(expected) if expected != self.decoded => Err(length_mismatch()),
            _ => Ok(()),
        }
    }

    /// One transition on non-empty `input`.
    fn step(&mut self, state: State, input: &mut Bytes) -> Result<(State, Option<Bytes>), AuthError> {
        match state {
            State::Header(mut line) => {
                if !take_line(&mut line, input, MAX_LINE)? {
                    return Ok((State::Header(line), None));
                }
                Ok((self.on_header(&line)?, None))
            }
            State::Data { remaining, signature, hasher } => self.step_data(remaining, signature, hasher, input),
            State::DataEnd { matched, last } => {
                if input[0] != b"\r\n"[matched] {
                    return Err(malformed("missing CRLF after chunk data"));
                }
                input.advance(1);
                let next = match (matched + 1, last) {
                    (2, true) => State::Done,
                    (2, false) => State::Header(Vec::new()),
                    (m, last) => State::DataEnd { matched: m, last },
                };
                Ok((next, None))
            }
            State::Trailer { line, lines, total } => Ok((self.step_trailer(line, lines, total, input)?, None)),
            State::Done => Err(malformed("data after the final chunk")),
            State::Failed => Err(malformed("decoding already failed")),
        }
    }

    /// Passes chunk data through; checks the chunk signature at its last byte.
    fn step_data(
        &mut self,
        remaining: u64,
        signature: Option<String>,
        mut hasher: Option<Sha256>,
        input: &mut Bytes,
    ) -> Result<(State, Option<Bytes>), AuthError> {
        let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
        let data = input.split_to(n);
        if let Some(h) = hasher.as_mut() {
            h.update(&data);
        }
        let remaining = remaining - n as u64;
        let next = if remaining == 0 {
            if let Some(h) = hasher {
                self.verify_chunk(signature.as_deref(), &h.finalize().into())?;
            }
            State::DataEnd { matched: 0, last: false }
        } else {
            State::Data { remaining, signature, hasher }
        };
        Ok((next, Some(data)))
    }

    /// Accumulates trailer lines; a blank line ends (and verifies) the trailer.
    fn step_trailer(&mut self, mut line: Vec<u8>, mut lines: Vec<Vec<u8>>, total: usize, input: &mut Bytes) -> Result<State, AuthError> {
        let before = input.len();
        let complete = take_line(&mut line, input, MAX_TRAILER)?;
        let total = total + (before - input.len());
        if total > MAX_TRAILER || lines.len() >= MAX_TRAILER_LINES {
            return Err(malformed("trailer too large"));
        }
        if !complete {
            return Ok(State::Trailer { line, lines, total });
        }
        let line = strip_cr(strip_lf(line));
        if line.is_empty() {
            self.finish_trailer(lines)?;
            return Ok(State::Done);
        }
        lines.push(line);
        Ok(State::Trailer { line: Vec::new(), lines, total })
    }

    /// Handles a complete chunk-header line (CRLF included).
    fn on_header(&mut self, line: &[u8]) -> Result<State, AuthError> {
        let line = line.strip_suffix(b"\r\n").ok_or_else(|| malformed("chunk header must end with CRLF"))?;
        let mut parts = line.split(|&b| b == b';');
        let size = parse_size(parts.next().unwrap_or_default())?;
        let mut signature = None;
        for ext in parts {
            if let Some(sig) = ext.strip_prefix(b"chunk-signature=") {
                let sig = std::str::from_utf8(sig).map_err(|_| malformed("bad chunk-signature"))?;
                signature = Some(sig.to_owned());
            }
        }
        if self.signer.is_some() && signature.is_none() {
            return Err(malformed("missing chunk-signature"));
        }
        let decoded = self.decoded.saturating_add(size);
        if self.expected_len.is_some_and(|e| decoded > e) {
            return Err(length_mismatch());
        }
        self.decoded = decoded;
        if size > 0 {
            let hasher = self.signer.is_some().then(Sha256::new);
            return Ok(State::Data { remaining: size, signature, hasher });
        }
        self.verify_chunk(signature.as_deref(), &Sha256::digest(b"").into())?;
        Ok(match self.trailer {
            TrailerKind::None => State::DataEnd { matched: 0, last: true },
            TrailerKind::Unsigned | TrailerKind::Signed => State::Trailer { line: Vec::new(), lines: Vec::new(), total: 0 },
        })
    }

    /// Checks a chunk signature (signed modes) and advances the chain.
    fn verify_chunk(&mut self, provided: Option<&str>, data_sha256: &[u8; 32]) -> Result<(), AuthError> {
        let (Some(signer), Some(provided)) = (&self.signer, provided) else {
            return Ok(());
        };
        let expected = signer.chunk_signature(&self.previous, data_sha256);
        if !signatures_match(&expected, provided) {
            tracing::debug!(decoded = self.decoded, "aws-chunked chunk signature mismatch");
            return Err(AuthError::SignatureDoesNotMatch);
        }
        self.previous = expected;
        Ok(())
    }

    /// Parses trailer lines, verifies the trailer signature when required and
    /// publishes the trailers.
    fn finish_trailer(&mut self, lines: Vec<Vec<u8>>) -> Result<(), AuthError> {
        let mut entries = Vec::with_capacity(lines.len());
        let mut provided = None;
        for line in lines {
            let text = String::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
            let (name, value) = text.split_once(':').ok_or_else(|| malformed("trailer line without ':'"))?;
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_owned();
            if name.is_empty() {
                return Err(malformed("empty trailer name"));
            }
            if name == "x-amz-trailer-signature" {
                provided = Some(value);
            } else {
                entries.push((name, value));
            }
        }
        entries.sort();
        if self.trailer == TrailerKind::Signed {
            let signer = self.signer.as_ref().ok_or(AuthError::SignatureDoesNotMatch)?;
            let provided = provided.ok_or_else(|| malformed("missing x-amz-trailer-signature"))?;
            let mut canonical = Vec::new();
            for (name, value) in &entries {
                canonical.extend_from_slice(format!("{name}:{value}\n").as_bytes());
            }
            let expected = signer.trailer_signature(&self.previous, &canonical);
            if !signatures_match(&expected, &provided) {
                tracing::debug!("aws-chunked trailer signature mismatch");
                return Err(AuthError::SignatureDoesNotMatch);
            }
        }
        self.slot.set(entries);
        Ok(())
    }
}

/// `IncompleteBody` for a decoded length that disagrees with the header.
fn length_mismatch() -> AuthError {
    AuthError::IncompleteBody("The decoded body length does not match x-amz-decoded-content-length.".into())
}

/// Moves bytes from `input` into `line` up to and including `\n`; returns
/// whether the line is complete. Fails once `line` would exceed `max`.
fn take_line(line: &mut Vec<u8>, input: &mut Bytes, max: usize) -> Result<bool, AuthError> {
    let (n, complete) = match input.iter().position(|&b| b == b'\n') {
        Some(i) => (i + 1, true),
        None => (input.len(), false),
    };
    if line.len() + n > max {
        return Err(malformed("line too long"));
    }
    line.extend_from_slice(&input[..n]);
    input.advance(n);
    Ok(complete)
}

/// Drops a trailing `\n`.
fn strip_lf(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    line
}

/// Drops a trailing `\r`.
fn strip_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// Parses the hex chunk size: 1 to 16 hex digits, nothing else.
fn parse_size(raw: &[u8]) -> Result<u64, AuthError> {
    if raw.is_empty() || raw.len() > 16 || !raw.iter().all(u8::is_ascii_hexdigit) {
        return Err(malformed("invalid chunk size"));
    }
    let text = std::str::from_utf8(raw).map_err(|_| malformed("invalid chunk size"))?;
    u64::from_str_radix(text, 16).map_err(|_| malformed("invalid chunk size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut ChunkDecoder, pieces: &[&[u8]]) -> Result<Vec<u8>, AuthError> {
        let mut out = Vec::new();
        for piece in pieces {
            let mut input = Bytes::copy_from_slice(piece);
            while let Some(data) = decoder.decode(&mut input)? {
                out.extend_from_slice(&data);
            }
        }
        decoder.finish()?;
        Ok(out)
    }

    fn unsigned(expected: Option<u64>) -> (ChunkDecoder, TrailerSlot) {
        let slot = TrailerSlot::default();
        (ChunkDecoder::new(None, TrailerKind::Unsigned, expected, slot.clone()), slot)
    }

    #[test]
    fn unsigned_trailer_body() {
        let body = b"5\r\nhello\r\n3;ext=1\r\n abc\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let body = body.as_slice();
        let (mut d, slot) = unsigned(Some(8));
        let err = decode_all(&mut d, &[body]).expect_err("size 3 but 4 bytes before CRLF");
        assert!(matches!(err, AuthError::MalformedChunk(_)));
        let body = b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let (mut d, slot2) = unsigned(Some(8));
        assert_eq!(decode_all(&mut d, &[body]).expect("valid"), b"helloabc");
        assert_eq!(slot2.take(), vec![("x-amz-checksum-crc32".into(), "AAAA".into())]);
        assert!(slot.take().is_empty());
    }

    #[test]
    fn lenient_missing_final_blank_line() {
        let (mut d, slot) = unsigned(None);
        let body = b"2\r\nhi\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n";
        assert_eq!(decode_all(&mut d, &[body]).expect("lenient"), b"hi");
        assert_eq!(slot.take().len(), 1);
    }

    #[test]
    fn framing_errors() {
        let cases: &[&[u8]] = &[
            b"zz\r\nhi\r\n0\r\n\r\n",
            b"2\r\nhiXX0\r\n\r\n",
            b"2\nhi\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
            b"0\r\nno colon here\r\n\r\n",
        ];
        for case in cases {
            let (mut d, _) = unsigned(None);
            let err = decode_all(&mut d, &[case]).expect_err("malformed");
            assert!(matches!(err, AuthError::MalformedChunk(_)), "{case:?}: {err:?}");
        }
        let mut long = vec![b'1'; MAX_LINE + 1];
        long.extend_from_slice(b"\r\n");
        let (mut d, _) = unsigned(None);
        assert!(decode_all(&mut d, &[&long]).is_err());
    }

    #[test]
    fn truncation_and_length() {
        let (mut d, _) = unsigned(None);
        let err = decode_all(&mut d, &[b"5\r\nhel"]).expect_err("truncated");
        assert_eq!(err.s3_code(), "IncompleteBody");
        let (mut d, _) = unsigned(Some(3));
        let err = decode_all(&mut d, &[b"2\r\nhi\r\n0\r\n\r\n"]).expect_err("short");
        assert!(matches!(err, AuthError::IncompleteBody(_)));
        let (mut d, _) = unsigned(Some(1));
        let err = decode_all(&mut d, &[b"2\r\nhi\r\n0\r\n\r\n"]).expect_err("long");
        assert!(matches!(err, AuthError::IncompleteBody(_)));
        let (mut d, _) = unsigned(None);
        let err = decode_all(&mut d, &[b"0\r\n\r\nextra"]).expect_err("extra");
        assert!(matches!(err, AuthError::MalformedChunk(_)));
    }
}
