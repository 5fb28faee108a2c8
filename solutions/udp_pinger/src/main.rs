//! The Kurose UDP pinger client. This file is complete; your part is `ping_all` in
//! `src/lib.rs`.

use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use udp_pinger::{ping_all, summary};

/// Ping a UDP echo server and report round-trip times and loss.
#[derive(Parser)]
struct Args {
    /// Server to ping.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12002)]
    port: u16,
    /// How many pings.
    #[arg(long, default_value_t = 10)]
    count: u32,
    /// Milliseconds to wait for each reply.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let server = netkit::resolve_one(&args.host, args.port)?;
    let local = if server.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    let rtts = ping_all(&socket, args.count, Duration::from_millis(args.timeout_ms))?;
    for (i, rtt) in rtts.iter().enumerate() {
        match rtt {
            Some(rtt) => println!(
                "ping {}: reply in {:.3} ms",
                i + 1,
                rtt.as_secs_f64() * 1000.0
            ),
            None => println!("ping {}: timed out", i + 1),
        }
    }
    println!("{}", summary(&rtts));
    Ok(())
}
