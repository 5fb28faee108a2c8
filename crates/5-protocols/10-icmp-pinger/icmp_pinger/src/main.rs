//! Kurose's ICMP pinger: echo requests built by hand, sent through an ICMP
//! socket, each reply timed, and at the end the statistics `ping` prints.
//!
//! Two kinds of socket can carry ICMP. An ICMP *datagram* socket
//! (`socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`) needs no privilege, only a
//! group in the sysctl `net.ipv4.ping_group_range`; the kernel fills in the
//! identifier and hands it only the replies to its own requests. A *raw* socket
//! (`SOCK_RAW`) needs root (CAP_NET_RAW) and sees every ICMP packet the
//! machine receives, IPv4 header included. The pinger tries the first, then
//! the second (`--socket` chooses).
//!
//! Ctrl-C stops it early, with the statistics, as it stops `ping`.

use std::io::{self, ErrorKind, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use icmp_pinger::{
    Awaited, PAYLOAD_LEN, Stats, Version, answers, echo_request, parse, stamp,
    stamp_of, strip_ipv4_header,
};
use netkit::{Fatal, Signal, Signals};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigHandler, signal};
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Ping a host with ICMP echo requests (this machine or a netlab host only).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The host to ping: a loopback address, or a netlab host (h2, 192.0.2.2,
    /// 2001:db8::2).
    host: String,
    /// How many requests to send.
    #[arg(long, short = 'c', default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..))]
    count: u16,
    /// Seconds to wait for each reply.
    #[arg(long, short = 'W', default_value_t = 1.0)]
    timeout: f64,
    /// Seconds between requests.
    #[arg(long, short = 'i', default_value_t = 1.0)]
    interval: f64,
    /// Use IPv4 (for a name that has both kinds of address).
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// Use IPv6 (for a name that has both kinds of address).
    #[arg(short = '6')]
    ipv6: bool,
    /// Which socket carries the requests.
    #[arg(long, value_enum, default_value_t = Choice::Auto)]
    socket: Choice,
    /// Say on stderr what each packet the pinger ignores was.
    #[arg(long, short = 'v')]
    verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Choice {
    /// An ICMP datagram socket if the sysctl allows it, else a raw socket.
    Auto,
    /// An ICMP datagram socket (needs a group in net.ipv4.ping_group_range).
    Dgram,
    /// A raw socket (needs root, or CAP_NET_RAW).
    Raw,
}

/// The socket the pinger got.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Datagram,
    Raw,
}

fn main() -> ExitCode {
    // Like ping, end quietly when the reader of stdout goes away (`| head -3`):
    // Rust ignores SIGPIPE, and println! would panic on the closed pipe.
    // SAFETY: SIG_DFL installs no handler of ours; no other thread runs yet.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    match run(netkit::parse_args()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE, // like ping: not a single reply
        Err(e) => netkit::finish(Err(e)),
    }
}

