//! One attempt of a UDP client that tries a server's addresses in turn: a connected UDP
//! socket, so that the ICMP "port unreachable" a host sends back for a port nobody has
//! becomes an error on this socket (`ECONNREFUSED`) instead of being dropped.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
// lab:solution
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::Instant;
// lab:end
//> // You may need: std::io::ErrorKind, std::net::UdpSocket, std::time::Instant

/// What came of sending to one address.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A datagram came back from the address: its bytes.
    Answered(Vec<u8>),
    /// The host said nothing listens on that port (ICMP port unreachable, which a
    /// connected socket reports as `ECONNREFUSED`).
    Refused,
    /// Nothing came back within the wait.
    TimedOut,
}

// ANCHOR: exercise
/// Sends `message` to `addr` from a new UDP socket of the address's family (bound to the
/// wildcard address, `0.0.0.0:0` or `[::]:0`), *connected* to `addr`, and waits at most
/// `wait` in all for one datagram back.
///
/// A datagram back is `Answered` (its first 65536 bytes); `ECONNREFUSED` from `send` or
/// `recv` is `Refused`; the wait running out is `TimedOut`. Any other error is returned.
pub fn attempt(addr: SocketAddr, message: &[u8], wait: Duration) -> io::Result<Outcome> {
    //> // TODO: bind, connect, send, then recv with a read timeout; sort the errors.
    //> let _ = (addr, message, wait);
    //> todo!("attempt")
    // lab:solution
    let local = if addr.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(local)?;
    // connect on UDP sends nothing: it fixes the peer, filters what recv returns, and
    // lets the kernel report ICMP errors about that peer on this socket.
    socket.connect(addr)?;
    match socket.send(message) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Ok(Outcome::Refused),
        Err(e) => return Err(e),
    }
    let deadline = Instant::now() + wait;
    let mut buf = vec![0u8; 65536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Outcome::TimedOut);
        }
        socket.set_read_timeout(Some(left))?;
        match socket.recv(&mut buf) {
            Ok(n) => return Ok(Outcome::Answered(buf[..n].to_vec())),
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Ok(Outcome::Refused),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(Outcome::TimedOut);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // lab:end
}
// ANCHOR_END: exercise
