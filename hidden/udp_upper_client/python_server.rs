//! Hidden: the lecture's own server, UDPServer.py, as the peer.

use std::process::Command;

use testkit::{Server, noise, require_tool, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_upper_client");

/// UDPServer.py from the lecture, on a free loopback port that it announces, and with a
/// timeout so that it cannot outlive the test by much.
const UDP_SERVER: &str = r#"
from socket import *
serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind(('127.0.0.1', 0))
serverSocket.settimeout(20)
print('listening on 127.0.0.1:%d' % serverSocket.getsockname()[1], flush=True)
while True:
    message, clientAddress = serverSocket.recvfrom(2048)
    modifiedMessage = message.decode().upper()
    serverSocket.sendto(modifiedMessage.encode(), clientAddress)
"#;

#[test]
fn the_lectures_python_server_answers_every_line() {
    let python = require_tool("python3");
    let mut command = Command::new(python);
    command.args(["-c", UDP_SERVER]);
    let server = Server::spawn(command);
    let words: Vec<String> = noise(8, 31)
        .iter()
        .enumerate()
        .map(|(i, n)| {
            noise(3 + *n as usize % 30, 40 + i as u64)
                .iter()
                .map(|b| char::from(b'a' + b % 26))
                .collect()
        })
        .collect();
    let input: String = words.iter().map(|w| format!("{w} from rust\n")).collect();
    let expected: String = words
        .iter()
        .map(|w| format!("From Server: {} FROM RUST\n", w.to_uppercase()))
        .collect();
    let out = run(
        CLIENT,
        &["--port", &server.addr.port().to_string()],
        input.as_bytes(),
    );
    assert_eq!(out.code(), Some(0), "stderr: {}", out.stderr);
    assert_eq!(out.stdout, expected);
}
