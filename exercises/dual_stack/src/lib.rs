//! One listening socket for IPv4 and IPv6 clients alike: an IPv6 socket with
//! `IPV6_V6ONLY` off, and IPv4 clients seen through it as IPv4-mapped addresses.

use std::io;
#[allow(unused_imports)] // for your code
use std::net::{IpAddr, SocketAddr, SocketAddrV6, TcpListener};

#[allow(unused_imports)] // for your code
use socket2::{Domain, Socket, Type};

/// How many connections may wait to be accepted. (Given.)
pub const BACKLOG: i32 = 128;

// ANCHOR: exercise
/// socket(AF_INET6, SOCK_STREAM) + setsockopt(IPV6_V6ONLY) + SO_REUSEADDR + bind + listen.
///
/// With `v6only` false, a socket bound to `::` accepts IPv4 clients too (their
/// addresses then read `::ffff:a.b.c.d`); with `v6only` true, IPv6 clients only. The
/// option must be set before `bind`: the standard library binds as it creates, so the
/// socket is made with socket2 and turned into a `TcpListener` at the end.
pub fn listen_dual(addr: SocketAddrV6, v6only: bool) -> io::Result<TcpListener> {
    // TODO: an IPv6 stream socket made with socket2; IPV6_V6ONLY as `v6only` says and
    // SO_REUSEADDR on, both before it is bound to `addr`; listen, and hand it back as
    // a TcpListener.
    let _ = (addr, v6only);
    todo!("listen_dual")
}

/// The line a client gets: which family it really came over, its address in that
/// family, its port, and the address as the socket gave it (`getpeername`).
///
/// - an IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]:5000`) is an IPv4 client:
///   `hello IPv4 client 127.0.0.1 port 5000 (the socket says [::ffff:127.0.0.1]:5000)`
/// - any other IPv6 address: `hello IPv6 client ::1 port 5000 (the socket says [::1]:5000)`
/// - an IPv4 address (a socket of the IPv4 family):
///   `hello IPv4 client 127.0.0.1 port 5000 (the socket says 127.0.0.1:5000)`
pub fn describe(peer: SocketAddr) -> String {
    // TODO: find the family the client really came over, and its address in that
    // family (an IPv4-mapped IPv6 address is an IPv4 client). Then format the line.
    let _ = peer;
    todo!("describe")
}
// ANCHOR_END: exercise
