//! `cargo lab export --student DIR`: the student edition of the course. (`--gradescope`
//! and `--classroom` are in modules of their own, built on the student edition.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::ExportArgs;
use crate::course::Course;
use crate::files;
use crate::{classroom, gradescope};

pub fn run(course: &Course, args: &ExportArgs) -> Result<bool, String> {
    if let Some(zip) = &args.gradescope {
        return gradescope::export(course, zip);
    }
    if let Some(dest) = &args.classroom {
        return classroom::export(course, dest);
    }
    let dest = args.student.as_deref().expect("clap requires one of them");
    let (dest, written) = write_student(course, dest)?;
    println!(
        "wrote the student edition to {} ({written} files): no solutions/, no hidden/; \
         `cargo lab reset` uses the copies in .lab/pristine/",
        dest.display(),
    );
    Ok(true)
}

/// Writes the course without solutions and hidden tests into `dest` (new or empty), with
/// pristine copies of the exercises for `cargo lab reset`: the folder written (absolute)
/// and how many files.
pub fn write_student(course: &Course, dest: &Path) -> Result<(PathBuf, usize), String> {
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
    let wanted = student_files(course, Some(&dest))?;
    files::sync(&dest, &wanted).map_err(|e| format!("writing {}: {e}", dest.display()))?;
    Ok((dest, wanted.len()))
}

/// The files of the student edition: (path in it, file of the course). Nothing under
/// `skip` (the folder being written, when it is inside the course).
pub fn student_files(
    course: &Course,
    skip: Option<&Path>,
) -> Result<BTreeMap<PathBuf, PathBuf>, String> {
    let root = course.root.canonicalize().map_err(|e| e.to_string())?;
    let mut wanted = BTreeMap::new();
    for (rel, abs) in course_files(&root) {
        let first = rel.components().next().map(|c| c.as_os_str().to_owned());
        let first = first.as_deref().and_then(|f| f.to_str()).unwrap_or("");
        let leave_out = matches!(first, "solutions" | "hidden" | ".lab" | ".git" | "target")
            || rel.starts_with("book/book")
            // The maintainer's checks need the solutions; a student edition has none.
            || rel == Path::new("crates/support/lab/tests/verify.rs")
            || rel == Path::new("crates/support/lab/tests/grade.rs")
            || rel == Path::new("crates/support/lab/tests/sync.rs")
            || rel == Path::new("crates/support/lab/tests/class.rs")
            || rel == Path::new("crates/support/lab/tests/platforms.rs")
            || rel == Path::new("crates/support/lab/tests/attacks.rs")
            || rel.starts_with("crates/support/lab/tests/attacks")
            || rel == Path::new("crates/support/lab/tests/escapes.rs")
            || rel.starts_with("crates/support/lab/tests/escapes")
            || skip.is_some_and(|skip| abs.starts_with(skip));
        if !leave_out {
            wanted.insert(rel, abs);
        }
    }
    for exercise in &course.exercises {
        let pristine = Path::new(".lab/pristine").join(&exercise.name);
        files::add_tree(&mut wanted, &exercise.src(), &pristine);
    }
    Ok(wanted)
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
