//! UDPClient.py in Rust: each line of input goes to the uppercase server as one datagram,
//! and the datagram that comes back is printed. This file is complete; your part is
//! `open` and `exchange` in `src/lib.rs`.

use std::io::{self, BufRead, Read};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use udp_upper_client::{Failure, exchange, open};

/// Send each line of stdin to a UDP uppercase server and print the replies.
#[derive(Parser)]
struct Args {
    /// Server to send to.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds to wait for each reply (fractions allowed, e.g. 0.5).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
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
    let timeout = Duration::from_secs_f64(args.timeout);
    let server = netkit::resolve_one(&args.host, args.port)?;
    let socket = open(server, timeout)
        .map_err(|e| Fatal::new(format!("cannot make a UDP socket for {server}: {e}")))?;
    // The most one datagram can carry: 65,535 bytes less the IP and UDP headers.
    let limit = if server.is_ipv4() { 65_507 } else { 65_527 };
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut stdin = io::stdin().lock().take(limit as u64 + 2);
        if stdin.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let sentence = line.strip_suffix(b"\n").unwrap_or(&line);
        if sentence.len() > limit {
            return Err(Fatal::new(format!(
                "a line of more than {limit} bytes does not fit in one datagram"
            )));
        }
        let reply = exchange(&socket, sentence).map_err(|failure| match failure {
            Failure::NoReply => Fatal::new(format!(
                "no reply from {server} within {} s: the datagram or its reply was lost, \
                 or no server is running there (try --timeout)",
                args.timeout
            )),
            Failure::Refused => Fatal::new(format!(
                "nothing is listening on {server}; start the server first, or check --host and --port"
            )),
            Failure::Io(e) => Fatal::new(format!("talking to {server} failed: {e}")),
        })?;
        println!("From Server: {}", String::from_utf8_lossy(&reply));
    }
}
