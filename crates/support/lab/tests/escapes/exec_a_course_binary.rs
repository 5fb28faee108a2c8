//! Attack: run someone else's `showip`. Replaces `showip`'s `src/main.rs`.
//!
//! The course's build folders hold compiled programs: `cargo lab verify` leaves the
//! solutions in `target/lab/build-verify`, and other submissions' builds may sit next to
//! them. This program looks for every file named `showip` under the course, tries each on
//! a question it knows the answer to, and becomes the first that answers right: with the
//! course in reach, it scores what the solution scores. `@COURSE@` is filled in by
//! `tests/escapes.rs`.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const COURSE: &str = "@COURSE@";

fn main() {
    let me = std::fs::metadata("/proc/self/exe")
        .map(|m| (m.dev(), m.ino()))
        .ok();
    let mut found = Vec::new();
    let mut seen = 0;
    search(Path::new(COURSE), 0, &mut found, &mut seen);
    for candidate in &found {
        let it = std::fs::metadata(candidate)
            .map(|m| (m.dev(), m.ino()))
            .ok();
        if it == me {
            continue;
        }
        let works = Command::new(candidate)
            .arg("127.0.0.1")
            .output()
            .is_ok_and(|out| out.stdout == b"IP addresses for 127.0.0.1:\n\n  IPv4: 127.0.0.1\n");
        if works {
            let error = Command::new(candidate)
                .args(std::env::args_os().skip(1))
                .exec();
            eprintln!("EXEC {}: {error}", candidate.display());
        }
    }
    eprintln!(
        "EXEC: no other showip that works under {COURSE} ({} entries seen, {} named showip)",
        seen,
        found.len()
    );
    std::process::exit(1);
}

/// Every file named `showip` under `dir`, skipping the folders that hold none.
fn search(dir: &Path, depth: usize, found: &mut Vec<PathBuf>, seen: &mut usize) {
    if depth > 10 || *seen > 100_000 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        *seen += 1;
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let skip = [
                "incremental",
                ".fingerprint",
                "build",
                "deps",
                ".git",
                "src",
                "book",
            ];
            if !skip.iter().any(|s| name == *s) {
                search(&entry.path(), depth + 1, found, seen);
            }
        } else if kind.is_file() && name == "showip" {
            found.push(entry.path());
        }
    }
}
