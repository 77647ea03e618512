//! [`FsBlobStore`]: blobs as files under `<root>/blobs/ab/cd/<hash>`, uploads in
//! `<root>/tmp/`, temp → fsync → rename → fsync directories.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{BlobHash, BlobStore};

/// A blob store on a local (or shared) filesystem directory.
pub struct FsBlobStore {
    /// `<root>/blobs`.
    blobs: PathBuf,
    /// `<root>/tmp`.
    tmp: PathBuf,
    /// Directories with entries (renames, new subdirectories) not yet fsynced, each
    /// with a generation bumped on every change. A sync clears an entry only if no
    /// change arrived while it ran, so every caller of `sync_address` returns after its
    /// own rename is durable, and directories with nothing new are not fsynced again.
    unsynced: Mutex<HashMap<PathBuf, u64>>,
}

impl FsBlobStore {
    /// Opens the store under `root`, creating its directories and removing temp files
    /// left by an earlier run (uploads that never completed).
    pub fn open(root: &Path) -> io::Result<Self> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
        let mut removed = 0usize;
        for entry in fs::read_dir(&tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed temp files of interrupted uploads");
        }
        Ok(Self { blobs, tmp, unsynced: Mutex::new(HashMap::new()) })
    }

    fn dirs(&self, hash: &BlobHash) -> (PathBuf, PathBuf) {
        let hex = hash.to_string();
        let outer = self.blobs.join(&hex[0..2]);
        let inner = outer.join(&hex[2..4]);
        (outer, inner)
    }

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

    fn path(&self, hash: &BlobHash) -> PathBuf {
        self.dirs(hash).1.join(hash.to_string())
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobStore for FsBlobStore {
    fn create_temp(&self) -> io::Result<(PathBuf, File)> {
        let name = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
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
        if !inner.exists() {
            if !outer.exists() {
                fs::create_dir_all(&outer)?;
                self.mark_unsynced(&self.blobs);
            }
            fs::create_dir_all(&inner)?;
            self.mark_unsynced(&outer);
        }
        // Two writers of identical bytes may both get here; the second rename replaces
        // the first file with the same content, atomically.
        fs::rename(temp, &target)?;
        self.mark_unsynced(&inner);
        Ok(true)
    }

    fn sync_address(&self, hash: &BlobHash) -> io::Result<()> {
        // Inner first: a directory entry is durable once its own directory and every
        // directory above it that was new are synced. A dedup hit also comes here, so it
        // waits for the earlier writer's rename to be durable before acknowledging.
        let (outer, inner) = self.dirs(hash);
        self.sync_if_needed(&inner)?;
        self.sync_if_needed(&outer)?;
        self.sync_if_needed(&self.blobs)
    }

    fn open(&self, hash: &BlobHash) -> io::Result<File> {
        File::open(self.path(hash))
    }

    fn exists(&self, hash: &BlobHash) -> bool {
        self.path(hash).exists()
    }

    fn remove(&self, hash: &BlobHash) -> io::Result<()> {
        fs::remove_file(self.path(hash))
    }

    fn list(&self) -> io::Result<Vec<BlobHash>> {
        let mut out = Vec::new();
        for outer in fs::read_dir(&self.blobs)? {
            let outer = outer?;
            if !outer.file_type()?.is_dir() {
                continue;
            }
            for inner in fs::read_dir(outer.path())? {
                let inner = inner?;
                if !inner.file_type()?.is_dir() {
                    continue;
                }
                for file in fs::read_dir(inner.path())? {
                    if let Some(hash) = file?.file_name().to_str().and_then(BlobHash::from_hex) {
                        out.push(hash);
                    }
                }
            }
        }
        Ok(out)
    }
}
