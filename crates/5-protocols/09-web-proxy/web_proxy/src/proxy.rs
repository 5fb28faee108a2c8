//! One client connection, from its first request to its last: read a request, answer it
//! from the cache or through the origin, again while the client keeps the connection.
//!
//! Each request to an origin goes over a new connection that closes after the response
//! (`Connection: close`), the way Kurose's proxy lab does it: simple, and it makes every
//! origin response end in a way this code can see.

use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cache::{self, Decision, Stored};
use crate::http::{
    self, Body, Framing, HeadError, Headers, RequestHead, ResponseHead, Url, UrlError, Version,
    end_to_end,
};
use crate::store::{Entry, Store};

/// The largest request or response head accepted.
pub const MAX_HEAD: usize = 32 * 1024;

/// Bytes moved per read and write when a body streams through.
const PIECE: usize = 64 * 1024;

/// A client connection is closed after this many requests, so that no client holds a
/// thread forever by keeping it busy.
const MAX_REQUESTS: u32 = 1000;

/// Whom the proxy forwards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// To the server each request names (`GET http://host:port/path`): a forward proxy,
    /// what `curl -x` and a browser's proxy setting use.
    Forward,
    /// Always to this origin (`GET /path`): a reverse proxy, a CDN's edge.
    Reverse { host: String, port: u16 },
}

/// What every client thread shares.
pub struct Proxy {
    pub mode: Mode,
    pub store: Store,
    /// The longest any wait may take: a client's next request, an origin's connect or
    /// answer, a single read or write.
    pub timeout: Duration,
    /// No line per request in the log (errors are still logged).
    pub quiet: bool,
    /// Our name in `Via` (RFC 9110 §7.6.3): the address we listen on. A request that
    /// already carries it has been here before: a loop.
    pub received_by: String,
    /// Set when the proxy is asked to stop: each connection ends after its current request.
    pub stopping: Arc<AtomicBool>,
}

/// An answer the proxy makes itself because it cannot forward the request: the status,
/// and what went wrong (for the log and the page).
#[derive(Debug)]
struct Refusal {
    status: u16,
    why: String,
}

fn refuse(status: u16, why: impl Into<String>) -> Refusal {
    Refusal {
        status,
        why: why.into(),
    }
}

/// How a request ended, for the log and for the connection.
struct Served {
    status: u16,
    /// `HIT`, `MISS`, `REVALIDATED`; `None` for the proxy's own error answers.
    cache: Option<&'static str>,
    bytes: u64,
    /// The connection must close (the response was delimited by closing, or broke off).
    close: bool,
    /// For the log: why it broke off, or what happened besides.
    note: String,
}

/// A response from an origin, its head read, its body still on the connection.
struct Fetched {
    reader: BufReader<TcpStream>,
    head: ResponseHead,
    framing: Framing,
    request_time: u64,
    response_time: u64,
}

impl Proxy {
    fn via(&self) -> String {
        format!("1.1 {} (web_proxy)", self.received_by)
    }

    fn log(&self, peer: SocketAddr, line: &str, status: u16, rest: &str) {
        if !self.quiet || status >= 400 {
            eprintln!("{peer} \"{line}\" {status} {rest}");
        }
    }

