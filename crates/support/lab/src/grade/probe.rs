//! Probes: the verdicts on a library exercise, decided here and not in the student's
//! process.
//!
//! A probe (`hidden/NAME/probe.rs`, written with `testkit::probe`) is a program that calls
//! the exercise's functions on a case (a check's name and a seed) and writes down the
//! input it drew and what the functions did. It is built twice: against the reference
//! solution (`reference`, run by the grader itself, whose answers are the expected ones)
//! and against the student's library (run in the sandbox, a process per check). The
//! grader picks the seeds, from the run's seed, and compares the answers itself: what the
//! student's code prints, writes or exits with can at most be a wrong answer or none.
//!
//! The stages: `expected` runs the reference (before `run`), `observe` runs the student's
//! probe (in `run`), `judge` compares (in `judge`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Options;
use super::run::Ended;
use super::score::{Kind, Problem, TestResult};
use super::tail;
use crate::sandbox::Sandboxed;

/// A check of a probe, and the seeds of its cases in this run.
pub struct Check {
    pub name: String,
    pub kind: Kind,
    pub seeds: Vec<u64>,
}

/// What a probe answered for one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The input, as the probe describes it.
    pub input: String,
    /// What the code under test did, as text.
    pub output: String,
}

/// The reference solution's answers: what every probe of the student must answer.
pub struct Expected {
    pub checks: Vec<Check>,
    answers: HashMap<(String, u64), Answer>,
}

/// One check run by the student's probe.
pub struct CheckRun {
    pub seconds: f64,
    /// How the probe ended; `Err` if it could not be started.
    pub ended: io::Result<Ended>,
    /// Its answers, by seed.
    pub answers: HashMap<u64, Answer>,
}

/// The seed of case `index` of check `name` in a run seeded `seed`: the same in every run
/// with that seed, whatever other checks the probe has.
pub fn case_seed(seed: u64, name: &str, index: usize) -> u64 {
    // FNV-1a of the name, then SplitMix64's finaliser.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(hash)
        .wrapping_add((index as u64).wrapping_mul(0xd1b5_4a32_d192_ed03));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    // Kept below 2^53 so that a seed reads the same in JSON as here.
    (z ^ (z >> 31)) >> 11
}

/// The reference's answers as recorded for one seed: what `probe list` and `probe run`
/// printed. The Gradescope autograder carries these instead of the solutions (see
/// `gradescope`); `reference` reads them back.
#[derive(Serialize, Deserialize)]
pub struct Recorded {
    pub seed: u64,
    pub list: String,
    pub run: String,
}

/// The words of a reference that failed: the instructor's mistake, and it says so.
fn mistake(detail: String) -> Problem {
    Problem::new(
        "its probe fails on the reference solution (an instructor's mistake)",
        detail,
    )
}

/// Runs the reference probe `reference`: its checks, and its answer to every case of this
/// run (seeded `seed`). A reference that fails is the instructor's mistake, and says so.
pub fn expected(reference: &Path, seed: u64, time_limit: Duration) -> Result<Expected, Problem> {
    let recorded = record(reference, seed, time_limit)?;
    from_recorded(&recorded)
}

/// Runs the reference probe `reference` on the cases of a run seeded `seed`, and keeps
/// what it printed.
pub fn record(reference: &Path, seed: u64, time_limit: Duration) -> Result<Recorded, Problem> {
    let list = run_trusted(reference, "list", b"", time_limit).map_err(mistake)?;
    let checks = checks(&list, seed)?;
    let input: String = checks.iter().map(case_lines).collect();
    let limit = time_limit * checks.len() as u32;
    let run = run_trusted(reference, "run", input.as_bytes(), limit).map_err(mistake)?;
    Ok(Recorded { seed, list, run })
}

/// The checks a probe listed (`list`, what `probe list` printed), with the seeds of their
/// cases in a run seeded `seed`.
fn checks(list: &str, seed: u64) -> Result<Vec<Check>, Problem> {
    let mut checks = Vec::new();
    for line in list.lines() {
        let mut words = line.split_whitespace();
        let (Some(kind), Some(cases), Some(name), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(mistake(format!("`probe list` printed {line:?}")));
        };
        let kind = match kind {
            "visible" => Kind::Visible,
            "hidden" => Kind::Hidden,
            _ => return Err(mistake(format!("`probe list` printed {line:?}"))),
        };
        let cases: usize = cases
            .parse()
            .map_err(|_| mistake(format!("`probe list` printed {line:?}")))?;
        checks.push(Check {
            name: name.to_owned(),
            kind,
            seeds: (0..cases).map(|i| case_seed(seed, name, i)).collect(),
        });
    }
    if checks.is_empty() {
        return Err(mistake("the probe lists no checks".into()));
    }
    Ok(checks)
}

