//! [`FsBlobStore`]: blobs as files on a local (or shared) filesystem.
//!
//! ```text
//! <root>/blobs/ab/cd/<64-hex BLAKE3>   immutable, content-addressed
//! <root>/tmp/<random>                  uploads in flight; emptied by `open`
//! ```
//!
//! `tmp/` and `blobs/` must be on one filesystem, so that publishing is an atomic
//! rename. Write protocol: temp file → fsync (by the writer) → rename to the address
//! (`publish`, no fsync: it runs under the caller's commit lock) → fsync of the
//! directories that changed (`sync_address`, after the lock). Removal is not fsynced:
//! a blob that reappears after a crash is unreferenced, and start-up reconciliation
//! (via `list`) deletes it. Emptied `ab/cd/` directories are kept (at most 65,536).
//!
//! Uses nothing from the crate outside `blob`.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{BlobHash, BlobStore};

/// A blob store in a filesystem directory.
pub struct FsBlobStore {
    /// `<root>/blobs`.
    blobs: PathBuf,
    /// `<root>/tmp`.
    tmp: PathBuf,
    /// Directories with entries (renames, new subdirectories) not yet fsynced, each
    /// with a generation bumped before and after every change. A sync removes an entry
    /// only if no change was marked while it ran, so each `sync_address` caller returns
    /// after its own rename (or, on a dedup hit, the earlier one) is durable, and
    /// directories with nothing new are not fsynced again: fsyncs are the scarce
    /// resource here (about 600 per second).
    unsynced: Mutex<HashMap<PathBuf, u64>>,
}

impl FsBlobStore {
    /// Opens the store under `root`: creates `blobs/` and `tmp/` if missing and
    /// removes temp files left by an earlier run (uploads that never completed).
    pub fn open(root: &Path) -> io::Result<Self> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
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
        Ok(Self { blobs, tmp, unsynced: Mutex::new(HashMap::new()) })
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

    /// Records a change to `dir`'s entries. Called before the change (so a caller
    /// that sees the change also sees the mark) and after it (so a sync that read the
    /// mark and ran before the change does not clear it).
    fn mark_unsynced(&self, dir: &Path) {
        *self.unsynced.lock().unwrap_or_else(PoisonError::into_inner).entry(dir.to_path_buf()).or_insert(0) += 1;
    }

    /// Fsyncs `dir` if it has unsynced changes.
    fn sync_if_needed(&self, dir: &Path) -> io::Result<()> {
        let Some(generation) = self.unsynced.lock().unwrap_or_else(PoisonError::into_inner).get(dir).copied() else {
            return Ok(());
        };
        sync_dir(dir)?;
        let mut unsynced = self.unsynced.lock().unwrap_or_else(PoisonError::into_inner);
        if unsynced.get(dir) == Some(&generation) {
            unsynced.remove(dir);
        }
        Ok(())
    }

    /// Creates `dir` (a child of `parent`) if missing, marking `parent` as changed.
    fn ensure_dir(&self, parent: &Path, dir: &Path) -> io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        self.mark_unsynced(parent);
        match fs::create_dir(dir) {
            Ok(()) => {}
            // Another publisher made it first; it marked `parent` too.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        self.mark_unsynced(parent);
        Ok(())
    }
}

/// Fsyncs a directory, making its entries (creations, renames into it) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobStore for FsBlobStore {
    fn create_temp(&self) -> io::Result<(PathBuf, File)> {
        let name = format!("{:032x}", rand::random::<u128>());
        let path = self.tmp.join(name);
        let file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok((path, file))
    }

    fn publish(&self, temp: &Path, hash: &BlobHash) -> io::Result<bool> {
        let target = self.path(hash);
        if target.exists() {
            fs::remove_file(temp)?;
            return Ok(false);
        }
        let (outer, inner) = self.dirs(hash);
        self.ensure_dir(&self.blobs, &outer)?;
        self.ensure_dir(&outer, &inner)?;
        self.mark_unsynced(&inner);
        // Two publishers of identical bytes racing here both succeed: the second
        // rename atomically replaces the first file with the same content.
        fs::rename(temp, &target)?;
        self.mark_unsynced(&inner);
        Ok(true)
    }

    fn sync_address(&self, hash: &BlobHash) -> io::Result<()> {
        // Inner first: an entry is durable once its own directory and every new
        // directory above it are synced. A dedup hit also comes here, so it waits
        // for the earlier publisher's rename to be durable before acknowledging.
        let (outer, inner) = self.dirs(hash);
        self.sync_if_needed(&inner)?;
        self.sync_if_needed(&outer)?;
        self.sync_if_needed(&self.blobs)
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
        fs::remove_file(self.path(hash))
    }

    fn list(&self) -> io::Result<Vec<BlobHash>> {
        let mut out = Vec::new();
        for outer in subdirs(&self.blobs)? {
            for inner in subdirs(&outer)? {
                for file in fs::read_dir(&inner)? {
                    let file = file?;
                    // Anything else (a stray file) is not ours to report or delete.
                    match file.file_name().to_str().and_then(BlobHash::from_hex) {
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
