//! Hidden: the tiny netcat against the real nc (netcat-openbsd) in both roles with random
//! text, a peer that finishes first while input is still to come, and a reset.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use testkit::probe::Rng;
use testkit::{PATIENCE, Running, require_tool};

const NETCAT: &str = env!("CARGO_BIN_EXE_tiny_netcat");

/// Random lines of text: `count` lines of words.
fn text(rng: &mut Rng, count: usize) -> String {
    let mut out = String::new();
    for _ in 0..count {
        let words: Vec<String> = (0..rng.range(1, 12)).map(|_| rng.word(1, 9)).collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

/// The port in nc's `Listening on 127.0.0.1 PORT` or our `listening on 127.0.0.1:PORT`.
fn listening_port(line: &str) -> String {
    line.rsplit([':', ' ']).next().unwrap().to_owned()
}

/// Everything a child writes to `source`, collected by a thread.
fn collect(mut source: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = source.read_to_end(&mut all);
        let _ = send.send(all);
    });
    receive
}

#[test]
fn nc_finishes_first_and_our_input_still_reaches_it() {
    // `nc -N -l` sends its banner, and its FIN at once (its stdin is already over); it
    // quits when our FIN comes. What we type after its FIN must still reach it.
    let nc = require_tool("nc");
    for seed in [1, 2] {
        let mut rng = Rng::new(seed);
        let banner = {
            let n = rng.range(1, 4);
            text(&mut rng, n)
        };
        let late = {
            let n = rng.range(2, 6);
            text(&mut rng, n)
        };
        let mut peer = Command::new(&nc)
            .args(["-v", "-N", "-l", "127.0.0.1", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        peer.stdin
            .take()
            .unwrap()
            .write_all(banner.as_bytes())
            .unwrap();
        let heard = collect(peer.stdout.take().unwrap());
        let mut stderr = peer.stderr.take().unwrap();
        let mut said = Vec::new();
        let mut byte = [0u8];
        while stderr.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            said.push(byte[0]);
        }
        let port = listening_port(&String::from_utf8_lossy(&said));

        let mut ours = Running::start(NETCAT, &["-N", "127.0.0.1", &port]);
        for line in banner.lines() {
            assert_eq!(ours.next_line().as_deref(), Some(line), "nc's banner");
        }
        // nc has finished sending; now we type (the pause lets its FIN land first: the
        // case where a netcat that stops at the peer's FIN loses what comes next).
        thread::sleep(Duration::from_millis(100));
        ours.type_in(late.as_bytes());
        ours.close_stdin();
        let status = ours.wait_for_exit();
        let got = heard.recv_timeout(PATIENCE).unwrap_or_default();
        let _ = peer.kill();
        let _ = peer.wait();
        assert_eq!(
            String::from_utf8_lossy(&got),
            late,
            "seed {seed}: left: what nc received after its own FIN; right: what was typed"
        );
        assert!(status.success(), "seed {seed}: {status:?}");
    }
}

#[test]
fn we_listen_nc_connects_and_large_random_text_crosses_both_ways() {
    let nc = require_tool("nc");
    let mut rng = Rng::new(77);
    let to_nc = {
        let n = rng.range(5000, 20000);
        text(&mut rng, n)
    };
    let from_nc = {
        let n = rng.range(5000, 20000);
        text(&mut rng, n)
    };

    let mut ours = Running::start(NETCAT, &["-l", "-N", "127.0.0.1", "0"]);
    let line = ours
        .next_stderr_line()
        .expect("listening on ADDR on stderr");
    let port = listening_port(&line);
    let mut peer = Command::new(&nc)
        .args(["-N", "127.0.0.1", &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let heard = collect(peer.stdout.take().unwrap());
    let mut peer_stdin = peer.stdin.take().unwrap();
    let input = from_nc.clone();
    thread::spawn(move || {
        let _ = peer_stdin.write_all(input.as_bytes());
    });
    ours.type_in(to_nc.as_bytes());
    ours.close_stdin();
    let status = ours.wait_for_exit();
    let ours_got = ours.remaining_lines();
    let nc_got = heard.recv_timeout(PATIENCE).unwrap_or_default();
    let _ = peer.kill();
    let _ = peer.wait();
    let ours_text: String = ours_got.iter().map(|l| format!("{l}\n")).collect();
    assert!(
        ours_text == from_nc,
        "our stdout has {} bytes, nc sent {}",
        ours_text.len(),
        from_nc.len()
    );
    assert!(
        nc_got == to_nc.as_bytes(),
        "nc received {} bytes, we were given {}",
        nc_got.len(),
        to_nc.len()
    );
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_reset_ends_it_at_once_even_with_input_still_open() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut ours = Running::start(NETCAT, &["127.0.0.1", &port]);
    let (conn, _) = listener.accept().unwrap();
    // SO_LINGER with a zero time: close() sends a reset, not a FIN.
    socket2::SockRef::from(&conn)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(conn);
    // Our stdin stays open: the program must not wait for it.
    let status = ours.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(1),
        "a reset should end the program with status 1 (and one line on stderr)"
    );
    let stderr = ours.stderr_so_far();
    assert!(
        stderr.lines().count() == 1 && !stderr.contains("panicked"),
        "expected one error line on stderr, got {stderr:?}"
    );
}
