//! Pings over UDP: each datagram may be lost, and a reply may come too late.

use std::io;
use std::net::UdpSocket;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The ping for sequence number `seq`: `Ping SEQ TIME`, as in the assignment. (Given.)
pub fn message(seq: u32) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    format!("Ping {seq} {now:.6}").into_bytes()
}

/// The sequence number a reply carries (the server may uppercase it: `PING 3 ...`).
/// (Given.)
pub fn seq_of(reply: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(reply).ok()?;
    let mut words = text.split(' ');
    if !words.next()?.eq_ignore_ascii_case("ping") {
        return None;
    }
    words.next()?.parse().ok()
}

// ANCHOR: exercise
/// Sends pings 1 to `count` over the connected `socket`, one at a time, and waits up to
/// `timeout` for each reply. Returns, for each ping in order, its round-trip time, or
/// `None` if no reply to *that* ping came in time. A late reply to an earlier ping, or a
/// datagram that is not a reply, is ignored: it must not count for the ping being
/// waited for, and it must not extend the wait.
pub fn ping_all(
    socket: &UdpSocket,
    count: u32,
    timeout: Duration,
) -> io::Result<Vec<Option<Duration>>> {
    //> // TODO: for seq in 1..=count: note the time, send message(seq), and wait until
    //> // `timeout` after sending for a datagram whose seq_of is Some(seq). Any other
    //> // datagram (a late reply to an earlier ping) is skipped without restarting the wait.
    //> // A read timeout (WouldBlock or TimedOut) or ConnectionRefused means no reply: None.
    //> let _ = (socket, count, timeout, Instant::now());
    //> todo!("ping_all")
    // lab:solution
    let mut rtts = Vec::new();
    let mut buf = [0u8; 1024];
    for seq in 1..=count {
        let sent = Instant::now();
        socket.send(&message(seq))?;
        let deadline = sent + timeout;
        let mut rtt = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket.set_read_timeout(Some(left))?;
            match socket.recv(&mut buf) {
                Ok(n) if seq_of(&buf[..n]) == Some(seq) => {
                    rtt = Some(sent.elapsed());
                    break;
                }
                Ok(_) => continue, // late or foreign: keep waiting, same deadline
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                // Nothing listening: the ICMP "port unreachable" comes back as this.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        rtts.push(rtt);
    }
    Ok(rtts)
    // lab:end
}
// ANCHOR_END: exercise

/// The last line: how many were sent and received, the loss, and min/avg/max RTT.
/// (Given.)
pub fn summary(rtts: &[Option<Duration>]) -> String {
    let got: Vec<f64> = rtts
        .iter()
        .flatten()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let loss = if rtts.is_empty() {
        0
    } else {
        (rtts.len() - got.len()) * 100 / rtts.len()
    };
    let mut line = format!("{} sent, {} received, {loss}% loss", rtts.len(), got.len());
    if !got.is_empty() {
        let min = got.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = got.iter().cloned().fold(0.0, f64::max);
        let avg = got.iter().sum::<f64>() / got.len() as f64;
        line.push_str(&format!(
            "; rtt min/avg/max = {min:.3}/{avg:.3}/{max:.3} ms"
        ));
    }
    line
}
