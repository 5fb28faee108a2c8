//! Stage 1: assemble the scratch tree that gets built.
//!
//! A copy of the course's exercise workspace (and the crates it depends on) in which each
//! exercise's `src/` comes from elsewhere (the submission, or the solutions). Everything
//! but `src/` is the course's own: a submission's tests or Cargo.toml are never used.
//!
//! The tests do not go into the exercise's package. Each exercise gets a *judge package*
//! beside it, `lab-judge/NAME/` (`NAME-judge`), holding its visible tests and its hidden
//! Rust tests, with the exercise's dependencies but not the exercise itself: a test binary
//! there cannot link the student's library (whose code would then run inside the test,
//! before `main` even, and could forge its verdict). The tests find the student's programs
//! as they always do, with `env!("CARGO_BIN_EXE_NAME")`: the build sets those variables
//! (see `build`). And since nothing of the submission goes into them, the test binaries
//! are the same for every submission: cargo compiles them once.
//!
//! An exercise with a probe (`hidden/NAME/probe.rs`) gets a second package,
//! `lab-judge/NAME-probe/`, a program that does depend on the exercise: the probe, which
//! the grader runs as a process of its own and whose answers it compares with the
//! reference solution's (see `probe`). The visible tests of such an exercise call the
//! library inside the test, so they are left out, unless `visible_in_process` (`verify`,
//! on the solutions) keeps them in the exercise's own package.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::course::Course;
use crate::exercise::Exercise;
use crate::files;

/// Largest source file taken from a submission, and most files per exercise.
const MAX_FILE: u64 = 1 << 20;
const MAX_FILES: usize = 200;

/// An assembled scratch tree, locked for as long as it is kept: two graders never share
/// one (or its build folder) at once.
pub struct Scratch {
    /// The exercises' workspace in the scratch tree.
    pub workspace: PathBuf,
    /// Per exercise, what was taken for its `src/` (for the report).
    pub taken: BTreeMap<String, String>,
    _lock: File,
}

/// The hidden tests of one exercise.
pub struct Hidden {
    /// Rust files, built as the judge package's `tests/hidden_NAME.rs`.
    pub rust: Vec<PathBuf>,
    /// Transcripts, played against the exercise's program.
    pub transcripts: Vec<PathBuf>,
    /// `probe.rs`: the program that calls the exercise's library on the grader's cases.
    pub probe: Option<PathBuf>,
}

/// The hidden tests of `exercise` in the folder `hidden` (`hidden/NAME/*.rs`,
/// `hidden/NAME/*.transcript`, `hidden/NAME/probe.rs`).
pub fn hidden_tests(hidden: &Path, exercise: &str) -> Hidden {
    let mut found = Hidden {
        rust: Vec::new(),
        transcripts: Vec::new(),
        probe: None,
    };
    for (rel, path) in files::files_under(&hidden.join(exercise), 1000) {
        match path.extension().and_then(|e| e.to_str()) {
            Some("rs") if rel == Path::new("probe.rs") => found.probe = Some(path),
            Some("rs") => found.rust.push(path),
            Some("transcript") => found.transcripts.push(path),
            _ => {}
        }
    }
    found
}

/// The folder of the judge packages in a scratch workspace.
pub const JUDGE_DIR: &str = "lab-judge";

/// The package holding the tests of `exercise` in an assembled workspace.
pub fn judge_package(exercise: &str) -> String {
    format!("{exercise}-judge")
}

/// The package (and program) of the probe of `exercise` in an assembled workspace.
pub fn probe_package(exercise: &str) -> String {
    format!("{exercise}-probe")
}

