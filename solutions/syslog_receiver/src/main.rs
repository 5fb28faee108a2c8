//! A syslog receiver over UDP, after Real World Haskell's chapter 27: one datagram per
//! message, one line per message on stdout; SIGINT and SIGTERM end it at once, with status
//! 0. This file is complete; your part is in `src/lib.rs`.

use std::io::{self, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::{Ready, Signal, Signals};
use syslog_receiver::render;

/// Receive syslog messages over UDP and print them, one per line, PRI decoded.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port; the real syslog port, 514, needs root).
    #[arg(long, default_value_t = 1514)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // socket(AF_INET, SOCK_DGRAM, 0) + bind().
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let socket = netkit::udp_bind(addr)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    // Non-blocking: poll() may report a datagram that recvfrom then drops (a bad
    // checksum), and the loop must go back to poll, not hang in recvfrom.
    socket.set_nonblocking(true)?;
    netkit::announce(socket.local_addr()?);
    // The largest UDP payload there is: no datagram is ever cut short.
    let mut buf = vec![0u8; 65_536];
    loop {
        // poll() on the socket and the signal pipe: a message, or the end?
        if let Ready::Signals(arrived) = netkit::wait_readable(&socket, &signals)? {
            eprintln!("{}: stopping", arrived[0]);
            return Ok(());
        }
        // recvfrom(): one datagram is one message, and says who sent it.
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // No sender can make recvfrom fail; the system might (short of memory):
                // say so, pause a moment, and go on.
                eprintln!("recvfrom failed: {e}");
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let (line, valid) = render(&peer.to_string(), &buf[..n]);
        if !valid {
            eprintln!("{peer}: no valid <PRI>; shown as user.notice (RFC 3164, 4.3.3)");
        }
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
