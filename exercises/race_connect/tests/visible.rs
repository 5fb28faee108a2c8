//! The race against servers that live in the test: one that answers, ports where nothing
//! listens, and listeners whose queue is full, which drop every new SYN (silent).

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use testkit::{PATIENCE, closed_port, run, tcp_sockets};

const RACE: &str = env!("CARGO_BIN_EXE_race_connect");

/// A listener that answers: accepts one client, waits `pause`, sends `words`, closes.
fn answering(words: &'static str, pause: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            thread::sleep(pause);
            let _ = conn.write_all(words.as_bytes());
        }
    });
    addr
}

/// A listener that never answers: its accept queue is full (a backlog of 1 holds two
/// connections, which nobody accepts), so the kernel drops every new SYN.
struct Silent {
    addr: SocketAddr,
    _listener: Socket,
    _queued: Vec<TcpStream>,
}

fn silent() -> Silent {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    listener.listen(1).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let queued = (0..2)
        .map(|_| TcpStream::connect_timeout(&addr, PATIENCE).unwrap())
        .collect();
    let deadline = Instant::now() + PATIENCE;
    while !tcp_sockets()
        .iter()
        .any(|s| std::net::SocketAddr::V4(s.local) == addr && s.state == 10 && s.rx_queue == 2)
    {
        assert!(Instant::now() < deadline, "the accept queue never filled");
        thread::sleep(Duration::from_millis(5));
    }
    Silent {
        addr,
        _listener: listener,
        _queued: queued,
    }
}

fn closed() -> SocketAddr {
    ([127, 0, 0, 1], closed_port()).into()
}

#[test]
fn what_the_winner_sends_after_a_pause_is_read_whole() {
    let good = answering("hello from the winner\n", Duration::from_millis(300));
    let out = run(RACE, &[&good.to_string()], b"");
    assert_eq!(
        out.stdout, "hello from the winner\n",
        "the server sends 300 ms after the connection is made: a socket left non-blocking \
         reads nothing (stderr: {:?})",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("connected to {good}")),
        "{}",
        out.stderr
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
}

#[test]
fn refused_and_silent_addresses_do_not_hold_up_the_one_that_answers() {
    let refused = closed();
    let silent = silent();
    let good = answering("made it\n", Duration::ZERO);
    let started = Instant::now();
    let out = run(
        RACE,
        &[
            "--timeout",
            "5",
            &refused.to_string(),
            &silent.addr.to_string(),
            &good.to_string(),
        ],
        b"",
    );
    let took = started.elapsed();
    assert_eq!(out.stdout, "made it\n", "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&format!("connected to {good}")),
        "{}",
        out.stderr
    );
    assert!(
        took < Duration::from_secs(2),
        "the third address answers at once, but the race took {took:?}: were the \
         addresses tried one after another?"
    );
}

#[test]
fn nobody_answering_is_one_line_after_the_timeout() {
    let first = silent();
    let second = silent();
    let started = Instant::now();
    let out = run(
        RACE,
        &[
            "--timeout",
            "0.5",
            &first.addr.to_string(),
            &second.addr.to_string(),
        ],
        b"",
    );
    let took = started.elapsed();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "race_connect: nobody answered within 0.5 s (2 address(es) still trying)\n"
    );
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(2500),
        "--timeout 0.5, but the race took {took:?}"
    );
}

#[test]
fn every_address_refused_is_reported_at_once() {
    let (a, b) = (closed(), closed());
    let started = Instant::now();
    let out = run(
        RACE,
        &["--timeout", "8", &a.to_string(), &b.to_string()],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.contains(&format!("{a}: Connection refused"))
            && out.stderr.contains(&format!("{b}: Connection refused"))
            && out
                .stderr
                .ends_with("race_connect: none of the 2 address(es) accepted a connection\n"),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}
