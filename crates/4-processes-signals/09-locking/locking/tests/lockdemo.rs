//! lockdemo as a black box: two (or three) of them on one file, in a folder of their own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use testkit::Running;

const LOCKDEMO: &str = env!("CARGO_BIN_EXE_lockdemo");

fn folder(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start(dir: &Path, args: &[&str]) -> Running {
    let mut command = Command::new(LOCKDEMO);
    command.args(args).current_dir(dir);
    Running::spawn(command)
}

/// Waits (bounded) until /proc/locks shows process `pid` blocked on a lock, as in
/// `1: -> POSIX  ADVISORY  WRITE 4242 00:2f:1234 0 EOF`.
fn wait_until_blocked(pid: u32) {
    let deadline = Instant::now() + testkit::PATIENCE;
    loop {
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        let blocked = locks.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1) == Some(&"->") && fields.get(5) == Some(&pid.to_string().as_str())
        });
        if blocked {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} never waited for the lock:\n{locks}"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Presses RETURN and expects the lock. (The prompts end without a newline, so on a pipe
/// each prompt and what follows it make one line.)
fn take(demo: &mut Running) {
    demo.type_in(b"\n");
    demo.expect_line("Press <RETURN> to try to get lock: Trying to get lock...got lock");
}

fn release(demo: &mut Running) {
    demo.type_in(b"\n");
    demo.expect_line("Press <RETURN> to release lock: Unlocked.");
    assert_eq!(demo.wait_for_exit().code(), Some(0));
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let mut demo = start(dir, args);
    demo.type_in(b"\n");
    let line = demo.next_line().unwrap();
    assert_eq!(demo.wait_for_exit().code(), Some(1), "{line}");
    line
}

// ANCHOR: write_lock
#[test]
fn a_write_lock_keeps_everyone_out_and_the_waiter_gets_it_when_released() {
    let dir = folder("write");
    let mut holder = start(&dir, &[]);
    take(&mut holder);
    // Without waiting: refused at once, and told who holds it.
    let line = refused(&dir, &["--nonblocking", "--read"]);
    assert_eq!(
        line,
        format!(
            "Press <RETURN> to try to get lock: Trying to get lock...busy: a write lock is held by process {}",
            holder.pid()
        )
    );
    // Waiting: F_SETLKW sleeps until the holder lets go. /proc/locks lists the
    // sleeper under the lock it waits for, marked "->".
    let mut waiter = start(&dir, &[]);
    waiter.type_in(b"\n");
    wait_until_blocked(waiter.pid());
    release(&mut holder);
    waiter.expect_line("Press <RETURN> to try to get lock: Trying to get lock...got lock");
    assert!(dir.join("lockdemo.c").exists());
    release(&mut waiter);
}
// ANCHOR_END: write_lock

#[test]
fn read_locks_are_shared_but_keep_a_writer_out() {
    let dir = folder("read");
    let mut first = start(&dir, &["--read"]);
    take(&mut first);
    let mut second = start(&dir, &["--read", "--nonblocking"]);
    take(&mut second);
    let line = refused(&dir, &["--nonblocking"]);
    assert!(
        line.contains("busy: a read lock is held by process"),
        "{line}"
    );
    release(&mut first);
    release(&mut second);
    let mut writer = start(&dir, &["--nonblocking"]);
    take(&mut writer);
    release(&mut writer);
}

#[test]
fn a_lock_goes_away_with_the_process_that_held_it() {
    let dir = folder("exit");
    let mut holder = start(&dir, &[]);
    take(&mut holder);
    let mut waiter = start(&dir, &[]);
    waiter.type_in(b"\n");
    wait_until_blocked(waiter.pid());
    drop(holder); // killed with SIGKILL: no chance to unlock, and no need to
    waiter.expect_line("Press <RETURN> to try to get lock: Trying to get lock...got lock");
    release(&mut waiter);
}
