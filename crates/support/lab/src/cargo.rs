//! Cargo: building an exercise (with progress shown while it compiles) and what its test
//! programs print.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

/// What building an exercise's tests produced.
pub struct Built {
    /// Integration test binaries: (file stem of tests/NAME.rs, executable).
    pub tests: Vec<(String, PathBuf)>,
    /// The exercise's programs: (binary name, executable).
    pub bins: BTreeMap<String, PathBuf>,
    /// What the compiler wrote for the exercise's own library and programs: (target name,
    /// file). Next to each is the list of sources it read (see `grade::build`).
    pub outputs: Vec<(String, PathBuf)>,
    /// The exercise's probe, when it has one (see `grade::probe`).
    pub probe: Option<PathBuf>,
}

/// A line of cargo's `--message-format json` output: the parts we read.
#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum Message {
    CompilerArtifact(Artifact),
    #[serde(rename = "compiler-message")]
    Diagnostic(Diagnostic),
    #[serde(other)]
    Other,
}

/// A compiler diagnostic (`--message-format json`): the parts we read.
#[derive(Deserialize)]
struct Diagnostic {
    manifest_path: PathBuf,
    message: DiagnosticMessage,
}

#[derive(Deserialize)]
struct DiagnosticMessage {
    /// `error`, `warning`, ...
    level: String,
    /// As the compiler would print it.
    rendered: Option<String>,
}

/// A unit cargo built (or found fresh).
#[derive(Deserialize)]
struct Artifact {
    manifest_path: PathBuf,
    target: Target,
    profile: Profile,
    /// What the compiler wrote: libraries, programs, test harnesses.
    filenames: Vec<PathBuf>,
    /// The program or test harness to run, if the unit is one.
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    /// `lib`, `bin`, `test`, `custom-build`, ...
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Profile {
    /// Built with the test harness.
    test: bool,
}

/// The cargo the user runs (`$CARGO` when we are started by cargo).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// What to do with cargo's own output (warnings and errors) while it builds.
#[derive(Clone, Copy, PartialEq)]
pub enum Messages {
    /// Show it as it comes, in colour on a terminal (`check`).
    Show,
    /// Keep it for the report (`grade`, `verify`).
    Keep,
}

/// Builds package `package` of the workspace `workspace` (its folder), tests included,
/// into `target`; `extra` goes on cargo's command line. A spinner on stderr counts the
/// units compiled (shown on a terminal only). `Ok(Err)` carries cargo's messages when
/// the build failed; `Err` says that cargo could not be run at all.
pub fn build(
    workspace: &Path,
    package: &str,
    target: &Path,
    extra: &[&str],
    messages: Messages,
) -> Result<Result<Built, String>, String> {
    let workspace = &workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let mut command = cargo();
    command
        .args(["test", "--no-run", "-p"])
        .arg(package)
        .args(extra);
    let package_dir = workspace.join(package);
    run_build(
        command,
        workspace,
        target,
        &package_dir,
        None,
        messages,
        package,
    )
}

/// Builds, for grading, the exercise `package` of the assembled workspace `workspace`
/// (its library and programs), the package of its tests `tests`, and that of its probe
/// `probe` (name, folder relative to the workspace), into `target`, with `env` set for
/// cargo and the compiler (the tests' `CARGO_BIN_EXE_NAME`). The unit tests in the
/// exercise's `src/` are not built: they are the student's own and do not count.
pub fn build_graded(
    workspace: &Path,
    package: &str,
    tests: Option<&str>,
    probe: Option<(&str, &Path)>,
    target: &Path,
    env: &[(String, PathBuf)],
) -> Result<Result<Built, String>, String> {
    let workspace = &workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let mut command = cargo();
    command.args(["build", "-p", package]);
    for judge in tests.into_iter().chain(probe.map(|(name, _)| name)) {
        command.args(["-p", judge]);
    }
    // The probe's package has no library; cargo minds only when no package has one. It
    // minds when no package has an integration test, though.
    command.args(["--lib", "--bins"]);
    let has_tests = |dir: &Path| {
        std::fs::read_dir(dir.join("tests")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "rs"))
        })
    };
    if tests.is_some() || has_tests(&workspace.join(package)) {
        command.args(["--test", "*"]);
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let probe_dir = probe.map(|(_, dir)| workspace.join(dir));
    run_build(
        command,
        workspace,
        target,
        &workspace.join(package),
        probe_dir.as_deref(),
        Messages::Keep,
        package,
    )
}

