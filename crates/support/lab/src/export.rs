//! `cargo lab export --student DIR`: the student edition of the course.

use std::path::{Path, PathBuf};

use crate::course::Course;
use crate::files;

/// Writes the course without solutions and hidden tests into `dest`, with pristine
/// copies of the exercises for `cargo lab reset`.
pub fn run(course: &Course, dest: &Path) -> Result<bool, String> {
    if dest.exists()
        && std::fs::read_dir(dest)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!(
            "{} is not empty; export writes into a new or empty folder",
            dest.display()
        ));
    }
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let dest = dest.canonicalize().map_err(|e| e.to_string())?;
    let root = course.root.canonicalize().map_err(|e| e.to_string())?;
    let mut wanted = std::collections::BTreeMap::new();
    for (rel, abs) in course_files(&root) {
        let first = rel.components().next().map(|c| c.as_os_str().to_owned());
        let first = first.as_deref().and_then(|f| f.to_str()).unwrap_or("");
        let leave_out = matches!(first, "solutions" | "hidden" | ".lab" | ".git" | "target")
            || rel.starts_with("book/book")
            // The maintainer's checks need the solutions; a student edition has none.
            || rel == Path::new("crates/support/lab/tests/verify.rs")
            || rel == Path::new("crates/support/lab/tests/grade.rs")
            || rel == Path::new("crates/support/lab/tests/sync.rs")
            || rel == Path::new("crates/support/lab/tests/attacks.rs")
            || rel.starts_with("crates/support/lab/tests/attacks")
            || rel == Path::new("crates/support/lab/tests/escapes.rs")
            || rel.starts_with("crates/support/lab/tests/escapes")
            || abs.starts_with(&dest);
        if !leave_out {
            wanted.insert(rel, abs);
        }
    }
    for exercise in &course.exercises {
        let pristine = Path::new(".lab/pristine").join(&exercise.name);
        files::add_tree(&mut wanted, &exercise.src(), &pristine);
    }
    files::sync(&dest, &wanted).map_err(|e| format!("writing {}: {e}", dest.display()))?;
    println!(
        "wrote the student edition to {} ({} files): no solutions/, no hidden/; \
         `cargo lab reset` uses the copies in .lab/pristine/",
        dest.display(),
        wanted.len()
    );
    Ok(true)
}

/// The files of the course: in a git repository, those git knows or would add (tracked,
/// or untracked and not ignored: no build output, no local clutter); otherwise every file
/// outside `target` folders.
fn course_files(root: &Path) -> Vec<(PathBuf, PathBuf)> {
    let listed = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success());
    match listed {
        Some(output) => output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .map(|rel| (root.join(&rel), rel))
            // A file deleted but not yet committed is still listed by git.
            .filter(|(abs, _)| abs.is_file())
            .map(|(abs, rel)| (rel, abs))
            .collect(),
        None => files::files_under(root, 100_000),
    }
}
