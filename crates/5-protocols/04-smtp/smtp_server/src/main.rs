//! An SMTP server you can talk to with nc: the mail dialogue from the notes,
//! delivered to mbox files.
//!
//! One thread per client. Each thread reads the client's lines, hands them to the
//! protocol state machine in `lib.rs`, writes its replies, and appends every
//! finished message to one mailbox file per recipient in the spool folder
//! (`spool/bob` for `bob@anywhere`).
//!
//! SIGINT and SIGTERM stop it gracefully (RFC 5321, section 3.8): no new
//! connections; a message already under way is still received and delivered;
//! other commands get `421`, and sessions still open when the grace period ends
//! are told `421` unprompted.

use std::io::{BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime};

use clap::Parser;
use netkit::{Connections, Signal, Signals, Tracked, Woken};
use smtp_server::{
    Config, Input, MAX_TEXT_LINE, Session, Step, deliver, read_line, reply,
};

/// Receive mail over SMTP and append it to mbox files.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port; the real SMTP port, 25, needs
    /// root).
    #[arg(long, default_value_t = 2525)]
    port: u16,
    /// Folder of mailboxes: mail for bob@… is appended to SPOOL/bob.
    #[arg(long, default_value = "spool")]
    spool: PathBuf,
    /// The name the server gives itself in the greeting.
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// Largest message accepted, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_size: usize,
    /// Seconds a client may stay silent before the server hangs up.
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    /// Clients served at once; more are told to come back later (421).
    #[arg(long, default_value_t = 64)]
    max_clients: usize,
    /// Seconds the sessions get to finish after SIGINT or SIGTERM; a message
    /// under way is still delivered.
    #[arg(long, default_value_t = 5)]
    grace: u64,
}

/// What every client thread shares.
struct Shared {
    config: Config,
    spool: PathBuf,
    /// Held while a message is appended, so two messages never interleave in a
    /// file.
    delivering: Mutex<()>,
    idle: Duration,
    /// Set on SIGINT or SIGTERM: the server is shutting down.
    stopping: AtomicBool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    smtp_server::prepare_spool(&args.spool).map_err(|e| {
        netkit::Fatal::new(format!(
            "cannot create the spool folder {}: {e}; pass --spool",
            args.spool.display()
        ))
    })?;
    // ANCHOR: listen
    // getaddrinfo(), socket(), setsockopt(SO_REUSEADDR), bind(), listen()
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    netkit::announce(listener.local_addr()?);
    let shared = Arc::new(Shared {
        config: Config {
            hostname: args.hostname,
            max_size: args.max_size,
        },
        spool: args.spool,
        delivering: Mutex::new(()),
        idle: Duration::from_secs(args.idle_timeout),
        stopping: AtomicBool::new(false),
    });
    // The sessions being served: counted for --max-clients and the shutdown.
    let sessions = Connections::new();
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
        if sessions.count() >= args.max_clients {
            let busy = reply(421, "too many connections, try again later");
            let _ = (&conn).write_all(busy.as_bytes());
            continue;
        }
        let conn = sessions.track(conn);
        let shared = Arc::clone(&shared);
        // A thread for this client.
        let spawned = thread::Builder::new().spawn(move || {
            eprintln!("{peer}: connected");
            match serve(&conn, peer, &shared) {
                Ok(()) if conn.was_cut_off() => {
                    eprintln!("{peer}: told 421 at the end of the grace period")
                }
                Ok(()) => eprintln!("{peer}: closed"),
                Err(e) if timed_out(&e) => {
                    eprintln!("{peer}: idle too long, dropped")
                }
                Err(e) => eprintln!("{peer}: dropped: {e}"),
            }
        });
        if let Err(e) = spawned {
            // The system is out of threads; this client is closed unserved.
            eprintln!("{peer}: cannot start a thread: {e}");
        }
    }
    // ANCHOR_END: listen

    // ANCHOR: shutdown
    // Tell the sessions that no new mail transaction may begin (see serve), and
    // close() the listener, so new clients are refused.
    shared.stopping.store(true, Ordering::SeqCst);
    drop(listener);
    let grace = Duration::from_secs(args.grace);
    if netkit::wait_for_clients(grace, || sessions.count()) > 0 {
        // Time is up: wake the sessions still waiting, so they can say 421.
        sessions.cut_off(Duration::from_secs(1));
    }
    Ok(())
    // ANCHOR_END: shutdown
}

// ANCHOR: serve
/// One client's conversation: greet, then a reply for every command, until QUIT.
fn serve(conn: &Tracked, peer: SocketAddr, shared: &Shared) -> std::io::Result<()> {
    conn.set_read_timeout(Some(shared.idle))?;
    conn.set_write_timeout(Some(shared.idle))?;
    let mut session = Session::new(shared.config.clone(), peer.ip());
    let mut writer: &TcpStream = conn;
    let mut reader = BufReader::new(writer);
    writer.write_all(session.greeting().as_bytes())?; // 220 localhost ESMTP ...
    let mut line = Vec::new();
    loop {
        // recv() until a whole line has arrived (at most MAX_TEXT_LINE bytes),
        // its ending kept: in DATA, CRLF and a bare LF differ.
        let read = read_line(&mut reader, &mut line, MAX_TEXT_LINE);
        if shared.stopping.load(Ordering::SeqCst) {
            // The next command gets 421, unless it belongs to a transaction
            // under way (RFC 5321, section 3.8).
            session.server_stopping();
        }
        let step = match read {
            Ok(Input::Line) => session.line(&line),
            Ok(Input::TooLong) => session.line_too_long(&line),
            // The grace period is over (the server shut down our reading
            // side): 421, unprompted. A message not yet ended with "." is not
            // delivered; without a 250 the client still has it, and will retry.
            Ok(Input::End | Input::Unterminated) if conn.was_cut_off() => {
                return writer.write_all(session.shutting_down().as_bytes());
            }
            // Closed without QUIT: nothing more to do.
            Ok(Input::End | Input::Unterminated) => return Ok(()),
            Err(e) if timed_out(&e) => {
                // 421 idle for too long, closing connection
                let _ = writer.write_all(session.timeout().as_bytes());
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        // send() the reply, if the line called for one.
        match step {
            Step::Nothing => {}
            Step::Reply(text) => writer.write_all(text.as_bytes())?,
            Step::ReplyAndClose(text) => return writer.write_all(text.as_bytes()),
            Step::Deliver(message) => {
                let result = append_to_mailboxes(shared, &message);
                match &result {
                    Ok(n) => eprintln!(
                        "{peer}: message from <{}> for {n} mailbox(es)",
                        message.from
                    ),
                    Err(e) => eprintln!("{peer}: delivery failed: {e}"),
                }
                writer.write_all(session.delivered(&result).as_bytes())?;
            }
        }
    }
}
// ANCHOR_END: serve

fn append_to_mailboxes(
    shared: &Shared,
    message: &smtp_server::Message,
) -> std::io::Result<usize> {
    // A thread that panicked while holding the lock cannot have left a
    // half-written entry behind that matters more than the next message: go on.
    let _guard = shared
        .delivering
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    deliver(&shared.spool, message, SystemTime::now())
}

/// Whether a read failed because the read timeout expired.
fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
