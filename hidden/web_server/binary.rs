//! Hidden: a binary file comes back byte for byte; garbage gets a 400; a client that
//! stalls does not block another.

use testkit::{Conversation, Server, noise};

const SERVER: &str = env!("CARGO_BIN_EXE_web_server");

#[test]
fn binary_files_garbage_and_stalls() {
    let dir = std::env::temp_dir().join(format!("web-hidden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = noise(100_000, 3);
    std::fs::write(dir.join("blob.png"), &data).unwrap();
    let server = Server::start(SERVER, &["--port", "0", "--root", dir.to_str().unwrap()]);
    let _stalled = server.connect();
    let mut c = Conversation::new(server.connect());
    c.send(b"GET /blob.png HTTP/1.1\r\n\r\n");
    let response = c.rest(1 << 20);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        data.len()
    );
    assert!(
        response.starts_with(head.as_bytes()),
        "{:?}",
        String::from_utf8_lossy(&response[..200])
    );
    assert!(
        response[head.len()..] == data[..],
        "the body differs from the file"
    );
    let mut g = Conversation::new(server.connect());
    g.send(b"\x16\x03\x01\x02\x00 hello\r\n\r\n");
    let response = g.rest(1 << 16);
    assert!(
        response.starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
        "{:?}",
        String::from_utf8_lossy(&response)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
