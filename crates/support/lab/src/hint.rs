//! `cargo lab hint EX [N]`: one hint at a time, from a nudge to almost the answer.

use crate::course::Course;
use crate::exercise::Exercise;

pub fn run(course: &Course, name: &str, number: Option<usize>) -> Result<bool, String> {
    show(course.pick(name)?, number.unwrap_or(1))?;
    Ok(true)
}

/// Prints hint `n` of `exercise` (counting from 1), and how to get the next.
pub fn show(exercise: &Exercise, n: usize) -> Result<(), String> {
    let name = &exercise.name;
    let hints = exercise.hints()?;
    let Some(hint) = hints.get(n.wrapping_sub(1)) else {
        return Err(format!("{name} has hints 1 to {}", hints.len()));
    };
    println!("{name}, hint {n} of {}:\n\n{hint}\n", hints.len());
    if n < hints.len() {
        println!("(more: cargo lab hint {name} {})", n + 1);
    }
    Ok(())
}
