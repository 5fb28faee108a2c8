//! Finding servers you know nothing about: one datagram to the broadcast address, and
//! every reply that comes back in the time allowed.

use std::io::{self, Write};
#[allow(unused_imports)] // for your code
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
#[allow(unused_imports)] // for your code
use std::time::{Duration, Instant};

/// Room for the largest datagram. (Given.)
pub const BUFFER: usize = 65_536;

/// How a reply is shown: its text, without a final newline. (Given.)
pub fn reply_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

// ANCHOR: exercise
/// Broadcasts `question` to `to` (a broadcast address and port, such as
/// `127.255.255.255:4950`) and listens for replies for `wait`, counted from the send.
///
/// The socket: UDP, bound to port 0 of `0.0.0.0`, with `SO_BROADCAST` on (without it, a
/// send to a broadcast address fails with `EACCES`). Then, until `wait` has passed: each
/// datagram that comes back is a reply; write `reply from ADDR: TEXT` to `out`
/// ([`reply_text`]). A reply does not make the wait longer: the deadline is fixed when
/// the question is sent. Returns the addresses that replied, each once, in the order
/// they were first heard. A read timeout (`WouldBlock`, `TimedOut`) means the time is
/// up; `Interrupted` means read again; any other error is returned.
pub fn discover(
    to: SocketAddrV4,
    question: &[u8],
    wait: Duration,
    out: &mut impl Write,
) -> io::Result<Vec<SocketAddr>> {
    // TODO: bind 0.0.0.0:0, set_broadcast(true), send_to(question, to). Then, with a
    // deadline fixed now: set the read timeout to what is left (stop when nothing is
    // left), recv_from, write the line, remember the address if it is new.
    let _ = (to, question, wait, out);
    todo!("discover")
}
// ANCHOR_END: exercise
