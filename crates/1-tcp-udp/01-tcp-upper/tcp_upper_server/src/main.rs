//! TCPServer.py in Rust: the lecture's iterative TCP server.
//!
//! One client at a time: accept a connection, uppercase everything it sends until it
//! closes, then accept the next. A second client can connect meanwhile (the kernel
//! completes its handshake and queues it), but nobody reads its bytes until the first
//! client is done. Part 2 of the course builds servers that do not make it wait.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::{AcceptBackoff, describe_drop};
use socket2::{Domain, Socket, Type};
use tcp_upper_server::serve_client;

/// Uppercase everything each client sends, one client at a time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds a client may stall before the server drops it and serves the next.
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
}

// ANCHOR: main
fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}
// ANCHOR_END: main

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: listen
    // getaddrinfo(): --host and --port become a socket address.
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(AF_INET, SOCK_STREAM, 0)
    //   Python: serverSocket = socket(AF_INET, SOCK_STREAM)
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // setsockopt(SO_REUSEADDR): a restarted server may bind at once, even while
    // connections of its previous run wait out TIME_WAIT.
    socket.set_reuse_address(true)?;
    // bind()        Python: serverSocket.bind(('', serverPort))
    socket
        .bind(&addr.into())
        .map_err(|e| netkit::bind_error(e, addr))?;
    // listen(): the kernel now completes handshakes and queues them for accept().
    socket.listen(128)?; // Python: serverSocket.listen(1)
    let listener: TcpListener = socket.into();
    // print('The server is ready to receive'), with the address really bound.
    netkit::announce(listener.local_addr()?);
    // ANCHOR_END: listen

    // ANCHOR: accept_loop
    let idle = Duration::from_secs(args.idle_timeout);
    let mut backoff = AcceptBackoff::new();
    loop {
        // accept(): the next queued client, on a new socket of its own.
        //   Python: connectionSocket, addr = serverSocket.accept()
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.failed(&e); // EINTR, ECONNABORTED, EMFILE: wait if needed, go on
                continue;
            }
        };
        backoff.succeeded();
        eprintln!("{peer}: connected");
        // Serve this client to the end. Everyone else waits in the listen queue.
        match serve_client(&conn, idle) {
            Ok(bytes) => eprintln!("{peer}: closed after {bytes} bytes"),
            Err(e) => eprintln!("{peer}: {}", describe_drop(&e, idle)),
        }
        // close(): `conn` goes out of scope here. Python: connectionSocket.close()
    }
    // ANCHOR_END: accept_loop
}
