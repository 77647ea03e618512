//! PowerCutFs: an in-memory FUSE filesystem that simulates power loss, for the
//! power-cut test (and the fsync-failure tests) of coffer.
//!
//! Every inode has a visible state and a durable state, and only `fsync` moves one to
//! the other, as POSIX promises and no more:
//! - `fsync`/`fdatasync` of a file makes its bytes (and size) durable.
//! - `fsync` of a directory makes its entries durable: creates, renames (the source
//!   and the destination directory each hold one change), unlinks, mkdirs. A file whose
//!   entry never became durable is gone after a cut, whatever its own fsyncs.
//! - [`PowerCutFs::cut`] throws away everything not durable, file data *and*
//!   directory operations (stricter than tools that only drop unsynced data), and
//!   frees the inodes no durable entry reaches.
//! - [`PowerCutFs::fail_next_fsyncs`] makes the next fsyncs fail (EIO, ENOSPC) and
//!   make nothing durable.
//!
//! `syncfs` reaches nothing here (FUSE has no such request), exactly like most FUSE
//! filesystems; sled's `sync_file_range` neither. File data lives in 64 KiB chunks
//! behind `Arc`, so making a file durable copies pointers, not bytes. Attribute and
//! entry TTLs are zero, so the kernel asks again after a cut; writeback caching is off,
//! so every write reaches the daemon before `write` returns.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner, MountOption,
    OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite,
    Request, TimeOrNow, WriteFlags,
};

/// Bytes per data chunk.
const CHUNK: usize = 64 << 10;
/// What statfs reports as the capacity.
const CAPACITY: u64 = 64 << 30;
/// Attributes and entries are never cached by the kernel.
const TTL: Duration = Duration::ZERO;

/// File bytes: copy-on-write chunks.
#[derive(Clone, Default)]
struct Data {
    chunks: Vec<Option<Arc<Vec<u8>>>>,
    len: u64,
}

impl Data {
    fn write(&mut self, offset: u64, bytes: &[u8]) {
        let end = offset + bytes.len() as u64;
        let mut at = offset;
        while at < end {
            let index = usize::try_from(at / CHUNK as u64).unwrap();
            let within = usize::try_from(at % CHUNK as u64).unwrap();
            let n = (CHUNK - within).min(usize::try_from(end - at).unwrap());
            if self.chunks.len() <= index {
                self.chunks.resize(index + 1, None);
            }
            let chunk = self.chunks[index].get_or_insert_with(|| Arc::new(vec![0; CHUNK]));
            let from = usize::try_from(at - offset).unwrap();
            Arc::make_mut(chunk)[within..within + n].copy_from_slice(&bytes[from..from + n]);
            at += n as u64;
        }
        self.len = self.len.max(end);
    }

    fn read(&self, offset: u64, size: u32) -> Vec<u8> {
        let end = self.len.min(offset + u64::from(size));
        let mut out = Vec::with_capacity(usize::try_from(end.saturating_sub(offset)).unwrap());
        let mut at = offset;
        while at < end {
            let index = usize::try_from(at / CHUNK as u64).unwrap();
            let within = usize::try_from(at % CHUNK as u64).unwrap();
            let n = (CHUNK - within).min(usize::try_from(end - at).unwrap());
            match self.chunks.get(index).and_then(Option::as_ref) {
                Some(c) => out.extend_from_slice(&c[within..within + n]),
                None => out.resize(out.len() + n, 0),
            }
            at += n as u64;
        }
        out
    }

    fn truncate(&mut self, len: u64) {
        if len < self.len {
            let keep = usize::try_from(len.div_ceil(CHUNK as u64)).unwrap();
            self.chunks.truncate(keep);
            let within = usize::try_from(len % CHUNK as u64).unwrap();
            if within > 0 {
                if let Some(Some(last)) = self.chunks.last_mut() {
                    Arc::make_mut(last)[within..].fill(0);
                }
            }
        }
        self.len = len;
    }
}

