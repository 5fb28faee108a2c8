//! broadcaster.c in Rust: send one UDP datagram to a broadcast address.
//!
//! A datagram sent to a network's broadcast address (10.0.0.255 on 10.0.0.0/24) or
//! to 255.255.255.255 reaches every host on that network. Because one mistyped
//! address could then flood a whole network, the kernel refuses such a sendto with
//! EACCES unless the socket has said it means it: setsockopt(SO_BROADCAST).

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use showip::{Family, Hints, SockType, getaddrinfo};

/// Send MESSAGE as one UDP datagram to a broadcast address.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The broadcast address: your network's (see `ip addr`, after "brd") or
    /// 255.255.255.255.
    #[arg(long)]
    host: String,
    /// UDP port to send to (the listener's).
    #[arg(long, default_value_t = 4950)]
    port: u16,
    /// Leave SO_BROADCAST off, to see the kernel refuse the datagram.
    #[arg(long)]
    without_so_broadcast: bool,
    /// The message: the whole datagram.
    message: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: run
    // he = gethostbyname(argv[1]): IPv4 only, since IPv6 has no broadcast at all.
    let hints = Hints {
        family: Family::V4,
        socktype: SockType::Datagram,
        ..Hints::default()
    };
    let port = args.port.to_string();
    let found = getaddrinfo(Some(&args.host), Some(&port), &hints)
        .map_err(|e| Fatal::new(format!("getaddrinfo {}: {e}", args.host)))?;
    let their_addr = found[0].addr;

    // sockfd = socket(AF_INET, SOCK_DGRAM, 0)
    let socket = UdpSocket::bind("0.0.0.0:0")?;
    // setsockopt(sockfd, SOL_SOCKET, SO_BROADCAST, &broadcast, sizeof broadcast)
    if !args.without_so_broadcast {
        socket.set_broadcast(true)?;
    }

    // numbytes = sendto(sockfd, argv[2], strlen(argv[2]), 0,
    //                   (struct sockaddr *)&their_addr, sizeof their_addr)
    let numbytes = socket
        .send_to(args.message.as_bytes(), their_addr)
        .map_err(|e| match e.kind() {
            ErrorKind::PermissionDenied => {
                let why = "a broadcast address needs SO_BROADCAST on the socket";
                Fatal::new(format!("sendto {their_addr}: {e}; {why}"))
            }
            _ => Fatal::new(format!("sendto {their_addr}: {e}")),
        })?;
    // printf("sent %d bytes to %s\n", numbytes, inet_ntoa(their_addr.sin_addr));
    println!("sent {numbytes} bytes to {}", their_addr.ip());
    Ok(())
    // ANCHOR_END: run
}
