//! `udp_fallback`: send a message to a UDP echo server, trying each of its addresses in
//! turn (every address of every `--host`, in the order `getaddrinfo` gives them) until one
//! answers. This file is complete; your part is `attempt` in `src/lib.rs`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use udp_fallback::{Outcome, attempt};

/// Send a message to a UDP echo server, falling back from address to address.
#[derive(Parser)]
struct Args {
    /// A name or address of the server; give several to try them in order.
    #[arg(long, default_value = "localhost")]
    host: Vec<String>,
    /// The server's port.
    #[arg(long, default_value_t = 12007)]
    port: u16,
    /// Milliseconds to wait for an answer from each address.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// What to send.
    message: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let mut addrs = Vec::new();
    for host in &args.host {
        addrs.extend(netkit::resolve(host, args.port)?);
    }
    let wait = Duration::from_millis(args.timeout_ms);
    for addr in addrs {
        match attempt(addr, args.message.as_bytes(), wait)? {
            Outcome::Answered(reply) => {
                let text = netkit::escape(&String::from_utf8_lossy(&reply));
                println!("{addr}: answered: {text}");
                return Ok(());
            }
            Outcome::Refused => println!("{addr}: refused (nothing listens there)"),
            Outcome::TimedOut => println!("{addr}: no answer within {} ms", args.timeout_ms),
        }
    }
    Err(netkit::Fatal::new("no address answered"))
}
