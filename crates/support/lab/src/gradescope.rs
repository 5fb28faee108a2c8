//! Gradescope: `cargo lab export --gradescope FILE.zip` writes an autograder, and
//! `cargo lab grade --submission DIR --gradescope-results FILE` writes what it reports.
//!
//! The zip follows Gradescope's autograder specification: at its root `setup.sh` (run
//! once, as root, when Gradescope builds the autograder's image: it installs Rust and
//! builds `cargo lab` and the course's dependencies) and `run_autograder` (run for every
//! submission: it grades `/autograder/submission` and writes
//! `/autograder/results/results.json`). Gradescope unpacks the zip into
//! `/autograder/source`; the course is in `course/` there, the student edition with the
//! hidden tests added (never the solutions). A library exercise judged by a probe needs
//! the reference solution's answers: the export runs the reference probe on the
//! autograder's seed and puts what it answered beside the probe
//! (`hidden/NAME/reference-answers.json`). Both scripts take the root from
//! `AUTOGRADER_ROOT` (default `/autograder`), so the autograder can be tried locally.
//! Run as root (as Gradescope runs them), the tests run in the grader's sandbox, which
//! shows them nothing of `/autograder`; otherwise they are graded with
//! `--unsafe-no-sandbox`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::course::Course;
use crate::export;
use crate::files;
use crate::grade::probe;
use crate::grade::reference::{self, RECORDED, ReferenceProbe};
use crate::grade::score::{ExerciseResult, Kind, POINTS};

/// Who sees a hidden test's result on Gradescope: once the instructor publishes the
/// grades. (A visible test's result is shown at once: the student has that test.)
pub const HIDDEN_VISIBILITY: &str = "after_published";

/// Seconds each test may take on the platform.
const TIME_LIMIT: u64 = 30;