/// Builds the probe `probe` (its package, and folder relative to the workspace) of the
/// workspace `workspace` into `target`: its executable, or cargo's messages.
pub fn build_probe(
    workspace: &Path,
    probe: (&str, &Path),
    target: &Path,
) -> Result<Result<PathBuf, String>, String> {
    let workspace = &workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let mut command = cargo();
    command.args(["build", "--bins", "-p", probe.0]);
    let probe_dir = workspace.join(probe.1);
    let built = run_build(
        command,
        workspace,
        target,
        &probe_dir,
        Some(&probe_dir),
        Messages::Keep,
        probe.0,
    )?;
    Ok(built.and_then(|built| {
        built
            .probe
            .ok_or_else(|| format!("cargo built no program for {}", probe.0))
    }))
}

/// Runs the cargo `command` (a build of the workspace `workspace` into `target`) and
/// sorts what it built: the tests of any package, and the library and programs of
/// `package_dir`; the program of `probe_dir` is the probe.
fn run_build(
    mut command: Command,
    workspace: &Path,
    target: &Path,
    package_dir: &Path,
    probe_dir: Option<&Path>,
    messages: Messages,
    package: &str,
) -> Result<Result<Built, String>, String> {
    let colour = messages == Messages::Show && std::io::stderr().is_terminal();
    command
        .args(["--message-format=json-render-diagnostics", "--quiet"])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", if colour { "always" } else { "never" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let spinner = spinner(package);
    // Cargo's own output: errors and warnings, rendered by cargo.
    let stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn({
        let spinner = spinner.clone();
        move || {
            let mut text = String::new();
            let mut lines = BufReader::new(stderr);
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                if messages == Messages::Show {
                    spinner.suspend(|| eprint!("{line}"));
                }
                text.push_str(&line);
                line.clear();
            }
            text
        }
    });
    let mut built = Built {
        tests: Vec::new(),
        bins: BTreeMap::new(),
        outputs: Vec::new(),
        probe: None,
    };
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    // Lines that are not cargo's JSON messages (none are expected) are skipped.
    for message in stdout
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
    {
        let Message::CompilerArtifact(artifact) = message else {
            continue;
        };
        let kind = artifact.target.kind.first().map(String::as_str);
        spinner.inc(1);
        if kind != Some("custom-build") {
            spinner.set_message(artifact.target.name.clone());
        }
        let dir = artifact
            .manifest_path
            .parent()
            .and_then(|dir| dir.canonicalize().ok());
        let is_ours = dir.as_deref() == Some(package_dir);
        let is_probe = probe_dir.is_some() && dir.as_deref() == probe_dir;
        if is_ours && matches!(kind, Some("lib" | "bin")) {
            for file in artifact.filenames {
                built.outputs.push((artifact.target.name.clone(), file));
            }
        }
        let Some(exe) = artifact.executable else {
            continue;
        };
        match (kind, artifact.profile.test) {
            (Some("test"), true) => built.tests.push((artifact.target.name, exe)),
            (Some("bin"), false) if is_probe => built.probe = Some(exe),
            (Some("bin"), false) if is_ours => {
                built.bins.insert(artifact.target.name, exe);
            }
            _ => {} // unit tests in src/ are the student's own; they do not count
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let errors = errors.join().unwrap_or_default();
    spinner.finish_and_clear();
    if status.success() {
        built.tests.sort();
        Ok(Ok(built))
    } else {
        Ok(Err(errors))
    }
}

/// An exercise to build for grading, and the packages of the assembled workspace that
/// judge it (see `grade::assemble`).
pub struct Judged {
    /// The exercise's package, in the workspace's folder of that name.
    pub name: String,
    /// Its tests' package and folder (relative to the workspace), if it has tests.
    pub tests: Option<(String, PathBuf)>,
    /// Its probe's package and folder (relative to the workspace), if it has a probe.
    pub probe: Option<(String, PathBuf)>,
}

/// Builds the exercises `exercises` of the workspace `workspace` at once, each with its
/// library and programs, the package of its tests and that of its probe, into `target`,
/// with `env` set for cargo and the compiler (the tests' `CARGO_BIN_EXE_NAME`): one
/// cargo, both cores busy, and an exercise that does not compile costs only itself
/// (`--keep-going`). The unit tests in the exercises' `src/` are not built: they are the
/// students' own and do not count. Per exercise, what it built or the compiler's errors
/// (as the compiler prints them; those of its probe too: a probe that does not compile
/// against the library is the library's fault). No debug information and no incremental
/// compilation: the builds of a class are thrown away after use. `Err` when cargo could
/// not be run.
pub fn build_packages(
    workspace: &Path,
    exercises: &[Judged],
    target: &Path,
    env: &[(String, PathBuf)],
) -> Result<BTreeMap<String, Result<Built, String>>, String> {
    let workspace = &workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let mut results = BTreeMap::new();
    if exercises.is_empty() {
        return Ok(results);
    }
    // Which exercise the package in a folder (canonical) serves, and as what.
    #[derive(Clone, Copy, PartialEq)]
    enum Role {
        Exercise,
        Tests,
        Probe,
    }
    let mut folders: BTreeMap<PathBuf, (usize, Role)> = BTreeMap::new();
    let mut command = cargo();
    command.args(["build", "--message-format=json", "--keep-going", "--quiet"]);
    let mut has_lib = false;
    let mut has_tests = false;
    for (index, exercise) in exercises.iter().enumerate() {
        let dir = workspace.join(&exercise.name);
        has_lib |= dir.join("src/lib.rs").is_file();
        has_tests |= std::fs::read_dir(dir.join("tests")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "rs"))
        });
        command.args(["-p", &exercise.name]);
        folders.insert(dir, (index, Role::Exercise));
        if let Some((tests, dir)) = &exercise.tests {
            command.args(["-p", tests]);
            let dir = workspace.join(dir);
            folders.insert(dir.canonicalize().unwrap_or(dir), (index, Role::Tests));
            has_lib = true; // a judge package has an (empty) library
            has_tests = true;
        }
        if let Some((probe, dir)) = &exercise.probe {
            command.args(["-p", probe]);
            let dir = workspace.join(dir);
            folders.insert(dir.canonicalize().unwrap_or(dir), (index, Role::Probe));
        }
    }
    // Cargo minds `--lib` when no package has a library, and `--test '*'` when none has
    // an integration test.
    if has_lib {
        command.arg("--lib");
    }
    command.arg("--bins");
    if has_tests {
        command.args(["--test", "*"]);
    }
    command
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_PROFILE_DEV_STRIP", "debuginfo")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let cargo_says = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        text
    });
    let mut built: BTreeMap<usize, Built> = BTreeMap::new();
    let mut errors: BTreeMap<usize, String> = BTreeMap::new();
    // The exercise a message is about, and the role of its package: from the folder of
    // the package's manifest, when it is one of ours.
    let role_of = |manifest: &Path| {
        let dir = manifest.parent()?.canonicalize().ok()?;
        folders.get(&dir).copied()
    };
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    for message in stdout
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
    {
        match message {
            Message::CompilerArtifact(artifact) => {
                let Some((index, role)) = role_of(&artifact.manifest_path) else {
                    continue;
                };
                let entry = built.entry(index).or_insert_with(|| Built {
                    tests: Vec::new(),
                    bins: BTreeMap::new(),
                    outputs: Vec::new(),
                    probe: None,
                });
                let kind = artifact.target.kind.first().map(String::as_str);
                if role == Role::Exercise && matches!(kind, Some("lib" | "bin")) {
                    for file in &artifact.filenames {
                        entry
                            .outputs
                            .push((artifact.target.name.clone(), file.clone()));
                    }
                }
                match (kind, artifact.profile.test, artifact.executable, role) {
                    (Some("test"), true, Some(exe), Role::Exercise | Role::Tests) => {
                        entry.tests.push((artifact.target.name, exe))
                    }
                    (Some("bin"), false, Some(exe), Role::Exercise) => {
                        entry.bins.insert(artifact.target.name, exe);
                    }
                    (Some("bin"), false, Some(exe), Role::Probe) => entry.probe = Some(exe),
                    _ => {} // unit tests in src/ are the student's own; they do not count
                }
            }
            Message::Diagnostic(diagnostic) if diagnostic.message.level == "error" => {
                if let Some((index, _)) = role_of(&diagnostic.manifest_path) {
                    let text = errors.entry(index).or_default();
                    text.push_str(diagnostic.message.rendered.as_deref().unwrap_or("error"));
                    text.push('\n');
                }
            }
            _ => {}
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let cargo_says = cargo_says.join().unwrap_or_default();
    for (index, exercise) in exercises.iter().enumerate() {
        let result = match (errors.remove(&index), built.remove(&index)) {
            (Some(errors), _) => Err(errors),
            // Nothing from the compiler, yet not all that was asked for either: cargo
            // itself failed (a manifest it cannot read, say) and says why on stderr.
            (None, Some(built))
                if status.success()
                    || ((exercise.tests.is_none() || !built.tests.is_empty())
                        && (exercise.probe.is_none() || built.probe.is_some())) =>
            {
                let mut built = built;
                built.tests.sort();
                Ok(built)
            }
            _ => Err(if cargo_says.trim().is_empty() {
                format!("error: cargo failed ({status}) and said nothing")
            } else {
                cargo_says.clone()
            }),
        };
        results.insert(exercise.name.clone(), result);
    }
    Ok(results)
}

/// Whether builds show their spinner (see `spinner`).
static SPINNERS: AtomicBool = AtomicBool::new(true);

/// No more spinners: for builds run side by side, whose spinners would share one line of
/// the terminal with each other and with the lines printed meanwhile.
pub fn hide_spinners() {
    SPINNERS.store(false, Ordering::Relaxed);
}

/// A spinner on stderr while cargo compiles: `⠙ building wire 4s: 23 compiled nix`.
/// Hidden when stderr is not a terminal, so piped and captured output stays clean.
fn spinner(package: &str) -> ProgressBar {
    if !SPINNERS.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{spinner} building {prefix} {elapsed}: {pos} compiled {wide_msg}",
    )
    .expect("the template is valid");
    let spinner = ProgressBar::new_spinner()
        .with_style(style)
        .with_prefix(package.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// The test names in the output of `--list --format terse`.
pub fn parse_test_list(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// The failure message libtest printed for `test`: the section between
/// `---- NAME stdout ----` and the list of failures.
pub fn failure_text(output: &str, test: &str) -> String {
    let marker = format!("---- {test} stdout ----");
    let Some(start) = output.find(&marker) else {
        return output.trim().to_owned();
    };
    let body = &output[start + marker.len()..];
    let end = body.find("\n\nfailures:").unwrap_or(body.len());
    let text = body[..end].trim();
    // The panic location line is noise for a student; keep the message.
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    if lines.first().is_some_and(|l| l.starts_with("thread '")) {
        lines.remove(0);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::failure_text;

    #[test]
    fn the_failure_section_is_cut_out() {
        let output = "running 1 test\ntest a ... FAILED\n\nfailures:\n\n---- a stdout ----\n\nthread 'a' (12) panicked at tests/v.rs:3:5:\nexpected  \"HI\\n\"\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\nfailures:\n    a\n";
        assert_eq!(failure_text(output, "a"), "expected  \"HI\\n\"");
    }
}
