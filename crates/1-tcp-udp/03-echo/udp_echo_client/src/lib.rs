//! Receiving one datagram and learning whether it fit.

use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, recv};

// ANCHOR: recv_trunc
/// Receives one datagram into `buf` and returns (bytes stored, size of the datagram).
///
/// A datagram bigger than `buf` does not wait for a second call: the bytes that do not
/// fit are thrown away. Plain `recv` would not even say so; with MSG_TRUNC, Linux returns
/// the datagram's real size, so the caller can see that it lost the rest.
pub fn recv_datagram(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, usize)> {
    loop {
        // recv(fd, buf, len, MSG_TRUNC)
        match recv(socket.as_raw_fd(), buf, MsgFlags::MSG_TRUNC) {
            Ok(size) => return Ok((size.min(buf.len()), size)),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
// ANCHOR_END: recv_trunc

/// Parses `--recv-buffer`: 1 to 65,536 bytes.
pub fn parse_buffer(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n @ 1..=65_536) => Ok(n),
        _ => Err(format!(
            "'{text}' is not a buffer size from 1 to 65536 bytes"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_sizes_from_1_to_65536_are_accepted() {
        assert_eq!(parse_buffer("1"), Ok(1));
        assert_eq!(parse_buffer("65536"), Ok(65_536));
        for bad in ["0", "65537", "-3", "ten"] {
            assert!(parse_buffer(bad).is_err(), "{bad}");
        }
    }
}
