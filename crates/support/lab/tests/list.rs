//! `cargo lab list` groups the exercises by the part of the book their chapter is in.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

fn list(root: &Path) -> String {
    let out = Command::new(LAB)
        .arg("--root")
        .arg(root)
        .arg("list")
        .output()
        .expect("run lab");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The headings of a list, in order, and the exercise names under each.
fn groups(list: &str) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for line in list.lines().take_while(|l| !l.starts_with("progress:")) {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with("->") {
            groups.push((line.to_owned(), Vec::new()));
        } else {
            let name = line
                .split_whitespace()
                .find(|w| !w.ends_with('.') && *w != "->");
            if groups.is_empty() {
                groups.push((String::new(), Vec::new()));
            }
            groups.last_mut().unwrap().1.push(name.unwrap().to_owned());
        }
    }
    groups
}

#[test]
fn the_course_list_has_a_heading_per_part_in_the_books_order() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.."));
    let out = list(&root);
    let groups = groups(&out);
    let headings: Vec<&str> = groups.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(
        &headings[..5],
        [
            "Part 1 — The lecture: TCP and UDP",
            "Part 2 — Many clients at once",
            "Part 3 — The sockets API, Beej style",
            "Part 4 — Processes, signals and IPC",
            "Part 5 — Talking real protocols",
        ],
        "{out}"
    );
    let under = |part: usize| &groups[part].1;
    assert_eq!(under(0)[0], "tcp_upper_client", "{out}");
    assert!(under(0).contains(&"wire".to_owned()), "{out}");
    assert!(under(3).contains(&"pipeline".to_owned()), "{out}");
    assert!(under(4).contains(&"udp_pinger".to_owned()), "{out}");
    // Otherwise the list looks as it did: numbered lines, the progress bar, what is next.
    assert!(out.contains("Part 1 — The lecture: TCP and UDP\n"), "{out}");
    assert!(out.contains("\n\nPart 2 — Many clients at once\n"), "{out}");
    assert!(out.contains("\nprogress: ["), "{out}");
}

/// A scratch course: `exercises` are (name, chapter or none), `summary` the book's table
/// of contents (none: no book at all).
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str, exercises: &[(&str, Option<&str>)], summary: Option<&str>) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lab-list-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let members: Vec<String> = exercises.iter().map(|(n, _)| format!("{n:?}")).collect();
        fs::create_dir_all(dir.join("exercises")).unwrap();
        fs::write(
            dir.join("exercises/Cargo.toml"),
            format!("[workspace]\nmembers = [{}]\n", members.join(", ")),
        )
        .unwrap();
        for (name, chapter) in exercises {
            let ex = dir.join("exercises").join(name);
            fs::create_dir_all(ex.join("src")).unwrap();
            let mut manifest = format!("[package]\nname = {name:?}\nversion = \"0.1.0\"\n");
            if let Some(chapter) = chapter {
                manifest.push_str(&format!(
                    "\n[package.metadata.lab]\nchapter = {chapter:?}\n"
                ));
            }
            fs::write(ex.join("Cargo.toml"), manifest).unwrap();
            fs::write(ex.join("README.md"), format!("# The {name} task\n")).unwrap();
        }
        if let Some(summary) = summary {
            fs::create_dir_all(dir.join("book/src")).unwrap();
            fs::write(dir.join("book/src/SUMMARY.md"), summary).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const SUMMARY: &str = "# Summary\n\n[Introduction](introduction.md)\n\n# Part 1 — First\n\n\
    - [One](part1/one.md)\n- [Two](part1/two.md)\n\n# Part 2 — Second\n\n- [Three](part2/three.md)\n";

#[test]
fn an_exercise_goes_under_its_chapters_part_and_one_without_stays_with_the_one_before() {
    let course = Scratch::new(
        "parts",
        &[
            ("alpha", Some("part1/one.md")),
            ("beta", Some("part1/two.md")),
            ("gamma", Some("part2/three.md")),
            ("delta", None),
            ("epsilon", Some("part9/not-in-the-book.md")),
        ],
        Some(SUMMARY),
    );
    let out = list(&course.0);
    assert_eq!(
        groups(&out),
        [
            (
                "Part 1 — First".to_owned(),
                vec!["alpha".to_owned(), "beta".to_owned()]
            ),
            (
                "Part 2 — Second".to_owned(),
                vec!["gamma".to_owned(), "delta".to_owned(), "epsilon".to_owned()]
            ),
        ],
        "{out}"
    );
    assert!(out.contains("alpha  "), "{out}");
    assert!(
        out.contains("The alpha task"),
        "the title is still shown: {out}"
    );
}

#[test]
fn without_a_book_the_list_has_no_headings() {
    let course = Scratch::new(
        "nobook",
        &[("alpha", Some("part1/one.md")), ("beta", None)],
        None,
    );
    let out = list(&course.0);
    assert_eq!(
        groups(&out),
        [(String::new(), vec!["alpha".to_owned(), "beta".to_owned()])],
        "{out}"
    );
    assert!(out.starts_with("->  1. alpha"), "{out}");
}
