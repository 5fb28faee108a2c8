//! The uppercase server, one child process per client (Beej's server.c, Kurose's TCP
//! server made concurrent). This file is complete; your part is in `src/lib.rs`.

use std::process::ExitCode;

use clap::Parser;
use fork_server::{fork_and_serve, install_reaper};
use netkit::{AcceptBackoff, Fatal};

/// Uppercase what each client sends, every client in a child process of its own.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    install_reaper().map_err(|e| Fatal::new(format!("cannot handle SIGCHLD: {e}")))?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = AcceptBackoff::new();
    loop {
        let (conn, peer) = netkit::accept_patiently(&listener, &mut backoff);
        if let Err(e) = fork_and_serve(&listener, conn) {
            // Out of processes, for instance: this client is dropped, the server goes on.
            eprintln!("cannot serve {peer}: {e}");
        }
    }
}
