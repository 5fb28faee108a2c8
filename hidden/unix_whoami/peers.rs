//! Hidden: real clients nobody here wrote (nc -U, Python's socket module) in a random
//! order, each told its own pid; a server killed with SIGKILL and taken over; a symbolic
//! link and a folder left alone.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use testkit::{PATIENCE, Running, noise, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_unix_whoami");

struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!("hwhoami-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Folder(dir)
    }

    fn socket(&self) -> PathBuf {
        self.0.join("whoami_socket")
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start(path: &Path) -> Running {
    let server = Running::start(SERVER, &["--path", path.to_str().unwrap()]);
    server.expect_line(&format!("listening on {}", path.display()));
    server
}

// SAFETY (both): getuid and getgid cannot fail and take no pointers.
fn uid() -> u32 {
    unsafe { libc::getuid() }
}
fn gid() -> u32 {
    unsafe { libc::getgid() }
}

/// Runs `command` (a client that prints what the server sent), and returns its pid and
/// its output.
fn client(mut command: Command) -> (u32, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the client");
    let pid = child.id();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut errors = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut errors)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "{command:?} failed: {status}; stderr: {errors}"
    );
    (pid, out)
}

#[test]
fn real_clients_in_a_random_order_are_each_told_their_own_pid() {
    let nc = require_tool("nc");
    let python = require_tool("python3");
    let folder = Folder::new("real");
    let path = folder.socket();
    let _server = start(&path);
    let kinds = noise(12, 2024);
    for (n, kind) in kinds.iter().enumerate() {
        let (pid, reply) = match kind % 3 {
            0 => {
                let mut command = Command::new(&nc);
                command.arg("-U").arg(&path);
                client(command)
            }
            1 => {
                let mut command = Command::new(&python);
                command.args([
                    "-c",
                    "import socket, sys\n\
                     s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n\
                     s.connect(sys.argv[1])\n\
                     print(s.makefile().read(), end='')",
                ]);
                command.arg(&path);
                client(command)
            }
            _ => {
                let mut conn = UnixStream::connect(&path).unwrap();
                conn.set_read_timeout(Some(PATIENCE)).unwrap();
                let mut reply = String::new();
                conn.read_to_string(&mut reply).unwrap();
                (std::process::id(), reply)
            }
        };
        assert_eq!(
            reply,
            format!("pid {pid} uid {} gid {}\n", uid(), gid()),
            "client {} of {} (kind {})",
            n + 1,
            kinds.len(),
            kind % 3
        );
    }
}

#[test]
fn the_socket_of_a_server_killed_with_sigkill_is_taken_over() {
    let folder = Folder::new("killed");
    let path = folder.socket();
    let first = start(&path);
    // SIGKILL: no handler runs, nobody removes the file.
    first.signal(libc::SIGKILL);
    drop(first);
    assert!(path.exists(), "the killed server's socket file");
    let second = start(&path);
    second.wait_for_stderr("removed stale socket");
    let mut conn = UnixStream::connect(&path).unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(
        reply.starts_with(&format!("pid {} ", std::process::id())),
        "{reply:?}"
    );
}

#[test]
fn a_symbolic_link_and_a_folder_are_left_alone() {
    let folder = Folder::new("links");
    let target = folder.0.join("notes.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = folder.0.join("link_socket");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(SERVER, &["--path", link.to_str().unwrap()], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("is not a socket"), "{out:?}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");

    let dir = folder.0.join("a_folder");
    std::fs::create_dir(&dir).unwrap();
    let out = run(SERVER, &["--path", dir.to_str().unwrap()], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("is not a socket"), "{out:?}");
    assert!(dir.is_dir());
}
