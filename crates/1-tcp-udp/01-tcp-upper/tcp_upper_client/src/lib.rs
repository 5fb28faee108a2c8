//! The client's half of the uppercase protocol.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use netkit::Fatal;

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

// ANCHOR: session
/// The client's connection to the server, made again when the server has closed it.
///
/// Our tcp_upper_server keeps a connection open for as many sentences as the client
/// sends. Kurose's TCPServer.py answers one sentence and closes the connection
/// (TCPClient.py sends one sentence per run). A connection that has answered and is
/// then found closed by the server is therefore not an error: connect again, and send
/// the sentence on the new connection. A fresh connection that closes without a
/// reply still is one.
pub struct Session {
    addrs: Vec<SocketAddr>,
    stream: TcpStream,
    /// Whether the current connection has answered a sentence.
    answered: bool,
    /// How many times the connection was made again.
    pub reconnects: u32,
}

impl Session {
    /// Connects to the first of `addrs` that answers.
    pub fn connect(addrs: Vec<SocketAddr>) -> netkit::Result<Session> {
        let stream = connect_any(&addrs)?;
        Ok(Session {
            addrs,
            stream,
            answered: false,
            reconnects: 0,
        })
    }

    /// Sends one sentence and returns the reply, on a new connection if the server
    /// has closed the one it answered on.
    pub fn send(&mut self, sentence: &[u8]) -> netkit::Result<Vec<u8>> {
        // The server may have closed after its last reply: its FIN is then
        // waiting for us. Connect again rather than send into a closed
        // connection.
        if self.answered && self.closed_by_server() {
            self.reconnect()?;
        }
        let reply = match exchange(&mut self.stream, sentence) {
            Ok(reply) => reply,
            // The FIN may also arrive just after we looked: the server closed
            // without reading this sentence, so it is safe to send it again.
            Err(e) if self.answered && ends_connection(&e) => {
                self.reconnect()?;
                exchange(&mut self.stream, sentence)
                    .map_err(|e| Fatal::new(describe_failure(&e)))?
            }
            Err(e) => return Err(Fatal::new(describe_failure(&e))),
        };
        self.answered = true;
        Ok(reply)
    }

    /// Whether the server has closed the connection: a `recv(MSG_PEEK)` that does not
    /// wait returns 0 (end of stream) or a reset.
    fn closed_by_server(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let peeked = self.stream.peek(&mut [0u8; 1]);
        let _ = self.stream.set_nonblocking(false);
        match peeked {
            Ok(n) => n == 0,
            Err(e) => ends_connection(&e),
        }
    }

    fn reconnect(&mut self) -> netkit::Result<()> {
        self.stream = connect_any(&self.addrs)?;
        self.answered = false;
        self.reconnects += 1;
        Ok(())
    }
}

/// Errors that mean the server has closed the connection.
fn ends_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}
// ANCHOR_END: session

/// Words a failed exchange for the user.
pub fn describe_failure(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe => {
            "the server closed the connection before replying".to_owned()
        }
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
            "no reply within {} s (an iterative server serves one client at a time: is another client connected?)",
            WAIT.as_secs()
        ),
        _ => format!("talking to the server failed: {err}"),
    }
}
