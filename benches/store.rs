//! Metadata costs: a 1000-key listing page out of a bucket of 100,000 keys, and the
//! commit of an object version (what every PUT pays after its bytes are on disk).
//!
//! `cargo bench --bench store`. Both run over sled (`Store::open`, what the server
//! uses) and over the in-memory `MetaStore` (the CPU cost alone, no disk).
//!
//! - `list_page/*`: `Store::scan_current` of 1001 records (a page plus the look-ahead
//!   ListObjectsV2 makes), decoding each version. The bucket is loaded through
//!   `MetaStore` batches with the same key and record encodings `Store::put_object`
//!   writes (loading 100k keys through the commit path would take minutes of fsyncs).
//! - `commit/*`: `Store::put_object` with an empty manifest (no blob), from one writer
//!   (latency: one sled flush per commit) and from 64 concurrent writers (throughput:
//!   group commit shares flushes). This machine does about 600 fsyncs per second, so
//!   one writer on sled cannot beat ~1.7 ms; 64 writers should reach many thousands.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer::blob::{BlobHash, Blobs, FsBlobStore};
use coffer::meta::{keys, Batch, MemoryStore, MetaStore, SledStore};
use coffer::model::event::Cause;
use coffer::model::{stored, BucketRecord, ContentHeaders, ManifestEntry, ObjectVersion, Versioning};
use coffer::store::Store;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BUCKET: &str = "bench";
/// Keys in the listing bucket.
const KEYS: u64 = 100_000;
/// Keys per listing page (S3's maximum), plus the one ListObjectsV2 reads ahead.
const PAGE: usize = 1001;
/// Concurrent writers of the group-commit bench.
const WRITERS: u64 = 64;
/// Keys per load batch.
const LOAD_BATCH: u64 = 1000;

fn bucket_record() -> BucketRecord {
    BucketRecord { created_ms: 0, region: "us-east-1".into(), versioning: Versioning::Unversioned, owner: "bench".into() }
}

/// A version as a single 4 KiB PUT stores it.
fn version(i: u64, manifest: bool) -> ObjectVersion {
    ObjectVersion {
        version_id: "null".into(),
        seq: i + 1,
        delete_marker: false,
        size: 4096,
        etag: format!("{:032x}", u128::from(i) * 0x9e37_79b9_7f4a_7c15),
        last_modified_ms: 1_790_000_000_000 + i64::try_from(i).unwrap(),
        headers: ContentHeaders { content_type: Some("application/octet-stream".into()), ..ContentHeaders::default() },
        user_metadata: vec![],
        checksums: vec![],
        storage_class: "STANDARD".into(),
        tags: vec![],
        part_sizes: vec![],
        composite_checksum: false,
        part_checksums: vec![],
        manifest: if manifest { vec![ManifestEntry { hash: BlobHash::of(&i.to_le_bytes()), offset: 0, len: 4096 }] } else { vec![] },
        acl: None,
        encryption: None,
        retention: None,
        legal_hold: false,
        website_redirect: None,
    }
}

/// Object key `i`: a realistic shape, fixed width so key order is index order.
fn key(i: u64) -> String {
    format!("photos/2026/{:03}/img_{i:08}.jpg", i / 1000)
}

/// Writes the bucket and `KEYS` current versions (and their version records).
fn load(meta: &dyn MetaStore) {
    let mut batch = Batch::new();
    batch.put(keys::bucket(BUCKET), stored::encode_bucket(&bucket_record()));
    meta.apply(&batch).unwrap();
    for start in (0..KEYS).step_by(usize::try_from(LOAD_BATCH).unwrap()) {
        let mut batch = Batch::new();
        for i in start..(start + LOAD_BATCH).min(KEYS) {
            let v = version(i, true);
            let encoded = stored::encode_version(&v);
            batch.put(keys::version(BUCKET, &key(i), v.seq), encoded.clone());
            batch.put(keys::current(BUCKET, &key(i)), encoded);
        }
        meta.apply(&batch).unwrap();
    }
    batch = Batch::new();
    batch.put(keys::counter("seq"), KEYS.to_be_bytes().to_vec());
    meta.apply(&batch).unwrap();
    meta.flush().unwrap();
}

fn store_over(meta: Arc<dyn MetaStore>, dir: &Path) -> Store {
    Store::with_parts(meta, Blobs::new(Arc::new(FsBlobStore::open(dir).unwrap()))).unwrap()
}

fn list_page(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let memory: Arc<dyn MetaStore> = Arc::new(MemoryStore::new());
    let sled: Arc<dyn MetaStore> = Arc::new(SledStore::open(&dir.path().join("meta"), 64 << 20).unwrap());
    let mut group = c.benchmark_group("list_page_1000_of_100k");
    group.throughput(Throughput::Elements(PAGE as u64));
    for (name, meta) in [("memory", memory), ("sled", sled)] {
        let began = Instant::now();
        load(meta.as_ref());
        eprintln!("loaded {KEYS} keys into {name} in {:.1} s", began.elapsed().as_secs_f64());
        let store = store_over(meta, dir.path());
        for (at, from) in [("start", String::new()), ("middle", key(KEYS / 2))] {
            assert_eq!(store.scan_current(BUCKET, from.as_bytes(), PAGE).unwrap().len(), PAGE);
            group.bench_with_input(BenchmarkId::new(name, at), &from, |b, from| {
                b.iter(|| black_box(store.scan_current(BUCKET, black_box(from.as_bytes()), PAGE).unwrap()));
            });
        }
    }
    group.finish();
}

fn commit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let memory = Arc::new(store_over(Arc::new(MemoryStore::new()), &dir.path().join("mem")));
    let sled = Arc::new(Store::open(&dir.path().join("sled"), 64 << 20).unwrap());
    let mut group = c.benchmark_group("commit_empty_manifest");
    group.measurement_time(Duration::from_secs(5));
    let mut next = 0u64;
    for (name, store) in [("memory", memory), ("sled", sled)] {
        rt.block_on(store.create_bucket(BUCKET, bucket_record())).unwrap();
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new(name, "1_writer"), |b| {
            b.iter(|| {
                next += 1;
                rt.block_on(store.put_object(BUCKET, &key(next), version(0, false), &mut [], &|_| true, &Cause::default())).unwrap()
            });
        });
        group.throughput(Throughput::Elements(WRITERS));
        group.bench_function(BenchmarkId::new(name, "64_writers"), |b| {
            b.iter_custom(|iters| {
                let began = Instant::now();
                for _ in 0..iters {
                    let base = next;
                    next += WRITERS;
                    rt.block_on(async {
                        let tasks: Vec<_> = (0..WRITERS)
                            .map(|i| {
                                let store = Arc::clone(&store);
                                tokio::spawn(async move {
                                    store
                                        .put_object(BUCKET, &key(base + i), version(0, false), &mut [], &|_| true, &Cause::default())
                                        .await
                                        .unwrap();
                                })
                            })
                            .collect();
                        for t in tasks {
                            t.await.unwrap();
                        }
                    });
                }
                began.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, list_page, commit);
criterion_main!(benches);
