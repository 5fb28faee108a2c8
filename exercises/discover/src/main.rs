//! Ask everyone on the network at once, and list who answers. This file is complete; your
//! part is `discover` in `src/lib.rs`.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use discover::discover;
use netkit::Fatal;

/// Broadcast a question to a UDP port and list every host that answers.
#[derive(Parser)]
struct Args {
    /// The broadcast address (127.255.255.255 is loopback's; `ip addr` shows others
    /// after `brd`).
    #[arg(long, default_value = "127.255.255.255")]
    broadcast: Ipv4Addr,
    /// The UDP port the servers listen on.
    #[arg(long, default_value_t = 4950)]
    port: u16,
    /// Milliseconds to wait for replies.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    wait_ms: u64,
    /// The question to send.
    #[arg(long, default_value = "who is there?")]
    question: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let to = SocketAddrV4::new(args.broadcast, args.port);
    let heard = discover(
        to,
        args.question.as_bytes(),
        Duration::from_millis(args.wait_ms),
        &mut io::stdout(),
    )
    .map_err(|e| match e.kind() {
        io::ErrorKind::PermissionDenied => Fatal::new(format!(
            "sendto {to}: {e}; a broadcast address needs SO_BROADCAST on the socket"
        )),
        _ => Fatal::new(format!("asking {to}: {e}")),
    })?;
    println!("{} responder(s)", heard.len());
    Ok(())
}
