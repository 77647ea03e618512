//! What a bucket holds (objects, versions, bytes, delete markers, multipart uploads)
//! and the quotas that bound it. Pure: the store keeps [`BucketUsage`] current in the
//! same metadata batch as every change it counts, and asks [`Quota::exceeded`] before
//! applying a batch that grows a bucket.

use serde::{Deserialize, Serialize};

/// What one bucket (or, summed, one account) holds. Stored per bucket; every field is
/// kept current by the batches that change it, never recomputed by scanning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketUsage {
    /// Keys whose current version is an object (not a delete marker): what a listing shows.
    pub objects: u64,
    /// Object versions stored, current and noncurrent, delete markers not included.
    pub versions: u64,
    /// Bytes of those versions (object sizes, as clients see them).
    pub bytes: u64,
    /// Delete markers, current and noncurrent.
    pub delete_markers: u64,
    /// Multipart uploads in progress.
    pub uploads: u64,
    /// Bytes of the parts uploaded to those uploads.
    pub upload_bytes: u64,
}

/// A change to a [`BucketUsage`], as one batch makes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageDelta {
    /// Change of [`BucketUsage::objects`].
    pub objects: i64,
    /// Change of [`BucketUsage::versions`].
    pub versions: i64,
    /// Change of [`BucketUsage::bytes`].
    pub bytes: i64,
    /// Change of [`BucketUsage::delete_markers`].
    pub delete_markers: i64,
    /// Change of [`BucketUsage::uploads`].
    pub uploads: i64,
    /// Change of [`BucketUsage::upload_bytes`].
    pub upload_bytes: i64,
}

impl UsageDelta {
    /// Whether nothing changes.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// Adds `other` to this change.
    pub fn add(&mut self, other: &UsageDelta) {
        self.objects += other.objects;
        self.versions += other.versions;
        self.bytes += other.bytes;
        self.delete_markers += other.delete_markers;
        self.uploads += other.uploads;
        self.upload_bytes += other.upload_bytes;
    }

    /// Whether the change grows what a quota bounds: stored bytes or object versions.
    fn grows(&self) -> bool {
        self.bytes > 0 || self.upload_bytes > 0 || self.versions > 0
    }
}

impl BucketUsage {
    /// Bytes the bucket takes: its versions and the parts of its uploads in progress.
    /// This is what a byte quota bounds.
    pub fn stored_bytes(&self) -> u64 {
        self.bytes.saturating_add(self.upload_bytes)
    }

    /// This usage after `delta`. A count never goes below zero (it would only if the
    /// stored usage were wrong; the caller logs that).
    #[must_use]
    pub fn after(&self, delta: &UsageDelta) -> BucketUsage {
        let f = |v: u64, d: i64| v.saturating_add_signed(d);
        BucketUsage {
            objects: f(self.objects, delta.objects),
            versions: f(self.versions, delta.versions),
            bytes: f(self.bytes, delta.bytes),
            delete_markers: f(self.delete_markers, delta.delete_markers),
            uploads: f(self.uploads, delta.uploads),
            upload_bytes: f(self.upload_bytes, delta.upload_bytes),
        }
    }

    /// Whether applying `delta` would take a count below zero.
    pub fn underflows(&self, delta: &UsageDelta) -> bool {
        let f = |v: u64, d: i64| v.checked_add_signed(d).is_none();
        f(self.objects, delta.objects)
            || f(self.versions, delta.versions)
            || f(self.bytes, delta.bytes)
            || f(self.delete_markers, delta.delete_markers)
            || f(self.uploads, delta.uploads)
            || f(self.upload_bytes, delta.upload_bytes)
    }

    /// The sum of two usages (an account's buckets).
    #[must_use]
    pub fn plus(&self, other: &BucketUsage) -> BucketUsage {
        BucketUsage {
            objects: self.objects + other.objects,
            versions: self.versions + other.versions,
            bytes: self.bytes + other.bytes,
            delete_markers: self.delete_markers + other.delete_markers,
            uploads: self.uploads + other.uploads,
            upload_bytes: self.upload_bytes + other.upload_bytes,
        }
    }
}

/// Limits the server administrator sets on a bucket or an account (`coffer admin quota`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Most bytes stored: object versions (noncurrent included) and the parts of
    /// multipart uploads in progress. `None`: no limit.
    pub max_bytes: Option<u64>,
    /// Most object versions stored (noncurrent included; delete markers not counted).
    /// `None`: no limit.
    pub max_objects: Option<u64>,
}

