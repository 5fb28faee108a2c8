//! TCPClient.py in Rust: send each line of input to the uppercase server, print the reply.
//!
//! This file is complete; your part is `exchange` in `src/lib.rs`.

use std::io::{self, BufRead};
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use tcp_upper_client::{connect_any, exchange};

/// Send each line of stdin to an uppercase server and print the replies.
#[derive(Parser)]
struct Args {
    /// Server to connect to.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addrs = netkit::resolve(&args.host, args.port)?;
    let mut stream = connect_any(&addrs)?;
    let mut line = Vec::new();
    let stdin = io::stdin();
    loop {
        line.clear();
        if stdin.lock().read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let sentence = line.strip_suffix(b"\n").unwrap_or(&line);
        let reply = exchange(&mut stream, sentence)
            .map_err(|e| Fatal::new(format!("talking to the server failed: {e}")))?;
        println!("From Server: {}", String::from_utf8_lossy(&reply));
    }
}
