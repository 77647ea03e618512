//! The sealed chunk format (see the module docs of [`super`]): sealing a stream of
//! plaintext, opening stored chunks, and the arithmetic between plaintext and stored
//! offsets.

use std::fmt;
use std::io;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

/// Bytes of one stored chunk (the last chunk of a blob may be shorter).
pub const STORED_CHUNK: usize = 64 * 1024;
/// The synthetic nonce stored at the head of each chunk (of each layer).
pub const NONCE_LEN: usize = 12;
/// The GCM tag at the tail of each chunk (of each layer).
pub const TAG_LEN: usize = 16;
/// Stored bytes per chunk and layer beyond its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;
/// Plaintext bytes of a full chunk of one layer.
pub const PLAIN_CHUNK: usize = STORED_CHUNK - OVERHEAD;

/// Names the format in every chunk's associated data, so chunks of a later format can
/// never be taken for this one.
const FORMAT: &[u8; 8] = b"coffer1\0";

/// What a layer is for (its keys are derived apart for each).
#[derive(Clone, Copy)]
enum Role {
    /// The only layer.
    Single,
    /// The outer layer of a dual key.
    Outer,
    /// The inner layer of a dual key.
    Inner,
}

/// One layer of sealing: AES-256-GCM with synthetic nonces.
struct Layer {
    /// AES-256-GCM.
    aead: LessSafeKey,
    /// Keys the synthetic nonces.
    nonce_key: [u8; 32],
}

impl Layer {
    /// The layer for a 32-byte secret, derived apart for each `role`: a layer of a
    /// dual-layer key never shares keys with a single-layer one (or with the other
    /// layer), even for equal secrets.
    fn new(secret: &[u8; 32], role: Role) -> Self {
        let (cipher, nonce) = match role {
            Role::Single => ("coffer 2026 sse chunk cipher key", "coffer 2026 sse chunk nonce key"),
            Role::Outer => ("coffer 2026 sse outer chunk cipher key", "coffer 2026 sse outer chunk nonce key"),
            Role::Inner => ("coffer 2026 sse inner chunk cipher key", "coffer 2026 sse inner chunk nonce key"),
        };
        let cipher = blake3::derive_key(cipher, secret);
        let nonce_key = blake3::derive_key(nonce, secret);
        // 32 bytes is AES-256's key length, so this cannot fail.
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cipher).expect("32-byte AES-256 key"));
        Self { aead, nonce_key }
    }

    /// Appends `nonce ‖ ciphertext ‖ tag` of `plain` (chunk `index`) to `out`.
    fn seal_into(&self, aad: [u8; 17], plain: &[u8], out: &mut Vec<u8>) {
        let mut hasher = blake3::Hasher::new_keyed(&self.nonce_key);
        hasher.update(&aad);
        hasher.update(plain);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&hasher.finalize().as_bytes()[..NONCE_LEN]);
        out.extend_from_slice(&nonce);
        let start = out.len();
        out.extend_from_slice(plain);
        // Sealing fails only beyond GCM's 64 GiB per message; a chunk is 64 KiB.
        let tag = self
            .aead
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut out[start..])
            .expect("AES-GCM seal of one chunk");
        out.extend_from_slice(tag.as_ref());
    }

    /// Opens `stored` in place: the plaintext's length (it starts at [`NONCE_LEN`]).
    fn open_in_place(&self, aad: [u8; 17], stored: &mut [u8]) -> Option<usize> {
        if stored.len() < OVERHEAD {
            return None;
        }
        let (nonce, sealed) = stored.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        self.aead.open_in_place(nonce, Aad::from(aad), sealed).ok().map(|plain| plain.len())
    }
}

/// The key that seals and opens the chunks of a blob: one layer, or two independent
/// ones (DSSE-KMS). `Debug` shows nothing of it.
pub struct ChunkKey {
    /// Outermost first.
    layers: Vec<Layer>,
    /// How its chunks are laid out.
    geometry: Geometry,
}

