//! The student's loop: list, check, hint, watch, reset.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cargo;
use crate::course::{self, Course};

/// What `check` last found for each exercise, with the fingerprint of the sources it saw.
/// Kept in `target/lab/progress.txt` as `name fingerprint pass|fail` lines.
struct Progress {
    path: PathBuf,
    seen: BTreeMap<String, (u64, bool)>,
}

impl Progress {
    fn load(course: &Course) -> Progress {
        let path = course.target_dir().join("progress.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let seen = text
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let name = words.next()?.to_owned();
                let print = u64::from_str_radix(words.next()?, 16).ok()?;
                let passed = words.next()? == "pass";
                Some((name, (print, passed)))
            })
            .collect();
        Progress { path, seen }
    }

    fn record(&mut self, name: &str, print: u64, passed: bool) {
        self.seen.insert(name.to_owned(), (print, passed));
        let text: String = self
            .seen
            .iter()
            .map(|(n, (p, ok))| format!("{n} {p:016x} {}\n", if *ok { "pass" } else { "fail" }))
            .collect();
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&self.path, text);
    }
}

#[derive(PartialEq, Clone, Copy)]
enum State {
    Done,
    Failing,
    Edited,
    NotStarted,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::Done => "done",
            State::Failing => "failing",
            State::Edited => "edited, not checked",
            State::NotStarted => "not started",
        }
    }
}

fn state(course: &Course, progress: &Progress, name: &str) -> State {
    let print = course::fingerprint(&course.exercise_dir(name).join("src"));
    match progress.seen.get(name) {
        Some(&(p, true)) if p == print => State::Done,
        Some(&(p, false)) if p == print => State::Failing,
        _ => match pristine(course, name) {
            Ok(files) if same_as(&course.exercise_dir(name).join("src"), &files) => {
                State::NotStarted
            }
            _ => State::Edited,
        },
    }
}

/// `cargo lab list`.
pub fn list(course: &Course) {
    use std::fmt::Write as _;
    let progress = Progress::load(course);
    let states: Vec<State> = course
        .exercises
        .iter()
        .map(|name| state(course, &progress, name))
        .collect();
    let next = states.iter().position(|s| *s != State::Done);
    let width = course.exercises.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (i, (name, s)) in course.exercises.iter().zip(&states).enumerate() {
        let mark = if Some(i) == next { "->" } else { "  " };
        let title = title(course, name);
        let _ = writeln!(
            out,
            "{mark} {:>2}. {name:<width$}  {:<20}  {title}",
            i + 1,
            s.word()
        );
    }
    let done = states.iter().filter(|s| **s == State::Done).count();
    let total = states.len();
    let bar_width = 30;
    let filled = done * bar_width / total.max(1);
    let _ = writeln!(
        out,
        "\nprogress: [{}{}] {done}/{total} done",
        "#".repeat(filled),
        "-".repeat(bar_width - filled)
    );
    let _ = match next {
        Some(i) => writeln!(out, "next: cargo lab check {}", course.exercises[i]),
        None => writeln!(out, "every exercise passes its visible tests: well done"),
    };
    // A closed pipe (`cargo lab list | head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
}

/// The task's title: the first heading of the exercise's README.md.
fn title(course: &Course, name: &str) -> String {
    std::fs::read_to_string(course.exercise_dir(name).join("README.md"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("# ").map(|s| s.trim().to_owned()))
        })
        .unwrap_or_default()
}

/// `cargo lab check [EX]`: runs the visible tests; true when they all pass.
pub fn check(course: &Course, name: Option<&str>) -> Result<bool, String> {
    let mut progress = Progress::load(course);
    let name = match name {
        Some(name) => course.pick(name)?,
        None => match course
            .exercises
            .iter()
            .find(|n| state(course, &progress, n) != State::Done)
        {
            Some(name) => name.clone(),
            None => {
                println!("every exercise passes its visible tests; `cargo lab list` shows them");
                return Ok(true);
            }
        },
    };
    let print = course::fingerprint(&course.exercise_dir(&name).join("src"));
    println!("checking {name} ({})", title(course, &name));
    let status = cargo::cargo()
        // The visible tests are the files in tests/ (`--test '*'`): no empty runs of the
        // unit-test harnesses of src/.
        .args(["test", "-q", "-p", &name, "--test", "*", "--manifest-path"])
        .arg(course.root.join("exercises/Cargo.toml"))
        .env("CARGO_TARGET_DIR", course.build_dir("check"))
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let passed = status.success();
    progress.record(&name, print, passed);
    if passed {
        println!(
            "\n{name}: every visible test passes. The grader also runs hidden tests (other \
             inputs, random data, misbehaving peers): make sure your code does what the task \
             says, not only what these tests check."
        );
        if let Some(next) = course
            .exercises
            .iter()
            .find(|n| state(course, &progress, n) != State::Done)
        {
            println!("next: cargo lab check {next}");
        }
    } else {
        println!(
            "\n{name}: not yet. Read the first failure above (expected / received), then \
             edit exercises/{name}/src. Stuck? cargo lab hint {name}"
        );
    }
    Ok(passed)
}

