//! The client side of HTTP/1.1: build a request, and read a response from a byte stream,
//! knowing where it ends.
//!
//! Where a response ends is the whole difficulty. The head ends at the first empty line.
//! The body ends in one of three ways, which the head announces: after `Content-Length`
//! bytes; after the last of a series of chunks (`Transfer-Encoding: chunked`); or, with
//! neither, when the server closes the connection. Responses to HEAD, and the statuses
//! 1xx, 204 and 304, have no body at all.

use std::fmt;
use std::io::{self, ErrorKind, Read};

/// The largest response head accepted (status line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// The longest line of chunked framing accepted (a chunk size, a trailer).
pub const MAX_CHUNK_LINE: usize = 4096;

/// Where to send the request, from a URL such as `http://127.0.0.1:6789/docs`.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Splits an `http://` URL into host, port (80 unless given) and path (`/` unless given).
pub fn parse_url(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("'{url}' is not an http:// URL (https is not spoken here)"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) if rest[at..].starts_with('/') => (&rest[..at], rest[at..].to_owned()),
        Some(at) => (&rest[..at], format!("/{}", &rest[at..])),
        None => (rest, "/".to_owned()),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        // [::1]:8080
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("'{url}': missing ] after an IPv6 address"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("'{url}' has no host"));
    }
    let port = match port {
        None | Some("") => 80,
        Some(port) => port
            .parse()
            .map_err(|_| format!("'{url}': '{port}' is not a port number"))?,
    };
    Ok(Target {
        host: host.to_owned(),
        port,
        path,
    })
}

/// The value of the Host header: the host, with the port unless it is 80.
pub fn host_header(host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    if port == 80 {
        host
    } else {
        format!("{host}:{port}")
    }
}

// ANCHOR: build_request
/// The bytes of a request: request line, Host, the extra headers, Content-Length when
/// there is a body, the empty line, the body.
pub fn build_request(
    method: &str,
    path: &str,
    version: &str,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} {version}\r\nHost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}
// ANCHOR_END: build_request

/// A response, as read from the connection.
#[derive(Debug, Default)]
pub struct Response {
    pub version: String,
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// The body, with any chunked framing removed.
    pub body: Vec<u8>,
    /// Every byte of the response as it arrived: head, framing and body.
    pub raw: Vec<u8>,
    /// How the end of the body was found.
    pub framing: Framing,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The three ways a body ends, and "there is none".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    #[default]
    NoBody,
    ContentLength(u64),
    Chunked,
    UntilClose,
}

/// Why no complete response could be read.
#[derive(Debug)]
pub enum ResponseError {
    /// The server closed before the response was complete.
    Truncated(String),
    /// The bytes are not an HTTP response.
    Malformed(String),
    /// A head or a body over the limits.
    TooLarge(String),
    /// No byte arrived within the timeout.
    Timeout,
    Io(io::Error),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Truncated(what) => write!(f, "the server closed the connection {what}"),
            ResponseError::Malformed(what) => write!(f, "not an HTTP response: {what}"),
            ResponseError::TooLarge(what) => write!(f, "response too large: {what}"),
            ResponseError::Timeout => write!(f, "the server stopped answering (timeout)"),
            ResponseError::Io(e) => write!(f, "reading the response: {e}"),
        }
    }
}

/// A reader that keeps a copy of every byte it hands out, and reads ahead into a buffer.
struct Wire<'a, R> {
    source: &'a mut R,
    buf: Vec<u8>,
    pos: usize,
    raw: Vec<u8>,
}

