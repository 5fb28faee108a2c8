//! Both ends of a connection, as the server sees them: `getpeername` (who connected) and
//! `getsockname` on the *accepted* socket (which of the server's addresses the client
//! reached: a listener on `0.0.0.0` has none of its own, each connection has one).

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
// lab:solution
use socket2::{Domain, Socket, Type};
// lab:end
//> // You may need: socket2::{Domain, Socket, Type}

// ANCHOR: exercise
/// A listening TCP socket on `addr`, with `SO_REUSEADDR`. On an IPv6 address,
/// `IPV6_V6ONLY` is off, so that `[::]` takes IPv4 clients too (they appear as IPv4-mapped
/// addresses, `::ffff:192.0.2.1`).
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    //> // TODO: socket2: Socket::new, set_reuse_address, set_only_v6(false) for IPv6, bind,
    //> // listen, then into a TcpListener.
    //> let _ = addr;
    //> todo!("listen")
    // lab:solution
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    Ok(socket.into())
    // lab:end
}

/// The line the server writes to a client: `you are PEER, you reached LOCAL\n`, with the
/// connection's peer address (`getpeername`) and local address (`getsockname`), each
/// written as `SocketAddr` writes it, an IPv4-mapped IPv6 address as the IPv4 address it
/// stands for (`::ffff:127.0.0.1` port 80 as `127.0.0.1:80`).
pub fn greeting(conn: &TcpStream) -> io::Result<String> {
    //> // TODO: peer_addr and local_addr, with their IPs made canonical.
    //> let _ = conn;
    //> todo!("greeting")
    // lab:solution
    let canonical = |a: SocketAddr| SocketAddr::new(a.ip().to_canonical(), a.port());
    let peer = canonical(conn.peer_addr()?);
    let local = canonical(conn.local_addr()?);
    Ok(format!("you are {peer}, you reached {local}\n"))
    // lab:end
}
// ANCHOR_END: exercise
