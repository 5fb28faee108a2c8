//! The book's source is checked like code: a broken include or link fails `cargo test`.
//!
//! mdBook itself only warns about some of these (a missing anchor includes nothing), and a
//! page that silently shows no code is exactly what a reader must never get. Nor may a
//! chapter say a claim is tested when the test it names does not exist.

use std::collections::{BTreeMap, BTreeSet};
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

/// The words that open a marker: `(tested: `FILE::NAME`)` after a claim says that the
/// test function NAME, in a file FILE.rs under some crate's `tests/` folder, shows it.
/// `cargo test --test FILE NAME` at the root of the workspace runs it. One marker may
/// name several tests: `(tested: `a::one`, `b::two`)`.
const TESTED: &str = "(tested: ";

/// Every test a chapter's markers name, as (line number, FILE, NAME); a marker that does
/// not have the form `FILE::NAME` comes back with an empty FILE and the text as NAME.
fn tested_markers(markdown: &str) -> Vec<(usize, String, String)> {
    let mut found = Vec::new();
    let mut in_code_block = false;
    for (number, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find(TESTED) {
            let after = &rest[start + TESTED.len()..];
            let end = after.find(')').unwrap_or(after.len());
            let names: Vec<&str> = after[..end].split('`').skip(1).step_by(2).collect();
            if names.is_empty() {
                found.push((number + 1, String::new(), after[..end].to_owned()));
            }
            for name in names {
                match name.split_once("::") {
                    Some((file, test)) if is_identifier(file) && is_identifier(test) => {
                        found.push((number + 1, file.to_owned(), test.to_owned()));
                    }
                    _ => found.push((number + 1, String::new(), name.to_owned())),
                }
            }
            rest = &after[end..];
        }
    }
    found
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The workspace's test sources: every `.rs` file under a `tests/` folder of `crates/`,
/// by file stem (several crates have a `server.rs`, so a stem may have several files).
fn test_sources() -> BTreeMap<String, Vec<String>> {
    fn walk(dir: &Path, in_tests: bool, found: &mut BTreeMap<String, Vec<String>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" {
                    walk(&path, in_tests || name == "tests", found);
                }
            } else if in_tests && path.extension().is_some_and(|e| e == "rs") {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let text = fs::read_to_string(&path).unwrap();
                found.entry(stem).or_default().push(text);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(&book_src().join("../../crates"), false, &mut found);
    found
}

/// Whether `source` defines a test function `name`: `fn name(` with `#[test]` among the
/// attributes and comments just above it (a helper of the same name does not count).
fn defines_test(source: &str, name: &str) -> bool {
    let lines: Vec<&str> = source.lines().collect();
    let signature = format!("fn {name}(");
    lines.iter().enumerate().any(|(at, line)| {
        line.trim_start().starts_with(&signature)
            && lines[..at]
                .iter()
                .rev()
                .map(|l| l.trim())
                .take_while(|l| l.starts_with("#[") || l.starts_with("//"))
                .any(|l| l == "#[test]")
    })
}

/// What is wrong with the markers of `chapter` (its name and text), against `sources`.
fn missing_tests(
    chapter: &str,
    markdown: &str,
    sources: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (line, file, name) in tested_markers(markdown) {
        if file.is_empty() {
            problems.push(format!(
                "{chapter}:{line}: `{name}` is not a test's name: write (tested: `FILE::NAME`)"
            ));
            continue;
        }
        let defined = sources
            .get(&file)
            .is_some_and(|texts| texts.iter().any(|text| defines_test(text, &name)));
        if !defined {
            problems.push(format!(
                "{chapter}:{line}: names the test `{file}::{name}`, but no tests/{file}.rs \
                 in crates/ has a #[test] fn {name}"
            ));
        }
    }
    problems
}

#[test]
fn every_claim_marked_tested_names_a_test_that_exists() {
    let sources = test_sources();
    let mut problems = Vec::new();
    let mut markers = 0;
    for chapter in chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        markers += tested_markers(&text).len();
        problems.extend(missing_tests(
            &chapter.display().to_string(),
            &text,
            &sources,
        ));
    }
    assert!(markers > 0, "no chapter marks a claim as tested");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check above must be able to fail: a marker naming a test nobody wrote, a helper
/// that is not a test, or a name of the wrong form is caught; a real test is not.
#[test]
fn the_tested_marker_check_catches_a_test_that_does_not_exist() {
    let sources = BTreeMap::from([(
        "book_claims".to_owned(),
        vec!["#[test]\n/// Why.\nfn real_one() {}\n\nfn helper() {}\n".to_owned()],
    )]);
    let chapter = "It does this (tested: `book_claims::real_one`).\n\
                   It does that (tested: `book_claims::no_such_test`).\n\
                   Really (tested: `book_claims::real_one`, `book_claims::helper`).\n\
                   Elsewhere (tested: `elsewhere::real_one`).\n\
                   Loosely (tested: `real_one`).\n\
                   ```text\n(tested: `book_claims::only_an_example`)\n```\n";
    let problems = missing_tests("ch.md", chapter, &sources);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].starts_with("ch.md:2: names the test `book_claims::no_such_test`"));
    assert!(problems[1].starts_with("ch.md:3: names the test `book_claims::helper`"));
    assert!(problems[2].starts_with("ch.md:4: names the test `elsewhere::real_one`"));
    assert!(problems[3].starts_with("ch.md:5: `real_one` is not a test's name"));
}

