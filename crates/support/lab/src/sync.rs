//! `cargo lab sync`: the exercises' sources are made from the solutions.
//!
//! `solutions/NAME/src/` is the only hand-written copy of a program; `exercises/NAME/src/`
//! is generated from it (and committed, so students get it with the course). Three kinds
//! of line in a solution's `.rs` files tell the generator what the student gets:
//!
//! ```text
//! pub fn send_all<W: Write>(w: &mut W, buf: &[u8]) -> io::Result<()> {
//!     //> // TODO: call w.write(...) until every byte is written.
//!     //> let _ = (w, buf);
//!     //> todo!("send_all")
//!     // lab:solution
//!     let mut rest = buf;
//!     ...
//!     // lab:end
//! }
//! ```
//!
//! - `// lab:solution` … `// lab:end`: the lines between are the solution's only; the
//!   exercise leaves them out (and the two marker lines). Regions do not nest.
//! - `//> TEXT`: a line of the exercise only; there it reads `TEXT`, at the indentation
//!   of the `//>` (a bare `//>` is an empty line).
//! - Every other line is in both, as it is.
//!
//! Files other than `.rs` are copied as they are. Everything else of an exercise
//! (Cargo.toml, README.md, hints.md, tests/) is written by hand in `exercises/NAME/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::course::Course;
use crate::exercise::Exercise;
use crate::files;

const SOLUTION: &str = "// lab:solution";
const END: &str = "// lab:end";
const EXERCISE_LINE: &str = "//>";

/// A marker that makes no sense, at `line` (counted from 1) of a solution file.
#[derive(Debug, PartialEq, Eq)]
pub struct MarkerError {
    pub line: usize,
    pub message: String,
}

/// The exercise's text of a solution's `.rs` file (see the module's documentation).
pub fn exercise_text(solution: &str) -> Result<String, MarkerError> {
    let mut out = String::with_capacity(solution.len());
    // The line of the `// lab:solution` of the region we are in.
    let mut region: Option<usize> = None;
    for (index, line) in solution.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let error = |message: String| {
            Err(MarkerError {
                line: number,
                message,
            })
        };
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim();
        if trimmed == SOLUTION {
            if let Some(open) = region {
                return error(format!(
                    "`{SOLUTION}` inside the region opened at line {open}: regions do not nest"
                ));
            }
            region = Some(number);
        } else if trimmed == END {
            if region.take().is_none() {
                return error(format!("`{END}` without a `{SOLUTION}` before it"));
            }
        } else if let Some(marker) = trimmed.strip_prefix("// lab:") {
            return error(format!(
                "unknown marker `// lab:{marker}`: the markers are `{SOLUTION}`, `{END}` and `{EXERCISE_LINE} TEXT`"
            ));
        } else if let Some(rest) = body.trim_start().strip_prefix(EXERCISE_LINE) {
            if let Some(open) = region {
                return error(format!(
                    "a `{EXERCISE_LINE}` line (the exercise's only) inside the solution's region opened at line {open}"
                ));
            }
            let indent = &body[..body.len() - body.trim_start().len()];
            let text = rest.strip_prefix(' ').unwrap_or(rest);
            if !text.is_empty() {
                out.push_str(indent);
                out.push_str(text);
            }
            out.push_str(ending);
        } else if region.is_none() {
            out.push_str(line);
        }
    }
    match region {
        Some(open) => Err(MarkerError {
            line: open,
            message: format!("`{SOLUTION}` is never closed by `{END}`"),
        }),
        None => Ok(out),
    }
}

