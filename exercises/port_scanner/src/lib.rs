//! A TCP connect scan: try to connect to each port; a completed handshake means something
//! listens there; then read what it says first (its banner), if anything.
//!
//! It scans only loopback addresses. Scanning machines you do not run is, at best, rude
//! and, in many places and networks, against the rules or the law; see the chapter.

#[allow(unused_imports)]
use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr};
// Useful: use std::net::TcpStream; use std::sync::Mutex;
// use std::sync::atomic::{AtomicUsize, Ordering}; use std::thread;
use std::time::Duration;

/// The most bytes of a banner kept.
pub const BANNER_MAX: usize = 200;

/// The ports named by a list such as `22,80,8000-8100`, sorted, each once. (Given.)
pub fn parse_ports(spec: &str) -> Result<Vec<u16>, String> {
    let mut ports = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let number = |text: &str| -> Result<u16, String> {
            match text.parse::<u16>() {
                Ok(0) | Err(_) => Err(format!("'{text}' is not a port (1-65535)")),
                Ok(port) => Ok(port),
            }
        };
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (number(first)?, number(last)?);
                if first > last {
                    return Err(format!("'{part}' is an empty range"));
                }
                ports.extend(first..=last);
            }
            None => ports.push(number(part)?),
        }
    }
    ports.sort_unstable();
    ports.dedup();
    Ok(ports)
}

/// Whether scanning `ip` is allowed: only this machine's loopback addresses. (Given.)
pub fn may_scan(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(), // 127.0.0.0/8
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// What a port turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortState {
    /// The handshake completed; the banner is the first line the service sent, if any.
    Open(Option<String>),
    /// The machine answered with a reset: nothing listens there.
    Closed,
    /// No answer within the timeout (a firewall dropping packets, a full backlog).
    Filtered,
    /// Anything else (out of file descriptors, for instance).
    Error(String),
}

/// The first line of the bytes a service sent, as printable text (escapes for anything
/// else), or `None` if that line is empty. (Given.)
pub fn describe_banner(bytes: &[u8]) -> Option<String> {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = &line[..line.len().min(BANNER_MAX)];
    if line.is_empty() {
        return None;
    }
    Some(line.escape_ascii().to_string())
}

// ANCHOR: exercise
/// One port: connect with a timeout of `timeout`. A refusal is `Closed`, no answer in
/// time is `Filtered`, any other failure is `Error` with its message. If it opens, read
/// what the service sends first (SSH, SMTP and IRC servers speak first; HTTP servers
/// wait), each read waiting at most `banner_wait`, until a `\n` has come, `BANNER_MAX`
/// bytes have come, the service closes, or a read fails or times out; the port is
/// `Open(describe_banner(what came))`. Never send a byte.
pub fn probe(addr: SocketAddr, timeout: Duration, banner_wait: Duration) -> PortState {
    // TODO: TcpStream::connect_timeout, and sort its error by kind: ConnectionRefused,
    // TimedOut or WouldBlock, anything else (e.to_string()). Then set_read_timeout and
    // read in a loop, keeping what arrives, until one of the stops above.
    let _ = (addr, timeout, banner_wait, ErrorKind::ConnectionRefused);
    todo!("probe")
}

/// Probes every port of `ip` with `probe`, using `parallel` threads (at least one, and
/// no more than there are ports) that each take the next port not yet taken, so that
/// never more than `parallel` probes run at once. Returns every port with its state, in
/// port order.
pub fn scan(
    ip: IpAddr,
    ports: &[u16],
    parallel: usize,
    timeout: Duration,
    banner_wait: Duration,
) -> Vec<(u16, PortState)> {
    // TODO: a shared counter (the index of the next port) and a Mutex<Vec<...>> of
    // results; thread::scope with `parallel` workers, each looping: take an index, probe
    // that port, push the result. Then sort the results by port.
    let _ = (ip, ports, parallel, timeout, banner_wait);
    todo!("scan")
}
// ANCHOR_END: exercise
