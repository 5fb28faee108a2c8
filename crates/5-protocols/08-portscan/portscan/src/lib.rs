//! A TCP connect scan: try to connect to each port; a completed handshake means something
//! listens there; then read what it says first (its banner), if anything.
//!
//! It scans only loopback addresses. Scanning machines you do not run is, at best, rude
//! and, in many places and networks, against the rules or the law; see the chapter.

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// The most bytes of a banner kept.
pub const BANNER_MAX: usize = 200;

/// The ports named by a list such as `22,80,8000-8100`, sorted, each once.
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

/// Whether scanning `ip` is allowed: only this machine's loopback addresses.
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

// ANCHOR: probe
/// One port: connect with a timeout; if it opens, wait up to `banner_wait` for the first
/// line the service sends (SSH, SMTP and FTP servers speak first; HTTP servers wait).
pub fn probe(addr: SocketAddr, timeout: Duration, banner_wait: Duration) -> PortState {
    // socket() + connect(): the three-way handshake, or a refusal, or silence.
    let stream = match TcpStream::connect_timeout(&addr, timeout) {
        Ok(stream) => stream,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => return PortState::Closed,
        Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
            return PortState::Filtered;
        }
        Err(e) => return PortState::Error(e.to_string()),
    };
    // recv() with a timeout: the banner, up to its first line end.
    if stream.set_read_timeout(Some(banner_wait)).is_err() {
        return PortState::Open(None);
    }
    let mut banner = Vec::new();
    let mut chunk = [0u8; 256];
    while banner.len() < BANNER_MAX && !banner.contains(&b'\n') {
        match (&stream).read(&mut chunk) {
            Ok(0) | Err(_) => break, // closed, silent, or reset: we have what we have
            Ok(n) => banner.extend_from_slice(&chunk[..n]),
        }
    }
    // close(): dropping the stream. We never send a byte.
    PortState::Open(describe_banner(&banner))
}
// ANCHOR_END: probe

/// The first line of a banner, as printable text (escapes for anything else).
pub fn describe_banner(bytes: &[u8]) -> Option<String> {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = &line[..line.len().min(BANNER_MAX)];
    if line.is_empty() {
        return None;
    }
    Some(line.escape_ascii().to_string())
}

// ANCHOR: scan
/// Probes every port of `ip`, at most `parallel` at a time, and returns the results in
/// port order.
pub fn scan(
    ip: IpAddr,
    ports: &[u16],
    parallel: usize,
    timeout: Duration,
    banner_wait: Duration,
) -> Vec<(u16, PortState)> {
    let next = AtomicUsize::new(0); // the index of the next port to probe
    let results = Mutex::new(Vec::with_capacity(ports.len()));
    let workers = parallel.clamp(1, ports.len().max(1));
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                // Each worker takes the next port until none is left: never more than
                // `workers` connections are open at once.
                while let Some(&port) = ports.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let state = probe(SocketAddr::new(ip, port), timeout, banner_wait);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((port, state));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|&(port, _)| port);
    results
}
// ANCHOR_END: scan

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists_and_ranges() {
        assert_eq!(parse_ports("80").unwrap(), [80]);
        assert_eq!(
            parse_ports("8002-8004, 22,80,22").unwrap(),
            [22, 80, 8002, 8003, 8004]
        );
        assert_eq!(parse_ports("1-65535").unwrap().len(), 65535);
        assert_eq!(parse_ports("0").unwrap_err(), "'0' is not a port (1-65535)");
        assert_eq!(
            parse_ports("90-80").unwrap_err(),
            "'90-80' is an empty range"
        );
        assert!(parse_ports("http").is_err());
        assert!(parse_ports("1-").is_err());
        assert!(parse_ports("").is_err());
    }

    #[test]
    fn only_loopback_may_be_scanned() {
        for ok in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(may_scan(ok.parse().unwrap()), "{ok}");
        }
        for refused in [
            "192.0.2.1",
            "10.0.0.1",
            "0.0.0.0",
            "::",
            "2001:db8::1",
            "::ffff:192.0.2.1",
        ] {
            assert!(!may_scan(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn banners_are_first_lines_made_printable() {
        assert_eq!(
            describe_banner(b"SSH-2.0-OpenSSH_9.2\r\nmore"),
            Some("SSH-2.0-OpenSSH_9.2".into())
        );
        assert_eq!(
            describe_banner(b"\x1b[31mred\x00"),
            Some("\\x1b[31mred\\x00".into())
        );
        assert_eq!(describe_banner(b""), None);
        assert_eq!(describe_banner(b"\r\n"), None);
    }
}
