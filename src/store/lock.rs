//! Object Lock in the store: the clock retention is judged by, and the checks made
//! under the commit lock, where nothing can change between the check and the removal.
//!
//! # The lock clock
//!
//! Retention dates are compared with the server's clock, which an operator (or NTP, or
//! a VM restored from a snapshot) can set back. A clock set back must not unlock
//! anything early, so the time used is the highest ever seen: a high-water mark kept in
//! memory and saved in the metadata store whenever it has moved on by a second or more
//! (with the next commit's flush). After a restart with a clock set back, retention is
//! judged by the saved mark, at most about a second behind the latest time the server
//! showed before, until the clock catches up.

use std::sync::atomic::Ordering;

use super::{Store, StoreError, StoreResult};
use crate::model::lock::{protection, retention_change, Change, Protection, Retention};
use crate::model::ObjectVersion;

/// The worker-progress record holding the lock clock's high-water mark.
const LOCK_CLOCK: &str = "object-lock-clock";

/// How far the mark moves before it is saved again.
const SAVE_EVERY_MS: i64 = 1_000;

impl Store {
    /// The time Object Lock judges retention by: `now_ms`, or the highest time seen
    /// before if that is later (see the module docs).
    pub fn lock_now(&self, now_ms: i64) -> StoreResult<i64> {
        if self.lock_clock.load(Ordering::Acquire) == i64::MIN {
            let saved = match self.worker_progress(LOCK_CLOCK)? {
                Some(raw) => i64::from_be_bytes(raw.as_slice().try_into().map_err(|_| super::corrupt("lock clock"))?),
                None => i64::MIN + 1,
            };
            let _ = self.lock_clock.compare_exchange(i64::MIN, saved, Ordering::AcqRel, Ordering::Acquire);
            self.lock_clock_saved.fetch_max(saved, Ordering::AcqRel);
        }
        let high = self.lock_clock.fetch_max(now_ms, Ordering::AcqRel).max(now_ms);
        let saved = self.lock_clock_saved.load(Ordering::Acquire);
        if high >= saved.saturating_add(SAVE_EVERY_MS)
            && self.lock_clock_saved.compare_exchange(saved, high, Ordering::AcqRel, Ordering::Acquire).is_ok()
        {
            self.set_worker_progress(LOCK_CLOCK, Some(high.to_be_bytes().to_vec()))?;
        }
        Ok(high)
    }

    /// Whether `version` may be removed now (`bypass`: the caller sent
    /// `x-amz-bypass-governance-retention: true` and may use it). Called under the
    /// commit lock.
    pub(super) fn may_remove(&self, version: &ObjectVersion, now_ms: i64, bypass: bool) -> StoreResult<()> {
        match protection(version.retention, version.legal_hold, self.lock_now(now_ms)?) {
            Protection::None => Ok(()),
            Protection::Governance if bypass => Ok(()),
            Protection::Governance | Protection::Absolute => Err(StoreError::ObjectLocked),
        }
    }

    /// Replaces the retention of one version (`None`: removes it), if the rules allow:
    /// COMPLIANCE in force is only extended; GOVERNANCE in force is shortened or removed
    /// only with `bypass`. Returns the version id.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        retention: Option<Retention>,
        bypass: bool,
        cause: &crate::model::event::Cause,
        now_ms: i64,
    ) -> StoreResult<String> {
        let lock_now = self.lock_now(now_ms)?;
        self.modify_version(bucket, key, version_id, cause, now_ms, |v| match retention_change(v.retention, retention, lock_now) {
            Change::Allowed => {
                v.retention = retention;
                Ok(())
            }
            Change::NeedsBypass if bypass => {
                v.retention = retention;
                Ok(())
            }
            Change::NeedsBypass | Change::Refused => Err(StoreError::ObjectLocked),
        })
        .await
    }

    /// Sets or clears the legal hold of one version. Returns the version id.
    pub async fn set_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        on: bool,
        cause: &crate::model::event::Cause,
        now_ms: i64,
    ) -> StoreResult<String> {
        self.modify_version(bucket, key, version_id, cause, now_ms, |v| {
            v.legal_hold = on;
            Ok(())
        })
        .await
    }
}
