//! rdt: a file over UDP, made reliable by hand (Kurose & Ross, section 3.4).
//!
//! `rdt receive --out FILE` waits for one file, writes it and exits; `rdt send FILE`
//! sends it with stop-and-wait, Go-Back-N or selective repeat. Both sides can lose
//! and damage their own packets on purpose (`--loss`, `--corrupt`), so that the
//! protocols have something to repair even on loopback.
//!
//! The protocol travels in every packet: the receiver learns it, and the window
//! size, from the first packet that arrives.

use std::fs::File;
use std::io::{self, BufWriter, ErrorKind, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use netkit::Fatal;
use rdt::channel::{Fate, Impair};
use rdt::packet::{self, MAX_PACKET, MAX_WINDOW, MSS};
use rdt::receiver::{Receiver, Verdict};
use rdt::window::{self, Action, Timers};
use rdt::{Kind, Packet, Protocol};

/// The largest file `rdt send` reads (it keeps the whole file in memory).
const MAX_FILE: u64 = 1 << 30;

/// Send a file over UDP reliably: stop-and-wait, Go-Back-N or selective repeat.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Wait for one file, write it, and exit once the sender knows it arrived.
    Receive {
        /// Address to listen on (0.0.0.0 or :: for every interface).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// UDP port to listen on (0 picks any free port).
        #[arg(long, default_value_t = 12003)]
        port: u16,
        /// Where to write the file.
        #[arg(long)]
        out: PathBuf,
        /// After the end of the file, stay this many milliseconds to answer the
        /// sender's FIN again if our FINACK was lost (TCP's TIME_WAIT).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
        linger: u64,
        /// Give up when the sender has been silent this many seconds mid-transfer.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        idle: u64,
        #[command(flatten)]
        channel: ChannelArgs,
    },
    /// Send FILE to a receiver.
    Send {
        /// The receiver's host.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The receiver's UDP port.
        #[arg(long, default_value_t = 12003)]
        port: u16,
        /// The file to send.
        file: PathBuf,
        /// The protocol.
        #[arg(long, value_enum, default_value_t = Protocol::StopAndWait)]
        protocol: Protocol,
        /// Packets in flight at most (gbn and sr; stop-and-wait always has 1).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_WINDOW)))]
        window: u16,
        /// Milliseconds before a packet not acknowledged is sent again.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
        timeout: u64,
        /// Give up after this many timeouts in a row without a word from the
        /// receiver.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
        retries: u32,
        #[command(flatten)]
        channel: ChannelArgs,
    },
}

/// The bad channel each side can add to its own packets.
#[derive(clap::Args)]
struct ChannelArgs {
    /// Percentage of this side's packets to lose on purpose (0 to 100).
    #[arg(long, default_value_t = 0.0, value_parser = percent)]
    loss: f64,
    /// Percentage of this side's packets to damage on purpose (1 to 3 bits flipped).
    #[arg(long, default_value_t = 0.0, value_parser = percent)]
    corrupt: f64,
    /// Seed of the dice that pick those packets; the same seed picks the same ones.
    #[arg(long)]
    seed: Option<u64>,
    /// Print every packet sent, lost, damaged or received, on stderr.
    #[arg(long)]
    trace: bool,
}

fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

fn main() -> ExitCode {
    netkit::finish(match netkit::parse_args::<Args>().role {
        Role::Receive {
            host,
            port,
            out,
            linger,
            idle,
            channel,
        } => receive(&host, port, &out, linger, idle, &channel),
        Role::Send {
            host,
            port,
            file,
            protocol,
            window,
            timeout,
            retries,
            channel,
        } => {
            // Stop-and-wait is a window of one, whatever --window says.
            let window = match protocol {
                Protocol::StopAndWait => 1,
                _ => window,
            };
            let limits = Limits {
                timeout: Duration::from_millis(timeout),
                retries,
            };
            send(&host, port, &file, protocol, window, limits, &channel)
        }
    })
}

