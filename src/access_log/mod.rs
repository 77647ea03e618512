//! Server access logging at work: each request to a bucket whose logging is on becomes
//! a record in S3's server access log format ([`crate::model::logging::AccessRecord`]),
//! queued to a writer that appends records to the metadata store in batches (each batch
//! made durable by the group commit, about once a second); every
//! `logging.interval_secs` the delivery worker gathers the waiting records into log
//! objects, one per target bucket, prefix and logged bucket (and day, for partitioned
//! keys), stores each in its target bucket as the logging service
//! (`crate::s3::logging::deliver_object`), and only then removes the records: delivery
//! is at least once, and records survive restarts. A record not deliverable for a day
//! (a quota, a full disk) is given up, counted and logged; one whose target is gone or
//! refuses the service is given up at once.
//!
//! What a crash can lose: the records of requests answered in the last moment before it
//! (the writer's batch not yet flushed), never a record once written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::logging::{object_key, AccessRecord, KeyFormat, LoggingEnabled, Utc};
use crate::model::stored;
use crate::s3::AppState;
use crate::store::Store;

/// Records queued for the writer at most (past it records are dropped, counted).
const QUEUE: usize = 50_000;
/// Records one log object holds at most.
const MAX_RECORDS_PER_OBJECT: usize = 50_000;
/// Records a delivery round reads per page.
const PAGE: usize = 10_000;
/// A record not delivered for this long is given up.
const GIVE_UP_MS: i64 = 24 * 3600 * 1000;

/// A record waiting for delivery, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRecord {
    /// The target bucket.
    pub target_bucket: String,
    /// The target prefix.
    pub target_prefix: String,
    /// 0: SimplePrefix; 1: PartitionedPrefix by event time; 2: by delivery time.
    pub format: u8,
    /// `x-amz-grant-*` headers the log object gets (TargetGrants).
    pub grants: Vec<(String, String)>,
    /// The logged bucket.
    pub source_bucket: String,
    /// The logged bucket's account.
    pub source_account: String,
    /// The server's region.
    pub region: String,
    /// When the request arrived, ms since the epoch.
    pub time_ms: i64,
    /// The record line.
    pub line: String,
}

impl PendingRecord {
    /// A record of `record` for the logging configuration `target`.
    pub fn new(target: &LoggingEnabled, record: &AccessRecord, source_account: &str, region: &str) -> Self {
        let format = match target.format() {
            KeyFormat::Simple => 0,
            KeyFormat::Partitioned { event_time: true } => 1,
            KeyFormat::Partitioned { event_time: false } => 2,
        };
        let grants = target
            .target_grants
            .iter()
            .flat_map(|g| &g.grants)
            .filter_map(|g| g.as_header().ok())
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        Self {
            target_bucket: target.target_bucket.clone(),
            target_prefix: target.target_prefix.clone(),
            format,
            grants,
            source_bucket: record.bucket.clone(),
            source_account: source_account.to_owned(),
            region: region.to_owned(),
            time_ms: record.time_ms,
            line: record.line(),
        }
    }

    fn key_format(&self) -> KeyFormat {
        match self.format {
            0 => KeyFormat::Simple,
            1 => KeyFormat::Partitioned { event_time: true },
            _ => KeyFormat::Partitioned { event_time: false },
        }
    }
}

/// A request's record before its response has ended: the front end fills in the bytes
/// sent and the times, then queues it ([`Draft::finish`]).
#[derive(Debug, Clone)]
pub struct Draft {
    /// Where the logged bucket's log goes.
    pub target: LoggingEnabled,
    /// The record so far.
    pub record: AccessRecord,
    /// The logged bucket's account.
    pub source_account: String,
}

impl Draft {
    /// Completes the record with what the response's end knows and queues it.
    pub fn finish(mut self, log: &AccessLog, region: &str, bytes_sent: u64, first_byte: Duration, total: Duration) {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.record.bytes_sent = Some(bytes_sent);
        self.record.total_time_ms = Some(ms(total));
        self.record.turn_around_ms = Some(ms(first_byte));
        log.record(PendingRecord::new(&self.target, &self.record, &self.source_account, region));
    }
}

/// Counters for the metrics.
#[derive(Debug, Default)]
pub struct AccessLogStats {
    /// Records written to the waiting list.
    pub recorded: AtomicU64,
    /// Records delivered in log objects.
    pub delivered: AtomicU64,
    /// Log objects stored.
    pub objects: AtomicU64,
    /// Records lost: the queue was full, the waiting list could not be written, or
    /// delivery was given up.
    pub dropped: AtomicU64,
}

/// The queue to the writer task.
pub struct AccessLog {
    queue: tokio::sync::mpsc::Sender<PendingRecord>,
    /// Counters.
    pub stats: Arc<AccessLogStats>,
}

impl AccessLog {
    /// Starts the writer task over `store`.
    pub fn start(store: Arc<Store>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(QUEUE);
        let stats = Arc::new(AccessLogStats::default());
        tokio::spawn(write_records(store, rx, Arc::clone(&stats)));
        Self { queue: tx, stats }
    }

    /// Queues a record; never waits.
    pub fn record(&self, record: PendingRecord) {
        if self.queue.try_send(record).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!("access log queue full: a record was dropped");
        }
    }
}

