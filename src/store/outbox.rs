//! The event outbox: an event for each notification destination that wants a change,
//! written in the same metadata batch as the change itself (so a committed change
//! always has its events, and an aborted one never does), read and removed by the
//! delivery worker.

use super::{Store, StoreResult};
use crate::meta::{keys, Batch};
use crate::model::event::{Cause, OutboxEntry};
use crate::model::notification::Rule;
use crate::model::{stored, ObjectVersion};

/// Name of the bucket configuration document holding the validated notification rules
/// (the XML as sent is kept under `notification::DOCUMENT` for GET).
pub const RULES: &str = "notification-rules";

impl Store {
    /// The validated notification rules of a bucket.
    pub fn notification_rules(&self, bucket: &str) -> StoreResult<Vec<Rule>> {
        match self.bucket_config(bucket, RULES)? {
            Some(raw) => Ok(stored::decode(&raw)?),
            None => Ok(Vec::new()),
        }
    }

    /// Adds to `batch` one outbox entry per rule of `bucket` that wants `event_name`
    /// for `key`, and returns the change event for the in-process bus (published by the
    /// caller with [`Store::publish`] once the batch is applied). Called under the lock.
    #[allow(clippy::too_many_arguments)] // one call shape at five commit sites; a struct would only rename them
    pub(super) fn stage_events(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        event_name: &str,
        cause: &Cause,
        time_ms: i64,
        batch: &mut Batch,
    ) -> StoreResult<OutboxEntry> {
        // One sequencer per change, from the commit sequence: later changes of a key
        // (deletes included, which create no version) sort after earlier ones.
        let sequencer = self.next_seq(batch);
        let event = OutboxEntry {
            arn: String::new(),
            config_id: String::new(),
            event_name: event_name.to_owned(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: version.size,
            etag: version.etag.clone(),
            version_id: (version.version_id != crate::model::object::NULL_VERSION).then(|| version.version_id.clone()),
            sequencer,
            time_ms,
            cause: cause.clone(),
        };
        for rule in self.notification_rules(bucket)?.into_iter().filter(|r| r.wants(event_name, key)) {
            let entry = OutboxEntry { arn: rule.arn, config_id: rule.id, ..event.clone() };
            let seq = self.next_seq(batch);
            batch.put(keys::outbox(seq), stored::encode(&entry));
        }
        Ok(event)
    }

    /// Publishes an applied change on the in-process bus (under the lock, so subscribers
    /// see changes in commit order). No subscriber is fine; a lagging one loses the oldest.
    pub(super) fn publish(&self, event: OutboxEntry) {
        let _ = self.bus.send(std::sync::Arc::new(event));
    }

    /// Subscribes to every committed change (`arn` and `config_id` are empty on the bus).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<OutboxEntry>> {
        self.bus.subscribe()
    }

    /// Queues an entry that belongs to no change (the `s3:TestEvent` sent when a
    /// configuration is saved).
    pub async fn enqueue_event(&self, entry: &OutboxEntry) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let mut batch = Batch::new();
            let seq = self.next_seq(&mut batch);
            batch.put(keys::outbox(seq), stored::encode(entry));
            self.apply(&batch)?;
        }
        self.durable().await?;
        self.outbox_signal.notify_one();
        Ok(())
    }

    /// Up to `limit` outbox entries after `after` (exclusive; `None` = from the start),
    /// in commit order, with their seqs.
    pub fn outbox_page(&self, after: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, OutboxEntry)>> {
        let (start, end) = keys::outbox_range();
        let first = match after.and_then(|s| s.checked_add(1)) {
            Some(next) => keys::outbox(next),
            None if after.is_some() => return Ok(Vec::new()),
            None => start,
        };
        let mut out = Vec::new();
        for (k, v) in self.meta.scan(&first, Some(&end), limit)? {
            let seq = u64::from_be_bytes(k[1..].try_into().map_err(|_| super::corrupt("outbox key"))?);
            out.push((seq, stored::decode(&v)?));
        }
        Ok(out)
    }

    /// Removes delivered (or dropped) entries.
    pub fn outbox_remove(&self, seqs: &[u64]) -> StoreResult<()> {
        let mut batch = Batch::new();
        for seq in seqs {
            batch.delete(keys::outbox(*seq));
        }
        self.apply(&batch)
    }

    /// Number of entries waiting: counted once at open, then kept by every batch.
    pub fn outbox_len(&self) -> StoreResult<usize> {
        Ok(usize::try_from(self.outbox_backlog.load(std::sync::atomic::Ordering::Relaxed)).unwrap_or(usize::MAX))
    }

    /// Counts the entries waiting (walks the outbox: at open only).
    pub(super) fn count_outbox(meta: &dyn crate::meta::MetaStore) -> StoreResult<u64> {
        let (start, end) = keys::outbox_range();
        let mut n = 0;
        super::audit::scan_range(meta, start, &end, |_, _| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// Wakes the delivery worker when entries arrive.
    pub fn outbox_signal(&self) -> &tokio::sync::Notify {
        &self.outbox_signal
    }
}

#[cfg(test)]
mod tests {
    use crate::model::event::{Cause, CauseKind};
    use crate::model::{BucketRecord, ObjectVersion, Versioning};
    use crate::store::Store;

    fn object() -> ObjectVersion {
        ObjectVersion::empty_for_test(0)
    }

    #[tokio::test]
    async fn the_bus_carries_every_change_in_commit_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let record = BucketRecord { created_ms: 0, region: "r".into(), versioning: Versioning::Unversioned, owner: "o".into() };
        store.create_bucket("bus", record).await.unwrap();
        let mut rx = store.subscribe();
        let put = Cause { kind: CauseKind::Put, ..Cause::default() };
        store.put_object("bus", "a", object(), &mut [], &|_| true, &put).await.unwrap();
        store.put_object("bus", "a", object(), &mut [], &|_| true, &put).await.unwrap();
        store.delete_object("bus", "a", None, 0, &Cause { kind: CauseKind::Delete, ..Cause::default() }).await.unwrap();
        // A delete of nothing changes nothing and publishes nothing.
        store.delete_object("bus", "missing", None, 0, &Cause { kind: CauseKind::Delete, ..Cause::default() }).await.unwrap();
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
        }
        let names: Vec<&str> = got.iter().map(|e| e.event_name.as_str()).collect();
        assert_eq!(names, vec!["s3:ObjectCreated:Put", "s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"]);
        assert!(got.windows(2).all(|w| w[0].sequencer < w[1].sequencer));
        assert!(store.outbox_len().unwrap() == 0, "no rules, nothing queued for delivery");
    }
}
