//! Stage 2: build an exercise of the scratch tree, and make sure only its own sources
//! went in.
//!
//! Students cannot change `Cargo.toml`, so no build scripts or new dependencies. But
//! `include!`, `include_str!`, `include_bytes!` and `#[path]` could still pull in any file
//! the compiler can read, the course's solutions included: the build is refused when the
//! compiler read a file outside the exercise's `src/` for its library or programs.

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
    let judges = workspace.join(JUDGE_DIR);
    let tests = judge_package(name);
    let tests = judges.join(name).is_dir().then_some(tests.as_str());
    let probe = probe_package(name);
    let probe_dir = Path::new(JUDGE_DIR).join(&probe);
    let probe = judges
        .join(&probe)
        .is_dir()
        .then_some((probe.as_str(), probe_dir.as_path()));
    let result = if tests.is_none() && probe.is_none() {
        cargo::build(workspace, name, target, &[], Messages::Keep)
    } else {
        let out = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
        let env: Vec<(String, PathBuf)> = programs(&workspace.join(name))
            .into_iter()
            .map(|bin| {
                let path = out.join("debug").join(&bin);
                (format!("CARGO_BIN_EXE_{bin}"), path)
            })
            .collect();
        cargo::build_graded(workspace, name, tests, probe, target, &env)
    };
    let built = match result {
        Ok(Ok(built)) => built,
        Ok(Err(messages)) => return Err(Problem::new("does not compile", first_error(&messages))),
        Err(e) => return Err(Problem::new("could not be built", e)),
    };
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
    if probe.is_some() && built.probe.is_none() {
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
