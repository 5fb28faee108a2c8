//! listener.c grown into a loop: one UDP socket hears every talker, and `recvfrom` says
//! who sent each datagram, so each can be answered and counted apart.

use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};

/// Room for the largest datagram UDP can carry, with a byte to spare. (Given.)
pub const BUFFER: usize = 65_536;

/// What one sender (an address *and* a port) has sent so far. (Given.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub from: SocketAddr,
    pub datagrams: usize,
    pub bytes: usize,
}

/// The reply to a sender's `nth` datagram, of `len` bytes. (Given.)
pub fn reply(nth: usize, len: usize) -> String {
    format!("datagram {nth} from you, {len} bytes")
}

// ANCHOR: exercise
/// Receives `count` datagrams on `socket`, from any number of senders, and returns what
/// each sender sent, in the order the senders first appeared.
///
/// For each datagram: write the line `ADDR: LEN bytes` to `log` (the sender's address as
/// `recv_from` gives it, with its port); count it for its sender (a sender is its whole
/// address, IP and port); and send the sender, at that address, [`reply`] with its number
/// among that sender's datagrams (from 1) and its length. An empty datagram is a datagram
/// too. A reply that cannot be sent is no reason to stop: write `ADDR: reply failed: ERR`
/// to `log` and go on. `recv_from` interrupted by a signal (`Interrupted`) is called again.
pub fn listen(socket: &UdpSocket, count: usize, log: &mut impl Write) -> io::Result<Vec<Tally>> {
    // TODO: a buffer of BUFFER bytes; `count` times: recv_from (retry Interrupted),
    // log the line, find or add the sender's Tally (a Vec searched by address is
    // fine), and send_to the reply to the address recv_from gave.
    let _ = (socket, count, log);
    todo!("listen")
}
// ANCHOR_END: exercise
