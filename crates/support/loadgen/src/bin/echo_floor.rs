//! The floor to compare against: the smallest blocking echo server there is. One thread per
//! connection, `read` then `write` of whatever arrived, nothing else: no uppercasing, no
//! logging, no shutdown handling. loadgen's one-client latency against this server is
//! about what the kernel's loopback path costs; the uppercase servers are measured beside
//! it (`loadgen --expect echo --port PORT`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;

/// A minimal echo server, as a baseline for loadgen.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
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
    let listener: TcpListener = netkit::tcp_listen(netkit::resolve_one(&args.host, args.port)?)?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = netkit::AcceptBackoff::new();
    loop {
        let (conn, _) = netkit::accept_patiently(&listener, &mut backoff);
        let _ = thread::Builder::new().spawn(move || echo(conn));
    }
}

fn echo(mut conn: TcpStream) {
    let idle = Some(Duration::from_secs(30));
    if conn.set_read_timeout(idle).is_err() || conn.set_write_timeout(idle).is_err() {
        return;
    }
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = conn.read(&mut buf) {
        if conn.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}
