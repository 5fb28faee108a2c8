//! portscan against listeners the tests open themselves, on loopback only.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, closed_port, require_tool, run};

const SCAN: &str = env!("CARGO_BIN_EXE_portscan");

/// A loopback listener that greets each client with `banner` (if any) and keeps it until
/// it leaves; `open` counts the clients present, `most` the most at once (as seen by the
/// listener, which notices a close a little late, so it may count one too many).
struct Listener {
    port: u16,
}

fn listener(
    host: &str,
    banner: &'static [u8],
    open: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
) -> Listener {
    let socket = TcpListener::bind((host, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in socket.incoming() {
            let Ok(mut conn) = conn else { continue };
            let (open, most) = (Arc::clone(&open), Arc::clone(&most));
            thread::spawn(move || {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let _ = conn.write_all(banner);
                conn.set_read_timeout(Some(PATIENCE)).unwrap();
                let mut byte = [0u8; 1];
                let _ = conn.read(&mut byte); // until the scanner closes
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Listener { port }
}

fn simple(banner: &'static [u8]) -> Listener {
    listener("127.0.0.1", banner, Arc::default(), Arc::default())
}

#[test]
fn open_closed_and_banners_are_reported() {
    let ssh = simple(b"SSH-2.0-Test_1.0\r\n");
    let silent = simple(b"");
    let ugly = simple(b"\x1b[2Jhi\x00there\n");
    let closed = closed_port();
    let ports = format!("{},{},{},{closed}", ssh.port, silent.port, ugly.port);
    let out = run(
        SCAN,
        &["--ports", &ports, "--banner-wait-ms", "300", "--all"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "scanning 127.0.0.1: 4 port(s), 32 at a time, 500 ms timeout"
    );
    let mut expected = [
        (
            ssh.port,
            format!(
                "{:<10} open      SSH-2.0-Test_1.0",
                format!("{}/tcp", ssh.port)
            ),
        ),
        (
            silent.port,
            format!("{:<10} open", format!("{}/tcp", silent.port)),
        ),
        (
            ugly.port,
            format!(
                "{:<10} open      \\x1b[2Jhi\\x00there",
                format!("{}/tcp", ugly.port)
            ),
        ),
        (closed, format!("{:<10} closed", format!("{closed}/tcp"))),
    ];
    expected.sort();
    let expected: Vec<&str> = expected.iter().map(|(_, line)| line.as_str()).collect();
    assert_eq!(&lines[1..5], expected.as_slice(), "{}", out.stdout);
    assert!(
        lines[5].ends_with(": 3 open, 1 closed, 0 filtered, 0 error(s)"),
        "{}",
        lines[5]
    );
    assert!(lines[5].starts_with("4 port(s) in "));
}

#[test]
fn closed_ports_are_not_listed_without_all() {
    let open = simple(b"hello\n");
    let closed = closed_port();
    let out = run(SCAN, &["--ports", &format!("{},{closed}", open.port)], b"");
    assert!(out.stdout.contains(&format!("{}/tcp", open.port)));
    assert!(
        !out.stdout.contains(&format!("{closed}/tcp")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 open, 1 closed"));
}

#[test]
fn no_more_than_parallel_connections_at_once() {
    let open = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let ports: Vec<String> = (0..8)
        .map(|_| {
            listener("127.0.0.1", b"", Arc::clone(&open), Arc::clone(&most))
                .port
                .to_string()
        })
        .collect();
    let list = ports.join(",");
    // Each silent port holds its connection for the whole banner wait (150 ms). Two at a
    // time, eight ports take at least four rounds; eight at a time would take one.
    let started = Instant::now();
    let out = run(
        SCAN,
        &[
            "--ports",
            &list,
            "--parallel",
            "2",
            "--banner-wait-ms",
            "150",
        ],
        b"",
    );
    assert!(out.stdout.contains("8 open"), "{out:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(580),
        "8 slow ports took only {took:?} with --parallel 2"
    );

    most.store(0, Ordering::SeqCst);
    let out = run(
        SCAN,
        &[
            "--ports",
            &list,
            "--parallel",
            "8",
            "--banner-wait-ms",
            "300",
        ],
        b"",
    );
    assert!(out.stdout.contains("8 open"), "{out:?}");
    assert!(
        most.load(Ordering::SeqCst) >= 3,
        "the scan did not run in parallel"
    );
}

#[test]
fn a_listener_with_a_full_queue_is_filtered() {
    // listen() with a backlog of 0 queues one finished handshake; with that one waiting
    // and never accepted, the kernel drops every further SYN: no answer, as behind a
    // firewall that drops packets.
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&socket);
    // SAFETY: listen() on a descriptor this test owns; it reads no memory of ours.
    let rc = unsafe { libc::listen(fd, 0) };
    assert_eq!(rc, 0);
    let port = socket.local_addr().unwrap().port();
    let _first = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    let out = run(
        SCAN,
        &["--ports", &port.to_string(), "--timeout-ms", "300", "--all"],
        b"",
    );
    assert!(
        out.stdout
            .contains(&format!("{:<10} filtered\n", format!("{port}/tcp"))),
        "{out:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(290));
}

#[test]
fn the_banner_of_a_real_nc_listener_is_grabbed() {
    let nc = require_tool("nc");
    let mut child = std::process::Command::new(nc)
        .args(["-v", "-l", "127.0.0.1", "0"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"220 mail.example ESMTP ready\r\n")
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut text = Vec::new();
        let mut byte = [0u8; 1];
        while stderr.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            text.push(byte[0]);
        }
        let _ = send.send(String::from_utf8_lossy(&text).into_owned());
    });
    let line = receive.recv_timeout(PATIENCE).unwrap(); // "Listening on localhost PORT"
    let port = line.rsplit(' ').next().unwrap().to_owned();
    let out = run(SCAN, &["--ports", &port], b"");
    let _ = child.kill();
    let _ = child.wait();
    let expected = format!(
        "{:<10} open      220 mail.example ESMTP ready\n",
        format!("{port}/tcp")
    );
    assert!(out.stdout.contains(&expected), "{out:?}");
}

#[test]
fn ipv6_loopback_is_scanned_too() {
    let six = listener("::1", b"over six\n", Arc::default(), Arc::default());
    let out = run(
        SCAN,
        &["--host", "::1", "--ports", &six.port.to_string()],
        b"",
    );
    assert!(out.stdout.starts_with("scanning ::1: 1 port(s)"), "{out:?}");
    assert!(out.stdout.contains("open      over six"), "{out:?}");
}

#[test]
fn other_machines_are_refused_before_any_connection() {
    for host in ["192.0.2.1", "0.0.0.0", "2001:db8::1"] {
        let out = run(SCAN, &["--host", host, "--ports", "80"], b"");
        assert_eq!(out.code(), Some(1), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        assert!(
            out.stderr.ends_with(
                "not this machine; portscan scans only loopback addresses (127.0.0.0/8, ::1)\n"
            ),
            "{out:?}"
        );
    }
    let out = run(SCAN, &["--ports", "70000"], b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "portscan: --ports: '70000' is not a port (1-65535)\n"
    );
    let out = run(SCAN, &["--parallel", "0"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
}