/// One inode's two states.
enum Node {
    File { data: Data, durable: Data },
    Dir { entries: BTreeMap<OsString, u64>, durable: BTreeMap<OsString, u64> },
}

/// Counters for the test's report.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsStats {
    /// fsyncs of files that succeeded.
    pub file_fsyncs: u64,
    /// fsyncs of directories that succeeded.
    pub dir_fsyncs: u64,
    /// Power cuts.
    pub cuts: u64,
    /// fsyncs failed on request.
    pub failed_fsyncs: u64,
}

struct State {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    /// (errno, how many more fsyncs fail).
    fail: Option<(i32, u32)>,
    stats: FsStats,
}

const ROOT: u64 = 1;

impl State {
    fn new() -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(ROOT, Node::Dir { entries: BTreeMap::new(), durable: BTreeMap::new() });
        Self { nodes, next_ino: ROOT + 1, fail: None, stats: FsStats::default() }
    }

    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let (kind, size, perm, nlink) = match self.nodes.get(&ino)? {
            Node::File { data, .. } => (FileType::RegularFile, data.len, 0o644, 1),
            Node::Dir { .. } => (FileType::Directory, 4096, 0o755, 2),
        };
        let now = SystemTime::now();
        Some(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
            kind,
            perm,
            nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        })
    }

    fn entries(&mut self, dir: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match self.nodes.get_mut(&dir) {
            Some(Node::Dir { entries, .. }) => Ok(entries),
            Some(Node::File { .. }) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn child(&mut self, dir: u64, name: &OsStr) -> Result<u64, Errno> {
        self.entries(dir)?.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn is_empty_dir(&self, ino: u64) -> Option<bool> {
        match self.nodes.get(&ino)? {
            Node::Dir { entries, .. } => Some(entries.is_empty()),
            Node::File { .. } => None,
        }
    }

    fn make(&mut self, parent: u64, name: &OsStr, node: Node) -> Result<u64, Errno> {
        if self.entries(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(ino, node);
        self.entries(parent)?.insert(name.to_owned(), ino);
        Ok(ino)
    }

    fn fsync(&mut self, ino: u64) -> Result<(), Errno> {
        if let Some((errno, left)) = self.fail {
            self.fail = if left > 1 { Some((errno, left - 1)) } else { None };
            self.stats.failed_fsyncs += 1;
            return Err(Errno::from_i32(errno));
        }
        match self.nodes.get_mut(&ino) {
            Some(Node::File { data, durable }) => {
                *durable = data.clone();
                self.stats.file_fsyncs += 1;
            }
            Some(Node::Dir { entries, durable }) => {
                durable.clone_from(entries);
                self.stats.dir_fsyncs += 1;
            }
            None => return Err(Errno::ENOENT),
        }
        Ok(())
    }

    fn cut(&mut self) {
        for node in self.nodes.values_mut() {
            match node {
                Node::File { data, durable } => *data = durable.clone(),
                Node::Dir { entries, durable } => entries.clone_from(durable),
            }
        }
        let mut reachable = std::collections::HashSet::from([ROOT]);
        let mut todo = vec![ROOT];
        while let Some(ino) = todo.pop() {
            if let Some(Node::Dir { entries, .. }) = self.nodes.get(&ino) {
                for child in entries.values() {
                    if reachable.insert(*child) {
                        todo.push(*child);
                    }
                }
            }
        }
        self.nodes.retain(|ino, _| reachable.contains(ino));
        // A durable entry may name an inode freed earlier: drop such dangling names.
        let alive: std::collections::HashSet<u64> = self.nodes.keys().copied().collect();
        for node in self.nodes.values_mut() {
            if let Node::Dir { entries, durable } = node {
                entries.retain(|_, i| alive.contains(i));
                durable.retain(|_, i| alive.contains(i));
            }
        }
        self.stats.cuts += 1;
    }

    fn used(&self) -> u64 {
        self.nodes.values().map(|n| if let Node::File { data, .. } = n { data.len } else { 4096 }).sum()
    }
}

/// The FUSE side.
struct Fs(Arc<Mutex<State>>);

impl Fs {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn reply_entry(state: &State, ino: Result<u64, Errno>, reply: ReplyEntry) {
    match ino.and_then(|i| state.attr(i).ok_or(Errno::ENOENT)) {
        Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
        Err(e) => reply.error(e),
    }
}

fn reply_empty(result: Result<(), Errno>, reply: ReplyEmpty) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e),
    }
}

impl Filesystem for Fs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let mut s = self.state();
        let ino = s.child(parent.0, name);
        reply_entry(&s, ino, reply);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.state().attr(ino.0) {
            Some(a) => reply.attr(&TTL, &a),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut s = self.state();
        if let Some(size) = size {
            match s.nodes.get_mut(&ino.0) {
                Some(Node::File { data, .. }) => data.truncate(size),
                Some(Node::Dir { .. }) => return reply.error(Errno::EISDIR),
                None => return reply.error(Errno::ENOENT),
            }
        }
        match s.attr(ino.0) {
            Some(a) => reply.attr(&TTL, &a),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn mknod(&self, _req: &Request, parent: INodeNo, name: &OsStr, mode: u32, _umask: u32, _rdev: u32, reply: ReplyEntry) {
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(Errno::from_i32(libc::EPERM));
        }
        let mut s = self.state();
        let ino = s.make(parent.0, name, Node::File { data: Data::default(), durable: Data::default() });
        reply_entry(&s, ino, reply);
    }

    fn mkdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, _mode: u32, _umask: u32, reply: ReplyEntry) {
        let mut s = self.state();
        let ino = s.make(parent.0, name, Node::Dir { entries: BTreeMap::new(), durable: BTreeMap::new() });
        reply_entry(&s, ino, reply);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut s = self.state();
        let result = s.child(parent.0, name).and_then(|ino| {
            if s.is_empty_dir(ino).is_some() {
                return Err(Errno::EISDIR);
            }
            s.entries(parent.0)?.remove(name);
            Ok(())
        });
        reply_empty(result, reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut s = self.state();
        let result = s.child(parent.0, name).and_then(|ino| match s.is_empty_dir(ino) {
            None => Err(Errno::ENOTDIR),
            Some(false) => Err(Errno::ENOTEMPTY),
            Some(true) => {
                s.entries(parent.0)?.remove(name);
                Ok(())
            }
        });
        reply_empty(result, reply);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let result = (|| {
            if flags.contains(RenameFlags::RENAME_EXCHANGE) {
                return Err(Errno::EINVAL);
            }
            let ino = s.child(parent.0, name)?;
            s.entries(newparent.0)?;
            if let Ok(existing) = s.child(newparent.0, newname) {
                if existing == ino {
                    return Ok(());
                }
                if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                    return Err(Errno::EEXIST);
                }
                match (s.is_empty_dir(ino), s.is_empty_dir(existing)) {
                    (None, Some(_)) => return Err(Errno::EISDIR),
                    (Some(_), None) => return Err(Errno::ENOTDIR),
                    (Some(_), Some(false)) => return Err(Errno::ENOTEMPTY),
                    _ => {}
                }
            }
            s.entries(parent.0)?.remove(name);
            s.entries(newparent.0)?.insert(newname.to_owned(), ino);
            Ok(())
        })();
        reply_empty(result, reply);
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        if self.state().nodes.contains_key(&ino.0) {
            reply.opened(FileHandle(0), FopenFlags::empty());
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match self.state().nodes.get(&ino.0) {
            Some(Node::File { data, .. }) => reply.data(&data.read(offset, size)),
            Some(Node::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        match self.state().nodes.get_mut(&ino.0) {
            Some(Node::File { data: d, .. }) => {
                d.write(offset, data);
                reply.written(u32::try_from(data.len()).unwrap());
            }
            Some(Node::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        reply.ok();
    }

    fn fsync(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let result = self.state().fsync(ino.0);
        reply_empty(result, reply);
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let s = self.state();
        let Some(Node::Dir { entries, .. }) = s.nodes.get(&ino.0) else { return reply.error(Errno::ENOTDIR) };
        let dots = [(ino.0, FileType::Directory, OsString::from(".")), (ino.0, FileType::Directory, OsString::from(".."))];
        let all = dots.into_iter().chain(entries.iter().map(|(name, child)| {
            let kind = if matches!(s.nodes.get(child), Some(Node::Dir { .. })) { FileType::Directory } else { FileType::RegularFile };
            (*child, kind, name.clone())
        }));
        for (i, (child, kind, name)) in all.enumerate().skip(usize::try_from(offset).unwrap()) {
            if reply.add(INodeNo(child), i as u64 + 1, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let result = self.state().fsync(ino.0);
        reply_empty(result, reply);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let s = self.state();
        let total = CAPACITY / 4096;
        let free = total.saturating_sub(s.used() / 4096);
        reply.statfs(total, free, free, 1 << 30, 1 << 30, 4096, 255, 4096);
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply_empty(if self.state().nodes.contains_key(&ino.0) { Ok(()) } else { Err(Errno::ENOENT) }, reply);
    }

    fn create(&self, _req: &Request, parent: INodeNo, name: &OsStr, _mode: u32, _umask: u32, flags: i32, reply: ReplyCreate) {
        let mut s = self.state();
        let ino = match s.child(parent.0, name) {
            Ok(_) if flags & libc::O_EXCL != 0 => Err(Errno::EEXIST),
            Ok(existing) => {
                if flags & libc::O_TRUNC != 0 {
                    if let Some(Node::File { data, .. }) = s.nodes.get_mut(&existing) {
                        data.truncate(0);
                    }
                }
                Ok(existing)
            }
            Err(_) => s.make(parent.0, name, Node::File { data: Data::default(), durable: Data::default() }),
        };
        match ino.and_then(|i| s.attr(i).ok_or(Errno::ENOENT)) {
            Ok(attr) => reply.created(&TTL, &attr, Generation(0), FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, length: u64, mode: i32, reply: ReplyEmpty) {
        if mode != 0 {
            return reply.error(Errno::from_i32(libc::EOPNOTSUPP));
        }
        let mut s = self.state();
        let result = match s.nodes.get_mut(&ino.0) {
            Some(Node::File { data, .. }) => {
                if offset + length > data.len {
                    data.truncate(offset + length);
                }
                Ok(())
            }
            Some(Node::Dir { .. }) => Err(Errno::EISDIR),
            None => Err(Errno::ENOENT),
        };
        reply_empty(result, reply);
    }
}

/// A mounted power-cut filesystem. Unmounted on drop.
pub struct PowerCutFs {
    state: Arc<Mutex<State>>,
    session: Option<BackgroundSession>,
}

impl PowerCutFs {
    /// Mounts a new, empty filesystem at `mountpoint` (an existing empty directory),
    /// served by background threads.
    pub fn mount(mountpoint: &Path) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State::new()));
        let mut config = fuser::Config::default();
        config.mount_options = vec![MountOption::FSName("powercutfs".into()), MountOption::RW, MountOption::NoAtime];
        config.n_threads = Some(4);
        let session = fuser::spawn_mount(Fs(Arc::clone(&state)), mountpoint, &config)?;
        Ok(Self { state, session: Some(session) })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Power cut: the filesystem now shows exactly its durable state. Kill every
    /// process using it first.
    pub fn cut(&self) {
        self.state().cut();
    }

    /// The next `count` fsyncs (files or directories) fail with `errno` and make
    /// nothing durable.
    pub fn fail_next_fsyncs(&self, errno: i32, count: u32) {
        self.state().fail = (count > 0).then_some((errno, count));
    }

    /// Counters so far.
    pub fn stats(&self) -> FsStats {
        self.state().stats
    }

    /// Unmounts.
    pub fn unmount(mut self) {
        if let Some(s) = self.session.take() {
            let _ = s.umount_and_join();
        }
    }
}

impl Drop for PowerCutFs {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let _ = s.umount_and_join();
        }
    }
}
