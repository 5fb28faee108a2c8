//! A Go-Back-N sender over UDP, driven by your window. This file is complete; your
//! part is `GoBackN` in `src/lib.rs`.
//!
//! `rdt_window FILE --port P` sends FILE to a receiver that speaks the chapter's
//! packets (the course's `rdt receive`, or the tests' own), then a FIN until the
//! receiver answers FINACK.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::Fatal;
use rdt_window::packet::{self, ACK, DATA, FIN, FINACK, MSS};
use rdt_window::{Action, GoBackN};

/// Send a file by Go-Back-N over UDP.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The receiver's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The receiver's UDP port.
    #[arg(long, default_value_t = 12003)]
    port: u16,
    /// The file to send.
    file: String,
    /// Packets in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    window: u16,
    /// Milliseconds before the packets in flight are sent again.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    timeout: u64,
    /// Give up after this many timeouts in a row without a word from the receiver.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    retries: u32,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

/// The socket, the timer, and the counts.
struct Sender {
    socket: UdpSocket,
    receiver: SocketAddr,
    window: u16,
    segments: Vec<Vec<u8>>,
    timeout: Duration,
    /// When the timer fires, if it runs.
    timer: Option<Instant>,
    sent: u64,
    timeouts: u64,
    silent: u32,
}

impl Sender {
    /// Does what the window said.
    fn perform(&mut self, actions: Vec<Action>) -> netkit::Result<()> {
        for action in actions {
            match action {
                Action::Send(n) => {
                    let Some(data) = self.segments.get(n as usize) else {
                        return Err(Fatal::new(format!(
                            "the window asked to send packet {n}, but the file has {} packets",
                            self.segments.len()
                        )));
                    };
                    let bytes = packet::encode(DATA, self.window, n, data);
                    self.socket.send(&bytes).map_err(|e| self.failed(e))?;
                    self.sent += 1;
                }
                Action::StartTimer => self.timer = Some(Instant::now() + self.timeout),
                Action::StopTimer => self.timer = None,
            }
        }
        Ok(())
    }

    /// Waits until `deadline` for a valid reply: Some((kind, seq)), or None.
    fn wait(&mut self, deadline: Instant) -> netkit::Result<Option<(u8, u32)>> {
        let mut buf = [0u8; 2048];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.silent += 1;
                return Ok(None);
            }
            self.socket.set_read_timeout(Some(left))?;
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    if let Some(reply) = packet::decode_reply(&buf[..n]) {
                        self.silent = 0;
                        return Ok(Some(reply));
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    self.silent += 1;
                    return Ok(None);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failed(e)),
            }
        }
    }

    /// A failed send or receive, in words: ICMP "port unreachable" comes back to a
    /// connected UDP socket as ECONNREFUSED.
    fn failed(&self, e: io::Error) -> Fatal {
        if e.kind() == ErrorKind::ConnectionRefused {
            Fatal::new(format!(
                "nothing is listening on {}; start the receiver first",
                self.receiver
            ))
        } else {
            Fatal::new(format!("cannot talk to {}: {e}", self.receiver))
        }
    }
}

fn run(args: Args) -> netkit::Result<()> {
    let data = std::fs::read(&args.file)
        .map_err(|e| Fatal::new(format!("cannot read {}: {e}", args.file)))?;
    let segments: Vec<Vec<u8>> = data.chunks(MSS).map(<[u8]>::to_vec).collect();
    let total = segments.len() as u32;
    let receiver = netkit::resolve(&args.host, args.port)?[0];
    let local = if receiver.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(receiver)?;
    let give_up = || {
        Fatal::new(format!(
            "no answer from {receiver} after {} timeouts in a row; is the receiver running?",
            args.retries
        ))
    };
    let timeout = Duration::from_millis(args.timeout);
    let mut sender = Sender {
        socket,
        receiver,
        window: args.window,
        segments,
        timeout,
        timer: None,
        sent: 0,
        timeouts: 0,
        silent: 0,
    };
    let mut window = GoBackN::new(total, u32::from(args.window));
    let started = Instant::now();
    while !window.is_done() {
        // Fill the window (a correct window says no after `size` packets at most).
        for _ in 0..=args.window {
            if !window.can_send() {
                break;
            }
            let actions = window.send_new();
            sender.perform(actions)?;
        }
        let deadline = sender.timer.unwrap_or_else(|| Instant::now() + timeout);
        match sender.wait(deadline)? {
            Some((ACK, ack)) => {
                let actions = window.on_ack(ack);
                sender.perform(actions)?;
            }
            Some(_) => {}
            None => {
                if sender.timer.is_some_and(|at| at <= Instant::now()) {
                    sender.timer = None;
                    sender.timeouts += 1;
                    let actions = window.on_timeout();
                    sender.perform(actions)?;
                }
            }
        }
        if sender.silent >= args.retries {
            return Err(give_up());
        }
    }
    // The end: FIN until FINACK.
    let fin = packet::encode(FIN, args.window, total, &[]);
    'fin: loop {
        sender.socket.send(&fin).map_err(|e| sender.failed(e))?;
        let deadline = Instant::now() + timeout;
        while let Some((kind, seq)) = sender.wait(deadline)? {
            if kind == FINACK && seq == total {
                break 'fin;
            }
        }
        if sender.silent >= args.retries {
            return Err(give_up());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "sent {} bytes in {total} packets ({} sent in all, {} timeouts) in {seconds:.3} s",
        data.len(),
        sender.sent,
        sender.timeouts
    );
    Ok(())
}
