//! Probes to ports on 127.0.0.1 and ::1 that the test holds: some by a socket that takes
//! the probe and says nothing, the others by a socket connected elsewhere, which does not
//! take it, so the kernel answers with ICMP port unreachable, and the error queue of the
//! program's socket gets it.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use testkit::run;

const PROGRAM: &str = env!("CARGO_BIN_EXE_udp_errqueue");

/// `quiet.len()` ports in a row on `ip`, all held here: port `base + i` takes datagrams if
/// `quiet[i]`, and is closed to them otherwise. The first port and the sockets.
fn ports(ip: IpAddr, quiet: &[bool], salt: u16) -> (u16, Vec<UdpSocket>) {
    let elsewhere = SocketAddr::new(ip, 9);
    for attempt in 0..50u16 {
        let base =
            20_000 + (std::process::id() as u16 % 20_000) + salt.wrapping_mul(97) + attempt * 211;
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

fn probe(host: &str, quiet: &[bool], salt: u16) -> (u16, String) {
    let (base, _held) = ports(host.parse().unwrap(), quiet, salt);
    let out = run(
        PROGRAM,
        &[
            "--host",
            host,
            "--port",
            &base.to_string(),
            "--count",
            &quiet.len().to_string(),
            "--wait-ms",
            "300",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    (base, out.stdout)
}

#[test]
fn every_closed_port_answers_with_port_unreachable() {
    let (base, stdout) = probe("127.0.0.1", &[false, false, false], 1);
    let mut expected = String::new();
    for p in base..base + 3 {
        expected += &format!(
            "port {p}: ICMP type 3 code 3 from 127.0.0.1: Connection refused (os error 111)\n"
        );
    }
    expected += "3 probes, 3 errors; no error for: -\n";
    assert_eq!(stdout, expected);
}

#[test]
fn a_port_with_a_listener_causes_no_error() {
    let (base, stdout) = probe("127.0.0.1", &[false, true, false, true], 2);
    let expected = format!(
        "port {}: ICMP type 3 code 3 from 127.0.0.1: Connection refused (os error 111)\n\
         port {}: ICMP type 3 code 3 from 127.0.0.1: Connection refused (os error 111)\n\
         4 probes, 2 errors; no error for: {} {}\n",
        base,
        base + 2,
        base + 1,
        base + 3
    );
    assert_eq!(stdout, expected);
}

#[test]
fn ipv6_answers_with_icmpv6_type_1_code_4() {
    let (base, stdout) = probe("::1", &[true, false], 3);
    let expected = format!(
        "port {}: ICMPv6 type 1 code 4 from ::1: Connection refused (os error 111)\n\
         2 probes, 1 errors; no error for: {base}\n",
        base + 1
    );
    assert_eq!(stdout, expected);
}
