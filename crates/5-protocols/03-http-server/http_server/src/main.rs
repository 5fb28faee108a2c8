//! The Kurose web-server assignment, grown up: a static file server with a form demo.
//!
//! The assignment's server accepts a connection, reads one request, sends the file or a
//! 404, and closes. This one keeps the same steps and adds what a server facing real
//! browsers (and careless or hostile clients) needs: HEAD, form POSTs, keep-alive, limits
//! on everything that accumulates, timeouts, several clients at once (a thread each, up to
//! a bound), and no way to read a file outside the served folder.

use std::net::{Shutdown, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use clap::Parser;
use http_server::{Config, Ending, STOPPING, Slots, serve_connection};
use netkit::{AcceptBackoff, Fatal};
use nix::sys::signal::{SigSet, Signal};

/// How long requests in progress may take to finish after SIGINT or SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// Serve the files under --root over HTTP/1.1; POST /form echoes a decoded form.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 6789)]
    port: u16,
    /// The folder to serve (the default is the small site that ships with the crate).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/site"))]
    root: PathBuf,
    /// Seconds a client may stay silent before it is dropped (408 if half way through a request).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Connections served at once; more wait in the listen queue.
    #[arg(long, default_value_t = 64)]
    max_connections: usize,
    /// The largest request head in bytes (414 or 431 beyond).
    #[arg(long, default_value_t = 8192)]
    max_head: usize,
    /// The largest request body in bytes (413 beyond).
    #[arg(long, default_value_t = 65536)]
    max_body: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let root = args.root.canonicalize().map_err(|e| {
        Fatal::new(format!(
            "cannot serve {}: {e}; pass --root FOLDER",
            args.root.display()
        ))
    })?;
    if !root.is_dir() {
        return Err(Fatal::new(format!(
            "{} is not a folder; pass --root FOLDER",
            root.display()
        )));
    }
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| Fatal::new("--timeout must be a positive number of seconds"))?;
    let config = Config {
        root,
        timeout,
        max_head: args.max_head,
        max_body: args.max_body,
    };

    // ANCHOR: listen
    // getaddrinfo(), socket(), setsockopt(SO_REUSEADDR), bind(), listen().
    //   Python: serverSocket.bind(('', 6789)); serverSocket.listen(1)
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener: TcpListener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    eprintln!("serving {}", config.root.display());
    // ANCHOR_END: listen
    stop_on_signals(&listener)?;

    // ANCHOR: accept_loop
    let slots = Slots::new(args.max_connections);
    let mut backoff = AcceptBackoff::new();
    // A scope lets each connection's thread borrow `config` and `slots`.
    thread::scope(|scope| {
        loop {
            // Wait for a free slot first: with all of them busy, new clients wait in the
            // kernel's listen queue, and the server's thread count stays bounded.
            let slot = slots.acquire();
            // accept()   Python: connectionSocket, addr = serverSocket.accept()
            let accepted = listener.accept();
            if STOPPING.load(Ordering::SeqCst) {
                break; // SIGINT or SIGTERM: accept no more; the scope waits for the rest
            }
            let (conn, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    backoff.failed(&e); // EINTR, ECONNABORTED, EMFILE: wait if needed
                    continue;
                }
            };
            backoff.succeeded();
            let config = &config;
            let spawned = thread::Builder::new().spawn_scoped(scope, move || {
                let _slot = slot; // given back when this thread ends
                match serve_connection(&conn, peer, config) {
                    Ok(Ending::Done(n)) => {
                        eprintln!("{peer}: closed after {n} request(s)")
                    }
                    Ok(Ending::Idle(n)) => {
                        eprintln!("{peer}: idle, closed after {n} request(s)")
                    }
                    Ok(Ending::Refused(n, status)) => {
                        eprintln!(
                            "{peer}: closed after {n} request(s), the last one {}",
                            status.code()
                        )
                    }
                    Err(e) => eprintln!("{peer}: dropped: {e}"),
                }
                // close(): `conn` is dropped here. Python: connectionSocket.close()
            });
            if let Err(e) = spawned {
                // Out of threads: this one client is dropped, the server goes on.
                eprintln!("cannot start a thread for a client: {e}");
            }
        }
    });
    eprintln!("stopped");
    Ok(())
    // ANCHOR_END: accept_loop
}

// ANCHOR: signals
/// SIGINT (Ctrl-C) and SIGTERM stop the server gracefully: no new connections, the
/// requests in progress are answered, then exit 0; after [`GRACE`], exit regardless.
///
/// Both signals are blocked in every thread (threads inherit the mask of the thread that
/// starts them, and this runs before any other), and one thread takes them with
/// `sigwait()`: an ordinary thread, so it may lock, print and sleep, which a signal
/// handler may not.
fn stop_on_signals(listener: &TcpListener) -> netkit::Result<()> {
    let mut signals = SigSet::empty();
    signals.add(Signal::SIGINT);
    signals.add(Signal::SIGTERM);
    signals.thread_block()?;
    let waker = listener.try_clone()?; // dup(): the same listening socket
    thread::spawn(move || {
        let Ok(signal) = signals.wait() else { return };
        eprintln!("{signal}: stopping; finishing the requests in progress");
        STOPPING.store(true, Ordering::SeqCst);
        // Wake the accept loop: on Linux, shutdown() of a listening socket makes a
        // blocked accept() return at once (with EINVAL).
        let _ = socket2::SockRef::from(&waker).shutdown(Shutdown::Read);
        thread::sleep(GRACE);
        eprintln!("some clients did not finish within {GRACE:?}; exiting anyway");
        std::process::exit(0);
    });
    Ok(())
}
// ANCHOR_END: signals
