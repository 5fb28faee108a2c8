//! A server that answers three questions about each connection: the machine's name
//! (`gethostname`), who is at the other end (`getpeername`) and which address this end
//! got (`getsockname`).

use std::io;
use std::net::SocketAddr;
#[allow(unused_imports)] // for your code
use std::os::fd::{AsFd, AsRawFd};

#[allow(unused_imports)] // for your code
use nix::sys::socket::{SockaddrLike, SockaddrStorage, getpeername, getsockname};

/// A `sockaddr_storage` holding an IPv4 or IPv6 address, as a `SocketAddr` (`None` for
/// any other family). (Given.)
pub fn to_std(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        Some(SocketAddr::V4((*v4).into()))
    } else {
        addr.as_sockaddr_in6()
            .map(|v6| SocketAddr::V6((*v6).into()))
    }
}

// ANCHOR: exercise
/// The answer to one question about the connected socket `conn`, without the newline:
///
/// - `host`: `host NAME`, NAME being what `gethostname()` says;
/// - `peer`: `peer ADDR`, the other end of the connection, from `getpeername()`;
/// - `local`: `local ADDR`, this end of the connection, from `getsockname()`;
/// - anything else: `error: unknown question "Q"; ask host, peer or local`.
///
/// ADDR is written as Rust writes a `SocketAddr` (`127.0.0.1:3490`, `[::1]:3490`).
/// A call that fails is an error (`nix::Error` turns into `io::Error` with `?`).
pub fn answer(conn: impl AsFd, question: &str) -> io::Result<String> {
    // TODO: match the question. `host`: nix::unistd::gethostname() (an OsString:
    // to_string_lossy). `peer` and `local`: getpeername / getsockname with
    // SockaddrStorage on conn.as_fd().as_raw_fd(), then to_std.
    let _ = (conn.as_fd(), question);
    todo!("answer")
}
// ANCHOR_END: exercise
