//! Submissions that try to forge their verdict instead of doing the work (the files are in
//! `tests/attacks/`, described in its README.md): fake summaries on stdout, stderr and
//! straight to the descriptors, `exit(0)` from inside a function, forged answers written
//! before `main`, code that cheats only when it sees the grader, a program that turns on
//! the test that started it. Each attacked exercise must score exactly what it scores
//! untouched (an empty submission), for the reason the attack leads to (so that an attack
//! that does not even compile cannot pass for one that failed), and the exercise solved
//! honestly beside it must keep full marks.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod common;
use common::root;

use serde_json::Value;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// What a graded exercise showed: its points, and the reason and details of every test.
struct Graded {
    points: f64,
    problem: Option<String>,
    /// (reason, detail) of each failed test.
    failures: Vec<(String, String)>,
}

/// Grades `submission` (its exercises `only`), returning each exercise's outcome and the
/// score table.
fn grade(submission: &Path, only: &[&str]) -> (BTreeMap<String, Graded>, String) {
    let json = submission.join("report.json");
    let mut command = Command::new(LAB);
    command
        .arg("--root")
        .arg(root())
        .args(["grade", "--submission"])
        .arg(submission)
        .arg("--json")
        .arg(&json)
        .args(["--time-limit", "10", "--seed", "3"]);
    for name in only {
        command.args(["--only", name]);
    }
    let out = command.output().expect("run cargo lab grade");
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    let mut graded = BTreeMap::new();
    for exercise in report["exercises"].as_array().unwrap() {
        let failures = exercise["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["passed"] == false)
            .map(|t| {
                (
                    t["reason"].as_str().unwrap().to_owned(),
                    t["detail"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        graded.insert(
            exercise["name"].as_str().unwrap().to_owned(),
            Graded {
                points: exercise["points"].as_f64().unwrap(),
                problem: exercise["problem"].as_str().map(str::to_owned),
                failures,
            },
        );
    }
    (graded, table)
}

/// What the untouched exercises score: graded once, for every attack to compare with.
fn untouched() -> &'static BTreeMap<String, Graded> {
    static UNTOUCHED: OnceLock<BTreeMap<String, Graded>> = OnceLock::new();
    UNTOUCHED.get_or_init(|| {
        let dir = scratch("untouched");
        for name in ["wire", "pack", "showip", "tcp_upper_client"] {
            copy(
                &root().join("exercises").join(name).join("src"),
                &src(&dir, name),
            );
        }
        let (graded, table) = grade(&dir, &["wire", "pack", "showip", "tcp_upper_client"]);
        println!("untouched:\n{table}");
        fs::remove_dir_all(&dir).unwrap();
        graded
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-attack-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn src(submission: &Path, exercise: &str) -> PathBuf {
    submission.join("exercises").join(exercise).join("src")
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Grades attack `name` (each of its exercises: the one handed out with the attack's
/// files over it) beside `control` solved honestly, and checks the scores; `expect` names,
/// for each attacked exercise, words that one of its failures' reason or details must
/// hold: the mark the attack left.
fn attack(name: &str, control: &str, expect: &[(&str, &str)]) {
    let dir = scratch(name);
    let attacks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/attacks");
    let mut only = vec![control];
    for (exercise, _) in expect {
        copy(
            &root().join("exercises").join(exercise).join("src"),
            &src(&dir, exercise),
        );
        copy(
            &attacks.join(name).join(exercise).join("src"),
            &src(&dir, exercise),
        );
        only.push(exercise);
    }
    copy(
        &root().join("solutions").join(control).join("src"),
        &src(&dir, control),
    );
    let (graded, table) = grade(&dir, &only);
    println!("{name}:\n{table}");
    let baseline = untouched();
    for (exercise, mark) in expect {
        let got = &graded[*exercise];
        assert_eq!(
            got.problem, None,
            "the attack on {exercise} must compile and run:\n{table}"
        );
        assert_eq!(
            got.points, baseline[*exercise].points,
            "{name}: {exercise} must score what it scores untouched:\n{table}"
        );
        assert!(
            got.failures
                .iter()
                .any(|(reason, detail)| reason.contains(mark) || detail.contains(mark)),
            "{name}: {exercise} failed, but not for the attack's reason ({mark:?}):\n{table}"
        );
    }
    assert_eq!(
        graded[control].points, 10.0,
        "{name}: the honest {control} beside the attack keeps full marks:\n{table}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fake_summaries_and_exit_0_from_inside_a_function_gain_nothing() {
    attack(
        "forged_output",
        "tcp_upper_client",
        &[
            // Each check of the probe stops at its first case, where the code exits.
            ("wire", "exited in the middle of a case"),
            // Answers written before main, for inputs the probe never drew.
            ("pack", "answered another input"),
            // The program printed its fake summary; the test saw through it.
            ("showip", "test result: ok. 1 passed"),
        ],
    );
}

#[test]
fn code_that_cheats_only_when_it_sees_the_grader_gains_nothing() {
    attack(
        "grader_detection",
        "pack",
        &[
            // It saw the grader (else it would have panicked at its todo!()), cheated,
            // and exited.
            ("wire", "exited in the middle of a case"),
            ("showip", "test result: ok. 1 passed"),
        ],
    );
}

#[test]
fn a_program_that_turns_on_its_test_gains_nothing() {
    attack(
        "parent",
        "wire",
        &[
            // It could neither write into the test's output nor take the test over with
            // ptrace (the test is undumpable); killing the test is a failure.
            ("showip", "crashed (signal: 9 (SIGKILL))"),
            ("tcp_upper_client", "crashed (signal: 9 (SIGKILL))"),
        ],
    );
}
