//! http_get against our web server, against Python's http.server, and against scripted
//! servers that answer in every framing (and in broken ways).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use testkit::{PATIENCE, Server, require_tool, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_http_get");

fn site() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../03-http-server/http_server/site"
    ))
}

fn our_server() -> Server {
    Server::start(&sibling_binary(CLIENT, "http_server"), &["--port", "0"])
}

fn get(args: &[&str]) -> testkit::Finished {
    run(CLIENT, args, b"")
}

/// Python's http.server, started on a free port; killed when dropped.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    fn start(root: &Path) -> PythonServer {
        let python = require_tool("python3");
        let mut child = Command::new(python)
            .args([
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        // It prints "Serving HTTP on 127.0.0.1 port PORT (http://127.0.0.1:PORT/) ...".
        let stdout = child.stdout.take().unwrap();
        let (send, receive) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let line = receive.recv_timeout(PATIENCE).unwrap_or_default();
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|port| port.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("python3 -m http.server said {line:?}");
        };
        PythonServer { child, port }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-connection server that reads the request head and answers with `response`,
/// written in pieces of `piece` bytes; returns the address and the request it got.
fn scripted(
    response: &'static [u8],
    piece: usize,
    close: bool,
) -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.set_nodelay(true).unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
            request.push(byte[0]);
        }
        let _ = send.send(String::from_utf8_lossy(&request).into_owned());
        for part in response.chunks(piece) {
            if conn.write_all(part).is_err() {
                return;
            }
        }
        if !close {
            // Keep the connection open: the client must find the end by the framing.
            thread::sleep(PATIENCE);
        }
    });
    (addr, receive)
}

