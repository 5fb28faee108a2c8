//! What TCP did for a connection, in the kernel's own numbers: an echo exchange, then
//! `getsockopt(fd, IPPROTO_TCP, TCP_INFO, ...)`, the call behind `ss -ti`.

use std::io;
use std::net::TcpStream;
// lab:solution
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::thread;
// lab:end
//> // You may need: std::io::{Read, Write}, std::os::fd::AsRawFd, std::thread

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
    //> // TODO: a thread that sends `data` on `stream.try_clone()?` while this one reads
    //> // until `data.len()` bytes came back.
    //> let _ = (stream, data);
    //> todo!("echo")
    // lab:solution
    let mut sender = stream.try_clone()?;
    let mut reader = stream;
    thread::scope(|scope| {
        let sending = scope.spawn(move || sender.write_all(data));
        let mut back = vec![0u8; data.len()];
        let mut got = 0;
        let mut result = Ok(());
        while got < back.len() {
            match reader.read(&mut back[got..]) {
                Ok(0) => {
                    result = Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the server closed after echoing {got} of {} bytes",
                            data.len()
                        ),
                    ));
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_err() {
            // Wake the sender if it is blocked on a full buffer.
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        let sent = sending.join().expect("the sending thread panicked");
        result?;
        sent?;
        Ok(back)
    })
    // lab:end
}

/// The kernel's `tcp_info` for `stream` (Linux): `getsockopt(fd, IPPROTO_TCP, TCP_INFO,
/// &info, &len)` into a zeroed `libc::tcp_info`, then the fields of `TcpStats`.
pub fn tcp_stats(stream: &TcpStream) -> io::Result<TcpStats> {
    //> // TODO: a zeroed libc::tcp_info, its size as a socklen_t, the unsafe getsockopt
    //> // call (-1 means io::Error::last_os_error()), then copy the fields over.
    //> let _ = stream;
    //> todo!("tcp_stats")
    // lab:solution
    // SAFETY: tcp_info is plain integers, so all zeroes is a valid value; getsockopt
    // writes at most `len` bytes into it and says in `len` how many it wrote.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(TcpStats {
        state: info.tcpi_state,
        rtt_us: info.tcpi_rtt,
        rttvar_us: info.tcpi_rttvar,
        rto_us: info.tcpi_rto,
        mss: info.tcpi_snd_mss,
        cwnd: info.tcpi_snd_cwnd,
        total_retrans: info.tcpi_total_retrans,
        bytes_acked: info.tcpi_bytes_acked,
        bytes_received: info.tcpi_bytes_received,
        segs_out: info.tcpi_segs_out,
        segs_in: info.tcpi_segs_in,
    })
    // lab:end
}
// ANCHOR_END: exercise
