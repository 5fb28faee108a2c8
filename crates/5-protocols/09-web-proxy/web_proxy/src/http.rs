//! The HTTP/1.1 a proxy needs: header fields, request and response heads read with a
//! bound, absolute URLs, the three ways a body ends (a length, chunks, the end of the
//! connection) read as a stream, and dates.
//!
//! Nothing here panics on bad input: every malformed head is an error the proxy turns
//! into a status code (400 from a client, 502 from an origin).

use std::fmt;
use std::io::{self, BufRead, Read};

use netkit::textline::Line;

/// The longest line of a head (a request line, a status line, one field) we accept.
pub const MAX_LINE: usize = 8 * 1024;

/// The most field lines a head may have.
pub const MAX_FIELDS: usize = 100;

// ANCHOR: read_line
/// Reads one line into `line` (cleared first; the `\n`, and a `\r` before it, left out),
/// keeping at most `max` bytes. A longer line is `TooLong` at once: the rest of it is not
/// read, because the connection is closed after that anyway, and reading on to the
/// newline would let a peer that never sends one keep this thread busy forever.
pub fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    line.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() {
                Line::End
            } else {
                Line::Unterminated
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        // One byte more than `max` may come: the '\r' before the '\n'.
        if line.len() + chunk.len() > max + 1 {
            return Ok(Line::TooLong);
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(newline.is_some());
        reader.consume(used);
        if newline.is_some() {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(if line.len() > max {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}
// ANCHOR_END: read_line

// ANCHOR: headers
/// The header fields of a message, in the order they came, names as they were written.
/// Names compare without regard to case (RFC 9110 §5.1); a field may appear on several
/// lines, which mean the same as one line with the values joined by commas (§5.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Adds a field line at the end.
    pub fn push(&mut self, name: &str, value: &str) {
        self.fields.push((name.to_owned(), value.to_owned()));
    }

    /// The value of the first line named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// The values of every line named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every line named `name` as one value: the values joined by `", "` (`None` when
    /// there is no such line).
    pub fn combined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self.get_all(name).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The comma-separated items of every line named `name`, trimmed, empty ones left out
    /// (`Connection: close, x-secret` gives `close` and `x-secret`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get_all(name)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Whether the list of `name` has `token` (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(token))
    }

    /// Removes every line named `name`.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Every line, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The lines as they go on the wire: `Name: value\r\n` each.
    pub fn write_to(&self, out: &mut String) {
        for (name, value) in &self.fields {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
    }

    /// How many bytes the lines take on the wire.
    pub fn wire_len(&self) -> usize {
        self.fields.iter().map(|(n, v)| n.len() + v.len() + 4).sum()
    }
}

impl<const N: usize> From<[(&str, &str); N]> for Headers {
    fn from(fields: [(&str, &str); N]) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in fields {
            headers.push(name, value);
        }
        headers
    }
}
// ANCHOR_END: headers

// ANCHOR: hop_by_hop
/// The fields that concern one connection only, never forwarded (RFC 9110 §7.6.1):
/// `Connection` and every field it names, and these, which are hop-by-hop by definition
/// or by long practice (`Proxy-Connection`, `Keep-Alive`). `Transfer-Encoding` is the
/// framing of one hop: the proxy reads it, and frames the body again for the next hop.
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
];

/// `headers` without the hop-by-hop fields, and without the ones its `Connection` names.
pub fn end_to_end(headers: &Headers) -> Headers {
    let named = headers.list("connection");
    let mut out = Headers::new();
    for (name, value) in headers.iter() {
        let hop = HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
            || named.iter().any(|n| name.eq_ignore_ascii_case(n));
        if !hop {
            out.push(name, value);
        }
    }
    out
}
// ANCHOR_END: hop_by_hop

/// HTTP/1.0 or 1.1 (any later 1.x is treated as 1.1, RFC 9112 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// Why a head could not be read.
#[derive(Debug)]
pub enum HeadError {
    /// A line or the whole head is longer than we accept (431).
    TooLarge,
    /// Not HTTP: the reason, for the log.
    Malformed(String),
    /// A version this proxy does not speak (HTTP/2.0 on a text connection): 505.
    Version(String),
    /// The peer closed in the middle of the head.
    Truncated,
    /// The socket failed (a timeout: `WouldBlock`/`TimedOut`).
    Io(io::Error),
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::TooLarge => f.write_str("head too large"),
            HeadError::Malformed(why) => f.write_str(why),
            HeadError::Version(v) => write!(f, "version {v:?} not supported"),
            HeadError::Truncated => f.write_str("connection closed in the middle of the head"),
            HeadError::Io(e) => write!(f, "{e}"),
        }
    }
}

