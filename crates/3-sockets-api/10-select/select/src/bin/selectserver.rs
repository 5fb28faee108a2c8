//! Beej's selectserver.c: a chat relay in one thread, with select().
//!
//! The set of descriptors to watch is an `fd_set`, a bitmap with one bit per descriptor
//! number. select() takes it, sleeps until some of those descriptors are ready, and hands
//! it back with only the ready ones left set. Because it overwrites the set, the loop
//! keeps a master set of its own and gives select() a fresh copy every round.
//!
//! Whatever a client sends goes, as it arrives, to every other client: bytes, not lines
//! (the poll chat server of Part 2 cuts lines and names the sender). Sockets are
//! non-blocking and each client has an outbox, so a client that stops reading costs
//! itself, not the others; past 64 KiB of backlog it is dropped.
//!
//! An `fd_set` has room for descriptors 0 to 1023 (FD_SETSIZE) and no more. A client whose
//! descriptor is past that cannot be watched at all: it is told so and closed. That limit
//! is why poll() and epoll exist.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::{Fatal, Signal, Signals};
use nix::sys::select::{FD_SETSIZE, FdSet, select};

/// A chat relay: whatever one client sends goes to every other client.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 9034)]
    port: u16,
}

/// The most output held for one client that does not read: past it, the client is dropped.
const MAX_BACKLOG: usize = 64 * 1024;
/// Beej's `char buf[256]`: how much one recv() takes.
const BUF: usize = 256;
/// How long the last queued bytes may take to go out after SIGINT or SIGTERM.
const LAST_FLUSH: Duration = Duration::from_secs(1);

struct Client {
    conn: TcpStream,
    outbox: VecDeque<u8>,
    /// Why the client must go, once it must.
    gone: Option<&'static str>,
}

impl Client {
    fn fd(&self) -> RawFd {
        self.conn.as_raw_fd()
    }
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen(10)
    let listener = netkit::tcp_listen(addr)?;
    listener.set_nonblocking(true)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    for fd in [listener.as_raw_fd(), signals.fd().as_raw_fd()] {
        if fd >= FD_SETSIZE as RawFd {
            return Err(Fatal::new(format!(
                "descriptor {fd} is past FD_SETSIZE ({FD_SETSIZE}); select() cannot watch it"
            )));
        }
    }
    netkit::announce(listener.local_addr()?);

    let mut clients: Vec<Client> = Vec::new();
    loop {
        // ANCHOR: select
        // The master set: FD_SET() the signal pipe, the listener, every client.
        // Writable is asked only of clients with output waiting.
        let mut master = FdSet::new();
        let mut writers = FdSet::new();
        master.insert(signals.fd());
        master.insert(listener.as_fd());
        for c in &clients {
            master.insert(c.conn.as_fd());
            if !c.outbox.is_empty() {
                writers.insert(c.conn.as_fd());
            }
        }
        // fdmax: select() looks at descriptors 0 .. fdmax, so it wants fdmax + 1.
        let fdmax = clients
            .iter()
            .map(Client::fd)
            .chain([listener.as_raw_fd(), signals.fd().as_raw_fd()])
            .max()
            .unwrap_or(0);
        // read_fds = master: select() overwrites the set it gets, so it gets a
        // copy (an fd_set is a plain bitmap: assigning it copies it).
        let mut read_fds = master;
        match select(fdmax + 1, &mut read_fds, &mut writers, None, None) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        // FD_ISSET(): which ones are ready? Note them before the sets' borrows
        // end, then act on the notes.
        let stop = read_fds.contains(signals.fd()) && !signals.drain().is_empty();
        let new_connection = read_fds.contains(listener.as_fd());
        let readable: Vec<bool> = clients
            .iter()
            .map(|c| read_fds.contains(c.conn.as_fd()))
            .collect();
        let writable: Vec<bool> = clients
            .iter()
            .map(|c| writers.contains(c.conn.as_fd()))
            .collect();
        // ANCHOR_END: select

        if stop {
            eprintln!("selectserver: shutting down");
            last_flush(&mut clients);
            return Ok(());
        }
        if new_connection {
            accept_all(&listener, &mut clients);
        }
        for i in 0..readable.len() {
            if readable[i] {
                receive(&mut clients, i);
            }
            if writable[i] {
                flush(&mut clients[i]);
            }
        }
        // close() every client that left or was dropped; FD_CLR is implicit: the
        // next round's master set is built without it.
        clients.retain(|c| match c.gone {
            Some(why) => {
                eprintln!("selectserver: socket {} {why}", c.fd());
                false
            }
            None => true,
        });
    }
}

// ANCHOR: accept
/// accept() every pending connection; turn away those select() cannot watch.
fn accept_all(listener: &TcpListener, clients: &mut Vec<Client>) {
    for _ in 0..64 {
        let (mut conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                // EMFILE and the like: the connection waits in the queue.
                eprintln!("selectserver: accept: {e}");
                return;
            }
        };
        let fd = conn.as_raw_fd();
        if fd >= FD_SETSIZE as RawFd {
            // FD_SET(fd) would write past the end of the bitmap.
            let _ = conn.write(b"selectserver: too many clients; try again later\n");
            eprintln!(
                "selectserver: socket {fd} from {peer} is past FD_SETSIZE ({FD_SETSIZE}); closed"
            );
            continue;
        }
        if conn.set_nonblocking(true).is_err() {
            continue;
        }
        eprintln!(
            "selectserver: new connection from {} on socket {fd}",
            peer.ip()
        );
        clients.push(Client {
            conn,
            outbox: VecDeque::new(),
            gone: None,
        });
    }
}
// ANCHOR_END: accept

// ANCHOR: relay
/// recv() from client `i` and queue what came for every other client.
fn receive(clients: &mut [Client], i: usize) {
    let mut buf = [0u8; BUF];
    let n = match clients[i].conn.read(&mut buf) {
        Ok(0) => {
            // connection closed
            clients[i].gone.get_or_insert("hung up");
            return;
        }
        Ok(n) => n,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => return,
        Err(_) => {
            clients[i].gone.get_or_insert("hung up (connection reset)");
            return;
        }
    };
    // we got some data from a client: send it to everyone except the sender
    // (the listener is not in `clients`, so it is left out too)
    for (j, other) in clients.iter_mut().enumerate() {
        if j == i || other.gone.is_some() {
            continue;
        }
        if other.outbox.len() + n > MAX_BACKLOG {
            other.gone.get_or_insert("dropped (not reading)");
            continue;
        }
        other.outbox.extend(&buf[..n]);
        flush(other); // most of the time it all goes at once
    }
}

/// send() as much of the outbox as the socket takes now.
fn flush(client: &mut Client) {
    while !client.outbox.is_empty() && client.gone.is_none() {
        let (front, _) = client.outbox.as_slices();
        match client.conn.write(front) {
            Ok(n) => {
                client.outbox.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                client.gone.get_or_insert("hung up (connection reset)");
            }
        }
    }
}
// ANCHOR_END: relay

/// After SIGINT or SIGTERM: what is queued goes out if it can within a second; then
/// every socket closes.
fn last_flush(clients: &mut [Client]) {
    let deadline = Instant::now() + LAST_FLUSH;
    while Instant::now() < deadline {
        clients.iter_mut().for_each(flush);
        if clients
            .iter()
            .all(|c| c.outbox.is_empty() || c.gone.is_some())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
