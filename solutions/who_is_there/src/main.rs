//! Answer `host`, `peer` and `local` for each client, one client at a time. This file is
//! complete; your part is `answer` in `src/lib.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::AcceptBackoff;
use who_is_there::answer;

/// Tell each client the machine's name, its own address and the server's.
#[derive(Parser)]
struct Args {
    /// Address to listen on (0.0.0.0: every IPv4 address of the machine).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 3490)]
    port: u16,
}

/// The longest question line read.
const LINE: u64 = 100;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = AcceptBackoff::new();
    loop {
        // accept() hands back the client's address too; we ask the socket instead.
        let conn = match listener.accept() {
            Ok((conn, _)) => conn,
            Err(e) => {
                backoff.failed(&e);
                continue;
            }
        };
        backoff.succeeded();
        if let Err(e) = serve(conn) {
            eprintln!("a client: {e}");
        }
    }
}

/// Answers each line of one client until it closes, stalls for 5 s or sends a line too
/// long.
fn serve(conn: TcpStream) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    conn.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    let mut line = String::new();
    loop {
        line.clear();
        if (&mut reader).take(LINE).read_line(&mut line)? == 0 {
            return Ok(());
        }
        if !line.ends_with('\n') && line.len() as u64 >= LINE {
            writeln!(writer, "error: a question is one short line")?;
            return Ok(());
        }
        let reply = answer(&writer, line.trim_end_matches(['\r', '\n']))?;
        writeln!(writer, "{reply}")?;
    }
}
