//! Hidden: many reports at random moments, each exact; the real `kill` command as the
//! sender; SIGINT; and a megabyte of bytes copied while signals keep arriving.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Running, noise, require_tool};

const PROGRESS: &str = env!("CARGO_BIN_EXE_progress");

/// A line of text made from seeded noise: 1 to 200 letters and a newline.
fn line(seed: u64) -> String {
    let bytes = noise(201, seed);
    let len = 1 + bytes[0] as usize % 200;
    let mut line: String = bytes[1..=len]
        .iter()
        .map(|b| (b'a' + b % 26) as char)
        .collect();
    line.push('\n');
    line
}

#[test]
fn every_report_counts_exactly_what_was_copied_by_then() {
    let kill = require_tool("kill");
    let mut progress = Running::start(PROGRESS, &[]);
    let mut copied = 0usize;
    let mut reports = 0;
    for round in 0..15u64 {
        // A random number of lines, then a random number of SIGUSR1s, one at a time.
        let lines = noise(2, 500 + round)[0] as u64 % 4;
        for n in 0..lines {
            let text = line(round * 10 + n);
            progress.type_in(text.as_bytes());
            progress.expect_line(text.trim_end());
            copied += text.len();
        }
        let signals = noise(2, 900 + round)[1] % 3;
        for s in 0..signals {
            progress.wait_until_reading(0);
            if (round + s as u64) % 2 == 0 {
                testkit::send_signal(progress.pid() as i32, libc::SIGUSR1);
            } else {
                // The system's own kill(1), as a user would send it.
                let status = Command::new(&kill)
                    .args(["-USR1", &progress.pid().to_string()])
                    .status()
                    .expect("run kill");
                assert!(status.success(), "kill -USR1 failed");
            }
            reports += 1;
            assert_eq!(
                progress.next_stderr_line().as_deref(),
                Some(format!("progress: {copied} bytes").as_str()),
                "report {reports}, after {copied} bytes had come out; stderr so far:\n{}",
                progress.stderr_so_far()
            );
        }
    }
    progress.close_stdin();
    let status = progress.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{}", progress.stderr_so_far());
    assert_eq!(
        progress.next_stderr_line().as_deref(),
        Some(format!("progress: {copied} bytes, done").as_str()),
        "after {reports} reports"
    );
    assert_eq!(
        progress.next_stderr_line(),
        None,
        "nothing after the last line"
    );
}

#[test]
fn sigint_stops_it_with_status_130_and_a_last_report() {
    let mut progress = Running::start(PROGRESS, &[]);
    let text = line(77);
    progress.type_in(text.as_bytes());
    progress.expect_line(text.trim_end());
    progress.wait_until_reading(0);
    progress.signal(libc::SIGUSR1);
    let first = progress.next_stderr_line();
    assert_eq!(first, Some(format!("progress: {} bytes", text.len())));
    progress.wait_until_reading(0);
    progress.signal(libc::SIGINT);
    let status = progress.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(130),
        "exit status after SIGINT (128 + 2); stderr: {}",
        progress.stderr_so_far()
    );
    assert_eq!(
        progress.next_stderr_line(),
        Some(format!("progress: {} bytes, stopped by SIGINT", text.len()))
    );
}

#[test]
fn a_megabyte_comes_through_unchanged_while_signals_keep_arriving() {
    let data = noise(1 << 20, 4242);
    let mut child = Command::new(PROGRESS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start progress");
    let pid = child.id() as i32;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let errors = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // The handlers are installed before the first read: wait for that read.
    let blocked = format!("{} 0x0 ", libc::SYS_read);
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(format!("/proc/{pid}/syscall"))
        .unwrap_or_default()
        .starts_with(&blocked)
    {
        assert!(Instant::now() < deadline, "progress never read its stdin");
        thread::sleep(Duration::from_millis(2));
    }
    // Write in uneven pieces, with a SIGUSR1 between many of them: some land in a read,
    // some in a write, some between the two.
    let mut sent = 0;
    let mut piece = 0u64;
    while sent < data.len() {
        let len = (1 + noise(2, piece)[0] as usize * 97).min(data.len() - sent);
        stdin
            .write_all(&data[sent..sent + len])
            .expect("write to progress");
        sent += len;
        if piece % 3 == 0 {
            testkit::send_signal(pid, libc::SIGUSR1);
        }
        piece += 1;
    }
    drop(stdin);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("progress did not finish the copy within {PATIENCE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let out = reader.join().unwrap();
    let log = errors.join().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {log}");
    assert!(
        out == data,
        "the bytes changed on the way: {} bytes out of {} in",
        out.len(),
        data.len()
    );
    let mut lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines.pop(),
        Some(format!("progress: {} bytes, done", data.len()).as_str())
    );
    assert!(
        !lines.is_empty(),
        "no report for {piece} pieces and their signals"
    );
    let mut last = 0;
    for line in lines {
        let count: usize = line
            .strip_prefix("progress: ")
            .and_then(|rest| rest.strip_suffix(" bytes"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a report: {line:?}; stderr: {log}"));
        assert!(
            count >= last && count <= data.len(),
            "reports went {last} then {count} (of {} bytes)",
            data.len()
        );
        last = count;
    }
}
