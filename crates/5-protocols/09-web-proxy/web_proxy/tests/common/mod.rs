//! What the proxy's tests share: the proxy, the origins (the course's web server, a Python
//! origin whose responses each test chooses), curl through the proxy, raw requests.

#![allow(dead_code)] // each test file uses some of these

use std::io::Write;
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use testkit::{Finished, Server, read_to_close, require_tool, run_command, sibling_binary};

pub const PROXY: &str = env!("CARGO_BIN_EXE_web_proxy");

/// The proxy, on a free port, with `extra` arguments.
pub fn proxy(extra: &[&str]) -> Server {
    let mut args = vec!["--port", "0"];
    args.extend_from_slice(extra);
    Server::start(PROXY, &args)
}

/// The course's web server (its built-in site): files with ETag, Last-Modified and
/// `Cache-Control: no-cache`.
pub fn http_server() -> Server {
    Server::start(&sibling_binary(PROXY, "http_server"), &["--port", "0"])
}

/// The Python origin of `tests/peers/origin.py`.
pub struct Origin {
    pub server: Server,
    syncs: AtomicUsize,
}

pub fn origin() -> Origin {
    let python = require_tool("python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/origin.py");
    let mut command = Command::new(python);
    command.arg(script);
    Origin {
        server: Server::spawn(command),
        syncs: AtomicUsize::new(0),
    }
}

impl Origin {
    /// The URL of `path` (with its query) on this origin.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    /// How many requests for `path` (exactly, query included) the origin has had.
    ///
    /// The origin logs each request before it answers, and the requests a test made are
    /// answered: their lines are in the pipe. To be sure the lines have also reached our
    /// side of it, this sends a request of its own, straight to the origin, and waits for
    /// its line, which comes after all of them.
    pub fn requests(&self, path: &str) -> usize {
        let n = self.syncs.fetch_add(1, Ordering::SeqCst);
        let sync = format!("/sync-{n}");
        let mut conn = self.server.connect();
        conn.write_all(
            format!("GET {sync} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
        read_to_close(&mut conn);
        let log = self.server.wait_for_stderr(&format!("origin: GET {sync} "));
        let needle = format!("origin: GET {path} ");
        log.lines().filter(|l| l.starts_with(&needle)).count()
    }

    /// The origin's log lines for `path`.
    pub fn lines_for(&self, path: &str) -> Vec<String> {
        self.requests(path);
        let needle = format!("origin: GET {path} ");
        self.server
            .stderr_so_far()
            .lines()
            .filter(|l| l.starts_with(&needle))
            .map(str::to_owned)
            .collect()
    }
}

/// curl with the course's usual limits; through a proxy only when `-x` says so, never
/// through one named in the environment.
pub fn curl(args: &[&str]) -> Finished {
    let mut command = Command::new(require_tool("curl"));
    command
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args);
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(var);
    }
    run_command(command, b"")
}

/// A response as curl printed it with `-i`: its head and its body.
pub struct Response {
    pub head: String,
    pub body: String,
}

impl Response {
    pub fn status(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.head, name)
    }

    /// What the proxy said it did: `HIT`, `MISS`, `REVALIDATED`.
    pub fn x_cache(&self) -> &str {
        self.header("X-Cache").unwrap_or("(no X-Cache)")
    }
}

/// GET `url` through the proxy with curl (`curl -x`), with `extra` curl arguments.
pub fn through(proxy: &Server, url: &str, extra: &[&str]) -> Response {
    let via = format!("http://{}", proxy.addr);
    let mut args = vec!["-i", "-x", via.as_str()];
    args.extend_from_slice(extra);
    args.push(url);
    let out = curl(&args);
    assert_eq!(out.code(), Some(0), "curl {url} through the proxy: {out:?}");
    split(&out.stdout)
}

/// Splits what `curl -i` printed.
pub fn split(text: &str) -> Response {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    Response {
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Sends `request` as it is to `server`, closes our sending side, and returns all it
/// sends back until it closes.
pub fn raw(server: &Server, request: &[u8]) -> Vec<u8> {
    let mut conn = server.connect();
    conn.write_all(request).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    read_to_close(&mut conn)
}

/// Byte `i` of the origin's `size=N` bodies.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A file name in the test's temporary folder, removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("web_proxy-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The most memory the process `pid` has had resident so far, in bytes (VmHWM).
pub fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/PID/status");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}
