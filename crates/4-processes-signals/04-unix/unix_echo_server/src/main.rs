//! echos.c in Rust: an echo server on a Unix domain socket.
//!
//! The same calls as a TCP server (socket, bind, listen, accept, recv, send), with
//! an address that is a path in the file system instead of an IP address and a
//! port. Only processes on this machine can connect, and the file's permissions say
//! which.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, Fatal};
use unix_echo_server::{
    RemoveOnDrop, Woken, catch_stop_signals, prepare_path, serve, stop_requested, wait_readable,
};

/// Echo back everything each client sends, over an AF_UNIX stream socket.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Path of the socket file (echos.c's SOCK_PATH).
    #[arg(long, default_value = "echo_socket")]
    path: PathBuf,
    /// Seconds a client may stay silent before it is dropped.
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
}

/// How long a connected client may go on after SIGINT/SIGTERM.
const GRACE: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // Block SIGINT/SIGTERM first: from here on they can only end a wait (see lib.rs).
    let waiting_mask = catch_stop_signals()?;

    // ANCHOR: bind
    // unlink(local.sun_path), done with care: only a socket file nobody answers on.
    prepare_path(&args.path)?;
    // s = socket(AF_UNIX, SOCK_STREAM, 0); strcpy(local.sun_path, SOCK_PATH);
    // bind(s, (struct sockaddr *)&local, len); listen(s, 5)
    let shown = args.path.display();
    let listener = UnixListener::bind(&args.path)
        .map_err(|e| Fatal::new(format!("cannot listen on {shown}: {e}")))?;
    // From here on, however run() ends, the socket file goes with it.
    let _remove = RemoveOnDrop(args.path.clone());
    println!("listening on {shown}");
    // ANCHOR_END: bind

    // ANCHOR: loop
    let idle = Duration::from_secs(args.idle_timeout);
    let mut backoff = AcceptBackoff::new();
    while !stop_requested() {
        println!("Waiting for a connection...");
        // accept() would block with the stop signals masked; wait where
        // they can arrive.
        match wait_readable(&listener, None, &waiting_mask)? {
            Woken::Readable => {}
            Woken::Signal | Woken::Timeout => continue,
        }
        // s2 = accept(s, (struct sockaddr *)&remote, &len)
        let conn: UnixStream = match listener.accept() {
            Ok((conn, _)) => conn,
            Err(e) => {
                backoff.failed(&e);
                continue;
            }
        };
        backoff.succeeded();
        println!("Connected.");
        match serve(&conn, idle, GRACE, &waiting_mask) {
            Ok(bytes) => eprintln!("client closed after {bytes} bytes"),
            Err(e) => eprintln!("client dropped: {e}"),
        }
        // close(s2): `conn` drops here.
    }
    eprintln!("stopping");
    Ok(())
    // ANCHOR_END: loop
}
