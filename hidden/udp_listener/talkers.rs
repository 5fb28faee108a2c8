//! Hidden: a crowd of IPv4 and IPv6 talkers sending seeded random datagrams to a listener
//! on `::`, bursts that must not merge, a talker that leaves before its reply, and the
//! real `nc -u` as a talker.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use testkit::{Server, noise, require_tool, run};

const LISTENER: &str = env!("CARGO_BIN_EXE_udp_listener");

fn talker(local: &str) -> UdpSocket {
    let socket = UdpSocket::bind(local).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

fn reply_to(talker: &UdpSocket) -> String {
    let mut buf = [0u8; 256];
    let (n, _) = talker
        .recv_from(&mut buf)
        .unwrap_or_else(|e| panic!("{}: no reply: {e}", talker.local_addr().unwrap()));
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// How the listener writes an address: IPv4 senders reach a socket on `::` as mapped.
fn as_seen(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!("[::ffff:{}]:{}", v4.ip(), v4.port()),
        SocketAddr::V6(_) => addr.to_string(),
    }
}

#[test]
fn six_talkers_over_ipv4_and_ipv6_send_random_datagrams() {
    let count = 40;
    let server = Server::start(
        LISTENER,
        &["--host", "::", "--port", "0", "--count", &count.to_string()],
    );
    let port = server.addr.port();
    let talkers: Vec<UdpSocket> = (0..6)
        .map(|i| talker(if i % 2 == 0 { "127.0.0.1:0" } else { "[::1]:0" }))
        .collect();
    let picks = noise(count, 2024);
    let sizes = noise(count * 2, 4048);
    let mut sent: Vec<(usize, usize)> = Vec::new(); // (talker, bytes)
    let mut per_talker = [0usize; 6];
    let mut bytes_of = [0usize; 6];
    let mut first_seen: Vec<usize> = Vec::new();
    for i in 0..count {
        let who = picks[i] as usize % 6;
        let len = match i {
            7 => 0,
            13 => 65_507, // the largest over IPv4 ...
            21 => 65_527, // ... and over IPv6
            _ => ((sizes[2 * i] as usize) << 3) | (sizes[2 * i + 1] as usize % 8),
        };
        // The two largest go from a talker of the right family.
        let who = match i {
            13 => who / 2 * 2,
            21 => who / 2 * 2 + 1,
            _ => who,
        };
        let to: SocketAddr = if who % 2 == 0 {
            ([127, 0, 0, 1], port).into()
        } else {
            SocketAddr::new("::1".parse().unwrap(), port)
        };
        let datagram = noise(len, i as u64);
        talkers[who].send_to(&datagram, to).unwrap();
        per_talker[who] += 1;
        bytes_of[who] += len;
        if !first_seen.contains(&who) {
            first_seen.push(who);
        }
        assert_eq!(
            reply_to(&talkers[who]),
            format!("datagram {} from you, {len} bytes", per_talker[who]),
            "datagram {i} of the run, {len} bytes from talker {who} ({})",
            talkers[who].local_addr().unwrap()
        );
        sent.push((who, len));
    }
    let lines: Vec<String> = std::iter::from_fn(|| server.next_stdout_line()).collect();
    let seen = |who: usize| as_seen(talkers[who].local_addr().unwrap());
    let mut expected: Vec<String> = sent
        .iter()
        .map(|(who, len)| format!("{}: {len} bytes", seen(*who)))
        .collect();
    expected.push(format!("senders: {}", first_seen.len()));
    for who in &first_seen {
        expected.push(format!(
            "{}: {} datagrams, {} bytes",
            seen(*who),
            per_talker[*who],
            bytes_of[*who]
        ));
    }
    assert_eq!(lines, expected);
}

#[test]
fn a_burst_of_datagrams_is_that_many_datagrams() {
    let sizes: Vec<usize> = noise(25, 99).iter().map(|b| *b as usize * 5).collect();
    let server = Server::start(
        LISTENER,
        &["--port", "0", "--count", &sizes.len().to_string()],
    );
    let talker = talker("127.0.0.1:0");
    for (i, len) in sizes.iter().enumerate() {
        talker
            .send_to(&noise(*len, 500 + i as u64), server.addr)
            .unwrap();
    }
    for (i, len) in sizes.iter().enumerate() {
        assert_eq!(
            reply_to(&talker),
            format!("datagram {} from you, {len} bytes", i + 1),
            "{} datagrams sent back to back (sizes {sizes:?})",
            sizes.len()
        );
    }
}

#[test]
fn a_talker_gone_before_its_reply_stops_nobody() {
    let server = Server::start(LISTENER, &["--port", "0", "--count", "4"]);
    for round in 0..2 {
        let gone = UdpSocket::bind("127.0.0.1:0").unwrap();
        gone.send_to(b"bye", server.addr).unwrap();
        drop(gone);
        let stays = talker("127.0.0.1:0");
        stays.send_to(b"still here", server.addr).unwrap();
        assert_eq!(
            reply_to(&stays),
            "datagram 1 from you, 10 bytes",
            "round {round}"
        );
    }
    let lines: Vec<String> = std::iter::from_fn(|| server.next_stdout_line()).collect();
    assert!(lines.contains(&"senders: 4".to_owned()), "{lines:#?}");
}

#[test]
fn the_real_nc_is_a_talker_like_any_other() {
    let nc = require_tool("nc");
    let server = Server::start(LISTENER, &["--port", "0", "--count", "2"]);
    let port = server.addr.port().to_string();
    for (i, len) in [17usize, 230].into_iter().enumerate() {
        let message: Vec<u8> = noise(len, 60 + i as u64)
            .iter()
            .map(|b| b'a' + b % 26)
            .collect();
        let out = run(
            nc.to_str().unwrap(),
            &["-u", "-w1", "127.0.0.1", &port],
            &message,
        );
        assert_eq!(
            out.stdout,
            format!("datagram 1 from you, {len} bytes"),
            "nc -u sent {len} bytes (each nc is a sender of its own); stderr: {}",
            out.stderr
        );
    }
}
