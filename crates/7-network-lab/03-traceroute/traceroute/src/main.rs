//! Kurose's traceroute: UDP probes sent with a TTL of 1, 2, 3, … until the
//! destination answers. Each router where a probe's TTL runs out sends back an
//! ICMP "time exceeded" from its own address; the destination, where no program
//! has the probe's port, answers "port unreachable".
//!
//! Those answers come back in one of two ways. By default through the UDP socket
//! itself: with the option IP_RECVERR the kernel keeps each ICMP error about our
//! datagrams in the socket's *error queue*, with the address of the router that
//! sent it, read with `recvmsg(MSG_ERRQUEUE)`. No privilege is needed: this is how
//! `tracepath` works. With `--raw`, through a raw ICMP socket, which sees every
//! ICMP message the machine receives (root only), as the original traceroute
//! does.

use std::io::{IoSliceMut, Write};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::Fatal;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::{Domain, Protocol, Socket, Type};
use traceroute::{
    BASE_PORT, Probe, Verdict, Version, parse_error, probe_port, probe_text,
    strip_ipv4_header, verdict,
};

/// Print the routers on the way to a host (this machine or a netlab host only).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The destination: a loopback address, or a netlab host (h2, 203.0.113.2,
    /// 2001:db8:3::2).
    host: String,
    /// The largest TTL to try.
    #[arg(long, short = 'm', default_value_t = 30,
          value_parser = clap::value_parser!(u8).range(1..))]
    max_hops: u8,
    /// Probes for each TTL.
    #[arg(long, short = 'q', default_value_t = 3,
          value_parser = clap::value_parser!(u8).range(1..=10))]
    probes: u8,
    /// Seconds to wait for each probe's answer.
    #[arg(long, short = 'w', default_value_t = 1.0)]
    timeout: f64,
    /// The first probe's destination port; each probe after it takes the next.
    #[arg(long, short = 'p', default_value_t = BASE_PORT)]
    port: u16,
    /// Use IPv4 (for a name that has both kinds of address).
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// Use IPv6 (for a name that has both kinds of address).
    #[arg(short = '6')]
    ipv6: bool,
    /// Read the answers from a raw ICMP socket (root only) instead of the UDP
    /// socket's error queue.
    #[arg(long)]
    raw: bool,
}

/// Each probe's payload: its size does not matter, only its headers do.
const PAYLOAD: [u8; 32] = [0; 32];

fn main() -> ExitCode {
    // Like ping, end quietly when the reader of stdout goes away (`| head -3`):
    // Rust ignores SIGPIPE, and println! would panic on the closed pipe.
    // SAFETY: SIG_DFL installs no handler of ours; no other thread runs yet.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    if !(args.timeout > 0.0 && args.timeout <= 60.0) {
        return Err(Fatal::new("--timeout must be between 0 and 60 seconds"));
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    if probe_port(args.port, args.max_hops, args.probes, args.probes - 1).is_none()
    {
        return Err(Fatal::new(format!(
            "--port {} leaves no room for {} probes per hop up to hop {}; try a \
             lower --port",
            args.port, args.probes, args.max_hops
        )));
    }
    let target = target(&args)?;
    let version = Version::of(target);
    // ANCHOR: sockets
    // socket(AF_INET, SOCK_DGRAM, 0); bind to any local port.
    let udp = UdpSocket::bind(SocketAddr::new(unspecified(target), 0))?;
    // Never blocked in recv: poll says when to read.
    udp.set_nonblocking(true)?;
    let answers = if args.raw {
        // socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): every ICMP message received.
        Answers::Raw(raw_socket(version)?, udp.local_addr()?.port())
    } else {
        // setsockopt(IP_RECVERR): keep the ICMP errors about our datagrams in
        // the socket's error queue, with who sent them.
        match version {
            Version::V4 => setsockopt(&udp, sockopt::Ipv4RecvErr, &true)?,
            Version::V6 => setsockopt(&udp, sockopt::Ipv6RecvErr, &true)?,
        }
        Answers::ErrorQueue
    };
    // ANCHOR_END: sockets
    let how = match answers {
        Answers::ErrorQueue => "answers from the error queue",
        Answers::Raw(..) => "answers from a raw socket",
    };
    println!(
        "traceroute to {} ({target}), {} hops max, {} probes per hop, {how}",
        args.host, args.max_hops, args.probes
    );
    // ANCHOR: walk
    for ttl in 1..=args.max_hops {
        // setsockopt(IP_TTL): the datagrams after this die after `ttl` hops.
        match version {
            Version::V4 => setsockopt(&udp, sockopt::Ipv4Ttl, &i32::from(ttl))?,
            Version::V6 => setsockopt(&udp, sockopt::Ipv6Ttl, &i32::from(ttl))?,
        }
        print!("{ttl:2}");
        let mut previous = None;
        let mut last_hop = false;
        for index in 0..args.probes {
            let port = probe_port(args.port, ttl, args.probes, index).unwrap_or(0);
            // Answers that came too late for their probe are read and dropped
            // first: a pending error would make this sendto fail.
            answers.forget_late(&udp);
            let sent = Instant::now();
            let probe = match udp.send_to(&PAYLOAD, SocketAddr::new(target, port)) {
                Ok(_) => answers
                    .await_probe(&udp, version, target, port, sent, timeout)?,
                // A send refused at once (no route, say) is this probe's answer.
                Err(e) => Probe::Answered {
                    from: unspecified(target),
                    rtt: sent.elapsed(),
                    verdict: Verdict::Local(e.raw_os_error().unwrap_or(0)),
                },
            };
            print!("{}", probe_text(version, previous, &probe));
            let _ = std::io::stdout().flush();
            if let Probe::Answered { from, verdict, .. } = probe {
                previous = Some(from);
                last_hop |= verdict.ends_the_walk() || from == target;
            }
        }
        println!();
        if last_hop {
            break;
        }
    }
    // ANCHOR_END: walk
    Ok(())
}

