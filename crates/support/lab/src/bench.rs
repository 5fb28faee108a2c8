//! `cargo lab bench-grade --out DIR`: how long grading a class takes, per submission.
//!
//! It writes a class of generated submissions (each exercise solved, untouched, or broken:
//! a compile error, a panic, a wrong answer), compiles what they share
//! (`grade --prepare`), grades them all as a class (`grade --class`), grades a few of them
//! again one at a time (`grade --submission`) to check that the scores are the same, and
//! draws the time each submission took (`bench.svg`). Every grading is this program run
//! as an instructor would run it. A benchmark, not a test: the figures depend on the
//! machine and its load.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::cli::BenchArgs;
use crate::course::Course;
use crate::exercise::Exercise;
use crate::files;

/// What a generated submission holds for an exercise.
#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    Solved,
    Untouched,
    DoesNotCompile,
    Panics,
    WrongAnswer,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::Solved => "solved",
            State::Untouched => "untouched",
            State::DoesNotCompile => "compile error",
            State::Panics => "panics",
            State::WrongAnswer => "wrong answer",
        }
    }
}

/// SplitMix64: a few lines, and the same numbers on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Whether student `index` (from 0) hands in every exercise solved: every tenth, from
/// the first. The others get a mix.
fn full(index: usize) -> bool {
    index.is_multiple_of(10)
}

