//! server.c's listening socket: try each address `getaddrinfo` gave until one binds, with
//! `SO_REUSEADDR` so that a restarted server can have its port back at once.

use std::io::{self, Write};
//> #[allow(unused_imports)] // for your code
use std::net::{SocketAddr, TcpListener};

//> #[allow(unused_imports)] // for your code
use socket2::{Domain, Socket, Type};

/// How many connections may wait to be accepted (server.c's BACKLOG). (Given.)
pub const BACKLOG: i32 = 10;

/// What every client gets. (Given.)
pub const GREETING: &[u8] = b"Hello, world!";

// ANCHOR: exercise
/// socket() + setsockopt(SO_REUSEADDR) + bind() + listen() on the first of `candidates`
/// that works, as server.c's loop over the `getaddrinfo` results does.
///
/// For each address: a TCP socket of its family, `SO_REUSEADDR` on, `bind`, `listen`
/// with [`BACKLOG`]. If any step fails, write `bind ADDR: ERROR` to `log` and go on with
/// the next address. Returns the first socket that listens (as a `TcpListener`), or, when
/// every address failed, the last error (`InvalidInput` when there was no address at
/// all).
pub fn bind_first(candidates: &[SocketAddr], log: &mut impl Write) -> io::Result<TcpListener> {
    //> // TODO: for each address: Socket::new(Domain::for_address(addr), Type::STREAM,
    //> // None), set_reuse_address(true), bind(&addr.into()), listen(BACKLOG). The first
    //> // that gets through all four is the answer (socket.into()); each failure is
    //> // logged, and the last one returned if none gets through.
    //> let _ = (candidates, log);
    //> todo!("bind_first")
    // lab:solution
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to bind");
    for &addr in candidates {
        let attempt = || -> io::Result<TcpListener> {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
            // The connections this server closes first stay in TIME_WAIT for a minute,
            // on its port: without this, a restarted server could not bind until then.
            socket.set_reuse_address(true)?;
            socket.bind(&addr.into())?;
            socket.listen(BACKLOG)?;
            Ok(socket.into())
        };
        match attempt() {
            Ok(listener) => return Ok(listener),
            Err(e) => {
                writeln!(log, "bind {addr}: {e}")?;
                last = e;
            }
        }
    }
    Err(last)
    // lab:end
}
// ANCHOR_END: exercise
