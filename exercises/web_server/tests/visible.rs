//! The web server as a black box, serving a folder made for each test.

use std::path::PathBuf;

use testkit::{Conversation, Server};

const SERVER: &str = env!("CARGO_BIN_EXE_web_server");

/// A fresh folder with `files` in it, removed when dropped.
struct Site(PathBuf);

impl Site {
    fn new(name: &str, files: &[(&str, &[u8])]) -> Site {
        let dir = std::env::temp_dir().join(format!("web-ex-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (file, content) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Site(dir)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ask(site: &Site, request: &str) -> String {
    let server = Server::start(SERVER, &["--port", "0", "--root", site.0.to_str().unwrap()]);
    let mut c = Conversation::new(server.connect());
    c.send(request.as_bytes());
    String::from_utf8_lossy(&c.rest(1 << 20)).into_owned()
}

#[test]
fn a_file_is_served_with_its_length_and_type() {
    let site = Site::new("file", &[("hello.html", b"<h1>hi</h1>\n")]);
    let response = ask(&site, "GET /hello.html HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        response,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\n<h1>hi</h1>\n"
    );
}

#[test]
fn the_root_is_index_html() {
    let site = Site::new("index", &[("index.html", b"home")]);
    let response = ask(&site, "GET / HTTP/1.0\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:?}");
    assert!(response.ends_with("\r\n\r\nhome"), "{response:?}");
}

#[test]
fn a_missing_file_is_404() {
    let site = Site::new("missing", &[]);
    let response = ask(&site, "GET /nothing.html HTTP/1.1\r\n\r\n");
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response:?}"
    );
}

#[test]
fn head_sends_the_headers_only() {
    let site = Site::new("head", &[("a.txt", b"twelve bytes")]);
    let response = ask(&site, "HEAD /a.txt HTTP/1.1\r\n\r\n");
    assert_eq!(
        response,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn nothing_outside_the_root_is_served() {
    let site = Site::new(
        "escape",
        &[("pub/index.html", b"public"), ("secret.txt", b"secret")],
    );
    let server = Server::start(
        SERVER,
        &[
            "--port",
            "0",
            "--root",
            site.0.join("pub").to_str().unwrap(),
        ],
    );
    for target in ["/../secret.txt", "/./../secret.txt", "/a/../../secret.txt"] {
        let mut c = Conversation::new(server.connect());
        c.send(format!("GET {target} HTTP/1.1\r\n\r\n").as_bytes());
        let response = String::from_utf8_lossy(&c.rest(1 << 20)).into_owned();
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n") && !response.contains("secret\n"),
            "GET {target}: {response:?}"
        );
    }
}
