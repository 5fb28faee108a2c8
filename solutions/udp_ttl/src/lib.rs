//! The TTL of a datagram: set on the way out with `IP_TTL` (IPv6: `IPV6_UNICAST_HOPS`),
//! read on the way in from the control data `recvmsg` returns once `IP_RECVTTL` (IPv6:
//! `IPV6_RECVHOPLIMIT`) is on. Every router on the way takes one from it; on loopback none
//! does, so a datagram arrives with the TTL it was sent with.

use std::io;
use std::net::{SocketAddr, UdpSocket};
// lab:solution
use std::io::IoSliceMut;

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
// lab:end
//> // You may need: std::io::IoSliceMut, and from nix::sys::socket: ControlMessageOwned,
//> // MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt (Ipv4Ttl, Ipv6Ttl,
//> // Ipv4RecvTtl, Ipv6RecvHopLimit), and nix::cmsg_space!.

// ANCHOR: exercise
/// Datagrams sent on `socket` from now on leave with TTL `ttl` (IPv4: `IP_TTL`; IPv6, the
/// hop limit: `IPV6_UNICAST_HOPS`; the family is the socket's, from its local address).
pub fn set_ttl(socket: &UdpSocket, ttl: u8) -> io::Result<()> {
    //> // TODO: setsockopt with sockopt::Ipv4Ttl or sockopt::Ipv6Ttl (both take an i32).
    //> let _ = (socket, ttl);
    //> todo!("set_ttl")
    // lab:solution
    let ttl = i32::from(ttl);
    match socket.local_addr()? {
        SocketAddr::V4(_) => setsockopt(socket, sockopt::Ipv4Ttl, &ttl)?,
        SocketAddr::V6(_) => setsockopt(socket, sockopt::Ipv6Ttl, &ttl)?,
    }
    Ok(())
    // lab:end
}

/// Asks the kernel to hand over, with every datagram `socket` receives, the TTL (IPv6: the
/// hop limit) it arrived with: `IP_RECVTTL` or `IPV6_RECVHOPLIMIT`.
pub fn report_ttl(socket: &UdpSocket) -> io::Result<()> {
    //> // TODO: setsockopt with sockopt::Ipv4RecvTtl or sockopt::Ipv6RecvHopLimit, to true.
    //> let _ = socket;
    //> todo!("report_ttl")
    // lab:solution
    match socket.local_addr()? {
        SocketAddr::V4(_) => setsockopt(socket, sockopt::Ipv4RecvTtl, &true)?,
        SocketAddr::V6(_) => setsockopt(socket, sockopt::Ipv6RecvHopLimit, &true)?,
    }
    Ok(())
    // lab:end
}

/// Receives one datagram into `buf` with `recvmsg`: its length, its sender, and the TTL
/// it arrived with, from the control messages (`None` if there was none: `report_ttl` was
/// not called). A datagram longer than `buf` is cut to `buf.len()`, as `recv_from` does.
pub fn recv_with_ttl(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<u8>)> {
    //> // TODO: recvmsg::<SockaddrStorage> with one IoSliceMut over buf and a control
    //> // buffer from cmsg_space!(libc::c_int); then the address, and the TTL among the
    //> // control messages (ControlMessageOwned::Ipv4Ttl or Ipv6HopLimit).
    //> let _ = (socket, buf);
    //> todo!("recv_with_ttl")
    // lab:solution
    let mut iov = [IoSliceMut::new(buf)];
    let mut control = nix::cmsg_space!(libc::c_int);
    let msg = loop {
        match recvmsg::<SockaddrStorage>(
            std::os::fd::AsRawFd::as_raw_fd(socket),
            &mut iov,
            Some(&mut control),
            MsgFlags::empty(),
        ) {
            Ok(msg) => break msg,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let mut ttl = None;
    for cmsg in msg.cmsgs()? {
        match cmsg {
            ControlMessageOwned::Ipv4Ttl(t) | ControlMessageOwned::Ipv6HopLimit(t) => {
                ttl = u8::try_from(t).ok();
            }
            _ => {}
        }
    }
    let from = msg
        .address
        .and_then(|a: SockaddrStorage| {
            a.as_sockaddr_in()
                .map(|v4| SocketAddr::from(std::net::SocketAddrV4::from(*v4)))
                .or_else(|| {
                    a.as_sockaddr_in6()
                        .map(|v6| SocketAddr::from(std::net::SocketAddrV6::from(*v6)))
                })
        })
        .ok_or_else(|| io::Error::other("recvmsg gave no sender address"))?;
    Ok((msg.bytes, from, ttl))
    // lab:end
}
// ANCHOR_END: exercise
