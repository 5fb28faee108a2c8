//! The three pipe programs as black boxes: what they print, in the order that is
//! guaranteed, and the pipeline against the shell's own `ls | wc -l`.

use std::fs;
use std::process::Command;
use std::thread;
use std::time::Duration;

use testkit::{Running, run_command};

const PIPE1: &str = env!("CARGO_BIN_EXE_pipe1");
const PIPE2: &str = env!("CARGO_BIN_EXE_pipe2");
const PIPE3: &str = env!("CARGO_BIN_EXE_pipe3");

#[test]
fn pipe1_reads_back_what_it_wrote_through_descriptors_3_and_4() {
    let out = testkit::run(PIPE1, &[], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "writing to file descriptor #4\nreading from file descriptor #3\nread \"test\"\n"
    );
}

#[test]
fn pipe2_the_parent_reads_what_the_child_wrote_after_the_child_wrote_it() {
    for _ in 0..10 {
        let out = testkit::run(PIPE2, &[], b"");
        assert_eq!(out.code(), Some(0), "{out:?}");
        let lines: Vec<&str> = out.stdout.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                " CHILD: exiting",
                " CHILD: writing to the pipe",
                "PARENT: read \"test\"",
                "PARENT: reading from pipe"
            ]
        );
        // The scheduler decides most of the order, but not this: the parent can
        // only read what the child has written.
        let position = |line: &str| lines.iter().position(|l| *l == line).unwrap();
        assert!(position(" CHILD: writing to the pipe") < position("PARENT: read \"test\""));
    }
}

/// A fresh folder with `n` files in it.
fn folder_with(n: usize, name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        fs::write(dir.join(format!("file{i}")), b"").unwrap();
    }
    dir
}

// ANCHOR: pipe3
#[test]
fn pipe3_counts_the_files_as_the_shell_does() {
    let dir = folder_with(7, "seven");
    let mut ours = Command::new(PIPE3);
    ours.current_dir(&dir);
    let out = run_command(ours, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let mut shell = Command::new("sh");
    shell.args(["-c", "ls | wc -l"]).current_dir(&dir);
    let theirs = run_command(shell, b"");
    assert_eq!(out.stdout, theirs.stdout);
    assert_eq!(out.stdout.trim(), "7");
}

#[test]
fn pipe3_with_the_write_end_left_open_never_ends() {
    let dir = folder_with(2, "forgotten");
    let mut command = Command::new(PIPE3);
    command.arg("--forget-close").current_dir(&dir);
    let mut program = Running::spawn(command);
    // ls finishes at once; wc waits for an end of input that never comes, because
    // the parent still holds a write end of the pipe.
    thread::sleep(Duration::from_millis(700));
    assert!(program.is_running(), "the pipeline ended");
    assert_eq!(program.stderr_so_far(), "");
    // (Dropping `program` kills the whole process group: parent, ls, wc.)
}
// ANCHOR_END: pipe3

#[test]
fn pipe3_reports_a_command_that_cannot_run() {
    let dir = folder_with(1, "nopath");
    let mut command = Command::new(PIPE3);
    // With an empty PATH, execvp finds neither ls nor wc.
    command.env("PATH", "").current_dir(&dir);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(127), "{out:?}");
    assert!(
        out.stderr
            .contains("pipe3: cannot run wc: No such file or directory"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("pipe3: cannot run ls: No such file or directory"),
        "{out:?}"
    );
}
