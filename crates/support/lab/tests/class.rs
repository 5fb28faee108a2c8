//! Grading a class at once: a gradebook and every student's reports, the same scores as
//! one at a time, and no student's build or misbehaviour reaching another student.
//!
//! The class is graded on three exercises: `tcp_upper_client` (a program, judged by tests
//! in a judge package and a transcript), `wire` and `pack` (libraries, judged by their
//! probes against the reference solution's answers). As root, every test and probe runs in
//! the grader's sandbox; otherwise the class is graded with `--unsafe-no-sandbox`, as a
//! grader without root must be.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::{root, submit};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// Puts `code` at the start of the body of `pub fn NAME`.
fn prepend_to(text: String, name: &str, code: &str) -> String {
    let start = text.find(&format!("pub fn {name}")).expect("function");
    let open = start + text[start..].find("{\n").unwrap() + 2;
    format!("{}{code}\n{}", &text[..open], &text[open..])
}

/// Runs `cargo lab grade` with `args` (in the sandbox where we are root).
fn lab(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let mut command = Command::new(LAB);
    command.arg("--root").arg(root()).args(args);
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        command.arg("--unsafe-no-sandbox");
    }
    let out = command.output().unwrap();
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

/// The options every grading of the test uses: the three exercises, short time limits,
/// one seed.
fn options() -> Vec<&'static std::ffi::OsStr> {
    [
        "--only",
        "tcp_upper_client",
        "--only",
        "wire",
        "--only",
        "pack",
        "--time-limit",
        "5",
        "--seed",
        "11",
    ]
    .iter()
    .map(|s| s.as_ref())
    .collect()
}

