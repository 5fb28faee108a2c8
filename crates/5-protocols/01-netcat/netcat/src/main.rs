//! nc in Rust: a TCP or UDP connection between stdin/stdout and a socket.
//!
//! Two things happen at once, so there are two threads: one reads stdin and sends what it
//! reads; the other receives and writes to stdout. Neither may wait for the other: the
//! peer may talk first, or never, and a blocking read on stdin must not stop what arrives
//! from being shown. Each direction also ends on its own: the peer's end of stream ends
//! the copy to stdout, the end of stdin ends the copy to the socket (with `-N`, by
//! `shutdown(SHUT_WR)`), and netcat exits when both are over.

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use netcat::{
    Activity, Outgoing, Shared, Sink, Stop, Trace, deliver, pump_socket, pump_stdin, receive_some,
};
use netkit::Fatal;

/// Connect to (or listen on) HOST PORT; copy stdin to the socket and the socket to stdout.
#[derive(Parser)]
#[command(
    version,
    override_usage = "netcat [OPTIONS] HOST PORT\n       netcat -l [OPTIONS] [HOST] PORT"
)]
struct Args {
    /// Listen for a connection (or, with -u, a datagram) instead of connecting.
    #[arg(short = 'l')]
    listen: bool,
    /// UDP instead of TCP.
    #[arg(short = 'u')]
    udp: bool,
    /// With -l: after a client leaves, keep listening for the next.
    #[arg(short = 'k')]
    keep: bool,
    /// At end of input, shut down the sending half of the connection (the peer sees EOF).
    #[arg(short = 'N')]
    half_close: bool,
    /// Say what is happening, on stderr.
    #[arg(short = 'v')]
    verbose: bool,
    /// Hex dump of everything sent and received, on stderr (tcpdump -X style).
    #[arg(short = 'x')]
    hex: bool,
    /// Seconds to wait for a connection, and to stay when nothing passes either way.
    #[arg(short = 'w')]
    wait: Option<f64>,
    /// IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// IPv6 addresses only.
    #[arg(short = '6')]
    ipv6: bool,
    /// HOST PORT to connect to; with -l, [HOST] PORT to listen on (HOST defaults to loopback).
    #[arg(num_args = 1..=2, required = true, value_name = "HOST PORT")]
    operands: Vec<String>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let (host, port) = match (args.listen, args.operands.as_slice()) {
        (true, [port]) => (if args.ipv6 { "::1" } else { "127.0.0.1" }.to_owned(), port),
        (_, [host, port]) => (host.clone(), port),
        (false, [_]) => return Err(Fatal::new("give both HOST and PORT (or -l to listen)")),
        _ => return Err(Fatal::new("give HOST and PORT (or -l and PORT)")),
    };
    let port: u16 = port
        .parse()
        .map_err(|_| Fatal::new(format!("'{port}' is not a port number (0-65535)")))?;
    if args.keep && !args.listen {
        return Err(Fatal::new("-k only makes sense with -l"));
    }
    let idle = match args.wait {
        None => None,
        Some(secs) => Some(
            Duration::try_from_secs_f64(secs)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| Fatal::new("-w needs a positive number of seconds"))?,
        ),
    };
    // getaddrinfo(), keeping only the family asked for with -4 or -6.
    let addrs: Vec<SocketAddr> = netkit::resolve(&host, port)?
        .into_iter()
        .filter(|a| !(args.ipv4 && a.is_ipv6() || args.ipv6 && a.is_ipv4()))
        .collect();
    if addrs.is_empty() {
        return Err(Fatal::new(format!(
            "'{host}' has no address of the family asked for"
        )));
    }
    let shared = Arc::new(Shared {
        outgoing: Outgoing::new(args.half_close),
        trace: Trace::new(args.hex),
        activity: Activity::default(),
    });
    let nc = Netcat {
        args: &args,
        idle,
        shared,
        stdin_started: false,
    };
    match (args.listen, args.udp) {
        (false, false) => nc.tcp_connect(&addrs),
        (true, false) => nc.tcp_listen(addrs[0]),
        (false, true) => nc.udp_connect(addrs[0]),
        (true, true) => nc.udp_listen(addrs[0]),
    }
}

