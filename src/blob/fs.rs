//! [`FsBlobStore`]: blobs as files on a local (or shared) filesystem.
//!
//! ```text
//! <root>/blobs/ab/cd/<64-hex BLAKE3>   immutable, content-addressed
//! <root>/tmp/<random>                  uploads in flight; emptied by `open`
//! ```
//!
//! `tmp/` and `blobs/` must be on one filesystem, so that publishing is an atomic
//! rename. Write protocol: temp file written (not fsynced) → `sync` → rename to the
//! address (`publish`, no fsync: it runs under the caller's commit lock) → `sync`.
//! `sync` is one `syncfs(2)` of the filesystem, which makes the bytes of every file and
//! every directory entry written so far durable. [`super::Blobs`] shares one `sync`
//! between all writers waiting, so a burst of small PUTs costs two filesystem syncs
//! instead of a file fsync plus a directory fsync each (the disk does a few thousand
//! per second). Syncing the bytes before the rename keeps the invariant that a file at
//! an address is complete, even after a crash, so deduplicating against it is safe.
//! Removal is not synced either: a blob that reappears after a crash is unreferenced
//! and deleted the same way. Emptied `ab/cd/` directories are kept (at most 65,536).
//!
//! The cost of `syncfs`: it also writes back other files dirty on the same
//! filesystem (sled's log, large uploads in flight, anything else the machine
//! writes there), which is why large uploads write back as they go (see `writer.rs`).
//!
//! Uses nothing from the crate outside `blob`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::{BlobHash, BlobStore};

/// A blob store in a filesystem directory.
pub struct FsBlobStore {
    /// `<root>/blobs`.
    blobs: PathBuf,
    /// `<root>/tmp`.
    tmp: PathBuf,
    /// `<root>/blobs`, open: the handle `syncfs` is called on.
    blobs_dir: File,
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
        let blobs_dir = File::open(&blobs)?;
        Ok(Self { blobs, tmp, blobs_dir })
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
}

/// Creates `dir` if missing (racing publishers may both try).
fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    match fs::create_dir(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
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
        ensure_dir(&outer)?;
        ensure_dir(&inner)?;
        // Two publishers of identical bytes racing here both succeed: the second
        // rename atomically replaces the first file with the same content.
        fs::rename(temp, &target)?;
        Ok(true)
    }

    fn sync(&self) -> io::Result<()> {
        rustix::fs::syncfs(&self.blobs_dir).map_err(io::Error::from)
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
