//! Server access log records waiting for delivery (`crate::access_log`): appended in
//! batches, each batch made durable by the group commit before the next is taken, read
//! in arrival order, removed once their log object is stored.

use super::{Store, StoreResult};
use crate::meta::{keys, Batch};

impl Store {
    /// Appends `records` (opaque bytes) durably, in order.
    pub async fn queue_access_records(&self, records: &[Vec<u8>]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        {
            let _guard = self.locked();
            let mut batch = Batch::new();
            for record in records {
                let seq = self.next_seq(&mut batch);
                batch.put(keys::access_record(seq), record.clone());
            }
            self.apply(&batch)?;
        }
        self.durable().await
    }

    /// Up to `limit` records with seqs above `after`, oldest first.
    pub fn access_records(&self, after: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        let (start, end) = keys::access_record_range();
        let first = after.and_then(|s| s.checked_add(1)).map_or(start, keys::access_record);
        let rows = self.meta.scan(&first, Some(&end), limit)?;
        Ok(rows.into_iter().filter_map(|(k, v)| keys::access_record_seq(&k).map(|seq| (seq, v))).collect())
    }

    /// Removes delivered (or given up) records, durably.
    pub async fn remove_access_records(&self, seqs: &[u64]) -> StoreResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        {
            let _guard = self.locked();
            let mut batch = Batch::new();
            for seq in seqs {
                batch.delete(keys::access_record(*seq));
            }
            self.apply(&batch)?;
        }
        self.durable().await
    }
}
