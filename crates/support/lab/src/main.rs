//! `cargo lab`: the homework tool.
//!
//! Students: `list`, `check [EX]`, `hint EX`, `watch`, `reset EX`.
//! Maintainers: `verify` (every solution passes, every untouched exercise fails), `sync`
//! (the exercises' sources made from the solutions).
//! Instructors: `export --student DIR`, `grade --submission DIR`.

mod cargo;
mod course;
mod grade;
mod json;
mod maintain;
mod regex;
mod sandbox;
mod student;
mod sync;
mod transcript;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use course::Course;

/// Exercises for the sockets course: check your work, get hints, grade submissions.
#[derive(Parser)]
#[command(name = "cargo lab", version)]
struct Args {
    /// The course folder (default: found from the current directory).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Every exercise, its state, and your progress.
    List,
    /// Run the visible tests of an exercise (default: the next one not done).
    Check { exercise: Option<String> },
    /// Show a hint for an exercise (hint 1, or the one numbered).
    Hint {
        exercise: String,
        number: Option<usize>,
    },
    /// Check the current exercise again whenever you save.
    Watch,
    /// Put an exercise back as it was handed out (your version is saved first).
    Reset { exercise: String },
    /// Maintainers: every solution passes everything, every untouched exercise fails.
    Verify {
        /// Only these exercises.
        exercises: Vec<String>,
    },
    /// Maintainers: make exercises/NAME/src from solutions/NAME/src (their markers).
    Sync {
        /// Write nothing; fail if exercises/ is not what the solutions make.
        #[arg(long)]
        check: bool,
    },
    /// Instructors: play a transcript against a program, to try it out while writing it.
    Play {
        /// The .transcript file.
        transcript: PathBuf,
        /// The program to play it against.
        #[arg(long)]
        program: PathBuf,
        /// Seed for the random values.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Instructors: write the student edition (no solutions, no hidden tests).
    Export {
        /// The folder to write (new or empty).
        #[arg(long)]
        student: PathBuf,
    },
    /// Instructors: grade a submission with the visible and hidden tests.
    Grade {
        /// The student's copy of the course (or its exercises/ folder).
        #[arg(long)]
        submission: PathBuf,
        /// Hidden tests, one folder per exercise (default: hidden/ of this course).
        #[arg(long)]
        hidden: Option<PathBuf>,
        /// Write the results as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the results as JUnit XML here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Seconds each test may take.
        #[arg(long, default_value_t = 30)]
        time_limit: u64,
        /// Seed for the transcripts' random values (to replay a run).
        #[arg(long)]
        seed: Option<u64>,
        /// Only these exercises.
        #[arg(long = "only")]
        only: Vec<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("cargo lab: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let course = Course::find(args.root)?;
    match args.command {
        Cmd::List => student::list(&course),
        Cmd::Check { exercise } => return student::check(&course, exercise.as_deref()),
        Cmd::Hint { exercise, number } => student::hint(&course, &exercise, number)?,
        Cmd::Watch => student::watch(&course)?,
        Cmd::Reset { exercise } => student::reset(&course, &exercise)?,
        Cmd::Verify { exercises } => {
            sandbox::become_subreaper();
            return maintain::verify(&course, &exercises, &maintain::options(30, Some(1)));
        }
        Cmd::Sync { check } => return sync::run(&course, check),
        Cmd::Play {
            transcript,
            program,
            seed,
        } => {
            sandbox::become_subreaper();
            let text = std::fs::read_to_string(&transcript)
                .map_err(|e| format!("{}: {e}", transcript.display()))?;
            let parsed = transcript::Transcript::parse(&text)
                .map_err(|e| format!("{}: {e}", transcript.display()))?;
            let options = maintain::options(30, seed);
            return match parsed.play(&program, &options.limits, options.seed, options.time_limit) {
                Ok(()) => {
                    println!(
                        "{}: the program played its part (seed {})",
                        transcript.display(),
                        options.seed
                    );
                    Ok(true)
                }
                Err(report) => {
                    println!(
                        "{}: (seed {})\n{report}",
                        transcript.display(),
                        options.seed
                    );
                    Ok(false)
                }
            };
        }
        Cmd::Export { student } => maintain::export(&course, &student)?,
        Cmd::Grade {
            submission,
            hidden,
            json,
            junit,
            time_limit,
            seed,
            only,
        } => {
            sandbox::become_subreaper();
            let options = maintain::options(time_limit, seed);
            let results = maintain::grade(&course, &submission, hidden, &only, &options)?;
            println!("{}", grade::table(&results, true));
            println!(
                "(transcript random seed: {}; replay with --seed {})",
                options.seed, options.seed
            );
            let name = submission.display().to_string();
            if let Some(path) = json {
                std::fs::write(&path, grade::json(&name, options.seed, &results))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            if let Some(path) = junit {
                std::fs::write(&path, grade::junit(&name, &results))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    Ok(true)
}
