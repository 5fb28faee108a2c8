//! Network namespaces and TAP devices: the kernel's pieces a lab is built from.
//!
//! A namespace is known by a file that opens it. Run by root, a lab names its namespaces
//! the way `ip netns` names them (a file in /run/netns), so that `ip netns list` and `ip
//! netns exec` see the lab too. Run by a user, the namespaces have no names: each is
//! held by a thread of the wires, and /proc/WIRES/task/TID/ns/net opens it (see
//! `userns`). A thread may enter a namespace (setns) without moving the rest of the
//! process: that is how the wire creates a TAP device inside each host while it stays
//! outside.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sched::{CloneFlags, setns};

pub const NETNS_DIR: &str = "/run/netns";

pub fn path(ns: &str) -> PathBuf {
    Path::new(NETNS_DIR).join(ns)
}

pub fn exists(ns: &str) -> bool {
    path(ns).exists()
}

/// Every namespace `ip netns` knows.
pub fn list() -> Vec<String> {
    let Ok(dir) = fs::read_dir(NETNS_DIR) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `ip ARGS`; on failure, ip's own words.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            "the `ip` command is missing: apt-get install iproute2".to_owned()
        } else {
            format!("cannot run ip: {e}")
        }
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

pub fn add(ns: &str) -> Result<(), String> {
    ip(&["netns", "add", ns])
}

/// Deletes a namespace (its interfaces go with it, once no process is left inside).
pub fn delete(ns: &str) -> Result<(), String> {
    if !exists(ns) {
        return Ok(());
    }
    ip(&["netns", "del", ns])
}

/// Where a node's network stack is, seen from outside the lab: its network namespace,
/// and the user namespace that owns it when a user (not root) built the lab.
#[derive(Clone, Debug)]
pub struct Netns {
    /// The lab's user namespace (/proc/WIRES/ns/user), which must be entered first.
    pub user: Option<PathBuf>,
    /// The network namespace (/run/netns/LAB-NODE, or /proc/WIRES/task/TID/ns/net).
    pub net: PathBuf,
}

impl Netns {
    /// Moves this process into the namespaces (setns: the user namespace, then the
    /// network namespace). The process must have a single thread: the kernel moves no
    /// process with several into another user namespace.
    pub fn enter(&self) -> io::Result<()> {
        let (user, net) = self.open()?;
        if let Some(user) = &user {
            setns(user, CloneFlags::CLONE_NEWUSER).map_err(io::Error::from)?;
        }
        setns(&net, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
    }

    /// `program` as a command that runs inside the namespaces: the child enters them
    /// between fork and exec, where it has one thread whatever its parent has.
    pub fn command(&self, program: &str) -> io::Result<Command> {
        let (user, net) = self.open()?;
        let mut command = Command::new(program);
        // SAFETY: setns is a system call, async-signal-safe; the files were opened (and
        // everything allocated) before the fork.
        unsafe {
            command.pre_exec(move || {
                if let Some(user) = &user {
                    setns(user.as_fd(), CloneFlags::CLONE_NEWUSER).map_err(io::Error::from)?;
                }
                setns(net.as_fd(), CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
            });
        }
        Ok(command)
    }

    fn open(&self) -> io::Result<(Option<File>, File)> {
        let user = self.user.as_deref().map(File::open).transpose()?;
        Ok((user, File::open(&self.net)?))
    }
}

/// Moves the calling thread (only it) into the network namespace that `net` opens.
pub fn enter(net: &Path) -> io::Result<()> {
    let file = File::open(net)?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// Runs `f` on a thread of its own inside the network namespace that `net` opens.
pub fn inside<T: Send>(net: &Path, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    std::thread::scope(|s| {
        s.spawn(|| {
            enter(net)?;
            f()
        })
        .join()
        .expect("a namespace thread panicked")
    })
}

/// Sets a sysctl of a namespace (`net/ipv4/ip_forward`): /proc/sys/net shows the
/// settings of the namespace of the thread that opens it.
pub fn sysctl(net: &Path, key: &str, value: &str) -> io::Result<()> {
    inside(net, || fs::write(Path::new("/proc/sys").join(key), value))
}

/// The processes whose namespace of kind `kind` (`net`, `user`) is the one `ns` opens
/// (for network namespaces, what `ip netns pids` prints).
pub fn pids_in(kind: &str, ns: &Path) -> Vec<i32> {
    let Ok(target) = fs::metadata(ns) else {
        return Vec::new();
    };
    pids_in_ns(kind, (target.dev(), target.ino()))
}

/// The processes in the namespace of kind `kind` whose (device, inode) is `id`.
pub fn pids_in_ns(kind: &str, id: (u64, u64)) -> Vec<i32> {
    let Ok(proc) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    proc.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::metadata(format!("/proc/{pid}/ns/{kind}")).is_ok_and(|m| (m.dev(), m.ino()) == id)
        })
        .collect()
}

// ANCHOR: tap
/// struct ifreq, as TUNSETIFF reads it: an interface name and the flags.
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _rest: [u8; 22],
}

nix::ioctl_write_ptr_bad!(tunsetiff, 0x4004_54ca, IfReq);

/// Creates TAP device `name` inside the namespace `net` opens and returns its file: each
/// read() gives the next Ethernet frame the namespace's kernel sends out of the
/// interface, each write() hands it a frame as if it came in on the wire. The device
/// lives as long as the file stays open.
pub fn create_tap(net: &Path, name: &str) -> io::Result<File> {
    inside(net, || {
        // open("/dev/net/tun"): the device is made in the namespace of the opener.
        let tun = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")?;
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            flags: (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short,
            _rest: [0; 22],
        };
        req.name[..name.len()].copy_from_slice(name.as_bytes());
        // ioctl(fd, TUNSETIFF, &ifr): a TAP device (Ethernet frames), no extra header.
        // SAFETY: req is a properly initialised ifreq that outlives the call.
        unsafe { tunsetiff(tun.as_raw_fd(), &req) }.map_err(io::Error::from)?;
        Ok(tun)
    })
}
// ANCHOR_END: tap
