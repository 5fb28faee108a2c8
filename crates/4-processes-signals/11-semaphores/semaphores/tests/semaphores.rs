//! semdemo and semrm against each other and against a C semdemo in both roles; the POSIX
//! version and what it lacks (SEM_UNDO). Every semaphore a test makes is removed when the
//! test ends, pass or fail, so `ipcs -s` stays empty.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Running, compile_c, run_command};

const SEMDEMO: &str = env!("CARGO_BIN_EXE_semdemo");
const SEMRM: &str = env!("CARGO_BIN_EXE_semrm");
const POSIX: &str = env!("CARGO_BIN_EXE_semdemo_posix");

fn c_semdemo() -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/semdemo.c");
    compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

/// A fresh folder holding an empty `semdemo.c`, the file ftok() is given.
fn folder(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sem-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("semdemo.c"), b"").unwrap();
    dir
}

// ANCHOR: guard
/// The semaphore set of `dir/semdemo.c`, removed when the guard is dropped.
struct SetGuard(libc::key_t);

impl SetGuard {
    fn for_folder(dir: &Path) -> SetGuard {
        let path = CString::new(dir.join("semdemo.c").as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'J' as libc::c_int) };
        assert_ne!(key, -1, "ftok");
        SetGuard(key)
    }

    fn semid(&self) -> Option<libc::c_int> {
        // SAFETY: semget takes three integers.
        let id = unsafe { libc::semget(self.0, 1, 0) };
        (id != -1).then_some(id)
    }

    /// semctl(GETNCNT): how many processes wait in semop() for the value to rise.
    fn waiting(&self) -> i32 {
        // SAFETY: GETNCNT takes no fourth argument.
        self.semid()
            .map_or(0, |id| unsafe { libc::semctl(id, 0, libc::GETNCNT) })
    }
}

impl Drop for SetGuard {
    fn drop(&mut self) {
        if let Some(id) = self.semid() {
            // SAFETY: IPC_RMID takes no fourth argument.
            unsafe { libc::semctl(id, 0, libc::IPC_RMID) };
        }
    }
}
// ANCHOR_END: guard

fn start_in(dir: &Path, bin: &str) -> Running {
    let mut command = Command::new(bin);
    command.current_dir(dir);
    Running::spawn(command)
}

/// Waits (bounded) until `count` processes wait on the set.
fn wait_for_waiters(set: &SetGuard, count: i32) {
    let deadline = Instant::now() + testkit::PATIENCE;
    while set.waiting() != count {
        assert!(
            Instant::now() < deadline,
            "{} waiting, never {count}",
            set.waiting()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn lock(demo: &mut Running) {
    demo.type_in(b"\n");
    demo.expect_line("Press return to lock: Trying to lock...");
}

fn unlock(demo: &mut Running) {
    demo.type_in(b"\n");
    demo.expect_line("Press return to unlock: Unlocked");
    assert_eq!(
        demo.wait_for_exit().code(),
        Some(0),
        "{}",
        demo.stderr_so_far()
    );
}

/// `holder` takes the lock; `waiter` waits in semop() until it is given back.
fn take_turns(holder: &str, waiter: &str, name: &str) {
    let dir = folder(name);
    let set = SetGuard::for_folder(&dir);
    let mut first = start_in(&dir, holder);
    lock(&mut first);
    first.expect_line("Locked.");
    let mut second = start_in(&dir, waiter);
    lock(&mut second);
    wait_for_waiters(&set, 1);
    unlock(&mut first);
    second.expect_line("Locked.");
    unlock(&mut second);
    assert!(set.semid().is_some(), "the set outlives the processes");
}

// ANCHOR: take_turns
#[test]
fn our_semdemo_waits_for_our_semdemo() {
    take_turns(SEMDEMO, SEMDEMO, "twins");
}

#[test]
fn a_c_semdemo_waits_for_ours() {
    take_turns(SEMDEMO, &c_semdemo(), "c-waits");
}

#[test]
fn ours_waits_for_a_c_semdemo() {
    take_turns(&c_semdemo(), SEMDEMO, "c-holds");
}
// ANCHOR_END: take_turns

#[test]
fn sem_undo_gives_the_lock_back_when_its_holder_dies() {
    let dir = folder("undo");
    let set = SetGuard::for_folder(&dir);
    let mut holder = start_in(&dir, SEMDEMO);
    lock(&mut holder);
    holder.expect_line("Locked.");
    let mut waiter = start_in(&dir, SEMDEMO);
    lock(&mut waiter);
    wait_for_waiters(&set, 1);
    drop(holder); // SIGKILL: it never unlocks, the kernel does it for it
    waiter.expect_line("Locked.");
    unlock(&mut waiter);
}

#[test]
fn semrm_removes_the_set_and_a_waiter_is_told() {
    let dir = folder("rm");
    let set = SetGuard::for_folder(&dir);
    let mut holder = start_in(&dir, SEMDEMO);
    lock(&mut holder);
    holder.expect_line("Locked.");
    let mut waiter = start_in(&dir, SEMDEMO);
    lock(&mut waiter);
    wait_for_waiters(&set, 1);
    let id = set.semid().unwrap();
    let mut command = Command::new(SEMRM);
    command.current_dir(&dir);
    let out = run_command(command, b"");
    assert_eq!(out.stdout, format!("semrm: removed semaphore set {id}\n"));
    assert!(set.semid().is_none());
    assert_eq!(waiter.wait_for_exit().code(), Some(1));
    assert_eq!(
        waiter.stderr_so_far(),
        "semdemo: semop: Identifier removed (os error 43)\n"
    );
    let mut again = Command::new(SEMRM);
    again.current_dir(&dir);
    let out = run_command(again, b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr, "semrm: there is no semaphore set to remove\n");
}

/// A POSIX semaphore name of this test's own, unlinked when the guard is dropped.
struct NameGuard(String);

impl Drop for NameGuard {
    fn drop(&mut self) {
        let name = CString::new(self.0.as_str()).unwrap();
        // SAFETY: sem_unlink reads the NUL-terminated name only.
        unsafe { libc::sem_unlink(name.as_ptr()) };
    }
}

// ANCHOR: no_undo
#[test]
fn a_posix_semaphore_stays_taken_when_its_holder_dies() {
    let name = NameGuard(format!("/semdemo_test_{}", std::process::id()));
    let mut holder = Running::start(POSIX, &["--name", &name.0]);
    lock(&mut holder);
    holder.expect_line("Locked.");
    let busy = |label: &str| {
        let mut other = Running::start(POSIX, &["--name", &name.0, "--nonblocking"]);
        lock(&mut other);
        other.expect_line("Busy: someone holds it.");
        assert_eq!(other.wait_for_exit().code(), Some(1), "{label}");
    };
    busy("while the holder lives");
    drop(holder); // killed while holding: no SEM_UNDO for POSIX semaphores
    thread::sleep(Duration::from_millis(100));
    busy("after the holder died");
    let out = testkit::run(POSIX, &["--name", &name.0, "--remove"], b"");
    assert_eq!(out.stdout, format!("semdemo_posix: removed {}\n", name.0));
    // A fresh one, made anew at 1, is free.
    let mut fresh = Running::start(POSIX, &["--name", &name.0, "--nonblocking"]);
    lock(&mut fresh);
    fresh.expect_line("Locked.");
    unlock(&mut fresh);
}
// ANCHOR_END: no_undo
