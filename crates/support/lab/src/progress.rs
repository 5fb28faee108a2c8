//! What `check` last found for each exercise, and the state of an exercise from it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::course::Course;
use crate::exercise::Exercise;

/// Where a student stands with an exercise.
#[derive(PartialEq, Clone, Copy, Debug)]
pub enum State {
    /// The last check passed, and the sources have not changed since.
    Done,
    /// The last check failed, and the sources have not changed since.
    Failing,
    Edited,
    NotStarted,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Done => "done",
            State::Failing => "failing",
            State::Edited => "edited, not checked",
            State::NotStarted => "not started",
        }
    }
}

/// The outcome of the last check of each exercise, with the fingerprint of the sources it
/// saw. Kept in `target/lab/progress.txt` as `name fingerprint pass|fail` lines.
pub struct Progress {
    path: PathBuf,
    seen: BTreeMap<String, (u64, bool)>,
}

impl Progress {
    pub fn load(course: &Course) -> Progress {
        let path = course.target_dir().join("progress.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let seen = text
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let name = words.next()?.to_owned();
                let print = u64::from_str_radix(words.next()?, 16).ok()?;
                let passed = words.next()? == "pass";
                Some((name, (print, passed)))
            })
            .collect();
        Progress { path, seen }
    }

    /// Remembers that the sources with fingerprint `print` passed (or failed) their check.
    pub fn record(&mut self, exercise: &Exercise, print: u64, passed: bool) {
        self.seen.insert(exercise.name.clone(), (print, passed));
        let text: String = self
            .seen
            .iter()
            .map(|(n, (p, ok))| format!("{n} {p:016x} {}\n", if *ok { "pass" } else { "fail" }))
            .collect();
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&self.path, text);
    }

    pub fn state(&self, exercise: &Exercise) -> State {
        let print = exercise.fingerprint();
        match self.seen.get(&exercise.name) {
            Some(&(p, true)) if p == print => State::Done,
            Some(&(p, false)) if p == print => State::Failing,
            _ if exercise.is_untouched() => State::NotStarted,
            _ => State::Edited,
        }
    }

    /// The first exercise of the course that is not done.
    pub fn next<'c>(&self, course: &'c Course) -> Option<&'c Exercise> {
        course
            .exercises
            .iter()
            .find(|e| self.state(e) != State::Done)
    }
}
