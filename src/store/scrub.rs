//! The scrubber's pass: re-hash every blob of every tier, quarantine damaged ones (the
//! next PUT of their bytes writes a good copy), and remember how far it got, so that a
//! restart resumes the pass instead of starting over. Scheduling and pacing are the
//! worker's (`worker::scrub`); `coffer scrub --offline` runs a pass on a stopped store.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use super::{Store, StoreResult};
use crate::blob::{BlobHash, Verified};
use crate::meta::{keys, Batch};

/// Key of the persisted cursor: the tier and the last blob checked.
const CURSOR: &str = "scrub_cursor";

/// Blobs checked between two saves of the cursor.
const SAVE_EVERY: u64 = 256;

/// Progress and findings of the scrubber since start-up, for the stats.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScrubReport {
    /// Whether a pass is running.
    pub running: bool,
    /// Passes finished since start-up.
    pub passes_completed: u64,
    /// When the current (or last) pass started, Unix ms.
    pub pass_started_ms: Option<i64>,
    /// When the last pass finished, Unix ms.
    pub last_pass_finished_ms: Option<i64>,
    /// Blobs checked by the current (or last) pass.
    pub checked_blobs: u64,
    /// Bytes checked by the current (or last) pass.
    pub checked_bytes: u64,
    /// Damaged blobs found (and quarantined) since start-up: (storage class, blob).
    pub damaged: Vec<(String, String)>,
}

/// The report, shared by the pass and the stats.
#[derive(Default)]
pub(super) struct ScrubState(Mutex<ScrubReport>);

impl ScrubState {
    fn update(&self, f: impl FnOnce(&mut ScrubReport)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassEnd {
    /// Every blob was checked.
    Finished,
    /// `pace` asked to stop; the cursor says where to resume.
    Stopped,
}

/// The wall clock, ms since the Unix epoch (for store work that has no request clock).
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
    /// The scrubber's progress and findings.
    pub fn scrub_report(&self) -> ScrubReport {
        self.scrub.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The saved cursor: (tier, last blob checked).
    fn scrub_cursor(&self) -> StoreResult<Option<(usize, BlobHash)>> {
        let Some(raw) = self.meta.get(&keys::counter(CURSOR))? else { return Ok(None) };
        let (Some(&tier), Some(hash)) = (raw.first(), raw.get(1..33)) else { return Ok(None) };
        Ok(Some((usize::from(tier), BlobHash(hash.try_into().expect("32 bytes")))))
    }

    fn save_scrub_cursor(&self, cursor: Option<(usize, BlobHash)>) -> StoreResult<()> {
        let mut batch = Batch::new();
        match cursor {
            Some((tier, hash)) => batch.put(keys::counter(CURSOR), [&[u8::try_from(tier).unwrap_or(u8::MAX)][..], &hash.0].concat()),
            None => batch.delete(keys::counter(CURSOR)),
        }
        // A progress note, not data: it is flushed with whatever commits next (and a
        // lost one only repeats some checks), so it bypasses the rollback log.
        Ok(self.meta.apply(&batch)?)
    }

    /// Runs (or resumes) one pass over every blob. Blocking: run it on a blocking
    /// thread. After each blob, `pace(bytes just read)` may sleep to bound the I/O
    /// rate; it returns `false` to stop the pass (resumable).
    pub fn scrub_pass(&self, pace: &mut dyn FnMut(u64) -> bool) -> StoreResult<PassEnd> {
        let resume = self.scrub_cursor()?;
        self.scrub.update(|r| {
            r.running = true;
            if resume.is_none() || r.pass_started_ms.is_none() {
                r.pass_started_ms = Some(now_ms());
                r.checked_blobs = 0;
                r.checked_bytes = 0;
            }
        });
        let outcome = self.scrub_tiers(resume, pace);
        self.scrub.update(|r| {
            r.running = false;
            if matches!(outcome, Ok(PassEnd::Finished)) {
                r.passes_completed += 1;
                r.last_pass_finished_ms = Some(now_ms());
            }
        });
        outcome
    }

    fn scrub_tiers(&self, resume: Option<(usize, BlobHash)>, pace: &mut dyn FnMut(u64) -> bool) -> StoreResult<PassEnd> {
        for (tier, t) in self.tiers.iter().enumerate() {
            let after = match resume {
                Some((at, _)) if at > tier => continue,
                Some((at, hash)) if at == tier => Some(hash),
                _ => None,
            };
            let mut since_save = 0;
            for hash in t.blobs.list()? {
                if after.is_some_and(|a| hash <= a) {
                    continue;
                }
                let len = t.blobs.len(&hash).unwrap_or(0);
                match t.blobs.verify(&hash)? {
                    Verified::Good | Verified::Missing => {}
                    Verified::Damaged => {
                        tracing::error!(class = %t.class, blob = %hash, "scrubber found a damaged blob; quarantined");
                        self.scrub.update(|r| r.damaged.push((t.class.clone(), hash.to_string())));
                    }
                }
                self.scrub.update(|r| {
                    r.checked_blobs += 1;
                    r.checked_bytes += len;
                });
                since_save += 1;
                if since_save == SAVE_EVERY {
                    since_save = 0;
                    self.save_scrub_cursor(Some((tier, hash)))?;
                }
                if !pace(len) {
                    self.save_scrub_cursor(Some((tier, hash)))?;
                    return Ok(PassEnd::Stopped);
                }
            }
        }
        self.save_scrub_cursor(None)?;
        Ok(PassEnd::Finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pass_quarantines_damage_and_resumes_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let record = crate::model::BucketRecord {
            created_ms: 0,
            region: "r".into(),
            versioning: crate::model::Versioning::Unversioned,
            owner: "o".into(),
        };
        store.create_bucket("b", record).await.unwrap();
        let mut versions = Vec::new();
        for i in 0..5u8 {
            let body = bytes::Bytes::from(vec![i; 10_000]);
            versions.push(store.put_bytes_for_test("b", &format!("k{i}"), body, "STANDARD").await);
        }
        let damaged = versions[3].manifest[0].hash;
        let hex = damaged.to_string();
        let path = dir.path().join("blobs").join(&hex[..2]).join(&hex[2..4]).join(&hex);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[9_999] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();

        // Stop after two blobs; the next pass resumes after them.
        let mut seen = 0;
        assert_eq!(
            store
                .scrub_pass(&mut |_| {
                    seen += 1;
                    seen < 2
                })
                .unwrap(),
            PassEnd::Stopped
        );
        assert_eq!(store.scrub_report().checked_blobs, 2);
        assert_eq!(store.scrub_pass(&mut |_| true).unwrap(), PassEnd::Finished);
        let report = store.scrub_report();
        assert_eq!(report.checked_blobs, 5, "resumed, not restarted: {report:?}");
        assert_eq!(report.passes_completed, 1);
        assert_eq!(report.damaged, vec![("STANDARD".to_owned(), hex)]);
        assert!(!path.exists(), "quarantined");
        // A fresh pass starts over and finds nothing more.
        assert_eq!(store.scrub_pass(&mut |_| true).unwrap(), PassEnd::Finished);
        assert_eq!(store.scrub_report().checked_blobs, 4);
    }
}
