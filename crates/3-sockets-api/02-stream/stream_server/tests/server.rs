//! stream_server as a black box: our client, a C client, nc, and many clients in a row.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Server, compile_c, read_to_close, require_tool, run, sibling_binary};

const SERVER: &str = env!("CARGO_BIN_EXE_stream_server");

fn start(host: &str) -> Server {
    let server = Server::start(SERVER, &["--host", host, "--port", "0"]);
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("server: waiting for connections...")
    );
    server
}

fn client() -> String {
    sibling_binary(SERVER, "stream_client")
}

fn c_peer(name: &str) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/peers/{name}.c"));
    compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

/// The children of `pid` that have exited but were never waited for.
fn zombie_children(pid: u32) -> Vec<u32> {
    let mut zombies = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 1 && fields[0] == "Z" && fields[1] == pid.to_string() {
            zombies.push(head.split_whitespace().next().unwrap().parse().unwrap());
        }
    }
    zombies
}

#[test]
fn our_client_gets_hello_world_and_the_server_logs_the_connection() {
    let server = start("127.0.0.1");
    let port = server.addr.port().to_string();
    let out = run(&client(), &["--host", "127.0.0.1", "--port", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n"
    );
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("server: got connection from 127.0.0.1")
    );
}

#[test]
fn the_c_client_works_against_our_server() {
    let server = start("127.0.0.1");
    let port = server.addr.port().to_string();
    let out = run(&c_peer("client"), &["127.0.0.1", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n"
    );
}

#[test]
fn over_ipv6_the_c_client_and_ours_see_the_same() {
    let server = start("::1");
    let port = server.addr.port().to_string();
    let expected = "client: connecting to ::1\nclient: received 'Hello, world!'\n";
    let theirs = run(&c_peer("client"), &["::1", &port], b"");
    assert_eq!(theirs.stdout, expected, "{theirs:?}");
    let ours = run(&client(), &["--host", "::1", "--port", &port], b"");
    assert_eq!(ours.stdout, expected, "{ours:?}");
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("server: got connection from ::1")
    );
}

#[test]
fn nc_receives_exactly_the_thirteen_bytes_then_the_close() {
    let server = start("127.0.0.1");
    let nc = require_tool("nc");
    let port = server.addr.port().to_string();
    let out = run(nc.to_str().unwrap(), &["-d", "127.0.0.1", &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "Hello, world!");
}

#[test]
fn every_child_is_reaped_after_many_clients() {
    let server = start("127.0.0.1");
    for _ in 0..30 {
        let mut conn = server.connect();
        assert_eq!(read_to_close(&mut conn), b"Hello, world!");
    }
    // Each child exits right after its send; SIGCHLD reaps it. Give the last ones a moment.
    let deadline = Instant::now() + PATIENCE;
    let mut zombies = zombie_children(server.pid());
    while !zombies.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        zombies = zombie_children(server.pid());
    }
    assert!(zombies.is_empty(), "unreaped children: {zombies:?}");
}

#[test]
fn zombie_detection_sees_an_unreaped_child() {
    // The check above must be able to fail: a shell that forks `true` and then sleeps
    // without waiting leaves exactly one zombie behind.
    let mut parent = std::process::Command::new("sh")
        .args(["-c", "true & exec sleep 5"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let mut zombies = zombie_children(parent.id());
    while zombies.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        zombies = zombie_children(parent.id());
    }
    let _ = parent.kill();
    let _ = parent.wait();
    assert_eq!(zombies.len(), 1);
}

#[test]
fn a_restarted_server_binds_at_once_thanks_to_so_reuseaddr() {
    let first = start("127.0.0.1");
    let addr = first.addr;
    // The server closes first, so its side of this connection stays in TIME_WAIT.
    let mut conn = first.connect();
    assert_eq!(read_to_close(&mut conn), b"Hello, world!");
    drop(conn);
    drop(first);
    let again = Server::start(SERVER, &["--port", &addr.port().to_string()]);
    assert_eq!(again.addr, addr);
}

#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    let server = start("127.0.0.1");
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
}

#[test]
fn a_client_that_resets_at_once_costs_only_its_own_child() {
    let server = start("127.0.0.1");
    for _ in 0..5 {
        let conn = server.connect();
        testkit::reset(conn);
    }
    let mut conn = server.connect();
    assert_eq!(read_to_close(&mut conn), b"Hello, world!");
}
