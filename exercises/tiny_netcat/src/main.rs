//! A tiny netcat: connect to HOST PORT (or, with `-l`, wait for one client there), then
//! stdin goes to the peer and what the peer sends goes to stdout, both at once. This file
//! is complete; your part is `relay` in `src/lib.rs`.

use std::io;
use std::net::TcpStream;
use std::process::ExitCode;

use clap::Parser;
use tiny_netcat::relay;

/// Connect (or listen), then copy stdin to the peer and the peer to stdout.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Listen on HOST PORT for one client instead of connecting (PORT 0: any free port;
    /// the address is printed on stderr: `listening on ADDR`).
    #[arg(short = 'l')]
    listen: bool,
    /// At the end of stdin, shut down the sending side (send a FIN).
    #[arg(short = 'N')]
    half_close: bool,
    /// Host to connect to (or address to listen on).
    host: String,
    /// Port.
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let stream = if args.listen {
        // socket(), bind(), listen(), then accept() one client.
        let listener = netkit::tcp_listen(addr)?;
        eprintln!("listening on {}", listener.local_addr()?);
        let (stream, _peer) = listener.accept()?;
        stream
    } else {
        // socket() + connect().
        TcpStream::connect(addr)
            .map_err(|e| netkit::Fatal::new(format!("connect to {addr}: {e}")))?
    };
    relay(stream, io::stdin(), &mut io::stdout(), args.half_close)?;
    Ok(())
}
