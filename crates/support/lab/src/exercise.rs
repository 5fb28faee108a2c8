//! One exercise: its name and place in the course, its files, its hints.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::files;

/// An exercise of the course, `exercises/NAME/`.
#[derive(Debug)]
pub struct Exercise {
    pub name: String,
    /// Its place in the course, from 1.
    pub number: usize,
    /// `exercises/NAME`: README.md, hints.md, Cargo.toml, src/, tests/.
    pub dir: PathBuf,
    /// `solutions/NAME/src`: the reference answer (not in a student edition).
    pub solution: PathBuf,
    /// `.lab/pristine/NAME`: the sources as handed out (only in a student edition).
    pristine_copy: PathBuf,
    /// The course root, where git keeps the committed sources (in the course itself).
    repository: PathBuf,
}

impl Exercise {
    pub fn new(root: &Path, name: String, number: usize) -> Exercise {
        Exercise {
            dir: root.join("exercises").join(&name),
            solution: root.join("solutions").join(&name).join("src"),
            pristine_copy: root.join(".lab/pristine").join(&name),
            repository: root.to_path_buf(),
            name,
            number,
        }
    }

    /// `exercises/NAME/src`: what the student writes.
    pub fn src(&self) -> PathBuf {
        self.dir.join("src")
    }

    /// The task's title: the first heading of its README.md.
    pub fn title(&self) -> String {
        std::fs::read_to_string(self.dir.join("README.md"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("# ").map(|s| s.trim().to_owned()))
            })
            .unwrap_or_default()
    }

    /// The book chapter the exercise belongs to, relative to `book/src`
    /// (`part1/udp-upper.md`): `chapter` in the `[package.metadata.lab]` table of its
    /// Cargo.toml. `cargo lab list` shows each exercise under that chapter's part.
    pub fn chapter(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join("Cargo.toml")).ok()?;
        let manifest: toml::Table = toml::from_str(&text).ok()?;
        manifest
            .get("package")?
            .get("metadata")?
            .get("lab")?
            .get("chapter")?
            .as_str()
            .map(str::to_owned)
    }

    /// The hints, in order: hints.md split at lines of `---`.
    pub fn hints(&self) -> Result<Vec<String>, String> {
        let path = self.dir.join("hints.md");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(text
            .split("\n---\n")
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// A fingerprint of the student's sources, to notice a change.
    pub fn fingerprint(&self) -> u64 {
        files::fingerprint(&self.src())
    }

    /// The untouched sources: (path relative to src/, content).
    ///
    /// A student edition keeps them in `.lab/pristine/NAME/` (written by `export`). In the
    /// course repository itself they are the committed files (`git show HEAD:...`).
    pub fn pristine(&self) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
        if self.pristine_copy.is_dir() {
            return Ok(files::files_under(&self.pristine_copy, 10_000)
                .into_iter()
                .map(|(rel, abs)| (rel, std::fs::read(abs).unwrap_or_default()))
                .collect());
        }
        let git = |args: &[&str]| {
            Command::new("git")
                .current_dir(&self.repository)
                .args(args)
                .stderr(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| o.stdout)
        };
        let prefix = format!("exercises/{}/src/", self.name);
        let listing = git(&["ls-tree", "-r", "--name-only", "HEAD", &prefix])
            .ok_or("no pristine copy: neither .lab/pristine nor git history is here")?;
        let mut files = Vec::new();
        for path in String::from_utf8_lossy(&listing).lines() {
            let content = git(&["show", &format!("HEAD:{path}")])
                .ok_or_else(|| format!("git cannot show {path}"))?;
            files.push((PathBuf::from(&path[prefix.len()..]), content));
        }
        if files.is_empty() {
            return Err(format!("git has no files under {prefix}"));
        }
        Ok(files)
    }

    /// Whether `src/` is exactly as handed out.
    pub fn is_untouched(&self) -> bool {
        let Ok(pristine) = self.pristine() else {
            return false;
        };
        let src = self.src();
        files::files_under(&src, 10_000).len() == pristine.len()
            && pristine
                .iter()
                .all(|(rel, content)| std::fs::read(src.join(rel)).ok().as_ref() == Some(content))
    }
}
