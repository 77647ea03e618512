//! Blob store tests: round trips, dedup, temp cleanup, corruption detection, checksum
//! vectors, a large upload against one-shot hashes.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use md5::Digest as _;
use rand::{RngCore, SeedableRng};

use super::read::READ_CHUNK;
use super::*;

fn store(dir: &Path) -> Blobs {
    Blobs::new(Arc::new(FsBlobStore::open(dir).unwrap()))
}

async fn stage(blobs: &Blobs, data: &[u8], piece: usize, req: HashRequest) -> StagedBlob {
    let mut w = blobs.writer(req);
    for c in data.chunks(piece.max(1)) {
        w.write(Bytes::copy_from_slice(c)).await.unwrap();
    }
    assert_eq!(w.written(), data.len() as u64);
    w.finish().await.unwrap()
}

async fn read_all(blobs: &Blobs, hash: &BlobHash, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut s = std::pin::pin!(blobs.read(hash, offset, len));
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        let chunk = item?;
        assert!(chunk.len() <= READ_CHUNK);
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn random(n: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; n];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut out);
    out
}

fn tmp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tmp")).unwrap().count()
}

/// Waits (up to 10 s) until `tmp/` holds `n` files: the file worker of a large body
/// creates and removes its temp file on its own thread.
async fn await_tmp_files(dir: &Path, n: usize) {
    for _ in 0..1000 {
        if tmp_files(dir) == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(tmp_files(dir), n);
}

fn blob_path(dir: &Path, hash: &BlobHash) -> PathBuf {
    let hex = hash.to_string();
    dir.join("blobs").join(&hex[0..2]).join(&hex[2..4]).join(&hex)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_whole_and_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = random(3 * READ_CHUNK + 17, 1);
    let req = HashRequest { checksums: vec![ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Sha1], sha256: true, ..Default::default() };
    let mut s = stage(&blobs, &data, 100_003, req).await;
    assert_eq!(s.len, data.len() as u64);
    assert_eq!(s.hash, BlobHash::of(&data));
    assert_eq!(s.md5, <[u8; 16]>::from(md5::Md5::digest(&data)));
    assert_eq!(s.checksum(ChecksumAlgorithm::Crc32c), Some(Checksummer::digest(ChecksumAlgorithm::Crc32c, &data).as_slice()));
    assert_eq!(s.checksums[1], (ChecksumAlgorithm::Sha1, Checksummer::digest(ChecksumAlgorithm::Sha1, &data)));
    assert_eq!(s.sha256.unwrap().to_vec(), Checksummer::digest(ChecksumAlgorithm::Sha256, &data));
    assert_eq!(tmp_files(dir.path()), 1);
    assert!(blobs.publish(&mut s).unwrap());
    assert!(!blobs.publish(&mut s).unwrap(), "publishing twice is a no-op");
    blobs.sync().await.unwrap();
    assert_eq!(tmp_files(dir.path()), 0);
    assert!(blobs.exists(&s.hash));
    assert_eq!(blobs.len(&s.hash).unwrap(), data.len() as u64);
    let size = data.len() as u64;
    assert_eq!(read_all(&blobs, &s.hash, 0, size).await.unwrap(), data);
    let chunk = READ_CHUNK as u64;
    for (o, l) in [(chunk - 5, chunk + 10), (0, 1), (size - 1, 1), (chunk, chunk), (7, size - 7), (size, 0), (3, 0)] {
        let (from, to) = (usize::try_from(o).unwrap(), usize::try_from(o + l).unwrap());
        assert_eq!(read_all(&blobs, &s.hash, o, l).await.unwrap(), &data[from..to], "range {o}+{l}");
    }
    let past_end = read_all(&blobs, &s.hash, 0, size + 1).await.unwrap_err();
    assert_eq!(past_end.kind(), io::ErrorKind::UnexpectedEof);
    assert!(read_all(&blobs, &s.hash, u64::MAX, 2).await.is_err());
    assert_eq!(blobs.list().unwrap(), vec![s.hash]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedup_places_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let mut a = stage(&blobs, b"same bytes", 3, HashRequest::default()).await;
    let mut b = stage(&blobs, b"same bytes", 4, HashRequest::default()).await;
    assert_eq!(a.hash, b.hash);
    assert_eq!(tmp_files(dir.path()), 2);
    assert!(blobs.publish(&mut a).unwrap());
    blobs.sync().await.unwrap();
    assert!(!blobs.publish(&mut b).unwrap());
    blobs.sync().await.unwrap();
    assert!(b.is_published());
    assert_eq!(tmp_files(dir.path()), 0);
    assert_eq!(blobs.list().unwrap(), vec![a.hash]);
    assert_eq!(read_all(&blobs, &a.hash, 0, 10).await.unwrap(), b"same bytes");
    blobs.remove(&a.hash).unwrap();
    assert!(!blobs.exists(&a.hash));
    assert_eq!(blobs.remove(&a.hash).unwrap_err().kind(), io::ErrorKind::NotFound);
    assert!(blobs.list().unwrap().is_empty());
    // Removed, the same bytes can be placed again.
    let mut c = stage(&blobs, b"same bytes", 10, HashRequest::default()).await;
    assert!(blobs.publish(&mut c).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_writer_or_staged_removes_temp() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let staged = stage(&blobs, b"other", 1, HashRequest::default()).await;
    assert_eq!(tmp_files(dir.path()), 1);
    drop(staged);
    assert_eq!(tmp_files(dir.path()), 0);
    let mut w = blobs.writer(HashRequest::default());
    w.write(Bytes::from(random(3 << 20, 2))).await.unwrap();
    w.write(Bytes::from_static(b"partial")).await.unwrap();
    await_tmp_files(dir.path(), 1).await;
    drop(w);
    await_tmp_files(dir.path(), 0).await;
    assert!(blobs.list().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_body_touches_the_disk_only_at_finish() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = random((1 << 20) - 1, 5);
    let mut w = blobs.writer(HashRequest { checksums: vec![ChecksumAlgorithm::Crc64Nvme], sha256: true, ..Default::default() });
    for c in data.chunks(64 << 10) {
        w.write(Bytes::copy_from_slice(c)).await.unwrap();
    }
    assert_eq!(tmp_files(dir.path()), 0, "nothing written before finish");
    let mut s = w.finish().await.unwrap();
    assert_eq!(tmp_files(dir.path()), 1);
    assert_eq!((s.len, s.hash), (data.len() as u64, BlobHash::of(&data)));
    assert_eq!(s.md5, <[u8; 16]>::from(md5::Md5::digest(&data)));
    assert_eq!(s.checksums, vec![(ChecksumAlgorithm::Crc64Nvme, Checksummer::digest(ChecksumAlgorithm::Crc64Nvme, &data))]);
    assert_eq!(s.sha256.unwrap().to_vec(), Checksummer::digest(ChecksumAlgorithm::Sha256, &data));
    assert!(blobs.publish(&mut s).unwrap());
    blobs.sync().await.unwrap();
    assert_eq!(read_all(&blobs, &s.hash, 0, s.len).await.unwrap(), data);
    // Abandoned while still small: nothing to clean up.
    let mut w = blobs.writer(HashRequest::default());
    w.write(Bytes::from_static(b"abandoned")).await.unwrap();
    drop(w);
    assert_eq!(tmp_files(dir.path()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_empties_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let mut kept = stage(&blobs, b"kept", 4, HashRequest::default()).await;
    blobs.publish(&mut kept).unwrap();
    std::fs::write(dir.path().join("tmp/leftover"), b"x").unwrap();
    std::fs::create_dir(dir.path().join("tmp/leftover-dir")).unwrap();
    std::fs::write(dir.path().join("tmp/leftover-dir/f"), b"x").unwrap();
    let reopened = store(dir.path());
    assert_eq!(tmp_files(dir.path()), 0);
    assert_eq!(reopened.list().unwrap(), vec![kept.hash]);
    // A stray file in the blob tree is neither listed nor an error.
    std::fs::write(blob_path(dir.path(), &kept.hash).with_file_name("junk"), b"x").unwrap();
    assert_eq!(reopened.list().unwrap(), vec![kept.hash]);
}

/// Every item of a read, in order.
async fn read_items(blobs: &Blobs, hash: &BlobHash, offset: u64, len: u64) -> Vec<io::Result<Bytes>> {
    let mut stream = std::pin::pin!(blobs.read(hash, offset, len));
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    items
}

fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 1;
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_small_blob_sends_no_byte_and_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = random(READ_CHUNK + 1000, 3);
    let mut s = stage(&blobs, &data, 1000, HashRequest::default()).await;
    blobs.publish(&mut s).unwrap();
    let path = blob_path(dir.path(), &s.hash);
    flip(&path, READ_CHUNK + 500);
    // Not one byte, whole or ranged: the only item is the error.
    for (offset, len) in [(0, data.len() as u64), (0, 10)] {
        let items = read_items(&blobs, &s.hash, offset, len).await;
        assert_eq!(items.len(), 1, "{offset}+{len}");
        let e = items.into_iter().next().unwrap().unwrap_err();
        assert!(matches!(e.kind(), io::ErrorKind::InvalidData | io::ErrorKind::NotFound), "{e}");
    }
    assert_eq!(blobs.health().damaged.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert!(!path.exists(), "moved to quarantine");
    assert_eq!(std::fs::read_dir(dir.path().join("quarantine")).unwrap().count(), 1);
    // A PUT of the same bytes is not deduplicated against the damage: it repairs.
    let mut again = stage(&blobs, &data, 4096, HashRequest::default()).await;
    assert!(blobs.publish(&mut again).unwrap());
    blobs.sync().await.unwrap();
    assert_eq!(read_all(&blobs, &s.hash, 0, data.len() as u64).await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_block_is_never_sent_and_ranges_elsewhere_are_verified() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let block = usize::try_from(BLOCK).unwrap();
    let data = random(3 * block + block / 2, 4);
    let mut s = stage(&blobs, &data, 300_000, HashRequest::default()).await;
    assert_eq!(s.blocks.len(), 4);
    blobs.publish(&mut s).unwrap();
    blobs.sync().await.unwrap();
    let path = blob_path(dir.path(), &s.hash);
    // A lost block list is rebuilt (verifying the blob) at the first ranged read.
    std::fs::remove_file(path.with_extension("blocks")).unwrap();
    assert_eq!(read_all(&blobs, &s.hash, 5, 100).await.unwrap(), &data[5..105]);
    assert!(path.with_extension("blocks").exists());
    flip(&path, 2 * block + 77);
    // Ranges in good blocks still read, each verified.
    assert_eq!(read_all(&blobs, &s.hash, 10, 1000).await.unwrap(), &data[10..1010]);
    let tail = (3 * block + 5) as u64;
    assert_eq!(read_all(&blobs, &s.hash, tail, 100).await.unwrap(), &data[3 * block + 5..3 * block + 105]);
    // A whole read sends blocks 0 and 1, then fails instead of sending block 2.
    let items = read_items(&blobs, &s.hash, 0, data.len() as u64).await;
    let (last, sent) = items.split_last().unwrap();
    assert_eq!(last.as_ref().unwrap_err().kind(), io::ErrorKind::InvalidData);
    let sent: Vec<u8> = sent.iter().flat_map(|b| b.as_ref().unwrap().to_vec()).collect();
    assert_eq!(sent, &data[..2 * block]);
    assert!(!path.exists(), "moved to quarantine");
    assert_eq!(blobs.verify(&s.hash).unwrap(), Verified::Missing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_damage_a_read_would_find() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    for (seed, len) in [(5, 100), (6, 2 * usize::try_from(BLOCK).unwrap() + 1)] {
        let data = random(len, seed);
        let mut s = stage(&blobs, &data, 65_536, HashRequest::default()).await;
        blobs.publish(&mut s).unwrap();
        assert_eq!(blobs.verify(&s.hash).unwrap(), Verified::Good);
        flip(&blob_path(dir.path(), &s.hash), len - 1);
        assert_eq!(blobs.verify(&s.hash).unwrap(), Verified::Damaged);
        assert_eq!(blobs.verify(&s.hash).unwrap(), Verified::Missing);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_blob_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let hash = BlobHash::of(b"never stored");
    assert_eq!(read_all(&blobs, &hash, 0, 1).await.unwrap_err().kind(), io::ErrorKind::NotFound);
    assert_eq!(blobs.len(&hash).unwrap_err().kind(), io::ErrorKind::NotFound);
    assert!(!blobs.exists(&hash));
    // A read stream does nothing until polled, and may be dropped unpolled.
    drop(blobs.read(&hash, 0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_blob() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let mut s = stage(&blobs, b"", 1, HashRequest { checksums: vec![ChecksumAlgorithm::Crc32], sha256: false, ..Default::default() }).await;
    assert_eq!(hex::encode(s.md5), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(s.len, 0);
    assert_eq!(s.hash, BlobHash::of(b""));
    assert_eq!(s.checksums, vec![(ChecksumAlgorithm::Crc32, vec![0; 4])]);
    assert!(blobs.publish(&mut s).unwrap());
    blobs.sync().await.unwrap();
    assert!(read_all(&blobs, &s.hash, 0, 0).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_upload_in_odd_chunks_matches_one_shot_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = Bytes::from(random(20 << 20, 4));
    let all: Vec<_> = ChecksumAlgorithm::ALL.to_vec();
    let mut w = blobs.writer(HashRequest { checksums: all.clone(), sha256: true, ..Default::default() });
    // Odd sizes: tiny, below and above the pass-through size, above a batch.
    let sizes = [1usize, 7, 4093, 65_537, 700_001, 1_500_007, 3];
    let (mut at, mut i) = (0, 0);
    while at < data.len() {
        let n = sizes[i % sizes.len()].min(data.len() - at);
        w.write(data.slice(at..at + n)).await.unwrap();
        (at, i) = (at + n, i + 1);
    }
    let mut s = w.finish().await.unwrap();
    assert_eq!(s.len, data.len() as u64);
    assert_eq!(s.hash, BlobHash::of(&data));
    assert_eq!(s.md5, <[u8; 16]>::from(md5::Md5::digest(&data)));
    for (alg, (got_alg, got)) in all.iter().zip(&s.checksums) {
        assert_eq!((alg, got), (got_alg, &Checksummer::digest(*alg, &data)), "{alg}");
    }
    assert!(blobs.publish(&mut s).unwrap());
    blobs.sync().await.unwrap();
    assert_eq!(read_all(&blobs, &s.hash, 0, s.len).await.unwrap(), data);
}

#[test]
fn checksum_vectors() {
    let hex_of = |alg, data: &[u8]| hex::encode(Checksummer::digest(alg, data));
    assert_eq!(hex_of(ChecksumAlgorithm::Crc32, b"123456789"), "cbf43926");
    assert_eq!(hex_of(ChecksumAlgorithm::Crc32c, b"123456789"), "e3069283");
    assert_eq!(hex_of(ChecksumAlgorithm::Crc64Nvme, b"123456789"), "ae8b14860a799888");
    assert_eq!(hex_of(ChecksumAlgorithm::Sha1, b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(hex_of(ChecksumAlgorithm::Sha256, b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Incremental equals one-shot.
    let mut c = Checksummer::new(ChecksumAlgorithm::Crc64Nvme);
    c.update(b"1234");
    c.update(b"56789");
    assert_eq!(hex::encode(c.finish()), "ae8b14860a799888");
    for alg in ChecksumAlgorithm::ALL {
        assert_eq!(Checksummer::digest(alg, b"").len(), alg.digest_len());
    }
}

#[test]
fn checksum_names_and_base64() {
    assert_eq!(checksum_to_base64(&hex::decode("cbf43926").unwrap()), "y/Q5Jg==");
    assert_eq!(checksum_from_base64(ChecksumAlgorithm::Crc32, "y/Q5Jg=="), Some(hex::decode("cbf43926").unwrap()));
    assert_eq!(checksum_from_base64(ChecksumAlgorithm::Crc32, "AAAAAAAA"), None, "6 bytes is not a CRC32");
    assert_eq!(checksum_from_base64(ChecksumAlgorithm::Crc32c, "not base64!"), None);
    for alg in ChecksumAlgorithm::ALL {
        assert_eq!(ChecksumAlgorithm::from_s3_name(alg.s3_name()), Some(alg));
        assert_eq!(ChecksumAlgorithm::from_s3_name(&alg.s3_name().to_lowercase()), Some(alg));
        assert_eq!(alg.header_name(), format!("x-amz-checksum-{}", alg.s3_name().to_lowercase()));
    }
    assert_eq!(ChecksumAlgorithm::from_s3_name("MD5"), None);
}

#[test]
fn blob_hash_text_forms() {
    let h = BlobHash::of(b"abc");
    let hex = h.to_string();
    assert_eq!(hex.len(), 64);
    assert_eq!(format!("{h:?}"), hex);
    assert_eq!(hex.parse::<BlobHash>(), Ok(h));
    assert_eq!(BlobHash::from_hex(&hex.to_uppercase()), Some(h));
    assert_eq!("abc".parse::<BlobHash>(), Err(ParseBlobHashError));
    assert_eq!(BlobHash::from_hex(&format!("{hex}00")), None);
}

/// Reads of many blocks give the same bytes whether the read-ahead budget has room
/// (the next block read while the current one is sent) or is spent (read on demand),
/// and a read gives its budget back when it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_ahead_budget_spent_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = random(5 * (1 << 20) + 333, 9);
    let mut staged = stage(&blobs, &data, 1 << 16, HashRequest::default()).await;
    let hash = staged.hash;
    blobs.publish(&mut staged).unwrap();
    blobs.sync().await.unwrap();
    assert_eq!(read_all(&blobs, &hash, 0, data.len() as u64).await.unwrap(), data);
    assert_eq!(blobs.read_ahead.0.available_permits(), super::read::READ_AHEAD_BUDGET);
    let held = Arc::clone(&blobs.read_ahead.0).acquire_many_owned(u32::try_from(super::read::READ_AHEAD_BUDGET).unwrap()).await.unwrap();
    let (from, to) = ((1 << 20) - 5, 4 * (1 << 20) + 7);
    assert_eq!(read_all(&blobs, &hash, from as u64, (to - from) as u64).await.unwrap(), &data[from..to]);
    drop(held);
}
