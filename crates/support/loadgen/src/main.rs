//! loadgen: opens many connections to an uppercase server at once and measures it.
//!
//! Each of `--connections` threads is one client. In the default mode a client connects
//! once and sends `--requests` requests of `--size` bytes, one at a time, reading each reply
//! in full and checking every byte before sending the next. With `--connect-per-request`
//! every request has a connection of its own (connect, send, shutdown, read to the end),
//! which measures what a connection costs the server. `--duration` runs for a time
//! instead of a count. With `--http PATH` it loads a web server instead: each client sends
//! keep-alive `GET PATH` requests, reads every response to its last byte, and checks the
//! status (200) and the body length. It only ever talks to loopback.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use loadgen::{
    Errors, Expect, Measured, Report, end_of_response_head, expected, http_get,
    parse_response_head, request,
};
use netkit::Fatal;

/// Load an uppercase server with many clients; check every reply; report rates and latency.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Server address (loopback only: 127.0.0.1, ::1 or localhost).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Clients at once, each on its own thread with its own connection.
    #[arg(short = 'c', long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    connections: u32,
    /// Requests each client sends (ignored with --duration).
    #[arg(short = 'n', long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    requests: u64,
    /// Run for this many seconds instead of a number of requests.
    #[arg(short = 'd', long, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: Option<u64>,
    /// Bytes per request.
    #[arg(short = 's', long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    size: u32,
    /// A new connection for every request, closed after the reply.
    #[arg(long)]
    connect_per_request: bool,
    /// What a correct reply is.
    #[arg(long, value_enum, default_value_t = Expect::Upper)]
    expect: Expect,
    /// Load a web server: keep-alive `GET PATH` requests; every response must be
    /// `200` with the expected body length.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["connect_per_request", "expect", "size"])]
    http: Option<String>,
    /// With --http: the body length every response must have [default: the length of a
    /// first GET's body, made before the run].
    #[arg(long, requires = "http")]
    expect_bytes: Option<u64>,
    /// Seconds any one connect, send or receive may take before it counts as an error.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    timeout: u64,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// A name for this run, in the CSV and JSON output.
    #[arg(long, default_value = "")]
    label: String,
    /// No progress lines on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    /// A header line and one row.
    Csv,
    /// Only the row, to append to a file that has the header already.
    CsvRow,
    Json,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

/// What one client thread brings back.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// When the first reply arrived, counted from the start of the run.
    first_reply: Option<Duration>,
    connects: u64,
    errors: Errors,
}

/// What every client thread shares.
struct Plan {
    target: SocketAddr,
    requests: u64,
    deadline: Option<Duration>,
    size: usize,
    expect: Expect,
    timeout: Duration,
    /// Successful requests so far, for the progress line.
    done: AtomicU64,
    /// Set when the run must stop (the duration is over).
    stop: AtomicBool,
    /// With --http: the request, and the body length every response must have.
    http: Option<(Vec<u8>, u64)>,
}

fn run(args: Args) -> netkit::Result<()> {
    let target = loopback_target(&args.host, args.port)?;
    let timeout = Duration::from_secs(args.timeout);
    let http = match &args.http {
        Some(path) => {
            let get = http_get(path, &args.host);
            let length = match args.expect_bytes {
                Some(length) => length,
                None => probe(target, &get, timeout)?,
            };
            Some((get, length))
        }
        None => None,
    };
    let plan = Arc::new(Plan {
        target,
        requests: args.requests,
        deadline: args.duration.map(Duration::from_secs),
        size: match &http {
            Some((_, length)) => *length as usize,
            None => args.size as usize,
        },
        expect: args.expect,
        timeout,
        done: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        http,
    });
    let connections = args.connections as usize;

    // ANCHOR: spawn
    // Every client thread waits at the barrier, so they all start together.
    let start_line = Arc::new(Barrier::new(connections + 1));
    let mut clients = Vec::with_capacity(connections);
    for id in 0..connections {
        let plan = Arc::clone(&plan);
        let start_line = Arc::clone(&start_line);
        let per_request = args.connect_per_request;
        let client = thread::Builder::new()
            .name(format!("client {id}"))
            // A client needs little stack; 1,000 of them stay small.
            .stack_size(256 * 1024)
            .spawn(move || {
                start_line.wait();
                let begun = Instant::now();
                if plan.http.is_some() {
                    http_keep_alive(&plan, begun)
                } else if per_request {
                    connection_per_request(id, &plan, begun)
                } else {
                    persistent(id, &plan, begun)
                }
            })
            .map_err(|e| Fatal::new(format!("cannot start client {id}: {e}")))?;
        clients.push(client);
    }
    start_line.wait();
    let started = Instant::now();
    // ANCHOR_END: spawn

    let watcher = watch(Arc::clone(&plan), started, !args.quiet);
    let mut measured = Measured::default();
    for client in clients {
        let tally = client
            .join()
            .map_err(|_| Fatal::new("a client thread panicked"))?;
        measured.latencies.extend(tally.latencies);
        measured.first_replies.extend(tally.first_reply);
        measured.connects += tally.connects;
        measured.errors.add(tally.errors);
    }
    let errors = measured.errors;
    let elapsed = started.elapsed();
    plan.stop.store(true, Ordering::SeqCst);
    let _ = watcher.join();

    let mode = if args.http.is_some() {
        "http-keep-alive"
    } else if args.connect_per_request {
        "connect-per-request"
    } else {
        "persistent"
    };
    let report = Report::new(
        args.label,
        target,
        mode,
        (connections, plan.size),
        measured,
        elapsed,
    );
    match args.format {
        Format::Text => print!("{}", report.text()),
        Format::Csv => println!("{}\n{}", Report::CSV_HEADER, report.csv_row()),
        Format::CsvRow => println!("{}", report.csv_row()),
        Format::Json => println!("{}", report.json()),
    }
    match errors.total() {
        0 => Ok(()),
        n => Err(Fatal::new(format!(
            "{n} request(s) failed (connect {}, io {}, wrong reply {})",
            errors.connect, errors.io, errors.wrong_reply
        ))),
    }
}

