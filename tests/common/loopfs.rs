//! A small loop-mounted ext4 filesystem for tests that need a disk of their own: to
//! fill it (disk-full tests) or to change its attributes (readiness). Needs root,
//! mount and mkfs.ext4.

use std::path::PathBuf;
use std::process::Command;

/// A loop-mounted ext4 filesystem of `mib` MiB, unmounted on drop.
pub struct LoopFs {
    /// Where it is mounted.
    pub mountpoint: PathBuf,
    _dir: tempfile::TempDir,
}

impl LoopFs {
    /// Creates and mounts it.
    pub fn new(mib: u64) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let image = dir.path().join("fs.img");
        let mountpoint = dir.path().join("mnt");
        std::fs::create_dir(&mountpoint).map_err(|e| e.to_string())?;
        std::fs::File::create(&image).and_then(|f| f.set_len(mib << 20)).map_err(|e| e.to_string())?;
        // -m 0: no blocks reserved for root, so "full" means full for coffer too.
        run("mkfs.ext4", &["-q", "-F", "-m", "0", image.to_str().unwrap()])?;
        run("mount", &["-o", "loop", image.to_str().unwrap(), mountpoint.to_str().unwrap()])?;
        Ok(Self { mountpoint, _dir: dir })
    }

    /// [`LoopFs::new`], or `None` after a loud skip message where loop mounts are not
    /// possible (a failure under `CI=true`).
    pub fn or_skip(mib: u64) -> Option<Self> {
        match Self::new(mib) {
            Ok(fs) => Some(fs),
            Err(why) => {
                assert!(std::env::var("CI").as_deref() != Ok("true"), "cannot loop-mount a small filesystem: {why}");
                eprintln!("SKIPPED: cannot loop-mount a small filesystem (needs root, mkfs.ext4): {why}");
                None
            }
        }
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        let _ = run("umount", &["-l", self.mountpoint.to_str().unwrap()]);
    }
}

/// Runs a command; its stderr is the error.
pub fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd).args(args).output().map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}
