//! The echo client's two loops: one that sends until every byte is taken, one that
//! receives until every byte is back.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use socket2::SockRef;

/// How long either loop waits for the other side to make progress.
pub const WAIT: Duration = Duration::from_secs(5);

/// The largest message the client sends (from stdin or `--size`): 64 MiB.
pub const MAX_MESSAGE: usize = 64 << 20;

/// `size` bytes of pseudo-random lowercase letters: readable in a packet capture, and with
/// no repeating pattern, so a piece lost or sent twice cannot go unnoticed.
pub fn generated(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'a' + (state % 26) as u8
        })
        .collect()
}

// ANCHOR: send_all
/// What `write_all` does, written out so that each `send()` can be seen: offer everything
/// not yet sent, learn how much the kernel took, offer the rest again. `took(n, offered)`
/// is called after every call.
///
/// A *blocking* send on Linux waits until the kernel has taken the whole buffer, so it
/// almost never comes back short. To show what a short send looks like, this one passes
/// MSG_DONTWAIT: the kernel takes only what fits in the socket's send buffer right now.
/// When nothing fits (EWOULDBLOCK) we wait in poll() until there is room again.
pub fn send_all_showing(
    stream: &TcpStream,
    data: &[u8],
    mut took: impl FnMut(usize, usize),
) -> io::Result<()> {
    let socket = SockRef::from(stream);
    let mut rest = data;
    while !rest.is_empty() {
        // send(fd, rest, len, MSG_DONTWAIT)                sent = sock.send(rest)
        match socket.send_with_flags(rest, libc::MSG_DONTWAIT) {
            Ok(n) => {
                took(n, rest.len());
                rest = &rest[n..]; //                       rest = rest[sent:]
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => wait_for_room(stream)?,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
// ANCHOR_END: send_all

/// poll() until the socket can take more bytes, for at most [`WAIT`].
fn wait_for_room(stream: &TcpStream) -> io::Result<()> {
    let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLOUT)];
    let timeout = PollTimeout::try_from(WAIT).expect("WAIT fits in a poll timeout");
    match poll(&mut fds, timeout) {
        Ok(0) => Err(ErrorKind::TimedOut.into()),
        Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

// ANCHOR: receive_all
/// Reads until `expected` bytes have come back; `got(n, so_far)` is called after every
/// read. However the sender split the message, the reads split it their own way: TCP
/// keeps the order of the bytes, not the boundaries of the writes.
pub fn receive_all(
    mut stream: &TcpStream,
    expected: usize,
    mut got: impl FnMut(usize, usize),
) -> Result<Vec<u8>, ReceiveError> {
    let mut echoed = Vec::with_capacity(expected);
    let mut buf = vec![0u8; 65_536];
    while echoed.len() < expected {
        // Never ask for more than is still due: whatever came after would not be ours.
        let want = buf.len().min(expected - echoed.len());
        // recv(fd, buf, want, 0)                           data = sock.recv(want)
        match stream.read(&mut buf[..want]) {
            Ok(0) => return Err(ReceiveError::Closed(echoed.len())),
            Ok(n) => {
                echoed.extend_from_slice(&buf[..n]);
                got(n, echoed.len());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ReceiveError::Failed(e, echoed.len())),
        }
    }
    Ok(echoed)
}
// ANCHOR_END: receive_all

/// Why the echo did not come back whole.
#[derive(Debug)]
pub enum ReceiveError {
    /// The server closed the connection after this many bytes.
    Closed(usize),
    /// A read failed after this many bytes.
    Failed(io::Error, usize),
}

impl ReceiveError {
    /// One line for the user; `expected` is the message's length.
    pub fn describe(&self, expected: usize) -> String {
        match self {
            ReceiveError::Closed(so_far) => format!(
                "the server closed the connection after echoing {so_far} of {expected} bytes"
            ),
            ReceiveError::Failed(e, so_far)
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                format!(
                    "no more bytes within {} s after {so_far} of {expected} (an iterative server serves one client at a time: is another client connected?)",
                    WAIT.as_secs()
                )
            }
            ReceiveError::Failed(e, so_far) => {
                format!("receiving failed after {so_far} of {expected} bytes: {e}")
            }
        }
    }
}

/// Reads all of `input`, up to [`MAX_MESSAGE`] bytes; `None` when there is more.
pub fn read_message(input: impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    input
        .take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut message)?;
    Ok((message.len() <= MAX_MESSAGE).then_some(message))
}

/// The first position where `a` and `b` differ, if they do.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or((a.len() != b.len()).then(|| a.len().min(b.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_messages_are_letters_without_a_short_period() {
        let message = generated(10_000);
        assert!(message.iter().all(u8::is_ascii_lowercase));
        for period in 1..=1000 {
            assert_ne!(message[..100], message[period..period + 100], "{period}");
        }
    }

    #[test]
    fn first_difference_finds_changed_and_missing_bytes() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), Some(2));
    }
}
