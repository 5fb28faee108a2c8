//! The client's half of a UDP request and reply, shared by the UDP clients of Part 1.

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use netkit::Fatal;

/// Room for the largest datagram UDP can carry, with a byte to spare.
pub const BUFFER: usize = 65_536;

/// The most payload one UDP datagram can carry to `addr`: the 16-bit length fields of IP
/// and UDP allow 65,535 bytes, less the headers (20 bytes of IPv4 and 8 of UDP; over IPv6
/// the length field does not count the IPv6 header, so only UDP's 8).
pub fn max_payload(addr: SocketAddr) -> usize {
    if addr.is_ipv4() { 65_507 } else { 65_527 }
}

/// Parses `--timeout`: seconds, fractions allowed (`0.25`), more than 0 and at most an hour.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!(
            "{text} is not a timeout: give more than 0 and at most 3600 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

// ANCHOR: connect
/// socket() + connect() for UDP: no packet leaves the machine. The kernel only records the
/// server's address, so `send` needs no address, only the server's datagrams are delivered
/// to us, and an ICMP "port unreachable" answer is reported to us as ECONNREFUSED.
pub fn udp_connect(server: SocketAddr) -> io::Result<UdpSocket> {
    // bind() to port 0 of the same family: the kernel picks our port, as Python does on
    // the first sendto().
    let any: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect(server)?;
    Ok(socket)
}
// ANCHOR_END: connect

// ANCHOR: exchange
/// Sends one datagram and waits (up to the socket's read timeout) for one back.
/// Returns the reply's length in `buf`.
pub fn exchange(socket: &UdpSocket, datagram: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    socket.send(datagram)?; //  clientSocket.sendto(message.encode(), (serverName, serverPort))
    loop {
        // recv(): one whole datagram.   modifiedMessage, serverAddress = clientSocket.recvfrom(2048)
        match socket.recv(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            received => return received,
        }
    }
}
// ANCHOR_END: exchange

/// Words a failed exchange with `server` in one line.
pub fn describe_failure(err: io::Error, server: SocketAddr, timeout: Duration) -> Fatal {
    match err.kind() {
        // SO_RCVTIMEO expired: Linux says EAGAIN (WouldBlock), some systems ETIMEDOUT.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Fatal::new(format!(
            "no reply from {server} within {} s: the datagram or its reply was lost, or no server is running there (try --timeout)",
            timeout.as_secs_f64()
        )),
        // ECONNREFUSED: the server's machine answered "port unreachable".
        ErrorKind::ConnectionRefused => netkit::connect_error(err, server),
        _ => Fatal::new(format!("talking to {server} failed: {err}")),
    }
}

/// The error for a message that cannot travel in one datagram.
pub fn too_long(server: SocketAddr) -> Fatal {
    let family = if server.is_ipv4() { "IPv4" } else { "IPv6" };
    Fatal::new(format!(
        "message too long for one UDP datagram: at most {} bytes over {family}",
        max_payload(server)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_fractions_and_refuse_zero_and_nonsense() {
        assert_eq!(parse_timeout("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        for bad in ["0", "-1", "abc", "NaN", "inf", "4000"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
