//! getpeername() and getsockname(): who is at the other end of a connected socket, and
//! which address this end got.
//!
//! `getpeername --host H --port P` connects and asks both questions. Nobody chose the
//! local port: connect() picked a free one (an "ephemeral" port), and getsockname is how
//! to learn it. `getpeername --listen` accepts one client and asks the same questions on
//! the accepted socket, then tells the client who it is. A server can keep just the socket
//! and still learn the client's address at any time, which is what getpeername is for.

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::sys::socket::{SockaddrLike, SockaddrStorage, getpeername, getsockname};

/// Connect (or, with --listen, accept one client) and print both ends of the connection.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Host to connect to (with --listen: the address to listen on).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// TCP port (with --listen, 0 picks any free port).
    #[arg(long, default_value_t = 3490)]
    port: u16,
    /// Accept one client instead of connecting.
    #[arg(long)]
    listen: bool,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(if args.listen {
        serve_one(&args)
    } else {
        connect(&args)
    })
}

// ANCHOR: ends
/// getpeername() and getsockname() on a connected socket, as Rust addresses.
fn ends(conn: &TcpStream) -> netkit::Result<(SocketAddr, SocketAddr)> {
    // struct sockaddr_storage addr; socklen_t len = sizeof addr;
    // getpeername(s, (struct sockaddr *)&addr, &len);
    let peer: SockaddrStorage = getpeername(conn.as_raw_fd())?;
    // getsockname(s, (struct sockaddr *)&addr, &len);
    let local: SockaddrStorage = getsockname(conn.as_raw_fd())?;
    Ok((to_std(&peer)?, to_std(&local)?))
}

/// A sockaddr_storage holding AF_INET or AF_INET6, as a `SocketAddr`.
fn to_std(addr: &SockaddrStorage) -> netkit::Result<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        Ok(SocketAddr::V4((*v4).into()))
    } else if let Some(v6) = addr.as_sockaddr_in6() {
        Ok(SocketAddr::V6((*v6).into()))
    } else {
        Err(Fatal::new(format!(
            "not an IP address (family {:?})",
            addr.family()
        )))
    }
}
// ANCHOR_END: ends

// ANCHOR: connect
fn connect(args: &Args) -> netkit::Result<()> {
    let addrs = netkit::resolve(&args.host, args.port)?;
    // socket() and connect(), trying each address in turn.
    let conn = TcpStream::connect(&addrs[..]).map_err(|e| netkit::connect_error(e, addrs[0]))?;
    let (peer, local) = ends(&conn)?;
    println!("getsockname: {local} (this end: the port connect() picked)");
    println!("getpeername: {peer} (the other end)");
    Ok(())
}
// ANCHOR_END: connect

// ANCHOR: serve_one
fn serve_one(args: &Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen()
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    // accept() could tell us the address too; we ignore it and ask the socket.
    let (mut conn, _) = listener.accept()?;
    let (peer, local) = ends(&conn)?;
    println!("getpeername: {peer} (the client)");
    println!("getsockname: {local} (this end of the connection)");
    // send(): tell the client who it is. A client that has already closed
    // (our own client does not wait for the answer) is no error.
    match writeln!(conn, "you are {peer}") {
        Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => Ok(()),
        other => Ok(other?),
    }
}
// ANCHOR_END: serve_one