fn run(args: Args) -> netkit::Result<bool> {
    let seconds = |name: &str, value: f64| {
        if value > 0.0 && value <= 60.0 {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(Fatal::new(format!(
                "--{name} must be between 0 and 60 seconds"
            )))
        }
    };
    let timeout = seconds("timeout", args.timeout)?;
    let interval = seconds("interval", args.interval)?;
    let target = target(&args)?;
    let version = Version::of(target);
    let (socket, kind) = open(version, args.socket)?;
    let identifier = identifier(&socket, kind, target)?;
    if args.verbose {
        eprintln!("identifier {identifier}");
    }
    // Ctrl-C and SIGTERM end the pinging; the statistics are still printed.
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    let how = match kind {
        Kind::Datagram => "an ICMP datagram socket",
        Kind::Raw => "a raw socket",
    };
    println!(
        "PING {} ({target}) {PAYLOAD_LEN} data bytes, through {how}",
        args.host
    );
    let to = SockAddr::from(SocketAddr::new(target, 0));
    let started = Instant::now();
    let mut stats = Stats::default();
    let mut buf = vec![0u8; 65536];
    // ANCHOR: loop
    for sequence in 1..=args.count {
        let sent_at = Instant::now();
        // The time stamp: nanoseconds since the pinger started (Instant is the
        // monotonic clock, which nobody sets, unlike the time of day).
        let payload = stamp(started.elapsed().as_nanos() as u64);
        let request = echo_request(version, identifier, sequence, &payload);
        // sendto(): for ICMP the "port" of the address means nothing.
        if let Err(e) = socket.send_to(&request, &to) {
            if !unreachable(&e) {
                return Err(Fatal::new(format!("cannot send to {target}: {e}")));
            }
            println!("From {target} icmp_seq={sequence}: {e}");
        }
        stats.sent += 1;
        let awaited = Awaited {
            version,
            target,
            identifier,
            sequence,
            payload: &payload,
        };
        // Wait for the reply to *this* request, letting everything else pass.
        let deadline = sent_at + timeout;
        let reply = loop {
            match wait(Some(&socket), &signals, deadline)? {
                Woke::Stop => return Ok(finish(&args.host, &stats, started)),
                Woke::Deadline => break None,
                Woke::Readable => {}
            }
            let Some(got) = receive(&socket, &mut buf)? else {
                continue;
            };
            let message = &buf[..got.len];
            let checked = match kind {
                Kind::Raw if version == Version::V4 => strip_ipv4_header(message)
                    .and_then(|(icmp, _)| parse(icmp, version)),
                _ => parse(message, version),
            };
            let verdict = checked
                .map_err(|bad| format!("malformed ICMP: {bad}"))
                .and_then(|icmp| {
                    answers(&icmp, got.from, &awaited)
                        .map_err(|why| why.to_string())
                });
            match verdict {
                Ok(()) => break Some(got),
                Err(why) if args.verbose => {
                    eprintln!(
                        "ignored {} bytes from {}: {why}",
                        message.len(),
                        got.from
                    )
                }
                Err(_) => {}
            }
        };
        match reply {
            Some(got) => {
                // The round trip, from the time stamp the reply carried back.
                let sent_ns = stamp_of(&payload).unwrap_or_default();
                let now_ns = started.elapsed().as_nanos() as u64;
                let rtt = Duration::from_nanos(now_ns.saturating_sub(sent_ns));
                let ttl = got.ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
                println!(
                    "{} bytes from {target}: icmp_seq={sequence}{ttl} time={:.3} ms",
                    request.len(),
                    rtt.as_secs_f64() * 1e3
                );
                stats.rtts.push(rtt);
            }
            None => println!("Request timed out (icmp_seq={sequence})"),
        }
        // The next request leaves one interval after this one did.
        if sequence < args.count
            && let Woke::Stop = wait(None, &signals, sent_at + interval)?
        {
            break;
        }
    }
    // ANCHOR_END: loop
    Ok(finish(&args.host, &stats, started))
}

/// Prints the statistics; true if any reply came.
fn finish(host: &str, stats: &Stats, started: Instant) -> bool {
    println!("\n--- {host} ping statistics ---");
    print!("{}", stats.summary(started.elapsed()));
    !stats.rtts.is_empty()
}

/// The address to ping: HOST looked up (getaddrinfo), of the family asked for, and
/// one this program may send to (this machine or a netlab host).
fn target(args: &Args) -> netkit::Result<IpAddr> {
    netkit::resolve_lab_host(&args.host, args.ipv4, args.ipv6, "pings")
}

// ANCHOR: open
/// An ICMP socket: a datagram one if this user's group may have one, else a
/// raw one if the process is privileged; otherwise a line that says what
/// would allow either.
fn open(version: Version, choice: Choice) -> netkit::Result<(Socket, Kind)> {
    let (domain, protocol) = match version {
        Version::V4 => (Domain::IPV4, Protocol::ICMPV4),
        Version::V6 => (Domain::IPV6, Protocol::ICMPV6),
    };
    let mut datagram_refused = false;
    if choice != Choice::Raw {
        // socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): EACCES unless one of our
        // groups is in net.ipv4.ping_group_range (which rules IPv6 too).
        match Socket::new(domain, Type::DGRAM, Some(protocol)) {
            Ok(socket) => return Ok((socket, Kind::Datagram)),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                datagram_refused = true
            }
            Err(e) => {
                return Err(Fatal::new(format!("cannot open an ICMP socket: {e}")));
            }
        }
    }
    if choice != Choice::Dgram {
        // socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): EPERM without CAP_NET_RAW.
        match Socket::new(domain, Type::RAW, Some(protocol)) {
            Ok(socket) => return Ok((socket, Kind::Raw)),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
            Err(e) => {
                return Err(Fatal::new(format!("cannot open a raw socket: {e}")));
            }
        }
    }
    Err(Fatal::new(match (datagram_refused, choice) {
        (true, Choice::Dgram) => {
            format!("ICMP datagram sockets {}", datagram_rule())
        }
        (true, _) => format!(
            "no ICMP socket is allowed: datagram sockets {}, and raw sockets need \
             root (or CAP_NET_RAW)",
            datagram_rule()
        ),
        _ => "raw ICMP sockets need root (or CAP_NET_RAW); run with sudo, or try \
              --socket dgram"
            .to_owned(),
    }))
}
// ANCHOR_END: open

