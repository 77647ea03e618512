//! The lifecycle worker: applies every bucket's enabled lifecycle rules — expiration of
//! current versions, removal of expired delete markers and of noncurrent versions,
//! storage-class transitions of current and noncurrent versions, and aborting
//! incomplete multipart uploads.
//!
//! A pass walks each bucket's version records in pages (bounded memory whatever the
//! bucket size), saves its position after each page so a restart resumes instead of
//! rescanning, and yields between pages so foreground requests keep their latency.
//! Every action is an ordinary store change (references dropped, blobs collected), and
//! an expiration applies only if the key still has the version that was evaluated.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::meta::keys;
use crate::model::event::{Cause, CauseKind};
use crate::model::lifecycle::{after_days, expiry_time, noncurrent_transition_due, parse, transition_due, Rule, DOCUMENT};
use crate::model::stored;
use crate::store::{DeleteGuard, Store, StoreError, StoreResult, VersionEntry};

/// The cause of every lifecycle change (no request, no client).
const LIFECYCLE_CAUSE: Cause =
    Cause { kind: CauseKind::Lifecycle, request_id: String::new(), source_ip: String::new(), principal: String::new() };

/// Name of the progress record.
const PROGRESS: &str = "lifecycle";
/// Version records read per page.
const PAGE: usize = 256;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    /// Current versions expired (deleted or hidden behind a delete marker).
    pub expired: u64,
    /// Noncurrent versions and expired delete markers removed.
    pub versions_removed: u64,
    /// Incomplete multipart uploads aborted.
    pub uploads_aborted: u64,
    /// Versions moved to another storage class.
    pub transitioned: u64,
    /// Version records evaluated.
    pub scanned: u64,
    /// Actions that failed (logged each; retried next pass). One object's trouble
    /// (a damaged blob, say) does not stop the rest of the pass.
    pub failed: u64,
    /// Removals skipped because Object Lock protects the version (retried each pass,
    /// done once its retention ends or its legal hold is lifted).
    pub locked: u64,
}

/// What every pass since start-up did, for the metrics.
#[derive(Debug, Default)]
pub struct LifecycleTotals {
    /// Passes finished.
    pub passes: AtomicU64,
    /// [`PassStats`] fields summed over passes.
    pub expired: AtomicU64,
    /// Noncurrent versions and delete markers removed.
    pub versions_removed: AtomicU64,
    /// Incomplete uploads aborted.
    pub uploads_aborted: AtomicU64,
    /// Versions transitioned.
    pub transitioned: AtomicU64,
    /// Actions that failed.
    pub failed: AtomicU64,
    /// Removals skipped under Object Lock.
    pub locked: AtomicU64,
    /// Duration of the last pass, milliseconds.
    pub last_pass_ms: AtomicU64,
}