// ANCHOR: read_head
/// Reads a head: a start line, field lines, an empty line. `Ok(None)`: the peer closed
/// before sending a byte. At most `max` bytes in all, [`MAX_LINE`] per line and
/// [`MAX_FIELDS`] fields; a line folded onto the next (obs-fold) or a field name with a
/// space before its colon is malformed (RFC 9112 §5.1, §5.2). Up to two empty lines
/// before the start line are skipped (§2.2).
pub fn read_head(
    reader: &mut impl BufRead,
    max: usize,
) -> Result<Option<(String, Headers)>, HeadError> {
    let mut line = Vec::new();
    let mut total = 0;
    let mut start = None;
    for _ in 0..3 {
        match read_line(reader, &mut line, MAX_LINE).map_err(HeadError::Io)? {
            Line::End if total == 0 => return Ok(None),
            Line::End | Line::Unterminated => return Err(HeadError::Truncated),
            Line::TooLong => return Err(HeadError::TooLarge),
            Line::Complete if line.is_empty() => total += 2,
            Line::Complete => {
                total += line.len() + 2;
                start = Some(text(&line)?);
                break;
            }
        }
    }
    let start = start.ok_or_else(|| HeadError::Malformed("empty lines, no start line".into()))?;
    let mut headers = Headers::new();
    loop {
        match read_line(reader, &mut line, MAX_LINE).map_err(HeadError::Io)? {
            Line::Complete if line.is_empty() => return Ok(Some((start, headers))),
            Line::Complete => {}
            Line::TooLong => return Err(HeadError::TooLarge),
            Line::End | Line::Unterminated => return Err(HeadError::Truncated),
        }
        total += line.len() + 2;
        if total > max || headers.len() >= MAX_FIELDS {
            return Err(HeadError::TooLarge);
        }
        let field = text(&line)?;
        if field.starts_with([' ', '\t']) {
            return Err(HeadError::Malformed("a folded header line".into()));
        }
        let Some((name, value)) = field.split_once(':') else {
            return Err(HeadError::Malformed(format!(
                "a header line without a colon: {field:?}"
            )));
        };
        if !is_token(name) {
            return Err(HeadError::Malformed(format!("a bad header name: {name:?}")));
        }
        headers.push(name, value.trim_matches([' ', '\t']));
    }
}
// ANCHOR_END: read_head

/// A line as text: UTF-8, without control characters other than tab.
fn text(line: &[u8]) -> Result<String, HeadError> {
    let text = std::str::from_utf8(line)
        .map_err(|_| HeadError::Malformed("bytes that are not UTF-8 in the head".into()))?;
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(HeadError::Malformed(
            "a control character in the head".into(),
        ));
    }
    Ok(text.to_owned())
}

/// A token (RFC 9110 §5.6.2): a method or a field name.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// As sent: `http://host:port/path` (absolute form, to a proxy), `/path` (origin
    /// form), `host:port` (CONNECT).
    pub target: String,
    pub version: Version,
    pub headers: Headers,
}

impl RequestHead {
    /// The request line, for the log.
    pub fn line(&self) -> String {
        let version = match self.version {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        };
        format!("{} {} {version}", self.method, self.target)
    }

