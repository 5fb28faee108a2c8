//! What the many-clients chapter says about a client whose SYN is dropped because the
//! server's accept queue is full: when its kernel sends the SYN again. The chapter names
//! this test after the claim: `(tested: `book_claims::…`)`.

use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use testkit::{PATIENCE, tcp_sockets};

/// `net.ipv4.tcp_syn_linear_timeouts` (Linux 6.5 and later; 0 before, which is what the
/// old exponential schedule amounts to).
fn syn_linear_timeouts() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_syn_linear_timeouts")
        .map(|text| text.trim().parse().expect("a number"))
        .unwrap_or(0)
}

/// When the kernel should resend a dropped SYN, in seconds after the first was sent: it
/// waits the initial RTO (1 s), `linear + 1` times, then doubles the wait each time
/// (ip-sysctl.rst: "1, 1, 1, 1, 1, 2, 4, ..." for 4 linear timeouts; 1, 2, 4, ... for 0).
fn expected_retries(linear: u32, up_to: f64) -> Vec<f64> {
    let mut times = Vec::new();
    let (mut at, mut wait) = (0.0, 1.0);
    for retry in 0.. {
        if retry > linear {
            wait *= 2.0;
        }
        at += wait;
        if at > up_to {
            break;
        }
        times.push(at);
    }
    times
}

#[test]
fn the_schedule_is_one_second_then_doubling_after_the_linear_ones() {
    assert_eq!(expected_retries(0, 8.0), [1.0, 3.0, 7.0]);
    assert_eq!(expected_retries(4, 8.0), [1.0, 2.0, 3.0, 4.0, 5.0, 7.0]);
}

/// The kernel's count of retransmissions on `socket` (TCP_INFO's tcpi_total_retrans,
/// which `ss -ti` shows as `retrans:`), and its state (2 is SYN_SENT).
fn retransmissions(socket: &Socket) -> (u32, u8) {
    // SAFETY: getsockopt writes at most `len` bytes into the zeroed tcp_info.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
        let rc = libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        assert_eq!(rc, 0, "getsockopt(TCP_INFO)");
        (info.tcpi_total_retrans, info.tcpi_state)
    }
}

/// A listener whose accept queue is full drops new SYNs (the LISTEN line of `ss -lnt`
/// shows Recv-Q above Send-Q, and `nstat TcpExtListenDrops` counts them), and the client's
/// kernel sends its SYN again on the schedule above: on this test's kernel, what
/// tcp_syn_linear_timeouts says. No root needed: a listener nobody accepts from drops SYNs
/// on loopback as any other would.
#[test]
fn a_dropped_syn_is_sent_again_after_1_s_then_on_the_kernels_schedule() {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    // A backlog of 1 holds two connections (Linux drops a SYN once the queue holds more
    // than the backlog); nobody ever accepts them.
    listener.listen(1).unwrap();
    let server: SocketAddrV4 = listener.local_addr().unwrap().as_socket_ipv4().unwrap();
    let queued: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect_timeout(&server.into(), PATIENCE).expect("connect"))
        .collect();
    let deadline = Instant::now() + PATIENCE;
    while !tcp_sockets()
        .iter()
        .any(|s| s.local == server && s.state == 10 && s.rx_queue == 2)
    {
        assert!(Instant::now() < deadline, "the accept queue never filled");
        thread::sleep(Duration::from_millis(5));
    }

    let linear = syn_linear_timeouts();
    let expected = expected_retries(linear, 8.0);
    let client = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    client.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let _ = client.connect(&SocketAddr::from(server).into()); // EINPROGRESS
    let mut seen = Vec::new();
    let mut count = 0;
    while seen.len() < expected.len() && start.elapsed() < Duration::from_secs(15) {
        let (total, state) = retransmissions(&client);
        assert_eq!(
            state, 2,
            "the client left SYN_SENT: its SYN was not dropped"
        );
        if total > count {
            count = total;
            seen.push(start.elapsed().as_secs_f64());
        }
        thread::sleep(Duration::from_millis(10));
    }
    drop(queued);
    // Timers are late on a busy machine, never early: a generous margin above, a small
    // one below.
    let fits = seen.len() == expected.len()
        && seen
            .iter()
            .zip(&expected)
            .all(|(&seen, &expected)| seen > expected - 0.2 && seen < expected * 1.1 + 0.5);
    assert!(
        fits,
        "tcp_syn_linear_timeouts = {linear}: SYN resent at {seen:.2?} s, expected {expected:?} s"
    );
}
