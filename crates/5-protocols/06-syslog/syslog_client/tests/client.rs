//! syslog_client against syslog_server, over UDP and TCP.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use testkit::{Server, closed_port, require_tool, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_syslog_client");
static SERVER: LazyLock<String> =
    LazyLock::new(|| sibling_binary(CLIENT, "syslog_server"));

fn message(server: &Server) -> String {
    let line = server.next_stdout_line().expect("a message");
    line.split_once(' ').unwrap().1.to_owned()
}

#[test]
fn a_message_on_the_command_line_goes_over_udp() {
    let server = Server::start(&SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &[
            "--port",
            &port,
            "-p",
            "local0.info",
            "hello",
            "from",
            "rust",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        message(&server),
        "local0.info syslog_client: hello from rust"
    );
}

#[test]
fn every_line_of_stdin_is_one_message_over_udp_and_tcp() {
    for mode in [&[][..], &["--tcp"], &["--tcp", "--octet-count"]] {
        let mut server_args = vec!["--port", "0"];
        if !mode.is_empty() {
            server_args.push("--tcp");
        }
        let server = Server::start(&SERVER, &server_args);
        let port = server.addr.port().to_string();
        let mut args = vec!["--port", &port, "-t", "piped", "-p", "mail.warning"];
        args.extend_from_slice(mode);
        let out = run(
            CLIENT,
            &args,
            b"first line\r\nsecond line\n\nlast, unterminated",
        );
        assert_eq!(out.code(), Some(0), "{mode:?} {out:?}");
        for expected in ["first line", "second line", "", "last, unterminated"] {
            assert_eq!(
                message(&server),
                format!("mail.warning piped: {expected}"),
                "{mode:?}"
            );
        }
    }
}

#[test]
fn the_tcp_connection_has_keepalive_on_and_a_plain_one_does_not() {
    let ss = require_tool("ss");
    let server = Server::start(&SERVER, &["--tcp", "--port", "0"]);
    let port = server.addr.port().to_string();
    let mut client = Command::new(CLIENT)
        .args(["--tcp", "--port", &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut keyboard = client.stdin.take().unwrap();
    keyboard.write_all(b"connected\n").unwrap();
    assert_eq!(message(&server), "user.notice syslog_client: connected");
    // A connection without the option, for comparison.
    let plain = server.connect();
    let plain_port = plain.local_addr().unwrap().port();
    let filter = format!("dport = :{port}");
    let out = run(
        ss.to_str().unwrap(),
        &["-tnoH", "state", "established", &filter],
        b"",
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    for line in lines {
        let is_plain = line.contains(&format!("127.0.0.1:{plain_port} "));
        assert_eq!(line.contains("timer:(keepalive"), !is_plain, "{line}");
    }
    drop(keyboard);
    assert!(client.wait().unwrap().success());
}

#[test]
fn an_unknown_priority_is_one_clear_line() {
    let out = run(CLIENT, &["-p", "user.loud", "x"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "syslog_client: unknown priority 'user.loud'; use FACILITY.SEVERITY, such as user.notice or local3.warning\n"
    );
}

#[test]
fn no_server_is_reported_over_tcp_at_once_and_over_udp_on_the_next_send() {
    let port = closed_port().to_string();
    let out = run(CLIENT, &["--tcp", "--port", &port, "x"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("syslog_client: nothing is listening on 127.0.0.1:"),
        "{out:?}"
    );
    // UDP: the first datagram goes out; the ICMP answer fails the second send.
    let out = run(CLIENT, &["--port", &port], b"one\ntwo\nthree\n");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("syslog_client: nothing is listening on 127.0.0.1:"),
        "{out:?}"
    );
}

#[test]
fn a_line_too_long_for_syslog_is_refused() {
    let server = Server::start(&SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    // 9000 bytes of text after "<13>syslog_client: " (19 bytes).
    let out = run(CLIENT, &["--port", &port], &vec![b'x'; 9000]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "syslog_client: a message of 9019 bytes is too long (the limit is 8192); shorten the line\n"
    );
}
