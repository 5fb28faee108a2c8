//! udp_echo_client against udp_echo_server, and against a server that loses an echo.

use std::net::UdpSocket;
use std::sync::LazyLock;
use std::thread;

use testkit::{PATIENCE, Server, run, sibling_binary};

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_echo_client");
static SERVER: LazyLock<String> = LazyLock::new(|| sibling_binary(CLIENT, "udp_echo_server"));

fn start() -> Server {
    Server::start(&SERVER, &["--port", "0"])
}

#[test]
fn each_argument_is_one_datagram_and_comes_back_as_one() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port, "one", "three", "five"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "received 3 bytes: one\nreceived 5 bytes: three\nreceived 4 bytes: five\n"
    );
}

#[test]
fn each_line_of_stdin_is_one_datagram() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(CLIENT, &["--port", &port], b"a\nbb\n\nlast");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "received 1 bytes: a\nreceived 2 bytes: bb\nreceived 0 bytes: \nreceived 4 bytes: last\n"
    );
}

#[test]
fn datagrams_of_three_sizes_come_back_with_their_sizes() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &[
            "--port", &port, "--size", "100", "--size", "2000", "--size", "30000",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "received 100 bytes\nreceived 2000 bytes\nreceived 30000 bytes\n"
    );
}

#[test]
fn a_small_receive_buffer_truncates_and_the_rest_is_gone() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &[
            "--port",
            &port,
            "--recv-buffer",
            "10",
            "--size",
            "2000",
            "--size",
            "5",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    // The next recv() gets the next datagram, not the 1990 bytes that did not fit.
    assert_eq!(
        out.stdout,
        "received 10 of 2000 bytes (datagram truncated)\nreceived 5 bytes\n"
    );
}

#[test]
fn a_lost_echo_is_one_line_and_exit_status_1() {
    // A server that echoes the first datagram and drops the second.
    let lossy = UdpSocket::bind("127.0.0.1:0").unwrap();
    lossy.set_read_timeout(Some(PATIENCE)).unwrap();
    let port = lossy.local_addr().unwrap().port().to_string();
    let server = thread::spawn(move || {
        let mut buf = [0u8; 100];
        let (n, client) = lossy.recv_from(&mut buf).unwrap();
        lossy.send_to(&buf[..n], client).unwrap();
        let (n, _) = lossy.recv_from(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    let out = run(
        CLIENT,
        &["--port", &port, "--timeout", "0.3", "kept", "lost"],
        b"",
    );
    assert_eq!(server.join().unwrap(), b"lost");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stdout, "received 4 bytes: kept\n");
    assert_eq!(
        out.stderr,
        "udp_echo_client: only 1 of 2 echoes came back within 0.3 s; UDP does not resend lost datagrams\n"
    );
}

#[test]
fn nothing_listening_is_one_line_and_exit_status_1() {
    // A port nothing receives on (and no other test can take): the kernel answers
    // "port unreachable".
    let port = testkit::closed_udp_port().to_string();
    let out = run(CLIENT, &["--port", &port, "anyone?"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "udp_echo_client: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
}

#[test]
fn a_datagram_too_big_for_udp_is_one_clear_line() {
    let out = run(CLIENT, &["--port", "9", "--size", "65508"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "udp_echo_client: message too long for one UDP datagram: at most 65507 bytes over IPv4\n"
    );
}

#[test]
fn over_ipv6_too() {
    let server = Server::start(&SERVER, &["--host", "::1", "--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(
        CLIENT,
        &["--host", "::1", "--port", &port, "--size", "65527"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "received 65527 bytes\n");
}

#[test]
fn too_many_datagrams_is_one_line_before_any_is_built() {
    // Thousands of --size 65507 would be hundreds of megabytes of datagrams; the count
    // is refused first, so the client stays small (here: at most 256 MiB of address
    // space).
    let prlimit = testkit::require_tool("prlimit");
    let mut command = std::process::Command::new(prlimit);
    command.args(["--as=268435456", CLIENT, "--port", "9"]);
    command.env("RUST_BACKTRACE", "0");
    for _ in 0..5_000 {
        command.args(["--size", "65507"]);
    }
    let out = testkit::run_command(command, b"");
    assert_eq!(out.code(), Some(1), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "udp_echo_client: 5000 datagrams: send at most 100 at a time\n"
    );
}
