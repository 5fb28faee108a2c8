//! The web server's parts: parse a request, find the file, write the response.
//!
//! `main.rs` holds the socket calls (listen, accept, one thread per connection);
//! [`serve_connection`] holds one connection's life: requests read one after the other
//! (keep-alive), each answered, until the client closes, asks to close, stalls, or sends
//! something that cannot be trusted to be followed by a well-framed next request.

mod files;
mod form;
mod request;
mod response;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

pub use files::{Lookup, content_type, lookup};
pub use form::{parse_form, percent_decode};
pub use request::{Request, Version, end_of_head, parse_head};
pub use response::{Status, error_page, http_date};

/// What the server was told on its command line.
#[derive(Clone, Debug)]
pub struct Config {
    /// The folder served, canonical (symlinks resolved), so that containment can be checked.
    pub root: PathBuf,
    /// How long a client may stay silent: before a request starts (then the connection is
    /// simply closed), and while one is half sent (then it gets 408).
    pub timeout: Duration,
    /// The largest request head (request line and headers) accepted: 414 or 431 beyond.
    pub max_head: usize,
    /// The largest request body accepted: 413 beyond.
    pub max_body: u64,
}

/// Set when the server is asked to stop (SIGINT, SIGTERM): every connection finishes the
/// request in progress, answers it with `Connection: close`, and ends; idle ones end at once.
pub static STOPPING: AtomicBool = AtomicBool::new(false);

fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// How often an idle connection looks at [`STOPPING`].
const STOP_CHECK: Duration = Duration::from_millis(100);

/// A connection is closed after this many requests, so one client cannot keep a slot forever.
pub const MAX_REQUESTS_PER_CONNECTION: u32 = 100;

/// The path of the form the default site posts to.
pub const FORM_PATH: &str = "/form";

/// Checks every input a fuzzer can produce: the head parser, the body-length rules, the
/// form decoder and the path checks. Used by the fuzz target in `fuzz/` and by the tests,
/// which run it over nasty inputs: it must never panic.
pub fn fuzz_one_input(data: &[u8]) {
    if let Some(end) = end_of_head(data) {
        assert!(end <= data.len());
    }
    if let Ok(request) = parse_head(data) {
        let _ = request.body_length();
        let _ = request.keep_alive();
        let _ = lookup(std::path::Path::new("/nonexistent-root"), &request.target);
    }
    let _ = parse_form(data);
}

/// How one connection ended, for the log.
#[derive(Debug)]
pub enum Ending {
    /// The client closed, asked to close, or the request limit was reached.
    Done(u32),
    /// The client said nothing for `timeout`: closed without a word.
    Idle(u32),
    /// Closed after an error response (400, 408, 413, ...).
    Refused(u32, Status),
}

// ANCHOR: serve_connection
/// Serves one connection until it ends: read a request, answer it, and again while the
/// client wants the connection kept open.
pub fn serve_connection(conn: &TcpStream, peer: SocketAddr, config: &Config) -> io::Result<Ending> {
    conn.set_write_timeout(Some(config.timeout))?;
    let mut incoming = Incoming {
        conn,
        buf: Vec::new(),
    };
    for served in 0..MAX_REQUESTS_PER_CONNECTION {
        // Read the head: request line and headers, up to the empty line.
        let head = match incoming.read_head(config)? {
            HeadRead::Complete(head) => head,
            HeadRead::Closed => return Ok(Ending::Done(served)),
            HeadRead::Idle => return Ok(Ending::Idle(served)),
            HeadRead::Refused(status) => {
                log(peer, "-", status);
                send_error(conn, status, false, true)?;
                return Ok(Ending::Refused(served + 1, status));
            }
        };
        // Parse it; a malformed head is answered and the connection closed, because we
        // cannot know where the next request would start.
        let request = match parse_head(&head) {
            Ok(request) => request,
            Err(status) => {
                log(peer, &first_line(&head), status);
                send_error(conn, status, false, true)?;
                return Ok(Ending::Refused(served + 1, status));
            }
        };
        let last = !request.keep_alive() || served + 1 == MAX_REQUESTS_PER_CONNECTION || stopping();
        let reply = answer(&mut incoming, &request, config, last)?;
        log(peer, &first_line(&head), reply.status);
        if reply.close {
            return Ok(if reply.status == Status::Ok || last {
                Ending::Done(served + 1)
            } else {
                Ending::Refused(served + 1, reply.status)
            });
        }
    }
    Ok(Ending::Done(MAX_REQUESTS_PER_CONNECTION))
}
// ANCHOR_END: serve_connection