/// Which limit a change would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaLimit {
    /// [`Quota::max_bytes`]: the limit and the bytes the change would leave stored.
    Bytes {
        /// The quota.
        max: u64,
        /// Stored bytes after the change.
        after: u64,
    },
    /// [`Quota::max_objects`]: the limit and the object count the change would leave.
    Objects {
        /// The quota.
        max: u64,
        /// Object versions after the change.
        after: u64,
    },
}

impl Quota {
    /// Whether no limit is set.
    pub fn is_unlimited(&self) -> bool {
        self.max_bytes.is_none() && self.max_objects.is_none()
    }

    /// The limit `delta` would take `usage` past, if any. Only a change that grows what
    /// a limit bounds is refused: deletes, and an overwrite that leaves fewer bytes,
    /// always pass, even over a quota lowered below what is stored.
    pub fn exceeded(&self, usage: &BucketUsage, delta: &UsageDelta) -> Option<QuotaLimit> {
        if !delta.grows() {
            return None;
        }
        let after = usage.after(delta);
        if let Some(max) = self.max_bytes {
            if (delta.bytes > 0 || delta.upload_bytes > 0) && after.stored_bytes() > max {
                return Some(QuotaLimit::Bytes { max, after: after.stored_bytes() });
            }
        }
        if let Some(max) = self.max_objects {
            if delta.versions > 0 && after.versions > max {
                return Some(QuotaLimit::Objects { max, after: after.versions });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(versions: u64, bytes: u64, upload_bytes: u64) -> BucketUsage {
        BucketUsage { objects: versions, versions, bytes, upload_bytes, ..BucketUsage::default() }
    }

    #[test]
    fn a_quota_refuses_only_growth_past_it() {
        let q = Quota { max_bytes: Some(100), max_objects: Some(2) };
        let put = |bytes| UsageDelta { objects: 1, versions: 1, bytes, ..UsageDelta::default() };
        assert_eq!(q.exceeded(&usage(0, 0, 0), &put(100)), None, "exactly at the quota fits");
        assert_eq!(q.exceeded(&usage(0, 0, 0), &put(101)), Some(QuotaLimit::Bytes { max: 100, after: 101 }));
        assert_eq!(q.exceeded(&usage(2, 10, 0), &put(1)), Some(QuotaLimit::Objects { max: 2, after: 3 }));
        // Parts of uploads in progress take space too.
        assert!(q.exceeded(&usage(0, 0, 90), &put(20)).is_some());
        let part = UsageDelta { upload_bytes: 20, ..UsageDelta::default() };
        assert!(q.exceeded(&usage(0, 90, 0), &part).is_some());
        // Over a quota lowered below what is stored: deletes and shrinking overwrites
        // pass, growth does not.
        let over = usage(5, 500, 0);
        let delete = UsageDelta { objects: -1, versions: -1, bytes: -100, ..UsageDelta::default() };
        assert_eq!(q.exceeded(&over, &delete), None);
        let shrink = UsageDelta { bytes: -50, ..UsageDelta::default() };
        assert_eq!(q.exceeded(&over, &shrink), None);
        let marker = UsageDelta { objects: -1, delete_markers: 1, ..UsageDelta::default() };
        assert_eq!(q.exceeded(&over, &marker), None, "a delete marker takes no quota");
        // A Complete turns part bytes into object bytes: it passes under the quota...
        let complete = UsageDelta { objects: 1, versions: 1, bytes: 80, uploads: -1, upload_bytes: -90, ..UsageDelta::default() };
        assert_eq!(q.exceeded(&usage(0, 0, 90), &complete), None);
        // ...and is refused once the quota was lowered under what the parts took.
        let lowered = Quota { max_bytes: Some(50), max_objects: None };
        assert!(lowered.exceeded(&usage(0, 0, 90), &complete).is_some());
        assert_eq!(Quota::default().exceeded(&usage(9, 9, 9), &put(1 << 40)), None);
    }

    #[test]
    fn usage_arithmetic() {
        let u = usage(1, 10, 0);
        let d = UsageDelta { versions: -2, ..UsageDelta::default() };
        assert!(u.underflows(&d));
        assert_eq!(u.after(&d).versions, 0, "clamped, never wrapped");
        assert_eq!(u.plus(&u).bytes, 20);
    }
}
