//! The client's half of the uppercase protocol.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long to wait for a connection and for each reply.
pub const WAIT: Duration = Duration::from_secs(5);

/// The longest line of stdin the client sends. It sends a line whole before it reads the
/// reply, so the line must also fit in the sockets' buffers on the way.
pub const MAX_LINE: usize = 1 << 20;

// ANCHOR: connect
/// socket() + connect(), trying each address the name resolved to, in order.
pub fn connect_any(addrs: &[SocketAddr]) -> netkit::Result<TcpStream> {
    let mut last_error = None;
    for &addr in addrs {
        match TcpStream::connect_timeout(&addr, WAIT) {
            Ok(stream) => {
                // No wait without an end, sending or receiving.
                stream.set_read_timeout(Some(WAIT))?;
                stream.set_write_timeout(Some(WAIT))?;
                return Ok(stream);
            }
            Err(e) => last_error = Some(netkit::connect_error(e, addr)),
        }
    }
    Err(last_error.expect("resolve returns at least one address"))
}
// ANCHOR_END: connect

// ANCHOR: exchange
/// Sends one sentence and reads its reply. The server sends back exactly as many bytes as
/// it received, so we know how much to wait for: `read_exact` loops over `recv` until it
/// has them all (one `recv` may return only part of the reply).
pub fn exchange(stream: &mut TcpStream, sentence: &[u8]) -> io::Result<Vec<u8>> {
    stream.write_all(sentence)?; //         clientSocket.send(sentence.encode())
    let mut reply = vec![0u8; sentence.len()];
    stream.read_exact(&mut reply)?; //     modifiedSentence = clientSocket.recv(1024)
    Ok(reply)
}
// ANCHOR_END: exchange

/// Words a failed exchange for the user.
pub fn describe_failure(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
            "the server closed the connection before replying".to_owned()
        }
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
            "no reply within {} s (an iterative server serves one client at a time: is another client connected?)",
            WAIT.as_secs()
        ),
        _ => format!("talking to the server failed: {err}"),
    }
}
