//! The answer to one whole request (head and body already read): which resource, which
//! status, and the bytes of the response, written to the socket.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::files::{Validators, not_modified};
use crate::request::{KNOWN_METHODS, Version};
use crate::{
    Config, Lookup, Request, Root, Status, content_type, error_page, lookup, lookup_built_in,
    parse_form, response,
};

/// The path of the form the default site posts to.
pub const FORM_PATH: &str = "/form";
/// The path of the cookie demo.
pub const VISITS_PATH: &str = "/visits";

/// Files up to this size are sent with their head in one `write`; larger ones in pieces.
const ONE_WRITE: u64 = 256 * 1024;

/// What was sent, and whether the connection must close after it.
pub struct Reply {
    pub status: Status,
    pub close: bool,
}

// ANCHOR: answer
/// Answers one request whose body (`body`, maybe empty) has been read in full. `last`:
/// the connection closes after this response.
pub fn answer(
    out: &TcpStream,
    request: &Request,
    body: &[u8],
    config: &Config,
    last: bool,
) -> io::Result<Reply> {
    let method = request.method.as_str();
    let head_only = method == "HEAD";
    // A method nobody defined: 501, as RFC 9110 §9.1 asks (its body was read, so the
    // connection can go on).
    if !KNOWN_METHODS.contains(&method) {
        return send_error(out, Status::NotImplemented, false, last, config);
    }
    let path = request.path();
    let allowed = match path {
        FORM_PATH => "POST",
        _ => "GET, HEAD",
    };
    // A method HTTP defines but this resource does not support: 405 with the methods it
    // does (RFC 9110 §15.5.6).
    if !allowed.split(", ").any(|m| m == method) {
        let refused = Status::MethodNotAllowed;
        return send_page(out, refused, &[("Allow", allowed)], head_only, last, config);
    }
    match path {
        FORM_PATH => answer_form(out, request, body, config, last),
        VISITS_PATH => answer_visits(out, request, head_only, config, last),
        _ => answer_file(out, request, head_only, config, last),
    }
}
// ANCHOR_END: answer

// ANCHOR: answer_file
/// GET and HEAD of a file: 200 with it, 304 if the client's copy is current, or why not.
fn answer_file(
    out: &TcpStream,
    request: &Request,
    head_only: bool,
    config: &Config,
    last: bool,
) -> io::Result<Reply> {
    let found = match &config.root {
        Root::Folder(root) => lookup(root, &request.target),
        Root::BuiltIn { .. } => lookup_built_in(&request.target),
    };
    let (name, contents, validators, len) = match found {
        Lookup::File(file, meta) => {
            // The length and validators of the file as opened.
            let validators = Validators::of_file(&meta);
            let path = request.path().to_owned();
            (path, Contents::File(file), validators, meta.len())
        }
        Lookup::BuiltIn(name, bytes) => {
            let Root::BuiltIn { modified } = config.root else {
                unreachable!("built-in files come from the built-in root")
            };
            let validators = Validators::of_bytes(bytes, modified);
            (
                name.to_owned(),
                Contents::Bytes(bytes),
                validators,
                bytes.len() as u64,
            )
        }
        Lookup::AddSlash(location) => {
            let moved = Status::MovedPermanently;
            return send_page(
                out,
                moved,
                &[("Location", &location)],
                head_only,
                last,
                config,
            );
        }
        Lookup::NotFound => return send_error(out, Status::NotFound, head_only, last, config),
        Lookup::Forbidden => return send_error(out, Status::Forbidden, head_only, last, config),
        Lookup::Malformed => return send_error(out, Status::BadRequest, head_only, true, config),
        // Out of file descriptors (EMFILE): our problem, and a passing one.
        Lookup::Unavailable => {
            eprintln!("cannot open {}: out of file descriptors", request.path());
            return send_error(out, Status::ServiceUnavailable, head_only, last, config);
        }
    };
    // The validators go with a 200 and a 304 alike, and so does Cache-Control: `no-cache`
    // lets a browser (or a CDN) keep a copy, but it must ask before each use; the answer
    // is usually a 304 with no body (RFC 9111 §5.2.2.4).
    let mut head = Head::new(Status::Ok)
        .with("ETag", &validators.etag)
        .with("Cache-Control", "no-cache");
    if let Some(modified) = validators.modified {
        head = head.with("Last-Modified", &response::http_date(modified));
    }
    if not_modified(request, &validators) {
        // 304: no body and no Content-Length (RFC 9110 §15.4.5).
        head.status = Status::NotModified;
        if last {
            head = head.with("Connection", "close");
        }
        send(out, &head, b"", true, config)?;
        return Ok(Reply {
            status: Status::NotModified,
            close: last,
        });
    }
    let head = head.content(
        content_type(std::path::Path::new(&name)),
        len as usize,
        last,
    );
    match contents {
        Contents::Bytes(bytes) => send(out, &head, bytes, head_only, config)?,
        Contents::File(file) => send_file(out, &head, file, len, head_only, config)?,
    }
    Ok(Reply {
        status: Status::Ok,
        close: last,
    })
}
// ANCHOR_END: answer_file

