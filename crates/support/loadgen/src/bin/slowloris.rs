//! slowloris: the attack of that name, as a measuring tool. It holds many connections open
//! to a web server: half of them send a request head one byte at a time and never finish
//! it, the other half send nothing at all. Whenever the server closes one, it opens
//! another, so the count stays up. It runs for `--duration` seconds, then says what the
//! server did. Loopback only.
//!
//! While it runs, `loadgen --http PATH` measures what a normal client gets.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use netkit::Fatal;

/// Hold many slow connections open to a web server (slowloris), for a bounded time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Server address (loopback only).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long)]
    port: u16,
    /// Connections to keep open.
    #[arg(short = 'c', long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    connections: u32,
    /// Milliseconds between two bytes of a dribbling connection.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    interval: u64,
    /// Seconds to run.
    #[arg(short = 'd', long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
}

/// The start of a request whose head never ends: after it, one more `a` per interval.
const HEAD_START: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

struct Slow {
    conn: TcpStream,
    dribbles: bool,
    received: Vec<u8>,
}

#[derive(Default)]
struct Counts {
    opened: u64,
    failed_to_open: u64,
    closed_by_server: u64,
    answered_408: u64,
    answered_other: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addrs = netkit::resolve(&args.host, args.port)?;
    if let Some(outside) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        return Err(Fatal::new(format!(
            "{outside} is not a loopback address; slowloris only targets this machine"
        )));
    }
    let target = addrs[0];
    let interval = Duration::from_millis(args.interval);
    let end = Instant::now() + Duration::from_secs(args.duration);
    let mut counts = Counts::default();
    let mut slow: Vec<Option<Slow>> = Vec::new();
    for n in 0..args.connections as usize {
        slow.push(open(target, n % 2 == 0, &mut counts));
    }
    let open_now = slow.iter().flatten().count();
    eprintln!("slowloris: {open_now} connections open");
    let mut most_open = open_now;

    while Instant::now() < end {
        thread::sleep(interval.min(end.saturating_duration_since(Instant::now())));
        for (n, entry) in slow.iter_mut().enumerate() {
            let closed = match entry {
                Some(s) => step(s, &mut counts),
                None => true,
            };
            if closed && Instant::now() < end {
                // The server closed it (or it never opened): open another in its place.
                *entry = open(target, n % 2 == 0, &mut counts);
            }
        }
        most_open = most_open.max(slow.iter().flatten().count());
    }
    let open_at_end = slow.iter().flatten().count();
    println!(
        "slowloris: {} connections for {} s: {} opened ({} failed to open), {} closed by the \
         server ({} with 408, {} with another answer, the rest without one), {} open at most, \
         {} at the end",
        args.connections,
        args.duration,
        counts.opened,
        counts.failed_to_open,
        counts.closed_by_server,
        counts.answered_408,
        counts.answered_other,
        most_open,
        open_at_end
    );
    Ok(())
}

/// A new slow connection: the dribblers send the start of their head at once.
fn open(target: SocketAddr, dribbles: bool, counts: &mut Counts) -> Option<Slow> {
    let connected = TcpStream::connect_timeout(&target, Duration::from_secs(2)).and_then(|conn| {
        if dribbles {
            (&conn).write_all(HEAD_START)?;
        }
        conn.set_nonblocking(true)?;
        Ok(conn)
    });
    match connected {
        Ok(conn) => {
            counts.opened += 1;
            Some(Slow {
                conn,
                dribbles,
                received: Vec::new(),
            })
        }
        Err(_) => {
            counts.failed_to_open += 1;
            None
        }
    }
}

/// One more byte from a dribbler, and a look at what the server sent. True when the
/// server has closed the connection.
fn step(slow: &mut Slow, counts: &mut Counts) -> bool {
    if slow.dribbles {
        let _ = (&slow.conn).write_all(b"a"); // fails once the server has closed
    }
    let mut buf = [0u8; 4096];
    loop {
        match (&slow.conn).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => slow.received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(_) => break,
        }
    }
    counts.closed_by_server += 1;
    if slow.received.starts_with(b"HTTP/1.1 408") {
        counts.answered_408 += 1;
    } else if !slow.received.is_empty() {
        counts.answered_other += 1;
    }
    true
}
