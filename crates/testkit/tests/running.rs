//! The harness itself: what a test may rely on after a program has exited.

use testkit::Running;

#[test]
fn after_wait_for_exit_stderr_holds_everything_the_program_wrote() {
    // The shell exits at once; what it started writes its line a moment later, as the
    // child of a forking server logs after its parent has gone. A test that reads
    // stderr once, right after wait_for_exit, must see that line.
    let mut run = Running::start(
        "sh",
        &[
            "-c",
            "(sleep 0.3; echo 'the last line' >&2) & echo first >&2",
        ],
    );
    assert_eq!(run.wait_for_exit().code(), Some(0));
    assert_eq!(run.stderr_so_far(), "first\nthe last line\n");
}

#[test]
fn wait_for_stderr_count_waits_for_the_last_of_several_lines() {
    let run = Running::start(
        "sh",
        &[
            "-c",
            "for i in 1 2 3; do echo tick >&2; sleep 0.2; done; sleep 10",
        ],
    );
    assert!(run.wait_for_stderr("tick").contains("tick"));
    assert_eq!(run.wait_for_stderr_count("tick", 3), "tick\ntick\ntick\n");
}