impl fmt::Debug for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkKey({} layer(s), <redacted>)", self.layers.len())
    }
}

/// The associated data of chunk `index`: the format, the index and the last flag.
fn associated(index: u64, last: bool) -> [u8; 17] {
    let mut aad = [0u8; 17];
    aad[..8].copy_from_slice(FORMAT);
    aad[8..16].copy_from_slice(&index.to_be_bytes());
    aad[16] = u8::from(last);
    aad
}

impl ChunkKey {
    /// The key for a 32-byte secret (an object's data key, or the server's SSE-S3
    /// secret). The cipher key and the nonce key are derived apart from it.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self { layers: vec![Layer::new(secret, Role::Single)], geometry: Geometry::layers(1) }
    }

    /// A dual-layer key (DSSE-KMS): each chunk is sealed with the `inner` secret's
    /// layer, then that sealed chunk with the `outer` secret's, two independent
    /// AES-256-GCM encryptions under separate data keys.
    pub fn dual(outer: &[u8; 32], inner: &[u8; 32]) -> Self {
        Self { layers: vec![Layer::new(outer, Role::Outer), Layer::new(inner, Role::Inner)], geometry: Geometry::layers(2) }
    }

    /// The layout of this key's chunks.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Appends the sealed form of chunk `index` (`plain` at most the geometry's
    /// plaintext chunk) to `out`.
    pub fn seal_into(&self, index: u64, last: bool, plain: &[u8], out: &mut Vec<u8>) {
        debug_assert!(plain.len() <= self.geometry.plain_chunk());
        let aad = associated(index, last);
        match self.layers.as_slice() {
            [only] => only.seal_into(aad, plain, out),
            [outer, inner] => {
                let mut sealed = Vec::with_capacity(plain.len() + OVERHEAD);
                inner.seal_into(aad, plain, &mut sealed);
                outer.seal_into(aad, &sealed, out);
            }
            _ => unreachable!("a chunk key has one or two layers"),
        }
    }

    /// Opens stored chunk `index` in place: on success the plaintext is
    /// `stored[start..start + n]` for the returned `(start, n)`; `None` if it was not
    /// sealed by this key as chunk `index` with this last flag (or was altered).
    pub fn open_in_place(&self, index: u64, last: bool, stored: &mut [u8]) -> Option<(usize, usize)> {
        if stored.len() < self.geometry.overhead || stored.len() > STORED_CHUNK {
            return None;
        }
        let aad = associated(index, last);
        let (mut start, mut len) = (0, stored.len());
        for layer in &self.layers {
            len = layer.open_in_place(aad, &mut stored[start..start + len])?;
            start += NONCE_LEN;
        }
        Some((start, len))
    }

    /// The plaintext of stored chunk `index` ([`Self::open_in_place`], copied).
    pub fn open(&self, index: u64, last: bool, stored: &[u8]) -> Option<Vec<u8>> {
        let mut buf = stored.to_vec();
        let (start, len) = self.open_in_place(index, last, &mut buf)?;
        buf.truncate(start + len);
        buf.drain(..start);
        Some(buf)
    }

    /// A 16-byte keyed digest of `data` for `purpose` (an opaque ETag: a value that
    /// identifies the content under this key without revealing its MD5).
    pub fn tag(&self, purpose: &[u8], data: &[u8]) -> [u8; 16] {
        let mut hasher = blake3::Hasher::new_keyed(&self.layers[0].nonce_key);
        hasher.update(b"coffer tag\0");
        hasher.update(purpose);
        hasher.update(b"\0");
        hasher.update(data);
        let mut out = [0u8; 16];
        out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        out
    }

    /// The whole plaintext of a sealed blob held in memory (an object stored inline).
    pub fn open_all(&self, stored: &[u8]) -> io::Result<Vec<u8>> {
        let g = self.geometry;
        g.plain_len(stored.len() as u64).ok_or_else(damaged)?;
        let count = g.chunk_count_stored(stored.len() as u64).ok_or_else(damaged)?;
        let mut plain = Vec::with_capacity(stored.len());
        for (index, chunk) in (0u64..).zip(stored.chunks(STORED_CHUNK)) {
            plain.extend(self.open(index, index + 1 == count, chunk).ok_or_else(damaged)?);
        }
        Ok(plain)
    }

    /// The sealed form of `plain`, whole (an object stored inline).
    pub fn seal_all(&self, plain: &[u8]) -> Vec<u8> {
        let mut sealer = Sealer::default();
        let mut out = Vec::with_capacity(usize::try_from(self.geometry.sealed_len(plain.len() as u64)).unwrap_or(0));
        sealer.push(self, plain, &mut out);
        sealer.finish(self, &mut out);
        out
    }
}

