//! `reload_server --greeting motd.txt`: every client gets the file's first line. Edit the
//! file and `kill -HUP PID`: the next client gets the new line. `kill PID` or Ctrl-C stops
//! it. This file is complete; your part is in `src/lib.rs`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use nix::sys::signal::Signal;
use reload_server::{Wake, load, serve};

/// Greet each client with a line from a file; reload it on SIGHUP, stop on SIGINT/SIGTERM.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12030)]
    port: u16,
    /// The file whose first line is the greeting.
    #[arg(long)]
    greeting: PathBuf,
    /// Milliseconds of pretend work after each client (signals that come meanwhile wait
    /// in the pipe).
    #[arg(long, default_value_t = 0)]
    work_ms: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let greeting = load(&args.greeting).map_err(|e| {
        Fatal::new(format!(
            "cannot read the greeting from {}: {e}",
            args.greeting.display()
        ))
    })?;
    // The handlers before the listener: once `listening on` is printed, every signal
    // finds its handler.
    let wake = Wake::new(&[Signal::SIGHUP, Signal::SIGINT, Signal::SIGTERM])?;
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    let work = Duration::from_millis(args.work_ms);
    let signal = serve(&listener, &wake, &args.greeting, greeting, work)?;
    eprintln!("stopping on {signal}");
    Ok(())
}