/// What was sent, and whether the connection must close after it.
struct Reply {
    status: Status,
    close: bool,
}

// ANCHOR: answer
/// Answers one parsed request; returns the status sent.
fn answer(
    incoming: &mut Incoming,
    request: &Request,
    config: &Config,
    last: bool,
) -> io::Result<Reply> {
    let conn = incoming.conn;
    let is_form = request.target.split('?').next() == Some(FORM_PATH);
    let allowed = if is_form { "POST" } else { "GET, HEAD" };
    let method = request.method.as_str();
    let head_only = method == "HEAD";
    if !(is_form && method == "POST") {
        // A body sent where none is used is still read (and dropped): left in the buffer,
        // its bytes would be taken for the next request, which a proxy in front of us
        // would never have seen as one.
        match request.body_length() {
            Ok(0) => {}
            Ok(length) if length > config.max_body => {
                return send_error(conn, Status::PayloadTooLarge, head_only, true);
            }
            Ok(length) => {
                if incoming.read_body(length as usize, config)?.is_none() {
                    return send_error(conn, Status::RequestTimeout, head_only, true);
                }
            }
            Err(status) => return send_error(conn, status, head_only, true),
        }
    }
    if !allowed.split(", ").any(|m| m == method) {
        let refused = Status::MethodNotAllowed;
        return send_page(conn, refused, &[("Allow", allowed)], head_only, last);
    }
    if is_form {
        return answer_form(incoming, request, config, last);
    }
    // GET and HEAD: find the file and send it.
    match lookup(&config.root, &request.target) {
        Lookup::File(path, len) => {
            let head = response_head(Status::Ok, content_type(&path), len as usize, last);
            send_file(conn, &head, &path, len, head_only, last)
        }
        Lookup::AddSlash(location) => {
            let moved = Status::MovedPermanently;
            send_page(conn, moved, &[("Location", &location)], head_only, last)
        }
        Lookup::NotFound => send_error(conn, Status::NotFound, head_only, last),
        Lookup::Forbidden => send_error(conn, Status::Forbidden, head_only, last),
        Lookup::Malformed => send_error(conn, Status::BadRequest, head_only, true),
    }
}
// ANCHOR_END: answer

// ANCHOR: answer_form
/// The form demo: read the urlencoded body, decode it, and send back what was decoded,
/// one chunk per field (`Transfer-Encoding: chunked`, as the node server of the notes
/// does); an HTTP/1.0 client, which knows no chunks, gets the body delimited by closing.
fn answer_form(
    incoming: &mut Incoming,
    request: &Request,
    config: &Config,
    last: bool,
) -> io::Result<Reply> {
    let conn = incoming.conn;
    if request.headers_named("content-length").next().is_none()
        && request.headers_named("transfer-encoding").next().is_none()
    {
        return send_error(conn, Status::LengthRequired, false, true);
    }
    let length = match request.body_length() {
        Ok(length) if length > config.max_body => {
            return send_error(conn, Status::PayloadTooLarge, false, true);
        }
        Ok(length) => length as usize,
        Err(status) => return send_error(conn, status, false, true),
    };
    // A client that sent `Expect: 100-continue` waits for a go-ahead before the body
    // (curl does, for bodies over 1 KiB): give it, now that the length is acceptable.
    let expects_continue = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && request.version == Version::Http11 {
        (&*conn).write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let Some(body) = incoming.read_body(length, config)? else {
        return send_error(conn, Status::RequestTimeout, false, true);
    };
    let media_type = request.header("content-type").unwrap_or_default();
    let media_type = media_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return send_error(conn, Status::UnsupportedMediaType, false, last);
    }
    let Some(fields) = parse_form(&body) else {
        return send_error(conn, Status::BadRequest, false, true);
    };
    eprintln!("form: {fields:?}");

    let mut lines = vec![format!("You sent {} field(s):\n", fields.len())];
    lines.extend(
        fields
            .iter()
            .map(|(name, value)| format!("{name} = {value:?}\n")),
    );
    let chunked = request.version == Version::Http11;
    let mut head = Head::new(Status::Ok).with("Content-Type", "text/plain; charset=utf-8");
    head = if chunked {
        head.with("Transfer-Encoding", "chunked")
    } else {
        head.with("Connection", "close")
    };
    if chunked && last {
        head = head.with("Connection", "close");
    }
    let mut out = head.render().into_bytes();
    for line in &lines {
        if chunked {
            // Each chunk: its size in hex, CRLF, the bytes, CRLF.
            out.extend(format!("{:x}\r\n{line}\r\n", line.len()).bytes());
        } else {
            out.extend(line.bytes());
        }
    }
    if chunked {
        out.extend(b"0\r\n\r\n"); // the last chunk has size 0
    }
    (&*conn).write_all(&out)?;
    // Close-delimited (HTTP/1.0): the end of the connection is the end of the body.
    Ok(Reply {
        status: Status::Ok,
        close: last || !chunked,
    })
}
// ANCHOR_END: answer_form

