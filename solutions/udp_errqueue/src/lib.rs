//! traceroute's way of hearing about its probes without a raw socket: with `IP_RECVERR`
//! (IPv6: `IPV6_RECVERR`) on, the kernel keeps every ICMP error about a datagram the
//! socket sent in the socket's *error queue*, and `recvmsg(MSG_ERRQUEUE)` hands each one
//! back: the datagram's destination, and a `sock_extended_err` saying what happened and
//! who said so.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
// lab:solution
use std::io::IoSliceMut;
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
// lab:end
//> // You may need: std::io::IoSliceMut, std::os::fd::AsRawFd, nix::errno::Errno, and from
//> // nix::sys::socket: ControlMessageOwned, MsgFlags, SockaddrStorage,
//> // recvmsg, setsockopt, sockopt (Ipv4RecvErr, Ipv6RecvErr), and nix::cmsg_space!.

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
    //> // TODO: setsockopt with sockopt::Ipv4RecvErr or sockopt::Ipv6RecvErr, to true.
    //> let _ = udp;
    //> todo!("keep_errors")
    // lab:solution
    match udp.local_addr()? {
        SocketAddr::V4(_) => setsockopt(udp, sockopt::Ipv4RecvErr, &true)?,
        SocketAddr::V6(_) => setsockopt(udp, sockopt::Ipv6RecvErr, &true)?,
    }
    Ok(())
    // lab:end
}

/// The next error in `udp`'s error queue, without waiting: `recvmsg` with `MSG_ERRQUEUE |
/// MSG_DONTWAIT`. `Ok(None)` when the queue is empty (`EAGAIN`). The message's address is
/// the destination of the datagram the error is about; the control message
/// (`IP_RECVERR` / `IPV6_RECVERR` level messages, `Ipv4RecvErr` / `Ipv6RecvErr` in nix)
/// holds the `sock_extended_err` and the offender's address.
pub fn next_error(udp: &UdpSocket) -> io::Result<Option<QueuedError>> {
    //> // TODO: a data buffer, a control buffer from
    //> // cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6), recvmsg, then the
    //> // address and the first RecvErr control message.
    //> let _ = udp;
    //> todo!("next_error")
    // lab:solution
    let mut buf = [0u8; 2048];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
    let msg = loop {
        match recvmsg::<SockaddrStorage>(udp.as_raw_fd(), &mut iov, Some(&mut control), flags) {
            Ok(msg) => break msg,
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    };
    let to = msg
        .address
        .as_ref()
        .and_then(|a: &SockaddrStorage| {
            if let Some(v4) = a.as_sockaddr_in() {
                Some(SocketAddr::from(std::net::SocketAddrV4::from(*v4)))
            } else {
                a.as_sockaddr_in6()
                    .map(|v6| SocketAddr::from(std::net::SocketAddrV6::from(*v6)))
            }
        })
        .ok_or_else(|| io::Error::other("an error without the datagram's address"))?;
    for cmsg in msg.cmsgs()? {
        let (err, from) = match cmsg {
            ControlMessageOwned::Ipv4RecvErr(err, addr) => (
                err,
                addr.map(|a| IpAddr::from(a.sin_addr.s_addr.to_ne_bytes())),
            ),
            ControlMessageOwned::Ipv6RecvErr(err, addr) => {
                (err, addr.map(|a| IpAddr::from(a.sin6_addr.s6_addr)))
            }
            _ => continue,
        };
        return Ok(Some(QueuedError {
            to,
            from,
            origin: err.ee_origin,
            kind: err.ee_type,
            code: err.ee_code,
            errno: err.ee_errno,
        }));
    }
    Err(io::Error::other(
        "an error queue message without its sock_extended_err",
    ))
    // lab:end
}
// ANCHOR_END: exercise
