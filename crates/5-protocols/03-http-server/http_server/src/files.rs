//! From a request target to a file under the root, and never to a file outside it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::form::percent_decode;
use crate::{Request, parse_http_date, site};

/// What a request path names.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A regular file inside the root, with its size.
    File(PathBuf, u64),
    /// A file of the built-in site: its path (for the Content-Type) and its bytes.
    BuiltIn(&'static str, &'static [u8]),
    /// A folder asked for without the final `/`: send the client to `path/`.
    AddSlash(String),
    NotFound,
    /// Outside the root (by `..` or a symlink) or not readable.
    Forbidden,
    /// Not a path at all (a broken `%` escape, a NUL byte, no leading `/`).
    Malformed,
}

/// The decoded segments of a request path (`.` and empty ones dropped), or the answer
/// when there are none to trust.
fn segments(path: &str) -> Result<Vec<String>, Lookup> {
    if !path.starts_with('/') {
        return Err(Lookup::Malformed);
    }
    let Some(decoded) = percent_decode(path.as_bytes(), false) else {
        return Err(Lookup::Malformed);
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Err(Lookup::NotFound); // no file here has a name that is not UTF-8
    };
    if decoded.contains('\0') {
        return Err(Lookup::Malformed);
    }
    let mut kept = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(Lookup::Forbidden),
            name => kept.push(name.to_owned()),
        }
    }
    Ok(kept)
}

/// The redirect for a folder asked for without its final slash.
fn add_slash(path: &str) -> Lookup {
    // One leading slash only: a browser reads `//docs/` (or `/\\docs/`) as a link to the
    // host `docs`, which would make this an open redirect.
    let path = path.trim_start_matches(['/', '\\']);
    Lookup::AddSlash(format!("/{path}/"))
}

// ANCHOR: lookup
/// Finds the file a request target names under `root` (which must be canonical).
///
/// Three doors lead out of a web root, and each is shut here: `..` segments (refused,
/// also when spelled `%2e%2e`, because the check runs after decoding), symlinks that
/// point outside (the canonical path must still start with the root), and odd bytes such
/// as NUL (refused before the file system sees them).
pub fn lookup(root: &Path, target: &str) -> Lookup {
    let path = target.split('?').next().unwrap_or_default();
    let mut candidate = root.to_path_buf();
    match segments(path) {
        Ok(segments) => candidate.extend(segments),
        Err(answer) => return answer,
    }
    // canonicalize() resolves every symlink: this is the path the kernel would open.
    let real = match fs::canonicalize(&candidate) {
        Ok(real) => real,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Lookup::Forbidden,
        Err(_) => return Lookup::NotFound,
    };
    if !real.starts_with(root) {
        return Lookup::Forbidden;
    }
    let Ok(meta) = fs::metadata(&real) else {
        return Lookup::NotFound;
    };
    if meta.is_dir() {
        if !path.ends_with('/') {
            return add_slash(path);
        }
        let index = real.join("index.html");
        return match fs::metadata(&index) {
            Ok(meta) if meta.is_file() => Lookup::File(index, meta.len()),
            _ => Lookup::NotFound, // no directory listings
        };
    }
    if !meta.is_file() {
        return Lookup::Forbidden; // a FIFO or a device would block or never end
    }
    Lookup::File(real, meta.len())
}
// ANCHOR_END: lookup

/// The same rules as [`lookup`], over the site built into the binary.
pub fn lookup_built_in(target: &str) -> Lookup {
    let path = target.split('?').next().unwrap_or_default();
    let name = match segments(path) {
        Ok(segments) => segments.join("/"),
        Err(answer) => return answer,
    };
    if site::is_folder(&name) {
        if !path.ends_with('/') {
            return add_slash(path);
        }
        let index = if name.is_empty() {
            "index.html".to_owned()
        } else {
            format!("{name}/index.html")
        };
        return built_in(&index);
    }
    built_in(&name)
}

fn built_in(name: &str) -> Lookup {
    match site::file(name) {
        Some((path, bytes)) => Lookup::BuiltIn(path, bytes),
        None => Lookup::NotFound,
    }
}

/// What identifies one version of a file, for conditional requests (RFC 9110 §8.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// A strong entity tag, quotes included: `"1b4-17f3a2c9e1d0b800"`.
    pub etag: String,
    pub modified: Option<SystemTime>,
}

impl Validators {
    /// For a file on disk: its size and modification time, to the nanosecond (as nginx
    /// does, in seconds). Any write changes the time, so a changed file gets a new tag.
    pub fn of_file(meta: &fs::Metadata) -> Validators {
        let modified = meta.modified().ok();
        let nanos = modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Validators {
            etag: format!("\"{:x}-{nanos:x}\"", meta.len()),
            modified,
        }
    }

    /// For bytes built into the binary: a hash of the bytes (FNV-1a), and the time the
    /// binary was written as the modification time.
    pub fn of_bytes(bytes: &[u8], modified: Option<SystemTime>) -> Validators {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Validators {
            etag: format!("\"{hash:016x}\""),
            modified,
        }
    }
}

// ANCHOR: conditional
/// Whether a GET or HEAD can be answered `304 Not Modified`: the client's copy is current
/// (RFC 9110 §13.2.2). If-None-Match is asked first, and when present it alone decides:
/// a tag is exact where a date has one-second steps. If-Modified-Since counts only
/// without it, and only when it holds a valid date.
pub fn not_modified(request: &Request, current: &Validators) -> bool {
    let mut tags = request.headers_named("if-none-match").peekable();
    if tags.peek().is_some() {
        return tags.any(|list| {
            entity_tags(list).is_some_and(|tags| {
                tags.iter()
                    .any(|&tag| tag == "*" || weak_match(tag, &current.etag))
            })
        });
    }
    let since = request
        .header("if-modified-since")
        .and_then(parse_http_date);
    match (since, current.modified) {
        // Last-Modified is sent in whole seconds, so compare in whole seconds.
        (Some(since), Some(modified)) => whole_seconds(modified) <= since,
        _ => false,
    }
}
// ANCHOR_END: conditional

