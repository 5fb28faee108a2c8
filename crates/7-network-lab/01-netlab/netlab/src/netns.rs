//! Network namespaces and TAP devices: the kernel's pieces a lab is built from.
//!
//! A namespace is named the way `ip netns` names them (a file in /run/netns), so that
//! `ip netns list` and `ip netns exec` see the lab too. A thread may enter a namespace
//! (setns) without moving the rest of the process: that is how the wire creates a TAP
//! device inside each host while it stays outside.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
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

/// Moves the calling thread (only it) into namespace `ns`.
pub fn enter(ns: &str) -> io::Result<()> {
    let file = File::open(path(ns))?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// Runs `f` on a thread of its own inside namespace `ns`.
pub fn inside<T: Send>(ns: &str, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    std::thread::scope(|s| {
        s.spawn(|| {
            enter(ns)?;
            f()
        })
        .join()
        .expect("a namespace thread panicked")
    })
}

/// Sets a sysctl of namespace `ns` (`net/ipv4/ip_forward`): /proc/sys/net shows the
/// settings of the namespace of the thread that opens it.
pub fn sysctl(ns: &str, key: &str, value: &str) -> Result<(), String> {
    inside(ns, || fs::write(Path::new("/proc/sys").join(key), value))
        .map_err(|e| format!("cannot set {key} in {ns}: {e}"))
}

/// The processes whose network namespace is `ns` (what `ip netns pids` prints).
pub fn pids_in(ns: &str) -> Vec<i32> {
    let Ok(target) = fs::metadata(path(ns)) else {
        return Vec::new();
    };
    let Ok(proc) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    proc.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::metadata(format!("/proc/{pid}/ns/net"))
                .is_ok_and(|m| m.ino() == target.ino() && m.dev() == target.dev())
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

/// Creates TAP device `name` inside namespace `ns` and returns its file: each read()
/// gives the next Ethernet frame the namespace's kernel sends out of the interface, each
/// write() hands it a frame as if it came in on the wire. The device lives as long as
/// the file stays open.
pub fn create_tap(ns: &str, name: &str) -> io::Result<File> {
    inside(ns, || {
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
