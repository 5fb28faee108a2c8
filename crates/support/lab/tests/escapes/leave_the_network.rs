//! Attack: get out on the network. Replaces `http_client`'s `src/main.rs`.
//!
//! It connects to this machine through its own address (not loopback), then through
//! loopback to a port the machine is listening on, and takes that port for itself. It
//! prints what happened on stdout and stderr. `@HOST@` (one of this machine's own
//! addresses) and `@PORT@` (a port a program of the machine listens on, in
//! `tests/escapes.rs`) are filled in by the test.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

const HOST: &str = "@HOST@";
const PORT: &str = "@PORT@";

fn main() {
    let port: u16 = PORT.parse().unwrap();
    let mut said = Vec::new();
    for host in [HOST, "127.0.0.1"] {
        let addr = SocketAddr::new(host.parse().unwrap(), port);
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(_) => said.push(format!("NET connect {addr}: connected")),
            Err(e) => said.push(format!("NET connect {addr}: {e}")),
        }
    }
    // Each bind on its own (the first would stand in the second's way), the last kept.
    let mut taken = None;
    for host in ["127.0.0.1", "0.0.0.0"] {
        drop(taken.take());
        match TcpListener::bind((host, port)) {
            Ok(listener) => {
                said.push(format!("NET bind {host}:{port}: bound"));
                taken = Some(listener);
            }
            Err(e) => said.push(format!("NET bind {host}:{port}: {e}")),
        }
    }
    for line in &said {
        println!("{line}");
        eprintln!("{line}");
    }
    // Hold the port a moment, as a squatter would.
    std::thread::sleep(Duration::from_millis(300));
    hang_up();
    std::process::exit(1);
}

/// Connects to the test's server (`--port N`, or the port of an `http://` URL among the
/// arguments) and hangs up at once, so that the test goes on to show what was printed
/// instead of waiting for a client that never comes.
fn hang_up() {
    let args: Vec<String> = std::env::args().collect();
    for (i, arg) in args.iter().enumerate() {
        let port = if arg == "--port" {
            args.get(i + 1).and_then(|p| p.parse::<u16>().ok())
        } else {
            arg.strip_prefix("http://")
                .and_then(|rest| rest.split('/').next()?.rsplit(':').next()?.parse().ok())
        };
        if let Some(port) = port {
            let _ = std::net::TcpStream::connect(("127.0.0.1", port));
        }
    }
}
