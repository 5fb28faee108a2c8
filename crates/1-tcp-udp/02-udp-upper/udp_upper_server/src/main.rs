//! UDPServer.py in Rust: the lecture's UDP server.
//!
//! There is no connection and no accept: one socket receives every client's datagrams.
//! Each datagram comes with the address of its sender, and the reply goes to that address.
//! One datagram in, one datagram out; the server keeps no memory of who wrote before.

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;

/// The largest datagram the server can receive in one piece. No UDP datagram carries more
/// than 65,507 bytes over IPv4 (65,527 over IPv6), so nothing is ever cut short.
const BUFFER: usize = 65_536;

/// Uppercase each datagram and send it back to whoever sent it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: bind
    // getaddrinfo(): --host and --port become a socket address.
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket(AF_INET, SOCK_DGRAM, 0) + bind()
    //                           serverSocket = socket(AF_INET, SOCK_DGRAM)
    //                           serverSocket.bind(('', serverPort))
    let socket = UdpSocket::bind(addr).map_err(|e| netkit::bind_error(e, addr))?;
    // No listen(), no accept(): datagrams can arrive from now on.
    // print('The server is ready to receive'), with the address really bound.
    netkit::announce(socket.local_addr()?);
    // ANCHOR_END: bind

    // ANCHOR: loop
    let mut buf = vec![0u8; BUFFER];
    loop {
        // recvfrom(): one whole datagram, and who sent it.
        //                           message, clientAddress = serverSocket.recvfrom(2048)
        let (n, client) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) => {
                // Nothing a client sends can make recvfrom fail; if it fails anyway
                // (a signal, the system short of memory), say so and try again shortly.
                if e.kind() != ErrorKind::Interrupted {
                    eprintln!("recvfrom failed: {e}");
                    thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
        };
        // modifiedMessage = message.decode().upper(), on bytes: only a-z change.
        let reply = &mut buf[..n];
        reply.make_ascii_uppercase();
        // sendto(): the reply goes to the address the datagram came from.
        //                           serverSocket.sendto(modifiedMessage.encode(), clientAddress)
        match socket.send_to(reply, client) {
            Ok(_) => eprintln!("{client}: {n} bytes"),
            // The client may be gone already; that costs this reply only.
            Err(e) => eprintln!("{client}: cannot reply: {e}"),
        }
    }
    // ANCHOR_END: loop
}
