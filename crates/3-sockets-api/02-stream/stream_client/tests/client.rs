//! stream_client as a black box, against a C server and with nothing listening.

use std::path::Path;

use testkit::{Server, closed_port, compile_c, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_stream_client");

fn c_server(host: &str) -> Server {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../stream_server/tests/peers/server.c");
    let program = compile_c(&source, env!("CARGO_TARGET_TMPDIR"));
    let server = Server::start(program.to_str().unwrap(), &[host, "0"]);
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("server: waiting for connections...")
    );
    server
}

#[test]
fn our_client_works_against_the_c_server() {
    let server = c_server("127.0.0.1");
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--host", "127.0.0.1", "--port", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n"
    );
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("server: got connection from 127.0.0.1")
    );
}

#[test]
fn without_a_host_the_client_tries_each_loopback_address_in_the_resolvers_order() {
    // The server listens on IPv4 only. getaddrinfo(NULL, port) gives both loopback
    // addresses; every one listed before 127.0.0.1 must be tried and refused first.
    let server = c_server("127.0.0.1");
    let port = server.addr.port().to_string();
    let order = showip::getaddrinfo(None, Some(&port), &showip::Hints::default()).unwrap();
    let before: Vec<_> = order
        .iter()
        .take_while(|a| a.addr != server.addr)
        .map(|a| a.addr)
        .collect();
    assert!(before.len() < order.len(), "127.0.0.1 not among {order:?}");

    let out = run(CLIENT, &["--port", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n"
    );
    let tried: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(tried.len(), before.len(), "{out:?}");
    for (line, addr) in tried.iter().zip(&before) {
        assert!(
            line.starts_with(&format!("client: connect {addr}: Connection refused")),
            "{line}"
        );
    }
}

#[test]
fn nothing_listening_is_one_line_and_status_1() {
    let port = closed_port().to_string();
    let out = run(CLIENT, &["--host", "127.0.0.1", "--port", &port], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "stream_client: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
}

#[test]
fn an_unknown_host_is_one_line_and_status_1() {
    let out = run(CLIENT, &["--host", "no-such-host.invalid"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("stream_client: getaddrinfo no-such-host.invalid: "),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1);
}

/// Beej's readers type `client localhost`: the host as the only argument. localhost
/// may resolve to ::1 first, where nothing listens: the client tries the next address.
#[test]
fn the_host_can_be_given_as_in_beejs_client_hostname() {
    let server = c_server("127.0.0.1");
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["localhost", "--port", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n"
    );
}
