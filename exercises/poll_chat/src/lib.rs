//! The state of the poll chat server and one round of its event loop.

#[allow(unused_imports)] // Read, AsFd and nix::poll: for your code
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
#[allow(unused_imports)]
use std::os::fd::AsFd;
use std::time::Duration;

#[allow(unused_imports)]
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

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

    /// Adds a newly accepted client. (Given.)
    pub fn add(&mut self, conn: TcpStream) {
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
    /// One round of the event loop: wait (at most a second) until the listener or a
    /// client is readable, then accept the new client, or read what a client sent and
    /// relay it to all the others, or drop a client that closed or failed.
    pub fn step(&mut self) -> io::Result<()> {
        // TODO: build a Vec<PollFd>: the listener first, then every client, each with
        // POLLIN. poll() it (a timeout of a second). Then, for each ready descriptor:
        // a client: read; 0 bytes or an error means it left (remove it); otherwise relay
        // the bytes to the others. The listener: accept the new client and add it.
        // Mind the order: removing a client shifts the index of the ones after it.
        todo!("one round of poll")
    }
    // ANCHOR_END: exercise
}
