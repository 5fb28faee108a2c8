//! self_pipe as a black box: lines on its stdin, signals from outside, and what it prints.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, send_signal};

const BIN: &str = env!("CARGO_BIN_EXE_self_pipe");

struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start self_pipe");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let running = Running {
            child,
            stdin,
            lines,
        };
        let first = running.line();
        assert!(first.starts_with("ready (pid "), "{first}");
        running
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("a line from self_pipe in time")
    }

    fn signal(&self, signal: libc::c_int) {
        send_signal(self.child.id() as i32, signal);
    }

    fn type_line(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{text}").unwrap();
        stdin.flush().unwrap();
    }

    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(5));
        }
        panic!("self_pipe did not exit in time");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn input_and_signals_each_wake_the_loop_and_sigterm_ends_it_with_status_0() {
    let mut run = Running::start(&[]);
    run.signal(libc::SIGUSR1);
    assert_eq!(run.line(), "woken by SIGUSR1 (1 so far); carrying on");
    run.type_line("hello");
    assert_eq!(run.line(), "woken by input: hello");
    run.signal(libc::SIGUSR1);
    assert_eq!(run.line(), "woken by SIGUSR1 (2 so far); carrying on");
    run.signal(libc::SIGTERM);
    assert_eq!(run.line(), "woken by SIGTERM: cleaning up and exiting");
    assert_eq!(run.exit_code(), Some(0));
}

// ANCHOR: not_lost
#[test]
fn a_signal_that_arrives_while_busy_is_not_lost() {
    let mut run = Running::start(&["--work-ms", "700"]);
    run.type_line("a long job");
    assert_eq!(run.line(), "woken by input: a long job");
    // The loop is busy now, not in poll(). The handler's byte waits in the
    // pipe; when the work is done, poll() returns at once. (With only a flag,
    // poll would sleep on.)
    let sent = Instant::now();
    run.signal(libc::SIGINT);
    assert_eq!(run.line(), "woken by SIGINT: cleaning up and exiting");
    assert_eq!(run.exit_code(), Some(0));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
}
// ANCHOR_END: not_lost

#[test]
fn end_of_input_ends_it_too() {
    let mut run = Running::start(&[]);
    drop(run.stdin.take());
    assert_eq!(run.line(), "end of input: exiting");
    assert_eq!(run.exit_code(), Some(0));
}
