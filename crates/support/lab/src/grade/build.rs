//! Stage 2: build an exercise of the scratch tree, and make sure only its own sources
//! went in.
//!
//! Students cannot change `Cargo.toml`, so no build scripts or new dependencies. But
//! `include!`, `include_str!`, `include_bytes!` and `#[path]` could still pull in any file
//! the compiler can read, the course's solutions included: the build is refused when the
//! compiler read a file outside the exercise's `src/` for its library or programs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::assemble::{JUDGE_DIR, judge_package, probe_package};
use super::score::Problem;
use super::tail;
use crate::cargo::{self, Built, Messages};

/// Builds exercise `name` of the workspace `workspace` (tests included) into `target`.
///
/// In a workspace assembled for grading, the tests are in the exercise's judge package
/// and the probe in its probe package (see `assemble`): they are built with it, the
/// tests told where the exercise's programs will be (`CARGO_BIN_EXE_NAME`, which cargo
/// sets only for a package's own tests). Elsewhere (the exercises in place) the tests are
/// the exercise's own.
pub fn build(workspace: &Path, name: &str, target: &Path) -> Result<Built, Problem> {
    let judged = judged(workspace, name);
    let probe = judged
        .probe
        .as_ref()
        .map(|(package, dir)| (package.as_str(), dir.as_path()));
    let result = if judged.tests.is_none() && probe.is_none() {
        cargo::build(workspace, name, target, &[], Messages::Keep)
    } else {
        let env = programs_env(workspace, &[name], target);
        cargo::build_graded(
            workspace,
            name,
            judged.tests.as_ref().map(|(package, _)| package.as_str()),
            probe,
            target,
            &env,
        )
    };
    let built = match result {
        Ok(Ok(built)) => built,
        Ok(Err(messages)) => return Err(Problem::new("does not compile", first_error(&messages))),
        Err(e) => return Err(Problem::new("could not be built", e)),
    };
    only_own_sources(built, workspace, name, probe.is_some())
}

/// Builds the exercises `names` of the workspace `workspace` at once, each with its judge
/// and probe packages, into `target` (see `cargo::build_packages`): per exercise, what
/// `build` would give.
pub fn build_all(
    workspace: &Path,
    names: &[&str],
    target: &Path,
) -> BTreeMap<String, Result<Built, Problem>> {
    let exercises: Vec<cargo::Judged> = names.iter().map(|name| judged(workspace, name)).collect();
    // Every exercise's programs, not only those built now: the variables stay the same
    // from one submission to the next, and so do the judge packages' test programs.
    let env = programs_env(workspace, &workspace_exercises(workspace), target);
    match cargo::build_packages(workspace, &exercises, target, &env) {
        Ok(built) => built
            .into_iter()
            .map(|(name, result)| {
                let has_probe = exercises
                    .iter()
                    .any(|e| e.name == name && e.probe.is_some());
                let result = match result {
                    Ok(built) => only_own_sources(built, workspace, &name, has_probe),
                    Err(messages) => Err(Problem::new("does not compile", first_error(&messages))),
                };
                (name, result)
            })
            .collect(),
        Err(e) => names
            .iter()
            .map(|name| {
                (
                    name.to_string(),
                    Err(Problem::new("could not be built", e.clone())),
                )
            })
            .collect(),
    }
}

/// Exercise `name` of the workspace `workspace` and the packages that judge it there (see
/// `assemble`): its tests' package and its probe's, where the workspace has them.
fn judged(workspace: &Path, name: &str) -> cargo::Judged {
    let judges = Path::new(JUDGE_DIR);
    let tests = workspace
        .join(judges.join(name))
        .is_dir()
        .then(|| (judge_package(name), judges.join(name)));
    let probe = probe_package(name);
    let probe = workspace
        .join(judges.join(&probe))
        .is_dir()
        .then(|| (probe.clone(), judges.join(&probe)));
    cargo::Judged {
        name: name.to_owned(),
        tests,
        probe,
    }
}