/// The files `exercises/NAME/src/` must hold (path relative to it, content), made from
/// `solutions/NAME/src/`. Marker errors are named `solutions/NAME/src/FILE:LINE: ...`.
fn generate(exercise: &Exercise) -> Result<BTreeMap<PathBuf, Vec<u8>>, Vec<String>> {
    let name = &exercise.name;
    let dir = &exercise.solution;
    if !dir.is_dir() {
        return Err(vec![format!(
            "{name}: there is no solutions/{name}/src to make exercises/{name}/src from"
        )]);
    }
    let mut files = BTreeMap::new();
    let mut errors = Vec::new();
    for (rel, abs) in files::files_under(dir, 10_000) {
        let shown = format!("solutions/{name}/src/{}", rel.display());
        let content = match fs::read(&abs) {
            Ok(content) => content,
            Err(e) => {
                errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        if rel.extension().is_none_or(|e| e != "rs") {
            files.insert(rel, content);
            continue;
        }
        let Ok(text) = String::from_utf8(content) else {
            errors.push(format!("{shown}: not UTF-8"));
            continue;
        };
        match exercise_text(&text) {
            Ok(exercise) => {
                files.insert(rel, exercise.into_bytes());
            }
            Err(e) => errors.push(format!("{shown}:{}: {}", e.line, e.message)),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// How one file of `exercises/NAME/src/` differs from what the solution makes.
enum Difference {
    /// The file is there, with other content: the first line that differs.
    Changed {
        line: usize,
        want: String,
        have: String,
    },
    /// The solution makes it, the exercise lacks it.
    Missing,
    /// The exercise has it, no solution file makes it.
    Extra,
}

fn first_difference(want: &[u8], have: &[u8]) -> Difference {
    let want = String::from_utf8_lossy(want);
    let have = String::from_utf8_lossy(have);
    let mut want_lines = want.split_inclusive('\n');
    let mut have_lines = have.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (want_lines.next(), have_lines.next()) {
            (Some(w), Some(h)) if w == h => line += 1,
            (w, h) => {
                let show = |l: Option<&str>| {
                    l.map_or("(the end of the file)".into(), |l| format!("{l:?}"))
                };
                return Difference::Changed {
                    line,
                    want: show(w),
                    have: show(h),
                };
            }
        }
    }
}

/// The differences between `exercises/NAME/src/` and `wanted`, by path.
fn differences(src: &Path, wanted: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<(PathBuf, Difference)> {
    let present: BTreeMap<PathBuf, PathBuf> = files::files_under(src, 10_000).into_iter().collect();
    let mut found = Vec::new();
    for (rel, want) in wanted {
        match present.get(rel).map(fs::read) {
            None | Some(Err(_)) => found.push((rel.clone(), Difference::Missing)),
            Some(Ok(have)) if &have != want => {
                found.push((rel.clone(), first_difference(want, &have)));
            }
            Some(Ok(_)) => {}
        }
    }
    for rel in present.keys() {
        if !wanted.contains_key(rel) {
            found.push((rel.clone(), Difference::Extra));
        }
    }
    found
}

/// `cargo lab sync [--check]`: writes every exercise's `src/` from its solution, or with
/// `check` writes nothing and says which files are out of date (false if any is).
pub fn run(course: &Course, check: bool) -> Result<bool, String> {
    let mut wanted = Vec::new();
    let mut errors = Vec::new();
    for exercise in &course.exercises {
        match generate(exercise) {
            Ok(files) => wanted.push((exercise, files)),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "cannot make the exercises from the solutions; nothing was written:\n{}",
            errors.join("\n")
        ));
    }
    let mut stale = Vec::new();
    let mut count = 0;
    for (exercise, files) in &wanted {
        let name = &exercise.name;
        let src = exercise.src();
        let found = differences(&src, files);
        if found.is_empty() {
            continue;
        }
        stale.push(name.as_str());
        for (rel, difference) in found {
            count += 1;
            let exercise = format!("exercises/{name}/src/{}", rel.display());
            let solution = format!("solutions/{name}/src/{}", rel.display());
            if check {
                match difference {
                    Difference::Changed { line, want, have } => eprintln!(
                        "{exercise} is out of date: its line {line} is {have}, {solution} makes {want}"
                    ),
                    Difference::Missing => eprintln!("{exercise} is missing ({solution} makes it)"),
                    Difference::Extra => {
                        eprintln!(
                            "{exercise} is made from no solution file ({solution} does not exist)"
                        )
                    }
                }
                continue;
            }
            let target = src.join(&rel);
            let written = match difference {
                Difference::Extra => fs::remove_file(&target),
                _ => target
                    .parent()
                    .map_or(Ok(()), fs::create_dir_all)
                    .and_then(|()| fs::write(&target, &files[&rel])),
            };
            written.map_err(|e| format!("{}: {e}", target.display()))?;
            match difference {
                Difference::Extra => println!("removed {exercise}"),
                _ => println!("wrote {exercise}"),
            }
        }
    }
    if stale.is_empty() {
        println!(
            "the exercises are up to date with the solutions ({} exercises)",
            wanted.len()
        );
        Ok(true)
    } else if check {
        eprintln!(
            "\n{} of exercises/ out of date ({}): a solution was edited and the exercises \
             were not made again from it. Run `cargo lab sync`, then commit exercises/ \
             (edit solutions/NAME/src, never exercises/NAME/src: sync writes over it).",
            files(count),
            stale.join(", ")
        );
        Ok(false)
    } else {
        println!(
            "made {} of exercises/ again from the solutions ({})",
            files(count),
            stale.join(", ")
        );
        Ok(true)
    }
}

fn files(count: usize) -> String {
    match count {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    }
}

#[cfg(test)]
mod tests {
    use super::{MarkerError, exercise_text};

    const SOLUTION: &str = "\
use std::io;
//> #[allow(unused_imports)] // Read: for your code
use std::io::Read;

/// Doubles.
pub fn double(x: u32) -> u32 {
    //> // TODO: twice x.
    //> let _ = x;
    //> todo!(\"double\")
    // lab:solution
    let y = x;
    y * 2
    // lab:end
}

//> // TODO: a function `half`.
// lab:solution
fn half(x: u32) -> u32 {
    x / 2
}
// lab:end

pub fn one() -> u32 {
    1
}
";

    const EXERCISE: &str = "\
use std::io;
#[allow(unused_imports)] // Read: for your code
use std::io::Read;

/// Doubles.
pub fn double(x: u32) -> u32 {
    // TODO: twice x.
    let _ = x;
    todo!(\"double\")
}

// TODO: a function `half`.

pub fn one() -> u32 {
    1
}
";

    #[test]
    fn regions_are_left_out_and_exercise_lines_uncommented() {
        assert_eq!(exercise_text(SOLUTION).unwrap(), EXERCISE);
    }

    #[test]
    fn a_file_without_markers_is_the_same_in_both() {
        let main = "fn main() {\n    run();\n}\n";
        assert_eq!(exercise_text(main).unwrap(), main);
        assert_eq!(exercise_text("").unwrap(), "");
        assert_eq!(exercise_text("no newline").unwrap(), "no newline");
    }

    #[test]
    fn line_endings_and_the_last_newline_are_kept() {
        let solution = "a\r\n    //> b\r\n// lab:solution\r\nc\r\n// lab:end\r\nd";
        assert_eq!(exercise_text(solution).unwrap(), "a\r\n    b\r\nd");
        // Markers may be indented, and may have spaces after them.
        let solution = "x\n        // lab:solution  \n  y\n   // lab:end\n";
        assert_eq!(exercise_text(solution).unwrap(), "x\n");
    }

    #[test]
    fn only_the_space_after_the_prefix_goes() {
        assert_eq!(exercise_text("  //>   deeper\n").unwrap(), "    deeper\n");
        assert_eq!(exercise_text("  //>x\n").unwrap(), "  x\n");
        // A bare `//>` is an empty line, without the indentation.
        assert_eq!(exercise_text("a\n    //>\nb\n").unwrap(), "a\n\nb\n");
        // A `//>` inside ordinary text is no marker.
        assert_eq!(exercise_text("a //> b\n").unwrap(), "a //> b\n");
    }

    fn error(solution: &str) -> MarkerError {
        exercise_text(solution).expect_err("a marker error")
    }

    #[test]
    fn bad_markers_are_errors_that_name_their_line() {
        let unclosed = error("a\n// lab:solution\nb\n");
        assert_eq!(unclosed.line, 2);
        assert!(unclosed.message.contains("never closed"), "{unclosed:?}");

        let nested = error("// lab:solution\n  // lab:solution\n// lab:end\n");
        assert_eq!(nested.line, 2);
        assert!(nested.message.contains("opened at line 1"), "{nested:?}");
        assert!(nested.message.contains("do not nest"), "{nested:?}");

        let stray = error("a\nb\n// lab:end\n// lab:end\n");
        assert_eq!(stray.line, 3);
        assert!(stray.message.contains("without"), "{stray:?}");

        let closed_twice = error("// lab:solution\n// lab:end\n// lab:end\n");
        assert_eq!(closed_twice.line, 3);

        let typo = error("x\n// lab:soluton\n");
        assert_eq!(typo.line, 2);
        assert!(typo.message.contains("unknown marker"), "{typo:?}");

        let inside = error("// lab:solution\n//> todo!()\n// lab:end\n");
        assert_eq!(inside.line, 2);
        assert!(inside.message.contains("inside"), "{inside:?}");
    }
}
