//! The request parser: the bytes of a request head become a [`Request`], or the status
//! code that tells the client what was wrong with them.
//!
//! It never panics, whatever the bytes (the fuzz target in `fuzz/` feeds it garbage).

use crate::Status;

/// The HTTP versions this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    /// HTTP/1.1, and any later 1.x: a recipient treats a higher minor version as the
    /// highest one it implements (RFC 9112 §2.3).
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

/// The methods HTTP defines (RFC 9110 §9.1, and PATCH from RFC 5789). A method the server
/// does not know gets 501; a known one that a resource does not allow gets 405.
pub const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// How the body of a request is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`: chunks until one of size 0.
    Chunked,
}

/// A parsed request head: request line and header fields (the body is read separately).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path and query (origin form), also when the client sent the absolute form
    /// (`http://host/path`), which is reduced to its path here.
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
    /// in HTTP/1.1 unless it says `Connection: close`, and in HTTP/1.0 only if it asks
    /// (RFC 9112 §9.3).
    pub fn keep_alive(&self) -> bool {
        match self.version {
            Version::Http11 => !self.connection_has("close"),
            Version::Http10 => self.connection_has("keep-alive"),
        }
    }

    /// The path of the target, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    // ANCHOR: framing
    /// How the body is delimited, following RFC 9112 §6.3; `Err` with the status to
    /// answer (and close) when it cannot be trusted.
    pub fn framing(&self) -> Result<Framing, Status> {
        let mut codings = self
            .headers_named("transfer-encoding")
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .peekable();
        if codings.peek().is_some() {
            // Both at once is the classic request-smuggling trick: refuse it (§6.3).
            if self.headers_named("content-length").next().is_some() {
                return Err(Status::BadRequest);
            }
            // An HTTP/1.0 message with Transfer-Encoding has faulty framing (§6.1).
            if self.version == Version::Http10 {
                return Err(Status::BadRequest);
            }
            let codings: Vec<&str> = codings.collect();
            let chunked = |c: &str| c.eq_ignore_ascii_case("chunked");
            // Chunked must be the last coding, applied once; without it the length of
            // the body cannot be known (§6.3).
            let times = codings.iter().filter(|c| chunked(c)).count();
            if !codings.last().is_some_and(|c| chunked(c)) || times > 1 {
                return Err(Status::BadRequest);
            }
            // gzip, deflate...: codings this server does not implement (§6.1).
            if codings.len() > 1 {
                return Err(Status::NotImplemented);
            }
            return Ok(Framing::Chunked);
        }
        let mut length = None;
        for value in self.headers_named("content-length") {
            let parsed = parse_decimal(value).ok_or(Status::BadRequest)?;
            if length.is_some_and(|l| l != parsed) {
                return Err(Status::BadRequest);
            }
            length = Some(parsed);
        }
        Ok(match length {
            None | Some(0) => Framing::None,
            Some(n) => Framing::Length(n),
        })
    }
    // ANCHOR_END: framing

    /// Whether the client said anything about a body's length (`Content-Length` or
    /// `Transfer-Encoding`).
    pub fn has_framing_headers(&self) -> bool {
        self.headers_named("content-length").next().is_some()
            || self.headers_named("transfer-encoding").next().is_some()
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
    // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3): anything else
    // is malformed. A later 1.x is served as 1.1; another major version is refused.
    let version = match version {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            match (major, minor) {
                (b'1', b'0') => Version::Http10,
                (b'1', _) => Version::Http11,
                _ => return Err(Status::VersionNotSupported),
            }
        }
        _ => return Err(Status::BadRequest),
    };
    let target = origin_form(method, target)?;

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
        target,
        version,
        headers,
    };
    // HTTP/1.1 requires exactly one Host header (RFC 9112 §3.2), also with the absolute form.
    if version == Version::Http11 && request.headers_named("host").count() != 1 {
        return Err(Status::BadRequest);
    }
    Ok(request)
}
// ANCHOR_END: parse

/// The request target as a path and query (RFC 9112 §3.2). The origin form (`/path?q`) is
/// kept as it is; the absolute form (`http://host:port/path?q`), which a server must accept
/// (§3.2.2), is reduced to its path (`/` when it has none). `*` (asterisk form) and
/// `host:port` (authority form, only for CONNECT) are kept for the answer to refuse.
fn origin_form(method: &[u8], target: &[u8]) -> Result<String, Status> {
    let text = String::from_utf8_lossy(target); // ASCII by the caller's check
    if text.starts_with('/') || text == "*" || method == b"CONNECT" {
        return Ok(text.into_owned());
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(Status::BadRequest);
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(Status::BadRequest);
    }
    let path_at = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(path_at);
    // A user name and password in the URL (`user:pw@host`) is refused (RFC 9110 §4.2.4).
    if authority.is_empty() || authority.contains('@') {
        return Err(Status::BadRequest);
    }
    Ok(if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    })
}