/// The expected answers from what the reference printed: every case answered, none of
/// them by a panic.
pub fn from_recorded(recorded: &Recorded) -> Result<Expected, Problem> {
    let checks = checks(&recorded.list, recorded.seed)?;
    let answers = records(&recorded.run);
    for check in &checks {
        for seed in &check.seeds {
            match answers.get(&(check.name.clone(), *seed)) {
                None => {
                    return Err(mistake(format!(
                        "no answer to case `{} {seed}`",
                        check.name
                    )));
                }
                Some(answer) if answer.output.starts_with("panicked") => {
                    return Err(mistake(format!(
                        "case `{} {seed}` (input {}): {}",
                        check.name, answer.input, answer.output
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(Expected { checks, answers })
}

/// The lines that ask a probe for the cases of `check`.
fn case_lines(check: &Check) -> String {
    check
        .seeds
        .iter()
        .map(|seed| format!("{} {seed}\n", check.name))
        .collect()
}

/// Runs the student's probe `probe` (in the folder `dir`) once per check of `expected`,
/// in the sandbox, each run under the time limit of a test.
pub fn observe(probe: &Path, expected: &Expected, dir: &Path, options: &Options) -> Vec<CheckRun> {
    expected
        .checks
        .iter()
        .map(|check| {
            let started = Instant::now();
            let mut command = Command::new(probe);
            command
                .arg("run")
                .current_dir(dir)
                .env("RUST_BACKTRACE", "0");
            let ended = Sandboxed::spawn(command, &options.limits, case_lines(check).as_bytes())
                .map(|mut child| {
                    let status = child.wait_until(started + options.time_limit);
                    Ended {
                        status,
                        ending: child.finish(),
                    }
                });
            let answers = match &ended {
                Ok(ended) => records(&String::from_utf8_lossy(&ended.ending.stdout))
                    .into_iter()
                    .filter(|((name, _), _)| *name == check.name)
                    .map(|((_, seed), answer)| (seed, answer))
                    .collect(),
                Err(_) => HashMap::new(),
            };
            CheckRun {
                seconds: started.elapsed().as_secs_f64(),
                ended,
                answers,
            }
        })
        .collect()
}

/// A result per check: passed when the student's probe answered every case as the
/// reference did (the same input, drawn from the seed by the probe's code, and the same
/// output), and left nothing running.
pub fn judge(expected: &Expected, runs: Vec<CheckRun>, options: &Options) -> Vec<TestResult> {
    expected
        .checks
        .iter()
        .zip(runs)
        .map(|(check, run)| judge_check(expected, check, run, options))
        .collect()
}

fn judge_check(expected: &Expected, check: &Check, run: CheckRun, options: &Options) -> TestResult {
    let mut result = TestResult {
        name: format!("probe::{}", check.name),
        kind: check.kind,
        passed: false,
        seconds: run.seconds,
        reason: String::new(),
        detail: String::new(),
    };
    let ended = match run.ended {
        Ok(ended) => ended,
        Err(e) => {
            result.reason = "could not start".into();
            result.detail = e.to_string();
            return result;
        }
    };
    for (index, seed) in check.seeds.iter().enumerate() {
        let want = &expected.answers[&(check.name.clone(), *seed)];
        let heading = format!("case {} of {} (seed {seed})", index + 1, check.seeds.len());
        match run.answers.get(seed) {
            Some(got) if got == want => continue,
            Some(got) => {
                result.reason = if got.output.starts_with("panicked") {
                    "panicked".into()
                } else if got.input != want.input {
                    // Only the probe's own code, which the student has not seen, draws the
                    // input from the seed: an answer to another input was not written by it.
                    "answered another input".into()
                } else {
                    "wrong result".into()
                };
                result.detail = compared(&heading, &want.input, &want.output, &got.output);
                if got.input != want.input && !got.output.starts_with("panicked") {
                    let _ = write!(
                        result.detail,
                        "
the answer was for the input {}",
                        shortened(&got.input, 400)
                    );
                }
            }
            None => {
                let ending = &ended.ending;
                let limit = options.limits.hit(ended.status, &ending.stderr);
                let (reason, what) = match ended.status {
                    _ if ending.hit_process_limit => (
                        super::judge::process_limit_reason(&options.limits),
                        "the probe hit the process limit during this case".to_owned(),
                    ),
                    // The memory or file size limit: said as such, as for tests.
                    _ if limit.is_some() => (
                        limit.clone().unwrap_or_default(),
                        "the probe was stopped by a limit during this case".to_owned(),
                    ),
                    None => (
                        format!("timed out after {} s", options.time_limit.as_secs()),
                        "the probe was still on this case when its time was up".to_owned(),
                    ),
                    Some(status) => ended_by(status),
                };
                result.reason = reason;
                let observed = format!("no answer: {what}");
                result.detail = compared(&heading, &want.input, &want.output, &observed);
                let stderr = String::from_utf8_lossy(&ending.stderr);
                if !stderr.trim().is_empty() {
                    let _ = write!(
                        result.detail,
                        "\nits stderr (last lines):\n{}",
                        tail(&stderr, 10)
                    );
                }
            }
        }
        return result;
    }
    if !ended.ending.leftovers.is_empty() {
        result.reason = "left processes behind".into();
        result.detail = format!(
            "still running after the probe ended: {}",
            ended.ending.leftovers.join(", ")
        );
        return result;
    }
    result.passed = true;
    result
}

/// The reason and the words for a probe that ended by itself before answering.
fn ended_by(status: ExitStatus) -> (String, String) {
    match status.code() {
        Some(code) => (
            "exited in the middle of a case".into(),
            format!(
                "the probe exited with status {code} during this case (does the code call \
                 process::exit?)"
            ),
        ),
        None => (
            format!("crashed ({status})"),
            format!("the probe crashed ({status}) during this case"),
        ),
    }
}

/// The report of a case that went wrong: input, expected, observed, and where the two
/// first differ when that is not plain to see.
fn compared(heading: &str, input: &str, expected: &str, observed: &str) -> String {
    const SHOWN: usize = 400;
    let mut out = format!(
        "{heading}\ninput:    {}\nexpected: {}\nobserved: {}",
        shortened(input, SHOWN),
        shortened(expected, SHOWN),
        shortened(observed, SHOWN)
    );
    let (e, o): (Vec<char>, Vec<char>) = (expected.chars().collect(), observed.chars().collect());
    let plain = observed.starts_with("no answer") || observed.starts_with("panicked");
    let at = e.iter().zip(&o).take_while(|(a, b)| a == b).count();
    // Pointed at only when it is not plain to see at the start of the lines above.
    if at >= 40 && !plain {
        let window = |text: &[char]| {
            let from = at.saturating_sub(30);
            let to = (at + 30).min(text.len());
            let mut shown: String = text[from..to].iter().collect();
            if from > 0 {
                shown.insert(0, '…');
            }
            if to < text.len() {
                shown.push('…');
            }
            shown
        };
        let _ = write!(
            out,
            "\nfirst difference at character {at} (of {} expected, {} observed):\n  expected {}\n  observed {}",
            e.len(),
            o.len(),
            window(&e),
            window(&o)
        );
    }
    out
}

/// `text`, cut after `max` characters with a note of how much more there is.
fn shortened(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… ({} more characters)", count - max)
}

/// The records a probe wrote: `NAME SEED<TAB>INPUT<TAB>OUTPUT` lines. Other lines are
/// skipped; of two records for one case, the first counts.
fn records(text: &str) -> HashMap<(String, u64), Answer> {
    let mut found = HashMap::new();
    for line in text.lines() {
        let Some((case, rest)) = line.split_once('\t') else {
            continue;
        };
        let Some((input, output)) = rest.split_once('\t') else {
            continue;
        };
        let Some((name, seed)) = case.split_once(' ') else {
            continue;
        };
        let Ok(seed) = seed.parse::<u64>() else {
            continue;
        };
        found
            .entry((name.to_owned(), seed))
            .or_insert_with(|| Answer {
                input: unescape(input),
                output: unescape(output),
            });
    }
    found
}

/// Undoes `testkit::probe::escape`.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Runs the instructor's own program `program` with `argument` and `stdin`, as the grader
/// (it is trusted: the reference solution and the instructor's probe), for at most
/// `limit`; its stdout, or why it failed.
fn run_trusted(
    program: &Path,
    argument: &str,
    stdin: &[u8],
    limit: Duration,
) -> Result<String, String> {
    let mut child = Command::new(program)
        .arg(argument)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    let feeding = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let read = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut all = Vec::new();
            let _ = pipe.read_to_end(&mut all);
            all
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let _ = feeding.join();
    let stdout = String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    match status {
        Some(status) if status.success() => Ok(stdout),
        Some(status) => Err(format!(
            "`{} {argument}` ended with {status}:\n{}",
            program.display(),
            tail(&stderr, 20)
        )),
        None => Err(format!(
            "`{} {argument}` took more than {} s",
            program.display(),
            limit.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::os::unix::process::ExitStatusExt;

    use crate::sandbox::Ending;

    fn answer(input: &str, output: &str) -> Answer {
        Answer {
            input: input.into(),
            output: output.into(),
        }
    }

    /// The reference's answers to two cases of the check `send` (seeds 1 and 2).
    fn expected() -> Expected {
        let mut answers = HashMap::new();
        answers.insert(("send".to_owned(), 1), answer("[1]", "Ok(1)"));
        answers.insert(("send".to_owned(), 2), answer("[2, 2]", "Ok(2)"));
        Expected {
            checks: vec![Check {
                name: "send".into(),
                kind: Kind::Hidden,
                seeds: vec![1, 2],
            }],
            answers,
        }
    }

    /// The student's probe, ended with `status` (None: still running at the time limit),
    /// having answered `answers`.
    fn probe_run(status: Option<i32>, stderr: &str, answers: &[(u64, Answer)]) -> CheckRun {
        CheckRun {
            seconds: 0.2,
            ended: Ok(Ended {
                status: status.map(ExitStatus::from_raw),
                ending: Ending {
                    stdout: Vec::new(),
                    stderr: stderr.as_bytes().to_vec(),
                    leftovers: Vec::new(),
                    hit_process_limit: false,
                },
            }),
            answers: answers.iter().cloned().collect(),
        }
    }

    #[test]
    fn a_check_passes_when_every_case_is_answered_as_the_reference_did() {
        let options = Options::new(4, Some(1));
        let judged = |run| {
            let mut results = judge(&expected(), vec![run], &options);
            assert_eq!(results.len(), 1);
            results.remove(0)
        };
        let right = [(1, answer("[1]", "Ok(1)")), (2, answer("[2, 2]", "Ok(2)"))];
        let passed = judged(probe_run(Some(0), "", &right));
        assert!(passed.passed && passed.reason.is_empty(), "{passed:?}");
        assert_eq!(
            (passed.name.as_str(), passed.kind),
            ("probe::send", Kind::Hidden)
        );

        let wrong = judged(probe_run(
            Some(0),
            "",
            &[(1, answer("[1]", "Ok(1)")), (2, answer("[2, 2]", "Ok(3)"))],
        ));
        assert_eq!(wrong.reason, "wrong result");
        assert!(
            wrong.detail.starts_with(
                "case 2 of 2 (seed 2)\ninput:    [2, 2]\nexpected: Ok(2)\nobserved: Ok(3)"
            ),
            "{}",
            wrong.detail
        );
        // Only an answer to another input names that input.
        assert!(
            !wrong.detail.contains("the answer was for"),
            "{}",
            wrong.detail
        );
        let panicked = judged(probe_run(
            Some(0),
            "",
            &[(1, answer("[7]", "panicked at 'oops'"))],
        ));
        assert_eq!(panicked.reason, "panicked");
        assert!(
            !panicked.detail.contains("the answer was for"),
            "{}",
            panicked.detail
        );
        let other = judged(probe_run(Some(0), "", &[(1, answer("[9]", "Ok(9)"))]));
        assert_eq!(other.reason, "answered another input");
        assert!(
            other.detail.ends_with("the answer was for the input [9]"),
            "{}",
            other.detail
        );

        // No answer to the first case: why the probe stopped.
        let timed_out = judged(probe_run(None, "", &[]));
        assert_eq!(timed_out.reason, "timed out after 4 s");
        assert!(
            timed_out
                .detail
                .contains("observed: no answer: the probe was still on this case")
        );
        let exited = judged(probe_run(Some(3 << 8), "bye\n", &[]));
        assert_eq!(exited.reason, "exited in the middle of a case");
        assert!(
            exited.detail.contains("the probe exited with status 3"),
            "{}",
            exited.detail
        );
        assert!(
            exited.detail.ends_with("its stderr (last lines):\nbye"),
            "{}",
            exited.detail
        );
        let crashed = judged(probe_run(Some(libc::SIGSEGV), "", &[]));
        assert_eq!(crashed.reason, "crashed (signal: 11 (SIGSEGV))");
        let memory = judged(probe_run(
            Some(libc::SIGABRT),
            "memory allocation of 8 bytes failed\n",
            &[],
        ));
        assert_eq!(
            memory.reason,
            "hit the memory limit (1024 MiB of address space per process)"
        );
        let mut forks = probe_run(Some(0), "", &[]);
        if let Ok(ended) = &mut forks.ended {
            ended.ending.hit_process_limit = true;
        }
        assert!(
            judged(forks)
                .reason
                .starts_with("hit the process limit (256 processes)")
        );

        // Every answer right, but something left running.
        let mut left = probe_run(Some(0), "", &right);
        if let Ok(ended) = &mut left.ended {
            ended.ending.leftovers = vec!["9 sleep 60".into()];
        }
        let left = judged(left);
        assert_eq!(left.reason, "left processes behind");
        assert_eq!(
            left.detail,
            "still running after the probe ended: 9 sleep 60"
        );
        let mut unstarted = probe_run(Some(0), "", &[]);
        unstarted.ended = Err(io::Error::other("no such file"));
        let unstarted = judged(unstarted);
        assert_eq!(
            (unstarted.reason.as_str(), unstarted.detail.as_str()),
            ("could not start", "no such file")
        );
    }

    /// What a reference probe printed for `list`, with an answer to every case of seed 7
    /// (`panicked` for the cases of the check named so).
    fn recorded(list: &str) -> Recorded {
        let run = checks(list, 7)
            .unwrap_or_default()
            .iter()
            .flat_map(|check| {
                let output = if check.name == "panicked" {
                    "panicked at x"
                } else {
                    "Ok(1)"
                };
                check
                    .seeds
                    .iter()
                    .map(move |seed| format!("{} {seed}\t[1]\t{output}\n", check.name))
            })
            .collect();
        Recorded {
            seed: 7,
            list: list.into(),
            run,
        }
    }

    #[test]
    fn the_reference_lists_its_checks_and_answers_every_case() {
        let expected = from_recorded(&recorded("visible 1 send\nhidden 2 echo\n")).unwrap();
        let listed: Vec<(&str, Kind, usize)> = expected
            .checks
            .iter()
            .map(|c| (c.name.as_str(), c.kind, c.seeds.len()))
            .collect();
        assert_eq!(
            listed,
            [("send", Kind::Visible, 1), ("echo", Kind::Hidden, 2)]
        );
        assert_eq!(
            expected.checks[1].seeds,
            [case_seed(7, "echo", 0), case_seed(7, "echo", 1)]
        );

        // A reference that panics on a case, lists a kind there is none of, prints a line
        // that is not `KIND CASES NAME`, or lists nothing, is the instructor's mistake.
        for (list, says) in [
            ("hidden 1 panicked\n", "case `panicked "),
            ("secret 1 send\n", "`probe list` printed \"secret 1 send\""),
            ("visible send\n", "`probe list` printed \"visible send\""),
            ("", "the probe lists no checks"),
        ] {
            let Err(problem) = from_recorded(&recorded(list)) else {
                panic!("{list:?} was taken");
            };
            assert!(
                problem.what.contains("instructor's mistake"),
                "{}",
                problem.what
            );
            assert!(
                problem.detail.contains(says),
                "{list:?}: {}",
                problem.detail
            );
        }
        let mut unanswered = recorded("hidden 1 send\n");
        unanswered.run.clear();
        let Err(problem) = from_recorded(&unanswered) else {
            panic!("a reference that answered nothing was taken");
        };
        assert!(
            problem.detail.starts_with("no answer to case `send "),
            "{}",
            problem.detail
        );
    }

    #[test]
    fn the_reference_gets_the_time_limit_once_per_check() {
        // A reference probe of six checks that takes 1 s for all its cases, with a time
        // limit of 1 s per check: well within the 6 s it is given.
        let dir = tempfile::tempdir().unwrap();
        let probe = dir.path().join("probe");
        std::fs::write(
            &probe,
            "#!/bin/sh\n\
             case \"$1\" in\n\
             list) for c in a b c d e f; do echo \"hidden 1 $c\"; done ;;\n\
             run) sleep 1; while read -r name seed; do printf '%s %s\\t[]\\tOk\\n' \"$name\" \"$seed\"; done ;;\n\
             esac\n",
        )
        .unwrap();
        std::fs::set_permissions(&probe, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        // Another test's fork may still hold the file open for writing for a moment.
        for _ in 0..100 {
            match Command::new(&probe).arg("none").status() {
                Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy => {
                    thread::sleep(Duration::from_millis(10));
                }
                _ => break,
            }
        }
        let expected = super::expected(&probe, 7, Duration::from_secs(1)).unwrap();
        assert_eq!(expected.checks.len(), 6);
        assert!(expected.checks.iter().all(|c| c.kind == Kind::Hidden));
    }

    #[test]
    fn records_are_read_back_and_garbage_is_skipped() {
        let text = "test result: ok. 1 passed\nsend 7\ta\\tb\tOk(\\\"x\\\\n\\\")\nsend 7\tlater\tignored\nsend x\ta\tb\n";
        let found = records(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[&("send".to_owned(), 7)],
            Answer {
                input: "a\tb".into(),
                output: "Ok(\"x\\n\")".into()
            }
        );
    }

    #[test]
    fn seeds_depend_on_the_run_the_check_and_the_case() {
        // The values themselves are fixed: a seed printed in a report (`--seed 42`) must
        // draw the same cases when the submission is graded again by a later grader.
        let known = [
            case_seed(42, "send", 0),
            case_seed(42, "send", 1),
            case_seed(0, "", 0),
            case_seed(999_999, "round_trip", 7),
        ];
        assert_eq!(
            known,
            [
                8_005_324_400_523_169,
                7_547_491_542_067_512,
                8_625_955_362_125_501,
                2_289_745_329_109_840
            ]
        );
        let a = case_seed(42, "send", 0);
        assert_eq!(a, case_seed(42, "send", 0));
        assert_ne!(a, case_seed(43, "send", 0));
        assert_ne!(a, case_seed(42, "recv", 0));
        assert_ne!(a, case_seed(42, "send", 1));
        assert!(a < 1 << 53);
    }

    #[test]
    fn a_long_difference_is_pointed_at() {
        let expected = "x".repeat(100) + "abc" + &"y".repeat(100);
        let observed = "x".repeat(100) + "abd" + &"y".repeat(100);
        let text = compared("case 1 of 1", "in", &expected, &observed);
        assert!(
            text.contains("first difference at character 102 (of 203 expected, 203 observed)"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "expected …{}abc{}…",
                "x".repeat(28),
                "y".repeat(29)
            )),
            "{text}"
        );
        let short = compared("case 1 of 1", "in", "Ok(3)", "Ok(4)");
        assert!(!short.contains("first difference"), "{short}");
        // Near the end, the window stops at the end, without a mark of more.
        let near_end = compared(
            "case 1 of 1",
            "in",
            &("x".repeat(50) + "a"),
            &("x".repeat(50) + "b"),
        );
        assert!(
            near_end.contains(&format!("\n  expected …{}a\n", "x".repeat(30))),
            "{near_end}"
        );
        // A probe that panicked or did not answer is plain to see: no pointer, however
        // long the common start.
        let message = "panicked at src/lib.rs:10:5: index out of bounds: the len is 3 but";
        for (expected, observed) in [
            (
                format!("{message} the index is 4"),
                format!("{message} the index is 5"),
            ),
            (
                format!("no answer: {message} the index is 4"),
                format!("no answer: {message}"),
            ),
        ] {
            let plain = compared("case 1 of 1", "in", &expected, &observed);
            assert!(!plain.contains("first difference"), "{plain}");
        }
        // A long input, expected or observed value is cut, saying how much was left out.
        assert_eq!(shortened("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(shortened("abc", 3), "abc");
    }
}
