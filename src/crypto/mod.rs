//! Encryption of object bytes at rest (server-side encryption): the sealed chunk format
//! of encrypted blobs ([`chunks`]) and the keys that seal them.
//!
//! Must not import: hyper, http, `s3`, `store`, `meta` or `model`; it is a bottom layer
//! beside `blob`, which calls it on the write and read paths (it uses only the sealing
//! primitives of `iam::secrets`). It knows no S3 header names and no key management:
//! callers hand it a [`ChunkKey`]; [`customer`] protects SSE-C data keys.
//!
//! # The format, in one paragraph
//!
//! A sealed blob is a sequence of chunks of [`chunks::STORED_CHUNK`] bytes (the last
//! one shorter), each `nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16)` of up to
//! [`chunks::PLAIN_CHUNK`] plaintext bytes. The associated data binds each chunk to its
//! index and to whether it is the last one (the STREAM construction), so chunks cannot
//! be reordered, dropped, duplicated or the blob truncated without the open failing.
//! The nonce is synthetic: a keyed BLAKE3 of (index, last flag, plaintext) under a key
//! derived from the same secret. Identical plaintext under the same key therefore gives
//! identical ciphertext, and so the same content address: encryption keeps dedup. A
//! nonce repeats only for identical input, where it reveals only that equality (which
//! dedup reveals anyway), never the keystream. Without the key, the ciphertext says
//! nothing about the plaintext, not even whether a known file is stored.
//!
//! The blob's address is the BLAKE3 of its ciphertext, so the blob layer's verified
//! reads still catch damage before decryption; the tags catch anything else (a blob
//! read with the wrong key fails, never returns wrong bytes).

pub mod chunks;
pub mod customer;

pub use chunks::{ChunkKey, Sealer};
