//! fork_jobs as a black box: the order children are reaped in, how each ended, who their
//! parent is, and no zombie left once it says all are reaped.

use std::process::Command;

use testkit::{Running, children_of, run};

const BIN: &str = env!("CARGO_BIN_EXE_fork_jobs");

/// The lines of a run, split into what the children said and what the parent said.
fn split(stdout: &str) -> (Vec<String>, Vec<String>) {
    stdout
        .lines()
        .map(str::to_owned)
        .partition(|l| l.starts_with("job ") && l.contains(": pid "))
}

/// The pid in `started job N as pid P`, for job `n`.
fn started_pid(parent_lines: &[String], n: usize) -> String {
    let prefix = format!("started job {n} as pid ");
    parent_lines
        .iter()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no line `{prefix}...` in {parent_lines:?}"))
        .to_owned()
}

#[test]
fn children_are_reaped_in_the_order_they_end_with_their_status() {
    let out = run(BIN, &["3@300", "0@100", "42@200"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let (children, parent) = split(&out.stdout);
    assert_eq!(children.len(), 3, "one line from each child: {out:?}");
    let (p1, p2, p3) = (
        started_pid(&parent, 1),
        started_pid(&parent, 2),
        started_pid(&parent, 3),
    );
    let reaped: Vec<&String> = parent.iter().skip(3).collect();
    assert_eq!(
        reaped,
        [
            &format!("job 2 (pid {p2}) exited with status 0"),
            &format!("job 3 (pid {p3}) exited with status 42"),
            &format!("job 1 (pid {p1}) exited with status 3"),
            &"all 3 reaped: 3 exited, 0 killed".to_owned(),
        ],
        "reaped in the order they ended (100, 200, 300 ms): waitpid for any child"
    );
}

#[test]
fn a_child_killed_by_a_signal_is_reported_by_its_signal() {
    let out = run(BIN, &["abort@50", "term@150", "7@250"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let (_, parent) = split(&out.stdout);
    let ends: Vec<String> = parent
        .iter()
        .skip(3)
        .map(|l| l.split(") ").nth(1).unwrap_or(l).to_owned())
        .collect();
    assert_eq!(
        ends,
        [
            "was killed by SIGABRT",
            "was killed by SIGTERM",
            "exited with status 7",
            "all 3 reaped: 1 exited, 2 killed"
        ]
    );
}

#[test]
fn each_child_is_a_child_of_the_program_and_none_is_left_a_zombie() {
    let mut command = Command::new(BIN);
    command.args(["--hold", "1", "2@50", "3@100", "4"]);
    let mut program = Running::spawn(command);
    let pid = program.pid().to_string();
    let mut lines = Vec::new();
    while let Some(line) = program.next_line() {
        let done = line.starts_with("all 4 reaped");
        lines.push(line);
        if done {
            break;
        }
    }
    let (children, parent) = split(&lines.join("\n"));
    for n in 1..=4 {
        let child = started_pid(&parent, n);
        assert!(
            children.contains(&format!("job {n}: pid {child}, parent {pid}")),
            "job {n}: {children:?}"
        );
    }
    let left = children_of(program.pid());
    assert!(
        left.is_empty(),
        "all reaped, yet the program still has children (zombies?): {left:?}"
    );
    program.close_stdin();
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
