//! The TTL of a datagram: set on the way out with `IP_TTL` (IPv6: `IPV6_UNICAST_HOPS`),
//! read on the way in from the control data `recvmsg` returns once `IP_RECVTTL` (IPv6:
//! `IPV6_RECVHOPLIMIT`) is on. Every router on the way takes one from it; on loopback none
//! does, so a datagram arrives with the TTL it was sent with.

use std::io;
use std::net::{SocketAddr, UdpSocket};
// You may need: std::io::IoSliceMut, and from nix::sys::socket: ControlMessageOwned,
// MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt (Ipv4Ttl, Ipv6Ttl,
// Ipv4RecvTtl, Ipv6RecvHopLimit), and nix::cmsg_space!.

// ANCHOR: exercise
/// Datagrams sent on `socket` from now on leave with TTL `ttl` (IPv4: `IP_TTL`; IPv6, the
/// hop limit: `IPV6_UNICAST_HOPS`; the family is the socket's, from its local address).
pub fn set_ttl(socket: &UdpSocket, ttl: u8) -> io::Result<()> {
    // TODO: setsockopt with sockopt::Ipv4Ttl or sockopt::Ipv6Ttl (both take an i32).
    let _ = (socket, ttl);
    todo!("set_ttl")
}

/// Asks the kernel to hand over, with every datagram `socket` receives, the TTL (IPv6: the
/// hop limit) it arrived with: `IP_RECVTTL` or `IPV6_RECVHOPLIMIT`.
pub fn report_ttl(socket: &UdpSocket) -> io::Result<()> {
    // TODO: setsockopt with sockopt::Ipv4RecvTtl or sockopt::Ipv6RecvHopLimit, to true.
    let _ = socket;
    todo!("report_ttl")
}

/// Receives one datagram into `buf` with `recvmsg`: its length, its sender, and the TTL
/// it arrived with, from the control messages (`None` if there was none: `report_ttl` was
/// not called). A datagram longer than `buf` is cut to `buf.len()`, as `recv_from` does.
pub fn recv_with_ttl(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<u8>)> {
    // TODO: recvmsg::<SockaddrStorage> with one IoSliceMut over buf and a control
    // buffer from cmsg_space!(libc::c_int); then the address, and the TTL among the
    // control messages (ControlMessageOwned::Ipv4Ttl or Ipv6HopLimit).
    let _ = (socket, buf);
    todo!("recv_with_ttl")
}
// ANCHOR_END: exercise
