//! udp_upper_client against udp_upper_server, and against servers that never answer.

use std::net::UdpSocket;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Server, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_upper_client");
static SERVER: LazyLock<String> = LazyLock::new(|| sibling_binary(CLIENT, "udp_upper_server"));

fn start() -> Server {
    Server::start(&SERVER, &["--port", "0"])
}

#[test]
fn every_piped_line_is_one_datagram_and_end_of_input_exits_0() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &["--port", &port],
        b"hello\nudp world\n\nlast line, no newline",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "From Server: HELLO\nFrom Server: UDP WORLD\nFrom Server: \nFrom Server: LAST LINE, NO NEWLINE\n"
    );
}

#[test]
fn a_sentence_on_the_command_line_is_sent_once() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port, "two", "words"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: TWO WORDS\n");
}

#[test]
fn the_largest_datagram_goes_through_and_one_byte_more_is_one_clear_error() {
    let server = start();
    let port = server.addr.port().to_string();
    let biggest = "q".repeat(65_507);
    let out = run(CLIENT, &["--port", &port], biggest.as_bytes());
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, format!("From Server: {}\n", "Q".repeat(65_507)));

    let too_big = format!("{}\n", "q".repeat(65_508));
    let out = run(CLIENT, &["--port", &port], too_big.as_bytes());
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "udp_upper_client: message too long for one UDP datagram: at most 65507 bytes over IPv4\n"
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn over_ipv6_too() {
    let server = Server::start(&SERVER, &["--host", "::1", "--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--host", "::1", "--port", &port, "v6"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: V6\n");
}

#[test]
fn nothing_listening_is_one_line_and_exit_status_1_without_waiting() {
    // A port nothing receives on (and no other test can take): the kernel answers
    // "port unreachable".
    let port = testkit::closed_udp_port().to_string();
    let start = Instant::now();
    let out = run(CLIENT, &["--port", &port, "--timeout", "5", "anyone?"], b"");
    let took = start.elapsed();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "udp_upper_client: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
    // ECONNREFUSED arrives at once; the client must not have sat out its 5 s timeout.
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn a_server_that_never_replies_costs_the_timeout_and_one_line() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    silent.set_read_timeout(Some(PATIENCE)).unwrap();
    let addr = silent.local_addr().unwrap();
    let port = addr.port().to_string();
    let start = Instant::now();
    let out = run(
        CLIENT,
        &["--port", &port, "--timeout", "0.3", "hello?"],
        b"",
    );
    let took = start.elapsed();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "udp_upper_client: no reply from {addr} within 0.3 s: the datagram or its reply was lost, or no server is running there (try --timeout)\n"
        )
    );
    assert!(took >= Duration::from_millis(300), "gave up after {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The datagram did arrive; it was the answer that never came.
    let mut buf = [0u8; 100];
    let n = silent.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello?");
}

#[test]
fn the_default_timeout_is_one_second() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let start = Instant::now();
    let out = run(CLIENT, &["--port", &port, "hello?"], b"");
    let took = start.elapsed();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("within 1 s"), "{out:?}");
    assert!(took >= Duration::from_secs(1), "gave up after {took:?}");
}

#[test]
fn a_bad_timeout_is_a_usage_error() {
    for bad in ["0", "-1", "soon"] {
        let out = run(CLIENT, &["--timeout", bad, "hi"], b"");
        assert_eq!(out.code(), Some(2), "{bad}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{bad}: {out:?}");
        assert!(out.stderr.contains("--timeout"), "{bad}: {out:?}");
    }
}

#[test]
fn at_a_terminal_the_client_prompts_like_the_lecture() {
    let server = start();
    // script(1) runs the client on a pseudo-terminal and types our stdin into it.
    let script = testkit::require_tool("script");
    let command_line = format!("'{CLIENT}' --port {}", server.addr.port());
    let out = run(
        script.to_str().unwrap(),
        &["-q", "-e", "-c", &command_line, "/dev/null"],
        b"hello\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    // The terminal also echoes what was typed, wherever it falls among the prompts: one
    // prompt before the line, one more that meets the end of input.
    assert!(out.stdout.contains("From Server: HELLO\r\n"), "{out:?}");
    assert_eq!(
        out.stdout.matches("Input lowercase sentence: ").count(),
        2,
        "{out:?}"
    );
}