/// The heading of the section that closes every lecture chapter.
const CHECK_HEADING: &str = "## Check your understanding";

/// The chapters of SUMMARY.md that teach, in order, as (part title, file): those of every
/// `# Part N` except the homework. The front matter before the first part (introduction,
/// before you start) and the reference at the end have no quiz.
fn lecture_chapters(summary: &str) -> Vec<(String, String)> {
    let mut part: Option<String> = None;
    let mut found = Vec::new();
    for line in summary.lines() {
        if let Some(title) = line.strip_prefix("# ") {
            part = Some(title.trim().to_owned());
            continue;
        }
        let Some(title) = part.as_deref() else {
            continue;
        };
        if !title.starts_with("Part ") || title.ends_with("Homework") {
            continue;
        }
        for target in link_targets(line) {
            if !target.is_empty() {
                found.push((title.to_owned(), target));
            }
        }
    }
    found
}

/// What is wrong with the end of a lecture chapter, if anything: it must end with the
/// section `## Check your understanding`, holding the chapter's one quiz block, whose
/// questions keep the rules the book's preprocessor enforces.
fn check_of_understanding_problem(markdown: &str) -> Option<String> {
    // The `## ` headings outside code blocks, with their byte offsets.
    let mut headings = Vec::new();
    let mut in_code_block = false;
    let mut offset = 0;
    for line in markdown.split_inclusive('\n') {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_code_block = !in_code_block;
        } else if !in_code_block && line.starts_with('#') {
            headings.push((offset, line.trim_end().to_owned()));
        }
        offset += line.len();
    }
    let Some((start, last)) = headings.last() else {
        return Some(format!(
            "has no headings; it must end with `{CHECK_HEADING}`"
        ));
    };
    if last != CHECK_HEADING {
        return Some(format!(
            "its last section is `{last}`; add `{CHECK_HEADING}` with a ```quiz block \
             after it"
        ));
    }
    let blocks = book_quiz::quiz_blocks(markdown);
    let inside: Vec<_> = blocks.iter().filter(|b| b.range.start > *start).collect();
    match (blocks.len(), inside.len()) {
        (_, 0) => {
            return Some(format!(
                "its section `{CHECK_HEADING}` holds no ```quiz block"
            ));
        }
        (1, 1) => {}
        (all, here) => {
            return Some(format!(
                "has {all} quiz blocks, {here} of them in `{CHECK_HEADING}`; a chapter has \
                 one, in that section"
            ));
        }
    }
    let block = inside[0];
    if !markdown[block.range.end..].trim().is_empty() {
        return Some(format!(
            "has text after its quiz (line {}); the quiz ends the chapter",
            block.line
        ));
    }
    book_quiz::parse(&block.toml).err().map(|mut problem| {
        // The problem counts the lines of the TOML, which starts after the fence.
        problem.line = problem.line.map(|line| block.line + line);
        format!("the quiz at line {}: {problem}", block.line)
    })
}