/// One side's end of the channel: the socket, its dice, and what they did.
struct Channel {
    socket: UdpSocket,
    impair: Impair,
    trace: bool,
    sent: u64,
    lost: u64,
    damaged: u64,
}

impl Channel {
    fn new(socket: UdpSocket, args: &ChannelArgs) -> Channel {
        let impair = if args.loss > 0.0 || args.corrupt > 0.0 {
            let seed = args.seed.unwrap_or_else(seed_from_clock);
            eprintln!(
                "losing {}% and damaging {}% of the packets this side sends; seed {seed} \
                 (pass --seed {seed} to repeat this run)",
                args.loss, args.corrupt
            );
            Impair::new(args.loss, args.corrupt, seed)
        } else {
            Impair::none()
        };
        Channel {
            socket,
            impair,
            trace: args.trace,
            sent: 0,
            lost: 0,
            damaged: 0,
        }
    }

    // ANCHOR: channel_send
    /// Sends `packet` through the dice: to `to`, or to the connected peer.
    fn send(&mut self, packet: &Packet, to: Option<SocketAddr>) -> io::Result<()> {
        let mut bytes = packet::encode(packet);
        let what = format!("{} {}", packet.kind, packet.seq);
        match self.impair.decide(&mut bytes) {
            Fate::Lost => {
                self.lost += 1;
                self.log(format_args!("lose   {what} (--loss)"));
                return Ok(());
            }
            Fate::Damaged(bits) => {
                self.damaged += 1;
                self.log(format_args!(
                    "damage {what} ({bits} bits flipped, --corrupt)"
                ));
            }
            Fate::Sent => self.log(format_args!("send   {what}")),
        }
        self.sent += 1;
        // sendto(sock, bytes, len, 0, addr) or, on a connected socket, send()
        match to {
            Some(addr) => self.socket.send_to(&bytes, addr)?,
            None => self.socket.send(&bytes)?,
        };
        Ok(())
    }
    // ANCHOR_END: channel_send

    fn log(&self, line: std::fmt::Arguments) {
        if self.trace {
            eprintln!("{line}");
        }
    }
}

fn seed_from_clock() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.as_secs() ^ u64::from(now.subsec_nanos()) ^ u64::from(std::process::id())
}

/// Whether a receive failed because the read timeout expired.
fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

// ---------------------------------------------------------------------------------
// The receiver
// ---------------------------------------------------------------------------------

/// What the receiver knows once the first packet has come.
struct Session {
    peer: SocketAddr,
    protocol: Protocol,
    window: u16,
    receiver: Receiver,
}

/// The receiver's counts, for its last line.
#[derive(Default)]
struct Received {
    bytes: u64,
    data: u64,
    duplicates: u64,
    dropped: u64,
    kept: u64,
    bad: u64,
    foreign: u64,
}

