//! Hidden: hundreds of random values queued while blocked, in order; a storm of signals
//! while the program is busy printing (a handler that prints or locks dies or hangs
//! here); and pending sets of each kind.

use std::process::Command;

use testkit::Running;
use testkit::probe::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_rt_tally");

fn start() -> Running {
    let program = Running::spawn(Command::new(BIN));
    program.expect_line(&format!(
        "pid {}: counting SIGUSR1 and SIGRTMIN",
        program.pid()
    ));
    program
}

fn say(program: &mut Running, command: &str, answer: &str) {
    program.type_in(format!("{command}\n").as_bytes());
    program.expect_line(answer);
}

fn queue(pid: u32, value: i32) {
    let sigval = libc::sigval {
        sival_ptr: value as isize as usize as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes a pid, a signal number and a sigval by value.
    let rc = unsafe { libc::sigqueue(pid as libc::pid_t, libc::SIGRTMIN(), sigval) };
    assert_eq!(rc, 0, "sigqueue: {}", std::io::Error::last_os_error());
}

fn listed(values: &[i32]) -> String {
    values
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn random_values_queued_while_blocked_arrive_all_in_order() {
    let mut rng = Rng::new(0x7274_7461);
    let mut program = start();
    say(&mut program, "block", "blocked");
    let values: Vec<i32> = (0..rng.range(100, 250)).map(|_| rng.u32() as i32).collect();
    let usr1 = rng.range(2, 40);
    let mut sent_usr1 = 0;
    for (i, value) in values.iter().enumerate() {
        queue(program.pid(), *value);
        if sent_usr1 < usr1 && i % 3 == 0 {
            program.signal(libc::SIGUSR1);
            sent_usr1 += 1;
        }
    }
    say(&mut program, "pending", "pending: SIGUSR1 SIGRTMIN");
    say(&mut program, "unblock", "unblocked");
    say(
        &mut program,
        "report",
        &format!(
            "SIGUSR1: 1; SIGRTMIN: {} [{}]",
            values.len(),
            listed(&values)
        ),
    );
}

#[test]
fn a_storm_of_signals_while_the_program_prints_loses_nothing() {
    let mut rng = Rng::new(0x7374_6f72);
    let mut program = start();
    // The main loop prints 3000 reports while the signals come.
    program.type_in(b"report 3000\n");
    let values: Vec<i32> = (0..400).map(|_| (rng.u32() % 100_000) as i32).collect();
    for value in &values {
        queue(program.pid(), *value);
    }
    let mut reports = 0;
    loop {
        let line = program.next_line().unwrap_or_else(|| {
            panic!(
                "the program stopped answering during the storm; stderr: {}",
                program.stderr_so_far()
            )
        });
        if line == "3000 reports" {
            break;
        }
        reports += 1;
        assert!(reports <= 3000, "{line}");
    }
    say(
        &mut program,
        "report",
        &format!("SIGUSR1: 0; SIGRTMIN: 400 [{}]", listed(&values)),
    );
    program.close_stdin();
    program.next_line();
    assert_eq!(program.wait_for_exit().code(), Some(0));
}

#[test]
fn pending_names_only_what_is_pending() {
    let mut program = start();
    say(&mut program, "block", "blocked");
    queue(program.pid(), 7);
    say(&mut program, "pending", "pending: SIGRTMIN");
    say(&mut program, "unblock", "unblocked");
    say(&mut program, "block", "blocked");
    program.signal(libc::SIGUSR1);
    say(&mut program, "pending", "pending: SIGUSR1");
    say(&mut program, "unblock", "unblocked");
    say(&mut program, "pending", "pending: ");
    say(&mut program, "report", "SIGUSR1: 1; SIGRTMIN: 1 [7]");
}
