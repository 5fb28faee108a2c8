//! Hidden: seeded random interleavings of typed pieces and datagrams from several peers,
//! activity that keeps postponing the bye, no CPU after the end of input, and nc -u.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Running, noise, proc_stat, require_tool, run};

const WATCH: &str = env!("CARGO_BIN_EXE_poll_watch");

fn start(idle_ms: &str) -> (Running, SocketAddr) {
    let program = Running::start(WATCH, &["--port", "0", "--idle-ms", idle_ms]);
    let first = program.next_line().expect("the listening line");
    let addr = first
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("expected `listening on ADDR`, got {first:?}"));
    (program, addr)
}

fn word(len: usize, seed: u64) -> String {
    noise(len, seed)
        .iter()
        .map(|b| {
            if b % 7 == 0 {
                ' '
            } else {
                char::from(b'a' + b % 26)
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
        + "x"
}

#[test]
fn a_random_interleaving_of_typed_pieces_and_datagrams() {
    let (mut program, addr) = start("5000");
    let peers: Vec<UdpSocket> = (0..3)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let picks = noise(30, 2718);
    for (i, pick) in picks.iter().enumerate() {
        let text = word(3 + *pick as usize % 40, 100 + i as u64);
        if pick % 2 == 0 {
            // A line typed in up to three pieces.
            let bytes = format!("{text}\n").into_bytes();
            let cut1 = (*pick as usize / 2) % bytes.len();
            let cut2 = cut1.max((*pick as usize / 3) % bytes.len());
            for piece in [&bytes[..cut1], &bytes[cut1..cut2], &bytes[cut2..]] {
                if !piece.is_empty() {
                    program.type_in(piece);
                    thread::sleep(Duration::from_millis(5));
                }
            }
            assert_eq!(
                program.next_line(),
                Some(format!("stdin: {text}")),
                "event {i}: a line typed in pieces"
            );
        } else {
            let peer = &peers[*pick as usize % 3];
            peer.send_to(text.as_bytes(), addr).unwrap();
            assert_eq!(
                program.next_line(),
                Some(format!("udp from {}: {text}", peer.local_addr().unwrap())),
                "event {i}: a datagram"
            );
        }
    }
}

#[test]
fn activity_keeps_postponing_the_bye() {
    let (mut program, addr) = start("1000");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let me = peer.local_addr().unwrap();
    // For 2 s, something every 250 ms: never a quiet spell of 1 s, even when a loaded
    // machine wakes this test up late.
    let mut last_sent = Instant::now();
    for i in 0..8 {
        thread::sleep(Duration::from_millis(250));
        // The program sees the event after this moment: its quiet spell starts later.
        last_sent = Instant::now();
        if i % 2 == 0 {
            peer.send_to(format!("tick {i}").as_bytes(), addr).unwrap();
            assert_eq!(
                program.next_line(),
                Some(format!("udp from {me}: tick {i}"))
            );
        } else {
            program.type_in(format!("tock {i}\n").as_bytes());
            assert_eq!(program.next_line(), Some(format!("stdin: tock {i}")));
        }
    }
    assert_eq!(
        program.next_line().as_deref(),
        Some("nothing for 1000 ms: bye")
    );
    // At least 1 s after the last event was sent, whatever the machine's load; a program
    // that forgot the last event (a line, 250 ms after the datagram before it) says bye
    // about 750 ms after it. 50 ms spare for rounding.
    let waited = last_sent.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "the bye came {waited:?} after the last event: the idle time counts from the last \
         thing that happened"
    );
}

#[test]
fn after_the_end_of_input_waiting_costs_no_cpu() {
    let (mut program, addr) = start("1500");
    program.close_stdin();
    assert_eq!(program.next_line().as_deref(), Some("stdin closed"));
    let before = proc_stat(program.pid()).map(|s| s.cpu_ticks).unwrap_or(0);
    thread::sleep(Duration::from_millis(1000));
    let used = proc_stat(program.pid()).map(|s| s.cpu_ticks).unwrap_or(0) - before;
    assert!(
        used < 10,
        "after the end of input the program used {used} ticks of CPU in 1 s (a tick is \
         usually 10 ms): is standard input still in the pollfd array, reporting POLLHUP?"
    );
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"still listening", addr).unwrap();
    assert_eq!(
        program.next_line(),
        Some(format!(
            "udp from {}: still listening",
            peer.local_addr().unwrap()
        ))
    );
    let deadline = Instant::now() + PATIENCE;
    assert_eq!(
        program.next_line().as_deref(),
        Some("nothing for 1500 ms: bye")
    );
    assert!(Instant::now() < deadline);
}

#[test]
fn nc_as_a_datagram_sender() {
    let nc = require_tool("nc");
    let (program, addr) = start("5000");
    for i in 0..3u64 {
        let text = word(12, 900 + i);
        let out = run(
            nc.to_str().unwrap(),
            &["-u", "-w1", "127.0.0.1", &addr.port().to_string()],
            text.as_bytes(),
        );
        assert_eq!(out.code(), Some(0), "{out:?}");
        let line = program.next_line().unwrap_or_default();
        assert!(
            line.starts_with("udp from 127.0.0.1:") && line.ends_with(&format!(": {text}")),
            "nc sent {text:?}; the program printed {line:?}"
        );
    }
}