#[test]
fn a_class_gets_a_gradebook_and_each_student_the_score_they_get_alone() {
    testkit::require_tool("git");
    testkit::require_tool("setsid");
    let dir = std::env::temp_dir().join(format!("lab-class-test-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let class = dir.join("class");
    let solved = |student: &str, exercises: &[&str]| {
        for exercise in exercises {
            submit(&class.join(student), exercise, |t| t);
        }
    };

    // a-alice: all solved, and a program of her own in wire whose name bob looks for.
    solved("a-alice", &["tcp_upper_client", "wire", "pack"]);
    let bin = class.join("a-alice/exercises/wire/src/bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("alice_marker.rs"), "fn main() {}\n").unwrap();

    // b-bomb: recv_exact starts processes without end (escaping its process group) and
    // never returns; the rest of wire is right, and so are the other two.
    solved("b-bomb", &["tcp_upper_client", "pack"]);
    submit(&class.join("b-bomb"), "wire", |t| {
        prepend_to(
            t,
            "recv_exact",
            "    if std::hint::black_box(true) {\n        loop {\n            let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"60\"]).spawn();\n        }\n    }",
        )
    });

    // c-bob: all solved, except that wire's send_all fails if anything built from alice's
    // code is in the build folder its probe runs from.
    solved("c-bob", &["tcp_upper_client", "pack"]);
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

    // d-dave: a bare git repository, all solved.
    let work = dir.join("dave-work");
    for exercise in ["tcp_upper_client", "wire", "pack"] {
        submit(&work, exercise, |t| t);
    }
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
    git(&["commit", "-q", "-m", "all three"], &work);
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

    // e-eve: no tcp_upper_client; wire solved; pack writes its numbers little-endian.
    solved("e-eve", &["wire"]);
    submit(&class.join("e-eve"), "pack", |t| {
        t.replacen("msg.id.to_be_bytes()", "msg.id.to_le_bytes()", 1)
    });

    let out = dir.join("out");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "grade".as_ref(),
        "--class".as_ref(),
        class.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(options());
    let (ok, text) = lab(&args);
    println!("{text}");
    assert!(ok, "{text}");

    let gradebook = fs::read_to_string(out.join("gradebook.csv")).unwrap();
    let rows: Vec<&str> = gradebook.lines().collect();
    assert_eq!(
        rows[0], "student,tcp_upper_client,wire,pack,total",
        "{gradebook}"
    );
    assert_eq!(rows[1], "a-alice,10.0,10.0,10.0,30.0", "{gradebook}");
    // The bomb costs its own wire, nothing else.
    let bomb: Vec<&str> = rows[2].split(',').collect();
    assert_eq!(bomb[1], "10.0", "{gradebook}");
    assert_ne!(bomb[2], "10.0", "{gradebook}");
    assert_eq!(bomb[3], "10.0", "{gradebook}");
    // Bob's send_all found nothing of alice's: her program was gone before his build.
    assert_eq!(rows[3], "c-bob,10.0,10.0,10.0,30.0", "{gradebook}");
    assert_eq!(rows[4], "d-dave,10.0,10.0,10.0,30.0", "{gradebook}");
    let eve: Vec<&str> = rows[5].split(',').collect();
    assert_eq!(eve[..3], ["e-eve", "0.0", "10.0"], "{gradebook}");
    assert_ne!(eve[3], "10.0", "{gradebook}");
    assert_eq!(rows.len(), 6, "{gradebook}");
    for student in ["a-alice", "b-bomb", "c-bob", "d-dave", "e-eve"] {
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
    for line in failures.lines().skip(1) {
        assert!(
            line.starts_with("wire,probe::") && line.ends_with(",1,b-bomb")
                || line.starts_with("pack,probe::") && line.ends_with(",1,e-eve")
                || line == "tcp_upper_client,(build),not submitted,1,e-eve",
            "only what uses the bomb's recv_exact, eve's pack and her missing exercise \
             fail:\n{failures}"
        );
    }
    assert!(text.contains("failures by test (5 students"), "{text}");

    // A failed check of a probe says what was checked, on which input (and seed), what the
    // reference answered and what eve's code did.
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("e-eve.json")).unwrap()).unwrap();
    let pack = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "pack")
        .unwrap();
    let failed: Vec<&serde_json::Value> = pack["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["passed"] == false)
        .collect();
    assert!(!failed.is_empty(), "{pack:#}");
    for test in failed {
        let name = test["name"].as_str().unwrap();
        let detail = test["detail"].as_str().unwrap();
        assert!(name.starts_with("probe::"), "{test:#}");
        assert_eq!(test["reason"], "wrong result", "{test:#}");
        for part in ["(seed ", "\ninput:    ", "\nexpected: ", "\nobserved: "] {
            assert!(detail.contains(part), "{name} lacks {part:?}:\n{detail}");
        }
    }

    // Nothing built from any student's code is left in the build folder: no library,
    // program or probe of an exercise (the judge packages' test programs, which link
    // nothing of a submission, stay).
    let debug = root().join("target/lab/build-grade/debug");
    let mut built_from_a_submission = vec!["alice_marker".to_owned()];
    for exercise in ["tcp_upper_client", "wire", "pack"] {
        for stem in [
            exercise.to_owned(),
            format!("lib{exercise}"),
            format!("{exercise}-probe"),
            format!("{exercise}_probe"),
        ] {
            built_from_a_submission.push(format!("{stem}-"));
            built_from_a_submission.push(format!("{stem}."));
        }
    }
    for sub in ["", "deps"] {
        for entry in fs::read_dir(debug.join(sub)).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                !built_from_a_submission
                    .iter()
                    .any(|prefix| name.starts_with(prefix.as_str()))
                    && name != "wire-probe"
                    && name != "pack-probe"
                    && name != "tcp_upper_client",
                "left in the build folder: {name}"
            );
        }
    }

    // Alone, each scores what they scored in the class, test for test.
    for student in ["b-bomb", "c-bob", "e-eve"] {
        let alone = dir.join(format!("{student}-alone.json"));
        let submission = class.join(student);
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "grade".as_ref(),
            "--submission".as_ref(),
            submission.as_os_str(),
            "--json".as_ref(),
            alone.as_os_str(),
        ];
        args.extend(options());
        let (ok, text) = lab(&args);
        assert!(ok, "{text}");
        assert_eq!(
            outcome(&alone),
            outcome(&out.join(format!("{student}.json"))),
            "{student} alone and in the class"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}
