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

/// `cargo lab grade`: the submission's exercise sources in a copy of this course, all
/// tests run, one score table (and the JSON and JUnit files asked for).
pub fn run(course: &Course, args: &GradeArgs) -> Result<bool, String> {
    sandbox::become_subreaper();
    let mut options = Options::new(args.time_limit, args.seed);
    if args.unsafe_no_sandbox {
        options.limits.contain = false;
    } else if let Err(why) = sandbox::available() {
        return Err(format!(
            "refusing to grade: {why}. Run it as root, or pass --unsafe-no-sandbox to grade \
             with the tests able to read the course and reach the network"
        ));
    }
    let submission = &args.submission;
    if !submission.is_dir() {
        return Err(format!("{} is not a folder", submission.display()));
    }
    // A submission is a student edition (with exercises/ inside) or its exercises/ alone.
    let submitted = if submission.join("exercises").is_dir() {
        submission.join("exercises")
    } else {
        submission.to_path_buf()
    };
    let hidden = args.hidden.clone().unwrap_or_else(|| course.hidden_dir());
    if !hidden.is_dir() {
        return Err(format!("no hidden tests at {}", hidden.display()));
    }
    let chosen = course.pick_all(&args.only)?;

    let reference = reference::probes(course, &hidden, &chosen)?;
    let scratch = assemble::assemble(
        course,
        &course.target_dir().join("grade"),
        &|exercise| submitted.join(&exercise.name).join("src"),
        Some(&hidden),
        false,
    )?;
    let mut results = Vec::new();
    for exercise in chosen {
        let name = &exercise.name;
        let src = submitted.join(name).join("src");
        if !src.is_dir() {
            eprintln!("grading {name}: not in the submission");
            let problem =
                Problem::new("not submitted", format!("{} does not exist", src.display()));
            results.push(ExerciseResult::untested(name, problem));
            continue;
        }
        eprintln!("grading {name}: {}", scratch.taken[name]);
        let transcripts = assemble::hidden_tests(&hidden, name).transcripts;
        results.push(exercise_pipeline(
            &scratch.workspace,
            name,
            &course.build_dir("grade"),
            &transcripts,
            reference.probe(name),
            &options,
        ));
    }

    println!("{}", report::table(&results, true));
    println!(
        "(random seed of the transcripts and probe cases: {}; replay with --seed {})",
        options.seed, options.seed
    );
    if !options.limits.contain {
        println!(
            "(graded with --unsafe-no-sandbox: the tests could read the course and reach the network)"
        );
    }
    let name = submission.display().to_string();
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&name, options.seed, &results))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit(&name, &results))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(true)
}

/// Exercise `name` of the assembled workspace `workspace` through build, run and judge,
/// built into `target`, with `transcripts` played against its program and its probe's
/// answers compared with those of `reference` (the reference solution's probe).
pub fn exercise_pipeline(
    workspace: &Path,
    name: &str,
    target: &Path,
    transcripts: &[PathBuf],
    reference: Option<&Path>,
    options: &Options,
) -> ExerciseResult {
    let built = match build::build(workspace, name, target) {
        Ok(built) => built,
        Err(problem) => return ExerciseResult::untested(name, problem),
    };
    let expected = match (&built.probe, reference) {
        (None, _) => None,
        (Some(_), Some(reference)) => {
            match probe::expected(reference, options.seed, options.time_limit) {
                Ok(expected) => Some(expected),
                Err(problem) => return ExerciseResult::untested(name, problem),
            }
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
    let observed = match run::run(&built, name, &dir, transcripts, expected.as_ref(), options) {
        Ok(observed) => observed,
        Err(problem) => return ExerciseResult::untested(name, problem),
    };
    judge::judge(name, observed, expected.as_ref(), options)
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