/// The destination: HOST looked up (getaddrinfo), of the family asked for, and
/// one this program may send to (this machine or a netlab host).
fn target(args: &Args) -> netkit::Result<IpAddr> {
    netkit::resolve_lab_host(&args.host, args.ipv4, args.ipv6, "probes")
}

fn unspecified(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::from([0u8; 4]),
        IpAddr::V6(_) => IpAddr::from([0u16; 8]),
    }
}

fn raw_socket(version: Version) -> netkit::Result<Socket> {
    let (domain, protocol) = match version {
        Version::V4 => (Domain::IPV4, Protocol::ICMPV4),
        Version::V6 => (Domain::IPV6, Protocol::ICMPV6),
    };
    let socket = Socket::new(domain, Type::RAW, Some(protocol)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            Fatal::new(
                "--raw needs root (or CAP_NET_RAW) for its raw ICMP socket; without \
                 --raw, traceroute reads the answers from the UDP socket's error \
                 queue, which needs no privilege",
            )
        } else {
            Fatal::new(format!("cannot open a raw ICMP socket: {e}"))
        }
    })?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// Where the answers to the probes are read.
enum Answers {
    /// The UDP socket's own error queue (IP_RECVERR).
    ErrorQueue,
    /// A raw ICMP socket; the UDP socket's local port picks out our probes.
    Raw(Socket, u16),
}

impl Answers {
    /// Waits (until `timeout` after `sent`) for the answer to the probe sent to
    /// `port`, letting every other message pass.
    fn await_probe(
        &self,
        udp: &UdpSocket,
        version: Version,
        target: IpAddr,
        port: u16,
        sent: Instant,
        timeout: Duration,
    ) -> netkit::Result<Probe> {
        let deadline = sent + timeout;
        let mut buf = [0u8; 1500];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Probe::Silent);
            }
            let socket = match self {
                Answers::ErrorQueue => udp.as_fd(),
                Answers::Raw(raw, _) => raw.as_fd(),
            };
            if !readable(socket, left)? {
                continue;
            }
            let answer = match self {
                Answers::ErrorQueue => from_error_queue(udp, version, &mut buf)?,
                Answers::Raw(raw, local_port) => {
                    from_raw(raw, version, *local_port, target, &mut buf)?
                }
            };
            if let Some((answered, from, verdict)) = answer
                && answered == port
            {
                return Ok(Probe::Answered {
                    from,
                    rtt: sent.elapsed(),
                    verdict,
                });
            }
        }
    }

    /// Reads and drops what is waiting in the error queue: answers that came
    /// after their probe's time was up.
    fn forget_late(&self, udp: &UdpSocket) {
        if let Answers::ErrorQueue = self {
            let mut buf = [0u8; 1500];
            // Bounded: the queue holds at most a few errors per probe sent.
            for _ in 0..1000 {
                if !matches!(
                    from_error_queue(udp, Version::V4, &mut buf),
                    Ok(Some(_))
                ) {
                    break;
                }
            }
        }
    }
}

/// Whether `fd` has something to read (or an error queued) within `wait`.
fn readable(fd: std::os::fd::BorrowedFd, wait: Duration) -> netkit::Result<bool> {
    let ms = wait.as_micros().div_ceil(1000).min(60_000) as i32;
    // POLLERR, an error waiting in the queue, is reported without asking.
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    match poll(
        &mut fds,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    ) {
        Ok(n) => Ok(n > 0),
        Err(Errno::EINTR) => Ok(false),
        Err(e) => Err(Fatal::new(format!("poll failed: {e}"))),
    }
}

