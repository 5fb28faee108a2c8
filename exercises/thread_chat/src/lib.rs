//! The chat room shared by every client thread.

#[allow(unused_imports)] // Write: for your code
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Longest line a client may send, newline included.
pub const MAX_LINE: usize = 1024;

/// How long a write to one slow client may block the others.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Every connected client: an id and a handle to write to it. (Given.)
#[derive(Default)]
pub struct Room {
    pub clients: Mutex<Vec<(u64, TcpStream)>>,
    next_id: AtomicU64,
}

impl Room {
    /// Adds a client and returns its id. (Given.)
    pub fn join(&self, conn: &TcpStream) -> io::Result<u64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let writer = conn.try_clone()?;
        writer.set_write_timeout(Some(WRITE_TIMEOUT))?;
        self.clients.lock().unwrap().push((id, writer));
        Ok(id)
    }

    /// Removes a client. (Given.)
    pub fn leave(&self, id: u64) {
        self.clients
            .lock()
            .unwrap()
            .retain(|(other, _)| *other != id);
    }
}

// ANCHOR: exercise
/// Sends `line` to every client of the room except `from`. A client whose write fails
/// (it left, or stalls past the write timeout) is removed from the room.
pub fn broadcast(room: &Room, from: u64, line: &[u8]) {
    // TODO: lock the room's clients and write `line` to each one but `from`; remove
    // every client whose write fails (Vec::retain_mut does both in one pass).
    let _ = (room, from, line);
    todo!("broadcast")
}

/// Serves client `id` (already in the room): relays each line it sends to the others, and
/// leaves when the client closes, errs, or sends a line longer than `MAX_LINE`.
pub fn serve_client(room: &Room, id: u64, conn: TcpStream) -> io::Result<()> {
    // TODO: read lines with `read_line` until it returns None or an error, broadcast
    // each one, and leave the room whatever happened.
    let _ = (room, id, conn, BufReader::new(io::empty()));
    todo!("serve_client")
}
// ANCHOR_END: exercise

/// One line of at most `MAX_LINE` bytes. (Given: the `read_line` of the wire exercise.)
pub fn read_line(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let n = r.take(MAX_LINE as u64).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if !line.ends_with(b"\n") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "line too long or cut short",
        ));
    }
    Ok(Some(line))
}
