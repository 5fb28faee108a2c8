//! The room a sandboxed program runs in: a network of its own, with only loopback, and a
//! file system of its own.
//!
//! The network is a namespace the grader makes before the program starts (a thread of
//! ours `unshare`s one, brings `lo` up, and keeps a handle to it), so that the transcript
//! player can open its own sockets inside it too: the program's `127.0.0.1` is not the
//! machine's, no port of the machine is taken, and nothing else is reachable.
//!
//! The file system is built by the program's process itself, between fork and exec, in a
//! mount namespace of its own: an empty tmpfs becomes its root, holding the system's
//! folders (read-only), a minimal `/dev`, a fresh `/proc`, the few course files the program
//! needs (read-only, at their usual paths) and a scratch tmpfs of limited size at `/tmp`
//! (its HOME and TMPDIR). Everything else of the machine (the course, its solutions and
//! hidden tests, other build folders, other submissions, home folders) is not there at
//! all. The mounts live as long as the namespace, which dies with the program's last
//! process: nothing is left behind on the disk. An IPC namespace of its own does the same
//! for System V IPC (shared memory, semaphores, message queues).

use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::thread;

/// Where the scratch folder is, as a contained program sees it.
pub const SCRATCH: &str = "/tmp";

/// The system's folders a program may read: its libraries, tools and `/etc` (for
/// `localhost` in /etc/hosts). Symbolic links among them (`/bin -> usr/bin`) stay links.
const SYSTEM: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
];

/// The devices a program may use.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// What a sandboxed program may see, and where it may write.
pub struct Room {
    /// Files and folders it may read, at their own paths.
    expose: Vec<PathBuf>,
    /// Files (or folders) inside those that it must not read: shown empty.
    hide: Vec<PathBuf>,
    /// Folders that a `..` in an exposed path climbs out of: made, empty.
    detours: Vec<PathBuf>,
    /// Files put in the scratch folder before it starts: (name, content).
    files: Vec<(String, Vec<u8>)>,
    kind: Kind,
}

enum Kind {
    /// Namespaces: the program sees only what is listed.
    Contained {
        net: NetNs,
        /// An empty folder of the machine, where the room's root is mounted (in the
        /// program's own mount namespace only).
        mount_point: tempfile::TempDir,
        /// Bytes the scratch folder may hold.
        disk: u64,
    },
    /// No namespaces (`--unsafe-no-sandbox`, or `verify` without root): the program sees
    /// the machine; it still gets a scratch folder of its own, removed afterwards.
    Open { scratch: tempfile::TempDir },
}

impl Room {
    /// A contained room whose scratch folder holds at most `disk` bytes.
    pub fn contained(disk: u64) -> io::Result<Room> {
        let mount_point = tempfile::Builder::new().prefix("lab-room-").tempdir()?;
        Ok(Room::with(Kind::Contained {
            net: NetNs::new()?,
            mount_point,
            disk,
        }))
    }