#[test]
fn prints_the_raw_response_of_our_server_and_just_the_body_with_b() {
    let server = our_server();
    let url = format!("http://{}/style.css", server.addr);
    let css = std::fs::read_to_string(site().join("style.css")).unwrap();
    let raw = get(&[&url]);
    assert_eq!(raw.code(), Some(0), "{raw:?}");
    assert!(raw.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{raw:?}");
    assert!(
        raw.stdout
            .contains(&format!("\r\nContent-Length: {}\r\n", css.len()))
    );
    assert!(raw.stdout.ends_with(&format!("\r\n\r\n{css}")));
    let body = get(&["-b", &url]);
    assert_eq!(body.stdout, css);
}

#[test]
fn a_redirect_is_shown_not_followed() {
    let server = our_server();
    let out = get(&[&format!("http://{}/docs", server.addr)]);
    assert_eq!(out.code(), Some(0));
    assert!(
        out.stdout.starts_with("HTTP/1.1 301 Moved Permanently\r\n"),
        "{out:?}"
    );
    assert!(out.stdout.contains("\r\nLocation: /docs/\r\n"), "{out:?}");
    assert!(
        !out.stdout.contains("A folder"),
        "the redirect was followed"
    );
}

#[test]
fn a_form_post_comes_back_chunked_and_dechunked_with_b() {
    let server = our_server();
    let url = format!("http://{}/form", server.addr);
    let out = get(&["-v", "-d", "title=whatever&body=beep+boop%21", &url]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stderr.contains("> POST /form HTTP/1.1\r\n"), "{out:?}");
    assert!(
        out.stderr
            .contains("> Content-Type: application/x-www-form-urlencoded\r\n")
    );
    assert!(out.stderr.contains("> Content-Length: 32\r\n"));
    assert!(
        out.stdout.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{out:?}"
    );
    assert!(out.stdout.ends_with("\r\n\r\n15\r\nYou sent 2 field(s):\n\r\n13\r\ntitle = \"whatever\"\n\r\n14\r\nbody = \"beep boop!\"\n\r\n0\r\n\r\n"), "{out:?}");
    let decoded = get(&["-b", "-d", "title=whatever&body=beep+boop%21", &url]);
    assert_eq!(
        decoded.stdout,
        "You sent 2 field(s):\ntitle = \"whatever\"\nbody = \"beep boop!\"\n"
    );
    // Over HTTP/1.0 the same answer ends with the connection instead.
    let closed = get(&["-b", "--http1.0", "-d", "a=b", &url]);
    assert_eq!(closed.stdout, "You sent 1 field(s):\na = \"b\"\n");
}

#[test]
fn head_and_other_methods_and_extra_headers() {
    let server = our_server();
    let url = format!("http://{}/", server.addr);
    let head = get(&["-X", "HEAD", &url]);
    assert!(
        head.stdout.starts_with("HTTP/1.1 200 OK\r\n") && head.stdout.ends_with("\r\n\r\n"),
        "{head:?}"
    );
    let delete = get(&["-X", "DELETE", &url]);
    assert!(
        delete
            .stdout
            .starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{delete:?}"
    );
    assert!(delete.stdout.contains("\r\nAllow: GET, HEAD\r\n"));
    // A header of ours that the server acts on.
    let close = get(&["-H", "Connection: close", &url]);
    assert!(
        close.stdout.contains("\r\nConnection: close\r\n"),
        "{close:?}"
    );
    // The port as a separate option, with a path as target.
    let by_path = get(&["--port", &server.addr.port().to_string(), "/missing"]);
    assert!(
        by_path.stdout.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{by_path:?}"
    );
}

#[test]
fn talks_to_pythons_http_server() {
    let python = PythonServer::start(site());
    let base = format!("http://127.0.0.1:{}", python.port);
    let page = std::fs::read_to_string(site().join("index.html")).unwrap();
    let out = get(&[&format!("{base}/")]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.starts_with("HTTP/1.0 200 OK\r\n"), "{out:?}");
    assert!(out.stdout.contains("Server: SimpleHTTP/"), "{out:?}");
    assert_eq!(get(&["-b", &format!("{base}/")]).stdout, page);
    let moved = get(&[&format!("{base}/docs")]);
    assert!(
        moved
            .stdout
            .starts_with("HTTP/1.0 301 Moved Permanently\r\n"),
        "{moved:?}"
    );
    assert!(
        moved.stdout.contains("\r\nLocation: /docs/\r\n"),
        "{moved:?}"
    );
    let missing = get(&[&format!("{base}/missing.html")]);
    assert!(
        missing
            .stdout
            .starts_with("HTTP/1.0 404 File not found\r\n"),
        "{missing:?}"
    );
    let head = get(&["-X", "HEAD", &format!("{base}/index.html")]);
    let length = format!("\r\nContent-Length: {}\r\n", page.len());
    assert!(head.stdout.contains(&length), "{head:?}");
    assert!(!head.stdout.contains("<html"), "{head:?}");
}

#[test]
fn a_chunked_response_trickling_in_one_byte_at_a_time_is_read_to_its_end() {
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
    // The server keeps the connection open: only the framing says the response is over.
    let (addr, request) = scripted(RESPONSE, 1, false);
    let out = get(&["-b", "-H", "X-Test: yes", &format!("http://{addr}/wiki")]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "Wikipedia in\r\n\r\nchunks.");
    assert_eq!(
        request.recv_timeout(PATIENCE).unwrap(),
        format!(
            "GET /wiki HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Test: yes\r\n\r\n",
            addr.port()
        )
    );
}

#[test]
fn a_close_delimited_body_ends_with_the_connection() {
    const RESPONSE: &[u8] =
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nno length,\nno chunks,\njust close.\n";
    let (addr, _) = scripted(RESPONSE, 7, true);
    let out = get(&[&format!("http://{addr}/")]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout.as_bytes(), RESPONSE);
}

#[test]
fn a_content_length_response_on_a_kept_open_connection_ends_at_its_length() {
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nexact!";
    let (addr, _) = scripted(RESPONSE, 3, false);
    let out = get(&["-b", &format!("http://{addr}/")]);
    assert_eq!((out.code(), out.stdout.as_str()), (Some(0), "exact!"));
}

#[test]
fn broken_and_silent_servers_are_one_line_errors() {
    let (addr, _) = scripted(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
        100,
        true,
    );
    let out = get(&[&format!("http://{addr}/")]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "http_get: the server closed the connection after 9 of the 100 bytes of the body\n"
    );

    let (addr, _) = scripted(b"SSH-2.0-OpenSSH_9.2p1\r\n", 100, true);
    let out = get(&[&format!("http://{addr}/")]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("http_get: not an HTTP response: status line \"SSH-2.0"),
        "{out:?}"
    );

    let (addr, _) = scripted(b"", 1, false); // reads the request, then says nothing
    let out = get(&["--timeout", "0.3", &format!("http://{addr}/")]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "http_get: the server stopped answering (timeout)\n"
    );

    // The refusal names what the user gave: the URL, or --host and --port.
    let closed = testkit::closed_port();
    let out = get(&[&format!("http://127.0.0.1:{closed}/")]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "http_get: nothing is listening on 127.0.0.1:{closed}; start the server first, or check the URL\n"
        )
    );
    let out = get(&["--port", &closed.to_string(), "/"]);
    assert_eq!(
        out.stderr,
        format!(
            "http_get: nothing is listening on 127.0.0.1:{closed}; start the server first, or check --host and --port\n"
        )
    );

    let out = get(&["-H", "no colon here", "http://127.0.0.1/"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "http_get: -H 'no colon here' is not a header; write 'Name: value'\n"
    );
}

#[test]
fn ipv6_urls_work() {
    let server = Server::start(
        &sibling_binary(CLIENT, "http_server"),
        &["--host", "::1", "--port", "0"],
    );
    let out = get(&[&format!("http://[::1]:{}/app.js", server.addr.port()), "-v"]);
    assert!(out.stdout.starts_with("HTTP/1.1 200 OK"), "{out:?}");
    assert!(
        out.stderr
            .contains(&format!("> Host: [::1]:{}\r\n", server.addr.port())),
        "{out:?}"
    );
}