/// `cargo lab export --gradescope FILE.zip`.
pub fn export(course: &Course, zip_path: &Path) -> Result<bool, String> {
    let mut entries: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for (rel, abs) in export::student_files(course, None)? {
        entries.insert(Path::new("course").join(rel), abs);
    }
    let hidden = course.hidden_dir();
    files::add_tree(&mut entries, &hidden, Path::new("course/hidden"));
    // One seed for every submission: every student's transcripts see the same values,
    // and a regrade sees them again.
    let seed = crate::grade::Options::new(TIME_LIMIT, None).seed;
    let recorded = recorded_answers(course, &hidden, seed)?;
    for name in recorded.keys() {
        entries.remove(name);
    }
    let probed: Vec<String> = recorded
        .keys()
        .filter_map(|path| path.parent()?.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    let packages = debian_packages(course);
    let file =
        std::fs::File::create(zip_path).map_err(|e| format!("{}: {e}", zip_path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = |mode: u32| {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode)
    };
    let mut add = |name: &str, bytes: &[u8], mode: u32| -> Result<(), String> {
        zip.start_file(name, options(mode))
            .and_then(|()| zip.write_all(bytes).map_err(Into::into))
            .map_err(|e| format!("{}: {e}", zip_path.display()))
    };
    add("setup.sh", setup_sh(&packages).as_bytes(), 0o755)?;
    add("run_autograder", run_autograder(seed).as_bytes(), 0o755)?;
    for (rel, abs) in &entries {
        let bytes = std::fs::read(abs).map_err(|e| format!("{}: {e}", abs.display()))?;
        let mode = std::fs::metadata(abs)
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
            .unwrap_or(0o644);
        add(&rel.to_string_lossy(), &bytes, mode)?;
    }
    for (rel, text) in &recorded {
        add(&rel.to_string_lossy(), text.as_bytes(), 0o644)?;
    }
    zip.finish()
        .map_err(|e| format!("{}: {e}", zip_path.display()))?;
    println!(
        "wrote the Gradescope autograder {} ({} files): setup.sh and run_autograder at its \
         root, the course (no solutions/) with its hidden tests in course/ and the \
         reference's answers to the probes of {}; seed {seed} for every submission. Upload \
         it as the assignment's autograder (\"Zip file upload\").",
        zip_path.display(),
        entries.len() + recorded.len() + 2,
        probed.join(", ")
    );
    Ok(true)
}

/// The reference's answers for `seed`, for every exercise with a probe in `hidden`: (path
/// in the zip, JSON). The solutions stay out of the autograder; what they answer on the
/// autograder's cases goes in.
fn recorded_answers(
    course: &Course,
    hidden: &Path,
    seed: u64,
) -> Result<BTreeMap<PathBuf, String>, String> {
    let all: Vec<_> = course.exercises.iter().collect();
    let reference = reference::probes(course, hidden, &all)?;
    let mut recorded = BTreeMap::new();
    for (name, probe) in &reference.probes {
        let ReferenceProbe::Built(program) = probe else {
            return Err(format!(
                "{name} has a probe but no solution here: the autograder needs the reference \
                 solution's answers, and only the solution can give them for a new seed"
            ));
        };
        let answers = probe::record(program, seed, Duration::from_secs(TIME_LIMIT))
            .map_err(|p| format!("{name}: {}: {}", p.what, p.detail))?;
        let mut text = serde_json::to_string_pretty(&answers).expect("the answers serialize");
        text.push('\n');
        recorded.insert(Path::new("course/hidden").join(name).join(RECORDED), text);
    }
    Ok(recorded)
}

/// The Debian packages the exercises' tests ask for (`testkit::require_tool` calls in
/// their visible or hidden tests), looked up in testkit's tools.txt.
fn debian_packages(course: &Course) -> Vec<String> {
    let tools_txt = std::fs::read_to_string(course.root.join("crates/support/testkit/tools.txt"))
        .unwrap_or_default();
    let mut sources = String::new();
    for dir in [course.exercises_dir(), course.hidden_dir()] {
        for (_, path) in files::files_under(&dir, 100_000) {
            if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut packages = Vec::new();
    for line in tools_txt.lines().filter(|l| !l.starts_with('#')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let [tool, from, package, ..] = cells[..]
            && from.starts_with("apt")
            && sources.contains(&format!("require_tool(\"{tool}\")"))
            && !packages.iter().any(|p| p == package)
        {
            packages.push(package.to_owned());
        }
    }
    packages
}

fn setup_sh(packages: &[String]) -> String {
    format!(
        r#"#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: Rust, the
# tools the tests need, then `cargo lab` and everything the submissions share, compiled
# once here so that each submission compiles only its own code.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends ca-certificates curl build-essential git {packages}
if ! command -v cargo >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
. "$HOME/.cargo/env"
cd "$ROOT/source/course"
cargo build --release -p lab
target/release/lab --root . grade --prepare
"#,
        packages = packages.join(" ")
    )
}

fn run_autograder(seed: u64) -> String {
    format!(
        r#"#!/usr/bin/env bash
# Gradescope runs this for every submission, in /autograder. The grader copies each
# exercise's src/ from the submission (the student's repository, or its exercises/
# folder) into its scratch copy of the course in source/course, next to the visible and
# hidden tests, builds, runs every test in its sandbox, and writes results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
COURSE="$ROOT/source/course"
# The same seed for every submission: the same random inputs for every student.
SEED={seed}
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
LAB="${{LAB:-$COURSE/target/release/lab}}"
if [ ! -x "$LAB" ]; then
    (cd "$COURSE" && cargo build --release --quiet -p lab) || exit 1
fi
# As root (Gradescope runs this as root), every test runs in the grader's sandbox: its own
# network (loopback only), and a view of the files without /autograder, so no test sees
# the hidden tests, the recorded answers or another run. Without root there is no
# sandbox, and the grader must be told that it grades without one.
SANDBOX=""
if [ "$(id -u)" != 0 ]; then SANDBOX="--unsafe-no-sandbox"; fi
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
"$LAB" --root "$COURSE" grade --submission "$ROOT/submission" --seed "$SEED" \
    --time-limit {TIME_LIMIT} --gradescope-results "$ROOT/results/results.json" $SANDBOX
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    printf '{{"score": 0, "output": "The autograder could not grade this submission (status %s). Your instructor can read why in its output.", "tests": []}}\n' "$status" \
        > "$ROOT/results/results.json"
fi
"#
    )
}

/// results.json: the fields Gradescope's specification names.
#[derive(Serialize)]
struct Results {
    score: f64,
    execution_time: u64,
    output: String,
    tests: Vec<TestEntry>,
}

#[derive(Serialize)]
struct TestEntry {
    name: String,
    score: f64,
    max_score: f64,
    status: &'static str,
    output: String,
    visibility: &'static str,
}

/// The results of a submission as Gradescope's results.json: a test per test (an
/// exercise worth `POINTS` split evenly among its tests, as in the score table), one
/// `build` test for an exercise that could not be tested, the total as `score`. Hidden
/// tests are shown once grades are published, and their output never quotes the hidden
/// tests' source (in `hidden`): what was checked, the input and what came back, yes; the
/// test's code, no.
pub fn results_json(
    results: &[ExerciseResult],
    hidden: &Path,
    seed: u64,
    elapsed: Duration,
) -> String {
    let mut tests = Vec::new();
    for r in results {
        let source = hidden_source(hidden, &r.name);
        if let Some(problem) = &r.problem {
            tests.push(TestEntry {
                name: format!("{} / build", r.name),
                score: 0.0,
                max_score: POINTS,
                status: "failed",
                output: format!("{}\n{}", problem.what, scrub(&problem.detail, &source)),
                visibility: "visible",
            });
            continue;
        }
        let share = POINTS / r.tests.len().max(1) as f64;
        for t in &r.tests {
            let hidden = t.kind != Kind::Visible;
            let output = if t.passed {
                "passed".to_owned()
            } else if t.kind == Kind::Hidden {
                format!("{}\n{}", t.reason, scrub(&t.detail, &source))
            } else {
                format!("{}\n{}", t.reason, t.detail)
            };
            tests.push(TestEntry {
                name: format!("{} / {} ({})", r.name, t.name, t.kind.word()),
                score: if t.passed { share } else { 0.0 },
                max_score: share,
                status: if t.passed { "passed" } else { "failed" },
                output,
                visibility: if hidden { HIDDEN_VISIBILITY } else { "visible" },
            });
        }
    }
    // Without the float sum's noise: 120.0, not 120.00000000000006 (Gradescope shows the
    // sum of the tests, which this stays within a billionth of).
    let score = (tests.iter().map(|t| t.score).sum::<f64>() * 1e9).round() / 1e9;
    let mut output = String::new();
    let _ = write!(
        output,
        "Graded by cargo lab: every exercise is worth {POINTS} points, split evenly among \
         its tests. Random inputs from seed {seed}."
    );
    let mut text = serde_json::to_string_pretty(&Results {
        score,
        execution_time: elapsed.as_secs(),
        output,
        tests,
    })
    .expect("the results serialize");
    text.push('\n');
    text
}

/// The hidden Rust tests of `exercise`, and its probe, one text.
fn hidden_source(hidden: &Path, exercise: &str) -> String {
    let found = crate::grade::assemble::hidden_tests(hidden, exercise);
    found
        .rust
        .iter()
        .chain(&found.probe)
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` without the lines that quote `source` (a hidden test): a compiler's snippet of
/// it, an `assert!` that prints its own condition. A line goes when it holds a line of the
/// source, or when it (or what follows a `: ` or a `|` in it) is a piece of the source, of
/// 12 characters or more. A run of such lines becomes one line that says so.
pub fn scrub(text: &str, source: &str) -> String {
    const SHORTEST: usize = 12;
    let code: Vec<&str> = source
        .lines()
        .map(str::trim)
        .filter(|l| l.len() >= SHORTEST)
        .collect();
    let quotes = |line: &str| {
        let line = line.trim();
        if code.iter().any(|c| line.contains(c)) {
            return true;
        }
        let mut pieces = vec![line];
        pieces.extend(line.match_indices(": ").map(|(i, _)| &line[i + 2..]));
        pieces.extend(line.match_indices('|').map(|(i, _)| &line[i + 1..]));
        pieces
            .iter()
            .map(|p| p.trim())
            .any(|p| p.len() >= SHORTEST && source.contains(p))
    };
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines() {
        if !quotes(line) {
            out.push(line);
        } else if out.last() != Some(&"    (lines of the hidden test, not shown)") {
            out.push("    (lines of the hidden test, not shown)");
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_drops_what_quotes_the_hidden_source_and_keeps_the_rest() {
        let source = "fn t() {\n    let frame = pack::frame(&msg);\n    assert!(frame.len() == msg.len() + 4);\n}\n";
        let text = "assertion failed: frame.len() == msg.len() + 4\n\
                    error[E0308]: mismatched types\n  --> tests/hidden_random.rs:2:17\n\
                    2 |     let frame = pack::frame(&msg);\n  |                 ^^^^\n\
                    expected a frame of 12 bytes, got 11 (seed 5)";
        let scrubbed = scrub(text, source);
        assert!(!scrubbed.contains("frame.len()"), "{scrubbed}");
        assert!(!scrubbed.contains("pack::frame(&msg)"), "{scrubbed}");
        assert!(
            scrubbed.contains("error[E0308]: mismatched types"),
            "{scrubbed}"
        );
        assert!(scrubbed.contains("expected a frame of 12 bytes, got 11 (seed 5)"));
        assert!(scrubbed.contains("(lines of the hidden test, not shown)"));
    }
}
