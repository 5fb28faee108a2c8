//! Hidden: random numbers of probes over random mixes of listening and closed ports, on
//! 127.0.0.1, other addresses of 127.0.0.0/8 and ::1; the judge writes the expected report.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use testkit::run;

const PROGRAM: &str = env!("CARGO_BIN_EXE_udp_errqueue");

/// The seed of this test's random inputs: fixed, so that every grading of a submission
/// draws the same ones (as the other hidden tests do); `SEED=N` tries others, and every
/// failure names the seed it used.
fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6572_7271)
}

/// SplitMix64: the next number from `state`.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn ports(ip: IpAddr, quiet: &[bool], state: &mut u64) -> (u16, Vec<UdpSocket>) {
    let elsewhere = SocketAddr::new(ip, 9);
    for _ in 0..50 {
        let base = 10_000 + (next(state) % 50_000) as u16;
        let mut held = Vec::new();
        for (i, &q) in quiet.iter().enumerate() {
            let Ok(socket) = UdpSocket::bind(SocketAddr::new(ip, base + i as u16)) else {
                break;
            };
            if !q {
                socket.connect(elsewhere).unwrap();
            }
            held.push(socket);
        }
        if held.len() == quiet.len() {
            return (base, held);
        }
    }
    panic!("no {} free ports in a row on {ip}", quiet.len());
}

#[test]
fn random_mixes_of_listening_and_closed_ports() {
    let seed = seed();
    let mut state = seed;
    for _ in 0..6 {
        let ip: IpAddr = match next(&mut state) % 3 {
            0 => "::1".parse().unwrap(),
            1 => "127.0.0.1".parse().unwrap(),
            _ => IpAddr::from([127, 0, 0, 2 + (next(&mut state) % 250) as u8]),
        };
        let count = 1 + next(&mut state) as usize % 12;
        let quiet: Vec<bool> = (0..count)
            .map(|_| next(&mut state).is_multiple_of(3))
            .collect();
        let (base, _held) = ports(ip, &quiet, &mut state);
        let (origin, kind, code) = if ip.is_ipv6() {
            ("ICMPv6", 1, 4)
        } else {
            ("ICMP", 3, 3)
        };
        let mut expected = String::new();
        let mut silent = Vec::new();
        for (i, q) in quiet.iter().enumerate() {
            let port = base + i as u16;
            if *q {
                silent.push(port.to_string());
            } else {
                expected += &format!(
                    "port {port}: {origin} type {kind} code {code} from {ip}: Connection refused (os error 111)\n"
                );
            }
        }
        expected += &format!(
            "{count} probes, {} errors; no error for: {}\n",
            count - silent.len(),
            if silent.is_empty() {
                "-".to_owned()
            } else {
                silent.join(" ")
            }
        );
        let out = run(
            PROGRAM,
            &[
                "--host",
                &ip.to_string(),
                "--port",
                &base.to_string(),
                "--count",
                &count.to_string(),
                "--wait-ms",
                "400",
            ],
            b"",
        );
        assert!(out.status.success(), "seed {seed}: {}", out.stderr);
        assert_eq!(
            out.stdout, expected,
            "seed {seed}: {count} probes to {ip} from port {base}, quiet {quiet:?}"
        );
    }
}
