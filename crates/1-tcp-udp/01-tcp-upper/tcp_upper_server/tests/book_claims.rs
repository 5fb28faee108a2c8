//! What the TCP chapter says happens when a program writes to a connection that its peer
//! has closed: EPIPE, and for a C program the signal SIGPIPE. The chapter names these
//! tests after each claim: `(tested: `book_claims::…`)`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, compile_c, run};

/// A loopback listener that accepts one connection and closes it at once (a FIN).
fn closing_peer() -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    let peer = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        drop(conn);
    });
    (port, peer)
}

/// The disposition of SIGPIPE in this process: SIG_IGN, SIG_DFL or a handler.
fn sigpipe_disposition() -> libc::sighandler_t {
    // SAFETY: a null new action only reads the current one into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(
            libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old),
            0
        );
        old.sa_sigaction
    }
}

/// A Rust program starts with SIGPIPE ignored, so a write to a closed connection is an
/// error it can handle (`ErrorKind::BrokenPipe`, EPIPE), not the end of the program.
/// The first write after the peer's close still succeeds: only the peer's answer to it,
/// a reset, tells our kernel that nobody will ever read.
#[test]
fn rust_ignores_sigpipe_and_a_write_to_a_closed_connection_is_broken_pipe() {
    assert_eq!(
        sigpipe_disposition(),
        libc::SIG_IGN,
        "SIGPIPE is not ignored"
    );
    let (port, peer) = closing_peer();
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    peer.join().unwrap();
    assert_eq!(
        conn.read(&mut [0u8; 16]).expect("read"),
        0,
        "the peer's FIN"
    );

    conn.write_all(b"first")
        .expect("the first write after the FIN succeeds");
    let deadline = Instant::now() + PATIENCE;
    let mut errors = Vec::new();
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
        match conn.write(b"x") {
            Ok(1) => continue,
            Ok(n) => panic!("write of one byte returned {n}"),
            Err(e) => {
                errors.push(e.kind());
                if e.kind() == ErrorKind::BrokenPipe {
                    break;
                }
            }
        }
    }
    // The reset may be reported once (ConnectionReset) before the pipe is broken.
    assert_eq!(errors.last(), Some(&ErrorKind::BrokenPipe), "{errors:?}");
    assert!(
        errors[..errors.len() - 1]
            .iter()
            .all(|&kind| kind == ErrorKind::ConnectionReset),
        "{errors:?}"
    );
}

fn sigpipe_c() -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sigpipe.c");
    compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

/// A C program has no such default: its write to a closed connection raises SIGPIPE, and
/// the default action of SIGPIPE ends the program, without a message. (std's `Command`
/// sets SIGPIPE back to the default in the programs it starts, as the C program would
/// have it from a shell.) `signal(SIGPIPE, SIG_IGN)` or `send(..., MSG_NOSIGNAL)` turn
/// the signal into the error EPIPE.
#[test]
fn a_c_program_that_writes_to_a_closed_connection_dies_of_sigpipe_unless_it_asks_not_to() {
    let program = sigpipe_c();

    let (port, peer) = closing_peer();
    let out = run(&program, &[&port.to_string(), "default"], b"");
    peer.join().unwrap();
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "not killed by SIGPIPE: {out:?}"
    );
    assert!(!out.stdout.contains("EPIPE"), "{out:?}");

    for mode in ["ignore", "nosignal"] {
        let (port, peer) = closing_peer();
        let out = run(&program, &[&port.to_string(), mode], b"");
        peer.join().unwrap();
        assert_eq!(out.code(), Some(0), "{mode}: {out:?}");
        assert!(out.stdout.ends_with("EPIPE\n"), "{mode}: {out:?}");
    }
}

/// The packet of the tools chapter, `hello sockets` from port 36472 to 12000, as a pcap
/// file (raw IPv4, link type 101): tcpdump reads a file without root.
fn hello_sockets_pcap() -> Vec<u8> {
    let payload = b"hello sockets";
    let mut tcp = Vec::new();
    tcp.extend(36472u16.to_be_bytes());
    tcp.extend(12000u16.to_be_bytes());
    tcp.extend(1u32.to_be_bytes()); // seq
    tcp.extend(1u32.to_be_bytes()); // ack
    tcp.extend([8 << 4, 0x18]); // 32-byte header; PSH, ACK
    tcp.extend(512u16.to_be_bytes()); // window
    tcp.extend([0, 0, 0, 0]); // checksum (not checked), urgent pointer
    tcp.extend([1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0]); // nop, nop, timestamps
    let length = (20 + tcp.len() + payload.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend(length.to_be_bytes());
    ip.extend([0, 1, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
    let packet = [ip, tcp, payload.to_vec()].concat();
    let mut pcap = Vec::new();
    pcap.extend(0xa1b2_c3d4u32.to_le_bytes()); // the magic number
    pcap.extend(2u16.to_le_bytes()); // version 2.4
    pcap.extend(4u16.to_le_bytes());
    for field in [0u32, 0, 65535, 101] {
        pcap.extend(field.to_le_bytes()); // zone, sigfigs, snaplen, link type
    }
    let size = packet.len() as u32;
    for field in [0u32, 0, size, size] {
        pcap.extend(field.to_le_bytes()); // seconds, microseconds, lengths
    }
    pcap.extend(packet);
    pcap
}

/// `tcpdump -X` prints a byte as itself only if it is a graphic character (`!` to `~`);
/// every other byte is a dot, the space (which is printable, but not graphic) included.
#[test]
fn tcpdump_shows_the_space_of_hello_sockets_as_a_dot() {
    let tcpdump = testkit::require_tool("tcpdump");
    let file = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hello-sockets-{}.pcap", std::process::id()));
    std::fs::write(&file, hello_sockets_pcap()).unwrap();
    let out = run(
        &tcpdump.to_string_lossy(),
        &["-n", "-X", "-r", &file.to_string_lossy()],
        b"",
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.contains("length 13"), "{}", out.stdout);
    let dump: Vec<&str> = out.stdout.lines().filter(|l| l.contains("0x00")).collect();
    // The data starts at 0x34: `6865 6c6c 6f20 ...`, the 13th byte on the next line.
    let shown = dump.iter().any(|l| l.ends_with("  ....hello.socket"))
        && dump
            .last()
            .is_some_and(|l| l.trim_start().starts_with("0x0040:  73 ") && l.ends_with(" s"));
    assert!(shown, "{}", out.stdout);
}