/// What an ICMP datagram socket needs, and how to allow it.
fn datagram_rule() -> String {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range")
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unreadable".to_owned());
    // SAFETY: getegid has no preconditions and cannot fail.
    let gid = unsafe { libc::getegid() };
    format!(
        "need a group of yours (gid {gid}) in the sysctl net.ipv4.ping_group_range, \
         which is \"{range}\" (allow it: sudo sysctl -w \
         net.ipv4.ping_group_range=\"{gid} {gid}\")"
    )
}

// ANCHOR: identifier
/// The identifier of our requests. A datagram socket is bound like a UDP one,
/// and the kernel's "port" becomes the identifier: it writes it into every
/// request and hands the socket only replies that carry it. On a raw socket
/// nobody does that for us: the process id is the custom, as in ping.
fn identifier(socket: &Socket, kind: Kind, target: IpAddr) -> netkit::Result<u16> {
    // Ask for the TTL (hop limit) of each packet received, as a control message.
    match target {
        IpAddr::V4(_) => setsockopt(socket, sockopt::Ipv4RecvTtl, &true)?,
        IpAddr::V6(_) => setsockopt(socket, sockopt::Ipv6RecvHopLimit, &true)?,
    }
    socket.set_nonblocking(true)?;
    match kind {
        Kind::Datagram => {
            // bind() to port 0: the kernel picks a free identifier.
            let any = SocketAddr::new(unspecified(target), 0);
            socket.bind(&any.into())?;
            let bound = socket.local_addr()?.as_socket();
            Ok(bound.map(|a| a.port()).unwrap_or_default())
        }
        Kind::Raw => Ok(std::process::id() as u16),
    }
}
// ANCHOR_END: identifier

fn unspecified(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::from([0u8; 4]),
        IpAddr::V6(_) => IpAddr::from([0u16; 8]),
    }
}

/// A message read from the socket: where it is in the buffer, who sent it, and
/// the TTL (hop limit) of the packet that carried it.
struct Received {
    len: usize,
    from: IpAddr,
    ttl: Option<u8>,
}

// ANCHOR: receive
/// recvmsg(): one message with its sender and control messages. A raw IPv4
/// socket hands over the IP header too (the caller strips it); the others
/// start at the ICMP header. `None`: nothing to read after all.
fn receive(socket: &Socket, buf: &mut [u8]) -> netkit::Result<Option<Received>> {
    let mut control = nix::cmsg_space!(libc::c_int);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = match recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_DONTWAIT,
    ) {
        Ok(msg) => msg,
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {
            return Ok(None);
        }
        Err(e) => return Err(Fatal::new(format!("cannot receive: {e}"))),
    };
    let mut ttl = None;
    for cmsg in msg.cmsgs().into_iter().flatten() {
        match cmsg {
            ControlMessageOwned::Ipv4Ttl(t)
            | ControlMessageOwned::Ipv6HopLimit(t) => {
                ttl = u8::try_from(t).ok();
            }
            _ => {}
        }
    }
    let Some(from) = msg.address.as_ref().and_then(ip_of) else {
        return Ok(None);
    };
    Ok(Some(Received {
        len: msg.bytes,
        from,
        ttl,
    }))
}
// ANCHOR_END: receive

fn ip_of(addr: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    addr.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

/// What [`wait`] woke up for.
enum Woke {
    Readable,
    Deadline,
    Stop,
}

/// poll() on the socket (if any) and the signal pipe, until `until`.
fn wait(
    socket: Option<&Socket>,
    signals: &Signals,
    until: Instant,
) -> io::Result<Woke> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Woke::Deadline);
        }
        // Rounded up: a poll that returns a little early would spin.
        let ms = left.as_micros().div_ceil(1000);
        let timeout = PollTimeout::try_from(ms.min(60_000) as i32)
            .unwrap_or(PollTimeout::MAX);
        let mut fds = vec![PollFd::new(signals.fd(), PollFlags::POLLIN)];
        if let Some(socket) = socket {
            fds.push(PollFd::new(socket.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        if fds[0].any().unwrap_or(false) && !signals.drain().is_empty() {
            return Ok(Woke::Stop);
        }
        if fds.get(1).is_some_and(|fd| fd.any().unwrap_or(false)) {
            return Ok(Woke::Readable);
        }
    }
}

/// Whether a failed send means "no way to that host now" (a missing route, a
/// neighbour that does not answer), which costs one request, not the run.
fn unreachable(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN)
    )
}
