//! The uppercase server with one thread per client.
//!
//! The accept loop of the iterative server, with one change: instead of serving the client
//! itself, the main thread starts a thread that does, and goes straight back to `accept`.
//! A slow or silent client now holds one thread, not the whole server; past
//! `--max-clients` threads, a new client is told the server is busy and closed.
//!
//! SIGINT and SIGTERM stop it gracefully: no new connections, the connected clients get a
//! grace period to finish, then the server exits 0.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, Signal, Signals, Woken, describe_drop};
use tcp_upper_server::serve_client;

/// Uppercase everything each client sends, one thread per client.
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
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
    /// Seconds connected clients get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
    /// Clients served at once; past that, a new client is told the server is busy and
    /// closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_clients: u32,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen(): as in the iterative server.
    let listener = netkit::tcp_listen(addr)?;
    // SIGINT and SIGTERM now write a byte into a pipe that the accept loop polls.
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    netkit::announce(listener.local_addr()?);

    // ANCHOR: accept_loop
    let idle = Duration::from_secs(args.idle_timeout);
    // How many client threads are running: the shutdown waits for this to reach
    // 0.
    let live = Arc::new(AtomicUsize::new(0));
    let mut backoff = AcceptBackoff::new();
    loop {
        // poll() on the listener and the signal pipe, then accept().
        let woken = netkit::accept_or_signal(&listener, &signals, &mut backoff)?;
        let (conn, peer) = match woken {
            Woken::Client(conn, peer) => (conn, peer),
            Woken::Signals(arrived) => {
                // SIGINT or SIGTERM (the only signals caught): stop accepting.
                eprintln!("{}: no new connections from now on", arrived[0]);
                break;
            }
        };
        // Every client costs a thread (and its stack): past --max-clients, the
        // newcomer is told so and closed, and the others go on.
        let max = args.max_clients as usize;
        if live.load(Ordering::SeqCst) >= max {
            eprintln!("{peer}: turned away, {max} clients already connected");
            netkit::turn_away(conn, busy_line(max).as_bytes());
            continue;
        }
        eprintln!("{peer}: connected");
        let counted = Running::start(&live);
        // pthread_create(): the new thread owns the connection, and we go
        // straight back to accept().
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                // Counts down when the thread ends, however it ends.
                let _counted = counted;
                match serve_client(&conn, idle) {
                    Ok(bytes) => eprintln!("{peer}: closed after {bytes} bytes"),
                    Err(e) => eprintln!("{peer}: {}", describe_drop(&e, idle)),
                }
                // close(): `conn` is dropped here, by the thread that owns it.
            });
        if let Err(e) = spawned {
            // Out of threads (or memory for their stacks): only this client
            // is turned away.
            eprintln!("{peer}: cannot start a thread ({e}); connection closed");
        }
    }
    // ANCHOR_END: accept_loop

    // ANCHOR: shutdown
    // close() the listener: from now on the kernel refuses new connections.
    drop(listener);
    netkit::wait_for_clients(Duration::from_secs(args.grace), || {
        live.load(Ordering::SeqCst)
    });
    // Returning from main ends the process, and with it any thread still
    // running.
    Ok(())
    // ANCHOR_END: shutdown
}

/// One running client thread, counted in `live` from creation until drop.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(live: &Arc<AtomicUsize>) -> Running {
        live.fetch_add(1, Ordering::SeqCst);
        Running(Arc::clone(live))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a client gets past --max-clients, before the server closes the connection.
fn busy_line(max: usize) -> String {
    format!("server busy: {max} clients connected; try again later\n")
}
