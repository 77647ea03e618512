//! Disk space: a full disk is a state, not a wedge.
//!
//! coffer keeps a reserve: a file of `storage.reserve_mib` MiB, allocated on the data
//! root's filesystem. New data (PUTs, parts, copies, new configuration) is refused with
//! a clear error ([`super::StoreError::DiskFull`], 507 InsufficientStorage) as soon as
//! the filesystem's free space falls below the reserve's size, so the metadata store
//! never runs out while deletes, aborts and flushes still need room. If the free space
//! falls to half the reserve anyway (another program filled the disk), half of the
//! reserve file is released to give deletes and metadata flushes room; the other half is
//! kept for the next start: at start-up on a full disk the whole reserve is released
//! before the metadata store opens (sled writes at open), so coffer starts and serves
//! reads and deletes. The reserve is allocated again once there is room for it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a free-space reading is reused: a `statvfs` per PUT would be cheap on a
/// local disk but a round trip on network and FUSE filesystems.
const FRESH: Duration = Duration::from_millis(100);

/// The reserve file, in the data root.
const RESERVE_FILE: &str = "reserve";

/// Free space of the filesystems coffer writes to, and the reserve.
pub(super) struct DiskSpace {
    /// The data root (metadata, main blobs, the reserve file).
    root: PathBuf,
    /// The reserve file.
    reserve_path: PathBuf,
    /// Reserve size in bytes (0: no reserve, no admission check).
    reserve: u64,
    /// Last reading of each directory's free bytes.
    readings: Mutex<Vec<(PathBuf, Instant, u64)>>,
}

/// What [`DiskSpace`] reports for the stats.
#[derive(Debug, Clone, Copy)]
pub struct SpaceStatus {
    /// Free bytes on the data root's filesystem (available to coffer).
    pub free_bytes: u64,
    /// The configured reserve.
    pub reserve_bytes: u64,
    /// Whether the reserve file is currently allocated.
    pub reserve_held: bool,
}

/// Free bytes available to unprivileged writers on the filesystem of `dir`.
fn free_bytes(dir: &Path) -> io::Result<u64> {
    let s = rustix::fs::statvfs(dir).map_err(io::Error::from)?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}

impl DiskSpace {
    /// Sets up the reserve under `root` (before the metadata store opens, so that a full
    /// disk is given room first).
    pub(super) fn open(root: &Path, reserve: u64) -> io::Result<Self> {
        let space = Self { root: root.to_owned(), reserve_path: root.join(RESERVE_FILE), reserve, readings: Mutex::new(Vec::new()) };
        if reserve == 0 {
            if space.reserve_path.exists() {
                space.release("storage.reserve_mib is 0");
            }
            return Ok(space);
        }
        let free = free_bytes(root)?;
        if space.reserve_path.exists() && free < reserve / 2 {
            space.release("the disk is full at start-up");
        } else {
            space.maintain(free);
        }
        Ok(space)
    }

    /// Whether the reserve file is allocated.
    fn held(&self) -> bool {
        self.reserve_path.metadata().is_ok_and(|m| m.len() >= self.reserve)
    }

    /// Deletes the reserve file, giving its space to deletes and metadata flushes.
    fn release(&self, why: &str) {
        match std::fs::remove_file(&self.reserve_path) {
            Ok(()) => tracing::warn!(why, reserve_mib = self.reserve >> 20, "released the disk space reserve"),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::error!(error = %e, "could not release the disk space reserve"),
        }
    }

    /// Gives the first half of the reserve back (the second is for the next start).
    fn release_half(&self) {
        match OpenOptions::new().write(true).open(&self.reserve_path).and_then(|f| f.set_len(self.reserve / 2).and_then(|()| f.sync_all()))
        {
            Ok(()) => tracing::warn!(
                released_mib = (self.reserve / 2) >> 20,
                "the disk is full: released half the disk space reserve for deletes; the rest is released at the next start if needed"
            ),
            Err(e) => tracing::error!(error = %e, "could not release the disk space reserve"),
        }
    }

    /// Releases half the reserve when free space is nearly gone, allocates it again
    /// when there is room for it and as much again.
    fn maintain(&self, free: u64) {
        let held = self.held();
        if held && free < self.reserve / 2 {
            self.release_half();
        } else if !held && free >= self.reserve.saturating_mul(2) {
            match allocate(&self.reserve_path, self.reserve) {
                Ok(()) => tracing::info!(reserve_mib = self.reserve >> 20, "disk space reserve allocated"),
                Err(e) => {
                    let _ = std::fs::remove_file(&self.reserve_path);
                    tracing::warn!(error = %e, "could not allocate the disk space reserve");
                }
            }
        }
    }

    /// Free bytes of `dir`'s filesystem, read at most every [`FRESH`].
    fn free(&self, dir: &Path) -> io::Result<u64> {
        let mut readings = self.readings.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, at, free)) = readings.iter().find(|(d, _, _)| d == dir) {
            if at.elapsed() < FRESH {
                return Ok(*free);
            }
        }
        let free = free_bytes(dir)?;
        readings.retain(|(d, _, _)| d != dir);
        readings.push((dir.to_owned(), Instant::now(), free));
        drop(readings);
        if dir == self.root {
            self.maintain(free);
        }
        Ok(free)
    }

    /// Checks that `incoming` more bytes may be written to the data root and to the
    /// blob directory `blobs_dir`; `Err(why)` if that would eat into the reserve.
    pub(super) fn admit(&self, blobs_dir: &Path, incoming: u64) -> Result<(), String> {
        if self.reserve == 0 {
            return Ok(());
        }
        for dir in std::iter::once(self.root.as_path()).chain((blobs_dir != self.root).then_some(blobs_dir)) {
            let free = self.free(dir).map_err(|e| format!("cannot read the free space of {}: {e}", dir.display()))?;
            if free.saturating_sub(incoming) < self.reserve {
                return Err(format!(
                    "The disk holding {} is full: {} MiB free, {} MiB kept in reserve for deletes{}. Delete objects or add space.",
                    dir.display(),
                    free >> 20,
                    self.reserve >> 20,
                    if incoming > 0 { format!(", {} MiB asked for", incoming.div_ceil(1 << 20)) } else { String::new() }
                ));
            }
        }
        Ok(())
    }

    /// For the stats.
    pub(super) fn status(&self) -> SpaceStatus {
        SpaceStatus { free_bytes: free_bytes(&self.root).unwrap_or(0), reserve_bytes: self.reserve, reserve_held: self.held() }
    }
}

/// Allocates `len` bytes at `path` for real (not a sparse file), durably.
fn allocate(path: &Path, len: u64) -> io::Result<()> {
    let file: File = OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
    if let Err(e) = rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, len) {
        if e != rustix::io::Errno::OPNOTSUPP {
            return Err(e.into());
        }
        // Filesystems without fallocate: write the zeros.
        let zeros = vec![0u8; 1 << 20];
        let mut w = io::BufWriter::new(&file);
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left.min(1 << 20)).unwrap_or(1 << 20);
            w.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        w.flush()?;
    }
    file.sync_all()?;
    match path.parent() {
        Some(dir) => crate::fsync::sync_dir(dir),
        None => Ok(()),
    }
}
