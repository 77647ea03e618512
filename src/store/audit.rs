//! The reference audit: recounts every blob reference held by versions and parts and
//! compares with the stored counts and the blob directory. Used by crash tests and as
//! an integrity check an operator can run on a stopped store.

use std::collections::BTreeMap;

use super::{read_count, Store, StoreResult};
use crate::blob::BlobHash;
use crate::meta::{keys, MetaStore};
use crate::model::multipart::PartRecord;
use crate::model::stored;

/// What the audit found; all empty means consistent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Blobs referenced by a record but missing from the blob directory (data loss).
    pub missing: Vec<BlobHash>,
    /// Blob files no record references (leaked space).
    pub leaked: Vec<BlobHash>,
    /// Blobs whose stored count differs from the recount: (hash, stored, actual).
    pub miscounted: Vec<(BlobHash, u64, u64)>,
}

impl AuditReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.leaked.is_empty() && self.miscounted.is_empty()
    }
}

/// Every record of one kind (single-byte key prefix), decoded by `f`.
fn scan_kind(meta: &dyn MetaStore, kind: u8, mut f: impl FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<()> {
    let mut start = vec![kind];
    let end = vec![kind + 1];
    loop {
        let rows = meta.scan(&start, Some(&end), 1024)?;
        let Some((last, _)) = rows.last() else { return Ok(()) };
        start.clone_from(last);
        start.push(0);
        for (_, v) in &rows {
            f(v)?;
        }
    }
}

impl Store {
    /// Recounts references from every version and part record. Walks the whole store:
    /// O(objects), for tests and offline checks, not the request path.
    pub fn audit(&self) -> StoreResult<AuditReport> {
        let mut counts: BTreeMap<BlobHash, u64> = BTreeMap::new();
        scan_kind(self.meta.as_ref(), b'V', |v| {
            for entry in stored::decode_version(v)?.manifest {
                *counts.entry(entry.hash).or_insert(0) += 1;
            }
            Ok(())
        })?;
        scan_kind(self.meta.as_ref(), b'P', |v| {
            let part: PartRecord = stored::decode(v)?;
            for entry in part.manifest {
                *counts.entry(entry.hash).or_insert(0) += 1;
            }
            Ok(())
        })?;
        let mut report = AuditReport::default();
        let on_disk: std::collections::BTreeSet<BlobHash> = self.blobs.list()?.into_iter().collect();
        for (hash, actual) in &counts {
            let stored = read_count(self.meta.as_ref(), hash)?;
            if stored != *actual {
                report.miscounted.push((*hash, stored, *actual));
            }
            if !on_disk.contains(hash) {
                report.missing.push(*hash);
            }
        }
        let (start, end) = keys::refcount_range();
        for (k, _) in self.meta.scan(&start, Some(&end), usize::MAX)? {
            let hash = BlobHash(k[1..].try_into().map_err(|_| super::corrupt("refcount key"))?);
            if !counts.contains_key(&hash) {
                report.miscounted.push((hash, read_count(self.meta.as_ref(), &hash)?, 0));
            }
        }
        report.leaked = on_disk.into_iter().filter(|h| !counts.contains_key(h)).collect();
        Ok(report)
    }
}