// ANCHOR: error_queue
/// recvmsg(MSG_ERRQUEUE): the next ICMP error about one of our datagrams. The
/// kernel hands back the datagram that caused it (its destination address and
/// port in the message's name) and, as a control message, a
/// `sock_extended_err`: where the error came from (ICMP, or this machine), the
/// ICMP type and code, and the "offender", the address that sent the ICMP
/// message. Returns the probe's port, who answered and what.
fn from_error_queue(
    udp: &UdpSocket,
    version: Version,
    buf: &mut [u8],
) -> netkit::Result<Option<(u16, IpAddr, Verdict)>> {
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let mut iov = [IoSliceMut::new(buf)];
    let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
    let msg = match recvmsg::<SockaddrStorage>(
        udp.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        flags,
    ) {
        Ok(msg) => msg,
        Err(Errno::EAGAIN | Errno::EINTR) => {
            // Nothing queued: what woke poll was an ordinary datagram, a
            // reply from a program that has the probe's port. Read it.
            return Ok(from_a_listener(udp));
        }
        Err(e) => {
            return Err(Fatal::new(format!("cannot read the error queue: {e}")));
        }
    };
    let Some(port) = msg.address.as_ref().and_then(port_of) else {
        return Ok(None);
    };
    for cmsg in msg.cmsgs().into_iter().flatten() {
        let (err, offender) = match cmsg {
            ControlMessageOwned::Ipv4RecvErr(err, addr) => (
                err,
                addr.map(|a| IpAddr::from(a.sin_addr.s_addr.to_ne_bytes())),
            ),
            ControlMessageOwned::Ipv6RecvErr(err, addr) => {
                (err, addr.map(|a| IpAddr::from(a.sin6_addr.s6_addr)))
            }
            _ => continue,
        };
        let from = offender.unwrap_or_else(|| unspecified_of(version));
        let verdict = match err.ee_origin {
            libc::SO_EE_ORIGIN_ICMP | libc::SO_EE_ORIGIN_ICMP6 => {
                let version = if err.ee_origin == libc::SO_EE_ORIGIN_ICMP {
                    Version::V4
                } else {
                    Version::V6
                };
                verdict(version, err.ee_type, err.ee_code)
            }
            _ => Some(Verdict::Local(err.ee_errno as i32)),
        };
        if let Some(verdict) = verdict {
            return Ok(Some((port, from, verdict)));
        }
    }
    Ok(None)
}
// ANCHOR_END: error_queue

/// An ordinary datagram on the UDP socket: some program on the destination has
/// the probe's port and answered it. That is the destination too.
fn from_a_listener(udp: &UdpSocket) -> Option<(u16, IpAddr, Verdict)> {
    let mut buf = [0u8; 1500];
    let (_, from) = udp.recv_from(&mut buf).ok()?;
    Some((from.port(), from.ip(), Verdict::Destination))
}

// ANCHOR: raw
/// One message from the raw socket, if it is an ICMP error about one of *our*
/// probes to `target`: the quoted UDP header has our socket's port as its
/// source. The raw socket sees everyone's ICMP, so the rest is let pass.
fn from_raw(
    raw: &Socket,
    version: Version,
    local_port: u16,
    target: IpAddr,
    buf: &mut [u8],
) -> netkit::Result<Option<(u16, IpAddr, Verdict)>> {
    let mut iov = [IoSliceMut::new(buf)];
    let msg = match recvmsg::<SockaddrStorage>(
        raw.as_raw_fd(),
        &mut iov,
        None,
        MsgFlags::MSG_DONTWAIT,
    ) {
        Ok(msg) => msg,
        Err(Errno::EAGAIN | Errno::EINTR) => return Ok(None),
        Err(e) => {
            return Err(Fatal::new(format!("cannot read the raw socket: {e}")));
        }
    };
    let (len, from) = (msg.bytes, msg.address.as_ref().and_then(ip_of));
    let Some(from) = from else { return Ok(None) };
    let packet = &buf[..len];
    // An IPv4 raw socket hands over the IP header too; an IPv6 one does not.
    let icmp = match version {
        Version::V4 => strip_ipv4_header(packet),
        Version::V6 => Some(packet),
    };
    let Some(quoted) = icmp.and_then(|icmp| parse_error(icmp, version)) else {
        return Ok(None);
    };
    if quoted.source_port != local_port || quoted.destination != target {
        return Ok(None); // another program's probe
    }
    Ok(verdict(version, quoted.kind, quoted.code)
        .map(|v| (quoted.destination_port, from, v)))
}
// ANCHOR_END: raw

fn port_of(addr: &SockaddrStorage) -> Option<u16> {
    addr.as_sockaddr_in()
        .map(|a| a.port())
        .or_else(|| addr.as_sockaddr_in6().map(|a| a.port()))
}

fn ip_of(addr: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    addr.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

fn unspecified_of(version: Version) -> IpAddr {
    match version {
        Version::V4 => IpAddr::from([0u8; 4]),
        Version::V6 => IpAddr::from([0u16; 8]),
    }
}
