//! selectserver as a black box: bytes relayed to every other client, nc as a client, a
//! client that does not read, the FD_SETSIZE wall, signals and start-up errors.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use testkit::{Server, require_tool, run, send_signal};

const SERVER: &str = env!("CARGO_BIN_EXE_selectserver");

fn start() -> Server {
    Server::start(SERVER, &["--port", "0"])
}

/// Reads exactly `n` bytes.
fn receive(conn: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0; n];
    conn.read_exact(&mut got).unwrap();
    got
}

/// Whether anything arrives on `conn` within `wait`.
fn hears_anything(conn: &mut TcpStream, wait: Duration) -> bool {
    conn.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0u8; 1];
    let heard = match conn.read(&mut byte) {
        Ok(n) => n > 0,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) => panic!("{e}"),
    };
    conn.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    heard
}

/// Connects and waits until the server has logged the new connection, so that the
/// client is in the set before anyone sends.
fn join(server: &Server, joined: &mut usize) -> TcpStream {
    let conn = server.connect();
    *joined += 1;
    server.wait_for_stderr_count(
        "selectserver: new connection from 127.0.0.1 on socket",
        *joined,
    );
    conn
}

// ANCHOR: relay
#[test]
fn what_one_client_sends_reaches_every_other_client_and_not_the_sender() {
    let server = start();
    let mut joined = 0;
    let mut a = join(&server, &mut joined);
    let mut b = join(&server, &mut joined);
    let mut c = join(&server, &mut joined);
    a.write_all(b"hello from a\n").unwrap();
    assert_eq!(receive(&mut b, 13), b"hello from a\n");
    assert_eq!(receive(&mut c, 13), b"hello from a\n");
    c.write_all(b"and c").unwrap(); // bytes, not lines: no newline needed
    assert_eq!(receive(&mut a, 5), b"and c");
    assert_eq!(receive(&mut b, 5), b"and c");
    assert!(
        !hears_anything(&mut a, Duration::from_millis(200)),
        "a heard its own words"
    );
    drop(b);
    let log = server.wait_for_stderr("hung up");
    assert!(log.contains("selectserver: socket"), "{log}");
    a.write_all(b"still here").unwrap();
    assert_eq!(receive(&mut c, 10), b"still here");
}
// ANCHOR_END: relay

#[test]
fn nc_is_a_client_like_any_other() {
    let nc = require_tool("nc");
    let server = start();
    let mut joined = 0;
    let mut listener = join(&server, &mut joined);
    let port = server.addr.port().to_string();
    let out = run(
        nc.to_str().unwrap(),
        &["-N", "127.0.0.1", &port],
        b"typed in nc\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(receive(&mut listener, 12), b"typed in nc\n");
}

#[test]
fn a_client_that_never_reads_is_dropped_and_the_others_go_on() {
    let server = start();
    let mut joined = 0;
    let deaf = join(&server, &mut joined);
    let mut talker = join(&server, &mut joined);
    let mut reader = join(&server, &mut joined);
    // 4 MiB to relay: the deaf client's socket buffers fill, then its outbox passes
    // 64 KiB, and the server drops it. The reader reads everything.
    let block = vec![b'x'; 64 * 1024];
    let mut writer = talker.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        for _ in 0..64 {
            writer.write_all(&block).unwrap();
        }
    });
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while total < 64 * 64 * 1024 {
        total += reader.read(&mut buf).unwrap();
    }
    sending.join().unwrap();
    server.wait_for_stderr("dropped (not reading)");
    talker.write_all(b"after").unwrap();
    assert_eq!(receive(&mut reader, 5), b"after");
    drop(deaf);
}

// ANCHOR: fd_setsize
#[test]
fn a_client_past_fd_setsize_is_turned_away_and_the_others_are_served() {
    // Start the server with descriptors 3 to 1015 already taken, so its listener,
    // signal pipe and first few clients get the last numbers below 1024 and the
    // next clients get numbers select() cannot watch.
    let mut command = Command::new(SERVER);
    command.args(["--port", "0"]);
    // SAFETY: between fork and exec the closure makes only system calls
    // (getrlimit, setrlimit, open, dup2, close), which are async-signal-safe,
    // and allocates nothing.
    unsafe {
        command.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            limit.rlim_cur = limit.rlim_max.min(4096);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < 1100 {
                return Err(std::io::Error::other("cannot allow 1100 open files"));
            }
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            for fd in 3..1016 {
                if fd != null {
                    libc::dup2(null, fd);
                }
            }
            Ok(())
        });
    }
    let server = Server::spawn(command);
    let mut clients = Vec::new();
    let mut turned_away = None;
    for _ in 0..20 {
        let mut conn = server.connect();
        if hears_anything(&mut conn, Duration::from_millis(300)) {
            turned_away = Some(conn);
            break;
        }
        clients.push(conn);
    }
    let mut turned_away = turned_away.expect("no client was turned away");
    let mut rest = Vec::new();
    turned_away.read_to_end(&mut rest).unwrap();
    let log = server.wait_for_stderr("is past FD_SETSIZE (1024); closed");
    assert!(log.contains("on socket 1023"), "{log}");
    // The clients below the limit still talk to each other.
    assert!(clients.len() >= 2, "{log}");
    clients[0].write_all(b"ok?").unwrap();
    assert_eq!(receive(&mut clients[1], 3), b"ok?");
}
// ANCHOR_END: fd_setsize

#[test]
fn sigterm_ends_it_with_status_0_and_a_port_in_use_is_one_line() {
    let mut server = start();
    testkit::assert_port_in_use_error(SERVER, server.addr.port(), &[]);
    send_signal(server.pid() as i32, libc::SIGTERM);
    assert_eq!(server.wait_for_exit().code(), Some(0));
    assert!(
        server
            .stderr_so_far()
            .contains("selectserver: shutting down")
    );
}
