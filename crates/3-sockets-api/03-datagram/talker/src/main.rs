//! talker.c in Rust: send one UDP datagram to a host and say how many bytes went.
//!
//! No connection is made: sendto hands the kernel a datagram and an address, and
//! returns. Whether anyone receives it, the talker never learns.

use std::net::UdpSocket;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use showip::{Hints, SockType, getaddrinfo};

/// Send MESSAGE as one UDP datagram to the listener: `talker [HOST] MESSAGE`.
#[derive(Parser)]
#[command(version, allow_missing_positional = true)]
struct Args {
    /// Host to send to, as Beej's `talker HOST MESSAGE` takes it (the same as --host).
    #[arg(value_name = "HOST", conflicts_with = "host")]
    host_arg: Option<String>,
    /// Host to send to.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// UDP port to send to.
    #[arg(long, default_value_t = 4950)]
    port: u16,
    /// The message: the whole datagram.
    message: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(mut args: Args) -> netkit::Result<()> {
    if let Some(host) = args.host_arg.take() {
        args.host = host;
    }
    // ANCHOR: run
    // hints.ai_family = AF_UNSPEC; hints.ai_socktype = SOCK_DGRAM;
    // getaddrinfo(argv[1], SERVERPORT, &hints, &servinfo)
    let hints = Hints {
        socktype: SockType::Datagram,
        ..Hints::default()
    };
    let port = args.port.to_string();
    let found = getaddrinfo(Some(&args.host), Some(&port), &hints)
        .map_err(|e| Fatal::new(format!("getaddrinfo {}: {e}", args.host)))?;

    // loop through all the results and make a socket: socket(p->ai_family, ...).
    // Binding to port 0 is what sendto does implicitly on a fresh socket.
    let mut made = None;
    for candidate in &found {
        let local = if candidate.addr.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        if let Ok(socket) = UdpSocket::bind(local) {
            made = Some((socket, candidate.addr));
            break;
        }
    }
    // if (p == NULL) {
    //     fprintf(stderr, "talker: failed to create socket\n"); return 2; }
    let (socket, to) = made.ok_or_else(|| Fatal::new("failed to create socket"))?;

    // numbytes = sendto(sockfd, argv[2], strlen(argv[2]), 0,
    //                   p->ai_addr, p->ai_addrlen)
    let numbytes = socket
        .send_to(args.message.as_bytes(), to)
        .map_err(|e| Fatal::new(format!("sendto {to}: {e}")))?;
    // printf("talker: sent %d bytes to %s\n", numbytes, argv[1]);
    println!("talker: sent {numbytes} bytes to {}", args.host);
    // close(sockfd)
    Ok(())
    // ANCHOR_END: run
}
