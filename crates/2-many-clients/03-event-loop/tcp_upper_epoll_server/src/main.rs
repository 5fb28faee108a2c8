//! The uppercase server as an event loop: one thread serves every client.
//!
//! The thread server gives each client a thread that sleeps in `read` until its client
//! speaks. Here nobody sleeps in `read`. Every socket is non-blocking, and one call,
//! `epoll_wait`, tells the one thread which sockets are ready; the thread reads from those,
//! answers, and asks again. A client costs a small struct and the kernel's socket, not a
//! thread with a stack, so ten thousand clients fit in a few megabytes.
//!
//! epoll is used **level-triggered** (the default): a socket is reported in every round for
//! as long as it stays ready, as `poll` would report it. The loop can therefore read one
//! chunk per client per round and leave the rest for the next round, which keeps one busy
//! client from starving the others, and a read it did not finish is never a lost wake-up.
//! (Edge-triggered epoll reports a socket once per change; the loop must then read until
//! `EAGAIN` every time, or that client hangs. It saves `epoll_ctl` calls this server does
//! not make: a client's interest changes only when its replies back up.)
//!
//! Same protocol, flags and behaviour as the other uppercase servers: `--idle-timeout`
//! drops a stalled client, SIGINT and SIGTERM stop accepting and give the clients
//! `--grace` seconds to finish.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::{AcceptBackoff, Signal, Signals, describe_drop};
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use tcp_upper_server::CHUNK;

/// Uppercase everything each client sends, every client from one thread (epoll).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds a client may stall before the server drops it.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Seconds connected clients get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
}

/// The listener's token in the epoll set. A client's token is its slot number.
const LISTENER: u64 = u64::MAX;
/// The signal pipe's token.
const SIGNALS: u64 = u64::MAX - 1;
/// At most this many events per `epoll_wait`; more ready sockets wait for the next round.
const EVENTS: usize = 1024;
/// At most this many accepts per round, so that connected clients are not kept waiting.
const ACCEPTS_PER_ROUND: usize = 256;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

// ANCHOR: client
/// One connected client: all the server keeps between two of its requests.
struct Client {
    conn: TcpStream,
    peer: SocketAddr,
    /// Uppercased bytes the socket would not take yet. While there are any,
    /// the client is watched for writing instead of reading: a client that
    /// does not read its replies is not read from either, as a blocking
    /// server would sit in `write`.
    unsent: Vec<u8>,
    /// Bytes served, for the log.
    total: u64,
    /// The last time a read or write for this client moved any byte.
    last_progress: Instant,
}
// ANCHOR_END: client

/// What became of a client after it was served.
enum Step {
    Open,
    Closed,
}

impl Client {
    // ANCHOR: read_and_reply
    /// The client is readable: one recv(), uppercase, one send(); whatever
    /// the socket does not take now waits in `unsent`.
    fn read_and_reply(&mut self, buf: &mut [u8]) -> io::Result<Step> {
        // recv(): what has arrived, at most one chunk. If more is waiting,
        // level-triggered epoll reports this socket again in the next round,
        // after every other ready client has had its turn.
        let n = match self.conn.read(buf) {
            Ok(0) => return Ok(Step::Closed),
            Ok(n) => n,
            Err(e) if is_transient(&e) => return Ok(Step::Open),
            Err(e) => return Err(e),
        };
        self.last_progress = Instant::now();
        self.total += n as u64;
        buf[..n].make_ascii_uppercase();
        // send() on a non-blocking socket: it takes what fits in the socket's
        // buffer, maybe less than all, and never waits.
        let sent = match self.conn.write(&buf[..n]) {
            Ok(sent) => sent,
            Err(e) if is_transient(&e) => 0,
            Err(e) => return Err(e),
        };
        self.unsent.extend_from_slice(&buf[sent..n]);
        Ok(Step::Open)
    }
    // ANCHOR_END: read_and_reply

    /// The client is writable: send() what it would not take before.
    fn flush(&mut self) -> io::Result<Step> {
        match self.conn.write(&self.unsent) {
            Ok(sent) => {
                self.unsent.drain(..sent);
                self.last_progress = Instant::now();
            }
            Err(e) if is_transient(&e) => {}
            Err(e) => return Err(e),
        }
        if self.unsent.is_empty() {
            self.unsent = Vec::new(); // give the memory back: most clients never need it
        }
        Ok(Step::Open)
    }

    /// The events this client waits for now.
    fn interest(&self) -> EpollFlags {
        if self.unsent.is_empty() {
            EpollFlags::EPOLLIN
        } else {
            EpollFlags::EPOLLOUT
        }
    }
}

/// EAGAIN (EWOULDBLOCK) says "not now"; EINTR says "try again". Neither is a failure.
fn is_transient(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
}

