//! Where things are: the course root and its exercises, in course order.
//!
//! The course root holds `exercises/` (a workspace of its own whose `members` list is the
//! course order), optionally `solutions/NAME/src` (the answers) and `hidden/NAME/` (hidden
//! tests), and `crates/support/netkit` + `crates/support/testkit`, which exercises may use.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::exercise::Exercise;

/// The course tree `cargo lab` works on.
pub struct Course {
    pub root: PathBuf,
    /// In course order.
    pub exercises: Vec<Exercise>,
}

impl Course {
    /// Finds the course root: `root` if given, else the nearest folder above the current
    /// directory with an `exercises/Cargo.toml`.
    pub fn find(root: Option<PathBuf>) -> Result<Course, String> {
        let root = match root {
            Some(root) => root,
            None => {
                let here = std::env::current_dir().map_err(|e| e.to_string())?;
                here.ancestors()
                    .find(|dir| dir.join("exercises/Cargo.toml").is_file())
                    .map(Path::to_path_buf)
                    .ok_or(
                        "no exercises/Cargo.toml here or in any folder above; run cargo lab inside the course",
                    )?
            }
        };
        // One spelling of the root, whatever the command line said (`.`, `a/../b`): cargo
        // compiles the build folders' paths into the test programs (`CARGO_BIN_EXE_NAME`)
        // and does not compile them again when only the spelling changes, and a program
        // is found in the sandbox only by the path it was shown under.
        let root = root
            .canonicalize()
            .map_err(|e| format!("{}: {e}", root.display()))?;
        let manifest = root.join("exercises/Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
        let names = members(&text).map_err(|e| format!("{}: {e}", manifest.display()))?;
        if names.is_empty() {
            return Err(format!("{} lists no members", manifest.display()));
        }
        let exercises = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| Exercise::new(&root, name, i + 1))
            .collect();
        Ok(Course { root, exercises })
    }

    /// The exercises' workspace: `exercises/`.
    pub fn exercises_dir(&self) -> PathBuf {
        self.root.join("exercises")
    }

    pub fn hidden_dir(&self) -> PathBuf {
        self.root.join("hidden")
    }

    /// Where `cargo lab` keeps its state, scratch trees and builds.
    pub fn target_dir(&self) -> PathBuf {
        self.root.join("target/lab")
    }

    /// The cargo target folder for builds of `tree`: `check` for the exercises in place,
    /// `verify` and `grade` for the scratch copies. Every exercise of a tree shares one;
    /// two trees never do, because cargo names a workspace member's artifacts by its path
    /// inside its workspace, which is the same in every copy.
    pub fn build_dir(&self, tree: &str) -> PathBuf {
        self.target_dir().join(format!("build-{tree}"))
    }

    /// The reference build: the solutions' probes, whose answers are the expected ones
    /// when grading (`tree/` the scratch copy, `build/` its cargo target folder). Only
    /// the grader runs what is in it; no student's program may read it.
    pub fn reference_dir(&self) -> PathBuf {
        self.target_dir().join("reference")
    }

    /// The exercise `name` stands for: its full name, its number in the list, or a unique
    /// part of its name.
    pub fn pick(&self, name: &str) -> Result<&Exercise, String> {
        if let Some(exercise) = self.exercises.iter().find(|e| e.name == name) {
            return Ok(exercise);
        }
        if let Ok(n) = name.parse::<usize>()
            && (1..=self.exercises.len()).contains(&n)
        {
            return Ok(&self.exercises[n - 1]);
        }
        let found: Vec<&Exercise> = self
            .exercises
            .iter()
            .filter(|e| e.name.contains(name))
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "there is no exercise {name:?}; `cargo lab list` shows them all"
            )),
            many => Err(format!(
                "{name:?} could be any of {}; say which",
                many.iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The exercises `names` stand for (see `pick`), or all of them when there are none.
    pub fn pick_all(&self, names: &[String]) -> Result<Vec<&Exercise>, String> {
        if names.is_empty() {
            return Ok(self.exercises.iter().collect());
        }
        names.iter().map(|name| self.pick(name)).collect()
    }
}

/// The `members = [...]` of a workspace manifest, in order.
fn members(manifest: &str) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Manifest {
        workspace: Workspace,
    }
    #[derive(Deserialize)]
    struct Workspace {
        #[serde(default)]
        members: Vec<String>,
    }
    let manifest: Manifest = toml::from_str(manifest).map_err(|e| e.to_string())?;
    Ok(manifest.workspace.members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_in_order() {
        let manifest = "[workspace]\nresolver = \"3\"\nmembers = [\n    \"b_first\", # comment ]\n    \"a_second\",\n]\n[workspace.package]\nedition = \"2024\"\n";
        assert_eq!(members(manifest).unwrap(), ["b_first", "a_second"]);
        assert_eq!(
            members("[workspace]\nmembers = [\"x\", \"y\"]").unwrap(),
            ["x", "y"]
        );
        assert!(members("[package]\nname = \"x\"\n").is_err());
    }

    #[test]
    fn an_exercise_is_picked_by_name_number_or_a_unique_part() {
        let course = Course {
            root: PathBuf::from("/c"),
            exercises: ["poll_chat", "thread_chat", "pack"]
                .iter()
                .enumerate()
                .map(|(i, n)| Exercise::new(Path::new("/c"), n.to_string(), i + 1))
                .collect(),
        };
        assert_eq!(course.pick("pack").unwrap().name, "pack");
        assert_eq!(course.pick("2").unwrap().name, "thread_chat");
        assert_eq!(course.pick("poll").unwrap().name, "poll_chat");
        assert!(course.pick("chat").unwrap_err().contains("could be any of"));
        assert!(course.pick("nope").unwrap_err().contains("no exercise"));
        assert_eq!(course.pick_all(&[]).unwrap().len(), 3);
    }
}