/// A response head being built: status and headers.
struct Head {
    status: Status,
    headers: Vec<(&'static str, String)>,
}

impl Head {
    fn new(status: Status) -> Head {
        Head {
            status,
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: &str) -> Head {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn render(&self) -> String {
        response::head(self.status, &self.headers)
    }
}

fn response_head(status: Status, content_type: &str, len: usize, close: bool) -> Head {
    let head = Head::new(status)
        .with("Content-Type", content_type)
        .with("Content-Length", &len.to_string());
    if close {
        head.with("Connection", "close")
    } else {
        head
    }
}

fn write_response(conn: &TcpStream, head: &Head, body: &[u8], head_only: bool) -> io::Result<()> {
    let mut out = head.render().into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    (&*conn).write_all(&out)
}

fn send_error(conn: &TcpStream, status: Status, head_only: bool, close: bool) -> io::Result<Reply> {
    send_page(conn, status, &[], head_only, close)
}

/// Sends the small page that says `status`, with the `extra` headers that status needs
/// (`Allow` for 405, `Location` for 301).
fn send_page(
    conn: &TcpStream,
    status: Status,
    extra: &[(&'static str, &str)],
    head_only: bool,
    close: bool,
) -> io::Result<Reply> {
    let body = error_page(status);
    let mut head = response_head(status, "text/html; charset=utf-8", body.len(), close);
    for &(name, value) in extra {
        head = head.with(name, value);
    }
    write_response(conn, &head, body.as_bytes(), head_only)?;
    Ok(Reply { status, close })
}

fn send_file(
    conn: &TcpStream,
    head: &Head,
    path: &std::path::Path,
    len: u64,
    head_only: bool,
    close: bool,
) -> io::Result<Reply> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            return send_error(conn, Status::Forbidden, head_only, close);
        }
        // Out of file descriptors (EMFILE) or the like: our problem, and a passing one.
        Err(e) => {
            eprintln!("cannot open {}: {e}", path.display());
            return send_error(conn, Status::ServiceUnavailable, head_only, close);
        }
    };
    (&*conn).write_all(head.render().as_bytes())?;
    if !head_only {
        // Exactly the length announced, even if the file grew meanwhile.
        let copied = io::copy(&mut file.take(len), &mut &*conn)?;
        if copied < len {
            // The file shrank: the client would wait for bytes that never come.
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "file shrank while sent",
            ));
        }
    }
    Ok(Reply {
        status: Status::Ok,
        close,
    })
}

fn log(peer: SocketAddr, request_line: &str, status: Status) {
    eprintln!("{peer} \"{request_line}\" {}", status.code());
}

fn first_line(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let shown: String = String::from_utf8_lossy(line).chars().take(200).collect();
    shown.escape_debug().to_string()
}

/// What came of waiting for a request head.
enum HeadRead {
    Complete(Vec<u8>),
    /// The client closed the connection (between requests, or half way through one).
    Closed,
    /// Nothing arrived within the timeout.
    Idle,
    /// The head is too long, or stalled half way: answer with this status and close.
    Refused(Status),
}

/// The reading side of a connection: bytes that arrived but are not used yet stay in
/// `buf` (the start of a pipelined next request, or of a body).
struct Incoming<'a> {
    conn: &'a TcpStream,
    buf: Vec<u8>,
}

