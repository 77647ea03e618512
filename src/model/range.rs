//! Byte ranges: parsing the `Range` header (RFC 9110, one range, as S3 supports) and
//! mapping a range onto a manifest.

use super::object::ManifestEntry;

/// An absolute, inclusive byte range within an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes covered.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// The bytes of `data` this range covers (clamped to `data`; ranges are resolved
    /// against the object's size, which is the length of bytes held in memory).
    pub fn slice(&self, data: &bytes::Bytes) -> bytes::Bytes {
        let at = |offset: u64| usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        data.slice(at(self.start)..at(self.end.saturating_add(1)))
    }

    /// Never true; ranges hold at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What a `Range` header means for an object of a given size.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Serve these bytes with 206.
    Partial(ByteRange),
    /// Serve the whole object with 200 (the header was not a byte range S3 honours).
    Whole,
    /// 416 InvalidRange.
    Unsatisfiable,
}

/// Resolves a `Range` header value against an object of `size` bytes.
/// Syntactically invalid or multi-range headers are ignored (whole object), as S3 does.
pub fn resolve(header: &str, size: u64) -> RangeOutcome {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeOutcome::Whole;
    };
    if spec.contains(',') {
        return RangeOutcome::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeOutcome::Whole;
    };
    let parse = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.trim().is_empty(), parse(first), parse(last)) {
        // bytes=-n : the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                RangeOutcome::Unsatisfiable
            } else {
                RangeOutcome::Partial(ByteRange { start: size.saturating_sub(n), end: size - 1 })
            }
        }
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if start >= size {
                return RangeOutcome::Unsatisfiable;
            }
            let end = end.map_or(size - 1, |e| e.min(size - 1));
            if end < start {
                return RangeOutcome::Whole;
            }
            RangeOutcome::Partial(ByteRange { start, end })
        }
        _ => RangeOutcome::Whole,
    }
}

/// The manifest pieces covering `range`, each clipped to it.
pub fn slice_manifest(manifest: &[ManifestEntry], range: ByteRange) -> Vec<ManifestEntry> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    for entry in manifest {
        let (piece_start, piece_end) = (pos, pos + entry.len);
        pos = piece_end;
        if piece_end <= range.start || piece_start > range.end || entry.len == 0 {
            continue;
        }
        let from = range.start.max(piece_start);
        let to = (range.end + 1).min(piece_end);
        out.push(ManifestEntry { hash: entry.hash, offset: entry.offset + (from - piece_start), len: to - from });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::BlobHash;

    #[test]
    fn slices_bytes_in_memory_and_clamps() {
        let data = bytes::Bytes::from_static(b"0123456789");
        assert_eq!(ByteRange { start: 2, end: 4 }.slice(&data), &b"234"[..]);
        assert_eq!(ByteRange { start: 8, end: u64::MAX }.slice(&data), &b"89"[..]);
        assert_eq!(ByteRange { start: 20, end: 30 }.slice(&data), &b""[..]);
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(resolve("bytes=0-9", 100), RangeOutcome::Partial(ByteRange { start: 0, end: 9 }));
        assert_eq!(resolve("bytes=90-", 100), RangeOutcome::Partial(ByteRange { start: 90, end: 99 }));
        assert_eq!(resolve("bytes=-10", 100), RangeOutcome::Partial(ByteRange { start: 90, end: 99 }));
        assert_eq!(resolve("bytes=-200", 100), RangeOutcome::Partial(ByteRange { start: 0, end: 99 }));
        assert_eq!(resolve("bytes=50-500", 100), RangeOutcome::Partial(ByteRange { start: 50, end: 99 }));
        assert_eq!(resolve("bytes=100-", 100), RangeOutcome::Unsatisfiable);
        assert_eq!(resolve("bytes=0-0", 0), RangeOutcome::Unsatisfiable);
        assert_eq!(resolve("bytes=-0", 10), RangeOutcome::Unsatisfiable);
        assert_eq!(resolve("bytes=5-1", 10), RangeOutcome::Whole);
        assert_eq!(resolve("items=0-1", 10), RangeOutcome::Whole);
        assert_eq!(resolve("bytes=0-1,3-4", 10), RangeOutcome::Whole);
        assert_eq!(resolve("bytes=x-1", 10), RangeOutcome::Whole);
    }

    #[test]
    fn slices_across_pieces() {
        let h = BlobHash([1; 32]);
        let m = vec![ManifestEntry { hash: h, offset: 0, len: 10 }, ManifestEntry { hash: h, offset: 100, len: 10 }];
        let s = slice_manifest(&m, ByteRange { start: 5, end: 14 });
        assert_eq!(s, vec![ManifestEntry { hash: h, offset: 5, len: 5 }, ManifestEntry { hash: h, offset: 100, len: 5 }]);
        assert_eq!(slice_manifest(&m, ByteRange { start: 10, end: 10 }), vec![ManifestEntry { hash: h, offset: 100, len: 1 }]);
    }
}
