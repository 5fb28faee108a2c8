//! Hidden: many reloads with random greetings (some sent with kill(1)), a reload that
//! fails, a SIGHUP that must be handled before the client queued behind it, and a flood
//! of signals while the server is busy.

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{Server, noise, require_tool};

const SERVER: &str = env!("CARGO_BIN_EXE_reload_server");

struct Greeting(PathBuf);

impl Greeting {
    fn new(name: &str, text: &str) -> Greeting {
        let path = std::env::temp_dir().join(format!("hreload-{name}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        Greeting(path)
    }

    fn set(&self, text: &str) {
        std::fs::write(&self.0, text).unwrap();
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Greeting {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn read_all(mut conn: TcpStream) -> String {
    let mut text = String::new();
    conn.read_to_string(&mut text).expect("read the greeting");
    text
}

/// A greeting of random words, from `seed`.
fn words(seed: u64) -> String {
    let bytes = noise(60, seed);
    let len = 5 + bytes[0] as usize % 50;
    bytes[1..=len]
        .iter()
        .map(|b| match b % 28 {
            26 | 27 => ' ',
            n => (b'a' + n) as char,
        })
        .collect::<String>()
        .trim()
        .to_owned()
        + "!"
}

#[test]
fn ten_reloads_with_random_greetings_each_seen_by_the_next_client() {
    let kill = require_tool("kill");
    let file = Greeting::new("ten", "first\n");
    let server = Server::start(SERVER, &["--port", "0", "--greeting", file.arg()]);
    assert_eq!(read_all(server.connect()), "first\n");
    for round in 0..10u64 {
        let text = words(round + 31);
        file.set(&format!("{text}\nsecond line, never sent\n"));
        if round % 2 == 0 {
            server.signal(libc::SIGHUP);
        } else {
            let pid = server.pid().to_string();
            let status = Command::new(&kill).args(["-HUP", &pid]).status().unwrap();
            assert!(status.success(), "kill -HUP failed");
        }
        server.wait_for_stderr_count("reloaded", round as usize + 1);
        assert_eq!(
            read_all(server.connect()),
            format!("{text}\n"),
            "after reload {}",
            round + 1
        );
    }
}

#[test]
fn a_reload_that_fails_keeps_the_old_greeting() {
    let file = Greeting::new("gone", "still here\n");
    let mut server = Server::start(SERVER, &["--port", "0", "--greeting", file.arg()]);
    std::fs::remove_file(&file.0).unwrap();
    server.signal(libc::SIGHUP);
    server.wait_for_stderr("cannot reload");
    assert_eq!(read_all(server.connect()), "still here\n");
    assert!(server.is_running());
}

#[test]
fn a_sighup_during_work_is_handled_before_the_client_queued_behind_it() {
    let file = Greeting::new("order", "old\n");
    let server = Server::start(
        SERVER,
        &["--port", "0", "--greeting", file.arg(), "--work-ms", "800"],
    );
    // The first client is greeted; the server now works for 800 ms, outside poll().
    assert_eq!(read_all(server.connect()), "old\n");
    let text = words(7);
    file.set(&format!("{text}\n"));
    server.signal(libc::SIGHUP);
    // Connected (the kernel completes the handshake) while the server is still busy:
    // when it polls again, the signal and this client are both waiting.
    let queued = server.connect();
    assert_eq!(
        read_all(queued),
        format!("{text}\n"),
        "the SIGHUP came first, so this client should get the new greeting"
    );
}

/// Whether SIGHUP is pending for `pid`: sent and not yet handled (bit 0 of the mask
/// `ShdPnd` in /proc/PID/status, the signals sent to the whole process).
fn sighup_pending(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("ShdPnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    mask & 1 != 0
}

#[test]
fn a_flood_of_signals_while_busy_neither_hangs_nor_stops_the_server() {
    let file = Greeting::new("flood", "before\n");
    let mut server = Server::start(
        SERVER,
        &["--port", "0", "--greeting", file.arg(), "--work-ms", "6000"],
    );
    assert_eq!(read_all(server.connect()), "before\n");
    file.set("after\n");
    // While the server works (six seconds, outside poll, nothing draining the pipe),
    // more SIGHUPs than a pipe holds bytes (64 KiB), each handled before the next is
    // sent (signals of one kind do not queue). A handler that blocked on the full pipe
    // would never return, and the next SIGHUP would stay pending for ever.
    let pid = server.pid() as i32;
    for n in 0..70_000 {
        testkit::send_signal(pid, libc::SIGHUP);
        let deadline = Instant::now() + Duration::from_secs(2);
        while sighup_pending(pid) {
            assert!(
                Instant::now() < deadline,
                "SIGHUP number {} stayed pending for 2 s: the handler no longer returns \
                 (does its write block on a full pipe?)",
                n + 1
            );
            std::hint::spin_loop();
        }
    }
    server.wait_for_stderr("reloaded");
    assert_eq!(read_all(server.connect()), "after\n", "after the flood");
    server.signal(libc::SIGTERM);
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{}", server.stderr_so_far());
}
