//! server.c without the fork: listen on the first address that works, greet each client
//! with `Hello, world!` and close the connection. This file is complete; your part is
//! `bind_first` in `src/lib.rs`.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use hello_server::{GREETING, bind_first};
use netkit::{AcceptBackoff, Fatal};

/// Greet every client with "Hello, world!", from the first address that can be bound.
#[derive(Parser)]
struct Args {
    /// Host to listen on (every address it resolves to is a candidate).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 3490)]
    port: u16,
    /// Candidate addresses (IP:PORT) to try in this order, instead of resolving --host.
    #[arg(long)]
    addr: Vec<SocketAddr>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let candidates = if args.addr.is_empty() {
        netkit::resolve(&args.host, args.port)? // getaddrinfo(host, port, AI_PASSIVE ...)
    } else {
        args.addr
    };
    let listener = bind_first(&candidates, &mut io::stderr()).map_err(|e| {
        Fatal::new(format!(
            "could not listen on any of {} address(es); the last said: {e}",
            candidates.len()
        ))
    })?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = AcceptBackoff::new();
    loop {
        let (mut conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.failed(&e);
                continue;
            }
        };
        backoff.succeeded();
        eprintln!("server: got connection from {}", peer.ip());
        let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
        // send(new_fd, "Hello, world!", 13, 0); close(new_fd): the server closes first.
        if let Err(e) = conn.write_all(GREETING) {
            eprintln!("server: send to {peer}: {e}");
        }
    }
}
