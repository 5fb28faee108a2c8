//! What the four concurrent uppercase servers (fork, thread, pool, epoll) promise beyond the
//! protocol: many clients at once, silent clients that block nobody, graceful shutdown on
//! SIGINT and SIGTERM, and an accept loop that survives running out of descriptors.
//! Every test runs against all four (see `testkit::check_each`).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{
    PATIENCE, Server, binary_name, check_each, open_fds, proc_stat, read_to_close, send_signal,
};

const OWN: &str = env!("CARGO_BIN_EXE_tcp_upper_thread_server");

const CONCURRENT: [&str; 4] = [
    "tcp_upper_fork_server",
    "tcp_upper_thread_server",
    "tcp_upper_pool_server",
    "tcp_upper_epoll_server",
];

fn each_server(check: impl Fn(&str)) {
    check_each(OWN, &CONCURRENT, check);
}

/// Extra arguments for `bin`: the pool serves at most `--workers` clients at once (the
/// rest wait in its queue), so the tests that hold many clients give it enough workers.
fn enough_workers(bin: &str) -> &'static [&'static str] {
    if bin.ends_with("pool_server") {
        &["--workers", "64"]
    } else {
        &[]
    }
}

/// Sends `message` and reads back exactly as many bytes.
fn exchange(conn: &mut TcpStream, message: &[u8]) -> std::io::Result<Vec<u8>> {
    conn.write_all(message)?;
    let mut reply = vec![0; message.len()];
    conn.read_exact(&mut reply)?;
    Ok(reply)
}

/// Whether the server answers `probe` within `wait` on this connection.
fn answers_within(conn: &mut TcpStream, probe: &[u8], wait: Duration) -> bool {
    conn.set_read_timeout(Some(wait)).unwrap();
    let answered = exchange(conn, probe).is_ok_and(|reply| reply == probe.to_ascii_uppercase());
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    answered
}

/// Waits until connecting is refused (the listener is closed); bounded by PATIENCE.
fn wait_until_refused(server: &Server) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match TcpStream::connect_timeout(&server.addr, PATIENCE) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return,
            _ if Instant::now() >= deadline => panic!("the server still accepts connections"),
            _ => thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[test]
fn a_silent_client_does_not_stop_others_from_being_served() {
    each_server(|bin| {
        let server = Server::start(bin, &["--port", "0"]);
        let _silent = server.connect();
        let mut half = server.connect();
        half.write_all(b"half a ").unwrap(); // and then nothing more
        for i in 0..5 {
            let mut conn = server.connect();
            let message = format!("client {i} while others sit idle");
            assert!(
                answers_within(&mut conn, message.as_bytes(), PATIENCE),
                "{}: client {i} was not served",
                binary_name(bin)
            );
        }
    });
}

#[test]
fn fifty_clients_connected_at_once_are_all_answered() {
    each_server(|bin| {
        let mut args = vec!["--port", "0"];
        args.extend(enough_workers(bin));
        let server = Server::start(bin, &args);
        // Connect all fifty first, then talk to each in turn while all are still open: a
        // server that serves one client at a time would never answer the second.
        let mut conns: Vec<TcpStream> = (0..50).map(|_| server.connect()).collect();
        for round in 0..2 {
            for (i, conn) in conns.iter_mut().enumerate() {
                let message = format!("round {round} client {i}");
                let reply = exchange(conn, message.as_bytes())
                    .unwrap_or_else(|e| panic!("{}: client {i}: {e}", binary_name(bin)));
                assert_eq!(
                    reply,
                    message.to_uppercase().as_bytes(),
                    "{}",
                    binary_name(bin)
                );
            }
        }
    });
}