enum Contents {
    File(File),
    Bytes(&'static [u8]),
}

// ANCHOR: answer_form
/// The form demo: decode the urlencoded body and send back what was decoded, one chunk
/// per field (`Transfer-Encoding: chunked`, as the node server of the notes does); an
/// HTTP/1.0 client, which knows no chunks, gets the body delimited by closing.
fn answer_form(
    out: &TcpStream,
    request: &Request,
    body: &[u8],
    config: &Config,
    last: bool,
) -> io::Result<Reply> {
    // A POST that says nothing of its length: 411 (RFC 9110 §15.5.12).
    if !request.has_framing_headers() {
        return send_error(out, Status::LengthRequired, false, true, config);
    }
    let media_type = request.header("content-type").unwrap_or_default();
    let media_type = media_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return send_error(out, Status::UnsupportedMediaType, false, last, config);
    }
    let Some(fields) = parse_form(body) else {
        return send_error(out, Status::BadRequest, false, true, config);
    };
    eprintln!("form: {fields:?}");

    let mut lines = vec![format!("You sent {} field(s):\n", fields.len())];
    lines.extend(
        fields
            .iter()
            .map(|(name, value)| format!("{name} = {value:?}\n")),
    );
    let chunked = request.version == Version::Http11;
    let mut head = Head::new(Status::Ok)
        .with("Content-Type", "text/plain; charset=utf-8")
        .with("Cache-Control", "no-store");
    head = if chunked {
        head.with("Transfer-Encoding", "chunked")
    } else {
        head.with("Connection", "close")
    };
    if chunked && last {
        head = head.with("Connection", "close");
    }
    let mut text = String::new();
    for line in &lines {
        if chunked {
            // Each chunk: its size in hex, CRLF, the bytes, CRLF.
            let _ = write!(text, "{:x}\r\n{line}\r\n", line.len());
        } else {
            text.push_str(line);
        }
    }
    if chunked {
        text.push_str("0\r\n\r\n"); // the last chunk has size 0
    }
    send(out, &head, text.as_bytes(), false, config)?;
    // Close-delimited (HTTP/1.0): the end of the connection is the end of the body.
    Ok(Reply {
        status: Status::Ok,
        close: last || !chunked,
    })
}
// ANCHOR_END: answer_form

// ANCHOR: answer_visits
/// The cookie demo: counts a browser's visits in a cookie it sends back with every
/// request (RFC 6265). `?forget` deletes the cookie.
fn answer_visits(
    out: &TcpStream,
    request: &Request,
    head_only: bool,
    config: &Config,
    last: bool,
) -> io::Result<Reply> {
    // Cookie: visits=3; other=x   (one header, pairs separated by "; ", RFC 6265 §5.4)
    let before: u64 = request
        .headers_named("cookie")
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "visits")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let forget = request
        .target
        .split_once('?')
        .is_some_and(|(_, q)| q == "forget");
    let (count, cookie) = if forget {
        // Max-Age=0: the browser deletes the cookie at once.
        (
            0,
            "visits=; Path=/visits; Max-Age=0; HttpOnly; SameSite=Strict".to_owned(),
        )
    } else {
        let count = before.saturating_add(1);
        // Path: sent back only for /visits. Max-Age: kept a day, across browser restarts.
        // HttpOnly: scripts in the page cannot read it. SameSite: not sent when another
        // site links or posts here.
        (
            count,
            format!("visits={count}; Path=/visits; Max-Age=86400; HttpOnly; SameSite=Strict"),
        )
    };
    let said = if forget {
        "Forgotten: your browser was told to delete the cookie.".to_owned()
    } else if count == 1 {
        "Your first visit (your browser sent no <code>visits</code> cookie).".to_owned()
    } else {
        format!("Visit number {count}: your browser sent <code>Cookie: visits={before}</code>.")
    };
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <title>http_server: visits</title>\n  <link rel=\"stylesheet\" href=\"/style.css\">\n\
         </head>\n<body>\n  <h1>Visits</h1>\n  <p id=\"count\">{said}</p>\n  \
         <p>The answer set <code>Set-Cookie: {cookie}</code></p>\n  \
         <p><a href=\"/visits\">Again</a> · <a href=\"/visits?forget\">Forget me</a> · \
         <a href=\"/\">Back</a></p>\n</body>\n</html>\n"
    );
    // no-store: this page differs for every browser; no cache may keep it.
    let head = Head::new(Status::Ok)
        .with("Set-Cookie", &cookie)
        .with("Cache-Control", "no-store")
        .content("text/html; charset=utf-8", page.len(), last);
    send(out, &head, page.as_bytes(), head_only, config)?;
    Ok(Reply {
        status: Status::Ok,
        close: last,
    })
}
// ANCHOR_END: answer_visits

