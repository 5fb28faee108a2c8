//! GitHub Classroom: `cargo lab export --classroom DIR` writes a template repository, the
//! student edition (as `export --student` writes it: no solutions, no hidden tests) plus
//! `.github/workflows/classroom.yml`, which runs the visible tests of every exercise with
//! GitHub Classroom's autograding actions: one `autograding-command-grader` step per
//! exercise (worth `POINTS` when all its visible tests pass) and the
//! `autograding-grading-reporter` that reports the total to the classroom. The hidden
//! tests stay with the instructor: grade them with `cargo lab grade --class`.

use std::path::Path;

use crate::course::Course;
use crate::export;
use crate::grade::score::POINTS;

/// Where the workflow goes in the template.
pub const WORKFLOW: &str = ".github/workflows/classroom.yml";

/// Minutes each exercise's step may take (the first one compiles the dependencies).
const TIMEOUT_MINUTES: u32 = 15;

/// `cargo lab export --classroom DIR`.
pub fn export(course: &Course, dest: &Path) -> Result<bool, String> {
    let (dest, written) = export::write_student(course, dest)?;
    let path = dest.join(WORKFLOW);
    std::fs::create_dir_all(path.parent().expect("the workflow is in a folder"))
        .and_then(|()| std::fs::write(&path, workflow(course)))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "wrote the GitHub Classroom template to {} ({} files): the student edition (no \
         solutions/, no hidden/) and {WORKFLOW}, which runs the visible tests of {} \
         exercises ({POINTS} points each). Push it as a template repository and pick it \
         for the assignment.",
        dest.display(),
        written + 1,
        course.exercises.len()
    );
    Ok(true)
}

/// The command that runs the visible tests of `exercise` from the template's root.
pub fn command(exercise: &str) -> String {
    format!("cargo test --quiet --manifest-path exercises/Cargo.toml -p {exercise} --test '*'")
}

/// A YAML scalar: JSON's double-quoted strings are YAML's too.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// The workflow: checkout, a Rust toolchain, a grader step per exercise, the reporter.
pub fn workflow(course: &Course) -> String {
    let mut steps = String::new();
    for exercise in &course.exercises {
        let name = &exercise.name;
        steps.push_str(&format!(
            "      - name: {name}\n        id: {name}\n        uses: classroom-resources/autograding-command-grader@v1\n        with:\n          test-name: {name}\n          setup-command: \"\"\n          command: {command}\n          timeout: {TIMEOUT_MINUTES}\n          max-score: {points}\n",
            name = quoted(name),
            command = quoted(&command(name)),
            points = POINTS as u32,
        ));
    }
    let env: String = course
        .exercises
        .iter()
        .map(|e| {
            format!(
                "          {}_RESULTS: \"${{{{steps.{}.outputs.result}}}}\"\n",
                e.name.to_uppercase(),
                e.name
            )
        })
        .collect();
    let runners: Vec<&str> = course.exercises.iter().map(|e| e.name.as_str()).collect();
    format!(
        r#"# Written by `cargo lab export --classroom`: the visible tests of every exercise, one
# autograding step each, and the reporter that sends the points to GitHub Classroom.
# The hidden tests are not here: the instructor grades them with `cargo lab grade`.
name: Autograding Tests
"on":
  - push
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Rust toolchain
        run: rustup toolchain install stable --profile minimal && rustup default stable
{steps}      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"#,
        runners = quoted(&runners.join(","))
    )
}
