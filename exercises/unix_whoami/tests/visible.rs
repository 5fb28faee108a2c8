//! unix_whoami as a black box: a socket path of the test's own, clients that know their
//! own pid, and what is left on disk.

use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use testkit::{PATIENCE, Running, run};

const SERVER: &str = env!("CARGO_BIN_EXE_unix_whoami");

/// A fresh folder for one test's socket, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!("whoami-{name}-{}", std::process::id()));
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

/// What the server tells a client that is this test process.
fn ask(path: &Path) -> String {
    let mut conn = UnixStream::connect(path).expect("connect to the server's socket");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).expect("read the reply");
    reply
}

fn me() -> String {
    // SAFETY: getuid and getgid cannot fail and take no pointers.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    format!("pid {} uid {uid} gid {gid}\n", std::process::id())
}

#[test]
fn a_client_is_told_its_own_pid_uid_and_gid() {
    let folder = Folder::new("me");
    let path = folder.socket();
    let _server = start(&path);
    assert_eq!(ask(&path), me());
    assert_eq!(ask(&path), me(), "a second client, the server goes on");
}

#[test]
fn a_stale_socket_file_is_removed_and_the_server_starts() {
    let folder = Folder::new("stale");
    let path = folder.socket();
    // A socket file whose server has gone: bind creates it, and nobody removes it.
    drop(UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let server = start(&path);
    server.wait_for_stderr(&format!("removed stale socket {}", path.display()));
    assert_eq!(ask(&path), me());
}

#[test]
fn a_live_server_and_a_regular_file_are_left_alone() {
    let folder = Folder::new("alone");
    let path = folder.socket();
    let _first = start(&path);
    let second = run(SERVER, &["--path", path.to_str().unwrap()], b"");
    assert_eq!(second.code(), Some(1), "{second:?}");
    assert!(
        second.stderr.contains("another server is listening"),
        "{second:?}"
    );
    assert_eq!(ask(&path), me(), "the first server still answers");

    let file = folder.0.join("thesis.txt");
    std::fs::write(&file, "precious").unwrap();
    let out = run(SERVER, &["--path", file.to_str().unwrap()], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("is not a socket"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
}

#[test]
fn sigterm_removes_the_socket_file() {
    let folder = Folder::new("term");
    let path = folder.socket();
    let mut server = start(&path);
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_socket()
    );
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_for_exit().code(), Some(0));
    assert!(!path.exists(), "the socket file is still there");
}