struct Netcat<'a> {
    args: &'a Args,
    idle: Option<Duration>,
    shared: Arc<Shared>,
    stdin_started: bool,
}

impl Netcat<'_> {
    fn say(&self, message: &str) {
        if self.args.verbose {
            eprintln!("netcat: {message}");
        }
    }

    // ANCHOR: start_stdin
    /// Starts the stdin thread once there is somewhere to send to. It is not
    /// joined: it may sit in a read on stdin forever (after -w idleness, or
    /// between -k clients), and the process ends when the main thread does.
    fn start_stdin(&mut self) {
        if !self.stdin_started {
            self.stdin_started = true;
            let shared = Arc::clone(&self.shared);
            thread::spawn(move || pump_stdin(&shared));
        }
    }
    // ANCHOR_END: start_stdin

    fn report(&self, stop: Stop) {
        match stop {
            Stop::PeerClosed => self.say("the peer closed the connection"),
            Stop::Idle => self.say("nothing passed for the -w time; giving up"),
            Stop::StdoutClosed => self.say("stdout is closed"),
        }
    }

    // ANCHOR: finish
    /// The receiving direction is over (`stop`); the sending one may not be.
    /// The peer's FIN says only that *it* has finished sending: it may still be
    /// reading, and what stdin has not yet given must still reach it. So wait
    /// until stdin ends (or the peer takes nothing more) before closing.
    fn finish(&self, stop: Stop) {
        self.report(stop);
        if stop == Stop::Idle {
            return;
        }
        if !self.shared.outgoing.input_finished() {
            self.say("still sending what stdin gives");
        }
        if !self
            .shared
            .outgoing
            .wait_until_sent(self.idle, &self.shared.activity)
        {
            self.report(Stop::Idle);
        }
    }
    // ANCHOR_END: finish

    // ANCHOR: tcp_connect
    fn tcp_connect(mut self, addrs: &[SocketAddr]) -> netkit::Result<()> {
        // socket() + connect() to each address in turn, as Beej's client does.
        let mut failure = None;
        let mut connected = None;
        for addr in addrs {
            let attempt = match self.idle {
                Some(limit) => TcpStream::connect_timeout(addr, limit),
                None => TcpStream::connect(addr),
            };
            match attempt {
                Ok(stream) => {
                    connected = Some(stream);
                    break;
                }
                Err(e) => {
                    let args = "HOST and PORT"; // what to check, in netcat's words
                    failure = Some(netkit::connect_error_naming(e, *addr, args));
                }
            }
        }
        let Some(stream) = connected else {
            return Err(failure.unwrap_or_else(|| Fatal::new("no address to connect to")));
        };
        self.say(&format!("connected to {}", stream.peer_addr()?));
        // Two directions at once: a second handle on the same socket goes to the stdin
        // thread; this thread receives.
        self.shared.outgoing.set(Sink::Tcp(stream.try_clone()?));
        self.start_stdin();
        let stop = pump_socket(
            &stream,
            &self.shared.trace,
            &self.shared.activity,
            self.idle,
        )?;
        // The peer has finished sending; we may not have.
        self.finish(stop);
        Ok(())
        // close(): the process ends, and with it both handles.
    }
    // ANCHOR_END: tcp_connect

    // ANCHOR: tcp_listen
    fn tcp_listen(mut self, addr: SocketAddr) -> netkit::Result<()> {
        // socket(), setsockopt(SO_REUSEADDR), bind(), listen().
        let listener = netkit::tcp_listen(addr)?;
        eprintln!("listening on {}", listener.local_addr()?);
        let mut backoff = netkit::AcceptBackoff::new();
        loop {
            // accept(): one client at a time.
            let (stream, peer) = netkit::accept_patiently(&listener, &mut backoff);
            self.say(&format!("connection from {peer}"));
            self.shared.outgoing.set(Sink::Tcp(stream.try_clone()?));
            self.start_stdin();
            let stop = pump_socket(
                &stream,
                &self.shared.trace,
                &self.shared.activity,
                self.idle,
            )?;
            if !self.args.keep {
                // One client: both directions end before we do, as for a client.
                self.finish(stop);
                return Ok(());
            }
            // -k: stdin belongs to whichever client comes next, so this one ends
            // when it closes its side.
            self.report(stop);
            self.shared.outgoing.clear();
            if stop == Stop::StdoutClosed {
                return Ok(());
            }
        }
    }
    // ANCHOR_END: tcp_listen

    // ANCHOR: udp_connect
    fn udp_connect(mut self, addr: SocketAddr) -> netkit::Result<()> {
        // socket(AF_INET, SOCK_DGRAM) bound to any local port, then connect(): for UDP this
        // only fixes the default destination (and filters what we receive); no packet goes out.
        let local: SocketAddr = if addr.is_ipv6() {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        }
        .parse()?;
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        self.say(&format!("sending datagrams to {addr}"));
        self.shared.outgoing.set(Sink::Udp(socket.try_clone()?));
        self.start_stdin();
        self.receive_datagrams(&socket, false)
    }
    // ANCHOR_END: udp_connect

    fn udp_listen(mut self, addr: SocketAddr) -> netkit::Result<()> {
        let socket = netkit::udp_bind(addr)?;
        eprintln!("listening on {} (udp)", socket.local_addr()?);
        // The first datagram says who the peer is (and with -k, every datagram does).
        let mut buf = vec![0u8; 65536];
        let (n, peer) = loop {
            match socket.recv_from(&mut buf) {
                Ok(got) => break got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        };
        self.say(&format!("datagram from {peer}"));
        if self.args.keep {
            self.shared
                .outgoing
                .set(Sink::UdpTo(socket.try_clone()?, peer));
        } else {
            socket.connect(peer)?; // from now on, only this peer
            self.shared.outgoing.set(Sink::Udp(socket.try_clone()?));
        }
        self.shared.activity.touch();
        self.shared.trace.received(&buf[..n]);
        if !deliver(&buf[..n]) {
            return Ok(());
        }
        self.start_stdin();
        self.receive_datagrams(&socket, true)
    }

    /// Datagrams to stdout, one receive each, until -w idleness, or (as a client without
    /// -w) the end of stdin.
    fn receive_datagrams(&self, socket: &UdpSocket, listening: bool) -> netkit::Result<()> {
        // Short waits, so the end of stdin and the idle time are noticed.
        socket.set_read_timeout(Some(Duration::from_millis(100)))?;
        let mut buf = vec![0u8; 65536];
        loop {
            let received = receive_some(|| {
                if self.args.keep {
                    let (n, peer) = socket.recv_from(&mut buf)?;
                    self.shared.outgoing.retarget(peer);
                    Ok(n)
                } else {
                    socket.recv(&mut buf)
                }
            });
            let n = match received {
                Ok(Some(n)) => n,
                Ok(None) => {
                    let quiet = self.shared.activity.idle_for();
                    if self.idle.is_some_and(|idle| quiet >= idle) {
                        self.report(Stop::Idle);
                        return Ok(());
                    }
                    if !listening && self.idle.is_none() && self.shared.outgoing.input_finished() {
                        return Ok(()); // a client without -w leaves at the end of its input
                    }
                    continue;
                }
                // An ICMP "port unreachable" came back for a datagram we sent.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    if listening {
                        continue; // the peer left; a server goes on
                    }
                    let peer = socket.peer_addr()?;
                    return Err(Fatal::new(format!(
                        "nothing is listening on {peer} (udp): the datagram was refused"
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            self.shared.activity.touch();
            self.shared.trace.received(&buf[..n]);
            if !deliver(&buf[..n]) {
                return Ok(());
            }
        }
    }
}