fn whole_seconds(time: SystemTime) -> SystemTime {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

/// The weak comparison If-None-Match uses (RFC 9110 §8.8.3.2): equal, ignoring `W/`.
fn weak_match(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

/// The entity tags of an If-None-Match value: `*`, or a comma-separated list of quoted
/// tags, each maybe with `W/` (a quoted tag may itself hold a comma). `None` if malformed.
fn entity_tags(list: &str) -> Option<Vec<&str>> {
    let mut tags = Vec::new();
    let mut rest = list.trim();
    if rest == "*" {
        return Some(vec!["*"]);
    }
    while !rest.is_empty() {
        let start = rest;
        let unprefixed = rest.strip_prefix("W/").unwrap_or(rest);
        let inner = unprefixed.strip_prefix('"')?;
        let close = inner.find('"')?;
        let tag_len = (start.len() - inner.len()) + close + 1;
        tags.push(&start[..tag_len]);
        rest = start[tag_len..].trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(tags)
}

/// The Content-Type for a file, from its extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> PathBuf {
        fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/site")).unwrap()
    }

    #[test]
    fn files_folders_and_missing_paths() {
        let root = site();
        assert!(matches!(lookup(&root, "/"), Lookup::File(p, _) if p == root.join("index.html")));
        assert!(
            matches!(lookup(&root, "/style.css?v=2"), Lookup::File(p, _) if p == root.join("style.css"))
        );
        assert_eq!(lookup(&root, "/docs"), Lookup::AddSlash("/docs/".into()));
        assert!(matches!(lookup(&root, "/docs/"), Lookup::File(..)));
        assert_eq!(lookup(&root, "/nope.html"), Lookup::NotFound);
        assert_eq!(lookup(&root, "/%ff"), Lookup::NotFound);
    }

    #[test]
    fn the_built_in_site_follows_the_same_rules() {
        let (_, index) = crate::site::file("index.html").unwrap();
        assert_eq!(lookup_built_in("/"), Lookup::BuiltIn("index.html", index));
        assert_eq!(
            lookup_built_in("/./index.html?x=1"),
            Lookup::BuiltIn("index.html", index)
        );
        assert_eq!(lookup_built_in("/docs"), Lookup::AddSlash("/docs/".into()));
        assert_eq!(lookup_built_in("//docs"), Lookup::AddSlash("/docs/".into()));
        assert!(matches!(
            lookup_built_in("/docs/"),
            Lookup::BuiltIn("docs/index.html", _)
        ));
        assert!(matches!(
            lookup_built_in("/images//socket.svg"),
            Lookup::BuiltIn(..)
        ));
        assert_eq!(lookup_built_in("/images/"), Lookup::NotFound);
        assert_eq!(lookup_built_in("/nope.html"), Lookup::NotFound);
        assert_eq!(lookup_built_in("/%2e%2e/Cargo.toml"), Lookup::Forbidden);
        assert_eq!(lookup_built_in("index.html"), Lookup::Malformed);
    }

    #[test]
    fn if_none_match_decides_before_if_modified_since() {
        let modified = UNIX_EPOCH + std::time::Duration::new(1_421_044_443, 500);
        let current = Validators {
            etag: "\"abc\"".into(),
            modified: Some(modified),
        };
        let asks = |headers: &str| {
            let head = format!("GET / HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
            not_modified(&crate::parse_head(head.as_bytes()).unwrap(), &current)
        };
        assert!(!asks(""));
        assert!(asks("If-None-Match: \"abc\"\r\n"));
        assert!(asks("If-None-Match: W/\"abc\"\r\n"));
        assert!(asks("If-None-Match: \"x,y\", \"abc\"\r\n"));
        assert!(asks("If-None-Match: \"x\"\r\nIf-None-Match: \"abc\"\r\n"));
        assert!(asks("If-None-Match: *\r\n"));
        assert!(!asks("If-None-Match: \"abd\"\r\n"));
        assert!(!asks("If-None-Match: abc\r\n"));
        let same_second = "If-Modified-Since: Mon, 12 Jan 2015 06:34:03 GMT\r\n";
        let second_before = "If-Modified-Since: Mon, 12 Jan 2015 06:34:02 GMT\r\n";
        assert!(asks(same_second));
        assert!(!asks(second_before));
        assert!(!asks("If-Modified-Since: not a date\r\n"));
        // A tag that does not match wins over a date that does.
        assert!(!asks(&format!("If-None-Match: \"abd\"\r\n{same_second}")));
        assert!(asks(&format!("If-None-Match: \"abc\"\r\n{second_before}")));
    }

    #[test]
    fn no_way_out_of_the_root() {
        let root = site().join("docs");
        for escape in [
            "/../index.html",
            "/%2e%2e/index.html",
            "/%2E%2E/index.html",
            "/.%2e/index.html",
            "/docs/..%2f..%2fCargo.toml",
            "/%2e%2e%2f%2e%2e%2fCargo.toml",
        ] {
            assert_eq!(lookup(&root, escape), Lookup::Forbidden, "{escape}");
        }
        for malformed in ["index.html", "*", "/%00", "/a%", "/%zz"] {
            assert_eq!(lookup(&root, malformed), Lookup::Malformed, "{malformed}");
        }
    }
}
