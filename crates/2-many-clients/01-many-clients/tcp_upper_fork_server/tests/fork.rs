//! What only the fork server has to get right: reaping every child, closing every
//! descriptor in the parent, and Ctrl-C reaching the children as well as the parent.
//! (The fork server runs as its own process: this test binary has threads and never forks.)

use std::io::{Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Server, children_of, open_fds, read_to_close, send_signal};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp_upper_fork_server");

// ANCHOR: no_zombies
#[test]
fn after_three_hundred_clients_no_zombie_and_no_leaked_descriptor_remain() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let parent = server.pid();
    let at_rest = open_fds(parent);
    // 300 clients, 20 at a time, each served by a child that then exits.
    for batch in 0..15 {
        let mut conns: Vec<_> = (0..20).map(|_| server.connect()).collect();
        for (i, conn) in conns.iter_mut().enumerate() {
            let message = format!("batch {batch} client {i}");
            conn.write_all(message.as_bytes()).unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_close(conn), message.to_uppercase().as_bytes());
        }
    }
    // Every child has been reaped, and the parent is back to the descriptors
    // it started with. The last exits may still be on their way, so look
    // again for a while.
    let deadline = Instant::now() + PATIENCE;
    let (mut children, mut fds) = (children_of(parent), open_fds(parent));
    while (!children.is_empty() || fds != at_rest) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        (children, fds) = (children_of(parent), open_fds(parent));
    }
    let zombies = children.iter().filter(|c| c.state == 'Z').count();
    assert_eq!(zombies, 0, "zombie children: {children:?}");
    assert!(children.is_empty(), "children still running: {children:?}");
    assert_eq!(
        fds, at_rest,
        "the parent has more descriptors open than at start"
    );
}
// ANCHOR_END: no_zombies

#[test]
fn ctrl_c_to_the_whole_process_group_lets_the_children_finish() {
    let mut server = Server::start(SERVER, &["--port", "0", "--grace", "10"]);
    let mut conn = server.connect();
    conn.write_all(b"one").unwrap();
    let mut reply = [0u8; 3];
    conn.read_exact(&mut reply).unwrap();
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group,
    // the server and the child serving us (the harness made the server a group leader).
    send_signal(-(server.pid() as i32), libc::SIGINT);
    server.wait_for_stderr("SIGINT: no new connections");
    // The child ignores SIGINT and goes on serving us.
    conn.write_all(b"two").unwrap();
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"TWO");
    conn.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut conn), b"");
    assert_eq!(server.wait_for_exit().code(), Some(0));
    assert!(server.stderr_so_far().contains("every client has finished"));
}

#[test]
fn a_child_still_busy_after_the_grace_period_is_sent_sigterm() {
    let mut server = Server::start(SERVER, &["--port", "0", "--grace", "1"]);
    let mut conn = server.connect();
    conn.write_all(b"hi").unwrap();
    let mut reply = [0u8; 2];
    conn.read_exact(&mut reply).unwrap();
    let child = children_of(server.pid())[0].pid;
    send_signal(server.pid() as i32, libc::SIGTERM);
    assert_eq!(server.wait_for_exit().code(), Some(0));
    // The child is gone too (reaped by the parent before it exited), and our
    // connection was closed.
    assert_eq!(read_to_close(&mut conn), b"");
    assert!(
        testkit::proc_stat(child).is_none(),
        "child {child} outlived the server"
    );
}

#[test]
fn when_fork_fails_the_client_is_closed_and_the_log_says_fork_not_accept() {
    // RLIMIT_NPROC of 1: the server is its user's one allowed process, so every fork
    // fails with EAGAIN. Root is exempt from the limit, hence an ordinary user.
    let prlimit = testkit::require_tool("prlimit");
    let mut command = if testkit::running_as_root() {
        let setpriv = testkit::require_tool("setpriv");
        let mut command = std::process::Command::new(setpriv);
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(prlimit);
        command
    } else {
        std::process::Command::new(prlimit)
    };
    command.args(["--nproc=1:1", SERVER, "--port", "0"]);
    let mut server = Server::spawn(command);
    let mut last = None;
    for _ in 0..2 {
        let mut conn = server.connect();
        assert_eq!(read_to_close(&mut conn), b"");
        last = Some(conn.local_addr().unwrap());
    }
    // The second client's line comes after everything logged about the first one.
    let log = server.wait_for_stderr(&format!("{}: fork failed (EAGAIN", last.unwrap()));
    assert!(!log.contains("accept failed"), "{log}");
    assert!(server.is_running(), "{log}");
}
