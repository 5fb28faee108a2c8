//! From a request target to a file under the root, and never to a file outside it.

use std::fs::{self, File};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, open, openat2};
use nix::sys::stat::Mode;

use crate::form::percent_decode;
use crate::{Request, parse_http_date, site};

/// A folder to serve: its canonical path (symlinks resolved), and the folder itself,
/// open, for `openat2` to resolve request paths from.
#[derive(Debug)]
pub struct Folder {
    pub path: PathBuf,
    dir: OwnedFd,
}

impl Folder {
    pub fn open(path: &Path) -> io::Result<Folder> {
        let path = path.canonicalize()?;
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let dir = open(&path, flags, Mode::empty())?;
        Ok(Folder { path, dir })
    }
}

/// What a request path names.
#[derive(Debug)]
pub enum Lookup {
    /// A regular file inside the root, open, and what `fstat` says of it.
    File(File, Box<fs::Metadata>),
    /// A file of the built-in site: its path (for the Content-Type) and its bytes.
    BuiltIn(&'static str, &'static [u8]),
    /// A folder asked for without the final `/`: send the client to `path/`.
    AddSlash(String),
    NotFound,
    /// Outside the root (by `..` or a symlink) or not readable.
    Forbidden,
    /// Not a path at all (a broken `%` escape, a NUL byte, no leading `/`).
    Malformed,
    /// The server could not open it for want of descriptors (EMFILE): 503.
    Unavailable,
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
/// Finds and opens the file a request target names under `root`.
///
/// Three doors lead out of a web root, and each is shut here: `..` segments (refused,
/// also when spelled `%2e%2e`, because the check runs after decoding), symlinks that
/// point outside, and odd bytes such as NUL (refused before the file system sees them).
/// Symlinks are the kernel's business: `openat2` with RESOLVE_BENEATH resolves the path
/// from the root folder and fails (EXDEV) if any step would leave it.
pub fn lookup(root: &Folder, target: &str) -> Lookup {
    let path = target.split('?').next().unwrap_or_default();
    let relative: PathBuf = match segments(path) {
        Ok(segments) if segments.is_empty() => PathBuf::from("."),
        Ok(segments) => segments.iter().collect(),
        Err(answer) => return answer,
    };
    let (file, meta) = match open_inside(root, &relative) {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    if meta.is_dir() {
        if !path.ends_with('/') {
            return add_slash(path);
        }
        return match open_inside(root, &relative.join("index.html")) {
            Ok((index, meta)) if meta.is_file() => Lookup::File(index, meta),
            Ok(_) | Err(Lookup::NotFound) => Lookup::NotFound, // no directory listings
            Err(answer) => answer,
        };
    }
    if !meta.is_file() {
        return Lookup::Forbidden; // a FIFO or a device would block or never end
    }
    Lookup::File(file, meta)
}

/// Opens `relative` under the root without leaving it, and `fstat`s it. O_NONBLOCK: a
/// FIFO would otherwise block the open until someone writes to it (for a regular file
/// the flag changes nothing).
fn open_inside(root: &Folder, relative: &Path) -> Result<(File, Box<fs::Metadata>), Lookup> {
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK | OFlag::O_NOCTTY)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let file = match openat2(&root.dir, relative, how) {
        Ok(fd) => File::from(fd),
        // EXDEV: a step of the path leaves the folder (an absolute symlink always does,
        // even one that points back inside). ENOSYS: a kernel older than 5.6. Either way,
        // the slow check decides.
        Err(Errno::EXDEV | Errno::ENOSYS) => open_checked(root, relative)?,
        Err(e) => return Err(failed(io::Error::from(e))),
    };
    let meta = file.metadata().map_err(failed)?;
    Ok((file, Box::new(meta)))
}

/// The slow way: canonicalize() resolves every symlink, as the kernel would, and the
/// result must still lie under the root.
fn open_checked(root: &Folder, relative: &Path) -> Result<File, Lookup> {
    let real = fs::canonicalize(root.path.join(relative)).map_err(failed)?;
    if !real.starts_with(&root.path) {
        return Err(Lookup::Forbidden);
    }
    fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(real)
        .map_err(failed)
}

/// What a failed open means for the client.
fn failed(e: io::Error) -> Lookup {
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EACCES | Errno::EPERM) => Lookup::Forbidden,
        Some(Errno::EMFILE | Errno::ENFILE) => Lookup::Unavailable,
        _ => Lookup::NotFound,
    }
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

    fn len_of(found: Lookup) -> Option<u64> {
        match found {
            Lookup::File(_, meta) => Some(meta.len()),
            _ => None,
        }
    }

    #[test]
    fn files_folders_and_missing_paths() {
        let root = Folder::open(&site()).unwrap();
        let size = |name: &str| Some(fs::metadata(site().join(name)).unwrap().len());
        assert_eq!(len_of(lookup(&root, "/")), size("index.html"));
        assert_eq!(len_of(lookup(&root, "/style.css?v=2")), size("style.css"));
        assert!(matches!(lookup(&root, "/docs"), Lookup::AddSlash(to) if to == "/docs/"));
        assert_eq!(len_of(lookup(&root, "/docs/")), size("docs/index.html"));
        assert!(matches!(lookup(&root, "/images/"), Lookup::NotFound));
        assert!(matches!(lookup(&root, "/nope.html"), Lookup::NotFound));
        assert!(matches!(lookup(&root, "/%ff"), Lookup::NotFound));
    }

    #[test]
    fn fifos_are_refused_without_blocking_and_absolute_links_inside_are_followed() {
        let dir = std::env::temp_dir().join(format!("http_server-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        nix::unistd::mkfifo(&dir.join("pipe"), Mode::S_IRWXU).unwrap();
        fs::write(dir.join("real.txt"), "real").unwrap();
        let canonical = dir.canonicalize().unwrap();
        std::os::unix::fs::symlink(canonical.join("real.txt"), dir.join("alias.txt")).unwrap();
        let root = Folder::open(&dir).unwrap();
        // Opening a FIFO for reading would wait for a writer; O_NONBLOCK does not.
        assert!(matches!(lookup(&root, "/pipe"), Lookup::Forbidden));
        // An absolute link makes openat2 refuse (EXDEV); the slow check lets it through.
        assert_eq!(len_of(lookup(&root, "/alias.txt")), Some(4));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_built_in_site_follows_the_same_rules() {
        let (_, index) = crate::site::file("index.html").unwrap();
        let is_index = |found| matches!(found, Lookup::BuiltIn("index.html", b) if b == index);
        assert!(is_index(lookup_built_in("/")));
        assert!(is_index(lookup_built_in("/./index.html?x=1")));
        let slash = |found| matches!(found, Lookup::AddSlash(to) if to == "/docs/");
        assert!(slash(lookup_built_in("/docs")));
        assert!(slash(lookup_built_in("//docs")));
        assert!(matches!(
            lookup_built_in("/docs/"),
            Lookup::BuiltIn("docs/index.html", _)
        ));
        assert!(matches!(
            lookup_built_in("/images//socket.svg"),
            Lookup::BuiltIn(..)
        ));
        assert!(matches!(lookup_built_in("/images/"), Lookup::NotFound));
        assert!(matches!(lookup_built_in("/nope.html"), Lookup::NotFound));
        assert!(matches!(
            lookup_built_in("/%2e%2e/Cargo.toml"),
            Lookup::Forbidden
        ));
        assert!(matches!(lookup_built_in("index.html"), Lookup::Malformed));
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
        let root = Folder::open(&site().join("docs")).unwrap();
        for escape in [
            "/../index.html",
            "/%2e%2e/index.html",
            "/%2E%2E/index.html",
            "/.%2e/index.html",
            "/docs/..%2f..%2fCargo.toml",
            "/%2e%2e%2f%2e%2e%2fCargo.toml",
        ] {
            assert!(
                matches!(lookup(&root, escape), Lookup::Forbidden),
                "{escape}"
            );
        }
        for malformed in ["index.html", "*", "/%00", "/a%", "/%zz"] {
            let found = lookup(&root, malformed);
            assert!(matches!(found, Lookup::Malformed), "{malformed}");
        }
    }
}