/// The exercises' folders in the workspace `workspace` (the judge packages' excepted).
fn workspace_exercises(workspace: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name != JUDGE_DIR)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `CARGO_BIN_EXE_NAME` for every program of the exercises `names` of the workspace
/// `workspace`, built into `target`: where the judge packages' tests find them (cargo sets
/// these only for a package's own tests).
fn programs_env<S: AsRef<str>>(
    workspace: &Path,
    names: &[S],
    target: &Path,
) -> Vec<(String, PathBuf)> {
    let out = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
    names
        .iter()
        .flat_map(|name| programs(&workspace.join(name.as_ref())))
        .map(|bin| {
            let path = out.join("debug").join(&bin);
            (format!("CARGO_BIN_EXE_{bin}"), path)
        })
        .collect()
}

/// `built`, unless the compiler read files outside the exercise's `src/` for it, or it
/// should have a probe (`has_probe`) and cargo built none.
fn only_own_sources(
    built: Built,
    workspace: &Path,
    name: &str,
    has_probe: bool,
) -> Result<Built, Problem> {
    let outside = outside_src(&built, workspace, name);
    if !outside.is_empty() {
        return Err(Problem::new(
            "reads files outside its src/ when compiled",
            format!(
                "include!, include_str!, include_bytes! or #[path] took in {}; only the \
                 exercise's own src/ may be compiled in",
                outside
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if has_probe && built.probe.is_none() {
        return Err(Problem::new(
            "could not be built",
            "cargo built no probe for this exercise",
        ));
    }
    Ok(built)
}

/// The names of the programs of the package in `dir`, as cargo finds them: `src/main.rs`
/// (named like the package), `src/bin/NAME.rs`, `src/bin/NAME/main.rs`, and the
/// `[[bin]]` entries of its manifest.
fn programs(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    if dir.join("src/main.rs").is_file()
        && let Some(name) = dir.file_name()
    {
        names.push(name.to_string_lossy().into_owned());
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = if path.is_dir() && path.join("main.rs").is_file() {
                path.file_name()
            } else if path.extension().is_some_and(|e| e == "rs") {
                path.file_stem()
            } else {
                None
            };
            names.extend(name.map(|n| n.to_string_lossy().into_owned()));
        }
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    if let Ok(manifest) = toml::from_str::<toml::Table>(&manifest)
        && let Some(bins) = manifest.get("bin").and_then(|b| b.as_array())
    {
        names.extend(
            bins.iter()
                .filter_map(|b| b.get("name")?.as_str().map(str::to_owned)),
        );
    }
    names.sort();
    names.dedup();
    names
}

/// Files outside the exercise's `src/` that the compiler read for its library or
/// programs.
fn outside_src(built: &Built, workspace: &Path, name: &str) -> Vec<PathBuf> {
    let workspace = &workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let src = workspace.join(name).join("src");
    let mut outside = Vec::new();
    for (target, output) in &built.outputs {
        for file in sources_read(output, target, workspace) {
            if !file.starts_with(&src) && !outside.contains(&file) {
                outside.push(file);
            }
        }
    }
    outside
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

/// The first error of a compiler run, which is the one to fix first.
fn first_error(messages: &str) -> String {
    let start = messages.find("error").unwrap_or(0);
    let text = &messages[start..];
    let end = text
        .get(1..)
        .and_then(|rest| rest.find("\nerror"))
        .map(|i| i + 1)
        .unwrap_or(text.len());
    tail(&text[..end], 40).trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_is_the_one_shown() {
        let messages = "warning: unused\nerror[E0425]: cannot find value `bu`\n --> src/lib.rs:3:5\n\nerror: aborting\n";
        assert_eq!(
            first_error(messages),
            "error[E0425]: cannot find value `bu`\n --> src/lib.rs:3:5"
        );
        assert_eq!(first_error(""), "");
    }
}
