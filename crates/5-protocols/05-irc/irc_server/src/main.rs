//! A small IRC server: the commands from the notes (NICK, USER, JOIN, PRIVMSG,
//! PART, QUIT, PING) and what a client needs around them, usable from nc and from
//! real clients.
//!
//! Two threads per client: a reader that parses its lines and applies them to the
//! shared state (`lib.rs`), and a writer that sends whatever lands in the client's
//! outbox.
//!
//! Flood control as RFC 1459 §8.10 has it: a client's lines are handled at the pace
//! of its flood clock (a burst, then one every 2 s); meanwhile the reader does not
//! read, and a client that goes on sending regardless is cut off with `Excess Flood`.
//!
//! SIGINT and SIGTERM stop it: no new connections, and every client gets
//! `ERROR :Closing Link: ... (Server shutting down)` after whatever was already
//! queued for it; the writers have a grace period to send it.

use std::io::{BufReader, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use irc_server::message::MAX_LINE;
use irc_server::{
    EXCESS_FLOOD, FloodClock, Irc, MAX_UNREAD, Next, OUTBOX, Out, Outlet,
    SHUTTING_DOWN,
};
use netkit::textline::{self, Line};
use netkit::{Connections, Signal, Signals, Woken};

/// A small IRC server for nc and real IRC clients.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 6667)]
    port: u16,
    /// The server's name, as it appears in replies.
    #[arg(long, default_value = "irc.localhost")]
    name: String,
    /// Seconds of silence before the server sends PING; as long again without an
    /// answer and the client is disconnected.
    #[arg(long, default_value_t = 120)]
    ping_after: u64,
    /// Clients connected at once.
    #[arg(long, default_value_t = 256)]
    max_clients: usize,
    /// Seconds the clients' last lines get to reach them after SIGINT or
    /// SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
    /// Milliseconds each line moves the client's flood clock on (RFC 1459
    /// §8.10: 2000); 0 turns flood control off.
    #[arg(long, default_value_t = 2000)]
    penalty_ms: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    netkit::announce(listener.local_addr()?);
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let created = format!("at Unix time {}", started.as_secs());
    let irc = Arc::new(Irc::new(&args.name, &created, args.max_clients));
    let ping_after = Duration::from_secs(args.ping_after.max(1));
    let penalty = Duration::from_millis(args.penalty_ms);
    // The connections being served, counted for the shutdown.
    let connections = Connections::new();
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
        let conn = connections.track(conn);
        let irc = Arc::clone(&irc);
        let spawned = thread::Builder::new().spawn(move || {
            if let Err(e) = client(&irc, &conn, peer, ping_after, penalty) {
                eprintln!("{peer}: {e}");
            }
        });
        if let Err(e) = spawned {
            eprintln!("{peer}: cannot start a thread: {e}"); // the connection is closed
        }
    }

    // ANCHOR: shutdown
    // close() the listener; tell every client the server is going (ERROR), and
    // give their writers --grace seconds to send what is queued and close.
    drop(listener);
    let told = irc.close_all();
    eprintln!("shutting down: told {told} client(s)");
    netkit::wait_for_clients(Duration::from_secs(args.grace), || {
        connections.count()
    });
    Ok(())
    // ANCHOR_END: shutdown
}