impl Incoming<'_> {
    // ANCHOR: read_head
    /// Reads until the empty line that ends a head, within the size limit and the time
    /// limit. The clock for a stalled request starts with its first byte.
    fn read_head(&mut self, config: &Config) -> io::Result<HeadRead> {
        let mut deadline = Instant::now() + config.timeout;
        let mut started = false;
        loop {
            // Empty lines before a request are allowed (and ignored).
            let blank = self
                .buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            self.buf.drain(..blank);
            if !started && !self.buf.is_empty() {
                started = true;
                deadline = Instant::now() + config.timeout;
            }
            if let Some(end) = end_of_head(&self.buf) {
                if end > config.max_head {
                    return Ok(HeadRead::Refused(too_long(&self.buf, config)));
                }
                return Ok(HeadRead::Complete(self.buf.drain(..end).collect()));
            }
            if self.buf.len() > config.max_head {
                return Ok(HeadRead::Refused(too_long(&self.buf, config)));
            }
            // Between requests, wait in short steps, to notice a stop request.
            let until = if started {
                deadline
            } else {
                deadline.min(Instant::now() + STOP_CHECK)
            };
            match self.fill(until)? {
                Some(0) => return Ok(HeadRead::Closed),
                Some(_) => {}
                None if started => return Ok(HeadRead::Refused(Status::RequestTimeout)),
                None if Instant::now() >= deadline => return Ok(HeadRead::Idle),
                // Stopping: a request that arrived before the stop is still answered.
                None if stopping() => match self.fill(Instant::now() + STOP_CHECK / 10)? {
                    Some(0) | None => return Ok(HeadRead::Idle),
                    Some(_) => {}
                },
                None => {}
            }
        }
    }
    // ANCHOR_END: read_head

    /// Reads a body of exactly `length` bytes; `None` if the client stalls or closes first.
    fn read_body(&mut self, length: usize, config: &Config) -> io::Result<Option<Vec<u8>>> {
        let deadline = Instant::now() + config.timeout;
        while self.buf.len() < length {
            match self.fill(deadline)? {
                Some(1..) => {}
                Some(0) | None => return Ok(None),
            }
        }
        Ok(Some(self.buf.drain(..length).collect()))
    }

    /// One read into `buf`, waiting at most until `deadline`: `Some(n)` bytes (0 when the
    /// client closed), `None` when time ran out.
    fn fill(&mut self, deadline: Instant) -> io::Result<Option<usize>> {
        let mut chunk = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.conn.set_read_timeout(Some(left))?;
            match (&*self.conn).read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(Some(n));
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// 414 if even the request line is over the limit, 431 if the headers are.
fn too_long(buf: &[u8], config: &Config) -> Status {
    let first_line_ends = buf.iter().position(|&b| b == b'\n');
    if first_line_ends.is_none_or(|at| at > config.max_head) {
        Status::UriTooLong
    } else {
        Status::HeadersTooLarge
    }
}

// ANCHOR: slots
/// A counting semaphore: at most `max` connections are served at once. The accept loop
/// takes a slot before `accept`, so when all are busy new clients wait in the kernel's
/// listen queue instead of costing a thread each.
pub struct Slots {
    busy: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Slots {
    pub fn new(max: usize) -> Slots {
        Slots {
            busy: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// Waits for a free slot and takes it; it is given back when the guard is dropped.
    pub fn acquire(&self) -> SlotGuard<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= self.max {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        SlotGuard { slots: self }
    }
}

pub struct SlotGuard<'a> {
    slots: &'a Slots,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut busy = self.slots.busy.lock().unwrap_or_else(|e| e.into_inner());
        *busy -= 1;
        self.slots.freed.notify_one();
    }
}
// ANCHOR_END: slots

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs that have broken HTTP parsers somewhere, and then some noise.
    #[test]
    fn the_fuzz_entry_survives_nasty_inputs() {
        let nasty: &[&[u8]] = &[
            b"",
            b"\n",
            b"\r\n\r\n",
            b"GET",
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n",
            b"GET /%",
            b"GET /%% HTTP/1.1\r\n\r\n",
            b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n",
            b"GET /\x00 HTTP/1.0\r\n\r\n",
            b"\xff\xfe\xfd",
            b"a=%&b=%f&c=%fg&=&&==",
            b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
            b":\n:\n\n",
        ];
        for input in nasty {
            fuzz_one_input(input);
        }
        for seed in 1..2_000u64 {
            let mut state = seed;
            let len = (seed % 300) as usize;
            let alphabet = b"GETPOST /%2e.:\r\n HTTP/1.01Host: a=&+%";
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    if state % 4 == 0 {
                        (state >> 8) as u8
                    } else {
                        alphabet[(state >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            fuzz_one_input(&input);
        }
    }
}
