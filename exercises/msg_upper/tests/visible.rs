//! The server and its clients as separate processes, on a queue named by a folder of the
//! test's own. The queue is removed when a test ends, pass or fail.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use testkit::{Running, run_command};

const BIN: &str = env!("CARGO_BIN_EXE_msg_upper");

/// A fresh folder; its path is the queue's name (ftok(folder, 'U')).
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("msgq-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The queue of a folder, removed when the guard is dropped.
struct Guard(libc::key_t);

impl Guard {
    fn new(dir: &Path) -> Guard {
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'U' as libc::c_int) };
        assert_ne!(key, -1);
        Guard(key)
    }

    fn exists(&self) -> bool {
        // SAFETY: msgget takes integers only.
        unsafe { libc::msgget(self.0, 0) != -1 }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: msgget takes integers; IPC_RMID takes no buffer.
        unsafe {
            let id = libc::msgget(self.0, 0);
            if id != -1 {
                libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut());
            }
        }
    }
}

/// Starts the server and waits for its readiness line.
fn server(dir: &Path) -> Running {
    let mut command = Command::new(BIN);
    command.arg("serve").arg("--key-file").arg(dir);
    let server = Running::spawn(command);
    let line = server.next_line().unwrap_or_default();
    assert!(
        line.starts_with("serving queue "),
        "expected `serving queue ID`, got {line:?}; stderr: {}",
        server.stderr_so_far()
    );
    server
}

fn ask_command(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.arg("ask").arg("--key-file").arg(dir);
    command
}

fn stop(dir: &Path) {
    let mut command = Command::new(BIN);
    command.arg("stop").arg("--key-file").arg(dir);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(0), "stop: {out:?}");
}

#[test]
fn a_client_gets_each_line_back_in_upper_case_and_stop_ends_the_server() {
    let dir = folder("one");
    let queue = Guard::new(&dir);
    let mut server = server(&dir);
    let out = run_command(ask_command(&dir), b"hello, queue\n\nmixed Case 42\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "HELLO, QUEUE\n\nMIXED CASE 42\n");
    stop(&dir);
    assert_eq!(
        server.wait_for_exit().code(),
        Some(0),
        "{}",
        server.stderr_so_far()
    );
    assert_eq!(
        server.remaining_lines(),
        ["the queue is gone; answered 3 requests"],
        "the server should end when its queue is removed (msgrcv fails with EIDRM)"
    );
    assert!(!queue.exists());
}

#[test]
fn two_clients_at_once_each_get_their_own_replies() {
    let dir = folder("two");
    let _queue = Guard::new(&dir);
    let _server = server(&dir);
    let input = |tag: &str| -> String { (0..100).map(|i| format!("{tag} line {i}\n")).collect() };
    let clients: Vec<_> = ["alpha", "beta"]
        .iter()
        .map(|tag| {
            let mut child = ask_command(&dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let text = input(tag);
            std::thread::spawn(move || {
                use std::io::Write;
                let _ = stdin.write_all(text.as_bytes());
            });
            (tag, child)
        })
        .collect();
    for (tag, child) in clients {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            input(tag).to_uppercase(),
            "client {tag} got replies that were not its own: is each reply sent on the \
             client's pid, and does the client receive only that type?"
        );
    }
}
