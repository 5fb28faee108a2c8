//! lock_counter as a black box: processes started at once on one counter file, and a lock
//! the test holds itself.

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::run;

const COUNTER: &str = env!("CARGO_BIN_EXE_lock_counter");

/// A counter file of the test's own, removed at the end.
struct Counter(PathBuf);

impl Counter {
    fn new(name: &str) -> Counter {
        let path = std::env::temp_dir().join(format!("counter-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Counter(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn content(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap()
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn one_process_counts_and_reads_the_count_back() {
    let counter = Counter::new("one");
    let out = run(COUNTER, &["--file", counter.arg(), "--add", "5"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "added 5, the count is now 5\n");
    assert_eq!(counter.content(), "5\n");
    let out = run(COUNTER, &["--file", counter.arg()], b"");
    assert_eq!(out.stdout, "5\n", "{out:?}");
}

#[test]
fn four_processes_at_once_lose_no_update() {
    let counter = Counter::new("four");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(COUNTER)
                .args(["--file", counter.arg(), "--add", "25", "--pause-us", "300"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        counter.content(),
        "100\n",
        "4 processes added 25 each; a smaller count means two of them read the same \
         number: was the write lock held from the read to the write?"
    );
}

#[test]
fn it_waits_for_a_lock_that_another_process_holds() {
    let counter = Counter::new("wait");
    std::fs::write(&counter.0, "41\n").unwrap();
    // This test process takes a write lock on the whole file.
    let held = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&counter.0)
        .unwrap();
    let lock = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    // SAFETY: fcntl reads the flock struct, which lives across the call.
    let taken = unsafe { libc::fcntl(held.as_raw_fd(), libc::F_SETLK, &lock) };
    assert_eq!(taken, 0, "the test could not take its lock");
    let mut child = Command::new(COUNTER)
        .args(["--file", counter.arg(), "--add", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the child is blocked in fcntl, as /proc/PID/syscall shows it
    // (the system call's number first), or has ended.
    let path = format!("/proc/{}/syscall", child.id());
    let in_fcntl = format!("{} ", libc::SYS_fcntl);
    let deadline = Instant::now() + testkit::PATIENCE;
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "lock_counter ended while another process held the lock: it should wait \
             (F_SETLKW)"
        );
        let now = std::fs::read_to_string(&path).unwrap_or_default();
        if now.starts_with(&in_fcntl) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lock_counter never blocked in fcntl while another process held the lock \
             ({path} says {now:?}): it should wait for the lock (F_SETLKW)"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(counter.content(), "41\n", "it wrote without the lock");
    // Closing the file releases this process's locks on it.
    drop(held);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(counter.content(), "42\n");
}
