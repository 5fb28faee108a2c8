//! `cargo lab grade`: grading as a pipeline, one module per stage, data flowing one way.
//!
//! ```text
//! assemble ──> build ──> run ──> judge ──> report
//! scratch tree  Built    Observed  ExerciseResult  table, JSON, JUnit
//! ```
//!
//! `assemble` puts the submission's sources into a scratch copy of the course; then, for
//! each exercise, `build` compiles it (refusing one that compiled in files outside its
//! `src/`), `run` runs every test and transcript in the sandbox, `judge` turns what it saw
//! into results, and `report` writes them. Each stage takes what it needs as arguments and
//! hands its result to the next. `verify` runs the same pipeline on the solutions.

pub mod assemble;
pub mod build;
pub mod class;
pub mod gradebook;
pub mod judge;
pub mod probe;
pub mod reference;
pub mod report;
pub mod run;
pub mod score;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::GradeArgs;
use crate::course::Course;
use crate::sandbox::{self, Limits};
use probe::Expected;
use reference::ReferenceProbe;
use score::{ExerciseResult, Problem};

/// How tests are run.
#[derive(Clone)]
pub struct Options {
    pub limits: Limits,
    /// Longest a single test (or transcript) may take.
    pub time_limit: Duration,
    /// Seeds the random values of transcripts.
    pub seed: u64,
}

impl Options {
    /// The grading limits, `time_limit` seconds per test, and `seed` (or one drawn from
    /// the clock, small enough to type back with `--seed`).
    pub fn new(time_limit: u64, seed: Option<u64>) -> Options {
        let seed = seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                % 1_000_000
        });
        Options {
            limits: Limits::grading(),
            time_limit: Duration::from_secs(time_limit),
            seed,
        }
    }
}

/// `cargo lab grade`: a submission's (or each of a class's) exercise sources in a copy
/// of this course, all tests run, the score table (and the files asked for). See `class`.
pub fn run(course: &Course, args: &GradeArgs) -> Result<bool, String> {
    sandbox::become_subreaper();
    let mut options = Options::new(args.time_limit, args.seed);
    if args.unsafe_no_sandbox {
        options.limits.contain = false;
    } else if args.prepare {
        // Compiling what submissions share runs none of a student's code.
    } else if let Err(why) = sandbox::available() {
        return Err(format!(
            "refusing to grade: {why}. Run it as root, or pass --unsafe-no-sandbox to grade \
             with the tests able to read the course and reach the network"
        ));
    }
    class::run(course, args, options)
}

/// Exercise `name` of the assembled workspace `workspace` through build, run and judge,
/// built into `target`, with `transcripts` played against its program and its probe's
/// answers compared with those of `reference` (the reference solution's probe).
pub fn exercise_pipeline(
    workspace: &Path,
    name: &str,
    target: &Path,
    transcripts: &[PathBuf],
    reference: Option<&ReferenceProbe>,
    options: &Options,
) -> ExerciseResult {
    let built = build::build(workspace, name, target);
    // The reference runs only for what it can judge: a probe that was built.
    let expected = match (&built, reference) {
        (Ok(built), Some(reference)) if built.probe.is_some() => {
            Some(reference.expected(options.seed, options.time_limit))
        }
        _ => None,
    };
    test_built(
        workspace,
        name,
        built,
        transcripts,
        expected.as_ref(),
        options,
    )
}

/// The rest of the pipeline (run, judge) for exercise `name`, once `built`; its probe's
/// answers are compared with `expected` (the reference's, for this run's seed).
pub fn test_built(
    workspace: &Path,
    name: &str,
    built: Result<crate::cargo::Built, Problem>,
    transcripts: &[PathBuf],
    expected: Option<&Result<Expected, Problem>>,
    options: &Options,
) -> ExerciseResult {
    let built = match built {
        Ok(built) => built,
        Err(problem) => return ExerciseResult::untested(name, problem),
    };
    let expected = match (&built.probe, expected) {
        (None, _) => None,
        (Some(_), Some(Ok(expected))) => Some(expected),
        (Some(_), Some(Err(problem))) => {
            let problem = Problem::new(&problem.what, problem.detail.clone());
            return ExerciseResult::untested(name, problem);
        }
        (Some(_), None) => {
            let problem = Problem::new(
                "cannot be judged",
                "it has a probe, but there is no reference build of it",
            );
            return ExerciseResult::untested(name, problem);
        }
    };
    let dir = workspace.join(name);
    let observed = match run::run(&built, name, &dir, transcripts, expected, options) {
        Ok(observed) => observed,
        Err(problem) => return ExerciseResult::untested(name, problem),
    };
    judge::judge(name, observed, expected, options)
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
