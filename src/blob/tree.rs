//! Per-block verification: a blob's address is the BLAKE3 root of its bytes, and BLAKE3
//! is a tree, so the root can be rebuilt from the chaining values of aligned 1 MiB
//! subtrees ([`BLOCK`]). Those chaining values, kept beside a blob larger than one block,
//! let any range be verified by reading only the blocks it touches (at most 2 MiB more
//! than asked for), before a byte of it is sent.
//!
//! The block list is authenticated by the address itself: [`root_of`] merges it back
//! into the root, so a damaged or stale block list is detected (and rebuilt from the
//! blob) and never vouches for wrong bytes. That is why it needs no fsync of its own.
//!
//! Computing the block list costs nothing extra: the writer hashes each block with its
//! tree offset instead of hashing the whole body once, and merges the blocks into the
//! same root hash (`blake3::hazmat`).
//!
//! Pure computation: no IO.

use blake3::hazmat::{left_subtree_len, merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt as _, Mode};

use super::BlobHash;

/// The verification unit: 1 MiB, a power-of-two number of BLAKE3 chunks, so every
/// block is a whole subtree of BLAKE3's tree.
pub const BLOCK: u64 = 1 << 20;

/// BLAKE3 of a blob, block by block.
pub struct TreeHasher {
    /// Bytes fed so far.
    len: u64,
    /// The block being hashed (at tree offset `cvs.len() × BLOCK`).
    current: blake3::Hasher,
    /// Bytes fed into `current`.
    in_current: u64,
    /// Chaining values of the full blocks so far.
    cvs: Vec<ChainingValue>,
}

impl Default for TreeHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl TreeHasher {
    /// A hasher at offset 0.
    pub fn new() -> Self {
        Self { len: 0, current: blake3::Hasher::new(), in_current: 0, cvs: Vec::new() }
    }

    /// Feeds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.in_current == BLOCK {
                // A block is closed only when more bytes follow: the last block, even a
                // full one, must stay open, since a one-block blob's root is finalized
                // differently from a subtree.
                self.cvs.push(self.current.finalize_non_root());
                self.current = blake3::Hasher::new();
                self.current.set_input_offset(self.cvs.len() as u64 * BLOCK);
                self.in_current = 0;
            }
            let room = usize::try_from(BLOCK - self.in_current).unwrap_or(usize::MAX);
            let (now, rest) = data.split_at(room.min(data.len()));
            self.current.update(now);
            self.in_current += now.len() as u64;
            self.len += now.len() as u64;
            data = rest;
        }
    }

    /// The address and, for a blob larger than one block, its block list (empty for one
    /// block or less: the address itself verifies it).
    pub fn finalize(mut self) -> (BlobHash, Vec<ChainingValue>) {
        if self.cvs.is_empty() {
            return (BlobHash(*self.current.finalize().as_bytes()), Vec::new());
        }
        self.cvs.push(self.current.finalize_non_root());
        let root = root_of(&self.cvs, self.len).expect("block count matches length");
        (root, self.cvs)
    }
}

/// Number of blocks of a blob of `len` bytes (at least 1).
pub fn block_count(len: u64) -> u64 {
    len.div_ceil(BLOCK).max(1)
}

/// The root hash of a blob of `len` bytes (more than one block) from its block list;
/// `None` if the list has the wrong number of blocks.
pub fn root_of(cvs: &[ChainingValue], len: u64) -> Option<BlobHash> {
    if len <= BLOCK || cvs.len() as u64 != block_count(len) {
        return None;
    }
    let left = left_subtree_len(len);
    let l = subtree(cvs, 0, left);
    let r = subtree(cvs, left, len - left);
    Some(BlobHash(*merge_subtrees_root(&l, &r, Mode::Hash).as_bytes()))
}

/// The chaining value of the subtree of `len` bytes at byte `start` (block-aligned).
fn subtree(cvs: &[ChainingValue], start: u64, len: u64) -> ChainingValue {
    if len <= BLOCK {
        return cvs[usize::try_from(start / BLOCK).unwrap_or(usize::MAX)];
    }
    let left = left_subtree_len(len);
    merge_subtrees_non_root(&subtree(cvs, start, left), &subtree(cvs, start + left, len - left), Mode::Hash)
}

/// The chaining value of block `index` of a multi-block blob, whose bytes are `data`.
pub fn block_cv(index: u64, data: &[u8]) -> ChainingValue {
    let mut h = blake3::Hasher::new();
    h.set_input_offset(index * BLOCK);
    h.update(data);
    h.finalize_non_root()
}

/// Encodes a block list (32 bytes per block).
pub fn encode(cvs: &[ChainingValue]) -> Vec<u8> {
    cvs.concat()
}

/// Decodes a block list and checks it against the blob's address and length; `None`
/// if it is damaged, stale or of another blob.
pub fn decode_verified(raw: &[u8], hash: &BlobHash, len: u64) -> Option<Vec<ChainingValue>> {
    if raw.len() % 32 != 0 {
        return None;
    }
    let cvs: Vec<ChainingValue> = raw.chunks_exact(32).map(|c| c.try_into().expect("32 bytes")).collect();
    (root_of(&cvs, len)? == *hash).then_some(cvs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| u8::try_from(i * 31 % 251).unwrap()).collect()
    }

    #[test]
    fn the_tree_root_is_blake3_at_every_boundary() {
        let b = usize::try_from(BLOCK).unwrap();
        for len in [0, 1, 1024, b - 1, b, b + 1, 2 * b, 2 * b + 7, 3 * b, 5 * b - 1, 8 * b + 1] {
            let input = data(len);
            // Fed in odd pieces, so block edges fall inside updates.
            let mut h = TreeHasher::new();
            for piece in input.chunks(333_333) {
                h.update(piece);
            }
            let (root, cvs) = h.finalize();
            assert_eq!(root.0, *blake3::hash(&input).as_bytes(), "len {len}");
            assert_eq!(cvs.len() as u64, if len as u64 > BLOCK { block_count(len as u64) } else { 0 }, "len {len}");
            if !cvs.is_empty() {
                assert_eq!(decode_verified(&encode(&cvs), &root, len as u64), Some(cvs.clone()));
                for (i, block) in input.chunks(b).enumerate() {
                    assert_eq!(block_cv(i as u64, block), cvs[i], "len {len} block {i}");
                }
            }
        }
    }

    #[test]
    fn a_damaged_or_foreign_block_list_is_refused() {
        let input = data(3 * usize::try_from(BLOCK).unwrap() + 5);
        let mut h = TreeHasher::new();
        h.update(&input);
        let (root, cvs) = h.finalize();
        let mut raw = encode(&cvs);
        raw[40] ^= 1;
        assert_eq!(decode_verified(&raw, &root, input.len() as u64), None);
        // The length only shapes the tree (a wrong one within the same block count is
        // caught when the last block's bytes are checked against its chaining value).
        assert_eq!(decode_verified(&encode(&cvs), &root, input.len() as u64 + BLOCK), None, "wrong length");
        assert_eq!(decode_verified(&encode(&cvs[..3]), &root, input.len() as u64), None, "missing block");
        assert_eq!(decode_verified(&raw[..31], &root, input.len() as u64), None);
    }
}
