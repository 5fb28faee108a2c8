//! listener.c in a loop: receive `--count` datagrams from any talkers, answer each, then
//! say what every sender sent. This file is complete; your part is `listen` in
//! `src/lib.rs`.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use udp_listener::listen;

/// Receive UDP datagrams from any number of talkers, answer and count each.
#[derive(Parser)]
struct Args {
    /// Address to listen on (:: hears IPv6 and IPv4 alike).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// UDP port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 4950)]
    port: u16,
    /// How many datagrams to receive before the summary.
    #[arg(long, default_value_t = 10)]
    count: usize,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let socket = netkit::udp_bind(addr)?; // socket() + bind()
    netkit::announce(socket.local_addr()?);
    let tallies = listen(&socket, args.count, &mut io::stdout())?;
    println!("senders: {}", tallies.len());
    for tally in tallies {
        println!(
            "{}: {} datagrams, {} bytes",
            tally.from, tally.datagrams, tally.bytes
        );
    }
    Ok(())
}
