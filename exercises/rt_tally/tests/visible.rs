//! rt_tally as a black box, driven through its stdin while the test sends it signals:
//! SIGUSR1 with kill, SIGRTMIN with sigqueue and a value.

use std::process::Command;

use testkit::Running;

const BIN: &str = env!("CARGO_BIN_EXE_rt_tally");

fn start() -> Running {
    let program = Running::spawn(Command::new(BIN));
    program.expect_line(&format!(
        "pid {}: counting SIGUSR1 and SIGRTMIN",
        program.pid()
    ));
    program
}

/// Types a command and checks the line it answers.
fn say(program: &mut Running, command: &str, answer: &str) {
    program.type_in(format!("{command}\n").as_bytes());
    program.expect_line(answer);
}

/// sigqueue(pid, SIGRTMIN, value).
fn queue(program: &Running, value: i32) {
    let sigval = libc::sigval {
        sival_ptr: value as isize as usize as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes a pid, a signal number and a sigval by value.
    let rc = unsafe { libc::sigqueue(program.pid() as libc::pid_t, libc::SIGRTMIN(), sigval) };
    assert_eq!(rc, 0, "sigqueue: {}", std::io::Error::last_os_error());
}

#[test]
fn blocked_sigusr1s_merge_and_blocked_sigrtmins_queue_with_their_values() {
    let mut program = start();
    say(&mut program, "block", "blocked");
    for value in 10..15 {
        program.signal(libc::SIGUSR1);
        queue(&program, value);
    }
    say(&mut program, "pending", "pending: SIGUSR1 SIGRTMIN");
    say(&mut program, "report", "SIGUSR1: 0; SIGRTMIN: 0 []");
    say(&mut program, "unblock", "unblocked");
    say(
        &mut program,
        "report",
        "SIGUSR1: 1; SIGRTMIN: 5 [10 11 12 13 14]",
    );
    say(&mut program, "pending", "pending: ");
    program.close_stdin();
    program.expect_line("SIGUSR1: 1; SIGRTMIN: 5 [10 11 12 13 14]");
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn unblocked_each_signal_is_counted_as_it_comes() {
    let mut program = start();
    for n in 1..=3 {
        program.signal(libc::SIGUSR1);
        queue(&program, -n);
        let values: Vec<String> = (1..=n).map(|v| (-v).to_string()).collect();
        say(
            &mut program,
            "report",
            &format!("SIGUSR1: {n}; SIGRTMIN: {n} [{}]", values.join(" ")),
        );
    }
}
