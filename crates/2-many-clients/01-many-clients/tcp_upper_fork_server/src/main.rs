//! The uppercase server with one child process per client: the classic Unix server.
//!
//! After `accept`, the server calls `fork`. The child serves the client and exits; the
//! parent closes its copy of the connection and goes back to `accept`. Every child that
//! exits is reaped: SIGCHLD writes a byte into the signal pipe (the only work done in the
//! handler), the accept loop wakes up and calls `waitpid(-1, WNOHANG)` until no child is
//! left to collect, so no zombie stays behind. Past `--max-clients` children, a new
//! client is told the server is busy and closed.
//!
//! SIGINT and SIGTERM stop it gracefully: no new connections, the children get a grace
//! period to finish, the ones still running after it get SIGTERM, and the server exits 0.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, Signal, Signals, Woken, describe_drop};
use nix::errno::Errno;
use nix::sys::signal::{SigHandler, kill, signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use tcp_upper_server::serve_client;

/// Uppercase everything each client sends, one child process per client.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds a client may stall before its child process drops it.
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

/// How long the accept loop waits after a failed fork before it takes the next client.
const FORK_PAUSE: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen(): as in the iterative server.
    let listener = netkit::tcp_listen(addr)?;
    // SIGCHLD joins SIGINT and SIGTERM: a child's exit wakes the loop so it can reap.
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM, Signal::SIGCHLD])?;
    netkit::announce(listener.local_addr()?);

    // ANCHOR: accept_loop
    let idle = Duration::from_secs(args.idle_timeout);
    let mut children: HashSet<Pid> = HashSet::new();
    let mut backoff = AcceptBackoff::new();
    loop {
        // poll() on the listener and the signal pipe, then accept().
        let woken = netkit::accept_or_signal(&listener, &signals, &mut backoff)?;
        let (conn, peer) = match woken {
            Woken::Client(conn, peer) => (conn, peer),
            Woken::Signals(arrived) => {
                reap(&mut children); // SIGCHLD, or not: collecting costs nothing
                let stop = arrived.into_iter().find(|&s| netkit::is_stop(s));
                if let Some(stop) = stop {
                    eprintln!("{stop}: no new connections from now on");
                    break;
                }
                continue;
            }
        };
        // Every client costs a process: past --max-clients, the newcomer is
        // told so and closed, and the others go on. (Reap first: a child may
        // have exited since its SIGCHLD was last seen.)
        reap(&mut children);
        let max = args.max_clients as usize;
        if children.len() >= max {
            eprintln!("{peer}: turned away, {max} clients already connected");
            netkit::turn_away(conn, busy_line(max).as_bytes());
            continue;
        }
        // fork(): from here on there are two processes running this code.
        // SAFETY: one thread only in this process: the child's copy is whole.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                // The child never returns from here.
                serve_in_child(conn, peer, listener, signals, idle)
            }
            Ok(ForkResult::Parent { child }) => {
                children.insert(child);
                eprintln!("{peer}: connected, served by process {child}");
                // close(conn) in the parent: the child holds its own copy.
                drop(conn);
            }
            Err(e) => {
                // Out of processes (EAGAIN) or memory: turn this client away,
                // and pause a moment, since the next fork would most likely fail
                // too.
                eprintln!("{peer}: fork failed ({e}); connection closed");
                thread::sleep(FORK_PAUSE);
            }
        }
    }
    // ANCHOR_END: accept_loop

    // ANCHOR: shutdown
    // close() the listener: from now on the kernel refuses new connections.
    drop(listener);
    let left = netkit::wait_for_clients(Duration::from_secs(args.grace), || {
        reap(&mut children);
        children.len()
    });
    if left > 0 {
        for &child in &children {
            let _ = kill(child, Signal::SIGTERM);
        }
        netkit::wait_for_clients(Duration::from_secs(1), || {
            reap(&mut children);
            children.len()
        });
    }
    Ok(())
    // ANCHOR_END: shutdown
}

// ANCHOR: child
/// The child's whole life: close what belongs to the parent, serve, exit.
fn serve_in_child(
    conn: TcpStream,
    peer: SocketAddr,
    listener: TcpListener,
    signals: Signals,
    idle: Duration,
) -> ! {
    // close(listener): only the parent accepts. (Had we kept it, the port would
    // stay open for as long as any child lives, even after the parent exits.)
    drop(listener);
    // The signal pipe and handlers belong to the parent: default actions again.
    signals.release_in_child();
    // Ctrl-C in a terminal signals the whole process group. Ignoring SIGINT
    // lets this client finish while the parent shuts down; SIGTERM (what the
    // parent sends after the grace period) still ends the child.
    // SAFETY: SIG_IGN installs no handler code.
    let _ = unsafe { signal(Signal::SIGINT, SigHandler::SigIgn) };
    match serve_client(&conn, idle) {
        Ok(bytes) => eprintln!("{peer}: closed after {bytes} bytes"),
        Err(e) => eprintln!("{peer}: {}", describe_drop(&e, idle)),
    }
    drop(conn);
    // exit(): the kernel sends SIGCHLD to the parent, which reaps us.
    std::process::exit(0)
}
// ANCHOR_END: child

// ANCHOR: reap
/// waitpid(-1, WNOHANG) until no exited child is left: collects every zombie at
/// once (several children can exit while one SIGCHLD is pending; signals do not
/// queue).
fn reap(children: &mut HashSet<Pid>) {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
            Ok(status) => {
                if let Some(pid) = status.pid() {
                    children.remove(&pid);
                }
            }
            Err(Errno::EINTR) => continue,
            Err(e) => {
                eprintln!("waitpid failed: {e}");
                return;
            }
        }
    }
}
// ANCHOR_END: reap

/// What a client gets past --max-clients, before the server closes the connection.
fn busy_line(max: usize) -> String {
    format!("server busy: {max} clients connected; try again later\n")
}