#[test]
fn sigterm_stops_accepting_and_lets_a_connected_client_finish() {
    each_server(|bin| {
        let mut server = Server::start(bin, &["--port", "0", "--grace", "10"]);
        let mut conn = server.connect();
        assert_eq!(exchange(&mut conn, b"before").unwrap(), b"BEFORE");
        send_signal(server.pid() as i32, libc::SIGTERM);
        // New clients are refused once the listener is closed ...
        wait_until_refused(&server);
        // ... but the connected one is still served, to the end.
        assert_eq!(
            exchange(&mut conn, b"after").unwrap(),
            b"AFTER",
            "{}",
            binary_name(bin)
        );
        conn.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_close(&mut conn), b"");
        // Then the server exits by itself, well before the 10 s grace period, with 0.
        let start = Instant::now();
        let status = server.wait_for_exit();
        assert_eq!(status.code(), Some(0), "{}: {status:?}", binary_name(bin));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{}",
            binary_name(bin)
        );
        let log = server.stderr_so_far();
        assert!(
            log.contains("SIGTERM: no new connections"),
            "{}: {log}",
            binary_name(bin)
        );
        assert!(
            log.contains("every client has finished"),
            "{}: {log}",
            binary_name(bin)
        );
    });
}

#[test]
fn a_client_that_never_finishes_is_cut_off_after_the_grace_period() {
    each_server(|bin| {
        let mut server = Server::start(bin, &["--port", "0", "--grace", "1"]);
        let mut silent = server.connect();
        assert_eq!(exchange(&mut silent, b"hi").unwrap(), b"HI");
        let start = Instant::now();
        send_signal(server.pid() as i32, libc::SIGINT);
        let status = server.wait_for_exit();
        let took = start.elapsed();
        assert_eq!(status.code(), Some(0), "{}: {status:?}", binary_name(bin));
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "{}: exited after {took:?}",
            binary_name(bin)
        );
        // The connection is closed when the server (or its child) is gone.
        assert_eq!(read_to_close(&mut silent), b"", "{}", binary_name(bin));
        let log = server.stderr_so_far();
        assert!(
            log.contains("SIGINT: no new connections"),
            "{}: {log}",
            binary_name(bin)
        );
        assert!(
            log.contains("1 client(s) still connected"),
            "{}: {log}",
            binary_name(bin)
        );
    });
}

#[test]
fn with_no_client_sigint_ends_the_server_at_once_with_status_0() {
    each_server(|bin| {
        let mut server = Server::start(bin, &["--port", "0"]);
        send_signal(server.pid() as i32, libc::SIGINT);
        let status = server.wait_for_exit();
        assert_eq!(status.code(), Some(0), "{}: {status:?}", binary_name(bin));
    });
}

/// Starts `bin` with at most `limit` open descriptors (prlimit, from util-linux).
fn start_with_fd_limit(bin: &str, limit: u32, extra: &[&str]) -> Server {
    let prlimit = testkit::require_tool("prlimit");
    let mut command = Command::new(prlimit);
    command
        .arg(format!("--nofile={limit}:{limit}"))
        .arg(bin)
        .args(["--port", "0"])
        .args(extra);
    Server::spawn(command)
}

/// CPU time (user + system, in clock ticks) the process uses over `span`.
fn cpu_ticks_over(pid: u32, span: Duration) -> u64 {
    let before = proc_stat(pid).expect("server running").cpu_ticks;
    thread::sleep(span);
    proc_stat(pid).expect("server running").cpu_ticks - before
}

