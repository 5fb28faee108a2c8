//! The installer, tried as on a fresh machine: a clean clone in a scratch folder, and a
//! PATH with nothing but coreutils and the Rust toolchain. Its dry run must find every tool
//! of the list missing and name each in its plan; and every tool a test asks for must be
//! on that list.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::tools;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// A folder of links to coreutils' commands and to the toolchain's cargo and rustc.
fn bare_path(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let coreutils = [
        "basename", "cat", "chmod", "cp", "cut", "date", "dirname", "echo", "env", "false", "head",
        "id", "ln", "ls", "mkdir", "mktemp", "mv", "readlink", "rm", "sleep", "sort", "tail",
        "tee", "touch", "tr", "true", "uname", "uniq", "wc",
    ];
    for name in coreutils {
        let target = Path::new("/usr/bin").join(name);
        if target.exists() {
            std::os::unix::fs::symlink(&target, bin.join(name)).unwrap();
        }
    }
    let cargo = PathBuf::from(std::env::var_os("CARGO").expect("cargo sets CARGO for tests"));
    for name in ["cargo", "rustc", "rustup"] {
        let target = cargo.with_file_name(name);
        if target.exists() {
            std::os::unix::fs::symlink(&target, bin.join(name)).unwrap();
        }
    }
    bin
}

#[test]
fn on_a_bare_machine_the_dry_run_plans_every_tool_of_the_list() {
    let git = tools::require_tool("git");
    let scratch = std::env::temp_dir().join(format!("xtask-fresh-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).unwrap();
    let clone = scratch.join("course");
    let cloned = Command::new(git)
        .args(["clone", "--quiet"])
        .arg(repository())
        .arg(&clone)
        .status()
        .unwrap();
    assert!(cloned.success(), "git clone of the repository failed");
    let bin = bare_path(&scratch);
    let out = Command::new(XTASK)
        .args(["test", "--dry-run"])
        .current_dir(&clone)
        .env_clear()
        .env("PATH", &bin)
        .env("HOME", &scratch)
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    fs::remove_dir_all(&scratch).unwrap();
    assert!(out.status.success(), "{out:?}");
    let missing_line = plan.lines().next().unwrap_or("");
    for tool in tools::all() {
        assert!(
            missing_line.contains(&format!("{} (", tool.name)) && plan.contains(&tool.package),
            "the plan does not name {} ({}):\n{plan}",
            tool.name,
            tool.package
        );
    }
    // With no apt-get on PATH it says so rather than inventing a command.
    assert!(plan.contains("has no apt-get"), "{plan}");
}

/// Every tool named in a `require_tool` or `require_python_module` call in the course's
/// tests, exercises and hidden tests (not in testkit's own tests of those functions).
fn tools_the_tests_ask_for() -> BTreeSet<String> {
    fn walk(dir: &Path, found: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(&path, found);
                }
            } else if name.ends_with(".rs")
                && !path.ends_with("testkit/src/tools.rs")
                && !path.ends_with("xtask/tests/fresh_machine.rs")
            {
                let text = fs::read_to_string(&path).unwrap();
                for call in ["require_tool(\"", "require_python_module(\""] {
                    for (at, _) in text.match_indices(call) {
                        let rest = &text[at + call.len()..];
                        found.insert(rest[..rest.find('"').unwrap()].to_owned());
                    }
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    for folder in ["crates", "exercises", "solutions", "hidden"] {
        walk(&repository().join(folder), &mut found);
    }
    found
}

#[test]
fn every_tool_a_test_asks_for_is_on_the_list() {
    let listed: BTreeSet<String> = tools::all().into_iter().map(|t| t.name).collect();
    let asked = tools_the_tests_ask_for();
    assert!(asked.contains("nc") && asked.contains("irc"), "{asked:?}");
    let unlisted: Vec<_> = asked.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "tests ask for tools that tools.txt does not list: {unlisted:?}"
    );
}
