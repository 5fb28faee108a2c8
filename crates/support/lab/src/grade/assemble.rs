//! Stage 1: assemble the scratch tree that gets built.
//!
//! A copy of the course's exercise workspace (and the crates it depends on) in which each
//! exercise's `src/` comes from elsewhere (the submission, or the solutions) and its
//! `tests/` holds the visible tests plus the hidden Rust tests. Everything but `src/` is
//! the course's own: a submission's tests or Cargo.toml are never used.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::course::Course;
use crate::exercise::Exercise;
use crate::files;

/// Largest source file taken from a submission, and most files per exercise.
const MAX_FILE: u64 = 1 << 20;
const MAX_FILES: usize = 200;

/// An assembled scratch tree, locked for as long as it is kept: two graders never share
/// one (or its build folder) at once.
pub struct Scratch {
    /// The exercises' workspace in the scratch tree.
    pub workspace: PathBuf,
    /// Per exercise, what was taken for its `src/` (for the report).
    pub taken: BTreeMap<String, String>,
    _lock: File,
}

/// The hidden tests of one exercise.
pub struct Hidden {
    /// Rust files, built as the exercise's `tests/hidden_NAME.rs`.
    pub rust: Vec<PathBuf>,
    /// Transcripts, played against the exercise's program.
    pub transcripts: Vec<PathBuf>,
}

/// The hidden tests of `exercise` in the folder `hidden` (`hidden/NAME/*.rs`,
/// `hidden/NAME/*.transcript`).
pub fn hidden_tests(hidden: &Path, exercise: &str) -> Hidden {
    let mut found = Hidden {
        rust: Vec::new(),
        transcripts: Vec::new(),
    };
    for (_, path) in files::files_under(&hidden.join(exercise), 1000) {
        match path.extension().and_then(|e| e.to_str()) {
            Some("rs") => found.rust.push(path),
            Some("transcript") => found.transcripts.push(path),
            _ => {}
        }
    }
    found
}

/// Fills `scratch` (locked with `scratch.lock` beside it) with the course's exercise
/// workspace, each exercise's `src/` taken from `sources(exercise)` and the hidden Rust
/// tests of `hidden` added to its `tests/`.
pub fn assemble(
    course: &Course,
    scratch: &Path,
    sources: &dyn Fn(&Exercise) -> PathBuf,
    hidden: Option<&Path>,
) -> Result<Scratch, String> {
    let lock = lock(&scratch.with_extension("lock"))?;
    let mut wanted = BTreeMap::new();
    let root = &course.root;
    wanted.insert(PathBuf::from("Cargo.toml"), root.join("Cargo.toml"));
    for krate in ["netkit", "testkit"] {
        let dir = PathBuf::from("crates/support").join(krate);
        files::add_tree(&mut wanted, &root.join(&dir), &dir);
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        let path = course.exercises_dir().join(file);
        if path.is_file() {
            wanted.insert(PathBuf::from("exercises").join(file), path);
        }
    }
    let mut taken = BTreeMap::new();
    for exercise in &course.exercises {
        let prefix = PathBuf::from("exercises").join(&exercise.name);
        for (rel, abs) in files::files_under(&exercise.dir, 10_000) {
            if !rel.starts_with("src") {
                wanted.insert(prefix.join(rel), abs);
            }
        }
        let src = sources(exercise);
        let mut count = 0;
        let mut skipped = 0;
        for (rel, abs) in files::files_under(&src, MAX_FILES) {
            if std::fs::metadata(&abs).is_ok_and(|m| m.len() <= MAX_FILE) {
                wanted.insert(prefix.join("src").join(rel), abs);
                count += 1;
            } else {
                skipped += 1;
            }
        }
        let mut note = format!("{count} files from {}", src.display());
        if skipped > 0 {
            let _ = write!(note, " ({skipped} over 1 MiB skipped)");
        }
        taken.insert(exercise.name.clone(), note);
        if let Some(hidden) = hidden {
            for path in hidden_tests(hidden, &exercise.name).rust {
                let file = format!("hidden_{}", path.file_name().unwrap().to_string_lossy());
                wanted.insert(prefix.join("tests").join(file), path);
            }
        }
    }
    files::sync(scratch, &wanted)
        .map_err(|e| format!("cannot prepare {}: {e}", scratch.display()))?;
    Ok(Scratch {
        workspace: scratch.join("exercises"),
        taken,
        _lock: lock,
    })
}

/// Takes the lock file `path`, waiting (and saying so) while another `cargo lab` has it.
fn lock(path: &Path) -> Result<File, String> {
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "waiting for another cargo lab to finish with {}",
            path.display()
        );
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    }
    Ok(file)
}
