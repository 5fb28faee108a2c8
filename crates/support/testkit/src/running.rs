//! Programs that are not TCP or UDP servers: read their output line by line, feed their
//! stdin, send them signals; and C peers compiled for a test.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use crate::{Collected, OUTPUT_DRAIN, PATIENCE, kill_group, lines_of, require_tool, wait_bounded};

/// A program started for one test, killed (with its process group) when the test ends.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Collected,
    /// How many bytes of stderr [`Running::next_stderr_line`] has handed out.
    stderr_taken: AtomicUsize,
    description: String,
}

impl Running {
    /// Starts `bin` with `args`, stdin a pipe the test writes to.
    pub fn start(bin: &str, args: &[&str]) -> Running {
        let mut command = Command::new(bin);
        command.args(args);
        Running::spawn(command)
    }

    /// Like [`Running::start`] for a command the test has set up itself.
    pub fn spawn(command: Command) -> Running {
        Running::spawn_with_stdin(command, Stdio::piped())
    }

    pub(crate) fn spawn_with_stdin(mut command: Command, stdin: Stdio) -> Running {
        let description = format!("{command:?}");
        crate::shield();
        let mut child = command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
        Running {
            stdin: child.stdin.take(),
            stdout: lines_of(child.stdout.take().unwrap()),
            stderr: Collected::start(child.stderr.take().unwrap()),
            stderr_taken: AtomicUsize::new(0),
            child,
            description,
        }
    }

    /// The next line on stdout, waiting at most [`PATIENCE`].
    pub fn next_line(&self) -> Option<String> {
        self.stdout.recv_timeout(PATIENCE).ok()
    }

    /// Fails the test unless the next stdout line is `expected`.
    pub fn expect_line(&self, expected: &str) {
        let line = self.next_line();
        assert_eq!(
            line.as_deref(),
            Some(expected),
            "{}: unexpected stdout line; stderr so far:\n{}",
            self.description,
            self.stderr_so_far()
        );
    }

    /// Writes `bytes` to the program's stdin.
    pub fn type_in(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin was closed");
        stdin
            .write_all(bytes)
            .expect("write to the program's stdin");
        stdin.flush().unwrap();
    }

    /// Closes the program's stdin (end of input, Ctrl-D).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends `signal` (libc::SIGINT, ...) to the program.
    pub fn signal(&self, signal: libc::c_int) {
        crate::send_signal(self.child.id() as i32, signal);
    }

    /// The next line on stderr (without its line ending), in the order the program wrote
    /// them, waiting at most [`PATIENCE`]; `None` if no whole line came in that time. For
    /// programs that report what they do on stderr, line by line (`netcat -v`).
    pub fn next_stderr_line(&self) -> Option<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.stderr_so_far();
            let taken = self.stderr_taken.load(Ordering::Relaxed);
            if let Some(len) = text[taken..].find('\n') {
                self.stderr_taken.store(taken + len + 1, Ordering::Relaxed);
                let line = &text[taken..taken + len];
                return Some(line.strip_suffix('\r').unwrap_or(line).to_owned());
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits (bounded) until the program is blocked in read(2) on descriptor `fd`, as
    /// `/proc/PID/syscall` shows it (the system call's number, then its arguments in hex).
    ///
    /// A signal sent after this interrupts that read; one sent before might arrive while
    /// the program is still on its way there, and test nothing.
    pub fn wait_until_reading(&self, fd: i32) {
        let wanted = format!("{} {fd:#x} ", libc::SYS_read);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let path = format!("/proc/{}/syscall", self.pid());
            let now = std::fs::read_to_string(&path).unwrap_or_default();
            if now.starts_with(&wanted) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: never blocked in read({fd}, ...): {path} says {now:?}; stderr so far:\n{}",
                self.description,
                self.stderr_so_far()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Everything the program has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        self.stderr.text()
    }

    /// Waits (bounded) until the program's stderr contains `needle`; returns all of it.
    ///
    /// stderr is collected by a thread as the program writes it, so a line it has already
    /// written may not have been collected yet: wait for it rather than read once.
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        self.wait_for_stderr_count(needle, 1)
    }

    /// Waits (bounded) until `needle` occurs at least `count` times in the program's
    /// stderr; returns all of it. For a log that several clients add to: the first
    /// occurrence says nothing about the lines still on their way.
    pub fn wait_for_stderr_count(&self, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.stderr_so_far();
            let seen = text.matches(needle).count();
            if seen >= count {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{}: stderr contained {needle:?} {seen} time(s), never {count}; it was:\n{text}",
                self.description
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The command line the program was started with, for failure messages.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether the program is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the program to exit by itself.
    ///
    /// Once it returns, everything the program wrote to stderr has been collected, so
    /// `stderr_so_far` holds its last words.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let status = wait_bounded(&mut self.child, PATIENCE).unwrap_or_else(|| {
            panic!(
                "{} did not exit within {PATIENCE:?}; stderr:\n{}",
                self.description,
                self.stderr_so_far()
            )
        });
        self.stderr.wait_for_end(OUTPUT_DRAIN);
        status
    }

    /// Every stdout line still to come, until the program closes stdout (bounded).
    pub fn remaining_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line() {
            lines.push(line);
        }
        lines
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Compiles the C file `source` with `cc` into `out_dir` (a test's CARGO_TARGET_TMPDIR)
/// and returns the program's path. Each call builds its own copy, so tests running in
/// parallel never race on one file.
pub fn compile_c(source: &Path, out_dir: &str) -> PathBuf {
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let cc = require_tool("cc");
    let stem = source.file_stem().unwrap().to_string_lossy();
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    let program = Path::new(out_dir).join(format!("{stem}-{}-{n}", std::process::id()));
    let out = Command::new(cc)
        .args(["-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&program)
        .arg(source)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    program
}
