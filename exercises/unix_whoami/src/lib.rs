//! A Unix domain socket server that tells each client who it is: the pid, uid and gid the
//! kernel recorded for the other end of the connection (SO_PEERCRED). And the careful
//! version of echos.c's `unlink(SOCK_PATH)`.

use std::fmt;
#[allow(unused_imports)] // for your code
use std::fs;
#[allow(unused_imports)] // for your code
use std::io::{self, ErrorKind, Write};
#[allow(unused_imports)] // for your code
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use netkit::Fatal;
// Useful for your code:
// use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

/// Who is at the other end of a connection, as the kernel saw it at `connect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// `pid 4242 uid 1000 gid 1000`: the line a client receives. (Given.)
impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} uid {} gid {}", self.pid, self.uid, self.gid)
    }
}

/// The error when a server answers on `path`. (Given.)
pub fn in_use(path: &Path) -> Fatal {
    Fatal::new(format!(
        "another server is listening on {}; stop it or pass --path",
        path.display()
    ))
}

/// The error when `path` is something other than a socket. (Given.)
pub fn not_a_socket(path: &Path) -> Fatal {
    Fatal::new(format!(
        "{} exists and is not a socket; remove it or pass --path",
        path.display()
    ))
}

/// Serves one client: its `Peer` line, then close. (Given.)
pub fn serve(mut conn: UnixStream) -> io::Result<()> {
    conn.set_write_timeout(Some(Duration::from_secs(5)))?;
    let who = peer(&conn)?;
    conn.write_all(format!("{who}\n").as_bytes())
}

// ANCHOR: exercise
/// Makes `path` free for `bind`, harming nothing: nothing there, fine (`Ok(false)`); a
/// socket nobody answers on (its server died) is stale: remove it (`Ok(true)`); a socket
/// a server answers on: `Err(in_use(path))`; anything else, a file, a folder, a symbolic
/// link: `Err(not_a_socket(path))`, untouched.
pub fn prepare_path(path: &Path) -> Result<bool, Fatal> {
    // TODO: fs::symlink_metadata(path) (it does not follow a symbolic link):
    // - NotFound: Ok(false);
    // - not a socket (metadata.file_type().is_socket(), trait FileTypeExt): not_a_socket;
    // - a socket: try UnixStream::connect(path). Connected: in_use. Refused
    //   (ErrorKind::ConnectionRefused): stale, fs::remove_file, Ok(true).
    // - any other error: Err(Fatal::new(...)) saying what failed.
    let _ = path;
    todo!("prepare the socket path")
}

/// The credentials of the process at the other end of `conn`: getsockopt(SO_PEERCRED).
pub fn peer(conn: &UnixStream) -> io::Result<Peer> {
    // TODO: getsockopt(conn, PeerCredentials) gives a UnixCredentials with pid(), uid()
    // and gid(); an Errno turns into an io::Error with `?`.
    let _ = conn;
    todo!("the peer's credentials")
}
// ANCHOR_END: exercise
