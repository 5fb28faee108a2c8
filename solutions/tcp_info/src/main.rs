//! `tcp_info`: send bytes through a TCP echo server, then print what the kernel's TCP did
//! for the connection (round trip, timeout, window, retransmissions, bytes acknowledged).
//! This file is complete; your part is `echo` and `tcp_stats` in `src/lib.rs`.

use std::io::BufRead;
use std::net::TcpStream;
use std::process::ExitCode;

use clap::Parser;
use tcp_info::{echo, state_name, tcp_stats};

/// Send bytes through a TCP echo server and report TCP's own numbers for the connection.
#[derive(Parser)]
struct Args {
    /// The echo server.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Its port.
    #[arg(long, default_value_t = 12007)]
    port: u16,
    /// How many bytes to send (and get back).
    #[arg(long, default_value_t = 100_000)]
    bytes: usize,
    /// Keep the connection open after the report until stdin ends (or gives a line), so
    /// that `ss -ti` can look at the same socket.
    #[arg(long)]
    hold: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let server = netkit::resolve_one(&args.host, args.port)?;
    let stream = TcpStream::connect(server).map_err(|e| netkit::connect_error(e, server))?;
    let local = stream.local_addr()?;
    println!("connected {local} -> {server}");
    // Bytes that change from one position to the next, so that a lost or reordered piece
    // of the echo would show.
    let data: Vec<u8> = (0..args.bytes).map(|i| (i % 251) as u8).collect();
    let back = echo(&stream, &data)?;
    if back != data {
        return Err(netkit::Fatal::new("the echo differs from what was sent"));
    }
    println!("echoed {} bytes", back.len());
    let s = tcp_stats(&stream)?;
    println!("state {}", state_name(s.state));
    println!(
        "rtt {:.3} ms (variation {:.3} ms), rto {:.3} ms",
        f64::from(s.rtt_us) / 1000.0,
        f64::from(s.rttvar_us) / 1000.0,
        f64::from(s.rto_us) / 1000.0
    );
    println!("cwnd {} segments of {} bytes", s.cwnd, s.mss);
    println!(
        "bytes acked {}, received {}",
        s.bytes_acked, s.bytes_received
    );
    println!(
        "segments out {}, in {}, retransmitted {}",
        s.segs_out, s.segs_in, s.total_retrans
    );
    if args.hold {
        println!("holding the connection open until stdin ends");
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
    }
    Ok(())
}
