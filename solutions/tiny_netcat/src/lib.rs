//! The core of netcat: two directions at once over one TCP connection.

//> #[allow(unused_imports)]
use std::io::{self, ErrorKind, Read, Write};
//> #[allow(unused_imports)]
use std::net::{Shutdown, TcpStream};
// lab:solution
use std::thread;
// lab:end
//> // Useful: use std::thread;

/// How many bytes went each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// From the input to the peer.
    pub sent: u64,
    /// From the peer to the output.
    pub received: u64,
}

// ANCHOR: exercise
/// Copies `input` to the peer and what the peer sends to `output`, both at the same time,
/// so that neither direction waits for the other:
///
/// - a thread of its own reads `input` and sends each chunk (all of it) to the peer, until
///   `input` ends; then, if `half_close`, it shuts down the stream's write side (a FIN:
///   "I have nothing more to send"). A failed send ends this direction only (the peer
///   has gone), not the relay.
/// - meanwhile, this thread receives from the peer and writes each chunk to `output`,
///   flushing it at once (someone may be waiting for it), until the peer closes its side
///   (`read` returns 0). A receive or write error is returned at once, without waiting
///   for `input` (which may be a keyboard nobody will type on again).
///
/// After the peer's end of file, it waits for the input direction to finish too, then
/// returns how many bytes went each way. `Interrupted` is retried in both directions.
pub fn relay<R>(
    stream: TcpStream,
    input: R,
    output: &mut impl Write,
    half_close: bool,
) -> io::Result<Totals>
where
    R: Read + Send + 'static,
{
    //> // TODO: stream.try_clone() for the sending thread; thread::spawn a loop that reads
    //> // `input` and write_all's each chunk, then shutdown(Shutdown::Write) if half_close,
    //> // and returns how many bytes it sent. Here: a loop of read, write_all, flush until
    //> // 0; then join the thread for its count.
    //> let _ = (stream, input, output, half_close);
    //> todo!("relay")
    // lab:solution
    // dup(): a second descriptor of the same socket, for the sending thread.
    let sending = stream.try_clone()?;
    let sender = thread::spawn(move || send_all_input(sending, input, half_close));
    let mut received = 0u64;
    let mut buf = [0u8; 16 * 1024];
    loop {
        // recv(): whatever has arrived; 0 means the peer closed its side (FIN).
        let n = match (&stream).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        output.write_all(&buf[..n])?;
        output.flush()?;
        received += n as u64;
    }
    // The peer has finished; our side may still have input to send.
    let sent = sender.join().unwrap_or(0);
    Ok(Totals { sent, received })
    // lab:end
}
// ANCHOR_END: exercise
// lab:solution

/// The sending direction: `input` to the peer until it ends, then the FIN if asked for.
fn send_all_input(mut stream: TcpStream, mut input: impl Read, half_close: bool) -> u64 {
    let mut sent = 0u64;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        // send() until every byte is out; an error means the peer has gone.
        if stream.write_all(&buf[..n]).is_err() {
            return sent;
        }
        sent += n as u64;
    }
    if half_close {
        // shutdown(SHUT_WR): the peer's next recv returns 0; we can still receive.
        let _ = stream.shutdown(Shutdown::Write);
    }
    sent
}
// lab:end