/// Every connected client, in numbered slots; a slot's number is the client's epoll token.
#[derive(Default)]
struct Clients {
    slots: Vec<Option<Client>>,
    free: Vec<usize>,
    live: usize,
}

impl Clients {
    fn insert(&mut self, client: Client) -> usize {
        self.live += 1;
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(client);
                slot
            }
            None => {
                self.slots.push(Some(client));
                self.slots.len() - 1
            }
        }
    }

    fn get_mut(&mut self, token: u64) -> Option<&mut Client> {
        self.slots.get_mut(usize::try_from(token).ok()?)?.as_mut()
    }

    fn remove(&mut self, slot: usize) -> Option<Client> {
        let client = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(client)
    }
}

/// The whole state of the server: one epoll set, the listener, the clients.
struct Server {
    epoll: Epoll,
    /// `None` once SIGINT or SIGTERM closed it.
    listener: Option<TcpListener>,
    clients: Clients,
    /// One read buffer for everybody: only one client is read at a time.
    buf: Box<[u8; CHUNK]>,
    idle: Duration,
    /// netkit's accept backoff (5 ms doubling to 1 s after EMFILE, said once in the log).
    backoff: AcceptBackoff,
    /// While set, the listener is out of the epoll set: accepting is paused.
    paused_until: Option<Instant>,
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: setup
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen()
    let listener = netkit::tcp_listen(addr)?;
    // fcntl(fd, F_SETFL, O_NONBLOCK): accept() says EAGAIN instead of waiting.
    listener.set_nonblocking(true)?;
    // SIGINT and SIGTERM write a byte into a pipe (netkit's self-pipe).
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    // epoll_create1(EPOLL_CLOEXEC): the kernel object that keeps the set of
    // descriptors we watch, so we do not hand the whole set over on every
    // call the way poll() and select() do.
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    // epoll_ctl(EPOLL_CTL_ADD): the listener and the signal pipe, for reading.
    // No EPOLLET flag: level-triggered.
    epoll.add(&listener, EpollEvent::new(EpollFlags::EPOLLIN, LISTENER))?;
    epoll.add(signals.fd(), EpollEvent::new(EpollFlags::EPOLLIN, SIGNALS))?;
    netkit::announce(listener.local_addr()?);
    // ANCHOR_END: setup

    let mut server = Server {
        epoll,
        listener: Some(listener),
        clients: Clients::default(),
        buf: Box::new([0; CHUNK]),
        idle: Duration::from_secs(args.idle_timeout),
        backoff: AcceptBackoff::new(),
        paused_until: None,
    };
    // The idle check runs a few times per idle period, and at least once a second.
    let sweep_every = (server.idle / 4).min(Duration::from_secs(1));
    let mut next_sweep = Instant::now() + sweep_every;
    let mut closing_at: Option<Instant> = None;
    let mut events = vec![EpollEvent::empty(); EVENTS];

    // ANCHOR: loop
    loop {
        // Sleep until a socket is ready, or until the next timer is due.
        let wake_at = [Some(next_sweep), closing_at, server.paused_until]
            .into_iter()
            .flatten()
            .min()
            .expect("the sweep is always scheduled");
        let left = wake_at.saturating_duration_since(Instant::now());
        let timeout = EpollTimeout::try_from(left).unwrap_or(EpollTimeout::MAX);
        // epoll_wait(): the ready descriptors, each with the token we gave it.
        let ready = match server.epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            Err(e) => return Err(e.into()),
        };
        for event in &events[..ready] {
            match event.data() {
                LISTENER => server.accept_all(),
                SIGNALS => {
                    let arrived = signals.drain();
                    if let (Some(first), None) = (arrived.first(), closing_at) {
                        closing_at = Some(server.stop_accepting(*first, args.grace));
                    }
                }
                token => server.serve(token, event.events()),
            }
        }
        // ANCHOR_END: loop

        let now = Instant::now();
        if now >= next_sweep {
            server.drop_idle(now);
            next_sweep = now + sweep_every;
        }
        server.resume_accepting(now);
        if let Some(at) = closing_at
            && (server.clients.live == 0 || now >= at)
        {
            match server.clients.live {
                0 => eprintln!("shutting down: every client has finished"),
                n => {
                    eprintln!("shutting down: {n} client(s) still connected after the grace period")
                }
            }
            // Returning closes every socket, the listener and the epoll set.
            return Ok(());
        }
    }
}

