//! Building an exercise with cargo and running its tests one at a time.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// What building an exercise's tests produced.
pub struct Built {
    /// Integration test binaries: (file stem of tests/NAME.rs, executable).
    pub tests: Vec<(String, PathBuf)>,
    /// The exercise's programs: (binary name, executable).
    pub bins: BTreeMap<String, PathBuf>,
    /// Files outside the exercise's `src/` that the compiler read for its library or
    /// programs (`include!`, `include_str!`, `#[path]`): a submission that pulls in the
    /// course's solutions or hidden tests that way.
    pub outside: Vec<PathBuf>,
}

/// A line of cargo's `--message-format json` output: the parts we read.
#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum Message {
    CompilerArtifact(Artifact),
    #[serde(other)]
    Other,
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

/// Builds package `package` of the workspace `workspace` (its folder), tests included,
/// into `target`. `Err` carries the compiler's messages.
pub fn build(workspace: &Path, package: &str, target: &Path) -> Result<Built, String> {
    let workspace = &workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let mut command = cargo();
    command
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
            "--quiet",
            "-p",
        ])
        .arg(package)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let status = child.wait().map_err(|e| e.to_string())?;
    let errors = errors.join().unwrap_or_default();
    let mut built = Built {
        tests: Vec::new(),
        bins: BTreeMap::new(),
        outside: Vec::new(),
    };
    let package_dir = workspace.join(package);
    let src = package_dir.join("src");
    // Lines that are not cargo's JSON messages (none are expected) are skipped.
    for message in stdout.lines().filter_map(|l| serde_json::from_str(l).ok()) {
        match message {
            Message::CompilerArtifact(artifact) => {
                let kind = artifact.target.kind.first().map(String::as_str);
                let is_ours = artifact
                    .manifest_path
                    .parent()
                    .and_then(|dir| dir.canonicalize().ok())
                    .is_some_and(|dir| dir == package_dir);
                if is_ours && matches!(kind, Some("lib" | "bin")) {
                    for output in &artifact.filenames {
                        for file in sources_read(output, &artifact.target.name, workspace) {
                            if !file.starts_with(&src) && !built.outside.contains(&file) {
                                built.outside.push(file);
                            }
                        }
                    }
                }
                let Some(exe) = artifact.executable else {
                    continue;
                };
                match (kind, artifact.profile.test) {
                    (Some("test"), true) => built.tests.push((artifact.target.name, exe)),
                    (Some("bin"), false) => {
                        built.bins.insert(artifact.target.name, exe);
                    }
                    _ => {} // unit tests in src/ are the student's own; they do not count
                }
            }
            Message::Other => {}
        }
    }
    if status.success() {
        built.tests.sort();
        Ok(built)
    } else {
        // Cargo rendered the compiler's messages on stderr.
        Err(errors)
    }
}

/// The source files rustc read to produce `output` (an artifact of target `target`), from
/// the dep-info file it wrote next to it (`deps/NAME-HASH.d`), made absolute against
/// `workspace` (where cargo runs rustc) with `..` resolved.
fn sources_read(output: &Path, target: &str, workspace: &Path) -> Vec<PathBuf> {
    let Some(file_name) = output.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    // libNAME-HASH.rlib, NAME-HASH, NAME-HASH.exe: the hash is what follows the last '-'.
    let Some(hash) = file_name
        .rsplit('-')
        .next()
        .map(|h| h.split('.').next().unwrap_or(h))
    else {
        return Vec::new();
    };
    let dir = output.parent().unwrap_or(Path::new(""));
    let dep_info = dir.join(format!("{}-{hash}.d", target.replace('-', "_")));
    let Ok(text) = std::fs::read_to_string(&dep_info) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for line in text.lines() {
        // Every source appears as a rule of its own, `path:` with nothing after the colon.
        let Some(path) = line.strip_suffix(':') else {
            continue;
        };
        if path.starts_with('#') || path.is_empty() {
            continue;
        }
        let path = PathBuf::from(path.replace("\\ ", " "));
        let mut absolute = PathBuf::new();
        for part in workspace.join(path).components() {
            match part {
                std::path::Component::ParentDir => {
                    absolute.pop();
                }
                std::path::Component::CurDir => {}
                other => absolute.push(other),
            }
        }
        if !files.contains(&absolute) {
            files.push(absolute);
        }
    }
    files
}

/// The names of the tests in a test binary (`--list --format terse`).
pub fn list_tests(exe: &Path) -> Result<Vec<String>, String> {
    let mut command = Command::new(exe);
    command
        .args(["--list", "--format", "terse"])
        .stdin(Stdio::null());
    let output = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} --list failed: {}",
            exe.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect())
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
