//! Hidden: a client that sends a line far over the limit is dropped; the others go on.

use std::io::{Read, Write};

use testkit::{Conversation, Server};

const SERVER: &str = env!("CARGO_BIN_EXE_thread_chat");

#[test]
fn an_endless_line_costs_its_sender_only() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut a = Conversation::new(server.connect());
    let mut b = Conversation::new(server.connect());
    let mut flood = server.connect();
    b.send(b"joined\n");
    a.expect(b"joined\n");
    let _ = flood.write_all(&vec![b'x'; 100_000]);
    a.send(b"still here\n");
    b.expect(b"still here\n");
    // The flooder is cut off: after the lines it may have been sent, the end of the
    // stream or a reset (the server closed with bytes of the flood still unread).
    let mut buf = [0u8; 4096];
    loop {
        match flood.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("expected the flooding client to be disconnected, got {e}"),
        }
    }
}
