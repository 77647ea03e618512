//! [`FsBlobStore`]: blobs as files on a local (or shared) filesystem.
//!
//! ```text
//! <root>/blobs/ab/cd/<64-hex BLAKE3>          immutable, content-addressed
//! <root>/blobs/ab/cd/<64-hex BLAKE3>.blocks   its block list, if larger than 1 MiB
//! <root>/tmp/<random>                         uploads in flight; emptied by `open`
//! <root>/quarantine/<64-hex>.<ms>             blobs found damaged, kept for inspection
//! ```
//!
//! `tmp/` and `blobs/` must be on one filesystem, so that publishing is an atomic
//! rename. Write protocol, by `fsync` alone (see `crate::fsync`: no `syncfs`):
//! the writer fdatasyncs the temp file before it is staged → `publish` renames it to
//! its address (no fsync: it runs under the caller's commit lock) and records which
//! directories changed (the `ab/cd/` directory; `ab/` and `blobs/` too when a
//! subdirectory was created) → `sync` fsyncs each recorded directory once, for every
//! writer waiting ([`super::Blobs`] groups them), side by side. Syncing the bytes
//! before the rename keeps the invariant that a file at an address is complete even
//! after a power cut, so deduplicating against it is safe. Removal is not synced: a
//! blob that reappears after a crash is unreferenced and removed the same way.
//! Emptied `ab/cd/` directories are kept (at most 65,536).
//!
//! Block lists (`.blocks`) are written without fsync: they are authenticated by the
//! address (see `tree.rs`), so one lost or torn by a crash is rebuilt from the blob.
//!
//! Uses nothing from the crate outside `blob` and the bottom layer `fsync`.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{BlobHash, BlobStore};

/// Suffix of block-list files.
const BLOCKS_SUFFIX: &str = ".blocks";

/// A blob store in a filesystem directory.
pub struct FsBlobStore {
    /// `<root>/blobs`.
    blobs: PathBuf,
    /// `<root>/tmp`.
    tmp: PathBuf,
    /// `<root>/quarantine`.
    quarantine: PathBuf,
    /// Directories whose entries changed since the last `sync`. Held across a publish's
    /// rename, so that a sync that takes the set covers every rename seen before it.
    changed_dirs: Mutex<BTreeSet<PathBuf>>,
}

impl FsBlobStore {
    /// Opens the store under `root`: creates `blobs/` and `tmp/` durably if missing and
    /// removes temp files left by an earlier run (uploads that never completed).
    pub fn open(root: &Path) -> io::Result<Self> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        crate::fsync::create_dir_all(&blobs)?;
        crate::fsync::create_dir_all(&tmp)?;
        let mut removed = 0usize;
        for entry in fs::read_dir(&tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())?;
            } else {
                fs::remove_file(entry.path())?;
            }
            removed += 1;
        }
        if removed > 0 {
            tracing::info!(removed, "removed temp files of interrupted uploads");
        }
        Ok(Self { blobs, tmp, quarantine: root.join("quarantine"), changed_dirs: Mutex::new(BTreeSet::new()) })
    }

    /// The `ab/` and `ab/cd/` directories of `hash`.
    fn dirs(&self, hash: &BlobHash) -> (PathBuf, PathBuf) {
        let hex = hash.to_string();
        let outer = self.blobs.join(&hex[0..2]);
        let inner = outer.join(&hex[2..4]);
        (outer, inner)
    }

    /// Where blob `hash` lives.
    fn path(&self, hash: &BlobHash) -> PathBuf {
        self.dirs(hash).1.join(hash.to_string())
    }

    /// Where the block list of `hash` lives.
    fn blocks_path(&self, hash: &BlobHash) -> PathBuf {
        self.dirs(hash).1.join(format!("{hash}{BLOCKS_SUFFIX}"))
    }

    fn changed(&self) -> MutexGuard<'_, BTreeSet<PathBuf>> {
        // The set stays a valid set whatever panicked while holding it.
        self.changed_dirs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Creates `dir` if missing; `true` if this call created it.
fn ensure_dir(dir: &Path) -> io::Result<bool> {
    if dir.is_dir() {
        return Ok(false);
    }
    match fs::create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
        Ok(()) => Ok(true),
    }
}

impl BlobStore for FsBlobStore {
    fn create_temp(&self) -> io::Result<(PathBuf, File)> {
        let name = format!("{:032x}", rand::random::<u128>());
        let path = self.tmp.join(name);
        let file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok((path, file))
    }

