//! The state of the poll chat server and one round of its event loop.

//> #[allow(unused_imports)] // Read, AsFd and nix::poll: for your code
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
//> #[allow(unused_imports)]
use std::os::fd::AsFd;
use std::time::Duration;

//> #[allow(unused_imports)]
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
        //> // TODO: build a Vec<PollFd>: the listener first, then every client, each with
        //> // POLLIN. poll() it (a timeout of a second). Then, for each ready descriptor:
        //> // a client: read; 0 bytes or an error means it left (remove it); otherwise relay
        //> // the bytes to the others. The listener: accept the new client and add it.
        //> // Mind the order: removing a client shifts the index of the ones after it.
        //> todo!("one round of poll")
        // lab:solution
        // The poll list: the listener first, then every client, in order.
        let ready: Vec<usize> = {
            let mut fds = vec![PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
            fds.extend(
                self.clients
                    .iter()
                    .map(|c| PollFd::new(c.as_fd(), PollFlags::POLLIN)),
            );
            match poll(&mut fds, PollTimeout::from(1000u16)) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
            fds.iter()
                .enumerate()
                .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
                .map(|(i, _)| i)
                .collect()
        };
        // Clients first, from the last to the first, so that removing one does not shift
        // the index of another still to be handled.
        for &i in ready.iter().rev().filter(|&&i| i > 0) {
            let client = i - 1;
            let mut buf = [0u8; 4096];
            match self.clients[client].read(&mut buf) {
                Ok(0) | Err(_) => {
                    self.clients.remove(client);
                }
                Ok(n) => self.relay(client, &buf[..n]),
            }
        }
        if ready.first() == Some(&0) {
            match self.listener.accept() {
                Ok((conn, _)) => self.add(conn),
                Err(e) => eprintln!("accept: {e}"),
            }
        }
        Ok(())
        // lab:end
    }
    // ANCHOR_END: exercise
}
