//! Grading a class: one submission after another through the same pipeline, sharing
//! what every submission shares (the course's dependencies and the judge packages' test
//! programs, which link nothing of a submission, already compiled in the build folder;
//! the reference probes' answers), and nothing else.
//!
//! For each student: the scratch tree gets that student's `src/` folders (the files that
//! differ are written, with fresh modification times); every exercise's own compiled
//! files, and its probe's, are removed from the build folder (`forget_exercises`), so
//! cargo compiles the student's code from nothing and no student ever finds another's
//! programs or libraries there; one cargo builds every exercise at once, with its judge
//! and probe packages (`build::build_all`); then each exercise is run and judged as
//! `--submission` does. A single `--submission` is a class of one: the same steps, so a
//! submission scores the same alone or in a class.
//!
//! One seed per run, the same for every student: everybody's transcripts see the same
//! random values and every probe the same cases (answered once by the reference), and a
//! regrade with `--seed` sees them again.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::probe::Expected;
use super::reference::{self, Reference};
use super::score::{ExerciseResult, Problem};
use super::{Options, assemble, build, gradebook, report, test_built};
use crate::cli::GradeArgs;
use crate::course::Course;
use crate::exercise::Exercise;
use crate::gradescope;

/// A student's submission: a folder (a student edition, or its `exercises/`), named after
/// the student.
pub struct Student {
    pub name: String,
    pub dir: PathBuf,
    /// A bare git repository is checked out here first (removed when dropped).
    _checkout: Option<tempfile::TempDir>,
}

/// What grading one student gave.
pub struct Graded {
    pub student: String,
    pub results: Vec<ExerciseResult>,
    /// Putting the sources in place and compiling them.
    pub build: Duration,
    /// Running and judging the tests.
    pub tests: Duration,
}

/// Grades submissions of one course, one after another, in one scratch tree and one
/// build folder, the probes' answers compared with the reference solution's (built in a
/// folder of its own, and run once: every student gets the same cases).
pub struct Grader<'c> {
    course: &'c Course,
    hidden: PathBuf,
    chosen: Vec<&'c Exercise>,
    options: Options,
    /// Kept for its lock: the reference build is not rebuilt while we grade.
    _reference: Reference,
    /// The reference's answers for this run's seed, by exercise (those with a probe).
    expected: BTreeMap<String, Result<Expected, Problem>>,
}

