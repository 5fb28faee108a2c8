//! The client's half of the uppercase protocol over UDP: one datagram out, one back.

use std::io;
#[allow(unused_imports)] // for your code
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// Room for the largest datagram UDP can carry, with a byte to spare. (Given.)
pub const BUFFER: usize = 65_536;

/// Why an exchange brought no reply. (Given: `main.rs` words each in one line.)
#[derive(Debug)]
pub enum Failure {
    /// Nothing came back within the socket's read timeout: the datagram or its reply
    /// was lost, or nobody at the server's address answers.
    NoReply,
    /// The server's machine said that nothing listens on that port (`ECONNREFUSED`).
    Refused,
    /// Anything else.
    Io(io::Error),
}

// ANCHOR: exercise
/// socket() + bind() + connect() for UDP, and a read timeout.
///
/// Binds to port 0 of the unspecified address of the server's family (`0.0.0.0` for an
/// IPv4 server, `::` for IPv6), so that the kernel picks our port; connects the socket to
/// `server`, so that `send` needs no address, only the server's datagrams reach us, and an
/// ICMP "port unreachable" comes back to us as an error; and sets the read timeout
/// (`SO_RCVTIMEO`) to `timeout`, so that no `recv` waits for ever.
pub fn open(server: SocketAddr, timeout: Duration) -> io::Result<UdpSocket> {
    // TODO: bind to port 0 of 0.0.0.0 or ::, whichever matches `server`'s family;
    // connect to `server`; set the read timeout. Return the socket.
    let _ = (server, timeout);
    todo!("open")
}

/// Sends `sentence` as one datagram on the connected `socket` and returns the one
/// datagram that comes back, whole (up to [`BUFFER`] bytes; an empty one is a reply too).
///
/// A read timeout is [`Failure::NoReply`]; `ConnectionRefused` (on the send or on the
/// receive) is [`Failure::Refused`]; a call interrupted by a signal (`Interrupted`) is
/// made again; any other error is [`Failure::Io`].
pub fn exchange(socket: &UdpSocket, sentence: &[u8]) -> Result<Vec<u8>, Failure> {
    // TODO: send the sentence; receive one datagram into a buffer of BUFFER bytes and
    // return what arrived. Turn the error kinds into Failure: WouldBlock or TimedOut
    // (the read timeout), ConnectionRefused, and the rest; retry Interrupted.
    let _ = (socket, sentence);
    todo!("exchange")
}
// ANCHOR_END: exercise