    /// A room without namespaces: a scratch folder on the machine, nothing more.
    pub fn open() -> io::Result<Room> {
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::Builder::new().prefix("lab-scratch-").tempdir()?;
        // The program may run as a user of its own (see `sandbox`): it must be able to
        // write here, as in /tmp.
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o1777))?;
        Ok(Room::with(Kind::Open { scratch }))
    }

    fn with(kind: Kind) -> Room {
        Room {
            expose: Vec::new(),
            hide: Vec::new(),
            detours: Vec::new(),
            files: Vec::new(),
            kind,
        }
    }

    /// Lets the program read `path` (a file or a folder, with all it holds), by that path
    /// as written: a `..` in it (`crates/support/lab/../../../target`) is followed by the
    /// kernel, so the folders it climbs out of are made too (empty).
    pub fn expose(&mut self, path: impl AsRef<Path>) {
        let joined = std::env::current_dir()
            .map(|here| here.join(path.as_ref()))
            .unwrap_or_else(|_| path.as_ref().to_path_buf());
        let mut path = PathBuf::from("/");
        for part in joined.components() {
            match part {
                Component::ParentDir => {
                    if !self.detours.contains(&path) {
                        self.detours.push(path.clone());
                    }
                    path.pop();
                }
                Component::Normal(name) => path.push(name),
                _ => {}
            }
        }
        if !self.expose.contains(&path) {
            self.expose.push(path);
        }
    }

    /// Shows `path`, inside an exposed folder, as empty.
    pub fn hide(&mut self, path: impl AsRef<Path>) {
        self.hide.push(absolute(path.as_ref()));
    }

    /// The scratch folder, as the program sees it: its HOME, TMPDIR and the working folder
    /// of transcripts.
    pub fn scratch(&self) -> PathBuf {
        match &self.kind {
            Kind::Contained { .. } => PathBuf::from(SCRATCH),
            Kind::Open { scratch } => scratch.path().to_path_buf(),
        }
    }

    /// Puts a file named `name` (no folders) holding `content` in the scratch folder.
    pub fn add_file(&mut self, name: &str, content: Vec<u8>) -> io::Result<()> {
        if name.is_empty() || name.contains('/') || name.contains('\0') || name.starts_with('.') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a scratch file needs a plain name, not {name:?}"),
            ));
        }
        match &self.kind {
            Kind::Contained { .. } => self.files.push((name.to_owned(), content)),
            Kind::Open { scratch } => std::fs::write(scratch.path().join(name), content)?,
        }
        Ok(())
    }

    /// Runs `f` with the room's network: sockets it opens are in the program's network
    /// namespace (a connection to the program's `127.0.0.1`, a listener it can reach).
    pub fn network<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        match &self.kind {
            Kind::Contained { net, .. } => net.enter(f),
            Kind::Open { .. } => Ok(f()),
        }
    }

    /// What the program's process does before exec to enter the room, with `cwd` as its
    /// working folder (the scratch folder when `None`); `None` for an open room.
    pub(super) fn plan(&self, cwd: Option<&Path>) -> io::Result<Option<Plan>> {
        let Kind::Contained {
            net,
            mount_point,
            disk,
        } = &self.kind
        else {
            return Ok(None);
        };
        let root = mount_point.path().to_path_buf();
        let mut plan = Plan {
            net: net.0.as_raw_fd(),
            root: c_path(&root)?,
            cwd: c_path(&cwd.map(absolute).unwrap_or_else(|| PathBuf::from(SCRATCH)))?,
            steps: Vec::new(),
        };
        let inside = |path: &Path| -> PathBuf { root.join(path.strip_prefix("/").unwrap_or(path)) };
        // What exists in the new root: the root itself, the folders made for mount
        // points, and (read-only) everything under a mounted folder.
        let mut made: BTreeSet<PathBuf> = BTreeSet::from([PathBuf::from("/")]);
        let mut mounted: Vec<PathBuf> = Vec::new();

        plan.mount("tmpfs", &root, "tmpfs", NOSUID | NODEV, "size=1m,mode=755")?;
        for dir in SYSTEM.iter().map(Path::new) {
            let Ok(meta) = std::fs::symlink_metadata(dir) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(dir)?;
                plan.steps
                    .push(Step::Symlink(c_path(&target)?, c_path(&inside(dir))?));
            } else if meta.is_dir() {
                plan.steps.push(Step::Mkdir(c_path(&inside(dir))?));
                plan.bind(dir, &inside(dir), READ_ONLY)?;
                mounted.push(dir.to_path_buf());
            }
            made.insert(dir.to_path_buf());
        }

        let dev = Path::new("/dev");
        plan.steps.push(Step::Mkdir(c_path(&inside(dev))?));
        plan.mount(
            "tmpfs",
            &inside(dev),
            "tmpfs",
            NOSUID | NOEXEC,
            "size=64k,mode=755",
        )?;
        for name in DEVICES {
            let device = dev.join(name);
            if device.exists() {
                plan.steps.push(Step::Touch(c_path(&inside(&device))?));
                plan.bind(&device, &inside(&device), DEVICE)?;
            }
        }
        for (name, target) in [
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            plan.steps.push(Step::Symlink(
                c_path(Path::new(target))?,
                c_path(&inside(&dev.join(name)))?,
            ));
        }
        plan.steps
            .push(Step::Mkdir(c_path(&inside(&dev.join("shm")))?));

        let proc = Path::new("/proc");
        plan.steps.push(Step::Mkdir(c_path(&inside(proc))?));
        plan.mount("proc", &inside(proc), "proc", NOSUID | NODEV | NOEXEC, "")?;

        let tmp = Path::new(SCRATCH);
        plan.steps.push(Step::Mkdir(c_path(&inside(tmp))?));
        plan.mount(
            "tmpfs",
            &inside(tmp),
            "tmpfs",
            NOSUID | NODEV,
            &format!("size={disk},mode=1777"),
        )?;
        for (name, content) in &self.files {
            plan.steps.push(Step::Write(
                c_path(&inside(&tmp.join(name)))?,
                content.clone(),
            ));
        }
        // POSIX shared memory is the scratch folder too: the same cap, the same end.
        plan.bind(&inside(tmp), &inside(&dev.join("shm")), SCRATCH_FLAGS)?;
        // /dev and /proc are whole; the scratch folder is where exposed paths under /tmp
        // get their mount points.
        made.extend([dev, proc, tmp].map(Path::to_path_buf));
        mounted.extend([dev, proc].map(Path::to_path_buf));

        let mut exposed = self.expose.clone();
        exposed.sort();
        for path in &exposed {
            let Ok(meta) = std::fs::metadata(path) else {
                continue; // nothing to show
            };
            // Under a system folder it is there already; /dev and /proc are the room's;
            // the scratch folder (or / itself) is never the machine's.
            if SYSTEM.iter().any(|s| path.starts_with(s))
                || tmp.starts_with(path)
                || path.starts_with(dev)
                || path.starts_with(proc)
            {
                continue;
            }
            // Inside a folder mounted already, the mount point is there (read-only);
            // elsewhere the folders on the way are made, in the root or the scratch
            // folder.
            let covered = |p: &Path| mounted.iter().any(|m| p.starts_with(m));
            if !covered(path) {
                for ancestor in path
                    .ancestors()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    if !made.contains(ancestor) && !covered(ancestor) {
                        plan.steps.push(Step::Mkdir(c_path(&inside(ancestor))?));
                        made.insert(ancestor.to_path_buf());
                    }
                }
                let point = c_path(&inside(path))?;
                plan.steps.push(if meta.is_dir() {
                    Step::Mkdir(point)
                } else {
                    Step::Touch(point)
                });
            }
            plan.bind(path, &inside(path), READ_ONLY)?;
            mounted.push(path.clone());
        }
        for detour in &self.detours {
            let covered = mounted.iter().any(|m| detour.starts_with(m));
            let system = SYSTEM.iter().any(|s| detour.starts_with(s));
            if covered || system {
                continue;
            }
            for dir in detour.ancestors().collect::<Vec<_>>().into_iter().rev() {
                if made.insert(dir.to_path_buf()) {
                    plan.steps.push(Step::Mkdir(c_path(&inside(dir))?));
                }
            }
        }
        // What a hidden file shows: an empty regular file (a device would not open on
        // these nodev mounts).
        let empty = inside(Path::new("/.empty"));
        plan.steps.push(Step::Touch(c_path(&empty)?));
        for path in &self.hide {
            let Ok(meta) = std::fs::metadata(path) else {
                continue;
            };
            if !mounted.iter().any(|m| path.starts_with(m)) {
                continue; // not visible anyway
            }
            if meta.is_dir() {
                plan.mount(
                    "tmpfs",
                    &inside(path),
                    "tmpfs",
                    READ_ONLY,
                    "size=4k,mode=555",
                )?;
            } else {
                plan.bind(&empty, &inside(path), READ_ONLY)?;
            }
        }
        // Nothing may be written in the root itself.
        plan.steps.push(Step::Mount {
            source: None,
            target: c_path(&root)?,
            fstype: None,
            flags: libc::MS_REMOUNT | libc::MS_BIND | READ_ONLY,
            data: None,
        });
        Ok(Some(plan))
    }
}

