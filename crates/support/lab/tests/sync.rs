//! `exercises/NAME/src` is made from `solutions/NAME/src` by `cargo lab sync`, and
//! committed. The course's `cargo test` fails when a solution was edited and the exercise
//! not made again from it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::root;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// Runs `cargo lab --root ROOT ARGS`: (exit status, stdout and stderr together).
fn lab(root: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run lab");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_committed_exercises_are_what_the_solutions_make() {
    let (status, out) = lab(&root(), &["sync", "--check"]);
    assert_eq!(
        status,
        Some(0),
        "exercises/ is not what solutions/ makes: run `cargo lab sync` and commit exercises/\n{out}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A scratch course with what sync reads and writes: the exercises' list and sources,
/// and the solutions.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lab-sync-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("exercises")).unwrap();
        fs::copy(
            root().join("exercises/Cargo.toml"),
            dir.join("exercises/Cargo.toml"),
        )
        .unwrap();
        for entry in fs::read_dir(root().join("solutions")).unwrap() {
            let name = entry.unwrap().file_name();
            let src = root().join("solutions").join(&name).join("src");
            if src.is_dir() {
                copy_tree(&src, &dir.join("solutions").join(&name).join("src"));
                let exercise = root().join("exercises").join(&name).join("src");
                copy_tree(&exercise, &dir.join("exercises").join(&name).join("src"));
            }
        }
        Scratch(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} has no {from:?}");
        fs::write(self.path(rel), text.replacen(from, to, 1)).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_solution_edited_without_sync_fails_the_check_until_sync_runs() {
    let course = Scratch::new("edited");
    let exercise = "exercises/pack/src/lib.rs";
    let before = course.read(exercise);
    let (status, out) = lab(&course.0, &["sync", "--check"]);
    assert_eq!(status, Some(0), "a fresh copy is up to date: {out}");

    // A line both have, edited in the solution only.
    course.edit(
        "solutions/pack/src/lib.rs",
        "/// The frame for `msg`.",
        "/// The frame for `msg`, ready to send.",
    );
    let (status, out) = lab(&course.0, &["sync", "--check"]);
    assert_eq!(status, Some(1), "{out}");
    assert!(
        out.contains("exercises/pack/src/lib.rs is out of date"),
        "{out}"
    );
    assert!(
        out.contains("ready to send"),
        "the line that differs: {out}"
    );
    assert!(out.contains("(pack)"), "the exercise: {out}");
    assert!(out.contains("Run `cargo lab sync`"), "what to run: {out}");
    assert!(
        !out.contains("wire"),
        "only the exercise that differs: {out}"
    );
    assert_eq!(course.read(exercise), before, "--check writes nothing");

    let (status, out) = lab(&course.0, &["sync"]);
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("wrote exercises/pack/src/lib.rs"), "{out}");
    let after = course.read(exercise);
    assert!(after.contains("/// The frame for `msg`, ready to send.\n"));
    assert!(after.contains("todo!(\"pack\")") && !after.contains("lab:solution"));
    let (status, out) = lab(&course.0, &["sync", "--check"]);
    assert_eq!(status, Some(0), "{out}");

    // Inside a solution region the exercise does not change.
    course.edit(
        "solutions/pack/src/lib.rs",
        "    let name = msg.name.as_bytes();",
        "    let name = msg.name.as_bytes(); // the bytes",
    );
    let (status, out) = lab(&course.0, &["sync", "--check"]);
    assert_eq!(status, Some(0), "{out}");

    // An exercise edited by hand, or a file no solution makes, is out of date too.
    course.edit(exercise, "todo!(\"pack\")", "todo!(\"pack it\")");
    fs::write(course.path("exercises/wire/src/extra.rs"), "").unwrap();
    let (status, out) = lab(&course.0, &["sync", "--check"]);
    assert_eq!(status, Some(1), "{out}");
    assert!(
        out.contains("exercises/pack/src/lib.rs is out of date"),
        "{out}"
    );
    assert!(out.contains("exercises/wire/src/extra.rs is made from no solution file"));
    let (status, out) = lab(&course.0, &["sync"]);
    assert_eq!(status, Some(0), "{out}");
    assert!(!course.path("exercises/wire/src/extra.rs").exists());
    assert!(course.read(exercise).contains("todo!(\"pack\")"));
}

#[test]
fn a_bad_marker_names_its_file_and_line_and_nothing_is_written() {
    let course = Scratch::new("marker");
    let exercise = "exercises/wire/src/lib.rs";
    let before = course.read(exercise);
    course.edit(
        "solutions/pack/src/lib.rs",
        "/// The frame for `msg`.",
        "/// The frame for `msg`!",
    );
    let solution = "solutions/wire/src/lib.rs";
    let lines = course.read(solution).lines().count();
    let text = course.read(solution) + "// lab:solution\n";
    fs::write(course.path(solution), text).unwrap();
    let (status, out) = lab(&course.0, &["sync"]);
    assert_eq!(status, Some(2), "{out}");
    let at = format!("solutions/wire/src/lib.rs:{}: ", lines + 1);
    assert!(out.contains(&at) && out.contains("never closed"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    assert_eq!(course.read(exercise), before);
    assert!(!course.read("exercises/pack/src/lib.rs").contains("`msg`!"));
}