impl<'c> Grader<'c> {
    pub fn new(
        course: &'c Course,
        hidden: Option<PathBuf>,
        only: &[String],
        options: Options,
    ) -> Result<Grader<'c>, String> {
        let hidden = hidden.unwrap_or_else(|| course.hidden_dir());
        if !hidden.is_dir() {
            return Err(format!("no hidden tests at {}", hidden.display()));
        }
        let mut chosen = course.pick_all(only)?;
        // Course order, each once: the gradebook's columns do not depend on the command line.
        chosen.sort_by_key(|e| e.number);
        chosen.dedup_by_key(|e| e.number);
        let reference = reference::probes(course, &hidden, &chosen)?;
        let expected = reference
            .probes
            .iter()
            .map(|(name, probe)| {
                let answers = probe.expected(options.seed, options.time_limit);
                (name.clone(), answers)
            })
            .collect();
        Ok(Grader {
            chosen,
            course,
            hidden,
            options,
            _reference: reference,
            expected,
        })
    }

    fn scratch(&self) -> PathBuf {
        self.course.target_dir().join("grade")
    }

    fn target(&self) -> PathBuf {
        self.course.build_dir("grade")
    }

    /// The names of the exercises graded, in course order.
    pub fn exercises(&self) -> Vec<&str> {
        self.chosen.iter().map(|e| e.name.as_str()).collect()
    }

    /// Compiles what every submission shares: the course's exercises as handed out, with
    /// their judge packages (every test) and probes, then forgets what was built from the
    /// exercises' code and keeps the dependencies and the judges' test programs. (The
    /// reference probes were built, or found, by `new`.)
    pub fn prepare(&self) -> Result<Duration, String> {
        let started = Instant::now();
        let scratch = assemble::assemble(
            self.course,
            &self.scratch(),
            &|exercise| exercise.src(),
            Some(&self.hidden),
            false,
        )?;
        let names = self.exercises();
        forget_exercises(&self.target(), &self.course_packages())
            .map_err(|e| format!("cleaning {}: {e}", self.target().display()))?;
        let built = build::build_all(&scratch.workspace, &names, &self.target());
        forget_exercises(&self.target(), &self.course_packages())
            .map_err(|e| format!("cleaning {}: {e}", self.target().display()))?;
        for (name, result) in built {
            if let Err(problem) = result {
                eprintln!("{name}: {}\n{}", problem.what, problem.detail);
            }
        }
        Ok(started.elapsed())
    }

    /// The packages compiled from a submission's code: the exercises, and the probes
    /// (programs linked with the exercise's library). The judge packages of the tests
    /// link nothing of the submission: they stay, compiled once for every student.
    fn course_packages(&self) -> Vec<String> {
        self.course
            .exercises
            .iter()
            .flat_map(|e| [e.name.clone(), assemble::probe_package(&e.name)])
            .collect()
    }

    /// Grades one submission: `submission` is a student edition or its `exercises/`.
    /// `status` hears what is going on ("building", "grading wire: 1 files from ...").
    pub fn grade(
        &self,
        student: &str,
        submission: &Path,
        status: &dyn Fn(&str),
    ) -> Result<Graded, String> {
        let started = Instant::now();
        let submitted = if submission.join("exercises").is_dir() {
            submission.join("exercises")
        } else {
            submission.to_path_buf()
        };
        // What the student handed in for each exercise; where nothing usable is there,
        // the exercise as handed out stands in, so that the workspace still builds, and
        // it is not graded.
        let missing: Vec<Option<Problem>> = self
            .course
            .exercises
            .iter()
            .map(|exercise| not_submitted(&submitted, exercise))
            .collect();
        let sources = |exercise: &Exercise| {
            let index = exercise.number - 1;
            if missing[index].is_none() {
                submitted.join(&exercise.name).join("src")
            } else {
                exercise.src()
            }
        };
        status("building");
        let scratch = assemble::assemble(
            self.course,
            &self.scratch(),
            &sources,
            Some(&self.hidden),
            false,
        )?;
        let target = self.target();
        let packages = self.course_packages();
        forget_exercises(&target, &packages)
            .map_err(|e| format!("cleaning {}: {e}", target.display()))?;
        let names: Vec<&str> = self
            .chosen
            .iter()
            .filter(|e| missing[e.number - 1].is_none())
            .map(|e| e.name.as_str())
            .collect();
        let mut built = build::build_all(&scratch.workspace, &names, &target);
        let build = started.elapsed();
        let mut results = Vec::new();
        for exercise in &self.chosen {
            let name = &exercise.name;
            if let Some(problem) = &missing[exercise.number - 1] {
                status(&format!("grading {name}: not in the submission"));
                results.push(ExerciseResult::untested(
                    name,
                    Problem::new(&problem.what, problem.detail.clone()),
                ));
                continue;
            }
            status(&format!("grading {name}: {}", scratch.taken[name.as_str()]));
            let transcripts = assemble::hidden_tests(&self.hidden, name).transcripts;
            let result = built.remove(name.as_str()).unwrap_or_else(|| {
                Err(Problem::new(
                    "could not be built",
                    "cargo said nothing of it",
                ))
            });
            results.push(test_built(
                &scratch.workspace,
                name,
                result,
                &transcripts,
                self.expected.get(name.as_str()),
                &self.options,
            ));
        }
        forget_exercises(&target, &packages)
            .map_err(|e| format!("cleaning {}: {e}", target.display()))?;
        drop(scratch);
        Ok(Graded {
            student: student.to_owned(),
            results,
            build,
            tests: started.elapsed() - build,
        })
    }
}

/// Why `exercise` cannot be graded from the folder `submitted` (a student's
/// `exercises/`), or `None` when it can: its `src/` must be there, with the files the
/// exercise's crate starts from (`lib.rs`, `main.rs`).
fn not_submitted(submitted: &Path, exercise: &Exercise) -> Option<Problem> {
    let src = submitted.join(&exercise.name).join("src");
    if !src.is_dir() {
        return Some(Problem::new(
            "not submitted",
            format!("{} does not exist", src.display()),
        ));
    }
    for root in ["lib.rs", "main.rs"] {
        if exercise.src().join(root).is_file() && !src.join(root).is_file() {
            return Some(Problem::new(
                "not submitted",
                format!("{} has no {root}", src.display()),
            ));
        }
    }
    None
}