const NOSUID: libc::c_ulong = libc::MS_NOSUID;
const NODEV: libc::c_ulong = libc::MS_NODEV;
const NOEXEC: libc::c_ulong = libc::MS_NOEXEC;
const READ_ONLY: libc::c_ulong = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
const DEVICE: libc::c_ulong = libc::MS_NOSUID | libc::MS_NOEXEC;
const SCRATCH_FLAGS: libc::c_ulong = libc::MS_NOSUID | libc::MS_NODEV;

/// The steps that build a room, prepared before fork so that the child only makes
/// system calls (it must not allocate: another thread may have held the allocator's lock
/// when the grader forked).
pub(super) struct Plan {
    net: RawFd,
    root: CString,
    cwd: CString,
    steps: Vec<Step>,
}

enum Step {
    Mkdir(CString),
    /// An empty file, to mount a file onto.
    Touch(CString),
    /// (target, link)
    Symlink(CString, CString),
    Mount {
        source: Option<CString>,
        target: CString,
        fstype: Option<CString>,
        flags: libc::c_ulong,
        data: Option<CString>,
    },
    /// A file of the scratch folder and its content.
    Write(CString, Vec<u8>),
}

impl Plan {
    fn mount(
        &mut self,
        source: &str,
        target: &Path,
        fstype: &str,
        flags: libc::c_ulong,
        data: &str,
    ) -> io::Result<()> {
        self.steps.push(Step::Mount {
            source: Some(c_string(source)?),
            target: c_path(target)?,
            fstype: Some(c_string(fstype)?),
            flags,
            data: Some(c_string(data)?),
        });
        Ok(())
    }

