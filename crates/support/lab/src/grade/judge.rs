//! Stage 4: judge what was observed: for each test, check of the probe and transcript,
//! passed or not, and why in a few words. A test passes when its binary ran it, exited 0
//! and left nothing running (the test binary holds none of the student's code: see
//! `assemble`); a check of the probe, when the student's probe answered every case as the
//! reference did (see `probe`); a transcript, when the program played its part and left
//! nothing behind.

use std::fmt::Write as _;

use super::Options;
use super::probe::{self, Expected};
use super::run::{NotPlayed, Observed, TestRun, TranscriptRun};
use super::score::{ExerciseResult, Kind, TestResult};
use super::tail;
use crate::cargo;
use crate::sandbox::Limits;

/// The results of exercise `name` from what running it showed (and, for its probe, what
/// the reference answered: `expected`).
pub fn judge(
    name: &str,
    observed: Observed,
    expected: Option<&Expected>,
    options: &Options,
) -> ExerciseResult {
    let mut tests: Vec<TestResult> = observed
        .tests
        .into_iter()
        .map(|run| test(run, options))
        .collect();
    if let Some(expected) = expected {
        tests.extend(probe::judge(expected, observed.checks, options));
    }
    tests.extend(
        observed
            .transcripts
            .into_iter()
            .map(|run| transcript(run, options)),
    );
    ExerciseResult {
        name: name.to_owned(),
        problem: None,
        tests,
    }
}

fn test(run: TestRun, options: &Options) -> TestResult {
    let name = format!("{}::{}", run.binary, run.test);
    let ended = match run.ended {
        Ok(ended) => ended,
        Err(e) => {
            return TestResult {
                name,
                kind: run.kind,
                passed: false,
                seconds: 0.0,
                reason: "could not start".to_owned(),
                detail: e.to_string(),
            };
        }
    };
    let ending = &ended.ending;
    let stdout = String::from_utf8_lossy(&ending.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&ending.stderr).into_owned();
    let test = &run.test;
    let limit = options.limits.hit(ended.status, &ending.stderr);
    let (passed, reason, detail) = match ended.status {
        _ if ending.hit_process_limit => (
            false,
            process_limit_reason(&options.limits),
            format!(
                "{}\n{}",
                cargo::failure_text(&stdout, test),
                tail(&stderr, 10)
            ),
        ),
        None => (
            false,
            format!("timed out after {} s", options.time_limit.as_secs()),
            format!(
                "the test was still running when its time was up (waiting for something the \
                 program never did?); its output so far:\n{}",
                tail(&stdout, 20)
            ),
        ),
        Some(status) if status.success() && stdout.contains("1 passed") => {
            if ending.leftovers.is_empty() {
                (true, String::new(), String::new())
            } else {
                (
                    false,
                    "left processes behind".to_owned(),
                    format!(
                        "still running after the test ended: {}",
                        ending.leftovers.join(", ")
                    ),
                )
            }
        }
        Some(status) if status.success() => (
            false,
            "did not run".to_owned(),
            format!("the test binary ran no test named {test}"),
        ),
        Some(status) if !status.success() && limit.is_some() => (
            false,
            limit.unwrap_or_default(),
            format!(
                "{}\n{}",
                cargo::failure_text(&stdout, test),
                tail(&stderr, 10)
            ),
        ),
        Some(status) if status.code() == Some(101) => {
            let mut detail = cargo::failure_text(&stdout, test);
            if !ending.leftovers.is_empty() {
                let _ = write!(detail, "\nleft running: {}", ending.leftovers.join(", "));
            }
            (false, "failed".to_owned(), detail)
        }
        Some(status) => (
            false,
            format!("crashed ({status})"),
            format!("{}\n{}", tail(&stdout, 20), tail(&stderr, 20)),
        ),
    };
    TestResult {
        name,
        kind: run.kind,
        passed,
        seconds: run.seconds,
        reason,
        detail,
    }
}

fn transcript(run: TranscriptRun, options: &Options) -> TestResult {
    let passed = run.outcome.is_ok();
    let (reason, detail) = match run.outcome {
        Ok(()) => (String::new(), String::new()),
        Err(NotPlayed::Unreadable(e)) => ("the transcript cannot be read".to_owned(), e),
        Err(NotPlayed::Malformed(e)) => (
            "the transcript is malformed (an instructor's mistake)".to_owned(),
            e,
        ),
        Err(NotPlayed::NoProgram { binary, built }) => (
            format!("no program named {binary}"),
            format!("the exercise builds {built:?}"),
        ),
        Err(NotPlayed::Failed(failure)) => {
            let reason = if failure.hit_process_limit {
                process_limit_reason(&options.limits)
            } else if let Some(limit) = failure.limit.clone() {
                limit
            } else if failure.left_processes {
                "left processes behind".to_owned()
            } else if failure.out_of_time {
                format!("timed out after {} s", options.time_limit.as_secs())
            } else {
                "the conversation went wrong".to_owned()
            };
            (
                reason,
                format!("(random seed {})\n{}", run.seed, failure.report),
            )
        }
    };
    TestResult {
        name: run.name,
        kind: Kind::Transcript,
        passed,
        seconds: run.seconds,
        reason,
        detail,
    }
}

