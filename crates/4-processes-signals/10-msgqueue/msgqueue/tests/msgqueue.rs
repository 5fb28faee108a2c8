//! kirk and spock, mq_sender and mq_receiver: each against its Rust twin and against C
//! programs that behave like the originals, in both roles. Every queue a test makes is
//! removed when the test ends, pass or fail (the guards below), so `ipcs -q` stays empty.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use testkit::{Running, compile_c, run_command};

const KIRK: &str = env!("CARGO_BIN_EXE_kirk");
const SPOCK: &str = env!("CARGO_BIN_EXE_spock");
const MQ_SENDER: &str = env!("CARGO_BIN_EXE_mq_sender");
const MQ_RECEIVER: &str = env!("CARGO_BIN_EXE_mq_receiver");

fn c_peer(name: &str) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/peers/{name}.c"));
    compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

/// A fresh folder holding an empty `kirk.c`, the file both programs give ftok().
fn bridge(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bridge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kirk.c"), b"").unwrap();
    dir
}

// ANCHOR: guard
/// The System V queue of `dir/kirk.c`, removed when the guard is dropped (if it
/// is still there): a failed test must not leave a queue behind in the kernel.
struct QueueGuard(libc::key_t);

impl QueueGuard {
    fn for_bridge(dir: &Path) -> QueueGuard {
        let path = CString::new(dir.join("kirk.c").as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'B' as libc::c_int) };
        assert_ne!(key, -1, "ftok");
        QueueGuard(key)
    }

    /// Whether a queue with this key exists.
    fn exists(&self) -> bool {
        // SAFETY: msgget takes two integers.
        unsafe { libc::msgget(self.0, 0) != -1 }
    }
}

impl Drop for QueueGuard {
    fn drop(&mut self) {
        // SAFETY: msgget takes two integers; IPC_RMID takes no buffer.
        unsafe {
            let id = libc::msgget(self.0, 0);
            if id != -1 {
                libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut());
            }
        }
    }
}
// ANCHOR_END: guard

fn start_in(dir: &Path, bin: &str, args: &[&str]) -> Running {
    let mut command = Command::new(bin);
    command.args(args).current_dir(dir);
    Running::spawn(command)
}

/// Kirk sends three lines; Spock prints each; Kirk leaves and removes the queue.
fn bridge_conversation(kirk: &str, spock: &str, spock_is_c: bool, name: &str) {
    let dir = bridge(name);
    let queue = QueueGuard::for_bridge(&dir);
    let mut captain = start_in(&dir, kirk, &[]);
    captain.expect_line("Enter lines of text, ^D to quit:");
    assert!(queue.exists());
    let mut officer = start_in(&dir, spock, &[]);
    officer.expect_line("spock: ready to receive messages, captain.");
    for line in ["Mr. Spock, report.", "", "Beam me up."] {
        captain.type_in(format!("{line}\n").as_bytes());
        officer.expect_line(&format!("spock: \"{line}\""));
    }
    captain.close_stdin();
    assert_eq!(
        captain.wait_for_exit().code(),
        Some(0),
        "{}",
        captain.stderr_so_far()
    );
    // Kirk removed the queue: Spock's msgrcv fails, with EIDRM if it was waiting
    // in msgrcv then, with EINVAL if it called msgrcv after.
    let status = officer.wait_for_exit();
    if spock_is_c {
        assert_eq!(status.code(), Some(1));
        let said = officer.stderr_so_far();
        assert!(
            ["msgrcv: Identifier removed\n", "msgrcv: Invalid argument\n"].contains(&said.as_str()),
            "{said}"
        );
    } else {
        officer.expect_line("spock: the queue is gone; kirk has left the bridge.");
        assert_eq!(status.code(), Some(0), "{}", officer.stderr_so_far());
    }
    assert!(!queue.exists(), "the queue is still there");
}

// ANCHOR: kirk_spock
#[test]
fn our_kirk_and_our_spock() {
    bridge_conversation(KIRK, SPOCK, false, "twins");
}

#[test]
fn our_kirk_and_a_c_spock() {
    bridge_conversation(KIRK, &c_peer("spock"), true, "c-spock");
}

#[test]
fn a_c_kirk_and_our_spock() {
    bridge_conversation(&c_peer("kirk"), SPOCK, false, "c-kirk");
}
// ANCHOR_END: kirk_spock

