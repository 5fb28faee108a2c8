//! The grading platforms: the Gradescope autograder run end to end in a scratch root that
//! stands in for /autograder, and the GitHub Classroom template's workflow read back.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::root;

use yaml_rust2::{Yaml, YamlLoader};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-{what}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn export(flag: &str, dest: &Path) -> String {
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root())
        .args(["export", flag])
        .arg(dest)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    text
}

/// Every file under `dir`: (path relative to it, content).
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                found.push((rel, fs::read(&path).unwrap()));
            }
        }
    }
    found
}

/// The hidden tests' files: their contents.
fn hidden_contents() -> Vec<Vec<u8>> {
    tree(&root().join("hidden"))
        .into_iter()
        .filter(|(rel, _)| {
            rel.extension()
                .is_some_and(|e| e == "rs" || e == "transcript")
        })
        .map(|(_, content)| content)
        .collect()
}

/// Copies the solutions of `exercises` into the submission folder `dir` (as a student's
/// repository has them: exercises/NAME/src).
fn solved(dir: &Path, exercises: &[&str]) {
    for exercise in exercises {
        let to = dir.join("exercises").join(exercise).join("src");
        for (rel, content) in tree(&root().join("solutions").join(exercise).join("src")) {
            fs::create_dir_all(to.join(&rel).parent().unwrap()).unwrap();
            fs::write(to.join(rel), content).unwrap();
        }
    }
}

