//! fork_demo as a black box: the two processes' lines, the status, the copied memory.
//!
//! The parent's and the child's lines interleave in whatever order the scheduler picks,
//! so each process's lines are checked in their own order.

use testkit::{Finished, run};

const FORK_DEMO: &str = env!("CARGO_BIN_EXE_fork_demo");

fn lines_of<'a>(out: &'a Finished, who: &str) -> Vec<&'a str> {
    out.stdout.lines().filter(|l| l.starts_with(who)).collect()
}

fn value_after<'a>(line: &'a str, prefix: &str) -> &'a str {
    line.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"))
}

#[test]
fn parent_and_child_know_each_other_and_the_status_travels_through_wait() {
    let out = run(FORK_DEMO, &["--status", "7"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let parent = lines_of(&out, "PARENT: ");
    let child = lines_of(&out, "CHILD: ");
    assert_eq!(
        parent.len() + child.len(),
        out.stdout.lines().count(),
        "{out:?}"
    );

    assert_eq!(parent[0], "PARENT: This is the parent process!");
    let parent_pid = value_after(parent[1], "PARENT: My PID is ");
    let child_pid = value_after(parent[2], "PARENT: My child's PID is ");
    assert_eq!(
        parent[3],
        "PARENT: I'm now waiting for my child to exit()..."
    );
    assert_eq!(parent[4], "PARENT: My child's exit status is: 7");
    assert_eq!(parent[5], "PARENT: My value is still 1");
    assert_eq!(parent[6], "PARENT: I'm outta here!");

    assert_eq!(child[0], "CHILD: This is the child process!");
    assert_eq!(value_after(child[1], "CHILD: My PID is "), child_pid);
    assert_eq!(
        value_after(child[2], "CHILD: My parent's PID is "),
        parent_pid
    );
    assert_eq!(child[3], "CHILD: I set my copy of value to 99");
    assert_eq!(child[4], "CHILD: I'm outta here!");
    assert_ne!(parent_pid, child_pid);

    // wait() returns only once the child has exited: its last line comes first.
    let position = |line: &str| out.stdout.lines().position(|l| l == line).unwrap();
    assert!(position("CHILD: I'm outta here!") < position("PARENT: My child's exit status is: 7"));
}

#[test]
fn the_child_asks_for_its_status_on_stdin_like_fork1_c() {
    let out = run(FORK_DEMO, &[], b"42\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    // The prompt has no newline of its own, so the parent's lines may follow it directly.
    assert!(
        out.stdout
            .contains("CHILD: Enter my exit status (make it small): "),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("PARENT: My child's exit status is: 42\n"),
        "{out:?}"
    );
}

#[test]
fn a_child_killed_by_a_signal_is_reported_as_such() {
    let out = run(FORK_DEMO, &["--crash"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout.contains("CHILD: I'm calling abort()!\n"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("PARENT: My child was killed by signal SIGABRT\n"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("CHILD: I'm outta here!"));
}

#[test]
fn bad_input_in_the_child_is_one_line_and_the_parent_sees_status_1() {
    let out = run(FORK_DEMO, &[], b"lots\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stderr,
        "fork_demo: child: \"lots\" is not a number from 0 to 255\n"
    );
    assert!(
        out.stdout
            .contains("PARENT: My child's exit status is: 1\n"),
        "{out:?}"
    );
}

#[test]
fn each_line_is_printed_once_even_through_a_pipe() {
    // Through a pipe, stdout buffers are where duplicated lines come from after fork;
    // every line of the parent's preamble must appear exactly once.
    let out = run(FORK_DEMO, &["--status", "0"], b"");
    for line in out.stdout.lines() {
        assert_eq!(
            out.stdout.lines().filter(|l| *l == line).count(),
            1,
            "{line:?} appears twice:\n{}",
            out.stdout
        );
    }
}
