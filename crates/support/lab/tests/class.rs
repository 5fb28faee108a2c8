//! Grading a class at once: a gradebook and every student's reports, the same scores as
//! one at a time, and no student's build or misbehaviour reaching another student.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// Writes `exercise`'s reference solution into the submission `dir`, `edit`ed.
fn submit(dir: &Path, exercise: &str, edit: impl Fn(String) -> String) {
    let from = root().join("solutions").join(exercise).join("src");
    let to = dir.join("exercises").join(exercise).join("src");
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let lib = to.join("lib.rs");
    let text = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, edit(text)).unwrap();
}

/// Puts `code` at the start of the body of `pub fn NAME`.
fn prepend_to(text: String, name: &str, code: &str) -> String {
    let start = text.find(&format!("pub fn {name}")).expect("function");
    let open = start + text[start..].find("{\n").unwrap() + 2;
    format!("{}{code}\n{}", &text[..open], &text[open..])
}

fn lab(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root())
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    (out.status.success(), format!("{text}\n{err}"))
}

/// Per test of a report: (exercise, test, passed); per exercise: (exercise, points).
type Outcome = (Vec<(String, String, bool)>, Vec<(String, f64)>);

/// What a JSON report says of each test and exercise.
fn outcome(path: &Path) -> Outcome {
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let mut tests = Vec::new();
    let mut points = Vec::new();
    for e in report["exercises"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap().to_owned();
        points.push((name.clone(), e["points"].as_f64().unwrap()));
        for t in e["tests"].as_array().unwrap() {
            tests.push((
                name.clone(),
                t["name"].as_str().unwrap().to_owned(),
                t["passed"].as_bool().unwrap(),
            ));
        }
    }
    (tests, points)
}

#[test]
fn a_class_gets_a_gradebook_and_each_student_the_score_they_get_alone() {
    testkit::require_tool("git");
    testkit::require_tool("setsid");
    let dir = std::env::temp_dir().join(format!("lab-class-test-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let class = dir.join("class");

    // a-alice: wire solved, and a program of her own whose name bob looks for.
    submit(&class.join("a-alice"), "wire", |t| t);
    let bin = class.join("a-alice/exercises/wire/src/bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("alice_marker.rs"), "fn main() {}\n").unwrap();

    // b-bomb: recv_exact starts processes without end (escaping its process group) and
    // never returns; the rest of wire is right.
    submit(&class.join("b-bomb"), "wire", |t| {
        prepend_to(
            t,
            "recv_exact",
            "    if std::hint::black_box(true) {\n        loop {\n            let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"60\"]).spawn();\n        }\n    }",
        )
    });

    // c-bob: wire solved, except that send_all fails if anything built from alice's code
    // is in the build folder its tests run from.
    submit(&class.join("c-bob"), "wire", |t| {
        prepend_to(
            t,
            "send_all",
            r#"    let exe = std::env::current_exe().unwrap_or_default();
    for dir in exe.ancestors().skip(1).take(2) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("alice_marker") {
                return Err(std::io::Error::other("found a program built from alice's code"));
            }
        }
    }"#,
        )
    });

    // d-dave: a bare git repository, wire solved.
    let work = dir.join("dave-work");
    submit(&work, "wire", |t| t);
    let git = |args: &[&str], cwd: &Path| {
        let ok = Command::new("git")
            .args(["-c", "user.name=d", "-c", "user.email=d@example.com"])
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {ok:?}");
    };
    git(&["init", "-q"], &work);
    git(&["add", "."], &work);
    git(&["commit", "-q", "-m", "wire"], &work);
    git(
        &[
            "clone",
            "-q",
            "--bare",
            ".",
            class.join("d-dave.git").to_str().unwrap(),
        ],
        &work,
    );

    let out = dir.join("out");
    let (ok, text) = lab(&[
        "grade".as_ref(),
        "--class".as_ref(),
        class.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--only".as_ref(),
        "wire".as_ref(),
        "--time-limit".as_ref(),
        "5".as_ref(),
        "--seed".as_ref(),
        "11".as_ref(),
    ]);
    println!("{text}");
    assert!(ok, "{text}");

    let gradebook = fs::read_to_string(out.join("gradebook.csv")).unwrap();
    let rows: Vec<&str> = gradebook.lines().collect();
    assert_eq!(rows[0], "student,wire,total", "{gradebook}");
    assert_eq!(rows[1], "a-alice,10.0,10.0", "{gradebook}");
    assert!(
        rows[2].starts_with("b-bomb,") && !rows[2].starts_with("b-bomb,10.0"),
        "{gradebook}"
    );
    // Bob's send_all found nothing of alice's: her program was gone before his build.
    assert_eq!(rows[3], "c-bob,10.0,10.0", "{gradebook}");
    assert_eq!(rows[4], "d-dave,10.0,10.0", "{gradebook}");
    assert_eq!(rows.len(), 5, "{gradebook}");
    for student in ["a-alice", "b-bomb", "c-bob", "d-dave"] {
        for ext in ["json", "xml", "txt"] {
            assert!(
                out.join(format!("{student}.{ext}")).is_file(),
                "{student}.{ext}"
            );
        }
    }
    let failures = fs::read_to_string(out.join("failures.csv")).unwrap();
    assert!(
        failures.starts_with("exercise,test,kind,failed,students\n"),
        "{failures}"
    );
    assert!(
        failures.lines().skip(1).all(|l| l.ends_with(",1,b-bomb")),
        "only b-bomb fails, and only what uses recv_exact:\n{failures}"
    );
    assert!(text.contains("failures by test (4 students"), "{text}");

    // Nothing built from any student's code is left in the build folder.
    let debug = root().join("target/lab/build-grade/debug");
    for sub in ["", "deps"] {
        for entry in fs::read_dir(debug.join(sub)).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with("alice_marker")
                    && !name.starts_with("wire-")
                    && !name.starts_with("libwire"),
                "left in the build folder: {name}"
            );
        }
    }

    // Bob and the bomb alone score what they scored in the class, test for test.
    for student in ["b-bomb", "c-bob"] {
        let alone = dir.join(format!("{student}-alone.json"));
        let (ok, text) = lab(&[
            "grade".as_ref(),
            "--submission".as_ref(),
            class.join(student).as_os_str(),
            "--json".as_ref(),
            alone.as_os_str(),
            "--only".as_ref(),
            "wire".as_ref(),
            "--time-limit".as_ref(),
            "5".as_ref(),
            "--seed".as_ref(),
            "11".as_ref(),
        ]);
        assert!(ok, "{text}");
        assert_eq!(
            outcome(&alone),
            outcome(&out.join(format!("{student}.json"))),
            "{student} alone and in the class"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}