impl LifecycleTotals {
    fn add(&self, stats: &PassStats, took: Duration) {
        let add = |c: &AtomicU64, n: u64| c.fetch_add(n, Ordering::Relaxed);
        add(&self.passes, 1);
        add(&self.expired, stats.expired);
        add(&self.versions_removed, stats.versions_removed);
        add(&self.uploads_aborted, stats.uploads_aborted);
        add(&self.transitioned, stats.transitioned);
        add(&self.failed, stats.failed);
        add(&self.locked, stats.locked);
        self.last_pass_ms.store(u64::try_from(took.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// Timing of the worker.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Time between passes.
    pub interval: Duration,
    /// Length of a lifecycle day in milliseconds.
    pub day_ms: i64,
}

fn to_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs passes until `shutdown` changes (or its sender is dropped).
pub async fn run(
    store: Arc<Store>,
    schedule: Schedule,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
    totals: Arc<LifecycleTotals>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let started = std::time::Instant::now();
        let now = to_ms(clock());
        // Completed uploads are remembered for retried Completes, then forgotten; on a
        // blocking thread (it reads every record), and whether or not the pass succeeds.
        let sweeper = Arc::clone(&store);
        let before = now.saturating_sub(crate::store::multipart::COMPLETED_RETENTION_MS);
        match tokio::task::spawn_blocking(move || sweeper.forget_completed_uploads(before)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(forgotten = n, "completed multipart uploads forgotten"),
            Ok(Err(e)) => tracing::warn!(error = %e, "forgetting completed uploads failed; retrying next interval"),
            Err(e) => tracing::warn!(error = %e, "forgetting completed uploads panicked"),
        }
        match run_once(&store, now, schedule.day_ms).await {
            Ok(stats) => {
                totals.add(&stats, started.elapsed());
                if stats != PassStats::default() {
                    tracing::info!(?stats, ms = started.elapsed().as_millis(), "lifecycle pass");
                }
            }
            Err(e) => tracing::warn!(error = %e, "lifecycle pass failed; retrying next interval"),
        }
        tokio::select! {
            () = tokio::time::sleep(schedule.interval) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One pass over every bucket with a lifecycle configuration, resuming where an
/// interrupted pass stopped.
pub async fn run_once(store: &Store, now_ms: i64, day_ms: i64) -> StoreResult<PassStats> {
    let resume: Option<(String, Vec<u8>)> = store.worker_progress(PROGRESS)?.and_then(|raw| stored::decode(&raw).ok());
    let mut stats = PassStats::default();
    for (bucket, _) in store.list_buckets()? {
        let start = match &resume {
            Some((b, _)) if bucket < *b => continue,
            Some((b, cursor)) if bucket == *b => cursor.clone(),
            _ => Vec::new(),
        };
        let Some(raw) = store.bucket_config(&bucket, DOCUMENT)? else { continue };
        let config = match parse(&raw) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(%bucket, error = ?e, "stored lifecycle configuration does not parse; skipping");
                continue;
            }
        };
        let rules: Vec<&Rule> = config.rules.iter().filter(|r| r.enabled).collect();
        if rules.is_empty() {
            continue;
        }
        expire_versions(store, &bucket, &rules, start, now_ms, day_ms, &mut stats).await?;
        abort_uploads(store, &bucket, &rules, now_ms, day_ms, &mut stats).await?;
    }
    store.set_worker_progress(PROGRESS, None)?;
    Ok(stats)
}

/// An action decided while scanning; applied after the page.
enum Action {
    /// Expire the current version, if it is still the one with this seq.
    ExpireCurrent { key: String, seq: u64 },
    /// Remove one version permanently.
    Remove { key: String, version_id: String },
    /// Move version `seq` from storage class `from` to `to`.
    Transition { key: String, seq: u64, from: String, to: String },
}

/// Per-key state while walking its versions (newest first).
struct KeyWalk {
    key: String,
    /// Versions seen so far.
    seen: u64,
    /// Last-Modified of the previous (newer) version: when the next one became noncurrent.
    newer_modified: i64,
    /// The current version is a delete marker: its id.
    current_marker: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn expire_versions(
    store: &Store,
    bucket: &str,
    rules: &[&Rule],
    start: Vec<u8>,
    now: i64,
    day: i64,
    stats: &mut PassStats,
) -> StoreResult<()> {
    let mut cursor = start;
    let mut walk: Option<KeyWalk> = None;
    loop {
        let page = store.scan_versions(bucket, &cursor, PAGE)?;
        let mut actions = Vec::new();
        if page.is_empty() {
            finish_key(walk.take(), rules, &mut actions);
            apply(store, bucket, actions, now, stats).await?;
            return Ok(());
        }
        stats.scanned += page.len() as u64;
        for entry in page {
            if walk.as_ref().is_none_or(|w| w.key != entry.key) {
                finish_key(walk.take(), rules, &mut actions);
                walk = Some(KeyWalk { key: entry.key.clone(), seen: 0, newer_modified: 0, current_marker: None });
            }
            let w = walk.as_mut().expect("set above");
            evaluate(w, &entry, rules, now, day, &mut actions);
            cursor = keys::version(bucket, &entry.key, entry.version.seq);
            cursor.push(0);
        }
        apply(store, bucket, actions, now, stats).await?;
        store.set_worker_progress(PROGRESS, Some(stored::encode(&(bucket.to_owned(), cursor.clone()))))?;
        tokio::task::yield_now().await;
    }
}

fn evaluate(w: &mut KeyWalk, entry: &VersionEntry, rules: &[&Rule], now: i64, day: i64, actions: &mut Vec<Action>) {
    let v = &entry.version;
    let (size, tags) = (v.size, v.tags.as_slice());
    let matching: Vec<&Rule> = rules.iter().copied().filter(|r| r.filter.matches(&entry.key, size, tags)).collect();
    let transition = |to: Option<&str>| {
        to.map(|to| Action::Transition { key: entry.key.clone(), seq: v.seq, from: v.storage_class.clone(), to: to.to_owned() })
    };
    if w.seen == 0 {
        if v.delete_marker {
            w.current_marker = Some(v.version_id.clone());
        } else if matching.iter().filter_map(|r| r.expiry).any(|e| now >= expiry_time(e, v.last_modified_ms, day)) {
            actions.push(Action::ExpireCurrent { key: entry.key.clone(), seq: v.seq });
        } else if let Some(a) = transition(transition_due(&matching, size, &v.storage_class, v.last_modified_ms, now, day)) {
            actions.push(a);
        }
    } else {
        // This version became noncurrent when the next newer one was written; `newer`
        // noncurrent versions sit between it and the current one.
        let (newer, since) = (w.seen - 1, w.newer_modified);
        let expired = matching
            .iter()
            .filter_map(|r| r.noncurrent)
            .any(|(days, keep)| now >= after_days(since, days, day) && keep.is_none_or(|k| newer >= k));
        if expired {
            actions.push(Action::Remove { key: entry.key.clone(), version_id: v.version_id.clone() });
        } else if v.delete_marker {
            // Nothing to move.
        } else if let Some(a) = transition(noncurrent_transition_due(&matching, size, &v.storage_class, since, newer, now, day)) {
            actions.push(a);
        }
    }
    w.seen += 1;
    w.newer_modified = v.last_modified_ms;
}

/// At the end of a key: a delete marker that is its only version is expired if a rule
/// says ExpiredObjectDeleteMarker.
fn finish_key(walk: Option<KeyWalk>, rules: &[&Rule], actions: &mut Vec<Action>) {
    let Some(w) = walk else { return };
    let Some(marker) = w.current_marker else { return };
    if w.seen == 1 && rules.iter().any(|r| r.expired_object_delete_marker && r.filter.matches(&w.key, 0, &[])) {
        actions.push(Action::Remove { key: w.key, version_id: marker });
    }
}

async fn apply(store: &Store, bucket: &str, actions: Vec<Action>, now: i64, stats: &mut PassStats) -> StoreResult<()> {
    for action in actions {
        let result = match &action {
            Action::ExpireCurrent { key, seq } => {
                store.delete_object_if(bucket, key, None, now, DeleteGuard::CurrentSeq(*seq), false, &LIFECYCLE_CAUSE).await.map(|_| ())
            }
            Action::Remove { key, version_id } => {
                store.delete_object(bucket, key, Some(version_id), now, &LIFECYCLE_CAUSE).await.map(|_| ())
            }
            Action::Transition { to, .. } if !store.has_storage_class(to) => {
                tracing::debug!(%bucket, class = %to, "lifecycle transition to a storage class with no tier; skipped");
                continue;
            }
            Action::Transition { key, seq, from, to } => store.transition_version(bucket, key, *seq, from, to, now, &LIFECYCLE_CAUSE).await,
        };
        match (result, &action) {
            (Ok(()), Action::ExpireCurrent { .. }) => stats.expired += 1,
            (Ok(()), Action::Remove { .. }) => stats.versions_removed += 1,
            (Ok(()), Action::Transition { .. }) => stats.transitioned += 1,
            // Overwritten or deleted since it was evaluated: nothing to do.
            (Err(StoreError::PreconditionFailed | StoreError::NoSuchBucket | StoreError::NoSuchVersion | StoreError::NoSuchKey), _) => {}
            // Protected by Object Lock: kept; a later pass removes it once free.
            (Err(StoreError::ObjectLocked), _) => stats.locked += 1,
            (Err(e), action) => {
                stats.failed += 1;
                tracing::warn!(%bucket, key = action.key(), error = %e, "lifecycle action failed; retried next pass");
            }
        }
    }
    Ok(())
}

impl Action {
    fn key(&self) -> &str {
        match self {
            Action::ExpireCurrent { key, .. } | Action::Remove { key, .. } | Action::Transition { key, .. } => key,
        }
    }
}

async fn abort_uploads(store: &Store, bucket: &str, rules: &[&Rule], now: i64, day: i64, stats: &mut PassStats) -> StoreResult<()> {
    let abort_rules: Vec<(&str, u64)> = rules.iter().filter_map(|r| r.abort_after_days.map(|d| (r.filter.prefix.as_str(), d))).collect();
    if abort_rules.is_empty() {
        return Ok(());
    }
    let mut from: Option<Vec<u8>> = None;
    loop {
        let page = store.list_uploads(bucket, from.clone(), PAGE)?;
        for u in &page.uploads {
            if abort_rules.iter().any(|(prefix, days)| u.key.starts_with(prefix) && now >= after_days(u.initiated_ms, *days, day)) {
                match store.abort_upload(bucket, &u.key, &u.upload_id).await {
                    Ok(()) => stats.uploads_aborted += 1,
                    Err(StoreError::NoSuchUpload) => {}
                    Err(e) => {
                        stats.failed += 1;
                        tracing::warn!(%bucket, key = %u.key, error = %e, "lifecycle abort of an upload failed; retried next pass");
                    }
                }
            }
        }
        let Some(last) = page.uploads.last() else { return Ok(()) };
        if !page.truncated {
            return Ok(());
        }
        let mut next = keys::upload(bucket, &last.key, &last.upload_id);
        next.push(0);
        from = Some(next);
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BucketRecord, ObjectVersion, Versioning};

    fn empty_object(now: i64) -> ObjectVersion {
        ObjectVersion::empty_for_test(now)
    }

    #[tokio::test]
    async fn an_interrupted_pass_resumes_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Unversioned, owner: "o".into() };
        store.create_bucket("life", record).await.unwrap();
        for i in 0..600 {
            store.put_object("life", &format!("k{i:04}"), empty_object(0), &mut [], &|_| true, &LIFECYCLE_CAUSE).await.unwrap();
        }
        let xml = "<LifecycleConfiguration><Rule><ID>all</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>";
        store.set_bucket_config("life", DOCUMENT, Some(xml.as_bytes().to_vec())).await.unwrap();
        // A pass that stopped after k0299 left this resume point.
        let mut cursor = keys::version("life", "k0299", store.current("life", "k0299").unwrap().unwrap().seq);
        cursor.push(0);
        store.set_worker_progress(PROGRESS, Some(stored::encode(&("life".to_owned(), cursor)))).unwrap();

        let day = 1000;
        let stats = run_once(&store, 10 * day, day).await.unwrap();
        assert_eq!(stats.expired, 300, "the resumed pass covers only the rest of the bucket");
        assert!(store.current("life", "k0299").unwrap().is_some());
        assert!(store.current("life", "k0300").unwrap().is_none());
        assert!(store.worker_progress(PROGRESS).unwrap().is_none(), "a finished pass clears its resume point");
        let stats = run_once(&store, 10 * day, day).await.unwrap();
        assert_eq!(stats.expired, 300);
        // Nothing expires before its time.
        store.put_object("life", "fresh", empty_object(10 * day), &mut [], &|_| true, &LIFECYCLE_CAUSE).await.unwrap();
        assert_eq!(run_once(&store, 10 * day + 1, day).await.unwrap(), PassStats { scanned: 1, ..PassStats::default() });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_action_is_counted_and_the_pass_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let tiers = vec![("GLACIER".to_owned(), dir.path().join("cold"))];
        let store = Store::open_with_tiers(&dir.path().join("data"), 8 << 20, &tiers, 0).unwrap();
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Unversioned, owner: "o".into() };
        store.create_bucket("life", record).await.unwrap();
        let mut hashes = Vec::new();
        for (key, byte) in [("a-damaged", 1u8), ("b-fine", 2)] {
            let v = store.put_bytes_for_test("life", key, bytes::Bytes::from(vec![byte; 200_000]), "STANDARD").await;
            hashes.push(v.manifest[0].hash);
        }
        // The first object's bytes are gone (a damaged disk): its transition cannot copy them.
        store.blobs_for("STANDARD").remove(&hashes[0]).unwrap();
        let xml = "<LifecycleConfiguration><Rule><ID>cold</ID><Filter/><Status>Enabled</Status>\
                   <Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>";
        store.set_bucket_config("life", DOCUMENT, Some(xml.as_bytes().to_vec())).await.unwrap();
        let day = 1000;
        let stats = run_once(&store, 10 * day, day).await.unwrap();
        assert_eq!((stats.failed, stats.transitioned), (1, 1), "{stats:?}");
        assert_eq!(store.current("life", "b-fine").unwrap().unwrap().storage_class, "GLACIER");
        assert_eq!(store.current("life", "a-damaged").unwrap().unwrap().storage_class, "STANDARD", "left as it was");
    }
}