/// Appends queued records to the store, a batch at a time.
async fn write_records(store: Arc<Store>, mut rx: tokio::sync::mpsc::Receiver<PendingRecord>, stats: Arc<AccessLogStats>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 1024).await > 0 {
        let encoded: Vec<Vec<u8>> = batch.drain(..).map(|r| stored::encode(&r)).collect();
        let n = encoded.len() as u64;
        match store.queue_access_records(&encoded).await {
            Ok(()) => {
                stats.recorded.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                stats.dropped.fetch_add(n, Ordering::Relaxed);
                tracing::error!(error = %e, records = n, "access log records could not be stored");
            }
        }
    }
}

/// Delivers waiting records every `interval` until `stop`, and once more when it comes.
pub async fn deliver(state: Arc<AppState>, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(interval) => false,
            _ = stop.changed() => true,
        };
        if let Err(e) = deliver_round(&state).await {
            tracing::warn!(error = %e, "access log delivery round failed; retrying next interval");
        }
        if stopping {
            return;
        }
    }
}

/// What one log object gathers: records with the same target, key format, logged
/// bucket and partition day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Group {
    target_bucket: String,
    target_prefix: String,
    format: u8,
    grants: Vec<(String, String)>,
    source_bucket: String,
    source_account: String,
    region: String,
    /// The event-time day (partitioned by event time), else 0.
    day: i64,
}

/// One pass over every waiting record.
pub async fn deliver_round(state: &AppState) -> crate::store::StoreResult<()> {
    let store = &state.store;
    let mut after = None;
    loop {
        let page = store.access_records(after, PAGE)?;
        let Some((last, _)) = page.last() else { return Ok(()) };
        after = Some(*last);
        let mut groups: BTreeMap<Group, Vec<(u64, PendingRecord)>> = BTreeMap::new();
        let mut unreadable = Vec::new();
        for (seq, raw) in page {
            let Ok(record) = stored::decode::<PendingRecord>(&raw) else {
                unreadable.push(seq);
                continue;
            };
            let day = if record.format == 1 { record.time_ms.div_euclid(86_400_000) } else { 0 };
            let group = Group {
                target_bucket: record.target_bucket.clone(),
                target_prefix: record.target_prefix.clone(),
                format: record.format,
                grants: record.grants.clone(),
                source_bucket: record.source_bucket.clone(),
                source_account: record.source_account.clone(),
                region: record.region.clone(),
                day,
            };
            groups.entry(group).or_default().push((seq, record));
        }
        if !unreadable.is_empty() {
            tracing::error!(records = unreadable.len(), "unreadable access log records dropped");
            state.access_log.stats.dropped.fetch_add(unreadable.len() as u64, Ordering::Relaxed);
            store.remove_access_records(&unreadable).await?;
        }
        for (group, records) in groups {
            for chunk in records.chunks(MAX_RECORDS_PER_OBJECT) {
                deliver_chunk(state, &group, chunk).await?;
            }
        }
    }
}

/// Stores one log object of `records`; removes them once stored, or once given up.
async fn deliver_chunk(state: &AppState, group: &Group, records: &[(u64, PendingRecord)]) -> crate::store::StoreResult<()> {
    let now_ms = crate::s3::headers::to_ms((state.clock)());
    let first = &records[0].1;
    let delivered = Utc::from_ms(now_ms);
    let format = first.key_format();
    let partition = match format {
        KeyFormat::Partitioned { event_time: true } => Utc::from_ms(group.day * 86_400_000),
        _ => delivered,
    };
    // With event-time partitions the file name carries the day, not a time of day.
    let named = if format == (KeyFormat::Partitioned { event_time: true }) { partition } else { delivered };
    let key = object_key(
        &group.target_prefix,
        &format,
        (&group.source_account, &group.region, &group.source_bucket),
        partition,
        named,
        rand::random::<u64>(),
    );
    let mut body = String::with_capacity(records.iter().map(|(_, r)| r.line.len() + 1).sum());
    for (_, r) in records {
        body.push_str(&r.line);
        body.push('\n');
    }
    let seqs: Vec<u64> = records.iter().map(|(s, _)| *s).collect();
    let outcome = crate::s3::logging::deliver_object(
        state,
        &group.target_bucket,
        &key,
        bytes::Bytes::from(body),
        &group.grants,
        (&group.source_account, &group.source_bucket),
    )
    .await;
    let counters = &state.access_log.stats;
    match outcome {
        Ok(()) => {
            counters.delivered.fetch_add(seqs.len() as u64, Ordering::Relaxed);
            counters.objects.fetch_add(1, Ordering::Relaxed);
            state.store.remove_access_records(&seqs).await
        }
        Err(crate::s3::logging::DeliveryError::Refused(why)) => {
            tracing::warn!(target = %group.target_bucket, records = seqs.len(), why, "access log records dropped: undeliverable");
            counters.dropped.fetch_add(seqs.len() as u64, Ordering::Relaxed);
            state.store.remove_access_records(&seqs).await
        }
        Err(crate::s3::logging::DeliveryError::Failed(why)) => {
            let expired: Vec<u64> = records.iter().filter(|(_, r)| now_ms - r.time_ms > GIVE_UP_MS).map(|(s, _)| *s).collect();
            tracing::warn!(target = %group.target_bucket, records = seqs.len(), given_up = expired.len(), why, "access log delivery failed; retrying next interval");
            counters.dropped.fetch_add(expired.len() as u64, Ordering::Relaxed);
            state.store.remove_access_records(&expired).await
        }
    }
}