    // ANCHOR: serve
    /// Serves one client connection until it closes, asks to close, breaks a rule, or
    /// stays silent for `timeout`.
    pub fn serve(&self, conn: &TcpStream, peer: SocketAddr) {
        let _ = conn.set_read_timeout(Some(self.timeout));
        let _ = conn.set_write_timeout(Some(self.timeout));
        let _ = conn.set_nodelay(true);
        let mut reader = BufReader::with_capacity(16 * 1024, conn);
        for served in 0..MAX_REQUESTS {
            // Read one request head, at most MAX_HEAD bytes.
            let head = match http::read_head(&mut reader, MAX_HEAD) {
                Ok(Some((line, headers))) => {
                    http::parse_request_line(&line, headers).map_err(|e| (line, e))
                }
                Ok(None) => return, // the client closed between requests
                Err(HeadError::Io(e)) if is_timeout(&e) => return, // idle: closed quietly
                Err(HeadError::Io(_)) | Err(HeadError::Truncated) => return,
                Err(e) => Err(("-".to_owned(), e)),
            };
            let request = match head {
                Ok(request) => request,
                Err((line, e)) => {
                    let status = match e {
                        HeadError::TooLarge => 431,
                        HeadError::Version(_) => 505,
                        _ => 400,
                    };
                    self.log(peer, &line, status, &e.to_string());
                    let _ = send_error(conn, status, &e.to_string(), false);
                    return;
                }
            };
            let last = !request.keep_alive()
                || served + 1 == MAX_REQUESTS
                || self.stopping.load(Ordering::SeqCst);
            let line = request.line();
            match self.answer(&request, &mut reader, conn, last) {
                Ok(done) => {
                    let cache = done.cache.unwrap_or("-");
                    let rest = format!("{cache} {}{}", done.bytes, done.note);
                    self.log(peer, &line, done.status, &rest);
                    if done.close || last {
                        return;
                    }
                }
                Err(refusal) => {
                    self.log(peer, &line, refusal.status, &refusal.why);
                    let head_only = request.method == "HEAD";
                    let _ = send_error(conn, refusal.status, &refusal.why, head_only);
                    // After an error the rest of the request (a body) may still be on
                    // its way: the connection cannot be trusted to start a new one.
                    return;
                }
            }
        }
    }
    // ANCHOR_END: serve

