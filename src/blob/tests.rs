//! Blob store tests: round trips, dedup, temp cleanup, corruption detection, checksum
//! vectors.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;

use super::*;

fn store(dir: &Path) -> Blobs {
    Blobs::new(Arc::new(FsBlobStore::open(dir).unwrap()))
}

async fn stage(blobs: &Blobs, data: &[u8], piece: usize, req: HashRequest) -> StagedBlob {
    let mut w = blobs.writer(req).await.unwrap();
    for c in data.chunks(piece.max(1)) {
        w.write(Bytes::copy_from_slice(c)).await.unwrap();
    }
    w.finish().await.unwrap()
}

async fn read_all(blobs: &Blobs, hash: &BlobHash, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut s = Box::pin(blobs.read(hash, offset, len));
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.extend_from_slice(&item?);
    }
    Ok(out)
}

fn pseudo_random(n: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_be_bytes()[3]
        })
        .collect()
}

fn tmp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tmp")).unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_ranges_and_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = pseudo_random(3 * READ_CHUNK + 17);
    let mut s = stage(&blobs, &data, 100_003, HashRequest { checksums: vec![ChecksumAlgorithm::Crc32c], sha256: true }).await;
    assert_eq!(s.len, data.len() as u64);
    assert_eq!(s.hash.0, *blake3::hash(&data).as_bytes());
    let mut md5 = Md5Check::default();
    md5.0.extend_from_slice(&data);
    assert_eq!(hex::encode(s.md5), md5.hex());
    assert!(blobs.publish(&mut s).unwrap());
    blobs.sync_address(&s.hash).await.unwrap();
    assert_eq!(tmp_files(dir.path()), 0);
    assert_eq!(read_all(&blobs, &s.hash, 0, data.len() as u64).await.unwrap(), data);
    let (o, l) = (READ_CHUNK as u64 - 5, READ_CHUNK as u64 + 10);
    let (from, to) = (usize::try_from(o).unwrap(), usize::try_from(o + l).unwrap());
    assert_eq!(read_all(&blobs, &s.hash, o, l).await.unwrap(), &data[from..to]);
    assert!(read_all(&blobs, &s.hash, 0, data.len() as u64 + 1).await.is_err());
    assert_eq!(blobs.list().unwrap(), vec![s.hash]);
}

#[derive(Default)]
struct Md5Check(Vec<u8>);
impl Md5Check {
    fn hex(&self) -> String {
        use md5::Digest;
        hex::encode(md5::Md5::digest(&self.0))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedup_and_temp_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let mut a = stage(&blobs, b"same bytes", 3, HashRequest::default()).await;
    let mut b = stage(&blobs, b"same bytes", 4, HashRequest::default()).await;
    assert_eq!(a.hash, b.hash);
    assert!(blobs.publish(&mut a).unwrap());
    assert!(!blobs.publish(&mut b).unwrap());
    assert_eq!(tmp_files(dir.path()), 0);
    // Dropping an unpublished staged blob or an unfinished writer leaves no temp file.
    let c = stage(&blobs, b"other", 1, HashRequest::default()).await;
    assert_eq!(tmp_files(dir.path()), 1);
    drop(c);
    let mut w = blobs.writer(HashRequest::default()).await.unwrap();
    w.write(Bytes::from_static(b"partial")).await.unwrap();
    drop(w);
    assert_eq!(tmp_files(dir.path()), 0);
    // Leftovers from a crash are removed at open.
    std::fs::write(dir.path().join("tmp/leftover"), b"x").unwrap();
    let _ = store(dir.path());
    assert_eq!(tmp_files(dir.path()), 0);
    blobs.remove(&a.hash).unwrap();
    assert!(!blobs.exists(&a.hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corruption_is_an_error_on_whole_reads() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let data = pseudo_random(1000);
    let mut s = stage(&blobs, &data, 1000, HashRequest::default()).await;
    blobs.publish(&mut s).unwrap();
    let hex = s.hash.to_string();
    let path = dir.path().join("blobs").join(&hex[0..2]).join(&hex[2..4]).join(&hex);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[500] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let e = read_all(&blobs, &s.hash, 0, 1000).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert_eq!(read_all(&blobs, &s.hash, 0, 10).await.unwrap(), &data[..10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_blob() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = store(dir.path());
    let mut s = stage(&blobs, b"", 1, HashRequest::default()).await;
    assert_eq!(hex::encode(s.md5), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(s.len, 0);
    blobs.publish(&mut s).unwrap();
    assert!(read_all(&blobs, &s.hash, 0, 0).await.unwrap().is_empty());
}

#[test]
fn checksum_vectors() {
    let sum = |alg, data: &[u8]| {
        let mut c = Checksummer::new(alg);
        c.update(data);
        hex::encode(c.finish())
    };
    assert_eq!(sum(ChecksumAlgorithm::Crc32, b"123456789"), "cbf43926");
    assert_eq!(sum(ChecksumAlgorithm::Crc32c, b"123456789"), "e3069283");
    assert_eq!(sum(ChecksumAlgorithm::Crc64Nvme, b"123456789"), "ae8b14860a799888");
    assert_eq!(sum(ChecksumAlgorithm::Sha1, b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(sum(ChecksumAlgorithm::Sha256, b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(checksum_from_base64(ChecksumAlgorithm::Crc32, "AAAAAA=="), Some(vec![0; 4]));
    assert_eq!(checksum_from_base64(ChecksumAlgorithm::Crc32, "AAAAAAAA"), None);
    assert_eq!(ChecksumAlgorithm::from_s3_name("crc64nvme"), Some(ChecksumAlgorithm::Crc64Nvme));
}
