//! client.c in Rust: connect to the stream server and print what it sends.
//!
//! getaddrinfo may return several addresses for one host (IPv6 and IPv4, several
//! interfaces); the client tries each in turn and keeps the first that connects.

use std::io::Read;
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use showip::{Hints, getaddrinfo};

/// Connect to stream_server and print what it sends.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Server to connect to, as Beej's `client HOST` takes it (the same as --host).
    #[arg(value_name = "HOST", conflicts_with = "host")]
    host_arg: Option<String>,
    /// Server to connect to; without it, getaddrinfo(NULL) gives the loopback
    /// addresses (IPv6 and IPv4) and the client tries each.
    #[arg(long)]
    host: Option<String>,
    /// Server port.
    #[arg(long, default_value_t = 3490)]
    port: u16,
}

/// The most the client reads (client.c's MAXDATASIZE, less one for the C string's
/// NUL).
const MAXDATASIZE: usize = 100;
/// How long connect and recv may wait before the client gives up.
const PATIENCE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(mut args: Args) -> netkit::Result<()> {
    args.host = args.host_arg.take().or(args.host);
    // ANCHOR: connect
    // hints.ai_family = AF_UNSPEC; hints.ai_socktype = SOCK_STREAM;
    // getaddrinfo(argv[1], PORT, &hints, &servinfo)
    let host = args.host.as_deref();
    let (shown, port) = (host.unwrap_or("NULL"), args.port.to_string());
    let found = getaddrinfo(host, Some(&port), &Hints::default())
        .map_err(|e| Fatal::new(format!("getaddrinfo {shown}: {e}")))?;

    // loop through all the results and connect to the first we can
    let mut connected = None;
    let mut last_failure = None;
    for (i, candidate) in found.iter().enumerate() {
        // sockfd = socket(...); connect(sockfd, p->ai_addr, p->ai_addrlen)
        match TcpStream::connect_timeout(&candidate.addr, PATIENCE) {
            Ok(stream) => {
                connected = Some((stream, candidate.addr));
                break;
            }
            Err(e) => {
                // perror("client: connect"), and on to the next address, if any.
                if i + 1 < found.len() {
                    eprintln!(
                        "client: connect {}: {e}; trying the next address",
                        candidate.addr
                    );
                }
                last_failure = Some((e, candidate.addr));
            }
        }
    }
    // if (p == NULL) { fprintf(stderr, "client: failed to connect\n"); return 2; }
    let (mut stream, addr) = match (connected, last_failure) {
        (Some(connected), _) => connected,
        (None, Some((err, addr))) => return Err(netkit::connect_error(err, addr)),
        (None, None) => return Err(Fatal::new("getaddrinfo found no address")),
    };
    // inet_ntop(...); printf("client: connecting to %s\n", s);
    println!("client: connecting to {}", addr.ip());
    // ANCHOR_END: connect

    // ANCHOR: recv
    // numbytes = recv(sockfd, buf, MAXDATASIZE-1, 0): client.c reads once
    // and trusts the whole greeting to be there. TCP promises no such thing,
    // so we read until the server closes (it does, right after sending) or
    // the buffer is full.
    stream.set_read_timeout(Some(PATIENCE))?;
    let mut buf = Vec::with_capacity(MAXDATASIZE - 1);
    (&mut stream)
        .take(MAXDATASIZE as u64 - 1)
        .read_to_end(&mut buf)
        .map_err(|e| Fatal::new(format!("client: recv from {addr}: {e}")))?;
    // buf[numbytes] = '\0'; printf("client: received '%s'\n", buf);
    println!("client: received '{}'", String::from_utf8_lossy(&buf));
    // close(sockfd): when `stream` drops.
    Ok(())
    // ANCHOR_END: recv
}
