//! echo_server.py in Rust: an iterative TCP echo server.
//!
//! The same shape as tcp_upper_server, with the bytes sent back unchanged. What this
//! program is for is its client: a client that sends a large message sees its bytes come
//! back in pieces of whatever size the network chose, and has to read in a loop.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, describe_drop};
use tcp_echo_server::echo;

/// Send every byte each client sends straight back, one client at a time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12007)]
    port: u16,
    /// Seconds a client may stall before the server drops it and serves the next.
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: main
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen(): written out one by one in
    // tcp_upper_server; here the shared helper makes the same calls.
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);

    let idle = Duration::from_secs(args.idle_timeout);
    let mut backoff = AcceptBackoff::new();
    loop {
        // accept(), retried through EINTR, ECONNABORTED and a shortage of descriptors.
        let (conn, peer) = netkit::accept_patiently(&listener, &mut backoff);
        eprintln!("{peer}: connected");
        match echo(&conn, idle) {
            Ok(bytes) => eprintln!("{peer}: closed after {bytes} bytes"),
            Err(e) => eprintln!("{peer}: {}", describe_drop(&e, idle)),
        }
    }
    // ANCHOR_END: main
}