/// The error of a chunk that does not open.
fn damaged() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "encrypted object bytes do not authenticate: damaged, or the wrong key")
}

/// How a key's chunks are laid out: 64 KiB stored, less the overhead of each layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Stored bytes per chunk beyond its plaintext.
    overhead: usize,
}

impl Geometry {
    /// One layer of sealing (SSE-S3, SSE-KMS, SSE-C).
    pub const SINGLE: Geometry = Geometry { overhead: OVERHEAD };

    fn layers(n: usize) -> Self {
        Self { overhead: n * OVERHEAD }
    }

    /// Plaintext bytes of a full chunk.
    pub fn plain_chunk(self) -> usize {
        STORED_CHUNK - self.overhead
    }

    /// Chunks of a blob with `plain` plaintext bytes (an empty blob has one empty
    /// chunk, so that even it is authenticated as complete).
    pub fn chunk_count(self, plain: u64) -> u64 {
        plain.div_ceil(self.plain_chunk() as u64).max(1)
    }

    /// Stored bytes of a blob with `plain` plaintext bytes.
    pub fn sealed_len(self, plain: u64) -> u64 {
        plain + self.chunk_count(plain) * self.overhead as u64
    }

    /// Chunks of a sealed blob of `stored` bytes; `None` if no plaintext length seals
    /// to it.
    fn chunk_count_stored(self, stored: u64) -> Option<u64> {
        let count = stored.div_ceil(STORED_CHUNK as u64).max(1);
        let last = stored.checked_sub((count - 1) * STORED_CHUNK as u64)?;
        (last >= self.overhead as u64).then_some(count)
    }

    /// Plaintext bytes of a sealed blob of `stored` bytes; `None` if no plaintext length
    /// seals to exactly that many bytes.
    pub fn plain_len(self, stored: u64) -> Option<u64> {
        self.chunk_count_stored(stored).map(|count| stored - count * self.overhead as u64).filter(|&plain| self.sealed_len(plain) == stored)
    }

    /// The stored range that holds plaintext `offset..offset + len` of a sealed blob
    /// with `plain_total` plaintext bytes; `None` if the range exceeds the blob.
    pub fn stored_range(self, plain_total: u64, offset: u64, len: u64) -> Option<StoredRange> {
        let end = offset.checked_add(len)?;
        if end > plain_total {
            return None;
        }
        let plain = self.plain_chunk() as u64;
        let first_chunk = if len == 0 { 0 } else { offset / plain };
        let last_chunk = if len == 0 { 0 } else { (end - 1) / plain };
        let stored_total = self.sealed_len(plain_total);
        let start = first_chunk * STORED_CHUNK as u64;
        let stop = ((last_chunk + 1) * STORED_CHUNK as u64).min(stored_total);
        Some(StoredRange { offset: start, len: stop - start, first_chunk, skip: if len == 0 { 0 } else { offset - first_chunk * plain } })
    }
}