/// Fills `scratch` (locked with `scratch.lock` beside it) with the course's exercise
/// workspace, each exercise's `src/` taken from `sources(exercise)`, and its tests and
/// probe (those of `hidden` too) in judge packages. `visible_in_process`: keep the visible
/// tests of an exercise with a probe, in the exercise's package (for the solutions only).
pub fn assemble(
    course: &Course,
    scratch: &Path,
    sources: &dyn Fn(&Exercise) -> PathBuf,
    hidden: Option<&Path>,
    visible_in_process: bool,
) -> Result<Scratch, String> {
    let lock = lock(&scratch.with_extension("lock"))?;
    let mut wanted = BTreeMap::new();
    let root = &course.root;
    wanted.insert(PathBuf::from("Cargo.toml"), root.join("Cargo.toml"));
    for krate in ["netkit", "testkit"] {
        let dir = PathBuf::from("crates/support").join(krate);
        files::add_tree(&mut wanted, &root.join(&dir), &dir);
    }
    let lock_file = course.exercises_dir().join("Cargo.lock");
    if lock_file.is_file() {
        wanted.insert(PathBuf::from("exercises/Cargo.lock"), lock_file);
    }
    // Files made here (manifests) are kept in a folder beside the tree and synced like the
    // rest.
    let mut made: Vec<(PathBuf, String)> = vec![(
        PathBuf::from("exercises/Cargo.toml"),
        workspace_manifest(&course.exercises_dir().join("Cargo.toml"))?,
    )];
    let mut taken = BTreeMap::new();
    for exercise in &course.exercises {
        let name = &exercise.name;
        let prefix = PathBuf::from("exercises").join(name);
        let found = match hidden {
            Some(hidden) => hidden_tests(hidden, name),
            None => Hidden {
                rust: Vec::new(),
                transcripts: Vec::new(),
                probe: None,
            },
        };
        let manifest = exercise.dir.join("Cargo.toml");
        let judge = PathBuf::from("exercises").join(JUDGE_DIR).join(name);
        let mut tests = Vec::new();
        for (rel, abs) in files::files_under(&exercise.dir, 10_000) {
            if rel.starts_with("src") {
                continue;
            }
            match rel.strip_prefix("tests") {
                // Tests that call the library run inside the test program: only where the
                // library is the course's own.
                Ok(_) if found.probe.is_some() && visible_in_process => {
                    wanted.insert(prefix.join(rel), abs);
                }
                Ok(_) if found.probe.is_some() => {}
                Ok(test) => tests.push((judge.join("tests").join(test), abs)),
                Err(_) => {
                    wanted.insert(prefix.join(rel), abs);
                }
            }
        }
        for path in &found.rust {
            let file = format!("hidden_{}", path.file_name().unwrap().to_string_lossy());
            tests.push((judge.join("tests").join(file), path.clone()));
        }
        if !tests.is_empty() {
            wanted.extend(tests);
            made.push((
                judge.join("Cargo.toml"),
                package_manifest(&manifest, &judge_package(name), None)?,
            ));
            made.push((
                judge.join("src/lib.rs"),
                "//! Generated by cargo lab: the tests of an exercise, in a package that \
                 does not depend on it.\n"
                    .to_owned(),
            ));
        }
        if let Some(probe) = &found.probe {
            let dir = PathBuf::from("exercises")
                .join(JUDGE_DIR)
                .join(probe_package(name));
            made.push((
                dir.join("Cargo.toml"),
                package_manifest(&manifest, &probe_package(name), Some(name))?,
            ));
            wanted.insert(dir.join("src/main.rs"), probe.clone());
        }
        // An exercise missing from the submission is not graded, but the workspace needs
        // every member to be a package: the exercise as handed out stands in.
        let submitted = sources(exercise);
        let src = if submitted.is_dir() {
            submitted
        } else {
            exercise.src()
        };
        let mut count = 0;
        let mut skipped = 0;
        for (rel, abs) in files::files_under(&src, MAX_FILES) {
            if std::fs::metadata(&abs).is_ok_and(|m| m.len() <= MAX_FILE) {
                wanted.insert(prefix.join("src").join(rel), abs);
                count += 1;
            } else {
                skipped += 1;
            }
        }
        let mut note = format!("{count} files from {}", src.display());
        if skipped > 0 {
            let _ = write!(note, " ({skipped} over 1 MiB skipped)");
        }
        taken.insert(exercise.name.clone(), note);
    }
    let generated = scratch.with_extension("generated");
    for (rel, text) in made {
        let path = generated.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        wanted.insert(rel, path);
    }
    files::sync(scratch, &wanted)
        .map_err(|e| format!("cannot prepare {}: {e}", scratch.display()))?;
    Ok(Scratch {
        workspace: scratch.join("exercises"),
        taken,
        _lock: lock,
    })
}

