//! Object Lock in the store: the clocks retention is judged by, and the checks made
//! under the commit lock, where nothing can change between the check and the removal.
//!
//! # The lock clocks
//!
//! Retention dates are compared with time, and the server's wall clock can jump either
//! way (an operator, NTP, a VM restored from a snapshot). Neither jump may unlock
//! anything early, so retention is judged by the **removal clock**: the wall clock, but
//! never ahead of the last saved removal time plus the time that has really elapsed
//! since (measured with the monotonic clock). It is saved in the metadata store (with
//! the next commit's flush, at most every second). A wall clock set forward therefore
//! ends nothing early, and one set back makes retention last longer, never shorter. Time
//! the server is down is not counted: each restart lengthens retention by its downtime.
//!
//! New retention (a bucket's default, counted from "now") starts at, and requested
//! dates must be later than, the **issuing time**: the later of the wall clock and the
//! saved removal time plus the time elapsed since. So a clock set back never makes a
//! new default retention end sooner, and a clock that was briefly far ahead while the
//! server ran leaves nothing behind.

use std::sync::PoisonError;
use std::time::Instant;

use super::{Store, StoreError, StoreResult};
use crate::model::lock::{protection, retention_change, Change, Protection, Retention};
use crate::model::ObjectVersion;

/// The bucket configuration document holding a bucket's Object Lock configuration:
/// while it exists, the bucket's versioning stays Enabled.
pub const OBJECT_LOCK_CONFIG: &str = "object-lock";

/// The record holding the saved removal time: ms, big-endian (8 bytes; records of an
/// earlier development build held 16, the removal time first).
const LOCK_CLOCK: &str = "object-lock-clock";

/// How far the clock moves before it is saved again.
const SAVE_EVERY_MS: i64 = 1_000;

/// The removal clock's state (see the module docs).
#[derive(Debug)]
pub(super) struct LockClock {
    /// The removal time when loaded (or first seen), and when that was.
    base: (i64, Instant),
    /// The value last saved.
    saved: i64,
}

impl LockClock {
    /// The saved removal time plus the time really elapsed since it was loaded.
    fn elapsed_base(&self) -> i64 {
        let elapsed = i64::try_from(self.base.1.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.base.0.saturating_add(elapsed)
    }

    fn removal(&self, wall_ms: i64) -> i64 {
        wall_ms.min(self.elapsed_base())
    }

    fn issuing(&self, wall_ms: i64) -> i64 {
        wall_ms.max(self.elapsed_base())
    }
}

impl Store {
    /// Runs `f` on the clock, loading it first, and saves it if it moved on.
    fn with_lock_clock<T>(&self, wall_ms: i64, f: impl FnOnce(&LockClock) -> T) -> StoreResult<T> {
        let mut guard = self.lock_clock.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            let saved = match self.worker_progress(LOCK_CLOCK)? {
                Some(raw) if raw.len() >= 8 => raw[..8].try_into().ok().map(i64::from_be_bytes),
                Some(_) => {
                    tracing::error!("the saved Object Lock clock is unreadable; starting it from the wall clock");
                    None
                }
                None => None,
            };
            let base = saved.unwrap_or(wall_ms);
            if base > wall_ms.saturating_add(60_000) || wall_ms > base.saturating_add(86_400_000) {
                tracing::warn!(wall_ms, lock_removal_ms = base, "the wall clock and the Object Lock removal clock disagree: retention is judged by the removal clock (see docs/security.md, Object Lock)");
            }
            *guard = Some(LockClock { base: (base, Instant::now()), saved: saved.unwrap_or(i64::MIN) });
        }
        let clock = guard.as_mut().ok_or_else(|| super::corrupt("lock clock"))?;
        let out = f(clock);
        let now = clock.removal(wall_ms);
        if now >= clock.saved.saturating_add(SAVE_EVERY_MS) {
            self.set_worker_progress(LOCK_CLOCK, Some(now.to_be_bytes().to_vec()))?;
            clock.saved = now;
        }
        Ok(out)
    }

    /// The time that decides whether a retention has ended (see the module docs).
    pub fn lock_removal_now(&self, wall_ms: i64) -> StoreResult<i64> {
        self.with_lock_clock(wall_ms, |c| c.removal(wall_ms))
    }

    /// The time new retention is counted from, and requested dates are checked against.
    pub fn lock_issuing_now(&self, wall_ms: i64) -> StoreResult<i64> {
        self.with_lock_clock(wall_ms, |c| c.issuing(wall_ms))
    }

    /// How many versions under Object Lock protection now (retention in force or a legal
    /// hold) are SSE-KMS objects whose data key is wrapped by key `key_id` of `account`:
    /// deleting that key would destroy them. Walks every version record: O(objects), for
    /// the rare ScheduleKeyDeletion.
    pub fn locked_versions_under_kms_key(&self, account: &str, key_id: &str) -> StoreResult<u64> {
        let wall = super::scrub::now_ms();
        let now = self.lock_removal_now(wall)?;
        let suffix = format!(":{account}:key/{key_id}");
        let mut count = 0;
        super::audit::scan_kind(self.meta.as_ref(), b'V', |_, v| {
            let version = crate::model::stored::decode_version(v)?;
            let under_key =
                matches!(&version.encryption, Some(crate::model::encryption::Encryption::Kms(k)) if k.key_arn.ends_with(&suffix));
            if under_key && protection(version.retention, version.legal_hold, now) != Protection::None {
                count += 1;
            }
            Ok(())
        })?;
        Ok(count)
    }

    /// Turns Object Lock on for a bucket (or replaces its configuration), if its
    /// versioning is Enabled: checked under the commit lock, so that a concurrent
    /// PutBucketVersioning cannot suspend it in between.
    pub async fn set_object_lock(&self, bucket: &str, created_ms: i64, config: Vec<u8>) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let record = self.bucket(bucket)?.ok_or(StoreError::NoSuchBucket)?;
            if record.created_ms != created_ms {
                return Err(StoreError::NoSuchBucket);
            }
            if record.versioning != crate::model::Versioning::Enabled {
                return Err(StoreError::InvalidBucketState);
            }
            let mut batch = super::Batch::new();
            batch.put(crate::meta::keys::bucket_config(bucket, OBJECT_LOCK_CONFIG), config);
            self.apply(&batch)?;
        }
        self.durable().await
    }

    /// Whether `version` may be removed now (`bypass`: the caller sent
    /// `x-amz-bypass-governance-retention: true` and may use it). Called under the
    /// commit lock.
    pub(super) fn may_remove(&self, version: &ObjectVersion, now_ms: i64, bypass: bool) -> StoreResult<()> {
        if version.retention.is_none() && !version.legal_hold {
            return Ok(());
        }
        match protection(version.retention, version.legal_hold, self.lock_removal_now(now_ms)?) {
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
        let lock_now = self.lock_removal_now(now_ms)?;
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
