//! The client against a scripted mail server in the test, which records the dialogue.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use testkit::{run, show};

const CLIENT: &str = env!("CARGO_BIN_EXE_smtp_client");

/// A mail server that greets, then answers each line the client sends with the next
/// reply of `replies` (while receiving the message after DATA, it answers only the final
/// "."). Returns the port and the lines it received.
fn server(replies: Vec<&'static str>) -> (u16, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = &conn;
        let mut r = BufReader::new(&conn);
        let mut got = Vec::new();
        w.write_all(b"220 test.example ESMTP\r\n").unwrap();
        let mut in_data = false;
        let mut replies = replies.into_iter();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return got;
            }
            got.push(line.clone());
            if in_data && line != ".\r\n" {
                continue;
            }
            let Some(reply) = replies.next() else {
                return got;
            };
            in_data = reply.starts_with("354");
            w.write_all(reply.as_bytes()).unwrap();
        }
    });
    (port, handle)
}

const ALL_OK: [&str; 6] = [
    "250-test.example hello\r\n250 SIZE 1000\r\n",
    "250 OK\r\n",
    "250 OK\r\n",
    "354 go ahead\r\n",
    "250 queued\r\n",
    "221 bye\r\n",
];

#[test]
fn the_whole_dialogue_in_order() {
    let (port, server) = server(ALL_OK.to_vec());
    let out = run(
        CLIENT,
        &[
            "--port",
            &port.to_string(),
            "--from",
            "alice@a.test",
            "--to",
            "bob@b.test",
        ],
        b"Subject: hi\n\nHello Bob\n",
    );
    let got = server.join().unwrap();
    let expected = [
        "HELO localhost\r\n",
        "MAIL FROM:<alice@a.test>\r\n",
        "RCPT TO:<bob@b.test>\r\n",
        "DATA\r\n",
        "Subject: hi\r\n",
        "\r\n",
        "Hello Bob\r\n",
        ".\r\n",
        "QUIT\r\n",
    ];
    let shown = |lines: &[String]| lines.iter().map(|l| show(l.as_bytes())).collect::<Vec<_>>();
    assert_eq!(
        shown(&got),
        shown(&expected.map(String::from)),
        "left: what the server received; right: what it should have received"
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
}

#[test]
fn lines_that_start_with_a_dot_are_stuffed() {
    let (port, server) = server(ALL_OK.to_vec());
    run(
        CLIENT,
        &["--port", &port.to_string(), "--from", "a@a", "--to", "b@b"],
        b".\n..x\nnot.this\n",
    );
    let got = server.join().unwrap();
    let body: Vec<String> = got[4..got.len() - 1]
        .iter()
        .map(|l| show(l.as_bytes()))
        .collect();
    assert_eq!(
        body,
        ["..\\r\\n", "...x\\r\\n", "not.this\\r\\n", ".\\r\\n"]
    );
}

#[test]
fn a_refused_recipient_ends_the_dialogue_with_quit_and_exit_1() {
    let (port, server) = server(vec![
        "250 hello\r\n",
        "250 OK\r\n",
        "550 no such user here\r\n",
        "221 bye\r\n",
    ]);
    let out = run(
        CLIENT,
        &[
            "--port",
            &port.to_string(),
            "--from",
            "a@a",
            "--to",
            "nobody@b",
        ],
        b"text\n",
    );
    let got = server.join().unwrap();
    assert_eq!(got.last().map(String::as_str), Some("QUIT\r\n"), "{got:?}");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "smtp_client: the server refused RCPT TO:<nobody@b>: 550 no such user here\n"
    );
}
