//! The Kurose UDP pinger assignment, both halves.
//!
//! `udp_pinger server` echoes every datagram back in capitals, except a share of
//! them (30% unless `--drop` says otherwise) that it pretends the network lost.
//! `udp_pinger client` sends ten pings, waits up to a second for each reply, prints
//! each round-trip time or `Request timed out`, and ends with the statistics `ping`
//! prints.
//!
//! SIGINT or SIGTERM ends the server at once, with status 0.

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use netkit::{Ready, Signal, Signals};
use udp_pinger::{Dice, MAX_DATAGRAM, Stats, millis, ping_message, pong_of};

/// A UDP ping server that loses pings on purpose, and a client that measures them.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Echo pings back in capitals, losing a share of them.
    Server {
        /// Address to listen on (0.0.0.0 or :: for every interface).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// UDP port to listen on (0 picks any free port).
        #[arg(long, default_value_t = 12002)]
        port: u16,
        /// Percentage of pings to lose (0 to 100).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u8).range(0..=100))]
        drop: u8,
        /// Seed of the dice that pick the lost pings; the same seed loses the same
        /// pings.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Send pings and report the round-trip times.
    Client {
        /// Server to ping.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Server's UDP port.
        #[arg(long, default_value_t = 12002)]
        port: u16,
        /// How many pings to send.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
        /// Seconds to wait for each reply.
        #[arg(long, default_value_t = 1.0)]
        timeout: f64,
    },
}

fn main() -> ExitCode {
    match netkit::parse_args::<Args>().role {
        Role::Server {
            host,
            port,
            drop,
            seed,
        } => netkit::finish(server(&host, port, drop, seed)),
        Role::Client {
            host,
            port,
            count,
            timeout,
        } => {
            match client(&host, port, count, timeout) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE, // like ping: no reply at all is a failure
                Err(e) => netkit::finish(Err(e)),
            }
        }
    }
}

// ANCHOR: server
fn server(
    host: &str,
    port: u16,
    drop: u8,
    seed: Option<u64>,
) -> netkit::Result<()> {
    // serverSocket = socket(AF_INET, SOCK_DGRAM); serverSocket.bind(('', 12000))
    let addr = netkit::resolve_one(host, port)?;
    let socket = netkit::udp_bind(addr)?;
    let seed = seed.unwrap_or_else(seed_from_clock);
    eprintln!(
        "losing {drop}% of pings; seed {seed} \
         (pass --seed {seed} to repeat this run)"
    );
    let mut dice = Dice::new(seed);
    // Ctrl-C and SIGTERM end the server at once, with status 0: a datagram
    // server has no conversation under way to finish.
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    // Non-blocking: poll() may report a datagram that recvfrom then drops (a bad
    // checksum), and the loop must go back to poll, not hang in recvfrom.
    socket.set_nonblocking(true)?;
    netkit::announce(socket.local_addr()?);
    let mut buf = [0u8; MAX_DATAGRAM];
    loop {
        // poll() on the socket and the signal pipe: a ping, or the end?
        if let Ready::Signals(arrived) = netkit::wait_readable(&socket, &signals)? {
            eprintln!("{}: stopping", arrived[0]);
            return Ok(());
        }
        // message, address = serverSocket.recvfrom(1024)
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            // No ECONNREFUSED here: a reply to a client that has gone draws an ICMP
            // "port unreachable", but Linux tells only a *connected* UDP socket.
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                // Nothing a client sends makes recvfrom fail; if the system does
                // (short of memory, say), say so, pause a moment and go on.
                eprintln!("recvfrom failed: {e}");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&buf[..n]);
        // For the log only: nc adds a newline, and any other control character is
        // shown escaped, so that a datagram cannot forge log lines or drive the terminal.
        let ping = text.trim_end().escape_debug();
        // if rand < 4: continue   (the assignment's simulated lossy network)
        if dice.lose(drop) {
            eprintln!("{peer}: lost   {ping}");
            continue;
        }
        // serverSocket.sendto(message.upper(), address)
        match socket.send_to(&pong_of(&buf[..n]), peer) {
            Ok(_) => eprintln!("{peer}: echoed {ping}"),
            Err(e) => eprintln!("{peer}: cannot reply: {e}"),
        }
    }
}
// ANCHOR_END: server

fn seed_from_clock() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.as_secs() ^ u64::from(now.subsec_nanos()) ^ u64::from(std::process::id())
}

// ANCHOR: client
fn client(host: &str, port: u16, count: u32, timeout: f64) -> netkit::Result<bool> {
    if !(timeout > 0.0 && timeout <= 60.0) {
        return Err(netkit::Fatal::new(
            "--timeout must be between 0 and 60 seconds",
        ));
    }
    let wait = Duration::from_secs_f64(timeout);
    let server = netkit::resolve(host, port)?[0];
    // clientSocket = socket(AF_INET, SOCK_DGRAM); any local port will do.
    let local = if server.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(local)?;
    // connect() on UDP sends nothing: it fixes the peer, so recv() takes only its
    // datagrams and an ICMP "port unreachable" comes back to us as an error.
    socket.connect(server)?;
    println!("PING {server}: {count} pings, waiting up to {timeout} s for each");
    let mut stats = Stats::default();
    let mut buf = [0u8; MAX_DATAGRAM];
    for sequence in 1..=count {
        let sent_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let ping = ping_message(sequence, sent_at);
        let expected = pong_of(ping.as_bytes());
        let start = Instant::now();
        socket.send(ping.as_bytes())?; // clientSocket.sendto(message, (host, port))
        stats.sent += 1;
        // Wait for *this* ping's reply. A late reply to an earlier ping may arrive
        // first: skip it, but within this ping's deadline.
        let deadline = start + wait;
        let rtt = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break None;
            }
            socket.set_read_timeout(Some(left))?; // clientSocket.settimeout(1)
            match socket.recv(&mut buf) {
                Ok(n) if buf[..n] == expected[..] => break Some(start.elapsed()),
                Ok(_) => continue, // someone else's datagram, or a late one
                // except timeout: print('Request timed out')
                Err(e) if timed_out(&e) => break None,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(netkit::connect_error(e, server)),
            }
        };
        match rtt {
            Some(rtt) => {
                println!(
                    "Reply from {server}: seq={sequence} time={} ms",
                    millis(rtt)
                );
                stats.rtts.push(rtt);
            }
            None => println!("Request timed out"),
        }
    }
    println!("\n--- {server} ping statistics ---");
    print!("{}", stats.summary());
    Ok(!stats.rtts.is_empty())
}
// ANCHOR_END: client

/// Whether a receive failed because the read timeout expired.
fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
