//! Running an exercise's tests one by one, under limits, and scoring them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cargo;
use crate::course::{self, Course};
use crate::sandbox::{Limits, Sandboxed};
use crate::transcript::Transcript;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

/// Where a test comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// In the exercise's `tests/`: the student has it too.
    Visible,
    /// A Rust file from the hidden folder, dropped into `tests/` as `hidden_NAME.rs`.
    Hidden,
    /// A `.transcript` file from the hidden folder, played by the grader.
    Transcript,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Visible => "visible",
            Kind::Hidden => "hidden",
            Kind::Transcript => "transcript",
        }
    }
}

/// One test's outcome.
pub struct TestResult {
    pub name: String,
    pub kind: Kind,
    pub passed: bool,
    pub seconds: f64,
    /// Why it failed, in a few words ("timed out after 30 s").
    pub reason: String,
    /// What the test printed: expected, observed, the conversation.
    pub detail: String,
}

/// One exercise's outcome.
pub struct ExerciseResult {
    pub name: String,
    /// Set when the exercise could not be tested at all ("does not compile").
    pub problem: Option<String>,
    pub detail: String,
    pub tests: Vec<TestResult>,
}

/// Points per exercise: every exercise weighs the same, whatever its number of tests.
pub const POINTS: f64 = 10.0;

impl ExerciseResult {
    pub fn passed(&self, kind: Option<Kind>) -> usize {
        self.tests
            .iter()
            .filter(|t| t.passed && kind.is_none_or(|k| k == t.kind))
            .count()
    }

    pub fn total(&self, kind: Option<Kind>) -> usize {
        self.tests
            .iter()
            .filter(|t| kind.is_none_or(|k| k == t.kind))
            .count()
    }

    pub fn points(&self) -> f64 {
        if self.problem.is_some() || self.tests.is_empty() {
            return 0.0;
        }
        let score = POINTS * self.passed(None) as f64 / self.total(None) as f64;
        (score * 10.0).round() / 10.0
    }

    /// The note for the score table: the problem, or the reasons tests failed, each
    /// once and whole (a reason may hold a colon: "crashed (signal: 11 (SIGSEGV))").
    pub fn note(&self) -> String {
        if let Some(problem) = &self.problem {
            return problem.clone();
        }
        let mut reasons: Vec<&str> = Vec::new();
        for t in self.tests.iter().filter(|t| !t.passed) {
            if !reasons.contains(&t.reason.as_str()) {
                reasons.push(&t.reason);
            }
        }
        reasons.join("; ")
    }
}

/// How tests are run.
#[derive(Clone)]
pub struct Options {
    pub limits: Limits,
    /// Longest a single test (or transcript) may take.
    pub time_limit: Duration,
    /// Seeds the random values of transcripts.
    pub seed: u64,
}

