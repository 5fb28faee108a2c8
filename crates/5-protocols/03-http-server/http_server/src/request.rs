//! The request parser: the bytes of a request head become a [`Request`], or the status
//! code that tells the client what was wrong with them.
//!
//! It never panics, whatever the bytes (the fuzz target in `fuzz/` feeds it garbage).

use crate::Status;

/// The HTTP versions this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// A parsed request head: request line and header fields (the body is read separately).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub version: Version,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of the header `name` (case-insensitive), if it appears exactly once.
    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let mut values = self.headers_named(name);
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a `Connection` header lists `token` (for example `close`).
    pub fn connection_has(&self, token: &str) -> bool {
        self.headers_named("connection")
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the client wants the connection kept open after this request: the default
    /// in HTTP/1.1 unless it says `Connection: close`, and in HTTP/1.0 only if it asks.
    pub fn keep_alive(&self) -> bool {
        match self.version {
            Version::Http11 => !self.connection_has("close"),
            Version::Http10 => self.connection_has("keep-alive"),
        }
    }

    /// The length of the body: `Ok(0)` without one. A body framed any other way than
    /// by `Content-Length` is refused.
    pub fn body_length(&self) -> Result<u64, Status> {
        if self.headers_named("transfer-encoding").next().is_some() {
            // Both at once is the classic request-smuggling trick: refuse it outright.
            if self.headers_named("content-length").next().is_some() {
                return Err(Status::BadRequest);
            }
            return Err(Status::NotImplemented);
        }
        let mut length = None;
        for value in self.headers_named("content-length") {
            let parsed = parse_decimal(value).ok_or(Status::BadRequest)?;
            if length.is_some_and(|l| l != parsed) {
                return Err(Status::BadRequest);
            }
            length = Some(parsed);
        }
        Ok(length.unwrap_or(0))
    }
}

fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

// ANCHOR: parse
/// Parses a request head: the request line, then header lines, up to the empty line.
///
/// Lines may end in CRLF (as the standard says) or a bare LF (as `nc` sends when you
/// press Enter). Whatever is malformed gets 400; an HTTP version other than 1.0 and 1.1
/// gets 505.
pub fn parse_head(head: &[u8]) -> Result<Request, Status> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));

    // The request line: METHOD SP TARGET SP VERSION, e.g. `GET /index.html HTTP/1.1`.
    let request_line = lines.next().ok_or(Status::BadRequest)?;
    let mut parts = request_line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Status::BadRequest);
    };
    if method.is_empty() || !method.iter().all(|&b| is_token_byte(b)) {
        return Err(Status::BadRequest);
    }
    if target.is_empty() || !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Status::BadRequest);
    }
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(Status::VersionNotSupported);
        }
        _ => return Err(Status::BadRequest),
    };

    // Header lines: NAME ":" OWS VALUE OWS, until the empty line.
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(Status::BadRequest)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        // No space before the colon, and no line folding (a line that starts with a space).
        if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
            return Err(Status::BadRequest);
        }
        let value = value.trim_ascii();
        if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
            return Err(Status::BadRequest);
        }
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
    }

    let request = Request {
        // Both are ASCII by the checks above.
        method: String::from_utf8_lossy(method).into_owned(),
        target: String::from_utf8_lossy(target).into_owned(),
        version,
        headers,
    };
    // HTTP/1.1 requires exactly one Host header.
    if version == Version::Http11 && request.headers_named("host").count() != 1 {
        return Err(Status::BadRequest);
    }
    Ok(request)
}
// ANCHOR_END: parse

/// The characters allowed in a method or header name (RFC 9110 `tchar`).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Where the head ends in `buf`: the index just past the empty line, if it has arrived.
pub fn end_of_head(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(offset) = buf[i..].iter().position(|&b| b == b'\n') {
        let newline = i + offset;
        let rest = &buf[newline + 1..];
        if rest.starts_with(b"\n") {
            return Some(newline + 2);
        }
        if rest.starts_with(b"\r\n") {
            return Some(newline + 3);
        }
        i = newline + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_style_request_parses() {
        let head = b"GET /docs/ HTTP/1.1\r\nHost: localhost:6789\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n";
        let request = parse_head(head).unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.target, "/docs/");
        assert_eq!(request.version, Version::Http11);
        assert_eq!(request.header("HOST"), Some("localhost:6789"));
        assert!(request.keep_alive());
    }

    #[test]
    fn bare_newlines_as_typed_into_nc_are_accepted() {
        let request = parse_head(b"GET / HTTP/1.0\n\n").unwrap();
        assert_eq!(request.version, Version::Http10);
        assert!(!request.keep_alive());
        assert_eq!(end_of_head(b"GET / HTTP/1.0\n\nrest"), Some(16));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\n\r\nrest"), Some(18));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\nHost: x\r\n"), None);
    }

    #[test]
    fn malformed_heads_are_400_and_unknown_versions_505() {
        for bad in [
            &b""[..],
            b"GET\r\n\r\n",
            b"GET /  HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / http/1.1\r\nHost: x\r\n\r\n",
        ] {
            assert_eq!(
                parse_head(bad),
                Err(Status::BadRequest),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            parse_head(b"GET / HTTP/2.0\r\n\r\n"),
            Err(Status::VersionNotSupported)
        );
    }

    #[test]
    fn body_length_comes_from_content_length_only() {
        let with = |extra: &str| {
            parse_head(format!("POST /form HTTP/1.1\r\nHost: x\r\n{extra}\r\n").as_bytes())
                .unwrap()
                .body_length()
        };
        assert_eq!(with(""), Ok(0));
        assert_eq!(with("Content-Length: 51\r\n"), Ok(51));
        assert_eq!(with("Content-Length: 5\r\nContent-Length: 5\r\n"), Ok(5));
        assert_eq!(
            with("Content-Length: 5\r\nContent-Length: 6\r\n"),
            Err(Status::BadRequest)
        );
        assert_eq!(with("Content-Length: -1\r\n"), Err(Status::BadRequest));
        assert_eq!(with("Content-Length: +5\r\n"), Err(Status::BadRequest));
        assert_eq!(
            with("Content-Length: 99999999999999999999\r\n"),
            Err(Status::BadRequest)
        );
        assert_eq!(
            with("Transfer-Encoding: chunked\r\n"),
            Err(Status::NotImplemented)
        );
        assert_eq!(
            with("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"),
            Err(Status::BadRequest)
        );
    }
}