// ANCHOR: client
/// One client, from connection to goodbye.
fn client(
    irc: &Irc,
    mut conn: &TcpStream,
    peer: SocketAddr,
    ping_after: Duration,
    penalty: Duration,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(ping_after))?;
    conn.set_write_timeout(Some(Duration::from_secs(30)))?;
    // Every descriptor this client needs, before it joins the shared state: if
    // the process is out of them, the client is refused and nothing is left over.
    let cut_off_handle = conn.try_clone()?;
    let writer_conn = conn.try_clone()?;
    let (outbox, inbox) = sync_channel(OUTBOX);
    let outlet = Outlet {
        outbox,
        socket: Some(cut_off_handle),
    };
    let id = match irc.connect(peer.ip(), outlet) {
        Ok(id) => id,
        Err(why) => {
            let refused = format!("ERROR :Closing Link: {} ({why})\r\n", peer.ip());
            return conn.write_all(refused.as_bytes());
        }
    };
    eprintln!("{peer}: connected");
    let spawned =
        thread::Builder::new().spawn(move || write_out(inbox, writer_conn));
    let writer = match spawned {
        Ok(writer) => writer,
        Err(e) => {
            irc.disconnect(id, "Server out of resources");
            return Err(e);
        }
    };

    let mut reader = BufReader::new(conn);
    let mut line = Vec::new();
    let mut pinged = false;
    let mut clock = FloodClock::new(Instant::now(), penalty);
    let reason = loop {
        let read = textline::read_line(&mut reader, &mut line, MAX_LINE);
        // ANCHOR: flood
        if let Ok(Line::Complete | Line::TooLong) = read {
            // The flood clock is too far ahead: wait, reading nothing. A
            // client that has sent a lot more meanwhile is not slowing down:
            // it is cut off.
            let wait = clock.wait(Instant::now());
            if !wait.is_zero() {
                if reader.buffer().len() + unread(conn) > MAX_UNREAD {
                    break Some(EXCESS_FLOOD.to_owned());
                }
                thread::sleep(wait);
            }
            clock.charge(Instant::now());
        }
        // ANCHOR_END: flood
        match read {
            Ok(Line::Complete) => {
                pinged = false;
                if irc.handle(id, &line) == Next::Close {
                    break None; // QUIT: the state already said goodbye for us
                }
            }
            Ok(Line::TooLong) => irc.too_long(id),
            Ok(Line::Unterminated) => {
                let _ = irc.handle(id, &line);
                break Some("Connection closed".to_owned());
            }
            Ok(Line::End) => break Some("Connection closed".to_owned()),
            Err(e) if timed_out(&e) => {
                if pinged {
                    break Some("Ping timeout".to_owned());
                }
                irc.ping(id); // still there?
                pinged = true;
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                break Some("Connection reset by peer".to_owned());
            }
            Err(e) => break Some(format!("Read error: {e}")),
        }
    };
    if let Some(reason) = &reason {
        irc.disconnect(id, reason);
    }
    let why = match &reason {
        _ if irc.closed() => SHUTTING_DOWN, // close_all ended it
        Some(reason) => reason,
        None => "QUIT",
    };
    eprintln!("{peer}: gone ({why})");
    let _ = writer.join();
    Ok(())
}
// ANCHOR_END: client

/// How many bytes the client has sent that wait in the kernel, unread (the
/// FIONREAD ioctl; std has no call for it).
fn unread(conn: &TcpStream) -> usize {
    let mut waiting: libc::c_int = 0;
    // SAFETY: FIONREAD stores one c_int through the pointer, which points to
    // `waiting`; the descriptor is the open socket `conn` owns.
    let done =
        unsafe { libc::ioctl(conn.as_raw_fd(), libc::FIONREAD, &mut waiting) };
    if done == 0 {
        waiting.max(0) as usize
    } else {
        0
    }
}

/// Whether a read failed because the read timeout expired.
fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

// ANCHOR: write_out
/// The writer thread: sends every line of the outbox, in order, until told to close
/// or until the client is forgotten (its outbox sender dropped).
fn write_out(inbox: Receiver<Out>, mut conn: TcpStream) {
    for out in inbox {
        match out {
            Out::Line(line) => {
                if conn.write_all(line.as_bytes()).is_err() {
                    break; // gone, or not reading for 30 s
                }
            }
            Out::Close => break,
        }
    }
    // Wakes the reader, if it is still waiting.
    let _ = conn.shutdown(Shutdown::Both);
}
// ANCHOR_END: write_out
