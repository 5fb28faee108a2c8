//! Hidden: many writers at once (threads of the test and Python processes) with long
//! random lines, each written in one write of at most PIPE_BUF bytes; one line of
//! 100 KB arriving in pieces; and five sessions from different real writers.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::Duration;

use testkit::{Running, noise, require_tool};

const FIFO_LOG: &str = env!("CARGO_BIN_EXE_fifo_log");

struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!("hfifolog-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Folder(dir)
    }

    fn fifo(&self) -> String {
        self.0.join("log.fifo").to_str().unwrap().to_owned()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start(fifo: &str, sessions: u32) -> Running {
    let log = Running::start(
        FIFO_LOG,
        &["--fifo", fifo, "--sessions", &sessions.to_string()],
    );
    log.wait_for_stderr_count("waiting for writers", 1);
    log
}

/// A line of `len` random letters (no newline), from `seed`.
fn letters(len: usize, seed: u64) -> String {
    noise(len, seed)
        .iter()
        .map(|b| (b'a' + b % 26) as char)
        .collect()
}

#[test]
fn lines_from_many_writers_at_once_come_out_whole() {
    let python = require_tool("python3");
    let folder = Folder::new("many");
    let fifo = folder.fifo();
    let mut log = start(&fifo, 1);
    // The test holds a write end open, so all the writers below make one session.
    let held = OpenOptions::new().write(true).open(&fifo).unwrap();
    let mut expected = Vec::new();
    let mut writers = Vec::new();
    for w in 0..4u64 {
        let lines: Vec<String> = (0..25u64)
            .map(|i| {
                let len = 1 + noise(2, w * 100 + i)[0] as usize * 15; // 1 to 3826 bytes
                format!("w{w}-{i} {}", letters(len, w * 1000 + i))
            })
            .collect();
        expected.extend(lines.iter().map(|l| format!("1: {l}")));
        let fifo = fifo.clone();
        writers.push(thread::spawn(move || {
            let mut end = OpenOptions::new().write(true).open(&fifo).unwrap();
            for line in lines {
                // One write per line, at most PIPE_BUF (4096) bytes: never interleaved.
                end.write_all(format!("{line}\n").as_bytes()).unwrap();
            }
        }));
    }
    let mut pythons = Vec::new();
    for p in 0..2u64 {
        let line = format!("py{p} {}", letters(3000, 77 + p));
        for i in 0..20 {
            expected.push(format!("1: {line} {i}"));
        }
        pythons.push(
            Command::new(&python)
                .args([
                    "-c",
                    "import os, sys\n\
                     fd = os.open(sys.argv[1], os.O_WRONLY)\n\
                     for i in range(20):\n    os.write(fd, f'{sys.argv[2]} {i}\\n'.encode())\n",
                ])
                .arg(&fifo)
                .arg(&line)
                .spawn()
                .unwrap(),
        );
    }
    for writer in writers {
        writer.join().unwrap();
    }
    for mut python in pythons {
        assert!(python.wait().unwrap().success());
    }
    drop(held);
    assert_eq!(
        log.wait_for_exit().code(),
        Some(0),
        "{}",
        log.stderr_so_far()
    );
    let mut got = log.remaining_lines();
    assert_eq!(got.len(), expected.len(), "how many lines came out");
    got.sort();
    expected.sort();
    let wrong = got.iter().zip(&expected).filter(|(g, e)| g != e).count();
    assert_eq!(wrong, 0, "{wrong} lines came out cut or mixed");
    assert!(
        log.stderr_so_far()
            .contains(&format!("session 1: {} lines", expected.len()))
    );
}

#[test]
fn a_long_line_written_in_pieces_comes_out_as_one_line() {
    let folder = Folder::new("pieces");
    let fifo = folder.fifo();
    let mut log = start(&fifo, 1);
    let long = letters(100_000, 5);
    let mut end = OpenOptions::new().write(true).open(&fifo).unwrap();
    end.write_all(b"before\n").unwrap();
    for piece in long.as_bytes().chunks(7_001) {
        end.write_all(piece).unwrap();
        thread::sleep(Duration::from_millis(3));
    }
    end.write_all(b"\nafter\n").unwrap();
    drop(end);
    assert_eq!(
        log.wait_for_exit().code(),
        Some(0),
        "{}",
        log.stderr_so_far()
    );
    let got = log.remaining_lines();
    assert_eq!(
        got.len(),
        3,
        "lines out: {:?}",
        got.iter().map(String::len).collect::<Vec<_>>()
    );
    assert_eq!(got[0], "1: before");
    assert!(
        got[1] == format!("1: {long}"),
        "the 100 KB line came out changed ({} bytes)",
        got[1].len()
    );
    assert_eq!(got[2], "1: after");
}

#[test]
fn five_sessions_from_five_kinds_of_writer() {
    let python = require_tool("python3");
    let folder = Folder::new("five");
    let fifo = folder.fifo();
    let mut log = start(&fifo, 5);
    let mut expected = Vec::new();
    for session in 0..5u64 {
        if session > 0 {
            log.wait_for_stderr_count("waiting for writers", session as usize + 1);
        }
        let count = 1 + noise(1, 60 + session)[0] as usize % 6;
        let lines: Vec<String> = (0..count as u64)
            .map(|i| format!("s{session} {}", letters(10 + i as usize, session * 10 + i)))
            .collect();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        expected.extend(lines.iter().map(|l| format!("{}: {l}", session + 1)));
        match session {
            0 | 3 => {
                let status = Command::new("sh")
                    .args(["-c", "printf '%s' \"$1\" > \"$2\"", "sh", &text, &fifo])
                    .status()
                    .unwrap();
                assert!(status.success());
            }
            1 => {
                let status = Command::new(&python)
                    .args([
                        "-c",
                        "import sys\nopen(sys.argv[1], 'w').write(sys.argv[2])",
                    ])
                    .arg(&fifo)
                    .arg(&text)
                    .status()
                    .unwrap();
                assert!(status.success());
            }
            2 => {
                let file = folder.0.join("saved.txt");
                std::fs::write(&file, &text).unwrap();
                let status = Command::new("sh")
                    .args(["-c", "cat \"$1\" > \"$2\"", "sh"])
                    .arg(&file)
                    .arg(&fifo)
                    .status()
                    .unwrap();
                assert!(status.success());
            }
            _ => {
                let mut end = OpenOptions::new().write(true).open(&fifo).unwrap();
                end.write_all(text.as_bytes()).unwrap();
            }
        }
    }
    assert_eq!(
        log.wait_for_exit().code(),
        Some(0),
        "{}",
        log.stderr_so_far()
    );
    assert_eq!(log.remaining_lines(), expected);
}
