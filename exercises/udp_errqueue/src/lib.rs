//! traceroute's way of hearing about its probes without a raw socket: with `IP_RECVERR`
//! (IPv6: `IPV6_RECVERR`) on, the kernel keeps every ICMP error about a datagram the
//! socket sent in the socket's *error queue*, and `recvmsg(MSG_ERRQUEUE)` hands each one
//! back: the datagram's destination, and a `sock_extended_err` saying what happened and
//! who said so.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
// You may need: std::io::IoSliceMut, std::os::fd::AsRawFd, nix::errno::Errno, and from
// nix::sys::socket: ControlMessageOwned, MsgFlags, SockaddrStorage,
// recvmsg, setsockopt, sockopt (Ipv4RecvErr, Ipv6RecvErr), and nix::cmsg_space!.

/// One error from the error queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueuedError {
    /// Where the datagram that caused it was going (from the message's address).
    pub to: SocketAddr,
    /// Who reported it: the "offender" address of the control message (the host or router
    /// that sent the ICMP message).
    pub from: Option<IpAddr>,
    /// `ee_origin`: `libc::SO_EE_ORIGIN_ICMP` (2), `SO_EE_ORIGIN_ICMP6` (3), or
    /// `SO_EE_ORIGIN_LOCAL` (1) for an error this machine found itself.
    pub origin: u8,
    /// `ee_type` and `ee_code`: the ICMP message's type and code.
    pub kind: u8,
    pub code: u8,
    /// `ee_errno`: the error it means for the socket (`ECONNREFUSED` for port unreachable).
    pub errno: u32,
}

// ANCHOR: exercise
/// Turns the error queue on for `udp` (`IP_RECVERR` for an IPv4 socket, `IPV6_RECVERR` for
/// an IPv6 one; the family from its local address).
pub fn keep_errors(udp: &UdpSocket) -> io::Result<()> {
    // TODO: setsockopt with sockopt::Ipv4RecvErr or sockopt::Ipv6RecvErr, to true.
    let _ = udp;
    todo!("keep_errors")
}

/// The next error in `udp`'s error queue, without waiting: `recvmsg` with `MSG_ERRQUEUE |
/// MSG_DONTWAIT`. `Ok(None)` when the queue is empty (`EAGAIN`). The message's address is
/// the destination of the datagram the error is about; the control message
/// (`IP_RECVERR` / `IPV6_RECVERR` level messages, `Ipv4RecvErr` / `Ipv6RecvErr` in nix)
/// holds the `sock_extended_err` and the offender's address.
pub fn next_error(udp: &UdpSocket) -> io::Result<Option<QueuedError>> {
    // TODO: a data buffer, a control buffer from
    // cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6), recvmsg, then the
    // address and the first RecvErr control message.
    let _ = udp;
    todo!("next_error")
}
// ANCHOR_END: exercise
