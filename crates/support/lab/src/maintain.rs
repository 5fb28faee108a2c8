//! The maintainer's and the instructor's commands: verify, export, grade.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::course::{self, Course};
use crate::grade::{self, ExerciseResult, Kind, Options};
use crate::sandbox::Limits;

/// A lock on one of the shared build folders, so two graders never share one at once.
struct Lock(#[allow(dead_code)] std::fs::File);

fn lock(path: &Path) -> Result<Lock, String> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: flock on a file descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        eprintln!(
            "waiting for another cargo lab to finish with {}",
            path.display()
        );
        // SAFETY: as above, blocking this time.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    }
    Ok(Lock(file))
}

/// `cargo lab verify`: every solution passes all its tests (hidden ones included) and
/// every untouched exercise compiles and fails at least one visible test.
pub fn verify(course: &Course, only: &[String], options: &Options) -> Result<bool, String> {
    let names: Vec<String> = if only.is_empty() {
        course.exercises.clone()
    } else {
        only.iter()
            .map(|n| course.pick(n))
            .collect::<Result<_, _>>()?
    };
    let scratch = course.target_dir().join("verify");
    let _lock = lock(&course.target_dir().join("verify.lock"))?;
    let mut problems = Vec::new();
    for name in &names {
        // That exercises/NAME/src is what solutions/NAME/src makes is `cargo lab sync
        // --check`'s to say.
        let sol_src = course.solution_src(name);
        if !sol_src.is_dir() {
            problems.push(format!("{name}: no solution in {}", sol_src.display()));
        }
        for file in ["README.md", "hints.md"] {
            if !course.exercise_dir(name).join(file).is_file() {
                problems.push(format!("{name}: exercises/{name}/{file} is missing"));
            }
        }
    }
    grade::assemble(
        course,
        &scratch,
        &|name| course.solution_src(name),
        Some(&course.hidden_dir()),
    )
    .map_err(|e| format!("cannot prepare {}: {e}", scratch.display()))?;
    for name in &names {
        let transcripts = grade::hidden_tests(&course.hidden_dir(), name).1;
        let solved = grade::run_exercise(
            &scratch.join("exercises"),
            name,
            &course.build_dir("verify"),
            &transcripts,
            options,
        );
        let untouched = grade::run_exercise(
            &course.root.join("exercises"),
            name,
            &course.build_dir("check"),
            &[],
            options,
        );
        let mut line = format!(
            "{name}: solution passes {}/{} ({} visible, {} hidden, {} transcripts)",
            solved.passed(None),
            solved.total(None),
            solved.total(Some(Kind::Visible)),
            solved.total(Some(Kind::Hidden)),
            solved.total(Some(Kind::Transcript)),
        );
        let fails_visible =
            untouched.total(Some(Kind::Visible)) - untouched.passed(Some(Kind::Visible));
        line.push_str(&format!(
            "; untouched exercise fails {fails_visible}/{} visible",
            untouched.total(Some(Kind::Visible))
        ));
        println!("{line}");
        if solved.problem.is_some() || solved.passed(None) != solved.total(None) {
            problems.push(format!(
                "{name}: the solution does not pass everything\n{}",
                grade::table(std::slice::from_ref(&solved), true)
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
                "{name}: the untouched exercise must compile, but: {problem}\n{}",
                untouched.detail
            ));
        } else if fails_visible == 0 {
            problems.push(format!(
                "{name}: the untouched exercise passes every visible test: its tests check nothing the student writes"
            ));
        }
    }
    for problem in &problems {
        eprintln!("\nPROBLEM {problem}");
    }
    if problems.is_empty() {
        println!("\nverified {} exercises", names.len());
    }
    Ok(problems.is_empty())
}

/// `cargo lab export --student DIR`: the course without solutions and hidden tests, with
/// pristine copies of the exercises for `cargo lab reset`.
pub fn export(course: &Course, dest: &Path) -> Result<(), String> {
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
    let mut files = std::collections::BTreeMap::new();
    for (rel, abs) in course_files(&root) {
        let first = rel.components().next().map(|c| c.as_os_str().to_owned());
        let first = first.as_deref().and_then(|f| f.to_str()).unwrap_or("");
        let leave_out = matches!(first, "solutions" | "hidden" | ".lab" | ".git" | "target")
            || rel.starts_with("book/book")
            // The maintainer's checks need the solutions; a student edition has none.
            || rel == Path::new("crates/support/lab/tests/verify.rs")
            || rel == Path::new("crates/support/lab/tests/grade.rs")
            || rel == Path::new("crates/support/lab/tests/sync.rs")
            || abs.starts_with(&dest);
        if !leave_out {
            files.insert(rel, abs);
        }
    }
    for name in &course.exercises {
        let src = course.exercise_dir(name).join("src");
        course::add_tree(&mut files, &src, &Path::new(".lab/pristine").join(name));
    }
    course::sync(&dest, &files).map_err(|e| format!("writing {}: {e}", dest.display()))?;
    println!(
        "wrote the student edition to {} ({} files): no solutions/, no hidden/; \
         `cargo lab reset` uses the copies in .lab/pristine/",
        dest.display(),
        files.len()
    );
    Ok(())
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
        None => course::files_under(root, 100_000),
    }
}

/// `cargo lab grade`: the submission's exercise sources in a copy of this course, all
/// tests run, one score table.
pub fn grade(
    course: &Course,
    submission: &Path,
    hidden: Option<PathBuf>,
    only: &[String],
    options: &Options,
) -> Result<Vec<ExerciseResult>, String> {
    if !submission.is_dir() {
        return Err(format!("{} is not a folder", submission.display()));
    }
    // A submission is a student edition (with exercises/ inside) or its exercises/ alone.
    let exercises = if submission.join("exercises").is_dir() {
        submission.join("exercises")
    } else {
        submission.to_path_buf()
    };
    let hidden = hidden.unwrap_or_else(|| course.hidden_dir());
    if !hidden.is_dir() {
        return Err(format!("no hidden tests at {}", hidden.display()));
    }
    let names: Vec<String> = if only.is_empty() {
        course.exercises.clone()
    } else {
        only.iter()
            .map(|n| course.pick(n))
            .collect::<Result<_, _>>()?
    };
    let scratch = course.target_dir().join("grade");
    let _lock = lock(&course.target_dir().join("grade.lock"))?;
    let taken = grade::assemble(
        course,
        &scratch,
        &|name| exercises.join(name).join("src"),
        Some(&hidden),
    )
    .map_err(|e| format!("cannot prepare {}: {e}", scratch.display()))?;
    let mut results = Vec::new();
    for name in &names {
        if !exercises.join(name).join("src").is_dir() {
            eprintln!("grading {name}: not in the submission");
            results.push(ExerciseResult {
                name: name.clone(),
                problem: Some("not submitted".to_owned()),
                detail: format!(
                    "{} does not exist",
                    exercises.join(name).join("src").display()
                ),
                tests: Vec::new(),
            });
            continue;
        }
        eprintln!(
            "grading {name}: {}",
            taken.get(name).map(String::as_str).unwrap_or("")
        );
        let transcripts = grade::hidden_tests(&hidden, name).1;
        results.push(grade::run_exercise(
            &scratch.join("exercises"),
            name,
            &course.build_dir("grade"),
            &transcripts,
            options,
        ));
    }
    Ok(results)
}

/// The options every grading run uses unless told otherwise.
pub fn options(time_limit: u64, seed: Option<u64>) -> Options {
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            % 1_000_000
    });
    Options {
        limits: Limits::grading(),
        time_limit: Duration::from_secs(time_limit),
        seed,
    }
}