    /// Whether the client keeps the connection open after this request: HTTP/1.1 unless
    /// it says `Connection: close` (RFC 9112 §9.3). An HTTP/1.0 client gets one response
    /// per connection here.
    pub fn keep_alive(&self) -> bool {
        self.version == Version::Http11 && !self.headers.has_token("connection", "close")
    }
}

/// Splits a request line: `METHOD SP TARGET SP HTTP/1.1`.
pub fn parse_request_line(line: &str, headers: Headers) -> Result<RequestHead, HeadError> {
    let malformed = || HeadError::Malformed(format!("a bad request line: {line:?}"));
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    if !is_token(method) || target.is_empty() {
        return Err(malformed());
    }
    let version = parse_version(version).ok_or_else(malformed)??;
    Ok(RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        version,
        headers,
    })
}

/// `HTTP/1.1`, `HTTP/1.0`, `HTTP/1.x`; another major version is `Err`; anything that is
/// not a version at all is `None`.
fn parse_version(text: &str) -> Option<Result<Version, HeadError>> {
    let digits = text.strip_prefix("HTTP/")?.as_bytes();
    let [major @ b'0'..=b'9', b'.', minor @ b'0'..=b'9'] = *digits else {
        return None;
    };
    Some(match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(HeadError::Version(text.to_owned())),
    })
}

/// A response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
}

/// Splits a status line: `HTTP/1.1 SP 200 SP OK` (the reason may be empty).
pub fn parse_status_line(line: &str, headers: Headers) -> Result<ResponseHead, HeadError> {
    let malformed = || HeadError::Malformed(format!("a bad status line: {line:?}"));
    let (version, rest) = line.split_once(' ').ok_or_else(malformed)?;
    parse_version(version).ok_or_else(malformed)??;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') {
        return Err(malformed());
    }
    Ok(ResponseHead {
        status: code.parse().map_err(|_| malformed())?,
        reason: reason.to_owned(),
        headers,
    })
}

// ANCHOR: url
/// Where a request goes: an `http://` URL taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// Lower case; an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    /// The path and query, `/` when the URL had none.
    pub path: String,
}

impl Url {
    /// `host` or `host:port` (the port left out when it is 80), brackets around IPv6: what
    /// the `Host` field says.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            80 => host,
            port => format!("{host}:{port}"),
        }
    }

    /// The cache key: the URL in one canonical spelling.
    pub fn key(&self) -> String {
        format!("http://{}{}", self.authority(), self.path)
    }
}

/// Why a target is not a URL we forward to.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL (400).
    Malformed(&'static str),
    /// A scheme other than `http` (`https://` needs TLS): 501.
    Scheme(String),
}

