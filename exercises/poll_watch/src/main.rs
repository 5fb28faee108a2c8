//! Print whatever arrives on standard input or on a UDP socket, as it arrives, until all
//! is quiet for `--idle-ms`. This file is complete; your part is `watch` in `src/lib.rs`.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use poll_watch::watch;

/// Watch stdin and a UDP port with one poll(), printing what comes on either.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// UDP port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 4950)]
    port: u16,
    /// Stop after this many milliseconds with nothing on either.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    idle_ms: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let socket = netkit::udp_bind(addr)?;
    netkit::announce(socket.local_addr()?);
    // Standard input without Rust's buffer: what poll says is there is what read gets.
    let mut input = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    // Line-buffered: each line reaches whoever reads our output as soon as it is written.
    let mut out = io::LineWriter::new(io::stdout().lock());
    watch(
        &mut input,
        &socket,
        Duration::from_millis(args.idle_ms),
        &mut out,
    )?;
    out.flush()?;
    Ok(())
}