/// The characters allowed in a method or header name (RFC 9110 `tchar`).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Where the head ends in `buf`: the index just past the empty line, if it has arrived.
/// The search starts a little before `from` (bytes before it were searched already), so
/// a head that arrives a byte at a time is not searched from the start again each time.
pub fn end_of_head(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from.saturating_sub(2).min(buf.len());
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
        assert_eq!(end_of_head(b"GET / HTTP/1.0\n\nrest", 0), Some(16));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\n\r\nrest", 0), Some(18));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\nHost: x\r\n", 0), None);
        // Searched a byte at a time, as the bytes arrive, it ends at the same place.
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nnext";
        let found = (1..=head.len()).find_map(|len| end_of_head(&head[..len], len - 1));
        assert_eq!(found, Some(head.len() - 4));
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
            // RFC 9112 §5.1: whitespace between a field name and its colon MUST get 400.
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length\t: 5\r\n\r\n",
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
    fn later_minor_versions_are_1_1_and_malformed_ones_400() {
        let version = |v: &str| parse_head(format!("GET / {v}\r\nHost: x\r\n\r\n").as_bytes());
        assert_eq!(version("HTTP/1.2").unwrap().version, Version::Http11);
        assert_eq!(version("HTTP/1.2").unwrap().version.as_str(), "HTTP/1.1");
        assert_eq!(Version::Http10.as_str(), "HTTP/1.0");
        assert_eq!(version("HTTP/1.9").unwrap().version, Version::Http11);
        for malformed in [
            "HTTP/1.10",
            "HTTP/1",
            "HTTP/1.",
            "HTTP/11.1",
            "HTTP/1.1.1",
            "HTTP/a.b",
            "HTTP/1.x",
            "HTTP/x.1",
            "HTTP/2.x",
            "HTTPS/1.1",
        ] {
            assert_eq!(version(malformed), Err(Status::BadRequest), "{malformed}");
        }
        for other in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"] {
            assert_eq!(version(other), Err(Status::VersionNotSupported), "{other}");
        }
    }

    #[test]
    fn the_absolute_form_is_reduced_to_its_path() {
        let target = |t: &str| {
            parse_head(format!("GET {t} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).map(|r| r.target)
        };
        assert_eq!(
            target("http://localhost:6789/docs/?a=b"),
            Ok("/docs/?a=b".into())
        );
        assert_eq!(target("HTTP://example.com"), Ok("/".into()));
        // The asterisk form and CONNECT's authority form are kept for the answer to refuse.
        assert_eq!(target("*"), Ok("*".into()));
        let connect = parse_head(b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(connect.map(|r| r.target), Ok("example.com:443".into()));
        assert_eq!(target("http://example.com?x"), Ok("/?x".into()));
        assert_eq!(
            target("https://example.com/style.css"),
            Ok("/style.css".into())
        );
        for bad in [
            "ftp://example.com/",
            "http:///path",
            "http://user@host/",
            "example.com/x",
            "style.css",
        ] {
            assert_eq!(target(bad), Err(Status::BadRequest), "{bad}");
        }
    }

    #[test]
    fn framing_follows_rfc_9112_section_6_3() {
        let with = |version: &str, extra: &str| {
            parse_head(format!("POST /form {version}\r\nHost: x\r\n{extra}\r\n").as_bytes())
                .unwrap()
                .framing()
        };
        let v11 = |extra| with("HTTP/1.1", extra);
        assert_eq!(v11(""), Ok(Framing::None));
        assert_eq!(v11("Content-Length: 0\r\n"), Ok(Framing::None));
        assert_eq!(v11("Content-Length: 51\r\n"), Ok(Framing::Length(51)));
        // Up to 19 digits (every such number fits a u64); 20 are refused, even zeros.
        assert_eq!(
            v11("Content-Length: 9999999999999999999\r\n"),
            Ok(Framing::Length(9_999_999_999_999_999_999))
        );
        assert_eq!(
            v11("Content-Length: 00000000000000000005\r\n"),
            Err(Status::BadRequest)
        );
        assert_eq!(
            v11("Content-Length: 5\r\nContent-Length: 5\r\n"),
            Ok(Framing::Length(5))
        );
        for bad in [
            "Content-Length: 5\r\nContent-Length: 6\r\n",
            "Content-Length: -1\r\n",
            "Content-Length: +5\r\n",
            "Content-Length: 99999999999999999999\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
            "Transfer-Encoding: chunked, gzip\r\n",
            "Transfer-Encoding: gzip\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: \r\n",
        ] {
            assert_eq!(v11(bad), Err(Status::BadRequest), "{bad:?}");
        }
        assert_eq!(v11("Transfer-Encoding: chunked\r\n"), Ok(Framing::Chunked));
        assert_eq!(v11("Transfer-Encoding: CHUNKED\r\n"), Ok(Framing::Chunked));
        assert_eq!(
            v11("Transfer-Encoding: gzip, chunked\r\n"),
            Err(Status::NotImplemented)
        );
        assert_eq!(
            with("HTTP/1.0", "Transfer-Encoding: chunked\r\n"),
            Err(Status::BadRequest)
        );
    }
}