/// The same words for a test and a transcript, so the table's note names it once.
pub(super) fn process_limit_reason(limits: &Limits) -> String {
    format!(
        "hit the process limit ({} processes): does it fork without end?",
        limits.processes
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    use super::*;
    use crate::grade::run::Ended;
    use crate::sandbox::Ending;

    fn ran(status: Option<i32>, stdout: &str, leftovers: &[&str]) -> TestRun {
        TestRun {
            binary: "visible".into(),
            test: "a".into(),
            kind: Kind::Visible,
            seconds: 0.5,
            ended: Ok(Ended {
                status: status.map(ExitStatus::from_raw),
                ending: Ending {
                    stdout: stdout.as_bytes().to_vec(),
                    stderr: Vec::new(),
                    leftovers: leftovers.iter().map(|s| s.to_string()).collect(),
                    hit_process_limit: false,
                },
            }),
        }
    }

    /// `ran`, with what the test wrote on stderr and whether it came near the process limit.
    fn ran_with(status: Option<i32>, stderr: &str, hit_process_limit: bool) -> TestRun {
        let mut run = ran(status, "test a ... FAILED\n", &[]);
        if let Ok(ended) = &mut run.ended {
            ended.ending.stderr = stderr.as_bytes().to_vec();
            ended.ending.hit_process_limit = hit_process_limit;
        }
        run
    }

    #[test]
    fn a_test_stopped_by_a_limit_is_told_which_one() {
        let options = Options::new(4, Some(1));
        let judged = |run| test(run, &options);
        // Near the process limit: said so, whatever the status (here a plain failure).
        let forks = judged(ran_with(Some(101 << 8), "", true));
        assert_eq!(
            forks.reason,
            "hit the process limit (256 processes): does it fork without end?"
        );
        assert!(!forks.passed);
        // Out of memory: Rust's allocator says so on stderr, then aborts (SIGABRT).
        let memory = judged(ran_with(
            Some(libc::SIGABRT),
            "memory allocation of 4096 bytes failed\n",
            false,
        ));
        assert_eq!(
            memory.reason,
            "hit the memory limit (1024 MiB of address space per process)"
        );
        // A file over the size limit: SIGXFSZ.
        let file = judged(ran_with(Some(libc::SIGXFSZ), "", false));
        assert_eq!(file.reason, "hit the file size limit (64 MiB per file)");
        // A failure that left processes behind says so in its detail.
        let left = judged(ran(Some(101 << 8), "", &["7 sleep 9"]));
        assert_eq!(left.reason, "failed");
        assert!(left.detail.contains("left running: 7 sleep 9"), "{left:?}");
    }

    #[test]
    fn a_transcript_that_did_not_play_through_says_why() {
        use crate::grade::run::{NotPlayed, TranscriptRun};
        use crate::transcript::Failure;
        let options = Options::new(4, Some(1));
        let judged = |outcome| {
            transcript(
                TranscriptRun {
                    name: "greeting".into(),
                    seconds: 0.1,
                    seed: 7,
                    outcome,
                },
                &options,
            )
        };
        let played = judged(Ok(()));
        assert!(played.passed && played.reason.is_empty(), "{played:?}");
        assert_eq!(
            (played.name.as_str(), played.kind),
            ("greeting", Kind::Transcript)
        );
        let failed = |change: fn(&mut Failure)| {
            let mut failure = Failure::from("expected HELLO, got hello".to_owned());
            change(&mut failure);
            judged(Err(NotPlayed::Failed(failure)))
        };
        let wrong = failed(|_| {});
        assert!(!wrong.passed);
        assert_eq!(wrong.reason, "the conversation went wrong");
        assert_eq!(wrong.detail, "(random seed 7)\nexpected HELLO, got hello");
        type Change = fn(&mut Failure);
        let cases: [(Change, &str); 4] = [
            (
                |f| f.hit_process_limit = true,
                "hit the process limit (256 processes): does it fork without end?",
            ),
            (
                |f| f.limit = Some("hit the file size limit (64 MiB per file)".into()),
                "hit the file size limit (64 MiB per file)",
            ),
            (|f| f.left_processes = true, "left processes behind"),
            (|f| f.out_of_time = true, "timed out after 4 s"),
        ];
        for (change, reason) in cases {
            assert_eq!(failed(change).reason, reason);
        }
        // The process limit is named first, whatever else went wrong.
        let both = failed(|f| {
            f.hit_process_limit = true;
            f.out_of_time = true;
        });
        assert!(both.reason.starts_with("hit the process limit"), "{both:?}");
        let missing = judged(Err(NotPlayed::NoProgram {
            binary: "server".into(),
            built: vec!["client".into()],
        }));
        assert_eq!(
            (missing.reason.as_str(), missing.detail.as_str()),
            (
                "no program named server",
                "the exercise builds [\"client\"]"
            )
        );
        let unreadable = judged(Err(NotPlayed::Unreadable("gone".into())));
        assert_eq!(unreadable.reason, "the transcript cannot be read");
        let malformed = judged(Err(NotPlayed::Malformed("line 3".into())));
        assert_eq!(
            malformed.reason,
            "the transcript is malformed (an instructor's mistake)"
        );
    }

    #[test]
    fn a_test_passes_only_when_it_ran_exited_0_and_left_nothing() {
        let options = Options::new(4, Some(1));
        let judged = |run| test(run, &options);
        let ok = judged(ran(Some(0), "test a ... ok\n1 passed", &[]));
        assert!(ok.passed && ok.reason.is_empty(), "{ok:?}");
        assert_eq!(ok.name, "visible::a");
        let left = judged(ran(Some(0), "1 passed", &["42 sleep 60"]));
        assert_eq!(left.reason, "left processes behind");
        assert!(left.detail.contains("42 sleep 60"));
        assert_eq!(judged(ran(Some(0), "0 passed", &[])).reason, "did not run");
        assert_eq!(judged(ran(Some(101 << 8), "", &[])).reason, "failed");
        assert_eq!(judged(ran(None, "", &[])).reason, "timed out after 4 s");
        let crashed = judged(ran(Some(11), "", &[]));
        assert_eq!(crashed.reason, "crashed (signal: 11 (SIGSEGV))");
    }
}
