//! Beej's pollserver.c in Rust: a chat server in one thread.
//!
//! `poll` watches the listening socket, the signal pipe and every client at once, and says
//! which of them are ready. The listener being ready means a client is waiting to be
//! accepted; a client being readable means it sent something (or left). Each complete
//! line is relayed, prefixed with the sender's address, to every other client. Nothing
//! ever blocks: sockets are non-blocking, and what a client cannot take yet waits in its
//! own outbox until `poll` says it is writable.
//!
//! A client that talks faster than the others read is slowed down, never the readers
//! dropped: while someone's outbox is full, the server stops reading from the others
//! (they leave the poll set's POLLIN), so their lines wait in the kernel and TCP's flow
//! control holds them back. Only a client that leaves its full outbox unread for
//! `--stall-timeout` seconds is dropped.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chat_server::{HARD_BACKLOG, Inbox, LineTooLong, MAX_BACKLOG, MAX_LINE, RESUME_BACKLOG};
use clap::Parser;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use netkit::{AcceptBackoff, Signal, Signals};

/// A chat server: every line a client sends goes to every other client.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 9034)]
    port: u16,
    /// Seconds the clients get to say goodbye after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
    /// Seconds a client may leave a full backlog (64 KiB) unread, holding up everyone
    /// who talks to it, before it is dropped.
    #[arg(long, default_value_t = 10)]
    stall_timeout: u64,
}

/// One connected client.
struct Client {
    conn: TcpStream,
    peer: SocketAddr,
    inbox: Inbox,
    outbox: VecDeque<u8>,
    /// Since when the outbox has been full (over MAX_BACKLOG, and not yet read down
    /// to RESUME_BACKLOG): nobody else is read from meanwhile.
    full_since: Option<Instant>,
    /// Set when the client must go, with the reason announced to the others.
    gone: Option<&'static str>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen()
    let listener = netkit::tcp_listen(addr)?;
    listener.set_nonblocking(true)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    netkit::announce(listener.local_addr()?);

    let mut listener = Some(listener);
    let mut clients: Vec<Client> = Vec::new();
    let mut backoff = AcceptBackoff::new();
    // After EMFILE and the like, the listener stays out of the poll set until then.
    let mut accept_paused_until: Option<Instant> = None;
    let mut closing_at: Option<Instant> = None;
    let stall = Duration::from_secs(args.stall_timeout);
    loop {
        accept_paused_until = accept_paused_until.filter(|&at| Instant::now() < at);
        // ANCHOR: poll
        // The poll set: the signal pipe, the listener (unless paused or
        // closed), then every client: readable unless its last lines still
        // wait to be relayed, writable only when output is waiting for it.
        let watch_listener = listener.is_some() && accept_paused_until.is_none();
        let mut fds = vec![PollFd::new(signals.fd(), PollFlags::POLLIN)];
        if let Some(l) = listener.as_ref().filter(|_| watch_listener) {
            fds.push(PollFd::new(l.as_fd(), PollFlags::POLLIN));
        }
        let first_client = fds.len();
        for c in &clients {
            let mut events = PollFlags::empty();
            if c.inbox.ready_for_more() {
                events |= PollFlags::POLLIN;
            }
            if !c.outbox.is_empty() {
                events |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(c.conn.as_fd(), events));
        }
        // Sleep until something is ready, or the accept pause, the grace or
        // a full client's time ends.
        let stalled_at = clients.iter().filter_map(|c| c.full_since).min();
        let wake_at = [
            accept_paused_until,
            closing_at,
            stalled_at.map(|at| at + stall),
        ]
        .into_iter()
        .flatten()
        .min();
        let timeout = match wake_at {
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<PollFlags> = fds
            .iter()
            .map(|fd| fd.revents().unwrap_or(PollFlags::POLLERR))
            .collect();
        drop(fds);
        // ANCHOR_END: poll

        // A signal: stop accepting, tell everyone, give them the grace period.
        if !ready[0].is_empty() && !signals.drain().is_empty() && closing_at.is_none() {
            eprintln!(
                "shutting down: no new connections; clients have {} s",
                args.grace
            );
            listener = None; // close(): new connections are refused from now on
            closing_at = Some(Instant::now() + Duration::from_secs(args.grace));
            broadcast(&mut clients, None, b"*** server shutting down\n");
        }

        // ANCHOR: accept
        // The listener is readable: accept everyone waiting.
        if let Some(l) = listener
            .as_ref()
            .filter(|_| watch_listener && !ready[1].is_empty())
            && let Some(pause) = accept_all(l, &mut clients, &mut backoff)
        {
            // Out of descriptors: the connection stays queued, the listener
            // stays readable. Leave it out of the poll set for a while
            // instead of spinning.
            accept_paused_until = Some(Instant::now() + pause);
        }
        // ANCHOR_END: accept

        // ANCHOR: clients
        for (i, flags) in ready[first_client..].iter().enumerate() {
            // POLLHUP and POLLERR: the read will say what happened.
            let gone = PollFlags::POLLHUP | PollFlags::POLLERR;
            if flags.intersects(PollFlags::POLLIN | gone) {
                receive(&mut clients, i);
            }
            if flags.contains(PollFlags::POLLOUT) {
                flush(&mut clients[i]);
            }
        }
        // Lines wait in their senders' inboxes while a recipient is full.
        relay_waiting(&mut clients);
        drop_stalled(&mut clients, stall);
        // ANCHOR_END: clients
        sweep(&mut clients);

        if closing_at.is_some_and(|at| clients.is_empty() || Instant::now() >= at) {
            for c in &mut clients {
                flush(c); // a last, non-blocking try
            }
            match clients.len() {
                0 => eprintln!("shutting down: every client has left"),
                n => {
                    eprintln!("shutting down: {n} client(s) still connected after the grace period")
                }
            }
            return Ok(());
        }
    }
}

/// Accepts every pending connection. On EMFILE and the like, returns how long to leave
/// the listener alone (netkit's backoff: 5 ms doubling to 1 s, said once in the log).
fn accept_all(
    listener: &TcpListener,
    clients: &mut Vec<Client>,
    backoff: &mut AcceptBackoff,
) -> Option<Duration> {
    // Bounded: at most 64 clients per round, so the others are not kept waiting.
    for _ in 0..64 {
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
            // A failure of that one connection (ECONNABORTED, EINTR, ...): go on.
            // A shortage (EMFILE, ENFILE, ...): pause.
            Err(e) => match backoff.pause_after(&e) {
                None => continue,
                Some(pause) => return Some(pause),
            },
        };
        backoff.succeeded();
        if conn.set_nonblocking(true).is_err() {
            continue;
        }
        eprintln!("{peer}: joined");
        let others = clients.len();
        let mut client = Client {
            conn,
            peer,
            inbox: Inbox::default(),
            outbox: VecDeque::new(),
            full_since: None,
            gone: None,
        };
        queue(
            &mut client,
            format!("*** welcome, you are {peer}; {others} other(s) here\n").as_bytes(),
        );
        broadcast(clients, None, format!("*** {peer} joined\n").as_bytes());
        clients.push(client);
    }
    None
}

