//! Running code we did not write: contained, limited, and nothing left behind.
//!
//! Every program the grader starts (a test binary, a student's server) runs in a `Room`
//! (see `room`): a network namespace of its own with only loopback, and a file system of
//! its own in which the machine's files are not there, only the system's folders, what
//! the tests need of the course (read-only) and a scratch folder of limited size. It gets
//! its own process group, limits on processes, memory and file size, and, when the
//! grader runs as root, a user id of its own (root ignores the process limit, and a user
//! of its own cannot signal or trace the grader or another sandbox). The grader itself
//! is a "child subreaper": whatever a program forks and abandons is re-parented to the
//! grader instead of to init, so after each run it can find every survivor, name it in
//! the report, and kill it.

mod room;

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub use room::Room;

/// The identity untrusted code runs under when the grader is root: a user id nobody else
/// has, one per sandboxed program (2^30 + the grader's pid × 256 + a counter). The
/// process limit counts every process of a user, so a shared identity such as `nobody`
/// would let two graders (or anything else running as `nobody`) eat into each other's
/// limit: one submission's fork bomb would make another grader's tests fail to start and
/// be reported as fork bombs. One id per program also keeps programs apart: `kill(-1)`
/// reaches only the program's own processes, never the grader or another test. When the
/// ids do not exist here (a container that maps only a few user ids), `nobody` it is.
fn sandbox_uid() -> libc::uid_t {
    const NOBODY: libc::uid_t = 65534;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    if separate_users() {
        first_uid() + NEXT.fetch_add(1, Ordering::Relaxed) % 256
    } else {
        NOBODY
    }
}

/// The first of the grader's 256 sandbox user ids. pid_max is at most 2^22, so the ids
/// stay below 2^31 + 256.
fn first_uid() -> libc::uid_t {
    (1 << 30) + (std::process::id() << 8)
}

/// Whether each sandboxed program gets a user id of its own (see `sandbox_uid`): the
/// grader's 256 ids exist here. If not, they all run as `nobody`, and two at once share
/// one process limit and one user to clean up after.
pub fn separate_users() -> bool {
    static MAPPED: OnceLock<bool> = OnceLock::new();
    *MAPPED.get_or_init(|| {
        let base = u64::from(first_uid());
        // The id serves as the group id too, so both maps must have all 256.
        ["uid_map", "gid_map"].iter().all(|file| {
            let map = std::fs::read_to_string(format!("/proc/self/{file}")).unwrap_or_default();
            map.lines().any(|line| {
                let numbers: Vec<u64> = line
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                matches!(numbers[..], [inside, _, count]
                    if inside <= base && base + 256 <= inside + count)
            })
        })
    })
}

/// How much room a program gets.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Processes and threads the program may have at once (RLIMIT_NPROC).
    pub processes: u64,
    /// Run as a user of our own when we are root (so that the process limit applies at all).
    pub drop_root: bool,
    /// Bytes of address space per process (RLIMIT_AS).
    pub memory: u64,
    /// The largest file a program may write (RLIMIT_FSIZE).
    pub file_size: u64,
    /// Bytes the scratch folder may hold (the size of its tmpfs).
    pub disk: u64,
    /// Contain the program: namespaces for its network and its view of the files (see
    /// `Room`). Without, it sees the machine (`--unsafe-no-sandbox`).
    pub contain: bool,
}

impl Limits {
    /// The limits for grading: room for a test, its server and a few dozen clients.
    pub fn grading() -> Limits {
        Limits {
            processes: 256,
            drop_root: true,
            memory: 1 << 30,
            file_size: 64 << 20,
            disk: 128 << 20,
            contain: true,
        }
    }

    /// A room for one program under these limits: contained or open.
    pub fn room(&self) -> io::Result<Room> {
        if self.contain {
            Room::contained(self.disk)
        } else {
            Room::open()
        }
    }

    /// The limit a run hit, in words for the report, from how it ended (`status`) and what
    /// it wrote on stderr: the memory limit (Rust's "memory allocation of N bytes failed"
    /// before an abort) or the file size limit (SIGXFSZ).
    pub fn hit(&self, status: Option<ExitStatus>, stderr: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(stderr);
        if text.contains("memory allocation of ") && text.contains(" failed") {
            return Some(format!(
                "hit the memory limit ({} MiB of address space per process)",
                self.memory >> 20
            ));
        }
        if status.and_then(|s| s.signal()) == Some(libc::SIGXFSZ) {
            return Some(format!(
                "hit the file size limit ({} MiB per file)",
                self.file_size >> 20
            ));
        }
        None
    }
}