impl<R: Read> Wire<'_, R> {
    /// Reads more into the buffer; `Ok(false)` when the peer has closed.
    fn fill(&mut self) -> Result<bool, ResponseError> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.source.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(ResponseError::Timeout);
                }
                Err(e) => return Err(ResponseError::Io(e)),
            }
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let taken = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        self.raw.extend_from_slice(&taken);
        taken
    }

    fn available(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// A line ending in LF (the CR, if any, stays), at most `max` bytes.
    fn line(&mut self, max: usize, what: &str) -> Result<Vec<u8>, ResponseError> {
        loop {
            if let Some(at) = self.buf[self.pos..].iter().position(|&b| b == b'\n') {
                let line = self.take(at + 1);
                return Ok(line);
            }
            if self.available() > max {
                return Err(ResponseError::TooLarge(format!(
                    "{what} longer than {max} bytes"
                )));
            }
            if !self.fill()? {
                return Err(ResponseError::Truncated(format!("in the middle of {what}")));
            }
        }
    }

    /// Exactly `n` bytes.
    fn exact(&mut self, n: usize, what: &str) -> Result<Vec<u8>, ResponseError> {
        while self.available() < n {
            if !self.fill()? {
                return Err(ResponseError::Truncated(format!(
                    "after {} of the {n} bytes of {what}",
                    self.available()
                )));
            }
        }
        Ok(self.take(n))
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

// ANCHOR: read_response
/// Reads one response from `source`. `head_request` says whether it answers a HEAD (which
/// has no body, whatever the headers say); `max_body` bounds the body.
pub fn read_response<R: Read>(
    source: &mut R,
    head_request: bool,
    max_body: u64,
) -> Result<Response, ResponseError> {
    let mut wire = Wire {
        source,
        buf: Vec::new(),
        pos: 0,
        raw: Vec::new(),
    };
    loop {
        let mut response = read_head(&mut wire)?;
        // 1xx responses (100 Continue) are interim: the real one follows. All the heads
        // together stay within MAX_HEAD, or a server could send interim ones forever.
        if (100..200).contains(&response.status) {
            if wire.raw.len() > MAX_HEAD {
                return Err(ResponseError::TooLarge("interim 1xx responses".into()));
            }
            continue;
        }
        response.framing = framing(&response, head_request)?;
        response.body = match response.framing {
            Framing::NoBody => Vec::new(),
            Framing::ContentLength(n) if n > max_body => {
                return Err(ResponseError::TooLarge(format!("Content-Length {n}")));
            }
            Framing::ContentLength(n) => wire.exact(n as usize, "the body")?,
            Framing::Chunked => read_chunks(&mut wire, max_body)?,
            Framing::UntilClose => {
                // Everything until the server closes is the body (checked also when it
                // all came with the head).
                loop {
                    if wire.available() as u64 > max_body {
                        return Err(ResponseError::TooLarge("body".into()));
                    }
                    if !wire.fill()? {
                        break;
                    }
                }
                wire.take(wire.available())
            }
        };
        response.raw = wire.raw;
        return Ok(response);
    }
}
// ANCHOR_END: read_response

/// The status line and headers, up to the empty line.
fn read_head<R: Read>(wire: &mut Wire<R>) -> Result<Response, ResponseError> {
    let start = wire.raw.len();
    let status_line = wire.line(MAX_HEAD, "the status line")?;
    let text = String::from_utf8_lossy(trim_eol(&status_line)).into_owned();
    // HTTP/1.1 200 OK
    let mut parts = text.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    let reason = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.")
        || code.len() != 3
        || !code.bytes().all(|b| b.is_ascii_digit())
    {
        let shown: String = text.chars().take(60).collect();
        return Err(ResponseError::Malformed(format!("status line {shown:?}")));
    }
    let mut response = Response {
        version: version.to_owned(),
        status: code.parse().unwrap_or_default(),
        reason: reason.to_owned(),
        ..Response::default()
    };
    loop {
        let used = wire.raw.len() - start;
        let line = wire.line(MAX_HEAD.saturating_sub(used), "the headers")?;
        let line = trim_eol(&line);
        if line.is_empty() {
            return Ok(response);
        }
        let text = String::from_utf8_lossy(line);
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| ResponseError::Malformed(format!("header line {text:?}")))?;
        response
            .headers
            .push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

// ANCHOR: framing
/// How this response's body ends, from the request method, the status and the headers.
fn framing(response: &Response, head_request: bool) -> Result<Framing, ResponseError> {
    if head_request || response.status == 204 || response.status == 304 {
        return Ok(Framing::NoBody);
    }
    if let Some(coding) = response.header("transfer-encoding") {
        // `chunked` must be the last coding applied; anything else ends with the connection.
        let last = coding.rsplit(',').next().unwrap_or_default().trim();
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::UntilClose
        });
    }
    if let Some(length) = response.header("content-length") {
        return length
            .parse()
            .map(Framing::ContentLength)
            .map_err(|_| ResponseError::Malformed(format!("Content-Length {length:?}")));
    }
    Ok(Framing::UntilClose)
}
// ANCHOR_END: framing

// ANCHOR: read_chunks
/// A chunked body: `SIZE(hex)[;extension] CRLF DATA CRLF`, repeated, then a chunk of size
/// 0, optional trailer lines, and an empty line.
fn read_chunks<R: Read>(wire: &mut Wire<R>, max_body: u64) -> Result<Vec<u8>, ResponseError> {
    let mut body = Vec::new();
    // The bytes around the data (size lines, extensions, trailers) are bounded too: a
    // server could otherwise send one-byte chunks with long extensions, or trailer lines
    // without end, and every byte of them is kept.
    let mut framing_left = max_body.saturating_add(MAX_HEAD as u64);
    let mut framing = |line: &[u8]| {
        framing_left = framing_left.checked_sub(line.len() as u64).ok_or_else(|| {
            ResponseError::TooLarge("the chunk sizes, extensions and trailers".into())
        })?;
        Ok::<_, ResponseError>(())
    };
    loop {
        let line = wire.line(MAX_CHUNK_LINE, "a chunk size")?;
        framing(&line)?;
        let text = String::from_utf8_lossy(trim_eol(&line)).into_owned();
        let digits = text.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(digits, 16)
            .ok()
            .filter(|_| !digits.starts_with('+'))
            .ok_or_else(|| ResponseError::Malformed(format!("chunk size {text:?}")))?;
        if size == 0 {
            break;
        }
        if (body.len() as u64).saturating_add(size) > max_body {
            return Err(ResponseError::TooLarge("chunked body".into()));
        }
        body.extend(wire.exact(size as usize, "a chunk")?);
        let end = wire.line(2, "the end of a chunk")?;
        framing(&end)?;
        if !trim_eol(&end).is_empty() {
            return Err(ResponseError::Malformed(
                "a chunk longer than its size".into(),
            ));
        }
    }
    // Trailer fields, if any, then the empty line.
    loop {
        let line = wire.line(MAX_CHUNK_LINE, "the trailer")?;
        framing(&line)?;
        if trim_eol(&line).is_empty() {
            break;
        }
    }
    Ok(body)
}
// ANCHOR_END: read_chunks

/// The response reader on arbitrary bytes, as the response to a GET and to a HEAD, with a
/// small body limit: it must return, never panic. Used by the fuzz target in `fuzz/`.
pub fn fuzz_one_input(data: &[u8]) {
    for head_request in [false, true] {
        if let Ok(response) = read_response(&mut &data[..], head_request, 1 << 16) {
            assert!(response.raw.len() <= data.len());
            assert!(response.body.len() <= 1 << 16);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<Response, ResponseError> {
        read_response(&mut &bytes[..], false, 1 << 20)
    }

    #[test]
    fn urls_split_into_host_port_and_path() {
        let t = |url| parse_url(url).unwrap();
        assert_eq!(
            t("http://example.com"),
            Target {
                host: "example.com".into(),
                port: 80,
                path: "/".into()
            }
        );
        assert_eq!(t("http://127.0.0.1:6789/docs?x=1").path, "/docs?x=1");
        assert_eq!(t("http://127.0.0.1:6789?x=1").path, "/?x=1");
        assert_eq!(
            t("http://[::1]:8080/a"),
            Target {
                host: "::1".into(),
                port: 8080,
                path: "/a".into()
            }
        );
        assert!(parse_url("https://example.com/").is_err());
        assert!(parse_url("http://:80/").is_err());
        assert!(parse_url("http://host:99999/").is_err());
        assert_eq!(host_header("::1", 8080), "[::1]:8080");
        assert_eq!(host_header("example.com", 80), "example.com");
    }

    #[test]
    fn the_request_has_host_headers_and_a_length() {
        let request = build_request(
            "POST",
            "/form",
            "HTTP/1.1",
            "localhost:6789",
            &[(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            b"a=b",
        );
        assert_eq!(
            request,
            b"POST /form HTTP/1.1\r\nHost: localhost:6789\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b"
        );
        assert_eq!(
            build_request("GET", "/", "HTTP/1.0", "h", &[], b""),
            b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"
        );
        // POST and PUT say their length even when it is 0; any body says it.
        for method in ["POST", "PUT"] {
            assert_eq!(
                build_request(method, "/", "HTTP/1.1", "h", &[], b""),
                format!("{method} / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").into_bytes()
            );
        }
        assert_eq!(
            build_request("PATCH", "/", "HTTP/1.1", "h", &[], b"x"),
            b"PATCH / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx"
        );
    }

    #[test]
    fn the_three_framings_and_no_body() {
        let r = read(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA").unwrap();
        assert_eq!(
            (r.body.as_slice(), r.framing),
            (&b"hello"[..], Framing::ContentLength(5))
        );
        assert_eq!(r.raw, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");

        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: yes\r\n\r\n";
        let r = read(chunked).unwrap();
        assert_eq!(r.body, b"hello, world!!!");
        assert_eq!(r.raw, chunked);

        let r = read(b"HTTP/1.0 200 OK\r\n\r\nall of\nthis").unwrap();
        assert_eq!(
            (r.body.as_slice(), r.framing),
            (&b"all of\nthis"[..], Framing::UntilClose)
        );

        let r = read(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!(r.framing, Framing::NoBody);
        let r = read_response(
            &mut &b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"[..],
            true,
            10,
        )
        .unwrap();
        assert_eq!(r.framing, Framing::NoBody);

        let r =
            read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    }

    /// A server that sends `step` bytes per read, each read before them failing first with
    /// `error` when there is one.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        error: Option<ErrorKind>,
        failed: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if let Some(kind) = self.error.filter(|_| !self.failed) {
                self.failed = true;
                return Err(kind.into());
            }
            self.failed = false;
            let n = self.step.min(self.bytes.len()).min(out.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn trickled(bytes: &[u8], error: Option<ErrorKind>) -> Result<Response, ResponseError> {
        trickled_by(1, bytes, error)
    }

    fn trickled_by(
        step: usize,
        bytes: &[u8],
        error: Option<ErrorKind>,
    ) -> Result<Response, ResponseError> {
        let mut source = Trickle {
            bytes,
            step,
            error,
            failed: false,
        };
        read_response(&mut source, false, 1 << 20)
    }

    #[test]
    fn a_read_interrupted_by_a_signal_is_retried_and_other_errors_are_reported() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        let r = trickled(ok, Some(ErrorKind::Interrupted)).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hi"[..]));
        for kind in [ErrorKind::WouldBlock, ErrorKind::TimedOut] {
            assert!(matches!(
                trickled(ok, Some(kind)),
                Err(ResponseError::Timeout)
            ));
        }
        match trickled(ok, Some(ErrorKind::ConnectionReset)) {
            Err(ResponseError::Io(e)) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_chunk_line_may_be_as_long_as_the_limit_and_a_head_much_longer() {
        // Byte by byte, so that each limit is checked at every length.
        let chunked = |line_len: usize| {
            let line = format!("1;{}\r", "e".repeat(line_len - 3));
            format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{line}\nx\r\n0\r\n\r\n")
        };
        let r = trickled(chunked(MAX_CHUNK_LINE).as_bytes(), None).unwrap();
        assert_eq!(r.body, b"x");
        assert!(matches!(
            trickled(chunked(MAX_CHUNK_LINE + 1).as_bytes(), None),
            Err(ResponseError::TooLarge(_))
        ));
        // A head of 10 KB: well within MAX_HEAD.
        let head = format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
            "b".repeat(10_000)
        );
        assert_eq!(trickled_by(64, head.as_bytes(), None).unwrap().status, 200);
    }

    #[test]
    fn the_body_and_the_interim_heads_hold_exactly_their_limits() {
        let sized = |length: usize| {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n{}",
                "x".repeat(length)
            )
        };
        let read_max = |bytes: &[u8], max_body| read_response(&mut &bytes[..], false, max_body);
        assert_eq!(read_max(sized(10).as_bytes(), 10).unwrap().body.len(), 10);
        // The same limit for a body read until the close, and for a chunked one.
        let until_close = |length: usize| format!("HTTP/1.0 200 OK\r\n\r\n{}", "x".repeat(length));
        assert_eq!(
            read_max(until_close(10).as_bytes(), 10).unwrap().body.len(),
            10
        );
        assert!(matches!(
            read_max(until_close(11).as_bytes(), 10),
            Err(ResponseError::TooLarge(_))
        ));
        let chunked = |length: usize| {
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{length:x}\r\n{}\r\n0\r\n\r\n",
                "x".repeat(length)
            )
        };
        assert_eq!(read_max(chunked(10).as_bytes(), 10).unwrap().body.len(), 10);
        assert!(matches!(
            read_max(chunked(11).as_bytes(), 10),
            Err(ResponseError::TooLarge(_))
        ));
        assert!(matches!(
            read_max(sized(11).as_bytes(), 10),
            Err(ResponseError::TooLarge(_))
        ));
        // 100 Continue heads of MAX_HEAD bytes in all, then the response: accepted; one
        // byte more and they are refused.
        let interim = |total: usize| {
            let empty = "HTTP/1.1 100 Continue\r\nX: \r\n\r\n".len();
            let head = format!(
                "HTTP/1.1 100 Continue\r\nX: {}\r\n\r\n",
                "p".repeat(total - empty)
            );
            format!("{head}HTTP/1.1 204 No Content\r\n\r\n")
        };
        assert_eq!(read(interim(MAX_HEAD).as_bytes()).unwrap().status, 204);
        assert!(matches!(
            read(interim(MAX_HEAD + 1).as_bytes()),
            Err(ResponseError::TooLarge(_))
        ));
    }

    #[test]
    fn the_status_line_is_read_whole_and_a_bad_one_refused() {
        let r = read(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap();
        assert_eq!(
            (r.version.as_str(), r.status, r.reason.as_str()),
            ("HTTP/1.0", 404, "Not Found")
        );
        for bad in [
            &b"HTTP/2 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 2x0 OK\r\n\r\n",
        ] {
            assert!(
                matches!(read(bad), Err(ResponseError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn each_head_after_an_interim_one_has_the_whole_head_limit() {
        // A 40 KB 100 Continue, then a response whose own head is 40 KB: each within
        // MAX_HEAD, together over it (read in small pieces, so that the limit is checked
        // as the head grows).
        let response = format!(
            "HTTP/1.1 100 Continue\r\nX: {}\r\n\r\nHTTP/1.1 200 OK\r\nY: {}\r\nContent-Length: 0\r\n\r\n",
            "a".repeat(40_000),
            "b".repeat(40_000)
        );
        assert_eq!(
            trickled_by(64, response.as_bytes(), None).unwrap().status,
            200
        );
    }

    /// A server that sends `start`, then `pattern` again and again (up to 32 MiB, so that a
    /// client without a bound still ends), and counts what it sent.
    struct Endless {
        start: &'static [u8],
        pattern: &'static [u8],
        sent: usize,
    }

    impl Read for Endless {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.sent >= 32 << 20 {
                return Ok(0);
            }
            let n = out.len().min(4096);
            for slot in &mut out[..n] {
                *slot = match self.start.get(self.sent) {
                    Some(&byte) => byte,
                    None => self.pattern[(self.sent - self.start.len()) % self.pattern.len()],
                };
                self.sent += 1;
            }
            Ok(n)
        }
    }

    #[test]
    fn an_endless_stream_of_small_parts_is_refused_early() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let servers = [
            // 100 Continue, forever.
            (&b""[..], &b"HTTP/1.1 100 Continue\r\n\r\n"[..]),
            // The last chunk, then trailer fields without end.
            (&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"[..], &b"X-Trailer: more\r\n"[..]),
            // One-byte chunks, each with a long extension.
            (&chunked[..], &b"1;ext=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n"[..]),
        ];
        for (start, pattern) in servers {
            let mut server = Endless {
                start,
                pattern,
                sent: 0,
            };
            let result = read_response(&mut server, false, 1 << 16);
            let shown = String::from_utf8_lossy(pattern);
            assert!(
                matches!(result, Err(ResponseError::TooLarge(_))),
                "{shown}: {result:?}"
            );
            assert!(server.sent < 1 << 20, "{shown}: read {} bytes", server.sent);
        }
    }

    #[test]
    fn broken_responses_are_errors_not_panics() {
        let truncated = read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
        assert!(
            matches!(truncated, Err(ResponseError::Truncated(_))),
            "{truncated:?}"
        );
        assert_eq!(
            truncated.unwrap_err().to_string(),
            "the server closed the connection after 4 of the 10 bytes of the body"
        );
        assert!(matches!(
            read(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Err(ResponseError::Malformed(_))
        ));
        assert!(matches!(
            read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            Err(ResponseError::Malformed(_))
        ));
        assert!(matches!(
            read(b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
            Err(ResponseError::Malformed(_))
        ));
        assert!(matches!(read(b""), Err(ResponseError::Truncated(_))));
        let endless = [
            b"HTTP/1.1 200 OK\r\nX: ".to_vec(),
            vec![b'a'; MAX_HEAD + 10],
        ]
        .concat();
        assert!(matches!(read(&endless), Err(ResponseError::TooLarge(_))));
        let huge =
            read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n");
        assert!(matches!(huge, Err(ResponseError::TooLarge(_))), "{huge:?}");
        // The same after a first chunk: the sum of the sizes must not overflow either.
        let huge = read(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n",
        );
        assert!(matches!(huge, Err(ResponseError::TooLarge(_))), "{huge:?}");
        for seed in 1..3000u64 {
            let mut state = seed;
            let alphabet = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n0123456789abcdef;";
            let input: Vec<u8> = (0..(seed % 200))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state >> 8) as usize % alphabet.len()]
                })
                .collect();
            let _ = read(&input);
            fuzz_one_input(&input);
        }
    }
}
