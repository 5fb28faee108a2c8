//! Building a request and reading a response, by hand.

//> #[allow(unused_imports)] // Read: for your code
use std::io::{self, BufRead, Read};

/// The parts of an http:// URL the client needs. (Given.)
#[derive(Debug, PartialEq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Splits `http://host[:port][/path]`. (Given.)
pub fn parse_url(url: &str) -> Result<Url, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse()
                .map_err(|_| format!("{url}: bad port {port:?}"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Url {
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// The request for `url`. (Given.)
pub fn request(url: &Url) -> Vec<u8> {
    let host = if url.port == 80 {
        url.host.clone()
    } else {
        format!("{}:{}", url.host, url.port)
    };
    format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        url.path
    )
    .into_bytes()
}

/// A response: its status code, its headers (names in lower case), its body.
#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The longest status or header line accepted, and the largest body.
pub const MAX_LINE: u64 = 8192;
pub const MAX_BODY: u64 = 16 << 20;

fn bad(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// One line without its CRLF (a bare LF is accepted too), at most `MAX_LINE` bytes.
fn line(r: &mut impl BufRead) -> io::Result<String> {
    let mut raw = Vec::new();
    r.take(MAX_LINE).read_until(b'\n', &mut raw)?;
    if !raw.ends_with(b"\n") {
        return Err(bad("a line was cut short or too long"));
    }
    raw.pop();
    if raw.ends_with(b"\r") {
        raw.pop();
    }
    String::from_utf8(raw).map_err(|_| bad("a line is not text"))
}

// ANCHOR: exercise
/// Reads one response: the status line, the headers up to the empty line, then the body,
/// delimited by `Transfer-Encoding: chunked`, else by `Content-Length`, else by the end
/// of the stream. Reads nothing past the body.
pub fn read_response(r: &mut impl BufRead) -> io::Result<Response> {
    //> // TODO:
    //> //  1. the status line ("HTTP/1.1 200 OK"): keep the number; anything else is an
    //> //     InvalidData error;
    //> //  2. header lines up to the empty one: split at the first ':', trim, lower-case the
    //> //     name;
    //> //  3. the body: with "Transfer-Encoding: chunked", chunks (a hex size line, the
    //> //     bytes, CRLF) up to the chunk of size 0 and the trailers' empty line; else with
    //> //     "Content-Length: N", exactly N bytes; else everything until the end of the
    //> //     stream. Never read past the body, and never more than MAX_BODY bytes.
    //> // `line(r)` (below) reads one line for you.
    //> let _ = (
    //>     r,
    //>     line as fn(&mut io::Empty) -> io::Result<String>,
    //>     bad("unused"),
    //>     MAX_BODY,
    //> );
    //> todo!("read the response")
    // lab:solution
    let status_line = line(r)?;
    let mut words = status_line.split(' ');
    let version = words.next().unwrap_or_default();
    let status = words
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| bad(format!("not an HTTP status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let header = line(r)?;
        if header.is_empty() {
            break;
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| bad(format!("not a header: {header:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        if headers.len() > 100 {
            return Err(bad("too many headers"));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let size_line = line(r)?;
            let size = size_line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16)
                .map_err(|_| bad(format!("bad chunk size {size_line:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !line(r)?.is_empty() {}
                break;
            }
            if body.len() as u64 + size > MAX_BODY {
                return Err(bad("the body is too large"));
            }
            let start = body.len();
            body.resize(start + size as usize, 0);
            r.read_exact(&mut body[start..])?;
            if !line(r)?.is_empty() {
                return Err(bad("a chunk does not end with CRLF"));
            }
        }
    } else if let Some(length) = header("content-length") {
        let length: u64 = length
            .parse()
            .map_err(|_| bad(format!("bad Content-Length {length:?}")))?;
        if length > MAX_BODY {
            return Err(bad("the body is too large"));
        }
        body.resize(length as usize, 0);
        r.read_exact(&mut body)?;
    } else {
        r.take(MAX_BODY).read_to_end(&mut body)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
    // lab:end
}
// ANCHOR_END: exercise
