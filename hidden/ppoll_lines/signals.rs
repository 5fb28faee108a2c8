//! Hidden: a random mix of lines and signals (many of them landing in the gap); the
//! signal mask as /proc shows it, blocked in the gap and open inside ppoll(); and stops
//! sent at random moments inside the gap.

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use testkit::probe::Rng;
use testkit::{PATIENCE, Running};

const BIN: &str = env!("CARGO_BIN_EXE_ppoll_lines");

/// SIGUSR1 (10), SIGINT (2) and SIGTERM (15) as bits of a /proc signal mask.
const MASK: u64 = 1 << (10 - 1) | 1 << (2 - 1) | 1 << (15 - 1);

fn start(window_ms: u64) -> Running {
    let mut command = Command::new(BIN);
    command.args(["--window-ms", &window_ms.to_string()]);
    let program = Running::spawn(command);
    let line = program.next_line().unwrap_or_default();
    assert_eq!(line, format!("reading lines, pid {}", program.pid()));
    program
}

/// The SigBlk line of /proc/PID/status: the signals the process blocks now.
fn blocked(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .unwrap()
        .trim();
    u64::from_str_radix(hex, 16).unwrap()
}

#[test]
fn a_random_mix_of_lines_and_signals_is_answered_in_order() {
    let mut rng = Rng::new(0x7070_6f6c);
    let mut program = start(60);
    let mut lines = 0u64;
    for _ in 0..16 {
        if rng.chance(55) {
            let n = rng.range(1, 3);
            let words: Vec<String> = (0..n).map(|_| rng.word(1, 20)).collect();
            let text: String = words.iter().map(|w| format!("{w}\n")).collect();
            program.type_in(text.as_bytes());
            for word in &words {
                lines += 1;
                program.expect_line(&format!("{lines}: {word}"));
            }
        } else {
            // Right away, or a little later: in the gap or in the wait.
            thread::sleep(Duration::from_millis(rng.range(0, 90) as u64));
            program.signal(libc::SIGUSR1);
            program.expect_line(&format!("so far: {lines} lines"));
        }
    }
    let (signal, name) = *rng.pick(&[(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")]);
    program.signal(signal);
    program.expect_line(&format!("stopped by a signal after {lines} lines"));
    assert_eq!(program.wait_for_exit().code(), Some(0), "after {name}");
}

#[test]
fn the_signals_are_blocked_in_the_gap_and_let_in_only_inside_ppoll() {
    let mut program = start(1500);
    let pid = program.pid();
    program.wait_for_stderr("1500 ms until ppoll()");
    assert_eq!(
        blocked(pid) & MASK,
        MASK,
        "in the gap SIGUSR1, SIGINT and SIGTERM should be blocked (SigBlk {:x})",
        blocked(pid)
    );
    // Once in ppoll(), its mask is the one in force: the three are let in.
    let deadline = Instant::now() + PATIENCE;
    while blocked(pid) & MASK != 0 {
        assert!(
            Instant::now() < deadline,
            "inside ppoll() the signals are still blocked: was the waiting mask given to ppoll?"
        );
        thread::sleep(Duration::from_millis(20));
    }
    // And blocked again as soon as the wait is over.
    program.type_in(b"wake\n");
    program.expect_line("1: wake");
    program.wait_for_stderr_count("1500 ms until ppoll()", 2);
    assert_eq!(blocked(pid) & MASK, MASK, "after the wait, blocked again");
    program.signal(libc::SIGINT);
    program.expect_line("stopped by a signal after 1 lines");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn stops_sent_at_random_moments_inside_the_gap_are_never_lost() {
    let mut rng = Rng::new(0x6761_7073);
    for round in 0..4 {
        let mut program = start(300);
        program.wait_for_stderr("300 ms until ppoll()");
        thread::sleep(Duration::from_millis(rng.range(0, 200) as u64));
        let sent = Instant::now();
        program.signal(if rng.chance(50) {
            libc::SIGINT
        } else {
            libc::SIGTERM
        });
        program.expect_line("stopped by a signal after 0 lines");
        assert_eq!(program.wait_for_exit().code(), Some(0));
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "round {round}: {:?}",
            sent.elapsed()
        );
    }
}
