//! What the UDP chapter (and the pinger's, in Part 5) says the kernel does, shown on
//! loopback. The chapters name these tests after each claim: `(tested: `book_claims::…`)`.

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

/// How long a receive waits for an answer that a test expects never to come.
const SILENCE: Duration = Duration::from_millis(300);

fn loopback_socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on loopback");
    socket.set_read_timeout(Some(SILENCE)).unwrap();
    socket
}

/// A datagram to a closed port draws an ICMP "port unreachable" from the kernel. Linux
/// reports it to an unconnected socket not at all: the receive just times out. Connect
/// the same socket to the same port, and the same answer becomes ECONNREFUSED. (udp(7),
/// "ERROR HANDLING": "all fatal errors will be passed to the user as an error return
/// even when the socket is not connected" only with IP_RECVERR.)
#[test]
fn only_a_connected_udp_socket_hears_that_nobody_listens() {
    let closed = format!("127.0.0.1:{}", testkit::closed_udp_port());
    let socket = loopback_socket();
    let mut buf = [0u8; 64];

    // Unconnected, as UDPClient.py: sendto, then recvfrom.
    socket.send_to(b"anyone?", &closed).expect("sendto");
    let err = socket.recv_from(&mut buf).expect_err("nobody can answer");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "an unconnected socket got {err:?} instead of a timeout"
    );
    assert!(
        socket.take_error().unwrap().is_none(),
        "no error is pending"
    );

    // The same socket, connected: the ICMP answer comes back as ECONNREFUSED.
    socket.connect(&closed).expect("connect");
    socket.send(b"anyone?").expect("send");
    let err = socket.recv(&mut buf).expect_err("nobody can answer");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
}

/// The exception: an unconnected socket with IP_RECVERR set is told too (ip(7)).
#[test]
fn an_unconnected_udp_socket_hears_of_it_with_ip_recverr() {
    let closed = format!("127.0.0.1:{}", testkit::closed_udp_port());
    let socket = loopback_socket();
    let on: libc::c_int = 1;
    // SAFETY: a valid socket, option and int-sized value.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(IP_RECVERR)");
    socket.send_to(b"anyone?", &closed).expect("sendto");
    let err = socket
        .recv_from(&mut [0u8; 64])
        .expect_err("nobody can answer");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
}

/// The UDP counters of this network namespace, as `nstat`/`netstat -su` read them.
fn udp_counter(name: &str) -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").expect("read /proc/net/snmp");
    let mut udp = snmp.lines().filter(|line| line.starts_with("Udp: "));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        panic!("no Udp lines in /proc/net/snmp");
    };
    let at = names
        .split_whitespace()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no Udp counter {name}"));
    values.split_whitespace().nth(at).unwrap().parse().unwrap()
}

/// Loopback loses no datagram on the way, but a receiver whose buffer is full loses the
/// ones that do not fit, exactly as across a network; the kernel counts them as
/// "receive buffer errors" (`netstat -su`, or `nstat -a UdpRcvbufErrors`).
#[test]
fn loopback_drops_datagrams_when_the_receive_buffer_is_full() {
    let receiver = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    // A small buffer (the kernel doubles what it is asked for, see socket(7)).
    receiver.set_recv_buffer_size(4096).unwrap();
    receiver
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    let receiver: UdpSocket = receiver.into();
    receiver.set_read_timeout(Some(SILENCE)).unwrap();
    let to = receiver.local_addr().unwrap();

    let before = udp_counter("RcvbufErrors");
    let sender = loopback_socket();
    let sent = 100;
    for seq in 0..sent {
        let datagram = [seq as u8; 1000];
        assert_eq!(sender.send_to(&datagram, to).expect("sendto"), 1000);
    }
    // Nobody read while they arrived; now count what the buffer kept.
    let mut received = 0;
    let mut buf = [0u8; 2000];
    while received < sent && receiver.recv_from(&mut buf).is_ok() {
        received += 1;
    }
    let dropped = udp_counter("RcvbufErrors") - before;
    assert!(
        0 < received && received < sent,
        "{received} of {sent} datagrams arrived; a full buffer should have dropped some"
    );
    // Other tests may add drops of their own, never take any away.
    assert!(
        dropped >= sent - received,
        "{} datagrams were lost but RcvbufErrors grew by only {dropped}",
        sent - received
    );
}
