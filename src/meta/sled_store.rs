//! [`SledStore`]: the on-disk [`MetaStore`], one sled tree.
//!
//! Why a single tree: sled's `apply_batch` is atomic within one tree, and record kinds
//! are told apart by a one-byte key prefix ([`super::keys`]), so every commit is one
//! atomic batch without sled's multi-tree transactions (which cannot scan).
//!
//! # What sled's flush misses, and what this adapter adds
//!
//! sled 0.34's `flush` on Linux ends with `sync_file_range(2)` on its log file, not
//! `fsync`: that writes the pages but neither the file's size and other metadata nor
//! the drive's cache, and on FUSE filesystems it reaches nothing durable at all. Values
//! too big for a log segment go to files under `blobs/` that sled never fsyncs, and
//! the files it creates at open (`db`, `conf`, snapshots renamed into place) never have
//! their directory synced. So [`SledStore::flush`] fsyncs what sled left: first any new
//! large-value file and their directory (so that no durable log record points at a
//! value that is not), then sled's flush, then an `fsync` of the log file itself; and
//! [`SledStore::open`] fsyncs every file sled wrote and the directories. sled's own
//! once-a-second timer flush is off: every durable point is one of ours, in that order.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Batch, Entry, MetaError, MetaStore};

/// sled behind the [`MetaStore`] trait.
pub struct SledStore {
    /// The database handle (kept to flush and measure size).
    db: sled::Db,
    /// sled's log file, opened again to fsync it (an fsync of any handle syncs the file).
    log: File,
    /// sled's directory of large values.
    values_dir: PathBuf,
    /// Large-value files already fsynced.
    synced_values: Mutex<HashSet<OsString>>,
}

fn backend(e: &sled::Error) -> MetaError {
    MetaError::Backend(e.to_string())
}

impl SledStore {
    /// Opens (creating if needed) the database in `dir`, with a page cache of
    /// `cache_bytes`. sled's defaults grow its cache to 1 GiB; we bound it because
    /// RAM bloat is the reason Garage dropped sled.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, MetaError> {
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            // Space over throughput: our commits are grouped, and disk bloat is sled's
            // known weakness.
            .mode(sled::Mode::LowSpace)
            // Durability comes from our explicit group-commit flushes alone (see the
            // module note: they sync what sled's flush misses, in the right order).
            .flush_every_ms(None);
        // sled releases its directory lock only when its background threads let go of
        // the last handle, a moment after the `Db` is dropped; a reopen in that window
        // (a restart in the same process) waits for it rather than failing. Another
        // process holding the lock still fails, after the wait, with sled's message.
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match config.open() {
                Ok(db) => return Self::wrap(db, dir),
                Err(sled::Error::Io(e)) if lock_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(backend(&e)),
            }
        }
    }
}

impl SledStore {
    /// Completes sled's open durably: fsyncs the files it wrote (`conf`, the log, the
    /// snapshot), the large values, and both directories.
    fn wrap(db: sled::Db, dir: &Path) -> Result<Self, MetaError> {
        let io = |e: std::io::Error| MetaError::Backend(format!("syncing {}: {e}", dir.display()));
        let values_dir = dir.join("blobs");
        crate::fsync::sync_tree_files(&values_dir).map_err(io)?;
        crate::fsync::sync_tree_files(dir).map_err(io)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::fsync::sync_dir(parent).map_err(io)?;
        }
        let synced = std::fs::read_dir(&values_dir).map_err(io)?.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
        let log = File::open(dir.join("db")).map_err(io)?;
        Ok(Self { db, log, values_dir, synced_values: Mutex::new(synced) })
    }

    /// fsyncs large-value files written since the last call, then their directory.
    fn sync_values(&self) -> std::io::Result<()> {
        let mut synced = self.synced_values.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut present = HashSet::new();
        let mut fresh = false;
        for entry in std::fs::read_dir(&self.values_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                File::open(entry.path())?.sync_all()?;
                fresh = true;
            }
            present.insert(name);
        }
        if fresh || present.len() != synced.len() {
            crate::fsync::sync_dir(&self.values_dir)?;
        }
        *synced = present;
        Ok(())
    }

    /// Opens the database in `dir` and closes it again, for a clean shutdown. sled 0.34
    /// writes the snapshot of its page table only when it opens, after replaying the
    /// log written since the last snapshot; without this, the first start after a
    /// long run replays everything written meanwhile (seconds for gigabytes). Done at
    /// shutdown, that replay happens while nobody waits for the server; a crash still
    /// leaves it to the next start.
    pub fn checkpoint(dir: &Path, cache_bytes: u64) -> Result<(), MetaError> {
        let store = Self::open(dir, cache_bytes)?;
        store.flush()
    }
}

/// Whether sled failed to open because another handle holds its directory lock. sled
/// wraps the `flock` error in an `ErrorKind::Other` error with its own message.
fn lock_busy(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

/// How long [`SledStore::open`] waits for a just-released directory lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl MetaStore for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        Ok(self.db.get(key).map_err(|e| backend(&e))?.map(|v| v.to_vec()))
    }

    fn scan(&self, start: &[u8], end: Option<&[u8]>, limit: usize) -> Result<Vec<Entry>, MetaError> {
        if end.is_some_and(|e| e <= start) {
            return Ok(Vec::new());
        }
        let iter = match end {
            Some(e) => self.db.range(start..e),
            None => self.db.range(start..),
        };
        iter.take(limit).map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(|e| backend(&e))).collect()
    }

    fn scan_rev(&self, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, MetaError> {
        if end <= start {
            return Ok(Vec::new());
        }
        self.db.range(start..end).rev().take(limit).map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(|e| backend(&e))).collect()
    }

    fn apply(&self, batch: &Batch) -> Result<(), MetaError> {
        let mut b = sled::Batch::default();
        for (key, value) in batch.ops() {
            match value {
                Some(v) => b.insert(key.as_slice(), v.as_slice()),
                None => b.remove(key.as_slice()),
            }
        }
        self.db.apply_batch(b).map_err(|e| backend(&e))
    }

    fn flush(&self) -> Result<(), MetaError> {
        let io = |what: &str, e: std::io::Error| MetaError::Backend(format!("{what}: {e}"));
        self.sync_values().map_err(|e| io("fsync of metadata large values", e))?;
        self.db.flush().map_err(|e| backend(&e))?;
        self.log.sync_data().map_err(|e| io("fsync of the metadata log", e))
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sled's snapshot files in `dir`.
    fn snapshots(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("snap."))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn checkpoint_writes_a_new_snapshot_and_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path(), 1 << 20).unwrap();
            let mut batch = Batch::new();
            for i in 0..2000u32 {
                batch.put(i.to_be_bytes().to_vec(), vec![7; 100]);
            }
            store.apply(&batch).unwrap();
            store.flush().unwrap();
        }
        let before = snapshots(dir.path());
        SledStore::checkpoint(dir.path(), 1 << 20).unwrap();
        let after = snapshots(dir.path());
        assert!(!after.is_empty() && after != before, "a snapshot covering the writes: {before:?} -> {after:?}");
        let reopened = SledStore::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(reopened.get(&1999u32.to_be_bytes()).unwrap(), Some(vec![7; 100]));
    }

    #[test]
    fn open_waits_for_a_handle_being_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledStore::open(dir.path(), 1 << 20).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            drop(first);
        });
        // The lock is held when this starts; it succeeds once the first handle is gone.
        let second = SledStore::open(dir.path(), 1 << 20);
        releaser.join().unwrap();
        assert!(second.is_ok(), "{:?}", second.err());
    }
}