/// The address to load, refusing anything that is not this machine's loopback.
fn loopback_target(host: &str, port: u16) -> netkit::Result<SocketAddr> {
    let addrs = netkit::resolve(host, port)?;
    match addrs.iter().find(|a| !a.ip().is_loopback()) {
        Some(outside) => Err(Fatal::new(format!(
            "{outside} is not a loopback address; loadgen only loads servers on this machine \
             (try --host 127.0.0.1 or ::1)"
        ))),
        None => Ok(addrs[0]),
    }
}

// ANCHOR: persistent
/// One client, one connection, many requests: send one, read the whole reply,
/// check it, send the next.
fn persistent(id: usize, plan: &Plan, begun: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut conn = match open(plan) {
        Ok(conn) => conn,
        Err(_) => {
            tally.errors.connect += 1;
            return tally;
        }
    };
    tally.connects = 1;
    let mut reply = vec![0u8; plan.size];
    let mut n = 0;
    while more(plan, n) {
        let sent = request(id, n, plan.size);
        let began = Instant::now();
        if conn
            .write_all(&sent)
            .and_then(|()| conn.read_exact(&mut reply))
            .is_err()
        {
            tally.errors.io += 1;
            return tally; // the connection is no use any more
        }
        let took = began.elapsed();
        if reply != expected(&sent, plan.expect) {
            tally.errors.wrong_reply += 1;
            return tally;
        }
        tally.latencies.push(took);
        tally.first_reply.get_or_insert_with(|| begun.elapsed());
        plan.done.fetch_add(1, Ordering::Relaxed);
        n += 1;
    }
    let _ = conn.shutdown(Shutdown::Write);
    tally
}
// ANCHOR_END: persistent

// ANCHOR: per_request
/// One client that opens a new connection for every request: connect, send,
/// shut down the sending side, read until the server closes, check. The
/// latency includes the connect.
fn connection_per_request(id: usize, plan: &Plan, begun: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut reply = Vec::with_capacity(plan.size);
    let mut n = 0;
    while more(plan, n) {
        let sent = request(id, n, plan.size);
        n += 1;
        let began = Instant::now();
        let mut conn = match open(plan) {
            Ok(conn) => conn,
            Err(_) => {
                tally.errors.connect += 1;
                continue;
            }
        };
        tally.connects += 1;
        reply.clear();
        let exchanged = conn
            .write_all(&sent)
            .and_then(|()| conn.shutdown(Shutdown::Write))
            .and_then(|()| conn.read_to_end(&mut reply));
        let took = began.elapsed();
        if exchanged.is_err() {
            tally.errors.io += 1;
        } else if reply != expected(&sent, plan.expect) {
            tally.errors.wrong_reply += 1;
        } else {
            tally.latencies.push(took);
            tally.first_reply.get_or_insert_with(|| begun.elapsed());
            plan.done.fetch_add(1, Ordering::Relaxed);
        }
    }
    tally
}
// ANCHOR_END: per_request