#[test]
fn a_line_longer_than_a_message_arrives_in_pieces_of_199_bytes() {
    let dir = bridge("long");
    let _queue = QueueGuard::for_bridge(&dir);
    let mut captain = start_in(&dir, KIRK, &[]);
    captain.expect_line("Enter lines of text, ^D to quit:");
    let officer = start_in(&dir, SPOCK, &[]);
    officer.expect_line("spock: ready to receive messages, captain.");
    let long = "x".repeat(250);
    captain.type_in(format!("{long}\n").as_bytes());
    officer.expect_line(&format!("spock: \"{}\"", &long[..199]));
    officer.expect_line(&format!("spock: \"{}\"", &long[199..]));
    captain.close_stdin();
    assert_eq!(captain.wait_for_exit().code(), Some(0));
}

#[test]
fn spock_without_kirk_and_kirk_without_kirk_c_are_one_line_errors() {
    let dir = bridge("alone");
    let _queue = QueueGuard::for_bridge(&dir);
    let mut command = Command::new(SPOCK);
    command.current_dir(&dir);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "spock: there is no queue yet; start kirk first\n"
    );

    std::fs::remove_file(dir.join("kirk.c")).unwrap();
    let mut command = Command::new(KIRK);
    command.current_dir(&dir);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "kirk: cannot make a key from kirk.c: No such file or directory (os error 2); ftok needs \
         a file that exists (create it with `touch kirk.c`, or pass --key-file)\n"
    );
}

/// A POSIX queue name of this test's own, unlinked when the guard is dropped.
struct MqGuard(String);

impl MqGuard {
    fn new() -> MqGuard {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        MqGuard(format!("/mq_test_{}_{n}", std::process::id()))
    }
}

impl Drop for MqGuard {
    fn drop(&mut self) {
        let _ = nix::mqueue::mq_unlink(self.0.as_str());
    }
}

fn mq_conversation(sender: &str, receiver: &str) {
    let name = MqGuard::new();
    let mut receiving = Running::start(receiver, &[&name.0]);
    let mut sending = Running::start(sender, &[&name.0]);
    receiving.expect_line(&format!("mq_receiver: waiting on {}", name.0));
    sending.expect_line(&format!(
        "mq_sender: sending each line to {}; ^D to end",
        name.0
    ));
    for line in ["first message", "second, a bit longer"] {
        sending.type_in(format!("{line}\n").as_bytes());
        sending.expect_line(&format!("mq_sender: sent {} bytes", line.len()));
        receiving.expect_line(&format!("mq_receiver: \"{line}\" (priority 0)"));
    }
    sending.close_stdin();
    sending.expect_line("mq_sender: sent the end (an empty message)");
    assert_eq!(
        sending.wait_for_exit().code(),
        Some(0),
        "{}",
        sending.stderr_so_far()
    );
    receiving.expect_line("mq_receiver: end of messages");
    assert_eq!(
        receiving.wait_for_exit().code(),
        Some(0),
        "{}",
        receiving.stderr_so_far()
    );
    // The receiver unlinked the name.
    assert_eq!(
        nix::mqueue::mq_unlink(name.0.as_str()),
        Err(nix::errno::Errno::ENOENT)
    );
}

// ANCHOR: posix
#[test]
fn our_mq_sender_and_our_mq_receiver() {
    mq_conversation(MQ_SENDER, MQ_RECEIVER);
}

#[test]
fn our_mq_sender_and_a_c_mq_receiver() {
    mq_conversation(MQ_SENDER, &c_peer("mq_receiver"));
}

#[test]
fn a_c_mq_sender_and_our_mq_receiver() {
    mq_conversation(&c_peer("mq_sender"), MQ_RECEIVER);
}
// ANCHOR_END: posix

#[test]
fn the_highest_priority_message_waiting_is_received_first() {
    let name = MqGuard::new();
    // Two senders, the receiver not there yet: the messages wait in the queue.
    let out = testkit::run(MQ_SENDER, &[&name.0], b"first\nsecond\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let out = testkit::run(MQ_SENDER, &[&name.0, "--priority", "7"], b"urgent\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let out = testkit::run(MQ_RECEIVER, &[&name.0], b"");
    assert_eq!(
        out.stdout,
        format!(
            "mq_receiver: waiting on {}\n\
             mq_receiver: \"urgent\" (priority 7)\n\
             mq_receiver: \"first\" (priority 0)\n\
             mq_receiver: \"second\" (priority 0)\n\
             mq_receiver: end of messages\n",
            name.0
        )
    );
}
