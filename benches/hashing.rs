//! Hashing and blob-writer throughput: the write pipeline end to end (64 MiB pushed in
//! 1 MiB chunks to a temp directory, fsync included), each hash alone, per byte, and
//! memcpy (the physical reference).
//!
//! `cargo bench --bench hashing`. The pipeline should run near MD5 alone (the slowest
//! hasher, on its own thread beside the file write), not at the sum of all costs.

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use coffer::blob::{Blobs, ChecksumAlgorithm, Checksummer, FsBlobStore, HashRequest};
use coffer::crypto::ChunkKey;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use md5::Digest as _;
use rand::RngCore;

/// Bytes per pipeline iteration.
const OBJECT: usize = 64 << 20;
/// Chunk size the pipeline is fed in (what a body stream typically yields, coalesced).
const CHUNK: usize = 1 << 20;
/// Input size for the single-hash benches.
const INPUT: usize = 16 << 20;

fn random(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut out);
    out
}

fn writer_pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blobs = Blobs::new(Arc::new(FsBlobStore::open(dir.path()).unwrap()));
    let data = Bytes::from(random(OBJECT));
    let mut group = c.benchmark_group("writer");
    group.throughput(Throughput::Bytes(OBJECT as u64)).sample_size(10);
    let requests = [
        ("md5", HashRequest::default()),
        ("md5+crc32c", HashRequest { checksums: vec![ChecksumAlgorithm::Crc32c], sha256: false, ..Default::default() }),
        ("md5+sha256", HashRequest { checksums: vec![], sha256: true, ..Default::default() }),
        // SSE: sealed before the file (the file worker's extra cost).
        (
            "md5+crc64nvme+sealed",
            HashRequest {
                checksums: vec![ChecksumAlgorithm::Crc64Nvme],
                seal: Some(Arc::new(ChunkKey::from_secret(&[7; 32]))),
                ..Default::default()
            },
        ),
        ("md5+crc64nvme", HashRequest { checksums: vec![ChecksumAlgorithm::Crc64Nvme], ..Default::default() }),
    ];
    for (name, req) in requests {
        group.bench_with_input(BenchmarkId::new("64MiB_in_1MiB_chunks", name), &req, |b, req| {
            b.iter(|| {
                rt.block_on(async {
                    let mut w = blobs.writer(req.clone());
                    for at in (0..OBJECT).step_by(CHUNK) {
                        w.write(data.slice(at..at + CHUNK)).await.unwrap();
                    }
                    // Dropping the staged blob removes its temp file.
                    black_box(w.finish().await.unwrap().hash)
                })
            });
        });
    }
    group.finish();
}

fn single_hashes(c: &mut Criterion) {
    let data = random(INPUT);
    let mut group = c.benchmark_group("hash");
    group.throughput(Throughput::Bytes(INPUT as u64));
    group.bench_function("md5", |b| b.iter(|| black_box(md5::Md5::digest(black_box(&data)))));
    group.bench_function("blake3", |b| b.iter(|| black_box(blake3::hash(black_box(&data)))));
    // Sealing alone (synthetic nonce + AES-256-GCM), and opening.
    let key = ChunkKey::from_secret(&[7; 32]);
    group.bench_function("seal", |b| b.iter(|| black_box(key.seal_all(black_box(&data)))));
    let sealed = key.seal_all(&data);
    group.bench_function("open", |b| b.iter(|| black_box(key.open_all(black_box(&sealed)).unwrap())));
    for alg in [ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme, ChecksumAlgorithm::Sha256] {
        group.bench_function(alg.s3_name().to_lowercase(), |b| b.iter(|| black_box(Checksummer::digest(alg, black_box(&data)))));
    }
    group.finish();
}

/// The memcpy rate, the physical reference for copies on the request path.
fn memcpy(c: &mut Criterion) {
    let data = random(INPUT);
    let mut target = vec![0u8; INPUT];
    let mut group = c.benchmark_group("memcpy");
    group.throughput(Throughput::Bytes(INPUT as u64));
    group.bench_function("16MiB", |b| {
        b.iter(|| {
            target.copy_from_slice(black_box(&data));
            black_box(&target);
        });
    });
    group.finish();
}

criterion_group!(benches, writer_pipeline, single_hashes, memcpy);
criterion_main!(benches);