/// Whether programs can be contained here; if not, why, in a line. It takes root (for
/// the namespaces, the mounts and a user id of the tests' own) and a kernel that has
/// network and mount namespaces. A trial program is started in a room to be sure.
pub fn available() -> Result<(), String> {
    static ANSWER: OnceLock<Result<(), String>> = OnceLock::new();
    ANSWER
        .get_or_init(|| {
            if !is_root() {
                return Err(
                    "the grader does not run as root, and its sandbox needs root \
                            (network and mount namespaces, and a user id of the tests' own \
                            that cannot signal the grader)"
                        .to_owned(),
                );
            }
            let mut limits = Limits::grading();
            limits.contain = true;
            let mut command = Command::new("/bin/sh");
            command.args(["-c", "exit 7"]);
            let mut child = Sandboxed::spawn(command, &limits, b"")
                .map_err(|e| format!("a program cannot be started in a sandbox here: {e}"))?;
            let status = child.wait_until(Instant::now() + Duration::from_secs(20));
            child.finish();
            match status.and_then(|s| s.code()) {
                Some(7) => Ok(()),
                _ => Err(format!(
                    "a trial program in the sandbox did not run as expected ({status:?})"
                )),
            }
        })
        .clone()
}

/// Makes this process adopt orphaned descendants (Linux `PR_SET_CHILD_SUBREAPER`).
pub fn become_subreaper() {
    // SAFETY: prctl with these arguments only sets a flag on the calling process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Whether we run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A program running under limits, with its output collected.
pub struct Sandboxed {
    child: Child,
    /// Kept until the end: its network namespace and scratch folder.
    room: Room,
    group: libc::pid_t,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    status: Option<ExitStatus>,
    /// The most processes the sandbox's user had at once, sampled while it ran.
    peak: Arc<AtomicU64>,
    sampling: Arc<AtomicBool>,
    limit: u64,
    uid: libc::uid_t,
    /// Whether `uid` is the program's own (not the grader's).
    own_user: bool,
}

/// How a sandboxed run ended.
pub struct Ending {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Processes that outlived the program: `pid command line`.
    pub leftovers: Vec<String>,
    /// Whether the program came close to its process limit (a fork bomb, most likely).
    pub hit_process_limit: bool,
}

impl Sandboxed {
    /// Starts `command` in its own process group, under `limits`, with `stdin` as input,
    /// in a room of its own that holds its program and its working folder.
    pub fn spawn(command: Command, limits: &Limits, stdin: &[u8]) -> io::Result<Sandboxed> {
        Sandboxed::spawn_in(command, limits, limits.room()?, stdin)
    }

    /// Starts `command` in `room` (to which its program and working folder are added), in
    /// its own process group, under `limits`, with `stdin` as input.
    pub fn spawn_in(
        mut command: Command,
        limits: &Limits,
        mut room: Room,
        stdin: &[u8],
    ) -> io::Result<Sandboxed> {
        let program = Path::new(command.get_program()).to_path_buf();
        if program.components().count() > 1 {
            room.expose(&program);
        }
        let cwd = command.get_current_dir().map(Path::to_path_buf);
        if let Some(cwd) = &cwd {
            room.expose(cwd);
        }
        let scratch = room.scratch();
        command
            .env("HOME", &scratch)
            .env("TMPDIR", &scratch)
            // glibc reserves 64 MiB of address space per malloc arena, up to 8 per core:
            // two keep room under the memory limit for a test with dozens of threads.
            .env("MALLOC_ARENA_MAX", "2");
        let plan = room.plan(cwd.as_deref())?;
        let drop_root = if plan.is_some() {
            // In a room the folders on the way are the room's own; the program itself
            // must still be readable by other users.
            if limits.drop_root && is_root() && program.is_absolute() && !others_can_run(&program) {
                return Err(io::Error::other(format!(
                    "{} cannot be run by another user (check the umask it was built with)",
                    program.display()
                )));
            }
            limits.drop_root && is_root()
        } else {
            // As another user, the program must be able to reach its binary and its
            // folder; a course kept under a private home folder (mode 700) is not
            // reachable. Then the tests run as root, without a process limit, and the
            // grader says so once.
            let reachable = [&program, cwd.as_deref().unwrap_or(Path::new("/"))]
                .iter()
                .all(|p| others_can_reach(p));
            if limits.drop_root && is_root() && !reachable {
                warn_unreachable(&program);
            }
            limits.drop_root && is_root() && reachable
        };
        let uid = sandbox_uid();
        let processes = if drop_root {
            limits.processes
        } else {
            // Not root: the limit counts every process of this user, so leave room for
            // the ones that already exist.
            own_process_count() + limits.processes
        };
        let (memory, file_size) = (limits.memory, limits.file_size);

        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // ANCHOR: limits
        // SAFETY: between fork and exec the closure only makes async-signal-safe system
        // calls (setns, unshare, mount, pivot_root, setrlimit, setgroups, setgid, setuid,
        // prctl) on data prepared before the fork, and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                if let Some(plan) = &plan {
                    // Its own network (loopback only) and its own files (see `Room`).
                    plan.enter()?;
                }
                let limit = |resource, value: u64| {
                    let limit = libc::rlimit {
                        rlim_cur: value,
                        rlim_max: value,
                    };
                    if libc::setrlimit(resource, &limit) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                };
                limit(libc::RLIMIT_NPROC, processes)?; // a fork bomb stops here
                limit(libc::RLIMIT_AS, memory)?; // so does malloc(8 GB)
                limit(libc::RLIMIT_FSIZE, file_size)?; // and a file past this size
                limit(libc::RLIMIT_CORE, 0)?;
                if drop_root
                    && (libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(uid) != 0
                        || libc::setuid(uid) != 0)
                {
                    return Err(io::Error::last_os_error());
                }
                // No set-user-id program can give root back.
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        // ANCHOR_END: limits
        // Registered before anyone can sweep: a child of ours, not an orphan.
        let mut running = RUNNING.lock().unwrap();
        let mut child = command.spawn()?;
        running.insert(child.id() as libc::pid_t);
        drop(running);
        let mut input = child.stdin.take().expect("stdin is piped");
        let stdin = stdin.to_vec();
        thread::spawn(move || {
            let _ = input.write_all(&stdin);
        });
        let stdout = collect(child.stdout.take().expect("stdout is piped"));
        let stderr = collect(child.stderr.take().expect("stderr is piped"));
        let group = child.id() as libc::pid_t;
        let peak = Arc::new(AtomicU64::new(0));
        let sampling = Arc::new(AtomicBool::new(true));
        let uid = if drop_root {
            uid
        } else {
            // SAFETY: getuid takes no pointer, touches no memory of ours and
            // always succeeds (POSIX: "shall always be successful").
            unsafe { libc::getuid() }
        };
        {
            let (peak, sampling) = (Arc::clone(&peak), Arc::clone(&sampling));
            thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    peak.fetch_max(process_count(uid), Ordering::Relaxed);
                    thread::sleep(Duration::from_millis(50));
                }
            });
        }
        Ok(Sandboxed {
            child,
            room,
            group,
            stdout,
            stderr,
            status: None,
            peak,
            sampling,
            limit: processes,
            uid,
            own_user: drop_root,
        })
    }

    /// Waits until the program exits or `deadline` passes; the exit status if it exited.
    pub fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if self.status.is_none() {
                self.status = self.child.try_wait().ok().flatten();
            }
            if self.status.is_some() || Instant::now() >= deadline {
                return self.status;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Runs `f` in the program's network: a socket `f` opens can reach the program's
    /// loopback (see `Room::network`).
    pub fn network<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        self.room.network(f)
    }

    /// Everything the program wrote to stdout so far.
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    /// Whether the program has closed its stdout (exited, or closed it) and everything it
    /// wrote there has been collected.
    pub fn stdout_closed(&self) -> bool {
        Arc::strong_count(&self.stdout) == 1
    }

    /// Everything the program wrote to stderr so far.
    pub fn stderr(&self) -> Vec<u8> {
        self.stderr.lock().unwrap().clone()
    }

    /// Stops the program (if it still runs), kills whatever it started, and reports what
    /// outlived it. A program that exited by itself but left members of its process group
    /// running, or orphans anywhere, has left processes behind.
    pub fn finish(mut self) -> Ending {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.sampling.store(false, Ordering::Relaxed);
        // One last count before the kill: a fork bomb is still running now, so it is seen
        // even when the sampling thread got no time on a busy machine.
        self.peak
            .fetch_max(process_count(self.uid), Ordering::Relaxed);
        let hit_process_limit = self.peak.load(Ordering::Relaxed) + 16 >= self.limit;
        let exited = self.status.is_some();
        let mut leftovers = Vec::new();
        if exited {
            leftovers.extend(
                processes()
                    .into_iter()
                    .filter(|p| p.group == self.group && p.state != 'Z')
                    .map(|p| p.describe()),
            );
        }
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(-self.group, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        RUNNING
            .lock()
            .unwrap()
            .remove(&(self.child.id() as libc::pid_t));
        leftovers.extend(sweep(&[self.group], self.own_user.then_some(self.uid)));
        // The pipes close once every process holding them is gone.
        let deadline = Instant::now() + Duration::from_secs(2);
        while (Arc::strong_count(&self.stdout) > 1 || Arc::strong_count(&self.stderr) > 1)
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(5));
        }
        leftovers.sort();
        leftovers.dedup();
        Ending {
            stdout: self.stdout(),
            stderr: self.stderr(),
            leftovers,
            hit_process_limit,
        }
    }
}

