//! The fork server as a separate process (a test binary has threads, and a process with
//! threads must not fork): clients served at once, and no zombie left behind.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Conversation, Server};

const SERVER: &str = env!("CARGO_BIN_EXE_fork_server");

/// The children of `pid` that have exited but were not reaped (state Z in /proc).
fn zombies_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let fields: Vec<&str> = after.split(' ').collect();
        if fields[0] == "Z" && fields[1] == pid.to_string() {
            found.push(child);
        }
    }
    found
}

/// Waits (at most 5 s) for the server to have no zombie children; returns what is left.
fn zombies_after_a_while(pid: u32) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let zombies = zombies_of(pid);
        if zombies.is_empty() || Instant::now() > deadline {
            return zombies;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_gets_its_reply_and_then_the_end_of_the_stream() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut c = Conversation::new(server.connect());
    c.send(b"hello fork\n");
    c.expect(b"HELLO FORK\n");
    c.stream().shutdown(Shutdown::Write).unwrap();
    // The child closes when the client has closed; if the parent kept its copy of the
    // connection open, the client would never see the end of the stream.
    c.expect_close();
}

#[test]
fn a_silent_client_does_not_hold_up_the_next_one() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let _silent = server.connect();
    let mut c = Conversation::new(server.connect());
    c.send(b"second client\n");
    c.expect(b"SECOND CLIENT\n");
}

#[test]
fn every_finished_child_is_reaped_without_waiting_for_a_new_client() {
    let server = Server::start(SERVER, &["--port", "0"]);
    for i in 0..10 {
        let mut conn = server.connect();
        conn.write_all(format!("client {i}\n").as_bytes()).unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        let mut reply = String::new();
        conn.read_to_string(&mut reply).unwrap();
        assert_eq!(reply, format!("CLIENT {i}\n"));
    }
    // No new client comes now: the children must be reaped when they exit (SIGCHLD),
    // not the next time accept returns.
    let zombies = zombies_after_a_while(server.pid());
    assert!(
        zombies.is_empty(),
        "10 clients came and went; 5 s later the server still has zombie children {zombies:?} \
         (a finished child stays a zombie until its parent calls waitpid)"
    );
}