/// `cargo lab hint EX [N]`: the hints file is split into hints at lines of `---`.
pub fn hint(course: &Course, name: &str, number: Option<usize>) -> Result<(), String> {
    let name = course.pick(name)?;
    let path = course.exercise_dir(&name).join("hints.md");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let hints: Vec<&str> = text
        .split("\n---\n")
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let n = number.unwrap_or(1);
    let Some(hint) = hints.get(n.wrapping_sub(1)) else {
        return Err(format!("{name} has hints 1 to {}", hints.len()));
    };
    println!("{name}, hint {n} of {}:\n\n{hint}\n", hints.len());
    if n < hints.len() {
        println!("(more: cargo lab hint {name} {})", n + 1);
    }
    Ok(())
}

/// The untouched sources of an exercise: (path relative to src/, content).
///
/// A student edition keeps them in `.lab/pristine/NAME/` (written by `export`). In the
/// course repository itself they are the committed files (`git show HEAD:...`).
fn pristine(course: &Course, name: &str) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let stored = course.root.join(".lab/pristine").join(name);
    if stored.is_dir() {
        return Ok(course::files_under(&stored, 10_000)
            .into_iter()
            .map(|(rel, abs)| (rel, std::fs::read(abs).unwrap_or_default()))
            .collect());
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(&course.root)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| o.stdout)
    };
    let prefix = format!("exercises/{name}/src/");
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

fn same_as(src: &Path, files: &[(PathBuf, Vec<u8>)]) -> bool {
    let present = course::files_under(src, 10_000);
    present.len() == files.len()
        && files
            .iter()
            .all(|(rel, content)| std::fs::read(src.join(rel)).ok().as_ref() == Some(content))
}

/// `cargo lab reset EX`: puts the untouched sources back, after saving the student's.
pub fn reset(course: &Course, name: &str) -> Result<(), String> {
    let name = course.pick(name)?;
    let files = pristine(course, &name)?;
    let src = course.exercise_dir(&name).join("src");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Outside target/, which `cargo clean` empties; a second reset within the same
    // second gets a folder of its own rather than writing over the first one's copy.
    let folder = course.root.join(".lab/backup");
    let backup = (1..)
        .map(|n| match n {
            1 => folder.join(format!("{name}-{stamp}")),
            n => folder.join(format!("{name}-{stamp}-{n}")),
        })
        .find(|dir| !dir.exists())
        .expect("some folder name is free");
    for (rel, abs) in course::files_under(&src, 10_000) {
        let to = backup.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::copy(&abs, &to).map_err(|e| e.to_string())?;
        std::fs::remove_file(&abs).map_err(|e| e.to_string())?;
    }
    for (rel, content) in files {
        let to = src.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(&to, content).map_err(|e| e.to_string())?;
    }
    println!(
        "{name} is back to its starting point; your version is saved in {}",
        backup.display()
    );
    Ok(())
}

/// `cargo lab watch`: checks the current exercise whenever its sources change.
pub fn watch(course: &Course) -> Result<(), String> {
    // How often to look at the files, and when to give up on an idle session.
    const POLL: Duration = Duration::from_millis(500);
    const IDLE: Duration = Duration::from_secs(60 * 60);
    let (keys, typed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if keys.send(line.trim().to_owned()).is_err() {
                break;
            }
        }
        // The end of the input (no terminal: an editor's task runner, `< /dev/null`)
        // closes the channel; watching goes on without keys.
    });
    let current = |course: &Course| {
        let progress = Progress::load(course);
        course
            .exercises
            .iter()
            .find(|n| state(course, &progress, n) != State::Done)
            .cloned()
    };
    let Some(mut name) = current(course) else {
        println!("every exercise passes its visible tests");
        return Ok(());
    };
    let help =
        "watching: save a file to check again; Enter = check now, h = hint, l = list, q = quit";
    check(course, Some(&name))?;
    println!("\n{help}");
    let mut last_print = course::fingerprint(&course.exercise_dir(&name).join("src"));
    let mut last_change = Instant::now();
    let mut hint_number = 1;
    let mut keys_open = true;
    loop {
        if last_change.elapsed() > IDLE {
            println!("no change for an hour: stopping. `cargo lab watch` picks up where you were.");
            return Ok(());
        }
        let mut run = false;
        match typed.recv_timeout(POLL) {
            Ok(key) => match key.as_str() {
                "q" => return Ok(()),
                "h" => {
                    if hint(course, &name, Some(hint_number)).is_ok() {
                        hint_number += 1;
                    } else {
                        println!("no more hints for {name}");
                    }
                }
                "l" => list(course),
                _ => run = true,
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if keys_open {
                    keys_open = false;
                    println!("(no more input: keys are off; Ctrl-C stops watching)");
                }
                std::thread::sleep(POLL);
            }
        }
        let print = course::fingerprint(&course.exercise_dir(&name).join("src"));
        if print != last_print {
            last_print = print;
            last_change = Instant::now();
            run = true;
        }
        if run {
            let passed = check(course, Some(&name))?;
            if passed {
                match current(course) {
                    Some(next) if next != name => {
                        name = next;
                        hint_number = 1;
                        println!("\non to {name}");
                        check(course, Some(&name))?;
                        last_print = course::fingerprint(&course.exercise_dir(&name).join("src"));
                    }
                    Some(_) => {}
                    None => {
                        println!("all done!");
                        return Ok(());
                    }
                }
            }
            println!("\n{help}");
        }
    }
}
