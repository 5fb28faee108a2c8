//! showip.c in Rust: print every address getaddrinfo finds for a host.
//!
//! The C program asks for stream sockets of any family and prints one line per
//! result, `IPv4: 93.184.215.14` or `IPv6: 2606:2800:21f:cb07:6820:80da:af6b:8b2c`.
//! The flags add the hints a student wants to try next: one family only, the
//! wildcard address a server binds to (`--passive`), the canonical name, a service
//! to turn into a port.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use netkit::Fatal;
use showip::{Family, Hints, SockType, getaddrinfo, socktype_name};

/// Show the IP addresses of a host, as getaddrinfo returns them.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Host name or address to look up; leave it out to see what NULL gives (with no
    /// --service either: NULL and service 0 with AI_PASSIVE, the wildcard addresses).
    hostname: Option<String>,
    /// Address family: 4 (AF_INET), 6 (AF_INET6) or any (AF_UNSPEC).
    #[arg(long, default_value = "any")]
    family: FamilyArg,
    /// Socket type the addresses are for; `any` shows one line per type.
    #[arg(long, default_value = "stream")]
    socktype: SockTypeArg,
    /// Set AI_PASSIVE: with no hostname, the wildcard address a server binds to.
    #[arg(long)]
    passive: bool,
    /// Set AI_CANONNAME and print the canonical name.
    #[arg(long)]
    canonical: bool,
    /// A service name or port number (`http`, `3490`); the ports are printed too.
    #[arg(long)]
    service: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FamilyArg {
    #[value(name = "4")]
    V4,
    #[value(name = "6")]
    V6,
    Any,
}

#[derive(Clone, Copy, ValueEnum)]
enum SockTypeArg {
    Stream,
    Dgram,
    Any,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: run
    // memset(&hints, 0, sizeof hints); hints.ai_family = AF_UNSPEC;
    // hints.ai_socktype = SOCK_STREAM;  (and the flags the command line adds)
    let hints = Hints {
        family: match args.family {
            FamilyArg::V4 => Family::V4,
            FamilyArg::V6 => Family::V6,
            FamilyArg::Any => Family::Any,
        },
        socktype: match args.socktype {
            SockTypeArg::Stream => SockType::Stream,
            SockTypeArg::Dgram => SockType::Datagram,
            SockTypeArg::Any => SockType::Any,
        },
        passive: args.passive,
        canonical: args.canonical,
        numeric_host: false,
    };
    let host = args.hostname.as_deref();
    let shown = host.unwrap_or("NULL");
    // getaddrinfo(NULL, NULL, ...) is an error (EAI_NONAME): it needs a node or a
    // service. With neither, ask what a server binds to: NULL, service "0",
    // AI_PASSIVE (Beej's servers' call, with any port).
    let (service, hints) = match (host, args.service.as_deref()) {
        (None, None) => (
            Some("0"),
            Hints {
                passive: true,
                ..hints
            },
        ),
        (_, service) => (service, hints),
    };
    // if ((status = getaddrinfo(argv[1], NULL, &hints, &res)) != 0) {
    //     fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(status));
    let found = getaddrinfo(host, service, &hints)
        .map_err(|err| Fatal::new(format!("getaddrinfo {shown}: {err}")))?;

    // printf("IP addresses for %s:\n\n", argv[1]);
    println!("IP addresses for {shown}:\n");
    if let Some(name) = found.first().and_then(|first| first.canonical.as_deref()) {
        println!("  canonical name: {name}");
    }
    // for (p = res; p != NULL; p = p->ai_next) { ... inet_ntop(...); printf(...) }
    for info in &found {
        let mut line = format!("  {}: {}", info.ip_version(), info.addr.ip());
        if args.service.is_some() {
            line += &format!(" port {}", info.addr.port());
        }
        if matches!(args.socktype, SockTypeArg::Any) {
            line += &format!(" ({})", socktype_name(info.socktype));
        }
        println!("{line}");
    }
    // freeaddrinfo(res): done inside getaddrinfo's wrapper, before it returned.
    Ok(())
    // ANCHOR_END: run
}
