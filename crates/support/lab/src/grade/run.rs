//! Stage 3: run what was built, in the sandbox: every test on its own (a process of its
//! own, under the limits), every check of the probe (a process per check), then every
//! transcript against the exercise's program. What each did is recorded as it was seen;
//! judging it is the next stage's job.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Instant;

use super::Options;
use super::probe::{self, CheckRun, Expected};
use super::score::{Kind, Problem};
use crate::cargo::{self, Built};
use crate::sandbox::{Ending, Room, Sandboxed};
use crate::transcript::{self, Transcript};

/// What running the tests and transcripts of one exercise showed.
pub struct Observed {
    pub tests: Vec<TestRun>,
    pub transcripts: Vec<TranscriptRun>,
    /// The probe's checks, in the order of `Expected::checks`.
    pub checks: Vec<CheckRun>,
}

/// One test of a test binary, run alone.
pub struct TestRun {
    /// The test binary (the file stem of `tests/NAME.rs`).
    pub binary: String,
    /// The test's name inside it.
    pub test: String,
    pub kind: Kind,
    pub seconds: f64,
    /// How it ended; `Err` if it could not be started.
    pub ended: io::Result<Ended>,
}

pub struct Ended {
    /// The exit status; `None` if it was still running when its time was up.
    pub status: Option<ExitStatus>,
    /// Its output, and what it left behind.
    pub ending: Ending,
}

/// One transcript, played.
pub struct TranscriptRun {
    /// The file stem of the transcript.
    pub name: String,
    pub seconds: f64,
    /// The seed of its random values.
    pub seed: u64,
    pub outcome: Result<(), NotPlayed>,
}

/// Why a transcript did not play through.
pub enum NotPlayed {
    /// The file could not be read.
    Unreadable(String),
    /// The transcript has a mistake (the instructor's): `path: line N: ...`.
    Malformed(String),
    /// The transcript names a program the exercise does not build.
    NoProgram { binary: String, built: Vec<String> },
    /// It was played, and the program did not play its part.
    Failed(transcript::Failure),
}

/// Runs every test of `built` (in the exercise's folder `exercise_dir`, as cargo test
/// would), its probe on the cases of `expected`, and plays `transcripts` against the
/// exercise's program.
pub fn run(
    built: &Built,
    exercise: &str,
    exercise_dir: &Path,
    transcripts: &[PathBuf],
    expected: Option<&Expected>,
    options: &Options,
) -> Result<Observed, Problem> {
    let mut observed = Observed {
        tests: Vec::new(),
        transcripts: Vec::new(),
        checks: Vec::new(),
    };
    if let (Some(probe), Some(expected)) = (&built.probe, expected) {
        observed.checks = probe::observe(probe, expected, exercise_dir, options);
    }
    for (binary, exe) in &built.tests {
        let kind = if binary.starts_with("hidden_") {
            Kind::Hidden
        } else {
            Kind::Visible
        };
        let names = list_tests(built, exe, exercise_dir, options)
            .map_err(|e| Problem::new("its tests cannot be listed", e))?;
        for test in names {
            observed.tests.push(run_test(
                built,
                exe,
                exercise_dir,
                binary,
                test,
                kind,
                options,
            ));
        }
    }
    for (index, path) in transcripts.iter().enumerate() {
        let seed = options
            .seed
            .wrapping_add((index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let started = Instant::now();
        let outcome = play(path, built, exercise, seed, options);
        observed.transcripts.push(TranscriptRun {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            seconds: started.elapsed().as_secs_f64(),
            seed,
            outcome,
        });
    }
    Ok(observed)
}

/// The room a test binary runs in: besides the system, it may read its own binary, the
/// exercise's programs (which it starts) and the exercise's folder (its working folder),
/// in which the hidden tests' sources show empty: they were compiled in already.
fn room(built: &Built, exe: &Path, exercise_dir: &Path, options: &Options) -> io::Result<Room> {
    let mut room = options.limits.room()?;
    room.expose(exe);
    for program in built.bins.values() {
        room.expose(program);
    }
    room.expose(exercise_dir);
    for (binary, _) in &built.tests {
        if binary.starts_with("hidden_") {
            room.hide(exercise_dir.join("tests").join(format!("{binary}.rs")));
        }
    }
    Ok(room)
}

/// The names of the tests in the test binary `exe`, listed in the sandbox too: the
/// student's code is linked into it, and may run before `main`.
fn list_tests(
    built: &Built,
    exe: &Path,
    exercise_dir: &Path,
    options: &Options,
) -> Result<Vec<String>, String> {
    let mut command = Command::new(exe);
    command
        .args(["--list", "--format", "terse"])
        .current_dir(exercise_dir);
    let room = room(built, exe, exercise_dir, options).map_err(|e| e.to_string())?;
    let mut child = Sandboxed::spawn_in(command, &options.limits, room, b"")
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let status = child.wait_until(Instant::now() + options.time_limit);
    let ending = child.finish();
    match status {
        Some(status) if status.success() => Ok(cargo::parse_test_list(&String::from_utf8_lossy(
            &ending.stdout,
        ))),
        _ => Err(format!(
            "{} --list failed ({}): {}",
            exe.display(),
            status.map_or("timed out".to_owned(), |s| s.to_string()),
            String::from_utf8_lossy(&ending.stderr)
        )),
    }
}

fn run_test(
    built: &Built,
    exe: &Path,
    exercise_dir: &Path,
    binary: &str,
    test: String,
    kind: Kind,
    options: &Options,
) -> TestRun {
    let started = Instant::now();
    let mut command = Command::new(exe);
    command
        .args(["--exact", &test, "--test-threads=1"])
        .current_dir(exercise_dir)
        .env("RUST_BACKTRACE", "0");
    let ended = room(built, exe, exercise_dir, options)
        .and_then(|room| Sandboxed::spawn_in(command, &options.limits, room, b""));
    let ended = ended.map(|mut child| {
        let status = child.wait_until(started + options.time_limit);
        Ended {
            status,
            ending: child.finish(),
        }
    });
    TestRun {
        binary: binary.to_owned(),
        test,
        kind,
        seconds: started.elapsed().as_secs_f64(),
        ended,
    }
}

fn play(
    path: &Path,
    built: &Built,
    exercise: &str,
    seed: u64,
    options: &Options,
) -> Result<(), NotPlayed> {
    let text = std::fs::read_to_string(path).map_err(|e| NotPlayed::Unreadable(e.to_string()))?;
    let transcript = Transcript::parse(&text)
        .map_err(|e| NotPlayed::Malformed(format!("{}: {e}", path.display())))?;
    let binary = transcript.binary.as_deref().unwrap_or(exercise);
    let program = built.bins.get(binary).ok_or_else(|| NotPlayed::NoProgram {
        binary: binary.to_owned(),
        built: built.bins.keys().cloned().collect(),
    })?;
    transcript
        .play(program, &options.limits, seed, options.time_limit)
        .map_err(NotPlayed::Failed)
}
