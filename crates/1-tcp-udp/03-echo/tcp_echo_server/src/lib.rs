//! The echo protocol: every byte a client sends comes back unchanged, until it closes.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How much one `read` asks for.
pub const CHUNK: usize = 65_536;

// ANCHOR: echo
/// Echoes one client until it closes; returns how many bytes went through.
///
/// Each `read` returns whatever has arrived (anything from 1 byte to CHUNK), with no
/// regard for how the client split its writes; `write_all` then sends all of it back,
/// however many `write` calls that takes.
pub fn echo(mut conn: &TcpStream, idle: Duration) -> io::Result<u64> {
    conn.set_read_timeout(Some(idle))?;
    conn.set_write_timeout(Some(idle))?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        // recv(): 0 means the client closed its side.      data = conn.recv(CHUNK)
        let n = match conn.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // send() until all n bytes are taken.              conn.sendall(data)
        conn.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: echo
