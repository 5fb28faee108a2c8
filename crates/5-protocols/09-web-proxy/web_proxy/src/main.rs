//! Kurose's multithreaded web proxy, grown into a CDN edge.
//!
//! The lab's proxy accepts a browser's request, fetches the object from the server the
//! request names, sends it back, and keeps a copy to answer the next request for it.
//! This one does the same with the rules real caches follow: it stores only what HTTP
//! says it may (Cache-Control, Expires, Vary), serves a stored copy while it is fresh,
//! asks the origin whether a stale one is still good (ETag, Last-Modified, 304), keeps
//! the cache within a number of bytes, and streams bodies of any size without holding
//! them whole. With `--reverse ORIGIN` it stands in front of one server, as a CDN's edge
//! stands in front of a web site.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, Connections, Fatal, Signal, Signals, Woken};
use web_proxy::proxy::error_response;
use web_proxy::store::Store;
use web_proxy::{Mode, Proxy, parse_origin};

/// A caching HTTP/1.1 proxy: forward (curl -x, a browser's proxy setting) or, with
/// --reverse, in front of one origin server.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface: then anyone who can
    /// reach it can use your connection; keep it on loopback).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 8888)]
    port: u16,
    /// Be a reverse proxy for this origin (http://HOST:PORT): clients ask for /path.
    #[arg(long, value_name = "ORIGIN")]
    reverse: Option<String>,
    /// The most bytes the cache holds (bodies, fields and keys); a larger response is
    /// streamed, not stored. 0: store nothing.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    cache_bytes: usize,
    /// Clients served at once, a thread each; past that, 503.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_clients: u32,
    /// Seconds any wait may take: a client's next request, an origin's answer, one read
    /// or write.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Seconds the clients being served get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
    /// Log nothing per request (errors still are; for benchmarks).
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let mode = match &args.reverse {
        None => Mode::Forward,
        Some(origin) => {
            let (host, port) =
                parse_origin(origin).map_err(|e| Fatal::new(format!("--reverse {e}")))?;
            // A name that does not resolve is a typo: say so now, not at the first request.
            netkit::resolve(&host, port)?;
            Mode::Reverse { host, port }
        }
    };

    // ANCHOR: listen
    // getaddrinfo(), socket(), setsockopt(SO_REUSEADDR), bind(), listen().
    //   Python: serverSocket.bind(('', 8888)); serverSocket.listen(5)
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    // SIGINT and SIGTERM write a byte into a pipe that the accept loop polls.
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    let local = listener.local_addr()?;
    netkit::announce(local);
    match &mode {
        Mode::Forward => {
            eprintln!("forward proxy; try: curl -x http://{local} http://HOST:PORT/PATH")
        }
        Mode::Reverse { host, port } => eprintln!("reverse proxy for http://{host}:{port}"),
    }
    eprintln!("cache: up to {} bytes", args.cache_bytes);
    // ANCHOR_END: listen

    let proxy = Arc::new(Proxy {
        mode,
        store: Store::new(args.cache_bytes),
        timeout: Duration::from_secs(args.timeout),
        quiet: args.quiet,
        received_by: local.to_string(),
        stopping: Arc::new(AtomicBool::new(false)),
    });

    // ANCHOR: accept_loop
    let connections = Connections::new();
    let max = args.max_clients as usize;
    let mut backoff = AcceptBackoff::new();
    loop {
        // poll() on the listener and the signal pipe, then accept().
        //   Python: tcpCliSock, addr = tcpSerSock.accept()
        let (conn, peer) = match netkit::accept_or_signal(&listener, &signals, &mut backoff)? {
            Woken::Client(conn, peer) => (conn, peer),
            Woken::Signals(arrived) => {
                eprintln!("{}: no new connections from now on", arrived[0]);
                break;
            }
        };
        // A thread per client, at most --max-clients of them: past that, a 503.
        if connections.count() >= max {
            eprintln!("{peer}: turned away (503), {max} clients already connected");
            let busy = error_response(503, "too many clients at once; try again", false);
            netkit::turn_away(conn, &busy);
            continue;
        }
        let conn = connections.track(conn);
        let proxy = Arc::clone(&proxy);
        // pthread_create(): the thread owns the connection; we go back to accept().
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || proxy.serve(&conn, peer));
        if let Err(e) = spawned {
            eprintln!("{peer}: cannot start a thread ({e}); connection closed");
        }
    }
    // ANCHOR_END: accept_loop

    // ANCHOR: shutdown
    // close() the listener; each client ends after the request it is being served; idle
    // keep-alive connections are woken with an end of stream (shutdown(SHUT_RD)).
    drop(listener);
    proxy.stopping.store(true, Ordering::SeqCst);
    let left = connections.cut_off(Duration::from_secs(args.grace));
    if left > 0 {
        eprintln!("stopping: {left} client(s) still being served after the grace period");
    }
    eprintln!("stopped");
    Ok(())
    // ANCHOR_END: shutdown
}