    /// Mounts `from` on `to` with `flags` (a bind mount takes its flags on a remount).
    fn bind(&mut self, from: &Path, to: &Path, flags: libc::c_ulong) -> io::Result<()> {
        let target = c_path(to)?;
        self.steps.push(Step::Mount {
            source: Some(c_path(from)?),
            target: target.clone(),
            fstype: None,
            flags: libc::MS_BIND,
            data: None,
        });
        self.steps.push(Step::Mount {
            source: None,
            target,
            fstype: None,
            flags: libc::MS_BIND | libc::MS_REMOUNT | flags,
            data: None,
        });
        Ok(())
    }

    /// Enters the room: the network namespace, then a mount namespace of its own in which
    /// the steps build the new root, which becomes `/`; the old one is let go of entirely.
    /// Runs in the child between fork and exec: system calls only.
    pub(super) fn enter(&self) -> io::Result<()> {
        fn check(result: libc::c_int) -> io::Result<()> {
            if result < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        }
        fn ptr(s: &Option<CString>) -> *const libc::c_char {
            s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
        }
        // SAFETY: each call gets NUL-terminated strings that live in `self` (or null where
        // the call allows it) and a buffer with its true length; none of them allocates.
        unsafe {
            check(libc::setns(self.net, libc::CLONE_NEWNET))?;
            // Its own mounts, and its own System V IPC: no queue, semaphore or segment of
            // the machine's (or of an earlier run, whose key may be the same) is visible,
            // and what the program leaves behind goes with the namespace.
            check(libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWIPC))?;
            // Mounts made from here on stay in this namespace.
            check(libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            for step in &self.steps {
                match step {
                    Step::Mkdir(path) => {
                        if libc::mkdir(path.as_ptr(), 0o755) != 0 {
                            let error = io::Error::last_os_error();
                            if error.raw_os_error() != Some(libc::EEXIST) {
                                return Err(error);
                            }
                        }
                    }
                    Step::Touch(path) => {
                        let fd = libc::open(
                            path.as_ptr(),
                            libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
                            0o444,
                        );
                        check(fd)?;
                        libc::close(fd);
                    }
                    Step::Symlink(target, link) => {
                        check(libc::symlink(target.as_ptr(), link.as_ptr()))?
                    }
                    Step::Mount {
                        source,
                        target,
                        fstype,
                        flags,
                        data,
                    } => check(libc::mount(
                        ptr(source),
                        target.as_ptr(),
                        ptr(fstype),
                        *flags,
                        ptr(data).cast(),
                    ))?,
                    Step::Write(path, content) => {
                        let fd = libc::open(
                            path.as_ptr(),
                            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
                            0o644,
                        );
                        check(fd)?;
                        let mut rest: &[u8] = content;
                        while !rest.is_empty() {
                            let n = libc::write(fd, rest.as_ptr().cast(), rest.len());
                            if n < 0 {
                                return Err(io::Error::last_os_error());
                            }
                            rest = &rest[n as usize..];
                        }
                        libc::close(fd);
                    }
                }
            }
            // pivot_root(".", "."): the new root becomes `/` and the old one is stacked on
            // it, then detached; no path leads back to the machine's files. (As runc does
            // it: the old root is entered by its descriptor before it is detached.)
            let old = libc::open(
                c"/".as_ptr(),
                libc::O_DIRECTORY | libc::O_RDONLY | libc::O_CLOEXEC,
            );
            check(old)?;
            check(libc::chdir(self.root.as_ptr()))?;
            check(libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as i32)?;
            check(libc::fchdir(old))?;
            check(libc::umount2(c".".as_ptr(), libc::MNT_DETACH))?;
            libc::close(old);
            check(libc::chdir(self.cwd.as_ptr()))?;
        }
        Ok(())
    }
}

