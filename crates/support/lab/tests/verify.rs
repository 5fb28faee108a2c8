//! The maintainer's check, run by the root `cargo test`: every solution passes its visible
//! and hidden tests, and every untouched exercise fails at least one visible test.
//!
//! The exercises build in their own target folder (target/lab), shared by all of them.

use std::process::Command;

#[test]
fn every_solution_passes_and_every_untouched_exercise_fails() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../..");
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["--root", root, "verify"])
        .output()
        .expect("run lab verify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cargo lab verify failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("verified"), "{stdout}");
}