/// Parses an absolute URL, `http://host[:port][/path][?query]`: the form a client sends to
/// a forward proxy (RFC 9112 §3.2.2). No user info (`user@host`), no fragment.
pub fn parse_url(target: &str) -> Result<Url, UrlError> {
    let (scheme, rest) = target.split_once("://").ok_or(UrlError::Malformed(
        "not an absolute URL (http://host/path)",
    ))?;
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(UrlError::Scheme(scheme.to_ascii_lowercase()));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    if path.contains('#') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(UrlError::Malformed(
            "a fragment or a control character in the URL",
        ));
    }
    let (host, port) = parse_authority(authority)?;
    Ok(Url { host, port, path })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` (port 80 when none).
pub fn parse_authority(authority: &str) -> Result<(String, u16), UrlError> {
    if authority.contains('@') {
        return Err(UrlError::Malformed("user information in the URL"));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or(UrlError::Malformed("an IPv6 address without its ]"))?;
        if v6.is_empty()
            || !v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b))
        {
            return Err(UrlError::Malformed("a bad IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or(UrlError::Malformed("junk after ]"))?,
            ),
        };
        (v6, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let name_ok = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:".contains(&b);
    if host.is_empty() || !host.bytes().all(name_ok) {
        return Err(UrlError::Malformed("a bad host name"));
    }
    let port = match port {
        None | Some("") => 80,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(UrlError::Malformed("a bad port")),
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}
// ANCHOR_END: url

// ANCHOR: framing
/// How a body ends (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body at all.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunks, up to one of size 0.
    Chunked,
    /// Everything until the sender closes (responses only).
    Close,
}

/// The framing of a message with these fields. `Err` for what no careful recipient
/// accepts: both `Transfer-Encoding` and `Content-Length` (how request smuggling
/// starts), a coding other than `chunked`, a `Content-Length` that is not one number.
/// `otherwise`: what a message with neither field has (no body for a request, the rest
/// of the connection for a response).
pub fn framing(headers: &Headers, otherwise: Framing) -> Result<Framing, &'static str> {
    let codings = headers.list("transfer-encoding");
    let lengths = headers.list("content-length");
    if !codings.is_empty() {
        if !lengths.is_empty() {
            return Err("both Transfer-Encoding and Content-Length");
        }
        return match codings.as_slice() {
            [only] if only.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            _ => Err("a transfer coding other than chunked"),
        };
    }
    if headers.get("transfer-encoding").is_some() {
        return Err("an empty Transfer-Encoding");
    }
    match lengths.split_first() {
        None if headers.get("content-length").is_some() => Err("an empty Content-Length"),
        None => Ok(otherwise),
        Some((first, rest)) => {
            if rest.iter().any(|other| other != first)
                || first.len() > 18
                || !first.bytes().all(|b| b.is_ascii_digit())
            {
                return Err("a bad Content-Length");
            }
            Ok(Framing::Length(
                first.parse().map_err(|_| "a bad Content-Length")?,
            ))
        }
    }
}
// ANCHOR_END: framing

// ANCHOR: body
/// A body, read as a stream of its bytes (the chunked framing taken off) from the
/// connection it arrives on. `read` returns 0 at the end of the body; an origin that
/// closes before the end is `UnexpectedEof`, broken chunk framing is `InvalidData`.
pub struct Body<'a, R: BufRead> {
    source: &'a mut R,
    state: BodyState,
    line: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyState {
    /// This many bytes left (with `Framing::Length`).
    Left(u64),
    /// Before a chunk-size line.
    ChunkStart,
    /// This many bytes of the current chunk left; then its CRLF.
    InChunk(u64),
    /// Until the connection closes.
    UntilClose,
    Done,
}

impl<'a, R: BufRead> Body<'a, R> {
    pub fn new(source: &'a mut R, framing: Framing) -> Body<'a, R> {
        let state = match framing {
            Framing::None | Framing::Length(0) => BodyState::Done,
            Framing::Length(n) => BodyState::Left(n),
            Framing::Chunked => BodyState::ChunkStart,
            Framing::Close => BodyState::UntilClose,
        };
        Body {
            source,
            state,
            line: Vec::new(),
        }
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.state == BodyState::Done
    }

    fn broken(why: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad chunked body: {why}"),
        )
    }

    /// Reads a chunk-size line (`1a2b;ext=1`): the size, in hex.
    fn chunk_size(&mut self) -> io::Result<u64> {
        match read_line(self.source, &mut self.line, 1024)? {
            Line::Complete => {}
            Line::TooLong => return Err(Self::broken("a chunk-size line over 1 KiB")),
            Line::End | Line::Unterminated => return Err(io::ErrorKind::UnexpectedEof.into()),
        }
        let text = std::str::from_utf8(&self.line).map_err(|_| Self::broken("not text"))?;
        let hex = text
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_matches([' ', '\t']);
        if hex.is_empty() || hex.len() > 15 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Self::broken("a bad chunk size"));
        }
        u64::from_str_radix(hex, 16).map_err(|_| Self::broken("a bad chunk size"))
    }

    /// After the last chunk: trailer fields (read and dropped), then an empty line.
    fn trailers(&mut self) -> io::Result<()> {
        for _ in 0..MAX_FIELDS {
            match read_line(self.source, &mut self.line, MAX_LINE)? {
                Line::Complete if self.line.is_empty() => return Ok(()),
                Line::Complete => {}
                Line::TooLong => return Err(Self::broken("a trailer line too long")),
                Line::End | Line::Unterminated => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
        Err(Self::broken("too many trailer fields"))
    }
}

impl<R: BufRead> Read for Body<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.state {
                BodyState::Done => return Ok(0),
                BodyState::ChunkStart => match self.chunk_size()? {
                    0 => {
                        self.trailers()?;
                        self.state = BodyState::Done;
                    }
                    size => self.state = BodyState::InChunk(size),
                },
                BodyState::InChunk(0) => {
                    // The CRLF after a chunk's data: an empty line.
                    match read_line(self.source, &mut self.line, 0)? {
                        Line::Complete => self.state = BodyState::ChunkStart,
                        Line::End | Line::Unterminated => {
                            return Err(io::ErrorKind::UnexpectedEof.into());
                        }
                        Line::TooLong => return Err(Self::broken("no CRLF after a chunk")),
                    }
                }
                BodyState::Left(left) | BodyState::InChunk(left) => {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.source.read(&mut buf[..want])?;
                    if n == 0 && want > 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    let left = left - n as u64;
                    self.state = match self.state {
                        BodyState::Left(_) if left == 0 => BodyState::Done,
                        BodyState::Left(_) => BodyState::Left(left),
                        _ => BodyState::InChunk(left),
                    };
                    return Ok(n);
                }
                BodyState::UntilClose => {
                    let n = self.source.read(buf)?;
                    if n == 0 {
                        self.state = BodyState::Done;
                    }
                    return Ok(n);
                }
            }
        }
    }
}
// ANCHOR_END: body

// ANCHOR: dates
/// The seconds since 1970 that an HTTP date names, in any of the three formats a
/// recipient must read (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT` (the one to
/// send), `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`. `None` for
/// anything else (an `Expires: 0` is not a date: it means "already expired").
pub fn parse_http_date(text: &str) -> Option<u64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year, time) = match words.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [weekday, day, month, year, time, "GMT"] if weekday.len() == 4 => {
            if !weekday.ends_with(',') || year.len() != 4 {
                return None;
            }
            (*day, *month, year.parse().ok()?, *time)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [weekday, date, time, "GMT"] if weekday.ends_with(',') => {
            let mut parts = date.split('-');
            let (day, month, yy) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || yy.len() != 2 {
                return None;
            }
            let yy: u64 = yy.parse().ok()?;
            (
                day,
                month,
                if yy < 70 { 2000 + yy } else { 1900 + yy },
                *time,
            )
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, month, day, time, year] if year.len() == 4 => (*day, *month, year.parse().ok()?, *time),
        _ => return None,
    };
    if day.is_empty() || day.len() > 2 || !day.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day: u64 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':').map(|part| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u64>().ok())
            .flatten()
    });
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    if year < 1970 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_since_epoch(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// A time as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(secs: u64) -> String {
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[(days % 7) as usize]; // 1970-01-01 was a Thursday
    let rest = secs % 86_400;
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        MONTHS[month as usize - 1],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}
// ANCHOR_END: dates

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date (year ≥ 1970).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let whole_years: u64 = (1970..year)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum();
    let whole_months: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    whole_years + whole_months + day - 1
}