pub fn run(course: &Course, args: &BenchArgs) -> Result<bool, String> {
    let out = &args.out;
    let submissions = out.join("submissions");
    let _ = std::fs::remove_dir_all(&submissions);
    let _ = std::fs::remove_dir_all(out.join("class"));
    let _ = std::fs::remove_dir_all(out.join("single"));
    std::fs::create_dir_all(out.join("single")).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut random = Random(args.seed);
    let mut names = Vec::new();
    let mut mixes = Vec::new();
    for index in 0..args.students {
        let name = format!("student-{:02}", index + 1);
        let mut mix = Vec::new();
        for exercise in &course.exercises {
            let state = if full(index) {
                State::Solved
            } else {
                match random.next() % 20 {
                    0..=8 => State::Solved,
                    9..=12 => State::Untouched,
                    13..=14 => State::DoesNotCompile,
                    15..=16 => State::Panics,
                    _ => State::WrongAnswer,
                }
            };
            write_exercise(&submissions.join(&name), exercise, state)?;
            mix.push(state);
        }
        names.push(name);
        mixes.push(mix);
    }
    println!(
        "wrote {} submissions to {} ({} of them full: every exercise solved)",
        names.len(),
        submissions.display(),
        (0..names.len()).filter(|&i| full(i)).count()
    );

    let load_before = load();
    let lab = std::env::current_exe().map_err(|e| e.to_string())?;
    let seed = args.seed.to_string();
    let time_limit = args.time_limit.to_string();
    // In the sandbox where it can be made (root), as a class is graded; otherwise without.
    let sandbox = crate::sandbox::available();
    if let Err(why) = &sandbox {
        println!("grading with --unsafe-no-sandbox: {why}");
    }
    // What each grading prints goes to OUT/NAME.out.
    let grade = |log: &str, extra: &[&std::ffi::OsStr]| -> Result<f64, String> {
        let started = Instant::now();
        let log =
            std::fs::File::create(out.join(format!("{log}.out"))).map_err(|e| e.to_string())?;
        let status = Command::new(&lab)
            .arg("--root")
            .arg(&course.root)
            .arg("grade")
            .args(extra)
            .args(["--seed", &seed, "--time-limit", &time_limit])
            .args(sandbox.is_err().then_some("--unsafe-no-sandbox"))
            .stdout(log)
            .status()
            .map_err(|e| format!("cannot run {}: {e}", lab.display()))?;
        if !status.success() {
            return Err(format!("cargo lab grade failed ({status})"));
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let os = |s: &Path| s.as_os_str().to_owned();
    println!("compiling what the submissions share (grade --prepare) ...");
    let prepare = grade("prepare", &["--prepare".as_ref()])?;
    println!("  {prepare:.1} s");
    println!("grading the class (grade --class) ...");
    let class_out = out.join("class");
    let class = grade(
        "class",
        &[
            "--class".as_ref(),
            &os(&submissions),
            "--out".as_ref(),
            &os(&class_out),
        ],
    )?;
    println!("  {class:.1} s");
    let timings = read_timings(&class_out.join("timings.csv"))?;

    // A few again, one at a time: a full one and the first mixed ones.
    let mut checked = Vec::new();
    let mut differ = Vec::new();
    for name in names.iter().take(args.check) {
        println!("grading {name} alone (grade --submission) ...");
        let json = out.join("single").join(format!("{name}.json"));
        let took = grade(
            &format!("single/{name}"),
            &[
                "--submission".as_ref(),
                &os(&submissions.join(name)),
                "--json".as_ref(),
                &os(&json),
            ],
        )?;
        let alone = scores(&json)?;
        let together = scores(&class_out.join(format!("{name}.json")))?;
        if alone != together {
            differ.push(format!(
                "{name}: alone {alone:?}\n      in the class {together:?}"
            ));
        }
        checked.push((name.clone(), took));
    }

    let full_times: Vec<f64> = timings
        .iter()
        .enumerate()
        .filter(|(i, _)| full(*i))
        .map(|(_, t)| t.1 + t.2)
        .collect();
    let all_times: Vec<f64> = timings.iter().map(|t| t.1 + t.2).collect();
    let builds: Vec<f64> = timings.iter().map(|t| t.1).collect();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "{} submissions, seed {}, time limit {} s per test, {}, {} cores; load average {} before, {} after",
        names.len(),
        args.seed,
        args.time_limit,
        if sandbox.is_ok() {
            "in the sandbox"
        } else {
            "without the sandbox"
        },
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_before,
        load()
    );
    let _ = writeln!(
        report,
        "shared build (grade --prepare):        {prepare:6.1} s"
    );
    let _ = writeln!(
        report,
        "the class (grade --class), wall time:  {class:6.1} s"
    );
    let _ = writeln!(
        report,
        "per full submission (all solved):      median {:5.1} s, mean {:5.1} s ({} of them)",
        median(&full_times),
        mean(&full_times),
        full_times.len()
    );
    let _ = writeln!(
        report,
        "per submission, all of them:           median {:5.1} s, mean {:5.1} s",
        median(&all_times),
        mean(&all_times)
    );
    let _ = writeln!(
        report,
        "  of which compiling:                  median {:5.1} s, mean {:5.1} s",
        median(&builds),
        mean(&builds)
    );
    for (name, took) in &checked {
        let _ = writeln!(report, "{name} graded alone:              {took:6.1} s");
    }
    if differ.is_empty() {
        let _ = writeln!(
            report,
            "scores alone and in the class: identical for {}",
            checked
                .iter()
                .map(|c| c.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        let _ = writeln!(report, "scores alone and in the class DIFFER:");
        for d in &differ {
            let _ = writeln!(report, "  {d}");
        }
    }
    let mut mix_text = String::new();
    for (name, mix) in names.iter().zip(&mixes) {
        let words: Vec<String> = course
            .exercises
            .iter()
            .zip(mix)
            .filter(|(_, s)| **s != State::Solved)
            .map(|(e, s)| format!("{} {}", e.name, s.word()))
            .collect();
        let _ = writeln!(
            mix_text,
            "{name}: {}",
            if words.is_empty() {
                "all solved".to_owned()
            } else {
                words.join(", ")
            }
        );
    }
    std::fs::write(out.join("mix.txt"), mix_text).map_err(|e| e.to_string())?;
    std::fs::write(out.join("bench.txt"), &report).map_err(|e| e.to_string())?;
    let svg = plot(&timings, args.seed);
    std::fs::write(out.join("bench.svg"), svg).map_err(|e| e.to_string())?;
    print!("\n{report}");
    println!(
        "wrote bench.txt, bench.svg (the plot) and mix.txt (what each submission holds) to {}",
        out.display()
    );
    Ok(differ.is_empty())
}

/// Writes `exercise` into the submission `dir` in the given state.
fn write_exercise(dir: &Path, exercise: &Exercise, state: State) -> Result<(), String> {
    let from = match state {
        State::Untouched => exercise.src(),
        _ => exercise.solution.clone(),
    };
    let to = dir.join("exercises").join(&exercise.name).join("src");
    for (rel, abs) in files::files_under(&from, 1000) {
        let mut text =
            std::fs::read_to_string(&abs).map_err(|e| format!("{}: {e}", abs.display()))?;
        if rel == Path::new("lib.rs") {
            text = broken(&text, state);
        }
        let path = to.join(rel);
        std::fs::create_dir_all(path.parent().expect("in a folder"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The solution `text` broken as `state` says, right where the answer starts.
fn broken(text: &str, state: State) -> String {
    const MARK: &str = "// lab:solution\n";
    let insert = |line: &str| match text.find(MARK) {
        Some(at) => {
            let indent: String = text[..at].chars().rev().take_while(|c| *c == ' ').collect();
            format!(
                "{}{MARK}{indent}{line}\n{}",
                &text[..at],
                &text[at + MARK.len()..]
            )
        }
        None => text.to_owned(),
    };
    let panic = "if std::hint::black_box(true) { panic!(\"a bug, on purpose\"); }";
    match state {
        State::Solved | State::Untouched => text.to_owned(),
        State::DoesNotCompile => insert("let _broken: u32 = \"not a number\";"),
        State::Panics => insert(panic),
        State::WrongAnswer => {
            const SWAPS: [(&str, &str); 5] = [
                ("to_ascii_uppercase", "to_ascii_lowercase"),
                ("to_be_bytes", "to_le_bytes"),
                ("from_be_bytes", "from_le_bytes"),
                ("+ 1", "+ 2"),
                ("- 1", "- 2"),
            ];
            let start = text.find(MARK).unwrap_or(0);
            for (from, to) in SWAPS {
                if let Some(at) = text[start..].find(from) {
                    let at = start + at;
                    return format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
                }
            }
            insert(panic)
        }
    }
}

/// (student, build seconds, test seconds) from a class's timings.csv.
fn read_timings(path: &Path) -> Result<Vec<(String, f64, f64)>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let number = |i: usize| record.get(i).and_then(|x| x.parse().ok()).unwrap_or(0.0);
        rows.push((record.get(0).unwrap_or("").to_owned(), number(1), number(2)));
    }
    Ok(rows)
}

/// An exercise's name, points, and each test's name and whether it passed.
type Scores = Vec<(String, f64, Vec<(String, bool)>)>;

/// Per exercise: its points and which tests passed, from a JSON report.
fn scores(path: &PathBuf) -> Result<Scores, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(report["exercises"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let tests = e["tests"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or("").to_owned(),
                        t["passed"].as_bool().unwrap_or(false),
                    )
                })
                .collect();
            (
                e["name"].as_str().unwrap_or("").to_owned(),
                e["points"].as_f64().unwrap_or(0.0),
                tests,
            )
        })
        .collect())
}

/// The machine's load average over the last minute (other work slows the figures).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// A bar per submission, compiling and testing stacked, the 10 s aim as a dashed line.
fn plot(timings: &[(String, f64, f64)], seed: u64) -> String {
    let (width, height) = (760.0, 360.0);
    let (left, right, top, bottom) = (56.0, 16.0, 40.0, 64.0);
    let most = timings.iter().map(|t| t.1 + t.2).fold(10.0_f64, f64::max);
    let scale_top = (most / 10.0).ceil() * 10.0;
    let plot_h = height - top - bottom;
    let y = |s: f64| top + plot_h * (1.0 - s / scale_top);
    let slot = (width - left - right) / timings.len().max(1) as f64;
    let bar = slot * 0.7;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{left}" y="20" font-size="13">Seconds to grade each submission of a class of {} (seed {seed})</text>"#,
        timings.len()
    );
    let mut tick = 0.0;
    while tick <= scale_top {
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{tick}</text>"##,
            width - right,
            left - 6.0,
            y(tick) + 4.0,
            y = y(tick)
        );
        tick += if scale_top > 60.0 { 20.0 } else { 10.0 };
    }
    for (i, (name, build, tests)) in timings.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" fill="#4e79a7"><title>{name}: compiling {build:.1} s</title></rect>"##,
            y(*build),
            plot_h * build / scale_top
        );
        let _ = writeln!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" fill="#f28e2b"><title>{name}: tests {tests:.1} s</title></rect>"##,
            y(build + tests),
            plot_h * tests / scale_top
        );
        let label = name.rsplit('-').next().unwrap_or(name);
        let weight = if full(i) { "bold" } else { "normal" };
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="{weight}">{label}</text>"#,
            x + bar / 2.0,
            height - bottom + 14.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#c00" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" fill="#c00" text-anchor="end">10 s</text>"##,
        width - right,
        width - right,
        y(10.0) - 4.0,
        y = y(10.0)
    );
    let _ = writeln!(
        svg,
        r##"<text x="{left}" y="{:.1}">submission (bold: every exercise solved)</text><rect x="{}" y="{:.1}" width="10" height="10" fill="#4e79a7"/><text x="{}" y="{:.1}">compiling</text><rect x="{}" y="{:.1}" width="10" height="10" fill="#f28e2b"/><text x="{}" y="{:.1}">running the tests</text>"##,
        height - bottom + 34.0,
        width - 260.0,
        height - bottom + 25.0,
        width - 245.0,
        height - bottom + 34.0,
        width - 170.0,
        height - bottom + 25.0,
        width - 155.0,
        height - bottom + 34.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_solution_is_broken_where_the_answer_starts() {
        let text = "pub fn f() -> u32 {\n    // lab:solution\n    41 + 1\n    // lab:end\n}\n";
        let wrong = broken(text, State::WrongAnswer);
        assert!(wrong.contains("41 + 2"), "{wrong}");
        let compile = broken(text, State::DoesNotCompile);
        assert!(
            compile.contains(
                "    // lab:solution\n    let _broken: u32 = \"not a number\";\n    41 + 1"
            ),
            "{compile}"
        );
        assert_eq!(broken(text, State::Solved), text);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let svg = plot(&[("student-01".into(), 3.0, 5.0)], 7);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
}