/// Removes from the build folder `target` everything compiled from the workspace's own
/// packages (`packages`, the exercises): their libraries, programs and test programs, the
/// copies cargo puts next to `deps/`, and cargo's records of them. The dependencies stay.
/// Cargo then compiles the next student's code from nothing: whether it is fresh does not
/// rest on file times, and nothing built from one student's code is there when another
/// student's runs.
pub fn forget_exercises(target: &Path, packages: &[String]) -> io::Result<()> {
    let debug = target.join("debug");
    if !debug.is_dir() {
        return Ok(());
    }
    let entries = |dir: &Path| -> io::Result<Vec<(String, PathBuf)>> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            found.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
        Ok(found)
    };
    let remove = |path: &Path| -> io::Result<()> {
        let result = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
        match result {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    };
    // `.fingerprint/PACKAGE-HASH`: one per unit cargo built; the hash names its files.
    let mut hashes = BTreeSet::new();
    for dir in [".fingerprint", "build"] {
        for (name, path) in entries(&debug.join(dir))? {
            if let Some((package, hash)) = name.rsplit_once('-')
                && packages.iter().any(|p| p == package)
            {
                hashes.insert(hash.to_owned());
                remove(&path)?;
            }
        }
    }
    // `deps/NAME-HASH`, `deps/libNAME-HASH.rlib`, `deps/NAME-HASH.d`, ...
    for (name, path) in entries(&debug.join("deps"))? {
        let stem = name.split('.').next().unwrap_or(&name);
        if stem
            .rsplit_once('-')
            .is_some_and(|(_, hash)| hashes.contains(hash))
        {
            remove(&path)?;
        }
    }
    // Only the workspace's own packages are copied next to deps/ (programs, libraries)
    // or compiled incrementally: all of it goes.
    for (name, path) in entries(&debug)? {
        if name == "incremental" || name == "examples" || (path.is_file() && name != ".cargo-lock")
        {
            remove(&path)?;
        }
    }
    Ok(())
}

