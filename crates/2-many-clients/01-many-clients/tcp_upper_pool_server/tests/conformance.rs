//! One conformance suite for all five uppercase servers: iterative, fork, thread, pool and
//! epoll.
//!
//! They share `tcp_upper_server::serve_client`, and this suite checks from the outside that
//! they also behave the same on the wire and on the command line. Every test runs against
//! every server (`testkit::check_each` fails, naming the server, if one is not built or
//! does not pass); nothing here depends on serving two clients at once, so the iterative
//! server is held to exactly the same rules.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;

use testkit::{
    Server, binary_name, check_each, noise, read_to_close, require_tool, run, send_while_reading,
};

const OWN: &str = env!("CARGO_BIN_EXE_tcp_upper_pool_server");

/// The five servers that speak the uppercase protocol.
const SERVERS: [&str; 5] = [
    "tcp_upper_server",
    "tcp_upper_fork_server",
    "tcp_upper_thread_server",
    "tcp_upper_pool_server",
    "tcp_upper_epoll_server",
];

fn each_server(check: impl Fn(&str)) {
    check_each(OWN, &SERVERS, check);
}

fn start(bin: &str) -> Server {
    Server::start(bin, &["--port", "0"])
}

#[test]
fn every_byte_value_comes_back_with_only_a_to_z_changed() {
    each_server(|bin| {
        let server = start(bin);
        let mut conn = server.connect();
        let every_byte: Vec<u8> = (0..=255).collect();
        conn.write_all(&every_byte).unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        // 'a' = 97 .. 'z' = 122 become 65 .. 90; nothing else changes.
        let expected: Vec<u8> = (0..=255u8)
            .map(|b| if (97..=122).contains(&b) { b - 32 } else { b })
            .collect();
        assert_eq!(read_to_close(&mut conn), expected, "{}", binary_name(bin));
    });
}

#[test]
fn a_two_megabyte_stream_comes_back_byte_exact() {
    each_server(|bin| {
        let server = start(bin);
        let conn = server.connect();
        let sent = noise(2 << 20, 11);
        // Send and receive at once, or both sides would block on full buffers.
        let reply = send_while_reading(conn, &sent);
        assert_eq!(reply.len(), sent.len(), "{}", binary_name(bin));
        assert!(
            reply == sent.to_ascii_uppercase(),
            "{}: the stream differs",
            binary_name(bin)
        );
    });
}

#[test]
fn each_line_typed_is_answered_before_the_next_one() {
    each_server(|bin| {
        let server = start(bin);
        let conn = server.connect();
        let mut screen = BufReader::new(conn.try_clone().unwrap());
        let mut keyboard = conn;
        for (typed, shown) in [
            ("one\n", "ONE\n"),
            ("two words\n", "TWO WORDS\n"),
            ("3rd!\n", "3RD!\n"),
        ] {
            keyboard.write_all(typed.as_bytes()).unwrap();
            let mut line = String::new();
            screen.read_line(&mut line).unwrap();
            assert_eq!(line, shown, "{}", binary_name(bin));
        }
    });
}

#[test]
fn the_lecture_python_client_and_nc_are_answered() {
    let python = require_tool("python3");
    let nc = require_tool("nc");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../1-tcp-udp/01-tcp-upper/tcp_upper_server/tests/peers/tcp_client.py"
    );
    each_server(|bin| {
        let server = start(bin);
        let port = server.addr.port().to_string();
        let out = run(
            python.to_str().unwrap(),
            &[script, &port, "hello, 42!"],
            b"",
        );
        assert_eq!(
            out.stdout,
            "From Server: HELLO, 42!\n",
            "{}: {out:?}",
            binary_name(bin)
        );
        let out = run(
            nc.to_str().unwrap(),
            &["-N", "127.0.0.1", &port],
            b"via nc\nline 2\n",
        );
        assert_eq!(
            out.stdout,
            "VIA NC\nLINE 2\n",
            "{}: {out:?}",
            binary_name(bin)
        );
    });
}

#[test]
fn a_client_that_resets_mid_stream_costs_only_itself() {
    each_server(|bin| {
        let server = start(bin);
        {
            let conn = server.connect();
            (&conn).write_all(&noise(200_000, 5)).unwrap();
            testkit::reset(conn);
        }
        let mut next = server.connect();
        next.write_all(b"still there?").unwrap();
        let mut reply = [0u8; 12];
        next.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"STILL THERE?", "{}", binary_name(bin));
    });
}

#[test]
fn a_silent_client_is_dropped_after_the_idle_timeout() {
    each_server(|bin| {
        let server = Server::start(bin, &["--port", "0", "--idle-timeout", "1"]);
        let mut silent = server.connect();
        // The server closes the connection: we read end-of-file, within our own patience.
        assert_eq!(read_to_close(&mut silent), b"", "{}", binary_name(bin));
        let log = server.wait_for_stderr("no progress for 1 s, dropped");
        assert!(
            log.contains("no progress for 1 s, dropped"),
            "{}: {log}",
            binary_name(bin)
        );
    });
}

#[test]
fn thirty_short_clients_in_a_row_are_each_served() {
    each_server(|bin| {
        let server = start(bin);
        for i in 0..30 {
            let mut conn = server.connect();
            let message = format!("client {i}");
            conn.write_all(message.as_bytes()).unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
            assert_eq!(
                read_to_close(&mut conn),
                message.to_uppercase().as_bytes(),
                "{}",
                binary_name(bin)
            );
        }
    });
}

#[test]
fn ipv6_loopback_is_served() {
    each_server(|bin| {
        let server = Server::start(bin, &["--host", "::1", "--port", "0"]);
        assert!(
            server.addr.is_ipv6(),
            "{}: {}",
            binary_name(bin),
            server.addr
        );
        let mut conn = server.connect();
        conn.write_all(b"over ipv6").unwrap();
        let mut reply = [0u8; 9];
        conn.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"OVER IPV6", "{}", binary_name(bin));
    });
}

#[test]
fn a_port_in_use_is_one_line_and_exit_status_1() {
    each_server(|bin| {
        let server = start(bin);
        let port = server.addr.port().to_string();
        testkit::assert_port_in_use_error(bin, &port, &[]);
    });
}

#[test]
fn bad_arguments_are_one_line_and_exit_status_2() {
    each_server(|bin| {
        for args in [&["--port", "70000"][..], &["--no-such-flag"][..]] {
            let out = run(bin, args, b"");
            assert_eq!(
                out.code(),
                Some(2),
                "{} {args:?}: {out:?}",
                binary_name(bin)
            );
            assert_eq!(
                out.stderr.lines().count(),
                1,
                "{} {args:?}: {out:?}",
                binary_name(bin)
            );
        }
    });
}
