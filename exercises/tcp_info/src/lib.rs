//! What TCP did for a connection, in the kernel's own numbers: an echo exchange, then
//! `getsockopt(fd, IPPROTO_TCP, TCP_INFO, ...)`, the call behind `ss -ti`.

use std::io;
use std::net::TcpStream;
// You may need: std::io::{Read, Write}, std::os::fd::AsRawFd, std::thread

/// The fields of the kernel's `struct tcp_info` that the program prints.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TcpStats {
    /// `tcpi_state`: 1 is ESTABLISHED (see `state_name`).
    pub state: u8,
    /// `tcpi_rtt` and `tcpi_rttvar`: the smoothed round trip and its variation, in
    /// microseconds.
    pub rtt_us: u32,
    pub rttvar_us: u32,
    /// `tcpi_rto`: the retransmission timeout, in microseconds.
    pub rto_us: u32,
    /// `tcpi_snd_mss`: the largest segment this end sends, in bytes.
    pub mss: u32,
    /// `tcpi_snd_cwnd`: the congestion window, in segments.
    pub cwnd: u32,
    /// `tcpi_total_retrans`: segments sent again, over the connection's life.
    pub total_retrans: u32,
    /// `tcpi_bytes_acked` and `tcpi_bytes_received`: bytes the peer acknowledged (the SYN
    /// counts as one), and bytes of data received.
    pub bytes_acked: u64,
    pub bytes_received: u64,
    /// `tcpi_segs_out` and `tcpi_segs_in`: segments sent and received, ACKs included.
    pub segs_out: u32,
    pub segs_in: u32,
}

/// The name `ss` gives to a `tcpi_state` (the kernel's TCP_ESTABLISHED = 1, ...).
pub fn state_name(state: u8) -> &'static str {
    match state {
        1 => "ESTABLISHED",
        2 => "SYN-SENT",
        3 => "SYN-RECV",
        4 => "FIN-WAIT-1",
        5 => "FIN-WAIT-2",
        6 => "TIME-WAIT",
        7 => "CLOSED",
        8 => "CLOSE-WAIT",
        9 => "LAST-ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "UNKNOWN",
    }
}

// ANCHOR: exercise
/// Sends all of `data` to an echo server on `stream` and reads back as many bytes,
/// returning them. Sends and reads at the same time (a second thread on a clone of the
/// stream): a client that sends everything first can wait for ever once the data in
/// flight fills the server's buffers and its own, because the server stops reading
/// while its echo is not read. The stream stays open for writing and reading.
///
/// The server closing before all the echo came back is an `UnexpectedEof` error.
pub fn echo(stream: &TcpStream, data: &[u8]) -> io::Result<Vec<u8>> {
    // TODO: a thread that sends `data` on `stream.try_clone()?` while this one reads
    // until `data.len()` bytes came back.
    let _ = (stream, data);
    todo!("echo")
}

/// The kernel's `tcp_info` for `stream` (Linux): `getsockopt(fd, IPPROTO_TCP, TCP_INFO,
/// &info, &len)` into a zeroed `libc::tcp_info`, then the fields of `TcpStats`.
pub fn tcp_stats(stream: &TcpStream) -> io::Result<TcpStats> {
    // TODO: a zeroed libc::tcp_info, its size as a socklen_t, the unsafe getsockopt
    // call (-1 means io::Error::last_os_error()), then copy the fields over.
    let _ = stream;
    todo!("tcp_stats")
}
// ANCHOR_END: exercise
