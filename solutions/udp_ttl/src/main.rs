//! `udp_ttl`: send a datagram with the TTL you choose, or listen and print the TTL each
//! datagram arrived with. This file is complete; your part is in `src/lib.rs`.

use std::net::UdpSocket;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use udp_ttl::{recv_with_ttl, report_ttl, set_ttl};

/// Send UDP datagrams with a chosen TTL, or print the TTL of those that arrive.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Print each datagram that arrives: sender, length, TTL, text.
    Listen {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 12009)]
        port: u16,
        /// Stop after this many datagrams (default: never).
        #[arg(long)]
        count: Option<u64>,
    },
    /// Send one datagram with TTL `--ttl`.
    Send {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 12009)]
        port: u16,
        /// The TTL (IPv6: hop limit) the datagram leaves with, 1 to 255.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u8).range(1..))]
        ttl: u8,
        /// What to send.
        message: String,
    },
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(match args.command {
        Mode::Listen { host, port, count } => listen(&host, port, count),
        Mode::Send {
            host,
            port,
            ttl,
            message,
        } => send(&host, port, ttl, &message),
    })
}

fn listen(host: &str, port: u16, count: Option<u64>) -> netkit::Result<()> {
    let addr = netkit::resolve_one(host, port)?;
    let socket = netkit::udp_bind(addr)?;
    report_ttl(&socket)?;
    netkit::announce(socket.local_addr()?);
    let mut buf = vec![0u8; 65536];
    let mut seen = 0;
    while count.is_none_or(|c| seen < c) {
        let (n, from, ttl) = recv_with_ttl(&socket, &mut buf)?;
        let ttl = ttl.map_or("unknown".to_owned(), |t| t.to_string());
        let text = netkit::escape(&String::from_utf8_lossy(&buf[..n]));
        println!("from {from}: {n} bytes, ttl {ttl}: {text}");
        seen += 1;
    }
    Ok(())
}

fn send(host: &str, port: u16, ttl: u8, message: &str) -> netkit::Result<()> {
    let to = netkit::resolve_one(host, port)?;
    let local = if to.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" };
    let socket = UdpSocket::bind(local)?;
    set_ttl(&socket, ttl)?;
    socket.send_to(message.as_bytes(), to)?;
    println!("sent {} bytes to {to} with ttl {ttl}", message.len());
    Ok(())
}
