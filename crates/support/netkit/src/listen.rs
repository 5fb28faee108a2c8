use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

use crate::Fatal;

/// Prints the readiness line, `listening on 127.0.0.1:43211`, with the address really bound
/// (so `--port 0` is usable: tests and scripts read the port from this line).
pub fn announce(local: SocketAddr) {
    let mut out = io::stdout().lock();
    // A closed stdout must not stop a server, so a failed write is ignored here.
    let _ = writeln!(out, "listening on {local}");
    let _ = out.flush();
}

// ANCHOR: bind_error
/// Words a failed `bind` so the user knows what to do next.
pub fn bind_error(err: io::Error, addr: SocketAddr) -> Fatal {
    let port = addr.port();
    let ip = addr.ip();
    Fatal::new(match err.kind() {
        ErrorKind::AddrInUse => {
            format!("port {port} is already in use; stop the other server or pass --port")
        }
        ErrorKind::PermissionDenied if port < 1024 => {
            "ports below 1024 need root (or CAP_NET_BIND_SERVICE); try --port 8080".to_owned()
        }
        ErrorKind::AddrNotAvailable => {
            format!("{ip} is not an address of this machine; try --host 127.0.0.1")
        }
        _ => format!("cannot listen on {addr}: {err}"),
    })
}
// ANCHOR_END: bind_error

/// Words a failed `connect` (or a refused datagram) the same way, for a program whose
/// arguments for the address are `--host` and `--port`.
pub fn connect_error(err: io::Error, addr: SocketAddr) -> Fatal {
    connect_error_naming(err, addr, "--host and --port")
}

/// [`connect_error`] for a program that takes the address in other arguments: `check`
/// names them as the user typed them (`HOST and PORT` for netcat).
pub fn connect_error_naming(err: io::Error, addr: SocketAddr, check: &str) -> Fatal {
    Fatal::new(match err.kind() {
        ErrorKind::ConnectionRefused => {
            format!("nothing is listening on {addr}; start the server first, or check {check}")
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            format!("no answer from {addr} in time; is the address right?")
        }
        _ => format!("cannot connect to {addr}: {err}"),
    })
}

/// Words the reason a server dropped a client, for its log: a client that made no
/// progress for `idle` (the read or write timeout of the connection), one that reset the
/// connection, or anything else.
pub fn describe_drop(err: &io::Error, idle: Duration) -> String {
    match err.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("no progress for {} s, dropped", idle.as_secs())
        }
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
            "connection reset by the client".to_owned()
        }
        _ => format!("dropped: {err}"),
    }
}

// ANCHOR: turn_away
/// Tells a client the server has no room for it (`line`, one line of text)
/// and closes the connection, so that the client can read the line.
///
/// Closing a socket while bytes the client sent are still unread makes the
/// kernel answer with a reset (RST) instead of an orderly end, and a reset may
/// destroy our line before the client reads it. So after the line and our FIN
/// (`shutdown(SHUT_WR)`), read and throw away what the client sends, for at
/// most 100 ms and 64 KiB, then close.
pub fn turn_away(mut conn: TcpStream, line: &[u8]) {
    // A fresh connection's send buffer is empty: the write does not block; the
    // timeouts are there in case the client is very strange.
    let _ = conn.set_write_timeout(Some(Duration::from_millis(100)));
    let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
    if conn.write_all(line).is_err() || conn.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + Duration::from_millis(100);
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match conn.read(&mut sink) {
            Ok(1..) if Instant::now() < deadline => {}
            _ => break, // end of stream, timeout, error, or long enough
        }
    }
}
// ANCHOR_END: turn_away

/// A TCP listening socket the careful way: socket, SO_REUSEADDR, bind, listen.
///
/// The lecture's first server writes these calls out one by one; the servers that come
/// after it call this instead.
pub fn tcp_listen(addr: SocketAddr) -> Result<TcpListener, Fatal> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // Lets a restarted server bind while old connections sit in TIME_WAIT.
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into()).map_err(|e| bind_error(e, addr))?;
    socket.listen(128)?;
    Ok(socket.into())
}

