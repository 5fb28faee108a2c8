//! fifo_log as a black box: a FIFO of the test's own, written by shells as a user would
//! (`printf ... > fifo`), and what comes out on stdout.

use std::path::PathBuf;
use std::process::Command;

use testkit::Running;

const FIFO_LOG: &str = env!("CARGO_BIN_EXE_fifo_log");

/// A fresh folder for one test's FIFO, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!("fifolog-{name}-{}", std::process::id()));
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

/// Starts fifo_log for `sessions` sessions and waits until it waits for writers (the
/// FIFO exists by then: a shell's `>` on a missing name would make a regular file).
fn start(fifo: &str, sessions: u32) -> Running {
    let log = Running::start(
        FIFO_LOG,
        &["--fifo", fifo, "--sessions", &sessions.to_string()],
    );
    log.wait_for_stderr_count("waiting for writers", 1);
    log
}

/// A shell that writes `text` into the FIFO and exits: one writer, come and gone.
fn shell_writes(fifo: &str, text: &str) {
    let status = Command::new("sh")
        .args(["-c", "printf '%s' \"$1\" > \"$2\"", "sh", text, fifo])
        .status()
        .expect("run sh");
    assert!(status.success());
}

#[test]
fn one_writer_one_session() {
    let folder = Folder::new("one");
    let fifo = folder.fifo();
    let mut log = start(&fifo, 1);
    shell_writes(&fifo, "first line\nsecond line\n");
    assert_eq!(
        log.wait_for_exit().code(),
        Some(0),
        "{}",
        log.stderr_so_far()
    );
    assert_eq!(log.remaining_lines(), ["1: first line", "1: second line"]);
    assert!(log.stderr_so_far().contains("session 1: 2 lines"));
}

#[test]
fn after_the_last_writer_has_gone_it_waits_for_the_next() {
    let folder = Folder::new("two");
    let fifo = folder.fifo();
    let mut log = start(&fifo, 2);
    shell_writes(&fifo, "from the first writer\n");
    // The first session is over: fifo_log opens the FIFO again and waits.
    log.wait_for_stderr_count("waiting for writers", 2);
    shell_writes(&fifo, "from the second writer\n");
    assert_eq!(
        log.wait_for_exit().code(),
        Some(0),
        "{}",
        log.stderr_so_far()
    );
    assert_eq!(
        log.remaining_lines(),
        ["1: from the first writer", "2: from the second writer"]
    );
}

#[test]
fn a_last_line_without_a_newline_still_comes_out() {
    let folder = Folder::new("last");
    let fifo = folder.fifo();
    let mut log = start(&fifo, 1);
    shell_writes(&fifo, "whole\nhalf");
    assert_eq!(
        log.wait_for_exit().code(),
        Some(0),
        "{}",
        log.stderr_so_far()
    );
    assert_eq!(log.remaining_lines(), ["1: whole", "1: half"]);
}
