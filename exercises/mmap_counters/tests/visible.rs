//! mmap_counters as a black box: the file on disk after it exits, processes adding at
//! once, and a watcher that sees another process's change in its mapping.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use testkit::{Running, run};

const BIN: &str = env!("CARGO_BIN_EXE_mmap_counters");

/// A counter file of the test's own, removed at the end.
struct CounterFile(PathBuf);

impl CounterFile {
    fn new(name: &str) -> CounterFile {
        let path = std::env::temp_dir().join(format!("mmc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        CounterFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// Runs `mmap_counters --file THIS ARGS...`, expecting success; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let mut all = vec!["--file", self.arg()];
        all.extend_from_slice(args);
        let out = run(BIN, &all, b"");
        assert_eq!(out.code(), Some(0), "{all:?}: {out:?}");
        out.stdout
    }

    /// The counters as the file on disk holds them.
    fn on_disk(&self) -> Vec<u64> {
        std::fs::read(&self.0)
            .unwrap()
            .chunks(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    }
}

impl Drop for CounterFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn additions_reach_the_file_and_show_prints_them() {
    let file = CounterFile::new("basic");
    file.ok(&["init", "4"]);
    assert_eq!(file.ok(&["add", "2"]), "counter 2 is 1\n");
    assert_eq!(
        file.ok(&["add", "2", "--delta", "10", "--times", "3"]),
        "counter 2 is 31\n"
    );
    assert_eq!(file.ok(&["add", "0", "--delta", "7"]), "counter 0 is 7\n");
    assert_eq!(
        file.on_disk(),
        [7, 0, 31, 0],
        "the file does not hold the additions: was it mapped MAP_SHARED, read-write?"
    );
    assert_eq!(file.ok(&["show"]), "0: 7\n1: 0\n2: 31\n3: 0\n");
}

#[test]
fn four_processes_adding_at_once_lose_nothing() {
    let file = CounterFile::new("four");
    file.ok(&["init", "2"]);
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(BIN)
                .args(["--file", file.arg(), "add", "1", "--times", "500000"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        file.on_disk(),
        [0, 2_000_000],
        "4 processes added 500000 each: a smaller count means two read the same value \
         and both wrote it plus one (is the addition one atomic step?)"
    );
}

#[test]
fn a_watcher_sees_another_processs_addition_in_its_mapping() {
    let file = CounterFile::new("watch");
    file.ok(&["init", "3"]);
    let mut command = Command::new(BIN);
    command.args(["--file", file.arg(), "watch", "1", "--until", "5"]);
    let mut watcher = Running::spawn(command);
    watcher.expect_line("watching counter 1 (now 0)");
    file.ok(&["add", "1", "--delta", "5"]);
    watcher.expect_line("counter 1 reached 5");
    assert_eq!(watcher.wait_for_exit().code(), Some(0));
}

#[test]
fn a_counter_past_the_end_and_a_torn_file_are_errors() {
    let file = CounterFile::new("errors");
    file.ok(&["init", "2"]);
    let out = run(BIN, &["--file", file.arg(), "add", "2"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("past the last one"), "{out:?}");
    std::fs::write(&file.0, b"12345").unwrap();
    let out = run(BIN, &["--file", file.arg(), "show"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("not a whole number"), "{out:?}");
}
