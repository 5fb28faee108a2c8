//! The syslog mystery: a UDP client says it sent, the server never hears a thing.
//!
//! The server asks getaddrinfo for its wildcard address and binds the first answer,
//! `0.0.0.0`: IPv4 only. The client asks getaddrinfo for its server's address and
//! sends to the first answer, `::1`: IPv6. sendto succeeds (UDP promises nothing
//! more), and the datagram goes to an IPv6 port where nobody listens.
//!
//! `dualstack server --dual-stack` is the fix: one IPv6 socket on `::` with
//! IPV6_V6ONLY off hears both families, IPv4 senders showing up as
//! `::ffff:127.0.0.1`. `dualstack client --family 4` is the other fix: ask the
//! resolver for IPv4 only.

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use netkit::Fatal;
use showip::{Family, Hints, SockType, getaddrinfo};
use socket2::{Domain, Socket, Type};

/// The syslog IPv4/IPv6 mystery, and its fix.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every datagram that arrives.
    Server {
        /// Address to bind (default: getaddrinfo(NULL)'s first wildcard, or :: with
        /// --dual-stack).
        #[arg(long)]
        host: Option<String>,
        /// UDP port to bind (0 picks any free port).
        #[arg(long, default_value_t = 1514)]
        port: u16,
        /// The fix: one IPv6 socket with IPV6_V6ONLY off, for IPv6 and IPv4 alike.
        #[arg(long)]
        dual_stack: bool,
    },
    /// Send one datagram to the first address the resolver gives.
    Client {
        /// Host to resolve; without it, getaddrinfo(NULL) gives the loopback
        /// addresses.
        #[arg(long, conflicts_with = "addr")]
        host: Option<String>,
        /// Skip the resolver and use these addresses, in this order (repeat the
        /// flag).
        #[arg(long)]
        addr: Vec<std::net::IpAddr>,
        /// Which family to ask for (the client-side fix is `--family 4`).
        #[arg(long, default_value = "any")]
        family: FamilyArg,
        /// UDP port to send to.
        #[arg(long, default_value_t = 1514)]
        port: u16,
        /// The message.
        message: String,
    },
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum FamilyArg {
    #[value(name = "4")]
    V4,
    #[value(name = "6")]
    V6,
    Any,
}

/// The longest datagram the server prints whole.
const MAX_DATAGRAM: usize = 1024;

fn main() -> ExitCode {
    netkit::finish(match netkit::parse_args::<Args>().command {
        Command::Server {
            host,
            port,
            dual_stack,
        } => server(host, port, dual_stack),
        Command::Client {
            host,
            addr,
            family,
            port,
            message,
        } => client(host, addr, family, port, &message),
    })
}

fn server(host: Option<String>, port: u16, dual_stack: bool) -> netkit::Result<()> {
    // ANCHOR: server
    let socket = if dual_stack {
        let host = host.as_deref().unwrap_or("::");
        let addr = netkit::resolve_one(host, port)?;
        if !addr.is_ipv6() {
            return Err(Fatal::new(format!(
                "--dual-stack needs an IPv6 address such as ::, not {host}"
            )));
        }
        // socket(AF_INET6, SOCK_DGRAM, 0)
        let socket = Socket::new(Domain::IPV6, Type::DGRAM, None)?;
        // setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0): IPv4 datagrams are welcome too.
        // Linux defaults to 0 already (sysctl net.ipv6.bindv6only), other
        // systems do not: a portable program says what it wants.
        socket.set_only_v6(false)?;
        socket
            .bind(&addr.into())
            .map_err(|e| netkit::bind_error(e, addr))?;
        UdpSocket::from(socket)
    } else {
        // The mystery: getAddrInfo (Just passiveHints) Nothing (Just port),
        // that is getaddrinfo(NULL, port, AI_PASSIVE); bind the head of it.
        let hints = Hints {
            socktype: SockType::Datagram,
            passive: true,
            ..Hints::default()
        };
        let (node, service) = (host.as_deref(), port.to_string());
        let shown = node.unwrap_or("NULL");
        let found = getaddrinfo(node, Some(&service), &hints)
            .map_err(|e| Fatal::new(format!("getaddrinfo {shown}: {e}")))?;
        let list: Vec<String> = found.iter().map(|a| a.addr.to_string()).collect();
        eprintln!("addresses: {}; binding the first", list.join(", "));
        netkit::udp_bind(found[0].addr)?
    };
    netkit::announce(socket.local_addr()?);

    let mut buf = [0u8; MAX_DATAGRAM];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        let text = String::from_utf8_lossy(&buf[..n]);
        println!("from {from}: {}", text.strip_suffix('\n').unwrap_or(&text));
    }
    // ANCHOR_END: server
}

fn client(
    host: Option<String>,
    given: Vec<std::net::IpAddr>,
    family: FamilyArg,
    port: u16,
    message: &str,
) -> netkit::Result<()> {
    // ANCHOR: client
    let wanted = |addr: &SocketAddr| match family {
        FamilyArg::V4 => addr.is_ipv4(),
        FamilyArg::V6 => addr.is_ipv6(),
        FamilyArg::Any => true,
    };
    let candidates: Vec<SocketAddr> = if given.is_empty() {
        // addrinfos <- getAddrInfo Nothing (Just hostname) (Just port)
        let hints = Hints {
            family: match family {
                FamilyArg::V4 => Family::V4,
                FamilyArg::V6 => Family::V6,
                FamilyArg::Any => Family::Any,
            },
            socktype: SockType::Datagram,
            ..Hints::default()
        };
        let (node, service) = (host.as_deref(), port.to_string());
        let shown = node.unwrap_or("NULL");
        let found = getaddrinfo(node, Some(&service), &hints)
            .map_err(|e| Fatal::new(format!("getaddrinfo {shown}: {e}")))?;
        found.iter().map(|info| info.addr).collect()
    } else {
        // What a resolver would have answered, in its order, minus the
        // unwanted family.
        given
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .filter(wanted)
            .collect()
    };
    let list: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    println!("addresses: {}", list.join(", "));
    // let serveraddr = head addrinfos
    let Some(&first) = candidates.first() else {
        return Err(Fatal::new("no address of the wanted family"));
    };
    // sock <- socket (addrFamily serveraddr) Datagram defaultProtocol
    let local = if first.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local)?;
    // sendTo sock msg (addrAddress serveraddr): it "works" whether anyone
    // listens or not.
    let sent = socket
        .send_to(message.as_bytes(), first)
        .map_err(|e| Fatal::new(format!("sendto {first}: {e}")))?;
    println!("sent {sent} bytes to {first}");
    Ok(())
    // ANCHOR_END: client
}