/// The date (year, month, day) `days` after 1970-01-01.
fn civil_from_days(mut days: u64) -> (u64, u64, u64) {
    let mut year = 1970;
    loop {
        let length = if is_leap(year) { 366 } else { 365 };
        if days < length {
            break;
        }
        days -= length;
        year += 1;
    }
    let mut month = 1;
    while days >= days_in_month(year, month) {
        days -= days_in_month(year, month);
        month += 1;
    }
    (year, month, days + 1)
}

/// The seconds since 1970, now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn head(bytes: &[u8]) -> Result<Option<(String, Headers)>, HeadError> {
        read_head(&mut BufReader::with_capacity(3, bytes), 4096)
    }

    #[test]
    fn a_head_is_read_line_by_line_with_its_fields() {
        let (start, headers) =
            head(b"\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\nX-A:  1 \r\nx-a: 2\r\n\r\nbody")
                .unwrap()
                .unwrap();
        assert_eq!(start, "GET http://a/ HTTP/1.1");
        assert_eq!(headers.combined("X-A").as_deref(), Some("1, 2"));
        assert_eq!(headers.get("host"), Some("a"));
        assert!(head(b"").unwrap().is_none());
        assert!(matches!(
            head(b"GET / HTTP/1.1\r\nHost"),
            Err(HeadError::Truncated)
        ));
    }

    #[test]
    fn folded_lines_spaces_before_colons_and_oversized_heads_are_refused() {
        assert!(matches!(
            head(b"GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            head(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            head(b"GET / HTTP/1.1\r\nA: \x01\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..200 {
            big.extend(format!("X-{i}: {}\r\n", "v".repeat(30)).bytes());
        }
        big.extend(b"\r\n");
        assert!(matches!(head(&big), Err(HeadError::TooLarge)));
    }

    #[test]
    fn request_and_status_lines() {
        let req = parse_request_line("GET http://x/ HTTP/1.1", Headers::new()).unwrap();
        assert_eq!((req.method.as_str(), req.version), ("GET", Version::Http11));
        assert!(parse_request_line("GET  / HTTP/1.1", Headers::new()).is_err());
        assert!(parse_request_line("GET / HTTP/1.10", Headers::new()).is_err());
        assert!(matches!(
            parse_request_line("GET / HTTP/2.0", Headers::new()),
            Err(HeadError::Version(_))
        ));
        assert_eq!(
            parse_request_line("GET / HTTP/1.4", Headers::new())
                .unwrap()
                .version,
            Version::Http11
        );
        let resp = parse_status_line("HTTP/1.1 304 Not Modified", Headers::new()).unwrap();
        assert_eq!((resp.status, resp.reason.as_str()), (304, "Not Modified"));
        assert_eq!(
            parse_status_line("HTTP/1.0 200", Headers::new())
                .unwrap()
                .status,
            200
        );
        for bad in [
            "HTTP/1.1 20 OK",
            "HTTP/1.1 abc OK",
            "ICY 200 OK",
            "HTTP/1.1",
            "",
        ] {
            assert!(parse_status_line(bad, Headers::new()).is_err(), "{bad}");
        }
    }

    #[test]
    fn absolute_urls_are_taken_apart() {
        let url = parse_url("http://127.0.0.1:6789/a/b?c=d").unwrap();
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!(url.port, 6789);
        assert_eq!(url.path, "/a/b?c=d");
        assert_eq!(url.key(), "http://127.0.0.1:6789/a/b?c=d");
        let url = parse_url("HTTP://Example.COM").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("example.com", 80, "/")
        );
        assert_eq!(url.key(), "http://example.com/");
        let url = parse_url("http://[::1]:8080?x").unwrap();
        assert_eq!((url.host.as_str(), url.path.as_str()), ("::1", "/?x"));
        assert_eq!(url.authority(), "[::1]:8080");
        assert_eq!(
            parse_url("https://a/"),
            Err(UrlError::Scheme("https".into()))
        );
        for bad in [
            "/path",
            "http://",
            "http://user@host/",
            "http://a:99999/",
            "http://a:-1/",
            "http://a/#frag",
            "http://[::1/",
            "http://a b/",
        ] {
            assert!(
                matches!(parse_url(bad), Err(UrlError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn framing_follows_rfc_9112_and_refuses_what_smuggles() {
        let h = |fields: &[(&str, &str)]| {
            let mut headers = Headers::new();
            for (n, v) in fields {
                headers.push(n, v);
            }
            framing(&headers, Framing::Close)
        };
        assert_eq!(h(&[]), Ok(Framing::Close));
        assert_eq!(h(&[("Content-Length", "12")]), Ok(Framing::Length(12)));
        assert_eq!(h(&[("Content-Length", "12, 12")]), Ok(Framing::Length(12)));
        assert_eq!(h(&[("Transfer-Encoding", "Chunked")]), Ok(Framing::Chunked));
        assert!(h(&[("Content-Length", "12"), ("Content-Length", "13")]).is_err());
        assert!(h(&[("Content-Length", "-1")]).is_err());
        assert!(h(&[("Content-Length", "+5")]).is_err());
        assert!(h(&[("Content-Length", "")]).is_err());
        assert!(h(&[("Transfer-Encoding", "chunked"), ("Content-Length", "3")]).is_err());
        assert!(h(&[("Transfer-Encoding", "gzip, chunked")]).is_err());
    }

    fn read_body(bytes: &[u8], framing: Framing, buffer: usize) -> io::Result<(Vec<u8>, Vec<u8>)> {
        let mut source = BufReader::with_capacity(buffer, bytes);
        let mut body = Body::new(&mut source, framing);
        let mut out = Vec::new();
        let mut piece = [0u8; 5];
        for _ in 0..10_000 {
            match body.read(&mut piece)? {
                0 => break,
                n => out.extend_from_slice(&piece[..n]),
            }
        }
        let mut rest = Vec::new();
        source.read_to_end(&mut rest)?;
        Ok((out, rest))
    }

    #[test]
    fn bodies_are_read_to_their_end_and_no_further() {
        for buffer in [1, 2, 7, 64] {
            let (body, rest) = read_body(
                b"4\r\nWiki\r\n6;x=y\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nT: 1\r\n\r\nNEXT",
                Framing::Chunked,
                buffer,
            )
            .unwrap();
            assert_eq!(body, b"Wikipedia in \r\n\r\nchunks.");
            assert_eq!(rest, b"NEXT");
            let (body, rest) = read_body(b"hello world", Framing::Length(5), buffer).unwrap();
            assert_eq!(
                (body.as_slice(), rest.as_slice()),
                (&b"hello"[..], &b" world"[..])
            );
            let (body, _) = read_body(b"to the end", Framing::Close, buffer).unwrap();
            assert_eq!(body, b"to the end");
        }
    }

    #[test]
    fn a_body_cut_short_or_badly_chunked_is_an_error() {
        let kind = |bytes: &[u8], framing| read_body(bytes, framing, 16).unwrap_err().kind();
        assert_eq!(
            kind(b"short", Framing::Length(10)),
            io::ErrorKind::UnexpectedEof
        );
        assert_eq!(
            kind(b"5\r\nab", Framing::Chunked),
            io::ErrorKind::UnexpectedEof
        );
        assert_eq!(
            kind(b"zz\r\n", Framing::Chunked),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            kind(b"2\r\nabXY", Framing::Chunked),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            kind(b"fffffffffffffffff\r\n", Framing::Chunked),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn dates_in_all_three_formats() {
        let t = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        for bad in [
            "0",
            "-1",
            "",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        for secs in [0, 951_782_400, 1_700_000_000, 4_102_444_800, 1_234_567_890] {
            assert_eq!(parse_http_date(&http_date(secs)), Some(secs));
        }
    }

    #[test]
    fn hop_by_hop_fields_and_those_connection_names_are_dropped() {
        let headers = Headers::from([
            ("Connection", "keep-alive, X-Secret"),
            ("X-Secret", "1"),
            ("Proxy-Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("Accept", "*/*"),
        ]);
        let kept: Vec<_> = end_to_end(&headers)
            .iter()
            .map(|(n, _)| n.to_owned())
            .collect();
        assert_eq!(kept, ["Accept"]);
    }
}
