//! Hidden: random jobs (statuses, signals, delays in a random order), and thirty children
//! ending at once, every one reaped once and none left behind.

use std::collections::HashMap;
use std::process::Command;

use testkit::probe::Rng;
use testkit::{Running, children_of, run};

const BIN: &str = env!("CARGO_BIN_EXE_fork_jobs");

struct Run {
    /// job number -> pid, from `started job N as pid P`.
    started: HashMap<usize, String>,
    /// job number -> (pid, parent), from the children's own lines.
    said: HashMap<usize, (String, String)>,
    /// The parent's lines after the `started` ones.
    reaped: Vec<String>,
}

fn parse(stdout: &str) -> Run {
    let mut run = Run {
        started: HashMap::new(),
        said: HashMap::new(),
        reaped: Vec::new(),
    };
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("started job ") {
            let (n, pid) = rest.split_once(" as pid ").unwrap();
            assert!(
                run.started.insert(n.parse().unwrap(), pid.into()).is_none(),
                "{line}"
            );
        } else if let Some((n, rest)) = line
            .strip_prefix("job ")
            .and_then(|r| r.split_once(": pid "))
        {
            let (pid, parent) = rest.split_once(", parent ").unwrap();
            let n: usize = n.parse().unwrap();
            assert!(
                run.said.insert(n, (pid.into(), parent.into())).is_none(),
                "twice: {line}"
            );
        } else {
            run.reaped.push(line.to_owned());
        }
    }
    run
}

#[test]
fn random_jobs_are_reaped_in_the_order_they_end_each_as_it_ended() {
    let mut rng = Rng::new(0x666f_726b);
    let count = rng.range(5, 8);
    // Delays 0, 120, 240, ... ms handed out in a random order.
    let mut slots: Vec<usize> = (0..count).collect();
    for i in (1..count).rev() {
        slots.swap(i, rng.range(0, i));
    }
    let mut specs = Vec::new();
    let mut ends = vec![String::new(); count];
    let (mut exited, mut killed) = (0, 0);
    for (job, &slot) in slots.iter().enumerate() {
        let what = match rng.range(0, 9) {
            0 => {
                killed += 1;
                ("abort".to_owned(), "was killed by SIGABRT".to_owned())
            }
            1 => {
                killed += 1;
                ("term".to_owned(), "was killed by SIGTERM".to_owned())
            }
            _ => {
                exited += 1;
                let status = rng.range(0, 255);
                (status.to_string(), format!("exited with status {status}"))
            }
        };
        specs.push(format!("{}@{}", what.0, slot * 120));
        ends[slot] = format!("job {}", job + 1) + "\u{0}" + &what.1;
    }
    let args: Vec<&str> = specs.iter().map(String::as_str).collect();
    let out = run(BIN, &args, b"");
    assert_eq!(out.code(), Some(0), "{specs:?}: {out:?}");
    let run = parse(&out.stdout);
    assert_eq!(run.started.len(), count, "{out:?}");
    let mut expected: Vec<String> = ends
        .iter()
        .map(|e| {
            let (job, end) = e.split_once('\u{0}').unwrap();
            let n: usize = job[4..].parse().unwrap();
            format!("{job} (pid {}) {end}", run.started[&n])
        })
        .collect();
    expected.push(format!(
        "all {count} reaped: {exited} exited, {killed} killed"
    ));
    assert_eq!(run.reaped, expected, "jobs {specs:?}");
}

#[test]
fn thirty_children_ending_at_once_are_each_reaped_once_and_none_is_left() {
    let specs: Vec<String> = (0..30).map(|i| format!("{}", i % 7)).collect();
    let mut command = Command::new(BIN);
    command.arg("--hold").args(&specs);
    let mut program = Running::spawn(command);
    let mut lines = Vec::new();
    while let Some(line) = program.next_line() {
        let done = line.starts_with("all ");
        lines.push(line);
        if done {
            break;
        }
    }
    let run = parse(&lines.join("\n"));
    assert_eq!(
        run.reaped.last().map(String::as_str),
        Some("all 30 reaped: 30 exited, 0 killed")
    );
    let pid = program.pid().to_string();
    for n in 1..=30 {
        let (child, parent) = run
            .said
            .get(&n)
            .unwrap_or_else(|| panic!("job {n} said nothing"));
        assert_eq!(child, &run.started[&n], "job {n}");
        assert_eq!(parent, &pid, "job {n}'s parent");
        let line = format!("job {n} (pid {child}) exited with status {}", (n - 1) % 7);
        assert_eq!(
            run.reaped.iter().filter(|l| **l == line).count(),
            1,
            "{line}"
        );
    }
    let left = children_of(program.pid());
    assert!(
        left.is_empty(),
        "children left after all were reaped: {left:?}"
    );
    program.close_stdin();
    assert_eq!(program.wait_for_exit().code(), Some(0));
}