    // ANCHOR: answer
    /// Answers one request: where it goes, then the cache's decision, then the origin if
    /// needed. `Err` is an answer the proxy makes itself, nothing having been sent yet.
    fn answer(
        &self,
        request: &RequestHead,
        client: &mut BufReader<&TcpStream>,
        out: &TcpStream,
        last: bool,
    ) -> Result<Served, Refusal> {
        if request.method == "CONNECT" {
            return Err(refuse(
                501,
                "CONNECT (a tunnel for https://) is not supported: this proxy speaks plain HTTP",
            ));
        }
        if self.has_been_here(&request.headers) {
            return Err(refuse(
                508,
                "a forwarding loop: this request came through this proxy already",
            ));
        }
        let url = self.destination(&request.target)?;
        let framing = http::framing(&request.headers, Framing::None).map_err(|e| refuse(400, e))?;
        let mut body = Body::new(client, framing);
        if !body.is_done()
            && request.version == Version::Http11
            && request.headers.has_token("expect", "100-continue")
        {
            // We take the body ourselves, so we say "go ahead" ourselves (RFC 9110 §10.1.1).
            let _ = write_all(out, b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let key = url.key();
        // Only a GET without a body is a matter for the cache; the rest passes through.
        if request.method != "GET" || framing != Framing::None {
            let fetched = self.fetch(&url, request, &Headers::new(), Some((&mut body, framing)))?;
            let unsafe_method = !matches!(request.method.as_str(), "HEAD" | "OPTIONS" | "TRACE");
            if unsafe_method && fetched.head.status < 400 {
                // A POST, PUT or DELETE that worked may have changed the resource: the
                // stored copy is out of date (RFC 9111 §4.4).
                self.store.remove(&key);
            }
            return Ok(self.relay(out, request, fetched, "MISS", None, last));
        }
        // ANCHOR: lookup
        let entry = self.store.get(&key);
        let now = http::now();
        match cache::decide(&request.headers, entry.as_ref().map(|e| &e.stored), now) {
            Decision::Hit => {
                let entry = entry.expect("a hit has an entry");
                let age = cache::current_age(&entry.stored, now);
                Ok(self.answer_from_store(out, request, &entry, "HIT", Some(age), last))
            }
            Decision::Revalidate => {
                let entry = entry.expect("a revalidation has an entry");
                self.revalidate(out, request, &url, &entry, last)
            }
            Decision::Miss => {
                let fetched = self.fetch(&url, request, &Headers::new(), None)?;
                Ok(self.relay(out, request, fetched, "MISS", Some(&key), last))
            }
        }
        // ANCHOR_END: lookup
    }
    // ANCHOR_END: answer

    /// Where a request goes: the URL it names (forward), or the origin with its path
    /// (reverse). Never anywhere else.
    fn destination(&self, target: &str) -> Result<Url, Refusal> {
        match &self.mode {
            Mode::Forward => http::parse_url(target).map_err(|e| match e {
                UrlError::Scheme(scheme) => refuse(
                    501,
                    format!("{scheme}:// URLs are not supported: this proxy speaks plain HTTP"),
                ),
                UrlError::Malformed(why) if target.starts_with('/') => refuse(
                    400,
                    format!("{why}: this is a forward proxy; ask for a whole URL (curl -x)"),
                ),
                UrlError::Malformed(why) => refuse(400, why),
            }),
            Mode::Reverse { host, port } => {
                // The origin form, or the path of an absolute URL (RFC 9112 §3.2.2): the
                // host a client names changes nothing.
                let path = if target.starts_with('/') {
                    target.to_owned()
                } else {
                    http::parse_url(target)
                        .map_err(|_| refuse(400, "a bad request target"))?
                        .path
                };
                if path.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'#') {
                    return Err(refuse(400, "a bad request target"));
                }
                Ok(Url {
                    host: host.clone(),
                    port: *port,
                    path,
                })
            }
        }
    }

    /// Whether one of the request's `Via` entries is ours.
    fn has_been_here(&self, headers: &Headers) -> bool {
        headers
            .list("via")
            .iter()
            .any(|hop| hop.split_whitespace().nth(1) == Some(self.received_by.as_str()))
    }

    // ANCHOR: revalidate
    /// The stored copy may be out of date: ask the origin, with the copy's validators.
    /// `304 Not Modified`: the copy is good; refresh its fields and serve it. Anything
    /// else: the origin's answer replaces it.
    fn revalidate(
        &self,
        out: &TcpStream,
        request: &RequestHead,
        url: &Url,
        entry: &Entry,
        last: bool,
    ) -> Result<Served, Refusal> {
        let key = url.key();
        let conditions = cache::conditional_request(&entry.stored);
        let fetched = self.fetch(url, request, &conditions, None)?;
        if fetched.head.status != 304 {
            return Ok(self.relay(out, request, fetched, "MISS", Some(&key), last));
        }
        let mut stored = entry.stored.clone();
        let fields = end_to_end(&fetched.head.headers);
        let (sent, arrived) = (fetched.request_time, fetched.response_time);
        drop(fetched); // close the origin connection: a 304 has no body
        if !cache::apply_not_modified(&mut stored, &fields, sent, arrived) {
            // A 304 about another version than ours: fetch the whole thing.
            self.store.remove(&key);
            let fetched = self.fetch(url, request, &Headers::new(), None)?;
            return Ok(self.relay(out, request, fetched, "MISS", Some(&key), last));
        }
        let refreshed = Entry {
            stored,
            body: Arc::clone(&entry.body),
        };
        let served = self.answer_from_store(out, request, &refreshed, "REVALIDATED", None, last);
        self.keep(&key, refreshed, "refreshed");
        Ok(served)
    }
    // ANCHOR_END: revalidate

    /// Puts `entry` in the store, and says so in the log (`what`: stored, refreshed).
    fn keep(&self, key: &str, entry: Entry, what: &str) {
        let size = entry.size(key);
        match self.store.insert(key, entry) {
            Some(done) if !self.quiet => {
                for (gone, bytes) in &done.evicted {
                    eprintln!("cache: evicted {gone} ({bytes} bytes)");
                }
                eprintln!(
                    "cache: {what} {key} ({size} bytes); {} objects, {} of {} bytes",
                    done.objects,
                    done.bytes,
                    self.store.limit()
                );
            }
            None if !self.quiet => eprintln!(
                "cache: not stored {key}: {size} bytes, more than the whole cache ({} bytes)",
                self.store.limit()
            ),
            _ => {}
        }
    }

    // ANCHOR: fetch
    /// Sends the request to the origin over a new connection (the client's end-to-end
    /// fields, `extra` fields, ours) with its body, if any, and reads the response head.
    fn fetch(
        &self,
        url: &Url,
        request: &RequestHead,
        extra: &Headers,
        body: Option<(&mut dyn Read, Framing)>,
    ) -> Result<Fetched, Refusal> {
        let origin = url.authority();
        let request_time = http::now();
        let conn = self.connect(url)?;
        let _ = conn.set_read_timeout(Some(self.timeout));
        let _ = conn.set_write_timeout(Some(self.timeout));
        let _ = conn.set_nodelay(true);

        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {origin}\r\n",
            request.method, url.path
        );
        let mut fields = end_to_end(&request.headers);
        for name in ["host", "content-length", "expect"] {
            fields.remove(name);
        }
        if !extra.is_empty() {
            // Our own conditions replace the client's (which were about its copy).
            fields.remove("if-none-match");
            fields.remove("if-modified-since");
        }
        fields.write_to(&mut head);
        extra.write_to(&mut head);
        head.push_str(&format!("Via: {}\r\nConnection: close\r\n", self.via()));
        let framing = body.as_ref().map_or(Framing::None, |(_, f)| *f);
        match framing {
            Framing::Length(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
            Framing::Chunked | Framing::Close => head.push_str("Transfer-Encoding: chunked\r\n"),
            Framing::None => {}
        }
        head.push_str("\r\n");
        let broken =
            |e: io::Error| refuse(502, format!("origin {origin}: sending the request: {e}"));
        write_all(&conn, head.as_bytes()).map_err(broken)?;
        if let Some((body, framing)) = body {
            send_body(body, framing, &conn).map_err(|side| match side {
                Side::Client(e) => refuse(400, format!("the request body: {e}")),
                Side::Origin(e) => broken(e),
            })?;
        }

        let mut reader = BufReader::with_capacity(PIECE, conn);
        // Interim responses (100 Continue, 103 Early Hints) come before the real one.
        for _ in 0..8 {
            let head = match http::read_head(&mut reader, MAX_HEAD) {
                Ok(Some((line, fields))) => http::parse_status_line(&line, fields),
                Ok(None) => {
                    return Err(refuse(
                        502,
                        format!("origin {origin} closed the connection without a response"),
                    ));
                }
                Err(HeadError::Io(e)) if is_timeout(&e) => {
                    return Err(refuse(
                        504,
                        format!(
                            "origin {origin} did not answer within {} s",
                            self.timeout.as_secs()
                        ),
                    ));
                }
                Err(e) => Err(e),
            };
            let head = head.map_err(|e| {
                refuse(
                    502,
                    format!("origin {origin} sent a malformed response: {e}"),
                )
            })?;
            if (100..200).contains(&head.status) {
                if head.status == 101 {
                    return Err(refuse(502, format!("origin {origin} switched protocols")));
                }
                continue;
            }
            let bodiless = request.method == "HEAD" || matches!(head.status, 204 | 304);
            let framing = if bodiless {
                Framing::None
            } else {
                http::framing(&head.headers, Framing::Close).map_err(|e| {
                    refuse(
                        502,
                        format!("origin {origin} sent a malformed response: {e}"),
                    )
                })?
            };
            return Ok(Fetched {
                reader,
                head,
                framing,
                request_time,
                response_time: http::now(),
            });
        }
        Err(refuse(
            502,
            format!("origin {origin} sent only interim responses"),
        ))
    }
    // ANCHOR_END: fetch

    /// connect() to the origin, trying each address its name has, with a timeout each.
    fn connect(&self, url: &Url) -> Result<TcpStream, Refusal> {
        let origin = url.authority();
        let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(|e| refuse(502, format!("cannot find origin {origin}: {e}")))?
            .collect();
        let mut last = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, self.timeout) {
                Ok(conn) => return Ok(conn),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if is_timeout(&e) => refuse(
                504,
                format!(
                    "origin {origin} did not accept a connection within {} s",
                    self.timeout.as_secs()
                ),
            ),
            Some(e) if e.kind() == ErrorKind::ConnectionRefused => {
                refuse(502, format!("origin {origin} refused the connection"))
            }
            Some(e) => refuse(502, format!("cannot connect to origin {origin}: {e}")),
            None => refuse(502, format!("origin {origin} has no address")),
        })
    }

    // ANCHOR: relay
    /// Passes the origin's response to the client while it arrives: the head with the
    /// hop-by-hop fields replaced by ours, then the body, piece by piece, never whole in
    /// memory. With `store_as`, a copy of the body is kept on the side, as long as it
    /// stays within the cache's size, and stored at the end if the rules allow.
    fn relay(
        &self,
        out: &TcpStream,
        request: &RequestHead,
        mut fetched: Fetched,
        cache_word: &'static str,
        store_as: Option<&str>,
        last: bool,
    ) -> Served {
        let ResponseHead {
            status,
            reason,
            headers,
        } = &fetched.head;
        let mut fields = end_to_end(headers);
        fields.remove("x-cache");
        if fields.get("date").is_none() {
            // A recipient with a clock adds the Date a response lacks (RFC 9110 §6.6.1).
            fields.push("Date", &http::http_date(fetched.response_time));
        }
        let framing = fetched.framing;
        if framing != Framing::None {
            fields.remove("content-length"); // we frame the body ourselves, below
        }
        let storable = store_as.is_some()
            && cache::is_storable(&request.headers, *status, &fields)
            && !matches!(framing, Framing::Length(n) if n > self.store.limit() as u64);
        // The framing towards the client: the same length if there is one; otherwise
        // chunks for an HTTP/1.1 client, the end of the connection for an HTTP/1.0 one.
        let chunked = matches!(framing, Framing::Chunked | Framing::Close)
            && request.version == Version::Http11;
        let close = last || (matches!(framing, Framing::Chunked | Framing::Close) && !chunked);

        let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
        fields.write_to(&mut head);
        head.push_str(&format!("Via: {}\r\nX-Cache: {cache_word}\r\n", self.via()));
        match framing {
            Framing::Length(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
            _ if chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
            _ => {}
        }
        if close && request.version == Version::Http11 {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut served = Served {
            status: *status,
            cache: Some(cache_word),
            bytes: 0,
            close,
            note: String::new(),
        };
        if let Err(e) = write_all(out, head.as_bytes()) {
            served.close = true;
            served.note = format!(" (client gone: {e})");
            return served;
        }

        // The body: read a piece from the origin, write it to the client, keep a copy.
        let mut copy: Option<Vec<u8>> = storable.then(Vec::new);
        let mut piece = vec![0u8; PIECE];
        let mut framed = Vec::with_capacity(PIECE + 32);
        let mut body = Body::new(&mut fetched.reader, framing);
        let outcome = loop {
            let n = match body.read(&mut piece) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => break Err(Side::Origin(e)),
            };
            let data = &piece[..n];
            let written = if chunked {
                framed.clear();
                framed.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                framed.extend_from_slice(data);
                framed.extend_from_slice(b"\r\n");
                write_all(out, &framed)
            } else {
                write_all(out, data)
            };
            if let Err(e) = written {
                break Err(Side::Client(e));
            }
            served.bytes += n as u64;
            if let Some(kept) = &mut copy {
                if kept.len() + n <= self.store.limit() {
                    kept.extend_from_slice(data);
                } else {
                    copy = None; // larger than the whole cache: streamed, not stored
                }
            }
        };
        let outcome = outcome.and_then(|()| {
            if chunked {
                write_all(out, b"0\r\n\r\n").map_err(Side::Client)
            } else {
                Ok(())
            }
        });
        match outcome {
            Ok(()) => {}
            Err(side) => {
                // The head has gone out: all we can do is close, so that the client sees
                // the response end too early (no last chunk, fewer bytes than the length).
                served.close = true;
                served.note = match side {
                    Side::Origin(e) => format!(" (origin broke off: {e})"),
                    Side::Client(e) => format!(" (client gone: {e})"),
                };
                return served;
            }
        }
        if let Some(key) = store_as {
            match copy {
                Some(body) => {
                    let stored = Stored {
                        headers: fields,
                        request_headers: varied_fields(&request.headers, &fetched.head.headers),
                        request_time: fetched.request_time,
                        response_time: fetched.response_time,
                    };
                    let entry = Entry {
                        stored,
                        body: body.into(),
                    };
                    self.keep(key, entry, "stored");
                }
                // Whatever we had for this URL is not what the origin says now.
                None => self.store.remove(key),
            }
        }
        served
    }
    // ANCHOR_END: relay

    // ANCHOR: answer_from_store
    /// Answers from a stored response: `200` with the body, or `304` if the client's own
    /// copy is this one. `age`: the `Age` to send (a hit); a response the origin has just
    /// confirmed gets none (RFC 9111 §5.1).
    fn answer_from_store(
        &self,
        out: &TcpStream,
        request: &RequestHead,
        entry: &Entry,
        cache_word: &'static str,
        age: Option<u64>,
        last: bool,
    ) -> Served {
        let not_modified = cache::client_has_current_copy(&request.headers, &entry.stored);
        let mut head = String::with_capacity(512);
        if not_modified {
            // A 304 carries the fields a 200 would, that concern caches (RFC 9110 §15.4.5).
            head.push_str("HTTP/1.1 304 Not Modified\r\n");
            for (name, value) in entry.stored.headers.iter() {
                let wanted = [
                    "cache-control",
                    "content-location",
                    "date",
                    "etag",
                    "expires",
                    "last-modified",
                    "vary",
                ];
                if wanted.iter().any(|w| name.eq_ignore_ascii_case(w)) {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
            }
        } else {
            head.push_str("HTTP/1.1 200 OK\r\n");
            for (name, value) in entry.stored.headers.iter() {
                if !name.eq_ignore_ascii_case("age") {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
            }
            head.push_str(&format!("Content-Length: {}\r\n", entry.body.len()));
        }
        if let Some(age) = age {
            head.push_str(&format!("Age: {age}\r\n"));
        }
        head.push_str(&format!("Via: {}\r\nX-Cache: {cache_word}\r\n", self.via()));
        if last && request.version == Version::Http11 {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let body: &[u8] = if not_modified { b"" } else { &entry.body };
        let mut served = Served {
            status: if not_modified { 304 } else { 200 },
            cache: Some(cache_word),
            bytes: body.len() as u64,
            close: false,
            note: String::new(),
        };
        // Head and a small body in one write; a large body after the head.
        let sent = if body.len() <= PIECE {
            let mut all = head.into_bytes();
            all.extend_from_slice(body);
            write_all(out, &all)
        } else {
            write_all(out, head.as_bytes()).and_then(|()| write_all(out, body))
        };
        if let Err(e) = sent {
            served.close = true;
            served.note = format!(" (client gone: {e})");
        }
        served
    }
    // ANCHOR_END: answer_from_store
}

/// Of the request's fields, those the response's `Vary` names: what a later request must
/// match to get this response.
fn varied_fields(request: &Headers, response: &Headers) -> Headers {
    let mut kept = Headers::new();
    for name in cache::vary_names(response) {
        for value in request.get_all(&name) {
            kept.push(&name, value);
        }
    }
    kept
}

/// Which end of a copy failed.
enum Side {
    Client(io::Error),
    Origin(io::Error),
}

/// `write_all` on a shared connection (`&TcpStream` is a writer too).
fn write_all(mut conn: &TcpStream, bytes: &[u8]) -> io::Result<()> {
    conn.write_all(bytes)
}

/// Copies a request body from the client to the origin, framed again: the same length,
/// or chunks (whatever chunks the client used).
fn send_body(body: &mut dyn Read, framing: Framing, to: &TcpStream) -> Result<(), Side> {
    let mut piece = vec![0u8; PIECE];
    let mut framed = Vec::with_capacity(PIECE + 32);
    loop {
        let n = match body.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(Side::Client(e)),
        };
        framed.clear();
        if framing == Framing::Chunked {
            framed.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            framed.extend_from_slice(&piece[..n]);
            framed.extend_from_slice(b"\r\n");
        } else {
            framed.extend_from_slice(&piece[..n]);
        }
        write_all(to, &framed).map_err(Side::Origin)?;
    }
    if framing == Framing::Chunked {
        write_all(to, b"0\r\n\r\n").map_err(Side::Origin)?;
    }
    Ok(())
}

/// The reason phrase of the statuses the proxy sends itself.
pub fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        508 => "Loop Detected",
        _ => "Error",
    }
}

/// An answer of the proxy's own: the status, a line of text saying why, and the end of
/// the connection.
pub fn error_response(status: u16, why: &str, head_only: bool) -> Vec<u8> {
    let text = format!("{status} {}: {why}\n", reason(status));
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        text.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(text.as_bytes());
    }
    out
}

fn send_error(conn: &TcpStream, status: u16, why: &str, head_only: bool) -> io::Result<()> {
    write_all(conn, &error_response(status, why, head_only))?;
    // Our FIN, then a moment to read what the client still sends, so that closing with
    // unread bytes does not turn into a reset that destroys the answer (see turn_away).
    netkit::turn_away(conn.try_clone()?, b"");
    Ok(())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_are_complete_responses() {
        let page = String::from_utf8(error_response(
            502,
            "origin x refused the connection",
            false,
        ))
        .unwrap();
        let (head, body) = page.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert_eq!(body, "502 Bad Gateway: origin x refused the connection\n");
        let head_only = error_response(501, "no", true);
        assert!(head_only.ends_with(b"\r\n\r\n"));
    }
}
