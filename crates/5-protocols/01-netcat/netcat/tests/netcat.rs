//! netcat against the real nc (netcat-openbsd), in both roles, over TCP and UDP.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Running, require_tool, run};

const NETCAT: &str = env!("CARGO_BIN_EXE_netcat");

/// Our netcat, started with its stdin held by the test (killed when the test ends).
fn our_netcat(args: &[&str]) -> Running {
    Running::start(NETCAT, args)
}

/// The real nc (netcat-openbsd), started the same way.
fn real_nc(args: &[&str]) -> Running {
    let nc = require_tool("nc");
    Running::start(nc.to_str().unwrap(), args)
}

/// Types `line` and Enter into the program's stdin.
fn type_line(peer: &mut Running, line: &str) {
    peer.type_in(format!("{line}\n").as_bytes());
}

fn next_line(peer: &Running) -> String {
    peer.next_line().expect("a line on stdout in time")
}

fn next_err_line(peer: &Running) -> String {
    peer.next_stderr_line().expect("a line on stderr in time")
}

/// The port from `listening on ADDR` (ours) or `Listening on HOST PORT` (nc -v).
fn listening_port(peer: &Running) -> u16 {
    let line = next_err_line(peer);
    line.trim_end_matches(" (udp)")
        .rsplit([':', ' '])
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

#[test]
fn our_listener_and_the_real_nc_talk_both_ways() {
    let mut ours = our_netcat(&["-l", "0"]);
    let port = listening_port(&ours).to_string();
    let mut nc = real_nc(&["-N", "127.0.0.1", &port]);
    type_line(&mut nc, "hello from nc");
    assert_eq!(next_line(&ours), "hello from nc");
    type_line(&mut ours, "hello from netcat");
    assert_eq!(next_line(&nc), "hello from netcat");
    type_line(&mut nc, "second line");
    assert_eq!(next_line(&ours), "second line");
    // nc -N: end of input sends FIN. That ends what nc sends, not what it receives.
    nc.close_stdin();
    // Ctrl-D in our terminal ends our side too; then ours exits, closing, and nc with it.
    ours.close_stdin();
    assert!(ours.wait_for_exit().success());
    assert!(nc.wait_for_exit().success());
}

// ANCHOR: half_close
/// The real nc listens, sends a banner and finishes its side at once (`-N`);
/// our client reads the banner and the end of stream, and only then has more
/// to say. nc is still reading: what we send after its FIN must reach it.
#[test]
fn our_client_still_sends_after_the_real_nc_listener_finished_sending() {
    let mut nc = real_nc(&["-v", "-N", "-l", "127.0.0.1", "0"]);
    let port = listening_port(&nc).to_string();
    type_line(&mut nc, "banner");
    nc.close_stdin(); // nc -N: FIN right after the banner
    let mut ours = our_netcat(&["-v", "-N", "127.0.0.1", &port]);
    assert_eq!(next_line(&ours), "banner");
    assert!(next_err_line(&ours).starts_with("netcat: connected to"));
    assert_eq!(
        next_err_line(&ours),
        "netcat: the peer closed the connection"
    );
    assert_eq!(
        next_err_line(&ours),
        "netcat: still sending what stdin gives"
    );
    type_line(&mut ours, "late");
    ours.close_stdin(); // -N: our FIN; both directions are over
    assert_eq!(next_line(&nc), "late");
    assert!(ours.wait_for_exit().success());
    assert!(nc.wait_for_exit().success());
}
// ANCHOR_END: half_close

/// The same the other way round: our listener, the real nc as the client that sends its
/// line and finishes first.
#[test]
fn our_listener_still_sends_after_the_real_nc_client_finished_sending() {
    let mut ours = our_netcat(&["-v", "-N", "-l", "0"]);
    let port = listening_port(&ours).to_string();
    let mut nc = real_nc(&["-N", "127.0.0.1", &port]);
    type_line(&mut nc, "request");
    nc.close_stdin(); // FIN after the request
    assert_eq!(next_line(&ours), "request");
    assert!(next_err_line(&ours).starts_with("netcat: connection from"));
    assert_eq!(
        next_err_line(&ours),
        "netcat: the peer closed the connection"
    );
    // Our reply comes after the client's FIN, and it still gets through.
    type_line(&mut ours, "late reply");
    ours.close_stdin();
    assert_eq!(nc.remaining_lines(), ["late reply"]);
    assert!(ours.wait_for_exit().success());
    assert!(nc.wait_for_exit().success());
}

/// Two of ours, both with -N: each direction arrives whole, whichever side finishes
/// first.
#[test]
fn two_netcats_with_n_lose_neither_direction() {
    let mut listener = our_netcat(&["-v", "-N", "-l", "0"]);
    let port = listening_port(&listener).to_string();
    let mut client = our_netcat(&["-N", "127.0.0.1", &port]);
    type_line(&mut client, "from the client");
    client.close_stdin();
    assert_eq!(next_line(&listener), "from the client");
    listener.wait_for_stderr("netcat: the peer closed the connection");
    type_line(&mut listener, "from the listener");
    listener.close_stdin();
    assert_eq!(client.remaining_lines(), ["from the listener"]);
    assert_eq!(listener.remaining_lines(), Vec::<String>::new());
    assert!(client.wait_for_exit().success());
    assert!(listener.wait_for_exit().success());
}

#[test]
fn our_client_and_the_real_nc_listener_talk_both_ways() {
    let mut nc = real_nc(&["-v", "-l", "127.0.0.1", "0"]);
    let port = listening_port(&nc).to_string();
    let mut ours = our_netcat(&["-v", "-N", "127.0.0.1", &port]);
    assert_eq!(
        next_err_line(&ours),
        format!("netcat: connected to 127.0.0.1:{port}")
    );
    type_line(&mut ours, "hello from netcat");
    assert_eq!(next_line(&nc), "hello from netcat");
    type_line(&mut nc, "hello from nc");
    assert_eq!(next_line(&ours), "hello from nc");
    ours.close_stdin(); // -N: FIN to nc, which then exits and closes
    assert!(nc.wait_for_exit().success());
    assert!(ours.wait_for_exit().success());
    assert_eq!(
        next_err_line(&ours),
        "netcat: the peer closed the connection"
    );
}

#[test]
fn both_directions_flow_at_once_without_deadlock() {
    // Megabytes each way at the same time: a netcat that sent all of stdin before reading
    // the socket would stall with both sides' buffers full.
    let to_send: Vec<u8> = testkit::noise(4 << 20, 11)
        .iter()
        .map(|b| b'a' + b % 26)
        .collect();
    let to_receive: Vec<u8> = testkit::noise(4 << 20, 12)
        .iter()
        .map(|b| b'A' + b % 26)
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let expected_from_netcat = to_send.clone();
    let reply = to_receive.clone();
    let peer = thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut writer = conn.try_clone().unwrap();
        let sending = thread::spawn(move || writer.write_all(&reply).unwrap());
        let mut got = Vec::new();
        (&conn).read_to_end(&mut got).unwrap(); // until netcat's FIN (-N)
        sending.join().unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        assert!(
            got == expected_from_netcat,
            "netcat sent {} bytes, not the input",
            got.len()
        );
    });
    let out = run(NETCAT, &["-N", "127.0.0.1", &port], &to_send);
    peer.join().unwrap();
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    assert!(
        out.stdout.as_bytes() == to_receive,
        "stdout differs ({} bytes)",
        out.stdout.len()
    );
}

