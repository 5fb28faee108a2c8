//! Connect to the first of several servers that answers, trying them all at once, and
//! print what it sends. This file is complete; your part is `set_nonblocking` and `race`
//! in `src/lib.rs`.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use race_connect::race;

/// Connect to every ADDR at once; the first connection made wins, and what that server
/// sends is printed.
#[derive(Parser)]
struct Args {
    /// Seconds to wait for a connection, in all (fractions allowed).
    #[arg(long, default_value_t = 3.0)]
    timeout: f64,
    /// Addresses to race, as IP:PORT (`[::1]:PORT` for IPv6).
    #[arg(required = true)]
    addrs: Vec<SocketAddr>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(Fatal::new(format!(
            "--timeout {} is not a timeout: give more than 0 and at most 3600 seconds",
            args.timeout
        )));
    }
    let result = race(&args.addrs, Duration::from_secs_f64(args.timeout))?;
    for (addr, err) in &result.failed {
        eprintln!("{addr}: {err}");
    }
    let Some((addr, mut stream)) = result.winner else {
        return Err(Fatal::new(if result.waiting.is_empty() {
            format!(
                "none of the {} address(es) accepted a connection",
                args.addrs.len()
            )
        } else {
            format!(
                "nobody answered within {} s ({} address(es) still trying)",
                args.timeout,
                result.waiting.len()
            )
        }));
    };
    eprintln!("connected to {addr}");
    // Blocking reads from here on, with a time limit: what the server sends, to stdout.
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = [0u8; 4096];
    let mut out = io::stdout().lock();
    loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| Fatal::new(format!("reading from {addr}: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n])?;
        out.flush()?;
    }
}