/// Whether a user other than the owner may reach `path`: every folder on the way is
/// searchable by others (the `x` bit), and the file itself readable and, for a program,
/// executable by them.
fn others_can_reach(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(path) = path.canonicalize() else {
        return false;
    };
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode())
            .unwrap_or(0)
    };
    let folders_ok = path.ancestors().skip(1).all(|dir| mode(dir) & 0o001 != 0);
    let own = mode(&path);
    folders_ok
        && (if path.is_dir() {
            own & 0o001 != 0
        } else {
            own & 0o005 == 0o005
        })
}

/// Whether a user other than the owner may read and run the file `path`.
fn others_can_run(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o005 == 0o005)
}

fn warn_unreachable(program: &Path) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "cargo lab: warning: other users cannot reach {}; tests run as root, without a \
             process limit (move the course to a folder others can enter, such as /srv)",
            program.display()
        );
    }
}

/// The programs running now under `Sandboxed` (their pids): children of ours, but not
/// orphans, whoever sweeps.
static RUNNING: Mutex<BTreeSet<libc::pid_t>> = Mutex::new(BTreeSet::new());

/// Kills and reaps every orphan re-parented to us that ran as `uid` (any, if `None`).
/// Processes of `dying` groups (which we just killed) are waited for; any other survivor
/// is reported as `pid command line`. The programs other `Sandboxed` run are not orphans,
/// and another sandbox's orphans run as another user: two sandboxes at once (tests run
/// in parallel, a batch) leave each other alone.
pub fn sweep(dying: &[libc::pid_t], uid: Option<libc::uid_t>) -> Vec<String> {
    let me = std::process::id() as libc::pid_t;
    let mut reported = BTreeSet::new();
    for _ in 0..200 {
        let running = RUNNING.lock().unwrap().clone();
        let orphans: Vec<Proc> = processes()
            .into_iter()
            .filter(|p| p.parent == me && !running.contains(&p.pid))
            .filter(|p| uid.is_none_or(|uid| p.uid == uid))
            .collect();
        let mut alive = 0;
        for orphan in &orphans {
            if orphan.state != 'Z' {
                alive += 1;
                if !dying.contains(&orphan.group) {
                    reported.insert(orphan.describe());
                }
                // SAFETY: kill has no memory-safety preconditions.
                unsafe {
                    libc::kill(-orphan.group, libc::SIGKILL);
                    libc::kill(orphan.pid, libc::SIGKILL);
                }
            }
            let mut status = 0;
            // SAFETY: waitpid on a child of ours, without blocking.
            unsafe {
                libc::waitpid(orphan.pid, &mut status, libc::WNOHANG);
            }
        }
        if alive == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    reported.into_iter().collect()
}

struct Proc {
    pid: libc::pid_t,
    parent: libc::pid_t,
    group: libc::pid_t,
    state: char,
    /// Its (effective) user: the owner of /proc/PID.
    uid: libc::uid_t,
}

impl Proc {
    fn describe(&self) -> String {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", self.pid)).unwrap_or_default();
        let words: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| {
                let w = String::from_utf8_lossy(w);
                // Binaries live deep in target/; their name is what matters.
                w.rsplit('/').next().unwrap_or(&w).to_owned()
            })
            .collect();
        format!("{} {}", self.pid, words.join(" "))
    }
}

