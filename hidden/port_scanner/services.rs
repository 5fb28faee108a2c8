//! Hidden: random services on random loopback ports (banners in pieces, long, binary,
//! cut short by a close; silent ones; full queues; closed ports), a real `nc -l`, and the
//! bound on parallel connections with a random `--parallel`. Every expected line is
//! computed here, from what this test made each listener do.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use testkit::probe::Rng;
use testkit::{PATIENCE, closed_port, require_tool, run};

const SCAN: &str = env!("CARGO_BIN_EXE_port_scanner");
const BANNER_MAX: usize = 200;

/// What a listener does with each client.
#[derive(Clone)]
enum Service {
    /// Sends these pieces, `gap` apart, then stays until the client leaves.
    Speaks(Vec<Vec<u8>>, Duration),
    /// Sends this, then closes.
    SpeaksAndCloses(Vec<u8>),
}

#[derive(Default)]
struct Count {
    open: AtomicUsize,
    most: AtomicUsize,
}

fn listener(host: &str, service: Service, count: Arc<Count>) -> u16 {
    let socket = TcpListener::bind((host, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in socket.incoming() {
            let Ok(mut conn) = conn else { continue };
            let (service, count) = (service.clone(), Arc::clone(&count));
            thread::spawn(move || {
                let now = count.open.fetch_add(1, Ordering::SeqCst) + 1;
                count.most.fetch_max(now, Ordering::SeqCst);
                match service {
                    Service::Speaks(pieces, gap) => {
                        for (i, piece) in pieces.iter().enumerate() {
                            if i > 0 {
                                thread::sleep(gap);
                            }
                            let _ = conn.write_all(piece);
                        }
                        conn.set_read_timeout(Some(PATIENCE)).unwrap();
                        let _ = conn.read(&mut [0u8; 1]); // until the scanner closes
                    }
                    Service::SpeaksAndCloses(bytes) => {
                        let _ = conn.write_all(&bytes);
                    }
                }
                count.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    port
}

/// A listener that never accepts, with a full queue: SYNs to it get no answer.
fn full_backlog() -> (TcpListener, TcpStream, u16) {
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen() on a descriptor this test owns; it reads no memory of ours.
    let rc = unsafe { libc::listen(socket.as_raw_fd(), 0) };
    assert_eq!(rc, 0);
    let port = socket.local_addr().unwrap().port();
    let first = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // connect returns when the SYN-ACK is in; the listener queues the connection when the
    // last ACK reaches it, which on a loaded machine can be later: until then the queue
    // has room and the next SYN would be answered.
    let deadline = Instant::now() + PATIENCE;
    while !queue_holds(port, 1) {
        assert!(Instant::now() < deadline, "the accept queue never filled");
        thread::sleep(Duration::from_millis(5));
    }
    (socket, first, port)
}

/// Whether the kernel shows a listener on `port` with `queued` connections waiting
/// (`/proc/net/tcp`: the local address's port and the receive queue, in hex).
fn queue_holds(port: u16, queued: u32) -> bool {
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port_hex = fields[1].rsplit(':').next().unwrap_or("");
            let rx = fields[4].split(':').nth(1).unwrap_or("");
            u16::from_str_radix(port_hex, 16) == Ok(port)
                && fields[3] == "0A"
                && u32::from_str_radix(rx, 16) == Ok(queued)
        })
}

/// The report's text for a banner: its first line, without `\r`, at most BANNER_MAX
/// bytes, escaped; nothing for an empty line.
fn shown(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = &line[..line.len().min(BANNER_MAX)];
    line.escape_ascii().to_string()
}

fn line(port: u16, rest: &str) -> String {
    format!("{:<10} {rest}", format!("{port}/tcp"))
        .trim_end()
        .to_owned()
}

fn open_line(port: u16, banner: &str) -> String {
    line(port, &format!("open      {banner}"))
}

/// A random service, and the banner the scanner should show for it (with a banner wait
/// of 400 ms).
fn random_service(rng: &mut Rng) -> (Service, String) {
    let words = |rng: &mut Rng| -> String {
        (0..rng.range(1, 5))
            .map(|_| rng.word(1, 10))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let fast = Duration::ZERO;
    match rng.range(0, 6) {
        // A greeting line, CRLF or LF, and more lines after it.
        0 => {
            let first = format!("{} {}", rng.range(200, 599), words(rng));
            let end = if rng.chance(50) { "\r\n" } else { "\n" };
            let text = format!("{first}{end}{}\r\n", words(rng));
            (Service::Speaks(vec![text.into_bytes()], fast), first)
        }
        // The line in two to four pieces, 80 ms apart: one read is not enough.
        1 => {
            let first = format!("SSH-2.0-{}", words(rng).replace(' ', "_"));
            let bytes = format!("{first}\r\n").into_bytes();
            let parts = rng.range(2, 4);
            let size = bytes.len().div_ceil(parts);
            let pieces = bytes.chunks(size).map(<[u8]>::to_vec).collect();
            (Service::Speaks(pieces, Duration::from_millis(80)), first)
        }
        // Longer than BANNER_MAX, no line end, then silence.
        2 => {
            let len = rng.range(BANNER_MAX + 1, 600);
            let text: String = (0..len)
                .map(|_| char::from(b'a' + (rng.u32() % 26) as u8))
                .collect();
            let banner = text[..BANNER_MAX].to_owned();
            (Service::Speaks(vec![text.into_bytes()], fast), banner)
        }
        // Unprintable bytes, then a line end.
        3 => {
            let len = rng.range(1, 40);
            let mut bytes = rng.bytes(len);
            bytes.retain(|&b| b != b'\n' && b != b'\r');
            bytes.push(b'!');
            let banner = shown(&bytes);
            bytes.extend_from_slice(b"\r\n");
            (Service::Speaks(vec![bytes], fast), banner)
        }
        // A few words and a close, with no line end.
        4 => {
            let text = words(rng);
            let banner = text.clone();
            (Service::SpeaksAndCloses(text.into_bytes()), banner)
        }
        // An empty first line.
        5 => (
            Service::Speaks(vec![format!("\r\n{}\n", words(rng)).into_bytes()], fast),
            String::new(),
        ),
        // Silent.
        _ => (Service::Speaks(Vec::new(), fast), String::new()),
    }
}

#[test]
fn random_services_on_random_ports_are_reported_exactly() {
    for seed in [11, 29, 4242] {
        let mut rng = Rng::new(seed);
        let mut expected: Vec<(u16, String)> = Vec::new();
        let mut held = Vec::new();
        let mut counts = [0usize; 3];
        for _ in 0..rng.range(4, 9) {
            let (service, banner) = random_service(&mut rng);
            let port = listener("127.0.0.1", service, Arc::default());
            expected.push((port, open_line(port, &banner)));
            counts[0] += 1;
        }
        for _ in 0..rng.range(1, 3) {
            let port = closed_port();
            expected.push((port, line(port, "closed")));
            counts[1] += 1;
        }
        if rng.chance(70) {
            let (listener, first, port) = full_backlog();
            held.push((listener, first));
            expected.push((port, line(port, "filtered")));
            counts[2] += 1;
        }
        expected.sort();
        let ports: Vec<String> = expected.iter().map(|(p, _)| p.to_string()).collect();
        let out = run(
            SCAN,
            &[
                "--ports",
                &ports.join(","),
                "--banner-wait-ms",
                "400",
                "--timeout-ms",
                "300",
                "--all",
            ],
            b"",
        );
        assert_eq!(out.code(), Some(0), "seed {seed}: {out:?}");
        let expected: Vec<String> = expected.into_iter().map(|(_, l)| l).collect();
        let got: Vec<&str> = out.stdout.lines().filter(|l| l.contains("/tcp")).collect();
        assert_eq!(
            got, expected,
            "seed {seed}: left: the port lines printed; right: what they should be.\n{}",
            out.stdout
        );
        let summary = format!(
            ": {} open, {} closed, {} filtered, 0 error(s)",
            counts[0], counts[1], counts[2]
        );
        assert!(
            out.stdout.contains(&summary),
            "seed {seed}: expected {summary:?}\n{}",
            out.stdout
        );
    }
}

#[test]
fn the_banner_of_a_real_nc_listener_is_grabbed() {
    let nc = require_tool("nc");
    let mut rng = Rng::new(77);
    let banner = format!("220 {}.example ESMTP {}", rng.word(3, 9), rng.word(3, 9));
    let mut child = Command::new(nc)
        .args(["-v", "-l", "127.0.0.1", "0"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{banner}\r\n").as_bytes()).unwrap();
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
    // nc -v says "Listening on 127.0.0.1 PORT".
    let said = receive.recv_timeout(PATIENCE).unwrap();
    let port: u16 = said.rsplit(' ').next().unwrap().parse().unwrap();
    let out = run(SCAN, &["--ports", &port.to_string()], b"");
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let expected = open_line(port, &banner);
    assert!(
        out.stdout.lines().any(|l| l == expected),
        "expected the line {expected:?}\n{out:?}"
    );
}

#[test]
fn parallel_is_both_a_bound_and_used() {
    let mut rng = Rng::new(5);
    let parallel = rng.range(3, 5);
    let rounds = 3;
    let count = Arc::new(Count::default());
    let ports: Vec<String> = (0..parallel * rounds)
        .map(|_| {
            listener(
                "127.0.0.1",
                Service::Speaks(Vec::new(), Duration::ZERO),
                Arc::clone(&count),
            )
            .to_string()
        })
        .collect();
    let started = Instant::now();
    let out = run(
        SCAN,
        &[
            "--ports",
            &ports.join(","),
            "--parallel",
            &parallel.to_string(),
            "--banner-wait-ms",
            "250",
        ],
        b"",
    );
    let took = started.elapsed();
    assert!(
        out.stdout.contains(&format!(": {} open", ports.len())),
        "{out:?}"
    );
    assert!(
        took >= Duration::from_millis(250 * rounds as u64 - 20),
        "{} silent ports took only {took:?} with --parallel {parallel}: more than {parallel} \
         connections at once?",
        ports.len()
    );
    let most = count.most.load(Ordering::SeqCst);
    assert!(
        most >= parallel,
        "the listeners saw at most {most} connections at once with --parallel {parallel}"
    );
}

#[test]
fn ipv6_loopback_is_scanned_too() {
    let mut rng = Rng::new(6);
    let banner = format!("hello over six {}", rng.word(4, 12));
    let port = listener(
        "::1",
        Service::Speaks(vec![format!("{banner}\n").into_bytes()], Duration::ZERO),
        Arc::default(),
    );
    let closed = {
        // A port on ::1 that refuses: bound, never listening.
        let socket = TcpListener::bind("[::1]:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        drop(socket);
        port
    };
    let out = run(
        SCAN,
        &[
            "--host",
            "::1",
            "--ports",
            &format!("{port},{closed}"),
            "--all",
            "--banner-wait-ms",
            "300",
        ],
        b"",
    );
    assert!(
        out.stdout.lines().any(|l| l == open_line(port, &banner)),
        "{out:?}"
    );
    assert!(
        out.stdout.lines().any(|l| l == line(closed, "closed")),
        "{out:?}"
    );
}
