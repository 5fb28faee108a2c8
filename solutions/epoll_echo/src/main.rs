//! A line echo server in one thread: epoll tells it which sockets are ready. This file is
//! complete (the setup, the loop, accepting and closing); your part is `take_lines` and
//! `serve` in `src/lib.rs`.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use epoll_echo::{CHUNK, Client, Step, serve};
use netkit::AcceptBackoff;
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

/// Echo every line each client sends, every client from one thread (epoll).
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12007)]
    port: u16,
}

/// The listener's token; a client's token is its slot number.
const LISTENER: u64 = u64::MAX;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

/// The clients, in numbered slots; a slot's number is the client's epoll token.
#[derive(Default)]
struct Slots {
    slots: Vec<Option<Client>>,
    free: Vec<usize>,
}

impl Slots {
    fn insert(&mut self, client: Client) -> usize {
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

    /// Closes the client's socket (which also takes it out of the epoll set).
    fn close(&mut self, slot: usize, why: &str) {
        if let Some(client) = self.slots.get_mut(slot).and_then(Option::take) {
            eprintln!("{}: {why}", client.peer);
            self.free.push(slot);
        }
    }
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?; // socket, SO_REUSEADDR, bind, listen
    listener.set_nonblocking(true)?; // accept() says EAGAIN instead of waiting
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?; // epoll_create1()
    epoll.add(&listener, EpollEvent::new(EpollFlags::EPOLLIN, LISTENER))?; // level-triggered
    netkit::announce(listener.local_addr()?);

    let mut clients = Slots::default();
    let mut buf = vec![0u8; CHUNK];
    let mut events = vec![EpollEvent::empty(); 256];
    let mut backoff = AcceptBackoff::new();
    let mut paused_until: Option<Instant> = None;
    loop {
        let timeout = match paused_until {
            Some(at) => EpollTimeout::try_from(at.saturating_duration_since(Instant::now()))
                .unwrap_or(EpollTimeout::MAX),
            None => EpollTimeout::NONE,
        };
        let ready = match epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            Err(e) => return Err(e.into()),
        };
        for event in &events[..ready] {
            let token = event.data();
            if token == LISTENER {
                if let Some(pause) = accept_all(&listener, &epoll, &mut clients, &mut backoff) {
                    // Out of descriptors: the listener stays readable, so leave it out of
                    // the set for a while instead of being woken for it at full speed.
                    let _ = epoll.delete(&listener);
                    paused_until = Some(Instant::now() + pause);
                }
                continue;
            }
            let slot = token as usize;
            let Some(client) = clients.slots.get_mut(slot).and_then(Option::as_mut) else {
                continue; // closed earlier in this round
            };
            match serve(&epoll, token, client, &mut buf) {
                Ok(Step::Open) => {}
                Ok(Step::Closed) => clients.close(slot, "finished"),
                Err(e) => match e.kind() {
                    ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
                        clients.close(slot, "connection reset by the client")
                    }
                    _ => clients.close(slot, &format!("dropped: {e}")),
                },
            }
        }
        if paused_until.is_some_and(|at| Instant::now() >= at) {
            paused_until = None;
            epoll.add(&listener, EpollEvent::new(EpollFlags::EPOLLIN, LISTENER))?;
        }
    }
}

/// The listener is readable: accept everyone waiting (at most 64 this round), make each
/// socket non-blocking and watch it for reading. Returns a pause when out of descriptors.
fn accept_all(
    listener: &TcpListener,
    epoll: &Epoll,
    clients: &mut Slots,
    backoff: &mut AcceptBackoff,
) -> Option<std::time::Duration> {
    for _ in 0..64 {
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
            // ECONNABORTED, EINTR: that connection only. EMFILE, ENFILE: pause.
            Err(e) => match backoff.pause_after(&e) {
                None => continue,
                Some(pause) => return Some(pause),
            },
        };
        backoff.succeeded();
        if conn.set_nonblocking(true).is_err() {
            continue;
        }
        let slot = clients.insert(Client::new(conn, peer));
        let client = clients.slots[slot].as_ref().expect("just inserted");
        if let Err(e) = epoll.add(
            &client.conn,
            EpollEvent::new(EpollFlags::EPOLLIN, slot as u64),
        ) {
            clients.close(slot, &format!("cannot watch it ({e})"));
        }
    }
    None
}
