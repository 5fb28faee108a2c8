//! Transcripts played against a real server of the course.

use std::process::Command;
use std::sync::LazyLock;

use testkit::sibling_binary;

const LAB: &str = env!("CARGO_BIN_EXE_lab");
static SERVER: LazyLock<String> = LazyLock::new(|| sibling_binary(LAB, "tcp_upper_server"));

fn play(transcript: &str, program: &str) -> (bool, String) {
    let out = Command::new(LAB)
        .args(["play", transcript, "--program", program, "--seed", "42"])
        .output()
        .expect("run lab play");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_uppercase_server_plays_the_shipped_example() {
    let (ok, out) = play(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/upper.transcript"),
        &SERVER,
    );
    assert!(ok, "{out}");
    assert!(out.contains("played its part"), "{out}");
}

#[test]
fn a_wrong_expectation_shows_expected_received_and_the_conversation() {
    let dir = std::env::temp_dir().join(format!("lab-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wrong.transcript");
    std::fs::write(
        &file,
        "program server\nargs --port 0\ntimeout 1s\n> abc\n< abc\n",
    )
    .unwrap();
    let (ok, out) = play(file.to_str().unwrap(), &SERVER);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!ok, "{out}");
    assert!(out.contains("line 5: expected  \"abc\\n\""), "{out}");
    assert!(out.contains("received  \"ABC\\n\""), "{out}");
    assert!(out.contains("  > abc\\n\n  < ABC\\n"), "{out}");
}

#[test]
fn a_program_that_never_answers_fails_within_the_step_timeout() {
    let dir = std::env::temp_dir().join(format!("lab-play-silent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("silent.transcript");
    // The server answers only what it receives: nothing sent, nothing comes back.
    std::fs::write(
        &file,
        "program server\nargs --port 0\ntimeout 300ms\n< hello\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (ok, out) = play(file.to_str().unwrap(), &SERVER);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!ok, "{out}");
    assert!(out.contains("nothing arrived within 300ms"), "{out}");
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}