impl Server {
    // ANCHOR: accept
    /// The listener is readable: accept() everyone waiting, make each socket
    /// non-blocking and add it to the epoll set.
    fn accept_all(&mut self) {
        let Some(listener) = &self.listener else {
            return;
        };
        for _ in 0..ACCEPTS_PER_ROUND {
            let (conn, peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return, // nobody left
                // A failure of that one connection (ECONNABORTED, EINTR): go on.
                // EMFILE, ENFILE: out of descriptors. The connection stays queued
                // and the listener stays readable, so a level-triggered loop would
                // spin: take the listener out of the set for a while.
                Err(e) => match self.backoff.pause_after(&e) {
                    None => continue,
                    Some(pause) => {
                        self.paused_until = Some(Instant::now() + pause);
                        let _ = self.epoll.delete(listener);
                        return;
                    }
                },
            };
            self.backoff.succeeded();
            if let Err(e) = conn.set_nonblocking(true) {
                eprintln!("{peer}: {e}; connection closed");
                continue;
            }
            let token = self.clients.insert(Client {
                conn,
                peer,
                unsent: Vec::new(),
                total: 0,
                last_progress: Instant::now(),
            });
            let client = self.clients.slots[token].as_ref().expect("just inserted");
            let watch = EpollEvent::new(EpollFlags::EPOLLIN, token as u64);
            if let Err(e) = self.epoll.add(&client.conn, watch) {
                // ENOSPC: more than fs.epoll.max_user_watches descriptors.
                eprintln!("{peer}: cannot watch it ({e}); connection closed");
                self.clients.remove(token);
                continue;
            }
            eprintln!("{peer}: connected");
        }
    }
    // ANCHOR_END: accept

    // ANCHOR: serve
    /// A client's socket is ready: read and answer, or send what was waiting.
    fn serve(&mut self, token: u64, ready: EpollFlags) {
        let Some(client) = self.clients.get_mut(token) else {
            return; // closed earlier in this round
        };
        let before = client.interest();
        // EPOLLHUP and EPOLLERR come whatever we asked for: the next read or
        // write says what happened.
        let outcome = if client.unsent.is_empty() {
            client.read_and_reply(&mut self.buf[..])
        } else if ready.intersects(EpollFlags::EPOLLOUT | EpollFlags::EPOLLERR) {
            client.flush()
        } else {
            Ok(Step::Open)
        };
        match outcome {
            Ok(Step::Open) => {
                let now = client.interest();
                if now != before {
                    // epoll_ctl(EPOLL_CTL_MOD): replies backed up (watch for
                    // writable) or drained (watch for readable again).
                    let mut change = EpollEvent::new(now, token);
                    if let Err(e) = self.epoll.modify(&client.conn, &mut change) {
                        self.close(token, &format!("dropped: {e}"));
                    }
                }
            }
            Ok(Step::Closed) => {
                let bytes = client.total;
                self.close(token, &format!("closed after {bytes} bytes"));
            }
            Err(e) => self.close(token, &describe_drop(&e, self.idle)),
        }
    }
    // ANCHOR_END: serve

    /// close(): dropping the client closes its socket, which also takes it out of the
    /// epoll set.
    fn close(&mut self, token: u64, why: &str) {
        if let Some(client) = self.clients.remove(token as usize) {
            eprintln!("{}: {why}", client.peer);
        }
    }

    // ANCHOR: idle
    /// Drops every client that has moved no byte for the idle timeout: what a
    /// read or write timeout does in the blocking servers.
    fn drop_idle(&mut self, now: Instant) {
        let stalled: Vec<usize> = (self.clients.slots.iter())
            .enumerate()
            .filter_map(|(slot, c)| Some((slot, c.as_ref()?)))
            .filter(|(_, c)| now.duration_since(c.last_progress) >= self.idle)
            .map(|(slot, _)| slot)
            .collect();
        let timed_out = io::Error::from(ErrorKind::TimedOut);
        for slot in stalled {
            self.close(slot as u64, &describe_drop(&timed_out, self.idle));
        }
    }
    // ANCHOR_END: idle

    // ANCHOR: shutdown
    /// SIGINT or SIGTERM: close the listener (new connections are refused from
    /// now on) and return when the grace period ends. The loop goes on serving
    /// the clients already connected until they are all gone or time is up.
    fn stop_accepting(&mut self, signal: Signal, grace: u64) -> Instant {
        eprintln!("{signal}: no new connections from now on");
        if let Some(listener) = self.listener.take() {
            let _ = self.epoll.delete(&listener);
        } // close()
        let left = self.clients.live;
        if left > 0 {
            eprintln!("shutting down: waiting up to {grace}.0 s for {left} client(s) to finish");
        }
        Instant::now() + Duration::from_secs(grace)
    }
    // ANCHOR_END: shutdown

    /// Puts the listener back in the epoll set once an accept pause is over.
    fn resume_accepting(&mut self, now: Instant) {
        if self.paused_until.is_some_and(|t| now >= t) {
            self.paused_until = None;
            if let Some(listener) = &self.listener {
                let watch = EpollEvent::new(EpollFlags::EPOLLIN, LISTENER);
                if let Err(e) = self.epoll.add(listener, watch) {
                    eprintln!("cannot watch the listener again: {e}");
                }
            }
        }
    }
}
