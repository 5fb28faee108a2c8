//! What the web server's test files share: starting the server, curl, raw requests, and
//! reading the parts of a response.

#![allow(dead_code)] // each test file uses some of these

use std::fs;
use std::io::Write;
use std::net::Shutdown;
use std::path::{Path, PathBuf};

use testkit::{Server, read_to_close, require_tool, run};

pub const SERVER: &str = env!("CARGO_BIN_EXE_http_server");

pub fn site() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("site")
}

pub fn start(extra: &[&str]) -> Server {
    let mut args = vec!["--port", "0"];
    args.extend_from_slice(extra);
    Server::start(SERVER, &args)
}

pub fn url(server: &Server, path: &str) -> String {
    format!("http://{}{path}", server.addr)
}

pub fn curl(args: &[&str]) -> testkit::Finished {
    let curl = require_tool("curl");
    let mut all = vec!["--silent", "--show-error", "--max-time", "10"];
    all.extend_from_slice(args);
    run(curl.to_str().unwrap(), &all, b"")
}

/// Sends `request` as it is, closes our sending side, and returns everything the server
/// sends until it closes.
pub fn raw(server: &Server, request: &[u8]) -> String {
    let mut conn = server.connect();
    conn.write_all(request).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned()
}

pub fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

pub fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

pub fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

/// A fresh folder under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("http_server-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
