//! The uppercase server with a fixed pool of worker threads (pre-threaded, Stevens UNP §30).
//!
//! The threads are started once, before the first client. The main thread accepts and puts
//! each connection into a bounded queue; an idle worker takes it, serves the client to the
//! end and takes the next. The number of threads never grows with the load: past
//! `--workers` busy clients, new ones wait in the queue, and past `--queue` waiting
//! clients, new ones are told the server is busy and closed at once.
//!
//! SIGINT and SIGTERM stop it gracefully: no new connections, the clients being served and
//! the ones queued get a grace period to finish, then the server exits 0.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, Fatal, Signal, Signals, Woken, describe_drop};
use tcp_upper_pool_server::{BUSY_REPLY, default_workers};
use tcp_upper_server::serve_client;

/// Uppercase everything each client sends, with a fixed pool of worker threads.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Worker threads, each serving one client at a time [default: 4 per CPU core].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=4096))]
    workers: Option<u16>,
    /// Accepted clients that may wait for a worker; past that, new clients are told the
    /// server is busy and closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    queue: u32,
    /// Seconds a client may stall before the server drops it.
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
    /// Seconds connected and queued clients get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
}

/// A client accepted and not yet served.
type Job = (TcpStream, SocketAddr);

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen(): as in the iterative server.
    let listener = netkit::tcp_listen(addr)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    let idle = Duration::from_secs(args.idle_timeout);

    // ANCHOR: pool
    // The bounded queue: `sync_channel(n)` holds at most n connections.
    let (queue, jobs) = sync_channel::<Job>(args.queue as usize);
    let jobs = Arc::new(Mutex::new(jobs));
    // Clients accepted and not finished yet (queued or being served): the
    // shutdown waits for this to reach 0.
    let pending = Arc::new(AtomicUsize::new(0));
    let workers = args.workers.map_or_else(default_workers, usize::from);
    for n in 0..workers {
        let jobs = Arc::clone(&jobs);
        let pending = Arc::clone(&pending);
        thread::Builder::new()
            .name(format!("worker {n}"))
            .spawn(move || work(&jobs, &pending, idle))
            .map_err(|e| Fatal::new(format!("cannot start the workers: {e}")))?;
    }
    // ANCHOR_END: pool
    netkit::announce(listener.local_addr()?);

    // ANCHOR: accept_loop
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
        pending.fetch_add(1, Ordering::SeqCst);
        // Hand the client to the pool without waiting: a full queue must not
        // stop the accept loop (nor the shutdown).
        match queue.try_send((conn, peer)) {
            Ok(()) => eprintln!("{peer}: connected, queued for a worker"),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                let (conn, peer) = job;
                pending.fetch_sub(1, Ordering::SeqCst);
                eprintln!(
                    "{peer}: turned away, the queue is full ({} waiting)",
                    args.queue
                );
                turn_away(conn);
            }
        }
    }
    // ANCHOR_END: accept_loop

    // ANCHOR: shutdown
    // close() the listener: from now on the kernel refuses new connections.
    drop(listener);
    // Closing our end of the queue lets each worker end once the queue is
    // empty.
    drop(queue);
    netkit::wait_for_clients(Duration::from_secs(args.grace), || {
        pending.load(Ordering::SeqCst)
    });
    Ok(())
    // ANCHOR_END: shutdown
}

// ANCHOR: work
/// A worker's life: take the next client from the queue, serve it to the end,
/// repeat.
fn work(jobs: &Mutex<Receiver<Job>>, pending: &AtomicUsize, idle: Duration) {
    loop {
        // The lock is held only while taking a job, never while serving one.
        let next = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((conn, peer)) = next else {
            return; // the queue is closed and empty: the server is shutting down
        };
        match serve_client(&conn, idle) {
            Ok(bytes) => eprintln!("{peer}: closed after {bytes} bytes"),
            Err(e) => eprintln!("{peer}: {}", describe_drop(&e, idle)),
        }
        drop(conn);
        pending.fetch_sub(1, Ordering::SeqCst);
    }
}
// ANCHOR_END: work

/// Tells a client there is no room (one short line) and closes the connection.
fn turn_away(mut conn: TcpStream) {
    // A fresh connection's send buffer is empty, so this write does not block; the timeout
    // is there in case the client is very strange.
    let _ = conn.set_write_timeout(Some(Duration::from_millis(100)));
    let _ = conn.write_all(BUSY_REPLY);
}
