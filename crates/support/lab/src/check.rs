//! `cargo lab check [EX]`: builds an exercise (showing progress), runs its visible tests,
//! and remembers the outcome.

use std::process::Stdio;

use crate::cargo::{self, Messages};
use crate::course::Course;
use crate::exercise::Exercise;
use crate::progress::Progress;

/// Checks `name`, or the next exercise not done; true when every visible test passes.
pub fn run(course: &Course, name: Option<&str>) -> Result<bool, String> {
    let exercise = match name {
        Some(name) => course.pick(name)?,
        None => match Progress::load(course).next(course) {
            Some(exercise) => exercise,
            None => {
                println!("every exercise passes its visible tests; `cargo lab list` shows them");
                return Ok(true);
            }
        },
    };
    check(course, exercise)
}

/// Runs the visible tests of `exercise`; true when they all pass.
pub fn check(course: &Course, exercise: &Exercise) -> Result<bool, String> {
    let name = &exercise.name;
    let print = exercise.fingerprint();
    println!("checking {name} ({})", exercise.title());
    // The visible tests are the files in tests/ (`--test '*'`): no empty runs of the
    // unit-test harnesses of src/.
    let visible = ["--test", "*"];
    let target = course.build_dir("check");
    let manifest = course.exercises_dir().join("Cargo.toml");
    // First the build, with a spinner: compiling takes a while the first time. Then cargo
    // test runs what was built, printing as it always does.
    let built = cargo::build(
        &course.exercises_dir(),
        name,
        &target,
        &visible,
        Messages::Show,
    )?;
    let passed = built.is_ok()
        && cargo::cargo()
            .args(["test", "-q", "-p", name])
            .args(visible)
            .arg("--manifest-path")
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?
            .success();
    let mut progress = Progress::load(course);
    progress.record(exercise, print, passed);
    if passed {
        println!(
            "\n{name}: every visible test passes. The grader also runs hidden tests (other \
             inputs, random data, misbehaving peers): make sure your code does what the task \
             says, not only what these tests check."
        );
        if let Some(next) = progress.next(course) {
            println!("next: cargo lab check {}", next.name);
        }
    } else {
        println!(
            "\n{name}: not yet. Read the first failure above (expected / received), then \
             edit exercises/{name}/src. Stuck? cargo lab hint {name}"
        );
    }
    Ok(passed)
}