/// Builds and tests exercise `name` of the exercises workspace `workspace`, then plays
/// `transcripts` against its program.
pub fn run_exercise(
    workspace: &Path,
    name: &str,
    target: &Path,
    transcripts: &[PathBuf],
    options: &Options,
) -> ExerciseResult {
    let mut result = ExerciseResult {
        name: name.to_owned(),
        problem: None,
        detail: String::new(),
        tests: Vec::new(),
    };
    let built = match cargo::build(workspace, name, target) {
        Ok(built) => built,
        Err(messages) => {
            result.problem = Some("does not compile".to_owned());
            result.detail = first_error(&messages);
            return result;
        }
    };
    if !built.outside.is_empty() {
        result.problem = Some("reads files outside its src/ when compiled".to_owned());
        result.detail = format!(
            "include!, include_str!, include_bytes! or #[path] took in {}; only the \
             exercise's own src/ may be compiled in",
            built
                .outside
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return result;
    }
    let exercise_dir = workspace.join(name);
    for (stem, exe) in &built.tests {
        let kind = if stem.starts_with("hidden_") {
            Kind::Hidden
        } else {
            Kind::Visible
        };
        let names = match cargo::list_tests(exe) {
            Ok(names) => names,
            Err(e) => {
                result.problem = Some("its tests cannot be listed".to_owned());
                result.detail = e;
                return result;
            }
        };
        for test in names {
            result
                .tests
                .push(run_test(exe, &exercise_dir, stem, &test, kind, options));
        }
    }
    for (index, path) in transcripts.iter().enumerate() {
        let test_name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let started = Instant::now();
        let outcome = play(path, &built.bins, name, options, index as u64);
        let (passed, reason, detail) = match outcome {
            Ok(()) => (true, String::new(), String::new()),
            Err((reason, detail)) => (false, reason, detail),
        };
        result.tests.push(TestResult {
            name: test_name,
            kind: Kind::Transcript,
            passed,
            seconds: started.elapsed().as_secs_f64(),
            reason,
            detail,
        });
    }
    result
}

fn play(
    path: &Path,
    bins: &BTreeMap<String, PathBuf>,
    exercise: &str,
    options: &Options,
    index: u64,
) -> Result<(), (String, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ("the transcript cannot be read".to_owned(), e.to_string()))?;
    let transcript = Transcript::parse(&text).map_err(|e| {
        (
            "the transcript is malformed (an instructor's mistake)".to_owned(),
            format!("{}: {e}", path.display()),
        )
    })?;
    let binary = transcript
        .binary
        .clone()
        .unwrap_or_else(|| exercise.to_owned());
    let program = bins.get(&binary).ok_or_else(|| {
        (
            format!("no program named {binary}"),
            format!("the exercise builds {:?}", bins.keys().collect::<Vec<_>>()),
        )
    })?;
    let seed = options
        .seed
        .wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    match transcript.play(program, &options.limits, seed, options.time_limit) {
        Ok(()) => Ok(()),
        Err(report) => {
            let reason = if report.contains("hit the process limit") {
                process_limit_reason(&options.limits)
            } else if report.contains("left processes running") {
                "left processes behind".to_owned()
            } else if report.contains("time limit for the whole transcript") {
                format!("timed out after {} s", options.time_limit.as_secs())
            } else {
                "the conversation went wrong".to_owned()
            };
            Err((reason, format!("(random seed {seed})\n{report}")))
        }
    }
}

fn run_test(
    exe: &Path,
    exercise_dir: &Path,
    binary: &str,
    test: &str,
    kind: Kind,
    options: &Options,
) -> TestResult {
    let started = Instant::now();
    let mut command = Command::new(exe);
    command
        .args(["--exact", test, "--test-threads=1"])
        .current_dir(exercise_dir)
        .env("RUST_BACKTRACE", "0");
    let name = format!("{binary}::{test}");
    let mut child = match Sandboxed::spawn(command, &options.limits, b"") {
        Ok(child) => child,
        Err(e) => {
            return TestResult {
                name,
                kind,
                passed: false,
                seconds: 0.0,
                reason: "could not start".to_owned(),
                detail: e.to_string(),
            };
        }
    };
    let status = child.wait_until(started + options.time_limit);
    let ending = child.finish();
    let stdout = String::from_utf8_lossy(&ending.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&ending.stderr).into_owned();
    let seconds = started.elapsed().as_secs_f64();
    let (passed, reason, detail) = match status {
        _ if ending.hit_process_limit => (
            false,
            process_limit_reason(&options.limits),
            format!(
                "{}\n{}",
                cargo::failure_text(&stdout, test),
                tail(&stderr, 10)
            ),
        ),
        None => (
            false,
            format!("timed out after {} s", options.time_limit.as_secs()),
            format!(
                "the test was still running when its time was up (waiting for something the \
                 program never did?); its output so far:\n{}",
                tail(&stdout, 20)
            ),
        ),
        Some(status) if status.success() && stdout.contains("1 passed") => {
            if ending.leftovers.is_empty() {
                (true, String::new(), String::new())
            } else {
                (
                    false,
                    "left processes behind".to_owned(),
                    format!(
                        "still running after the test ended: {}",
                        ending.leftovers.join(", ")
                    ),
                )
            }
        }
        Some(status) if status.success() => (
            false,
            "did not run".to_owned(),
            format!("the test binary ran no test named {test}"),
        ),
        Some(status) if status.code() == Some(101) => {
            let mut detail = cargo::failure_text(&stdout, test);
            if !ending.leftovers.is_empty() {
                let _ = write!(detail, "\nleft running: {}", ending.leftovers.join(", "));
            }
            (false, "failed".to_owned(), detail)
        }
        Some(status) => (
            false,
            format!("crashed ({status})"),
            format!("{}\n{}", tail(&stdout, 20), tail(&stderr, 20)),
        ),
    };
    TestResult {
        name,
        kind,
        passed,
        seconds,
        reason,
        detail,
    }
}