// ANCHOR: receive
fn receive(
    host: &str,
    port: u16,
    out: &PathBuf,
    linger: u64,
    idle: u64,
    args: &ChannelArgs,
) -> netkit::Result<()> {
    let addr = netkit::resolve_one(host, port)?;
    let file = File::create(out)
        .map_err(|e| Fatal::new(format!("cannot write {}: {e}", out.display())))?;
    let mut file = BufWriter::new(file);
    // socket(AF_INET, SOCK_DGRAM, 0); bind(): one socket for the whole transfer.
    let socket = netkit::udp_bind(addr)?;
    netkit::announce(socket.local_addr()?);
    let mut channel = Channel::new(socket, args);
    let mut session: Option<Session> = None;
    let mut count = Received::default();
    // Set once the FIN has come: when to leave, unless another FIN comes.
    let mut leave_at: Option<Instant> = None;
    let mut buf = [0u8; MAX_PACKET + 1]; // one more, to notice a datagram too long
    loop {
        // How long may recvfrom wait? Before the first packet, as long as it takes;
        // during the transfer, --idle; after the FIN, what is left of --linger.
        let wait = match (leave_at, &session) {
            (Some(at), _) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => break,
            },
            (None, Some(_)) => Some(Duration::from_secs(idle)),
            (None, None) => None,
        };
        channel.socket.set_read_timeout(wait)?; // setsockopt(SO_RCVTIMEO)
        // recvfrom(sock, buf, len, 0, &from, &fromlen)
        let (n, from) = match channel.socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if timed_out(&e) && leave_at.is_some() => break,
            Err(e) if timed_out(&e) => {
                file.flush()?;
                return Err(Fatal::new(format!(
                    "the sender went silent for {idle} s; {} holds the first {} bytes",
                    out.display(),
                    count.bytes
                )));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        // Once a transfer has started, anyone else's datagrams are not part of it.
        if let Some(s) = &session
            && from != s.peer
        {
            count.foreign += 1;
            channel
                .log(format_args!("ignore {n} bytes from {from}, not the sender"));
            continue;
        }
        let packet = match packet::decode(&buf[..n]) {
            Ok(packet) => packet,
            Err(why) => {
                count.bad += 1;
                channel.log(format_args!("drop   {n} bytes from {from}: {why}"));
                continue;
            }
        };
        if !matches!(packet.kind, Kind::Data | Kind::Fin) {
            continue; // ACKs are for senders
        }
        let s = session.get_or_insert_with(|| Session {
            peer: from,
            protocol: packet.protocol,
            window: packet.window,
            receiver: Receiver::new(packet.protocol, packet.window),
        });
        if (packet.protocol, packet.window) != (s.protocol, s.window) {
            count.foreign += 1;
            continue; // a packet of another transfer, from the same port
        }
        channel.log(format_args!("recv   {} {}", packet.kind, packet.seq));
        let (protocol, window) = (s.protocol, s.window);
        let mut answer = |kind, seq| {
            let reply = Packet {
                kind,
                protocol,
                window,
                seq,
                data: &[],
            };
            channel.send(&reply, Some(from))
        };
        if packet.kind == Kind::Data {
            count.data += 1;
            let reply = s.receiver.on_data(packet.seq, packet.data);
            match reply.verdict {
                Verdict::Duplicate => count.duplicates += 1,
                Verdict::Dropped => count.dropped += 1,
                Verdict::Kept => count.kept += 1,
                Verdict::Delivered => {}
            }
            // Each byte goes to the file once, in order: only what on_data delivers.
            for data in &reply.deliver {
                file.write_all(data)?;
                count.bytes += data.len() as u64;
            }
            if let Some(ack) = reply.ack {
                answer(Kind::Ack, ack)?;
            }
        } else if packet.seq == s.receiver.delivered() {
            // The FIN, and we have every packet before it: the file is complete.
            if leave_at.is_none() {
                file.flush()?;
            }
            answer(Kind::FinAck, packet.seq)?;
            // Linger, as TCP's TIME_WAIT does: if our FINACK is lost, the sender
            // sends its FIN again, and someone must be here to answer it.
            leave_at = Some(Instant::now() + Duration::from_millis(linger));
        }
    }
    let s = session.expect("the loop ends only after a FIN");
    println!(
        "received {} bytes ({} packets) from {} by {}, window {}",
        count.bytes,
        s.receiver.delivered(),
        s.peer,
        s.protocol,
        s.window
    );
    println!(
        "{} data packets: {} duplicates, {} dropped out of order, {} kept out of order; \
         {} damaged and {} foreign datagrams ignored; {} packets sent, {} lost and {} \
         damaged on purpose",
        count.data,
        count.duplicates,
        count.dropped,
        count.kept,
        count.bad,
        count.foreign,
        channel.sent + channel.lost,
        channel.lost,
        channel.damaged
    );
    Ok(())
}
// ANCHOR_END: receive

// ---------------------------------------------------------------------------------
// The sender
// ---------------------------------------------------------------------------------

/// How patient the sender is.
struct Limits {
    /// How long before a packet not acknowledged goes again.
    timeout: Duration,
    /// How many timeouts of silence from the receiver before giving up.
    retries: u32,
}

/// A valid packet heard from the receiver.
struct Heard {
    kind: Kind,
    seq: u32,
}

