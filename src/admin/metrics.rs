//! `GET /metrics` on the admin listener: the Prometheus text format (0.0.4).
//!
//! Request metrics come from [`crate::metrics::Metrics`]; everything else is read at
//! scrape time from what the store and the workers keep current: per-bucket usage (one
//! record per bucket, never an object scan), tiers' free space, the outbox backlog, the
//! scrubber, the group commit, the lifecycle worker, the process. `docs/metrics.md`
//! lists every metric.
//!
//! Access: `Authorization: Bearer <admin.metrics_token>`, compared in constant time, or
//! open when `admin.metrics_public = true` (both as SIGHUP last set them).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use subtle::ConstantTimeEq;

use crate::metrics::Exposition;
use crate::model::usage::BucketUsage;
use crate::s3::AppState;

/// Whether a scrape with this `Authorization` header may read the metrics.
pub fn allowed(state: &AppState, authorization: Option<&[u8]>) -> bool {
    let (token, public) = state.reload.metrics_access(&state.config);
    if public {
        return true;
    }
    // Digests compared, so that the comparison's time says nothing of the token's length.
    let digest = |b: &[u8]| <sha2::Sha256 as sha2::Digest>::digest(b);
    match authorization.and_then(|h| h.strip_prefix(b"Bearer ")) {
        Some(given) => !token.is_empty() && bool::from(digest(given).as_slice().ct_eq(digest(token.as_bytes()).as_slice())),
        None => false,
    }
}

/// The whole document. Blocking (reads the metadata store, statvfs, /proc).
pub fn render(state: &AppState) -> String {
    let mut out = Exposition::default();
    state.metrics.render(&mut out);
    buckets(state, &mut out);
    storage(state, &mut out);
    background(state, &mut out);
    process(&mut out);
    out.finish()
}

/// Bytes of every stored version and part, as clients see them (before deduplication),
/// over all buckets.
pub(super) fn logical_bytes(usage: &std::collections::BTreeMap<String, BucketUsage>) -> u64 {
    usage.values().fold(0u64, |sum, u| sum.saturating_add(u.stored_bytes()))
}

/// One per-bucket figure of a [`BucketUsage`].
type Field = fn(&BucketUsage) -> u64;

fn buckets(state: &AppState, out: &mut Exposition) {
    let usage = match state.store.all_usage() {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: reading bucket usage");
            return;
        }
    };
    let names: Vec<String> = state.store.list_buckets().map(|b| b.into_iter().map(|(n, _)| n).collect()).unwrap_or_default();
    out.gauge("coffer_buckets", "Buckets.", names.len());
    let logical = logical_bytes(&usage);
    out.gauge(
        "coffer_stored_logical_bytes",
        "Bytes of every stored object version and part, as clients see them (before deduplication).",
        logical,
    );
    let families: [(&str, &str, Field); 6] = [
        ("coffer_bucket_objects", "Keys whose current version is an object (not a delete marker).", |u| u.objects),
        ("coffer_bucket_versions", "Object versions stored, current and noncurrent (delete markers not included).", |u| u.versions),
        ("coffer_bucket_bytes", "Bytes of the object versions stored, current and noncurrent.", |u| u.bytes),
        ("coffer_bucket_delete_markers", "Delete markers, current and noncurrent.", |u| u.delete_markers),
        ("coffer_bucket_uploads", "Multipart uploads in progress.", |u| u.uploads),
        ("coffer_bucket_upload_bytes", "Bytes of the parts of multipart uploads in progress.", |u| u.upload_bytes),
    ];
    for (name, help, field) in families {
        out.family(name, "gauge", help);
        for bucket in &names {
            let u = usage.get(bucket).copied().unwrap_or_default();
            out.sample(name, &[("bucket", bucket)], field(&u));
        }
    }
    let mut quota_bytes = Exposition::default();
    let mut quota_objects = Exposition::default();
    for bucket in &names {
        let Ok(q) = state.store.bucket_quota(bucket) else { continue };
        if let Some(max) = q.max_bytes {
            quota_bytes.sample("coffer_bucket_quota_bytes", &[("bucket", bucket)], max);
        }
        if let Some(max) = q.max_objects {
            quota_objects.sample("coffer_bucket_quota_objects", &[("bucket", bucket)], max);
        }
    }
    out.family("coffer_bucket_quota_bytes", "gauge", "A bucket's byte quota (buckets with one).");
    out.append(&quota_bytes);
    out.family("coffer_bucket_quota_objects", "gauge", "A bucket's object quota (buckets with one).");
    out.append(&quota_objects);
}

