//! A UDP echo server: every datagram goes back to its sender unchanged.
//!
//! The same loop as udp_upper_server without the uppercasing. It is the other half of a
//! lesson about boundaries: one datagram received is one datagram sent back, with exactly
//! its size, whatever else arrives around it.

use std::io::ErrorKind;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;

/// Room for the largest datagram UDP can carry (65,527 bytes over IPv6), with bytes to spare.
const BUFFER: usize = 65_536;

/// Send every datagram back to whoever sent it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12007)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(AF_INET, SOCK_DGRAM, 0) + bind()
    let socket = netkit::udp_bind(addr)?;
    netkit::announce(socket.local_addr()?);

    // ANCHOR: loop
    let mut buf = vec![0u8; BUFFER];
    loop {
        // recvfrom(): one datagram, whole, and its sender.
        let (n, client) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) => {
                if e.kind() != ErrorKind::Interrupted {
                    eprintln!("recvfrom failed: {e}");
                    thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
        };
        // sendto(): one datagram back, of exactly the size that came in.
        match socket.send_to(&buf[..n], client) {
            Ok(_) => eprintln!("{client}: echoed {n} bytes"),
            Err(e) => eprintln!("{client}: cannot reply: {e}"),
        }
    }
    // ANCHOR_END: loop
}
