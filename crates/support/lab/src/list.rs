//! `cargo lab list`: every exercise, its state, and the student's progress.

use std::fmt::Write as _;

use crate::contents::Contents;
use crate::course::Course;
use crate::progress::{Progress, State};

pub fn run(course: &Course) -> Result<bool, String> {
    print(course);
    Ok(true)
}

/// Prints the list (`watch` shows it on `l` too).
pub fn print(course: &Course) {
    let progress = Progress::load(course);
    let states: Vec<State> = course.exercises.iter().map(|e| progress.state(e)).collect();
    let next = states.iter().position(|s| *s != State::Done);
    let width = course
        .exercises
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0);
    let contents = Contents::read(&course.root);
    let mut part = None;
    let mut out = String::new();
    for (i, (exercise, state)) in course.exercises.iter().zip(&states).enumerate() {
        // A heading where the part changes. An exercise whose chapter is in no part
        // stays under the heading before it.
        let title = exercise
            .chapter()
            .and_then(|chapter| contents.part_of(&chapter).map(str::to_owned));
        if title.is_some() && title != part {
            if part.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", title.as_deref().unwrap_or_default());
            part = title;
        }
        let mark = if Some(i) == next { "->" } else { "  " };
        let _ = writeln!(
            out,
            "{mark} {:>2}. {:<width$}  {:<20}  {}",
            exercise.number,
            exercise.name,
            state.word(),
            exercise.title()
        );
    }
    let done = states.iter().filter(|s| **s == State::Done).count();
    let total = states.len();
    let bar_width = 30;
    let filled = done * bar_width / total.max(1);
    let _ = writeln!(
        out,
        "\nprogress: [{}{}] {done}/{total} done",
        "#".repeat(filled),
        "-".repeat(bar_width - filled)
    );
    let _ = match next {
        Some(i) => writeln!(out, "next: cargo lab check {}", course.exercises[i].name),
        None => writeln!(out, "every exercise passes its visible tests: well done"),
    };
    // A closed pipe (`cargo lab list | head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
}
