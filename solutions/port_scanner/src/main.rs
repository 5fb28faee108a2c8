//! The port scanner and banner grabber of the Python chapter, for this machine only.
//! This file is complete; your part is `probe` and `scan` in `src/lib.rs`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::Fatal;
use port_scanner::{PortState, may_scan, parse_ports, scan};

/// TCP connect scan of ports on this machine (loopback only), with banner grabbing.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The machine to scan: a loopback address or a name for one (127.0.0.0/8, ::1).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Ports: a list and ranges, such as 22,80,8000-8100.
    #[arg(long, default_value = "1-1024")]
    ports: String,
    /// Milliseconds to wait for each connection.
    #[arg(long, default_value_t = 500)]
    timeout_ms: u64,
    /// Milliseconds to wait for an open port's first line.
    #[arg(long, default_value_t = 1000)]
    banner_wait_ms: u64,
    /// Connections attempted at the same time.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=512))]
    parallel: u16,
    /// List closed and filtered ports too, not only open ones.
    #[arg(long)]
    all: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let ports = parse_ports(&args.ports).map_err(|e| Fatal::new(format!("--ports: {e}")))?;
    // getaddrinfo(); then the rule of this program: loopback addresses only.
    let ip = netkit::resolve_one(&args.host, 0)?.ip();
    if !may_scan(ip) {
        return Err(Fatal::new(format!(
            "'{}' is {ip}, not this machine; port_scanner scans only loopback \
             addresses (127.0.0.0/8, ::1)",
            args.host
        )));
    }
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let banner_wait = Duration::from_millis(args.banner_wait_ms.max(1));
    println!(
        "scanning {ip}: {} port(s), {} at a time, {} ms timeout",
        ports.len(),
        args.parallel,
        timeout.as_millis()
    );
    let started = Instant::now();
    let results = scan(ip, &ports, args.parallel.into(), timeout, banner_wait);

    let mut counts = [0usize; 4];
    for (port, state) in &results {
        let (index, word) = match state {
            PortState::Open(_) => (0, "open"),
            PortState::Closed => (1, "closed"),
            PortState::Filtered => (2, "filtered"),
            PortState::Error(_) => (3, "error"),
        };
        counts[index] += 1;
        match state {
            PortState::Open(banner) => {
                let banner = banner.as_deref().unwrap_or("");
                let line = format!("{:<10} open      {banner}", format!("{port}/tcp"));
                println!("{}", line.trim_end());
            }
            PortState::Error(e) => println!("{:<10} error     {e}", format!("{port}/tcp")),
            _ if args.all => println!("{:<10} {word}", format!("{port}/tcp")),
            _ => {}
        }
    }
    println!(
        "{} port(s) in {:.2} s: {} open, {} closed, {} filtered, {} error(s)",
        results.len(),
        started.elapsed().as_secs_f64(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    Ok(())
}
