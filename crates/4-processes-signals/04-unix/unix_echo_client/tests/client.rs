//! unix_echo_client as a black box, against a listener the test holds.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::thread;

use testkit::run;

const CLIENT: &str = env!("CARGO_BIN_EXE_unix_echo_client");

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("uxc-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("echo_socket")
}

#[test]
fn no_socket_file_is_one_line_and_status_1() {
    let path = scratch("none");
    let out = run(CLIENT, &["--path", path.to_str().unwrap()], b"hi\n");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "unix_echo_client: no socket at {}; start unix_echo_server first, or check --path\n",
            path.display()
        )
    );
}

#[test]
fn a_stale_socket_file_is_named_as_such() {
    let path = scratch("stale");
    drop(UnixListener::bind(&path).unwrap());
    let out = run(CLIENT, &["--path", path.to_str().unwrap()], b"hi\n");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("(a stale socket file?)"), "{out:?}");
}

#[test]
fn the_bytes_on_the_wire_are_the_lines_typed() {
    let path = scratch("wire");
    let listener = UnixListener::bind(&path).unwrap();
    let peer = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = [0u8; 6];
        conn.read_exact(&mut got).unwrap();
        conn.write_all(b"ECHO!\n").unwrap();
        got
    });
    let out = run(CLIENT, &["--path", path.to_str().unwrap()], b"hello\n");
    assert_eq!(peer.join().unwrap(), *b"hello\n");
    assert_eq!(
        out.stdout, "Trying to connect...\nConnected.\necho> ECHO!\n",
        "{out:?}"
    );
}

#[test]
fn a_server_that_hangs_up_is_reported() {
    let path = scratch("hangup");
    let listener = UnixListener::bind(&path).unwrap();
    let peer = thread::spawn(move || drop(listener.accept().unwrap()));
    let out = run(CLIENT, &["--path", path.to_str().unwrap()], b"hello\n");
    peer.join().unwrap();
    assert_eq!(out.code(), Some(1), "{out:?}");
    // Whether the line was sent before the server hung up or not, it is the same news.
    assert_eq!(
        out.stderr, "unix_echo_client: Server closed connection\n",
        "{out:?}"
    );
}
