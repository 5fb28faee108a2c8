//! `whoami_server`: tells each client who it is and which of the server's addresses it
//! reached, then closes. This file is complete; your part is in `src/lib.rs`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use whoami_server::{greeting, listen};

/// A TCP server that tells each client both ends of its connection.
#[derive(Parser)]
struct Args {
    /// Address to listen on (`0.0.0.0` for every IPv4 address, `::` for every address).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 12010)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = listen(addr).map_err(|e| netkit::bind_error(e, addr))?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = netkit::AcceptBackoff::new();
    loop {
        let (mut conn, peer) = netkit::accept_patiently(&listener, &mut backoff);
        // One short line, then close: a client that never reads cannot hold us for long.
        let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
        match greeting(&conn) {
            Ok(line) => {
                let _ = conn.write_all(line.as_bytes());
                eprint!("{line}");
            }
            Err(e) => eprintln!("{peer}: {e}"),
        }
    }
}
