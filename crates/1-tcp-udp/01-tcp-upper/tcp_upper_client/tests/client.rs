//! tcp_upper_client against tcp_upper_server, both as the student runs them.

use std::sync::LazyLock;

use testkit::{Server, closed_port, require_tool, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_tcp_upper_client");
static SERVER: LazyLock<String> = LazyLock::new(|| sibling_binary(CLIENT, "tcp_upper_server"));

#[test]
fn every_piped_line_is_answered_and_end_of_input_exits_0() {
    let server = Server::start(&SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &["--port", &port],
        b"hello\nsocket world\n\nlast line, no newline",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "From Server: HELLO\nFrom Server: SOCKET WORLD\nFrom Server: \nFrom Server: LAST LINE, NO NEWLINE\n"
    );
}

#[test]
fn a_sentence_on_the_command_line_is_sent_once() {
    let server = Server::start(&SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port, "two", "words"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: TWO WORDS\n");
}

#[test]
fn over_ipv6_too() {
    let server = Server::start(&SERVER, &["--host", "::1", "--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--host", "::1", "--port", &port, "v6"], b"");
    assert_eq!(out.stdout, "From Server: V6\n", "{out:?}");
}

#[test]
fn no_server_is_one_clear_line_and_exit_status_1() {
    let port = closed_port().to_string();
    let out = run(CLIENT, &["--port", &port, "anyone?"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "tcp_upper_client: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
}

#[test]
fn an_endless_line_on_stdin_is_one_line_not_all_the_memory() {
    let server = Server::start(&SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let line = vec![b'a'; 3 << 20];
    let out = run(CLIENT, &["--port", &port], &line);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_upper_client: a line of more than 1048576 bytes; send shorter lines\n"
    );
}

/// A server like Kurose's TCPServer.py (tests/peers/tcp_server_once.py), which answers
/// one sentence per connection and closes it: every line still gets its reply, the
/// client connecting again for each.
fn server_that_closes_after_each_reply() -> Server {
    let python = require_tool("python3");
    let peer = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/tcp_server_once.py"
    );
    let mut command = std::process::Command::new(python);
    command.args([peer, "0"]);
    Server::spawn(command)
}

#[test]
fn several_lines_to_a_server_that_closes_after_each_reply_are_all_answered() {
    let server = server_that_closes_after_each_reply();
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &["--port", &port],
        b"first line\nsecond line\nthird line\nfourth\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "From Server: FIRST LINE\nFrom Server: SECOND LINE\nFrom Server: THIRD LINE\nFrom Server: FOURTH\n"
    );
    assert_eq!(
        out.stderr,
        "tcp_upper_client: the server closes the connection after each reply; connecting again for each sentence\n"
    );
}

#[test]
fn our_server_keeps_one_connection_for_every_line() {
    let server = Server::start(&SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port], b"one\ntwo\nthree\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stderr, "", "no reconnection note: {out:?}");
    // One client in the server's log, which sent all 11 bytes.
    server.wait_for_stderr("closed after 11 bytes");
    assert_eq!(server.stderr_so_far().matches(": connected").count(), 1);
}

#[test]
fn a_server_that_closes_without_replying_is_still_an_error() {
    // Accepts and closes at once, never replying: connecting again would not help.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let closer = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        drop(conn);
    });
    let out = run(CLIENT, &["--port", &port], b"anyone?\n");
    closer.join().unwrap();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_upper_client: the server closed the connection before replying\n"
    );
}
