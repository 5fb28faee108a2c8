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