/// The sender's state besides its window: the channel, the timers, the file.
struct Sender<'a> {
    channel: Channel,
    receiver: SocketAddr,
    timers: Timers,
    segments: Vec<&'a [u8]>,
    protocol: Protocol,
    window: u16,
    limits: Limits,
    /// When the receiver last said something valid.
    heard: Instant,
    /// Waits that ended in a timeout since then.
    silent: u32,
    timeouts: u64,
    acks: u64,
    bad: u64,
}

impl Sender<'_> {
    // ANCHOR: perform
    /// Does what the window said: send packets, start and stop timers.
    fn perform(&mut self, actions: Vec<Action>) -> netkit::Result<()> {
        for action in actions {
            match action {
                Action::Send(index) => {
                    let packet = Packet {
                        kind: Kind::Data,
                        protocol: self.protocol,
                        window: self.window,
                        seq: self.protocol.wire_seq(index),
                        data: self.segments[index as usize],
                    };
                    self.channel
                        .send(&packet, None)
                        .map_err(|e| self.refused(e))?;
                }
                Action::Start(timer) => {
                    self.timers
                        .start(timer, Instant::now() + self.limits.timeout);
                }
                Action::Stop(timer) => self.timers.stop(timer),
            }
        }
        Ok(())
    }
    // ANCHOR_END: perform

    // ANCHOR: wait
    /// Waits until `deadline` for a valid packet from the receiver: `None` when the
    /// deadline passes first. Damaged datagrams are counted and skipped.
    fn wait(&mut self, deadline: Instant) -> netkit::Result<Option<Heard>> {
        let mut buf = [0u8; MAX_PACKET + 1];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.silent += 1;
                return Ok(None);
            }
            // setsockopt(SO_RCVTIMEO): recv gives up when the next timer is due.
            self.channel.socket.set_read_timeout(Some(left))?;
            let n = match self.channel.socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if timed_out(&e) => {
                    self.silent += 1;
                    return Ok(None);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.refused(e)),
            };
            match packet::decode(&buf[..n]) {
                Ok(p) if p.protocol == self.protocol => {
                    self.channel
                        .log(format_args!("recv   {} {}", p.kind, p.seq));
                    self.heard = Instant::now();
                    self.silent = 0;
                    return Ok(Some(Heard {
                        kind: p.kind,
                        seq: p.seq,
                    }));
                }
                Ok(_) => {} // another protocol's packet: not ours
                Err(why) => {
                    self.bad += 1;
                    self.channel.log(format_args!("drop   {n} bytes: {why}"));
                }
            }
        }
    }
    // ANCHOR_END: wait

    /// The error for a failed send or receive: ICMP "port unreachable" comes back to
    /// a connected UDP socket as ECONNREFUSED.
    fn refused(&self, e: io::Error) -> Fatal {
        if e.kind() == ErrorKind::ConnectionRefused {
            return Fatal::new(format!(
                "nothing is listening on {}; start the receiver first, or check --host \
                 and --port",
                self.receiver
            ));
        }
        netkit::connect_error(e, self.receiver)
    }

    // ANCHOR: give_up
    /// Gives up when the receiver has said nothing through `retries` timeouts in a
    /// row, and for at least `retries` times the timeout. (Both: a timer may fire
    /// later than asked, and several timers may fire within one timeout.)
    fn check_silence(&self) -> netkit::Result<()> {
        let silence = self.limits.timeout * self.limits.retries;
        if self.silent < self.limits.retries || self.heard.elapsed() < silence {
            return Ok(());
        }
        Err(Fatal::new(format!(
            "no answer from {} after {} timeouts in a row ({:.1} s); is the receiver \
             running?",
            self.receiver,
            self.limits.retries,
            self.heard.elapsed().as_secs_f64()
        )))
    }
    // ANCHOR_END: give_up
}

