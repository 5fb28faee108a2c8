//! smtp_client against smtp_server, and against a scripted server that says no.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::thread;

use testkit::{PATIENCE, Server, closed_port, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_smtp_client");
static SERVER: LazyLock<String> =
    LazyLock::new(|| sibling_binary(CLIENT, "smtp_server"));

struct Spool(PathBuf);

impl Spool {
    fn new(test: &str) -> Spool {
        let path = std::env::temp_dir()
            .join(format!("smtp_client-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        Spool(path)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_message_reaches_every_recipients_mailbox_and_the_dialogue_is_shown() {
    let spool = Spool::new("deliver");
    let server = Server::start(
        &SERVER,
        &["--port", "0", "--spool", spool.0.to_str().unwrap()],
    );
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &[
            "--port",
            &port,
            "--from",
            "alice@example.org",
            "--to",
            "bob@localhost",
            "--to",
            "carol@localhost",
            "--subject",
            "Networks",
        ],
        b"I love computer networks!\n.\n.. two dots\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let expected = "\
< 220 localhost ESMTP smtp_server ready
> HELO localhost
< 250 localhost Hello localhost [127.0.0.1]
> MAIL FROM:<alice@example.org>
< 250 OK
> RCPT TO:<bob@localhost>
< 250 Accepted
> RCPT TO:<carol@localhost>
< 250 Accepted
> DATA
< 354 Send the message; end with a line holding only \".\"
> (N bytes of message, then \".\")
< 250 OK: delivered to 2 mailboxes
> QUIT
< 221 localhost closing connection
";
    // The size of the message depends on the Message-ID (the time and our pid).
    let shown: String = out
        .stdout
        .lines()
        .map(|l| match l.strip_prefix("> (") {
            Some(rest) => format!("> (N{}\n", &rest[rest.find(' ').unwrap()..]),
            None => format!("{l}\n"),
        })
        .collect();
    assert_eq!(shown, expected);
    for name in ["bob", "carol"] {
        let mbox = fs::read_to_string(spool.0.join(name)).unwrap();
        assert!(mbox.contains("\nDate: "), "{mbox}");
        assert!(mbox.contains("\nMessage-ID: <"), "{mbox}");
        assert!(
            mbox.contains("\nFrom: <alice@example.org>\nTo: <bob@localhost>, <carol@localhost>\n"),
            "{mbox}"
        );
        assert!(
            mbox.ends_with(
                "\nSubject: Networks\n\nI love computer networks!\n.\n.. two dots\n\n"
            ),
            "{mbox}"
        );
    }
}

#[test]
fn aiosmtpd_receives_a_date_a_message_id_and_an_encoded_subject() {
    let python = testkit::require_python_module("aiosmtpd");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/aiosmtpd_receive.py"
    );
    let mut command = std::process::Command::new(python);
    command.args(["-u", script]);
    let receiver = Server::spawn(command);
    let port = receiver.addr.port().to_string();
    // Long enough to need several encoded-words, with characters of 1 to 4 bytes.
    let subject = "Grüße aus Köln: naïve café, 東京 and 🦀, ".repeat(3);
    let out = run(
        CLIENT,
        &[
            "--port",
            &port,
            "--from",
            "alice@example.org",
            "--to",
            "bob@localhost",
            "--subject",
            &subject,
        ],
        "Bis bald!\nÄ line of UTF-8.\n".as_bytes(),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let mut seen = Vec::new();
    while let Some(line) = receiver.next_stdout_line() {
        let last = line.starts_with("body:");
        seen.push(line);
        if last {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            "envelope: alice@example.org -> bob@localhost".to_owned(),
            "date has a zone: True".into(),
            "date is now: True".into(),
            "message-id well formed: True".into(),
            "message-id domain: example.org".into(),
            format!("subject: {subject}"),
            "headers are ASCII: True".into(),
            "header lines at most 78: True".into(),
            "body: Bis bald! / Ä line of UTF-8.".into(),
        ],
        "{}",
        receiver.stderr_so_far()
    );
}

/// A server that follows a script of replies, one per line it receives, then closes.
fn scripted_server(
    replies: &'static [&'static str],
) -> (u16, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serving = thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut heard = Vec::new();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut conn = conn;
        conn.write_all(replies[0].as_bytes()).unwrap();
        for reply in &replies[1..] {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            heard.push(line.trim_end().to_owned());
            conn.write_all(reply.as_bytes()).unwrap();
        }
        heard
    });
    (port, serving)
}

#[test]
fn a_refused_recipient_stops_the_client_with_the_servers_words() {
    let (port, serving) = scripted_server(&[
        "220 test ESMTP\r\n",
        "250 hi\r\n",
        "250 ok\r\n",
        "550 no such user here\r\n",
    ]);
    let out = run(
        CLIENT,
        &[
            "--port",
            &port.to_string(),
            "--from",
            "a@b.c",
            "--to",
            "nobody@b.c",
        ],
        b"hello\n",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "smtp_client: the server refused RCPT TO:<nobody@b.c>: 550 no such user here\n"
    );
    assert_eq!(
        serving.join().unwrap(),
        [
            "HELO localhost",
            "MAIL FROM:<a@b.c>",
            "RCPT TO:<nobody@b.c>"
        ]
    );
}

#[test]
fn a_greeting_that_is_not_220_is_refused() {
    let (port, _serving) = scripted_server(&["554 go away\r\n"]);
    let out = run(
        CLIENT,
        &[
            "--port",
            &port.to_string(),
            "--from",
            "a@b.c",
            "--to",
            "d@e.f",
        ],
        b"x\n",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "smtp_client: the server refused the greeting: 554 go away\n"
    );
}

#[test]
fn something_that_is_not_smtp_is_one_clear_line() {
    let (port, _serving) = scripted_server(&["HTTP/1.1 400 Bad Request\r\n\r\n"]);
    let out = run(
        CLIENT,
        &[
            "--port",
            &port.to_string(),
            "--from",
            "a@b.c",
            "--to",
            "d@e.f",
        ],
        b"x\n",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("not an SMTP server"), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1);
}

#[test]
fn a_line_smtp_cannot_carry_is_refused_before_connecting() {
    let port = closed_port().to_string();
    let long = vec![b'x'; 1200];
    let out = run(
        CLIENT,
        &["--port", &port, "--from", "a@b.c", "--to", "d@e.f"],
        &long,
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "smtp_client: line 1 of the message is 1200 bytes long; SMTP carries lines of at most 998 bytes\n"
    );
}

#[test]
fn no_server_is_one_clear_line() {
    let port = closed_port().to_string();
    let out = run(
        CLIENT,
        &["--port", &port, "--from", "a@b.c", "--to", "d@e.f"],
        b"hi\n",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("smtp_client: nothing is listening on 127.0.0.1:"),
        "{out:?}"
    );
}