/// The course's `exercises/Cargo.toml` with the judge packages added to its members.
fn workspace_manifest(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut manifest: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let members = manifest
        .get_mut("workspace")
        .and_then(|w| w.get_mut("members"))
        .and_then(|m| m.as_array_mut())
        .ok_or_else(|| format!("{}: no [workspace] members", path.display()))?;
    members.push(format!("{JUDGE_DIR}/*").into());
    Ok(generated_toml(&manifest))
}

/// The manifest of a judge package named `name`, made from the exercise's manifest
/// `exercise` (at `exercises/NAME/Cargo.toml`): its edition, its dependencies and
/// development dependencies (a path made to work from two folders further down), and,
/// for a probe, the exercise itself (`library`).
fn package_manifest(exercise: &Path, name: &str, library: Option<&str>) -> Result<String, String> {
    let text =
        std::fs::read_to_string(exercise).map_err(|e| format!("{}: {e}", exercise.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", exercise.display()))?;
    let edition = manifest
        .get("package")
        .and_then(|p| p.get("edition"))
        .cloned()
        .unwrap_or_else(|| "2024".into());
    let mut dependencies = toml::Table::new();
    for section in ["dependencies", "dev-dependencies"] {
        let Some(table) = manifest.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for (dependency, spec) in table {
            let mut spec = spec.clone();
            if let Some(path) = spec.get_mut("path")
                && let Some(relative) = path.as_str()
            {
                *path = format!("../../{}/{relative}", exercise_dir_name(exercise)).into();
            }
            dependencies.insert(dependency.clone(), spec);
        }
    }
    if !dependencies.contains_key("testkit") {
        let mut spec = toml::Table::new();
        spec.insert("workspace".into(), true.into());
        dependencies.insert("testkit".into(), spec.into());
    }
    if let Some(library) = library {
        let mut spec = toml::Table::new();
        spec.insert("path".into(), format!("../../{library}").into());
        dependencies.insert(library.to_owned(), spec.into());
    }
    let mut package = toml::Table::new();
    package.insert("name".into(), name.into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), edition);
    package.insert("publish".into(), false.into());
    let mut out = toml::Table::new();
    out.insert("package".into(), package.into());
    out.insert("dependencies".into(), dependencies.into());
    Ok(generated_toml(&out))
}

fn exercise_dir_name(manifest: &Path) -> String {
    manifest
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn generated_toml(table: &toml::Table) -> String {
    format!(
        "# Generated by cargo lab for grading; see crates/support/lab/src/grade/assemble.rs.\n{}",
        toml::to_string(table).expect("a TOML table serializes")
    )
}

/// Takes the lock file `path`, waiting (and saying so) while another `cargo lab` has it.
fn lock(path: &Path) -> Result<File, String> {
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "waiting for another cargo lab to finish with {}",
            path.display()
        );
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judge_package_has_the_exercises_dependencies_but_not_the_exercise() {
        let dir = tempfile::tempdir().unwrap();
        let exercise = dir.path().join("showip");
        std::fs::create_dir_all(&exercise).unwrap();
        let manifest = exercise.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[package]\nname = \"showip\"\nedition.workspace = true\n\n[dependencies]\n\
             libc.workspace = true\nlocal = { path = \"../local\" }\n\n[dev-dependencies]\n\
             nix = { workspace = true }\n",
        )
        .unwrap();
        let read = |text: String| -> toml::Table { toml::from_str(&text).unwrap() };

        let tests = read(package_manifest(&manifest, "showip-judge", None).unwrap());
        assert_eq!(tests["package"]["name"].as_str(), Some("showip-judge"));
        assert_eq!(
            tests["package"]["edition"]["workspace"].as_bool(),
            Some(true)
        );
        let deps = tests["dependencies"].as_table().unwrap();
        let names: Vec<&str> = deps.keys().map(String::as_str).collect();
        assert_eq!(names, ["libc", "local", "nix", "testkit"]);
        assert_eq!(
            deps["local"]["path"].as_str(),
            Some("../../showip/../local")
        );

        let probe = read(package_manifest(&manifest, "showip-probe", Some("showip")).unwrap());
        let deps = probe["dependencies"].as_table().unwrap();
        assert_eq!(deps["showip"]["path"].as_str(), Some("../../showip"));
    }
}