/// A response head being built: status and headers.
pub struct Head {
    pub status: Status,
    headers: Vec<(&'static str, String)>,
}

impl Head {
    pub fn new(status: Status) -> Head {
        Head {
            status,
            headers: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: &str) -> Head {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Content-Type, Content-Length and, when the connection closes after this
    /// response, `Connection: close`.
    fn content(self, content_type: &str, len: usize, close: bool) -> Head {
        let head = self
            .with("Content-Type", content_type)
            .with("Content-Length", &len.to_string());
        if close {
            head.with("Connection", "close")
        } else {
            head
        }
    }

    pub fn render(&self) -> String {
        response::head(self.status, &self.headers)
    }
}

/// An error page with `status`.
pub fn send_error(
    out: &TcpStream,
    status: Status,
    head_only: bool,
    close: bool,
    config: &Config,
) -> io::Result<Reply> {
    send_page(out, status, &[], head_only, close, config)
}

/// Sends the small page that says `status`, with the `extra` headers that status needs
/// (`Allow` for 405, `Location` for 301).
fn send_page(
    out: &TcpStream,
    status: Status,
    extra: &[(&'static str, &str)],
    head_only: bool,
    close: bool,
    config: &Config,
) -> io::Result<Reply> {
    let page = error_page(status);
    let mut head = Head::new(status);
    for &(name, value) in extra {
        head = head.with(name, value);
    }
    let head = head.content("text/html; charset=utf-8", page.len(), close);
    send(out, &head, page.as_bytes(), head_only, config)?;
    Ok(Reply { status, close })
}

/// The head and body in one `write` (so they leave in one segment).
fn send(
    out: &TcpStream,
    head: &Head,
    body: &[u8],
    head_only: bool,
    config: &Config,
) -> io::Result<()> {
    let mut bytes = head.render().into_bytes();
    if !head_only {
        bytes.extend_from_slice(body);
    }
    Writer::new(out, bytes.len() as u64, config).write_all(&bytes)
}

/// A file: small ones read into the same buffer as the head and sent in one write,
/// larger ones in pieces of [`ONE_WRITE`] bytes.
fn send_file(
    out: &TcpStream,
    head: &Head,
    file: File,
    len: u64,
    head_only: bool,
    config: &Config,
) -> io::Result<()> {
    let mut bytes = head.render().into_bytes();
    let mut writer = Writer::new(out, bytes.len() as u64 + len, config);
    if head_only {
        return writer.write_all(&bytes);
    }
    // Exactly the length announced, even if the file grew meanwhile.
    let mut file = file.take(len);
    let mut sent = 0;
    loop {
        let piece = (len - sent).min(ONE_WRITE) as usize;
        let start = bytes.len();
        bytes.resize(start + piece, 0);
        file.read_exact(&mut bytes[start..]).map_err(|e| {
            // The file shrank: the client would wait for bytes that never come.
            io::Error::new(e.kind(), format!("file shrank while sent: {e}"))
        })?;
        writer.write_all(&bytes)?;
        sent += piece as u64;
        if sent == len {
            return Ok(());
        }
        bytes.clear();
    }
}

// ANCHOR: writer
/// Writes with two limits. Each `write` may block for at most `--timeout` (SO_SNDTIMEO,
/// set when the connection was accepted): a client that reads nothing is dropped then.
/// And the whole response must be gone by `--timeout` plus its size at `--min-rate`: a
/// client that reads a byte now and then cannot keep a worker for hours.
struct Writer<'a> {
    out: &'a TcpStream,
    deadline: Instant,
}

impl<'a> Writer<'a> {
    fn new(out: &'a TcpStream, total: u64, config: &Config) -> Writer<'a> {
        let at_min_rate = Duration::from_secs_f64(total as f64 / config.min_rate.max(1) as f64);
        Writer {
            out,
            deadline: Instant::now() + config.timeout + at_min_rate,
        }
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if Instant::now() > self.deadline {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    "the client reads slower than --min-rate",
                ));
            }
            match (&*self.out).write(bytes) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
// ANCHOR_END: writer
