//! Producer and consumer processes sharing the queue, in a folder of their own that names
//! it. Whatever a test makes is removed when the test ends, pass or fail.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Running, run_command};

const BIN: &str = env!("CARGO_BIN_EXE_shm_queue");

/// A fresh folder; its path is the queue's name (ftok(folder, 'Q')).
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("queue-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The queue's segment and semaphores, removed when the guard is dropped.
struct Guard(libc::key_t);

impl Guard {
    fn new(dir: &Path) -> Guard {
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'Q' as libc::c_int) };
        assert_ne!(key, -1);
        Guard(key)
    }

    fn semid(&self) -> Option<libc::c_int> {
        // SAFETY: semget takes integers only.
        let id = unsafe { libc::semget(self.0, 0, 0) };
        (id != -1).then_some(id)
    }

    fn shmid(&self) -> Option<libc::c_int> {
        // SAFETY: shmget takes integers only.
        let id = unsafe { libc::shmget(self.0, 0, 0) };
        (id != -1).then_some(id)
    }

    /// semctl(cmd) on semaphore `which` (GETVAL, GETNCNT), or -1 if there is no set.
    fn ask(&self, which: i32, cmd: i32) -> i32 {
        // SAFETY: GETVAL and GETNCNT take no fourth argument.
        self.semid()
            .map_or(-1, |id| unsafe { libc::semctl(id, which, cmd) })
    }

    /// Waits (bounded) until `check` holds.
    fn wait_until(&self, what: &str, check: impl Fn(&Guard) -> bool) {
        let deadline = Instant::now() + testkit::PATIENCE;
        while !check(self) {
            assert!(Instant::now() < deadline, "never saw: {what}");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: IPC_RMID takes no buffer / no fourth argument.
        unsafe {
            if let Some(id) = self.shmid() {
                libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut());
            }
            if let Some(id) = self.semid() {
                libc::semctl(id, 0, libc::IPC_RMID);
            }
        }
    }
}

const EMPTY: i32 = 1;
const FULL: i32 = 2;

fn start(dir: &Path, args: &[&str]) -> Running {
    let mut command = Command::new(BIN);
    command.args(args).arg("--key-file").arg(dir);
    Running::spawn(command)
}

fn produce(dir: &Path, input: &str) {
    let mut command = Command::new(BIN);
    command.args(["produce", "--key-file"]).arg(dir);
    let out = run_command(command, input.as_bytes());
    assert_eq!(out.code(), Some(0), "{out:?}");
}

fn lines(n: usize, tag: &str) -> String {
    (0..n).map(|i| format!("{tag} line {i}\n")).collect()
}

#[test]
fn twenty_lines_arrive_in_order_and_the_queue_is_removed_at_the_end() {
    let dir = folder("twenty");
    let queue = Guard::new(&dir);
    let mut consumer = start(&dir, &["consume"]);
    // 20 lines through 8 slots: the producer must wait for the consumer now and then.
    produce(&dir, &lines(20, "a"));
    let got = consumer.remaining_lines();
    assert_eq!(
        consumer.wait_for_exit().code(),
        Some(0),
        "{}",
        consumer.stderr_so_far()
    );
    let expected: Vec<String> = lines(20, "a").lines().map(str::to_owned).collect();
    assert_eq!(got, expected);
    assert!(
        queue.shmid().is_none() && queue.semid().is_none(),
        "the queue is still there"
    );
}

#[test]
fn a_consumer_with_nothing_to_take_waits_for_the_producer() {
    let dir = folder("waits");
    let queue = Guard::new(&dir);
    let mut consumer = start(&dir, &["consume"]);
    // The consumer sleeps in semop(), waiting for FULL to go above 0.
    queue.wait_until("the consumer waiting on FULL", |q| {
        q.ask(FULL, libc::GETNCNT) == 1
    });
    produce(&dir, "first\nsecond\n");
    consumer.expect_line("first");
    consumer.expect_line("second");
    assert_eq!(consumer.wait_for_exit().code(), Some(0));
}

#[test]
fn a_producer_with_a_full_queue_waits_for_a_consumer() {
    let dir = folder("full");
    let queue = Guard::new(&dir);
    let mut producer = start(&dir, &["produce"]);
    producer.type_in(lines(12, "b").as_bytes());
    producer.close_stdin();
    // 8 messages fill the queue; the producer then sleeps waiting for EMPTY.
    queue.wait_until("8 full slots and the producer waiting", |q| {
        q.ask(FULL, libc::GETVAL) == 8 && q.ask(EMPTY, libc::GETNCNT) == 1
    });
    assert!(producer.is_running());
    let mut consumer = start(&dir, &["consume"]);
    let got = consumer.remaining_lines();
    assert_eq!(got.len(), 12, "{got:?}");
    assert_eq!(got[11], "b line 11");
    assert_eq!(producer.wait_for_exit().code(), Some(0));
    assert_eq!(consumer.wait_for_exit().code(), Some(0));
}
