//! The student edition and the commands that need no build: export, list, hint, reset.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

fn lab(root: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run lab");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn a_student_edition_has_no_answers_and_resets_from_its_pristine_copies() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.."));
    let dest = std::env::temp_dir().join(format!("lab-student-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dest);
    let (ok, out) = lab(&root, &["export", "--student", dest.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(!dest.join("solutions").exists() && !dest.join("hidden").exists());
    assert!(!dest.join("crates/support/lab/tests/verify.rs").exists());
    assert!(!dest.join("crates/support/lab/tests/sync.rs").exists());
    assert!(dest.join("exercises/Cargo.toml").is_file());
    assert!(dest.join(".lab/pristine/pack/lib.rs").is_file());

    // Exporting over it is refused: nothing of the student's is overwritten.
    let (ok, out) = lab(&root, &["export", "--student", dest.to_str().unwrap()]);
    assert!(!ok && out.contains("is not empty"), "{out}");

    let (ok, out) = lab(&dest, &["list"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("->  1. tcp_upper_client   not started"),
        "{out}"
    );
    assert!(out.contains("] 0/"), "nothing is done yet: {out}");

    let lib = dest.join("exercises/pack/src/lib.rs");
    let pristine = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, pristine.clone() + "// my work\n").unwrap();
    let (_, out) = lab(&dest, &["list"]);
    assert!(
        out.contains("pack               edited, not checked"),
        "{out}"
    );

    let (ok, out) = lab(&dest, &["reset", "pack"]);
    assert!(ok, "{out}");
    assert_eq!(fs::read_to_string(&lib).unwrap(), pristine);
    // A second reset at once must not write over the copy of the student's work, and
    // the copies are kept out of target/ (which `cargo clean` empties).
    let (ok, out) = lab(&dest, &["reset", "pack"]);
    assert!(ok, "{out}");
    let backups: Vec<_> = fs::read_dir(dest.join(".lab/backup"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path().join("lib.rs")).unwrap())
        .collect();
    assert_eq!(backups.len(), 2, "one copy per reset");
    assert!(
        backups.iter().any(|b| b.ends_with("// my work\n")),
        "the student's version is kept"
    );

    let (ok, out) = lab(&dest, &["hint", "pack"]);
    assert!(ok && out.contains("pack, hint 1 of 3"), "{out}");
    let (ok, out) = lab(&dest, &["hint", "pack", "9"]);
    assert!(!ok && out.contains("pack has hints 1 to 3"), "{out}");
    let (ok, out) = lab(&dest, &["check", "no_such_exercise"]);
    assert!(!ok && out.contains("there is no exercise"), "{out}");

    fs::remove_dir_all(&dest).unwrap();
}
