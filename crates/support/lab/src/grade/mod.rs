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
pub mod report;
pub mod run;
pub mod score;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::GradeArgs;
use crate::course::Course;
use crate::sandbox::{self, Limits};
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
    let options = Options::new(args.time_limit, args.seed);
    class::run(course, args, options)
}

/// Exercise `name` of the assembled workspace `workspace` through build, run and judge,
/// built into `target`, with `transcripts` played against its program.
pub fn exercise_pipeline(
    workspace: &Path,
    name: &str,
    target: &Path,
    transcripts: &[PathBuf],
    options: &Options,
) -> ExerciseResult {
    test_built(
        workspace,
        name,
        build::build(workspace, name, target),
        transcripts,
        options,
    )
}

/// The rest of the pipeline (run, judge) for exercise `name`, once `built`.
pub fn test_built(
    workspace: &Path,
    name: &str,
    built: Result<crate::cargo::Built, Problem>,
    transcripts: &[PathBuf],
    options: &Options,
) -> ExerciseResult {
    let built = match built {
        Ok(built) => built,
        Err(problem) => return ExerciseResult::untested(name, problem),
    };
    let observed = match run::run(&built, name, &workspace.join(name), transcripts, options) {
        Ok(observed) => observed,
        Err(problem) => return ExerciseResult::untested(name, problem),
    };
    judge::judge(name, observed, options)
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
