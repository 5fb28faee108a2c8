//! `cargo lab watch` on a course of one small exercise: a save is checked again at once,
//! keys work without Enter on a terminal, and without a terminal watching goes on.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// The first build of the exercise may take a while on a busy machine; a reaction to a
/// save or a key must not.
const FIRST_CHECK: Duration = Duration::from_secs(180);
const REACTION: Duration = Duration::from_secs(5);

/// A course with one exercise, `answer`, whose visible test wants 42.
fn course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "exercises/Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"answer\"]\n",
        ),
        (
            "exercises/answer/Cargo.toml",
            "[package]\nname = \"answer\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        ),
        (
            "exercises/answer/src/lib.rs",
            "pub fn answer() -> u32 {\n    0\n}\n",
        ),
        (
            "exercises/answer/tests/visible.rs",
            "#[test]\nfn the_answer_is_42() {\n    assert_eq!(answer::answer(), 42);\n}\n",
        ),
        ("exercises/answer/README.md", "# The answer\n"),
        ("exercises/answer/hints.md", "Think of a number.\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// A running `cargo lab watch` and what it has printed so far.
struct Watching {
    child: Child,
    output: Receiver<u8>,
    seen: String,
}

impl Watching {
    fn start(mut command: Command) -> Watching {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cargo lab watch");
        let mut stdout = child.stdout.take().unwrap();
        let (bytes, output) = mpsc::channel();
        thread::spawn(move || {
            let mut byte = [0u8];
            while stdout.read(&mut byte).is_ok_and(|n| n == 1) {
                if bytes.send(byte[0]).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            output,
            seen: String::new(),
        }
    }

    /// Waits until the output (from `from` on) contains `text`.
    fn wait_for(&mut self, from: usize, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.seen[from..].contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(b) => self.seen.push(b as char),
                Err(_) => panic!(
                    "no {text:?} within {within:?}; the output so far:\n{}",
                    self.seen
                ),
            }
        }
    }

    fn exit_status(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("still running after {within:?}; the output:\n{}", self.seen);
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn solve(root: &Path) {
    fs::write(
        root.join("exercises/answer/src/lib.rs"),
        "pub fn answer() -> u32 {\n    42\n}\n",
    )
    .unwrap();
}

#[test]
fn without_a_terminal_watching_goes_on_and_a_save_is_checked_at_once() {
    let course = course();
    let root = course.path();
    let mut command = Command::new(LAB);
    command
        .arg("--root")
        .arg(root)
        .arg("watch")
        .stdin(Stdio::null());
    let mut watch = Watching::start(command);
    watch.wait_for(0, "answer: not yet", FIRST_CHECK);
    watch.wait_for(0, "(no more input: keys are off", REACTION);

    let before = watch.seen.len();
    let saved = Instant::now();
    solve(root);
    watch.wait_for(before, "checking answer (The answer)", REACTION);
    let reacted = saved.elapsed();
    watch.wait_for(before, "all done!", FIRST_CHECK);
    assert_eq!(watch.exit_status(REACTION), Some(0), "{}", watch.seen);
    assert!(
        reacted < Duration::from_secs(2),
        "the save was checked {reacted:?} later"
    );
}

#[test]
fn on_a_terminal_single_keys_work_without_enter() {
    let course = course();
    let root = course.path();
    // `script` gives the program a terminal of its own, fed from our pipe.
    let mut command = Command::new("script");
    command
        .args(["-qefc"])
        .arg(format!("{LAB} --root {} watch", root.display()))
        .arg("/dev/null")
        .stdin(Stdio::piped());
    let mut watch = Watching::start(command);
    let mut keys = watch.child.stdin.take().unwrap();
    watch.wait_for(0, "watching: save a file", FIRST_CHECK);

    let before = watch.seen.len();
    keys.write_all(b"h").unwrap();
    watch.wait_for(before, "answer, hint 1 of 1", REACTION);
    let before = watch.seen.len();
    keys.write_all(b"l").unwrap();
    watch.wait_for(before, "->  1. answer", REACTION);
    watch.wait_for(before, "failing", REACTION);
    keys.write_all(b"q").unwrap();
    assert_eq!(watch.exit_status(REACTION), Some(0), "{}", watch.seen);
}
