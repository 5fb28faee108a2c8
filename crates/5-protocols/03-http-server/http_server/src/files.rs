//! From a request target to a file under the root, and never to a file outside it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::form::percent_decode;

/// What a request path names.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A regular file inside the root, with its size.
    File(PathBuf, u64),
    /// A folder asked for without the final `/`: send the client to `path/`.
    AddSlash(String),
    NotFound,
    /// Outside the root (by `..` or a symlink) or not readable.
    Forbidden,
    /// Not a path at all (a broken `%` escape, a NUL byte, no leading `/`).
    Malformed,
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
    if !path.starts_with('/') {
        return Lookup::Malformed;
    }
    let Some(decoded) = percent_decode(path.as_bytes(), false) else {
        return Lookup::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Lookup::NotFound; // no file here has a name that is not UTF-8
    };
    if decoded.contains('\0') {
        return Lookup::Malformed;
    }
    let mut candidate = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Lookup::Forbidden,
            name => candidate.push(name),
        }
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
            // One leading slash only: a browser reads `//docs/` (or `/\\docs/`) as a
            // link to the host `docs`, which would make this an open redirect.
            let path = path.trim_start_matches(['/', '\\']);
            return Lookup::AddSlash(format!("/{path}/"));
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
