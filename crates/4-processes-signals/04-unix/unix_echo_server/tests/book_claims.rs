//! What the Unix domain sockets chapter says about the abstract namespace (unix(7),
//! "Abstract sockets"), shown. The chapter names this test after the claim:
//! `(tested: `book_claims::…`)`.

use std::io::{ErrorKind, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::PathBuf;

/// An empty folder of its own for one test.
fn empty_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("abstract-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A name that starts with a zero byte lives in the abstract namespace: clients connect
/// to it as to any socket, but no file is created (even when the rest of the name looks
/// like a path), `/proc/net/unix` (and `ss -xl`) shows it with a leading `@`, and it
/// vanishes with the last descriptor, so a restarted server can bind it again at once.
#[test]
fn an_abstract_socket_name_leaves_no_file_and_is_gone_when_closed() {
    let dir = empty_dir("name");
    let path = dir.join("echo_socket");
    let name = path.to_string_lossy().into_owned();
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();

    let listener = UnixListener::bind_addr(&addr).expect("bind an abstract name");
    assert!(!path.exists(), "bind created {}", path.display());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let listed = std::fs::read_to_string("/proc/net/unix").unwrap();
    assert!(
        listed
            .lines()
            .any(|line| line.ends_with(&format!(" @{name}"))),
        "/proc/net/unix does not list @{name}"
    );

    // A second server cannot take the name while the first holds it.
    let err = UnixListener::bind_addr(&addr).expect_err("the name is taken");
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");

    // Clients connect by the abstract name, not by a path (there is none).
    let mut client = UnixStream::connect_addr(&addr).expect("connect by the name");
    let (mut conn, _) = listener.accept().unwrap();
    client.write_all(b"hi").unwrap();
    let mut got = [0u8; 2];
    conn.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hi");
    let err = UnixStream::connect(&path).expect_err("no file to connect to");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");

    // Closed: the name is free again, with nothing to unlink.
    drop((listener, conn, client));
    let again = UnixListener::bind_addr(&addr).expect("bind the name again at once");
    drop(again);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