// ANCHOR: send
fn send(
    host: &str,
    port: u16,
    path: &PathBuf,
    protocol: Protocol,
    window: u16,
    limits: Limits,
    args: &ChannelArgs,
) -> netkit::Result<()> {
    let data = read_file(path)?;
    let segments: Vec<&[u8]> = data.chunks(MSS).collect();
    let total = segments.len() as u32;
    let receiver = netkit::resolve(host, port)?[0];
    // socket(AF_INET, SOCK_DGRAM, 0), any local port; connect() sends nothing: it
    // fixes the peer, so recv() takes only the receiver's datagrams, and an ICMP
    // "port unreachable" comes back to us as ECONNREFUSED.
    let local = if receiver.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(receiver)?;
    println!(
        "sending {} ({} bytes, {total} packets) to {receiver} by {protocol}, window {window}",
        path.display(),
        data.len()
    );
    let started = Instant::now();
    let mut sender = Sender {
        channel: Channel::new(socket, args),
        receiver,
        timers: Timers::default(),
        segments,
        protocol,
        window,
        limits,
        heard: started,
        silent: 0,
        timeouts: 0,
        acks: 0,
        bad: 0,
    };
    let mut state = window::new(protocol, total, u32::from(window));
    // The data: send what the window allows, then wait for an ACK or a timer.
    while !state.is_done() {
        while state.can_send() {
            let actions = state.send_new();
            sender.perform(actions)?;
        }
        let next_timer = sender.timers.earliest();
        let deadline =
            next_timer.unwrap_or_else(|| Instant::now() + sender.limits.timeout);
        match sender.wait(deadline)? {
            Some(Heard {
                kind: Kind::Ack,
                seq,
            }) => {
                sender.acks += 1;
                let actions = state.on_ack(seq);
                sender.perform(actions)?;
            }
            Some(_) => {} // a FINACK from an earlier run: nothing to do with us
            None => {
                for timer in sender.timers.expired(Instant::now()) {
                    sender.timeouts += 1;
                    sender.channel.log(format_args!("timer  {timer} fired"));
                    let actions = state.on_timeout(timer);
                    sender.perform(actions)?;
                }
            }
        }
        sender.check_silence()?;
    }
    // The end: FIN until the receiver answers FINACK, which means it has everything.
    let fin = Packet {
        kind: Kind::Fin,
        protocol,
        window,
        seq: total,
        data: &[],
    };
    'fin: loop {
        sender
            .channel
            .send(&fin, None)
            .map_err(|e| sender.refused(e))?;
        let deadline = Instant::now() + sender.limits.timeout;
        while let Some(heard) = sender.wait(deadline)? {
            if heard.kind == Kind::FinAck && heard.seq == total {
                break 'fin;
            }
        }
        sender.timeouts += 1;
        sender.check_silence()?;
    }
    report(&sender, data.len(), started.elapsed());
    Ok(())
}
// ANCHOR_END: send

fn read_file(path: &PathBuf) -> netkit::Result<Vec<u8>> {
    let cannot =
        |e: io::Error| Fatal::new(format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE {
        return Err(Fatal::new(format!(
            "{} is {size} bytes; rdt sends files of up to 1 GiB",
            path.display()
        )));
    }
    std::fs::read(path).map_err(cannot)
}

/// The sender's last lines: the goodput (file bytes per second, every header and
/// retransmission left out) and what it took.
fn report(sender: &Sender, bytes: usize, took: Duration) {
    let seconds = took.as_secs_f64().max(1e-6);
    let channel = &sender.channel;
    let packets = channel.sent + channel.lost;
    let first_time = sender.segments.len() as u64 + 1; // every packet once, and the FIN
    println!(
        "done in {seconds:.3} s: {:.3} Mbit/s goodput",
        bytes as f64 * 8.0 / seconds / 1e6
    );
    println!(
        "{packets} packets sent ({} again), {} lost and {} damaged on purpose; {} timeouts; \
         {} ACKs, {} damaged datagrams ignored",
        packets.saturating_sub(first_time),
        channel.lost,
        channel.damaged,
        sender.timeouts,
        sender.acks,
        sender.bad
    );
}