/// The same words for a test and a transcript, so the table's note names it once.
fn process_limit_reason(limits: &Limits) -> String {
    format!(
        "hit the process limit ({} processes): does it fork without end?",
        limits.processes
    )
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The first error of a compiler run, which is the one to fix first.
fn first_error(messages: &str) -> String {
    let start = messages.find("error").unwrap_or(0);
    let text = &messages[start..];
    let end = text[1..]
        .find("\nerror")
        .map(|i| i + 1)
        .unwrap_or(text.len());
    tail(&text[..end], 40).trim_end().to_owned()
}

/// The hidden tests of `exercise` under `hidden`: (Rust files, transcripts).
pub fn hidden_tests(hidden: &Path, exercise: &str) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut rust = Vec::new();
    let mut transcripts = Vec::new();
    for (_, path) in course::files_under(&hidden.join(exercise), 1000) {
        match path.extension().and_then(|e| e.to_str()) {
            Some("rs") => rust.push(path),
            Some("transcript") => transcripts.push(path),
            _ => {}
        }
    }
    (rust, transcripts)
}

/// Largest source file taken from a submission, and most files per exercise.
const MAX_FILE: u64 = 1 << 20;
const MAX_FILES: usize = 200;

/// Fills `scratch` with a copy of the course's exercise workspace (and the crates it
/// depends on) in which each exercise's `src/` comes from `sources(name)` and its
/// `tests/` holds the visible tests plus the hidden Rust tests. Returns, per exercise,
/// what was taken from the submission (for the report).
pub fn assemble(
    course: &Course,
    scratch: &Path,
    sources: &dyn Fn(&str) -> PathBuf,
    hidden: Option<&Path>,
) -> std::io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let root = &course.root;
    files.insert(PathBuf::from("Cargo.toml"), root.join("Cargo.toml"));
    for krate in ["netkit", "testkit"] {
        let dir = PathBuf::from("crates/support").join(krate);
        course::add_tree(&mut files, &root.join(&dir), &dir);
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        let path = root.join("exercises").join(file);
        if path.is_file() {
            files.insert(PathBuf::from("exercises").join(file), path);
        }
    }
    let mut taken = BTreeMap::new();
    for name in &course.exercises {
        let prefix = PathBuf::from("exercises").join(name);
        for (rel, abs) in course::files_under(&course.exercise_dir(name), 10_000) {
            if !rel.starts_with("src") {
                files.insert(prefix.join(rel), abs);
            }
        }
        let src = sources(name);
        let mut count = 0;
        let mut skipped = 0;
        for (rel, abs) in course::files_under(&src, MAX_FILES) {
            if std::fs::metadata(&abs).is_ok_and(|m| m.len() <= MAX_FILE) {
                files.insert(prefix.join("src").join(rel), abs);
                count += 1;
            } else {
                skipped += 1;
            }
        }
        let mut note = format!("{count} files from {}", src.display());
        if skipped > 0 {
            let _ = write!(note, " ({skipped} over 1 MiB skipped)");
        }
        taken.insert(name.clone(), note);
        if let Some(hidden) = hidden {
            for path in hidden_tests(hidden, name).0 {
                let file = format!("hidden_{}", path.file_name().unwrap().to_string_lossy());
                files.insert(prefix.join("tests").join(file), path);
            }
        }
    }
    course::sync(scratch, &files)?;
    Ok(taken)
}

/// The score table, then the details of every failure.
pub fn table(results: &[ExerciseResult], details: bool) -> String {
    let mut out = String::new();
    let width = results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>6}  {:>10}  {:>6}  notes",
        "exercise", "visible", "hidden", "transcript", "points"
    );
    let cell = |r: &ExerciseResult, k: Kind| {
        if r.problem.is_some() {
            "-".to_owned()
        } else {
            format!("{}/{}", r.passed(Some(k)), r.total(Some(k)))
        }
    };
    let mut total = 0.0;
    for r in results {
        total += r.points();
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>6}  {:>10}  {:>6.1}  {}",
            r.name,
            cell(r, Kind::Visible),
            cell(r, Kind::Hidden),
            cell(r, Kind::Transcript),
            r.points(),
            r.note()
        );
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>6}  {:>10}  {:>6.1}  of {}",
        "total",
        "",
        "",
        "",
        total,
        POINTS * results.len() as f64
    );
    if details {
        for r in results {
            if let Some(problem) = &r.problem {
                let _ = writeln!(out, "\n{}: {problem}\n{}", r.name, indent(&r.detail));
            }
            for t in r.tests.iter().filter(|t| !t.passed) {
                let _ = writeln!(
                    out,
                    "\n{} / {} ({}): {}\n{}",
                    r.name,
                    t.name,
                    t.kind.word(),
                    t.reason,
                    indent(&t.detail)
                );
            }
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The JSON report: the whole run.
#[derive(Serialize)]
struct JsonReport<'a> {
    submission: &'a str,
    seed: u64,
    points: f64,
    max_points: f64,
    exercises: Vec<JsonExercise<'a>>,
}

#[derive(Serialize)]
struct JsonExercise<'a> {
    name: &'a str,
    points: f64,
    max_points: f64,
    passed: usize,
    total: usize,
    /// `null` when the exercise could be tested.
    problem: Option<&'a str>,
    /// Only with a problem: the compiler's first error, say.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    tests: Vec<JsonTest<'a>>,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    kind: &'static str,
    passed: bool,
    seconds: f64,
    reason: &'a str,
    detail: &'a str,
}

