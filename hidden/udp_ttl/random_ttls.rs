//! Hidden: random TTLs and payloads (binary, empty, large) on both families, datagrams
//! cut by no one; and the sender's TTL read back here with `recvmsg`, for random TTLs.

use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::{Domain, Socket, Type};
use testkit::{Running, noise, run};

const UDP_TTL: &str = env!("CARGO_BIN_EXE_udp_ttl");

/// The seed of this test's random inputs: fixed, so that every grading of a submission
/// draws the same ones (as the other hidden tests do); `SEED=N` tries others, and every
/// failure names the seed it used.
fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7474_6c73)
}

/// SplitMix64: the next number from `state`.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn listener(host: &str, count: usize) -> (Running, SocketAddr) {
    let program = Running::start(
        UDP_TTL,
        &[
            "listen",
            "--host",
            host,
            "--port",
            "0",
            "--count",
            &count.to_string(),
        ],
    );
    let line = program.next_line().expect("a readiness line");
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("not a readiness line: {line}"))
        .parse()
        .unwrap();
    (program, addr)
}

fn sender(to: SocketAddr, ttl: u32) -> UdpSocket {
    let socket = Socket::new(Domain::for_address(to), Type::DGRAM, None).unwrap();
    if to.is_ipv6() {
        socket
            .bind(&"[::1]:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        socket.set_unicast_hops_v6(ttl).unwrap();
    } else {
        socket
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        socket.set_ttl_v4(ttl).unwrap();
    }
    socket.into()
}

fn random_ttls(host: &str) {
    let seed = seed();
    let mut state = seed;
    let count = 5 + next(&mut state) as usize % 20;
    let (mut program, addr) = listener(host, count);
    for i in 0..count {
        let ttl = 1 + (next(&mut state) % 255) as u32;
        let len = match next(&mut state) % 4 {
            0 => 0,
            1 => 1 + next(&mut state) as usize % 20,
            2 => 100 + next(&mut state) as usize % 1400,
            _ => 9000 + next(&mut state) as usize % 50_000,
        };
        let payload = noise(len, next(&mut state));
        let socket = sender(addr, ttl);
        socket.send_to(&payload, addr).unwrap();
        let from = socket.local_addr().unwrap();
        let line = program.next_line().unwrap_or_default();
        let expected = format!("from {from}: {len} bytes, ttl {ttl}: ");
        assert!(
            line.starts_with(&expected),
            "seed {seed}, datagram {i} ({len} bytes, ttl {ttl}): expected a line starting \
             `{expected}`, got `{line}`; stderr: {}",
            program.stderr_so_far()
        );
    }
    assert!(
        program.wait_for_exit().success(),
        "seed {seed}: {}",
        program.stderr_so_far()
    );
}

#[test]
fn random_ttls_and_payloads_on_ipv4() {
    random_ttls("127.0.0.1");
}

#[test]
fn random_hop_limits_and_payloads_on_ipv6() {
    random_ttls("::1");
}

/// Receives one datagram on `socket` (with the TTL reports on): its text and TTL.
fn receive(socket: &UdpSocket) -> (String, Option<i32>) {
    let mut buf = [0u8; 2048];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut control = nix::cmsg_space!(libc::c_int);
    let msg = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::empty(),
    )
    .expect("recvmsg");
    let ttl = msg.cmsgs().unwrap().find_map(|c| match c {
        ControlMessageOwned::Ipv4Ttl(t) | ControlMessageOwned::Ipv6HopLimit(t) => Some(t),
        _ => None,
    });
    let n = msg.bytes;
    (String::from_utf8_lossy(&buf[..n]).into_owned(), ttl)
}

#[test]
fn the_sender_uses_random_ttls_on_both_families() {
    let seed = seed();
    let mut state = seed;
    for host in ["127.0.0.1", "::1", "127.0.0.1", "::1"] {
        let socket = UdpSocket::bind((host, 0)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        if host == "::1" {
            setsockopt(&socket, sockopt::Ipv6RecvHopLimit, &true).unwrap();
        } else {
            setsockopt(&socket, sockopt::Ipv4RecvTtl, &true).unwrap();
        }
        let port = socket.local_addr().unwrap().port();
        let ttl = 1 + next(&mut state) % 255;
        let message = format!("probe {}", next(&mut state) % 1000);
        let out = run(
            UDP_TTL,
            &[
                "send",
                "--host",
                host,
                "--port",
                &port.to_string(),
                "--ttl",
                &ttl.to_string(),
                &message,
            ],
            b"",
        );
        assert!(out.status.success(), "seed {seed}: {}", out.stderr);
        assert_eq!(
            receive(&socket),
            (message, Some(ttl as i32)),
            "seed {seed}: sent to {host} with --ttl {ttl}"
        );
    }
}