// ANCHOR: http
/// One HTTP client: keep-alive GETs, one at a time, each response read to its last byte
/// and checked (status 200, the expected body length). A response that says
/// `Connection: close` (a server's limit of requests per connection) is followed by a
/// new connection.
fn http_keep_alive(plan: &Plan, begun: Instant) -> Tally {
    let mut tally = Tally::default();
    let Some((get, length)) = &plan.http else {
        return tally;
    };
    let mut n = 0;
    'connections: while more(plan, n) {
        let Ok(conn) = open(plan) else {
            tally.errors.connect += 1;
            return tally;
        };
        tally.connects += 1;
        let mut reader = Responses::new(conn);
        while more(plan, n) {
            let began = Instant::now();
            let response = (&reader.conn)
                .write_all(get)
                .and_then(|()| reader.next_response());
            let took = began.elapsed();
            n += 1;
            match response {
                Err(e) if e.kind() == ErrorKind::InvalidData => {
                    tally.errors.wrong_reply += 1;
                    return tally;
                }
                Err(_) => {
                    tally.errors.io += 1;
                    return tally;
                }
                Ok((status, got, close)) => {
                    if status != 200 || got != *length {
                        tally.errors.wrong_reply += 1;
                        return tally;
                    }
                    tally.latencies.push(took);
                    tally.first_reply.get_or_insert_with(|| begun.elapsed());
                    plan.done.fetch_add(1, Ordering::Relaxed);
                    if close {
                        continue 'connections;
                    }
                }
            }
        }
        let _ = reader.conn.shutdown(Shutdown::Write);
    }
    tally
}
// ANCHOR_END: http

/// Reads HTTP responses from a connection, one after the other; bytes that arrive
/// beyond one response are kept for the next.
struct Responses {
    conn: TcpStream,
    buf: Vec<u8>,
}

impl Responses {
    fn new(conn: TcpStream) -> Responses {
        Responses {
            conn,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// The next response: its status, the body length read, and whether the server
    /// closes after it. A response that cannot be parsed is `InvalidData`.
    fn next_response(&mut self) -> std::io::Result<(u16, u64, bool)> {
        let end = loop {
            if let Some(end) = end_of_response_head(&self.buf) {
                break end;
            }
            if self.buf.len() > 64 * 1024 {
                return Err(std::io::Error::new(ErrorKind::InvalidData, "head too long"));
            }
            self.fill()?;
        };
        let head = parse_response_head(&self.buf[..end])
            .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))?;
        self.buf.drain(..end);
        let mut left = head.content_length;
        loop {
            let take = (self.buf.len() as u64).min(left) as usize;
            self.buf.drain(..take);
            left -= take as u64;
            if left == 0 {
                return Ok((head.status, head.content_length, head.close));
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.conn.read(&mut chunk)? {
            0 => Err(ErrorKind::UnexpectedEof.into()),
            n => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }
}

/// One GET before the run, to learn the body length every response must have.
fn probe(target: SocketAddr, get: &[u8], timeout: Duration) -> netkit::Result<u64> {
    let failed = |e: std::io::Error| {
        Fatal::new(format!(
            "the first GET to {target} failed: {e}; is a web server listening there?"
        ))
    };
    let conn = TcpStream::connect_timeout(&target, timeout).map_err(failed)?;
    conn.set_read_timeout(Some(timeout)).map_err(failed)?;
    let mut reader = Responses::new(conn);
    (&reader.conn).write_all(get).map_err(failed)?;
    let (status, length, _) = reader.next_response().map_err(failed)?;
    if status != 200 {
        return Err(Fatal::new(format!(
            "the first GET to {target} got status {status}, not 200; check the path"
        )));
    }
    Ok(length)
}

/// Whether a client should send request number `n`.
fn more(plan: &Plan, n: u64) -> bool {
    match plan.deadline {
        Some(_) => !plan.stop.load(Ordering::Relaxed),
        None => n < plan.requests,
    }
}

/// A connection with every wait bounded, and Nagle's algorithm off: a request is sent at
/// once, not held back to be merged with the next.
fn open(plan: &Plan) -> std::io::Result<TcpStream> {
    let conn = TcpStream::connect_timeout(&plan.target, plan.timeout)?;
    conn.set_read_timeout(Some(plan.timeout))?;
    conn.set_write_timeout(Some(plan.timeout))?;
    conn.set_nodelay(true)?;
    Ok(conn)
}

/// Ends the run when the duration is over; unless `quiet`, prints a progress line every
/// second on stderr.
fn watch(plan: Arc<Plan>, started: Instant, talk: bool) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut next = Duration::from_secs(1);
        while !plan.stop.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(50));
            let now = started.elapsed();
            if plan.deadline.is_some_and(|d| now >= d) {
                plan.stop.store(true, Ordering::SeqCst);
            }
            if talk && now >= next {
                eprintln!(
                    "{:>4} s: {} requests done",
                    next.as_secs(),
                    plan.done.load(Ordering::Relaxed)
                );
                next += Duration::from_secs(1);
            }
        }
    })
}