fn storage(state: &AppState, out: &mut Exposition) {
    let store = &state.store;
    let tiers = store.tier_status();
    out.family("coffer_tier_free_bytes", "gauge", "Bytes free to coffer on the filesystem of each storage tier's directory.");
    for t in &tiers {
        if let Some(free) = t.free_bytes {
            out.sample("coffer_tier_free_bytes", &[("class", &t.class)], free);
        }
    }
    out.family("coffer_tier_size_bytes", "gauge", "Size of the filesystem of each storage tier's directory.");
    for t in &tiers {
        if let Some(total) = t.total_bytes {
            out.sample("coffer_tier_size_bytes", &[("class", &t.class)], total);
        }
    }
    out.gauge("coffer_metadata_bytes", "Bytes the metadata store occupies on disk.", store.meta_size_on_disk());
    out.family(
        "coffer_blob_bytes",
        "gauge",
        "Bytes of the blobs each storage tier holds for objects and parts (after deduplication; encrypted blobs include their tags).",
    );
    for (class, bytes) in store.blob_bytes().unwrap_or_default() {
        out.sample("coffer_blob_bytes", &[("class", &class)], bytes);
    }
    if let Some(space) = store.space_status() {
        out.gauge("coffer_disk_reserve_bytes", "The disk space reserve (storage.reserve_mib).", space.reserve_bytes);
    }
    if let Some(space) = store.space_status().filter(|s| s.reserve_bytes > 0) {
        out.gauge("coffer_disk_reserve_held", "1 while the reserve file is allocated, 0 once released to a full disk.", space.reserve_held);
    }
    out.gauge(
        "coffer_durability_failed",
        "1 once a metadata flush or directory sync failed: writes are refused until restart.",
        store.durability_failure().is_some(),
    );
    let health = store.blob_health();
    out.counter("coffer_blobs_damaged_total", "Blobs found damaged by reads and the scrubber (each quarantined).", health.damaged);
    out.counter("coffer_blobs_missing_total", "Reads of blobs missing or shorter than their manifest says.", health.missing);
    let commits = store.commit_stats();
    out.counter("coffer_meta_flushes_total", "Metadata flushes (group commits).", commits.runs);
    out.counter(
        "coffer_meta_flushed_commits_total",
        "Writes made durable by those flushes (divide by flushes for the mean group size).",
        commits.covered_callers,
    );
    out.family("coffer_meta_flush_seconds_total", "counter", "Time spent in metadata flushes.");
    out.sample("coffer_meta_flush_seconds_total", &[], Duration::from_nanos(commits.barrier_nanos).as_secs_f64());
}

fn background(state: &AppState, out: &mut Exposition) {
    let store = &state.store;
    let d = &state.delivery;
    out.gauge("coffer_events_outbox_backlog", "Events waiting in the durable outbox for delivery.", store.outbox_len().unwrap_or(0));
    out.counter("coffer_events_delivered_total", "Events accepted by their destination.", d.delivered.load(Ordering::Relaxed));
    out.counter(
        "coffer_events_failed_attempts_total",
        "Delivery attempts that failed (each retried).",
        d.failed_attempts.load(Ordering::Relaxed),
    );
    out.counter(
        "coffer_events_dropped_total",
        "Events given up on (unknown destination, or past notify.max_age_secs).",
        d.dropped.load(Ordering::Relaxed),
    );
    let destinations = d.by_destination();
    for (name, index, help) in [
        ("coffer_events_destination_delivered_total", 0, "Events accepted, by destination ARN."),
        ("coffer_events_destination_failed_attempts_total", 1, "Delivery attempts that failed, by destination ARN."),
        ("coffer_events_destination_dropped_total", 2, "Events given up on, by destination ARN."),
    ] {
        out.family(name, "counter", help);
        for (arn, counts) in &destinations {
            out.sample(name, &[("destination", arn)], counts[index]);
        }
    }
    let scrub = store.scrub_report();
    out.gauge("coffer_scrub_running", "1 while a scrub pass runs.", scrub.running);
    out.counter("coffer_scrub_passes_total", "Scrub passes finished since start-up.", scrub.passes_completed);
    out.gauge("coffer_scrub_pass_checked_blobs", "Blobs checked by the current (or last) scrub pass.", scrub.checked_blobs);
    out.gauge("coffer_scrub_pass_checked_bytes", "Bytes checked by the current (or last) scrub pass.", scrub.checked_bytes);
    out.counter("coffer_scrub_damaged_total", "Damaged blobs the scrubber found since start-up.", scrub.damaged.len() as u64);
    let audit = &state.audit.stats;
    out.counter("coffer_audit_records_total", "Audit records written to audit.path.", audit.written.load(Ordering::Relaxed));
    out.counter(
        "coffer_audit_dropped_total",
        "Audit records lost: the queue was full or the file could not be written.",
        audit.dropped.load(Ordering::Relaxed),
    );
    let access = &state.access_log.stats;
    out.counter("coffer_access_log_records_total", "Server access log records kept for delivery.", access.recorded.load(Ordering::Relaxed));
    out.counter(
        "coffer_access_log_delivered_total",
        "Server access log records delivered in log objects.",
        access.delivered.load(Ordering::Relaxed),
    );
    out.counter(
        "coffer_access_log_objects_total",
        "Server access log objects stored in target buckets.",
        access.objects.load(Ordering::Relaxed),
    );
    out.counter(
        "coffer_access_log_dropped_total",
        "Server access log records lost: queue full, not storable, or undeliverable.",
        access.dropped.load(Ordering::Relaxed),
    );
    let l = &state.lifecycle;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    out.counter("coffer_lifecycle_passes_total", "Lifecycle passes finished.", load(&l.passes));
    out.family("coffer_lifecycle_actions_total", "counter", "Lifecycle actions done, by kind.");
    for (action, counter) in [
        ("expire", &l.expired),
        ("remove_version", &l.versions_removed),
        ("abort_upload", &l.uploads_aborted),
        ("transition", &l.transitioned),
        ("failed", &l.failed),
        ("skipped_locked", &l.locked),
    ] {
        out.sample("coffer_lifecycle_actions_total", &[("action", action)], load(counter));
    }
    out.gauge(
        "coffer_lifecycle_last_pass_seconds",
        "Duration of the last lifecycle pass.",
        Duration::from_millis(load(&l.last_pass_ms)).as_secs_f64(),
    );
}

fn process(out: &mut Exposition) {
    // "VmRSS:   12345 kB" in /proc/self/status.
    let resident = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
    });
    if let Some(bytes) = resident {
        out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", bytes);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        out.gauge("process_open_fds", "Open file descriptors.", fds.count());
    }
    if let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
        out.gauge("process_max_fds", "The open file descriptor limit.", limit);
    }
}
