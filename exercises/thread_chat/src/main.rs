//! A chat server with one thread per client. This file is complete; your part is
//! `serve_client` and `broadcast` in `src/lib.rs`.

use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use clap::Parser;
use netkit::AcceptBackoff;
use thread_chat::{Room, serve_client};

/// Relay every line a client sends to every other client.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 9034)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    let room = Arc::new(Room::default());
    let mut backoff = AcceptBackoff::new();
    loop {
        let (conn, peer) = netkit::accept_patiently(&listener, &mut backoff);
        // Joining here, in accept order, means a client hears every line sent after it
        // was accepted.
        let id = match room.join(&conn) {
            Ok(id) => id,
            Err(e) => {
                eprintln!("{peer}: {e}");
                continue;
            }
        };
        let shared = Arc::clone(&room);
        let spawned = thread::Builder::new().spawn(move || {
            if let Err(e) = serve_client(&shared, id, conn) {
                eprintln!("{peer}: {e}");
            }
        });
        if let Err(e) = spawned {
            room.leave(id);
            eprintln!("cannot start a thread for {peer}: {e}");
        }
    }
}
