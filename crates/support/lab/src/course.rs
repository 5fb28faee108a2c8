//! Where things are: the course root, its exercises in order, and copies of trees.
//!
//! The course root holds `exercises/` (a workspace of its own whose `members` list is the
//! course order), optionally `solutions/NAME/src` (the answers, from which `cargo lab sync`
//! makes `exercises/NAME/src`) and `hidden/NAME/` (hidden tests), and
//! `crates/support/netkit` + `crates/support/testkit`, which exercises may use.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The course tree `cargo lab` works on.
pub struct Course {
    pub root: PathBuf,
    /// Exercise names in course order.
    pub exercises: Vec<String>,
}

impl Course {
    /// Finds the course root: `root` if given, else the nearest folder above the current
    /// directory with an `exercises/Cargo.toml`.
    pub fn find(root: Option<PathBuf>) -> Result<Course, String> {
        let root = match root {
            Some(root) => root,
            None => {
                let here = std::env::current_dir().map_err(|e| e.to_string())?;
                here.ancestors()
                    .find(|dir| dir.join("exercises/Cargo.toml").is_file())
                    .map(Path::to_path_buf)
                    .ok_or(
                        "no exercises/Cargo.toml here or in any folder above; run cargo lab inside the course",
                    )?
            }
        };
        let manifest = root.join("exercises/Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
        let exercises = members(&text);
        if exercises.is_empty() {
            return Err(format!("{} lists no members", manifest.display()));
        }
        Ok(Course { root, exercises })
    }

    pub fn exercise_dir(&self, name: &str) -> PathBuf {
        self.root.join("exercises").join(name)
    }

    pub fn solution_src(&self, name: &str) -> PathBuf {
        self.root.join("solutions").join(name).join("src")
    }

    pub fn hidden_dir(&self) -> PathBuf {
        self.root.join("hidden")
    }

    /// Where `cargo lab` keeps its state, scratch trees and builds.
    pub fn target_dir(&self) -> PathBuf {
        self.root.join("target/lab")
    }

    /// The cargo target folder for builds of `tree`: `check` for the exercises in place,
    /// `verify` and `grade` for the scratch copies. Every exercise of a tree shares one;
    /// two trees never do, because cargo names a workspace member's artifacts by its path
    /// inside its workspace, which is the same in every copy.
    pub fn build_dir(&self, tree: &str) -> PathBuf {
        self.target_dir().join(format!("build-{tree}"))
    }

    /// The exercise `name` stands for: its full name, its number in the list, or a unique
    /// part of its name.
    pub fn pick(&self, name: &str) -> Result<String, String> {
        if self.exercises.iter().any(|e| e == name) {
            return Ok(name.to_owned());
        }
        if let Ok(n) = name.parse::<usize>()
            && (1..=self.exercises.len()).contains(&n)
        {
            return Ok(self.exercises[n - 1].clone());
        }
        let found: Vec<&String> = self.exercises.iter().filter(|e| e.contains(name)).collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "there is no exercise {name:?}; `cargo lab list` shows them all"
            )),
            many => Err(format!(
                "{name:?} could be any of {}; say which",
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The `members = [...]` of a workspace manifest, in order.
pub fn members(manifest: &str) -> Vec<String> {
    let Some(start) = manifest.find("members") else {
        return Vec::new();
    };
    let rest = &manifest[start..];
    let (Some(open), Some(close)) = (rest.find('['), rest.find(']')) else {
        return Vec::new();
    };
    rest[open + 1..close]
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split(','))
        .map(|item| item.trim().trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// The regular files under `dir`, as (path relative to `dir`, absolute path). Symbolic
/// links and `target` folders are skipped; so is anything past `limit` files.
pub fn files_under(dir: &Path, limit: usize) -> Vec<(PathBuf, PathBuf)> {
    fn walk(base: &Path, dir: &Path, found: &mut Vec<(PathBuf, PathBuf)>, limit: usize) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if found.len() >= limit {
                return;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() && entry.file_name() != "target" && entry.file_name() != ".git" {
                walk(base, &path, found, limit);
            } else if kind.is_file() {
                let rel = path.strip_prefix(base).unwrap().to_path_buf();
                found.push((rel, path));
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found, limit);
    found
}

/// Makes `dest` hold exactly `files` (relative path -> source file). Files whose content
/// is already right are left alone, so cargo sees them unchanged and rebuilds only what
/// changed. Files in `dest` that are not wanted are removed (`target` folders are kept).
pub fn sync(dest: &Path, files: &BTreeMap<PathBuf, PathBuf>) -> io::Result<()> {
    for (rel, source) in files {
        let target = dest.join(rel);
        let content = fs::read(source)?;
        if fs::read(&target).ok().as_deref() != Some(content.as_slice()) {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&target, content)?;
        }
    }
    for (rel, path) in files_under(dest, usize::MAX) {
        // Cargo.lock files are cargo's to keep.
        if !files.contains_key(&rel) && rel.file_name().is_none_or(|n| n != "Cargo.lock") {
            fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// Adds every file under `dir` to `files`, placed under `prefix`.
pub fn add_tree(files: &mut BTreeMap<PathBuf, PathBuf>, dir: &Path, prefix: &Path) {
    for (rel, abs) in files_under(dir, usize::MAX) {
        files.insert(prefix.join(rel), abs);
    }
}

/// A fingerprint of the files under `dir` (names and contents), to notice changes.
pub fn fingerprint(dir: &Path) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x100000001b3);
        }
    };
    for (rel, abs) in files_under(dir, 10_000) {
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&fs::read(abs).unwrap_or_default());
        feed(&[0]);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_in_order() {
        let manifest = "[workspace]\nresolver = \"3\"\nmembers = [\n    \"b_first\", # comment\n    \"a_second\",\n]\n[workspace.package]\nedition = \"2024\"\n";
        assert_eq!(members(manifest), ["b_first", "a_second"]);
        assert_eq!(members("members = [\"x\", \"y\"]"), ["x", "y"]);
    }
}
