//! The book's source is checked like code: a broken include or link fails `cargo test`.
//!
//! mdBook itself only warns about some of these (a missing anchor includes nothing), and a
//! page that silently shows no code is exactly what a reader must never get.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../book/src")
}

fn chapters() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&book_src(), &mut found);
    found.sort();
    found
}

/// Every `[text](target)` in a Markdown text, without the code blocks and inline code.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code_block = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        let prose: String = line.split('`').step_by(2).collect();
        let mut rest = prose.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    targets
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:") || target.starts_with('#')
}

#[test]
fn every_summary_entry_exists() {
    let summary = fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    let mut problems = Vec::new();
    for target in link_targets(&summary) {
        // `[Title]()` is a draft chapter: listed, not yet written.
        if !target.is_empty() && !book_src().join(&target).is_file() {
            problems.push(target);
        }
    }
    assert!(
        problems.is_empty(),
        "SUMMARY.md lists missing files: {problems:?}"
    );
}

#[test]
fn every_chapter_file_is_in_the_summary() {
    let summary = fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = link_targets(&summary).into_iter().collect();
    let src = book_src();
    let orphans: Vec<_> = chapters()
        .into_iter()
        .map(|p| p.strip_prefix(&src).unwrap().to_string_lossy().into_owned())
        .filter(|p| p != "SUMMARY.md" && !listed.contains(p))
        .collect();
    assert!(
        orphans.is_empty(),
        "chapters no reader can reach: {orphans:?}"
    );
}

#[test]
fn every_include_and_anchor_resolves() {
    let mut problems = Vec::new();
    let mut includes = 0;
    for chapter in chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        for piece in text.split("{{#").skip(1) {
            let Some(end) = piece.find("}}") else {
                continue;
            };
            let directive = &piece[..end];
            let Some(spec) = directive
                .strip_prefix("include ")
                .or_else(|| directive.strip_prefix("rustdoc_include "))
            else {
                continue;
            };
            includes += 1;
            let (path, anchor) = match spec.trim().split_once(':') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (spec.trim(), None),
            };
            let target = chapter.parent().unwrap().join(path);
            let Ok(source) = fs::read_to_string(&target) else {
                problems.push(format!("{}: {path} does not exist", chapter.display()));
                continue;
            };
            // A line range (`file.rs:3:10`) needs no anchor.
            let Some(anchor) =
                anchor.filter(|a| !a.chars().all(|c| c.is_ascii_digit() || c == ':'))
            else {
                continue;
            };
            let start = format!("ANCHOR: {anchor}");
            let stop = format!("ANCHOR_END: {anchor}");
            let defines = |marker: &str| {
                source.lines().any(|line| {
                    line.split_once(marker)
                        .is_some_and(|(_, after)| after.trim().is_empty())
                })
            };
            if !defines(&start) || !defines(&stop) {
                problems.push(format!(
                    "{}: {path} has no anchor '{anchor}' (ANCHOR and ANCHOR_END)",
                    chapter.display()
                ));
            }
        }
    }
    assert!(includes > 0, "the book includes no code at all");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_relative_link_and_image_points_at_a_file() {
    let mut problems = Vec::new();
    for chapter in chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        for target in link_targets(&text) {
            if target.is_empty() || is_external(&target) {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let file = file.split(' ').next().unwrap(); // `(path "title")`
            if !chapter.parent().unwrap().join(file).exists() {
                problems.push(format!("{}: {target}", chapter.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_page_loads_anything_from_outside_the_book() {
    let mut problems = Vec::new();
    for chapter in chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        for (number, line) in text.lines().enumerate() {
            let lower = line.to_ascii_lowercase();
            if (lower.contains("<img")
                || lower.contains("<script")
                || lower.contains("<link")
                || lower.contains("<iframe"))
                && lower.contains("://")
            {
                problems.push(format!("{}:{}", chapter.display(), number + 1));
            }
        }
        // Markdown images: `![text](https://...)` is fetched by the reader's browser.
        for piece in text.split("![").skip(1) {
            let target = piece
                .split_once("](")
                .map(|(_, after)| after.split(')').next().unwrap_or(""));
            if target.is_some_and(|t| t.contains("://")) {
                problems.push(format!("{}: image {}", chapter.display(), target.unwrap()));
            }
        }
    }
    // The diagrams: an SVG may fetch images, fonts or styles too (its xmlns
    // declarations are names, not fetches).
    for entry in fs::read_dir(book_src().join("images")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let svg = fs::read_to_string(&path).unwrap().to_ascii_lowercase();
            for fetch in [
                "href=\"http",
                "href='http",
                "url(http",
                "url('http",
                "@import",
            ] {
                if svg.contains(fetch) {
                    problems.push(format!("{}: {fetch}", path.display()));
                }
            }
        }
    }
    let toml = fs::read_to_string(book_src().join("../book.toml")).unwrap();
    assert!(
        toml.contains("runnable = false"),
        "book.toml must keep the playground offline"
    );
    // MathJax support loads its script from a CDN.
    assert!(
        !toml.contains("mathjax-support = true"),
        "book.toml must not turn on MathJax (it loads from outside)"
    );
    assert!(
        problems.is_empty(),
        "pages that load from outside: {problems:?}"
    );
}

/// `crates/` is the syllabus: `crates/P-part/NN-chapter/CRATE` belongs to the chapter
/// `book/src/partP/chapter.md`, and the numbers follow the order of SUMMARY.md, so that
/// `git ls-files crates` read top to bottom follows the book's table of contents.
#[test]
fn the_crates_folders_follow_the_table_of_contents() {
    let crates = book_src().join("../../crates");
    let summary = fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    let order = link_targets(&summary);
    let mut problems = Vec::new();
    let mut chapters = Vec::new();
    let mut parts: Vec<String> = fs::read_dir(&crates)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    parts.sort();
    for part in parts.iter().filter(|p| *p != "support") {
        let Some((number, _)) = part
            .split_once('-')
            .filter(|(n, _)| n.parse::<u8>().is_ok())
        else {
            problems.push(format!(
                "crates/{part}: a part folder is numbered, as 1-tcp-udp"
            ));
            continue;
        };
        let mut names: Vec<String> = fs::read_dir(crates.join(part))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for chapter in names {
            let page = chapter
                .split_once('-')
                .filter(|(n, _)| n.len() == 2 && n.parse::<u8>().is_ok())
                .map(|(_, page)| format!("part{number}/{page}.md"));
            match page {
                Some(page) if order.contains(&page) => chapters.push(page),
                _ => problems.push(format!(
                    "crates/{part}/{chapter}: no chapter part{number}/NAME.md in SUMMARY.md \
                     for a folder named NN-NAME"
                )),
            }
        }
    }
    let position = |page: &String| order.iter().position(|p| p == page);
    let mut in_book_order = chapters.clone();
    in_book_order.sort_by_key(position);
    if chapters != in_book_order {
        problems.push(format!(
            "the crates' folders come in the order {chapters:?}, the book's is {in_book_order:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
