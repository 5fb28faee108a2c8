//! Beej's showip.c: every address a host name stands for. This file is complete; your
//! part is `lookup` in `src/lib.rs`.

use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use showip::{Family, lookup};

/// Show the IP addresses of a host.
#[derive(Parser)]
struct Args {
    /// Host name or address.
    host: String,
    /// IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// IPv6 addresses only.
    #[arg(short = '6')]
    ipv6: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let family = match (args.ipv4, args.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    let addrs = lookup(&args.host, family)
        .map_err(|e| Fatal::new(format!("cannot look up {}: {e}", args.host)))?;
    println!("IP addresses for {}:\n", args.host);
    for addr in addrs {
        let version = match addr {
            IpAddr::V4(_) => "IPv4",
            IpAddr::V6(_) => "IPv6",
        };
        println!("  {version}: {addr}");
    }
    Ok(())
}
