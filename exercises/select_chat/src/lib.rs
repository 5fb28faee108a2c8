//! The state of the select chat server and one round of its event loop.

#[allow(unused_imports)] // Read, AsFd, AsRawFd and nix::sys: for your code
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
#[allow(unused_imports)]
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::sys::select::FD_SETSIZE;
#[allow(unused_imports)]
use nix::sys::select::{FdSet, select};
#[allow(unused_imports)]
use nix::sys::time::{TimeVal, TimeValLike};

/// How long a write to one client may block the whole server.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The listener and every connected client. (Given.)
pub struct Chat {
    pub listener: TcpListener,
    pub clients: Vec<TcpStream>,
}

impl Chat {
    pub fn new(listener: TcpListener) -> Chat {
        Chat {
            listener,
            clients: Vec::new(),
        }
    }

    /// Adds a newly accepted client, unless select() could never watch it: an fd_set
    /// holds descriptors 0 to FD_SETSIZE - 1 (1023) only. (Given.)
    pub fn add(&mut self, mut conn: TcpStream) {
        if conn.as_raw_fd() >= FD_SETSIZE as i32 {
            let _ = conn.write_all(b"too many clients; try again later\n");
            return;
        }
        if conn.set_write_timeout(Some(WRITE_TIMEOUT)).is_ok() {
            self.clients.push(conn);
        }
    }

    /// Sends `bytes` to every client but the one at `from`; drops clients whose write
    /// fails. (Given.)
    pub fn relay(&mut self, from: usize, bytes: &[u8]) {
        let mut index = 0;
        self.clients.retain_mut(|conn| {
            let keep = index == from || conn.write_all(bytes).is_ok();
            index += 1;
            keep
        });
    }

    // ANCHOR: exercise
    /// One round of the event loop, Beej's selectserver.c style: put the listener and
    /// every client in an fd_set, select() (at most a second), then accept the new
    /// client, or read what a client sent and relay it to all the others, or drop a
    /// client that closed or failed.
    pub fn step(&mut self) -> io::Result<()> {
        // TODO: FD_ZERO/FD_SET: an FdSet with the listener and every client. select()
        // wants one more than the highest descriptor in the set (fdmax + 1) and a
        // TimeVal of one second; on EINTR return Ok(()). select() leaves in the set only
        // the ready descriptors (FD_ISSET: `contains`): note which, then for each ready
        // client read once: 0 bytes or an error means it left (remove it), otherwise
        // relay the bytes to the others. If the listener is ready, accept and add.
        // Mind the order: removing a client shifts the index of the ones after it.
        todo!("one round of select")
    }
    // ANCHOR_END: exercise
}
