//! The uppercase protocol, shared by every uppercase server of the course (iterative, fork,
//! thread and pool), so that they cannot drift apart.
//!
//! The protocol has no framing at all: every byte the client sends comes back with ASCII
//! `a`–`z` uppercased and every other byte unchanged, until the client closes. That is why
//! both the lecture's Python client (one `send`, one `recv`) and `nc` typed line by line
//! work with it.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How much one `read` asks for. Any size works; this one is the common page size.
pub const CHUNK: usize = 4096;

// ANCHOR: serve_client
/// Serves one client until it closes: read what has arrived, uppercase it, send it back.
/// Returns how many bytes went through.
///
/// `idle` bounds how long the client may stay silent (or refuse to read our replies)
/// before we give up on it, so a stalled client cannot hold the server forever.
pub fn serve_client(mut conn: &TcpStream, idle: Duration) -> io::Result<u64> {
    conn.set_read_timeout(Some(idle))?;
    conn.set_write_timeout(Some(idle))?;
    let mut buf = [0u8; CHUNK];
    let mut total = 0;
    loop {
        // recv(): up to CHUNK bytes, however many have arrived; 0 means the client closed.
        let n = match conn.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // capitalizedSentence = sentence.upper(), on bytes: only a-z change.
        buf[..n].make_ascii_uppercase();
        // send() until every byte is taken (Python's sendall).
        conn.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: serve_client

#[cfg(test)]
mod tests {
    #[test]
    fn only_ascii_lowercase_letters_change() {
        let mut all: Vec<u8> = (0..=255).collect();
        all.make_ascii_uppercase();
        for (byte, upper) in (0..=255u8).zip(all) {
            let expected = if byte.is_ascii_lowercase() {
                byte - 32
            } else {
                byte
            };
            assert_eq!(upper, expected, "byte {byte:#04x}");
        }
    }
}
