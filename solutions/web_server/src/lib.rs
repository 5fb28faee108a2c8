//! Requests in, responses out.

use std::io::{self, Read};
use std::path::{Component, Path};

/// The largest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 8192;

/// Reads the request head, up to and including the empty line. `None` when the client
/// closes first or sends more than `MAX_HEAD` bytes without ending the head. (Given.)
pub fn read_head(conn: &mut impl Read) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_HEAD || conn.read(&mut byte)? == 0 {
            return Ok(None);
        }
        head.push(byte[0]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

/// The Content-Type for a file name. (Given.)
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("css") => "text/css",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// A complete response with a short text body (for errors). (Given.)
pub fn error(status: &str, head_only: bool) -> Vec<u8> {
    let body = format!("{status}\n");
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

// ANCHOR: exercise
/// The response to the request whose head is `head`, serving files under `root`.
///
/// - `GET /path HTTP/1.x` with a file at `root/path`: `200 OK`, with `Content-Type`,
///   `Content-Length` and `Connection: close`, then the file. `/` means `/index.html`.
/// - `HEAD`: the same status line and headers, no body.
/// - no such file (or a folder): `404 Not Found`; a path with `..` in it or not starting
///   with `/`: `400 Bad Request`, whatever exists on disk; any other method:
///   `405 Method Not Allowed`; a request line that is not three words: `400 Bad Request`.
pub fn respond(head: &str, root: &Path) -> Vec<u8> {
    //> // TODO: split the request line into method, target and version; pick the file
    //> // under `root` (refusing `..` and anything odd: Path::components helps); build the
    //> // status line, the headers and the body. `error(..)` and `content_type(..)` help.
    //> let _ = (head, root, Component::CurDir);
    //> todo!("respond")
    // lab:solution
    let request_line = head.lines().next().unwrap_or("");
    let words: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = words[..] else {
        return error("400 Bad Request", false);
    };
    if !version.starts_with("HTTP/1.") {
        return error("400 Bad Request", false);
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return error("405 Method Not Allowed", false),
    };
    let path = target.split('?').next().unwrap_or("");
    let Some(relative) = path.strip_prefix('/') else {
        return error("400 Bad Request", head_only);
    };
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let relative = Path::new(relative);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return error("400 Bad Request", head_only);
    }
    let file = root.join(relative);
    let content = match std::fs::metadata(&file) {
        Ok(meta) if meta.is_file() => match std::fs::read(&file) {
            Ok(content) => content,
            Err(_) => return error("403 Forbidden", head_only),
        },
        _ => return error("404 Not Found", head_only),
    };
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        content_type(&file),
        content.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(&content);
    }
    out
    // lab:end
}
// ANCHOR_END: exercise