#[test]
fn every_lecture_chapter_ends_with_a_check_of_understanding() {
    let summary = fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    let chapters = lecture_chapters(&summary);
    assert!(chapters.len() > 40, "SUMMARY.md lists {chapters:?}");
    let mut problems = Vec::new();
    for (part, file) in chapters {
        let Ok(text) = fs::read_to_string(book_src().join(&file)) else {
            continue; // every_summary_entry_exists reports it
        };
        if let Some(problem) = check_of_understanding_problem(&text) {
            problems.push(format!("{file} ({part}): {problem}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} lecture chapters lack their check of understanding:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The check above must be able to fail: a chapter without the section, with the section
/// but no quiz, with a quiz that breaks the rules or with text after it is caught.
#[test]
fn the_check_of_understanding_check_catches_a_chapter_without_one() {
    let quiz = "```quiz\n\
                [[question]]\nprompt = \"p\"\nanswers = [\"a\"]\nexplain = \"e\"\n\
                [[question]]\nprompt = \"p\"\nanswers = [\"a\"]\nexplain = \"e\"\n\
                [[question]]\nprompt = \"p\"\nchoices = [\"a\", \"b\"]\nanswer = 0\nexplain = \"e\"\n\
                ```\n";
    let good = format!(
        "# T\n\n```text\n## not a heading\n```\n\n## The exercise\n\nDo it.\n\n\
         {CHECK_HEADING}\n\nA few questions.\n\n{quiz}"
    );
    assert_eq!(check_of_understanding_problem(&good), None);
    let cases = [
        (
            good.replace(CHECK_HEADING, "## Questions"),
            "its last section is `## Questions`",
        ),
        (
            format!("{good}\n## Later\n"),
            "its last section is `## Later`",
        ),
        (good.replace(quiz, ""), "holds no ```quiz block"),
        (
            good.replace(quiz, "```toml\nx = 1\n```\n"),
            "holds no ```quiz block",
        ),
        (format!("{good}\nMore text.\n"), "has text after its quiz"),
        (
            good.replace("# T\n", &format!("# T\n\n{quiz}")),
            "has 2 quiz blocks",
        ),
        (
            good.replace("answer = 0", "answer = 2"),
            "the quiz at line 15: question 3 (line 24): `answer = 2`",
        ),
        ("no heading at all".to_owned(), "has no headings"),
    ];
    for (text, expected) in cases {
        let problem =
            check_of_understanding_problem(&text).unwrap_or_else(|| panic!("not caught:\n{text}"));
        assert!(problem.contains(expected), "{problem:?} for:\n{text}");
    }
}

#[test]
fn lecture_chapters_are_the_parts_but_homework() {
    let summary = "# Summary\n\n[Introduction](introduction.md)\n\n\
                   # Part 1 — One\n\n- [A](part1/a.md)\n  - [A2](part1/a2.md)\n\n\
                   # Part 6 — Homework\n\n- [H](part6/h.md)\n\n\
                   # Part 7 — Seven\n\n- [B](part7/b.md)\n\n\
                   # Reference\n\n- [R](reference/r.md)\n";
    let files: Vec<String> = lecture_chapters(summary)
        .into_iter()
        .map(|(_, file)| file)
        .collect();
    assert_eq!(files, ["part1/a.md", "part1/a2.md", "part7/b.md"]);
}

/// The exercises a chapter sends its reader to: every `cargo lab check NAME` in its text
/// (the command may wrap onto the next line).
fn exercise_links(markdown: &str) -> Vec<String> {
    let words: Vec<&str> = markdown.split_whitespace().collect();
    words
        .windows(4)
        .filter(|w| w[0].ends_with("cargo") && w[1] == "lab" && w[2] == "check")
        .map(|w| {
            w[3].chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The exercises of the course, in the order of `exercises/Cargo.toml`'s members.
fn exercise_names() -> Vec<String> {
    let manifest = book_src().join("../../exercises/Cargo.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    let members = text.split("members = [").nth(1).expect("a members list");
    let members = &members[..members.find(']').expect("the end of the members list")];
    members
        .split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_lecture_chapter_sends_its_reader_to_an_exercise() {
    let summary = fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    let exercises = exercise_names();
    assert!(
        exercises.len() >= 15,
        "exercises/Cargo.toml lists {exercises:?}"
    );
    let mut problems = Vec::new();
    let mut linked = BTreeSet::new();
    for (part, file) in lecture_chapters(&summary) {
        let Ok(text) = fs::read_to_string(book_src().join(&file)) else {
            continue; // every_summary_entry_exists reports it
        };
        let links = exercise_links(&text);
        for name in &links {
            if !exercises.contains(name) {
                problems.push(format!(
                    "{file}: `cargo lab check {name}` names no exercise"
                ));
            }
        }
        if links.is_empty() {
            problems.push(format!(
                "{file} ({part}): no exercise; its `## Exercise` section should name one \
                 with `cargo lab check NAME`"
            ));
        }
        linked.extend(links);
    }
    for name in exercises.iter().filter(|name| !linked.contains(*name)) {
        problems.push(format!("exercise `{name}` is not named by any chapter"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn exercise_links_are_read_across_a_line_break() {
    let text = "Graded: `x` (`cargo lab check\nproxy_cache`), then `cargo lab check wire`.\n\
                `cargo lab check` alone names none.";
    assert_eq!(exercise_links(text), ["proxy_cache", "wire"]);
}