#[test]
fn udp_both_ways_with_the_real_nc() {
    // Our UDP listener; the first datagram tells it who the peer is.
    let mut ours = our_netcat(&["-u", "-l", "0"]);
    let port = listening_port(&ours).to_string();
    let mut nc = real_nc(&["-u", "127.0.0.1", &port]);
    type_line(&mut nc, "ping over udp");
    assert_eq!(next_line(&ours), "ping over udp");
    type_line(&mut ours, "pong over udp");
    assert_eq!(next_line(&nc), "pong over udp");
    drop(nc);

    // The real nc listens; ours sends.
    let mut nc = real_nc(&["-v", "-u", "-l", "127.0.0.1", "0"]);
    let port = listening_port(&nc).to_string();
    let mut ours = our_netcat(&["-u", "127.0.0.1", &port]);
    type_line(&mut ours, "datagram from netcat");
    assert_eq!(next_line(&nc), "datagram from netcat");
    type_line(&mut nc, "datagram from nc");
    assert_eq!(next_line(&ours), "datagram from nc");
}

#[test]
fn keep_listening_serves_one_client_after_another() {
    let mut ours = our_netcat(&["-l", "-k", "-v", "0"]);
    let port = listening_port(&ours).to_string();
    let nc = require_tool("nc");
    for n in 1..=3 {
        let out = run(
            nc.to_str().unwrap(),
            &["-N", "127.0.0.1", &port],
            format!("client {n}\n").as_bytes(),
        );
        assert_eq!(out.code(), Some(0), "{out:?}");
        assert_eq!(next_line(&ours), format!("client {n}"));
        assert!(next_err_line(&ours).starts_with("netcat: connection from 127.0.0.1:"));
        assert_eq!(
            next_err_line(&ours),
            "netcat: the peer closed the connection"
        );
    }
    assert!(ours.is_running(), "-k exited");
}

#[test]
fn hex_dump_shows_both_directions_like_tcpdump() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut request = [0u8; 16];
        conn.read_exact(&mut request).unwrap();
        conn.write_all(b"HTTP/1.0 200 OK\r\n").unwrap();
    });
    let out = run(
        NETCAT,
        &["-x", "-N", "127.0.0.1", &port],
        b"GET / HTTP/1.0\r\n",
    );
    peer.join().unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "HTTP/1.0 200 OK\r\n");
    assert_eq!(
        out.stderr,
        "> sent 16 bytes\n\
         \t0x0000:  4745 5420 2f20 4854 5450 2f31 2e30 0d0a  GET./.HTTP/1.0..\n\
         < received 17 bytes\n\
         \t0x0000:  4854 5450 2f31 2e30 2032 3030 204f 4b0d  HTTP/1.0.200.OK.\n\
         \t0x0010:  0a                                       .\n"
    );
}