/// `x` rounded to `places` decimals, so the report reads 9.1 rather than 9.100000000000001.
fn rounded(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

/// The results as JSON, for gradebooks.
pub fn json(submission: &str, seed: u64, results: &[ExerciseResult]) -> String {
    let report = JsonReport {
        submission,
        seed,
        points: rounded(results.iter().map(ExerciseResult::points).sum(), 1),
        max_points: POINTS * results.len() as f64,
        exercises: results
            .iter()
            .map(|r| JsonExercise {
                name: &r.name,
                points: r.points(),
                max_points: POINTS,
                passed: r.passed(None),
                total: r.total(None),
                problem: r.problem.as_deref(),
                detail: r.problem.as_ref().map(|_| r.detail.as_str()),
                tests: r
                    .tests
                    .iter()
                    .map(|t| JsonTest {
                        name: &t.name,
                        kind: t.kind.word(),
                        passed: t.passed,
                        seconds: rounded(t.seconds, 3),
                        reason: &t.reason,
                        detail: &t.detail,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serializes");
    text.push('\n');
    text
}

/// The results as JUnit XML, for CI systems: one test suite per exercise. An exercise
/// that could not be tested is one test case, `build`, in error.
pub fn junit(submission: &str, results: &[ExerciseResult]) -> String {
    let tests: usize = results.iter().map(|r| r.total(None).max(1)).sum();
    let errors = results.iter().filter(|r| r.problem.is_some()).count();
    let failures: usize = results
        .iter()
        .filter(|r| r.problem.is_none())
        .map(|r| r.total(None) - r.passed(None))
        .sum();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| {
            writer
                .create_element("testsuites")
                .with_attributes([
                    ("name", xml_safe(submission).as_ref()),
                    ("tests", &tests.to_string()),
                    ("failures", &failures.to_string()),
                    ("errors", &errors.to_string()),
                ])
                .write_inner_content(|w| results.iter().try_for_each(|r| junit_suite(w, r)))
                .map(|_| ())
        });
    written.expect("writing XML into memory cannot fail");
    let mut text = String::from_utf8(writer.into_inner()).expect("the XML is UTF-8");
    text.push('\n');
    text
}

fn junit_suite(w: &mut Writer<Vec<u8>>, r: &ExerciseResult) -> std::io::Result<()> {
    let name = xml_safe(&r.name);
    if let Some(problem) = &r.problem {
        w.create_element("testsuite")
            .with_attributes([
                ("name", name.as_ref()),
                ("tests", "1"),
                ("failures", "0"),
                ("errors", "1"),
                ("time", "0"),
            ])
            .write_inner_content(|w| {
                w.create_element("testcase")
                    .with_attributes([
                        ("classname", name.as_ref()),
                        ("name", "build"),
                        ("time", "0"),
                    ])
                    .write_inner_content(|w| {
                        w.create_element("error")
                            .with_attribute(("message", xml_safe(problem).as_ref()))
                            .write_text_content(xml_text(&r.detail))
                            .map(|_| ())
                    })
                    .map(|_| ())
            })?;
        return Ok(());
    }
    let seconds: f64 = r.tests.iter().map(|t| t.seconds).sum();
    w.create_element("testsuite")
        .with_attributes([
            ("name", name.as_ref()),
            ("tests", &r.total(None).to_string()),
            ("failures", &(r.total(None) - r.passed(None)).to_string()),
            ("errors", "0"),
            ("time", &format!("{seconds:.3}")),
        ])
        .write_inner_content(|w| {
            for t in &r.tests {
                let case = w.create_element("testcase").with_attributes([
                    ("classname", format!("{name}.{}", t.kind.word()).as_str()),
                    ("name", xml_safe(&t.name).as_ref()),
                    ("time", &format!("{:.3}", t.seconds)),
                ]);
                if t.passed {
                    case.write_empty()?;
                } else {
                    case.write_inner_content(|w| {
                        w.create_element("failure")
                            .with_attribute(("message", xml_safe(&t.reason).as_ref()))
                            .write_text_content(xml_text(&t.detail))
                            .map(|_| ())
                    })?;
                }
            }
            Ok(())
        })?;
    Ok(())
}

/// `text` with the characters XML 1.0 cannot hold at all (most control characters)
/// written as `\xNN`.
fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r');
    if !text.contains(bad) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if bad(c) {
                format!("\\x{:02x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Element content: escaped, with `\r` kept as a character reference (a reader turns a
/// bare one into a line break).
fn xml_text(text: &str) -> BytesText<'static> {
    let escaped = quick_xml::escape::escape(xml_safe(text)).replace('\r', "&#13;");
    BytesText::from_escaped(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<ExerciseResult> {
        vec![
            ExerciseResult {
                name: "one".into(),
                problem: None,
                detail: String::new(),
                tests: vec![
                    TestResult {
                        name: "visible::a".into(),
                        kind: Kind::Visible,
                        passed: true,
                        seconds: 0.1,
                        reason: String::new(),
                        detail: String::new(),
                    },
                    TestResult {
                        name: "upper".into(),
                        kind: Kind::Transcript,
                        passed: false,
                        seconds: 0.2,
                        reason: "the conversation went wrong".into(),
                        detail: "expected  \"HI\\n\" <&> \u{1}".into(),
                    },
                ],
            },
            ExerciseResult {
                name: "two".into(),
                problem: Some("does not compile".into()),
                detail: "error[E0308]: mismatched types".into(),
                tests: Vec::new(),
            },
        ]
    }

    #[test]
    fn points_are_the_share_of_tests_passed() {
        let results = sample();
        assert_eq!(results[0].points(), 5.0);
        assert_eq!(results[1].points(), 0.0);
        let table = table(&results, true);
        assert!(table.contains("total"), "{table}");
        assert!(table.contains("does not compile"), "{table}");
    }

    #[test]
    fn the_table_prints_a_note_whole_even_with_a_colon_in_it() {
        let mut results = sample();
        results[0].tests[1].reason = "crashed (signal: 11 (SIGSEGV))".into();
        let table = table(&results, false);
        let row = table.lines().find(|l| l.starts_with("one ")).unwrap();
        assert!(
            row.ends_with("  crashed (signal: 11 (SIGSEGV))"),
            "the note is cut:\n{table}"
        );
    }

    #[test]
    fn json_report_parses_back() {
        let text = json("alice", 7, &sample());
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let exercises = parsed["exercises"].as_array().unwrap();
        assert_eq!(exercises.len(), 2);
        assert_eq!(parsed["points"], 5.0);
        assert_eq!(parsed["max_points"], 20.0);
        assert_eq!(exercises[0]["problem"], serde_json::Value::Null);
        assert!(exercises[0].get("detail").is_none());
        assert_eq!(exercises[0]["tests"][1]["kind"], "transcript");
        assert_eq!(exercises[0]["tests"][1]["seconds"], 0.2);
        assert_eq!(exercises[1]["problem"], "does not compile");
        assert_eq!(exercises[1]["detail"], "error[E0308]: mismatched types");
    }

    #[test]
    fn junit_escapes_what_xml_cannot_hold() {
        let text = junit("a&b", &sample());
        assert!(text.contains("name=\"a&amp;b\""));
        assert!(text.contains("&lt;&amp;&gt; \\x01"));
        assert!(text.contains("<testsuite name=\"two\" tests=\"1\" failures=\"0\" errors=\"1\""));
        assert!(
            text.contains("<testsuites name=\"a&amp;b\" tests=\"3\" failures=\"1\" errors=\"1\">")
        );
        assert_eq!(text.matches("<testsuite ").count(), 2);
        assert_eq!(text.matches("</testsuite>").count(), 2);
    }
}
