//! listener.c in Rust: bind a UDP socket, wait for one datagram, say what it was.
//!
//! UDP has no connection and no accept: the socket is bound, and recvfrom returns
//! the next datagram together with the address it came from. The listener takes one
//! and exits.

use std::net::UdpSocket;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use showip::{Hints, SockType, getaddrinfo};

/// Wait for one UDP datagram and print where it came from, its length and its
/// contents.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (:: takes IPv6 and IPv4 alike; 0.0.0.0 IPv4 only).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// UDP port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 4950)]
    port: u16,
}

/// listener.c's MAXBUFLEN: it reads at most one less, to leave room for a C
/// string's NUL.
const MAXBUFLEN: usize = 100;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: bind
    // hints.ai_family = AF_INET6 (or AF_UNSPEC); hints.ai_socktype = SOCK_DGRAM;
    // hints.ai_flags = AI_PASSIVE;  getaddrinfo(NULL, MYPORT, &hints, &servinfo)
    let hints = Hints {
        socktype: SockType::Datagram,
        passive: true,
        ..Hints::default()
    };
    let port = args.port.to_string();
    let found = getaddrinfo(Some(&args.host), Some(&port), &hints)
        .map_err(|e| Fatal::new(format!("getaddrinfo {}: {e}", args.host)))?;

    // loop through all the results and bind to the first we can:
    // sockfd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
    // bind(sockfd, p->ai_addr, p->ai_addrlen)
    let mut socket = None;
    let mut last_failure = None;
    for candidate in &found {
        match UdpSocket::bind(candidate.addr) {
            Ok(bound) => {
                socket = Some(bound);
                break;
            }
            Err(e) => last_failure = Some(netkit::bind_error(e, candidate.addr)),
        }
    }
    // if (p == NULL) {
    //     fprintf(stderr, "listener: failed to bind socket\n"); return 2; }
    let socket = match (socket, last_failure) {
        (Some(socket), _) => socket,
        (None, Some(failure)) => return Err(failure),
        (None, None) => return Err(Fatal::new("getaddrinfo found no address")),
    };
    netkit::announce(socket.local_addr()?);
    // ANCHOR_END: bind

    // ANCHOR: recvfrom
    println!("listener: waiting to recvfrom...");
    // numbytes = recvfrom(sockfd, buf, MAXBUFLEN-1, 0,
    //                     (struct sockaddr *)&their_addr, &addr_len)
    // A datagram longer than the buffer is cut to fit; the rest is lost for good.
    let mut buf = [0u8; MAXBUFLEN - 1];
    let (numbytes, their_addr) = socket.recv_from(&mut buf)?;
    println!("listener: got packet from {}", their_addr.ip());
    println!("listener: packet is {numbytes} bytes long");
    // buf[numbytes] = '\0'; printf("listener: packet contains \"%s\"\n", buf);
    println!(
        "listener: packet contains \"{}\"",
        String::from_utf8_lossy(&buf[..numbytes])
    );
    // close(sockfd): when `socket` drops.
    Ok(())
    // ANCHOR_END: recvfrom
}
