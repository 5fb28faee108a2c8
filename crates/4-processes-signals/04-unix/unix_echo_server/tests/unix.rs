//! unix_echo_server as a black box: our client, nc -U, signals, stale and foreign files.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Running, require_tool, run, sibling_binary};

const SERVER: &str = env!("CARGO_BIN_EXE_unix_echo_server");
const SPAIR: &str = env!("CARGO_BIN_EXE_socketpair_demo");

/// A fresh directory for one test's socket file (paths must stay under 108 bytes).
fn socket_path() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "ux-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("echo_socket")
}

fn start(path: &Path) -> Running {
    let server = Running::start(SERVER, &["--path", path.to_str().unwrap()]);
    server.expect_line(&format!("listening on {}", path.display()));
    server.expect_line("Waiting for a connection...");
    server
}

fn connect(path: &Path) -> UnixStream {
    let conn = UnixStream::connect(path).unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    conn
}

fn echo(conn: &mut UnixStream, text: &[u8]) -> Vec<u8> {
    conn.write_all(text).unwrap();
    let mut back = vec![0u8; text.len()];
    conn.read_exact(&mut back).unwrap();
    back
}

#[test]
fn our_client_gets_every_line_echoed() {
    let path = socket_path();
    let server = start(&path);
    let client = sibling_binary(SERVER, "unix_echo_client");
    let out = run(
        &client,
        &["--path", path.to_str().unwrap()],
        b"hello\nsecond line\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "Trying to connect...\nConnected.\necho> hello\necho> second line\n"
    );
    server.expect_line("Connected.");
    server.expect_line("Waiting for a connection...");
}

#[test]
fn nc_over_the_unix_socket() {
    let path = socket_path();
    let _server = start(&path);
    let nc = require_tool("nc");
    let out = run(
        nc.to_str().unwrap(),
        &["-N", "-U", path.to_str().unwrap()],
        b"abc\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "abc\n");
}

#[test]
fn sigterm_when_idle_exits_0_and_removes_the_socket_file() {
    let path = socket_path();
    let mut server = start(&path);
    assert!(path.exists());
    server.signal(libc::SIGTERM);
    assert!(
        server.wait_for_exit().success(),
        "{}",
        server.stderr_so_far()
    );
    assert!(!path.exists(), "the socket file is still there");
}

#[test]
fn sigint_removes_the_socket_file_too() {
    let path = socket_path();
    let mut server = start(&path);
    server.signal(libc::SIGINT);
    assert!(server.wait_for_exit().success());
    assert!(!path.exists());
}

#[test]
fn a_connected_client_may_finish_after_sigterm() {
    let path = socket_path();
    let mut server = start(&path);
    let mut conn = connect(&path);
    assert_eq!(echo(&mut conn, b"before"), b"before");
    server.signal(libc::SIGTERM);
    assert_eq!(echo(&mut conn, b"after"), b"after");
    drop(conn);
    assert!(server.wait_for_exit().success());
    assert!(!path.exists());
}

#[test]
fn a_silent_client_cannot_hold_up_shutdown_past_the_grace_period() {
    let path = socket_path();
    let mut server = start(&path);
    let mut conn = connect(&path);
    assert_eq!(echo(&mut conn, b"hi"), b"hi");
    let start = Instant::now();
    server.signal(libc::SIGTERM);
    assert!(server.wait_for_exit().success());
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    assert!(!path.exists());
    // The server closed our connection.
    let mut rest = Vec::new();
    assert_eq!(conn.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn a_stale_socket_file_is_replaced() {
    let path = socket_path();
    drop(UnixListener::bind(&path).unwrap()); // a server that died without cleaning up
    let server = start(&path);
    let mut conn = connect(&path);
    assert_eq!(echo(&mut conn, b"fresh"), b"fresh");
    server.wait_for_stderr("removed stale socket");
}

#[test]
fn a_running_server_keeps_its_socket() {
    let path = socket_path();
    let _first = start(&path);
    let out = run(SERVER, &["--path", path.to_str().unwrap()], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "unix_echo_server: another server is listening on {}; stop it or pass --path\n",
            path.display()
        )
    );
    let mut conn = connect(&path);
    assert_eq!(echo(&mut conn, b"still the first"), b"still the first");
}

#[test]
fn a_regular_file_at_the_path_is_never_deleted() {
    let path = socket_path();
    fs::write(&path, "precious").unwrap();
    let out = run(SERVER, &["--path", path.to_str().unwrap()], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "unix_echo_server: {} exists and is not a socket; remove it or pass --path\n",
            path.display()
        )
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn a_client_that_vanishes_mid_stream_costs_only_itself() {
    let path = socket_path();
    let _server = start(&path);
    {
        let mut conn = connect(&path);
        conn.write_all(&[b'x'; 50_000]).unwrap();
        // dropped without reading a byte of the echo
    }
    let mut conn = connect(&path);
    assert_eq!(echo(&mut conn, b"next"), b"next");
}

#[test]
fn socketpair_parent_sends_child_uppercases() {
    let out = run(SPAIR, &["hello"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let parent: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("parent:"))
        .collect();
    let child: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("child:"))
        .collect();
    assert_eq!(parent, ["parent: sent 'hello'", "parent: read 'HELLO'"]);
    assert_eq!(child, ["child: read 'hello'", "child: sent 'HELLO'"]);
}

#[test]
fn socketpair_default_is_spair_c_s_single_b() {
    let out = run(SPAIR, &[], b"");
    assert!(out.stdout.contains("child: read 'b'\n"), "{out:?}");
    assert!(out.stdout.ends_with("parent: read 'B'\n"), "{out:?}");
}
