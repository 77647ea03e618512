//! The conformance suite every [`MetaStore`] adapter must pass, run against the sled
//! adapter and the in-memory one. A random-operations model test compares sled with a
//! `BTreeMap`, reopening sled in between to check what a flush promised survives.

use std::collections::BTreeMap;

use super::{Batch, MemoryStore, MetaStore, SledStore};

fn put(store: &dyn MetaStore, k: &[u8], v: &[u8]) {
    let mut b = Batch::new();
    b.put(k.to_vec(), v.to_vec());
    store.apply(&b).unwrap();
}

fn keys(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    entries.iter().map(|(k, _)| k.clone()).collect()
}

fn suite(store: &dyn MetaStore) {
    assert_eq!(store.get(b"a").unwrap(), None);
    put(store, b"b", b"2");
    put(store, b"a", b"1");
    put(store, b"c", b"3");
    put(store, b"a\xff", b"4");
    assert_eq!(store.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));

    // Byte order, bounds and limits.
    let all = store.scan(b"", None, 100).unwrap();
    assert_eq!(keys(&all), vec![b"a".to_vec(), b"a\xff".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(keys(&store.scan(b"a\x00", Some(b"c"), 100).unwrap()), vec![b"a\xff".to_vec(), b"b".to_vec()]);
    assert_eq!(store.scan(b"a", None, 2).unwrap().len(), 2);
    assert!(store.scan(b"c", Some(b"b"), 10).unwrap().is_empty());
    let rev = store.scan_rev(b"a", b"c", 2).unwrap();
    assert_eq!(keys(&rev), vec![b"b".to_vec(), b"a\xff".to_vec()]);

    // A batch applies in order; later writes to a key win; deletes of absent keys are fine.
    let mut b = Batch::new();
    b.put(b"x".to_vec(), b"1".to_vec());
    b.delete(b"x".to_vec());
    b.put(b"y".to_vec(), b"1".to_vec());
    b.put(b"y".to_vec(), b"2".to_vec());
    b.delete(b"never".to_vec());
    b.delete(b"a".to_vec());
    store.apply(&b).unwrap();
    assert_eq!(store.get(b"x").unwrap(), None);
    assert_eq!(store.get(b"y").unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(store.get(b"a").unwrap(), None);
    store.apply(&Batch::new()).unwrap();
    store.flush().unwrap();
}

#[test]
fn memory_store_conforms() {
    suite(&MemoryStore::new());
}

#[test]
fn sled_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    suite(&SledStore::open(dir.path(), 8 << 20).unwrap());
}

/// A small deterministic PRNG so the model test needs no extra dependency and replays.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn sled_matches_model_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut rng = Lcg(7);
    for round in 0..4 {
        let store = SledStore::open(dir.path(), 8 << 20).unwrap();
        let memory = MemoryStore::new();
        for (k, v) in &model {
            put(&memory, k, v);
        }
        for _ in 0..300 {
            let mut b = Batch::new();
            for _ in 0..=(rng.next() % 4) {
                let key = format!("k{:03}", rng.next() % 200).into_bytes();
                if rng.next() % 3 == 0 {
                    model.remove(&key);
                    b.delete(key);
                } else {
                    let value = format!("v{round}-{}", rng.next()).into_bytes();
                    model.insert(key.clone(), value.clone());
                    b.put(key, value);
                }
            }
            store.apply(&b).unwrap();
            memory.apply(&b).unwrap();
            let start = format!("k{:03}", rng.next() % 200).into_bytes();
            let n = usize::try_from(rng.next() % 20).unwrap();
            assert_eq!(store.scan(&start, None, n).unwrap(), memory.scan(&start, None, n).unwrap());
        }
        store.flush().unwrap();
        drop(store);
        let reopened = SledStore::open(dir.path(), 8 << 20).unwrap();
        let everything = reopened.scan(b"", None, usize::MAX).unwrap();
        let expected: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(everything, expected, "round {round}");
    }
}
