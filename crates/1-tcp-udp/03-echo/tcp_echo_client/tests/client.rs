//! tcp_echo_client against tcp_echo_server, and against servers that misbehave.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::LazyLock;
use std::thread;

use testkit::{PATIENCE, Server, closed_port, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_tcp_echo_client");
static SERVER: LazyLock<String> = LazyLock::new(|| sibling_binary(CLIENT, "tcp_echo_server"));

fn start() -> Server {
    Server::start(&SERVER, &["--port", "0"])
}

#[test]
fn a_message_on_the_command_line_comes_back() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port, "hello", "echo"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: hello echo\n");
}

#[test]
fn all_of_stdin_is_one_message() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port], b"first line\nsecond line\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: first line\nsecond line\n");
}

/// Two numbers of a trace line: (took, offered) or (got, so far).
type Pair = (usize, usize);

/// The numbers in the `send() took N of M bytes` and `recv() got N bytes (T of M)` lines.
fn trace(stdout: &str) -> (Vec<Pair>, Vec<Pair>) {
    let mut sends = Vec::new();
    let mut recvs = Vec::new();
    for line in stdout.lines() {
        let numbers: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|word| word.parse().ok())
            .collect();
        if line.starts_with("send() took ") {
            sends.push((numbers[0], numbers[1]));
        } else if line.starts_with("recv() got ") {
            recvs.push((numbers[0], numbers[1]));
        }
    }
    (sends, recvs)
}

fn check_partial_trace(stdout: &str, size: usize) -> usize {
    let (sends, recvs) = trace(stdout);
    // Each send is offered exactly what the previous ones left, and together they
    // took the whole message.
    let mut left = size;
    for &(took, offered) in &sends {
        assert_eq!(offered, left, "{stdout}");
        assert!(took > 0 && took <= offered, "{stdout}");
        left -= took;
    }
    assert_eq!(left, 0, "the sends did not take everything");
    // Every read adds to the running total, which ends at the whole message.
    let mut so_far = 0;
    for &(got, total) in &recvs {
        so_far += got;
        assert_eq!(total, so_far, "{stdout}");
    }
    assert_eq!(so_far, size);
    assert!(
        stdout.ends_with(&format!(
            "{size} bytes sent, {size} bytes echoed back, identical\n"
        )),
        "{stdout}"
    );
    sends
        .iter()
        .filter(|(took, offered)| took < offered)
        .count()
}

#[test]
fn show_partial_makes_short_sends_visible_on_a_multi_megabyte_message() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &["--port", &port, "--size", "16000000", "--show-partial"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    // Linux lets a TCP send buffer grow to 4 MiB (net.ipv4.tcp_wmem), so a non-blocking
    // send cannot take 16 MB at once unless the server drains 12 MB during that one call;
    // runs of this test took 4 to 10 sends.
    let short = check_partial_trace(&out.stdout, 16_000_000);
    assert!(short >= 1, "no send came back short:\n{}", out.stdout);
}

#[test]
fn a_small_send_buffer_makes_many_short_sends() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &[
            "--port",
            &port,
            "--size",
            "4000000",
            "--show-partial",
            "--send-buffer",
            "65536",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let short = check_partial_trace(&out.stdout, 4_000_000);
    assert!(short >= 10, "only {short} short sends:\n{}", out.stdout);
}

#[test]
fn without_show_partial_only_the_result_is_printed() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port, "--size", "20000000"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "20000000 bytes sent, 20000000 bytes echoed back, identical\n"
    );
}

/// A one-shot server in this test: reads `expect` bytes, answers with `reply(received)`,
/// closes.
fn fake_server(expect: usize, reply: fn(Vec<u8>) -> Vec<u8>) -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut received = vec![0u8; expect];
        conn.read_exact(&mut received).unwrap();
        conn.write_all(&reply(received)).unwrap();
    });
    (port, handle)
}

#[test]
fn a_server_that_closes_early_is_one_clear_line() {
    let (port, fake) = fake_server(5000, |received| received[..100].to_vec());
    let out = run(
        CLIENT,
        &["--port", &port.to_string(), "--size", "5000"],
        b"",
    );
    fake.join().unwrap();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_echo_client: the server closed the connection after echoing 100 of 5000 bytes\n"
    );
}

#[test]
fn a_server_that_changes_a_byte_is_caught() {
    let (port, fake) = fake_server(10, |mut received| {
        received[6] = b'E';
        received
    });
    let out = run(CLIENT, &["--port", &port.to_string(), "hello", "echo"], b"");
    fake.join().unwrap();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_echo_client: the echo differs from what was sent, first at byte 6\n"
    );
}

#[test]
fn no_server_is_one_clear_line_and_exit_status_1() {
    let port = closed_port().to_string();
    let out = run(CLIENT, &["--port", &port, "anyone?"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "tcp_echo_client: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
}

#[test]
fn over_ipv6_too() {
    let server = Server::start(&SERVER, &["--host", "::1", "--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--host", "::1", "--port", &port, "v6"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "From Server: v6\n");
}

#[test]
fn a_size_beyond_the_limit_is_a_usage_error() {
    let out = run(CLIENT, &["--size", "100000000"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("--size"), "{out:?}");
}

#[test]
fn a_server_busy_with_another_client_costs_the_wait_and_one_line() {
    let server = start();
    // The iterative server is serving this connection, so the client's bytes wait unread.
    let _first = server.connect();
    let port = server.addr.port().to_string();
    // Far more than the small send buffer and the server's receive buffer hold, so the
    // sending thread is stuck too when the wait ends. (Small enough to generate quickly:
    // the client's 5 s wait must fit in the test's 10 s patience on a busy machine.)
    let args = [
        "--port",
        &port,
        "--size",
        "4000000",
        "--send-buffer",
        "65536",
    ];
    let out = run(CLIENT, &args, b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "tcp_echo_client: no more bytes within 5 s after 0 of 4000000 (an iterative server serves one client at a time: is another client connected?)\n"
    );
}