fn exercise_names() -> Vec<String> {
    let manifest = fs::read_to_string(root().join("exercises/Cargo.toml")).unwrap();
    let value: toml::Value = toml::from_str(&manifest).unwrap();
    value["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

/// Runs the autograder's run_autograder in `autograder` (as Gradescope would, from that
/// folder) and returns results/results.json, checked against the specification's fields.
fn run_autograder(autograder: &Path) -> serde_json::Value {
    let out = Command::new("bash")
        .arg(autograder.join("run_autograder"))
        .current_dir(autograder)
        .env("AUTOGRADER_ROOT", autograder)
        // setup.sh is not run here (this machine has the tools): the lab built for this
        // test stands in for the one setup.sh builds.
        .env("LAB", LAB)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let path = autograder.join("results/results.json");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no {}: {e}\n{stdout}\n{stderr}", path.display()));
    let results: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    let score = results["score"].as_f64().expect("a numeric score");
    let tests = results["tests"].as_array().expect("a tests array");
    let mut sum = 0.0;
    let mut names = BTreeSet::new();
    for test in tests {
        let got = test["score"]
            .as_f64()
            .expect("each test has a numeric score");
        let max = test["max_score"]
            .as_f64()
            .expect("each test has a numeric max_score");
        assert!((0.0..=max).contains(&got), "{test}");
        let name = test["name"].as_str().expect("each test has a name");
        assert!(names.insert(name.to_owned()), "two tests named {name}");
        test["output"].as_str().expect("each test has an output");
        let visibility = test["visibility"]
            .as_str()
            .expect("each test has a visibility");
        assert!(
            ["hidden", "after_due_date", "after_published", "visible"].contains(&visibility),
            "{test}"
        );
        sum += got;
    }
    assert!(
        (sum - score).abs() < 1e-6,
        "the tests add up to {sum}, the score is {score}"
    );
    // As root (as on Gradescope) it grades in the sandbox; otherwise it says it did not.
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    assert_eq!(
        stdout.contains("graded with --unsafe-no-sandbox"),
        !root,
        "{stdout}"
    );
    println!("{stdout}\n{stderr}");
    results
}

#[test]
fn the_gradescope_autograder_grades_a_submission_in_a_scratch_root() {
    let dir = scratch("gradescope");
    let zip_path = dir.join("autograder.zip");
    let said = export("--gradescope", &zip_path);
    assert!(said.contains("setup.sh and run_autograder"), "{said}");

    // Gradescope unpacks the zip into /autograder/source and copies run_autograder up.
    let autograder = dir.join("autograder");
    let source = autograder.join("source");
    let mut archive = zip::ZipArchive::new(fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.expect("a readable name").into_owned())
        .collect();
    assert!(names.contains(&"setup.sh".to_owned()) && names.contains(&"run_autograder".to_owned()));
    assert!(
        names.iter().any(|n| n.starts_with("course/hidden/wire/")),
        "the hidden tests are inside"
    );
    assert!(
        !names.iter().any(|n| n.contains("solutions/")),
        "no solutions in the autograder"
    );
    // The library exercises are judged by probes against the reference solution's
    // answers: those, recorded for the autograder's seed, are inside; the solutions are
    // not, not even under another name.
    for exercise in ["wire", "pack"] {
        let recorded = format!("course/hidden/{exercise}/reference-answers.json");
        assert!(names.contains(&recorded), "{recorded} is in the autograder");
    }
    // (A solution's file that is the same as the exercise's, such as a main.rs without
    // anything to solve, is handed out anyway.)
    let solutions: Vec<Vec<u8>> = tree(&root().join("solutions"))
        .into_iter()
        .filter(|(rel, content)| {
            fs::read(root().join("exercises").join(rel)).ok().as_ref() != Some(content)
        })
        .map(|(_, content)| content)
        .collect();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        assert!(
            !solutions.contains(&content),
            "{:?} is a solution's file",
            file.name()
        );
    }
    let mut setup = String::new();
    archive
        .by_name("setup.sh")
        .unwrap()
        .read_to_string(&mut setup)
        .unwrap();
    assert!(
        setup.contains("rustup") && setup.contains("grade --prepare"),
        "{setup}"
    );
    archive.extract(&source).unwrap();
    fs::copy(
        source.join("run_autograder"),
        autograder.join("run_autograder"),
    )
    .unwrap();
    let mode = fs::metadata(source.join("setup.sh")).unwrap();
    assert!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o111 != 0,
        "setup.sh is executable"
    );

    let exercises = exercise_names();
    let submission = autograder.join("submission");
    let max = 10.0 * exercises.len() as f64;

    // An honest, complete submission: full marks.
    let names: Vec<&str> = exercises.iter().map(String::as_str).collect();
    solved(&submission, &names);
    let results = run_autograder(&autograder);
    let tests = results["tests"].as_array().unwrap();
    let max_sum: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert!((max_sum - max).abs() < 1e-6, "{max_sum} of {max}");
    assert!(
        (results["score"].as_f64().unwrap() - max).abs() < 1e-6,
        "{results:#}"
    );
    assert!(
        tests.iter().any(|t| t["visibility"] == "after_published"
            && t["name"].as_str().unwrap().contains("(hidden)")),
        "hidden tests are shown once grades are published"
    );

    // An empty submission: nothing.
    fs::remove_dir_all(&submission).unwrap();
    fs::create_dir_all(&submission).unwrap();
    let results = run_autograder(&autograder);
    assert_eq!(results["score"].as_f64(), Some(0.0), "{results:#}");

    // A wrong wire and a pack that takes its argument by value (so that the hidden
    // tests do not compile against it): failures, and none of them quotes a hidden test.
    fs::remove_dir_all(&submission).unwrap();
    solved(&submission, &["wire", "pack"]);
    let wire = submission.join("exercises/wire/src/lib.rs");
    let text = fs::read_to_string(&wire).unwrap();
    let at = text.find("pub fn read_line").unwrap();
    let open = at + text[at..].find("{\n").unwrap() + 2;
    fs::write(
        &wire,
        format!(
            "{}    if std::hint::black_box(true) {{\n        return Ok(Some(Vec::new()));\n    }}\n{}",
            &text[..open],
            &text[open..]
        ),
    )
    .unwrap();
    let pack = submission.join("exercises/pack/src/lib.rs");
    let text = fs::read_to_string(&pack).unwrap();
    let changed = text.replacen("pub fn pack(msg: &Message)", "pub fn pack(msg: Message)", 1);
    assert_ne!(changed, text, "pack takes a &Message");
    fs::write(&pack, changed).unwrap();
    let results = run_autograder(&autograder);
    let score = results["score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 20.0, "{results:#}");
    let hidden_lines: Vec<String> = hidden_contents()
        .iter()
        .flat_map(|c| {
            String::from_utf8_lossy(c)
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| l.len() >= 12)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut failed_hidden = 0;
    for test in results["tests"].as_array().unwrap() {
        let output = test["output"].as_str().unwrap();
        if test["score"].as_f64() == Some(0.0)
            && test["name"].as_str().unwrap().contains("(hidden)")
        {
            failed_hidden += 1;
        }
        for line in &hidden_lines {
            assert!(
                !output.contains(line.as_str()),
                "{} shows a line of a hidden test, {line:?}:\n{output}",
                test["name"]
            );
        }
    }
    assert!(failed_hidden > 0, "wire's hidden tests fail: {results:#}");
    let pack_build = results["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "pack / build")
        .unwrap_or_else(|| panic!("pack does not compile: {results:#}"));
    assert!(
        pack_build["output"]
            .as_str()
            .unwrap()
            .contains("does not compile")
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_classroom_template_runs_every_visible_test_and_holds_no_hidden_one() {
    let dir = scratch("classroom");
    let template = dir.join("template");
    let said = export("--classroom", &template);
    assert!(said.contains(".github/workflows/classroom.yml"), "{said}");

    // No hidden test anywhere in what students get: not by name, not by content.
    let hidden = hidden_contents();
    for (rel, content) in tree(&template) {
        let path = rel.to_string_lossy();
        assert!(
            !path.starts_with("hidden/")
                && !path.starts_with("solutions/")
                && !path.contains("/hidden_"),
            "{path} is in the template"
        );
        assert!(!hidden.contains(&content), "{path} is a hidden test");
    }

    let text = fs::read_to_string(template.join(".github/workflows/classroom.yml")).unwrap();
    let docs =
        YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"));
    let workflow = &docs[0];
    assert!(workflow["on"].as_vec().is_some(), "{text}");
    assert_eq!(workflow["permissions"]["checks"].as_str(), Some("write"));
    let jobs = workflow["jobs"].as_hash().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().unwrap();
    assert_eq!(job["runs-on"].as_str(), Some("ubuntu-latest"));
    let steps = job["steps"].as_vec().expect("steps");
    assert_eq!(steps[0]["uses"].as_str(), Some("actions/checkout@v4"));

    let exercises = exercise_names();
    let graders: Vec<&Yaml> = steps
        .iter()
        .filter(|s| s["uses"].as_str() == Some("classroom-resources/autograding-command-grader@v1"))
        .collect();
    assert_eq!(graders.len(), exercises.len(), "a grader step per exercise");
    for (step, exercise) in graders.iter().zip(&exercises) {
        assert_eq!(step["id"].as_str(), Some(exercise.as_str()));
        let with = &step["with"];
        assert_eq!(with["test-name"].as_str(), Some(exercise.as_str()));
        assert_eq!(with["max-score"].as_i64(), Some(10));
        assert!(with["timeout"].as_i64().is_some_and(|t| t > 0), "{text}");
        let command = with["command"].as_str().expect("a command");
        assert!(command.starts_with("cargo test "), "{command}");
        assert!(command.contains(&format!(" -p {exercise} ")), "{command}");
        assert!(
            command.contains("--manifest-path exercises/Cargo.toml"),
            "{command}"
        );
        // What the command names is in the template.
        assert!(template.join("exercises/Cargo.toml").is_file());
        assert!(
            template
                .join("exercises")
                .join(exercise)
                .join("tests")
                .is_dir(),
            "{exercise}"
        );
    }
    let reporter = steps.last().unwrap();
    assert_eq!(
        reporter["uses"].as_str(),
        Some("classroom-resources/autograding-grading-reporter@v1")
    );
    assert_eq!(
        reporter["with"]["runners"].as_str(),
        Some(exercises.join(",").as_str())
    );
    for exercise in &exercises {
        let key = format!("{}_RESULTS", exercise.to_uppercase());
        assert_eq!(
            reporter["env"][key.as_str()].as_str(),
            Some(format!("${{{{steps.{exercise}.outputs.result}}}}").as_str()),
            "{text}"
        );
    }

    // One command, run as the workflow runs it: it fails on the exercise as handed out
    // and passes once the exercise is solved.
    let pack = graders
        .iter()
        .find(|s| s["id"].as_str() == Some("pack"))
        .unwrap()["with"]["command"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = || {
        Command::new("sh")
            .args(["-c", &pack])
            .current_dir(&template)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .output()
            .unwrap()
    };
    assert!(
        !run().status.success(),
        "the untouched pack fails its visible tests"
    );
    solved(&template, &["pack"]);
    let solved_run = run();
    assert!(
        solved_run.status.success(),
        "{}",
        String::from_utf8_lossy(&solved_run.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}
