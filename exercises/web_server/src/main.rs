//! The Kurose web-server assignment: serve the files of one folder over HTTP. This file
//! is complete; your part is `respond` in `src/lib.rs`.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::AcceptBackoff;
use web_server::{read_head, respond};

/// Serve the files under --root over HTTP.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 6789)]
    port: u16,
    /// The folder to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let root = Arc::new(args.root);
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    let mut backoff = AcceptBackoff::new();
    loop {
        let (conn, peer) = netkit::accept_patiently(&listener, &mut backoff);
        let root = Arc::clone(&root);
        let spawned = thread::Builder::new().spawn(move || {
            if let Err(e) = serve(conn, &root) {
                eprintln!("{peer}: {e}");
            }
        });
        if let Err(e) = spawned {
            eprintln!("cannot start a thread for {peer}: {e}");
        }
    }
}

/// One request, one response, then the connection closes.
fn serve(mut conn: TcpStream, root: &Path) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    conn.set_write_timeout(Some(Duration::from_secs(10)))?;
    let response = match read_head(&mut conn)? {
        Some(head) => respond(&head, root),
        None => {
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    conn.write_all(&response)
}
