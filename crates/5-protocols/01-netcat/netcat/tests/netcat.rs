//! netcat against the real nc (netcat-openbsd), in both roles, over TCP and UDP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, require_tool, run};

const NETCAT: &str = env!("CARGO_BIN_EXE_netcat");

/// A program with its stdin held by the test and its output read line by line.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

fn lines(source: impl Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

impl Peer {
    fn start(program: &str, args: &[&str]) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        Peer {
            stdin: child.stdin.take(),
            stdout: lines(child.stdout.take().unwrap()),
            stderr: lines(child.stderr.take().unwrap()),
            child,
        }
    }

    fn nc(args: &[&str]) -> Peer {
        let nc = require_tool("nc");
        Peer::start(nc.to_str().unwrap(), args)
    }

    fn ours(args: &[&str]) -> Peer {
        Peer::start(NETCAT, args)
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    fn end_input(&mut self) {
        self.stdin = None;
    }

    fn next_line(&self) -> String {
        self.stdout
            .recv_timeout(PATIENCE)
            .expect("a line on stdout in time")
    }

    fn next_err_line(&self) -> String {
        self.stderr
            .recv_timeout(PATIENCE)
            .expect("a line on stderr in time")
    }

    /// The port from `listening on ADDR` (ours) or `Listening on HOST PORT` (nc -v).
    fn listening_port(&self) -> u16 {
        let line = self.next_err_line();
        line.trim_end_matches(" (udp)")
            .rsplit([':', ' '])
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not exit in time");
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // SAFETY: kill has no memory-safety preconditions; the group is the child's own.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

#[test]
fn our_listener_and_the_real_nc_talk_both_ways() {
    let mut ours = Peer::ours(&["-l", "0"]);
    let port = ours.listening_port().to_string();
    let mut nc = Peer::nc(&["-N", "127.0.0.1", &port]);
    nc.type_line("hello from nc");
    assert_eq!(ours.next_line(), "hello from nc");
    ours.type_line("hello from netcat");
    assert_eq!(nc.next_line(), "hello from netcat");
    nc.type_line("second line");
    assert_eq!(ours.next_line(), "second line");
    // nc -N: end of input sends FIN; our netcat sees end-of-file and exits, closing.
    nc.end_input();
    assert!(ours.wait().success());
    assert!(nc.wait().success());
}

#[test]
fn our_client_and_the_real_nc_listener_talk_both_ways() {
    let mut nc = Peer::nc(&["-v", "-l", "127.0.0.1", "0"]);
    let port = nc.listening_port().to_string();
    let mut ours = Peer::ours(&["-v", "-N", "127.0.0.1", &port]);
    assert_eq!(
        ours.next_err_line(),
        format!("netcat: connected to 127.0.0.1:{port}")
    );
    ours.type_line("hello from netcat");
    assert_eq!(nc.next_line(), "hello from netcat");
    nc.type_line("hello from nc");
    assert_eq!(ours.next_line(), "hello from nc");
    ours.end_input(); // -N: FIN to nc, which then exits and closes
    assert!(nc.wait().success());
    assert!(ours.wait().success());
    assert_eq!(
        ours.next_err_line(),
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
    let mut ours = Peer::ours(&["-u", "-l", "0"]);
    let port = ours.listening_port().to_string();
    let mut nc = Peer::nc(&["-u", "127.0.0.1", &port]);
    nc.type_line("ping over udp");
    assert_eq!(ours.next_line(), "ping over udp");
    ours.type_line("pong over udp");
    assert_eq!(nc.next_line(), "pong over udp");
    drop(nc);

    // The real nc listens; ours sends.
    let mut nc = Peer::nc(&["-v", "-u", "-l", "127.0.0.1", "0"]);
    let port = nc.listening_port().to_string();
    let mut ours = Peer::ours(&["-u", "127.0.0.1", &port]);
    ours.type_line("datagram from netcat");
    assert_eq!(nc.next_line(), "datagram from netcat");
    nc.type_line("datagram from nc");
    assert_eq!(ours.next_line(), "datagram from nc");
}

#[test]
fn keep_listening_serves_one_client_after_another() {
    let mut ours = Peer::ours(&["-l", "-k", "-v", "0"]);
    let port = ours.listening_port().to_string();
    let nc = require_tool("nc");
    for n in 1..=3 {
        let out = run(
            nc.to_str().unwrap(),
            &["-N", "127.0.0.1", &port],
            format!("client {n}\n").as_bytes(),
        );
        assert_eq!(out.code(), Some(0), "{out:?}");
        assert_eq!(ours.next_line(), format!("client {n}"));
        assert!(
            ours.next_err_line()
                .starts_with("netcat: connection from 127.0.0.1:")
        );
        assert_eq!(
            ours.next_err_line(),
            "netcat: the peer closed the connection"
        );
    }
    assert!(ours.child.try_wait().unwrap().is_none(), "-k exited");
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
            "netcat: nothing is listening on 127.0.0.1:{closed}; start the server first, or check --host and --port\n"
        )
    );
    let out = run(NETCAT, &["-u", "127.0.0.1", &closed], b"anyone there?\n");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("the datagram was refused"), "{out:?}");
}

#[test]
fn ipv6_with_the_real_nc() {
    let mut ours = Peer::ours(&["-6", "-l", "0"]);
    let line = ours.next_err_line();
    assert!(line.starts_with("listening on [::1]:"), "{line}");
    let port = line.rsplit(':').next().unwrap().to_owned();
    let mut nc = Peer::nc(&["-6", "-N", "::1", &port]);
    nc.type_line("over ipv6");
    assert_eq!(ours.next_line(), "over ipv6");
    nc.end_input();
    assert!(ours.wait().success());
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
    let mut ours = Peer::ours(&["-u", "-l", "-k", "0"]);
    let port = ours.listening_port().to_string();
    let mut first = Peer::nc(&["-u", "127.0.0.1", &port]);
    first.type_line("from the first");
    assert_eq!(ours.next_line(), "from the first");
    ours.type_line("reply one");
    assert_eq!(first.next_line(), "reply one");
    let mut second = Peer::nc(&["-u", "127.0.0.1", &port]);
    second.type_line("from the second");
    assert_eq!(ours.next_line(), "from the second");
    ours.type_line("reply two");
    assert_eq!(second.next_line(), "reply two");
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
