//! Grading submissions that go wrong in every way the grader promises to survive: one
//! that does not compile, one that hangs, one that forks without end, one that leaves a
//! process behind. Each costs its own exercise only, and the report says why.

use std::fs;
use std::process::Command;

mod common;
use common::{root, submit};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// Replaces the body of `pub fn NAME` (up to the first line that is just `}`).
fn replace_body(text: String, name: &str, body: &str) -> String {
    let start = text.find(&format!("pub fn {name}")).expect("function");
    let open = start + text[start..].find("{\n").unwrap() + 2;
    let close = open + text[open..].find("\n}\n").unwrap() + 1;
    format!("{}{body}{}", &text[..open], &text[close..])
}

/// Processes still running from this course's grading build folder (not another
/// checkout's: other graders may be running on the same machine).
fn survivors() -> Vec<String> {
    let builds = root()
        .canonicalize()
        .unwrap()
        .join("target/lab/build-grade");
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(exe) = fs::read_link(entry.path().join("exe"))
            && exe.starts_with(&builds)
        {
            found.push(format!(
                "{} {}",
                entry.file_name().to_string_lossy(),
                exe.display()
            ));
        }
    }
    found
}

#[test]
fn each_kind_of_broken_submission_costs_its_exercise_only() {
    let dir = std::env::temp_dir().join(format!("lab-grade-test-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    submit(&dir, "tcp_upper_client", |t| t);
    submit(&dir, "wire", |t| t.replace("Ok(buf)", "Ok(bu)"));
    submit(&dir, "graceful_shutdown", |t| {
        replace_body(
            t,
            "serve_until_signalled",
            "    let _ = (listener, wake, grace);\n    loop {\n        thread::sleep(Duration::from_secs(1));\n    }\n",
        )
    });
    submit(&dir, "fork_server", |t| {
        replace_body(
            t,
            "fork_and_serve",
            "    let _ = (listener, conn);\n    for _ in 0..100_000 {\n        // SAFETY: a fork bomb, on purpose.\n        unsafe { libc::fork() };\n    }\n    Ok(())\n",
        )
    });
    submit(&dir, "thread_chat", |t| {
        replace_body(
            t,
            "broadcast",
            "    // SAFETY: a process that escapes its group, on purpose.\n    unsafe {\n        if libc::fork() == 0 {\n            libc::setsid();\n            libc::sleep(60);\n            libc::_exit(0);\n        }\n    }\n    let mut clients = room.clients.lock().unwrap();\n    clients.retain_mut(|(id, conn)| *id == from || conn.write_all(line).is_ok());\n",
        )
        .replace("[dependencies]", "")
    });
    // thread_chat's Cargo.toml (the instructor's) has no libc: the submission cannot add
    // it, so the escape goes through std instead.
    let chat = dir.join("exercises/thread_chat/src/lib.rs");
    let text = fs::read_to_string(&chat).unwrap().replace(
        "    // SAFETY: a process that escapes its group, on purpose.\n    unsafe {\n        if libc::fork() == 0 {\n            libc::setsid();\n            libc::sleep(60);\n            libc::_exit(0);\n        }\n    }\n",
        "    let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"60\"]).spawn();\n",
    );
    fs::write(&chat, text).unwrap();

    let json = dir.join("report.json");
    let junit = dir.join("report.xml");
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root())
        .args(["grade", "--submission"])
        .arg(&dir)
        .args(["--json"])
        .arg(&json)
        .args(["--junit"])
        .arg(&junit)
        .args(["--time-limit", "4", "--seed", "5"])
        .args([
            "--only",
            "tcp_upper_client",
            "--only",
            "wire",
            "--only",
            "graceful_shutdown",
        ])
        .args(["--only", "fork_server", "--only", "thread_chat"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{table}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{table}\n{stderr}");
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_owned()
    };
    assert!(row("tcp_upper_client").contains("10.0"), "{table}");
    assert!(row("wire").contains("does not compile"), "{table}");
    assert!(
        table.contains("error[E0425]"),
        "the compiler's error is shown:\n{table}"
    );
    assert!(
        row("graceful_shutdown").contains("timed out after 4 s"),
        "{table}"
    );
    assert!(
        row("fork_server").contains("hit the process limit"),
        "{table}"
    );
    assert!(
        row("thread_chat").contains("left processes behind"),
        "{table}"
    );
    assert!(
        table.contains("setsid sleep 60") || table.contains("sleep 60"),
        "{table}"
    );
    let report = fs::read_to_string(&json).unwrap();
    assert!(
        report.contains("\"name\": \"tcp_upper_client\",\n      \"points\": 10.0"),
        "{report}"
    );
    assert!(
        report.contains("\"problem\": \"does not compile\""),
        "{report}"
    );
    let xml = fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 5, "{xml}");
    assert!(
        xml.contains("<failure message=\"timed out after 4 s\">"),
        "{xml}"
    );
    let left = survivors();
    assert!(
        left.is_empty(),
        "the grader left processes running: {left:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_submission_that_compiles_in_the_solution_gains_nothing() {
    let dir = std::env::temp_dir().join(format!("lab-grade-path-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let src = dir.join("exercises/wire/src");
    fs::create_dir_all(&src).unwrap();
    // The scratch copy lives in target/lab/grade/ of the course, next to solutions/.
    fs::write(
        src.join("lib.rs"),
        "#[path = \"../../../../../../solutions/wire/src/lib.rs\"]\nmod answer;\npub use answer::*;\n",
    )
    .unwrap();
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root())
        .args(["grade", "--submission"])
        .arg(&dir)
        .args(["--time-limit", "10", "--only", "wire"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let row = table
        .lines()
        .find(|l| l.starts_with("wire "))
        .unwrap_or_else(|| panic!("no row for wire:\n{table}"));
    assert!(
        row.contains("0.0") && row.contains("reads files outside its src/"),
        "{table}"
    );
    assert!(table.contains("solutions/wire/src/lib.rs"), "{table}");
    fs::remove_dir_all(&dir).unwrap();
}
