//! Durability by `fsync`, as POSIX defines it: a file's bytes are durable once the file is
//! fsynced, a directory entry (create, rename, unlink) once the directory holding it is.
//!
//! No `syncfs(2)`: on FUSE filesystems (mergerfs, JuiceFS, rclone mounts...) it writes
//! dirty pages back to the daemon but never asks it to make them durable, and it writes
//! back every other program's dirty data on the filesystem too. These helpers are what
//! `blob`, `meta` and `store` use instead.
//!
//! The bottom layer: imports nothing from the crate.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// At most this many fsyncs run at once in [`sync_dirs`]. ext4 and xfs merge concurrent
/// fsyncs into one journal commit, so running them side by side costs little more than
/// one; the bound keeps a burst from spawning hundreds of threads.
const PARALLEL: usize = 32;

/// Makes the entries of directory `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all().map_err(|e| io::Error::new(e.kind(), format!("fsync of directory {}: {e}", dir.display())))
}

/// fsyncs every directory of `dirs`, side by side on up to [`PARALLEL`] threads; the
/// first error, if any (after every fsync has run: a failed one must not stop the others
/// from being tried, but any failure fails the whole group).
pub fn sync_dirs(dirs: &[PathBuf]) -> io::Result<()> {
    match dirs {
        [] => Ok(()),
        [one] => sync_dir(one),
        _ => {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let threads = dirs.len().min(PARALLEL);
            let results: Vec<io::Result<()>> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut outcome = Ok(());
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                let Some(dir) = dirs.get(i) else { return outcome };
                                if let Err(e) = sync_dir(dir) {
                                    outcome = Err(e);
                                }
                            }
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err(io::Error::other("fsync thread panicked")))).collect()
            });
            results.into_iter().collect()
        }
    }
}

/// `create_dir_all`, durably: every directory it creates is made durable in its parent
/// (the parent is fsynced after the child appears). Directories that already exist are
/// left alone, so this is cheap on every start but the first.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_all(parent)?;
    }
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => return Ok(()),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => sync_dir(Path::new(".")),
    }
}

/// fsyncs every regular file directly in `dir`, then `dir` itself: for directories
/// written by code that does not sync its own files and renames (sled's `conf`, snapshots
/// and large-value files).
pub fn sync_tree_files(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_nested_directories_and_syncs_groups() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        assert!(deep.is_dir());
        create_dir_all(&deep).unwrap();
        let dirs: Vec<PathBuf> = (0..40).map(|i| root.path().join(format!("d{i}"))).collect();
        for d in &dirs {
            std::fs::create_dir(d).unwrap();
        }
        sync_dirs(&dirs).unwrap();
        let mut missing = dirs.clone();
        missing.push(root.path().join("absent"));
        assert_eq!(sync_dirs(&missing).unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
