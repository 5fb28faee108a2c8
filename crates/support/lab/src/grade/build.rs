//! Stage 2: build an exercise of the scratch tree, and make sure only its own sources
//! went in.
//!
//! Students cannot change `Cargo.toml`, so no build scripts or new dependencies. But
//! `include!`, `include_str!`, `include_bytes!` and `#[path]` could still pull in any file
//! the compiler can read, the course's solutions included: the build is refused when the
//! compiler read a file outside the exercise's `src/` for its library or programs.

use std::path::{Path, PathBuf};

use super::score::Problem;
use super::tail;
use crate::cargo::{self, Built, Messages};

/// Builds exercise `name` of the workspace `workspace` (tests included) into `target`.
pub fn build(workspace: &Path, name: &str, target: &Path) -> Result<Built, Problem> {
    let built = match cargo::build(workspace, name, target, &[], Messages::Keep) {
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
    Ok(built)
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