/// Chunks of a single-layer blob with `plain` plaintext bytes ([`Geometry::chunk_count`]).
pub fn chunk_count(plain: u64) -> u64 {
    Geometry::SINGLE.chunk_count(plain)
}

/// Stored bytes of a single-layer blob ([`Geometry::sealed_len`]).
pub fn sealed_len(plain: u64) -> u64 {
    Geometry::SINGLE.sealed_len(plain)
}

/// Plaintext bytes of a single-layer blob ([`Geometry::plain_len`]).
pub fn plain_len(stored: u64) -> Option<u64> {
    Geometry::SINGLE.plain_len(stored)
}

/// Seals a stream of plaintext: whole chunks go out as soon as it is known that more
/// follows (the last one is sealed as last by [`Sealer::finish`]). Holds at most one
/// chunk of plaintext.
#[derive(Default)]
pub struct Sealer {
    /// Plaintext of the chunk being filled.
    buf: Vec<u8>,
    /// Its index.
    index: u64,
}

impl Sealer {
    /// Takes more plaintext, appending any chunks it completes to `out`.
    pub fn push(&mut self, key: &ChunkKey, mut data: &[u8], out: &mut Vec<u8>) {
        let chunk = key.geometry.plain_chunk();
        while !data.is_empty() {
            if self.buf.len() == chunk {
                // More follows, so the full chunk held is not the last.
                key.seal_into(self.index, false, &self.buf, out);
                self.index += 1;
                self.buf.clear();
            }
            let take = (chunk - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
    }

    /// Seals the last chunk into `out`.
    pub fn finish(self, key: &ChunkKey, out: &mut Vec<u8>) {
        key.seal_into(self.index, true, &self.buf, out);
    }
}

/// Where in a sealed blob of `plain_total` plaintext bytes the plaintext range
/// `offset..offset + len` lives: the stored range of the whole chunks covering it, and
/// the index of the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRange {
    /// First stored byte to read.
    pub offset: u64,
    /// Stored bytes to read.
    pub len: u64,
    /// Index of the first chunk.
    pub first_chunk: u64,
    /// Plaintext bytes of the first chunk to skip.
    pub skip: u64,
}

/// A stream of stored bytes, as the blob layer reads them.
pub type StoredStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + Sync>>;

/// Decrypts `stored` (the stored bytes of [`Geometry::stored_range`]`(plain_total, offset, len)`,
/// in any chunking) into the plaintext `offset..offset + len`, a chunk at a time. A
/// chunk that does not open ends the stream with an `InvalidData` error: no byte of it
/// is returned.
pub fn open_stream(
    key: std::sync::Arc<ChunkKey>,
    stored: StoredStream,
    plain_total: u64,
    offset: u64,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Sync + 'static {
    let g = key.geometry();
    let state = g.stored_range(plain_total, offset, len).map(|range| Opening {
        key,
        stored,
        buf: BytesMut::new(),
        index: range.first_chunk,
        count: g.chunk_count(plain_total),
        stored_total: g.sealed_len(plain_total),
        skip: usize::try_from(range.skip).unwrap_or(0),
        remaining: len,
    });
    futures_util::stream::try_unfold(state, |state| async move {
        let Some(mut s) = state else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "range beyond the encrypted blob"));
        };
        if s.remaining == 0 {
            return Ok(None);
        }
        let plain = s.next_chunk().await?;
        Ok(Some((plain, Some(s))))
    })
}

/// The state of [`open_stream`].
struct Opening {
    key: std::sync::Arc<ChunkKey>,
    stored: StoredStream,
    /// Stored bytes of the chunk being gathered.
    buf: BytesMut,
    /// Its index.
    index: u64,
    /// Chunks in the blob.
    count: u64,
    /// Stored bytes in the blob.
    stored_total: u64,
    /// Plaintext bytes of the next chunk to skip (the range's start).
    skip: usize,
    /// Plaintext bytes still to return.
    remaining: u64,
}

