//! `cargo lab`: the homework tool.
//!
//! Students: `list`, `check [EX]`, `hint EX`, `watch`, `reset EX`.
//! Maintainers: `verify` (every solution passes, every untouched exercise fails), `sync`
//! (the exercises' sources made from the markers in the solutions), `bench-grade` (how
//! long grading a class takes).
//! Instructors: `export --student DIR` (or `--gradescope FILE.zip`, `--classroom DIR`),
//! `play FILE --program P`, `grade --submission DIR` (or `--class DIR --out DIR`).
//!
//! `cli` reads the command line; each command is a module of its own (`list`, `check`,
//! ...). A `Course` holds its `Exercise`s; `progress` remembers what `check` found.
//! Grading is a pipeline in `grade/` (assemble → build → run → judge → report), which
//! `verify` uses too, and `grade/class` runs it for each student of a class; `gradescope`
//! and `classroom` export the course for those platforms; `transcript/` parses and plays transcripts; `sandbox` runs the code
//! we did not write.

mod bench;
mod cargo;
mod check;
mod classroom;
mod cli;
mod contents;
mod course;
mod exercise;
mod export;
mod files;
mod grade;
mod gradescope;
mod hint;
mod list;
mod play;
mod progress;
mod reset;
mod sandbox;
mod sync;
mod transcript;
mod verify;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use cli::{Args, Command};
use course::Course;

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

/// Carries out the command: `Ok(true)` when it succeeded (exit status 0), `Ok(false)`
/// when it ran and found a failure (1), `Err` when it could not do its job (2).
fn run(args: Args) -> Result<bool, String> {
    let course = || Course::find(args.root.clone());
    match args.command {
        Command::List => list::run(&course()?),
        Command::Check { exercise } => check::run(&course()?, exercise.as_deref()),
        Command::Hint { exercise, number } => hint::run(&course()?, &exercise, number),
        Command::Watch => watch::run(&course()?),
        Command::Reset { exercise } => reset::run(&course()?, &exercise),
        Command::Verify { exercises, jobs } => verify::run(&course()?, &exercises, jobs),
        Command::Sync { check } => sync::run(&course()?, check),
        Command::Play(play) => play::run(&play),
        Command::Export(export) => export::run(&course()?, &export),
        Command::Grade(grade) => grade::run(&course()?, &grade),
        Command::BenchGrade(bench) => bench::run(&course()?, &bench),
    }
}
