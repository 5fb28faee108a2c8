//! Running code we did not write: a time limit, a process limit, and nothing left behind.
//!
//! Every program the grader starts (a test binary, a student's server) gets its own process
//! group, a limit on the number of processes (so a fork bomb stops at the limit instead of
//! taking the machine), and, when the grader runs as root, an identity of its own (root
//! ignores the process limit). The grader itself is a "child subreaper": whatever a program
//! forks and abandons is re-parented to the grader instead of to init, so after each run it
//! can find every survivor, name it in the report, and kill it.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The identity untrusted code runs under when the grader is root: a user id nobody else
/// has, one per grader (2^30 + its pid). The process limit counts every process of a
/// user, so a shared identity such as `nobody` would let two graders (or anything else
/// running as `nobody`) eat into each other's limit: one submission's fork bomb would make
/// another grader's tests fail to start and be reported as fork bombs. When that id does
/// not exist here (a container that maps only a few user ids), `nobody` it is.
fn sandbox_uid() -> libc::uid_t {
    const NOBODY: libc::uid_t = 65534;
    static UID: std::sync::OnceLock<libc::uid_t> = std::sync::OnceLock::new();
    *UID.get_or_init(|| {
        let own = (1 << 30) + std::process::id();
        // The id serves as the group id too, so both maps must have it.
        let mapped = ["uid_map", "gid_map"].iter().all(|file| {
            let map = std::fs::read_to_string(format!("/proc/self/{file}")).unwrap_or_default();
            map.lines().any(|line| {
                let numbers: Vec<u64> = line
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                matches!(numbers[..], [inside, _, count]
                    if (inside..inside + count).contains(&u64::from(own)))
            })
        });
        if mapped { own } else { NOBODY }
    })
}

/// How much room a program gets.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Processes and threads the program may have at once (RLIMIT_NPROC).
    pub processes: u64,
    /// Run as a user of our own when we are root (so that the process limit applies at all).
    pub drop_root: bool,
}

impl Limits {
    /// The limits for grading: room for a test, its server and a few dozen clients.
    pub fn grading() -> Limits {
        Limits {
            processes: 256,
            drop_root: true,
        }
    }
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
    group: libc::pid_t,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    status: Option<ExitStatus>,
    /// The most processes the sandbox's user had at once, sampled while it ran.
    peak: Arc<AtomicU64>,
    sampling: Arc<AtomicBool>,
    limit: u64,
    uid: libc::uid_t,
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
    /// Starts `command` in its own process group, under `limits`, with `stdin` as input.
    pub fn spawn(mut command: Command, limits: &Limits, stdin: &[u8]) -> io::Result<Sandboxed> {
        // As another user, the program must be able to reach its binary and its folder; a
        // course kept under a private home folder (mode 700) is not reachable. Then the
        // tests run as root, without a process limit, and the grader says so once.
        let reachable = [
            command.get_program().as_ref(),
            command.get_current_dir().unwrap_or(Path::new("/")),
        ]
        .iter()
        .all(|p| others_can_reach(p));
        if limits.drop_root && is_root() && !reachable {
            warn_unreachable(command.get_program().as_ref());
        }
        let drop_root = limits.drop_root && is_root() && reachable;
        let uid = sandbox_uid();
        let processes = if drop_root {
            limits.processes
        } else {
            // Not root: the limit counts every process of this user, so leave room for
            // the ones that already exist.
            own_process_count() + limits.processes
        };

        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // ANCHOR: limits
        // SAFETY: between fork and exec the closure only makes async-signal-safe system
        // calls (setrlimit, setgroups, setgid, setuid) and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                let nproc = libc::rlimit {
                    rlim_cur: processes,
                    rlim_max: processes,
                };
                if libc::setrlimit(libc::RLIMIT_NPROC, &nproc) != 0 {
                    return Err(io::Error::last_os_error());
                }
                let no_core = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &no_core);
                if drop_root
                    && (libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(uid) != 0
                        || libc::setuid(uid) != 0)
                {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        // ANCHOR_END: limits
        let mut child = command.spawn()?;
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
        // SAFETY: getuid cannot fail.
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
            group,
            stdout,
            stderr,
            status: None,
            peak,
            sampling,
            limit: processes,
            uid,
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
        leftovers.extend(sweep(&[self.group]));
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

/// Kills and reaps every orphan re-parented to us. Processes of `dying` groups (which we
/// just killed) are waited for; any other survivor is reported as `pid command line`.
pub fn sweep(dying: &[libc::pid_t]) -> Vec<String> {
    let me = std::process::id() as libc::pid_t;
    let mut reported = BTreeSet::new();
    for _ in 0..200 {
        let orphans: Vec<Proc> = processes().into_iter().filter(|p| p.parent == me).collect();
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
            Some(Proc {
                pid,
                parent,
                group,
                state,
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

    #[test]
    fn a_grader_running_as_root_gives_its_programs_a_user_of_their_own() {
        if !testkit::needs_root("only root can run a program as another user") {
            return;
        }
        let mut command = Command::new("/usr/bin/id");
        command.args(["-u"]).current_dir("/");
        let mut child = Sandboxed::spawn(command, &Limits::grading(), b"").unwrap();
        child.wait_until(Instant::now() + Duration::from_secs(10));
        let ending = child.finish();
        let uid: libc::uid_t = String::from_utf8_lossy(&ending.stdout)
            .trim()
            .parse()
            .unwrap();
        assert_eq!(uid, sandbox_uid());
        // Not a user that anything else on the machine runs as.
        assert!(uid >= 1 << 30 || uid == 65534, "{uid}");
        assert_eq!(process_count(uid), 0, "nothing else runs as {uid}");
    }
}