    fn publish(&self, temp: &Path, hash: &BlobHash, len: u64, blocks: &[u8]) -> io::Result<bool> {
        let target = self.path(hash);
        let mut changed = self.changed();
        match fs::metadata(&target) {
            // Dedup. The size is the cheap check that what is there is what this write
            // would have placed; damaged blobs found by reads and the scrubber are moved
            // to quarantine, so a PUT of their bytes places a good copy again.
            Ok(m) if m.len() == len => {
                fs::remove_file(temp)?;
                return Ok(false);
            }
            Ok(m) => {
                tracing::error!(%hash, found = m.len(), expected = len, "blob file has the wrong size; replacing it with the new copy");
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let (outer, inner) = self.dirs(hash);
        if ensure_dir(&outer)? {
            changed.insert(self.blobs.clone());
        }
        if ensure_dir(&inner)? {
            changed.insert(outer.clone());
        }
        // Replaces a damaged file of the wrong size atomically.
        fs::rename(temp, &target)?;
        changed.insert(inner);
        drop(changed);
        if !blocks.is_empty() {
            if let Err(e) = fs::write(self.blocks_path(hash), blocks) {
                tracing::warn!(%hash, error = %e, "could not write block list; it is rebuilt at the first ranged read");
            }
        }
        Ok(true)
    }

    fn sync(&self) -> io::Result<()> {
        let dirs: Vec<PathBuf> = std::mem::take(&mut *self.changed()).into_iter().collect();
        crate::fsync::sync_dirs(&dirs)
    }

    fn open(&self, hash: &BlobHash) -> io::Result<File> {
        File::open(self.path(hash))
    }

    fn len(&self, hash: &BlobHash) -> io::Result<u64> {
        Ok(fs::metadata(self.path(hash))?.len())
    }

    fn exists(&self, hash: &BlobHash) -> bool {
        self.path(hash).is_file()
    }

    fn remove(&self, hash: &BlobHash) -> io::Result<()> {
        if let Err(e) = fs::remove_file(self.blocks_path(hash)) {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(%hash, error = %e, "could not remove block list");
            }
        }
        fs::remove_file(self.path(hash))
    }

    fn read_blocks(&self, hash: &BlobHash) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.blocks_path(hash)) {
            Ok(raw) => Ok(Some(raw)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write_blocks(&self, hash: &BlobHash, raw: &[u8]) -> io::Result<()> {
        // Through a temp file, so that a reader never sees half a list (it would only
        // rebuild it, but needlessly).
        let (temp, _) = self.create_temp()?;
        fs::write(&temp, raw)?;
        fs::rename(&temp, self.blocks_path(hash))
    }

    fn quarantine(&self, hash: &BlobHash, damaged: &File) -> io::Result<bool> {
        let path = self.path(hash);
        let _changed = self.changed();
        // Only the file that was read: a PUT may have replaced it with a good copy since.
        let (seen, now) = (damaged.metadata()?, fs::metadata(&path)?);
        if (seen.dev(), seen.ino()) != (now.dev(), now.ino()) {
            return Ok(false);
        }
        fs::create_dir_all(&self.quarantine)?;
        let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        fs::rename(&path, self.quarantine.join(format!("{hash}.{ms}")))?;
        let _ = fs::remove_file(self.blocks_path(hash));
        Ok(true)
    }

    fn list(&self) -> io::Result<Vec<BlobHash>> {
        let mut out = Vec::new();
        for outer in subdirs(&self.blobs)? {
            for inner in subdirs(&outer)? {
                for file in fs::read_dir(&inner)? {
                    let file = file?;
                    let name = file.file_name();
                    let Some(name) = name.to_str() else {
                        tracing::warn!(path = %file.path().display(), "unexpected file in blob directory");
                        continue;
                    };
                    if let Some(blob) = name.strip_suffix(BLOCKS_SUFFIX) {
                        // A block list whose blob is gone (a crash between the removals).
                        if BlobHash::from_hex(blob).is_some_and(|h| !self.exists(&h)) {
                            let _ = fs::remove_file(file.path());
                        }
                        continue;
                    }
                    // Anything else (a stray file) is not ours to report or delete.
                    match BlobHash::from_hex(name) {
                        Some(hash) if self.path(&hash) == file.path() => out.push(hash),
                        _ => tracing::warn!(path = %file.path().display(), "unexpected file in blob directory"),
                    }
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// The subdirectories of `dir`.
fn subdirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            out.push(entry.path());
        }
    }
    Ok(out)
}