// ANCHOR: relay
/// recv() from client `i` into its inbox.
fn receive(clients: &mut [Client], i: usize) {
    let mut buf = [0u8; 4096];
    let n = match clients[i].conn.read(&mut buf) {
        Ok(0) => {
            clients[i].gone.get_or_insert("left");
            return;
        }
        Ok(n) => n,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => return,
        Err(_) => {
            clients[i].gone.get_or_insert("left (connection reset)");
            return;
        }
    };
    clients[i].inbox.push(&buf[..n]);
}

/// Relays the lines waiting in every inbox, prefixed with their sender, to
/// everyone else, as long as nobody they go to is full. What is left waits for
/// the next round; meanwhile its sender is not read from (see the poll set).
fn relay_waiting(clients: &mut [Client]) {
    for i in 0..clients.len() {
        while clients[i].gone.is_none() && !someone_full(clients, i) {
            let sender = clients[i].peer;
            match clients[i].inbox.next_line() {
                None => break,
                Some(Ok(line)) => {
                    let mut message = format!("{sender}: ").into_bytes();
                    message.extend_from_slice(&line);
                    message.push(b'\n');
                    broadcast(clients, Some(i), &message);
                }
                Some(Err(LineTooLong)) => {
                    let notice = format!("*** line longer than {MAX_LINE} bytes; disconnected\n");
                    let _ = clients[i].conn.write(notice.as_bytes()); // best effort
                    clients[i].gone.get_or_insert("dropped (line too long)");
                }
            }
        }
    }
}

/// Whether a client other than `sender` is full: then `sender` must wait.
fn someone_full(clients: &[Client], sender: usize) -> bool {
    let full = |(j, c): (usize, &Client)| j != sender && c.gone.is_none() && c.full_since.is_some();
    clients.iter().enumerate().any(full)
}

/// Drops the clients that have left a full outbox unread for `stall`: they
/// hold up everyone who talks to them, and a client that reads gets its backlog
/// down in far less.
fn drop_stalled(clients: &mut [Client], stall: Duration) {
    for c in clients.iter_mut() {
        if c.full_since.is_some_and(|since| since.elapsed() >= stall) {
            c.gone.get_or_insert("dropped (not reading)");
        }
    }
}

/// Queues `message` for every client except `except`.
fn broadcast(clients: &mut [Client], except: Option<usize>, message: &[u8]) {
    for (j, c) in clients.iter_mut().enumerate() {
        if Some(j) != except && c.gone.is_none() {
            queue(c, message);
        }
    }
}

/// Queues output for one client; past MAX_BACKLOG it is full. Only the server's
/// notices are queued to a full client, so HARD_BACKLOG is a last resort.
fn queue(client: &mut Client, message: &[u8]) {
    if client.outbox.len() + message.len() > HARD_BACKLOG {
        client.gone.get_or_insert("dropped (not reading)");
        return;
    }
    client.outbox.extend(message);
    if client.outbox.len() >= MAX_BACKLOG && client.full_since.is_none() {
        client.full_since = Some(Instant::now());
    }
}
// ANCHOR_END: relay

/// send() as much of the client's outbox as the socket takes now.
fn flush(client: &mut Client) {
    while !client.outbox.is_empty() {
        let (front, _) = client.outbox.as_slices();
        match client.conn.write(front) {
            Ok(n) => {
                client.outbox.drain(..n);
                if client.outbox.len() <= RESUME_BACKLOG {
                    client.full_since = None; // reading: the others may talk again
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => {
                client.gone.get_or_insert("left (connection reset)");
                return;
            }
        }
    }
}

/// Removes the clients that left and tells the others. Telling them can drop more
/// clients (a full outbox), hence the loop, bounded by the number of clients.
fn sweep(clients: &mut Vec<Client>) {
    for _ in 0..=clients.len() {
        let Some(i) = clients.iter().position(|c| c.gone.is_some()) else {
            return;
        };
        let client = clients.remove(i);
        let reason = client.gone.unwrap_or("left");
        eprintln!("{}: {reason}", client.peer);
        let peer = client.peer;
        // close(): dropping `client` closes its socket.
        drop(client);
        broadcast(clients, None, format!("*** {peer} {reason}\n").as_bytes());
    }
}
