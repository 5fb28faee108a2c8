//! Hidden: random lists of loopback addresses (127.0.0.N and ::1) on one port, each one
//! refusing, silent, answering in time, or answering too late; the judge works out what
//! the client must print for each and where it must stop.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::thread;
use std::time::Duration;

use testkit::run;

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_fallback");

/// The seed of this test's random inputs: fixed, so that every grading of a submission
/// draws the same ones (as the other hidden tests do); `SEED=N` tries others, and every
/// failure names the seed it used.
fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6661_6c6c)
}

/// SplitMix64: the next number from `state`.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Refusing,
    Silent,
    /// Answers after this many milliseconds.
    Answering(u64),
}

/// Long enough that an answer within 100 ms is in time, and one after 600 ms late, on a
/// loaded machine too.
const TIMEOUT_MS: u64 = 400;

/// Binds every address in `ips` on one port (retrying with other ports if one is taken);
/// the port and the sockets.
fn bind_all(ips: &[IpAddr]) -> (u16, Vec<UdpSocket>) {
    for _ in 0..20 {
        let first = UdpSocket::bind((ips[0], 0)).unwrap();
        let port = first.local_addr().unwrap().port();
        let mut sockets = vec![first];
        for ip in &ips[1..] {
            match UdpSocket::bind((*ip, port)) {
                Ok(s) => sockets.push(s),
                Err(_) => break,
            }
        }
        if sockets.len() == ips.len() {
            return (port, sockets);
        }
    }
    panic!("no port free on all of {ips:?}");
}

fn one_run(seed: u64, state: &mut u64) {
    // Distinct addresses: ::1 and a few of 127.0.0.0/8.
    let mut ips: Vec<IpAddr> = Vec::new();
    let count = 2 + next(state) as usize % 5;
    while ips.len() < count {
        let ip: IpAddr = if next(state).is_multiple_of(4) {
            "::1".parse().unwrap()
        } else {
            IpAddr::from([127, 0, 0, 1 + (next(state) % 200) as u8])
        };
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    let kinds: Vec<Kind> = ips
        .iter()
        .map(|_| match next(state) % 4 {
            0 => Kind::Refusing,
            1 => Kind::Silent,
            2 => Kind::Answering(next(state) % 100),
            _ => Kind::Answering(TIMEOUT_MS + 200 + next(state) % 100), // too late
        })
        .collect();
    let (port, sockets) = bind_all(&ips);
    for (socket, kind) in sockets.into_iter().zip(&kinds) {
        match *kind {
            Kind::Refusing => drop(socket),
            Kind::Silent => {
                thread::spawn(move || {
                    thread::sleep(Duration::from_secs(8));
                    drop(socket);
                });
            }
            Kind::Answering(ms) => {
                socket
                    .set_read_timeout(Some(Duration::from_secs(8)))
                    .unwrap();
                thread::spawn(move || {
                    let mut buf = [0u8; 2048];
                    if let Ok((n, from)) = socket.recv_from(&mut buf) {
                        thread::sleep(Duration::from_millis(ms));
                        let mut reply = b"echo: ".to_vec();
                        reply.extend_from_slice(&buf[..n]);
                        let _ = socket.send_to(&reply, from);
                    }
                });
            }
        }
    }
    // What the client must print: each address until the first that answers in time.
    let mut expected = String::new();
    let mut answered = false;
    let message = format!("message {}", next(state) % 10_000);
    for (ip, kind) in ips.iter().zip(&kinds) {
        let addr = SocketAddr::new(*ip, port);
        match kind {
            Kind::Refusing => expected += &format!("{addr}: refused (nothing listens there)\n"),
            Kind::Answering(ms) if *ms < TIMEOUT_MS => {
                expected += &format!("{addr}: answered: echo: {message}\n");
                answered = true;
                break;
            }
            _ => expected += &format!("{addr}: no answer within {TIMEOUT_MS} ms\n"),
        }
    }
    let mut args = Vec::new();
    for ip in &ips {
        args.push("--host".to_owned());
        args.push(ip.to_string());
    }
    args.extend([
        "--port".into(),
        port.to_string(),
        "--timeout-ms".into(),
        TIMEOUT_MS.to_string(),
        message,
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(CLIENT, &args, b"");
    assert_eq!(
        out.stdout, expected,
        "seed {seed}: addresses {ips:?} behaving as {kinds:?}; stderr: {}",
        out.stderr
    );
    assert_eq!(
        out.code(),
        Some(if answered { 0 } else { 1 }),
        "seed {seed}: {}",
        out.stderr
    );
}

#[test]
fn random_addresses_that_refuse_keep_quiet_answer_or_answer_late() {
    let seed = seed();
    let mut state = seed;
    for _ in 0..5 {
        one_run(seed, &mut state);
    }
}
