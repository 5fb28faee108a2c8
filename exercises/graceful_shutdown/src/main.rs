//! The uppercase server, one thread per client, that shuts down cleanly on SIGINT or
//! SIGTERM. This file is complete; your part is `serve_until_signalled` in `src/lib.rs`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use graceful_shutdown::{Wake, serve_until_signalled};

/// Uppercase server that stops accepting on SIGINT/SIGTERM and lets its clients finish.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Milliseconds connected clients get to finish after the signal.
    #[arg(long, default_value_t = 5000)]
    grace_ms: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    let wake = Wake::on_sigint_and_sigterm()?;
    netkit::announce(listener.local_addr()?);
    let unfinished = serve_until_signalled(&listener, &wake, Duration::from_millis(args.grace_ms))?;
    if unfinished > 0 {
        eprintln!("stopped; {unfinished} clients were still connected after the grace period");
    } else {
        eprintln!("stopped; every client finished");
    }
    Ok(())
}
