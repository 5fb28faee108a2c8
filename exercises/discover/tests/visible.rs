//! The program against responders that live in the test: sockets on one port of
//! 0.0.0.0 (SO_REUSEADDR lets them share it), each answering from an address of its own
//! in 127.0.0.0/8, as separate hosts would.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use testkit::run;

const DISCOVER: &str = env!("CARGO_BIN_EXE_discover");

/// A socket on `0.0.0.0:port` (any free port for 0) that others may share.
fn shared(port: u16) -> UdpSocket {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket
        .bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())
        .unwrap();
    let socket: UdpSocket = socket.into();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

/// A responder on the shared socket: answers the first question with `name`, after
/// `delay`, from 127.0.0.`host`. Returns what it was asked.
fn responder(
    socket: UdpSocket,
    host: u8,
    name: &'static str,
    delay: Duration,
) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = [0u8; 256];
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            return Vec::new();
        };
        thread::sleep(delay);
        let me = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, host), 0)).unwrap();
        let _ = me.send_to(name.as_bytes(), from);
        buf[..n].to_vec()
    })
}

#[test]
fn everyone_on_the_port_hears_the_broadcast_and_every_answer_is_listed() {
    let first = shared(0);
    let port = first.local_addr().unwrap().port();
    let mut handles = vec![responder(first, 11, "printer", Duration::ZERO)];
    handles.push(responder(
        shared(port),
        12,
        "scanner",
        Duration::from_millis(50),
    ));
    handles.push(responder(
        shared(port),
        13,
        "coffee machine",
        Duration::from_millis(100),
    ));
    let out = run(
        DISCOVER,
        &["--port", &port.to_string(), "--wait-ms", "700"],
        b"",
    );
    for handle in handles {
        assert_eq!(
            handle.join().unwrap(),
            b"who is there?",
            "every responder should have heard the question (stdout: {:?}, stderr: {:?})",
            out.stdout,
            out.stderr
        );
    }
    assert_eq!(out.code(), Some(0), "{out:?}");
    for (host, name) in [(11, "printer"), (12, "scanner"), (13, "coffee machine")] {
        assert!(
            out.stdout.contains(&format!("reply from 127.0.0.{host}:"))
                && out.stdout.contains(&format!(": {name}\n")),
            "{name} answered from 127.0.0.{host}: {:?}",
            out.stdout
        );
    }
    assert!(out.stdout.ends_with("3 responder(s)\n"), "{:?}", out.stdout);
}

#[test]
fn a_late_answer_within_the_wait_counts() {
    let socket = shared(0);
    let port = socket.local_addr().unwrap().port();
    let late = responder(socket, 21, "slow", Duration::from_millis(400));
    let started = Instant::now();
    let out = run(
        DISCOVER,
        &["--port", &port.to_string(), "--wait-ms", "900"],
        b"",
    );
    let took = started.elapsed();
    late.join().unwrap();
    assert!(out.stdout.contains(": slow\n"), "{:?}", out.stdout);
    assert!(out.stdout.ends_with("1 responder(s)\n"), "{:?}", out.stdout);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "--wait-ms 900: the program should listen the whole time, and no longer; it took {took:?}"
    );
}

#[test]
fn nobody_there_is_zero_after_the_wait() {
    let socket = shared(0); // hears the question, never answers
    let port = socket.local_addr().unwrap().port();
    let started = Instant::now();
    let out = run(
        DISCOVER,
        &["--port", &port.to_string(), "--wait-ms", "500"],
        b"",
    );
    assert_eq!(out.stdout, "0 responder(s)\n", "stderr: {:?}", out.stderr);
    assert_eq!(out.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(500));
    let mut buf = [0u8; 64];
    let (n, _) = socket
        .recv_from(&mut buf)
        .expect("the question should have been broadcast to the port");
    assert_eq!(&buf[..n], b"who is there?");
}