/// The submissions of a class: every folder of `class`, in name order, each a student
/// named after it (a bare git repository `NAME.git` is checked out first).
pub fn students(class: &Path) -> Result<Vec<Student>, String> {
    let mut found = Vec::new();
    let listing = std::fs::read_dir(class).map_err(|e| format!("{}: {e}", class.display()))?;
    for entry in listing {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        if name.starts_with('.') || !dir.is_dir() {
            continue;
        }
        let bare = dir.join("HEAD").is_file() && dir.join("objects").is_dir();
        if bare {
            let checkout = tempfile::tempdir().map_err(|e| e.to_string())?;
            let cloned = std::process::Command::new("git")
                .args(["clone", "--quiet", "--no-hardlinks"])
                .arg(&dir)
                .arg(checkout.path().join("work"))
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| format!("cannot run git: {e}"))?;
            if !cloned.status.success() {
                return Err(format!(
                    "cannot check out {}: {}",
                    dir.display(),
                    String::from_utf8_lossy(&cloned.stderr).trim()
                ));
            }
            found.push(Student {
                name: name.strip_suffix(".git").unwrap_or(&name).to_owned(),
                dir: checkout.path().join("work"),
                _checkout: Some(checkout),
            });
        } else {
            found.push(Student {
                name,
                dir,
                _checkout: None,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in found.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(format!(
                "two submissions of {} in {} (a folder and a .git?)",
                pair[0].name,
                class.display()
            ));
        }
    }
    Ok(found)
}

/// `cargo lab grade`: `--prepare`, `--submission DIR` or `--class DIR --out DIR`.
pub fn run(course: &Course, args: &GradeArgs, options: Options) -> Result<bool, String> {
    let grader = Grader::new(course, args.hidden.clone(), &args.only, options.clone())?;
    if args.prepare {
        let took = grader.prepare()?;
        println!(
            "compiled what every submission shares into {} in {:.0} s",
            course.build_dir("grade").display(),
            took.as_secs_f64()
        );
        return Ok(true);
    }
    if let Some(class) = &args.class {
        let out = args
            .out
            .as_deref()
            .expect("clap requires --out with --class");
        return grade_class(&grader, class, out, &options);
    }
    let submission = args.submission.as_deref().expect("clap requires one");
    if !submission.is_dir() {
        return Err(format!("{} is not a folder", submission.display()));
    }
    let name = submission.display().to_string();
    let graded = grader.grade(&name, submission, &|what| {
        if what.starts_with("grading ") {
            eprintln!("{what}");
        }
    })?;
    let results = &graded.results;
    println!("{}", report::table(results, true));
    print!("{}", seed_note(&options));
    if let Some(path) = &args.json {
        write(path, &report::json(&name, options.seed, results))?;
    }
    if let Some(path) = &args.junit {
        write(path, &report::junit(&name, results))?;
    }
    if let Some(path) = &args.gradescope_results {
        let hidden = args.hidden.clone().unwrap_or_else(|| course.hidden_dir());
        let elapsed = graded.build + graded.tests;
        write(
            path,
            &gradescope::results_json(results, &hidden, options.seed, elapsed),
        )?;
    }
    Ok(true)
}

/// The lines under a score table: the seed, and whether the sandbox was off.
fn seed_note(options: &Options) -> String {
    let mut note = format!(
        "(random seed of the transcripts and probe cases: {}; replay with --seed {})\n",
        options.seed, options.seed
    );
    if !options.limits.contain {
        note.push_str(
            "(graded with --unsafe-no-sandbox: the tests could read the course and reach the \
             network)\n",
        );
    }
    note
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Grades every submission of `class`, writing into `out`: `NAME.json`, `NAME.xml` (JUnit)
/// and `NAME.txt` (the table and details) per student, `gradebook.csv`, `failures.csv`
/// and `timings.csv`.
fn grade_class(
    grader: &Grader,
    class: &Path,
    out: &Path,
    options: &Options,
) -> Result<bool, String> {
    let students = students(class)?;
    if students.is_empty() {
        return Err(format!(
            "{} holds no submissions (one folder per student)",
            class.display()
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "grading {} submissions from {} (seed {}; replay with --seed {})",
        students.len(),
        class.display(),
        options.seed,
        options.seed
    );
    if !options.limits.contain {
        println!("(with --unsafe-no-sandbox: the tests can read the course and reach the network)");
    }
    let bar = ProgressBar::new(students.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} (eta {eta}) {wide_msg}")
            .expect("the template is valid"),
    );
    if !io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let exercises = grader.exercises();
    let mut all = Vec::new();
    let max = super::score::POINTS * exercises.len() as f64;
    for student in &students {
        let name = &student.name;
        let graded = grader.grade(name, &student.dir, &|what| {
            let what = what.split(':').next().unwrap_or(what);
            bar.set_message(format!("{name}: {what}"));
        })?;
        let results = &graded.results;
        write(
            &out.join(format!("{name}.json")),
            &report::json(name, options.seed, results),
        )?;
        write(
            &out.join(format!("{name}.xml")),
            &report::junit(name, results),
        )?;
        write(
            &out.join(format!("{name}.txt")),
            &format!("{}\n{}", report::table(results, true), seed_note(options)),
        )?;
        let points: f64 = results.iter().map(ExerciseResult::points).sum();
        bar.suspend(|| {
            println!(
                "{name:<20} {points:>6.1} of {max}   (build {:.1} s, tests {:.1} s)",
                graded.build.as_secs_f64(),
                graded.tests.as_secs_f64()
            )
        });
        bar.inc(1);
        all.push(graded);
    }
    bar.finish_and_clear();
    write(
        &out.join("gradebook.csv"),
        &gradebook::gradebook_csv(&exercises, &all),
    )?;
    write(&out.join("failures.csv"), &gradebook::failures_csv(&all))?;
    write(&out.join("timings.csv"), &gradebook::timings_csv(&all))?;
    println!("\n{}", gradebook::failures_summary(&all, 20));
    println!(
        "wrote gradebook.csv, failures.csv, timings.csv and each student's NAME.json, NAME.xml \
         (JUnit) and NAME.txt to {}",
        out.display()
    );
    Ok(true)
}