impl Opening {
    /// Stored length of chunk `index`.
    fn stored_len(&self, index: u64) -> usize {
        let start = index * STORED_CHUNK as u64;
        usize::try_from((self.stored_total - start).min(STORED_CHUNK as u64)).unwrap_or(STORED_CHUNK)
    }

    /// Gathers, opens and trims the next chunk.
    async fn next_chunk(&mut self) -> io::Result<Bytes> {
        let want = self.stored_len(self.index);
        while self.buf.len() < want {
            match self.stored.next().await {
                Some(Ok(bytes)) => self.buf.extend_from_slice(&bytes),
                Some(Err(e)) => return Err(e),
                None => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "encrypted blob ended early")),
            }
        }
        let mut chunk = self.buf.split_to(want);
        let (start, plain_len) = self.key.open_in_place(self.index, self.index + 1 == self.count, &mut chunk).ok_or_else(damaged)?;
        self.index += 1;
        let from = std::mem::take(&mut self.skip).min(plain_len);
        let take = usize::try_from(self.remaining).unwrap_or(usize::MAX).min(plain_len - from);
        self.remaining -= take as u64;
        Ok(chunk.freeze().slice(start + from..start + from + take))
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn key(b: u8) -> ChunkKey {
        ChunkKey::from_secret(&[b; 32])
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    async fn read(key: &Arc<ChunkKey>, stored: &[u8], total: u64, offset: u64, len: u64, piece: usize) -> io::Result<Vec<u8>> {
        let r = key.geometry().stored_range(total, offset, len).unwrap();
        let slice = stored[r.offset as usize..(r.offset + r.len) as usize].to_vec();
        let pieces: Vec<io::Result<Bytes>> = slice.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let mut s = std::pin::pin!(open_stream(Arc::clone(key), Box::pin(futures_util::stream::iter(pieces)), total, offset, len));
        let mut out = Vec::new();
        while let Some(b) = s.next().await {
            out.extend_from_slice(&b?);
        }
        Ok(out)
    }

    #[test]
    fn lengths_round_trip() {
        for n in [0u64, 1, 100, PLAIN_CHUNK as u64 - 1, PLAIN_CHUNK as u64, PLAIN_CHUNK as u64 + 1, 3 * PLAIN_CHUNK as u64, 1 << 20] {
            let k = key(1);
            let sealed = k.seal_all(&data(n as usize));
            assert_eq!(sealed.len() as u64, sealed_len(n), "{n}");
            assert_eq!(plain_len(sealed.len() as u64), Some(n), "{n}");
            assert_eq!(k.open_all(&sealed).unwrap(), data(n as usize));
        }
        assert_eq!(plain_len(5), None);
        assert_eq!(plain_len(STORED_CHUNK as u64 + 3), None);
        assert_eq!(plain_len((STORED_CHUNK + OVERHEAD) as u64), None, "a last chunk of no plaintext after a full one");
    }

    #[test]
    fn convergent_and_keyed() {
        let d = data(200_000);
        assert_eq!(key(1).seal_all(&d), key(1).seal_all(&d), "same key, same bytes: same ciphertext (dedup)");
        assert_ne!(key(1).seal_all(&d), key(2).seal_all(&d));
        let sealed = key(1).seal_all(&d);
        assert!(key(2).open_all(&sealed).is_err(), "another key never opens it");
        // The plaintext appears nowhere in the sealed bytes.
        assert!(!sealed.windows(64).any(|w| d.windows(64).take(1000).any(|p| p == w)));
    }

    #[test]
    fn tampering_reordering_and_truncation_fail() {
        let k = key(3);
        let d = data(3 * PLAIN_CHUNK);
        let sealed = k.seal_all(&d);
        let mut flipped = sealed.clone();
        flipped[STORED_CHUNK + 100] ^= 1;
        assert!(k.open_all(&flipped).is_err());
        // Swap chunks 0 and 1.
        let mut swapped = sealed[STORED_CHUNK..2 * STORED_CHUNK].to_vec();
        swapped.extend_from_slice(&sealed[..STORED_CHUNK]);
        swapped.extend_from_slice(&sealed[2 * STORED_CHUNK..]);
        assert!(k.open_all(&swapped).is_err());
        // Drop the last chunk: the new last one was not sealed as last.
        let truncated = &sealed[..2 * STORED_CHUNK];
        assert!(k.open_all(truncated).is_err());
    }

    #[tokio::test]
    async fn ranges_across_chunk_boundaries() {
        let k = Arc::new(key(4));
        let n = 3 * PLAIN_CHUNK + 777;
        let d = data(n);
        let sealed = k.seal_all(&d);
        let p = PLAIN_CHUNK as u64;
        let cases = [(0, n as u64), (0, 1), (p - 1, 2), (p, p), (p - 10, p + 20), (n as u64 - 1, 1), (5, 0), (2 * p + 3, 900)];
        for (offset, len) in cases {
            for piece in [1000, STORED_CHUNK, 300_000] {
                let got = read(&k, &sealed, n as u64, offset, len, piece).await.unwrap();
                assert_eq!(got, d[offset as usize..(offset + len) as usize], "{offset}+{len} in pieces of {piece}");
            }
        }
        let mut bad = sealed.clone();
        bad[2 * STORED_CHUNK + 40] ^= 0x80;
        assert!(read(&k, &bad, n as u64, 2 * p + 3, 900, 4096).await.is_err());
        assert!(read(&k, &bad, n as u64, 0, 100, 4096).await.is_ok(), "other chunks still open");
    }

    #[tokio::test]
    async fn dual_layer_keys() {
        let outer = [1u8; 32];
        let k = Arc::new(ChunkKey::dual(&outer, &[2u8; 32]));
        let geometry = k.geometry();
        assert_eq!(geometry.plain_chunk(), STORED_CHUNK - 2 * OVERHEAD);
        let n = 3 * geometry.plain_chunk() + 5;
        let d = data(n);
        let sealed = k.seal_all(&d);
        assert_eq!(sealed.len() as u64, geometry.sealed_len(n as u64));
        assert_eq!(geometry.plain_len(sealed.len() as u64), Some(n as u64));
        assert_eq!(k.open_all(&sealed).unwrap(), d);
        let p = geometry.plain_chunk() as u64;
        for (offset, len) in [(0, n as u64), (p - 3, 10), (2 * p, p + 5)] {
            let got = read(&k, &sealed, n as u64, offset, len, 5000).await.unwrap();
            assert_eq!(got, d[offset as usize..(offset + len) as usize]);
        }
        // A single-layer key of either secret opens nothing (the layers' keys are
        // derived apart); nor do the layers swapped.
        assert!(ChunkKey::from_secret(&outer).open_all(&sealed).is_err());
        assert!(ChunkKey::from_secret(&[2u8; 32]).open_all(&sealed).is_err());
        assert!(ChunkKey::dual(&[2u8; 32], &outer).open_all(&sealed).is_err());
        let mut bad = sealed.clone();
        bad[100] ^= 4;
        assert!(k.open_all(&bad).is_err());
    }

    #[test]
    fn streaming_seal_matches_whole() {
        let k = key(5);
        let d = data(5 * PLAIN_CHUNK + 3);
        let mut s = Sealer::default();
        let mut out = Vec::new();
        for piece in d.chunks(7777) {
            s.push(&k, piece, &mut out);
        }
        s.finish(&k, &mut out);
        assert_eq!(out, k.seal_all(&d));
        // Exactly whole chunks: the last full chunk is sealed as last.
        let exact = data(2 * PLAIN_CHUNK);
        let sealed = k.seal_all(&exact);
        assert_eq!(sealed.len(), 2 * STORED_CHUNK);
        assert_eq!(k.open_all(&sealed).unwrap(), exact);
    }
}