/// A network namespace with only loopback, held open by a file descriptor.
pub(super) struct NetNs(OwnedFd);

impl NetNs {
    /// Makes one: a thread of ours moves into a new network namespace, brings `lo` up,
    /// and hands back a handle to it (the namespace outlives the thread).
    pub(super) fn new() -> io::Result<NetNs> {
        thread::spawn(|| {
            // SAFETY: unshare with CLONE_NEWNET changes only this thread's network
            // namespace; the thread ends right after.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(io::Error::last_os_error());
            }
            loopback_up()?;
            Ok(NetNs(File::open("/proc/thread-self/ns/net")?.into()))
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Runs `f` on a thread inside the namespace (a thread's network namespace is its
    /// own; a socket stays in the namespace it was made in).
    pub(super) fn enter<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: setns on a namespace file descriptor we hold; it changes
                    // only this thread's network namespace.
                    if unsafe { libc::setns(self.0.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(f())
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// `ip link set lo up`, by hand: SIOCSIFFLAGS on a socket of the current namespace. A new
/// namespace has `lo` down; up, it carries 127.0.0.1 and ::1.
fn loopback_up() -> io::Result<()> {
    // SAFETY: socket() takes no pointers; the descriptor is owned (and closed) at once.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a descriptor we just opened and own.
    let socket = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    // SAFETY: ifreq is plain data: all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: the ioctls read and write the ifreq we pass, which lives across the calls.
    unsafe {
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) < 0 {
            return Err(io::Error::last_os_error());
        }
        request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// `path` made absolute (against the current folder) with `.` and `..` resolved by
/// name, without following links.
fn absolute(path: &Path) -> PathBuf {
    let joined = std::env::current_dir()
        .map(|here| here.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut clean = PathBuf::from("/");
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                clean.pop();
            }
            Component::Normal(name) => clean.push(name),
            _ => {}
        }
    }
    clean
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
}

fn c_string(text: &str) -> io::Result<CString> {
    CString::new(text)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a string holds a NUL byte"))
}