#[test]
fn wait_gives_up_on_a_silent_peer_and_refusals_are_one_line() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // never accepts, never talks
    let port = listener.local_addr().unwrap().port().to_string();
    let started = Instant::now();
    let out = testkit::run(NETCAT, &["-v", "-w", "0.5", "127.0.0.1", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(started.elapsed() >= Duration::from_millis(450));
    assert!(
        out.stderr
            .ends_with("netcat: nothing passed for the -w time; giving up\n"),
        "{out:?}"
    );

    let closed = testkit::closed_port().to_string();
    let out = run(NETCAT, &["127.0.0.1", &closed], b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "netcat: nothing is listening on 127.0.0.1:{closed}; start the server first, or check HOST and PORT\n"
        )
    );
    let out = run(NETCAT, &["-u", "127.0.0.1", &closed], b"anyone there?\n");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("the datagram was refused"), "{out:?}");
}

#[test]
fn ipv6_with_the_real_nc() {
    let mut ours = our_netcat(&["-6", "-l", "0"]);
    let line = next_err_line(&ours);
    assert!(line.starts_with("listening on [::1]:"), "{line}");
    let port = line.rsplit(':').next().unwrap().to_owned();
    let mut nc = real_nc(&["-6", "-N", "::1", &port]);
    type_line(&mut nc, "over ipv6");
    assert_eq!(next_line(&ours), "over ipv6");
    nc.close_stdin();
    ours.close_stdin();
    assert!(ours.wait_for_exit().success());
}

#[test]
fn command_line_mistakes_are_one_line() {
    for (args, message) in [
        (
            &["-k", "127.0.0.1", "80"][..],
            "netcat: -k only makes sense with -l\n",
        ),
        (
            &["127.0.0.1"],
            "netcat: give both HOST and PORT (or -l to listen)\n",
        ),
        (
            &["127.0.0.1", "http"],
            "netcat: 'http' is not a port number (0-65535)\n",
        ),
        (
            &["-w", "0", "127.0.0.1", "80"],
            "netcat: -w needs a positive number of seconds\n",
        ),
    ] {
        let out = run(NETCAT, args, b"");
        assert_eq!(
            (out.code(), out.stderr.as_str()),
            (Some(1), message),
            "{args:?}"
        );
    }
    let out = run(NETCAT, &[], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
}

#[test]
fn a_udp_listener_with_k_answers_whoever_spoke_last() {
    let mut ours = our_netcat(&["-u", "-l", "-k", "0"]);
    let port = listening_port(&ours).to_string();
    let mut first = real_nc(&["-u", "127.0.0.1", &port]);
    type_line(&mut first, "from the first");
    assert_eq!(next_line(&ours), "from the first");
    type_line(&mut ours, "reply one");
    assert_eq!(next_line(&first), "reply one");
    let mut second = real_nc(&["-u", "127.0.0.1", &port]);
    type_line(&mut second, "from the second");
    assert_eq!(next_line(&ours), "from the second");
    type_line(&mut ours, "reply two");
    assert_eq!(next_line(&second), "reply two");
}

#[test]
fn http_by_hand_through_netcat_to_our_web_server() {
    let server = testkit::Server::start(
        &testkit::sibling_binary(NETCAT, "http_server"),
        &["--port", "0"],
    );
    let port = server.addr.port().to_string();
    // As typed: bare newlines, and -N so the server also sees the end of our input.
    let out = run(
        NETCAT,
        &["-N", "127.0.0.1", &port],
        b"GET /docs HTTP/1.1\nHost: localhost\nConnection: close\n\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout.starts_with("HTTP/1.1 301 Moved Permanently\r\n"),
        "{out:?}"
    );
    assert!(out.stdout.contains("\r\nLocation: /docs/\r\n"), "{out:?}");
}

/// The line a program prints when required arguments are missing names them: clap puts
/// the names on lines of their own, and the one-line error (netkit::parse_args) once cut
/// them off, leaving `were not provided: (see --help)`. Checked here for netcat and for
/// the other programs of the course whose arguments are required (built beside it by
/// `cargo test` at the root).
#[test]
fn missing_arguments_are_named_in_the_one_line_error() {
    let expected = [
        (
            "netcat",
            "netcat: the following required arguments were not provided: <HOST PORT>... (see --help)\n",
        ),
        (
            "talker",
            "talker: the following required arguments were not provided: <MESSAGE> (see --help)\n",
        ),
        (
            "smtp_client",
            "smtp_client: the following required arguments were not provided: --from <FROM>, --to <TO> (see --help)\n",
        ),
    ];
    let programs = expected.map(|(name, _)| name);
    testkit::check_each(NETCAT, &programs, |bin| {
        let name = testkit::binary_name(bin);
        let line = expected.iter().find(|(n, _)| *n == name).unwrap().1;
        let out = run(bin, &[], b"");
        assert_eq!((out.code(), out.stderr.as_str()), (Some(2), line), "{name}");
    });
}
