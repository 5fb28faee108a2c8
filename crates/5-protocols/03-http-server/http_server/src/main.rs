//! The Kurose web-server assignment, grown up: a static file server with a form demo.
//!
//! The assignment's server accepts a connection, reads one request, sends the file or a
//! 404, and closes. This one keeps the same steps and adds what a server facing real
//! browsers (and careless or hostile clients) needs: HEAD, form POSTs, conditional GETs,
//! cookies, keep-alive, limits on everything that accumulates, deadlines, and no way to
//! read a file outside the served folder. Connections that are waiting for bytes wait in
//! an epoll set, not in a thread each, so a thousand slow clients cost no worker.

use std::net::{Shutdown, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use clap::Parser;
use http_server::{Config, Folder, Root, STOPPING, Server, Slots};
use netkit::{AcceptBackoff, Fatal};
use nix::sys::signal::{SigSet, Signal};

/// How long requests in progress may take to finish after SIGINT or SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// Serve the files under --root (or the built-in site) over HTTP/1.1; POST /form echoes a
/// decoded form, /visits counts visits with a cookie.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 6789)]
    port: u16,
    /// The folder to serve [default: the small site built into the binary].
    #[arg(long)]
    root: Option<PathBuf>,
    /// Seconds the server waits for a whole request head (from the connection's start or
    /// the previous response): then it closes, with 408 if a request was half sent.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Bytes per second a body must arrive at, and a response be read at, on average
    /// after the first --timeout seconds.
    #[arg(long, default_value_t = 16 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    min_rate: u64,
    /// Connections open at once; more wait in the listen queue.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Threads that answer requests [default: four per core].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// The largest request head in bytes (414 or 431 beyond).
    #[arg(long, default_value_t = 8192)]
    max_head: usize,
    /// The largest request body in bytes (413 beyond).
    #[arg(long, default_value_t = 65536)]
    max_body: u64,
    /// Log nothing per request or connection (for benchmarks).
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let root = match &args.root {
        Some(folder) => Root::Folder(serve_folder(folder)?),
        None => Root::BuiltIn {
            // The files' Last-Modified: when this binary was written.
            modified: std::env::current_exe()
                .and_then(|exe| exe.metadata()?.modified())
                .ok(),
        },
    };
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| Fatal::new("--timeout must be a positive number of seconds"))?;
    let workers = args.workers.map_or_else(
        || thread::available_parallelism().map_or(4, |n| 4 * n.get()),
        usize::from,
    );
    let config = Config {
        root,
        timeout,
        min_rate: args.min_rate,
        max_head: args.max_head,
        max_body: args.max_body,
        quiet: args.quiet,
    };

    // ANCHOR: listen
    // getaddrinfo(), socket(), setsockopt(SO_REUSEADDR), bind(), listen().
    //   Python: serverSocket.bind(('', 6789)); serverSocket.listen(1)
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener: TcpListener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    match &config.root {
        Root::Folder(folder) => eprintln!("serving {}", folder.path.display()),
        Root::BuiltIn { .. } => eprintln!(
            "serving the built-in site ({} files); --root FOLDER serves a folder",
            http_server::SITE.len()
        ),
    }
    // ANCHOR_END: listen
    stop_on_signals(&listener)?;

    // ANCHOR: threads
    // epoll_create1(): the set where connections wait. The workers wait on it for
    // connections with bytes; the clock closes the ones whose time is up.
    let server = Arc::new(Server::new(config)?);
    for n in 0..workers {
        let server = Arc::clone(&server);
        thread::Builder::new()
            .name(format!("worker {n}"))
            .spawn(move || server.work())?;
    }
    let clock = Arc::clone(&server);
    thread::Builder::new()
        .name("clock".into())
        .spawn(move || clock.clock())?;
    // ANCHOR_END: threads

    // ANCHOR: accept_loop
    let slots = Slots::new(args.max_connections);
    let mut backoff = AcceptBackoff::new();
    loop {
        // Wait for a free slot first: with all of them taken, new clients wait in the
        // kernel's listen queue, and the server's descriptors stay bounded.
        let slot = slots.acquire();
        // accept()   Python: connectionSocket, addr = serverSocket.accept()
        let accepted = listener.accept();
        if STOPPING.load(Ordering::SeqCst) {
            break; // SIGINT or SIGTERM: accept no more
        }
        let (conn, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.failed(&e); // EINTR, ECONNABORTED, EMFILE: wait if needed
                continue;
            }
        };
        backoff.succeeded();
        // Into the epoll set: it waits for its request there, without a thread. (The
        // slot goes with it, and comes back when it is closed.)
        if let Err(e) = server.add(conn, peer, slot) {
            eprintln!("{peer}: dropped: {e}");
        }
    }
    // The requests in progress finish; the signal thread ends the process after GRACE.
    slots.wait_all_free(GRACE);
    eprintln!("stopped");
    Ok(())
    // ANCHOR_END: accept_loop
}

/// The folder to serve, open, or a one-line error.
fn serve_folder(folder: &std::path::Path) -> netkit::Result<Folder> {
    if folder.exists() && !folder.is_dir() {
        return Err(Fatal::new(format!(
            "{} is not a folder; pass --root FOLDER",
            folder.display()
        )));
    }
    Folder::open(folder).map_err(|e| {
        Fatal::new(format!(
            "cannot serve {}: {e}; pass --root FOLDER",
            folder.display()
        ))
    })
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
