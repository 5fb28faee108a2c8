//! One `poll` for two descriptors: standard input and a UDP socket. Whatever comes on
//! either is printed as it comes; a quiet spell of `idle` ends the program.

use std::fs::File;
#[allow(unused_imports)] // for your code
use std::io::{self, Read, Write};
use std::net::UdpSocket;
#[allow(unused_imports)] // for your code
use std::os::fd::AsFd;
use std::time::Duration;

#[allow(unused_imports)] // for your code
use nix::errno::Errno;
#[allow(unused_imports)] // for your code
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Room for the largest datagram. (Given.)
pub const BUFFER: usize = 65_536;

/// The lines of a stream that arrives in pieces: whole lines as they are completed, the
/// unfinished one kept for later. (Given.)
#[derive(Default)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// Adds `bytes` (just read) and returns every line they complete, without its `\n`.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            lines.push(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        lines
    }

    /// At the end of the stream: the last line, if it had no `\n`.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty()).then(|| String::from_utf8_lossy(&rest).into_owned())
    }
}

/// How a datagram is shown: its text, without a final newline. (Given.)
pub fn datagram_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

// ANCHOR: exercise
/// Watches `input` (standard input, unbuffered) and `socket` with one `poll` at a time,
/// until nothing at all has happened for `idle`. Writes to `out`:
///
/// - `stdin: LINE` for each line of input (use [`Lines`]; at the end of input, its
///   unfinished last line too), then `stdin closed` once `read` returns 0;
/// - `udp from ADDR: TEXT` for each datagram ([`datagram_text`]);
/// - `nothing for MS ms: bye` when `poll` times out, and return.
///
/// `input` is watched only until its end: a pipe whose writer has gone reports `POLLHUP`
/// at every call, so watching it further would wake `poll` at once, for ever. Any
/// `revents` on a descriptor (POLLIN, POLLHUP, POLLERR) means: read it, and see. A `poll`
/// interrupted by a signal (`EINTR`) is called again.
pub fn watch(
    input: &mut File,
    socket: &UdpSocket,
    idle: Duration,
    out: &mut impl Write,
) -> io::Result<()> {
    // TODO: loop: a PollFd for the socket, and one for input while it is open, both
    // POLLIN; poll with `idle`. 0 ready: the bye line, return. For each descriptor
    // with revents: read it (input: read() into a buffer, 0 means the end; socket:
    // recv_from) and write the lines.
    let _ = (input, socket, idle, out, Lines::default());
    todo!("watch")
}
// ANCHOR_END: exercise