// ANCHOR: emfile
#[test]
fn out_of_descriptors_thread_pool_and_epoll_wait_without_spinning_then_recover() {
    check_each(
        OWN,
        &[
            "tcp_upper_thread_server",
            "tcp_upper_pool_server",
            "tcp_upper_epoll_server",
        ],
        |bin| {
            // Room for about a dozen client sockets. The pool gets more workers
            // than that, so a held connection always has a worker, and only
            // descriptors run out.
            let server = start_with_fd_limit(bin, 20, enough_workers(bin));
            let mut held = Vec::new();
            let mut waiting = None;
            for i in 0..40 {
                let mut conn = server.connect();
                let quick = Duration::from_millis(500);
                if answers_within(&mut conn, b"ping", quick)
                    || !server.stderr_so_far().contains("Too many open files")
                {
                    // Served (or just slow on a busy machine): keep it open.
                    held.push(conn);
                } else {
                    // The kernel completed this connection; accept() failed:
                    // EMFILE.
                    waiting = Some(conn);
                    break;
                }
                assert!(i < 39, "{}: never ran out of descriptors", binary_name(bin));
            }
            let mut waiting = waiting.unwrap();
            let log = server.wait_for_stderr("Too many open files");
            assert!(log.contains("accept failed: Too many open files"), "{log}");
            // Backing off, not spinning: under a tenth of a CPU over a whole
            // second.
            let ticks = cpu_ticks_over(server.pid(), Duration::from_secs(1));
            assert!(
                ticks < 10,
                "{}: {ticks} ticks of CPU in 1 s",
                binary_name(bin)
            );
            // Free three descriptors: the waiting client is accepted and
            // served.
            held.truncate(held.len() - 3);
            waiting.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut reply = [0u8; 4];
            waiting.read_exact(&mut reply).unwrap();
            assert_eq!(&reply, b"PING", "{}", binary_name(bin));
            server.wait_for_stderr("accepting connections again");
        },
    );
}
// ANCHOR_END: emfile

#[test]
fn the_fork_server_parent_keeps_no_client_descriptor_so_fd_limits_do_not_cap_clients() {
    let bin = testkit::sibling_binary(OWN, "tcp_upper_fork_server");
    let server = start_with_fd_limit(&bin, 20, &[]);
    let at_rest = open_fds(server.pid());
    // Three times more clients at once than the parent could hold descriptors for.
    let mut conns: Vec<TcpStream> = (0..60).map(|_| server.connect()).collect();
    for (i, conn) in conns.iter_mut().enumerate() {
        let message = format!("client {i}");
        let reply = exchange(conn, message.as_bytes()).unwrap();
        assert_eq!(reply, message.to_uppercase().as_bytes());
    }
    // The last child may answer before the parent has closed its copy: allow it a moment.
    let deadline = Instant::now() + PATIENCE;
    while open_fds(server.pid()) != at_rest && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        open_fds(server.pid()),
        at_rest,
        "the parent holds client sockets"
    );
}

// ANCHOR: max_clients
/// A thread or a process per client has no natural limit: 5,000 idle clients
/// were 5,000 threads. With --max-clients 2, the third client is told the server
/// is busy and closed; when one of the two leaves, a new client is served again.
#[test]
fn past_max_clients_a_client_is_turned_away_and_served_again_when_one_leaves() {
    let servers = ["tcp_upper_thread_server", "tcp_upper_fork_server"];
    check_each(OWN, &servers, |bin| {
        let server = Server::start(bin, &["--port", "0", "--max-clients", "2"]);
        let mut first = server.connect();
        let mut second = server.connect();
        assert_eq!(exchange(&mut first, b"one").unwrap(), b"ONE");
        assert_eq!(exchange(&mut second, b"two").unwrap(), b"TWO");
        let mut third = server.connect();
        assert_eq!(
            read_to_close(&mut third),
            b"server busy: 2 clients connected; try again later\n"
        );
        server.wait_for_stderr("turned away, 2 clients already connected");
        // The two inside are still served.
        assert_eq!(exchange(&mut first, b"still").unwrap(), b"STILL");
        // One leaves: its place is free once its thread or process has ended.
        drop(first);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut next = server.connect();
            // Still full, the reply would be the first bytes of the busy line.
            if exchange(&mut next, b"in").is_ok_and(|reply| reply == b"IN") {
                break;
            }
            assert!(Instant::now() < deadline, "{bin}: never served again");
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(exchange(&mut second, b"two").unwrap(), b"TWO");
    });
}
// ANCHOR_END: max_clients
