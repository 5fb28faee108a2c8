//! A syslog server after Real World Haskell's chapter 27: first over UDP, one
//! datagram per message; with `--tcp`, a threaded TCP server with a lock around the
//! output.
//!
//! Each message is printed on one line: who sent it, its `<PRI>` decoded into
//! facility and severity names, and the message.
//!
//! SIGINT and SIGTERM end the UDP server at once. The TCP server stops accepting,
//! lets its senders finish within a grace period, then cuts off the rest, still
//! printing everything they had sent.
//!
//! Idle TCP connections cannot lock senders out: one that sends nothing for
//! `--idle-timeout` is closed, and at `--max-clients` a new sender takes the place of
//! the connection that has been idle the longest.

use std::io::{self, BufReader, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clap::Parser;
use netkit::{Connections, Ready, Signal, Signals, Tracked, Woken};
use socket2::{SockRef, TcpKeepalive};
use syslog_server::{Frame, MAX_MESSAGE, read_frame, render};

/// Receive syslog messages and print them, one per line, PRI decoded.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port; the real syslog port, 514, needs
    /// root).
    #[arg(long, default_value_t = 1514)]
    port: u16,
    /// Listen on TCP (a thread per sender) instead of UDP.
    #[arg(long)]
    tcp: bool,
    /// TCP connections at once; at the limit, a new sender takes the place of the
    /// connection idle the longest.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_clients: u32,
    /// Seconds a TCP connection may send nothing before it is closed (0: never).
    #[arg(long, default_value_t = 600)]
    idle_timeout: u64,
    /// Seconds TCP senders get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
}

/// The output every thread prints to: one lock, so lines never mix.
type Output = Arc<Mutex<io::Stdout>>;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let output: Output = Arc::new(Mutex::new(io::stdout()));
    if args.tcp {
        serve_tcp(addr, output, &args)
    } else {
        serve_udp(addr, &output)
    }
}

// ANCHOR: udp
fn serve_udp(addr: SocketAddr, output: &Output) -> netkit::Result<()> {
    // socket(AF_INET, SOCK_DGRAM, 0) + bind(): the Haskell serveLog's first half.
    let socket = netkit::udp_bind(addr)?;
    // SIGINT and SIGTERM end the server at once, with status 0 (each datagram is
    // printed as it arrives: nothing is under way).
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    // Non-blocking: poll() may report a datagram that recvfrom then drops (a bad
    // checksum), and the loop must go back to poll, not hang in recvfrom.
    socket.set_nonblocking(true)?;
    netkit::announce(socket.local_addr()?);
    // The largest UDP payload there is: no datagram is ever cut short.
    let mut buf = vec![0u8; 65_536];
    loop {
        // poll() on the socket and the signal pipe: a message, or the end?
        if let Ready::Signals(arrived) = netkit::wait_readable(&socket, &signals)? {
            eprintln!("{}: stopping", arrived[0]);
            return Ok(());
        }
        // recvfrom(): one datagram is one message, and says who sent it.
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => {
                // No sender can make recvfrom fail; the system might (short of
                // memory): say so, pause a moment, and go on.
                eprintln!("recvfrom failed: {e}");
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        print_message(output, peer, &buf[..n]);
    }
}
// ANCHOR_END: udp

// ANCHOR: print
/// Prints one message. The lock is held for the whole line, so two threads printing
/// at once produce two whole lines, never a mix of both.
fn print_message(output: &Output, peer: SocketAddr, message: &[u8]) {
    let (line, valid) = render(&peer.to_string(), message);
    if !valid {
        eprintln!("{peer}: no valid <PRI>; shown as user.notice (RFC 3164, 4.3.3)");
    }
    let mut out = output
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
// ANCHOR_END: print

// ANCHOR: tcp
fn serve_tcp(addr: SocketAddr, output: Output, args: &Args) -> netkit::Result<()> {
    let listener = netkit::tcp_listen(addr)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    netkit::announce(listener.local_addr()?);
    // The senders being served: counted for --max-clients and for the shutdown.
    let senders = Connections::new();
    let mut backoff = netkit::AcceptBackoff::new();
    loop {
        // poll() on the listener and the signal pipe, then accept().
        let (conn, peer) =
            match netkit::accept_or_signal(&listener, &signals, &mut backoff)? {
                Woken::Client(conn, peer) => (conn, peer),
                Woken::Signals(arrived) => {
                    eprintln!("{}: no new connections from now on", arrived[0]);
                    break;
                }
            };
        // At the limit, the newcomer is not refused: connections that say
        // nothing must not lock out the ones that have something to log. The
        // connection idle the longest makes room (a sender that logs often is
        // never the idlest for long).
        if senders.count() >= args.max_clients as usize
            && let Some(closed) = senders.close_idlest()
        {
            let who = closed.peer.map_or("a sender".to_owned(), |p| p.to_string());
            let secs = closed.idle.as_secs();
            eprintln!("{who}: closed after {secs} s idle, to make room for {peer}");
        }
        let conn = senders.track(conn);
        let output = Arc::clone(&output);
        let idle =
            (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout));
        // forkIO in the Haskell: a thread per sender.
        let spawned = thread::Builder::new().spawn(move || {
            eprintln!("{peer}: connected");
            let received = receive(&conn, peer, &output, idle);
            let how = if conn.was_cut_off() {
                "cut off"
            } else if conn.was_closed_idle() {
                "closed to make room"
            } else {
                "closed"
            };
            match received {
                Ok(1) => eprintln!("{peer}: {how} after 1 message"),
                Ok(count) => eprintln!("{peer}: {how} after {count} messages"),
                Err(e) if is_timeout(&e) => {
                    let secs = idle.map_or(0, |i| i.as_secs());
                    eprintln!("{peer}: closed, nothing received for {secs} s");
                }
                Err(e) => eprintln!("{peer}: dropped: {e}"),
            }
        });
        if let Err(e) = spawned {
            // The system is out of threads; this sender is closed unserved.
            eprintln!("{peer}: cannot start a thread: {e}");
        }
    }
    // close() the listener, give the senders --grace seconds to finish, and
    // then cut off the rest: what they had sent by then is still printed.
    drop(listener);
    let grace = Duration::from_secs(args.grace);
    if netkit::wait_for_clients(grace, || senders.count()) > 0 {
        senders.cut_off(Duration::from_secs(1));
    }
    Ok(())
}

/// One sender's messages, until it closes (or sends nothing for `idle`).
fn receive(
    conn: &Tracked,
    peer: SocketAddr,
    output: &Output,
    idle: Option<Duration>,
) -> io::Result<u64> {
    // Log senders may be quiet for a long time: the read timeout is generous
    // (--idle-timeout, 10 minutes), and a real sender connects again when it next
    // has something to say. Keep-alive probes find the ones that vanished
    // without closing (a minute of silence, then every 10 s).
    conn.set_read_timeout(idle)?;
    let keepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10));
    SockRef::from(&**conn).set_tcp_keepalive(&keepalive)?;
    let mut reader = BufReader::new(&**conn);
    let mut count = 0;
    loop {
        match read_frame(&mut reader)? {
            Frame::Message(message) => {
                // A whole message: this connection is a sender, not an idler.
                conn.touch();
                print_message(output, peer, &message);
                count += 1;
            }
            Frame::TooLong => {
                eprintln!("{peer}: a message over {MAX_MESSAGE} bytes, skipped")
            }
            Frame::End => return Ok(count),
        }
    }
}
// ANCHOR_END: tcp

/// Whether a read failed because the read timeout expired.
fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
