//! `cargo lab verify`: every solution passes all its tests (hidden ones included) and
//! every untouched exercise compiles and fails at least one visible test. It runs the
//! grading pipeline twice per exercise: on the solutions, assembled into a scratch tree
//! of their own, and on the exercises as they are.

use crate::course::Course;
use crate::grade::score::{ExerciseResult, Kind};
use crate::grade::{self, Options, assemble, reference, report};
use crate::sandbox;

pub fn run(course: &Course, only: &[String]) -> Result<bool, String> {
    sandbox::become_subreaper();
    let mut options = Options::new(30, Some(1));
    // The solutions and exercises are the course's own code: where the sandbox is not
    // available, verify runs them without it (and says so); where it is, they run in it,
    // so that verify shows they pass where grading runs them.
    if let Err(why) = sandbox::available() {
        eprintln!("cargo lab verify: running the course's code without the sandbox: {why}");
        options.limits.contain = false;
    }
    let chosen = course.pick_all(only)?;
    let mut problems = Vec::new();
    for exercise in &chosen {
        let name = &exercise.name;
        if !exercise.solution.is_dir() {
            problems.push(format!(
                "{name}: no solution in {}",
                exercise.solution.display()
            ));
        }
        for file in ["README.md", "hints.md"] {
            if !exercise.dir.join(file).is_file() {
                problems.push(format!("{name}: exercises/{name}/{file} is missing"));
            }
        }
    }
    let hidden = course.hidden_dir();
    let reference = reference::probes(course, &hidden, &chosen)?;
    // The solutions are the course's own: the visible tests of an exercise with a probe,
    // which call its library inside the test, run too (grading leaves them out).
    let scratch = assemble::assemble(
        course,
        &course.target_dir().join("verify"),
        &|exercise| exercise.solution.clone(),
        Some(&hidden),
        true,
    )?;
    for exercise in &chosen {
        let name = &exercise.name;
        let transcripts = assemble::hidden_tests(&hidden, name).transcripts;
        let solved = grade::exercise_pipeline(
            &scratch.workspace,
            name,
            &course.build_dir("verify"),
            &transcripts,
            reference.probe(name),
            &options,
        );
        let untouched = grade::exercise_pipeline(
            &course.exercises_dir(),
            name,
            &course.build_dir("check"),
            &[],
            None,
            &options,
        );
        println!("{}", summary(&solved, &untouched));
        problems.extend(judge(&solved, &untouched));
    }
    for problem in &problems {
        eprintln!("\nPROBLEM {problem}");
    }
    if problems.is_empty() {
        println!("\nverified {} exercises", chosen.len());
    }
    Ok(problems.is_empty())
}

/// `wire: solution passes 11/11 (6 visible, 5 hidden, 0 transcripts); untouched exercise
/// fails 6/6 visible`.
fn summary(solved: &ExerciseResult, untouched: &ExerciseResult) -> String {
    format!(
        "{}: solution passes {}/{} ({} visible, {} hidden, {} transcripts); untouched exercise fails {}/{} visible",
        solved.name,
        solved.passed(None),
        solved.total(None),
        solved.total(Some(Kind::Visible)),
        solved.total(Some(Kind::Hidden)),
        solved.total(Some(Kind::Transcript)),
        fails_visible(untouched),
        untouched.total(Some(Kind::Visible))
    )
}

fn fails_visible(result: &ExerciseResult) -> usize {
    result.total(Some(Kind::Visible)) - result.passed(Some(Kind::Visible))
}

/// What is wrong with an exercise, given how its solution and its untouched version did.
fn judge(solved: &ExerciseResult, untouched: &ExerciseResult) -> Vec<String> {
    let name = &solved.name;
    let mut problems = Vec::new();
    if solved.problem.is_some() || solved.passed(None) != solved.total(None) {
        problems.push(format!(
            "{name}: the solution does not pass everything\n{}",
            report::table(std::slice::from_ref(solved), true)
        ));
    }
    if solved.total(Some(Kind::Visible)) == 0 {
        problems.push(format!("{name}: no visible tests"));
    }
    if solved.total(Some(Kind::Hidden)) + solved.total(Some(Kind::Transcript)) == 0 {
        problems.push(format!("{name}: no hidden tests in hidden/{name}/"));
    }
    if let Some(problem) = &untouched.problem {
        problems.push(format!(
            "{name}: the untouched exercise must compile, but: {}\n{}",
            problem.what, problem.detail
        ));
    } else if fails_visible(untouched) == 0 {
        problems.push(format!(
            "{name}: the untouched exercise passes every visible test: its tests check nothing the student writes"
        ));
    }
    problems
}
