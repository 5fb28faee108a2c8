//! tcp_upper_server as a black box: started with --port 0, spoken to over loopback.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::process::Command;
use std::time::Duration;

use testkit::{
    PATIENCE, Running, Server, noise, read_to_close, require_tool, run, send_while_reading,
};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp_upper_server");

fn start() -> Server {
    Server::start(SERVER, &["--port", "0"])
}

fn uppercase_of(bytes: &[u8]) -> Vec<u8> {
    bytes.to_ascii_uppercase()
}

#[test]
fn the_lecture_python_client_gets_its_sentence_uppercased() {
    let server = start();
    let python = require_tool("python3");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/tcp_client.py");
    let port = server.addr.port().to_string();
    let out = testkit::run(
        python.to_str().unwrap(),
        &[script, &port, "hello from python, 42!"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: HELLO FROM PYTHON, 42!\n");
}

#[test]
fn nc_gets_every_line_back_uppercased() {
    let server = start();
    let nc = require_tool("nc");
    let port = server.addr.port().to_string();
    let out = run(
        nc.to_str().unwrap(),
        &["-N", "127.0.0.1", &port],
        b"hello\nsecond line\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "HELLO\nSECOND LINE\n");
}

#[test]
fn nc_typed_line_by_line_gets_each_reply_before_the_next_line() {
    let server = start();
    let nc = require_tool("nc");
    // Running bounds every wait for a line, and kills nc when the test ends.
    let mut typing = Running::start(
        nc.to_str().unwrap(),
        &["127.0.0.1", &server.addr.port().to_string()],
    );
    for (typed, shown) in [("one", "ONE"), ("two words", "TWO WORDS"), ("3rd!", "3RD!")] {
        typing.type_in(format!("{typed}\n").as_bytes());
        typing.expect_line(shown);
    }
}

#[test]
fn all_256_byte_values_come_back_with_only_a_to_z_changed() {
    let server = start();
    let mut conn = server.connect();
    let every_byte: Vec<u8> = (0..=255).collect();
    conn.write_all(&every_byte).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    let reply = read_to_close(&mut conn);
    // Spelled out with ASCII codes ('a' = 97, 'z' = 122, 'A' = 65) rather than std's
    // helper, so the server is not checked against the very call it makes.
    let expected: Vec<u8> = (0..=255u8)
        .map(|b| if (97..=122).contains(&b) { b - 32 } else { b })
        .collect();
    assert_eq!(reply, expected);
}

#[test]
fn a_multi_megabyte_stream_comes_back_byte_exact() {
    let server = start();
    let conn = server.connect();
    let sent = noise(8 << 20, 7);
    // Write and read at once: the server replies while we send, and if nobody read the
    // replies both sides would block on full buffers.
    let reply = send_while_reading(conn, &sent);
    assert_eq!(reply.len(), sent.len());
    assert!(reply == uppercase_of(&sent), "the stream differs");
}

#[test]
fn a_client_that_resets_mid_stream_does_not_stop_the_server() {
    let server = start();
    {
        let conn = server.connect();
        (&conn).write_all(&noise(200_000, 3)).unwrap();
        testkit::reset(conn);
    }
    let mut next = server.connect();
    next.write_all(b"still there?").unwrap();
    let mut reply = [0u8; 12];
    next.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"STILL THERE?");
}

#[test]
fn a_second_client_waits_until_the_first_one_closes() {
    let server = start();
    let mut first = server.connect();
    first.write_all(b"first").unwrap();
    let mut reply = [0u8; 5];
    first.read_exact(&mut reply).unwrap();

    // The second connection is accepted by the kernel, but the server is busy.
    let mut second = server.connect();
    second.write_all(b"second").unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut early = [0u8; 6];
    assert!(
        second.read(&mut early).is_err(),
        "an iterative server answered a second client while the first was connected"
    );

    drop(first);
    second.set_read_timeout(Some(PATIENCE)).unwrap();
    second.read_exact(&mut early).unwrap();
    assert_eq!(&early, b"SECOND");
}

#[test]
fn a_stalled_client_is_dropped_after_the_idle_timeout() {
    let server = Server::start(SERVER, &["--port", "0", "--idle-timeout", "1"]);
    let mut staller = server.connect();
    let mut next = server.connect();
    next.write_all(b"served").unwrap();
    let mut reply = [0u8; 6];
    next.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"SERVED");
    // The staller's connection was closed by the server.
    assert_eq!(read_to_close(&mut staller), b"");
}

#[test]
fn ipv6_loopback_works_with_host_colon_colon_1() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    assert!(server.addr.is_ipv6(), "{}", server.addr);
    let mut conn = server.connect();
    conn.write_all(b"over ipv6").unwrap();
    let mut reply = [0u8; 9];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"OVER IPV6");
}

#[test]
fn a_port_in_use_is_one_clear_line_and_exit_status_1() {
    let server = start();
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
}

#[test]
fn a_privileged_port_without_root_is_one_clear_line() {
    let out = if testkit::running_as_root() {
        // What an ordinary user sees: run the server as nobody.
        let setpriv = require_tool("setpriv");
        let mut command = Command::new(setpriv);
        command.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            SERVER,
            "--port",
            "80",
        ]);
        testkit::run_command(command, b"")
    } else {
        run(SERVER, &["--port", "80"], b"")
    };
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_upper_server: ports below 1024 need root (or CAP_NET_BIND_SERVICE); try --port 8080\n"
    );
}

#[test]
fn an_unknown_host_is_one_clear_line() {
    let out = run(
        SERVER,
        &["--host", "no-such-host.invalid", "--port", "0"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("tcp_upper_server: cannot find host 'no-such-host.invalid'"),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

#[test]
fn an_out_of_range_port_is_one_clear_line() {
    let out = run(SERVER, &["--port", "70000"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("70000"), "{out:?}");
    assert!(out.stderr.contains("--port"), "{out:?}");
}

#[test]
fn help_and_version_print_on_stdout_and_exit_0() {
    let out = run(SERVER, &["--help"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout.contains("Usage: tcp_upper_server [OPTIONS]"),
        "{out:?}"
    );
    assert!(out.stdout.contains("--idle-timeout"), "{out:?}");
    assert_eq!(out.stderr, "", "{out:?}");
    let out = run(SERVER, &["--version"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        concat!("tcp_upper_server ", env!("CARGO_PKG_VERSION"), "\n")
    );
}

#[test]
fn an_unknown_flag_is_one_line_and_exit_status_2() {
    let out = run(SERVER, &["--bogus"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_upper_server: unexpected argument '--bogus' found (see --help)\n"
    );
    assert_eq!(out.stdout, "", "{out:?}");
}

#[test]
fn fifty_short_clients_in_a_row_are_each_served() {
    let server = start();
    for i in 0..50 {
        let mut conn = server.connect();
        let message = format!("client {i}");
        conn.write_all(message.as_bytes()).unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_close(&mut conn), message.to_uppercase().as_bytes());
    }
}