/// A bound UDP socket. No SO_REUSEADDR here: on UDP it would let two servers share a port.
pub fn udp_bind(addr: SocketAddr) -> Result<UdpSocket, Fatal> {
    UdpSocket::bind(addr).map_err(|e| bind_error(e, addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_is_reported_with_what_to_do() {
        let first = tcp_listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let taken = first.local_addr().unwrap();
        let err = tcp_listen(taken).unwrap_err();
        assert_eq!(
            err.message(),
            format!(
                "port {} is already in use; stop the other server or pass --port",
                taken.port()
            )
        );
    }

    #[test]
    fn each_bind_failure_says_what_to_do() {
        let bind = |kind: ErrorKind, addr: &str| bind_error(kind.into(), addr.parse().unwrap());
        assert_eq!(
            bind(ErrorKind::PermissionDenied, "0.0.0.0:80").message(),
            "ports below 1024 need root (or CAP_NET_BIND_SERVICE); try --port 8080"
        );
        // Port 1024 is not privileged: a refusal there is something else.
        assert_eq!(
            bind(ErrorKind::PermissionDenied, "0.0.0.0:1024").message(),
            "cannot listen on 0.0.0.0:1024: permission denied"
        );
        assert_eq!(
            bind(ErrorKind::AddrNotAvailable, "192.0.2.1:8080").message(),
            "192.0.2.1 is not an address of this machine; try --host 127.0.0.1"
        );
    }

    #[test]
    fn a_silent_server_is_no_answer_in_time() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        for kind in [ErrorKind::TimedOut, ErrorKind::WouldBlock] {
            assert_eq!(
                connect_error(kind.into(), addr).message(),
                "no answer from 127.0.0.1:9 in time; is the address right?"
            );
        }
        assert_eq!(
            connect_error(io::Error::other("odd"), addr).message(),
            "cannot connect to 127.0.0.1:9: odd"
        );
    }

    #[test]
    fn a_turned_away_client_that_had_sent_bytes_still_reads_the_line() {
        let listener = tcp_listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // The client talks first, as a real one does, and has not finished: with a
        // plain close, those unread bytes would turn our goodbye into a reset.
        client.write_all(&[b'x'; 10_000]).unwrap();
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(50)); // let the bytes arrive
        turn_away(conn, b"server busy\n");
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"server busy\n");
    }

    /// A client whose connection was turned away, with `sent` bytes it wrote first.
    fn turned_away_after(sent: usize) -> TcpStream {
        let listener = tcp_listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        client.write_all(&vec![b'x'; sent]).unwrap();
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(50)); // let the bytes arrive
        turn_away(conn, b"server busy\n");
        client
    }

    #[test]
    fn what_the_client_had_sent_is_read_before_the_close_so_no_reset_follows() {
        // 40 KB: more than one read of the drain, less than its 64 KiB.
        let mut client = turned_away_after(40_000);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"server busy\n");
        // Closing with unread bytes would have sent a reset, which sets the socket's error.
        assert!(client.take_error().unwrap().is_none());
    }

    #[test]
    fn a_client_that_trickles_bytes_is_turned_away_within_the_deadline() {
        let listener = tcp_listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (conn, _) = listener.accept().unwrap();
        // A byte every 40 ms, for at most 2 s: each read of the drain gets one, so only the
        // 100 ms deadline (not the read timeout, not the 16 reads) ends it early.
        let trickle = std::thread::spawn(move || {
            for _ in 0..50 {
                if client.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
        });
        let start = Instant::now();
        turn_away(conn, b"server busy\n");
        let took = start.elapsed();
        trickle.join().unwrap();
        assert!(took < Duration::from_millis(400), "{took:?}");
    }

    #[test]
    fn a_refused_connection_says_to_start_the_server() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let err = connect_error(ErrorKind::ConnectionRefused.into(), addr);
        assert!(
            err.message()
                .starts_with("nothing is listening on 127.0.0.1:9")
        );
    }

    #[test]
    fn a_refusal_names_the_arguments_the_program_takes() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let err = connect_error_naming(ErrorKind::ConnectionRefused.into(), addr, "HOST and PORT");
        assert_eq!(
            err.message(),
            "nothing is listening on 127.0.0.1:9; start the server first, or check HOST and PORT"
        );
    }

    #[test]
    fn a_dropped_client_is_described_by_what_happened_to_it() {
        let idle = Duration::from_secs(30);
        let timed_out = io::Error::from(ErrorKind::WouldBlock);
        assert_eq!(
            describe_drop(&timed_out, idle),
            "no progress for 30 s, dropped"
        );
        let reset = io::Error::from_raw_os_error(libc::ECONNRESET);
        assert_eq!(
            describe_drop(&reset, idle),
            "connection reset by the client"
        );
        let other = io::Error::other("something else");
        assert_eq!(describe_drop(&other, idle), "dropped: something else");
    }
}
