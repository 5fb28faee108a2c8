//! Loopback's own broadcast address, 127.255.255.255: Linux puts a broadcast route for it
//! in the `local` table when 127.0.0.1/8 is added to `lo` (`ip route show table local`),
//! so broadcasting can be tried on one machine, without root. The kernel treats it like
//! any broadcast address: `SO_BROADCAST` or `EACCES`, and delivery to the sockets bound to
//! the wildcard address, not to those bound to one unicast address.

use std::net::UdpSocket;
use std::time::Duration;

use testkit::run;

const BROADCASTER: &str = env!("CARGO_BIN_EXE_broadcaster");

fn receiver(addr: &str) -> UdpSocket {
    let socket = UdpSocket::bind(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    socket
}

#[test]
fn loopback_broadcasts_reach_a_wildcard_socket_and_need_so_broadcast() {
    let wildcard = receiver("0.0.0.0:0");
    let port = wildcard.local_addr().unwrap().port().to_string();
    let out = run(
        BROADCASTER,
        &["--host", "127.255.255.255", "--port", &port, "to everyone"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let mut buf = [0u8; 64];
    let (n, _) = wildcard
        .recv_from(&mut buf)
        .expect("the broadcast should reach a socket bound to 0.0.0.0");
    assert_eq!(&buf[..n], b"to everyone");

    let out = run(
        BROADCASTER,
        &[
            "--host",
            "127.255.255.255",
            "--port",
            &port,
            "--without-so-broadcast",
            "refused",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    assert!(
        wildcard.recv_from(&mut buf).is_err(),
        "nothing is sent without SO_BROADCAST"
    );
}

#[test]
fn a_socket_bound_to_127_0_0_1_does_not_hear_the_loopback_broadcast() {
    let unicast = receiver("127.0.0.1:0");
    let port = unicast.local_addr().unwrap().port().to_string();
    let out = run(
        BROADCASTER,
        &["--host", "127.255.255.255", "--port", &port, "anyone?"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let mut buf = [0u8; 64];
    assert!(
        unicast.recv_from(&mut buf).is_err(),
        "a socket bound to one unicast address receives only datagrams sent to it"
    );
}