/// Every process of the system, from /proc.
fn processes() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            let after = &stat[stat.rfind(')')? + 2..];
            let mut fields = after.split(' ');
            let state = fields.next()?.chars().next()?;
            let parent = fields.next()?.parse().ok()?;
            let group = fields.next()?.parse().ok()?;
            let uid = std::os::unix::fs::MetadataExt::uid(
                &std::fs::metadata(format!("/proc/{pid}")).ok()?,
            );
            Some(Proc {
                pid,
                parent,
                group,
                state,
                uid,
            })
        })
        .collect()
}

/// How many processes (threads included) this user has now.
fn own_process_count() -> u64 {
    // SAFETY: getuid cannot fail.
    process_count(unsafe { libc::getuid() })
}

/// How many processes (threads included) user `me` has now.
fn process_count(me: libc::uid_t) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut count = 0;
    for entry in entries.flatten() {
        let path = entry.path().join("status");
        let Ok(status) = std::fs::read_to_string(path) else {
            continue;
        };
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next()?.parse::<libc::uid_t>().ok());
        let threads = status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|l| l.trim().parse::<u64>().ok())
            .unwrap_or(1);
        if uid == Some(me) {
            count += threads;
        }
    }
    count
}

fn collect(mut source: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    // At most 1 MiB is kept: a program that prints forever must not fill our memory.
    const KEEP: usize = 1 << 20;
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let filling = Arc::clone(&buffer);
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = source.read(&mut chunk) {
            let mut buffer = filling.lock().unwrap();
            let room = KEEP.saturating_sub(buffer.len());
            buffer.extend_from_slice(&chunk[..n.min(room)]);
        }
    });
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `script` with `sh` in a room (contained), exposing `expose`; (status, stdout,
    /// stderr).
    fn sh(script: &str, expose: &[&Path]) -> (Option<ExitStatus>, String, String) {
        let limits = Limits::grading();
        let mut room = limits.room().unwrap();
        for path in expose {
            room.expose(path);
        }
        let mut command = Command::new("/bin/sh");
        command.args(["-c", script]);
        let mut child = Sandboxed::spawn_in(command, &limits, room, b"").unwrap();
        let status = child.wait_until(Instant::now() + Duration::from_secs(60));
        let ending = child.finish();
        (
            status,
            String::from_utf8_lossy(&ending.stdout).into_owned(),
            String::from_utf8_lossy(&ending.stderr).into_owned(),
        )
    }

    /// This machine's own addresses other than loopback (IPv4 and IPv6).
    fn own_addresses() -> Vec<std::net::IpAddr> {
        let mut found = Vec::new();
        let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
        // SAFETY: getifaddrs fills `list` with a list we free below; each entry's address
        // is read according to its family.
        unsafe {
            assert_eq!(libc::getifaddrs(&mut list), 0);
            let mut entry = list;
            while !entry.is_null() {
                let address = (*entry).ifa_addr;
                if !address.is_null() {
                    match i32::from((*address).sa_family) {
                        libc::AF_INET => {
                            let a = &*(address as *const libc::sockaddr_in);
                            found.push(
                                std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).into(),
                            );
                        }
                        libc::AF_INET6 => {
                            let a = &*(address as *const libc::sockaddr_in6);
                            found.push(std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).into());
                        }
                        _ => {}
                    }
                }
                entry = (*entry).ifa_next;
            }
            libc::freeifaddrs(list);
        }
        // Link-local addresses need an interface to go with them: not those.
        found.retain(|a: &std::net::IpAddr| match a {
            std::net::IpAddr::V4(a) => !a.is_loopback() && !a.is_link_local(),
            std::net::IpAddr::V6(a) => !a.is_loopback() && !a.is_unicast_link_local(),
        });
        found
    }

    #[test]
    fn a_grader_running_as_root_gives_each_program_a_user_of_its_own() {
        if !testkit::needs_root("only root can run a program as another user") {
            return;
        }
        let ids: Vec<libc::uid_t> = (0..2)
            .map(|_| {
                let (_, out, _) = sh("id -u", &[]);
                out.trim().parse().unwrap()
            })
            .collect();
        // Not a user that anything else on the machine runs as, and not the same twice.
        let base = (1 << 30) + (std::process::id() << 8);
        for &uid in &ids {
            assert!((base..base + 256).contains(&uid) || uid == 65534, "{uid}");
            assert_eq!(process_count(uid), 0, "nothing else runs as {uid}");
        }
        assert!(ids[0] != ids[1] || ids[0] == 65534, "{ids:?}");
    }

    #[test]
    fn a_contained_program_has_loopback_and_nothing_else() {
        if !testkit::needs_root("namespaces need root") {
            return;
        }
        // /proc/net/dev lists the interfaces of the reader's network namespace.
        let (status, out, err) = sh("cat /proc/net/dev", &[]);
        assert!(status.is_some_and(|s| s.success()), "{err}");
        let interfaces: Vec<&str> = out
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .collect();
        assert_eq!(interfaces, ["lo"], "{out}");
        // Loopback is up, IPv4 and IPv6: a server and its client meet there.
        let script = "exec 3<>/dev/tcp/127.0.0.1/9 || echo v4 refused; \
                      exec 4<>/dev/tcp/::1/9 || echo v6 refused";
        let (_, out, err) = sh(&format!("bash -c '{script}'"), &[]);
        assert_eq!(out, "v4 refused\nv6 refused\n", "{err}");
        assert!(err.contains("Connection refused"), "{err}");
        // This machine's own addresses are not reachable from inside.
        for address in own_addresses() {
            let host = address.to_string();
            let (_, out, err) = sh(
                &format!("bash -c 'exec 3<>/dev/tcp/{host}/22 && echo reached {host}'"),
                &[],
            );
            assert_eq!(out, "", "{host}: {err}");
            assert!(err.contains("Network is unreachable"), "{host}: {err}");
        }
    }

    #[test]
    fn a_contained_program_sees_what_it_is_shown_and_nothing_else() {
        if !testkit::needs_root("namespaces need root") {
            return;
        }
        let course = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let course = course.canonicalize().unwrap();
        let shown = course.join("exercises/wire/README.md");
        let secret = course.join("solutions/wire/src/lib.rs");
        let hidden = course.join("hidden/wire/random.rs");
        // Cargo names files by the target folder as given: `lab/../../../target/...`.
        let roundabout = course.join("crates/support/lab/../../../exercises/wire/README.md");
        let script = format!(
            "head -c 10 {roundabout}; echo; cat {secret}; cat {hidden}; ls {course}; \
             ls /root /home /work 2>&1 | head -3; touch /usr/x; touch {shown}",
            roundabout = roundabout.display(),
            shown = shown.display(),
            secret = secret.display(),
            hidden = hidden.display(),
            course = course.display()
        );
        let (_, out, err) = sh(&script, &[&roundabout]);
        let first = std::fs::read_to_string(&shown).unwrap()[..10].to_owned();
        assert_eq!(out.lines().next(), Some(first.as_str()), "{out}\n{err}");
        for path in [&secret, &hidden] {
            assert!(
                err.contains(&format!("{}: No such file or directory", path.display())),
                "{err}"
            );
        }
        assert!(err.contains("Read-only file system"), "{err}");
        // The course's folder holds only the way to what was shown.
        assert_eq!(out.lines().nth(1), Some("crates"), "{out}");
        assert_eq!(out.lines().nth(2), Some("exercises"), "{out}");
    }

    #[test]
    fn the_scratch_folder_is_capped_private_and_gone_afterwards() {
        if !testkit::needs_root("namespaces need root") {
            return;
        }
        // Three files of 60 MiB do not fit in 128 MiB; one of 100 MiB is past the file
        // size limit (dd is killed by SIGXFSZ).
        let script = "echo $HOME $TMPDIR; cd $TMPDIR; \
            for i in 1 2 3; do dd if=/dev/zero of=f$i bs=1M count=60 2>&1 | grep -c space; done; \
            rm -f f*; dd if=/dev/zero of=big bs=1M count=100; echo dd: $?";
        let (status, out, err) = sh(script, &[]);
        assert!(status.is_some_and(|s| s.success()), "{out}\n{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "/tmp /tmp", "{out}");
        // The third file does not fit: "No space left on device".
        assert_eq!(lines[1..4], ["0", "0", "1"], "{out}");
        // 128 + 25: dd was killed by SIGXFSZ
        assert_eq!(lines[4], "dd: 153", "{out}\n{err}");
        // Nothing of it is on the machine's disk: the room's tmpfs died with the program.
        let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("lab-room-"))
            .filter(|e| std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_some()))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn system_v_ipc_objects_are_the_programs_own_and_die_with_it() {
        if !testkit::needs_root("namespaces need root") {
            return;
        }
        testkit::require_tool("ipcmk");
        testkit::require_tool("ipcs");
        // The System V objects a program sees (`ipcs` lines start with the key, 0x...).
        let count = |out: &str| out.lines().filter(|l| l.starts_with("0x")).count();
        // A program sees only what it made, not the machine's ...
        let (status, out, err) = sh(
            "ipcmk -M 4096 >/dev/null && ipcmk -S 2 >/dev/null && ipcmk -Q >/dev/null && ipcs",
            &[],
        );
        assert!(status.is_some_and(|s| s.success()), "{err}");
        assert_eq!(count(&out), 3, "{out}");
        // ... and what it left is gone with it: the next program starts with none.
        let (status, out, err) = sh("ipcs", &[]);
        assert!(status.is_some_and(|s| s.success()), "{err}");
        assert_eq!(count(&out), 0, "{out}");
    }

    #[test]
    fn a_contained_program_cannot_signal_the_grader() {
        if !testkit::needs_root("another user id needs root") {
            return;
        }
        let (status, out, err) = sh("kill -9 $PPID; echo $?; kill -9 -1; echo alive", &[]);
        assert!(status.is_some_and(|s| s.success()), "{err}");
        assert_eq!(out, "1\nalive\n", "{err}");
        assert!(err.contains("Operation not permitted"), "{err}");
    }

    /// Started by the next test inside the sandbox (it is #[ignore]d otherwise): what a
    /// test program may do under the memory limit, and what it may not.
    #[test]
    #[ignore = "run inside the sandbox by the memory limit test"]
    fn memory_helper() {
        match std::env::args().next_back().as_deref() {
            Some("threads") => {
                let threads: Vec<_> = (0..48)
                    .map(|i| {
                        thread::spawn(move || {
                            let block = vec![i as u8; 4 << 20];
                            thread::sleep(Duration::from_millis(300));
                            block.iter().map(|b| *b as u64).sum::<u64>()
                        })
                    })
                    .collect();
                let sum: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
                println!("48 threads held 4 MiB each: {sum}");
            }
            Some("8gb") => {
                let block = vec![1u8; 8 << 30];
                println!("allocated {} bytes", block.len());
            }
            _ => {}
        }
    }

    #[test]
    fn the_memory_limit_stops_8_gb_and_leaves_room_for_dozens_of_threads() {
        if !testkit::needs_root("namespaces need root") {
            return;
        }
        let run = |what: &str| {
            let limits = Limits::grading();
            let exe = std::env::current_exe().unwrap();
            let mut command = Command::new(&exe);
            command.args([
                "--ignored",
                "--exact",
                "sandbox::tests::memory_helper",
                "--nocapture",
                "--test-threads=1",
                what,
            ]);
            let mut child = Sandboxed::spawn(command, &limits, b"").unwrap();
            let status = child.wait_until(Instant::now() + Duration::from_secs(60));
            let ending = child.finish();
            (status, ending, limits)
        };
        let (status, ending, limits) = run("threads");
        let out = String::from_utf8_lossy(&ending.stdout);
        assert!(status.is_some_and(|s| s.success()), "{out}");
        assert!(out.contains("48 threads held 4 MiB each"), "{out}");
        let (status, ending, limits2) = run("8gb");
        let out = String::from_utf8_lossy(&ending.stdout);
        assert!(!out.contains("allocated"), "{out}");
        assert_eq!(
            limits2.hit(status, &ending.stderr).as_deref(),
            Some("hit the memory limit (1024 MiB of address space per process)"),
            "{status:?} {}",
            String::from_utf8_lossy(&ending.stderr)
        );
        let _ = limits;
    }

    #[test]
    fn sandboxes_running_at_once_leave_each_other_alone() {
        if !testkit::needs_root("namespaces need root") {
            return;
        }
        // One sandbox's end (its sweep for orphans) must not reap another's program.
        let runs: Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(|| {
                    (0..3)
                        .map(|_| sh("sleep 0.2; cat /proc/net/dev | wc -l", &[]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for run in runs {
            for (status, out, err) in run.join().unwrap() {
                assert!(status.is_some_and(|s| s.success()), "{status:?} {err}");
                assert_eq!(out, "3\n", "{err}");
            }
        }
    }
}
