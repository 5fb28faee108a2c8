//! The receiver as a black box, fed by `logger` (the system's syslog client) and by a UDP
//! socket of the test.

use std::net::UdpSocket;

use testkit::{Server, require_tool, run};

const RECEIVER: &str = env!("CARGO_BIN_EXE_syslog_receiver");

/// Sends one message with `logger` to the receiver.
fn logger(server: &Server, args: &[&str]) {
    let logger = require_tool("logger");
    let port = server.addr.port().to_string();
    let mut all = vec!["--server", "127.0.0.1", "--port", &port, "--udp"];
    all.extend_from_slice(args);
    let out = run(logger.to_str().unwrap(), &all, b"");
    assert_eq!(out.code(), Some(0), "logger failed: {out:?}");
}

/// The next line the receiver printed, after checking that it starts with `peer`.
fn next_line_from(server: &Server, peer: &UdpSocket) -> String {
    let line = server.next_stdout_line().expect("a line for the message");
    let prefix = format!("{} ", peer.local_addr().unwrap());
    match line.strip_prefix(&prefix) {
        Some(rest) => rest.to_owned(),
        None => panic!("expected a line starting with the sender {prefix:?}, got {line:?}"),
    }
}

#[test]
fn the_pri_becomes_facility_and_severity() {
    let server = Server::start(RECEIVER, &["--port", "0"]);
    let peer = server.udp_peer();
    for (pri, name) in [
        (0, "kern.emerg"),
        (13, "user.notice"),
        (43, "syslog.err"),
        (156, "local3.warning"),
        (191, "local7.debug"),
    ] {
        peer.send(format!("<{pri}>app: hello").as_bytes()).unwrap();
        assert_eq!(
            next_line_from(&server, &peer),
            format!("{name} app: hello"),
            "left: printed for <{pri}>app: hello; right: expected"
        );
    }
}

#[test]
fn no_valid_pri_is_user_notice_and_a_message_stays_one_line() {
    let server = Server::start(RECEIVER, &["--port", "0"]);
    let peer = server.udp_peer();
    for datagram in ["<192>too high", "<01>leading zero", "<13 no close", "plain"] {
        peer.send(datagram.as_bytes()).unwrap();
        assert_eq!(
            next_line_from(&server, &peer),
            format!("user.notice {datagram}"),
            "left: printed for {datagram:?}; right: expected"
        );
    }
    peer.send(b"<13>real\n127.0.0.1:1 kern.emerg forged\x1b[2J\xff\r\n")
        .unwrap();
    assert_eq!(
        next_line_from(&server, &peer),
        "user.notice real\\n127.0.0.1:1 kern.emerg forged\\x1b[2J\u{FFFD}"
    );
}

#[test]
fn logger_messages_in_both_formats() {
    let server = Server::start(RECEIVER, &["--port", "0"]);
    // RFC 5424 (logger's default): <156>1 TIMESTAMP HOST mytag 4242 - [timeQuality ...] ...
    logger(
        &server,
        &[
            "-p",
            "local3.warning",
            "-t",
            "mytag",
            "--id=4242",
            "hello over udp",
        ],
    );
    let line = server.next_stdout_line().unwrap();
    assert!(
        line.contains(" local3.warning 20") && line.ends_with(" mytag[4242]: hello over udp"),
        "expected `PEER local3.warning TIMESTAMP HOST mytag[4242]: hello over udp`, got {line:?}"
    );
    // Without time and host: <19>1 - - bsd - - [timeQuality ...] five
    logger(
        &server,
        &[
            "--rfc5424=notime,nohost",
            "-p",
            "mail.err",
            "-t",
            "bsd",
            "five",
        ],
    );
    let line = server.next_stdout_line().unwrap();
    assert!(line.ends_with(" mail.err - - bsd: five"), "{line:?}");
    // RFC 3164: <19>Dec  2 11:31:14 HOST bsd: old style, shown as it came.
    logger(
        &server,
        &["--rfc3164", "-p", "mail.err", "-t", "bsd", "old style"],
    );
    let line = server.next_stdout_line().unwrap();
    assert!(
        line.contains(" mail.err ") && line.ends_with(" bsd: old style"),
        "{line:?}"
    );
}

#[test]
fn sigterm_ends_it_with_status_0() {
    let mut server = Server::start(RECEIVER, &["--port", "0"]);
    let peer = server.udp_peer();
    peer.send(b"<14>still here").unwrap();
    assert!(
        server
            .next_stdout_line()
            .unwrap()
            .ends_with(" user.info still here")
    );
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_for_exit().code(), Some(0));
}
