//! The listener against datagrams sent here with chosen TTLs, and the sender against a
//! Python receiver that reads the TTL with `recvmsg`, on 127.0.0.1 and ::1. On loopback no
//! router takes anything off: a datagram arrives with the TTL it left with.

use std::net::{SocketAddr, UdpSocket};

use socket2::{Domain, Socket, Type};
use testkit::{Running, require_tool, run};

const UDP_TTL: &str = env!("CARGO_BIN_EXE_udp_ttl");

/// Starts `udp_ttl listen` on `host` for `count` datagrams; its address.
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

/// Sends `payload` to `to` from a socket whose TTL (hop limit) is `ttl`; the sender's
/// address.
fn send_with_ttl(to: SocketAddr, ttl: u32, payload: &[u8]) -> SocketAddr {
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
    let socket: UdpSocket = socket.into();
    socket.send_to(payload, to).unwrap();
    socket.local_addr().unwrap()
}

fn ttls_are_printed(host: &str) {
    let ttls = [1, 64, 255, 7];
    let (mut program, addr) = listener(host, ttls.len());
    for (i, ttl) in ttls.iter().enumerate() {
        let from = send_with_ttl(addr, *ttl, format!("datagram {i}").as_bytes());
        let line = program.next_line();
        assert_eq!(
            line.as_deref(),
            Some(format!("from {from}: 10 bytes, ttl {ttl}: datagram {i}").as_str()),
            "stderr: {}",
            program.stderr_so_far()
        );
    }
    assert!(
        program.wait_for_exit().success(),
        "{}",
        program.stderr_so_far()
    );
}

#[test]
fn each_datagram_is_printed_with_the_ttl_it_was_sent_with() {
    ttls_are_printed("127.0.0.1");
}

#[test]
fn ipv6_hop_limits_are_printed_too() {
    ttls_are_printed("::1");
}

/// A receiver in Python: it turns IP_RECVTTL (12) or IPV6_RECVHOPLIMIT (51) on, prints its
/// port, then `ttl T: TEXT` for one datagram from `recvmsg`'s control data.
const PYTHON_RECEIVER: &str = r#"
import socket, sys
v6 = sys.argv[1] == "::1"
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, 51, 1)
else:
    s.setsockopt(socket.IPPROTO_IP, 12, 1)
print(s.getsockname()[1], flush=True)
s.settimeout(10)
data, control, flags, sender = s.recvmsg(65536, socket.CMSG_SPACE(4))
for level, kind, value in control:
    print("ttl %d: %s" % (int.from_bytes(value[:4], sys.byteorder), data.decode()), flush=True)
"#;

fn python_sees_the_ttl(host: &str, ttl: u8) {
    let python = require_tool("python3");
    let mut command = std::process::Command::new(python);
    command.args(["-c", PYTHON_RECEIVER, host]);
    let mut receiver = Running::spawn(command);
    let port = receiver.next_line().expect("the receiver's port");
    let out = run(
        UDP_TTL,
        &[
            "send",
            "--host",
            host,
            "--port",
            &port,
            "--ttl",
            &ttl.to_string(),
            "hi there",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        receiver.next_line().as_deref(),
        Some(format!("ttl {ttl}: hi there").as_str()),
        "what Python received; its stderr: {}",
        receiver.stderr_so_far()
    );
    assert!(receiver.wait_for_exit().success());
}

#[test]
fn the_sender_sets_the_ttl_a_python_receiver_sees() {
    python_sees_the_ttl("127.0.0.1", 9);
    python_sees_the_ttl("::1", 200);
}
