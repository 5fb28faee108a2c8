//! A TCP server that tells each client who it is, from one IPv6 socket that IPv4 clients
//! reach too. This file is complete; your part is `listen_dual` and `describe` in
//! `src/lib.rs`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use dual_stack::{describe, listen_dual};
use netkit::{AcceptBackoff, Fatal};

/// Greet each client with the address and family it connected from.
#[derive(Parser)]
struct Args {
    /// IPv6 address to listen on (`::` hears IPv4 clients too).
    #[arg(long, default_value = "::")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 1514)]
    port: u16,
    /// IPV6_V6ONLY on: IPv6 clients only.
    #[arg(long)]
    v6only: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = match netkit::resolve_one(&args.host, args.port)? {
        SocketAddr::V6(v6) => v6,
        SocketAddr::V4(v4) => {
            return Err(Fatal::new(format!(
                "--host must be an IPv6 address such as ::, not {}",
                v4.ip()
            )));
        }
    };
    let listener =
        listen_dual(addr, args.v6only).map_err(|e| netkit::bind_error(e, addr.into()))?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = AcceptBackoff::new();
    loop {
        let (mut conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.failed(&e); // EMFILE: wait a while; ECONNABORTED: at once
                continue;
            }
        };
        backoff.succeeded();
        let line = describe(peer);
        eprintln!("{line}");
        let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
        // A client that has gone already costs nothing but this one write.
        let _ = conn.write_all(format!("{line}\n").as_bytes());
    }
}
